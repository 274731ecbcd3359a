//! OAuth logins against the simulator playing api.ibkr.com (127.0.0.1 only): the OAuth
//! 1.0a live session token handshake, OAuth 2.0's token and SSO session, renewals, and
//! every bad input the user can give.

use std::path::Path;
use std::time::{Duration, SystemTime};

use ibkr_ext::oauth::{OAuth1Config, OAuth2Config};
use ibkr_ext::{AuthMode, Error, Ibkr, IbkrBuilder};
use ibkr_sim::{Gateway, Limits};

#[path = "oauth_sim.rs"]
mod sim;
use self::sim::{consumer, gateway, oauth1_client, oauth1_config, oauth2_client, oauth2_config};

async fn accounts(ibkr: &Ibkr) -> ibkr_ext::Result<usize> {
    let r = ibkr.api().list_portfolio_accounts().await?;
    Ok(r.len())
}

#[tokio::test]
async fn oauth1_logs_in_signs_every_request_and_opens_the_brokerage_session() {
    let (gw, control) = gateway().await;
    let ibkr = oauth1_client(&gw, oauth1_config());
    assert_eq!(ibkr.auth_mode(), AuthMode::OAuth1);
    assert!(
        ibkr.token_expiry().is_none(),
        "no token before the first request"
    );
    assert_eq!(accounts(&ibkr).await.unwrap(), 1);
    ibkr.ensure_brokerage_session().await.unwrap();
    let accounts = ibkr.api().get_accounts().await.unwrap();
    assert!(!accounts.accounts.is_empty());
    assert_eq!(
        control.handshakes(),
        1,
        "one live session token for the whole session"
    );
    assert!(control.signed_requests() >= 3);
    assert_eq!(control.refused(), 0);
    let left = ibkr
        .token_expiry()
        .unwrap()
        .duration_since(SystemTime::now())
        .unwrap();
    assert!(left > Duration::from_secs(23 * 3600), "{left:?}");
}

#[tokio::test]
async fn every_attempt_carries_a_fresh_nonce() {
    let (gw, control) = gateway().await;
    let ibkr = oauth1_client(&gw, oauth1_config());
    for _ in 0..20 {
        accounts(&ibkr).await.unwrap();
    }
    // The simulator refuses a reused nonce with 401; none was refused.
    assert_eq!(control.refused(), 0);
    assert_eq!(control.signed_requests(), 20);
}

#[tokio::test]
async fn the_sign_byte_case_logs_in_every_time() {
    let (gw, control) = gateway().await;
    control.force_sign_byte(true);
    for _ in 0..3 {
        let ibkr = oauth1_client(&gw, oauth1_config());
        accounts(&ibkr)
            .await
            .expect("a K of 2048 bits needs the 0x00 byte");
    }
    assert_eq!(control.handshakes(), 3);
    assert_eq!(control.refused(), 0);
}

#[tokio::test]
async fn a_token_the_server_expired_is_renewed_after_the_401() {
    let (gw, control) = gateway().await;
    let ibkr = oauth1_client(&gw, oauth1_config());
    accounts(&ibkr).await.unwrap();
    control.expire_tokens();
    accounts(&ibkr).await.expect("renewed and repeated once");
    assert_eq!(control.handshakes(), 2);
    assert_eq!(
        control.refused(),
        1,
        "exactly the one 401 that triggered the renewal"
    );
}

#[tokio::test]
async fn the_token_is_renewed_before_it_expires_on_a_paused_clock() {
    let (gw, control) = gateway().await;
    let ibkr = oauth1_client(&gw, oauth1_config());
    accounts(&ibkr).await.unwrap();
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(23 * 3600)).await;
    accounts(&ibkr).await.unwrap();
    assert_eq!(control.handshakes(), 1, "23 h in, the token is still good");
    tokio::time::advance(Duration::from_secs(3600)).await;
    accounts(&ibkr).await.unwrap();
    assert_eq!(
        control.handshakes(),
        2,
        "renewed before expiry, without a 401"
    );
    assert_eq!(control.refused(), 0);
}

/// Eight calls wait on one handshake whose token does not validate: all eight fail with
/// its reason, none tries again, nothing is sent; the next call logs in.
#[tokio::test]
async fn a_token_whose_signature_does_not_match_is_never_used_and_fails_every_waiter() {
    let (gw, control) = gateway().await;
    control.corrupt_next_token_signature();
    let ibkr = oauth1_client(&gw, oauth1_config());
    for result in eight_at_once(&ibkr).await {
        let text = result.unwrap_err().to_string();
        assert!(text.contains("does not match"), "{text}");
    }
    assert_eq!(control.handshakes(), 1, "the waiters took the failure");
    assert_eq!(
        control.signed_requests(),
        0,
        "nothing was sent with the bad token"
    );
    // The next attempt makes a new, valid token.
    accounts(&ibkr).await.unwrap();
    assert_eq!(control.handshakes(), 2);
}

#[tokio::test]
async fn an_unknown_consumer_is_told_about_the_server_reset() {
    let (gw, _control) = gateway().await;
    let dir = consumer().2.clone();
    let text = std::fs::read_to_string(&consumer().1.oauth1_config).unwrap();
    let key = consumer().0.consumer_key().to_string();
    let other = text.replace(&key, "NEWCONSMR");
    let config = OAuth1Config::from_toml(&other, &dir, "test").unwrap();
    let ibkr = oauth1_client(&gw, config);
    let err = accounts(&ibkr).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Invalid Consumer"), "{text}");
    assert!(text.contains("next server reset"), "{text}");
    let token = good_toml()
        .lines()
        .find(|l| l.starts_with("access_token "))
        .and_then(|l| l.split('"').nth(1).map(str::to_string))
        .unwrap();
    assert!(!text.contains(&token), "{text}");
}

#[tokio::test]
async fn login_before_the_first_request_and_logout() {
    let (gw, control) = gateway().await;
    let ibkr = oauth1_client(&gw, oauth1_config());
    accounts(&ibkr).await.unwrap();
    ibkr.login().await.unwrap();
    assert_eq!(
        control.handshakes(),
        1,
        "login with a good token is a no-op"
    );
    ibkr.logout().await.unwrap();
}

#[tokio::test]
async fn the_paper_account_500_from_ssodh_init_is_an_error() {
    let (gw, control) = gateway().await;
    control.refuse_brokerage_session(true);
    let ibkr = oauth1_client(&gw, oauth1_config());
    let err = ibkr.ensure_brokerage_session().await.unwrap_err();
    let Error::OAuth { step, reason } = &err else {
        panic!("advice, not a bare 500: {err}")
    };
    assert_eq!(*step, "brokerage session (ssodh/init)");
    assert!(reason.contains("paper"), "{reason}");
}

#[tokio::test]
async fn a_401_after_a_failed_renewal_says_why_not_log_in_in_a_browser() {
    let (gw, control) = gateway().await;
    let ibkr = oauth1_client(&gw, oauth1_config());
    assert_eq!(accounts(&ibkr).await.unwrap(), 1);
    // IBKR forgets the token, and the renewal's answer does not validate.
    control.expire_tokens();
    control.corrupt_next_token_signature();
    let err = ibkr
        .api()
        .list_portfolio_accounts()
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(!text.contains("browser"), "{text}");
    assert!(
        matches!(&err, Error::OAuth { .. } | Error::NotSigned { .. }),
        "{err:?}"
    );
    assert!(
        text.contains("signature"),
        "the renewal's failure is named: {text}"
    );
}

/// The OAuth 2.0 config with an `ip` that is not the client's.
fn wrong_ip_config() -> OAuth2Config {
    let text = std::fs::read_to_string(&consumer().1.oauth2_config)
        .unwrap()
        .replace("127.0.0.1", "203.0.113.7");
    OAuth2Config::from_toml(&text, &consumer().2, "test").unwrap()
}

#[tokio::test]
async fn oauth2_gets_an_access_token_and_a_bearer_and_renews_them() {
    let (gw, control) = gateway().await;
    let ibkr = oauth2_client(&gw, oauth2_config());
    assert_eq!(ibkr.auth_mode(), AuthMode::OAuth2);
    assert_eq!(accounts(&ibkr).await.unwrap(), 1);
    ibkr.ensure_brokerage_session().await.unwrap();
    assert_eq!((control.token_grants(), control.sso_sessions()), (1, 1));
    assert!(ibkr.token_expiry().is_some());
    control.expire_tokens();
    accounts(&ibkr).await.expect("renewed after the 401");
    assert_eq!((control.token_grants(), control.sso_sessions()), (2, 2));
}

#[tokio::test]
async fn oauth2_with_the_wrong_ip_says_so() {
    let (gw, _control) = gateway().await;
    let ibkr = oauth2_client(&gw, wrong_ip_config());
    let err = accounts(&ibkr).await.unwrap_err().to_string();
    assert!(err.contains("sso-sessions") && err.contains("ip"), "{err}");
}

// ---------------------------------------------------------------- one token cell

/// Eight calls at once, as the wire sends them.
async fn eight_at_once(ibkr: &Ibkr) -> Vec<ibkr_ext::Result<usize>> {
    futures::future::join_all((0..8).map(|_| accounts(ibkr))).await
}

/// One call, then a day later (paused clock) eight at once: all succeed.
async fn eight_calls_a_day_later(ibkr: &Ibkr) {
    accounts(ibkr).await.unwrap();
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(24 * 3600)).await;
    for result in eight_at_once(ibkr).await {
        assert_eq!(result.unwrap(), 1);
    }
}

#[tokio::test]
async fn oauth1_callers_that_find_the_token_due_share_one_handshake() {
    let (gw, control) = gateway().await;
    eight_calls_a_day_later(&oauth1_client(&gw, oauth1_config())).await;
    assert_eq!(control.handshakes(), 2, "one renewal for the eight calls");
    assert_eq!(control.refused(), 0);
}

#[tokio::test]
async fn oauth2_callers_that_find_the_tokens_due_share_one_grant_and_one_session() {
    let (gw, control) = gateway().await;
    eight_calls_a_day_later(&oauth2_client(&gw, oauth2_config())).await;
    assert_eq!((control.token_grants(), control.sso_sessions()), (2, 2));
    assert_eq!(control.refused(), 0);
}

#[tokio::test]
async fn oauth2_a_failed_session_fails_every_waiter_and_the_next_call_tries_again() {
    let (gw, control) = gateway().await;
    let ibkr = oauth2_client(&gw, wrong_ip_config());
    for result in eight_at_once(&ibkr).await {
        let text = result.unwrap_err().to_string();
        assert!(text.contains("sso-sessions"), "{text}");
    }
    assert_eq!(
        control.refused(),
        1,
        "one sso-sessions request for the eight"
    );
    assert!(accounts(&ibkr).await.is_err());
    assert_eq!(control.refused(), 2, "the next call tried again");
}

// ---------------------------------------------------------------- bad input

fn config_error(toml: &str, dir: &Path) -> (String, String) {
    match OAuth1Config::from_toml(toml, dir, "test.toml") {
        Err(Error::OAuthConfig { key, reason }) => (key.to_string(), reason),
        Err(other) => panic!("not a config error: {other}"),
        Ok(_) => panic!("accepted"),
    }
}

fn good_toml() -> String {
    std::fs::read_to_string(&consumer().1.oauth1_config).unwrap()
}

fn replace_line(toml: &str, key: &str, line: &str) -> String {
    toml.lines()
        .map(|l| {
            if l.starts_with(&format!("{key} ")) {
                line.to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_missing_key_file_names_the_key() {
    let toml = replace_line(
        &good_toml(),
        "signature_key",
        "signature_key = \"gone.pem\"",
    );
    let (key, reason) = config_error(&toml, &consumer().2);
    assert_eq!(key, "signature_key");
    assert!(reason.contains("gone.pem"), "{reason}");
}

#[test]
fn a_pem_of_the_wrong_kind_names_the_key() {
    let toml = replace_line(
        &good_toml(),
        "encryption_key",
        "encryption_key = \"dhparam.pem\"",
    );
    let (key, reason) = config_error(&toml, &consumer().2);
    assert_eq!(key, "encryption_key");
    assert!(reason.contains("DH PARAMETERS"), "{reason}");
    let toml = replace_line(
        &good_toml(),
        "dh_params",
        "dh_params = \"private_signature.pem\"",
    );
    let (key, _) = config_error(&toml, &consumer().2);
    assert_eq!(key, "dh_params");
}

#[test]
fn a_prime_that_is_not_hex_names_dh_prime() {
    let toml = replace_line(&good_toml(), "dh_params", "dh_prime = \"0xnothex\"");
    let (key, _) = config_error(&toml, &consumer().2);
    assert_eq!(key, "dh_prime");
}

#[test]
fn unknown_and_missing_keys_are_named() {
    let toml = format!("{}\nrelam = \"x\"\n", good_toml());
    let (_, reason) = config_error(&toml, &consumer().2);
    assert!(reason.contains("relam"), "{reason}");
    let toml = replace_line(&good_toml(), "access_token", "");
    let (key, _) = config_error(&toml, &consumer().2);
    assert_eq!(key, "access_token");
}

#[test]
fn an_access_token_secret_that_does_not_decrypt_names_the_key() {
    // The signature key cannot decrypt what was encrypted for the encryption key.
    let toml = replace_line(
        &good_toml(),
        "encryption_key",
        "encryption_key = \"private_signature.pem\"",
    );
    let (key, reason) = config_error(&toml, &consumer().2);
    assert_eq!(key, "access_token_secret");
    assert!(reason.contains("does not decrypt"), "{reason}");
}

#[test]
fn an_unreadable_config_file_is_named() {
    let err = OAuth1Config::from_file("/nonexistent/ibkr-oauth1.toml").unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/ibkr-oauth1.toml"),
        "{err}"
    );
}

#[test]
fn no_secret_reaches_debug_output() {
    let config = oauth1_config();
    let shown = format!("{config:?}");
    let toml = good_toml();
    for line in toml.lines().filter(|l| l.starts_with("access_token")) {
        let value = line.split('"').nth(1).unwrap();
        assert!(!shown.contains(value), "{shown}");
    }
    assert!(!shown.contains("BEGIN"), "{shown}");
    let config2 = OAuth2Config::from_file(&consumer().1.oauth2_config).unwrap();
    assert!(!format!("{config2:?}").contains("BEGIN"));
}

#[tokio::test]
async fn nothing_listening_is_reported_with_the_network_hint() {
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ibkr = Ibkr::builder()
        .oauth1(oauth1_config())
        .base_url(format!("http://127.0.0.1:{port}/v1/api"))
        .without_keepalive()
        .build()
        .unwrap();
    let text = accounts(&ibkr).await.unwrap_err().to_string();
    assert!(
        text.contains("live session token") && text.contains("could not connect"),
        "{text}"
    );
}

#[tokio::test]
async fn a_tls_failure_at_connect_mentions_akamai() {
    let (c, _, _) = consumer();
    let gw = Gateway::builder()
        .limits(Limits::unlimited())
        .oauth1(c.oauth1())
        .start()
        .await
        .unwrap();
    // Pinned to another simulator's certificate: the TLS handshake fails.
    let other = Gateway::builder().start().await.unwrap();
    let ibkr = Ibkr::builder()
        .oauth1(oauth1_config())
        .base_url(gw.base_url())
        .ca_cert(other.cert_pem().unwrap())
        .without_keepalive()
        .build()
        .unwrap();
    let text = accounts(&ibkr).await.unwrap_err().to_string();
    assert!(text.contains("TLS") && text.contains("Akamai"), "{text}");
}

/// A client that signs the URL it connects to (`http://127.0.0.1:PORT/v1/api/...`) but sends
/// `Host: api.ibkr.com`, as ibind does against a stand-in: the simulator accepts the
/// handshake's RSA signature and every HMAC signature over its own address.
#[tokio::test]
async fn a_client_that_signs_its_connected_address_under_another_host_logs_in() {
    let (gw, control) = gateway().await;
    let ibkr = Ibkr::builder()
        .oauth1(oauth1_config())
        .base_url(gw.base_url())
        .customize_http(|b| {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(
                reqwest::header::HOST,
                reqwest::header::HeaderValue::from_static("api.ibkr.com"),
            );
            b.default_headers(headers)
        })
        .without_keepalive()
        .without_pacing()
        .build()
        .expect("client");
    ibkr.login()
        .await
        .expect("the live session token handshake");
    assert_eq!(accounts(&ibkr).await.expect("a signed call"), 1);
    assert_eq!(control.handshakes(), 1);
    assert_eq!(control.refused(), 0);
}
