//! The runtime every generated call goes through: IBKR's wire rules in one place.
//!
//! A [`Wire`] is the generated clients' inner value. It is cheap to clone, and clones share
//! everything: pacing state, the order gate, the recovery hook. Per request it
//! - fixes the request (`pre`): `Content-Length: 0` on body-less POST/PUT/PATCH (IBKR's
//!   front end answers 411 otherwise), no `api-version` header, a `User-Agent`, and array
//!   query parameters comma-joined;
//! - waits for pacing (see [`pacing`](self)), then sends;
//! - retries idempotent operations on 429, 503 and connection errors with bounded,
//!   jittered backoff (honouring `Retry-After`), and never retries an operation marked
//!   `x-ibkr-idempotent: false`, nor one it does not know;
//! - on `400 no bridge` from `/iserver`, asks the [`SessionRecovery`] hook (if any) to open
//!   the brokerage session, once, and repeats an idempotent call;
//! - records one tracing span per request: operation, method, path (account ids masked),
//!   status, attempt and latency.

mod pacing;
mod query;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use reqwest::header::{CONTENT_LENGTH, HeaderValue, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, Request, Response, StatusCode};
use tracing::Instrument;

pub use crate::operations::Rate;
use crate::operations::{self, Operation};

/// What a recovery hook returns: whether the session is usable again.
pub type RecoveryFuture<'a> = Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// Reopens IBKR's brokerage session when `/iserver` answers `400 no bridge`.
///
/// `ibkr-ext` implements it with `POST /iserver/auth/ssodh/init`. The wire calls it at most
/// once per request, and only repeats the request when the operation is idempotent.
pub trait SessionRecovery: Send + Sync + 'static {
    /// Try to open the brokerage session.
    fn recover(&self) -> RecoveryFuture<'_>;
}

/// Signs each attempt of a request, e.g. OAuth 1.0a: called after pacing, right before
/// sending, so a nonce and timestamp are fresh on every attempt.
pub trait RequestSigner: Send + Sync + 'static {
    /// Add the authorisation to `request`; an error aborts the request.
    fn sign(&self, request: &mut Request) -> Result<(), String>;
}

/// Sees every response the wire receives (after pacing, before retries are decided).
pub trait WireObserver: Send + Sync + 'static {
    /// An attempt of `operation` is leaving now (after pacing).
    fn on_send(&self, operation: &str) {
        let _ = operation;
    }
    /// A response (or transport failure, `status` None) for `operation`.
    fn on_response(&self, operation: &str, status: Option<StatusCode>, latency: Duration);
}

/// How failed idempotent calls are retried.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// The first backoff; it doubles each retry, with jitter.
    pub base_delay: Duration,
    /// No single backoff (including `Retry-After`) is longer than this.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << retry.min(16));
        // Equal jitter: half fixed, half random, so concurrent callers spread out.
        let half = exp / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis() as u64);
        let d = half + Duration::from_millis(jitter);
        retry_after.map_or(d, |ra| ra.max(d)).min(self.max_delay)
    }
}

/// Configuration of a [`Wire`].
#[derive(Clone)]
pub struct WireBuilder {
    global_rate: Option<Rate>,
    per_operation_limits: bool,
    retry: RetryPolicy,
    user_agent: String,
    recovery: Option<Arc<dyn SessionRecovery>>,
    signer: Option<Arc<dyn RequestSigner>>,
    observer: Option<Arc<dyn WireObserver>>,
}

impl Default for WireBuilder {
    fn default() -> Self {
        Self {
            global_rate: Some(GATEWAY_RATE),
            per_operation_limits: true,
            retry: RetryPolicy::default(),
            user_agent: concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")).into(),
            recovery: None,
            signer: None,
            observer: None,
        }
    }
}

/// The Client Portal Gateway's global limit: 10 requests per second.
pub const GATEWAY_RATE: Rate = Rate {
    count: 10,
    per: Duration::from_secs(1),
};

/// The OAuth (api.ibkr.com) global limit: 50 requests per second per session.
pub const OAUTH_RATE: Rate = Rate {
    count: 50,
    per: Duration::from_secs(1),
};

impl WireBuilder {
    /// The global limit for the whole session (default [`GATEWAY_RATE`]); `None` turns it off.
    pub fn global_rate(mut self, rate: Option<Rate>) -> Self {
        self.global_rate = rate;
        self
    }

    /// Whether to enforce each operation's documented limits (default true).
    pub fn per_operation_limits(mut self, on: bool) -> Self {
        self.per_operation_limits = on;
        self
    }

    /// How idempotent calls are retried.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `User-Agent` sent on every request (default `ibkr-gen/<version>`).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// The hook that reopens the brokerage session on `no bridge`.
    pub fn session_recovery(mut self, hook: Arc<dyn SessionRecovery>) -> Self {
        self.recovery = Some(hook);
        self
    }

    /// The hook that signs requests (OAuth).
    pub fn signer(mut self, signer: Arc<dyn RequestSigner>) -> Self {
        self.signer = Some(signer);
        self
    }

    /// A hook that sees every response.
    pub fn observer(mut self, observer: Arc<dyn WireObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Build the shared runtime.
    pub fn build(self) -> Wire {
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .unwrap_or_else(|_| HeaderValue::from_static("ibkr-gen"));
        Wire {
            shared: Arc::new(Shared {
                pacer: pacing::Pacer::new(self.global_rate, self.per_operation_limits),
                retry: self.retry,
                user_agent,
                recovery: self.recovery,
                signer: self.signer,
                observer: self.observer,
                gate: tokio::sync::RwLock::new(()),
            }),
        }
    }
}

struct Shared {
    pacer: pacing::Pacer,
    retry: RetryPolicy,
    user_agent: HeaderValue,
    recovery: Option<Arc<dyn SessionRecovery>>,
    signer: Option<Arc<dyn RequestSigner>>,
    observer: Option<Arc<dyn WireObserver>>,
    /// Requests hold it shared; [`Wire::exclusive`] holds it alone.
    gate: tokio::sync::RwLock<()>,
}

/// The shared runtime of one IBKR session (see the module docs).
#[derive(Clone)]
pub struct Wire {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wire")
            .field("retry", &self.shared.retry)
            .field("recovery", &self.shared.recovery.is_some())
            .field("signer", &self.shared.signer.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for Wire {
    fn default() -> Self {
        Self::builder().build()
    }
}

tokio::task_local! {
    static EXCLUSIVE: ();
}

impl Wire {
    /// Start configuring a runtime.
    pub fn builder() -> WireBuilder {
        WireBuilder::default()
    }

    /// Run `f` with the session to itself: requests from other tasks (any clone, the session
    /// keeper's tickles included) wait until it finishes, while requests made inside `f`
    /// go straight through. IBKR cancels a pending order question when any other request
    /// arrives between the question and its reply; the order reply loop runs in here.
    pub async fn exclusive<F: Future>(&self, f: F) -> F::Output {
        let _alone = self.shared.gate.write().await;
        EXCLUSIVE.scope((), f).await
    }

    /// The adaptive spacing currently applied to `operation_id` after 429s.
    pub fn adaptive_spacing(&self, operation_id: &str) -> Duration {
        self.shared.pacer.spacing(operation_id)
    }

    /// The wire rules applied to a request before it is sent.
    pub fn prepare(&self, request: &mut Request) {
        let needs_length = matches!(
            *request.method(),
            Method::POST | Method::PUT | Method::PATCH
        );
        if needs_length && request.body().is_none() {
            *request.body_mut() = Some(Vec::<u8>::new().into());
            request
                .headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
        request.headers_mut().remove("api-version");
        if !request.headers().contains_key(USER_AGENT) {
            request
                .headers_mut()
                .insert(USER_AGENT, self.shared.user_agent.clone());
        }
        query::comma_join_repeated_keys(request.url_mut());
    }

    /// Send `request` for `operation_id` with pacing, retries and recovery.
    pub async fn execute(
        &self,
        client: &reqwest::Client,
        request: Request,
        operation_id: &'static str,
    ) -> reqwest::Result<Response> {
        let op = operations::find(operation_id);
        // Spans, observers and errors speak in operationIds (`getAccounts`), as the spec does.
        let operation_id = op.map_or(operation_id, |o| o.id);
        let span = tracing::debug_span!(
            "ibkr.request",
            operation = operation_id,
            method = %request.method(),
            path = %mask_accounts(request.url().path()),
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        self.execute_inner(client, request, op, operation_id)
            .instrument(span)
            .await
    }

    async fn execute_inner(
        &self,
        client: &reqwest::Client,
        request: Request,
        op: Option<&'static Operation>,
        operation_id: &'static str,
    ) -> reqwest::Result<Response> {
        let shared = &self.shared;
        // An operation the table does not know is treated as unsafe to repeat.
        let idempotent = op.is_some_and(|o| o.idempotent);
        let iserver = request.url().path().contains("/iserver/");
        let mut retries = 0u32;
        let mut recovered = false;
        let mut pending = Some(request);
        loop {
            let original = pending.take().expect("a request for every attempt");
            // Keep a copy for a possible next attempt; streaming bodies cannot be copied,
            // and then there is no next attempt.
            let spare = if idempotent {
                original.try_clone()
            } else {
                None
            };
            let mut attempt = original;
            if let Some(signer) = &shared.signer
                && let Err(e) = signer.sign(&mut attempt)
            {
                tracing::warn!(error = %e, "signing failed");
            }
            let started = tokio::time::Instant::now();
            let result = {
                let _slot = shared.pacer.acquire(op).await;
                let _shared_gate = if EXCLUSIVE.try_with(|_| ()).is_ok() {
                    None
                } else {
                    Some(shared.gate.read().await)
                };
                if let Some(obs) = &shared.observer {
                    obs.on_send(operation_id);
                }
                client.execute(attempt).await
            };
            let latency = started.elapsed();
            let span = tracing::Span::current();
            span.record("attempt", retries + 1);
            span.record("latency_ms", latency.as_millis() as u64);
            if let Some(obs) = &shared.observer {
                obs.on_response(
                    operation_id,
                    result.as_ref().ok().map(|r| r.status()),
                    latency,
                );
            }
            match result {
                Ok(response) => {
                    let status = response.status();
                    span.record("status", status.as_u16());
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        let spacing = shared.pacer.rate_limited(operation_id);
                        tracing::warn!(?spacing, "429 from IBKR: slowing this operation down");
                    } else if status.is_success() {
                        shared.pacer.succeeded(operation_id);
                    }
                    let retryable = matches!(
                        status,
                        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                    );
                    if retryable && retries < shared.retry.max_retries && spare.is_some() {
                        let delay = shared.retry.delay(retries, retry_after(response.headers()));
                        tracing::debug!(%status, ?delay, "retrying idempotent call");
                        drop(response);
                        tokio::time::sleep(delay).await;
                        retries += 1;
                        pending = spare;
                        continue;
                    }
                    if status == StatusCode::BAD_REQUEST
                        && iserver
                        && !recovered
                        && let Some(recovery) = &shared.recovery
                    {
                        let (response, no_bridge) = read_no_bridge(response).await?;
                        if no_bridge && idempotent && spare.is_some() {
                            recovered = true;
                            tracing::info!(
                                "no brokerage session: opening one and repeating the call"
                            );
                            if recovery.recover().await {
                                pending = spare;
                                continue;
                            }
                        } else if no_bridge {
                            // Not safe to repeat; still open the session for the next call.
                            let _ = recovery.recover().await;
                        }
                        return Ok(response);
                    }
                    return Ok(response);
                }
                Err(error) => {
                    if error.is_connect() && retries < shared.retry.max_retries && spare.is_some() {
                        let delay = shared.retry.delay(retries, None);
                        tracing::debug!(?delay, "connection failed; retrying idempotent call");
                        tokio::time::sleep(delay).await;
                        retries += 1;
                        pending = spare;
                        continue;
                    }
                    return Err(error);
                }
            }
        }
    }
}

/// `Retry-After` in seconds (IBKR rarely sends it; honour it when it does).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Read a 400's body to see whether it is IBKR's `no bridge`; hand back an equivalent
/// response so the caller still sees the status and body.
async fn read_no_bridge(response: Response) -> reqwest::Result<(Response, bool)> {
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    let no_bridge = crate::error_body::mentions_no_bridge(&body);
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok((Response::from(rebuilt), no_bridge))
}

/// `U1234567` → `U***4567` (also DU/DF/DFP paper and advisor ids), for logs.
pub fn mask_accounts(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if at_word_start && bytes[i].is_ascii_uppercase() {
            let letters = bytes[i..]
                .iter()
                .take_while(|b| b.is_ascii_uppercase())
                .count();
            let digits = bytes[i + letters..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let end = i + letters + digits;
            let word_ends = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
            if (1..=3).contains(&letters) && (6..=10).contains(&digits) && word_ends {
                out.push_str(&text[i..i + letters]);
                out.push_str("***");
                out.push_str(&text[end - 4..end]);
                i = end;
                continue;
            }
        }
        let ch = text[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Implements progenitor's `ClientHooks` for a generated `Client` whose inner value is a
/// [`Wire`]. Invoked once in each generated module.
#[doc(hidden)]
#[macro_export]
macro_rules! wire_hooks {
    () => {
        impl progenitor_client::ClientHooks<$crate::wire::Wire> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                _info: &progenitor_client::OperationInfo,
            ) -> ::std::result::Result<(), progenitor_client::Error<E>> {
                self.inner.prepare(request);
                Ok(())
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                self.inner
                    .execute(&self.client, request, info.operation_id)
                    .await
            }
        }

        impl Client {
            /// The shared runtime (pacing, retries, hooks) this client sends through.
            pub fn wire(&self) -> &$crate::wire::Wire {
                &self.inner
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_masked_in_paths() {
        assert_eq!(
            mask_accounts("/iserver/account/U1234567/orders"),
            "/iserver/account/U***4567/orders"
        );
        assert_eq!(
            mask_accounts("/portfolio/DU7654321/ledger"),
            "/portfolio/DU***4321/ledger"
        );
        // Conids and other numbers are left alone.
        assert_eq!(
            mask_accounts("/iserver/contract/265598/info"),
            "/iserver/contract/265598/info"
        );
        assert_eq!(
            mask_accounts("/iserver/marketdata/history"),
            "/iserver/marketdata/history"
        );
    }

    #[test]
    fn backoff_doubles_is_jittered_and_capped() {
        let p = RetryPolicy::default();
        for retry in 0..6 {
            let d = p.delay(retry, None);
            let exp = p.base_delay * (1 << retry);
            assert!(
                d >= (exp / 2).min(p.max_delay) && d <= exp.min(p.max_delay),
                "{retry}: {d:?}"
            );
        }
        assert_eq!(p.delay(0, Some(Duration::from_secs(60))), p.max_delay);
    }
}
