//! Response shapes of the session endpoints against the real samples.

use crate::common::{assert_shape, fixture, sim};
use serde_json::json;

#[tokio::test]
async fn session_endpoints_have_the_real_shapes() {
    let s = sim().await;
    assert_shape(
        &s.post_empty("/tickle").await.body,
        &fixture("responses/tickle/doc_cpapi_v1.json"),
        &[],
    );
    assert_shape(
        &s.post("/iserver/auth/status", json!({})).await.body,
        &fixture("responses/getAuthStatus/doc_cpapi_v1.json"),
        &[],
    );
    assert_shape(
        &s.post(
            "/iserver/auth/ssodh/init",
            json!({"publish": true, "compete": true}),
        )
        .await
        .body,
        &fixture("responses/initBrokerageSession/doc_cpapi_v1.json"),
        &[],
    );
    assert_shape(
        &s.get("/sso/validate").await.body,
        &fixture("responses/validateSso/doc_cpapi_v1.json"),
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
        &fixture("responses/logout/spec_success.json"),
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

#[tokio::test]
async fn a_post_without_content_length_is_411() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = sim().await;
    let mut stream = tokio::net::TcpStream::connect(s.gw.addr()).await.unwrap();
    stream
        .write_all(b"POST /v1/api/tickle HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 411"), "{answer}");
    assert_eq!(s.post_empty("/tickle").await.status, 200);
}
