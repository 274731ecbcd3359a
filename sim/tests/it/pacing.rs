//! Pacing: history concurrency, global rate, per-endpoint rates, penalty box.

use std::time::Duration;

use crate::common::sim_with;
use ibkr_sim::{EndpointLimit, Gateway, Limits, Rate};

/// Run the futures concurrently as tasks and collect their outputs in order.
async fn join_all<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

fn builder() -> ibkr_sim::GatewayBuilder {
    Gateway::builder().plain_http().brokerage_session(true)
}

#[tokio::test]
async fn a_sixth_concurrent_history_request_gets_an_empty_429() {
    let mut limits = Limits::unlimited();
    limits.history_concurrency = Some(5);
    let s = sim_with(builder().limits(limits).latency(Duration::from_millis(150))).await;
    let url = s.url("/iserver/marketdata/history?conid=265598&period=1d&bar=1h");
    let calls: Vec<_> = (0..6)
        .map(|_| {
            let http = s.http.clone();
            let url = url.clone();
            async move {
                let r = http.get(url).send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        })
        .collect();
    let results = join_all(calls).await;
    let throttled: Vec<_> = results.iter().filter(|(s, _)| *s == 429).collect();
    assert_eq!(throttled.len(), 1, "{results:?}");
    assert_eq!(throttled[0].1, "", "429 bodies are empty");
    assert_eq!(results.iter().filter(|(s, _)| *s == 200).count(), 5);
    let inspect = s.gw.inspect();
    assert_eq!(inspect.max_concurrent_history(), 5);
    assert_eq!(inspect.throttled(), 1);
    assert_eq!(
        inspect.throttled_by_path()["/iserver/marketdata/history"],
        1
    );
}

#[tokio::test]
async fn more_than_ten_requests_in_a_second_get_429() {
    let mut limits = Limits::unlimited();
    limits.global = Some(Rate::per_second(10));
    let s = sim_with(builder().limits(limits)).await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(s.get("/iserver/accounts").await.status);
    }
    assert_eq!(&statuses[..10], &[200; 10]);
    assert_eq!(&statuses[10..], &[429, 429]);
    assert_eq!(s.gw.inspect().throttled(), 2);
}

#[tokio::test]
async fn the_global_budget_refills_after_its_window() {
    let mut limits = Limits::unlimited();
    limits.global = Some(Rate::new(3, Duration::from_millis(150)));
    let s = sim_with(builder().limits(limits)).await;
    for _ in 0..3 {
        assert_eq!(s.get("/iserver/accounts").await.status, 200);
    }
    assert_eq!(s.get("/iserver/accounts").await.status, 429);
    tokio::time::sleep(Duration::from_millis(170)).await;
    assert_eq!(s.get("/iserver/accounts").await.status, 200);
}

#[tokio::test]
async fn live_orders_are_limited_to_one_per_window() {
    let mut limits = Limits::unlimited();
    limits.endpoints.push(EndpointLimit::new(
        "GET",
        "/iserver/account/orders",
        Rate::new(1, Duration::from_millis(200)),
    ));
    let s = sim_with(builder().limits(limits)).await;
    assert_eq!(s.get("/iserver/account/orders").await.status, 200);
    assert_eq!(s.get("/iserver/account/orders").await.status, 429);
    // Other endpoints are not affected.
    assert_eq!(s.get("/iserver/accounts").await.status, 200);
    tokio::time::sleep(Duration::from_millis(220)).await;
    assert_eq!(s.get("/iserver/account/orders").await.status, 200);
}

#[tokio::test]
async fn ibkr_default_limits_pace_orders_trades_pnl_and_snapshot() {
    let s = sim_with(builder()).await;
    for path in [
        "/iserver/account/orders",
        "/iserver/account/trades",
        "/iserver/account/pnl/partitioned",
    ] {
        assert_eq!(s.get(path).await.status, 200, "{path}");
        assert_eq!(s.get(path).await.status, 429, "{path}: 1 per 5 s");
    }
    let defaults = Limits::default();
    assert!(
        defaults
            .endpoints
            .iter()
            .any(|l| l.path == "/iserver/marketdata/snapshot" && l.rate == Rate::per_second(10))
    );
    assert_eq!(defaults.history_concurrency, Some(5));
    assert_eq!(defaults.global, Some(Rate::per_second(10)));
}

#[tokio::test]
async fn snapshot_is_limited_to_ten_per_second() {
    let mut limits = Limits::unlimited();
    limits.endpoints = Limits::default()
        .endpoints
        .into_iter()
        .filter(|l| l.path == "/iserver/marketdata/snapshot")
        .collect();
    let s = sim_with(builder().limits(limits)).await;
    let mut statuses = Vec::new();
    for _ in 0..11 {
        statuses.push(
            s.get("/iserver/marketdata/snapshot?conids=265598")
                .await
                .status,
        );
    }
    assert_eq!(statuses.iter().filter(|&&c| c == 429).count(), 1);
    assert_eq!(s.get("/iserver/accounts").await.status, 200);
}

#[tokio::test]
async fn the_penalty_box_answers_429_to_everything_for_a_while() {
    let mut limits = Limits::unlimited().with_penalty_box(Duration::from_millis(250));
    limits.global = Some(Rate::new(2, Duration::from_millis(50)));
    let s = sim_with(builder().limits(limits)).await;
    s.get("/iserver/accounts").await;
    s.get("/iserver/accounts").await;
    assert_eq!(s.get("/iserver/accounts").await.status, 429);
    tokio::time::sleep(Duration::from_millis(80)).await;
    // The window has refilled, but the box is still closed.
    assert_eq!(s.get("/portfolio/accounts").await.status, 429);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(s.get("/portfolio/accounts").await.status, 200);
}
