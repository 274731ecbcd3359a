//! The simulator as `api.ibkr.com`: OAuth 1.0a (first party) and OAuth 2.0
//! (private_key_jwt), verified like IBKR verifies them.
//!
//! - `POST /v1/api/oauth/live_session_token`: RSA-SHA256 over the prepend and base string,
//!   the Diffie-Hellman exchange, the live session token and its signature.
//! - Every other `/v1/api` and `/gw/api` request: `Authorization: OAuth ...` with
//!   HMAC-SHA256 under the live session token, or `Authorization: Bearer ...` (OAuth 2.0).
//!   Timestamps more than 5 minutes off and reused nonces are refused; an unknown consumer
//!   gets `401 invalid consumer`.
//! - The signed URL may name the `Host` header's authority or the simulator's own address
//!   (`127.0.0.1:PORT`, or `localhost:PORT`): a client that signs the address it connects
//!   to but sends `Host: api.ibkr.com` (ibind) is accepted like one that signs its Host.
//! - `POST /oauth2/api/v1/token` (client assertion: RS256 signature, `iss`, `sub`, `aud`,
//!   `exp`) and `POST /gw/api/v1/sso-sessions` (access token, RS256 body, `credential`,
//!   `ip`, `exp`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), ibkr_sim::SimError> {
//! let consumer = ibkr_sim::oauth::SimConsumer::generate()?;
//! let files = consumer.write_to("oauth-files".as_ref())?; // keys and TOML configs for a client
//! let gw = ibkr_sim::Gateway::builder()
//!     .oauth1(consumer.oauth1())
//!     .oauth2(consumer.oauth2())
//!     .start()
//!     .await?;
//! println!("client config: {}", files.oauth1_config.display());
//! # Ok(()) }
//! ```
//!
//! Fault hooks: [`OAuthControl`] (from `RunningGateway::control().oauth()`) forces the
//! sign-byte case, expires the tokens, corrupts the next token signature, and refuses
//! `ssodh/init` with IBKR's paper-account 500.

mod consumer;
mod crypto;
mod gate;
mod handshake;
mod oauth2;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::middleware;
use axum::routing::post;
use rsa::{BigUint, RsaPublicKey};

pub use self::consumer::{ConsumerFiles, SimConsumer};
use crate::lock::Urls;
use crate::lock::lock;
use crate::world::WorldHandle;

/// How far `oauth_timestamp` may be from the server's clock.
pub(crate) const TIMESTAMP_WINDOW: Duration = Duration::from_secs(5 * 60);

/// What api.ibkr.com knows about one OAuth 1.0a consumer (the public halves of its keys).
#[derive(Clone)]
pub struct OAuth1Consumer {
    pub(crate) consumer_key: String,
    pub(crate) access_token: String,
    /// The access token secret in the clear: the prepend's bytes.
    pub(crate) prepend: Vec<u8>,
    pub(crate) signature_key: RsaPublicKey,
    pub(crate) dh_prime: BigUint,
    pub(crate) dh_generator: BigUint,
    pub(crate) realm: String,
}

impl std::fmt::Debug for OAuth1Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth1Consumer")
            .field("consumer_key", &self.consumer_key)
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

/// What api.ibkr.com knows about one OAuth 2.0 client.
#[derive(Clone)]
pub struct OAuth2Client {
    pub(crate) client_id: String,
    pub(crate) client_key_id: String,
    pub(crate) public_key: RsaPublicKey,
    pub(crate) username: String,
    /// The IP the `sso-sessions` claim must name (the client's egress IP; on loopback
    /// `127.0.0.1`).
    pub(crate) ip: String,
    /// Lifetime of the access tokens given out.
    pub(crate) token_lifetime: Duration,
}

impl std::fmt::Debug for OAuth2Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2Client")
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl OAuth2Client {
    /// Give out access tokens that live this long (default 24 h, like IBKR's 86399 s).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime.max(Duration::from_secs(1));
        self
    }
}

/// A token the simulator gave out.
#[derive(Clone)]
pub(crate) struct Issued {
    pub(crate) value: Vec<u8>,
    pub(crate) expires: SystemTime,
}

impl Issued {
    pub(crate) fn live(&self) -> bool {
        SystemTime::now() < self.expires
    }
}

/// The OAuth state of one running simulator.
#[derive(Default)]
pub(crate) struct Desk {
    pub(crate) oauth1: Option<OAuth1Consumer>,
    pub(crate) oauth2: Option<OAuth2Client>,
    /// The current live session token (its bytes: the HMAC key).
    pub(crate) lst: Mutex<Option<Issued>>,
    /// The current OAuth 2.0 access token and SSO bearer.
    pub(crate) access: Mutex<Option<Issued>>,
    pub(crate) bearer: Mutex<Option<Issued>>,
    /// Nonces seen within the timestamp window, with their timestamps.
    pub(crate) nonces: Mutex<HashMap<String, u64>>,
    pub(crate) force_sign_byte: AtomicBool,
    pub(crate) corrupt_next_signature: AtomicBool,
    pub(crate) refuse_ssodh: AtomicBool,
    pub(crate) handshakes: AtomicU64,
    pub(crate) token_grants: AtomicU64,
    pub(crate) sso_sessions: AtomicU64,
    pub(crate) signed_requests: AtomicU64,
    pub(crate) refused: AtomicU64,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("oauth1", &self.oauth1)
            .field("oauth2", &self.oauth2)
            .finish_non_exhaustive()
    }
}

impl Desk {
    pub(crate) fn new(oauth1: Option<OAuth1Consumer>, oauth2: Option<OAuth2Client>) -> Self {
        Desk {
            oauth1,
            oauth2,
            ..Desk::default()
        }
    }

    /// Remember a nonce; false when it was already used within the window.
    pub(crate) fn fresh_nonce(&self, nonce: &str, timestamp: u64, now: u64) -> bool {
        let mut nonces = lock(&self.nonces);
        let window = TIMESTAMP_WINDOW.as_secs() * 2;
        nonces.retain(|_, t| now.saturating_sub(*t) <= window);
        if nonces.contains_key(nonce) {
            return false;
        }
        nonces.insert(nonce.to_string(), timestamp);
        true
    }
}

/// State of the OAuth routes and the gate.
#[derive(Clone)]
pub(crate) struct OAuthState {
    pub(crate) desk: Arc<Desk>,
    /// The world (a handshake logs the session in).
    pub(crate) world: WorldHandle,
    /// Where the simulator listens (the signed URL's authority).
    pub(crate) urls: Arc<OnceLock<Urls>>,
    /// `http` or `https`: the scheme in the signed URL.
    pub(crate) scheme: &'static str,
}

/// Add the OAuth endpoints and the signature gate around `app`.
pub(crate) fn mount(
    app: Router,
    desk: Arc<Desk>,
    world: WorldHandle,
    urls: Arc<OnceLock<Urls>>,
    tls: bool,
) -> Router {
    let state = OAuthState {
        desk,
        world,
        urls,
        scheme: if tls { "https" } else { "http" },
    };
    let endpoints = Router::new()
        .route(
            "/v1/api/oauth/live_session_token",
            post(handshake::live_session_token),
        )
        .route("/oauth2/api/v1/token", post(oauth2::token))
        .route("/gw/api/v1/sso-sessions", post(oauth2::sso_sessions))
        .with_state(state.clone());
    endpoints
        .merge(app)
        .layer(middleware::from_fn_with_state(state, gate::gate))
}

/// Fault hooks and counters of the simulated api.ibkr.com (from
/// [`Control::oauth`](crate::Control::oauth)).
#[derive(Clone)]
pub struct OAuthControl {
    pub(crate) desk: Arc<Desk>,
}

impl std::fmt::Debug for OAuthControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OAuthControl")
    }
}

impl OAuthControl {
    /// Make every following handshake's K have a bit length that is a multiple of 8 (the
    /// case that needs Java's 0x00 sign byte), or let chance decide again.
    pub fn force_sign_byte(&self, on: bool) {
        self.desk.force_sign_byte.store(on, Ordering::SeqCst);
    }

    /// Expire the live session token and the OAuth 2.0 tokens now: signed requests answer
    /// 401 until the client renews.
    pub fn expire_tokens(&self) {
        let past = SystemTime::now() - Duration::from_secs(1);
        for slot in [&self.desk.lst, &self.desk.access, &self.desk.bearer] {
            if let Some(t) = lock(slot).as_mut() {
                t.expires = past;
            }
        }
    }

    /// Send a wrong `live_session_token_signature` in the next handshake's answer.
    pub fn corrupt_next_token_signature(&self) {
        self.desk
            .corrupt_next_signature
            .store(true, Ordering::SeqCst);
    }

    /// Answer `POST /iserver/auth/ssodh/init` with IBKR's paper-account 500
    /// (`{"error":"failed to generate sso dh token"}`), or stop doing so.
    pub fn refuse_brokerage_session(&self, on: bool) {
        self.desk.refuse_ssodh.store(on, Ordering::SeqCst);
    }

    /// Live session token handshakes answered with a token.
    pub fn handshakes(&self) -> u64 {
        self.desk.handshakes.load(Ordering::SeqCst)
    }

    /// OAuth 2.0 access tokens granted.
    pub fn token_grants(&self) -> u64 {
        self.desk.token_grants.load(Ordering::SeqCst)
    }

    /// OAuth 2.0 SSO sessions opened.
    pub fn sso_sessions(&self) -> u64 {
        self.desk.sso_sessions.load(Ordering::SeqCst)
    }

    /// Requests whose signature or bearer was accepted.
    pub fn signed_requests(&self) -> u64 {
        self.desk.signed_requests.load(Ordering::SeqCst)
    }

    /// The tokens given out so far that are still held: the live session token (base64, as
    /// the client derives it), the OAuth 2.0 access token and the SSO bearer (as sent). For
    /// tests that look for them where they must not be (logs, errors).
    pub fn issued_tokens(&self) -> Vec<String> {
        use base64::Engine as _;
        let mut out = Vec::new();
        if let Some(lst) = lock(&self.desk.lst).as_ref() {
            out.push(base64::engine::general_purpose::STANDARD.encode(&lst.value));
        }
        for slot in [&self.desk.access, &self.desk.bearer] {
            if let Some(t) = lock(slot).as_ref() {
                out.push(String::from_utf8_lossy(&t.value).into_owned());
            }
        }
        out
    }

    /// Requests refused with 401 (bad signature, unknown consumer, stale timestamp,
    /// reused nonce, expired token, missing authorization).
    pub fn refused(&self) -> u64 {
        self.desk.refused.load(Ordering::SeqCst)
    }
}

/// Seconds since the epoch.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
