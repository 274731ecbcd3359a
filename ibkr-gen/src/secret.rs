//! [`Secret`]: text that authenticates (a session id, a token, a key, a signature) and
//! therefore never prints.
//!
//! `Debug` and `Display` show `***`, whatever the value. Serde reads and writes the plain
//! text (the wire needs it), so a generated response type can hold a `Secret` field and
//! still decode. The text is wiped from memory when the value is dropped.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// Text that must never appear in `Debug`, `Display`, logs or errors.
///
/// ```
/// use ibkr_gen::Secret;
/// let session = Secret::new("ce109cbeb462a76dc3f6f4182c830cc1");
/// assert_eq!(format!("{session} {session:?}"), "*** Secret(***)");
/// assert_eq!(session.expose(), "ce109cbeb462a76dc3f6f4182c830cc1");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wrap `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    /// The text itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints_but_round_trips_through_serde() {
        let s: Secret = serde_json::from_str("\"tok-123\"").unwrap();
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(s.to_string(), "***");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"tok-123\"");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            session: Secret,
        }
        let h = Holder { session: s };
        assert!(!format!("{h:?}").contains("tok-123"));
    }
}
