//! Both logins against the simulator, through what the session owner holds (the
//! `dyn Authority`), where the wire's `renew` can be called directly.

use std::sync::OnceLock;

use ibkr_sim::oauth::{ConsumerFiles, OAuthControl, SimConsumer};
use ibkr_sim::{Gateway, Limits, RunningGateway};
use progenitor_client::ClientInfo as _;

use super::{OAuth1Config, OAuth2Config};
use crate::Ibkr;

/// One consumer for all these tests (RSA key generation takes a moment).
fn consumer() -> &'static (SimConsumer, ConsumerFiles) {
    static CONSUMER: OnceLock<(SimConsumer, ConsumerFiles)> = OnceLock::new();
    CONSUMER.get_or_init(|| {
        let consumer = SimConsumer::generate().expect("consumer");
        let dir = std::env::temp_dir().join(format!("ibkr-ext-oauth-unit-{}", std::process::id()));
        let files = consumer.write_to(&dir).expect("files");
        (consumer, files)
    })
}

async fn gateway() -> (RunningGateway, OAuthControl) {
    let (c, _) = consumer();
    let gw = Gateway::builder()
        .plain_http()
        .limits(Limits::unlimited())
        .oauth1(c.oauth1())
        .oauth2(c.oauth2())
        .start()
        .await
        .expect("simulator");
    let control = gw.control().oauth().expect("OAuth is on");
    (gw, control)
}

fn client(gw: &RunningGateway, builder: crate::IbkrBuilder) -> Ibkr {
    builder
        .base_url(gw.base_url())
        .without_keepalive()
        .without_pacing()
        .timeout(None)
        .build()
        .expect("client")
}

/// A login (the first handshake) and a renewal asked for before any token was held, at
/// once: the renewal's caller saw an older generation than the one the login stores.
async fn login_and_renew_at_once(ibkr: &Ibkr) {
    let authority = ibkr.owner().authority.clone().expect("an OAuth login");
    let http = ibkr.raw().client();
    let (login, renewed) = tokio::join!(authority.login(http), authority.renew(http));
    login.expect("logged in");
    assert!(renewed, "the renewal reports the token now held");
}

#[tokio::test]
async fn a_renewal_asked_before_the_first_token_takes_the_one_in_flight() {
    let (gw, control) = gateway().await;
    let oauth1 = OAuth1Config::from_file(&consumer().1.oauth1_config).expect("config");
    login_and_renew_at_once(&client(&gw, Ibkr::builder().oauth1(oauth1))).await;
    assert_eq!(control.handshakes(), 1, "OAuth 1.0a: one handshake");

    let oauth2 = OAuth2Config::from_file(&consumer().1.oauth2_config).expect("config");
    login_and_renew_at_once(&client(&gw, Ibkr::builder().oauth2(oauth2))).await;
    assert_eq!(
        (control.token_grants(), control.sso_sessions()),
        (1, 1),
        "OAuth 2.0: one access token and one SSO session"
    );
}
