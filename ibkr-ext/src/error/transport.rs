//! [`TransportError`]: a connection that could not be made or broke, as this crate's own
//! type, so that the HTTP stack underneath (reqwest, hyper, rustls) is not part of this
//! crate's API.

use std::fmt;

/// What kind of transport failure it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// No connection could be made (nothing listens, refused, DNS, TLS handshake).
    Connect,
    /// The request could not be sent whole, or the connection broke before an answer.
    Request,
    /// The answer's body broke off.
    Body,
    /// A redirect could not be followed (a loop, too many).
    Redirect,
    /// Anything else the HTTP stack reported.
    Other,
}

/// The connection failed or broke. Its message never carries the URL (nor, through it, a
/// query string with a token); the underlying error stays reachable through
/// [`std::error::Error::source`] for logs.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl TransportError {
    /// What kind of failure it was.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }

    /// No connection could be made: nothing was sent.
    pub fn is_connect(&self) -> bool {
        self.kind == TransportKind::Connect
    }

    /// The TLS certificate was refused (anywhere in the error's chain): the remedy is to
    /// trust or pin the gateway's certificate, not to wait.
    pub fn is_certificate(&self) -> bool {
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(err) = next {
            if err.to_string().to_ascii_lowercase().contains("certificate") {
                return true;
            }
            next = err.source();
        }
        false
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<reqwest::Error> for TransportError {
    fn from(e: reqwest::Error) -> Self {
        let e = e.without_url();
        let kind = if e.is_connect() {
            TransportKind::Connect
        } else if e.is_body() || e.is_decode() {
            TransportKind::Body
        } else if e.is_redirect() {
            TransportKind::Redirect
        } else if e.is_request() {
            TransportKind::Request
        } else {
            TransportKind::Other
        };
        TransportError {
            kind,
            message: e.to_string(),
            source: Some(Box::new(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_error_without_its_url() {
        // A port nothing listens on: bind one, then close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/v1/api/x?oauth_token=SECRET");
        let client = ibkr_gen::http_client_builder().build().unwrap();
        let e = client.get(&url).send().await.unwrap_err();
        let t = TransportError::from(e);
        assert_eq!(t.kind(), TransportKind::Connect);
        assert!(t.is_connect() && !t.is_certificate());
        let shown = format!("{t} {t:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(std::error::Error::source(&t).is_some());
    }
}
