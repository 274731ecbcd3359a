//! Response shapes of the session endpoints against the real samples.

mod common;

use common::{assert_shape, fixture, sim};
use serde_json::json;

#[tokio::test]
async fn session_endpoints_have_the_real_shapes() {
    let s = sim().await;
    assert_shape(
        &s.post_empty("/tickle").await.body,
        &fixture("cp/POST_tickle.json"),
        &[],
    );
    assert_shape(
        &s.post("/iserver/auth/status", json!({})).await.body,
        &fixture("cp/POST_iserver_auth_status.json"),
        &[],
    );
    assert_shape(
        &s.post(
            "/iserver/auth/ssodh/init",
            json!({"publish": true, "compete": true}),
        )
        .await
        .body,
        &fixture("cp/POST_iserver_auth_ssodh_init.json"),
        &[],
    );
    assert_shape(
        &s.get("/sso/validate").await.body,
        &fixture("cp/GET_sso_validate.json"),
        &[],
    );
    assert_shape(
        &s.post("/iserver/marketdata/unsubscribe", json!({"conid": 1}))
            .await
            .body,
        &json!({"error": "x"}),
        &[],
    );
    assert_shape(
        &s.post_empty("/logout").await.body,
        &fixture("cp/POST_logout.json"),
        &[],
    );
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let s = sim().await;
    assert_eq!(s.get("/no/such/endpoint").await.status, 404);
}

#[tokio::test]
async fn trailing_slashes_are_accepted() {
    let s = sim().await;
    assert_eq!(s.get("/iserver/account/trades/").await.status, 200);
}
