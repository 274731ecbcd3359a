//! Watchlists are stateful: created, listed, shown and deleted; bad ids and bodies get
//! IBKR's 400, never a 500.

use crate::common::{assert_shape, fixture, sim};
use serde_json::json;

#[tokio::test]
async fn a_created_watchlist_is_listed_shown_and_deleted() {
    let s = sim().await;
    let created = s
        .post(
            "/iserver/watchlist",
            json!({"id": "1234", "name": "Tech", "rows": [{"C": 265598}, {"H": ""}, {"C": 8314}]}),
        )
        .await;
    assert_eq!(created.status, 200);
    assert_eq!(created.body["id"], "1234");
    assert_shape(
        &created.body,
        &fixture("responses/createWatchlist/doc_cpapi_v1.json"),
        &[],
    );

    let lists = s.get("/iserver/watchlists?SC=USER_WATCHLIST").await;
    assert_eq!(lists.body["data"]["user_lists"][0]["name"], "Tech");
    assert_shape(
        &lists.body,
        &fixture("responses/listWatchlists/spec_watchlistDataExample.json"),
        &[],
    );

    let shown = s.get("/iserver/watchlist?id=1234").await;
    let tickers: Vec<&str> = shown.body["instruments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["ticker"].as_str())
        .collect();
    assert_eq!(
        tickers,
        ["AAPL", "IBM"],
        "instrument rows in order, headers left out"
    );
    assert_shape(
        &shown.body,
        &fixture("responses/getWatchlist/spec_singleWatchlistExample.json"),
        &[],
    );

    let deleted = s.delete("/iserver/watchlist?id=1234").await;
    assert_eq!(deleted.body["data"]["deleted"], "1234");
    assert_shape(
        &deleted.body,
        &fixture("responses/deleteWatchlist/spec_watchlistDeleteSuccessExample.json"),
        &[],
    );
    let after = s.get("/iserver/watchlists").await;
    assert_eq!(after.body["data"]["user_lists"], json!([]));
    assert_eq!(s.get("/iserver/watchlist?id=1234").await.status, 400);
}

#[tokio::test]
async fn saving_an_existing_id_replaces_the_list() {
    let s = sim().await;
    s.post(
        "/iserver/watchlist",
        json!({"id": "7", "name": "A", "rows": [{"C": 265598}]}),
    )
    .await;
    s.post(
        "/iserver/watchlist",
        json!({"id": "7", "name": "B", "rows": [{"C": 8314}]}),
    )
    .await;
    let lists = s.get("/iserver/watchlists").await;
    assert_eq!(
        lists.body["data"]["user_lists"].as_array().unwrap().len(),
        1
    );
    let shown = s.get("/iserver/watchlist?id=7").await;
    assert_eq!(shown.body["name"], "B");
    assert_eq!(shown.body["instruments"][0]["conid"], 8314);
}

#[tokio::test]
async fn ibind_style_delete_with_a_json_body_works() {
    let s = sim().await;
    s.post(
        "/iserver/watchlist",
        json!({"id": "9", "name": "X", "rows": []}),
    )
    .await;
    let deleted = s
        .send("DELETE", "/iserver/watchlist", r#"{"id":"9"}"#)
        .await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body["data"]["deleted"], "9");
}

#[tokio::test]
async fn unknown_ids_and_bad_bodies_get_ibkrs_400() {
    let s = sim().await;
    for (method, path, body) in [
        ("GET", "/iserver/watchlist?id=nope", ""),
        ("GET", "/iserver/watchlist", ""),
        ("DELETE", "/iserver/watchlist?id=nope", ""),
        ("POST", "/iserver/watchlist", "{not json"),
        ("POST", "/iserver/watchlist", r#"{"id":"1","name":"x"}"#),
        (
            "POST",
            "/iserver/watchlist",
            r#"{"id":"1","name":"x","rows":[{"C":1}]}"#,
        ),
        ("POST", "/iserver/watchlist", r#"{"name":"x","rows":[]}"#),
    ] {
        let a = s.send(method, path, body).await;
        assert_eq!(a.status, 400, "{method} {path} {body}: {}", a.text);
        assert_eq!(a.body["statusCode"], 400, "{}", a.text);
        assert!(
            a.body["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("Bad Request"))
        );
    }
}
