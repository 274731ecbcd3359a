//! Market data: snapshot pre-flight and formats, history period/bar/cap, hmds 404, unsubscribe.

use crate::common::{assert_shape, fixture, sim};
use serde_json::json;

#[tokio::test]
async fn the_first_snapshot_is_a_preflight_without_fields() {
    let s = sim().await;
    let path = "/iserver/marketdata/snapshot?conids=265598,8314&fields=31,84,85,86,88,6509,7059";
    let first = s.get(path).await;
    assert_eq!(first.status, 200);
    assert_eq!(
        first.body,
        fixture("responses/getMarketDataSnapshot/doc_webapi_preflight_first_call.json")
    );
    let second = s.get(path).await;
    assert_shape(
        &second.body,
        &fixture("responses/getMarketDataSnapshot/doc_webapi_after_preflight.json"),
        &[],
    );
    let row = &second.body[0];
    assert_eq!(row["conid"], 265598);
    assert_eq!(row["conidEx"], "265598");
    assert_eq!(row["6509"], "RpB");
    let last: f64 = row["31"].as_str().unwrap().parse().unwrap();
    assert!(last > 100.0 && last < 300.0, "{last}");
    assert!(
        row["88"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',')
    );
    assert!(row["_updated"].is_i64());
    assert!(row["server_id"].is_string());
}

#[tokio::test]
async fn later_snapshots_return_every_field_requested_so_far() {
    let s = sim().await;
    s.get("/iserver/marketdata/snapshot?conids=272093&fields=31")
        .await;
    s.get("/iserver/marketdata/snapshot?conids=272093&fields=87")
        .await;
    let third = s.get("/iserver/marketdata/snapshot?conids=272093").await;
    assert!(third.body[0]["31"].is_string());
    let volume = third.body[0]["87"].as_str().unwrap();
    assert!(volume.ends_with('M') || volume.ends_with('K'), "{volume}");
}

#[tokio::test]
async fn unsubscribed_listings_show_the_previous_close_with_c_and_halts_with_h() {
    let s = sim().await;
    // MEXI listing of AAPL: the simulated user has no subscription for non-US listings.
    let row = s.warm(38708077).await.body[0].clone();
    assert!(row["31"].as_str().unwrap().starts_with('C'), "{row}");
    s.gw.control().set_halted(8314, true);
    let ibm = s.warm(8314).await.body[0].clone();
    assert!(ibm["31"].as_str().unwrap().starts_with('H'), "{ibm}");
}

#[tokio::test]
async fn unsubscribe_makes_the_next_snapshot_a_preflight_again() {
    let s = sim().await;
    s.warm(265598).await;
    let ok = s
        .post("/iserver/marketdata/unsubscribe", json!({"conid": 265598}))
        .await;
    assert_eq!(ok.body, json!({"success": true}));
    let again = s
        .get("/iserver/marketdata/snapshot?conids=265598&fields=31")
        .await;
    assert_eq!(again.body, json!([{"conid": 265598, "conidEx": "265598"}]));
    let none = s
        .post("/iserver/marketdata/unsubscribe", json!({"conid": 8314}))
        .await;
    assert_eq!(none.status, 404);
    let all = s.get("/iserver/marketdata/unsubscribeall").await;
    assert_eq!(all.body, json!({"unsubscribed": true}));
}

#[tokio::test]
async fn history_honours_period_and_bar() {
    let s = sim().await;
    let year = s
        .get("/iserver/marketdata/history?conid=265598&period=1y&bar=1d")
        .await;
    assert_eq!(year.status, 200);
    assert_shape(
        &year.body,
        &fixture("responses/getMarketDataHistory/doc_cpapi_v1.json"),
        &[],
    );
    let bars = year.body["data"].as_array().unwrap();
    assert!((245..=265).contains(&bars.len()), "{}", bars.len());
    assert_eq!(year.body["points"], bars.len() - 1);
    assert_eq!(year.body["barLength"], 86400);
    assert_eq!(year.body["timePeriod"], "1y");
    assert_eq!(year.body["symbol"], "AAPL");
    assert_eq!(year.body["text"], "APPLE INC");
    let t0 = bars[0]["t"].as_i64().unwrap();
    let tn = bars[bars.len() - 1]["t"].as_i64().unwrap();
    assert!(tn - t0 > 340 * 86_400_000, "covers about a year");
    assert!(
        bars.windows(2)
            .all(|w| w[0]["t"].as_i64() < w[1]["t"].as_i64())
    );

    let two = s
        .get("/iserver/marketdata/history?conid=265598&period=2y&bar=1w")
        .await;
    let weeks = two.body["data"].as_array().unwrap().len();
    assert!((100..=106).contains(&weeks), "{weeks}");

    let hour = s
        .get("/iserver/marketdata/history?conid=265598&period=1w&bar=1h")
        .await;
    assert_eq!(hour.body["barLength"], 3600);
    let n = hour.body["data"].as_array().unwrap().len();
    assert!(n > 20 && n <= 40, "{n}");
}

#[tokio::test]
async fn history_is_capped_at_1000_points() {
    let s = sim().await;
    let got = s
        .get("/iserver/marketdata/history?conid=8314&period=1y&bar=1min")
        .await;
    assert_eq!(got.body["data"].as_array().unwrap().len(), 1000);
    assert_eq!(got.body["points"], 999);
}

#[tokio::test]
async fn history_rejects_bad_parameters_and_unknown_conids() {
    let s = sim().await;
    assert_eq!(
        s.get("/iserver/marketdata/history?conid=8314&period=1x&bar=1d")
            .await
            .status,
        400
    );
    let unknown = s
        .get("/iserver/marketdata/history?conid=1&period=1d&bar=1h")
        .await;
    assert_eq!(unknown.status, 500);
    assert_eq!(unknown.body, json!({"error": "No data."}));
}

#[tokio::test]
async fn hmds_history_answers_404_on_its_first_call() {
    let s = sim().await;
    let path = "/hmds/history?conid=265598&period=1w&bar=1d";
    assert_eq!(s.get(path).await.status, 404);
    let second = s.get(path).await;
    assert_eq!(second.status, 200);
    assert_shape(
        &second.body,
        &fixture("responses/getHmdsHistory/unverified_provenance.json"),
        &[],
    );
    assert!(!second.body["data"].as_array().unwrap().is_empty());
}
