//! Request URLs without re-parsing the base on every call.
//!
//! The generated code would format `"{base}/iserver/accounts"` and have `reqwest` parse the
//! whole string each time; parsing the scheme and host is most of that work, and the base
//! never changes. `build.rs` rewrites each call to [`Wire::endpoint`], which parses a base
//! once per session and joins the (already percent-encoded) path onto it.
//!
//! The path's parameters are percent-encoded, but not every character a URL reads as
//! structure is: a parameter `..` or `.` is a dot segment, which URL parsing removes along
//! with the segment before it, and a backslash is a `/` in an `http(s)` URL. Either would
//! let an argument (an order id, an account id) send the call to another path, so
//! [`Wire::endpoint`] refuses a path that holds one. No path template has one.

use std::sync::RwLock;

use reqwest::Url;

use super::{Wire, mask_accounts};

/// Parsed bases, one per distinct base string a session's clients use (the trading API and
/// the account-management API: two). Bounded, so a caller that builds clients for ever
/// new bases costs a parse per call, not memory.
#[derive(Default)]
pub(crate) struct Bases(RwLock<Vec<(String, Url)>>);

const MAX_BASES: usize = 8;

impl Bases {
    /// `f` of the parsed `base`, if it is cached (read in place: no copy per call).
    fn with<R>(&self, base: &str, f: impl FnOnce(&Url) -> R) -> Option<R> {
        let bases = self.0.read().unwrap_or_else(|e| e.into_inner());
        bases.iter().find(|(b, _)| b == base).map(|(_, u)| f(u))
    }

    fn parse(&self, base: &str) -> Result<Url, String> {
        let bad = |why: &str| format!("invalid base URL {base:?}: {why}");
        let parsed = Url::parse(base).map_err(|e| bad(&e.to_string()))?;
        if parsed.cannot_be_a_base() || parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad("it needs a scheme and host, and no query or fragment"));
        }
        // The base as a directory (`{base}/`), so that joining `./path` gives exactly what
        // parsing `{base}/path` gives, a doubled slash included when `base` ends in one.
        let dir = Url::parse(&format!("{base}/")).map_err(|e| bad(&e.to_string()))?;
        let mut bases = self.0.write().unwrap_or_else(|e| e.into_inner());
        if bases.len() < MAX_BASES && !bases.iter().any(|(b, _)| b == base) {
            bases.push((base.to_string(), dir.clone()));
        }
        Ok(dir)
    }
}

impl Wire {
    /// The URL of `path` (starting with `/`, percent-encoded) under `base`: the same URL
    /// `Url::parse(&format!("{base}{path}"))` gives, without parsing `base` again.
    /// A path with a dot segment or a backslash is refused (see the module docs).
    pub fn endpoint(&self, base: &str, path: &str) -> Result<Url, String> {
        if let Some(why) = redirecting(path) {
            return Err(format!(
                "refusing request path {}: {why}, which would send the call to another path",
                mask_accounts(path)
            ));
        }
        let relative = format!(".{path}");
        let join = |dir: &Url| {
            dir.join(&relative)
                .map_err(|e| format!("invalid request URL {base}{}: {e}", mask_accounts(path)))
        };
        match self.shared.bases.with(base, join) {
            Some(url) => url,
            None => join(&self.shared.bases.parse(base)?),
        }
    }
}

/// What in `path` would make URL parsing move the request elsewhere, if anything.
fn redirecting(path: &str) -> Option<&'static str> {
    if path.contains('\\') {
        return Some("a backslash (a `/` in an http URL)");
    }
    // The URL standard also reads `%2e` as a dot here.
    const DOTS: [&str; 6] = [".", "..", "%2e", ".%2e", "%2e.", "%2e%2e"];
    let dot = |s: &str| DOTS.iter().any(|d| s.eq_ignore_ascii_case(d));
    path.split('/')
        .skip(1)
        .any(dot)
        .then_some("a `.` or `..` segment")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the base and path, the joined URL is the one a full parse gives.
    #[test]
    fn endpoint_equals_parsing_the_whole_url() {
        let wire = Wire::default();
        let bases = [
            "https://localhost:5000/v1/api",
            "https://localhost:5000/v1/api/",
            "http://127.0.0.1:40321/v1/api",
            "https://api.ibkr.com",
            "https://api.ibkr.com/",
            "https://Api.IBKR.com:443/v1/api",
        ];
        let paths = [
            "/iserver/accounts",
            "/iserver/account/DU1234567/order/123",
            "/iserver/account/a%2Fb/orders",
            "/trsrv/secdef/schedule",
            "/iserver/account/a..b/orders",
            "/portfolio/%20DU1/positions/0",
            "/gw/api/v1/accounts",
            "/",
        ];
        for base in bases {
            for path in paths {
                // The generated code formats `{base}{path}`; a base ending in `/` gives `//`.
                let whole = Url::parse(&format!("{}{path}", base)).unwrap();
                // Twice: the first parses and caches the base, the second uses the cache.
                for _ in 0..2 {
                    assert_eq!(wire.endpoint(base, path).unwrap(), whole, "{base} + {path}");
                }
            }
        }
    }

    /// A parameter that URL parsing would read as structure never moves the call: the
    /// path is refused instead.
    #[test]
    fn dot_segments_and_backslashes_are_refused() {
        let wire = Wire::default();
        let base = "https://localhost:5000/v1/api";
        for path in [
            "/iserver/account/DU1/order/..",
            "/iserver/account/DU1/order/.",
            "/iserver/account/../order/1",
            "/iserver/account/DU1/order/%2e%2E",
            "/iserver/account/DU1/order/.%2e",
            "/iserver/account/DU1/order/1\\..\\..\\logout",
            "/iserver/reply/\\logout",
        ] {
            let err = wire.endpoint(base, path).expect_err(path);
            assert!(err.contains("another path"), "{path}: {err}");
        }
        // A dot inside a segment is just a character.
        for path in [
            "/iserver/account/DU1/order/1.5",
            "/iserver/account/DU1/order/...",
            "/x/.a",
        ] {
            assert!(wire.endpoint(base, path).is_ok(), "{path}");
        }
    }

    #[test]
    fn a_bad_base_is_an_error_not_a_panic() {
        let wire = Wire::default();
        for base in [
            "",
            "localhost:5000",
            "not a url",
            "mailto:me@example.com",
            "https://localhost:5000/v1/api?x=1",
            "https://localhost:5000/v1/api#top",
        ] {
            let err = wire.endpoint(base, "/iserver/accounts");
            if let Ok(url) = &err {
                // `localhost:5000` parses as scheme `localhost`; it cannot be a base.
                panic!("{base:?} gave {url}");
            }
        }
    }
}
