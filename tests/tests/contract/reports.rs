//! Reports: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// POST /gw/api/v1/statements
#[tokio::test]
async fn generate_statement_follows_its_contract() {
    let body = json!({
        "accountId": "x",
        "accountIds": [
            "x"
        ],
        "cryptoConsolIfAvailable": true,
        "endDate": "x",
        "gzip": true,
        "language": "x",
        "mimeType": "x",
        "multiAccountFormat": "x",
        "startDate": "x"
    });
    contract("generateStatement")
        .request("/gw/api/v1/statements")
        .json(body.clone())
        .header("authorization", "Bearer test-access-token")
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .generate_statement()
                    .authorization("Bearer test-access-token")
                    .body(
                        from_json::<ibkr_gen::account_management::types::StmtRequest>(body.clone()),
                    )
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/tax-documents
#[tokio::test]
async fn get_tax_document_follows_its_contract() {
    let body = json!({
        "accountId": "x",
        "format": "x",
        "gzip": true,
        "type": "x",
        "year": 1
    });
    contract("getTaxDocument")
        .request("/gw/api/v1/tax-documents")
        .json(body.clone())
        .header("authorization", "Bearer test-access-token")
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .get_tax_document()
                    .authorization("Bearer test-access-token")
                    .body(from_json::<
                        ibkr_gen::account_management::types::TaxFormRequest,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/trade-confirmations
#[tokio::test]
async fn get_trade_confirmations_follows_its_contract() {
    let body = json!({
        "accountId": "x",
        "endDate": "x",
        "mimeType": "x",
        "startDate": "x"
    });
    contract("getTradeConfirmations")
        .request("/gw/api/v1/trade-confirmations")
        .json(body.clone())
        .header("authorization", "Bearer test-access-token")
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .get_trade_confirmations()
                    .authorization("Bearer test-access-token")
                    .body(from_json::<
                        ibkr_gen::account_management::types::TradeConfirmationRequest,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// GET /gw/api/v1/statements/available
#[tokio::test]
async fn list_available_statements_follows_its_contract() {
    contract("listAvailableStatements")
        .request("/gw/api/v1/statements/available")
        .query(&[("accountId", "U1234567")])
        .header("authorization", "Bearer test-access-token")
        .answers(|c| async move {
            c.account_management
                .list_available_statements()
                .account_id("U1234567")
                .authorization("Bearer test-access-token")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/tax-documents/available
#[tokio::test]
async fn list_available_tax_documents_follows_its_contract() {
    contract("listAvailableTaxDocuments")
        .request("/gw/api/v1/tax-documents/available")
        .query(&[("accountId", "U1234567"), ("year", "7")])
        .header("authorization", "Bearer test-access-token")
        .answers(|c| async move {
            c.account_management
                .list_available_tax_documents()
                .account_id("U1234567")
                .year(7)
                .authorization("Bearer test-access-token")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/trade-confirmations/available
#[tokio::test]
async fn list_available_trade_confirmations_follows_its_contract() {
    contract("listAvailableTradeConfirmations")
        .request("/gw/api/v1/trade-confirmations/available")
        .query(&[("accountId", "U1234567")])
        .header("authorization", "Bearer test-access-token")
        .answers(|c| async move {
            c.account_management
                .list_available_trade_confirmations()
                .account_id("U1234567")
                .authorization("Bearer test-access-token")
                .send()
                .await
        })
        .await;
}
