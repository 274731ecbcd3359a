//! OAuth 2.0, private_key_jwt: a signed client assertion buys an access token
//! (`/oauth2/api/v1/token`), a signed request to `/gw/api/v1/sso-sessions` buys the bearer
//! for `/v1/api`. Both are renewed before they expire, and after a 401.

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use ibkr_gen::Secret;
use ibkr_gen::wire::{HookFuture, RecoveryFuture, RequestSigner, SignError};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Request, StatusCode};
use serde::Deserialize;
use tokio::time::Instant;

use super::encode::percent_encode;
use super::{ApiRoot, AuthMode, Authority, OAUTH_BASE_URL, OAuth2Config, advice, jws, unix_now};

const TOKEN_STEP: &str = "access-token request (OAuth2)";
const SSO_STEP: &str = "sso-sessions request (OAuth2)";

/// How long a client assertion is valid.
const ASSERTION_LIFETIME: u64 = 10 * 60;
/// The SSO session's lifetime when IBKR does not say.
const SSO_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// A token and when to renew it.
struct Bearer {
    token: Secret,
    expires: SystemTime,
    renew_at: Instant,
}

impl Bearer {
    fn new(token: String, lifetime: Duration) -> Self {
        // Renew with a tenth of the lifetime left (at most 5 minutes before expiry).
        let margin = (lifetime / 10).min(Duration::from_secs(5 * 60));
        Bearer {
            token: Secret::new(token),
            expires: SystemTime::now() + lifetime,
            renew_at: Instant::now() + lifetime.saturating_sub(margin),
        }
    }

    fn fresh(&self) -> bool {
        Instant::now() < self.renew_at
    }
}

#[derive(Default)]
struct Tokens {
    access: Option<Arc<Bearer>>,
    sso: Option<Arc<Bearer>>,
}

/// An OAuth 2.0 login.
pub(crate) struct OAuth2 {
    config: OAuth2Config,
    root: ApiRoot,
    tokens: RwLock<Tokens>,
    refresh: tokio::sync::Mutex<()>,
    /// The last refresh failure, until a refresh succeeds.
    failure: RwLock<Option<String>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<u64>,
}

fn fail(step: &'static str, reason: impl Into<String>) -> SignError {
    SignError {
        step,
        reason: reason.into(),
    }
}

/// `Authorization: Bearer <token>`, marked sensitive.
fn bearer_header(token: &Secret) -> Result<HeaderValue, SignError> {
    let text = Secret::new(format!("Bearer {}", token.expose()));
    super::authorization(text.expose())
        .ok_or_else(|| fail(SSO_STEP, "the bearer is not valid header text"))
}

impl OAuth2 {
    pub(crate) fn new(config: OAuth2Config) -> Self {
        OAuth2 {
            config,
            root: ApiRoot::default(),
            tokens: RwLock::new(Tokens::default()),
            refresh: tokio::sync::Mutex::new(()),
            failure: RwLock::new(None),
        }
    }

    fn read(&self) -> (Option<Arc<Bearer>>, Option<Arc<Bearer>>) {
        let t = self.tokens.read().unwrap_or_else(|p| p.into_inner());
        (t.access.clone(), t.sso.clone())
    }

    /// Fresh tokens: (access token for `/gw/api`, SSO bearer for `/v1/api`).
    async fn valid(&self, http: &reqwest::Client) -> Result<(Arc<Bearer>, Arc<Bearer>), SignError> {
        if let (Some(a), Some(s)) = self.read()
            && a.fresh()
            && s.fresh()
        {
            return Ok((a, s));
        }
        let _one = self.refresh.lock().await;
        self.refresh_due(http, false).await
    }

    /// Renew what is due (or everything when `force`), remembering how it failed.
    async fn refresh_due(
        &self,
        http: &reqwest::Client,
        force: bool,
    ) -> Result<(Arc<Bearer>, Arc<Bearer>), SignError> {
        let result = self.refresh_tokens(http, force).await;
        *self.failure.write().unwrap_or_else(|p| p.into_inner()) =
            result.as_ref().err().map(ToString::to_string);
        result
    }

    /// Renew what is due (or everything when `force`), holding the refresh lock.
    async fn refresh_tokens(
        &self,
        http: &reqwest::Client,
        force: bool,
    ) -> Result<(Arc<Bearer>, Arc<Bearer>), SignError> {
        let (access, sso) = self.read();
        let access = match access {
            Some(a) if a.fresh() && !force => a,
            _ => {
                let a = Arc::new(self.access_token(http).await?);
                self.tokens
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .access = Some(a.clone());
                a
            }
        };
        let sso = match sso {
            Some(s) if s.fresh() && !force => s,
            _ => {
                let s = Arc::new(self.sso_session(http, &access).await?);
                self.tokens.write().unwrap_or_else(|p| p.into_inner()).sso = Some(s.clone());
                tracing::info!("OAuth 2.0: SSO bearer obtained");
                s
            }
        };
        Ok((access, sso))
    }

    async fn post(
        &self,
        step: &'static str,
        builder: reqwest::RequestBuilder,
    ) -> Result<String, SignError> {
        let sent = builder
            .send()
            .await
            .map_err(|e| fail(step, advice::for_transport(&e)))?;
        let status = sent.status();
        let headers = sent.headers().clone();
        let body = sent
            .text()
            .await
            .map_err(|e| fail(step, advice::for_transport(&e)))?;
        if status != StatusCode::OK && status != StatusCode::CREATED {
            let mut text = advice::for_status(status, &body, &headers, None);
            if step == SSO_STEP && status.is_client_error() && self.config.ip.is_none() {
                text.push_str("; IBKR checks the session's IP: set `ip` to your public egress IP");
            }
            return Err(fail(step, text));
        }
        Ok(body)
    }

    /// `POST {origin}/oauth2/api/v1/token` with a client assertion.
    async fn access_token(&self, http: &reqwest::Client) -> Result<Bearer, SignError> {
        let cfg = &self.config;
        let now = unix_now();
        let assertion = jws::rs256(
            &cfg.private_key,
            &cfg.client_key_id,
            &serde_json::json!({
                "iss": cfg.client_id,
                "sub": cfg.client_id,
                "aud": "/token",
                "iat": now,
                "exp": now + ASSERTION_LIFETIME,
            }),
        )
        .map_err(|e| fail(TOKEN_STEP, e))?;
        let assertion = Secret::new(assertion);
        let form = format!(
            "grant_type=client_credentials&client_assertion={}&client_assertion_type={}&scope={}",
            percent_encode(assertion.expose()),
            percent_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            percent_encode("sso-sessions.write"),
        );
        let url = format!("{}/oauth2/api/v1/token", self.root.origin());
        let body = self
            .post(
                TOKEN_STEP,
                http.post(url)
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(form),
            )
            .await?;
        let answer: TokenAnswer = serde_json::from_str(&body).map_err(|e| {
            fail(
                TOKEN_STEP,
                format!("the answer is not the expected JSON ({e})"),
            )
        })?;
        let token = answer
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| fail(TOKEN_STEP, "the answer has no access_token"))?;
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600).max(60));
        Ok(Bearer::new(token, lifetime))
    }

    /// `POST {origin}/gw/api/v1/sso-sessions` with the access token and a signed body.
    async fn sso_session(
        &self,
        http: &reqwest::Client,
        access: &Bearer,
    ) -> Result<Bearer, SignError> {
        let cfg = &self.config;
        let now = unix_now();
        let mut claims = serde_json::json!({
            "credential": cfg.username,
            "iss": cfg.client_id,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
        });
        if let Some(ip) = &cfg.ip {
            claims["ip"] = serde_json::Value::String(ip.clone());
        }
        let body = Secret::new(
            jws::rs256(&cfg.private_key, &cfg.client_key_id, &claims)
                .map_err(|e| fail(SSO_STEP, e))?,
        );
        let url = format!("{}/gw/api/v1/sso-sessions", self.root.origin());
        let answer = self
            .post(
                SSO_STEP,
                http.post(url)
                    .header(AUTHORIZATION, bearer_header(&access.token)?)
                    .header(CONTENT_TYPE, "application/jwt")
                    .body(body.expose().to_string()),
            )
            .await?;
        let answer: TokenAnswer = serde_json::from_str(&answer).map_err(|e| {
            fail(
                SSO_STEP,
                format!("the answer is not the expected JSON ({e})"),
            )
        })?;
        let token = answer
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| fail(SSO_STEP, "the answer has no access_token"))?;
        let lifetime = jws::unverified_exp(&token)
            .and_then(|exp| exp.checked_sub(unix_now()))
            .map(Duration::from_secs)
            .filter(|d| *d > Duration::from_secs(60))
            .unwrap_or(SSO_LIFETIME);
        Ok(Bearer::new(token, lifetime))
    }
}

impl RequestSigner for OAuth2 {
    fn sign<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: &'a mut Request,
    ) -> HookFuture<'a, Result<(), SignError>> {
        Box::pin(async move {
            self.root.learn(request.url());
            let (access, sso) = self.valid(http).await?;
            // Account management (`/gw/api`) takes the access token; trading the SSO bearer.
            let bearer = if request.url().path().starts_with("/gw/api/") {
                &access.token
            } else {
                &sso.token
            };
            request
                .headers_mut()
                .insert(AUTHORIZATION, bearer_header(bearer)?);
            Ok(())
        })
    }

    fn renew<'a>(&'a self, http: &'a reqwest::Client) -> RecoveryFuture<'a> {
        Box::pin(async move {
            let (_, seen) = self.read();
            let _one = self.refresh.lock().await;
            let (_, now) = self.read();
            if let (Some(a), Some(b)) = (&seen, &now)
                && !Arc::ptr_eq(a, b)
            {
                return true;
            }
            match self.refresh_due(http, true).await {
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!(step = e.step, reason = %e.reason, "OAuth 2.0: renewal after 401 failed");
                    false
                }
            }
        })
    }
}

impl Authority for OAuth2 {
    fn mode(&self) -> AuthMode {
        AuthMode::OAuth2
    }

    fn default_base_url(&self) -> &str {
        OAUTH_BASE_URL
    }

    fn expires_at(&self) -> Option<SystemTime> {
        self.read().1.map(|s| s.expires)
    }

    fn socket_token(&self) -> Option<Secret> {
        None
    }

    fn login<'a>(&'a self, http: &'a reqwest::Client) -> HookFuture<'a, crate::Result<()>> {
        Box::pin(async move {
            self.valid(http)
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
