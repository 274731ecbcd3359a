//! [`SessionState`]: what the gateway last said about the session, and the keeper's schedule.

use std::time::Duration;

use ibkr_gen::trading::types::{BrokerageSessionStatus, TickleResponse};
use tokio::sync::watch;

/// What the gateway last said about the session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionState {
    /// The gateway answered at all with a logged-in (SSO) session; false after a 401.
    pub logged_in: bool,
    /// A brokerage session exists (`/iserver` works).
    pub authenticated: bool,
    /// Another session (TWS, mobile, another gateway) competes for the brokerage session.
    pub competing: bool,
    /// The gateway is connected to IBKR's back end.
    pub connected: bool,
    /// IBKR's message, if any.
    pub message: Option<String>,
}

impl SessionState {
    /// Ready to trade: authenticated, connected and not competing (ibind's rule).
    pub fn is_healthy(&self) -> bool {
        self.logged_in && self.authenticated && self.connected && !self.competing
    }
}

/// The state an auth-status answer reports (`/iserver/auth/status`, `ssodh/init`, or the
/// `iserver.authStatus` of a tickle).
impl From<&BrokerageSessionStatus> for SessionState {
    fn from(status: &BrokerageSessionStatus) -> Self {
        SessionState {
            logged_in: true,
            authenticated: status.authenticated.unwrap_or(false),
            competing: status.competing.unwrap_or(false),
            connected: status.connected.unwrap_or(false),
            message: status.message.clone().filter(|m| !m.is_empty()),
        }
    }
}

/// The state a tickle answer reports; one without `iserver.authStatus` means the SSO session
/// is alive but no brokerage session exists. Only the typed status fields are read: the
/// answer's session id (a [`Secret`](ibkr_gen::Secret)) is never copied.
impl From<&TickleResponse> for SessionState {
    fn from(tickle: &TickleResponse) -> Self {
        match tickle.iserver.as_ref().and_then(|i| i.auth_status.as_ref()) {
            Some(status) => Self::from(status),
            None => SessionState {
                logged_in: tickle.error.is_none(),
                ..Default::default()
            },
        }
    }
}

/// The keeper's schedule.
#[derive(Clone, Copy, Debug)]
pub struct KeeperConfig {
    /// Time between tickles (IBKR: about every 60 s).
    pub interval: Duration,
}

impl Default for KeeperConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(60),
        }
    }
}

/// The one owner of the session's state: every answer that says something about the
/// session (the keeper's tickles, callers' tickles and auth-status calls, `ssodh/init`, a
/// 401) goes through [`StateCell::observe`], and watchers see a change only when the state
/// actually changed.
#[derive(Clone)]
pub(crate) struct StateCell(watch::Sender<SessionState>);

impl Default for StateCell {
    fn default() -> Self {
        StateCell(watch::channel(SessionState::default()).0)
    }
}

impl StateCell {
    /// Take note of what an answer says about the session, and return it.
    pub(crate) fn observe(&self, answer: impl Into<SessionState>) -> SessionState {
        let next = answer.into();
        self.0.send_if_modified(|current| {
            if *current == next {
                return false;
            }
            tracing::info!(
                authenticated = next.authenticated,
                competing = next.competing,
                connected = next.connected,
                logged_in = next.logged_in,
                "session state changed"
            );
            *current = next.clone();
            true
        });
        next
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<SessionState> {
        self.0.subscribe()
    }

    pub(crate) fn current(&self) -> SessionState {
        self.0.borrow().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_read_from_a_real_tickle() {
        // ibind's recorded tickle (tests/fixtures/responses/tickle/rec_ibind_fixture.json).
        let tickle = serde_json::json!({"collission": false, "hmds": {"error": "no bridge"},
            "iserver": {"authStatus": {"MAC": "F4:03:43:CD:BD:C0", "authenticated": true, "competing": false,
            "connected": true, "message": "", "serverInfo": {"serverName": "JifC11113"}}},
            "session": "ce109cbeb462a76dc3f6f4182c830cc1", "ssoExpires": 585695, "userId": 99996016});
        let tickle: TickleResponse = serde_json::from_value(tickle).unwrap();
        let s = SessionState::from(&tickle);
        assert!(s.is_healthy());
        assert_eq!(s.message, None);
        let competing = serde_json::json!({"iserver": {"authStatus": {"authenticated": true, "competing": true, "connected": true}}});
        let competing: TickleResponse = serde_json::from_value(competing).unwrap();
        assert!(!SessionState::from(&competing).is_healthy());
    }
}
