//! Portfolio Analyst: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// POST /pa/performance
#[tokio::test]
async fn get_performance_follows_its_contract() {
    let body = json!({
        "acctIds": [
            "x"
        ],
        "period": "1D"
    });
    contract("getPerformance")
        .request("/pa/performance")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .get_performance()
                    .body(from_json::<ibkr_gen::trading::types::GetPerformanceBody>(
                        body.clone(),
                    ))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /pa/allperiods
#[tokio::test]
async fn get_performance_all_periods_follows_its_contract() {
    let body = json!({
        "acctIds": [
            "x"
        ]
    });
    contract("getPerformanceAllPeriods")
        .request("/pa/allperiods")
        .query(&[("param", "val-param")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .get_performance_all_periods()
                    .param("val-param")
                    .body(from_json::<
                        ibkr_gen::trading::types::GetPerformanceAllPeriodsBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /pa/summary
#[tokio::test]
async fn get_performance_summary_follows_its_contract() {
    let body = json!({
        "acctIds": [
            "x"
        ]
    });
    contract("getPerformanceSummary")
        .request("/pa/summary")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .get_performance_summary()
                    .body(from_json::<
                        ibkr_gen::trading::types::GetPerformanceSummaryBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /pa/transactions
#[tokio::test]
async fn get_transaction_history_follows_its_contract() {
    let body = json!({
        "acctIds": [
            "x"
        ],
        "conids": [
            1
        ],
        "currency": "x",
        "days": 1
    });
    contract("getTransactionHistory")
        .request("/pa/transactions")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .get_transaction_history()
                    .body(from_json::<
                        ibkr_gen::trading::types::GetTransactionHistoryBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}
