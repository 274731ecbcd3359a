//! [`Ibkr`], the handle users hold (its builder is in `builder.rs`).
//!
//! A handle is cheap: the session it belongs to (state, keeper, recovery, the order lane,
//! pacing, the login) lives in one [`Session`](crate::session) owner that every handle
//! shares and keeps alive. See the `session` module for the ordering rule.

use std::sync::Arc;
use std::time::SystemTime;

use ibkr_gen::Secret;
use ibkr_gen::wire::Wire;
use ibkr_gen::{account_management, trading};
use tokio::sync::watch;

use crate::builder::IbkrBuilder;
use crate::error::{Error, Result};
use crate::oauth::AuthMode;
use crate::session::{Lease, Session, SessionCore, SessionState};

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
    pub(crate) raw: trading::Client,
    /// The account-management client (`/gw/api`), on the same wire as `raw`.
    pub(crate) admin: account_management::Client,
    pub(crate) lease: Arc<Lease>,
    pub(crate) account_id: Option<Arc<str>>,
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
