//! OAuth 2.0 (private_key_jwt): `POST /oauth2/api/v1/token` and `POST /gw/api/v1/sso-sessions`.
//!
//! Refusals use the Problem-detail shape IBKR's spec gives its OAuth 2.0 errors
//! (`InvalidAccessTokenResponse`: `type`, `title`, `status`, `detail`).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::rand_core::{OsRng, RngCore as _};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use super::crypto::{hex, pct_decode, verify_rs256};
use super::{Desk, Issued, OAuthState, unix_now};
use crate::lock::lock;
use crate::reply;

/// How long the SSO session (the `/v1/api` bearer) lasts.
const SSO_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

fn problem(desk: &Desk, status: u16, detail: &str) -> Response {
    desk.refused.fetch_add(1, Ordering::SeqCst);
    tracing::debug!(status, detail, "OAuth 2.0 refused");
    let title = if status == 401 {
        "Unauthorized"
    } else {
        "Bad Request"
    };
    reply::json(
        status,
        &json!({ "type": "/simple", "title": title, "status": status, "detail": detail }),
    )
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    OsRng.fill_bytes(&mut b);
    hex(&b)
}

/// Claims every signed JWT must carry: `iss`, an `exp` in the future, an `iat` not in the future.
fn check_times(claims: &Value) -> Result<(), &'static str> {
    let now = unix_now();
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or("exp missing")?;
    if exp <= now {
        return Err("token expired (exp)");
    }
    if let Some(iat) = claims.get("iat").and_then(Value::as_u64)
        && iat > now + 60
    {
        return Err("iat in the future");
    }
    Ok(())
}

/// `grant_type=client_credentials`, `client_assertion_type=...jwt-bearer`,
/// `client_assertion=<JWS>` (iss = sub = client_id, aud = "/token").
pub(crate) async fn token(State(state): State<OAuthState>, body: Bytes) -> Response {
    let desk = &state.desk;
    let Some(client) = &desk.oauth2 else {
        return problem(desk, 401, "unknown client");
    };
    let text = String::from_utf8_lossy(&body);
    let form: HashMap<String, String> = text
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (pct_decode(k), pct_decode(v)))
        .collect();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    if field("grant_type") != "client_credentials" {
        return problem(desk, 400, "grant_type must be client_credentials");
    }
    if field("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
        return problem(desk, 400, "client_assertion_type must be jwt-bearer");
    }
    let (header, claims) = match verify_rs256(field("client_assertion"), &client.public_key) {
        Ok(v) => v,
        Err(why) => return problem(desk, 401, why),
    };
    if header.get("kid").and_then(Value::as_str) != Some(client.client_key_id.as_str()) {
        return problem(desk, 401, "unknown kid");
    }
    let claim = |k: &str| {
        claims
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    if claim("iss") != client.client_id || claim("sub") != client.client_id {
        return problem(desk, 401, "iss and sub must be the client_id");
    }
    if claim("aud") != "/token" {
        return problem(desk, 401, "aud must be /token");
    }
    if let Err(why) = check_times(&claims) {
        return problem(desk, 401, why);
    }
    let token = random_hex(24);
    *lock(&desk.access) = Some(Issued {
        value: token.clone().into_bytes(),
        expires: SystemTime::now() + client.token_lifetime,
    });
    desk.token_grants.fetch_add(1, Ordering::SeqCst);
    reply::json(
        200,
        &json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": client.token_lifetime.as_secs(),
            "scope": "sso-sessions.write",
        }),
    )
}

/// `Authorization: Bearer <access token>`, body a JWS with `credential`, `ip`, `iss`, `exp`.
pub(crate) async fn sso_sessions(
    State(state): State<OAuthState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let desk = &state.desk;
    let Some(client) = &desk.oauth2 else {
        return problem(desk, 401, "unknown client");
    };
    let bearer = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default();
    let access = lock(&desk.access).clone();
    match access {
        Some(t) if bool::from(t.value.as_slice().ct_eq(bearer.as_bytes())) && t.live() => {}
        Some(t) if bool::from(t.value.as_slice().ct_eq(bearer.as_bytes())) => {
            return problem(desk, 401, "access token expired");
        }
        _ => return problem(desk, 401, "invalid access token"),
    }
    let text = String::from_utf8_lossy(&body);
    let claims = match verify_rs256(&text, &client.public_key) {
        Ok((_, claims)) => claims,
        Err(why) => return problem(desk, 401, why),
    };
    let claim = |k: &str| {
        claims
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    if claim("iss") != client.client_id {
        return problem(desk, 401, "iss must be the client_id");
    }
    if claim("credential") != client.username {
        return problem(desk, 401, "unknown credential");
    }
    let ip = claim("ip");
    if ip.is_empty() {
        return problem(desk, 400, "ip is required");
    }
    let alternatives: Vec<String> = claims
        .get("alternativeIps")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if ip != client.ip && !alternatives.contains(&client.ip) {
        return problem(desk, 401, "ip does not match the request's origin");
    }
    if let Err(why) = check_times(&claims) {
        return problem(desk, 401, why);
    }
    // The bearer is a JWT-shaped token whose payload carries its expiry.
    let expires = SystemTime::now() + SSO_LIFETIME;
    let exp = unix_now() + SSO_LIFETIME.as_secs();
    let payload = URL_SAFE_NO_PAD.encode(json!({"sub": client.username, "exp": exp}).to_string());
    let bearer = format!(
        "{}.{payload}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
        random_hex(32)
    );
    *lock(&desk.bearer) = Some(Issued {
        value: bearer.clone().into_bytes(),
        expires,
    });
    desk.sso_sessions.fetch_add(1, Ordering::SeqCst);
    state.world.lock().session.logged_in = true;
    reply::json(
        200,
        &json!({ "access_token": bearer, "active": true, "token_type": "Bearer" }),
    )
}
