//! Fault injection: 503s, malformed JSON, HTML pages, dropped connections, latency, counts.

use std::time::{Duration, Instant};

use crate::common::{sim, sim_with};
use ibkr_sim::{Fault, FaultRule, Gateway, Limits};

#[tokio::test]
async fn a_status_fault_answers_503_on_the_matching_path_only() {
    let s = sim().await;
    s.gw.control()
        .add_fault(FaultRule::new("/iserver/marketdata/*", Fault::Status(503)));
    let hit = s.get("/iserver/marketdata/snapshot?conids=265598").await;
    assert_eq!(hit.status, 503);
    assert_eq!(hit.text, "");
    assert_eq!(s.get("/iserver/accounts").await.status, 200);
    s.gw.control().clear_faults();
    assert_eq!(
        s.get("/iserver/marketdata/snapshot?conids=265598")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn malformed_json_is_cut_off() {
    let s = sim().await;
    s.gw.control()
        .add_fault(FaultRule::new("/iserver/accounts", Fault::MalformedJson).times(1));
    let broken = s.get("/iserver/accounts").await;
    assert_eq!(broken.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&broken.text).is_err());
    assert!(broken.text.starts_with('{'));
    let fine = s.get("/iserver/accounts").await;
    assert!(fine.body.is_object(), "the fault was for one request only");
}

#[tokio::test]
async fn an_html_error_page_replaces_the_json() {
    let s = sim().await;
    s.gw.control()
        .add_fault(FaultRule::new("/tickle", Fault::Html).method("POST"));
    let page = s.post_empty("/tickle").await;
    assert_eq!(page.status, 200);
    assert!(page.text.starts_with("<!DOCTYPE html>"));
}

#[tokio::test]
async fn a_dropped_connection_gets_no_answer() {
    let s = sim().await;
    s.gw.control()
        .add_fault(FaultRule::new("/iserver/accounts", Fault::Drop).times(2));
    let url = s.url("/iserver/accounts");
    assert!(s.http.get(&url).send().await.is_err());
    assert!(s.http.get(&url).send().await.is_err());
    assert_eq!(s.get("/iserver/accounts").await.status, 200);
    let dropped = s.gw.inspect().requests();
    assert_eq!(dropped.iter().filter(|r| r.status.is_none()).count(), 2);
}

#[tokio::test]
async fn latency_faults_and_builder_latency_delay_answers() {
    let s = sim().await;
    s.gw.control().add_fault(FaultRule::new(
        "/iserver/accounts",
        Fault::Latency(Duration::from_millis(120)),
    ));
    let t = Instant::now();
    s.get("/iserver/accounts").await;
    assert!(t.elapsed() >= Duration::from_millis(120));
    let t = Instant::now();
    s.get("/portfolio/accounts").await;
    assert!(t.elapsed() < Duration::from_millis(100));

    let slow = sim_with(
        Gateway::builder()
            .plain_http()
            .limits(Limits::unlimited())
            .latency(Duration::from_millis(80)),
    )
    .await;
    let t = Instant::now();
    slow.get("/sso/validate").await;
    assert!(t.elapsed() >= Duration::from_millis(80));
}

#[tokio::test]
async fn faults_set_at_build_time_apply_from_the_start() {
    let s = sim_with(
        Gateway::builder()
            .plain_http()
            .brokerage_session(true)
            .limits(Limits::unlimited())
            .fault(
                FaultRule::new("/iserver/account/*/orders", Fault::Status(503))
                    .method("POST")
                    .times(1),
            ),
    )
    .await;
    let order =
        serde_json::json!({"conid": 265598, "side": "BUY", "orderType": "MKT", "quantity": 1});
    assert_eq!(s.place(order.clone()).await.status, 503);
    assert_eq!(s.place(order).await.status, 200);
}

#[tokio::test]
async fn the_inspector_records_requests() {
    let s = sim().await;
    s.get("/trsrv/stocks?symbols=AAPL").await;
    s.post(
        "/iserver/secdef/search",
        serde_json::json!({"symbol": "IBM"}),
    )
    .await;
    let r = s.gw.inspect().requests();
    assert_eq!(r[0].method, "GET");
    assert_eq!(r[0].path, "/trsrv/stocks");
    assert_eq!(r[0].query.as_deref(), Some("symbols=AAPL"));
    assert_eq!(r[0].status, Some(200));
    assert_eq!(r[1].body, "{\"symbol\":\"IBM\"}");
    assert_eq!(s.gw.inspect().count("GET", "/trsrv/stocks"), 1);
    s.gw.inspect().clear();
    assert!(s.gw.inspect().requests().is_empty());
}
