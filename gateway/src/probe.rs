//! Asking a running gateway how it is: locally (does the JVM answer?), upstream (does it
//! reach IBKR?) and the session (logged in, brokerage session, competing).
//!
//! "Ready" is a TLS handshake and `GET /` answering a redirect (302 to `/sso/Login`), not
//! the banner the JVM prints: with a wrong keystore password the banner still prints and
//! nothing listens.

use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;

/// How long a local probe waits.
pub const LOCAL_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a proxied probe waits for IBKR before calling the gateway cut off.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(12);

/// The gateway's root URL on loopback.
pub fn root_url(port: u16) -> String {
    format!("https://localhost:{port}")
}

/// The API root on loopback.
pub fn api_url(port: u16) -> String {
    format!("https://localhost:{port}/v1/api")
}

/// An HTTP client builder with the SDK's default TLS trust (the gateway's self-signed
/// certificate on loopback, the Mozilla roots elsewhere); every HTTP client of this crate
/// starts here.
pub(crate) fn http_builder() -> Result<reqwest::ClientBuilder, String> {
    let tls = ibkr_ext::tls::client_config(&ibkr_ext::tls::TlsTrust::default())
        .map_err(|e| e.to_string())?;
    // The certificate is trusted for the name `localhost`: make that name mean this machine.
    Ok(ibkr_ext::tls::pin_loopback(
        ibkr_gen::http_client_builder().tls_backend_preconfigured(tls),
        "localhost",
    ))
}

fn client(timeout: Duration) -> Option<reqwest::Client> {
    http_builder()
        .ok()?
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .ok()
}

/// What `GET /` on the gateway found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Local {
    /// It answered a redirect to the login page: the JVM serves.
    Ready,
    /// It answered, but not as the gateway does.
    Unexpected {
        /// The HTTP status.
        status: u16,
    },
    /// It answered 404 `Access Denied`: the allow-list refuses this client.
    Refused,
    /// No TLS answer (nothing listens, a plain-HTTP server, a reset).
    Down {
        /// What failed.
        reason: String,
    },
}

/// `GET /` on the gateway at `port` over TLS, as the SDK's default trust does (loopback).
pub async fn local(port: u16) -> Local {
    let Some(client) = client(LOCAL_TIMEOUT) else {
        return Local::Down {
            reason: "no TLS client".into(),
        };
    };
    match client.get(format!("{}/", root_url(port))).send().await {
        Ok(r) if r.status().is_redirection() => Local::Ready,
        Ok(r) if r.status().as_u16() == 404 => {
            let body = r.bytes().await.unwrap_or_default();
            if body.trim_ascii() == b"Access Denied" {
                Local::Refused
            } else {
                Local::Unexpected { status: 404 }
            }
        }
        Ok(r) => Local::Unexpected {
            status: r.status().as_u16(),
        },
        Err(e) => Local::Down {
            reason: describe(&e),
        },
    }
}

/// What failed, without the URL: the innermost cause, else the kind of failure.
fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection refused"
    } else {
        "no answer"
    }
    .to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    text
}

/// The session as the gateway reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Session {
    /// `/tickle` answered: the login and brokerage session as IBKR reports them.
    Known {
        /// Logged in (SSO) and the brokerage session authenticated.
        authenticated: bool,
        /// Connected to IBKR's backend.
        connected: bool,
        /// Another session (TWS, mobile) holds the brokerage session.
        competing: bool,
        /// Logged in at all (the SSO session): false means a browser login is needed.
        logged_in: bool,
    },
    /// The gateway answers locally but IBKR does not answer through it.
    Unreachable,
    /// The allow-list refused this client.
    Refused {
        /// The address this client connected from, when known.
        client: Option<IpAddr>,
    },
    /// Something else went wrong; the text says what.
    Error {
        /// The error, as the SDK words it.
        message: String,
    },
}

impl Session {
    /// Logged in with a brokerage session that is ours.
    pub fn ready(&self) -> bool {
        matches!(
            self,
            Session::Known {
                authenticated: true,
                competing: false,
                ..
            }
        )
    }

    /// Why the session is not ready, for people (`None` when it is).
    pub fn why_not_ready(&self) -> Option<String> {
        Some(match self {
            Session::Known {
                logged_in: false, ..
            } => "not logged in: open the login URL in a browser on this machine".into(),
            Session::Known {
                competing: true, ..
            } => "another session (TWS, IBKR Mobile, another gateway) holds the brokerage session"
                .into(),
            Session::Known {
                authenticated: false,
                ..
            } => "logged in, but the brokerage session is not open".into(),
            Session::Known { .. } => return None,
            Session::Unreachable => "the gateway cannot reach IBKR".into(),
            Session::Refused { .. } => "the gateway's allow-list refuses this client".into(),
            Session::Error { message } => message.clone(),
        })
    }
}

/// A client for the gateway at `port` with a short timeout and no keeper, for probes.
pub fn sdk(port: u16, local_address: Option<IpAddr>) -> ibkr_ext::Result<ibkr_ext::Ibkr> {
    let mut b = ibkr_ext::Ibkr::builder()
        .base_url(api_url(port))
        .without_keepalive()
        .retry(ibkr_ext::RetryPolicy::none())
        .timeout(Some(UPSTREAM_TIMEOUT + Duration::from_secs(8)));
    if let Some(ip) = local_address {
        b = b.local_address(ip);
    }
    b.build()
}

/// `POST /tickle` through the SDK: the session's state, or why it is unknown.
pub async fn session(ibkr: &ibkr_ext::Ibkr) -> Session {
    match ibkr.tickle().await {
        Ok(state) => Session::Known {
            authenticated: state.authenticated,
            connected: state.connected,
            competing: state.competing,
            logged_in: true,
        },
        Err(ibkr_ext::Error::NotAuthenticated { .. }) => Session::Known {
            authenticated: false,
            connected: false,
            competing: false,
            logged_in: false,
        },
        Err(ibkr_ext::Error::UpstreamUnreachable { .. }) => Session::Unreachable,
        Err(ibkr_ext::Error::AccessDenied { client, .. }) => Session::Refused { client },
        Err(e) => Session::Error {
            message: e.to_string(),
        },
    }
}
