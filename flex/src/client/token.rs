//! The Flex Web Service token, kept out of every `Debug`, log line and error.

use std::fmt;

/// A Flex Web Service token (Account Management → Flex Web Service). It is a secret:
/// `Debug` prints `FlexToken(***)`, and there is no `Display`.
///
/// ```
/// let token = ibkr_flex::FlexToken::new("123456789012345678901234");
/// assert_eq!(format!("{token:?}"), "FlexToken(***)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct FlexToken(String);

impl FlexToken {
    /// Wraps the token text (surrounding whitespace is trimmed).
    pub fn new(token: impl Into<String>) -> Self {
        let token = token.into();
        FlexToken(token.trim().to_owned())
    }

    /// The token text, for building the request. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for FlexToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FlexToken(***)")
    }
}

impl From<String> for FlexToken {
    fn from(token: String) -> Self {
        FlexToken::new(token)
    }
}

impl From<&str> for FlexToken {
    fn from(token: &str) -> Self {
        FlexToken::new(token)
    }
}
