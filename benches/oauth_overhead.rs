//! What OAuth 1.0a costs per request and per login, on loopback.
//!
//! - Per request: an OAuth-signed `ibkr-ext` call (HMAC-SHA256 under the live session
//!   token, fresh nonce and timestamp, the whole wire) against bare `reqwest`, both fetching
//!   `/iserver/accounts` from the same minimal server and decoding it. The server answers the
//!   one live session token request through `ibkr-sim`'s consumer (signature checked, DH
//!   answered) and serves every other request without checking, so the figure is the
//!   client's cost. Goal: at most 1.10x.
//! - Per login: the live session token handshake against the simulator (RSA-SHA256 signing,
//!   two 2048-bit modular exponentiations on each side, validation).
//!
//! Prints `FIGURE ...` lines; `cargo xtask bench` collects them.

#[path = "paired.rs"]
mod paired;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use ibkr_ext::oauth::OAuth1Config;
use ibkr_gen::trading::types::UserAccountsResponse;
use ibkr_sim::oauth::{OAuth1Consumer, SimConsumer};

const BODY: &[u8] = br#"{"accounts":["DU1234567"],"selectedAccount":"DU1234567","isPaper":true,"aliases":{"DU1234567":"DU1234567"},"groups":[],"profiles":[]}"#;

async fn serve(consumer: Arc<OAuth1Consumer>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let consumer = consumer.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let consumer = consumer.clone();
                        async move {
                            let path = req.uri().path().to_string();
                            let body = if path.ends_with("/oauth/live_session_token") {
                                let host = req
                                    .headers()
                                    .get("host")
                                    .and_then(|h| h.to_str().ok())
                                    .unwrap_or_default();
                                let url = format!("http://{host}{path}");
                                let auth = req
                                    .headers()
                                    .get("authorization")
                                    .and_then(|h| h.to_str().ok())
                                    .unwrap_or_default()
                                    .to_string();
                                let _ = req.into_body().collect().await;
                                Bytes::from(
                                    consumer.answer_live_session_token(&url, &auth).unwrap(),
                                )
                            } else {
                                Bytes::from_static(BODY)
                            };
                            Ok::<_, Infallible>(
                                hyper::Response::builder()
                                    .header("content-type", "application/json")
                                    .body(Full::new(body))
                                    .unwrap(),
                            )
                        }
                    },
                );
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
    let sim_consumer = SimConsumer::generate().unwrap();
    let dir = std::env::temp_dir().join(format!("ibkr-bench-oauth-{}", std::process::id()));
    let files = sim_consumer.write_to(&dir).unwrap();
    let config = || OAuth1Config::from_file(&files.oauth1_config).unwrap();

    let addr = rt.block_on(serve(Arc::new(sim_consumer.oauth1())));
    let base = format!("http://{addr}/v1/api");
    // The baseline has what every `ibkr-ext` request has: the `User-Agent` IBKR requires and
    // the default 30 s request timeout.
    let bare = ibkr_gen::http_client_builder()
        .user_agent(concat!("ibkr-ext/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let signed = {
        let _guard = rt.enter();
        ibkr_ext::Ibkr::builder()
            .oauth1(config())
            .base_url(&base)
            .global_rate_limit(1_000_000)
            .without_keepalive()
            .build()
            .unwrap()
    };
    let unsigned = {
        let _guard = rt.enter();
        ibkr_ext::Ibkr::builder()
            .base_url(&base)
            .global_rate_limit(1_000_000)
            .without_keepalive()
            .build()
            .unwrap()
    };
    let url = format!("{base}/iserver/accounts");

    let bare_once = || async {
        let r: UserAccountsResponse = bare.get(&url).send().await.unwrap().json().await.unwrap();
        assert_eq!(r.accounts.len(), 1);
    };
    let signed_once = || async {
        let r = signed.api().get_accounts().await.unwrap();
        assert_eq!(r.accounts.len(), 1);
    };
    let unsigned_once = || async {
        let r = unsigned.api().get_accounts().await.unwrap();
        assert_eq!(r.accounts.len(), 1);
    };
    rt.block_on(signed_once()); // the handshake, outside the measurement

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(if quick { 1 } else { 3 }))
        .configure_from_args();
    let mut group = c.benchmark_group("oauth");
    group.bench_function("bare reqwest", |b| b.to_async(&rt).iter(bare_once));
    group.bench_function("ibkr-ext OAuth 1.0a signed", |b| {
        b.to_async(&rt).iter(signed_once)
    });
    group.finish();
    c.final_summary();

    // 10,000 sequential requests each, in paired rounds (`paired.rs`).
    let (rounds, per_round) = if quick { (20, 100) } else { (100, 100) };
    let (bare_side, unsigned_side, signed_side) = (0, 1, 2);
    let r = paired::run(&rt, 3, rounds, per_round, |side| async move {
        match side {
            0 => bare_once().await,
            1 => unsigned_once().await,
            _ => signed_once().await,
        }
    });
    println!(
        "FIGURE OAuth 1.0a signed request latency: bare reqwest {:.1} µs, ibkr-ext unsigned {:.1} µs, ibkr-ext signed {:.1} µs ({} sequential requests each)",
        r.micros(bare_side),
        r.micros(unsigned_side),
        r.micros(signed_side),
        r.requests()
    );
    println!(
        "FIGURE OAuth 1.0a signed request overhead vs bare reqwest: {:.2}x",
        r.ratio(signed_side, bare_side)
    );
    println!(
        "FIGURE OAuth 1.0a signing cost (signed vs unsigned ibkr-ext): {:.2}x",
        r.ratio(signed_side, unsigned_side)
    );

    // The handshake against the simulator: a fresh client's first call, less a call with a
    // token in hand.
    let rounds = if quick { 5 } else { 20 };
    let (handshake, call) = rt.block_on(async {
        let gw = ibkr_sim::Gateway::builder()
            .plain_http()
            .limits(ibkr_sim::Limits::unlimited())
            .oauth1(sim_consumer.oauth1())
            .start()
            .await
            .unwrap();
        let mut first = Duration::ZERO;
        let mut steady = Duration::ZERO;
        for _ in 0..rounds {
            let ibkr = ibkr_ext::Ibkr::builder()
                .oauth1(config())
                .base_url(gw.base_url())
                .without_pacing()
                .without_keepalive()
                .build()
                .unwrap();
            let s = Instant::now();
            ibkr.tickle().await.unwrap();
            first += s.elapsed();
            let s = Instant::now();
            ibkr.tickle().await.unwrap();
            steady += s.elapsed();
        }
        gw.shutdown().await;
        (first / rounds, steady / rounds)
    });
    println!(
        "FIGURE OAuth 1.0a live session token handshake against the simulator: {:.1} ms (first call {:.1} ms less a signed call {:.2} ms, mean of {rounds})",
        handshake.saturating_sub(call).as_secs_f64() * 1e3,
        handshake.as_secs_f64() * 1e3,
        call.as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(&dir);
}
