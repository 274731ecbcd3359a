//! OAuth 1.0a, first party: the live session token handshake, HMAC-SHA256 on every
//! attempt, renewal before expiry and after a 401.

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ibkr_gen::Secret;
use ibkr_gen::wire::{HookFuture, RecoveryFuture, RequestSigner, SignError};
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH};
use reqwest::{Request, StatusCode};
use serde::Deserialize;
use tokio::time::Instant;
use zeroize::Zeroizing;

use super::advice;
use super::encode::{authorization_header, base_string, base_url};
use super::lst::{self, DhExchange};
use super::{ApiRoot, AuthMode, Authority, OAUTH_BASE_URL, OAuth1Config, nonce, unix_now};

/// The step named in errors of the handshake.
const STEP: &str = "live session token handshake";

/// Renew this long before the token expires.
const RENEW_MARGIN: Duration = Duration::from_secs(10 * 60);

/// How long a token lives when IBKR's expiration field looks like the computation time.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// A validated live session token.
struct LiveToken {
    /// base64-decoded LST: the HMAC key of every request.
    key: Zeroizing<Vec<u8>>,
    /// When IBKR says it expires (wall clock, for `ibkr status`).
    expires: SystemTime,
    /// When to renew it (tokio clock, so tests can advance it).
    renew_at: Instant,
}

/// An OAuth 1.0a login.
pub(crate) struct OAuth1 {
    config: OAuth1Config,
    root: ApiRoot,
    token: RwLock<Option<Arc<LiveToken>>>,
    handshake: tokio::sync::Mutex<()>,
    /// The last handshake failure, until a handshake succeeds.
    failure: RwLock<Option<String>>,
}

#[derive(Deserialize)]
struct LstAnswer {
    diffie_hellman_response: Option<String>,
    live_session_token_signature: Option<String>,
    live_session_token_expiration: Option<i64>,
}

fn fail(reason: impl Into<String>) -> SignError {
    SignError {
        step: STEP,
        reason: reason.into(),
    }
}

impl OAuth1 {
    pub(crate) fn new(config: OAuth1Config) -> Self {
        OAuth1 {
            config,
            root: ApiRoot::default(),
            token: RwLock::new(None),
            handshake: tokio::sync::Mutex::new(()),
            failure: RwLock::new(None),
        }
    }

    fn current(&self) -> Option<Arc<LiveToken>> {
        self.token.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The current token if it is not due for renewal; otherwise a new one (one handshake
    /// at a time, whoever waits gets the result).
    async fn valid_token(&self, http: &reqwest::Client) -> Result<Arc<LiveToken>, SignError> {
        if let Some(t) = self.current()
            && Instant::now() < t.renew_at
        {
            return Ok(t);
        }
        let _one = self.handshake.lock().await;
        if let Some(t) = self.current()
            && Instant::now() < t.renew_at
        {
            return Ok(t);
        }
        self.handshake(http).await
    }

    /// [`Self::exchange`], remembering how it failed.
    async fn handshake(&self, http: &reqwest::Client) -> Result<Arc<LiveToken>, SignError> {
        let result = self.exchange(http).await;
        *self.failure.write().unwrap_or_else(|p| p.into_inner()) =
            result.as_ref().err().map(ToString::to_string);
        result
    }

    /// The live session token handshake (POST /oauth/live_session_token). Stores and
    /// returns the token only when its signature validates.
    async fn exchange(&self, http: &reqwest::Client) -> Result<Arc<LiveToken>, SignError> {
        let cfg = &self.config;
        let url = format!("{}/oauth/live_session_token", self.root.get());
        let parsed = url::Url::parse(&url).map_err(|e| fail(format!("base URL: {e}")))?;
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
        let signature = lst::rsa_sha256(&cfg.signature_key, &signed).map_err(fail)?;
        params.push(("oauth_signature", signature.as_str()));
        let header = Secret::new(authorization_header(&cfg.realm, &params));
        let header = super::authorization(header.expose())
            .ok_or_else(|| fail("the Authorization header is not valid header text"))?;
        let sent = http
            .post(parsed)
            .header(AUTHORIZATION, header)
            .header(CONTENT_LENGTH, "0")
            .send()
            .await
            .map_err(|e| fail(advice::for_transport(&e)))?;
        let status = sent.status();
        let headers = sent.headers().clone();
        let body = sent
            .text()
            .await
            .map_err(|e| fail(advice::for_transport(&e)))?;
        if status != StatusCode::OK {
            return Err(fail(advice::for_status(
                status,
                &body,
                &headers,
                Some(cfg.consumer_key.expose()),
            )));
        }
        let answer: LstAnswer = serde_json::from_str(&body)
            .map_err(|e| fail(format!("IBKR's answer is not the expected JSON ({e})")))?;
        let (Some(response), Some(signature)) = (
            answer.diffie_hellman_response,
            answer.live_session_token_signature,
        ) else {
            return Err(fail(
                "IBKR's answer lacks diffie_hellman_response or live_session_token_signature",
            ));
        };
        let k = dh.shared_secret(&cfg.dh, &response).map_err(fail)?;
        let token = lst::live_session_token(&k, cfg.prepend.expose()).map_err(fail)?;
        let key = Zeroizing::new(
            STANDARD
                .decode(token.as_bytes())
                .map_err(|_| fail("the computed token is not base64"))?,
        );
        if !lst::token_signature_matches(&key, cfg.consumer_key.expose(), &signature) {
            // Never use a token IBKR did not sign: nothing is sent with it.
            return Err(fail(
                "the live session token does not match IBKR's signature, so it is not used and nothing was \
                 sent: check that dh_prime/dh_params and dh_generator are the parameters you uploaded, and \
                 that access_token_secret belongs to this access token",
            ));
        }
        let (expires, lifetime) = expiry(answer.live_session_token_expiration);
        let renew_in = lifetime.saturating_sub(RENEW_MARGIN.min(lifetime / 10));
        let token = Arc::new(LiveToken {
            key,
            expires,
            renew_at: Instant::now() + renew_in,
        });
        *self.token.write().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        tracing::info!(
            lifetime_s = lifetime.as_secs(),
            "OAuth 1.0a: live session token obtained and validated"
        );
        Ok(token)
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
            .ok_or_else(|| fail("the Authorization header is not valid header text"))?;
        request.headers_mut().insert(AUTHORIZATION, value);
        Ok(())
    }
}

/// When the token expires and how long it lives from now. IBKR's field has been seen as
/// the expiry and as the computation time: a value within an hour of now (or past) means
/// "24 hours from now".
fn expiry(expiration_ms: Option<i64>) -> (SystemTime, Duration) {
    let now = SystemTime::now();
    let given = expiration_ms
        .and_then(|ms| u64::try_from(ms).ok())
        .map(|ms| SystemTime::UNIX_EPOCH + Duration::from_millis(ms));
    match given.and_then(|t| t.duration_since(now).ok()) {
        Some(left) if left > Duration::from_secs(60 * 60) => (now + left, left),
        _ => (now + DEFAULT_LIFETIME, DEFAULT_LIFETIME),
    }
}

impl RequestSigner for OAuth1 {
    fn sign<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: &'a mut Request,
    ) -> HookFuture<'a, Result<(), SignError>> {
        Box::pin(async move {
            self.root.learn(request.url());
            let token = self.valid_token(http).await?;
            self.authorize(&token, request)
        })
    }

    fn renew<'a>(&'a self, http: &'a reqwest::Client) -> RecoveryFuture<'a> {
        Box::pin(async move {
            let seen = self.current();
            let _one = self.handshake.lock().await;
            let now = self.current();
            let renewed_meanwhile = match (&seen, &now) {
                (Some(a), Some(b)) => !Arc::ptr_eq(a, b),
                (None, Some(_)) => true,
                _ => false,
            };
            if renewed_meanwhile {
                return true;
            }
            match self.handshake(http).await {
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!(step = e.step, reason = %e.reason, "OAuth 1.0a: renewal after 401 failed");
                    false
                }
            }
        })
    }
}

impl Authority for OAuth1 {
    fn mode(&self) -> AuthMode {
        AuthMode::OAuth1
    }

    fn default_base_url(&self) -> &str {
        OAUTH_BASE_URL
    }

    fn expires_at(&self) -> Option<SystemTime> {
        self.current().map(|t| t.expires)
    }

    fn socket_token(&self) -> Option<Secret> {
        Some(self.config.access_token.clone())
    }

    fn login<'a>(&'a self, http: &'a reqwest::Client) -> HookFuture<'a, crate::Result<()>> {
        Box::pin(async move {
            self.valid_token(http)
                .await
                .map(|_| ())
                .map_err(|e| crate::Error::OAuth {
                    step: e.step,
                    reason: e.reason,
                })
        })
    }

    fn bind_base_url(&self, base_url: &str) {
        self.root.set(base_url);
    }

    fn last_failure(&self) -> Option<String> {
        self.failure
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
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
        assert_eq!(expiry(Some(now_ms)).1, DEFAULT_LIFETIME);
        assert_eq!(expiry(None).1, DEFAULT_LIFETIME);
        let (_, left) = expiry(Some(now_ms + 5 * 3600 * 1000));
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
            expires: SystemTime::now(),
            renew_at: Instant::now(),
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
