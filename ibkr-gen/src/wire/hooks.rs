//! The hooks through which `ibkr-ext` takes part in every attempt: signing (OAuth),
//! brokerage-session recovery, and observation.
//!
//! Hooks hold state, never a client: the wire hands them the [`Link`] it is sending
//! through, so no hook keeps the session alive by itself and no reference cycle forms.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use reqwest::{Request, StatusCode};

use super::Wire;

/// A boxed future, as the hooks return them.
pub type HookFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a recovery hook returns: whether the session is usable again.
pub type RecoveryFuture<'a> = HookFuture<'a, bool>;

/// What the wire is sending through when it calls a hook: the HTTP client, and the wire
/// itself with the order lane the current request holds (so a hook's own requests neither
/// wait for that lane again nor skip pacing).
#[derive(Clone, Copy)]
pub struct Link<'a> {
    /// The HTTP client of the request.
    pub http: &'a reqwest::Client,
    /// The wire of the request, carrying its lane.
    pub wire: &'a Wire,
}

/// Reopens IBKR's brokerage session when an operation that goes through it
/// (`x-ibkr-brokerage-session`: every `/iserver/` call) answers `400 no bridge`.
///
/// `ibkr-ext` implements it with `POST /iserver/auth/ssodh/init`. The wire calls it at most
/// once per request, and repeats the request only when the operation is idempotent.
pub trait SessionRecovery: Send + Sync + 'static {
    /// Try to open the brokerage session, sending through `link` (whose wire does not
    /// recover again).
    fn recover<'a>(&'a self, link: Link<'a>) -> RecoveryFuture<'a>;

    /// A request is about to take the pipeline (inside a tokio runtime). `ibkr-ext` starts
    /// its session keeper here when the client was built outside a runtime.
    fn attempt_starting(&self, link: Link<'_>) {
        let _ = link;
    }
}

/// Why a request could not be signed. The wire sends nothing when signing fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignError {
    /// The step or config key that failed (`live session token`, `access_token_secret`).
    pub step: &'static str,
    /// What went wrong and what to do, without any secret.
    pub reason: String,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.step, self.reason)
    }
}

impl std::error::Error for SignError {}

/// Signs each attempt of a request (OAuth 1.0a, OAuth 2.0 bearer).
///
/// Called after the order lane and pacing, right before the attempt leaves, so a nonce and
/// timestamp are fresh on every attempt. A signer may renew its token inside `sign` (with
/// `http`, outside the wire); an error aborts the request and nothing is sent.
pub trait RequestSigner: Send + Sync + 'static {
    /// Add the authorisation to `request`.
    fn sign<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: &'a mut Request,
    ) -> HookFuture<'a, Result<(), SignError>>;

    /// A `401` answered a signed request: renew the token if that may help. The wire then
    /// repeats an idempotent request once. Returns whether a new token is in place.
    fn renew<'a>(&'a self, http: &'a reqwest::Client) -> RecoveryFuture<'a> {
        let _ = http;
        Box::pin(async { false })
    }
}

/// Sees every attempt the wire makes.
pub trait WireObserver: Send + Sync + 'static {
    /// An attempt of `operation` is leaving now (after the lane, pacing and signing).
    fn on_send(&self, operation: &str) {
        let _ = operation;
    }
    /// A response (or transport failure, `status` None) for `operation`.
    fn on_response(&self, operation: &str, status: Option<StatusCode>, latency: Duration);
}
