//! Session lifecycle: no bridge, ssodh/init, tickle, auth status, drops, logout, competing.

use crate::common::{fixture, sim_with};
use ibkr_sim::{Gateway, Limits};
use serde_json::json;

fn fresh() -> ibkr_sim::GatewayBuilder {
    Gateway::builder().plain_http().limits(Limits::unlimited())
}

#[tokio::test]
async fn iserver_answers_no_bridge_until_ssodh_init() {
    let s = sim_with(fresh()).await;
    let before = s.get("/iserver/accounts").await;
    assert_eq!(before.status, 400);
    assert_eq!(before.body, fixture("errors/400_no_bridge.json"));
    // Non-/iserver endpoints work on the read-only session.
    assert_eq!(s.get("/portfolio/accounts").await.status, 200);
    let status = s.post("/iserver/auth/status", json!({})).await;
    assert_eq!(status.body["authenticated"], false);

    let init = s
        .post(
            "/iserver/auth/ssodh/init",
            json!({"publish": true, "compete": true}),
        )
        .await;
    assert_eq!(init.status, 200);
    assert_eq!(init.body["authenticated"], true);
    assert_eq!(s.get("/iserver/accounts").await.status, 200);
}

#[tokio::test]
async fn ssodh_init_with_publish_false_is_a_500() {
    let s = sim_with(fresh()).await;
    let init = s
        .post(
            "/iserver/auth/ssodh/init",
            json!({"publish": false, "compete": true}),
        )
        .await;
    assert_eq!(init.status, 500);
}

#[tokio::test]
async fn tickle_reports_session_and_auth_status() {
    let s = sim_with(fresh().brokerage_session(true)).await;
    let t = s.post_empty("/tickle").await;
    assert_eq!(t.status, 200);
    let session = t.body["session"].as_str().unwrap();
    assert_eq!(session.len(), 32);
    assert!(session.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(t.body["iserver"]["authStatus"]["authenticated"], true);
    assert_eq!(t.body["iserver"]["authStatus"]["competing"], false);
    assert_eq!(t.body["iserver"]["authStatus"]["connected"], true);
    assert_eq!(t.body["hmds"]["error"], "no bridge");
}

#[tokio::test]
async fn a_dropped_session_answers_401_everywhere() {
    let s = sim_with(fresh().brokerage_session(true)).await;
    s.gw.control().drop_session();
    for path in ["/tickle", "/iserver/auth/status", "/portfolio/accounts"] {
        assert_eq!(s.post_empty(path).await.status, 401, "{path}");
    }
    assert_eq!(s.get("/iserver/accounts").await.status, 401);
    assert_eq!(s.get("/sso/validate").await.status, 401);
    s.gw.control().restore_session();
    assert_eq!(s.get("/portfolio/accounts").await.status, 200);
    assert_eq!(
        s.get("/iserver/accounts").await.status,
        400,
        "brokerage session must be reopened"
    );
}

#[tokio::test]
async fn logout_ends_the_session() {
    let s = sim_with(fresh().brokerage_session(true)).await;
    let out = s.post_empty("/logout").await;
    assert_eq!(out.body, json!({"status": true}));
    assert_eq!(s.post_empty("/tickle").await.status, 401);
}

#[tokio::test]
async fn a_competing_session_takes_the_bridge_until_compete_true() {
    let s = sim_with(fresh().brokerage_session(true)).await;
    s.gw.control().set_competing(true);
    let st = s.post("/iserver/auth/status", json!({})).await;
    assert_eq!(st.body["competing"], true);
    assert_eq!(st.body["authenticated"], false);
    assert_eq!(s.get("/iserver/accounts").await.status, 400);
    let keep = s
        .post(
            "/iserver/auth/ssodh/init",
            json!({"publish": true, "compete": false}),
        )
        .await;
    assert_eq!(keep.body["competing"], true);
    let take = s
        .post(
            "/iserver/auth/ssodh/init",
            json!({"publish": true, "compete": true}),
        )
        .await;
    assert_eq!(take.body["competing"], false);
    assert_eq!(s.get("/iserver/accounts").await.status, 200);
}

#[tokio::test]
async fn reauthenticate_answers_triggered_and_opens_the_brokerage_session() {
    let s = sim_with(fresh()).await;
    let v = s.get("/sso/validate").await;
    assert_eq!(v.body["RESULT"], true);
    let r = s.post_empty("/iserver/reauthenticate").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!({"message": "triggered"}));
    let status = s.post("/iserver/auth/status", json!({})).await;
    assert_eq!(status.body["authenticated"], true);
    s.gw.control().set_brokerage_session(false);
    assert_eq!(s.get("/iserver/accounts").await.status, 400);
}
