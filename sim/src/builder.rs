//! Configuring and starting a simulator: `Gateway::builder()...start().await`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::access::AccessList;
use crate::error::SimError;
use crate::faults::{FaultBook, FaultRule};
use crate::flex::config::FlexConfig;
use crate::limits::Limits;
use crate::lock::{Handle, Urls};
use crate::login::{LoginDesk, LoginFaults, LoginUser};
use crate::pacing::Pacer;
use crate::running::RunningGateway;
use crate::shared::Shared;
use crate::trading::precautions::Precautions;
use crate::world::{Settings, World, WorldHandle};

/// The entry point: `Gateway::builder()`.
#[derive(Debug, Clone, Copy)]
pub struct Gateway;

impl Gateway {
    /// A builder with the defaults: seed 0, HTTPS, account `DU1234567`, no brokerage session
    /// yet, no added latency, IBKR's pacing limits, the default Flex settings, bound to
    /// `127.0.0.1` on a free port.
    pub fn builder() -> GatewayBuilder {
        GatewayBuilder::default()
    }
}

/// How the simulator will run; finish with [`GatewayBuilder::start`].
#[derive(Debug, Clone)]
pub struct GatewayBuilder {
    seed: u64,
    plain_http: bool,
    accounts: Vec<String>,
    brokerage_session: bool,
    latency: Duration,
    limits: Limits,
    flex: FlexConfig,
    faults: Vec<FaultRule>,
    precautions: Precautions,
    addr: SocketAddr,
    oauth1: Option<crate::oauth::OAuth1Consumer>,
    oauth2: Option<crate::oauth::OAuth2Client>,
    allow: Vec<String>,
    deny: Option<Vec<String>>,
    upstream_unreachable: bool,
    logged_in: bool,
    login_users: Vec<LoginUser>,
    login_faults: LoginFaults,
    journal_capacity: Option<usize>,
}

impl Default for GatewayBuilder {
    fn default() -> Self {
        GatewayBuilder {
            seed: 0,
            plain_http: false,
            accounts: vec!["DU1234567".to_string()],
            brokerage_session: false,
            latency: Duration::ZERO,
            limits: Limits::default(),
            flex: FlexConfig::default(),
            faults: Vec::new(),
            precautions: Precautions::default(),
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            oauth1: None,
            oauth2: None,
            allow: Vec::new(),
            deny: None,
            upstream_unreachable: false,
            logged_in: true,
            login_users: Vec::new(),
            login_faults: LoginFaults::default(),
            journal_capacity: None,
        }
    }
}

impl GatewayBuilder {
    /// Seed of every random choice (prices, history, ids). Same seed and same requests, same answers.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Serve plain HTTP instead of HTTPS with a self-signed certificate.
    pub fn plain_http(mut self) -> Self {
        self.plain_http = true;
        self
    }

    /// The primary (paper) account id; replaces the default `DU1234567`.
    pub fn account(mut self, id: &str) -> Self {
        if let Some(first) = self.accounts.first_mut() {
            *first = id.to_string();
        }
        self
    }

    /// Add a further account (for advisor / multi-account tests).
    pub fn extra_account(mut self, id: &str) -> Self {
        self.accounts.push(id.to_string());
        self
    }

    /// Start with the brokerage session already open (`true`), or require
    /// `POST /iserver/auth/ssodh/init` first (`false`, the default, like the real gateway).
    pub fn brokerage_session(mut self, open: bool) -> Self {
        self.brokerage_session = open;
        self
    }

    /// Delay added to every request.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Pacing limits (default: IBKR's; [`Limits::unlimited`] switches pacing off).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Flex Web Service settings.
    pub fn flex(mut self, flex: FlexConfig) -> Self {
        self.flex = flex;
        self
    }

    /// A fault switched on from the start (more can be added at run time through `control()`).
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }

    /// Thresholds of the order questions (o163, o383, o451).
    pub fn precautions(mut self, precautions: Precautions) -> Self {
        self.precautions = precautions;
        self
    }

    /// Listen on this address instead of `127.0.0.1:0`.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Play api.ibkr.com for this OAuth 1.0a consumer: the live session token handshake,
    /// and every API request must carry its HMAC-SHA256 signature.
    pub fn oauth1(mut self, consumer: crate::oauth::OAuth1Consumer) -> Self {
        self.oauth1 = Some(consumer);
        self
    }

    /// Play api.ibkr.com for this OAuth 2.0 client: token and sso-sessions endpoints, and
    /// every API request must carry a bearer (or an OAuth 1.0a signature, when both are on).
    pub fn oauth2(mut self, client: crate::oauth::OAuth2Client) -> Self {
        self.oauth2 = Some(client);
        self
    }

    /// Add entries to the gateway's IP allow-list (`conf.yaml`'s `ips.allow`); repeatable.
    ///
    /// The real gateway's rules (`gateway.md` §2, every one observed): the client is the TCP
    /// peer address (`X-Forwarded-For` is ignored); [`deny`](Self::deny) is checked first,
    /// then `allow`; an entry is an exact address (`127.0.0.1`) or a prefix with a trailing
    /// `*` (`127.0.0.*`, `10.*`). Any other dotted entry is a regular expression with its
    /// dots escaped, matched against the whole address, so CIDR (`10.0.0.0/8`) and
    /// `127.0.*.*` never match; `*` and `*.*.*.*` make every request answer 500; an entry
    /// without a dot (`::1`) is ignored. A refused client gets `404` with the 13-byte body
    /// `Access Denied` and no content type on every path, the WebSocket and `/sso` included
    /// (see [`Inspector::refused`](crate::Inspector::refused)).
    ///
    /// **It fails open, as the real gateway does: without a deny list (no call to
    /// [`deny`](Self::deny)), everyone gets in, whatever the allow list says.** Call
    /// `deny([] as [&str; 0])` (an empty list) or deny an unused address to enforce the allow
    /// list.
    pub fn allow<I, S>(mut self, entries: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allow.extend(entries.into_iter().map(Into::into));
        self
    }

    /// Add entries to the deny list (`ips.deny`), checked before the allow list; repeatable.
    /// Calling it at all, even with no entries, makes the allow list count (see
    /// [`allow`](Self::allow)).
    pub fn deny<I, S>(mut self, entries: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.deny
            .get_or_insert_with(Vec::new)
            .extend(entries.into_iter().map(Into::into));
        self
    }

    /// Start with IBKR unreachable from the gateway: `GET /` still answers its `302`, but
    /// every proxied call (`/v1/api/*`, `/gw/api/*`, `/sso/*`) is held open and never
    /// answered, as the real gateway does offline. Switch at run time with
    /// [`Control::upstream_unreachable`](crate::Control::upstream_unreachable).
    pub fn upstream_unreachable(mut self, on: bool) -> Self {
        self.upstream_unreachable = on;
        self
    }

    /// Start logged in (`true`, the default) or with no session at all (`false`): every
    /// `/v1/api` request answers 401 until a browser login at `/sso/Login` (or
    /// [`Control::restore_session`](crate::Control::restore_session)).
    pub fn logged_in(mut self, logged_in: bool) -> Self {
        self.logged_in = logged_in;
        self
    }

    /// A user the simulated login page (`/sso/Login`, see [`crate::login`]) accepts;
    /// repeatable.
    pub fn login_user(mut self, user: LoginUser) -> Self {
        self.login_users.push(user);
        self
    }

    /// The login page's fault switches at start (see [`LoginFaults`]).
    pub fn login_faults(mut self, faults: LoginFaults) -> Self {
        self.login_faults = faults;
        self
    }

    /// Keep only the last `cap` requests (and refused requests, and WebSocket frames received)
    /// in the journal, a ring; `None` (the default) keeps everything, for tests. Standalone
    /// simulators (`ibkr-sim`, `ibkr sim`) keep
    /// [`STANDALONE_JOURNAL`](crate::STANDALONE_JOURNAL).
    pub fn with_journal_capacity(mut self, cap: Option<usize>) -> Self {
        self.journal_capacity = cap;
        self
    }

    /// The journal's capacity (see [`GatewayBuilder::with_journal_capacity`]).
    pub fn journal_capacity(&self) -> Option<usize> {
        self.journal_capacity
    }

    /// Bind, make the certificate (unless plain HTTP) and start serving.
    pub async fn start(self) -> Result<RunningGateway, SimError> {
        let tls = if self.plain_http {
            None
        } else {
            Some(crate::tls::self_signed()?)
        };
        let listener = TcpListener::bind(self.addr)
            .await
            .map_err(|source| SimError::Bind {
                addr: self.addr.to_string(),
                source,
            })?;
        let local = listener.local_addr().map_err(|source| SimError::Bind {
            addr: self.addr.to_string(),
            source,
        })?;
        let host = if local.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            match local.ip() {
                IpAddr::V6(ip) => format!("[{ip}]"),
                IpAddr::V4(ip) => ip.to_string(),
            }
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let root = format!("{scheme}://{host}:{}", local.port());
        let urls = Urls {
            base: format!("{root}/v1/api"),
            flex_base: format!("{root}/AccountManagement/FlexWebService"),
        };
        let settings = Settings {
            seed: self.seed,
            accounts: self.accounts,
            precautions: self.precautions,
            flex: self.flex,
        };
        let mut world = World::new(settings, self.brokerage_session && self.logged_in);
        world.session.logged_in = self.logged_in;
        world.journal = crate::journal::Journal::with_capacity(self.journal_capacity);
        let shared = Arc::new(Shared {
            world: WorldHandle::new(world),
            pacer: Mutex::new(Pacer::new(self.limits)),
            faults: Mutex::new(FaultBook::new(self.faults)),
            latency: Mutex::new(self.latency),
            urls: Arc::new(OnceLock::new()),
            ws: Arc::default(),
            oauth: (self.oauth1.is_some() || self.oauth2.is_some())
                .then(|| Arc::new(crate::oauth::Desk::new(self.oauth1, self.oauth2))),
            access: AccessList::new(&self.allow, self.deny.as_deref()),
            upstream_unreachable: AtomicBool::new(self.upstream_unreachable),
            login: Handle::new(LoginDesk::new(self.login_users, self.login_faults)),
        });
        shared.ws.set_received_capacity(self.journal_capacity);
        let _ = shared.urls.set(urls.clone());
        let mut app = crate::routes::router(Arc::clone(&shared));
        if let Some(desk) = shared.oauth.clone() {
            app = crate::oauth::mount(
                app,
                desk,
                shared.world.clone(),
                Arc::clone(&shared.urls),
                tls.is_some(),
            );
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let (acceptor, cert_pem) = match tls {
            Some(t) => (Some(t.acceptor), Some(t.cert_pem)),
            None => (None, None),
        };
        let task = tokio::spawn(crate::server::accept_loop(
            listener,
            acceptor,
            app,
            Arc::clone(&shared),
            stop_rx,
        ));
        tracing::info!(base_url = %urls.base, "ibkr-sim listening");
        Ok(RunningGateway::new(
            shared, local, urls, cert_pem, stop_tx, task,
        ))
    }
}
