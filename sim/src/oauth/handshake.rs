//! `POST /v1/api/oauth/live_session_token`: the request signed with RSA-SHA256 over the
//! prepend and the base string, the Diffie-Hellman exchange, the token and its signature.

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use axum::extract::{Request, State};
use axum::response::Response;
use rsa::BigUint;
use rsa::rand_core::{OsRng, RngCore as _};
use serde_json::json;

use super::crypto::{
    base_string, hex, hmac_sha1, java_bytes, parse_oauth_header, rsa_sha256_valid,
};
use super::gate::{check_timestamp_and_nonce, signed_url, unauthorized};
use super::{Issued, OAuthState};
use crate::routes::reply;
use crate::shared::lock;

/// How long a live session token lives (about 24 h, oauth.md).
const LST_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

fn random_exponent() -> BigUint {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    BigUint::from_bytes_be(&bytes)
}

/// The handler.
pub(crate) async fn live_session_token(State(state): State<OAuthState>, req: Request) -> Response {
    let desk = &state.desk;
    let url = signed_url(&state, &req);
    let Some(header) = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
    else {
        return unauthorized(desk, "missing authorization");
    };
    let Some(params) = parse_oauth_header(header) else {
        return unauthorized(desk, "malformed authorization header");
    };
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    let Some(consumer) = desk
        .oauth1
        .as_ref()
        .filter(|c| c.consumer_key == get("oauth_consumer_key"))
    else {
        return unauthorized(desk, "invalid consumer");
    };
    if get("realm") != consumer.realm {
        return unauthorized(desk, "invalid realm");
    }
    if get("oauth_token") != consumer.access_token {
        return unauthorized(desk, "invalid token");
    }
    if get("oauth_signature_method") != "RSA-SHA256" {
        return unauthorized(desk, "invalid signature method");
    }
    if let Some(refusal) =
        check_timestamp_and_nonce(desk, get("oauth_timestamp"), get("oauth_nonce"))
    {
        return refusal;
    }
    let signed = format!(
        "{}{}",
        hex(&consumer.prepend),
        base_string("POST", &url, &params)
    );
    if !rsa_sha256_valid(&consumer.signature_key, &signed, get("oauth_signature")) {
        return unauthorized(desk, "invalid signature");
    }
    let p = &consumer.dh_prime;
    let one = BigUint::from(1u8);
    let challenge = BigUint::parse_bytes(get("diffie_hellman_challenge").as_bytes(), 16);
    let Some(a) = challenge.filter(|a| *a > one && *a < p - &one) else {
        return reply::json(
            400,
            &json!({"error": "invalid diffie_hellman_challenge", "statusCode": 400}),
        );
    };
    let force = desk.force_sign_byte.load(Ordering::SeqCst);
    // b, B = g^b, K = A^b; when forced, draw b until K's bit length is a multiple of 8.
    let (big_b, k) = loop {
        let b = random_exponent();
        let k = a.modpow(&b, p);
        if !force || k.bits() % 8 == 0 {
            break (consumer.dh_generator.modpow(&b, p), k);
        }
    };
    let lst = hmac_sha1(&java_bytes(&k), &consumer.prepend);
    let mut signature = hex(&hmac_sha1(&lst, consumer.consumer_key.as_bytes()));
    if desk.corrupt_next_signature.swap(false, Ordering::SeqCst) {
        signature = hex(&hmac_sha1(
            b"not the token",
            consumer.consumer_key.as_bytes(),
        ));
    }
    let expires = SystemTime::now() + LST_LIFETIME;
    *lock(&desk.lst) = Some(Issued {
        value: lst,
        expires,
    });
    desk.handshakes.fetch_add(1, Ordering::SeqCst);
    // A new token is a new login: the SSO session is back (after a /logout too).
    lock(&state.shared.world).session.logged_in = true;
    let expiration_ms = expires
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    reply::json(
        200,
        &json!({
            "diffie_hellman_response": big_b.to_str_radix(16),
            "live_session_token_signature": signature,
            "live_session_token_expiration": expiration_ms,
        }),
    )
}
