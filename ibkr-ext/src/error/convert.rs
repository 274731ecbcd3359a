//! From what the wire returned to this crate's [`Error`]: statuses and bodies, redirects
//! to the login page, the allow-list's `Access Denied`, and transport failures (a call
//! that may not be repeated and may have reached IBKR becomes [`Error::OutcomeUnknown`]).

use std::time::Duration;

use ibkr_gen::ErrorBody;

use super::redact::{excerpt, redact};
use super::{Error, TransportError};

impl Error {
    /// Build the error for a response with an error status.
    pub(crate) fn from_status(
        operation: &'static str,
        status: u16,
        retry_after: Option<Duration>,
        body: &[u8],
        login_url: &str,
    ) -> Error {
        let parsed = ErrorBody::parse(body);
        if status == 404 && body.trim_ascii() == ACCESS_DENIED {
            return Error::AccessDenied {
                operation,
                client: None,
            };
        }
        if status == 401 {
            return Error::NotAuthenticated {
                operation,
                login_url: login_url.to_string(),
            };
        }
        if status == 429 {
            return Error::RateLimited {
                operation,
                retry_after,
            };
        }
        if parsed.as_ref().is_some_and(ErrorBody::is_no_bridge) {
            return Error::NoBrokerageSession { operation };
        }
        Error::Api {
            operation,
            status,
            message: parsed.and_then(|b| b.text().map(redact)),
            excerpt: excerpt(body),
        }
    }

    /// Build the error for a response with an error status, reading its body.
    pub(crate) async fn from_response(
        operation: &'static str,
        response: reqwest::Response,
        login_url: &str,
    ) -> Error {
        if let Some(ibkr_gen::wire::NotSent::Signing(e)) =
            response.extensions().get::<ibkr_gen::wire::NotSent>()
        {
            return Error::NotSigned {
                operation,
                reason: redact(&e.to_string()),
            };
        }
        let status = response.status().as_u16();
        if response.status().is_redirection() && redirects_to_login(response.headers()) {
            return Error::NotAuthenticated {
                operation,
                login_url: login_url.to_string(),
            };
        }
        let retry_after = ibkr_gen::wire::retry_after(response.headers());
        let peer = response.remote_addr();
        match response.bytes().await {
            Ok(body) => {
                match Error::from_status(operation, status, retry_after, &body, login_url) {
                    Error::AccessDenied { operation, .. } => Error::AccessDenied {
                        operation,
                        client: peer.and_then(route_source),
                    },
                    other => other,
                }
            }
            Err(e) => Error::from_reqwest(operation, e),
        }
    }

    /// Convert what a generated method returned into this crate's error.
    pub(crate) async fn from_raw(
        operation: &'static str,
        err: ibkr_gen::Error<()>,
        login_url: &str,
    ) -> Error {
        use ibkr_gen::Error as Raw;
        match err {
            Raw::UnexpectedResponse(response) => {
                Error::from_response(operation, response, login_url).await
            }
            Raw::ErrorResponse(response) => {
                let status = response.status().as_u16();
                Error::from_status(operation, status, None, b"", login_url)
            }
            Raw::InvalidResponsePayload(body, e) => Error::Decode {
                operation,
                status: 200,
                reason: e.to_string(),
                excerpt: excerpt(&body),
            },
            Raw::CommunicationError(e) | Raw::ResponseBodyError(e) => {
                Error::from_reqwest(operation, e)
            }
            Raw::InvalidRequest(reason) => Error::InvalidRequest { operation, reason },
            Raw::InvalidUpgrade(e) => Error::from_reqwest(operation, e),
            Raw::Custom(reason) => Error::InvalidRequest { operation, reason },
        }
    }

    pub(crate) fn from_reqwest(operation: &'static str, e: reqwest::Error) -> Error {
        // A call that must not be repeated, and that may have reached IBKR: say so.
        let repeatable = ibkr_gen::operations::find(operation).is_some_and(|o| o.idempotent);
        if !repeatable
            && !e.is_connect()
            && !e.is_builder()
            && (e.is_timeout() || e.is_request() || e.is_body())
        {
            let reason = if e.is_timeout() {
                "timed out".to_string()
            } else {
                e.without_url().to_string()
            };
            return Error::OutcomeUnknown { operation, reason };
        }
        if e.is_timeout() {
            return Error::Timeout { operation };
        }
        if e.is_decode() {
            return Error::Decode {
                operation,
                status: e.status().map_or(200, |s| s.as_u16()),
                reason: e.without_url().to_string(),
                excerpt: String::new(),
            };
        }
        Error::Transport {
            operation,
            source: TransportError::from(e),
        }
    }
}

/// The whole body the Client Portal Gateway answers (with HTTP 404, no content type) to a
/// client its allow-list refuses.
pub(crate) const ACCESS_DENIED: &[u8] = b"Access Denied";

/// Whether a redirect goes to the gateway's login page (`/sso/Login`): not logged in.
pub(crate) fn redirects_to_login(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .is_some_and(is_login_location)
}

/// Whether a redirect target is the gateway's login page.
pub(crate) fn is_login_location(location: &str) -> bool {
    let path = location.split_once("://").map_or(location, |(_, rest)| {
        rest.find('/').map_or("", |i| &rest[i..])
    });
    path.starts_with("/sso/Login")
}

/// The local address the route to `peer` leaves from: what the gateway sees as this
/// client (a UDP "connect" picks the route and sends nothing).
pub(crate) fn route_source(peer: std::net::SocketAddr) -> Option<std::net::IpAddr> {
    let any: std::net::SocketAddr = if peer.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = std::net::UdpSocket::bind(any).ok()?;
    socket.connect(peer).ok()?;
    socket.local_addr().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping_names_the_operation_and_says_what_to_do() {
        let e = Error::from_status("getAccounts", 401, None, b"", "https://localhost:5000");
        assert!(e.is_auth());
        assert_eq!(
            e.to_string(),
            "getAccounts: not logged in: open https://localhost:5000 in a browser and log in"
        );
        let e = Error::from_status(
            "getAccounts",
            400,
            None,
            br#"{"error":"Bad Request: no bridge","statusCode":400}"#,
            "",
        );
        assert!(matches!(
            e,
            Error::NoBrokerageSession {
                operation: "getAccounts"
            }
        ));
        let e = Error::from_status("getMarketDataHistory", 429, None, b"", "");
        assert!(e.is_rate_limited() && e.is_retryable());
        let e = Error::from_status("getLedger", 503, None, b"<html>down</html>", "");
        assert!(e.is_retryable());
        assert_eq!(e.status(), Some(503));
    }
}
