//! Accounts: the brokerage accounts of the session, switching, summaries and P&L.

use ibkr_contract_tests::{contract, from_json, strings};
use serde_json::json;

#[tokio::test]
async fn accounts_list_the_account_ids_the_selected_one_and_their_properties() {
    let answers = contract("getAccounts")
        .request("/iserver/accounts")
        .answers(|c| async move { c.trading.get_accounts().send().await })
        .await;
    for a in &answers {
        assert_eq!(
            a.value.accounts,
            strings(&a.raw["accounts"]),
            "{}",
            a.fixture
        );
        assert_eq!(
            a.value.selected_account.as_deref(),
            a.raw["selectedAccount"].as_str()
        );
    }
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value;
    assert_eq!(doc.accounts, ["U1234567"]);
    let props = &doc.acct_props["U1234567"];
    assert_eq!(
        (props.supports_fractions, props.supports_cash_qty),
        (Some(true), Some(true))
    );
    assert_eq!(doc.aliases["U1234567"], "U1234567");
    assert_eq!((doc.is_paper, doc.is_ft), (Some(false), Some(false)));
}

#[tokio::test]
async fn partitioned_pnl_is_keyed_by_account_and_model_with_decimal_amounts() {
    let answers = contract("getPartitionedPnl")
        .request("/iserver/account/pnl/partitioned")
        .answers(|c| async move { c.trading.get_partitioned_pnl().send().await })
        .await;
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value;
    let core = &doc.upnl["U1234567.Core"];
    assert_eq!(
        (core.dpl, core.upl, core.nl),
        (Some(15.7), Some(607.0), Some(10000.0))
    );
    let first = &answers
        .iter()
        .find(|a| a.fixture == "spec_initial_empty.json")
        .unwrap()
        .value;
    assert!(first.upnl.is_empty(), "the first call may have no rows yet");
}

// ---- request and answer of the remaining operations, one test each ----

/// GET /acesws/{accountId}/signatures-and-owners
#[tokio::test]
async fn get_signatures_and_owners_follows_its_contract() {
    contract("getSignaturesAndOwners")
        .request("/acesws/U1234567/signatures-and-owners")
        .answers(|c| async move {
            c.trading
                .get_signatures_and_owners()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
}

/// GET /iserver/account/{accountId}/summary/available_funds
#[tokio::test]
async fn get_trading_account_available_funds_follows_its_contract() {
    contract("getTradingAccountAvailableFunds")
        .request("/iserver/account/U1234567/summary/available_funds")
        .answers(|c| async move {
            c.trading
                .get_trading_account_available_funds()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
}

/// GET /iserver/account/{accountId}/summary/balances
#[tokio::test]
async fn get_trading_account_balances_follows_its_contract() {
    contract("getTradingAccountBalances")
        .request("/iserver/account/U1234567/summary/balances")
        .answers(|c| async move {
            c.trading
                .get_trading_account_balances()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
}

/// GET /iserver/account/{accountId}/summary/margins
#[tokio::test]
async fn get_trading_account_margins_follows_its_contract() {
    contract("getTradingAccountMargins")
        .request("/iserver/account/U1234567/summary/margins")
        .answers(|c| async move {
            c.trading
                .get_trading_account_margins()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
}

/// GET /iserver/account/{accountId}/summary/market_value
#[tokio::test]
async fn get_trading_account_market_value_follows_its_contract() {
    contract("getTradingAccountMarketValue")
        .request("/iserver/account/U1234567/summary/market_value")
        .answers(|c| async move {
            c.trading
                .get_trading_account_market_value()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
}

/// GET /iserver/account/{accountId}/summary
#[tokio::test]
async fn get_trading_account_summary_follows_its_contract() {
    contract("getTradingAccountSummary")
        .request("/iserver/account/U1234567/summary")
        .answers(|c| async move {
            c.trading
                .get_trading_account_summary()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
}

/// GET /iserver/account/search/{searchPattern}
#[tokio::test]
async fn search_dynamic_accounts_follows_its_contract() {
    contract("searchDynamicAccounts")
        .request("/iserver/account/search/U123")
        .answers(|c| async move {
            c.trading
                .search_dynamic_accounts()
                .search_pattern("U123")
                .send()
                .await
        })
        .await;
}

/// POST /iserver/dynaccount
#[tokio::test]
async fn set_dynamic_account_follows_its_contract() {
    let body = json!({
        "acctId": "x"
    });
    contract("setDynamicAccount")
        .request("/iserver/dynaccount")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .set_dynamic_account()
                    .body(
                        from_json::<ibkr_gen::trading::types::SetDynamicAccountBody>(body.clone()),
                    )
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /iserver/account
#[tokio::test]
async fn switch_account_follows_its_contract() {
    let body = json!({
        "acctId": "x"
    });
    contract("switchAccount")
        .request("/iserver/account")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .switch_account()
                    .body(from_json::<ibkr_gen::trading::types::SwitchAccountBody>(
                        body.clone(),
                    ))
                    .send()
                    .await
            }
        })
        .await;
}
