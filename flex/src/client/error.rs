//! Errors of the Flex Web Service client, each saying what to do next. None of them
//! contains the token or a request URL.

use crate::client::error_code::FlexErrorCode;
use crate::parse::error::ParseError;
use std::time::Duration;

/// Why fetching a Flex statement failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlexError {
    /// The service answered with an `ErrorCode`.
    #[error("Flex Web Service error {code}: {message} ({})", code.advice())]
    Service {
        /// The code.
        code: FlexErrorCode,
        /// `ErrorMessage` as sent.
        message: String,
    },
    /// The overall deadline passed while waiting for the statement.
    #[error(
        "gave up after {waited:?} waiting for the statement (last answer: {last}); raise PollPolicy::deadline for large queries"
    )]
    DeadlineExceeded {
        /// Time spent.
        waited: Duration,
        /// The last error code or state seen.
        last: String,
    },
    /// The body is not a Flex XML document (an HTML error page, an empty body, …).
    /// Permanent: check the base URL.
    #[error(
        "the Flex Web Service answered with {what} (HTTP {status}), not Flex XML; check the base URL"
    )]
    NotXml {
        /// What came back.
        what: String,
        /// HTTP status code.
        status: u16,
    },
    /// The statement `<Url>` points somewhere other than IB (or loopback for a simulator).
    #[error(
        "refusing to follow the statement URL to host `{host}`: only https://*.interactivebrokers.com is trusted"
    )]
    ForeignUrl {
        /// The host it named.
        host: String,
    },
    /// The envelope lacks what it must carry.
    #[error("unexpected Flex Web Service response: {0}")]
    Envelope(String),
    /// The HTTP exchange failed (the URL, which holds the token, is stripped).
    #[error("HTTP request to the Flex Web Service failed: {0}")]
    Http(#[source] reqwest::Error),
    /// The client could not be configured.
    #[error("invalid Flex client configuration: {0}")]
    Config(String),
    /// The statement was fetched but is not valid Flex XML.
    #[error("the statement could not be parsed: {0}")]
    Parse(#[from] ParseError),
}

impl FlexError {
    /// Whether trying again later can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            FlexError::Service { code, .. } => code.is_retryable(),
            FlexError::Http(error) => error.is_connect() || error.is_timeout(),
            _ => false,
        }
    }

    /// The service error code, if this is a service error.
    pub fn code(&self) -> Option<&FlexErrorCode> {
        match self {
            FlexError::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Wraps a reqwest error after removing its URL (which contains the token).
    pub(crate) fn http(error: reqwest::Error) -> Self {
        FlexError::Http(error.without_url())
    }
}
