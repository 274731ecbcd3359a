//! OAuth 1.0a, first party: the live session token handshake, HMAC-SHA256 on every
//! attempt, renewal before expiry and after a 401.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ibkr_gen::Secret;
use ibkr_gen::wire::SignError;
use reqwest::Request;
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::advice::{self, fail};
use super::cell::{Expiry, Issued};
use super::encode::{authorization_header, base_string, base_url};
use super::login::Handshake;
use super::lst::{self, DhExchange};
use super::{ApiRoot, AuthMode, OAuth1Config, nonce, unix_now};

/// The step named in errors of the handshake.
const STEP: &str = "live session token handshake";

/// How long a token lives when IBKR's expiration field looks like the computation time.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// A validated live session token: base64-decoded, the HMAC key of every request.
pub(crate) struct LiveToken {
    key: Zeroizing<Vec<u8>>,
}

/// OAuth 1.0a's part of a login (the token cell and the rest are [`super::login::Login`]'s).
pub(crate) struct OAuth1 {
    config: OAuth1Config,
}

#[derive(Deserialize)]
struct LstAnswer {
    diffie_hellman_response: Option<String>,
    live_session_token_signature: Option<String>,
    live_session_token_expiration: Option<i64>,
}

impl OAuth1 {
    pub(crate) fn new(config: OAuth1Config) -> Self {
        OAuth1 { config }
    }
}

/// How long the token lives from now. IBKR's field has been seen as the expiry and as the
/// computation time: a value within an hour of now (or past) means "24 hours".
fn lifetime(expiration_ms: Option<i64>) -> Duration {
    let given = expiration_ms
        .and_then(|ms| u64::try_from(ms).ok())
        .map(|ms| SystemTime::UNIX_EPOCH + Duration::from_millis(ms));
    match given.and_then(|t| t.duration_since(SystemTime::now()).ok()) {
        Some(left) if left > Duration::from_secs(60 * 60) => left,
        _ => DEFAULT_LIFETIME,
    }
}

impl Handshake for OAuth1 {
    type Token = LiveToken;
    const MODE: AuthMode = AuthMode::OAuth1;

    /// The live session token handshake (POST /oauth/live_session_token). Returns the
    /// token only when its signature validates.
    async fn handshake(
        &self,
        http: &reqwest::Client,
        root: &ApiRoot,
        _kept: Option<&LiveToken>,
    ) -> Result<Issued<LiveToken>, SignError> {
        let cfg = &self.config;
        let url = format!("{}/oauth/live_session_token", root.get());
        let parsed = url::Url::parse(&url).map_err(|e| fail(STEP, format!("base URL: {e}")))?;
        let dh = DhExchange::random(&cfg.dh);
        let nonce = nonce();
        let timestamp = unix_now().to_string();
        let mut params = vec![
            ("oauth_consumer_key", cfg.consumer_key.expose()),
            ("oauth_nonce", nonce.as_str()),
            ("oauth_signature_method", "RSA-SHA256"),
            ("oauth_timestamp", timestamp.as_str()),
            ("oauth_token", cfg.access_token.expose()),
            ("diffie_hellman_challenge", dh.challenge.as_str()),
        ];
        let mut signed = Zeroizing::new(cfg.prepend.expose().to_string());
        signed.push_str(&base_string("POST", &base_url(&parsed), &params));
        let signature = lst::rsa_sha256(&cfg.signature_key, &signed).map_err(|e| fail(STEP, e))?;
        params.push(("oauth_signature", signature.as_str()));
        let header = Secret::new(authorization_header(&cfg.realm, &params));
        let header = super::authorization(header.expose())
            .ok_or_else(|| fail(STEP, "the Authorization header is not valid header text"))?;
        let request = http
            .post(parsed)
            .header(AUTHORIZATION, header)
            .header(CONTENT_LENGTH, "0");
        let body = advice::send(STEP, request, Some(cfg.consumer_key.expose()), None).await?;
        let answer: LstAnswer = serde_json::from_str(&body).map_err(|e| {
            fail(
                STEP,
                format!("IBKR's answer is not the expected JSON ({e})"),
            )
        })?;
        let (Some(response), Some(signature)) = (
            answer.diffie_hellman_response,
            answer.live_session_token_signature,
        ) else {
            return Err(fail(
                STEP,
                "IBKR's answer lacks diffie_hellman_response or live_session_token_signature",
            ));
        };
        let k = dh
            .shared_secret(&cfg.dh, &response)
            .map_err(|e| fail(STEP, e))?;
        let token = lst::live_session_token(&k, cfg.prepend.expose()).map_err(|e| fail(STEP, e))?;
        let key = Zeroizing::new(
            STANDARD
                .decode(token.as_bytes())
                .map_err(|_| fail(STEP, "the computed token is not base64"))?,
        );
        if !lst::token_signature_matches(&key, cfg.consumer_key.expose(), &signature) {
            // Never use a token IBKR did not sign: nothing is sent with it.
            return Err(fail(
                STEP,
                "the live session token does not match IBKR's signature, so it is not used and nothing was \
                 sent: check that dh_prime/dh_params and dh_generator are the parameters you uploaded, and \
                 that access_token_secret belongs to this access token",
            ));
        }
        let lifetime = lifetime(answer.live_session_token_expiration);
        tracing::info!(
            lifetime_s = lifetime.as_secs(),
            "OAuth 1.0a: live session token obtained and validated"
        );
        Ok(Issued {
            value: LiveToken { key },
            expiry: Expiry::after(lifetime),
        })
    }

    /// Add `Authorization: OAuth ...` (HMAC-SHA256, fresh nonce and timestamp).
    fn authorize(&self, token: &LiveToken, request: &mut Request) -> Result<(), SignError> {
        let cfg = &self.config;
        let nonce = nonce();
        let timestamp = unix_now().to_string();
        let mut params = [
            ("oauth_consumer_key", cfg.consumer_key.expose()),
            ("oauth_nonce", nonce.as_str()),
            ("oauth_signature_method", "HMAC-SHA256"),
            ("oauth_timestamp", timestamp.as_str()),
            ("oauth_token", cfg.access_token.expose()),
            ("oauth_signature", ""),
        ];
        let base = base_string(
            request.method().as_str(),
            &base_url(request.url()),
            &params[..5],
        );
        let signature = lst::hmac_sha256(&token.key, &base);
        params[5].1 = signature.as_str();
        let header = Secret::new(authorization_header(&cfg.realm, &params));
        let value = super::authorization(header.expose())
            .ok_or_else(|| fail(STEP, "the Authorization header is not valid header text"))?;
        request.headers_mut().insert(AUTHORIZATION, value);
        Ok(())
    }

    fn socket_token(&self) -> Option<Secret> {
        Some(self.config.access_token.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiration_near_now_means_24_hours() {
        let now_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        assert_eq!(lifetime(Some(now_ms)), DEFAULT_LIFETIME);
        assert_eq!(lifetime(None), DEFAULT_LIFETIME);
        let left = lifetime(Some(now_ms + 5 * 3600 * 1000));
        assert!(left > Duration::from_secs(4 * 3600) && left <= Duration::from_secs(5 * 3600));
    }
}

#[cfg(test)]
mod timing {
    use super::*;

    /// `cargo test --release -p ibkr-ext --lib oauth::oauth1::timing -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, not a check"]
    fn signing_cost_per_request() {
        let token = LiveToken {
            key: Zeroizing::new(vec![7u8; 20]),
        };
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap();
        let config = OAuth1Config {
            consumer_key: Secret::new("ABCDEFGHI"),
            access_token: Secret::new("a1b2c3d4e5f60718293a"),
            prepend: Secret::new("00"),
            signature_key: super::super::keys::PrivateKey(key),
            dh: super::super::keys::DhGroup {
                prime: rsa::BigUint::from(23u8),
                generator: rsa::BigUint::from(2u8),
            },
            realm: "limited_poa".into(),
        };
        let auth = OAuth1::new(config);
        let url: url::Url = "http://127.0.0.1:5000/v1/api/iserver/accounts"
            .parse()
            .unwrap();
        let n = 100_000;
        let start = std::time::Instant::now();
        for _ in 0..n {
            let mut req = Request::new(reqwest::Method::GET, url.clone());
            auth.authorize(&token, &mut req).unwrap();
            std::hint::black_box(&req);
        }
        println!(
            "signing: {:.2} µs per request",
            start.elapsed().as_secs_f64() * 1e6 / n as f64
        );
    }
}
