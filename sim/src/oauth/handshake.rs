//! `POST /v1/api/oauth/live_session_token`: the request signed with RSA-SHA256 over the
//! prepend and the base string, the Diffie-Hellman exchange, the token and its signature.

use std::collections::BTreeMap;
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
use super::gate::{check_timestamp_and_nonce, signed_urls, unauthorized};
use super::{Issued, OAuth1Consumer, OAuthState};
use crate::lock::lock;
use crate::reply;

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
    let urls = signed_urls(&state, &req);
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
    let force = desk.force_sign_byte.load(Ordering::SeqCst);
    let (lst, big_b, mut signature) = match exchange(consumer, &params, &urls, force) {
        Ok(v) => v,
        Err(Refusal::Unauthorized(what)) => return unauthorized(desk, what),
        Err(Refusal::BadRequest(what)) => {
            return reply::json(400, &json!({"error": what, "statusCode": 400}));
        }
    };
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
    state.world.lock().session.logged_in = true;
    let expiration_ms = expires
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    reply::json(
        200,
        &json!({
            "diffie_hellman_response": big_b,
            "live_session_token_signature": signature,
            "live_session_token_expiration": expiration_ms,
        }),
    )
}

/// Why a live session token request is refused.
pub(crate) enum Refusal {
    Unauthorized(&'static str),
    BadRequest(&'static str),
}

/// Check the RSA-SHA256 signature over prepend + base string (over any of `urls`, the
/// URLs the client may have signed), and answer the DH challenge: (LST bytes, B as hex,
/// the token's signature as hex).
pub(crate) fn exchange(
    consumer: &OAuth1Consumer,
    params: &BTreeMap<String, String>,
    urls: &[String],
    force_sign_byte: bool,
) -> Result<(Vec<u8>, String, String), Refusal> {
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    let signed_over = |url: &String| {
        let signed = format!(
            "{}{}",
            hex(&consumer.prepend),
            base_string("POST", url, params)
        );
        rsa_sha256_valid(&consumer.signature_key, &signed, get("oauth_signature"))
    };
    if !urls.iter().any(signed_over) {
        return Err(Refusal::Unauthorized("invalid signature"));
    }
    let p = &consumer.dh_prime;
    let one = BigUint::from(1u8);
    let challenge = BigUint::parse_bytes(get("diffie_hellman_challenge").as_bytes(), 16);
    let Some(a) = challenge.filter(|a| *a > one && *a < p - &one) else {
        return Err(Refusal::BadRequest("invalid diffie_hellman_challenge"));
    };
    // b, B = g^b, K = A^b; when forced, draw b until K's bit length is a multiple of 8.
    let (big_b, k) = loop {
        let b = random_exponent();
        let k = a.modpow(&b, p);
        if !force_sign_byte || k.bits().is_multiple_of(8) {
            break (consumer.dh_generator.modpow(&b, p), k);
        }
    };
    let lst = hmac_sha1(&java_bytes(&k), &consumer.prepend);
    let signature = hex(&hmac_sha1(&lst, consumer.consumer_key.as_bytes()));
    Ok((lst, big_b.to_str_radix(16), signature))
}

impl OAuth1Consumer {
    /// Answer a live session token request as api.ibkr.com does (consumer, token and
    /// RSA-SHA256 signature checked; no nonce or timestamp bookkeeping): the JSON body.
    /// For servers of one's own (benchmarks, tests); `url` is the URL the client signed.
    pub fn answer_live_session_token(
        &self,
        url: &str,
        authorization: &str,
    ) -> Result<String, String> {
        let params = parse_oauth_header(authorization).ok_or("malformed authorization header")?;
        let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
        if get("oauth_consumer_key") != self.consumer_key {
            return Err("invalid consumer".into());
        }
        if get("oauth_token") != self.access_token {
            return Err("invalid token".into());
        }
        let (_, big_b, signature) =
            exchange(self, &params, &[url.to_string()], false).map_err(|r| match r {
                Refusal::Unauthorized(w) | Refusal::BadRequest(w) => w.to_string(),
            })?;
        let expiration_ms = (SystemTime::now() + LST_LIFETIME)
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
        Ok(json!({
            "diffie_hellman_response": big_b,
            "live_session_token_signature": signature,
            "live_session_token_expiration": expiration_ms,
        })
        .to_string())
    }
}
