//! The text OAuth 1.0a signs and sends: percent-encoding, the signature base string and
//! the `Authorization: OAuth ...` header.

use std::fmt::Write as _;

/// RFC 3986 percent-encoding: unreserved characters (`A-Z a-z 0-9 - . _ ~`) stay, every
/// other byte becomes `%XX` (upper-case hex).
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(HEX[(byte >> 4) as usize] as char);
            out.push(HEX[(byte & 0x0f) as usize] as char);
        }
    }
    out
}

/// The URL as it enters the base string: scheme, host, port (only when not the default)
/// and path; the query string is left out, as production accepts it.
pub(crate) fn base_url(url: &url::Url) -> String {
    let mut out = String::with_capacity(url.as_str().len());
    out.push_str(url.scheme());
    out.push_str("://");
    out.push_str(url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        let _ = write!(out, ":{port}");
    }
    out.push_str(url.path());
    out
}

/// `METHOD&pct(url)&pct(k=v&k=v...)` with the parameters sorted by name (then value),
/// each name and value percent-encoded first. The LST request puts the prepend in front.
pub(crate) fn base_string(method: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    sorted.sort();
    let mut joined = String::with_capacity(256);
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            joined.push('&');
        }
        joined.push_str(k);
        joined.push('=');
        joined.push_str(v);
    }
    let mut out = String::with_capacity(method.len() + url.len() * 3 / 2 + joined.len() * 3 / 2);
    out.push_str(&method.to_ascii_uppercase());
    out.push('&');
    out.push_str(&percent_encode(url));
    out.push('&');
    out.push_str(&percent_encode(&joined));
    out
}

/// `OAuth realm="...", k="v", ...`: the parameters sorted by name, values quoted as given
/// (the signature is already percent-encoded).
pub(crate) fn authorization_header(realm: &str, params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<&(&str, &str)> = params.iter().collect();
    sorted.sort();
    let mut out = String::with_capacity(64 + params.len() * 48);
    out.push_str("OAuth realm=\"");
    out.push_str(realm);
    out.push('"');
    for (k, v) in sorted {
        out.push_str(", ");
        out.push_str(k);
        out.push_str("=\"");
        out.push_str(v);
        out.push('"');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_only_rfc3986_unreserved_characters() {
        // Vectors of the OAuth note (public; see testdata/SOURCES.md).
        assert_eq!(percent_encode("abc+/=&123"), "abc%2B%2F%3D%26123");
        assert_eq!(percent_encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(percent_encode("AAAA/BBBB+CCC="), "AAAA%2FBBBB%2BCCC%3D");
        assert_eq!(percent_encode("é "), "%C3%A9%20");
    }

    #[test]
    fn base_string_matches_the_public_vector() {
        let url = url::Url::parse("https://api.ibkr.com/v1/api/portfolio/accounts?x=1").unwrap();
        let params = [
            ("oauth_consumer_key", "TESTCONS"),
            ("oauth_nonce", "b2490f57a3b0"),
            ("oauth_signature_method", "HMAC-SHA256"),
            ("oauth_timestamp", "1714489440"),
            ("oauth_token", "a1b2c3d4e5f60718293a"),
        ];
        assert_eq!(
            base_string("GET", &base_url(&url), &params),
            include_str!("testdata/base_string.txt").trim_end()
        );
    }

    #[test]
    fn base_url_keeps_a_non_default_port_and_drops_the_query() {
        let url = url::Url::parse("http://127.0.0.1:5001/v1/api/tickle?a=b").unwrap();
        assert_eq!(base_url(&url), "http://127.0.0.1:5001/v1/api/tickle");
        let url = url::Url::parse("https://api.ibkr.com:443/v1/api").unwrap();
        assert_eq!(base_url(&url), "https://api.ibkr.com/v1/api");
    }

    #[test]
    fn the_header_sorts_parameters_and_quotes_values() {
        let h = authorization_header("limited_poa", &[("oauth_token", "t"), ("oauth_nonce", "n")]);
        assert_eq!(
            h,
            "OAuth realm=\"limited_poa\", oauth_nonce=\"n\", oauth_token=\"t\""
        );
    }
}
