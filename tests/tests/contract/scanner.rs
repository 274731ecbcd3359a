//! Scanner: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// GET /hmds/scanner/params
#[tokio::test]
async fn get_hmds_scanner_params_follows_its_contract() {
    contract("getHmdsScannerParams")
        .request("/hmds/scanner/params")
        .answers(|c| async move { c.trading.get_hmds_scanner_params().send().await })
        .await;
}

/// GET /iserver/scanner/params
#[tokio::test]
async fn get_scanner_params_follows_its_contract() {
    contract("getScannerParams")
        .request("/iserver/scanner/params")
        .answers(|c| async move { c.trading.get_scanner_params().send().await })
        .await;
}

/// POST /hmds/scanner/run
#[tokio::test]
async fn run_hmds_scanner_follows_its_contract() {
    let body = json!({
        "filter": [
            {
                "code": "x",
                "value": "x"
            }
        ],
        "instrument": "x",
        "location": "x",
        "maxItems": 1,
        "scanCode": "x",
        "secType": "x"
    });
    contract("runHmdsScanner")
        .request("/hmds/scanner/run")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .run_hmds_scanner()
                    .body(from_json::<ibkr_gen::trading::types::RunHmdsScannerBody>(
                        body.clone(),
                    ))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /iserver/scanner/run
#[tokio::test]
async fn run_scanner_follows_its_contract() {
    let body = json!({
        "filter": [
            {
                "code": "x",
                "value": "x"
            }
        ],
        "instrument": "x",
        "location": "x",
        "type": "x"
    });
    contract("runScanner")
        .request("/iserver/scanner/run")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .run_scanner()
                    .body(from_json::<
                        ibkr_gen::trading::types::IserverScannerRunRequest,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}
