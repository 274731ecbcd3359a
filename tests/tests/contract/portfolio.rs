//! Portfolio: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// GET /portfolio/{accountId}/allocation
#[tokio::test]
async fn get_account_allocation_follows_its_contract() {
    contract("getAccountAllocation")
        .request("/portfolio/U1234567/allocation")
        .query(&[("model", "val-model")])
        .answers(|c| async move {
            c.trading
                .get_account_allocation()
                .account_id("U1234567")
                .model(serde_json::json!("val-model"))
                .send()
                .await
        })
        .await;
}

/// GET /portfolio/{accountId}/ledger
#[tokio::test]
async fn get_account_ledger_follows_its_contract() {
    contract("getAccountLedger")
        .request("/portfolio/U1234567/ledger")
        .answers(|c| async move {
            c.trading
                .get_account_ledger()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
}

/// GET /portfolio/{accountId}/meta
#[tokio::test]
async fn get_account_metadata_follows_its_contract() {
    contract("getAccountMetadata")
        .request("/portfolio/U1234567/meta")
        .answers(|c| async move {
            c.trading
                .get_account_metadata()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
}

/// GET /portfolio/{accountid}/position/{conid}
#[tokio::test]
async fn get_account_position_follows_its_contract() {
    contract("getAccountPosition")
        .request("/portfolio/U1234567/position/265598")
        .answers(|c| async move {
            c.trading
                .get_account_position()
                .accountid("U1234567")
                .conid(265598)
                .send()
                .await
        })
        .await;
}

/// GET /portfolio/{accountId}/summary
#[tokio::test]
async fn get_account_summary_follows_its_contract() {
    contract("getAccountSummary")
        .request("/portfolio/U1234567/summary")
        .answers(|c| async move {
            c.trading
                .get_account_summary()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
}

/// POST /portfolio/allocation
#[tokio::test]
async fn get_allocation_across_accounts_follows_its_contract() {
    let body = json!({
        "acctIds": [
            "x"
        ]
    });
    contract("getAllocationAcrossAccounts")
        .request("/portfolio/allocation")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .get_allocation_across_accounts()
                    .body(from_json::<
                        ibkr_gen::trading::types::GetAllocationAcrossAccountsBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// GET /portfolio/{accountId}/combo/positions
#[tokio::test]
async fn get_combo_positions_follows_its_contract() {
    contract("getComboPositions")
        .request("/portfolio/U1234567/combo/positions")
        .query(&[("nocache", "true")])
        .answers(|c| async move {
            c.trading
                .get_combo_positions()
                .account_id("U1234567")
                .nocache(true)
                .send()
                .await
        })
        .await;
}

/// GET /portfolio/{accountId}/positions/{pageId}
#[tokio::test]
async fn get_positions_follows_its_contract() {
    contract("getPositions")
        .request("/portfolio/U1234567/positions/0")
        .query(&[
            ("direction", "val-direction"),
            ("model", "val-model"),
            ("sort", "val-sort"),
            ("waitForSecDef", "true"),
        ])
        .answers(|c| async move {
            c.trading
                .get_positions()
                .account_id("U1234567")
                .page_id(0)
                .direction(serde_json::json!("val-direction"))
                .model(serde_json::json!("val-model"))
                .sort(serde_json::json!("val-sort"))
                .wait_for_sec_def(true)
                .send()
                .await
        })
        .await;
}

/// GET /portfolio/positions/{conid}
#[tokio::test]
async fn get_positions_for_contract_follows_its_contract() {
    contract("getPositionsForContract")
        .request("/portfolio/positions/265598")
        .answers(|c| async move {
            c.trading
                .get_positions_for_contract()
                .conid(265598)
                .send()
                .await
        })
        .await;
}

/// GET /portfolio2/{accountId}/positions
#[tokio::test]
async fn get_positions_uncached_follows_its_contract() {
    contract("getPositionsUncached")
        .request("/portfolio2/U1234567/positions")
        .query(&[
            ("direction", "a"),
            ("model", "val-model"),
            ("sort", "val-sort"),
        ])
        .answers(|c| async move {
            c.trading
                .get_positions_uncached()
                .account_id("U1234567")
                .direction("a")
                .model("val-model")
                .sort("val-sort")
                .send()
                .await
        })
        .await;
}

/// POST /portfolio/{accountId}/positions/invalidate
#[tokio::test]
async fn invalidate_positions_cache_follows_its_contract() {
    contract("invalidatePositionsCache")
        .request("/portfolio/U1234567/positions/invalidate")
        .answers(|c| async move {
            c.trading
                .invalidate_positions_cache()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
}

/// GET /portfolio/accounts
#[tokio::test]
async fn list_portfolio_accounts_follows_its_contract() {
    contract("listPortfolioAccounts")
        .request("/portfolio/accounts")
        .answers(|c| async move { c.trading.list_portfolio_accounts().send().await })
        .await;
}

/// GET /portfolio/subaccounts
#[tokio::test]
async fn list_subaccounts_follows_its_contract() {
    contract("listSubaccounts")
        .request("/portfolio/subaccounts")
        .answers(|c| async move { c.trading.list_subaccounts().send().await })
        .await;
}

/// GET /portfolio/subaccounts2
#[tokio::test]
async fn list_subaccounts_paged_follows_its_contract() {
    contract("listSubaccountsPaged")
        .request("/portfolio/subaccounts2")
        .query(&[
            ("accountId", "U1234567"),
            ("nocache", "true"),
            ("page", "7"),
        ])
        .answers(|c| async move {
            c.trading
                .list_subaccounts_paged()
                .account_id("U1234567")
                .nocache(true)
                .page(7)
                .send()
                .await
        })
        .await;
}
