//! Where requests go: the default hosts, the fallback between them, and which statement
//! URLs may be followed.

use crate::client::error::FlexError;
use reqwest::Url;
use std::net::IpAddr;

/// The current Flex Web Service base (SendRequest and GetStatement live below it).
pub const DEFAULT_BASE_URL: &str =
    "https://ndcdyn.interactivebrokers.com/AccountManagement/FlexWebService";

const HOSTS: [&str; 2] = [
    "ndcdyn.interactivebrokers.com",
    "gdcdyn.interactivebrokers.com",
];

/// `<base>/<operation>`.
pub(crate) fn join(base: &Url, operation: &str) -> Result<Url, FlexError> {
    let text = format!("{}/{operation}", base.as_str().trim_end_matches('/'));
    Url::parse(&text).map_err(|e| FlexError::Config(format!("bad base URL: {e}")))
}

/// The same URL on the other IB host (gdcdyn ↔ ndcdyn), for DNS/connection failures.
pub(crate) fn other_host(url: &Url) -> Option<Url> {
    let host = url.host_str()?;
    let index = HOSTS.iter().position(|h| h.eq_ignore_ascii_case(host))?;
    let mut other = url.clone();
    other.set_host(Some(HOSTS[1 - index])).ok()?;
    Some(other)
}

/// Whether a URL points at this machine.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Checks the `<Url>` of a SendRequest answer: followed only when it is https on
/// `*.interactivebrokers.com`, or loopback while the base itself is loopback (a local
/// simulator). Whitespace and newlines around it are ignored. The legacy servlet path
/// (which answers 1001 since May 2026) is mapped to the current one.
pub(crate) fn statement_url(raw: &str, base: &Url) -> Result<Url, FlexError> {
    let raw = raw.trim();
    let mut url = Url::parse(raw).map_err(|_| FlexError::ForeignUrl {
        host: "<unparseable URL>".to_owned(),
    })?;
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let trusted_ib = url.scheme() == "https"
        && (host == "interactivebrokers.com" || host.ends_with(".interactivebrokers.com"));
    let local = matches!(url.scheme(), "http" | "https") && is_loopback(&url) && is_loopback(base);
    if !trusted_ib && !local {
        return Err(FlexError::ForeignUrl { host });
    }
    if url.path().ends_with("FlexStatementService.GetStatement") {
        url.set_path("/AccountManagement/FlexWebService/GetStatement");
    }
    url.set_query(None);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse(DEFAULT_BASE_URL).unwrap()
    }

    #[test]
    fn ib_urls_are_followed_after_trimming() {
        let url = statement_url(
            "\n https://gdcdyn.interactivebrokers.com/AccountManagement/FlexWebService/GetStatement \n",
            &base(),
        )
        .unwrap();
        assert_eq!(url.host_str(), Some("gdcdyn.interactivebrokers.com"));
    }

    #[test]
    fn legacy_servlet_urls_map_to_the_current_path() {
        let url = statement_url(
            "https://gdcdyn.interactivebrokers.com/Universal/servlet/FlexStatementService.GetStatement",
            &base(),
        )
        .unwrap();
        assert_eq!(url.path(), "/AccountManagement/FlexWebService/GetStatement");
    }

    #[test]
    fn foreign_plain_http_and_lookalike_hosts_are_refused() {
        for url in [
            "https://evil.example.com/GetStatement",
            "http://gdcdyn.interactivebrokers.com/GetStatement",
            "https://interactivebrokers.com.evil.net/GetStatement",
            "https://127.0.0.1/GetStatement",
            "not a url",
        ] {
            assert!(
                matches!(
                    statement_url(url, &base()),
                    Err(FlexError::ForeignUrl { .. })
                ),
                "{url}"
            );
        }
    }

    #[test]
    fn loopback_is_followed_only_from_a_loopback_base() {
        let local = Url::parse("http://127.0.0.1:8080/fws").unwrap();
        for url in [
            "http://127.0.0.1:9/x",
            "http://localhost:9/x",
            "http://[::1]:9/x",
            "http://127.1.2.3/x",
        ] {
            assert!(statement_url(url, &local).is_ok(), "{url}");
        }
    }

    #[test]
    fn the_other_host_is_the_fallback() {
        let url = Url::parse("https://gdcdyn.interactivebrokers.com/a").unwrap();
        assert_eq!(
            other_host(&url).unwrap().host_str(),
            Some("ndcdyn.interactivebrokers.com")
        );
        assert!(other_host(&Url::parse("http://127.0.0.1/a").unwrap()).is_none());
    }
}
