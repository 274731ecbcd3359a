//! Per-request overhead of `ibkr-ext` against bare `reqwest` (the same client settings,
//! including the 30 s request timeout `ibkr-ext` sets by default, and the `User-Agent`
//! IBKR requires on every request), on the same loopback server, in the same run: both
//! fetch `/iserver/accounts` and decode it into the generated type.
//! `ibkr-ext` adds the wire rules, pacing checks (a limit high enough never to wait),
//! the order lane, tracing and error mapping.
//!
//! The figure: 10,000 sequential requests per side in paired rounds (`paired.rs`). Prints
//! `FIGURE request overhead vs bare reqwest: 1.04x`.

#[path = "paired.rs"]
mod paired;

use std::convert::Infallible;
use std::time::Duration;

use criterion::Criterion;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use ibkr_gen::trading::types::UserAccountsResponse;

const BODY: &[u8] = br#"{"accounts":["DU1234567"],"selectedAccount":"DU1234567","isPaper":true,"aliases":{"DU1234567":"DU1234567"},"groups":[],"profiles":[]}"#;

async fn serve() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_| async {
                    Ok::<_, Infallible>(
                        hyper::Response::builder()
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from_static(BODY)))
                            .unwrap(),
                    )
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    addr
}

fn main() {
    let quick = std::env::var_os("IBKR_BENCH_QUICK").is_some();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(serve());
    let base = format!("http://{addr}/v1/api");
    // `ibkr-ext` bounds every request by default (30 s, `IbkrBuilder::timeout`) so that a
    // hung call ends; the baseline is the same reqwest client with the same bound. A
    // per-request timer is not free (tokio's timer wheel, parking with a deadline), so the
    // figure against reqwest without one is printed too.
    let timeout = Duration::from_secs(30);
    // IBKR answers nothing without a `User-Agent`: the baseline sends one, as `ibkr-ext` does.
    let user_agent = concat!("ibkr-ext/", env!("CARGO_PKG_VERSION"));
    let bare = ibkr_gen::http_client_builder()
        .user_agent(user_agent)
        .timeout(timeout)
        .build()
        .unwrap();
    let unbounded = ibkr_gen::http_client_builder()
        .user_agent(user_agent)
        .build()
        .unwrap();
    let ibkr = ibkr_ext::Ibkr::builder()
        .base_url(&base)
        .global_rate_limit(1_000_000)
        .without_keepalive()
        .timeout(Some(timeout))
        .build()
        .unwrap();
    let url = format!("{base}/iserver/accounts");

    let plain = |client: &reqwest::Client| {
        let request = client.get(&url);
        async move {
            let r: UserAccountsResponse = request.send().await.unwrap().json().await.unwrap();
            assert_eq!(r.accounts.len(), 1);
        }
    };
    let bare_once = || plain(&bare);
    let unbounded_once = || plain(&unbounded);
    let ext_once = || async {
        let r = ibkr.api().get_accounts().await.unwrap();
        assert_eq!(r.accounts.len(), 1);
    };

    // `IBKR_BENCH_PROFILE=bare|unbounded|ext`: only that side, `IBKR_BENCH_PROFILE_N`
    // requests (default 2,000), no statistics; for `valgrind --tool=callgrind`, whose
    // instruction counts per request are exact where wall time on a shared machine is not.
    if let Ok(side) = std::env::var("IBKR_BENCH_PROFILE") {
        let n: usize = std::env::var("IBKR_BENCH_PROFILE_N")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(2_000);
        rt.block_on(async {
            for _ in 0..n {
                match side.as_str() {
                    "bare" => bare_once().await,
                    "unbounded" => unbounded_once().await,
                    _ => ext_once().await,
                }
            }
        });
        return;
    }

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(if quick { 1 } else { 3 }))
        .configure_from_args();
    let mut group = c.benchmark_group("request");
    group.bench_function("bare reqwest", |b| b.to_async(&rt).iter(bare_once));
    group.bench_function("ibkr-ext", |b| b.to_async(&rt).iter(ext_once));
    group.finish();
    c.final_summary();

    // The figure (see the module docs).
    let (rounds, per_round) = if quick { (20, 100) } else { (100, 100) };
    let (bare_side, ext_side, unbounded_side) = (0, 1, 2);
    let r = paired::run(&rt, 3, rounds, per_round, |side| async move {
        match side {
            0 => bare_once().await,
            1 => ext_once().await,
            _ => unbounded_once().await,
        }
    });
    println!(
        "FIGURE request latency: bare reqwest {:.1} µs (no timeout {:.1} µs), ibkr-ext {:.1} µs ({} sequential requests each)",
        r.micros(bare_side),
        r.micros(unbounded_side),
        r.micros(ext_side),
        r.requests()
    );
    println!(
        "FIGURE request overhead vs bare reqwest: {:.2}x",
        r.ratio(ext_side, bare_side)
    );
    println!(
        "FIGURE request overhead vs bare reqwest without a timeout: {:.2}x",
        r.ratio(ext_side, unbounded_side)
    );
}
