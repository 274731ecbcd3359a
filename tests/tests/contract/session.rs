//! Session: authentication status, the brokerage session, keep-alive, SSO and logout.

use ibkr_contract_tests::{contract, from_json};
use ibkr_gen::trading::types::BrokerageSessionInitRequest;
use serde_json::json;

#[tokio::test]
async fn auth_status_is_a_body_less_post_that_tells_authenticated_from_logged_out() {
    let answers = contract("getAuthStatus")
        .request("/iserver/auth/status")
        .answers(|c| async move { c.trading.get_auth_status().send().await })
        .await;
    for a in &answers {
        assert_eq!(
            a.value.authenticated,
            a.raw["authenticated"].as_bool(),
            "{}",
            a.fixture
        );
        assert_eq!(a.value.competing, Some(false), "{}", a.fixture);
    }
    let out = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1_not_authenticated.json")
        .unwrap()
        .value;
    assert_eq!(
        (out.authenticated, out.connected),
        (Some(false), Some(false))
    );
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value;
    let server = doc
        .server_info
        .as_ref()
        .and_then(|s| s.server_name.as_deref());
    assert_eq!(server, Some("JifN19053"));
}

#[tokio::test]
async fn brokerage_session_init_posts_publish_and_compete_and_reads_the_status() {
    let init = json!({"publish": true, "compete": true});
    let answers = contract("initBrokerageSession")
        .request("/iserver/auth/ssodh/init")
        .json(init.clone())
        .answers(|c| {
            let init = from_json::<BrokerageSessionInitRequest>(init.clone());
            async move { c.trading.init_brokerage_session().body(init).send().await }
        })
        .await;
    for a in &answers {
        assert_eq!(a.value.authenticated, Some(true), "{}", a.fixture);
        assert_eq!(a.value.connected, Some(true), "{}", a.fixture);
    }
}

#[tokio::test]
async fn tickle_keeps_the_session_and_reads_a_failure_as_an_error_not_an_empty_session() {
    let answers = contract("tickle")
        .request("/tickle")
        .answers(|c| async move { c.trading.tickle().send().await })
        .await;
    for a in &answers {
        let v = &a.value;
        match a.raw.get("error") {
            Some(e) => {
                assert_eq!(v.error.as_deref(), e.as_str(), "{}", a.fixture);
                assert_eq!(v.session, None);
            }
            None => {
                // The session id decodes into a Secret that carries the recorded value;
                // every other field is compared with the recording by the harness.
                assert_eq!(
                    v.session.as_ref().map(|s| s.expose()),
                    a.raw["session"].as_str(),
                    "{}",
                    a.fixture
                );
            }
        }
    }
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value;
    assert_eq!(
        (doc.sso_expires, doc.user_id),
        (Some(460311), Some(123456789))
    );
    assert_eq!(
        doc.hmds.as_ref().and_then(|h| h.error.as_deref()),
        Some("no bridge")
    );
}

#[tokio::test]
async fn sso_validation_reads_user_login_time_and_expiry_in_milliseconds() {
    let answers = contract("validateSso")
        .request("/sso/validate")
        .answers(|c| async move { c.trading.validate_sso().send().await })
        .await;
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value;
    assert_eq!(doc.user_name.as_deref(), Some("user1234"));
    assert_eq!(doc.auth_time, Some(1702580846836));
    assert_eq!(doc.last_accessed, Some(1702581069652));
    assert_eq!(
        (doc.expires, doc.login_type, doc.result),
        (Some(415890), Some(2), Some(true))
    );
}

#[tokio::test]
async fn logout_is_a_body_less_post_answered_with_a_status() {
    let answers = contract("logout")
        .request("/logout")
        .answers(|c| async move { c.trading.logout().send().await })
        .await;
    assert!(answers.iter().all(|a| a.value.status == Some(true)));
}

// ---- request and answer of the remaining operations, one test each ----

/// POST /iserver/reauthenticate
#[tokio::test]
async fn reauthenticate_follows_its_contract() {
    contract("reauthenticate")
        .request("/iserver/reauthenticate")
        .answers(|c| async move { c.trading.reauthenticate().send().await })
        .await;
}
