//! [`Ibkr`], the client users hold, and its builder.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ibkr_gen::trading;
use ibkr_gen::wire::{Rate, RetryPolicy, Wire, WireObserver};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::error::{Error, Result};
use crate::session::{self, KeeperConfig, Recovery, SessionState};
use crate::tls::{self, TlsTrust};

/// The local Client Portal Gateway's API root.
pub const DEFAULT_GATEWAY_URL: &str = "https://localhost:5000/v1/api";

/// The environment variable that overrides [`DEFAULT_GATEWAY_URL`].
pub const GATEWAY_URL_ENV: &str = "IBKR_GATEWAY_URL";

/// The client for one IBKR session.
///
/// Cheap to clone and safe to share across tasks: clones share the connection pool, the
/// pacing state, the session state and the session keeper.
///
/// ```no_run
/// # async fn demo() -> ibkr_ext::Result<()> {
/// let ibkr = ibkr_ext::Ibkr::gateway()?;           // https://localhost:5000/v1/api, or $IBKR_GATEWAY_URL
/// let state = ibkr.ensure_brokerage_session().await?;
/// println!("authenticated: {}", state.authenticated);
/// let accounts = ibkr.call("getAccounts", ibkr.raw().get_accounts().send()).await?;
/// println!("{:?}", accounts.accounts);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Ibkr {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) raw: trading::Client,
    pub(crate) base_url: String,
    pub(crate) login_url: String,
    pub(crate) account_id: Option<String>,
    pub(crate) compete: bool,
    pub(crate) session: Arc<watch::Sender<SessionState>>,
    pub(crate) conids: Arc<crate::conid::ConidCache>,
    /// Dropping `Inner` drops this sender, which stops the keeper.
    stop: watch::Sender<bool>,
    recovery_lock: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Ibkr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ibkr")
            .field("base_url", &self.inner.base_url)
            .field(
                "account_id",
                &self
                    .inner
                    .account_id
                    .as_deref()
                    .map(ibkr_gen::wire::mask_accounts),
            )
            .field("session", &*self.inner.session.borrow())
            .finish()
    }
}

impl Ibkr {
    /// A client for the local gateway: `$IBKR_GATEWAY_URL` when set, else
    /// `https://localhost:5000/v1/api`, with the gateway's self-signed certificate trusted
    /// because the host is loopback.
    pub fn gateway() -> Result<Ibkr> {
        Self::builder().build()
    }

    /// Configure a client.
    pub fn builder() -> IbkrBuilder {
        IbkrBuilder::default()
    }

    /// The generated client with every operation of the trading API. Calls made through it
    /// share this client's pacing, retries, recovery and tracing.
    pub fn raw(&self) -> &trading::Client {
        &self.inner.raw
    }

    /// The API root this client talks to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The gateway's root, where a user logs in (`https://localhost:5000`).
    pub fn login_url(&self) -> &str {
        &self.inner.login_url
    }

    /// The default account id, if one was configured.
    pub fn account_id(&self) -> Option<&str> {
        self.inner.account_id.as_deref()
    }

    /// A handle on the same session with another default account: it shares pacing, the
    /// order gate, the session state and the conid cache with this one.
    pub fn with_account(&self, account: impl Into<String>) -> Ibkr {
        let i = &self.inner;
        Ibkr {
            inner: Arc::new(Inner {
                raw: i.raw.clone(),
                base_url: i.base_url.clone(),
                login_url: i.login_url.clone(),
                account_id: Some(account.into()),
                compete: i.compete,
                session: i.session.clone(),
                conids: i.conids.clone(),
                // The keeper belongs to the original handle.
                stop: watch::channel(false).0,
                recovery_lock: i.recovery_lock.clone(),
            }),
        }
    }

    /// The default account id, or an error naming `operation` that says how to set one.
    pub fn require_account(&self, operation: &'static str) -> Result<&str> {
        self.account_id().ok_or_else(|| Error::InvalidRequest {
            operation,
            reason: "no account id: pass one, or set it with Ibkr::builder().account_id(..)".into(),
        })
    }

    /// The session state as the keeper last saw it; `changed().await` on the receiver to
    /// follow changes.
    pub fn session(&self) -> watch::Receiver<SessionState> {
        self.inner.session.subscribe()
    }

    /// Stop the session keeper now (it also stops when the last handle is dropped).
    pub fn shutdown(&self) {
        let _ = self.inner.stop.send(true);
    }

    /// Await a generated call and turn its error into this crate's [`Error`], naming
    /// `operation`. A 401 also marks the session as logged out.
    pub async fn call<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = std::result::Result<ibkr_gen::ResponseValue<T>, ibkr_gen::Error<()>>>,
    ) -> Result<T> {
        match call.await {
            Ok(v) => Ok(v.into_inner()),
            Err(e) => Err(self.noted(Error::from_raw(operation, e, &self.inner.login_url).await)),
        }
    }

    /// `POST /iserver/auth/status`: the brokerage session's state, published to watchers.
    pub async fn auth_status(&self) -> Result<SessionState> {
        let status = self
            .call("getAuthStatus", self.raw().get_auth_status().send())
            .await?;
        let state =
            SessionState::from_auth_status(&serde_json::to_value(status).unwrap_or_default());
        session::publish(&self.inner.session, state.clone());
        Ok(state)
    }

    /// `POST /tickle`: keep the session alive now and read its state.
    pub async fn tickle(&self) -> Result<SessionState> {
        let r = self.call("tickle", self.raw().tickle().send()).await?;
        let state = SessionState::from_tickle(&serde_json::to_value(r).unwrap_or_default());
        session::publish(&self.inner.session, state.clone());
        Ok(state)
    }

    /// Make sure `/iserver` works: if the brokerage session is not authenticated, open it
    /// with `POST /iserver/auth/ssodh/init {"publish":true,"compete":..}` and wait (briefly,
    /// bounded) until IBKR reports it authenticated. Concurrent callers share one attempt.
    pub async fn ensure_brokerage_session(&self) -> Result<SessionState> {
        let _one_at_a_time = self.inner.recovery_lock.lock().await;
        let state = self.auth_status().await?;
        if state.authenticated && !state.competing {
            return Ok(state);
        }
        let body: ibkr_gen::trading::types::BrokerageSessionInitRequest =
            serde_json::from_value(json!({"publish": true, "compete": self.inner.compete}))
                .map_err(|e| Error::Config(e.to_string()))?;
        let init = self
            .call(
                "initBrokerageSession",
                self.raw().init_brokerage_session().body(body).send(),
            )
            .await?;
        let mut state =
            SessionState::from_auth_status(&serde_json::to_value(init).unwrap_or(Value::Null));
        for _ in 0..10 {
            if state.authenticated {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            state = self.auth_status().await?;
        }
        session::publish(&self.inner.session, state.clone());
        if !state.authenticated {
            return Err(Error::NoBrokerageSession {
                operation: "initBrokerageSession",
            });
        }
        Ok(state)
    }

    /// Run `f` with the session to itself (see [`Wire::exclusive`]): no other request of
    /// this client, from any task, is sent until `f` finishes.
    pub async fn exclusive<F: Future>(&self, f: F) -> F::Output {
        self.inner.raw.wire().exclusive(f).await
    }
}

/// Configuration of an [`Ibkr`] client.
pub struct IbkrBuilder {
    base_url: Option<String>,
    account_id: Option<String>,
    trust: TlsTrust,
    timeout: Option<Duration>,
    connect_timeout: Duration,
    http_client: Option<reqwest::Client>,
    customize: Option<Box<dyn FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send>>,
    global_rate: Option<Rate>,
    per_operation_limits: bool,
    retry: RetryPolicy,
    keeper: Option<KeeperConfig>,
    compete: bool,
    user_agent: String,
    observer: Option<Arc<dyn WireObserver>>,
    conid_ttl: Duration,
}

impl Default for IbkrBuilder {
    fn default() -> Self {
        Self {
            base_url: None,
            account_id: None,
            trust: TlsTrust::default(),
            timeout: Some(Duration::from_secs(30)),
            connect_timeout: Duration::from_secs(10),
            http_client: None,
            customize: None,
            global_rate: Some(ibkr_gen::wire::GATEWAY_RATE),
            per_operation_limits: true,
            retry: RetryPolicy::default(),
            keeper: Some(KeeperConfig::default()),
            compete: true,
            user_agent: concat!("ibkr-ext/", env!("CARGO_PKG_VERSION")).into(),
            observer: None,
            conid_ttl: Duration::from_secs(3600),
        }
    }
}

impl IbkrBuilder {
    /// The API root, e.g. `https://localhost:5000/v1/api` or `https://api.ibkr.com/v1/api`.
    /// Default: `$IBKR_GATEWAY_URL`, else [`DEFAULT_GATEWAY_URL`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The account used when a workflow is not given one.
    pub fn account_id(mut self, account: impl Into<String>) -> Self {
        self.account_id = Some(account.into());
        self
    }

    /// Trust exactly this certificate (PEM), e.g. your gateway's, instead of the default.
    pub fn ca_cert(mut self, pem: impl Into<String>) -> Self {
        self.trust = TlsTrust::Pinned(pem.into());
        self
    }

    /// Accept any certificate from any host. Only for a remote gateway on a network you
    /// control, with a self-signed certificate you cannot pin.
    pub fn danger_accept_invalid_certs(mut self) -> Self {
        self.trust = TlsTrust::DangerAcceptInvalidCerts;
        self
    }

    /// The whole-request timeout (default 30 s); `None` for none.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Bring your own `reqwest::Client` (its TLS settings are then yours; the trust
    /// options above are ignored).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Adjust the `reqwest::ClientBuilder` this builder makes (proxies, DNS overrides,
    /// headers); TLS trust is still applied.
    pub fn customize_http(
        mut self,
        f: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + 'static,
    ) -> Self {
        self.customize = Some(Box::new(f));
        self
    }

    /// The session-wide request rate (default 10/s, the gateway's limit).
    pub fn global_rate_limit(mut self, per_second: u32) -> Self {
        self.global_rate = Some(Rate {
            count: per_second,
            per: Duration::from_secs(1),
        });
        self
    }

    /// Use OAuth's limits: 50 requests per second.
    pub fn oauth_rate_limits(mut self) -> Self {
        self.global_rate = Some(ibkr_gen::wire::OAUTH_RATE);
        self
    }

    /// Turn client-side pacing off entirely (global and per operation). For tests against a
    /// simulator; IBKR penalises clients that exceed its limits.
    pub fn without_pacing(mut self) -> Self {
        self.global_rate = None;
        self.per_operation_limits = false;
        self
    }

    /// How idempotent calls are retried (default: 3 retries, jittered exponential backoff).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Tickle every `interval` (default 60 s).
    pub fn keepalive(mut self, interval: Duration) -> Self {
        self.keeper = Some(KeeperConfig { interval });
        self
    }

    /// Do not run the session keeper.
    pub fn without_keepalive(mut self) -> Self {
        self.keeper = None;
        self
    }

    /// Whether opening the brokerage session may take it over from another session
    /// (TWS, mobile): `compete` in `ssodh/init`. Default true.
    pub fn compete(mut self, compete: bool) -> Self {
        self.compete = compete;
        self
    }

    /// The `User-Agent` (default `ibkr-ext/<version>`).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// A hook that sees every request and response (metrics, tests).
    pub fn observer(mut self, observer: Arc<dyn WireObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// How long resolved conids are remembered (default one hour).
    pub fn conid_cache_ttl(mut self, ttl: Duration) -> Self {
        self.conid_ttl = ttl;
        self
    }

    /// Build the client. Starts the session keeper when called inside a tokio runtime.
    pub fn build(self) -> Result<Ibkr> {
        let base_url = self
            .base_url
            .or_else(|| {
                std::env::var(GATEWAY_URL_ENV)
                    .ok()
                    .filter(|u| !u.trim().is_empty())
            })
            .unwrap_or_else(|| DEFAULT_GATEWAY_URL.to_string());
        let base_url = base_url.trim().trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&base_url)
            .map_err(|e| Error::Config(format!("base URL {base_url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "base URL {base_url:?} is not http(s)"
            )));
        }
        let login_url = format!(
            "{}://{}{}",
            parsed.scheme(),
            parsed.host_str().unwrap_or("localhost"),
            parsed.port().map(|p| format!(":{p}")).unwrap_or_default()
        );
        let http = match self.http_client {
            Some(c) => c,
            None => {
                let mut b = ibkr_gen::http_client_builder()
                    .tls_backend_preconfigured(tls::client_config(&self.trust)?)
                    .connect_timeout(self.connect_timeout);
                if let Some(t) = self.timeout {
                    b = b.timeout(t);
                }
                if let Some(f) = self.customize {
                    b = f(b);
                }
                b.build()
                    .map_err(|e| Error::Config(format!("HTTP client: {}", e.without_url())))?
            }
        };
        let recovery = Arc::new(Recovery {
            client: OnceLock::new(),
        });
        let mut wire = Wire::builder()
            .global_rate(self.global_rate)
            .per_operation_limits(self.per_operation_limits)
            .retry(self.retry)
            .user_agent(self.user_agent)
            .session_recovery(recovery.clone());
        if let Some(o) = self.observer {
            wire = wire.observer(o);
        }
        let raw = trading::Client::new_with_client(&base_url, http, wire.build());
        let (stop, stop_rx) = watch::channel(false);
        let session = Arc::new(watch::channel(SessionState::default()).0);
        let inner = Arc::new(Inner {
            raw: raw.clone(),
            base_url,
            login_url,
            account_id: self.account_id,
            compete: self.compete,
            session: session.clone(),
            conids: Arc::new(crate::conid::ConidCache::new(self.conid_ttl)),
            stop,
            recovery_lock: Arc::new(tokio::sync::Mutex::new(())),
        });
        let _ = recovery.client.set(Arc::downgrade(&inner));
        if let Some(config) = self.keeper {
            session::spawn_keeper(raw, config, session, stop_rx);
        }
        Ok(Ibkr { inner })
    }
}
