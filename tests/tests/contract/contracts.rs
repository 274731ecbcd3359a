//! Contracts: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// GET /iserver/secdef/bond-filters
#[tokio::test]
async fn get_bond_filters_follows_its_contract() {
    contract("getBondFilters")
        .request("/iserver/secdef/bond-filters")
        .query(&[("issuerId", "val-issuerid"), ("symbol", "AAPL")])
        .answers(|c| async move {
            c.trading
                .get_bond_filters()
                .issuer_id("val-issuerid")
                .symbol("AAPL")
                .send()
                .await
        })
        .await;
}

/// GET /iserver/contract/{conid}/info
#[tokio::test]
async fn get_contract_info_follows_its_contract() {
    contract("getContractInfo")
        .request("/iserver/contract/265598/info")
        .answers(|c| async move { c.trading.get_contract_info().conid("265598").send().await })
        .await;
}

/// GET /iserver/contract/{conid}/info-and-rules
#[tokio::test]
async fn get_contract_info_and_rules_follows_its_contract() {
    contract("getContractInfoAndRules")
        .request("/iserver/contract/265598/info-and-rules")
        .answers(|c| async move {
            c.trading
                .get_contract_info_and_rules()
                .conid("265598")
                .send()
                .await
        })
        .await;
}

/// POST /iserver/contract/rules
#[tokio::test]
async fn get_contract_rules_follows_its_contract() {
    let body = json!({
        "conid": 1,
        "isBuy": true,
        "modifyOrder": true,
        "orderId": 1
    });
    contract("getContractRules")
        .request("/iserver/contract/rules")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .get_contract_rules()
                    .body(from_json::<ibkr_gen::trading::types::GetContractRulesBody>(
                        body.clone(),
                    ))
                    .send()
                    .await
            }
        })
        .await;
}

/// GET /iserver/exchangerate
#[tokio::test]
async fn get_exchange_rate_follows_its_contract() {
    contract("getExchangeRate")
        .request("/iserver/exchangerate")
        .query(&[("source", "val-source"), ("target", "val-target")])
        .answers(|c| async move {
            c.trading
                .get_exchange_rate()
                .source("val-source")
                .target("val-target")
                .send()
                .await
        })
        .await;
}

/// GET /iserver/secdef/info
#[tokio::test]
async fn get_secdef_info_follows_its_contract() {
    contract("getSecdefInfo")
        .request("/iserver/secdef/info")
        .query(&[
            ("conid", "265598"),
            ("exchange", "val-exchange"),
            ("filters", "val-filters"),
            ("issuerId", "val-issuerid"),
            ("month", "val-month"),
            ("right", "C"),
            ("sectype", "val-sectype"),
            ("strike", "val-strike"),
        ])
        .answers(|c| async move {
            c.trading
                .get_secdef_info()
                .conid("265598")
                .exchange(serde_json::json!("val-exchange"))
                .filters(serde_json::json!("val-filters"))
                .issuer_id("val-issuerid")
                .month(serde_json::json!("val-month"))
                .right("C")
                .sectype(serde_json::json!("val-sectype"))
                .strike(serde_json::json!("val-strike"))
                .send()
                .await
        })
        .await;
}

/// GET /trsrv/secdef
#[tokio::test]
async fn get_security_definitions_follows_its_contract() {
    contract("getSecurityDefinitions")
        .request("/trsrv/secdef")
        .query(&[("conids", "265598,8314")])
        .answers(|c| async move {
            c.trading
                .get_security_definitions()
                .conids("265598,8314")
                .send()
                .await
        })
        .await;
}

/// GET /contract/trading-schedule
#[tokio::test]
async fn get_trading_schedule_follows_its_contract() {
    contract("getTradingSchedule")
        .request("/contract/trading-schedule")
        .query(&[("conid", "265598"), ("exchange", "SMART")])
        .answers(|c| async move {
            c.trading
                .get_trading_schedule()
                .conid("265598")
                .exchange("SMART")
                .send()
                .await
        })
        .await;
}

/// GET /trsrv/secdef/schedule
#[tokio::test]
async fn get_trading_schedule_by_symbol_follows_its_contract() {
    contract("getTradingScheduleBySymbol")
        .request("/trsrv/secdef/schedule")
        .query(&[
            ("assetClass", "STK"),
            ("exchange", "SMART"),
            ("exchangeFilter", "val-exchangefilter"),
            ("symbol", "AAPL"),
        ])
        .answers(|c| async move {
            c.trading
                .get_trading_schedule_by_symbol()
                .asset_class("STK")
                .exchange("SMART")
                .exchange_filter("val-exchangefilter")
                .symbol("AAPL")
                .send()
                .await
        })
        .await;
}

/// GET /trsrv/all-conids
#[tokio::test]
async fn list_conids_by_exchange_follows_its_contract() {
    contract("listConidsByExchange")
        .request("/trsrv/all-conids")
        .query(&[("assetClass", "val-assetclass"), ("exchange", "SMART")])
        .answers(|c| async move {
            c.trading
                .list_conids_by_exchange()
                .asset_class(serde_json::json!("val-assetclass"))
                .exchange("SMART")
                .send()
                .await
        })
        .await;
}

/// GET /iserver/contract/{conid}/algos
#[tokio::test]
async fn list_contract_algos_follows_its_contract() {
    contract("listContractAlgos")
        .request("/iserver/contract/265598/algos")
        .query(&[
            ("addDescription", "0"),
            ("addParams", "0"),
            ("algos", "Adaptive"),
        ])
        .answers(|c| async move {
            c.trading
                .list_contract_algos()
                .conid("265598")
                .add_description(0)
                .add_params(0)
                .algos("Adaptive")
                .send()
                .await
        })
        .await;
}

/// GET /iserver/currency/pairs
#[tokio::test]
async fn list_currency_pairs_follows_its_contract() {
    contract("listCurrencyPairs")
        .request("/iserver/currency/pairs")
        .query(&[("currency", "USD")])
        .answers(|c| async move { c.trading.list_currency_pairs().currency("USD").send().await })
        .await;
}

/// GET /iserver/secdef/strikes
#[tokio::test]
async fn list_strikes_follows_its_contract() {
    contract("listStrikes")
        .request("/iserver/secdef/strikes")
        .query(&[
            ("conid", "265598"),
            ("exchange", "SMART"),
            ("month", "JAN25"),
            ("sectype", "OPT"),
        ])
        .answers(|c| async move {
            c.trading
                .list_strikes()
                .conid("265598")
                .exchange("SMART")
                .month("JAN25")
                .sectype("OPT")
                .send()
                .await
        })
        .await;
}

/// GET /iserver/secdef/search
#[tokio::test]
async fn search_contracts_follows_its_contract() {
    contract("searchContracts")
        .request("/iserver/secdef/search")
        .query(&[
            ("fund", "true"),
            ("fundFamilyConidEx", "val-fundfamilyconidex"),
            ("more", "true"),
            ("name", "true"),
            ("pattern", "true"),
            ("referrer", "val-referrer"),
            ("secType", "STK"),
            ("symbol", "AAPL"),
        ])
        .answers(|c| async move {
            c.trading
                .search_contracts()
                .fund(true)
                .fund_family_conid_ex("val-fundfamilyconidex")
                .more(true)
                .name(true)
                .pattern(true)
                .referrer("val-referrer")
                .sec_type("STK")
                .symbol("AAPL")
                .send()
                .await
        })
        .await;
}

/// POST /iserver/secdef/search
#[tokio::test]
async fn search_contracts_post_follows_its_contract() {
    let body = json!({
        "fund": true,
        "fundFamilyConidEx": "x",
        "more": true,
        "name": true,
        "pattern": true,
        "referrer": "x",
        "secType": "STK",
        "symbol": "x"
    });
    contract("searchContractsPost")
        .request("/iserver/secdef/search")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .search_contracts_post()
                    .body(
                        from_json::<ibkr_gen::trading::types::SearchContractsPostBody>(
                            body.clone(),
                        ),
                    )
                    .send()
                    .await
            }
        })
        .await;
}

/// GET /trsrv/futures
#[tokio::test]
async fn search_futures_follows_its_contract() {
    contract("searchFutures")
        .request("/trsrv/futures")
        .query(&[("exchange", "SMART"), ("symbols", "AAPL,MSFT")])
        .answers(|c| async move {
            c.trading
                .search_futures()
                .exchange("SMART")
                .symbols("AAPL,MSFT")
                .send()
                .await
        })
        .await;
}

/// GET /trsrv/stocks
#[tokio::test]
async fn search_stocks_follows_its_contract() {
    contract("searchStocks")
        .request("/trsrv/stocks")
        .query(&[("symbols", "AAPL,MSFT")])
        .answers(|c| async move { c.trading.search_stocks().symbols("AAPL,MSFT").send().await })
        .await;
}
