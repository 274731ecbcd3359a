//! [`SessionCore`]: the brokerage session's single-flight opener, the state channel and the
//! keeper switch; the wire's [`SessionRecovery`] hook. It holds data only (see the parent
//! module for the ordering rule).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::future::Either;
use ibkr_gen::trading;
use ibkr_gen::wire::{Link, RecoveryFuture, SessionRecovery};
use serde_json::json;
use tokio::sync::watch;

use super::keeper;
use super::state::{KeeperConfig, SessionState, StateCell};
use super::upstream::UpstreamWatch;
use crate::error::{Error, Result};
use crate::oauth::Authority;

/// How long `ssodh/init` may take to report the brokerage session authenticated.
const INIT_POLLS: u32 = 10;
const INIT_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The session's configuration, fixed when the client is built; kept here and nowhere else.
pub(crate) struct SessionConfig {
    /// The API root (`https://localhost:5000/v1/api`).
    pub(crate) base_url: String,
    /// The gateway's root, where a user logs in.
    pub(crate) login_url: String,
    /// Whether opening the brokerage session may take it from another session.
    pub(crate) compete: bool,
    /// The keeper's schedule, if it runs.
    pub(crate) keeper: Option<KeeperConfig>,
    /// The OAuth login, if any (data only: it never holds a client).
    pub(crate) authority: Option<Arc<dyn Authority>>,
    /// The address this client's sockets bind to, when configured.
    pub(crate) local_address: Option<std::net::IpAddr>,
}

pub(crate) struct SessionCore {
    config: SessionConfig,
    state: StateCell,
    /// One brokerage-session opener at a time; always taken after the lane.
    opening: tokio::sync::Mutex<()>,
    keeper_started: AtomicBool,
    stop: watch::Sender<bool>,
    /// The local gateway's upstream watchdog (gateway sessions only).
    upstream: Option<UpstreamWatch>,
}

impl SessionCore {
    pub(crate) fn new(config: SessionConfig, upstream: Option<UpstreamWatch>) -> Self {
        Self {
            config,
            state: StateCell::default(),
            opening: tokio::sync::Mutex::new(()),
            keeper_started: AtomicBool::new(false),
            stop: watch::channel(false).0,
            upstream,
        }
    }

    /// The session's configuration.
    pub(crate) fn config(&self) -> &SessionConfig {
        &self.config
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<SessionState> {
        self.state.subscribe()
    }

    pub(crate) fn current(&self) -> SessionState {
        self.state.current()
    }

    pub(crate) fn closing(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Take note of what an answer says about the session (see [`StateCell::observe`]).
    pub(crate) fn observe(&self, answer: impl Into<SessionState>) -> SessionState {
        self.state.observe(answer)
    }

    /// Stop the keeper (and anything else that watches `closing`).
    pub(crate) fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Start the keeper on the current runtime, once; a no-op outside a runtime (the
    /// wire calls this again before every request).
    pub(crate) fn start_keeper(&self, client: &trading::Client) {
        let Some(config) = self.config.keeper else {
            return;
        };
        if *self.stop.borrow() || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        if self.keeper_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let client = client.with_wire(client.wire().detached());
        keeper::spawn(client, config, self.state.clone(), self.stop.subscribe());
    }

    /// Make sure `/iserver` works: open the brokerage session if it is not authenticated
    /// (`ssodh/init`) and wait, bounded, until IBKR says so. Takes the lane shared first
    /// (or uses the one `client` holds), then the single-flight lock, so concurrent callers
    /// share one attempt and an order loop is never interleaved.
    pub(crate) async fn ensure_brokerage(&self, client: &trading::Client) -> Result<SessionState> {
        crate::exclusive::check(self, client.wire(), "initBrokerageSession")?;
        let wire = client.wire().shared_lane().await.without_recovery();
        let client = client.with_wire(wire);
        let _one_at_a_time = self.opening.lock().await;
        let state = self.auth_status(&client).await?;
        if state.authenticated && !state.competing {
            return Ok(state);
        }
        let body: trading::types::BrokerageSessionInitRequest =
            serde_json::from_value(json!({"publish": true, "compete": self.config.compete}))
                .map_err(|e| Error::Config(e.to_string()))?;
        let init = client.init_brokerage_session().body(body).send();
        let init = self
            .checked("initBrokerageSession", init)
            .await
            .map_err(|e| self.brokerage_advice(e))?;
        let mut state = SessionState::from(&init);
        for _ in 0..INIT_POLLS {
            if state.authenticated {
                break;
            }
            tokio::time::sleep(INIT_POLL_INTERVAL).await;
            state = self.auth_status(&client).await?;
        }
        let state = self.observe(state);
        if !state.authenticated {
            return Err(Error::NoBrokerageSession {
                operation: "initBrokerageSession",
            });
        }
        Ok(state)
    }

    /// `POST /iserver/auth/status`, published.
    pub(crate) async fn auth_status(&self, client: &trading::Client) -> Result<SessionState> {
        let status = client.get_auth_status().send();
        let status = self.checked("getAuthStatus", status).await?;
        Ok(self.observe(&status))
    }

    /// A generated call's result as this crate's error; a 401 marks the session logged out.
    pub(crate) async fn checked<T>(
        &self,
        operation: &'static str,
        call: impl std::future::Future<
            Output = std::result::Result<ibkr_gen::ResponseValue<T>, ibkr_gen::Error<()>>,
        >,
    ) -> Result<T> {
        match self.guarded(operation, call).await {
            Ok(Ok(v)) => Ok(v.into_inner()),
            Ok(Err(e)) => {
                Err(self.noted(Error::from_raw(operation, e, &self.config.login_url).await))
            }
            Err(e) => Err(e),
        }
    }

    /// Await a call of `operation`, given up early with [`Error::UpstreamUnreachable`] when
    /// it stalls on a gateway cut off from IBKR (see the `upstream` module), and with
    /// [`Error::OutsideExclusiveLane`] when it would wait for a lane its own task holds
    /// (see the `exclusive` module).
    pub(crate) fn guarded<'a, T: 'a>(
        &'a self,
        operation: &'static str,
        call: impl std::future::Future<Output = T> + 'a,
    ) -> impl std::future::Future<Output = Result<T>> + 'a {
        let held = crate::exclusive::held(self);
        let guarded = async move {
            match &self.upstream {
                Some(watch) => watch.guard(operation, call).await,
                None => Ok(call.await),
            }
        };
        // Outside `exclusive` (nearly every call) the future is the guard alone, as small
        // and as shallow as it was: futures nest deep, and debug builds run them on the
        // test threads' 2 MB stacks. Inside, the watch is boxed.
        if held {
            Either::Right(Box::pin(async move {
                crate::exclusive::watched(self, operation, guarded).await?
            }))
        } else {
            Either::Left(guarded)
        }
    }

    /// Take note of what an error says about the session (a 401: logged out). Over OAuth
    /// there is no browser to log in with: a 401 (which the wire met after renewing the
    /// token, for a call it could repeat) says what the login last failed at.
    pub(crate) fn noted(&self, err: Error) -> Error {
        if let Error::AccessDenied { operation, client } = err {
            return Error::AccessDenied {
                operation,
                client: self.config.local_address.or(client),
            };
        }
        if !matches!(err, Error::NotAuthenticated { .. }) {
            return err;
        }
        self.observe(SessionState::default());
        match &self.config.authority {
            Some(a) => Error::OAuth {
                step: "OAuth session",
                reason: match a.last_failure() {
                    Some(why) => format!("IBKR answered 401; the last renewal failed: {why}"),
                    None => "IBKR answered 401 with a fresh token: check that the consumer and access \
                             token are still enabled in IBKR's portal, or regenerate the access token"
                        .to_string(),
                },
            },
            None => err,
        }
    }

    /// `ssodh/init` over OAuth fails in ways with their own remedy (the paper-account 500,
    /// a 410): say it.
    fn brokerage_advice(&self, err: Error) -> Error {
        let Some(_) = &self.config.authority else {
            return err;
        };
        let advice = match &err {
            Error::Api {
                status,
                message,
                excerpt,
                ..
            } => {
                crate::oauth::for_brokerage_session(*status, message.as_deref().unwrap_or(excerpt))
            }
            _ => None,
        };
        match advice {
            Some(reason) => Error::OAuth {
                step: "brokerage session (ssodh/init)",
                reason,
            },
            None => err,
        }
    }

    fn client_for(&self, link: Link<'_>) -> trading::Client {
        trading::Client::new_with_client(
            &self.config.base_url,
            link.http.clone(),
            link.wire.clone(),
        )
    }
}

impl SessionRecovery for SessionCore {
    fn recover<'a>(&'a self, link: Link<'a>) -> RecoveryFuture<'a> {
        Box::pin(async move {
            let client = self.client_for(link);
            match self.ensure_brokerage(&client).await {
                Ok(state) => state.authenticated,
                Err(e) => {
                    tracing::warn!(error = %e, "could not reopen the brokerage session");
                    false
                }
            }
        })
    }

    fn attempt_starting(&self, link: Link<'_>) {
        crate::exclusive::attempt_starting(self, link.wire);
        if self.config.keeper.is_some() && !self.keeper_started.load(Ordering::Acquire) {
            self.start_keeper(&self.client_for(link));
        }
    }
}
