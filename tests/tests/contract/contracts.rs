//! Contracts: search by symbol, contract details, option chains, stocks and futures lookups.

use ibkr_contract_tests::{contract, from_json};
use ibkr_gen::trading::types::{GetSecdefInfoResponse, LooseScalar};
use serde_json::json;

#[tokio::test]
async fn search_by_symbol_reads_conid_company_and_the_security_types_offered() {
    let answers = contract("searchContracts")
        .request("/iserver/secdef/search")
        .query(&[("symbol", "IBM"), ("secType", "STK"), ("name", "false")])
        .answers(|c| async move {
            c.trading
                .search_contracts()
                .symbol("IBM")
                .sec_type("STK")
                .name(false)
                .send()
                .await
        })
        .await;
    let ibm = &answers
        .iter()
        .find(|a| a.fixture == "spec_found.json")
        .unwrap()
        .value
        .0[0];
    assert_eq!(
        (ibm.conid.as_deref(), ibm.symbol.as_deref()),
        (Some("8314"), Some("IBM"))
    );
    assert_eq!(
        ibm.company_name.as_deref(),
        Some("INTL BUSINESS MACHINES CORP")
    );
    let types: Vec<_> = ibm
        .sections
        .iter()
        .filter_map(|s| s.sec_type.as_deref())
        .collect();
    assert_eq!(types, ["STK", "OPT", "WAR", "IOPT", "CFD", "BAG"]);
}

#[tokio::test]
async fn contract_info_reads_symbol_type_currency_and_underlying_of_a_conid() {
    let answers = contract("getContractInfo")
        .request("/iserver/contract/265598/info")
        .answers(|c| async move { c.trading.get_contract_info().conid("265598").send().await })
        .await;
    let aapl = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value;
    assert_eq!(
        (aapl.con_id, aapl.symbol.as_deref()),
        (Some(265598), Some("AAPL"))
    );
    assert_eq!(aapl.instrument_type.as_deref(), Some("STK"));
    let opt = &answers
        .iter()
        .find(|a| a.fixture == "spec_OPT.json")
        .unwrap()
        .value;
    assert_eq!(
        (opt.underlying_con_id, opt.multiplier.as_deref()),
        (Some(8314), Some("100"))
    );
    assert_eq!(opt.maturity_date.as_deref(), Some("20240315"));
}

#[tokio::test]
async fn secdef_info_finds_an_option_by_month_strike_and_right_in_either_answer_shape() {
    let answers = contract("getSecdefInfo")
        .request("/iserver/secdef/info")
        .query(&[
            ("conid", "265598"),
            ("sectype", "OPT"),
            ("month", "JAN24"),
            ("strike", "195.0"),
            ("right", "P"),
        ])
        .answers(|c| async move {
            c.trading
                .get_secdef_info()
                .conid("265598")
                .sectype("OPT")
                .month("JAN24")
                .strike(195.0)
                .right("P")
                .send()
                .await
        })
        .await;
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value;
    let GetSecdefInfoResponse::Array(options) = doc else {
        panic!("the gateway answers an array")
    };
    assert_eq!(
        (options[0].conid, options[0].strike),
        (Some(667629330), Some(195.0))
    );
    assert_eq!(
        (
            options[0].right.as_deref(),
            options[0].maturity_date.as_deref()
        ),
        (Some("P"), Some("20240105"))
    );
    let spec = &answers
        .iter()
        .find(|a| a.fixture == "spec_STK.json")
        .unwrap()
        .value;
    let GetSecdefInfoResponse::SecDefInfoResponse(ibm) = spec else {
        panic!("one object")
    };
    assert_eq!(ibm.conid, Some(8314));
}

#[tokio::test]
async fn strikes_list_call_and_put_strikes_of_a_month() {
    let answers = contract("listStrikes")
        .request("/iserver/secdef/strikes")
        .query(&[("conid", "265598"), ("sectype", "OPT"), ("month", "JAN24")])
        .answers(|c| async move {
            c.trading
                .list_strikes()
                .conid("265598")
                .sectype("OPT")
                .month("JAN24")
                .send()
                .await
        })
        .await;
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value;
    assert_eq!(doc.call, [185.0, 190.0, 195.0, 200.0]);
    assert_eq!(doc.put, doc.call);
}

#[tokio::test]
async fn stocks_by_symbol_list_each_listing_with_its_conid() {
    let answers = contract("searchStocks")
        .request("/trsrv/stocks")
        .query(&[("symbols", "AAPL")])
        .answers(|c| async move {
            c.trading
                .search_stocks()
                .symbols(vec!["AAPL".to_string()])
                .send()
                .await
        })
        .await;
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value;
    let apple = &doc.0["AAPL"][0];
    assert_eq!(apple.name.as_deref(), Some("APPLE INC"));
    let nasdaq = &apple.contracts[0];
    assert_eq!(
        (nasdaq.conid, nasdaq.exchange.as_deref(), nasdaq.is_us),
        (Some(265598), Some("NASDAQ"), Some(true))
    );
}

#[tokio::test]
async fn futures_by_symbol_list_conid_and_expiry_of_each_contract() {
    let answers = contract("searchFutures")
        .request("/trsrv/futures")
        .query(&[("symbols", "ES")])
        .answers(|c| async move {
            c.trading
                .search_futures()
                .symbols(vec!["ES".to_string()])
                .send()
                .await
        })
        .await;
    let es = &answers
        .iter()
        .find(|a| a.fixture == "spec_futures.json")
        .unwrap()
        .value
        .0["ES"];
    assert_eq!(
        (es[0].conid, es[0].expiration_date),
        (Some(495512557), Some(20241220))
    );
    assert_eq!(es[0].underlying_conid, Some(11004968));
}

#[tokio::test]
async fn security_definitions_by_conid_read_name_listing_and_loose_strike() {
    let answers = contract("getSecurityDefinitions")
        .request("/trsrv/secdef")
        .query(&[("conids", "265598,8314")])
        .answers(|c| async move {
            c.trading
                .get_security_definitions()
                .conids(vec![265598, 8314])
                .send()
                .await
        })
        .await;
    let aapl = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value
        .secdef[0];
    assert_eq!(
        (aapl.conid, aapl.ticker.as_deref()),
        (Some(265598), Some("AAPL"))
    );
    assert_eq!(aapl.listing_exchange.as_deref(), Some("NASDAQ"));
    assert!(matches!(&aapl.strike, Some(LooseScalar::String(s)) if s == "0"));
    assert!(matches!(aapl.multiplier, Some(LooseScalar::Number(m)) if m == 0.0));
}

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
