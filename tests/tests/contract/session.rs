//! Session: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// POST /iserver/auth/status
#[tokio::test]
async fn get_auth_status_follows_its_contract() {
    contract("getAuthStatus")
        .request("/iserver/auth/status")
        .answers(|c| async move { c.trading.get_auth_status().send().await })
        .await;
}

/// POST /iserver/auth/ssodh/init
#[tokio::test]
async fn init_brokerage_session_follows_its_contract() {
    let body = json!({
        "compete": true,
        "publish": true
    });
    contract("initBrokerageSession")
        .request("/iserver/auth/ssodh/init")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .init_brokerage_session()
                    .body(from_json::<
                        ibkr_gen::trading::types::BrokerageSessionInitRequest,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /logout
#[tokio::test]
async fn logout_follows_its_contract() {
    contract("logout")
        .request("/logout")
        .answers(|c| async move { c.trading.logout().send().await })
        .await;
}

/// POST /iserver/reauthenticate
#[tokio::test]
async fn reauthenticate_follows_its_contract() {
    contract("reauthenticate")
        .request("/iserver/reauthenticate")
        .answers(|c| async move { c.trading.reauthenticate().send().await })
        .await;
}

/// POST /tickle
#[tokio::test]
async fn tickle_follows_its_contract() {
    contract("tickle")
        .request("/tickle")
        .answers(|c| async move { c.trading.tickle().send().await })
        .await;
}

/// GET /sso/validate
#[tokio::test]
async fn validate_sso_follows_its_contract() {
    contract("validateSso")
        .request("/sso/validate")
        .answers(|c| async move { c.trading.validate_sso().send().await })
        .await;
}
