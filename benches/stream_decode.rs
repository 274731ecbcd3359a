//! The WebSocket's hot path and its latency.
//!
//! 1. `smd` decode and merge on one core: [`QuoteMerger::apply`] (one pass over the frame,
//!    values merged into the last quote with the REST snapshot's decoder) against a bare
//!    `serde_json::from_str::<Value>` of the same frames, in the same run.
//! 2. Tick-to-stream latency on loopback: the simulator moves a price
//!    (`SocketControl::set_last_price`), its socket pushes the `smd` frame, the client's
//!    connection manager merges it and the subscription hands out the quote.
//!
//! Prints, one a line:
//! `FIGURE smd decode+merge: 2.1 M msg/s on one core`,
//! `FIGURE smd decode+merge vs bare serde_json parse: 0.55x`,
//! `FIGURE tick-to-stream latency on loopback: p50 0.21 ms, p99 0.48 ms`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ibkr_ext::stream::StreamEvent;
use ibkr_ext::stream::internals::QuoteMerger;
use ibkr_ext::{Conid, Field};

/// Frames like the gateway's: a few changed fields, the conid, the server id, the topic.
fn frames(n: usize) -> Vec<String> {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let conids: Vec<u64> = (0..50).map(|i| 265_598 + i * 7).collect();
    (0..n)
        .map(|i| {
            let conid = conids[(next() % 50) as usize];
            let last = 100.0 + (next() % 10_000) as f64 / 100.0;
            let mut f = format!(r#"{{"31":"{last:.2}","84":"{:.2}","86":"{:.2}""#, last - 0.01, last + 0.01);
            if i % 2 == 0 {
                f.push_str(&format!(r#","85":"{}","88":"{}""#, 100 * (next() % 30), 100 * (next() % 30)));
            }
            if i % 3 == 0 {
                f.push_str(&format!(r#","87":"{:.2}M","7762":"{}""#, (next() % 5000) as f64 / 100.0, next() % 50_000_000));
            }
            f.push_str(&format!(
                r#","6119":"q{0}","server_id":"q{0}","_updated":{1},"conid":{2},"conidEx":"{2}","topic":"smd+{2}"}}"#,
                conid % 100,
                1_712_596_911_593u64 + i as u64,
                conid
            ));
            f
        })
        .collect()
}

/// Best of `rounds` passes over the frames, in messages per second.
fn rate(frames: &[String], rounds: usize, mut f: impl FnMut(&str)) -> f64 {
    let mut best = Duration::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        for frame in frames {
            f(frame);
        }
        best = best.min(start.elapsed());
    }
    frames.len() as f64 / best.as_secs_f64()
}

fn decode(quick: bool) {
    let frames = frames(if quick { 50_000 } else { 200_000 });
    let rounds = if quick { 3 } else { 10 };
    let bare = rate(&frames, rounds, |f| {
        black_box(serde_json::from_str::<serde_json::Value>(f).ok());
    });
    let mut merger = QuoteMerger::default();
    let ours = rate(&frames, rounds, |f| {
        black_box(merger.apply(f).ok());
    });
    // Sanity: the merge really happened.
    assert!(
        merger
            .quote(Conid(265_598))
            .and_then(|q| q.number(Field::LastPrice))
            .is_some()
    );
    println!(
        "FIGURE smd decode+merge: {:.2} M msg/s on one core",
        ours / 1e6
    );
    println!(
        "FIGURE bare serde_json parse of the same smd frames: {:.2} M msg/s",
        bare / 1e6
    );
    println!(
        "FIGURE smd decode+merge vs bare serde_json parse: {:.2}x (time per message)",
        bare / ours
    );
}

fn latency(quick: bool) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let gw = ibkr_sim::Gateway::builder()
            .plain_http()
            .brokerage_session(true)
            .limits(ibkr_sim::Limits::unlimited())
            .start()
            .await
            .unwrap();
        let socket = gw.control().socket();
        // Prices move only when the bench moves them.
        socket.set_tick(Duration::from_secs(3600));
        socket.set_system_delay(Duration::ZERO);
        let ibkr = ibkr_ext::Ibkr::builder()
            .base_url(gw.base_url())
            .without_pacing()
            .without_keepalive()
            .build()
            .unwrap();
        let streams = ibkr.stream().unwrap();
        let aapl = Conid(265_598);
        let mut quotes = streams.quotes(&[aapl], &[Field::LastPrice]);
        while !matches!(quotes.next().await, Some(StreamEvent::Data(_))) {}
        let n = if quick { 300 } else { 3000 };
        let mut samples = Vec::with_capacity(n);
        for i in 0..n {
            // Every tick differs from the one before.
            let price = 150.0 + (i % 1000) as f64 / 100.0;
            let start = Instant::now();
            socket.set_last_price(aapl.0 as u64, price);
            let want = format!("{price:.2}");
            loop {
                match tokio::time::timeout(Duration::from_secs(5), quotes.next()).await {
                    Ok(Some(StreamEvent::Data(u))) => {
                        if u.quote.get(Field::LastPrice).is_some_and(|v| v.raw == want) {
                            break;
                        }
                    }
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                }
            }
            samples.push(start.elapsed());
        }
        samples.sort();
        let p = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize].as_secs_f64() * 1e3;
        println!(
            "FIGURE tick-to-stream latency on loopback: p50 {:.3} ms, p99 {:.3} ms ({} ticks)",
            p(0.50),
            p(0.99),
            samples.len()
        );
    });
}

fn main() {
    let quick = std::env::var_os("IBKR_BENCH_QUICK").is_some();
    decode(quick);
    latency(quick);
}
