//! Every endpoint the simulator serves, called through the generated typed client: each
//! response the simulator gives must decode into the generated type (the simulator is
//! shaped after real recorded responses, and so are the generated types).

use ibkr_gen::trading::{Client, types};
use ibkr_gen::wire::{RetryPolicy, Wire};
use ibkr_sim::{Gateway, Limits};
use serde_json::{Value, json};

const ACCOUNT: &str = "DU1234567";

/// Await a generated call; on failure, name the operation and show what arrived.
macro_rules! decode {
    ($name:literal, $call:expr) => {
        match $call.await {
            Ok(v) => serde_json::to_value(v.into_inner()).unwrap_or(Value::Null),
            Err(ibkr_gen::Error::InvalidResponsePayload(body, e)) => {
                panic!(
                    "{}: does not decode ({e}): {}",
                    $name,
                    String::from_utf8_lossy(&body)
                )
            }
            Err(e) => panic!("{}: {e:?}", $name),
        }
    };
}

fn body<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("a valid request body")
}

#[tokio::test]
async fn every_simulated_endpoint_decodes_through_the_generated_client() {
    let gw = Gateway::builder()
        .seed(3)
        .account(ACCOUNT)
        .brokerage_session(false)
        .limits(Limits::unlimited())
        .plain_http()
        .start()
        .await
        .unwrap();
    let wire = Wire::builder()
        .global_rate(None)
        .per_operation_limits(false)
        .retry(RetryPolicy::none())
        .build();
    let c = Client::new_with_client(
        gw.base_url(),
        ibkr_gen::http_client_builder().build().unwrap(),
        wire,
    );

    // Session.
    let status = decode!("getAuthStatus", c.get_auth_status().send());
    assert_eq!(
        status["authenticated"], false,
        "no brokerage session yet: {status}"
    );
    let init = decode!(
        "initBrokerageSession",
        c.init_brokerage_session()
            .body(body::<types::BrokerageSessionInitRequest>(
                json!({"publish": true, "compete": true})
            ))
            .send()
    );
    assert_eq!(init["authenticated"], true, "{init}");
    let tickle = decode!("tickle", c.tickle().send());
    assert!(tickle.to_string().contains("authenticated"), "{tickle}");
    decode!("validateSso", c.validate_sso().send());
    decode!("reauthenticate", c.reauthenticate().send());

    // Accounts and portfolio.
    let accounts = decode!("getAccounts", c.get_accounts().send());
    assert!(
        accounts["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == ACCOUNT)
    );
    let pa = decode!("listPortfolioAccounts", c.list_portfolio_accounts().send());
    assert!(pa.to_string().contains(ACCOUNT));
    decode!("listSubaccounts", c.list_subaccounts().send());
    decode!(
        "getAccountSummary",
        c.get_account_summary().account_id(ACCOUNT).send()
    );
    decode!(
        "getTradingAccountSummary",
        c.get_trading_account_summary().account_id(ACCOUNT).send()
    );
    decode!(
        "getAccountLedger",
        c.get_account_ledger().account_id(ACCOUNT).send()
    );
    decode!(
        "getPositions",
        c.get_positions().account_id(ACCOUNT).page_id(0).send()
    );
    decode!(
        "getPositionsUncached",
        c.get_positions_uncached().account_id(ACCOUNT).send()
    );
    decode!("getPartitionedPnl", c.get_partitioned_pnl().send());
    decode!("getPartitionedPnl (second)", c.get_partitioned_pnl().send());
    decode!("listTrades", c.list_trades().send());

    // Contracts.
    let stocks = decode!(
        "searchStocks",
        c.search_stocks()
            .symbols(vec!["AAPL".to_string(), "MSFT".into()])
            .send()
    );
    assert_eq!(
        stocks["AAPL"][0]["contracts"][0]["conid"], 265598,
        "{stocks}"
    );
    let search = decode!(
        "searchContracts",
        c.search_contracts().symbol("AAPL").send()
    );
    assert!(search.to_string().contains("265598"));
    decode!(
        "searchContractsPost",
        c.search_contracts_post()
            .body(body::<types::SearchContractsPostBody>(
                json!({"symbol": "MSFT"})
            ))
            .send()
    );
    decode!(
        "getSecurityDefinitions",
        c.get_security_definitions()
            .conids(vec![265598, 8314])
            .send()
    );
    decode!(
        "searchFutures",
        c.search_futures().symbols(vec!["ES".to_string()]).send()
    );
    let info = decode!(
        "getContractInfo",
        c.get_contract_info().conid("265598").send()
    );
    assert_eq!(info["symbol"], "AAPL", "{info}");
    decode!(
        "listStrikes",
        c.list_strikes()
            .conid("265598")
            .sectype("OPT")
            .month("JAN27")
            .send()
    );
    decode!(
        "getSecdefInfo",
        c.get_secdef_info().conid("265598").sectype("STK").send()
    );

    // Market data: pre-flight, then values.
    decode!(
        "getMarketDataSnapshot (pre-flight)",
        c.get_market_data_snapshot()
            .conids(vec![265598])
            .fields(vec!["31".into(), "84".into()])
            .send()
    );
    let snap = decode!(
        "getMarketDataSnapshot",
        c.get_market_data_snapshot()
            .conids(vec![265598])
            .fields(vec!["31".into(), "84".into()])
            .send()
    );
    assert!(snap[0]["31"].is_string(), "{snap}");
    let hist = decode!(
        "getMarketDataHistory",
        c.get_market_data_history()
            .conid(265598)
            .period("1m")
            .bar("1d")
            .send()
    );
    assert!(hist["data"].as_array().unwrap().len() >= 15, "{hist}");
    let first = c
        .get_hmds_history()
        .conid(265598)
        .period("1w")
        .bar("1d")
        .send()
        .await;
    assert_eq!(
        first.unwrap_err().status(),
        Some(reqwest::StatusCode::NOT_FOUND),
        "hmds 404s on first use"
    );
    decode!(
        "getHmdsHistory",
        c.get_hmds_history()
            .conid(265598)
            .period("1w")
            .bar("1d")
            .send()
    );
    decode!(
        "unsubscribeMarketData",
        c.unsubscribe_market_data()
            .body(body::<types::UnsubscribeMarketDataBody>(
                json!({"conid": 265598})
            ))
            .send()
    );
    decode!(
        "unsubscribeAllMarketData",
        c.unsubscribe_all_market_data().send()
    );

    // Orders: questions, a reply, status, modify, cancel, whatif.
    let order = json!({"orders": [{"conid": 265598, "orderType": "LMT", "price": 100, "side": "BUY", "quantity": 1, "tif": "GTC", "cOID": "sim-decode-1"}]});
    decode!(
        "previewOrder",
        c.preview_order()
            .account_id(ACCOUNT)
            .body(body::<types::OrdersSubmissionRequest>(order.clone()))
            .send()
    );
    decode!(
        "suppressOrderQuestions",
        c.suppress_order_questions()
            .body(body::<types::SuppressOrderQuestionsBody>(
                json!({"messageIds": ["o10331"]})
            ))
            .send()
    );
    decode!(
        "resetSuppressedQuestions",
        c.reset_suppressed_questions().send()
    );
    let mut answer = decode!(
        "placeOrder",
        c.place_order()
            .account_id(ACCOUNT)
            .body(body::<types::OrdersSubmissionRequest>(order))
            .send()
    );
    for _ in 0..5 {
        let Some(id) = answer
            .get(0)
            .and_then(|a| a.get("id"))
            .and_then(Value::as_str)
            .map(String::from)
        else {
            break;
        };
        answer = decode!(
            "replyToOrderQuestion",
            c.reply_to_order_question()
                .reply_id(id)
                .body(body::<types::ReplyToOrderQuestionBody>(
                    json!({"confirmed": true})
                ))
                .send()
        );
    }
    let order_id = answer[0]["order_id"]
        .as_str()
        .unwrap_or_else(|| panic!("an acknowledgement: {answer}"))
        .to_string();
    decode!("getLiveOrders", c.get_live_orders().send());
    let status = decode!(
        "getOrderStatus",
        c.get_order_status().order_id(order_id.clone()).send()
    );
    assert!(status.to_string().contains(&order_id), "{status}");
    let modify = json!({"conid": 265598, "orderType": "LMT", "price": 101, "side": "BUY", "quantity": 1, "tif": "GTC"});
    let modified = decode!(
        "modifyOrder",
        c.modify_order()
            .account_id(ACCOUNT)
            .order_id(order_id.clone())
            .body(body::<types::SingleOrderSubmissionRequest>(modify))
            .send()
    );
    if let Some(id) = modified
        .get(0)
        .and_then(|a| a.get("id"))
        .and_then(Value::as_str)
    {
        decode!(
            "replyToOrderQuestion (modify)",
            c.reply_to_order_question()
                .reply_id(id)
                .body(body::<types::ReplyToOrderQuestionBody>(
                    json!({"confirmed": true})
                ))
                .send()
        );
    }
    let cancelled = decode!(
        "cancelOrder",
        c.cancel_order()
            .account_id(ACCOUNT)
            .order_id(order_id.clone())
            .send()
    );
    assert_eq!(cancelled["msg"], "Request was submitted", "{cancelled}");
    decode!("logout", c.logout().send());
}
