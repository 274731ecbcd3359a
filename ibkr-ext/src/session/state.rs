//! [`SessionState`]: what the gateway last said about the session, and the keeper's schedule.

use std::time::Duration;

use serde_json::Value;
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

    /// Read the state from an auth-status body (`/iserver/auth/status`, `ssodh/init`, or
    /// the `iserver.authStatus` of a tickle).
    pub(crate) fn from_auth_status(v: &Value) -> Self {
        let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
        SessionState {
            logged_in: true,
            authenticated: flag("authenticated"),
            competing: flag("competing"),
            connected: flag("connected"),
            message: v
                .get("message")
                .and_then(Value::as_str)
                .filter(|m| !m.is_empty())
                .map(String::from),
        }
    }

    /// Read the state from a tickle answer; one without `iserver.authStatus` means the SSO
    /// session is alive but no brokerage session exists.
    pub(crate) fn from_tickle(v: &Value) -> Self {
        match v.pointer("/iserver/authStatus") {
            Some(status) => Self::from_auth_status(status),
            None => SessionState {
                logged_in: v.get("error").is_none(),
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

/// Send `next` on `state` only if it differs from the current state.
pub(crate) fn publish(state: &watch::Sender<SessionState>, next: SessionState) {
    state.send_if_modified(|current| {
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
        *current = next;
        true
    });
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
        let s = SessionState::from_tickle(&tickle);
        assert!(s.is_healthy());
        assert_eq!(s.message, None);
        let competing = serde_json::json!({"iserver": {"authStatus": {"authenticated": true, "competing": true, "connected": true}}});
        assert!(!SessionState::from_tickle(&competing).is_healthy());
    }
}
