//! Starting: speed, HTTPS with a pinned certificate, determinism, shutdown.

use std::time::{Duration, Instant};

use crate::common::{client, sim_with};
use ibkr_sim::{Gateway, Limits};

#[tokio::test]
async fn starts_in_under_200_ms_with_https() {
    // Warm the allocator and the crypto provider once, then measure.
    let _warm = Gateway::builder().start().await.unwrap();
    let started = Instant::now();
    let gw = Gateway::builder().seed(7).start().await.unwrap();
    let took = started.elapsed();
    eprintln!("start() with HTTPS took {took:?}");
    assert!(took < Duration::from_millis(200), "start took {took:?}");
    assert!(gw.base_url().starts_with("https://127.0.0.1:"));
    assert!(gw.base_url().ends_with("/v1/api"));
}

#[tokio::test]
async fn https_works_with_the_pinned_certificate_and_fails_without() {
    let gw = Gateway::builder()
        .brokerage_session(true)
        .start()
        .await
        .unwrap();
    let pem = gw.cert_pem().expect("HTTPS has a certificate");
    assert!(pem.contains("BEGIN CERTIFICATE"));
    let pinned = client(Some(&pem));
    let ok = pinned
        .post(format!("{}/tickle", gw.base_url()))
        .header("content-length", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let localhost = gw.base_url().replace("127.0.0.1", "localhost");
    let ok = pinned
        .get(format!("{localhost}/sso/validate"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let untrusting = client(None);
    assert!(
        untrusting
            .get(format!("{}/sso/validate", gw.base_url()))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn plain_http_has_no_certificate() {
    let gw = Gateway::builder().plain_http().start().await.unwrap();
    assert!(gw.cert_pem().is_none());
    assert!(gw.base_url().starts_with("http://127.0.0.1:"));
    assert!(
        gw.flex_base_url()
            .ends_with("/AccountManagement/FlexWebService")
    );
}

async fn session_script(seed: u64) -> Vec<serde_json::Value> {
    let s = sim_with(
        Gateway::builder()
            .seed(seed)
            .plain_http()
            .brokerage_session(true)
            .limits(Limits::unlimited()),
    )
    .await;
    let mut out = Vec::new();
    let snap = "/iserver/marketdata/snapshot?conids=265598,8314&fields=31,84,86,88";
    s.get(snap).await;
    let mut first = s.get(snap).await.body;
    let mut second = s.get(snap).await.body;
    for v in [&mut first, &mut second] {
        for row in v.as_array_mut().unwrap() {
            row.as_object_mut().unwrap().remove("_updated");
        }
    }
    out.push(first);
    out.push(second);
    let mut hist = s
        .get("/iserver/marketdata/history?conid=265598&period=1y&bar=1d")
        .await
        .body;
    out.push(hist["data"].take());
    let placed = s
        .place(serde_json::json!({"conid": 265598, "side": "BUY", "orderType": "LMT", "price": 1.0, "quantity": 1, "tif": "DAY"}))
        .await;
    out.push(placed.body);
    out
}

#[tokio::test]
async fn the_same_seed_gives_the_same_prices_history_and_ids() {
    let a = session_script(42).await;
    let b = session_script(42).await;
    assert_eq!(a, b);
    let c = session_script(43).await;
    assert_ne!(a[0], c[0], "another seed moves prices");
    assert_ne!(a[3], c[3], "another seed gives other ids");
}

#[tokio::test]
async fn dropping_the_last_handle_stops_the_server() {
    let gw = Gateway::builder()
        .plain_http()
        .limits(Limits::unlimited())
        .start()
        .await
        .unwrap();
    let url = format!("{}/sso/validate", gw.base_url());
    let http = client(None);
    assert_eq!(http.get(&url).send().await.unwrap().status(), 200);
    let clone = gw.clone();
    drop(gw);
    assert_eq!(
        http.get(&url).send().await.unwrap().status(),
        200,
        "a clone keeps it alive"
    );
    drop(clone);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let fresh = client(None);
    assert!(fresh.get(&url).send().await.is_err());
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let gw = Gateway::builder().plain_http().start().await.unwrap();
    let url = format!("{}/sso/validate", gw.base_url());
    gw.shutdown().await;
    assert!(client(None).get(&url).send().await.is_err());
}
