//! The one error type of this crate: what went wrong, on which operation, and what to do.
//!
//! Errors never carry a token, cookie or session id: body excerpts pass through
//! [`redact`] (session ids, tokens and account numbers are masked) and transport errors
//! drop their URL.
//!
//! `convert` turns what the wire returned into an [`Error`]; `redact` masks secrets;
//! [`TransportError`] wraps the HTTP stack's failures.

mod convert;
mod redact;
mod transport;

use std::time::Duration;

pub(crate) use self::convert::is_login_location;
pub(crate) use self::redact::excerpt;
pub use self::redact::redact;
pub use self::transport::{TransportError, TransportKind};

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to IBKR, each variant saying what to do next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The gateway has no logged-in session (HTTP 401).
    #[error("{operation}: not logged in: open {login_url} in a browser and log in")]
    NotAuthenticated {
        /// The operationId.
        operation: &'static str,
        /// Where the user logs in (the gateway's root URL).
        login_url: String,
    },
    /// `/iserver` needs a brokerage session and there is none (`400 no bridge`).
    #[error(
        "{operation}: no brokerage session (IBKR said \"no bridge\"): call ensure_brokerage_session(), \
         or log in again if another session (TWS, mobile) took over"
    )]
    NoBrokerageSession {
        /// The operationId.
        operation: &'static str,
    },
    /// IBKR throttled the call (HTTP 429); the client already slowed this operation down.
    #[error(
        "{operation}: rate limited by IBKR (HTTP 429): slow down; repeated violations lead to a 10-minute penalty box"
    )]
    RateLimited {
        /// The operationId.
        operation: &'static str,
        /// `Retry-After`, when IBKR sent one.
        retry_after: Option<Duration>,
    },
    /// IBKR answered with an error status or an error body.
    #[error("{operation}: IBKR answered HTTP {status}: {}", message.as_deref().unwrap_or(excerpt))]
    Api {
        /// The operationId.
        operation: &'static str,
        /// The HTTP status (200 for an order reject sent as `{"error": ...}`).
        status: u16,
        /// IBKR's error text, when the body had one.
        message: Option<String>,
        /// The start of the body, redacted.
        excerpt: String,
    },
    /// The response did not have the shape the API documents (malformed or truncated JSON,
    /// an HTML page where JSON was expected).
    #[error(
        "{operation}: could not read IBKR's response (HTTP {status}): {reason}; the body starts with: {excerpt:?}"
    )]
    Decode {
        /// The operationId.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// What the decoder said.
        reason: String,
        /// The start of the body, redacted.
        excerpt: String,
    },
    /// The connection failed or broke (gateway not running, TLS refused, reset).
    #[error("{operation}: could not reach the gateway: {source}")]
    Transport {
        /// The operationId.
        operation: &'static str,
        /// What failed, without the URL.
        #[source]
        source: TransportError,
    },
    /// The gateway's IP allow-list refused this client: HTTP 404 with the body
    /// `Access Denied`, which the Client Portal Gateway answers on every path to a client
    /// whose address `conf.yaml`'s `ips.allow` does not admit (or `ips.deny` names).
    #[error(
        "{operation}: the gateway refused this client (HTTP 404 \"Access Denied\"): its allow-list (conf.yaml `ips.allow`) does not admit {}; \
         restart it with `ibkr gateway start --allow {}` (in a container: IBKR_GATEWAY_ALLOW; exact addresses or a trailing `*` such as 172.18.*, never CIDR)",
        client.map_or_else(|| "this machine's address".to_string(), |ip| ip.to_string()),
        client.map_or_else(|| "ADDRESS".to_string(), |ip| ip.to_string())
    )]
    AccessDenied {
        /// The operationId.
        operation: &'static str,
        /// The address this client connects from, as far as it is known (the configured
        /// local address, or the one the route to the gateway uses).
        client: Option<std::net::IpAddr>,
    },
    /// The gateway is running and answers locally, but a call it proxies to IBKR got no
    /// answer: the gateway cannot reach IBKR (no network, DNS, a proxy, IBKR down). This is
    /// not "logged out", and waiting longer does not help.
    #[error(
        "{operation}: the gateway at {gateway} is running but cannot reach IBKR: no answer from IBKR in {} s while the gateway itself answers; \
         check this machine's internet connection, DNS (api.ibkr.com) and proxy, then run `ibkr gateway status`",
        waited.as_secs()
    )]
    UpstreamUnreachable {
        /// The operationId.
        operation: &'static str,
        /// The gateway's root URL.
        gateway: String,
        /// How long the call had waited when the gateway was found cut off.
        waited: Duration,
    },
    /// The request took longer than the configured timeout.
    #[error("{operation}: timed out waiting for IBKR")]
    Timeout {
        /// The operationId.
        operation: &'static str,
    },
    /// The request could not be built (a missing or invalid argument).
    #[error("{operation}: invalid request: {reason}")]
    InvalidRequest {
        /// The operationId (or the workflow).
        operation: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// What the request names does not exist for this login (a watchlist id, an account,
    /// an option expiry, a scanner with no results); nothing was changed.
    #[error("{operation}: {what}")]
    NotFound {
        /// The operationId (or the workflow).
        operation: &'static str,
        /// What was not found, in one line, with what to try instead.
        what: String,
    },
    /// A [`StockQuery`](crate::StockQuery) did not resolve to exactly one contract.
    #[error("{}", resolve_message(symbol, query, failure, candidates))]
    Resolve {
        /// The symbol.
        symbol: String,
        /// The query, as text.
        query: String,
        /// What went wrong.
        failure: crate::conid::ResolveFailure,
        /// Every listing the query could have meant (all of the symbol's listings when none
        /// matched), so the user can pick one.
        candidates: Vec<crate::conid::Candidate>,
    },
    /// IBKR rejected the order (`{"error": ...}`, often with HTTP 200).
    #[error("{operation}: IBKR rejected the order: {message}")]
    OrderRejected {
        /// `placeOrder` or `modifyOrder`.
        operation: &'static str,
        /// IBKR's reason.
        message: String,
    },
    /// Inside [`Ibkr::exclusive`](crate::Ibkr::exclusive), a request went through a handle
    /// of the same session that does not hold the lane (the outer one): it would have
    /// waited for the lane forever. It was not sent.
    #[error(
        "{operation}: sent through a handle that does not hold the session's lane, from inside \
         Ibkr::exclusive, where it would wait for that lane forever; send through the handle the closure \
         is given (`exclusive(|lane| ... lane.call ...)`), not the outer one{}",
        if *closure_stopped {
            " (a raw call awaited directly: the closure was stopped there, and anything it had in \
             flight may or may not have taken effect)"
        } else {
            ""
        }
    )]
    OutsideExclusiveLane {
        /// The operationId, or `exclusive`.
        operation: &'static str,
        /// True when the request was a raw call awaited directly, so `exclusive` stopped
        /// the closure there and returned this error in its place.
        closure_stopped: bool,
    },
    /// IBKR kept asking questions; the pending ones were declined.
    #[error("IBKR asked questions for {rounds} rounds; the order was declined")]
    TooManyQuestions {
        /// Rounds answered.
        rounds: usize,
    },
    /// The client could not be configured (bad URL, bad certificate).
    #[error("configuration: {0}")]
    Config(String),
    /// An order POST or a reply to an order question left, and no answer came back
    /// (timeout, broken connection, an unreadable answer, a 5xx): the order may or may not
    /// exist. Never resend it blindly; look it up first with
    /// [`Ibkr::find_order`](crate::Ibkr::find_order).
    #[error(
        "{operation}: the order's state is unknown ({reason}): it may have been placed. Do not resend it; \
         check live orders for client order id {} first (ibkr orders)", client_order_ids.join(", ")
    )]
    OrderStateUnknown {
        /// `placeOrder`, `modifyOrder` or `replyToOrderQuestion`.
        operation: &'static str,
        /// The client order ids (`cOID`) of the tickets sent.
        client_order_ids: Vec<String>,
        /// What went wrong on the wire.
        reason: String,
    },
    /// A call that must not be repeated left, and no answer came back: whether it took
    /// effect is unknown. It was not retried; check its effect before calling it again.
    #[error(
        "{operation}: no answer after the request was sent ({reason}); it was not retried because it may have taken effect: check before calling it again"
    )]
    OutcomeUnknown {
        /// The operationId.
        operation: &'static str,
        /// What went wrong on the wire.
        reason: String,
    },
    /// The request could not be signed, so nothing was sent (OAuth: a token that does not
    /// validate, a key that does not load, a failed renewal).
    #[error("{operation}: not sent: {reason}")]
    NotSigned {
        /// The operationId.
        operation: &'static str,
        /// The failed step and what to do.
        reason: String,
    },
    /// An OAuth config value is missing or wrong (a key file that does not load, a PEM of
    /// the wrong kind, a prime that is not hex, an unknown key). Names the config key.
    #[error("config key `{key}` (OAuth): {reason}")]
    OAuthConfig {
        /// The config key at fault (`signature_key`, `dh_prime`, ...).
        key: &'static str,
        /// What is wrong and what to do, without the value.
        reason: String,
    },
    /// An OAuth login step failed (the live session token handshake, the OAuth 2.0 token
    /// or SSO session); nothing was sent with an unvalidated token.
    #[error("{step}: {reason}")]
    OAuth {
        /// The step (`live session token handshake`, `access-token request (OAuth2)`, ...).
        step: &'static str,
        /// What went wrong and what to do, without any secret.
        reason: String,
    },
}

fn resolve_message(
    symbol: &str,
    query: &str,
    failure: &crate::conid::ResolveFailure,
    candidates: &[crate::conid::Candidate],
) -> String {
    use crate::conid::ResolveFailure;
    let what = match failure {
        ResolveFailure::UnknownSymbol => "IBKR knows no stock with this symbol".to_string(),
        ResolveFailure::NoMatch => "no listing matches the query".to_string(),
        ResolveFailure::Ambiguous {
            instruments,
            contracts,
        } => format!(
            "the query matches {instruments} instrument(s) and {contracts} contract(s); narrow it (name_match, exchange, is_us, any_market)"
        ),
    };
    let mut s = format!("{symbol}: {what}; query: {query}");
    if !candidates.is_empty() {
        s.push_str("; candidates:");
        for c in candidates {
            s.push_str(&format!(
                "\n  {} on {} (conid {}{})",
                c.name,
                c.exchange,
                c.conid,
                if c.is_us { ", US" } else { "" }
            ));
        }
    }
    s
}

impl Error {
    /// The operationId the error is about, when there is one.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Error::NotAuthenticated { operation, .. }
            | Error::NoBrokerageSession { operation }
            | Error::RateLimited { operation, .. }
            | Error::Api { operation, .. }
            | Error::Decode { operation, .. }
            | Error::Transport { operation, .. }
            | Error::AccessDenied { operation, .. }
            | Error::UpstreamUnreachable { operation, .. }
            | Error::Timeout { operation }
            | Error::InvalidRequest { operation, .. }
            | Error::NotFound { operation, .. }
            | Error::OrderRejected { operation, .. }
            | Error::OrderStateUnknown { operation, .. }
            | Error::OutcomeUnknown { operation, .. }
            | Error::NotSigned { operation, .. }
            | Error::OutsideExclusiveLane { operation, .. } => Some(operation),
            Error::Resolve { .. } => Some("listStocksBySymbol"),
            Error::TooManyQuestions { .. } => Some("replyToOrderQuestion"),
            Error::Config(_) | Error::OAuthConfig { .. } | Error::OAuth { .. } => None,
        }
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::NotAuthenticated { .. } => Some(401),
            Error::NoBrokerageSession { .. } => Some(400),
            Error::AccessDenied { .. } => Some(404),
            Error::RateLimited { .. } => Some(429),
            Error::Api { status, .. } | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Worth trying again later (after a pause): throttling, a busy or restarting gateway,
    /// a broken connection or a timeout of a call that is safe to repeat. Never true for
    /// [`Error::OrderStateUnknown`] or [`Error::OutcomeUnknown`]: repeating those could
    /// place an order twice.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. }
            | Error::Timeout { .. }
            | Error::Transport { .. }
            | Error::UpstreamUnreachable { .. } => true,
            Error::Api { status, .. } => matches!(status, 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// Whether the call may have taken effect although no answer came back.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(
            self,
            Error::OrderStateUnknown { .. } | Error::OutcomeUnknown { .. }
        )
    }

    /// This error, as it stands for an order call whose tickets have client order ids
    /// `coids`: anything that leaves the order's fate open becomes
    /// [`Error::OrderStateUnknown`].
    pub(crate) fn order_state_unknown(self, coids: &[String]) -> Error {
        let (operation, reason) = match self {
            Error::OutcomeUnknown { operation, reason } => (operation, reason),
            Error::Timeout { operation } => (operation, "timed out".to_string()),
            Error::Transport { operation, source } if !source.is_connect() => {
                (operation, format!("connection failed: {source}"))
            }
            Error::Decode {
                operation, reason, ..
            } => (operation, format!("unreadable answer: {reason}")),
            Error::Api {
                operation, status, ..
            } if status >= 500 => (operation, format!("HTTP {status}")),
            other => return other,
        };
        Error::OrderStateUnknown {
            operation,
            client_order_ids: coids.to_vec(),
            reason,
        }
    }

    /// IBKR throttled the call (HTTP 429).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Error::RateLimited { .. })
    }

    /// The session is the problem: not logged in, or no brokerage session.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Error::NotAuthenticated { .. } | Error::NoBrokerageSession { .. }
        )
    }
}
