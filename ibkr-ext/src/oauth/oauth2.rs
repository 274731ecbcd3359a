//! OAuth 2.0, private_key_jwt: a signed client assertion buys an access token
//! (`/oauth2/api/v1/token`), a signed request to `/gw/api/v1/sso-sessions` buys the bearer
//! for `/v1/api`. Both are renewed before they expire, and after a 401.

use std::time::Duration;

use ibkr_gen::Secret;
use ibkr_gen::wire::SignError;
use reqwest::Request;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Deserialize;

use super::advice::{self, fail};
use super::cell::{Expiry, Issued};
use super::encode::percent_encode;
use super::login::Handshake;
use super::{ApiRoot, AuthMode, OAuth2Config, jws, unix_now};

const TOKEN_STEP: &str = "access-token request (OAuth2)";
const SSO_STEP: &str = "sso-sessions request (OAuth2)";

/// How long a client assertion is valid.
const ASSERTION_LIFETIME: u64 = 10 * 60;
/// The SSO session's lifetime when IBKR does not say.
const SSO_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// One bearer token and when it expires.
#[derive(Clone)]
struct Bearer {
    token: Secret,
    expiry: Expiry,
}

/// OAuth 2.0's token: the access token (for `/gw/api` and to open SSO sessions) and the
/// SSO bearer (for `/v1/api`). Each is renewed when it is due; the pair when either is.
pub(crate) struct Bearers {
    access: Bearer,
    sso: Bearer,
}

/// OAuth 2.0's part of a login (the token cell and the rest are [`super::login::Login`]'s).
pub(crate) struct OAuth2 {
    config: OAuth2Config,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<u64>,
}

impl TokenAnswer {
    /// The `access_token` of a step's answer, and `expires_in` if given.
    fn parse(step: &'static str, body: &str) -> Result<(String, Option<u64>), SignError> {
        let answer: TokenAnswer = serde_json::from_str(body)
            .map_err(|e| fail(step, format!("the answer is not the expected JSON ({e})")))?;
        let token = answer
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| fail(step, "the answer has no access_token"))?;
        Ok((token, answer.expires_in))
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
        OAuth2 { config }
    }

    /// `POST {origin}/oauth2/api/v1/token` with a client assertion.
    async fn access_token(
        &self,
        http: &reqwest::Client,
        root: &ApiRoot,
    ) -> Result<Bearer, SignError> {
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
        let url = format!("{}/oauth2/api/v1/token", root.origin());
        let request = http
            .post(url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form);
        let body = advice::send(TOKEN_STEP, request, None, None).await?;
        let (token, expires_in) = TokenAnswer::parse(TOKEN_STEP, &body)?;
        let lifetime = Duration::from_secs(expires_in.unwrap_or(3600).max(60));
        Ok(Bearer {
            token: Secret::new(token),
            expiry: Expiry::after(lifetime),
        })
    }

    /// `POST {origin}/gw/api/v1/sso-sessions` with the access token and a signed body.
    async fn sso_session(
        &self,
        http: &reqwest::Client,
        root: &ApiRoot,
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
        let url = format!("{}/gw/api/v1/sso-sessions", root.origin());
        let request = http
            .post(url)
            .header(AUTHORIZATION, bearer_header(&access.token)?)
            .header(CONTENT_TYPE, "application/jwt")
            .body(body.expose().to_string());
        let no_ip = cfg
            .ip
            .is_none()
            .then_some("IBKR checks the session's IP: set `ip` to your public egress IP");
        let answer = advice::send(SSO_STEP, request, None, no_ip).await?;
        let (token, _) = TokenAnswer::parse(SSO_STEP, &answer)?;
        let lifetime = jws::unverified_exp(&token)
            .and_then(|exp| exp.checked_sub(unix_now()))
            .map(Duration::from_secs)
            .filter(|d| *d > Duration::from_secs(60))
            .unwrap_or(SSO_LIFETIME);
        Ok(Bearer {
            token: Secret::new(token),
            expiry: Expiry::after(lifetime),
        })
    }
}

impl Handshake for OAuth2 {
    type Token = Bearers;
    const MODE: AuthMode = AuthMode::OAuth2;

    /// The bearers, keeping from `kept` what is still fresh.
    async fn handshake(
        &self,
        http: &reqwest::Client,
        root: &ApiRoot,
        kept: Option<&Bearers>,
    ) -> Result<Issued<Bearers>, SignError> {
        let access = match kept {
            Some(k) if k.access.expiry.fresh() => k.access.clone(),
            _ => self.access_token(http, root).await?,
        };
        let sso = match kept {
            Some(k) if k.sso.expiry.fresh() => k.sso.clone(),
            _ => {
                let sso = self.sso_session(http, root, &access).await?;
                tracing::info!("OAuth 2.0: SSO bearer obtained");
                sso
            }
        };
        let expiry = Expiry {
            expires: sso.expiry.expires,
            renew_at: access.expiry.renew_at.min(sso.expiry.renew_at),
        };
        Ok(Issued {
            value: Bearers { access, sso },
            expiry,
        })
    }

    /// Account management (`/gw/api`) takes the access token; everything else the SSO
    /// bearer.
    fn authorize(&self, token: &Bearers, request: &mut Request) -> Result<(), SignError> {
        let bearer = if request.url().path().starts_with("/gw/api/") {
            &token.access.token
        } else {
            &token.sso.token
        };
        request
            .headers_mut()
            .insert(AUTHORIZATION, bearer_header(bearer)?);
        Ok(())
    }
}
