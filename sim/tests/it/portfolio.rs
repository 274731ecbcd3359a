//! Positions come from trades: the seeded week of executions, `/iserver/account/trades`,
//! the positions pages, the ledger and the views by contract agree; the positions page is
//! cached until invalidated.

use std::collections::BTreeMap;

use crate::common::sim;
use serde_json::{Value, json};

const ACCOUNT: &str = "DU1234567";
const AAPL: u64 = 265598;

fn positions_by_conid(body: &Value) -> BTreeMap<u64, f64> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["conid"].as_u64().unwrap(),
                p["position"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn seeded_positions_are_the_sum_of_the_trades_the_week_shows() {
    let s = sim().await;
    let trades = s.get("/iserver/account/trades?days=7").await;
    let rows = trades.body.as_array().unwrap();
    assert_eq!(rows.len(), 5, "the five seeded executions: {}", trades.text);
    let mut from_trades: BTreeMap<u64, f64> = BTreeMap::new();
    let mut cash_flow = 0.0;
    for t in rows {
        let sign = if t["side"] == "B" { 1.0 } else { -1.0 };
        *from_trades.entry(t["conid"].as_u64().unwrap()).or_default() +=
            sign * t["size"].as_f64().unwrap();
        cash_flow -= sign * t["net_amount"].as_f64().unwrap();
    }
    from_trades.retain(|_, q| *q != 0.0);
    let positions = s.get(&format!("/portfolio/{ACCOUNT}/positions/0")).await;
    assert_eq!(positions_by_conid(&positions.body), from_trades);
    let p2 = s.get(&format!("/portfolio2/{ACCOUNT}/positions")).await;
    assert_eq!(p2.body.as_array().unwrap().len(), from_trades.len());

    // Cash = deposit + dividend + the trades' net amounts (buys pay price + commission).
    let ledger = s.get(&format!("/portfolio/{ACCOUNT}/ledger")).await;
    let cash = ledger.body["USD"]["cashbalance"].as_f64().unwrap();
    let expected = 1_000_000.0 + 35.0 + cash_flow;
    assert!(
        (cash - expected).abs() < 0.05,
        "ledger {cash} vs trades {expected}"
    );

    // The default window (one day) still shows today's execution.
    let today = s.get("/iserver/account/trades").await;
    assert!(!today.body.as_array().unwrap().is_empty(), "{}", today.text);
}

#[tokio::test]
async fn the_positions_page_is_cached_until_invalidated() {
    let s = sim().await;
    let before = s.get(&format!("/portfolio/{ACCOUNT}/positions/0")).await;
    let aapl_before = positions_by_conid(&before.body)[&AAPL];
    s.warm(AAPL).await;
    let ack = s
        .place_confirming(
            json!({"conid": AAPL, "side": "BUY", "orderType": "MKT", "quantity": 7, "tif": "DAY"}),
        )
        .await;
    assert!(ack.body[0]["order_id"].is_string(), "{}", ack.text);

    let cached = s.get(&format!("/portfolio/{ACCOUNT}/positions/0")).await;
    assert_eq!(
        positions_by_conid(&cached.body)[&AAPL],
        aapl_before,
        "still the cached page"
    );
    let live = s.get(&format!("/portfolio2/{ACCOUNT}/positions")).await;
    let live_aapl = live
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["conid"] == "265598")
        .unwrap();
    assert_eq!(
        live_aapl["position"].as_f64(),
        Some(aapl_before + 7.0),
        "portfolio2 is live"
    );
    let one = s
        .get(&format!("/portfolio/{ACCOUNT}/position/{AAPL}"))
        .await;
    assert_eq!(one.body[0]["position"].as_f64(), Some(aapl_before + 7.0));

    let inv = s
        .post_empty(&format!("/portfolio/{ACCOUNT}/positions/invalidate"))
        .await;
    assert_eq!(inv.body, json!({"message": "success"}));
    let fresh = s.get(&format!("/portfolio/{ACCOUNT}/positions/0")).await;
    assert_eq!(positions_by_conid(&fresh.body)[&AAPL], aapl_before + 7.0);
}

#[tokio::test]
async fn positions_by_contract_are_listed_per_account_and_allocation_sums_market_value() {
    let s = sim().await;
    let by = s.get(&format!("/portfolio/positions/{AAPL}")).await;
    assert!(
        by.body[ACCOUNT][0]["position"].as_f64().unwrap() > 0.0,
        "{}",
        by.text
    );
    let none = s.get("/portfolio/positions/8314").await;
    assert_eq!(none.body[ACCOUNT][0]["conid"], 8314);

    let alloc = s.get(&format!("/portfolio/{ACCOUNT}/allocation")).await;
    let stk = alloc.body["assetClass"]["long"]["STK"].as_f64().unwrap();
    let positions = s.get(&format!("/portfolio2/{ACCOUNT}/positions")).await;
    let mv: f64 = positions
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["marketValue"].as_f64().unwrap())
        .sum();
    assert!((stk - mv).abs() < 1.0, "allocation {stk} vs positions {mv}");
    assert!(alloc.body["assetClass"]["long"]["CASH"].as_f64().unwrap() > 0.0);
    assert!(
        alloc.body["sector"]["long"]["Technology"]
            .as_f64()
            .is_some(),
        "{}",
        alloc.text
    );

    let across = s
        .post("/portfolio/allocation", json!({"acctIds": [ACCOUNT]}))
        .await;
    assert_eq!(across.body, alloc.body);
}

#[tokio::test]
async fn metadata_subaccounts_and_combos_describe_the_account() {
    let s = sim().await;
    let meta = s.get(&format!("/portfolio/{ACCOUNT}/meta")).await;
    assert_eq!(meta.body["accountId"], ACCOUNT);
    let paged = s.get("/portfolio/subaccounts2?page=0").await;
    assert_eq!(paged.body["metadata"]["total"], 1);
    assert_eq!(paged.body["subaccounts"][0]["id"], ACCOUNT);
    let combos = s
        .get(&format!(
            "/portfolio/{ACCOUNT}/combo/positions?nocache=true"
        ))
        .await;
    assert_eq!(combos.body, json!([]));
}

#[tokio::test]
async fn the_portfolio_analyst_reports_nav_ending_at_net_liquidation_and_the_trades() {
    let s = sim().await;
    let perf = s
        .post(
            "/pa/performance",
            json!({"acctIds": [ACCOUNT], "period": "1M"}),
        )
        .await;
    let navs = perf.body["nav"]["data"][0]["navs"].as_array().unwrap();
    let last = navs.last().unwrap().as_f64().unwrap();
    let ledger = s.get(&format!("/portfolio/{ACCOUNT}/ledger")).await;
    let nlv = ledger.body["BASE"]["netliquidationvalue"].as_f64().unwrap();
    assert!((last - nlv).abs() / nlv < 0.01, "nav {last} vs nlv {nlv}");
    assert_eq!(
        perf.body["nav"]["dates"].as_array().unwrap().len(),
        navs.len()
    );
    let tx = s
        .post(
            "/pa/transactions",
            json!({"acctIds": [ACCOUNT], "conids": [AAPL], "currency": "USD", "days": 30}),
        )
        .await;
    let kinds: Vec<&str> = tx.body["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["type"].as_str())
        .collect();
    assert_eq!(kinds, ["Buy", "Sell"], "{}", tx.text);
    let periods = s
        .post("/pa/allperiods", json!({"acctIds": [ACCOUNT]}))
        .await;
    assert!(
        periods.body[ACCOUNT]["YTD"]["nav"].is_array(),
        "{}",
        periods.text
    );
}

#[tokio::test]
async fn unknown_accounts_and_conids_get_400_never_500() {
    let s = sim().await;
    for (method, path, body) in [
        ("GET", "/portfolio/U0000000/meta", ""),
        ("GET", "/portfolio/U0000000/allocation", ""),
        ("GET", "/portfolio/U0000000/combo/positions", ""),
        ("GET", "/portfolio/U0000000/position/265598", ""),
        (
            "GET",
            &format!("/portfolio/{ACCOUNT}/position/1") as &str,
            "",
        ),
        ("GET", &format!("/portfolio/{ACCOUNT}/position/abc"), ""),
        ("GET", "/portfolio/positions/1", ""),
        ("POST", "/portfolio/U0000000/positions/invalidate", ""),
        ("POST", "/portfolio/allocation", "{}"),
        (
            "POST",
            "/portfolio/allocation",
            r#"{"acctIds":["U0000000"]}"#,
        ),
        (
            "POST",
            "/pa/performance",
            r#"{"acctIds":["U0000000"],"period":"1M"}"#,
        ),
        (
            "POST",
            "/pa/performance",
            r#"{"acctIds":["DU1234567"],"period":"2Y"}"#,
        ),
        ("POST", "/pa/transactions", r#"{"acctIds":["DU1234567"]}"#),
        ("POST", "/pa/allperiods", "nope"),
    ] {
        let a = s.send(method, path, body).await;
        assert_eq!(a.status, 400, "{method} {path} {body}: {}", a.text);
    }
}
