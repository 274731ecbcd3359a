//! The third-party OAuth 1.0a flow's token calls (`POST /oauth/request_token`,
//! `POST /oauth/access_token`), answered in IBKR's documented shapes.
//!
//! A third-party consumer (a vendor's app acting for IBKR clients) trades a request token
//! for an access token after the user authorises it in IBKR's portal. The simulator does not
//! model the portal step or verify the consumer's RSA signature; it checks that the call
//! carries an OAuth `Authorization` header naming a consumer (IBKR answers 401 without
//! one) and answers with fresh tokens. Shapes: IBKR's Web API document 2.28.0
//! (`/oauth/request_token`, `/oauth/access_token` 200 schemas) and `oauth.md` (third party).

use axum::http::HeaderMap;
use axum::response::Response;
use rand::RngCore;
use serde_json::json;

use super::reply;

/// The consumer key of an OAuth `Authorization` header, if there is one.
fn consumer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let params = value.strip_prefix("OAuth ")?;
    params.split(',').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == "oauth_consumer_key").then(|| v.trim_matches('"').to_string())
    })
}

fn hex_token(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut raw);
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

fn unauthorized() -> Response {
    reply::json(401, &json!({"error": "Invalid Consumer"}))
}

/// `POST /oauth/request_token` → `{"oauth_token": ".."}`.
pub(crate) async fn request_token(headers: HeaderMap) -> Response {
    if consumer(&headers).is_none_or(|c| c.is_empty()) {
        return unauthorized();
    }
    reply::ok(&json!({"oauth_token": hex_token(10)}))
}

/// `POST /oauth/access_token` → `{"oauth_token", "oauth_token_secret", "is_paper"}`; the
/// secret is base64 text, as IBKR sends it (RSA-encrypted for the consumer in reality).
pub(crate) async fn access_token(headers: HeaderMap) -> Response {
    if consumer(&headers).is_none_or(|c| c.is_empty()) {
        return unauthorized();
    }
    let mut secret = vec![0u8; 256];
    rand::rng().fill_bytes(&mut secret);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let text: String = secret
        .chunks(3)
        .flat_map(|c| {
            let n = c.iter().fold(0u32, |a, b| (a << 8) | *b as u32) << (8 * (3 - c.len()));
            (0..=c.len()).map(move |i| alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char)
        })
        .collect();
    reply::ok(&json!({
        "oauth_token": hex_token(10),
        "oauth_token_secret": text,
        "is_paper": true,
    }))
}
