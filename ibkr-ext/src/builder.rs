//! [`IbkrBuilder`]: the configuration of an [`Ibkr`] client, and building one (the HTTP
//! client and its TLS, the session owner, the wire with its pacing, retries and signing).

use std::sync::Arc;
use std::time::Duration;

use ibkr_gen::wire::{Rate, RetryPolicy, Wire, WireObserver};
use ibkr_gen::{account_management, trading};

use crate::client::{DEFAULT_GATEWAY_URL, GATEWAY_URL_ENV, Ibkr};
use crate::error::{Error, Result};
use crate::oauth::Authority;
use crate::session::{KeeperConfig, Lease, Session, SessionConfig, SessionCore};
use crate::tls::{self, TlsTrust};

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
