//! Restrictions: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// POST /gw/api/v1/restrictions
#[tokio::test]
async fn apply_restrictions_csv_follows_its_contract() {
    contract("applyRestrictionsCsv")
        .request("/gw/api/v1/restrictions")
        .header("authorization", "Bearer test-access-token")
        .text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
        .answers(|c| async move {
            c.account_management
                .apply_restrictions_csv()
                .authorization("Bearer test-access-token")
                .body("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
                .send()
                .await
        })
        .await;
}

/// POST /gw/api/v1/restrictions/verify
#[tokio::test]
async fn verify_restrictions_csv_follows_its_contract() {
    let body = json!({
        "payload": "x",
        "requestId": 1,
        "userName": "x"
    });
    contract("verifyRestrictionsCsv")
        .request("/gw/api/v1/restrictions/verify")
        .json(body.clone())
        .header("authorization", "Bearer test-access-token")
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .verify_restrictions_csv()
                    .authorization("Bearer test-access-token")
                    .body(from_json::<
                        ibkr_gen::account_management::types::VerifyRequest,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}
