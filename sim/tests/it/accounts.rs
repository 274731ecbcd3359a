//! Account selection and account-level views: switching the account changes what `/iserver`
//! calls see; the summary pages; FA allocation groups; reference data with real conids.

use crate::common;

use crate::common::{sim, sim_with};
use ibkr_sim::{Gateway, Limits};
use serde_json::json;

const PRIMARY: &str = "DU1234567";
const SECOND: &str = "DU7654321";

async fn two_accounts() -> common::Sim {
    sim_with(
        Gateway::builder()
            .plain_http()
            .brokerage_session(true)
            .limits(Limits::unlimited())
            .extra_account(SECOND),
    )
    .await
}

#[tokio::test]
async fn switching_the_account_changes_what_iserver_calls_see() {
    let s = two_accounts().await;
    assert_eq!(
        s.get("/iserver/accounts").await.body["selectedAccount"],
        PRIMARY
    );
    assert_eq!(
        s.get("/iserver/account/trades?days=7")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        5
    );

    let set = s.post("/iserver/account", json!({"acctId": SECOND})).await;
    assert_eq!(set.body, json!({"set": true, "acctId": SECOND}));
    assert_eq!(
        s.get("/iserver/accounts").await.body["selectedAccount"],
        SECOND
    );
    assert_eq!(
        s.get("/iserver/account/trades?days=7").await.body,
        json!([]),
        "the second account has no trades"
    );
    s.get("/iserver/account/pnl/partitioned").await; // the empty first answer
    let pnl = s.get("/iserver/account/pnl/partitioned").await;
    assert!(
        pnl.body["upnl"].get(format!("{SECOND}.Core")).is_some(),
        "{}",
        pnl.text
    );
    assert!(pnl.body["upnl"].get(format!("{PRIMARY}.Core")).is_none());

    // A new brokerage session starts on the primary account again.
    s.post(
        "/iserver/auth/ssodh/init",
        json!({"publish": true, "compete": true}),
    )
    .await;
    s.gw.control().set_brokerage_session(false);
    s.post(
        "/iserver/auth/ssodh/init",
        json!({"publish": true, "compete": true}),
    )
    .await;
    assert_eq!(
        s.get("/iserver/accounts").await.body["selectedAccount"],
        PRIMARY
    );
}

#[tokio::test]
async fn dynamic_accounts_are_searched_and_set_for_multi_account_users_only() {
    let s = two_accounts().await;
    assert_eq!(
        s.get("/iserver/accounts").await.body["allowFeatures"]["allowDynAccount"],
        true
    );
    let found = s.get("/iserver/account/search/7654").await;
    assert_eq!(found.body["matchedAccounts"][0]["accountId"], SECOND);
    let set = s
        .post("/iserver/dynaccount", json!({"acctId": SECOND}))
        .await;
    assert_eq!(set.body["set"], true);

    let single = sim().await;
    assert_eq!(single.get("/iserver/account/search/DU").await.status, 503);
    assert_eq!(
        single
            .post("/iserver/dynaccount", json!({"acctId": PRIMARY}))
            .await
            .status,
        503
    );
}

#[tokio::test]
async fn switching_to_an_unknown_account_or_without_acct_id_answers_400() {
    let s = sim().await;
    for body in [
        r#"{"acctId":"U0000000"}"#,
        "{}",
        "not json",
        r#"{"acctId":""}"#,
    ] {
        let a = s.send("POST", "/iserver/account", body).await;
        assert_eq!(a.status, 400, "{body}: {}", a.text);
        assert_eq!(a.body["statusCode"], 400);
    }
    assert_eq!(
        s.get("/iserver/accounts").await.body["selectedAccount"],
        PRIMARY
    );
}

#[tokio::test]
async fn the_account_summary_has_a_type_and_a_status_and_pages_agree_with_it() {
    let s = sim().await;
    let summary = s.get(&format!("/iserver/account/{PRIMARY}/summary")).await;
    assert_eq!(summary.body["accountType"], "INDIVIDUAL");
    assert_eq!(summary.body["status"], "O");
    let nlv = summary.body["netLiquidationValue"].as_f64().unwrap();
    let balances = s
        .get(&format!("/iserver/account/{PRIMARY}/summary/balances"))
        .await;
    let text = balances.body["total"]["net_liquidation"].as_str().unwrap();
    let parsed: f64 = text
        .trim_end_matches(" USD")
        .replace(',', "")
        .parse()
        .unwrap();
    assert!((parsed - nlv).abs() <= 1.0, "{text} vs {nlv}");
    for page in ["available_funds", "margins", "market_value"] {
        let a = s
            .get(&format!("/iserver/account/{PRIMARY}/summary/{page}"))
            .await;
        assert_eq!(a.status, 200, "{page}");
    }
    let bad = s.get("/iserver/account/U0000000/summary/margins").await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn allocation_groups_are_created_modified_shown_and_deleted() {
    let s = two_accounts().await;
    let created = s
        .post(
            "/iserver/account/allocation/group",
            json!({"name": "Pair", "default_method": "E", "accounts": [{"name": PRIMARY}, {"name": SECOND}]}),
        )
        .await;
    assert_eq!(created.body, json!({"success": true}));
    let dup = s
        .post(
            "/iserver/account/allocation/group",
            json!({"name": "Pair", "default_method": "E", "accounts": [{"name": PRIMARY}]}),
        )
        .await;
    assert_eq!(dup.status, 400);
    let list = s.get("/iserver/account/allocation/group").await;
    assert!(
        list.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["name"] == "Pair" && g["size"] == 2)
    );
    let modified = s
        .put(
            "/iserver/account/allocation/group",
            json!({"name": "Pair2", "prev_name": "Pair", "default_method": "R",
                   "accounts": [{"name": PRIMARY, "amount": 3}, {"name": SECOND, "amount": 1}]}),
        )
        .await;
    assert_eq!(modified.body["success"], true);
    let one = s
        .post(
            "/iserver/account/allocation/group/single",
            json!({"name": "Pair2"}),
        )
        .await;
    assert_eq!(one.body["default_method"], "R");
    assert_eq!(one.body["accounts"][0]["amount"], 3.0);
    let gone = s
        .post(
            "/iserver/account/allocation/group/delete",
            json!({"name": "Pair2"}),
        )
        .await;
    assert_eq!(gone.body["success"], true);
    let missing = s
        .post(
            "/iserver/account/allocation/group/single",
            json!({"name": "Pair2"}),
        )
        .await;
    assert_eq!(missing.status, 400);
    let bad_method = s
        .post(
            "/iserver/account/allocation/group",
            json!({"name": "X", "default_method": "Q", "accounts": [{"name": PRIMARY}]}),
        )
        .await;
    assert_eq!(bad_method.status, 400);

    s.post(
        "/iserver/account/allocation/presets",
        json!({"strict_credit_check": true}),
    )
    .await;
    let presets = s.get("/iserver/account/allocation/presets").await;
    assert_eq!(presets.body["strict_credit_check"], true);
}

#[tokio::test]
async fn futures_list_real_conids_only() {
    let s = sim().await;
    let es = s.get("/trsrv/futures?symbols=ES").await;
    let rows = es.body["ES"].as_array().unwrap();
    assert!(!rows.is_empty());
    // Every ES conid the simulator lists is one IBKR assigned (none of our 9900xxxxx).
    assert!(
        rows.iter()
            .all(|r| r["conid"].as_u64().unwrap() < 990_000_000),
        "{}",
        es.text
    );
    assert!(rows.iter().all(|r| r["underlyingConid"] == 11004968));
}

#[tokio::test]
async fn contract_rules_and_reference_data_answer_for_real_conids() {
    let s = sim().await;
    let rules = s
        .post(
            "/iserver/contract/rules",
            json!({"conid": 265598, "isBuy": true}),
        )
        .await;
    assert!(
        rules.body["orderTypes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "limit")
    );
    assert_eq!(rules.body["defaultSize"], 100);
    let fut = s
        .post("/iserver/contract/rules", json!({"conid": 495512563}))
        .await;
    assert_eq!(fut.body["defaultSize"], 1);
    let both = s
        .get("/iserver/contract/265598/info-and-rules?isBuy=true")
        .await;
    assert_eq!(both.body["symbol"], "AAPL");
    assert!(both.body["rules"]["orderTypes"].is_array());
    let algos = s
        .get("/iserver/contract/265598/algos?algos=Vwap&addParams=1")
        .await;
    assert_eq!(algos.body["algos"][0]["id"], "Vwap");
    assert!(algos.body["algos"][0]["parameters"].is_array());
    let all = s.get("/trsrv/all-conids?exchange=NASDAQ").await;
    assert!(
        all.body
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ticker"] == "AAPL" && r["conid"] == 265598)
    );
    let pairs = s.get("/iserver/currency/pairs?currency=USD").await;
    assert!(
        pairs.body["USD"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["symbol"] == "EUR.USD" && p["conid"] == 12087792)
    );
    let rate = s.get("/iserver/exchangerate?source=USD&target=EUR").await;
    assert_eq!(rate.body["rate"], 0.92);
    let sched = s
        .get("/trsrv/secdef/schedule?assetClass=STK&symbol=AAPL")
        .await;
    assert_eq!(sched.body[0]["exchange"], "ISLAND");
    assert_eq!(sched.body[0]["timezone"], "America/New_York");
    for (path, status) in [
        ("/iserver/contract/1/info-and-rules", 400),
        ("/iserver/contract/1/algos", 400),
        ("/trsrv/all-conids", 400),
        ("/iserver/exchangerate?source=USD", 400),
        ("/iserver/exchangerate?source=USD&target=XXX", 400),
        ("/iserver/currency/pairs", 400),
        ("/trsrv/secdef/schedule?symbol=AAPL", 400),
        ("/trsrv/secdef/schedule?assetClass=STK&symbol=NOPE", 400),
        ("/md/regsnapshot?conid=1", 400),
        ("/md/regsnapshot", 400),
        ("/iserver/secdef/bond-filters?symbol=IBM", 400),
        ("/contract/trading-schedule?conid=1", 400),
    ] {
        assert_eq!(s.get(path).await.status, status, "{path}");
    }
    assert_eq!(
        s.send("POST", "/iserver/contract/rules", "{}").await.status,
        400
    );
}

#[tokio::test]
async fn multi_account_users_get_503_from_order_status_until_they_switch_account() {
    let s = two_accounts().await;
    s.warm(265598).await;
    let ack = s
        .place_confirming(json!({"conid": 265598, "side": "BUY", "orderType": "LMT", "price": 1.0, "quantity": 1, "tif": "GTC"}))
        .await;
    let id = ack.body[0]["order_id"].as_str().unwrap().to_string();
    let before = s.get(&format!("/iserver/account/order/status/{id}")).await;
    assert_eq!(before.status, 503);
    s.post("/iserver/account", json!({"acctId": PRIMARY})).await;
    let after = s.get(&format!("/iserver/account/order/status/{id}")).await;
    assert_eq!(after.status, 200, "{}", after.text);
    assert_eq!(after.body["order_id"].to_string(), id);
}

/// ibind's `trading_schedule_by_symbol('STK', 'AAPL', exchange='NASDAQ')`: `exchange` names
/// the native (listing) exchange, `exchangeFilter` the trading venue (IBKR's `ISLAND` for
/// NASDAQ). Either spelling finds AAPL's venue and its sessions; an exchange that does not
/// list it finds none.
#[tokio::test]
async fn the_schedule_by_symbol_is_found_by_native_exchange_or_venue() {
    let s = sim().await;
    for query in [
        "exchange=NASDAQ",
        "exchangeFilter=ISLAND",
        "exchange=NASDAQ&exchangeFilter=ISLAND",
        "exchangeFilter=NASDAQ",
    ] {
        let sched = s
            .get(&format!(
                "/trsrv/secdef/schedule?assetClass=STK&symbol=AAPL&{query}"
            ))
            .await;
        assert_eq!(sched.status, 200, "{query}");
        let venues = sched.body.as_array().expect("an array");
        assert_eq!(venues.len(), 1, "{query}: {}", sched.body);
        assert_eq!(venues[0]["exchange"], "ISLAND", "{query}");
        assert_eq!(venues[0]["description"], "NASDAQ", "{query}");
        let days = venues[0]["schedules"].as_array().expect("schedules");
        assert!(days.len() >= 5, "{query}: a week of trading days");
        assert_eq!(days[0]["sessions"][0]["openingTime"], "0930");
        assert_eq!(days[0]["sessions"][0]["closingTime"], "1600");
    }
    let none = s
        .get("/trsrv/secdef/schedule?assetClass=STK&symbol=AAPL&exchange=NYSE")
        .await;
    assert_eq!(none.body, json!([]));
}
