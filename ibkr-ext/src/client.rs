//! [`Ibkr`], the handle users hold, and its builder.
//!
//! A handle is cheap: the session it belongs to (state, keeper, recovery, the order lane,
//! pacing, the login) lives in one [`Session`](crate::session) owner that every handle
//! shares and keeps alive. See the `session` module for the ordering rule.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ibkr_gen::Secret;
use ibkr_gen::wire::{Rate, RetryPolicy, Wire, WireObserver};
use ibkr_gen::{account_management, trading};
use tokio::sync::watch;

use crate::error::{Error, Result};
use crate::oauth::{AuthMode, Authority};
use crate::session::{KeeperConfig, Lease, Session, SessionConfig, SessionCore, SessionState};
use crate::tls::{self, TlsTrust};

/// The session runs every call of [`Ibkr::api`] and [`Ibkr::account_management`].
impl ibkr_gen::Runner for Ibkr {
    type Error = Error;

    fn run<'a, C>(&'a self, call: C) -> ibkr_gen::CallFuture<'a, Result<C::Output>>
    where
        C: ibkr_gen::RawCall + Send + 'a,
    {
        Box::pin(self.send(call))
    }
}

/// The local Client Portal Gateway's API root.
pub const DEFAULT_GATEWAY_URL: &str = "https://localhost:5000/v1/api";

/// The environment variable that overrides [`DEFAULT_GATEWAY_URL`].
pub const GATEWAY_URL_ENV: &str = "IBKR_GATEWAY_URL";

/// A handle on one IBKR session.
///
/// Cheap to clone and safe to share across tasks. Clones, [`Ibkr::with_account`] handles
/// and the raw client ([`Ibkr::raw`]) share one session: its state, keeper, recovery,
/// order lane, pacing and login. The session runs while any of them lives.
///
/// ```no_run
/// # async fn demo() -> ibkr_ext::Result<()> {
/// let ibkr = ibkr_ext::Ibkr::gateway()?;           // https://localhost:5000/v1/api, or $IBKR_GATEWAY_URL
/// let state = ibkr.ensure_brokerage_session().await?;
/// println!("authenticated: {}", state.authenticated);
/// let accounts = ibkr.api().get_accounts().await?;
/// println!("{:?}", accounts.accounts);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Ibkr {
    /// The generated client; its wire carries the lease (and, inside
    /// [`Ibkr::exclusive`], the order lane).
    raw: trading::Client,
    /// The account-management client (`/gw/api`), on the same wire as `raw`.
    admin: account_management::Client,
    lease: Arc<Lease>,
    account_id: Option<Arc<str>>,
}

impl std::fmt::Debug for Ibkr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ibkr")
            .field("base_url", &self.base_url())
            .field(
                "account_id",
                &self
                    .account_id
                    .as_deref()
                    .map(ibkr_gen::wire::mask_accounts),
            )
            .field("auth", &self.auth_mode())
            .field("session", &self.owner().core.current())
            .finish()
    }
}

impl Ibkr {
    /// A client for the local gateway: `$IBKR_GATEWAY_URL` when set, else
    /// `https://localhost:5000/v1/api`, with the gateway's self-signed certificate trusted
    /// because the connection goes to loopback (`localhost` is pinned to 127.0.0.1 and ::1).
    pub fn gateway() -> Result<Ibkr> {
        Self::builder().build()
    }

    /// Configure a client.
    pub fn builder() -> IbkrBuilder {
        IbkrBuilder::default()
    }

    pub(crate) fn owner(&self) -> &Session {
        &self.lease.session
    }

    pub(crate) fn core(&self) -> &SessionCore {
        &self.lease.session.core
    }

    /// Every operation of the trading API as a call through this session: set its
    /// parameters, then `.await` it. The session's lane, pacing, retries of idempotent
    /// calls, recovery and typed [`Error`]s apply, and a 401 marks the session logged out.
    ///
    /// ```no_run
    /// # async fn demo(ibkr: ibkr_ext::Ibkr) -> ibkr_ext::Result<()> {
    /// let accounts = ibkr.api().get_accounts().await?;
    /// let ledger = ibkr.api().get_account_ledger().account_id("DU1234567").await?;
    /// # let _ = (accounts, ledger); Ok(()) }
    /// ```
    pub fn api(&self) -> trading::api::Api<'_, Ibkr> {
        trading::api::Api::new(&self.raw, self)
    }

    /// Every operation of the account-management API (`/gw/api`: account details and
    /// status, documents, registration tasks, banking, reports) as a call through this
    /// session, like [`Ibkr::api`]. IBKR serves it at the trading API's origin
    /// (`https://api.ibkr.com`), authenticated by OAuth 2.0.
    ///
    /// ```no_run
    /// # async fn demo(ibkr: ibkr_ext::Ibkr) -> ibkr_ext::Result<()> {
    /// let details = ibkr.account_management().get_account_details().account_id("U1234567").await?;
    /// # let _ = details; Ok(()) }
    /// ```
    pub fn account_management(&self) -> account_management::api::Api<'_, Ibkr> {
        account_management::api::Api::new(&self.admin, self)
    }

    /// The bare generated account-management client, sending through this session's wire
    /// (see [`Ibkr::raw`]).
    pub fn raw_account_management(&self) -> &account_management::Client {
        &self.admin
    }

    /// The bare generated client with every operation of the trading API. Calls made through it
    /// share this session's lane, pacing, retries, recovery and tracing, and it keeps the
    /// session alive like any other handle.
    pub fn raw(&self) -> &trading::Client {
        &self.raw
    }

    /// The API root this client talks to.
    pub fn base_url(&self) -> &str {
        &self.core().config().base_url
    }

    /// The gateway's root, where a user logs in (`https://localhost:5000`).
    pub fn login_url(&self) -> &str {
        &self.core().config().login_url
    }

    /// The default account id, if one was configured.
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    /// A handle on the same session with another default account. It shares everything
    /// with this one (the session, its keeper and recovery, the lane, pacing, the conid
    /// cache) and keeps the session alive on its own.
    pub fn with_account(&self, account: impl Into<String>) -> Ibkr {
        Ibkr {
            account_id: Some(Arc::from(account.into())),
            ..self.clone()
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
        self.core().subscribe()
    }

    /// Stop the session's background work now (the keeper, streams). It also stops when
    /// the last handle is dropped. To end the login itself, call [`Ibkr::logout`].
    pub fn shutdown(&self) {
        self.core().stop();
    }

    /// `POST /logout`: end the login (the gateway's SSO session, or the OAuth session),
    /// then stop the session's background work.
    pub async fn logout(&self) -> Result<()> {
        let result = self.api().logout().await;
        self.core().observe(SessionState::default());
        self.shutdown();
        result.map(|_| ())
    }

    /// Send a builder of the raw client: its error becomes this crate's [`Error`], and a
    /// 401 marks the session as logged out. What awaiting an [`Ibkr::api`] call does.
    pub(crate) async fn send<C: ibkr_gen::RawCall>(&self, call: C) -> Result<C::Output> {
        self.core().checked(C::OPERATION, call.send()).await
    }

    /// `POST /iserver/auth/status`: the brokerage session's state, published to watchers.
    pub async fn auth_status(&self) -> Result<SessionState> {
        self.core().auth_status(self.raw()).await
    }

    /// `POST /tickle`: keep the session alive now and read its state.
    pub async fn tickle(&self) -> Result<SessionState> {
        Ok(self.tickled().await?.1)
    }

    /// The session id `POST /tickle` reports, which authenticates the WebSocket. It is a
    /// [`Secret`]: it never prints.
    pub async fn socket_session(&self) -> Result<Secret> {
        match self.tickled().await?.0.session {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(Error::NotAuthenticated {
                operation: "tickle",
                login_url: self.login_url().to_string(),
            }),
        }
    }

    /// `POST /tickle`: its answer, and the session state it reports (published).
    async fn tickled(&self) -> Result<(ibkr_gen::trading::types::TickleResponse, SessionState)> {
        let r = self.api().tickle().await?;
        let state = self.core().observe(&r);
        Ok((r, state))
    }

    /// Make sure `/iserver` works: if the brokerage session is not authenticated, open it
    /// with `POST /iserver/auth/ssodh/init {"publish":true,"compete":..}` and wait (briefly,
    /// bounded) until IBKR reports it authenticated. Concurrent callers share one attempt,
    /// and an order question loop in progress finishes first.
    pub async fn ensure_brokerage_session(&self) -> Result<SessionState> {
        self.core().ensure_brokerage(self.raw()).await
    }

    /// A handle on the same session sending through `wire` (one that holds the lane).
    pub(crate) fn on_wire(&self, wire: Wire) -> Ibkr {
        Ibkr {
            raw: self.raw.with_wire(wire.clone()),
            admin: self.admin.with_wire(wire),
            ..self.clone()
        }
    }

    /// Log in now: the OAuth handshake (live session token, or access token and bearer)
    /// instead of on the first request. A no-op for the gateway, whose login is the
    /// browser's.
    pub async fn login(&self) -> Result<()> {
        use progenitor_client::ClientInfo as _;
        match &self.core().config().authority {
            Some(a) => a.login(self.raw().client()).await,
            None => Ok(()),
        }
    }

    /// Which login this session uses.
    pub fn auth_mode(&self) -> AuthMode {
        self.core()
            .config()
            .authority
            .as_ref()
            .map_or(AuthMode::Gateway, |a| a.mode())
    }

    /// When the login's current token expires (OAuth), if one is held.
    pub fn token_expiry(&self) -> Option<SystemTime> {
        self.core().config().authority.as_ref()?.expires_at()
    }

    /// The TLS configuration REST uses, for the WebSocket; `None` when the user brought
    /// their own HTTP client.
    #[allow(dead_code)]
    pub(crate) fn tls_config(&self) -> Option<Arc<rustls::ClientConfig>> {
        self.owner().tls.clone()
    }

    /// The token the WebSocket sends as `?oauth_token=` (OAuth only).
    #[allow(dead_code)]
    pub(crate) fn socket_token(&self) -> Option<Secret> {
        self.core().config().authority.as_ref()?.socket_token()
    }

    /// The `User-Agent` of this session.
    #[allow(dead_code)]
    pub(crate) fn user_agent(&self) -> &str {
        &self.owner().user_agent
    }

    /// Turns true when the session shuts down.
    #[allow(dead_code)]
    pub(crate) fn closing(&self) -> watch::Receiver<bool> {
        self.core().closing()
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
    authority: Option<Arc<dyn Authority>>,
    local_address: Option<std::net::IpAddr>,
    upstream_check_after: Duration,
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
            authority: None,
            local_address: None,
            upstream_check_after: crate::session::upstream::STALL_AFTER,
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

    /// Connect from this local address (multi-homed hosts, or a gateway whose allow-list
    /// admits one address of this machine). REST and the WebSocket both bind to it.
    pub fn local_address(mut self, ip: std::net::IpAddr) -> Self {
        self.local_address = Some(ip);
        self
    }

    /// How long a repeatable call to a local gateway waits for its answer before the client
    /// checks whether the gateway can reach IBKR at all (default 12 s). When it cannot, the
    /// call fails with [`Error::UpstreamUnreachable`] instead of waiting out its timeout.
    pub fn upstream_check_after(mut self, after: Duration) -> Self {
        self.upstream_check_after = after;
        self
    }

    /// Bring your own `reqwest::Client` (its TLS settings are then yours; the trust
    /// options above are ignored).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Adjust the `reqwest::ClientBuilder` this builder makes (proxies, DNS overrides,
    /// headers); TLS trust is still applied, and a localhost base URL stays pinned to
    /// 127.0.0.1 and ::1 (a DNS override of its name is overridden).
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

    /// Log in with `authority` (OAuth): it signs every attempt, its base URL is the
    /// default, and OAuth's 50 requests/s apply unless a rate was set.
    pub(crate) fn authority(mut self, authority: Arc<dyn Authority>) -> Self {
        if self.global_rate == Some(ibkr_gen::wire::GATEWAY_RATE) {
            self.global_rate = Some(ibkr_gen::wire::OAUTH_RATE);
        }
        self.authority = Some(authority);
        self
    }

    /// Build the client. The session keeper starts now when called inside a tokio
    /// runtime, and otherwise with the first request.
    pub fn build(self) -> Result<Ibkr> {
        let authority_url = self
            .authority
            .as_ref()
            .map(|a| a.default_base_url().to_string());
        let base_url = self
            .base_url
            .or(authority_url)
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
        let (http, tls, upstream) = match self.http_client {
            Some(c) => (c, None, None),
            None => {
                // A localhost name is pinned to loopback (after `customize`, so no DNS
                // override moves it) and is then the one name trusted as loopback.
                let host = parsed.host_str().unwrap_or_default();
                let pinned = tls::is_localhost_name(host).then_some(host);
                let tls = Arc::new(tls::client_config_pinned(&self.trust, pinned)?);
                let base = || {
                    let b = ibkr_gen::http_client_builder()
                        .tls_backend_preconfigured((*tls).clone())
                        .connect_timeout(self.connect_timeout)
                        .local_address(self.local_address);
                    tls::pin_loopback(b, host)
                };
                // A redirect to the gateway's login page means "not logged in": stop there
                // instead of following it (offline, the login page never answers).
                // Past that, reqwest's default rule: at most 10 redirects.
                let mut b = base().redirect(reqwest::redirect::Policy::custom(|attempt| {
                    if crate::error::is_login_location(attempt.url().as_str()) {
                        attempt.stop()
                    } else if attempt.previous().len() >= 10 {
                        attempt.error("too many redirects")
                    } else {
                        attempt.follow()
                    }
                }));
                if let Some(t) = self.timeout {
                    b = b.timeout(t);
                }
                if let Some(f) = self.customize {
                    b = tls::pin_loopback(f(b), host);
                }
                let config_error =
                    |e: reqwest::Error| Error::Config(format!("HTTP client: {}", e.without_url()));
                let http = b.build().map_err(config_error)?;
                // The upstream watchdog watches a local gateway, not api.ibkr.com (OAuth).
                let upstream = match &self.authority {
                    Some(_) => None,
                    None => Some(crate::session::upstream::UpstreamWatch::new(
                        base()
                            .redirect(reqwest::redirect::Policy::none())
                            .build()
                            .map_err(config_error)?,
                        &base_url,
                        &login_url,
                        self.upstream_check_after,
                    )),
                };
                (http, Some(tls), upstream)
            }
        };
        if let Some(a) = &self.authority {
            a.bind_base_url(&base_url);
        }
        let config = SessionConfig {
            base_url: base_url.clone(),
            login_url,
            compete: self.compete,
            keeper: self.keeper,
            authority: self.authority.clone(),
            local_address: self.local_address,
        };
        let core = Arc::new(SessionCore::new(config, upstream));
        let mut wire = Wire::builder()
            .global_rate(self.global_rate)
            .per_operation_limits(self.per_operation_limits)
            .retry(self.retry)
            .user_agent(self.user_agent.clone())
            .session_recovery(core.clone());
        if let Some(o) = self.observer {
            wire = wire.observer(o);
        }
        if let Some(a) = &self.authority {
            wire = wire.signer(a.clone());
        }
        let raw = trading::Client::new_with_client(&base_url, http, wire.build());
        core.start_keeper(&raw);
        let session = Arc::new(Session {
            core,
            conids: crate::conid::ConidCache::new(self.conid_ttl),
            tls,
            user_agent: self.user_agent,
            streams: Default::default(),
        });
        let lease = Arc::new(Lease { session });
        let raw = raw.with_wire(raw.wire().with_lease(lease.clone()));
        // `/gw/api` is served at the trading API's origin (`https://api.ibkr.com` for
        // `https://api.ibkr.com/v1/api`), which is the login URL.
        use progenitor_client::ClientInfo as _;
        let admin = account_management::Client::new_with_client(
            &lease.session.core.config().login_url,
            raw.client().clone(),
            raw.wire().clone(),
        );
        Ok(Ibkr {
            raw,
            admin,
            lease,
            account_id: self.account_id.map(Arc::from),
        })
    }
}
