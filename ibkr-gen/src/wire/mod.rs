//! The runtime every generated call goes through: IBKR's wire rules in one place.
//!
//! A [`Wire`] is the generated clients' inner value. It is cheap to clone, and clones share
//! everything: the order lane, pacing state, the hooks. Every attempt of every request
//! takes the same ordered path:
//!
//! **order lane → pacing → signing → send → classify → follow** (repeat, idempotent
//! operations only).
//!
//! - *Lane* ([`lane`](self)): wait until no order question loop has the session, unless the
//!   wire itself holds the lane.
//! - *Pacing*: the operation's concurrency cap, its documented rates and adaptive spacing
//!   after 429s, then the session's global rate. Taken after the lane, so requests held
//!   back by a long question loop leave at the paced rate afterwards, not in a burst.
//! - *Signing* (the [`RequestSigner`] hook, e.g. OAuth): last before the send, so every
//!   attempt carries a fresh nonce and timestamp. A signing error sends nothing.
//! - *Send*, with one tracing span per request: operation, method, path (account ids
//!   masked), status, attempt, latency.
//! - *Classify* (`classify`): a pure function of the answer, the operation's rules from the
//!   table (idempotent, `x-ibkr-brokerage-session`, `x-ibkr-first-use-404`) and what the
//!   call already tried says what comes next: deliver, wait and retry, renew the signer's
//!   token, open the brokerage session (on `no bridge`, recognised there and nowhere
//!   else), or repeat a first-use 404. It asks for the body only to tell `no bridge`.
//! - *Follow*: do it, then send again or deliver. Only operations known to be idempotent
//!   are ever repeated ([`RetryPolicy`]); an operation the table does not know is not.
//!
//! Before all of it, `pre` fixes the request: `Content-Length: 0` on body-less
//! POST/PUT/PATCH (IBKR's front end answers 411 otherwise), a `User-Agent`, and array
//! query parameters comma-joined. (The `api-version` header progenitor would add is removed
//! from the generated code by `build.rs`, which also has each call join its path onto a base
//! URL parsed once per session, [`Wire::endpoint`], instead of parsing the whole URL.)
//!
//! When the wire gives up without sending (signing failed), it answers with a response it
//! made itself, marked with a [`NotSent`] extension, so the caller can tell it from IBKR's.

mod classify;
mod endpoint;
mod hooks;
mod lane;
mod mask;
mod pacing;
mod query;
mod retry;

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, USER_AGENT};
use reqwest::{Method, Request, Response, StatusCode};
use tracing::Instrument;

use self::classify::{Call, Next, Reply, Rules};
pub use self::hooks::{
    HookFuture, Link, RecoveryFuture, RequestSigner, SessionRecovery, SignError, WireObserver,
};
pub use self::mask::mask_accounts;
pub use self::retry::{RetryPolicy, retry_after};
pub use crate::operations::Rate;
use crate::operations::{self, Operation};

/// The lane and pacing slot an attempt holds until its answer.
type Admitted = (Option<tokio::sync::OwnedRwLockReadGuard<()>>, pacing::Slot);

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

    /// The hook that signs every attempt (OAuth).
    pub fn signer(mut self, signer: Arc<dyn RequestSigner>) -> Self {
        self.signer = Some(signer);
        self
    }

    /// A hook that sees every attempt.
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
                lane: Arc::default(),
                bases: endpoint::Bases::default(),
            }),
            hold: None,
            lease: None,
            recovers: true,
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
    lane: lane::Lane,
    bases: endpoint::Bases,
}

/// The shared runtime of one IBKR session (see the module docs).
#[derive(Clone)]
pub struct Wire {
    shared: Arc<Shared>,
    /// This wire's hold on the order lane, if it has one.
    hold: Option<Arc<lane::Hold>>,
    /// Whatever the owner of the session wants kept alive while this wire lives.
    lease: Option<Arc<dyn Any + Send + Sync>>,
    /// Whether `no bridge` calls the recovery hook (false for the hook's own requests).
    recovers: bool,
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wire")
            .field("retry", &self.shared.retry)
            .field("recovery", &self.shared.recovery.is_some())
            .field("signer", &self.shared.signer.is_some())
            .field("holds_lane", &self.hold.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for Wire {
    fn default() -> Self {
        Self::builder().build()
    }
}

/// Marks a response the wire made itself because it sent nothing; read it with
/// `response.extensions().get::<NotSent>()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotSent {
    /// The signer failed: no request left.
    Signing(SignError),
}

impl Wire {
    /// Start configuring a runtime.
    pub fn builder() -> WireBuilder {
        WireBuilder::default()
    }

    /// A clone that also keeps `lease` alive (the session owner uses this so that every
    /// handle, the raw client included, keeps the session running).
    pub fn with_lease(&self, lease: Arc<dyn Any + Send + Sync>) -> Wire {
        Wire {
            lease: Some(lease),
            ..self.clone()
        }
    }

    /// The same runtime without this clone's lane hold or lease.
    pub fn detached(&self) -> Wire {
        Wire {
            shared: self.shared.clone(),
            hold: None,
            lease: None,
            recovers: self.recovers,
        }
    }

    /// A clone whose requests never call the recovery hook: what the hook itself sends
    /// through, so a `no bridge` during recovery cannot start another recovery.
    pub fn without_recovery(&self) -> Wire {
        Wire {
            recovers: false,
            ..self.clone()
        }
    }

    /// Whether two wires share one runtime (one session).
    pub fn same_session(&self, other: &Wire) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// The adaptive spacing currently applied to `operation_id` after 429s.
    pub fn adaptive_spacing(&self, operation_id: &str) -> Duration {
        self.shared.pacer.spacing(operation_id)
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.shared.retry
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
        if !request.headers().contains_key(USER_AGENT) {
            request
                .headers_mut()
                .insert(USER_AGENT, self.shared.user_agent.clone());
        }
        query::comma_join_repeated_keys(request.url_mut());
    }

    /// Send `request` for `operation_id` along the pipeline (see the module docs).
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
        // Not boxed: a heap copy of the attempt loop's state (a few kilobytes, a size
        // malloc serves slowly) on every call cost more than moving it (`request_overhead`
        // bench). Its rare waits are boxed instead (`pause`), which keeps that state small.
        self.execute_inner(client, request, op, operation_id)
            .instrument(span)
            .await
    }

    /// The steps of every call, in order: a copy for a possible next attempt, the lane and
    /// pacing, signing and the send, what the answer means ([`classify`]), and what to do
    /// about it, until an answer is delivered.
    async fn execute_inner(
        &self,
        client: &reqwest::Client,
        request: Request,
        op: Option<&'static Operation>,
        operation_id: &'static str,
    ) -> reqwest::Result<Response> {
        let shared = &*self.shared;
        if let Some(hook) = &shared.recovery {
            hook.attempt_starting(self.link(client));
        }
        // A streamed body cannot be copied, so it is sent once whatever the operation.
        let copyable = request.body().is_none_or(|b| b.as_bytes().is_some());
        let can_recover = self.recovery().is_some();
        let rules = Rules::new(op, copyable, can_recover, shared.signer.is_some());
        let mut call = Call::new(&shared.retry, rules);
        let started = tokio::time::Instant::now();
        // The last 429/503 while its retry waits: the answer if the budget runs out.
        let mut throttled: Option<Response> = None;
        let mut attempt = request;
        loop {
            // A copy for a possible next attempt.
            let spare = rules.repeatable.then(|| spare(&attempt)).flatten();
            let admitted = match self.admit_within(op, &mut throttled, started).await {
                Ok(admitted) => admitted,
                Err(last) => return Ok(last),
            };
            let number = call.tried.retries + 1;
            let outcome = match self
                .send(client, attempt, admitted, operation_id, number)
                .await
            {
                Ok(outcome) => outcome,
                Err(not_sent) => return Ok(not_sent),
            };
            let (outcome, next) = self.judge(&call, outcome, started.elapsed()).await;
            call.tried.note(next);
            let repeat = self.follow(client, next, &outcome).await;
            let Some(next_attempt) = spare.filter(|_| repeat) else {
                return outcome;
            };
            // A 429/503 waited out is kept; a failed connection leaves `throttled` as it was.
            if let Ok(response) = outcome {
                throttled = matches!(next, Next::Retry(_)).then_some(response);
            }
            attempt = next_attempt;
        }
    }

    /// Wait for the lane, then for pacing: the first two steps of every attempt.
    async fn admit(&self, op: Option<&'static Operation>) -> Admitted {
        let lane = self.enter_lane().await;
        (lane, self.shared.pacer.acquire(op).await)
    }

    /// [`admit`](Self::admit), bounded by the call's budget while a retry after a 429/503
    /// waits (`throttled` holds that answer): past the budget, that answer stands (`Err`).
    async fn admit_within(
        &self,
        op: Option<&'static Operation>,
        throttled: &mut Option<Response>,
        started: tokio::time::Instant,
    ) -> Result<Admitted, Response> {
        let ends = started.checked_add(self.shared.retry.rate_limit_budget);
        match (ends, throttled.take()) {
            (Some(ends), Some(last)) => {
                match Box::pin(tokio::time::timeout_at(ends, self.admit(op))).await {
                    Ok(admitted) => {
                        *throttled = Some(last);
                        Ok(admitted)
                    }
                    Err(_) => {
                        tracing::debug!("429 budget spent waiting for pacing; giving up");
                        Err(last)
                    }
                }
            }
            (_, last) => {
                *throttled = last;
                Ok(self.admit(op).await)
            }
        }
    }

    /// Sign (when a signer is set) and send one attempt, holding its lane and pacing slot
    /// until the answer; then record it: the span's fields, the observer, the pacer. `Err` is
    /// the answer the wire made itself when signing failed: nothing was sent.
    async fn send(
        &self,
        client: &reqwest::Client,
        mut attempt: Request,
        admitted: Admitted,
        operation_id: &'static str,
        number: u32,
    ) -> Result<reqwest::Result<Response>, Response> {
        let shared = &*self.shared;
        if let Some(signer) = &shared.signer
            && let Err(e) = signer.sign(client, &mut attempt).await
        {
            tracing::warn!(step = e.step, "signing failed: nothing was sent");
            return Err(not_sent(NotSent::Signing(e)));
        }
        if let Some(obs) = &shared.observer {
            obs.on_send(operation_id);
        }
        let sent = tokio::time::Instant::now();
        let result = client.execute(attempt).await;
        let latency = sent.elapsed();
        drop(admitted);
        let span = tracing::Span::current();
        span.record("attempt", number);
        span.record("latency_ms", latency.as_millis() as u64);
        if let Some(obs) = &shared.observer {
            obs.on_response(
                operation_id,
                result.as_ref().ok().map(Response::status),
                latency,
            );
        }
        if let Ok(response) = &result {
            let status = response.status();
            span.record("status", status.as_u16());
            // One event per answer inside the request's span, so a log names every request
            // (the span's fields alone show only with the events of other crates, which
            // may run in tasks outside the span).
            tracing::debug!(status = status.as_u16(), "answered");
            if status == StatusCode::TOO_MANY_REQUESTS {
                let spacing = shared.pacer.rate_limited(operation_id);
                tracing::warn!(?spacing, "429 from IBKR: slowing this operation down");
            } else if status.is_success() {
                shared.pacer.succeeded(operation_id);
            }
        }
        Ok(result)
    }

    /// What `outcome` means for `call`; when that depends on the body (`no bridge`), the body
    /// is read and the answer handed back rebuilt, so the caller still sees its status and
    /// body. A body that cannot be read is the call's error, as it would be for the caller.
    async fn judge(
        &self,
        call: &Call<'_>,
        outcome: reqwest::Result<Response>,
        elapsed: Duration,
    ) -> (reqwest::Result<Response>, Next) {
        let jitter = rand::Rng::random(&mut rand::rng());
        let next = call.classify(&Reply::of(&outcome), elapsed, jitter);
        match (next, outcome) {
            (Next::ReadBody, Ok(response)) => match Box::pin(read_body(response)).await {
                Ok((response, body)) => {
                    let reply = Reply::with_body(&response, &body);
                    (Ok(response), call.classify(&reply, elapsed, jitter))
                }
                Err(e) => (Err(e), Next::Deliver),
            },
            (next, outcome) => (outcome, next),
        }
    }

    /// Do what `next` says: wait, renew the signer's token or open the brokerage session.
    /// Returns whether the call is to be sent again.
    async fn follow(
        &self,
        client: &reqwest::Client,
        next: Next,
        outcome: &reqwest::Result<Response>,
    ) -> bool {
        match next {
            Next::Deliver | Next::ReadBody => false,
            Next::Retry(delay) => {
                match outcome {
                    Ok(r) => {
                        tracing::debug!(status = %r.status(), ?delay, "retrying idempotent call")
                    }
                    Err(_) => {
                        tracing::debug!(?delay, "connection failed; retrying idempotent call")
                    }
                }
                pause(delay).await;
                true
            }
            Next::Renew => {
                let Some(signer) = &self.shared.signer else {
                    return false;
                };
                let renewed = signer.renew(client).await;
                if renewed {
                    tracing::info!("401: token renewed; repeating the call once");
                }
                renewed
            }
            Next::OpenSession { then_repeat } => {
                let Some(hook) = self.recovery() else {
                    return false;
                };
                if then_repeat {
                    tracing::info!("no brokerage session: opening one and repeating the call");
                }
                // The hook's own requests go through a wire that does not recover again.
                let quiet = self.without_recovery();
                hook.recover(quiet.link(client)).await && then_repeat
            }
            // The first-use 404: once more, at once.
            Next::Repeat => true,
        }
    }

    /// The recovery hook, unless this clone must not call it.
    fn recovery(&self) -> Option<&Arc<dyn SessionRecovery>> {
        self.shared.recovery.as_ref().filter(|_| self.recovers)
    }

    fn link<'a>(&'a self, http: &'a reqwest::Client) -> Link<'a> {
        Link { http, wire: self }
    }
}

/// A copy of `request` for a possible next attempt; `None` when its body cannot be copied
/// (a stream). A body-less request (every GET) is copied by hand: `Request::try_clone`
/// always builds an extensions map for the timeout, which is most of its cost.
fn spare(request: &Request) -> Option<Request> {
    if request.body().is_some() {
        return request.try_clone();
    }
    let mut copy = Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    if let Some(timeout) = request.timeout() {
        *copy.timeout_mut() = Some(*timeout);
    }
    Some(copy)
}

/// A sleep on the heap. Every future that may wait (the attempt loop, pacing, the lane)
/// holds its sleeps and other rare waits boxed, so that its state stays small on the path
/// where nothing waits: a few kilobytes of future state, allocated and copied on every
/// call, cost more than the whole wire's work.
pub(crate) fn pause(duration: Duration) -> std::pin::Pin<Box<tokio::time::Sleep>> {
    Box::pin(tokio::time::sleep(duration))
}

/// The response the wire answers with when it sent nothing.
fn not_sent(reason: NotSent) -> Response {
    let text = match &reason {
        NotSent::Signing(e) => format!("request not sent: signing failed: {e}"),
    };
    let body = serde_json::json!({ "error": text }).to_string();
    let mut response = http::Response::new(body);
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.extensions_mut().insert(reason);
    Response::from(response)
}

/// Read an answer's body; hand back an equivalent response with it, so the caller still
/// sees the status and body.
async fn read_body(response: Response) -> reqwest::Result<(Response, bytes::Bytes)> {
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    let mut rebuilt = http::Response::new(body.clone());
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok((Response::from(rebuilt), body))
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
            /// The shared runtime (lane, pacing, retries, hooks) this client sends through.
            pub fn wire(&self) -> &$crate::wire::Wire {
                &self.inner
            }

            /// The same client sending through `wire` (e.g. one that holds the order lane).
            pub fn with_wire(&self, wire: $crate::wire::Wire) -> Self {
                Self::new_with_client(&self.baseurl, self.client.clone(), wire)
            }
        }
    };
}
