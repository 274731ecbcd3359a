//! The simulator as api.ibkr.com refuses what IBKR refuses. (Full logins, which need a
//! client that signs, are tested in `ibkr-ext/tests/it/oauth.rs` and the CLI's tests.)

use crate::common;

use std::sync::OnceLock;

use ibkr_sim::Gateway;
use ibkr_sim::oauth::SimConsumer;
use serde_json::Value;

fn consumer() -> &'static SimConsumer {
    static C: OnceLock<SimConsumer> = OnceLock::new();
    C.get_or_init(|| SimConsumer::generate().expect("consumer"))
}

async fn oauth_gateway() -> ibkr_sim::RunningGateway {
    Gateway::builder()
        .plain_http()
        .oauth1(consumer().oauth1())
        .oauth2(consumer().oauth2())
        .start()
        .await
        .expect("simulator")
}

#[tokio::test]
async fn an_unsigned_request_answers_401() {
    let gw = oauth_gateway().await;
    let r = common::client(None)
        .get(format!("{}/portfolio/accounts", gw.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["statusCode"], 401);
    assert_eq!(gw.control().oauth().unwrap().refused(), 1);
}

#[tokio::test]
async fn an_unknown_consumer_gets_invalid_consumer() {
    let gw = oauth_gateway().await;
    let header = "OAuth realm=\"limited_poa\", oauth_consumer_key=\"NOSUCHONE\", oauth_nonce=\"n1\", \
                  oauth_signature=\"x\", oauth_signature_method=\"RSA-SHA256\", oauth_timestamp=\"1\", \
                  oauth_token=\"t\", diffie_hellman_challenge=\"5\"";
    let r = common::client(None)
        .post(format!("{}/oauth/live_session_token", gw.base_url()))
        .header("authorization", header)
        .header("content-length", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("invalid consumer"),
        "{body}"
    );
}

#[tokio::test]
async fn a_stale_timestamp_is_refused_before_the_signature_is_checked() {
    let gw = oauth_gateway().await;
    let toml = consumer().oauth1_toml();
    let key = consumer().consumer_key();
    let token = toml
        .lines()
        .find(|l| l.starts_with("access_token "))
        .and_then(|l| l.split('"').nth(1))
        .unwrap()
        .to_string();
    let header = format!(
        "OAuth realm=\"limited_poa\", oauth_consumer_key=\"{key}\", oauth_nonce=\"n2\", oauth_signature=\"x\", \
         oauth_signature_method=\"HMAC-SHA256\", oauth_timestamp=\"1000\", oauth_token=\"{token}\""
    );
    let r = common::client(None)
        .get(format!("{}/tickle", gw.base_url()))
        .header("authorization", header)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("timestamp"),
        "{body}"
    );
}

#[tokio::test]
async fn a_client_assertion_that_does_not_verify_gets_a_problem_detail() {
    let gw = oauth_gateway().await;
    let origin = gw.base_url().trim_end_matches("/v1/api").to_string();
    let r = common::client(None)
        .post(format!("{origin}/oauth2/api/v1/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=a.b.c",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["title"], "Unauthorized");
    assert_eq!(body["status"], 401);
}

#[tokio::test]
async fn without_oauth_there_are_no_oauth_hooks() {
    let gw = Gateway::builder().plain_http().start().await.unwrap();
    assert!(gw.control().oauth().is_none());
}

#[test]
fn a_written_consumer_has_both_configs_and_every_key_file() {
    let dir = std::env::temp_dir().join(format!("ibkr-sim-oauth-{}", std::process::id()));
    let files = consumer().write_to(&dir).unwrap();
    for name in [
        "private_signature.pem",
        "private_encryption.pem",
        "private_key.pem",
        "dhparam.pem",
    ] {
        assert!(dir.join(name).exists(), "{name}");
    }
    let toml = std::fs::read_to_string(&files.oauth1_config).unwrap();
    assert!(toml.contains("dh_params = \"dhparam.pem\""));
    let dh = std::fs::read_to_string(dir.join("dhparam.pem")).unwrap();
    assert!(dh.starts_with("-----BEGIN DH PARAMETERS-----"));
    assert!(
        std::fs::read_to_string(&files.oauth2_config)
            .unwrap()
            .contains("ip = \"127.0.0.1\"")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
