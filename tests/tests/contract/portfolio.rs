//! Portfolio: portfolio accounts, positions, ledger and summary.

use ibkr_contract_tests::{contract, from_json};
use ibkr_gen::trading::types::LooseScalar;
use serde_json::json;

#[tokio::test]
async fn positions_page_carries_conid_size_price_and_cost_of_each_position() {
    let answers = contract("getPositions")
        .request("/portfolio/U1234567/positions/0")
        .query(&[
            ("model", "Core"),
            ("sort", "position"),
            ("direction", "d"),
            ("waitForSecDef", "true"),
        ])
        .answers(|c| async move {
            c.trading
                .get_positions()
                .account_id("U1234567")
                .page_id(0)
                .model("Core")
                .sort("position")
                .direction("d")
                .wait_for_sec_def(true)
                .send()
                .await
        })
        .await;
    let spy = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value[0];
    assert_eq!(
        (spy.acct_id.as_deref(), spy.conid),
        (Some("U1234567"), Some(756733))
    );
    assert_eq!((spy.position, spy.avg_cost), (Some(5.0), Some(434.93)));
    assert_eq!(spy.mkt_price, Some(471.16000365));
    assert!(matches!(spy.strike, Some(LooseScalar::Number(s)) if s == 0.0));
    let call = &answers
        .iter()
        .find(|a| a.fixture == "spec_positions.json")
        .unwrap()
        .value[1];
    assert_eq!(call.conid, Some(584891614));
    assert!(matches!(&call.strike, Some(LooseScalar::String(s)) if s == "440"));
    assert_eq!(call.put_or_call.as_deref(), Some("C"));
}

#[tokio::test]
async fn summary_reads_net_liquidation_with_epoch_millisecond_timestamps() {
    let answers = contract("getAccountSummary")
        .request("/portfolio/U1234567/summary")
        .answers(|c| async move {
            c.trading
                .get_account_summary()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "spec_success.json")
        .unwrap()
        .value;
    let nl = doc.netliquidation.as_ref().expect("net liquidation");
    assert_eq!(
        (nl.amount, nl.currency.as_deref()),
        (Some(206415536.0), Some("USD"))
    );
    assert_eq!(nl.timestamp, Some(1712156105000));
    let code = doc.accountcode.as_ref().and_then(|v| v.value.as_deref());
    assert_eq!(code, Some("DU123456"));
}

#[tokio::test]
async fn ledger_is_keyed_by_currency_with_cash_net_liquidation_and_fx_rate() {
    let answers = contract("getAccountLedger")
        .request("/portfolio/U1234567/ledger")
        .answers(|c| async move {
            c.trading
                .get_account_ledger()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value;
    let base = &doc["BASE"];
    assert_eq!(base.cashbalance, Some(215100080.0));
    assert_eq!(
        (base.netliquidationvalue, base.exchangerate),
        (Some(215721776.0), Some(1.0))
    );
    let spec = &answers
        .iter()
        .find(|a| a.fixture == "spec_success.json")
        .unwrap()
        .value;
    assert_eq!(spec["AUD"].exchangerate, Some(0.650378));
}

#[tokio::test]
async fn portfolio_accounts_carry_id_currency_and_status_in_epoch_milliseconds() {
    let answers = contract("listPortfolioAccounts")
        .request("/portfolio/accounts")
        .answers(|c| async move { c.trading.list_portfolio_accounts().send().await })
        .await;
    let demo = &answers
        .iter()
        .find(|a| a.fixture == "spec_accounts.json")
        .unwrap()
        .value[0];
    assert_eq!(
        (demo.id.as_deref(), demo.currency.as_deref()),
        (Some("DU123456"), Some("USD"))
    );
    assert_eq!(demo.account_status, Some(1590724800000));
}

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
                .model("val-model")
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
