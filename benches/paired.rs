//! Paired rounds: the way the request benches compare sides on a shared machine.
//!
//! Each round runs every side `per_round` times, back to back, with the order of the sides
//! rotating from round to round; a figure is the median over rounds of one side's time over
//! another's in the same round. Drift (other work on the machine, CPU frequency) then hits
//! both sides of a ratio alike, where totals over long blocks swung by ±5% between runs.

use std::future::Future;
use std::time::{Duration, Instant};

/// What each side took in each round: `took[side][round]`.
pub struct Rounds {
    took: Vec<Vec<Duration>>,
    per_round: usize,
}

/// Run `rounds` rounds of `sides` sides; `one(side)` makes one request of that side.
pub fn run<F, Fut>(
    rt: &tokio::runtime::Runtime,
    sides: usize,
    rounds: usize,
    per_round: usize,
    mut one: F,
) -> Rounds
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut took = vec![Vec::with_capacity(rounds); sides];
    rt.block_on(async {
        for round in 0..rounds {
            for k in 0..sides {
                let side = (round + k) % sides;
                let started = Instant::now();
                for _ in 0..per_round {
                    one(side).await;
                }
                took[side].push(started.elapsed());
            }
        }
    });
    Rounds { took, per_round }
}

impl Rounds {
    /// The median over rounds of `side`'s time over `baseline`'s.
    pub fn ratio(&self, side: usize, baseline: usize) -> f64 {
        let mut ratios: Vec<f64> = self.took[side]
            .iter()
            .zip(&self.took[baseline])
            .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios[ratios.len() / 2]
    }

    /// `side`'s mean time per request, in microseconds.
    pub fn micros(&self, side: usize) -> f64 {
        let total: Duration = self.took[side].iter().sum();
        total.as_secs_f64() * 1e6 / (self.took[side].len() * self.per_round) as f64
    }

    /// Requests per side.
    pub fn requests(&self) -> usize {
        self.took.first().map_or(0, |t| t.len() * self.per_round)
    }
}
