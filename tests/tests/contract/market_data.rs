//! Market Data: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// GET /hmds/history
#[tokio::test]
async fn get_hmds_history_follows_its_contract() {
    contract("getHmdsHistory")
        .request("/hmds/history")
        .query(&[
            ("bar", "1d"),
            ("barType", "val-bartype"),
            ("conid", "265598"),
            ("direction", "val-direction"),
            ("outsideRth", "true"),
            ("period", "1y"),
            ("startTime", "val-starttime"),
        ])
        .answers(|c| async move {
            c.trading
                .get_hmds_history()
                .bar("1d")
                .bar_type("val-bartype")
                .conid(265598)
                .direction("val-direction")
                .outside_rth(true)
                .period("1y")
                .start_time("val-starttime")
                .send()
                .await
        })
        .await;
}

/// GET /iserver/marketdata/history
#[tokio::test]
async fn get_market_data_history_follows_its_contract() {
    contract("getMarketDataHistory")
        .request("/iserver/marketdata/history")
        .query(&[
            ("bar", "1d"),
            ("conid", "265598"),
            ("direction", "-1"),
            ("exchange", "SMART"),
            ("outsideRth", "true"),
            ("period", "1y"),
            ("source", "val-source"),
            ("startTime", "val-starttime"),
        ])
        .answers(|c| async move {
            c.trading
                .get_market_data_history()
                .bar("1d")
                .conid(265598)
                .direction(-1)
                .exchange("SMART")
                .outside_rth(true)
                .period("1y")
                .source("val-source")
                .start_time("val-starttime")
                .send()
                .await
        })
        .await;
}

/// GET /iserver/marketdata/snapshot
#[tokio::test]
async fn get_market_data_snapshot_follows_its_contract() {
    contract("getMarketDataSnapshot")
        .request("/iserver/marketdata/snapshot")
        .query(&[("conids", "265598,8314"), ("fields", "31,84")])
        .answers(|c| async move {
            c.trading
                .get_market_data_snapshot()
                .conids(vec![265598i64, 8314i64])
                .fields(vec!["31".to_string(), "84".to_string()])
                .send()
                .await
        })
        .await;
}

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

/// POST /iserver/marketdata/unsubscribe
#[tokio::test]
async fn unsubscribe_market_data_follows_its_contract() {
    let body = json!({
        "conid": 1
    });
    contract("unsubscribeMarketData")
        .request("/iserver/marketdata/unsubscribe")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .unsubscribe_market_data()
                    .body(from_json::<
                        ibkr_gen::trading::types::UnsubscribeMarketDataBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}
