//! Both logins against the simulator, through what the session owner holds (the
//! `dyn Authority`), where the wire's `renew` can be called directly.

use progenitor_client::ClientInfo as _;

use super::{OAuth1Config, OAuth2Config};
use crate::{Ibkr, IbkrBuilder};

#[path = "../../tests/it/oauth_sim.rs"]
mod sim;
use self::sim::{gateway, oauth1_client, oauth1_config, oauth2_client, oauth2_config};

/// A login (the first handshake) and a renewal asked for before any token was held, at
/// once: the renewal's caller saw an older generation than the one the login stores.
async fn login_and_renew_at_once(ibkr: &Ibkr) {
    let authority = ibkr
        .core()
        .config()
        .authority
        .clone()
        .expect("an OAuth login");
    let http = ibkr.raw().client();
    let (login, renewed) = tokio::join!(authority.login(http), authority.renew(http));
    login.expect("logged in");
    assert!(renewed, "the renewal reports the token now held");
}

#[tokio::test]
async fn a_renewal_asked_before_the_first_token_takes_the_one_in_flight() {
    let (gw, control) = gateway().await;
    login_and_renew_at_once(&oauth1_client(&gw, oauth1_config())).await;
    assert_eq!(control.handshakes(), 1, "OAuth 1.0a: one handshake");

    login_and_renew_at_once(&oauth2_client(&gw, oauth2_config())).await;
    assert_eq!(
        (control.token_grants(), control.sso_sessions()),
        (1, 1),
        "OAuth 2.0: one access token and one SSO session"
    );
}
