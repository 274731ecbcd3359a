//! IBKR's error bodies. They are not declared in the documents (they differ by endpoint,
//! and a 429 or a proxy's 503 has no JSON at all), so a non-2xx response reaches the caller
//! raw; this reads what IBKR puts in it.

use serde::Deserialize;

/// An error body as IBKR sends it: `{"error": "Bad Request: no bridge", "statusCode": 400}`,
/// `{"error": "reply id not found: '…'"}`, an order reject `{"error": "…"}` (with HTTP 200),
/// or OAuth's `{"message": "…"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ErrorBody {
    /// The error text.
    #[serde(default)]
    pub error: Option<String>,
    /// The status IBKR repeats inside some bodies.
    #[serde(default, rename = "statusCode")]
    pub status_code: Option<u16>,
    /// Some endpoints (OAuth, account management) say `message` instead of `error`.
    #[serde(default)]
    pub message: Option<String>,
}

impl ErrorBody {
    /// Read an error body; `None` when the body is empty, not JSON (an HTML page), or a
    /// JSON value without an error text.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let parsed: Self = serde_json::from_slice(body).ok()?;
        parsed.text().is_some().then_some(parsed)
    }

    /// The error text, whichever field carries it.
    pub fn text(&self) -> Option<&str> {
        self.error.as_deref().or(self.message.as_deref())
    }

    /// IBKR's "no brokerage session" answer from `/iserver` (`no bridge`).
    pub fn is_no_bridge(&self) -> bool {
        self.text()
            .is_some_and(|t| mentions_no_bridge(t.as_bytes()))
    }

    /// The answer to a reply whose id is stale or unknown.
    pub fn is_reply_id_not_found(&self) -> bool {
        self.text()
            .is_some_and(|t| t.to_ascii_lowercase().contains("reply id not found"))
    }
}

/// Whether `text` carries IBKR's `no bridge` (any case): the wire checks raw bodies with it,
/// [`ErrorBody::is_no_bridge`] parsed ones.
pub(crate) fn mentions_no_bridge(text: &[u8]) -> bool {
    const NEEDLE: &[u8] = b"no bridge";
    text.windows(NEEDLE.len())
        .any(|w| w.eq_ignore_ascii_case(NEEDLE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_that_are_not_error_json_give_none() {
        assert_eq!(ErrorBody::parse(b""), None);
        assert_eq!(
            ErrorBody::parse(b"<html><body>Service Unavailable</body></html>"),
            None
        );
        assert_eq!(ErrorBody::parse(b"{\"orders\": []}"), None);
    }

    #[test]
    fn no_bridge_is_recognised() {
        let b =
            ErrorBody::parse(br#"{"error":"Bad Request: no bridge","statusCode":400}"#).unwrap();
        assert!(b.is_no_bridge());
        assert_eq!(b.status_code, Some(400));
    }
}
