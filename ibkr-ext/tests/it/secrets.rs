//! Secrets stay out of the logs. With `tracing` at TRACE for every crate (and the `log`
//! records of rustls and others forwarded to it), a full OAuth 1.0a login, the brokerage
//! session, an order IBKR asks a question about, the WebSocket's session id and an OAuth
//! 2.0 login run against the simulator playing api.ibkr.com over HTTPS (127.0.0.1). The
//! captured output must hold none of the secrets' values: the consumer key beyond its last
//! 4 characters, the access token and its secret, the live session token, the session id
//! (which is also the WebSocket's cookie), the OAuth 2.0 access token and SSO bearer.
//!
//! One test in this binary: the subscriber is global, so that the tasks of every runtime
//! thread and the simulator are captured too.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use ibkr_ext::oauth::{OAuth1Config, OAuth2Config};
use ibkr_ext::orders::questions;
use ibkr_ext::prelude::*;
use ibkr_sim::oauth::SimConsumer;
use ibkr_sim::{Gateway, Limits};
use rust_decimal::Decimal;

/// Everything the subscriber writes, in one buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

/// `key = "value"` of a TOML config the simulator wrote.
fn toml_value(file: &Path, key: &str) -> String {
    let text = std::fs::read_to_string(file).expect("config");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("{key} in {}", file.display()))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_trace_log_over_oauth_logins_and_an_order() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only subscriber of this binary");

    let consumer = SimConsumer::generate().expect("consumer");
    let dir = std::env::temp_dir().join(format!("ibkr-ext-secrets-{}", std::process::id()));
    let files = consumer.write_to(&dir).expect("files");
    let gw = Gateway::builder()
        .limits(Limits::unlimited())
        .oauth1(consumer.oauth1())
        .oauth2(consumer.oauth2())
        .start()
        .await
        .expect("simulator over HTTPS");
    let control = gw.control().oauth().expect("OAuth is on");
    assert!(gw.base_url().starts_with("https://127.0.0.1:"));

    // OAuth 1.0a: the live session token handshake, signed calls, the brokerage session,
    // an order with a question answered yes, and the session id the WebSocket sends.
    let ibkr = Ibkr::builder()
        .oauth1(OAuth1Config::from_file(&files.oauth1_config).expect("config"))
        .base_url(gw.base_url())
        .account_id("DU1234567")
        .without_keepalive()
        .without_pacing()
        .build()
        .expect("client");
    ibkr.login().await.expect("OAuth 1.0a login");
    ibkr.ensure_brokerage_session().await.expect("brokerage");
    let accounts = ibkr.api().get_accounts().await.expect("accounts");
    let account = accounts.accounts.first().cloned().expect("an account");
    let ticket = OrderTicket::buy(Conid(265598), Decimal::ONE).limit(Decimal::from(100));
    let policy = AnswerPolicy::new()
        .yes(questions::NO_MARKET_DATA)
        .yes(questions::PRICE_CONSTRAINT);
    let outcome = ibkr
        .with_account(account)
        .place(ticket, &policy)
        .await
        .expect("order");
    assert!(
        matches!(outcome, OrderOutcome::Submitted { .. }),
        "{outcome:?}"
    );
    let session = ibkr.socket_session().await.expect("session id");
    let mut issued = control.issued_tokens();
    ibkr.logout().await.expect("logout");

    // OAuth 2.0: the access token, the SSO session's bearer, and a call with it.
    let ibkr2 = Ibkr::builder()
        .oauth2(OAuth2Config::from_file(&files.oauth2_config).expect("config"))
        .base_url(gw.base_url())
        .without_keepalive()
        .without_pacing()
        .build()
        .expect("client");
    ibkr2.login().await.expect("OAuth 2.0 login");
    ibkr2.tickle().await.expect("tickle with the bearer");
    issued.extend(control.issued_tokens());
    assert_eq!(control.refused(), 0, "every request was accepted");
    drop((ibkr, ibkr2));

    // A consumer key IBKR does not know (401 Invalid Consumer): the error says what to do,
    // and an application that logs it logs no key.
    let unknown_key = "QWERTYUIOPZXC";
    let text = std::fs::read_to_string(&files.oauth1_config).expect("config");
    let wrong = dir.join("wrong-consumer.toml");
    std::fs::write(&wrong, text.replace(consumer.consumer_key(), unknown_key)).expect("write");
    let refused = Ibkr::builder()
        .oauth1(OAuth1Config::from_file(&wrong).expect("config"))
        .base_url(gw.base_url())
        .without_keepalive()
        .without_pacing()
        .build()
        .expect("client");
    let err = refused.login().await.expect_err("an unknown consumer");
    assert!(err.to_string().contains("server reset"), "{err}");
    tracing::error!(error = %err, "login failed");

    let key = consumer.consumer_key().to_string();
    let mut secrets = vec![
        ("consumer key", key.clone()),
        (
            "consumer key beyond its last 4",
            key[..key.len() - 4].to_string(),
        ),
        (
            "access token",
            toml_value(&files.oauth1_config, "access_token"),
        ),
        (
            "access token secret",
            toml_value(&files.oauth1_config, "access_token_secret"),
        ),
        ("session id", session.expose().to_string()),
        (
            "unknown consumer key beyond its last 4",
            unknown_key[..unknown_key.len() - 4].to_string(),
        ),
    ];
    assert!(
        issued.len() >= 3,
        "the live session token, access token and bearer: {}",
        issued.len()
    );
    for token in issued {
        // A bearer is a JWT: its last part is the secret one.
        if let Some(signature) = token.rsplit('.').next().filter(|s| *s != token) {
            secrets.push(("token signature", signature.to_string()));
        }
        secrets.push(("token", token));
    }
    let text = log.text();
    // The capture saw both logins, the order, the refusal, and TRACE records of every layer.
    for seen in [
        "login failed",
        "live session token obtained",
        "SSO bearer obtained",
        "TRACE ibkr.request{operation=\"placeOrder\"",
        "TRACE rustls::",
        "TRACE hyper_util::",
    ] {
        assert!(text.contains(seen), "{seen:?} is not in the log");
    }
    for (what, value) in &secrets {
        assert!(value.len() >= 5, "{what} is long enough to grep for");
        assert!(
            !text.contains(value.as_str()),
            "the {what} is in the trace log"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
