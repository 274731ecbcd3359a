//! `history_many` against the simulator: 100 contracts of daily history, 50 ms of latency
//! per request, IBKR's rule of at most 5 concurrent history requests enforced by the
//! simulator. The nominal pacing bound is ⌈100/5⌉ × 50 ms = 1 s. Two baselines are measured
//! in the same run, against the same simulator:
//! - one request at a time with bare `reqwest`: what one request really costs here (the
//!   simulator's 50 ms sleep overshoots by its timer's millisecond granularity, and it builds
//!   a year of bars). ⌈100/5⌉ of those is the pacing bound on this simulator;
//! - bare `reqwest` fetching the same 100 answers, 5 in flight, each decoded into the same
//!   generated type: `history_many` against it is the SDK's own overhead.
//!
//! Prints, for example,
//! `FIGURE history 100 symbols: 1043 ms (pacing bound 1000 ms): 1.04x, 0 failed, 0 429s`
//! `FIGURE history 100 symbols vs the pacing bound on this simulator (20 x 51.2 ms = 1024 ms): 1.02x`
//! `FIGURE history 100 symbols vs bare reqwest on the same simulator (1021 ms): 1.02x`.

use std::time::{Duration, Instant};

use criterion::Criterion;
use futures::StreamExt;
use ibkr_ext::{BarSize, Ibkr, Period};
use ibkr_gen::trading::types::MarketDataHistory;
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
            let results: Vec<_> = ibkr
                .history_many(conids, Period::Years(1), BarSize::Day1)
                .collect()
                .await;
            let failed = results.iter().filter(|(_, r)| r.is_err()).count();
            (started.elapsed(), failed)
        }
    };

    // The baselines: the same requests by hand, the same decode; 5 in flight (`bare`) or
    // one at a time (`lane`, one lane's worth of requests).
    let http = ibkr_gen::http_client_builder().build().unwrap();
    let url = format!("{}/iserver/marketdata/history", gw.base_url());
    let fetch = move |conid: i64| {
        let request = http
            .get(&url)
            .query(&[("conid", conid.to_string().as_str()), ("period", "1y")])
            .query(&[("bar", "1d"), ("outsideRth", "false")]);
        async move {
            let response = request.send().await.ok()?.error_for_status().ok()?;
            let h: MarketDataHistory = response.json().await.ok()?;
            (!h.data.is_empty()).then_some(())
        }
    };
    let lane_len = ITEMS.div_ceil(CONCURRENCY);
    let lane = || {
        let (fetch, conids) = (fetch.clone(), conids.clone());
        async move {
            let started = Instant::now();
            for &conid in &conids[..lane_len] {
                fetch(conid)
                    .await
                    .expect("the one-at-a-time baseline failed");
            }
            started.elapsed()
        }
    };
    let bare = || {
        let (fetch, conids) = (fetch.clone(), conids.clone());
        async move {
            let started = Instant::now();
            let failed = futures::stream::iter(conids)
                .map(fetch)
                .buffer_unordered(CONCURRENCY)
                .filter(|r| futures::future::ready(r.is_none()))
                .count()
                .await;
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
    // Interleaved, so that drift on a shared machine hits both sides alike.
    let (mut times, mut bare_times, mut lane_times) = (Vec::new(), Vec::new(), Vec::new());
    let mut failed = 0;
    for _ in 0..if quick { 3 } else { 7 } {
        let (t, f) = rt.block_on(run());
        times.push(t);
        failed += f;
        let (t, f) = rt.block_on(bare());
        assert_eq!(f, 0, "the baseline failed {f} of {ITEMS} requests");
        bare_times.push(t);
        lane_times.push(rt.block_on(lane()));
    }
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let measured_bound = median(&mut lane_times);
    let (median, bare_median) = (median(&mut times), median(&mut bare_times));
    let bound = LATENCY * lane_len as u32;
    println!(
        "FIGURE history 100 symbols: {} ms (pacing bound {} ms): {:.2}x, {failed} failed, {} 429s",
        median.as_millis(),
        bound.as_millis(),
        median.as_secs_f64() / bound.as_secs_f64(),
        gw.inspect().throttled() - throttled_before
    );
    println!(
        "FIGURE history 100 symbols vs the pacing bound on this simulator ({lane_len} x {:.1} ms = {} ms): {:.2}x",
        measured_bound.as_secs_f64() * 1000.0 / lane_len as f64,
        measured_bound.as_millis(),
        median.as_secs_f64() / measured_bound.as_secs_f64()
    );
    println!(
        "FIGURE history 100 symbols vs bare reqwest on the same simulator ({} ms): {:.2}x",
        bare_median.as_millis(),
        median.as_secs_f64() / bare_median.as_secs_f64()
    );
}
