//! The Flex Web Service client: SendRequest, then GetStatement until the statement is
//! ready, within IB's rate limits and an overall deadline.

pub mod download;
pub mod endpoint;
mod envelope;
pub mod error;
pub mod error_code;
mod pacing;
pub mod policy;
pub mod progress;
pub mod request;
mod tls;
pub mod token;

use crate::client::download::FlexDownload;
use crate::client::envelope::{Answer, classify};
use crate::client::error::FlexError;
use crate::client::error_code::FlexErrorCode;
use crate::client::pacing::Pacer;
use crate::client::policy::PollPolicy;
use crate::client::progress::{FlexProgress, ProgressFn};
use crate::client::request::FlexRequest;
use crate::client::token::FlexToken;
use reqwest::Url;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// A Flex Web Service client for one token.
///
/// ```no_run
/// # async fn run() -> Result<(), ibkr_flex::FlexError> {
/// let client = ibkr_flex::FlexClient::new("my-token")?;
/// let report = client.fetch("123456").await?.parse()?;
/// for trade in report.statements.iter().flat_map(|s| &s.trades) {
///     println!("{:?} {:?} @ {:?}", trade.symbol, trade.quantity, trade.trade_price);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct FlexClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    token: FlexToken,
    base: Url,
    policy: PollPolicy,
    pacer: Arc<Pacer>,
    progress: Option<ProgressFn>,
}

impl fmt::Debug for FlexClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlexClient")
            .field("token", &self.inner.token)
            .field("base", &self.inner.base.as_str())
            .field("policy", &self.inner.policy)
            .finish()
    }
}

/// A statement requested with SendRequest, to be collected with GetStatement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingStatement {
    /// `ReferenceCode`.
    pub reference_code: String,
    /// Where to poll (the checked `<Url>`, or the default GetStatement URL).
    pub url: Url,
}

/// Configures a [`FlexClient`].
pub struct FlexClientBuilder {
    token: FlexToken,
    base_url: String,
    user_agent: String,
    policy: PollPolicy,
    progress: Option<ProgressFn>,
}

impl fmt::Debug for FlexClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlexClientBuilder")
            .field("token", &self.token)
            .field("base_url", &self.base_url)
            .field("user_agent", &self.user_agent)
            .field("policy", &self.policy)
            .finish()
    }
}

impl FlexClientBuilder {
    /// The service base, below which `SendRequest` and `GetStatement` live (default
    /// [`endpoint::DEFAULT_BASE_URL`]); e.g. a local simulator's address.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The User-Agent (default `ibkr-flex/<version>`; IB requires one).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Waiting and pacing rules.
    pub fn policy(mut self, policy: PollPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Calls `report` at every step of a fetch (requesting, waiting, polling n, done).
    pub fn on_progress(mut self, report: impl Fn(&FlexProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(report));
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<FlexClient, FlexError> {
        let base = Url::parse(self.base_url.trim())
            .map_err(|e| FlexError::Config(format!("bad base URL: {e}")))?;
        if !matches!(base.scheme(), "https" | "http") {
            return Err(FlexError::Config("the base URL must be http(s)".to_owned()));
        }
        if base.scheme() == "http" && !endpoint::is_loopback(&base) {
            return Err(FlexError::Config(
                "plain http is only allowed to loopback (a local simulator)".to_owned(),
            ));
        }
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls::client_config()?)
            .user_agent(self.user_agent)
            .timeout(self.policy.request_timeout)
            .connect_timeout(self.policy.request_timeout.min(Duration::from_secs(30)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FlexError::Config(format!("HTTP client: {}", e.without_url())))?;
        Ok(FlexClient {
            inner: Arc::new(Inner {
                http,
                pacer: Pacer::for_token(&self.token),
                token: self.token,
                base,
                policy: self.policy,
                progress: self.progress,
            }),
        })
    }
}

impl FlexClient {
    /// A client with default settings.
    pub fn new(token: impl Into<FlexToken>) -> Result<Self, FlexError> {
        Self::builder(token).build()
    }

    /// A builder for other settings.
    pub fn builder(token: impl Into<FlexToken>) -> FlexClientBuilder {
        FlexClientBuilder {
            token: token.into(),
            base_url: endpoint::DEFAULT_BASE_URL.to_owned(),
            user_agent: concat!("ibkr-flex/", env!("CARGO_PKG_VERSION")).to_owned(),
            policy: PollPolicy::default(),
            progress: None,
        }
    }

    /// The policy in use.
    pub fn policy(&self) -> &PollPolicy {
        &self.inner.policy
    }

    fn report(&self, progress: FlexProgress) {
        tracing::debug!(?progress, "flex fetch progress");
        if let Some(callback) = &self.inner.progress {
            callback(&progress);
        }
    }

    /// One GET, paced; the token goes in the query and never into logs or errors.
    async fn get_once(
        &self,
        url: &Url,
        params: &[(&str, String)],
    ) -> Result<(u16, Vec<u8>), FlexError> {
        self.inner.pacer.wait_turn(&self.inner.policy).await;
        let mut query: Vec<(&str, &str)> = vec![("t", self.inner.token.expose())];
        query.extend(params.iter().map(|(k, v)| (*k, v.as_str())));
        tracing::debug!(
            host = url.host_str().unwrap_or_default(),
            path = url.path(),
            "flex request"
        );
        let response = self
            .inner
            .http
            .get(url.clone())
            .query(&query)
            .send()
            .await
            .map_err(FlexError::http)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(FlexError::http)?;
        Ok((status, body.to_vec()))
    }

    /// One GET, retried once on the other IB host when the connection (or DNS) fails.
    async fn get(&self, url: &Url, params: &[(&str, String)]) -> Result<(u16, Vec<u8>), FlexError> {
        match self.get_once(url, params).await {
            Err(FlexError::Http(error)) if error.is_connect() => match endpoint::other_host(url) {
                Some(other) => {
                    tracing::warn!(
                        failed = url.host_str().unwrap_or_default(),
                        trying = other.host_str().unwrap_or_default(),
                        "cannot reach the Flex host; trying the other one"
                    );
                    self.get_once(&other, params).await
                }
                None => Err(FlexError::Http(error)),
            },
            other => other,
        }
    }

    /// SendRequest: asks IB to generate the statement. One attempt; service errors come
    /// back as [`FlexError::Service`] (check [`FlexError::is_retryable`]).
    pub async fn send_request(&self, request: &FlexRequest) -> Result<PendingStatement, FlexError> {
        let url = endpoint::join(&self.inner.base, "SendRequest")?;
        let (status, body) = self.get(&url, &request.params()).await?;
        match classify(&body) {
            Answer::Envelope(envelope) => {
                if let Some(code) = envelope.error_code {
                    return Err(FlexError::Service {
                        code: FlexErrorCode::parse(&code),
                        message: envelope.error_message,
                    });
                }
                let reference_code = envelope.reference_code.ok_or_else(|| {
                    FlexError::Envelope(format!(
                        "status `{}` without ReferenceCode or ErrorCode",
                        envelope.status
                    ))
                })?;
                let url = match envelope.url {
                    Some(raw) if !raw.trim().is_empty() => {
                        endpoint::statement_url(&raw, &self.inner.base)?
                    }
                    _ => endpoint::join(&self.inner.base, "GetStatement")?,
                };
                Ok(PendingStatement {
                    reference_code,
                    url,
                })
            }
            Answer::Report(_) => Err(FlexError::Envelope(
                "SendRequest answered with a report instead of a reference code".to_owned(),
            )),
            Answer::NotXml(what) => Err(FlexError::NotXml { what, status }),
        }
    }

    /// GetStatement: one poll. The statement when ready; otherwise the service error
    /// (1019 while it is being generated).
    pub async fn get_statement(
        &self,
        pending: &PendingStatement,
    ) -> Result<FlexDownload, FlexError> {
        let params = [("q", pending.reference_code.clone()), ("v", "3".to_owned())];
        let (status, body) = self.get(&pending.url, &params).await?;
        match classify(&body) {
            Answer::Report(format) => Ok(FlexDownload::new(body, format)),
            Answer::Envelope(envelope) => match envelope.error_code {
                Some(code) => Err(FlexError::Service {
                    code: FlexErrorCode::parse(&code),
                    message: envelope.error_message,
                }),
                None => Err(FlexError::Envelope(format!(
                    "GetStatement answered with status `{}` but no statement",
                    envelope.status
                ))),
            },
            Answer::NotXml(what) => Err(FlexError::NotXml { what, status }),
        }
    }

    /// How long to wait after this error, or `None` when waiting cannot help.
    fn delay_after(&self, error: &FlexError, interval: &mut Duration) -> Option<Duration> {
        if !error.is_retryable() {
            return None;
        }
        let policy = &self.inner.policy;
        if error.code().is_some_and(FlexErrorCode::is_throttling) {
            return Some(policy.throttle_delay);
        }
        let delay = *interval;
        *interval = policy.next_interval(*interval);
        Some(delay)
    }

    async fn sleep_before(
        &self,
        deadline: Instant,
        started: Instant,
        delay: Duration,
        because: Option<FlexErrorCode>,
    ) -> Result<(), FlexError> {
        if Instant::now() + delay > deadline {
            return Err(FlexError::DeadlineExceeded {
                waited: started.elapsed(),
                last: because.map_or_else(|| "none".to_owned(), |c| c.to_string()),
            });
        }
        self.report(FlexProgress::Waiting { delay, because });
        tokio::time::sleep(delay).await;
        Ok(())
    }

    /// Runs a query to the end: SendRequest (retrying what is retryable), wait, then
    /// GetStatement with back-off until the statement is ready, within the policy's
    /// deadline and IB's rate limits. A non-XML answer or a permanent error code stops
    /// at once.
    pub async fn fetch(&self, request: impl Into<FlexRequest>) -> Result<FlexDownload, FlexError> {
        let request = request.into();
        let policy = &self.inner.policy;
        let started = Instant::now();
        let deadline = started + policy.deadline;
        let mut resends = 0;
        let mut send_attempt = 0;
        'request: loop {
            let mut interval = policy.poll_interval;
            let pending = loop {
                send_attempt += 1;
                self.report(FlexProgress::Requesting {
                    attempt: send_attempt,
                });
                match self.send_request(&request).await {
                    Ok(pending) => break pending,
                    Err(error) => match self.delay_after(&error, &mut interval) {
                        Some(delay) => {
                            tracing::info!(%error, "SendRequest not accepted yet; waiting");
                            self.sleep_before(deadline, started, delay, error.code().cloned())
                                .await?;
                        }
                        None => return Err(error),
                    },
                }
            };
            self.sleep_before(deadline, started, policy.first_poll_delay, None)
                .await?;
            let mut interval = policy.poll_interval;
            let mut poll = 0;
            loop {
                poll += 1;
                self.report(FlexProgress::Polling { attempt: poll });
                match self.get_statement(&pending).await {
                    Ok(download) => {
                        self.report(FlexProgress::Done {
                            bytes: download.bytes().len(),
                        });
                        return Ok(download);
                    }
                    Err(error) => {
                        if error.code().is_some_and(FlexErrorCode::wants_new_request)
                            && resends < policy.resend_attempts
                        {
                            resends += 1;
                            tracing::info!(%error, "sending the request again");
                            self.sleep_before(
                                deadline,
                                started,
                                policy.poll_interval,
                                error.code().cloned(),
                            )
                            .await?;
                            continue 'request;
                        }
                        match self.delay_after(&error, &mut interval) {
                            Some(delay) => {
                                self.sleep_before(deadline, started, delay, error.code().cloned())
                                    .await?;
                            }
                            None => return Err(error),
                        }
                    }
                }
            }
        }
    }
}
