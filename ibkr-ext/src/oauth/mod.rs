//! Headless login: OAuth 1.0a (first party) and OAuth 2.0 (private_key_jwt) against
//! `https://api.ibkr.com/v1/api`.
//!
//! An `Authority` is what the session owner needs from a login: it signs every attempt
//! (it is the wire's [`RequestSigner`], called after the order lane and pacing), renews its
//! tokens, and tells the WebSocket and `ibkr status` what they need to know.
//!
//! ```no_run
//! use ibkr_ext::prelude::*;
//! use ibkr_ext::oauth::OAuth1Config;
//!
//! # async fn demo() -> ibkr_ext::Result<()> {
//! let ibkr = Ibkr::builder()
//!     .oauth1(OAuth1Config::from_file("ibkr-oauth1.toml")?) // https://api.ibkr.com/v1/api, 50/s
//!     .build()?;
//! let accounts = ibkr.api().get_accounts().await?;
//! # Ok(()) }
//! ```
//!
//! The live session token (OAuth 1.0a) and the bearer tokens (OAuth 2.0) are obtained on
//! the first request (or by the session owner's login), renewed before they expire, and
//! renewed once more when IBKR answers 401.
//!
//! One piece of code holds a token for both protocols: `cell::TokenCell` (single-flight
//! renewal, the last failure, renew-if-unchanged, one renewal-margin rule; its module doc
//! gives the lock and await order), driven by `login::Login`, which is the
//! [`RequestSigner`] and `Authority` of either protocol. `oauth1` and `oauth2` hold only
//! their handshake and how a token signs a request (the `login::Handshake` trait). A token that does not validate is never used:
//! the request fails with nothing sent. No key, token or signature ever reaches `Debug`,
//! a log line or an error.

mod advice;
mod cell;
mod config;
mod encode;
mod jws;
mod keys;
mod login;
mod lst;
mod oauth1;
mod oauth2;
pub mod setup;
#[cfg(test)]
mod tests;

use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use ibkr_gen::Secret;
use ibkr_gen::wire::{HookFuture, RequestSigner};

pub(crate) use self::advice::for_brokerage_session;
pub use self::config::{OAUTH1_CONFIG_ENV, OAUTH2_CONFIG_ENV, OAuth1Config, OAuth2Config};
use self::login::Login;
use self::oauth1::OAuth1;
use self::oauth2::OAuth2;

/// An `Authorization` header value marked sensitive: `Debug` (and so HTTP/2's and the
/// wire's trace logs) shows `Sensitive` instead of it, and HPACK never indexes it. Every
/// `Authorization` this module sends, the handshakes' included, is made here. `None` when
/// the text is not header text.
pub(crate) fn authorization(text: &str) -> Option<reqwest::header::HeaderValue> {
    let mut value = reqwest::header::HeaderValue::from_str(text).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// The API root of IBKR's OAuth service.
pub const OAUTH_BASE_URL: &str = "https://api.ibkr.com/v1/api";

/// Which login a session uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// The Client Portal Gateway's browser login (cookie session).
    Gateway,
    /// OAuth 1.0a, first party (live session token).
    OAuth1,
    /// OAuth 2.0, private_key_jwt (bearer token).
    OAuth2,
}

impl std::fmt::Display for AuthMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AuthMode::Gateway => "gateway (browser login)",
            AuthMode::OAuth1 => "OAuth 1.0a (live session token)",
            AuthMode::OAuth2 => "OAuth 2.0 (private_key_jwt)",
        })
    }
}

/// A headless login, as the session owner uses it.
pub(crate) trait Authority: RequestSigner {
    /// Which login this is.
    fn mode(&self) -> AuthMode;
    /// The API root to use when the user gave none (`https://api.ibkr.com/v1/api`).
    fn default_base_url(&self) -> &str;
    /// When the current token expires, if one is held.
    fn expires_at(&self) -> Option<SystemTime>;
    /// The token the WebSocket sends as `?oauth_token=`, if any.
    fn socket_token(&self) -> Option<Secret>;
    /// Log in now (the handshake), instead of on the first signed request.
    fn login<'a>(&'a self, http: &'a reqwest::Client) -> HookFuture<'a, crate::Result<()>>;
    /// The API root the client was built with (`.../v1/api`): where the handshakes go.
    /// Until it is told, an authority takes the root from the first request it signs, and
    /// falls back to [`default_base_url`](Authority::default_base_url).
    fn bind_base_url(&self, base_url: &str) {
        let _ = base_url;
    }
    /// Why the last renewal failed (step and what to do), while no renewal has succeeded
    /// since: what an error for "401 after renewal" should say instead of "log in in a
    /// browser".
    fn last_failure(&self) -> Option<String> {
        None
    }
}

/// A config value that is missing or wrong.
#[derive(Debug)]
pub(crate) struct ConfigError {
    pub(crate) key: &'static str,
    pub(crate) reason: String,
}

/// The API root (`scheme://host:port/v1/api`) a login sends its handshakes to, learned
/// from the client's base URL or from the first signed request.
#[derive(Debug, Default)]
pub(crate) struct ApiRoot(RwLock<Option<String>>);

impl ApiRoot {
    fn set(&self, root: &str) {
        let root = root.trim().trim_end_matches('/').to_string();
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(root);
    }

    /// Learn the root from a request URL unless it is known: the path up to `/v1/api`,
    /// or the origin followed by `/v1/api`.
    fn learn(&self, url: &url::Url) {
        if self.0.read().unwrap_or_else(|p| p.into_inner()).is_some() {
            return;
        }
        let full = url.as_str();
        let root = match full.find("/v1/api") {
            Some(i) => full[..i + "/v1/api".len()].to_string(),
            None => format!("{}/v1/api", origin_of(url)),
        };
        self.set(&root);
    }

    fn get(&self) -> String {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_else(|| OAUTH_BASE_URL.to_string())
    }

    /// `scheme://host[:port]` of the root.
    fn origin(&self) -> String {
        let root = self.get();
        match url::Url::parse(&root) {
            Ok(u) => origin_of(&u),
            Err(_) => root,
        }
    }
}

fn origin_of(url: &url::Url) -> String {
    let mut out = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out
}

impl crate::IbkrBuilder {
    /// Log in headlessly with OAuth 1.0a (first party): the live session token handshake
    /// on first use, every request HMAC-signed, the token renewed before it expires. The
    /// base URL defaults to `https://api.ibkr.com/v1/api` and pacing to OAuth's 50/s.
    pub fn oauth1(self, config: OAuth1Config) -> Self {
        self.authority(Arc::new(Login::new(OAuth1::new(config))))
    }

    /// Log in headlessly with OAuth 2.0 (private_key_jwt): a client assertion buys an
    /// access token, `sso-sessions` a bearer for `/v1/api`; both are renewed before they
    /// expire. The base URL defaults to `https://api.ibkr.com/v1/api`.
    pub fn oauth2(self, config: OAuth2Config) -> Self {
        self.authority(Arc::new(Login::new(OAuth2::new(config))))
    }
}

/// Seconds since the Unix epoch, now (OAuth timestamps are wall-clock).
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A fresh nonce: a random per-process prefix and a counter, so no two requests of this
/// process (and, with 64 random bits, of any two processes) share one; no system call per
/// request.
fn nonce() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        use rsa::rand_core::RngCore as _;
        rsa::rand_core::OsRng.next_u64()
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix:016x}{n:08x}")
}
