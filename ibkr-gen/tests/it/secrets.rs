//! Every generated type that carries a credential (openapi/overlays/50-secrets.yaml) holds
//! it as a `Secret`: it decodes and re-encodes, and never prints.

use ibkr_gen::{account_management, trading};
use serde_json::json;

const PLANTED: &str = "planted-0123456789abcdef-secret";

fn assert_hidden<T: std::fmt::Debug + serde::Serialize>(value: &T, field: &str) {
    let shown = format!("{value:?}");
    assert!(
        !shown.contains(PLANTED),
        "{field} leaks through Debug: {shown}"
    );
    let wire = serde_json::to_string(value).unwrap();
    assert!(
        wire.contains(PLANTED),
        "{field} still reaches the wire: {wire}"
    );
}

#[test]
fn the_tickle_session_never_prints() {
    let tickle: trading::types::TickleResponse =
        serde_json::from_value(json!({"session": PLANTED, "ssoExpires": 585695, "userId": 1}))
            .unwrap();
    assert_hidden(&tickle, "tickle.session");
    assert_eq!(tickle.session.as_ref().map(|s| s.expose()), Some(PLANTED));
}

#[test]
fn oauth2_tokens_and_assertions_never_print() {
    let token: account_management::types::TokenResponse = serde_json::from_value(json!({
        "access_token": PLANTED, "id_token": PLANTED, "refresh_token": PLANTED,
        "token_type": "Bearer", "expires_in": 3600
    }))
    .unwrap();
    assert_hidden(&token, "TokenResponse");
    let session: account_management::types::CreateSessionResponse =
        serde_json::from_value(json!({"access_token": PLANTED, "token_type": "Bearer"})).unwrap();
    assert_hidden(&session, "CreateSessionResponse");
    let request: account_management::types::TokenRequest = serde_json::from_value(json!({
        "clientAssertion": PLANTED, "clientSecret": PLANTED,
        "clientAssertionType": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    }))
    .unwrap();
    assert_hidden(&request, "TokenRequest");
}

#[test]
fn the_oauth1_handshake_answers_never_print() {
    let lst: trading::types::CreateLiveSessionTokenResponse = serde_json::from_value(json!({
        "diffie_hellman_response": PLANTED, "live_session_token_signature": PLANTED,
        "live_session_token_expiration": 1700000000000i64
    }))
    .unwrap();
    assert_hidden(&lst, "live_session_token answer");
    let access: trading::types::CreateOauthAccessTokenResponse = serde_json::from_value(
        json!({"oauth_token": PLANTED, "oauth_token_secret": PLANTED, "is_paper": true}),
    )
    .unwrap();
    assert_hidden(&access, "access_token answer");
    let request: trading::types::CreateOauthRequestTokenResponse =
        serde_json::from_value(json!({"oauth_token": PLANTED})).unwrap();
    assert_hidden(&request, "request_token answer");
}
