//! Market data: snapshots, history (iserver and legacy HMDS), unsubscribing.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

#[tokio::test]
async fn snapshot_comma_joins_conids_and_fields_and_reads_field_values_by_id() {
    let answers = contract("getMarketDataSnapshot")
        .request("/iserver/marketdata/snapshot")
        .query(&[("conids", "265598,8314"), ("fields", "31,84,86")])
        .answers(|c| async move {
            c.trading
                .get_market_data_snapshot()
                .conids(vec![265598, 8314])
                .fields(vec!["31".to_string(), "84".to_string(), "86".to_string()])
                .send()
                .await
        })
        .await;
    let first = &answers
        .iter()
        .find(|a| a.fixture == "doc_webapi_preflight_first_call.json")
        .unwrap()
        .value;
    assert_eq!(
        first.iter().map(|r| r.conid).collect::<Vec<_>>(),
        [Some(265598), Some(8314)]
    );
    assert!(
        first.iter().all(|r| r.extra.get("31").is_none()),
        "the pre-flight has no fields"
    );
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value[0];
    assert_eq!(doc.conid, Some(265598));
    assert_eq!(doc.extra.get("31"), Some(&json!("193.18")), "last price");
    assert_eq!(doc.extra.get("84"), Some(&json!("193.06")), "bid");
    assert_eq!(doc.updated, Some(1702334859712));
    let later = &answers
        .iter()
        .find(|a| a.fixture == "doc_webapi_after_preflight.json")
        .unwrap()
        .value;
    assert_eq!(
        later[0].extra.get("88"),
        Some(&json!("1,300")),
        "sizes keep IBKR's formatting"
    );
}

#[tokio::test]
async fn history_asks_by_conid_period_and_bar_and_reads_bars_with_millisecond_times() {
    let answers = contract("getMarketDataHistory")
        .request("/iserver/marketdata/history")
        .query(&[
            ("conid", "265598"),
            ("period", "1y"),
            ("bar", "1d"),
            ("outsideRth", "true"),
        ])
        .answers(|c| async move {
            c.trading
                .get_market_data_history()
                .conid(265598)
                .period("1y")
                .bar("1d")
                .outside_rth(true)
                .send()
                .await
        })
        .await;
    for a in &answers {
        assert_eq!(
            a.value.data.len(),
            a.raw["data"].as_array().map_or(0, Vec::len)
        );
        assert_eq!(
            a.value.symbol.as_deref(),
            a.raw["symbol"].as_str(),
            "{}",
            a.fixture
        );
    }
    let ibind = &answers
        .iter()
        .find(|a| a.fixture == "rec_ibind_fixture_AAPL.json")
        .unwrap()
        .value;
    let bar = &ibind.data[0];
    assert_eq!(
        (bar.t, bar.o, bar.c),
        (Some(1698796800000), Some(171.05), Some(189.37))
    );
    assert_eq!(
        (bar.h, bar.l, bar.v),
        (Some(192.93), Some(170.12), Some(6942998.04))
    );
    assert_eq!(ibind.price_factor, Some(100));
}

#[tokio::test]
async fn legacy_hmds_history_reads_bars_and_the_time_range() {
    let answers = contract("getHmdsHistory")
        .request("/hmds/history")
        .query(&[("conid", "265598"), ("period", "1d"), ("bar", "5min")])
        .answers(|c| async move {
            c.trading
                .get_hmds_history()
                .conid(265598)
                .period("1d")
                .bar("5min")
                .send()
                .await
        })
        .await;
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "unverified_provenance.json")
        .unwrap()
        .value;
    assert_eq!(
        (doc.start_time_val, doc.end_time_val),
        (Some(1702285200000), Some(1702335080000))
    );
    assert_eq!(
        (doc.data[0].t, doc.data[0].o),
        (Some(1702285200000), Some(195.01))
    );
}

#[tokio::test]
async fn unsubscribe_posts_the_conid_and_reads_success() {
    let body = json!({"conid": 265598});
    let answers = contract("unsubscribeMarketData")
        .request("/iserver/marketdata/unsubscribe")
        .json(body.clone())
        .answers(|c| {
            let body =
                from_json::<ibkr_gen::trading::types::UnsubscribeMarketDataBody>(body.clone());
            async move { c.trading.unsubscribe_market_data().body(body).send().await }
        })
        .await;
    let spec = answers
        .iter()
        .find(|a| a.fixture == "spec_marketdataUnsubscribeSuccessExample.json")
        .unwrap();
    assert_eq!(spec.value.success, Some(true));
}

// ---- request and answer of the remaining operations, one test each ----

/// GET /md/regsnapshot
#[tokio::test]
async fn get_regulatory_snapshot_follows_its_contract() {
    contract("getRegulatorySnapshot")
        .request("/md/regsnapshot")
        .query(&[("conid", "265598")])
        .answers(|c| async move {
            c.trading
                .get_regulatory_snapshot()
                .conid("265598")
                .send()
                .await
        })
        .await;
}

/// GET /iserver/marketdata/unsubscribeall
#[tokio::test]
async fn unsubscribe_all_market_data_follows_its_contract() {
    contract("unsubscribeAllMarketData")
        .request("/iserver/marketdata/unsubscribeall")
        .answers(|c| async move { c.trading.unsubscribe_all_market_data().send().await })
        .await;
}
