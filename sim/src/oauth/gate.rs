//! The check in front of every API request when the simulator plays api.ibkr.com:
//! an HMAC-SHA256 `Authorization: OAuth` under the live session token, or an OAuth 2.0
//! bearer. Anything else answers 401 before it reaches the gateway routes.

use std::sync::atomic::Ordering;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::crypto::{base_string, hmac_sha256_valid, parse_oauth_header};
use super::{Desk, OAuthState, TIMESTAMP_WINDOW, unix_now};
use crate::lock::lock;
use crate::reply;

/// The paths that carry their own authentication (the handshakes).
fn is_handshake(path: &str) -> bool {
    matches!(
        path,
        "/v1/api/oauth/live_session_token" | "/oauth2/api/v1/token" | "/gw/api/v1/sso-sessions"
    )
}

/// IBKR's 401 body shape (`{"error":"id: N, error: invalid consumer","statusCode":401}`).
pub(crate) fn unauthorized(desk: &Desk, what: &str) -> Response {
    desk.refused.fetch_add(1, Ordering::SeqCst);
    tracing::debug!(what, "401: OAuth check failed");
    reply::json(
        401,
        &json!({ "error": format!("id: 1, error: {what}"), "statusCode": 401 }),
    )
}

/// Check an `Authorization: OAuth` request (not the LST request); `None` when it passes.
pub(crate) fn check_oauth1(
    state: &OAuthState,
    method: &str,
    urls: &[String],
    header: &str,
) -> Option<Response> {
    let desk = &state.desk;
    let Some(params) = parse_oauth_header(header) else {
        return Some(unauthorized(desk, "malformed authorization header"));
    };
    let Some(consumer) = &desk.oauth1 else {
        return Some(unauthorized(desk, "invalid consumer"));
    };
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    if get("oauth_consumer_key") != consumer.consumer_key {
        return Some(unauthorized(desk, "invalid consumer"));
    }
    if get("oauth_token") != consumer.access_token {
        return Some(unauthorized(desk, "invalid token"));
    }
    if get("oauth_signature_method") != "HMAC-SHA256" {
        return Some(unauthorized(desk, "invalid signature method"));
    }
    if let Some(r) = check_timestamp_and_nonce(desk, get("oauth_timestamp"), get("oauth_nonce")) {
        return Some(r);
    }
    let lst = lock(&desk.lst).clone();
    let Some(lst) = lst.filter(|t| t.live()) else {
        return Some(unauthorized(desk, "live session token expired or missing"));
    };
    let signed_over = |url: &String| {
        hmac_sha256_valid(
            &lst.value,
            &base_string(method, url, &params),
            get("oauth_signature"),
        )
    };
    if !urls.iter().any(signed_over) {
        return Some(unauthorized(desk, "invalid signature"));
    }
    None
}

/// Timestamps more than 5 minutes off and reused nonces are refused.
pub(crate) fn check_timestamp_and_nonce(
    desk: &Desk,
    timestamp: &str,
    nonce: &str,
) -> Option<Response> {
    let now = unix_now();
    let Ok(ts) = timestamp.parse::<u64>() else {
        return Some(unauthorized(desk, "invalid timestamp"));
    };
    if now.abs_diff(ts) > TIMESTAMP_WINDOW.as_secs() {
        return Some(unauthorized(desk, "invalid timestamp"));
    }
    if nonce.is_empty() || !desk.fresh_nonce(nonce, ts, now) {
        return Some(unauthorized(desk, "invalid nonce (already used)"));
    }
    None
}

fn check_bearer(desk: &Desk, path: &str, token: &str) -> Option<Response> {
    if desk.oauth2.is_none() {
        return Some(unauthorized(desk, "invalid consumer"));
    }
    // Account management takes the access token, trading the SSO bearer.
    let slot = if path.starts_with("/gw/api/") {
        &desk.access
    } else {
        &desk.bearer
    };
    let issued = lock(slot).clone();
    match issued {
        Some(t) if bool::from(t.value.as_slice().ct_eq(token.as_bytes())) => {
            if t.live() {
                None
            } else {
                Some(unauthorized(desk, "token expired"))
            }
        }
        _ => Some(unauthorized(desk, "invalid token")),
    }
}

/// The WebSocket's `?oauth_token=<access token>` under a live session token.
fn check_socket(desk: &Desk, query: Option<&str>) -> Option<Response> {
    let token = query
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("oauth_token="));
    let known = desk.oauth1.as_ref().map(|c| c.access_token.as_str());
    let live = lock(&desk.lst).as_ref().is_some_and(|t| t.live());
    match (token, known) {
        (Some(t), Some(k)) if t == k && live => None,
        _ => Some(unauthorized(desk, "invalid token")),
    }
}

/// The URLs a client may have signed, each `scheme://authority/path`: with the `Host`
/// header's authority (a client that connects by the name it signs), and with the
/// simulator's own address, also as `localhost` (a client that signs the URL it connects
/// to but sends `Host: api.ibkr.com`, as ibind does). At IBKR these are one URL; at a
/// stand-in they differ, and either signature is accepted. The own address is the one the
/// simulator listens on (127.0.0.1 when it listens on every interface).
pub(crate) fn signed_urls(state: &OAuthState, req: &Request) -> Vec<String> {
    let path = req.uri().path();
    let mut authorities: Vec<String> = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .into_iter()
        .collect();
    if let Some(urls) = state.urls.get() {
        let root = urls.base.trim_end_matches("/v1/api");
        if let Some(own) = root.split_once("://").map(|(_, a)| a.to_string()) {
            if let Some(port) = own.strip_prefix("127.0.0.1:") {
                authorities.push(format!("localhost:{port}"));
            }
            authorities.push(own);
        }
    }
    if authorities.is_empty() {
        authorities.push("127.0.0.1".to_string());
    }
    authorities.dedup();
    authorities
        .iter()
        .map(|a| format!("{}://{a}{path}", state.scheme))
        .collect()
}

/// The middleware.
pub(crate) async fn gate(State(state): State<OAuthState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let api = path.starts_with("/v1/api") || path.starts_with("/gw/api");
    if !api || is_handshake(&path) {
        return next.run(req).await;
    }
    let header = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    let refusal = match header.as_deref() {
        // The WebSocket upgrade names the access token in its query (`?oauth_token=`).
        None if path == "/v1/api/ws" => check_socket(&state.desk, req.uri().query()),
        Some(h) if h.starts_with("OAuth ") => {
            let urls = signed_urls(&state, &req);
            check_oauth1(&state, req.method().as_str(), &urls, h)
        }
        Some(h) if h.starts_with("Bearer ") => {
            check_bearer(&state.desk, &path, &h["Bearer ".len()..])
        }
        _ => Some(unauthorized(&state.desk, "missing authorization")),
    };
    if let Some(refusal) = refusal {
        return refusal;
    }
    state.desk.signed_requests.fetch_add(1, Ordering::SeqCst);
    if path == "/v1/api/iserver/auth/ssodh/init" && state.desk.refuse_ssodh.load(Ordering::SeqCst) {
        // ibind #152: paper accounts over OAuth, `500 {"error":"failed to generate sso dh token"}`.
        return reply::json(500, &json!({ "error": "failed to generate sso dh token" }));
    }
    next.run(req).await
}
