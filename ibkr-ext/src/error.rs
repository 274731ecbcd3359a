//! The one error type of this crate: what went wrong, on which operation, and what to do.
//!
//! Errors never carry a token, cookie or session id: body excerpts pass through
//! [`redact`] (session ids, tokens and account numbers are masked) and transport errors
//! drop their URL.

use std::time::Duration;

use ibkr_gen::ErrorBody;

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
        /// The underlying error, without its URL.
        #[source]
        source: reqwest::Error,
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

    /// Build the error for a response with an error status.
    pub(crate) fn from_status(
        operation: &'static str,
        status: u16,
        retry_after: Option<Duration>,
        body: &[u8],
        login_url: &str,
    ) -> Error {
        let parsed = ErrorBody::parse(body);
        if status == 404 && body.trim_ascii() == ACCESS_DENIED {
            return Error::AccessDenied {
                operation,
                client: None,
            };
        }
        if status == 401 {
            return Error::NotAuthenticated {
                operation,
                login_url: login_url.to_string(),
            };
        }
        if status == 429 {
            return Error::RateLimited {
                operation,
                retry_after,
            };
        }
        if parsed.as_ref().is_some_and(ErrorBody::is_no_bridge) {
            return Error::NoBrokerageSession { operation };
        }
        Error::Api {
            operation,
            status,
            message: parsed.and_then(|b| b.text().map(redact)),
            excerpt: excerpt(body),
        }
    }

    /// Build the error for a response with an error status, reading its body.
    pub(crate) async fn from_response(
        operation: &'static str,
        response: reqwest::Response,
        login_url: &str,
    ) -> Error {
        if let Some(ibkr_gen::wire::NotSent::Signing(e)) =
            response.extensions().get::<ibkr_gen::wire::NotSent>()
        {
            return Error::NotSigned {
                operation,
                reason: redact(&e.to_string()),
            };
        }
        let status = response.status().as_u16();
        if response.status().is_redirection() && redirects_to_login(response.headers()) {
            return Error::NotAuthenticated {
                operation,
                login_url: login_url.to_string(),
            };
        }
        let retry_after = ibkr_gen::wire::retry_after(response.headers());
        let peer = response.remote_addr();
        match response.bytes().await {
            Ok(body) => {
                match Error::from_status(operation, status, retry_after, &body, login_url) {
                    Error::AccessDenied { operation, .. } => Error::AccessDenied {
                        operation,
                        client: peer.and_then(route_source),
                    },
                    other => other,
                }
            }
            Err(e) => Error::from_reqwest(operation, e),
        }
    }

    /// Convert what a generated method returned into this crate's error.
    pub(crate) async fn from_raw(
        operation: &'static str,
        err: ibkr_gen::Error<()>,
        login_url: &str,
    ) -> Error {
        use ibkr_gen::Error as Raw;
        match err {
            Raw::UnexpectedResponse(response) => {
                Error::from_response(operation, response, login_url).await
            }
            Raw::ErrorResponse(response) => {
                let status = response.status().as_u16();
                Error::from_status(operation, status, None, b"", login_url)
            }
            Raw::InvalidResponsePayload(body, e) => Error::Decode {
                operation,
                status: 200,
                reason: e.to_string(),
                excerpt: excerpt(&body),
            },
            Raw::CommunicationError(e) | Raw::ResponseBodyError(e) => {
                Error::from_reqwest(operation, e)
            }
            Raw::InvalidRequest(reason) => Error::InvalidRequest { operation, reason },
            Raw::InvalidUpgrade(e) => Error::from_reqwest(operation, e),
            Raw::Custom(reason) => Error::InvalidRequest { operation, reason },
        }
    }

    pub(crate) fn from_reqwest(operation: &'static str, e: reqwest::Error) -> Error {
        // A call that must not be repeated, and that may have reached IBKR: say so.
        let repeatable = ibkr_gen::operations::find(operation).is_some_and(|o| o.idempotent);
        if !repeatable
            && !e.is_connect()
            && !e.is_builder()
            && (e.is_timeout() || e.is_request() || e.is_body())
        {
            let reason = if e.is_timeout() {
                "timed out".to_string()
            } else {
                e.without_url().to_string()
            };
            return Error::OutcomeUnknown { operation, reason };
        }
        if e.is_timeout() {
            return Error::Timeout { operation };
        }
        if e.is_decode() {
            return Error::Decode {
                operation,
                status: e.status().map_or(200, |s| s.as_u16()),
                reason: e.without_url().to_string(),
                excerpt: String::new(),
            };
        }
        Error::Transport {
            operation,
            source: e.without_url(),
        }
    }
}

/// The whole body the Client Portal Gateway answers (with HTTP 404, no content type) to a
/// client its allow-list refuses.
pub(crate) const ACCESS_DENIED: &[u8] = b"Access Denied";

/// Whether a redirect goes to the gateway's login page (`/sso/Login`): not logged in.
pub(crate) fn redirects_to_login(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .is_some_and(is_login_location)
}

/// Whether a redirect target is the gateway's login page.
pub(crate) fn is_login_location(location: &str) -> bool {
    let path = location.split_once("://").map_or(location, |(_, rest)| {
        rest.find('/').map_or("", |i| &rest[i..])
    });
    path.starts_with("/sso/Login")
}

/// The local address the route to `peer` leaves from: what the gateway sees as this
/// client (a UDP "connect" picks the route and sends nothing).
pub(crate) fn route_source(peer: std::net::SocketAddr) -> Option<std::net::IpAddr> {
    let any: std::net::SocketAddr = if peer.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = std::net::UdpSocket::bind(any).ok()?;
    socket.connect(peer).ok()?;
    socket.local_addr().ok().map(|a| a.ip())
}

/// The first 200 characters of a body, redacted.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text: String = text.chars().take(200).collect();
    redact(&text)
}

/// Mask what must never be shown: session ids and tokens (the value after a
/// secret-looking key, and any 32+ hex run), whole `Authorization`, `Cookie` and
/// `Set-Cookie` headers, `Bearer`/`OAuth` credentials, secrets in query strings, and
/// account numbers (`U1234567` → `U***4567`).
pub fn redact(text: &str) -> String {
    /// Keys whose value is masked up to the next delimiter.
    const SECRET_KEYS: &[&str] = &[
        "session",
        "token",
        "secret",
        "signature",
        "password",
        "diffie_hellman",
        "api",
    ];
    /// Keys whose value is masked to the end of the line (or of the quoted string).
    const HEADER_KEYS: &[&str] = &["authorization", "set-cookie", "cookie"];
    /// Credential schemes: the word after them is masked.
    const SCHEMES: &[&str] = &["bearer ", "oauth ", "basic "];
    let masked = ibkr_gen::wire::mask_accounts(text);
    let lower = masked.to_ascii_lowercase();
    let bytes = masked.as_bytes();
    let mut out = String::with_capacity(masked.len());
    let mut i = 0;
    while i < bytes.len() {
        let at_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let rest = &lower[i..];
        if at_word && let Some(scheme) = SCHEMES.iter().find(|s| rest.starts_with(**s)) {
            let end = i + scheme.len();
            out.push_str(&masked[i..end]);
            i = mask_until(&masked, end, &mut out, |c| {
                c == '"' || c == '\'' || c == ',' || c.is_whitespace()
            });
            continue;
        }
        // Keys match inside words too (`oauth_token`, `sessionId`); `api` (the gateway's
        // cookie) only as a word of its own.
        let header = HEADER_KEYS.iter().find(|k| rest.starts_with(**k));
        let key = header.or_else(|| {
            SECRET_KEYS
                .iter()
                .find(|k| rest.starts_with(**k) && (at_word || **k != "api"))
        });
        if let Some(key) = key {
            // The rest of the key's word (`session_id`, `tokenSecret`), then the separator.
            let word_end = i
                + key.len()
                + lower[i + key.len()..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(lower.len() - i - key.len());
            let sep_len = masked[word_end..]
                .find(|c: char| !matches!(c, '"' | ':' | '=' | ' ' | '\''))
                .unwrap_or(masked.len() - word_end);
            let sep = &masked[word_end..word_end + sep_len];
            out.push_str(&masked[i..word_end + sep_len]);
            i = word_end + sep_len;
            if !sep.contains([':', '=']) {
                continue;
            }
            i = if header.is_some() {
                let quoted = sep.contains('"');
                mask_until(&masked, i, &mut out, |c| {
                    c == '\n' || c == '\r' || (quoted && c == '"')
                })
            } else {
                mask_until(&masked, i, &mut out, |c| {
                    matches!(c, '"' | '\'' | ',' | ';' | '}' | '&') || c.is_whitespace()
                })
            };
            continue;
        }
        let Some(c) = masked[i..].chars().next() else {
            break;
        };
        out.push(c);
        i += c.len_utf8();
    }
    mask_long_hex(&out)
}

/// Write `***` for `text[from..]` up to the first `stop` character (nothing for an empty
/// value); return where the copying resumes.
fn mask_until(text: &str, from: usize, out: &mut String, stop: impl Fn(char) -> bool) -> usize {
    let len = text[from..].find(stop).unwrap_or(text.len() - from);
    if len > 0 {
        out.push_str("***");
    }
    from + len
}

fn mask_long_hex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        flush_run(&mut out, &mut run);
        out.push(c);
    }
    flush_run(&mut out, &mut run);
    out
}

fn flush_run(out: &mut String, run: &mut String) {
    if run.len() >= 32 {
        out.push_str("***");
    } else {
        out.push_str(run);
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_masks_session_ids_tokens_and_accounts() {
        let tickle = r#"{"session":"ce109cbeb462a76dc3f6f4182c830cc1","ssoExpires":585695,"userId":99996016,"acct":"U1234567"}"#;
        let r = redact(tickle);
        assert!(!r.contains("ce109cbeb462a76dc3f6f4182c830cc1"), "{r}");
        assert!(r.contains("\"session\":\"***\""), "{r}");
        assert!(r.contains("U***4567") && !r.contains("U1234567"), "{r}");
        assert!(r.contains("585695"), "non-secret values stay: {r}");
        let oauth =
            "oauth_token=abcdef12; api=c8fh17fnjr01hfnrh39rhfh8shd1hd93 Authorization: OAuth xyz";
        let r = redact(oauth);
        assert!(!r.contains("abcdef12"), "{r}");
        assert!(!r.contains("c8fh17fnjr01"), "{r}");
        assert!(!r.contains("xyz"), "{r}");
    }

    #[test]
    fn redact_masks_whole_auth_headers_cookies_and_query_tokens() {
        let cases = [
            (
                "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
                "eyJ",
            ),
            (r#"{"authorization":"Bearer eyJhbGciOi.J9x.yz"}"#, "eyJ"),
            ("bearer abc.def.ghi sent", "abc.def"),
            (
                r#"Cookie: api={"session":"0123456789abcdef"}; x-sess-uuid=0.1d2f"#,
                "0123456789abcdef",
            ),
            ("Set-Cookie: x-sess-uuid=0.5a4f3e2d; Path=/", "5a4f3e2d"),
            (
                "wss://api.ibkr.com/v1/api/ws?oauth_token=TOKEN123&x=1",
                "TOKEN123",
            ),
            ("GET /ws?session=sess-42 HTTP/1.1", "sess-42"),
            (
                r#"{"live_session_token_signature":"9f8e7d","diffie_hellman_response":"a1b2"}"#,
                "9f8e7d",
            ),
            (r#"{"diffie_hellman_response":"a1b2c3"}"#, "a1b2c3"),
        ];
        for (text, secret) in cases {
            let r = redact(text);
            assert!(!r.contains(secret), "{text:?} -> {r:?}");
            assert!(r.contains("***"), "{text:?} -> {r:?}");
        }
        // Ordinary text passes untouched.
        let plain = "placeOrder: price 150.25 for conid 265598 (Submitted)";
        assert_eq!(redact(plain), plain);
    }

    #[test]
    fn status_mapping_names_the_operation_and_says_what_to_do() {
        let e = Error::from_status("getAccounts", 401, None, b"", "https://localhost:5000");
        assert!(e.is_auth());
        assert_eq!(
            e.to_string(),
            "getAccounts: not logged in: open https://localhost:5000 in a browser and log in"
        );
        let e = Error::from_status(
            "getAccounts",
            400,
            None,
            br#"{"error":"Bad Request: no bridge","statusCode":400}"#,
            "",
        );
        assert!(matches!(
            e,
            Error::NoBrokerageSession {
                operation: "getAccounts"
            }
        ));
        let e = Error::from_status("getMarketDataHistory", 429, None, b"", "");
        assert!(e.is_rate_limited() && e.is_retryable());
        let e = Error::from_status("getLedger", 503, None, b"<html>down</html>", "");
        assert!(e.is_retryable());
        assert_eq!(e.status(), Some(503));
    }
}
