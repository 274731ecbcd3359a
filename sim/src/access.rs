//! The gateway's IP allow-list (`conf.yaml`'s `ips.allow` / `ips.deny`), as the real build
//! applies it (`gateway.md` §2 "ips", every row observed on the 2023-04-24 build):
//!
//! - the client is the TCP peer address; `X-Forwarded-For` is ignored;
//! - `deny` is checked first, then `allow`;
//! - an entry is an exact address (`127.0.0.1`) or a prefix with one trailing `*`
//!   (`127.0.0.*`, `10.*`);
//! - any other entry with a dot is a regular expression with its dots escaped, matched against
//!   the whole address: CIDR (`127.0.0.0/8`) and `127.0.*.*` never match, `127.0.0.[0-9]+`
//!   does; an entry that is not a valid expression (`*`, `*.*.*.*`) makes every request that
//!   reaches it answer `500 Internal Server Error`;
//! - an entry without a dot (`::1`) is ignored;
//! - **with no deny list, everyone gets in**, whatever the allow list says (the real gateway
//!   fails open when `ips.deny` is absent).
//!
//! A refused client gets `404` with the 13-byte body `Access Denied` and no content type, on
//! every path.

use std::net::IpAddr;

use regex::Regex;

/// One compiled entry of `ips.allow` or `ips.deny`.
#[derive(Debug, Clone)]
enum Entry {
    /// No dot: the gateway logs `invalidate ip address` and never matches it.
    Ignored,
    /// A trailing `*`: the address starts with this prefix.
    Prefix(String),
    /// An exact address or any other dotted entry, as a whole-string expression.
    Pattern(Regex),
    /// Not a valid expression: the gateway's `PatternSyntaxException`, a 500 per request.
    Broken,
}

impl Entry {
    fn parse(entry: &str) -> Entry {
        let entry = entry.trim();
        if let Some(prefix) = entry.strip_suffix('*')
            && !prefix.is_empty()
            && !prefix.contains('*')
        {
            return Entry::Prefix(prefix.to_string());
        }
        if !entry.contains('.') && entry != "*" {
            return Entry::Ignored;
        }
        match Regex::new(&format!("^(?:{})$", entry.replace('.', "\\."))) {
            Ok(re) => Entry::Pattern(re),
            Err(_) => Entry::Broken,
        }
    }

    /// `Some(true)` on a match, `Some(false)` on none, `None` for a broken entry.
    fn matches(&self, ip: &str) -> Option<bool> {
        match self {
            Entry::Ignored => Some(false),
            Entry::Prefix(p) => Some(ip.starts_with(p.as_str())),
            Entry::Pattern(re) => Some(re.is_match(ip)),
            Entry::Broken => None,
        }
    }
}

/// What the allow-list decides for one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Served normally.
    Admit,
    /// `404 Access Denied`.
    Refuse,
    /// `500 Internal Server Error` (a broken entry was reached).
    Broken,
}

/// `ips.allow` and `ips.deny` as configured.
#[derive(Debug, Clone, Default)]
pub(crate) struct AccessList {
    allow: Vec<Entry>,
    /// `None`: no `deny` key, the gateway lets everyone in.
    deny: Option<Vec<Entry>>,
}

impl AccessList {
    pub(crate) fn new(allow: &[String], deny: Option<&[String]>) -> Self {
        AccessList {
            allow: allow.iter().map(|e| Entry::parse(e)).collect(),
            deny: deny.map(|d| d.iter().map(|e| Entry::parse(e)).collect()),
        }
    }

    /// Decide for a client connecting from `peer`.
    pub(crate) fn check(&self, peer: IpAddr) -> Verdict {
        let Some(deny) = &self.deny else {
            return Verdict::Admit;
        };
        // The gateway is IPv4-only; an IPv4-mapped IPv6 peer is its IPv4 address.
        let ip = match peer {
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map(|v4| v4.to_string())
                .unwrap_or_else(|| v6.to_string()),
            IpAddr::V4(v4) => v4.to_string(),
        };
        for entry in deny {
            match entry.matches(&ip) {
                None => return Verdict::Broken,
                Some(true) => return Verdict::Refuse,
                Some(false) => {}
            }
        }
        for entry in &self.allow {
            match entry.matches(&ip) {
                None => return Verdict::Broken,
                Some(true) => return Verdict::Admit,
                Some(false) => {}
            }
        }
        Verdict::Refuse
    }
}

#[cfg(test)]
mod tests {
    use super::{AccessList, Verdict};

    const DENY: &[&str] = &["212.90.324.10"];

    fn list(allow: &[&str], deny: Option<&[&str]>) -> AccessList {
        let allow: Vec<String> = allow.iter().map(|s| s.to_string()).collect();
        let deny: Option<Vec<String>> = deny.map(|d| d.iter().map(|s| s.to_string()).collect());
        AccessList::new(&allow, deny.as_deref())
    }

    fn verdicts(l: &AccessList) -> [Verdict; 3] {
        ["127.0.0.1", "127.0.0.2", "192.0.2.2"].map(|ip| l.check(ip.parse().unwrap()))
    }

    use Verdict::{Admit as OK, Broken as E500, Refuse as NO};

    /// allow, deny, and the verdicts for 127.0.0.1, 127.0.0.2 and 192.0.2.2.
    type Row<'a> = (&'a [&'a str], Option<&'a [&'a str]>, [Verdict; 3]);

    /// Every row of `gateway.md` §2's table, observed on the real gateway.
    #[test]
    fn the_rows_observed_on_the_real_gateway() {
        let rows: &[Row] = &[
            (&["127.0.0.1", "::1"], Some(DENY), [OK, NO, NO]),
            (&["127.0.0.*"], Some(DENY), [OK, OK, NO]),
            (&["127.0.*"], Some(DENY), [OK, OK, NO]),
            (&["127.*"], Some(DENY), [OK, OK, NO]),
            (&["127.0.0.0/8"], Some(DENY), [NO, NO, NO]),
            (&["0.0.0.0/0"], Some(DENY), [NO, NO, NO]),
            (&["127.0.*.*"], Some(DENY), [NO, NO, NO]),
            (&["*"], Some(DENY), [E500, E500, E500]),
            (&["*.*.*.*"], Some(DENY), [E500, E500, E500]),
            (&["127.0.0.*"], Some(&["127.0.0.2"]), [OK, NO, NO]),
            (&["127.0.0.1"], None, [OK, OK, OK]),
            (&[], None, [OK, OK, OK]),
        ];
        for (allow, deny, want) in rows {
            assert_eq!(
                verdicts(&list(allow, *deny)),
                *want,
                "allow {allow:?} deny {deny:?}"
            );
        }
        // The undocumented regex form: 127.0.0.1 and .2 get in (192.0.2.2 was not tried).
        let regex = list(&["127.0.0.[0-9]+"], Some(DENY));
        assert_eq!(verdicts(&regex)[..2], [OK, OK]);
    }

    #[test]
    fn ibeams_deny_everything_cidr_does_nothing_and_mapped_v6_is_v4() {
        let l = list(&["127.0.0.1"], Some(&["0.0.0.0/0"]));
        assert_eq!(l.check("127.0.0.1".parse().unwrap()), OK);
        assert_eq!(l.check("::ffff:127.0.0.1".parse().unwrap()), OK);
        assert_eq!(l.check("::ffff:127.0.0.2".parse().unwrap()), NO);
    }
}
