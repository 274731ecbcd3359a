//! The API's word on the session: `POST /tickle`, `ssodh/init`, `reauthenticate`.

use std::time::{Duration, Instant};

use ibkr_ext::{Ibkr, RetryPolicy, SessionState};

use super::{LoginConfig, LoginError};

/// How often `/tickle` is polled while waiting for the session.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How many times a rate-limited tickle is sent.
const RATE_LIMITED_TRIES: u32 = 4;
/// The wait after a 429 (the limit is 1/s).
const RATE_LIMITED_WAIT: Duration = Duration::from_millis(1100);

/// What the gateway says about the session.
#[derive(Debug, Clone)]
pub(crate) enum Session {
    /// No SSO session (401, or a tickle with `error`): a browser login is needed.
    LoggedOut,
    /// An SSO session: `authenticated` and `competing` tell the brokerage session's state.
    LoggedIn(SessionState),
}

/// A client on the gateway's API for the login's checks: no keeper, no retries (the login
/// polls itself), a short timeout, and `compete` as configured.
pub(crate) struct Api {
    ibkr: Ibkr,
}

impl Api {
    pub(crate) fn new(cfg: &LoginConfig) -> Result<Self, LoginError> {
        let base = cfg.api_base_url();
        let mut builder = Ibkr::builder()
            .base_url(base.as_str())
            .without_keepalive()
            .retry(RetryPolicy::none())
            .timeout(Some(cfg.api_timeout))
            .compete(cfg.compete);
        if let Some(pem) = &cfg.ca_cert {
            builder = builder.ca_cert(pem.clone());
        }
        if let Some(customize) = &cfg.customize_client {
            builder = customize(builder);
        }
        let ibkr = builder
            .build()
            .map_err(|e| LoginError::Config(format!("the gateway's API at {base}: {e}")))?;
        Ok(Self { ibkr })
    }

    /// The session as `POST /tickle` reports it.
    /// `/tickle` allows one call a second per gateway, whoever sends it (the supervisor's
    /// keeper too): a 429 is waited out, a few times.
    pub(crate) async fn session(&self) -> Result<Session, LoginError> {
        let mut tries = 0;
        loop {
            tries += 1;
            return match self.ibkr.tickle().await {
                Ok(state) if state.logged_in => Ok(Session::LoggedIn(state)),
                Ok(_) => Ok(Session::LoggedOut),
                Err(ibkr_ext::Error::NotAuthenticated { .. }) => Ok(Session::LoggedOut),
                Err(ibkr_ext::Error::RateLimited { .. }) if tries < RATE_LIMITED_TRIES => {
                    tokio::time::sleep(RATE_LIMITED_WAIT).await;
                    continue;
                }
                Err(e) => Err(LoginError::Gateway(e.to_string())),
            };
        }
    }

    /// Whether the brokerage session is authenticated now; `None` when the gateway did not
    /// answer clearly (it is asked again at the next poll).
    pub(crate) async fn authenticated(&self) -> Option<SessionState> {
        match self.session().await {
            Ok(Session::LoggedIn(s)) if s.authenticated => Some(s),
            _ => None,
        }
    }

    /// Poll `/tickle` until authenticated, at most `deadline`.
    pub(crate) async fn wait_authenticated(&self, deadline: Duration) -> Option<SessionState> {
        let until = Instant::now() + deadline;
        loop {
            if let Some(s) = self.authenticated().await {
                return Some(s);
            }
            if Instant::now() + POLL_INTERVAL > until {
                return None;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// With an SSO session but no brokerage session: `ssodh/init` (with `compete` as
    /// configured), then `reauthenticate`, then a short wait. The session's state after.
    pub(crate) async fn reopen(&self, wait: Duration) -> Result<SessionState, LoginError> {
        match self.ibkr.ensure_brokerage_session().await {
            Ok(state) if state.authenticated => return Ok(state),
            Ok(_) | Err(_) => {}
        }
        let _ = self.ibkr.api().reauthenticate().await;
        match self.wait_authenticated(wait).await {
            Some(s) => Ok(s),
            None => match self.session().await? {
                Session::LoggedIn(s) => Ok(s),
                Session::LoggedOut => Ok(SessionState::default()),
            },
        }
    }

    /// Open the brokerage session (`ssodh/init` if needed) once the login is done.
    pub(crate) async fn open_brokerage(&self) -> Result<SessionState, LoginError> {
        self.ibkr
            .ensure_brokerage_session()
            .await
            .map_err(|e| LoginError::Gateway(format!("opening the brokerage session: {e}")))
    }

    /// Stop the client's background work.
    pub(crate) fn shutdown(&self) {
        self.ibkr.shutdown();
    }
}
