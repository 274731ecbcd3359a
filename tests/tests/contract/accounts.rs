//! Accounts: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// GET /iserver/accounts
#[tokio::test]
async fn get_accounts_follows_its_contract() {
    contract("getAccounts")
        .request("/iserver/accounts")
        .answers(|c| async move { c.trading.get_accounts().send().await })
        .await;
}

/// GET /iserver/account/pnl/partitioned
#[tokio::test]
async fn get_partitioned_pnl_follows_its_contract() {
    contract("getPartitionedPnl")
        .request("/iserver/account/pnl/partitioned")
        .answers(|c| async move { c.trading.get_partitioned_pnl().send().await })
        .await;
}

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
