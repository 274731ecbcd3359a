//! OAuth: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// POST /oauth/live_session_token
#[tokio::test]
async fn create_live_session_token_follows_its_contract() {
    contract("createLiveSessionToken")
        .request("/oauth/live_session_token")
        .header("authorization", "Bearer test-access-token")
        .answers(|c| async move {
            c.trading
                .create_live_session_token()
                .authorization("Bearer test-access-token")
                .send()
                .await
        })
        .await;
}

/// POST /oauth2/api/v1/token
#[tokio::test]
async fn create_oauth2_token_follows_its_contract() {
    let body = json!({
        "clientAssertion": "x",
        "clientAssertionType": "x",
        "clientAuthenticationMethod": "private_key_jwt",
        "clientId": "x",
        "clientSecret": "x"
    });
    contract("createOauth2Token")
        .request("/oauth2/api/v1/token")
        .form(&[
            ("clientAssertion", "x"),
            ("clientAssertionType", "x"),
            ("clientAuthenticationMethod", "private_key_jwt"),
            ("clientId", "x"),
            ("clientSecret", "x"),
        ])
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .create_oauth2_token()
                    .body(
                        from_json::<ibkr_gen::account_management::types::TokenRequest>(
                            body.clone(),
                        ),
                    )
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /oauth/access_token
#[tokio::test]
async fn create_oauth_access_token_follows_its_contract() {
    contract("createOauthAccessToken")
        .request("/oauth/access_token")
        .header("authorization", "Bearer test-access-token")
        .answers(|c| async move {
            c.trading
                .create_oauth_access_token()
                .authorization("Bearer test-access-token")
                .send()
                .await
        })
        .await;
}

/// POST /oauth/request_token
#[tokio::test]
async fn create_oauth_request_token_follows_its_contract() {
    contract("createOauthRequestToken")
        .request("/oauth/request_token")
        .header("authorization", "Bearer test-access-token")
        .answers(|c| async move {
            c.trading
                .create_oauth_request_token()
                .authorization("Bearer test-access-token")
                .send()
                .await
        })
        .await;
}
