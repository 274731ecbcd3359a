//! Contract lookup: stocks, secdef, search, contract info, futures, strikes, secdef info.

use crate::common;

use crate::common::{assert_shape, fixture, sim};
use serde_json::{Value, json};

#[tokio::test]
async fn aapl_stocks_match_the_real_sample_exactly() {
    let s = sim().await;
    let got = s.get("/trsrv/stocks?symbols=AAPL").await;
    assert_eq!(got.status, 200);
    let real = fixture("responses/searchStocks/rec_ibind_fixture.json");
    assert_eq!(got.body["AAPL"], real["AAPL"]);
    assert_shape(
        &got.body,
        &fixture("responses/searchStocks/doc_cpapi_v1.json"),
        &[],
    );
}

#[tokio::test]
async fn stocks_take_comma_joined_symbols_and_answer_unknown_ones_empty() {
    let s = sim().await;
    let got = s.get("/trsrv/stocks?symbols=MSFT,IBM,NOPE").await;
    assert_eq!(got.body["MSFT"][0]["contracts"][0]["conid"], 272093);
    assert_eq!(got.body["IBM"][0]["contracts"][0]["conid"], 8314);
    assert_eq!(got.body["NOPE"], json!([]));
}

fn us_candidates(rows: &Value) -> usize {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["contracts"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["isUS"] == true)
                .count()
        })
        .sum()
}

#[tokio::test]
async fn one_symbol_is_ambiguous_among_us_listings() {
    let s = sim().await;
    let got = s.get("/trsrv/stocks?symbols=ACME,AAPL,SPY,VOO").await;
    assert!(us_candidates(&got.body["ACME"]) > 1);
    assert_eq!(us_candidates(&got.body["AAPL"]), 1);
    assert_eq!(got.body["SPY"][0]["contracts"][0]["conid"], 756733);
    assert_eq!(got.body["VOO"][0]["contracts"][0]["conid"], 136155102);
}

#[tokio::test]
async fn secdef_by_conids() {
    let s = sim().await;
    let got = s.get("/trsrv/secdef?conids=265598,8314,1").await;
    let rows = got.body["secdef"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "unknown conids are left out");
    assert_eq!(rows[0]["ticker"], "AAPL");
    assert_eq!(rows[1]["listingExchange"], "NYSE");
    assert_shape(
        &got.body,
        &fixture("responses/getSecurityDefinitions/doc_cpapi_v1.json"),
        &[],
    );
}

#[tokio::test]
async fn secdef_search_by_symbol_and_by_name() {
    let s = sim().await;
    let got = s.get("/iserver/secdef/search?symbol=IBM").await;
    assert_eq!(got.body[0]["conid"], "8314");
    assert_eq!(got.body[0]["sections"][1]["secType"], "OPT");
    assert_shape(
        &got.body,
        &fixture("responses/searchContracts/spec_found.json"),
        &[],
    );
    let post = s
        .post("/iserver/secdef/search", json!({"symbol": "AAPL"}))
        .await;
    assert_eq!(post.body[0]["conid"], "265598");
    let by_name = s
        .get("/iserver/secdef/search?symbol=INTERACTIVE&name=true")
        .await;
    assert_eq!(by_name.body[0]["symbol"], "IBKR");
    assert_shape(
        &by_name.body,
        &fixture("responses/searchContracts/doc_cpapi_v1_name_true.json"),
        &[],
    );
    let es = s.get("/iserver/secdef/search?symbol=ES&secType=IND").await;
    assert_eq!(es.body[0]["conid"], "11004968");
}

#[tokio::test]
async fn contract_info_by_conid() {
    let s = sim().await;
    let got = s.get("/iserver/contract/265598/info").await;
    assert_eq!(got.body["con_id"], 265598);
    assert_eq!(got.body["company_name"], "APPLE INC");
    assert_shape(
        &got.body,
        &fixture("responses/getContractInfo/doc_cpapi_v1.json"),
        &[],
    );
    assert_eq!(s.get("/iserver/contract/1/info").await.status, 400);
}

#[tokio::test]
async fn futures_list_unexpired_es_contracts() {
    let s = sim().await;
    let got = s.get("/trsrv/futures?symbols=ES").await;
    let rows = got.body["ES"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["underlyingConid"] == 11004968));
    assert_shape(
        &got.body,
        &fixture("responses/searchFutures/spec_futures.json"),
        &[],
    );
}

#[tokio::test]
async fn strikes_are_empty_until_secdef_search_ran() {
    let s = sim().await;
    let search = s.get("/iserver/secdef/search?symbol=AAPL").await;
    let month = search.body[0]["sections"][1]["months"]
        .as_str()
        .unwrap()
        .split(';')
        .nth(1)
        .unwrap()
        .to_string();
    let fresh = common::sim().await;
    let before = fresh
        .get(&format!(
            "/iserver/secdef/strikes?conid=265598&sectype=OPT&month={month}"
        ))
        .await;
    assert_eq!(before.body, json!({"call": [], "put": []}));
    let after = s
        .get(&format!(
            "/iserver/secdef/strikes?conid=265598&sectype=OPT&month={month}"
        ))
        .await;
    assert!(after.body["call"].as_array().unwrap().len() > 5);
    assert_shape(
        &after.body,
        &fixture("responses/listStrikes/doc_cpapi_v1.json"),
        &[],
    );

    let strike = after.body["put"][3].as_f64().unwrap();
    let info = s
        .get(&format!(
            "/iserver/secdef/info?conid=265598&sectype=OPT&month={month}&strike={strike}&right=P"
        ))
        .await;
    assert_eq!(info.body[0]["right"], "P");
    assert_eq!(info.body[0]["strike"].as_f64(), Some(strike));
    assert_shape(
        &info.body,
        &fixture("responses/getSecdefInfo/doc_cpapi_v1.json"),
        &[],
    );
    // The generated option is a real contract of the simulator: it can be quoted.
    let conid = info.body[0]["conid"].as_u64().unwrap();
    let quote = s.warm(conid).await;
    assert!(quote.body[0]["31"].is_string());
}
