//! SSO: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::contract;

// ---- request and answer of the remaining operations, one test each ----

/// POST /gw/api/v1/sso-browser-sessions
#[tokio::test]
async fn create_sso_browser_session_follows_its_contract() {
    contract("createSsoBrowserSession")
        .request("/gw/api/v1/sso-browser-sessions")
        .header("authorization", "Bearer test-access-token")
        .text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
        .answers(|c| async move {
            c.account_management
                .create_sso_browser_session()
                .authorization("Bearer test-access-token")
                .body("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
                .send()
                .await
        })
        .await;
}

/// POST /gw/api/v1/sso-sessions
#[tokio::test]
async fn create_sso_session_follows_its_contract() {
    contract("createSsoSession")
        .request("/gw/api/v1/sso-sessions")
        .header("authorization", "Bearer test-access-token")
        .text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
        .answers(|c| async move {
            c.account_management
                .create_sso_session()
                .authorization("Bearer test-access-token")
                .body("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
                .send()
                .await
        })
        .await;
}
