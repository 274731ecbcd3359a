//! Client-side pacing: IBKR puts violators in a 10–15 minute penalty box, so limits are
//! kept, not discovered.
//!
//! Three layers, all shared by every clone of a [`Wire`](super::Wire):
//! - a concurrency cap per operation (`concurrency: 5` on history);
//! - each operation's documented rates (`1/5s` on live orders, `10/s` on snapshots, ...),
//!   plus an adaptive spacing that grows after each 429 on that operation and decays again;
//! - one global rate for the whole session (10/s through the gateway, 50/s over OAuth).
//!
//! Rates use governor's GCRA with a burst of one, so requests are spread evenly and no
//! one-second window ever holds more than the limit. Time is tokio's, so tests can pause it.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::operations::{self, Operation, Rate};

/// governor's clock, read from tokio's (pausable) clock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TokioClock {
    origin: tokio::time::Instant,
}

impl TokioClock {
    fn new() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

type Limiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>;

fn limiter(rate: Rate, clock: TokioClock) -> Option<Limiter> {
    let count = rate.count.max(1);
    let period = rate.per / count;
    let quota = Quota::with_period(period)?.allow_burst(NonZeroU32::new(1)?);
    Some(RateLimiter::direct_with_clock(quota, clock))
}

async fn wait_for(limiter: &Limiter, clock: &TokioClock) {
    while let Err(not_until) = limiter.check() {
        super::pause(not_until.wait_time_from(clock.now())).await;
    }
}

/// The adaptive spacing of one operation after 429s.
#[derive(Debug, Default)]
struct Backoff {
    spacing: Duration,
    next: Duration,
}

/// Limits for one session, built from the operations table.
pub(crate) struct Pacer {
    clock: TokioClock,
    global: Option<Limiter>,
    /// By [`Operation::index`]: the documented rates and concurrency cap of each operation.
    per_operation: Vec<Vec<Limiter>>,
    concurrency: Vec<Option<Arc<Semaphore>>>,
    adaptive: Mutex<HashMap<&'static str, Backoff>>,
    /// How many operations `adaptive` holds: the common case (none) takes no lock.
    adaptive_entries: AtomicUsize,
    adaptive_floor: Duration,
    adaptive_ceiling: Duration,
}

/// Held while a request is in flight: releases the operation's concurrency slot on drop.
pub(crate) struct Slot {
    _permit: Option<OwnedSemaphorePermit>,
}

impl Pacer {
    pub(crate) fn new(global: Option<Rate>, per_operation_limits: bool) -> Self {
        let clock = TokioClock::new();
        let ops = operations::all();
        let (per_operation, concurrency) = if per_operation_limits {
            let rates = ops
                .iter()
                .map(|op| op.rates.iter().filter_map(|r| limiter(*r, clock)).collect())
                .collect();
            let caps = ops
                .iter()
                .map(|op| op.concurrency.map(|n| Arc::new(Semaphore::new(n as usize))))
                .collect();
            (rates, caps)
        } else {
            (Vec::new(), Vec::new())
        };
        Self {
            clock,
            global: global.and_then(|r| limiter(r, clock)),
            per_operation,
            concurrency,
            adaptive: Mutex::new(HashMap::new()),
            adaptive_entries: AtomicUsize::new(0),
            adaptive_floor: Duration::from_millis(500),
            adaptive_ceiling: Duration::from_secs(5),
        }
    }

    /// Wait until `op` may be sent; hold the returned slot until the response arrives.
    pub(crate) async fn acquire(&self, op: Option<&'static Operation>) -> Slot {
        let Some(op) = op else {
            if let Some(g) = &self.global {
                wait_for(g, &self.clock).await;
            }
            return Slot { _permit: None };
        };
        let index = op.index();
        let permit = match index.and_then(|i| self.concurrency.get(i)) {
            Some(Some(sem)) => match sem.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                // Boxed, as every wait here (see `super::pause`).
                Err(_) => Box::pin(sem.clone().acquire_owned()).await.ok(),
            },
            _ => None,
        };
        while self.adaptive_entries.load(Ordering::Acquire) > 0 {
            let wait = {
                let mut adaptive = self.adaptive.lock().unwrap_or_else(|e| e.into_inner());
                match adaptive.get_mut(op.id) {
                    Some(b) if !b.spacing.is_zero() => {
                        let now = self.clock.now();
                        if b.next <= now {
                            b.next = now + b.spacing;
                            Duration::ZERO
                        } else {
                            b.next - now
                        }
                    }
                    _ => Duration::ZERO,
                }
            };
            if wait.is_zero() {
                break;
            }
            super::pause(wait).await;
        }
        if let Some(limiters) = index.and_then(|i| self.per_operation.get(i)) {
            for l in limiters {
                wait_for(l, &self.clock).await;
            }
        }
        if let Some(g) = &self.global {
            wait_for(g, &self.clock).await;
        }
        Slot { _permit: permit }
    }

    /// A 429 on `op`: double its spacing (at least the floor, at most the ceiling).
    pub(crate) fn rate_limited(&self, op: &'static str) -> Duration {
        let mut adaptive = self.adaptive.lock().unwrap_or_else(|e| e.into_inner());
        let b = adaptive.entry(op).or_default();
        b.spacing = (b.spacing * 2).clamp(self.adaptive_floor, self.adaptive_ceiling);
        b.next = self.clock.now() + b.spacing;
        let spacing = b.spacing;
        self.adaptive_entries
            .store(adaptive.len(), Ordering::Release);
        spacing
    }

    /// A success on `op`: halve its spacing, back towards nothing.
    pub(crate) fn succeeded(&self, op: &'static str) {
        if self.adaptive_entries.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut adaptive = self.adaptive.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = adaptive.get_mut(op) {
            b.spacing /= 2;
            if b.spacing < Duration::from_millis(50) {
                adaptive.remove(op);
                self.adaptive_entries
                    .store(adaptive.len(), Ordering::Release);
            }
        }
    }

    /// The current adaptive spacing of `op` (zero when it has had no recent 429).
    pub(crate) fn spacing(&self, op: &str) -> Duration {
        let adaptive = self.adaptive.lock().unwrap_or_else(|e| e.into_inner());
        adaptive.get(op).map(|b| b.spacing).unwrap_or_default()
    }
}
