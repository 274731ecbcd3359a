//! `history_many` against the simulator: 100 contracts of daily history, 50 ms of latency
//! per request, IBKR's rule of at most 5 concurrent history requests enforced by the
//! simulator. The pacing bound is ⌈100/5⌉ × 50 ms = 1 s; the target is ≤ 1.15× that, with
//! no failed item and no 429 in the steady state. Prints
//! `FIGURE history 100 symbols: 1043 ms (pacing bound 1000 ms): 1.04x, 0 failed, 0 429s`.

use std::time::{Duration, Instant};

use criterion::Criterion;
use futures::StreamExt;
use ibkr_ext::Ibkr;
use ibkr_sim::{Gateway, Limits};

const ITEMS: usize = 100;
const LATENCY: Duration = Duration::from_millis(50);
const CONCURRENCY: usize = 5;

fn main() {
    let quick = std::env::var_os("IBKR_BENCH_QUICK").is_some();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let gw = rt.block_on(async {
        Gateway::builder()
            .seed(1)
            .plain_http()
            .brokerage_session(true)
            .latency(LATENCY)
            .limits(Limits {
                history_concurrency: Some(CONCURRENCY),
                ..Limits::unlimited()
            })
            .start()
            .await
            .unwrap()
    });
    // The gateway's global 10/s would make this a pacing test; the point here is the
    // 5-concurrent rule, so the global limit is lifted on both sides.
    let ibkr = Ibkr::builder()
        .base_url(gw.base_url())
        .global_rate_limit(100_000)
        .without_keepalive()
        .build()
        .unwrap();
    let known = [
        265598i64, 272093, 756733, 136155102, 8314, 76792991, 4815747, 320227571, 4391, 3691937,
    ];
    let conids: Vec<i64> = (0..ITEMS).map(|i| known[i % known.len()]).collect();

    let run = || {
        let (ibkr, conids) = (ibkr.clone(), conids.clone());
        async move {
            let started = Instant::now();
            let results: Vec<_> = ibkr.history_many(conids, "1y", "1d").collect().await;
            let failed = results.iter().filter(|(_, r)| r.is_err()).count();
            (started.elapsed(), failed)
        }
    };

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(if quick { 3 } else { 12 }))
        .configure_from_args();
    c.bench_function("history_many 100 x 1y/1d @50ms", |b| {
        b.to_async(&rt).iter(run)
    });
    c.final_summary();

    // The figure: fresh runs after warm-up, median wall time, 429s counted by the simulator.
    let throttled_before = gw.inspect().throttled();
    let mut times = Vec::new();
    let mut failed = 0;
    for _ in 0..if quick { 3 } else { 7 } {
        let (t, f) = rt.block_on(run());
        times.push(t);
        failed += f;
    }
    times.sort();
    let median = times[times.len() / 2];
    let bound = LATENCY * ITEMS.div_ceil(CONCURRENCY) as u32;
    println!(
        "FIGURE history 100 symbols: {} ms (pacing bound {} ms): {:.2}x, {failed} failed, {} 429s",
        median.as_millis(),
        bound.as_millis(),
        median.as_secs_f64() / bound.as_secs_f64(),
        gw.inspect().throttled() - throttled_before
    );
}
