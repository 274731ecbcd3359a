//! The gateway's `conf.yaml`, managed: only keys the gateway knows, an allow-list it
//! honours, and a deny list always present (without one the gateway lets everyone in).
//!
//! The allow-list syntax the gateway honours (observed on the real build): an exact IPv4
//! address, or a prefix ending in `*` (`10.*`, `192.168.*`, `127.0.0.*`). The client is the
//! TCP peer; `X-Forwarded-For` is ignored; `deny` is checked before `allow`. Everything else
//! silently fails:
//! - CIDR (`127.0.0.0/8`, `0.0.0.0/0`) never matches;
//! - `127.0.*.*` never matches (each `*` is one run of characters, then the literal dots);
//! - a bare `*` (or `*.*.*.*`) makes every request fail with 500;
//! - IPv6 entries are ignored (the gateway listens on IPv4 only).
//!
//! [`AllowPattern`] refuses each of these with the equivalent that works.

use std::fmt;
use std::net::Ipv4Addr;
use std::path::Path;
use std::str::FromStr;

use serde_norway::Value;

use crate::error::{GatewayError, Result};

/// The address the CLI's own checks (`status`, health) connect from; always allowed.
pub const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// The deny entry written when the user denies nothing: a documentation address (RFC 5737)
/// that no client has. The key must be present, or the gateway admits everyone.
pub const PLACEHOLDER_DENY: &str = "192.0.2.255";

/// The deny entry of IBKR's shipped `conf.yaml`; it matches nothing.
const IBKR_PLACEHOLDER_DENY: &str = "212.90.324.10";

/// `--allow docker`: the ranges Docker's default bridge (172.17.0.0/16) and compose networks
/// (172.18.0.0/16 and up, to 172.31.0.0/16) use.
pub const DOCKER_KEYWORD: &str = "docker";

/// One entry of `ips.allow` or `ips.deny`, in a form the gateway honours.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AllowPattern {
    /// Exactly this address.
    Exact(Ipv4Addr),
    /// Every address starting with these octets (1 to 3 of them): `172.18.*`.
    Prefix(Vec<u8>),
}

impl AllowPattern {
    /// Whether `ip` matches, as the gateway decides.
    pub fn matches(&self, ip: Ipv4Addr) -> bool {
        match self {
            AllowPattern::Exact(a) => *a == ip,
            AllowPattern::Prefix(p) => ip.octets().starts_with(p),
        }
    }

    /// `--allow docker`'s entries: `172.17.*` to `172.31.*`.
    pub fn docker() -> Vec<AllowPattern> {
        (17..=31)
            .map(|b| AllowPattern::Prefix(vec![172, b]))
            .collect()
    }

    /// Read a list of `--allow` values: patterns, `docker`, or comma-separated lists of both.
    pub fn parse_list<S: AsRef<str>>(values: &[S]) -> Result<Vec<AllowPattern>> {
        let mut out = Vec::new();
        for value in values {
            for item in value
                .as_ref()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                if item.eq_ignore_ascii_case(DOCKER_KEYWORD) {
                    out.extend(AllowPattern::docker());
                } else {
                    out.push(item.parse()?);
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|p| seen.insert(p.clone()));
        Ok(out)
    }
}

impl fmt::Display for AllowPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllowPattern::Exact(ip) => write!(f, "{ip}"),
            AllowPattern::Prefix(p) => {
                for b in p {
                    write!(f, "{b}.")?;
                }
                f.write_str("*")
            }
        }
    }
}

impl FromStr for AllowPattern {
    type Err = GatewayError;

    fn from_str(text: &str) -> Result<AllowPattern> {
        let pattern = text.trim();
        let bad = |reason: String| GatewayError::BadPattern {
            pattern: text.to_string(),
            reason,
        };
        if pattern.is_empty() {
            return Err(bad("empty".into()));
        }
        if let Some((addr, bits)) = pattern.split_once('/') {
            return Err(bad(cidr_advice(addr, bits)));
        }
        if pattern.contains(':') {
            return Err(bad(
                "the gateway listens on IPv4 only and ignores IPv6 entries; allow the IPv4 address"
                    .into(),
            ));
        }
        if pattern.chars().all(|c| c == '*' || c == '.') {
            return Err(bad(
                "a bare `*` makes the gateway answer every request with HTTP 500; \
                 list the networks instead (`10.*`, `172.18.*`, `192.168.1.*`, or `docker`)"
                    .into(),
            ));
        }
        let parts: Vec<&str> = pattern.split('.').collect();
        if let Some(star) = parts.iter().position(|p| *p == "*") {
            let fixed = &parts[..star];
            if parts[star + 1..].iter().any(|p| *p != "*") || fixed.is_empty() {
                return Err(bad(
                    "`*` may only end the pattern (`172.18.*`), not stand inside it".into(),
                ));
            }
            let octets = fixed
                .iter()
                .map(|p| p.parse::<u8>())
                .collect::<std::result::Result<Vec<u8>, _>>()
                .map_err(|_| bad("each part before `*` must be a number from 0 to 255".into()))?;
            let working = AllowPattern::Prefix(octets);
            if parts.len() > star + 1 {
                return Err(bad(format!(
                    "the gateway never matches `*.*` patterns (each `*` must be followed by nothing); write `{working}`"
                )));
            }
            if fixed.len() > 3 {
                return Err(bad("an IPv4 address has four parts".into()));
            }
            return Ok(working);
        }
        if parts.iter().any(|p| p.contains('*')) {
            return Err(bad(
                "`*` stands for whole trailing parts only (`10.1.*`, not `10.1*`)".into(),
            ));
        }
        pattern
            .parse::<Ipv4Addr>()
            .map(AllowPattern::Exact)
            .map_err(|_| {
                bad(
                    "not an IPv4 address or a prefix ending in `*` (`127.0.0.1`, `172.18.*`)"
                        .into(),
                )
            })
    }
}

/// What to write instead of a CIDR block.
fn cidr_advice(addr: &str, bits: &str) -> String {
    let (Ok(ip), Ok(bits)) = (addr.parse::<Ipv4Addr>(), bits.parse::<u8>()) else {
        return "the gateway does not understand CIDR; use an exact address or a prefix ending in `*`".into();
    };
    let equivalent = cidr_equivalent(ip, bits);
    let shown = if equivalent.len() > 4 {
        format!(
            "{} ... {} ({} entries)",
            equivalent[0],
            equivalent[equivalent.len() - 1],
            equivalent.len()
        )
    } else {
        equivalent
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if bits == 0 {
        return "CIDR never matches, and 0.0.0.0/0 (everyone) is no allow-list; list the networks instead".into();
    }
    format!("the gateway never matches CIDR blocks; the equivalent it honours is {shown}")
}

/// The prefix patterns covering `ip/bits` (rounded out to whole octets).
pub fn cidr_equivalent(ip: Ipv4Addr, bits: u8) -> Vec<AllowPattern> {
    let bits = bits.min(32);
    if bits == 32 {
        return vec![AllowPattern::Exact(ip)];
    }
    let octets = ip.octets();
    let whole = (bits / 8) as usize;
    let rest = bits % 8;
    if rest == 0 {
        return vec![AllowPattern::Prefix(octets[..whole].to_vec())];
    }
    let span = 1u16 << (8 - rest);
    let start = u16::from(octets[whole]) & !(span - 1);
    (start..start + span)
        .map(|b| {
            let mut p = octets[..whole].to_vec();
            p.push(b as u8);
            AllowPattern::Prefix(p)
        })
        .collect()
}

/// The settings of a managed `conf.yaml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedConf {
    /// `listenPort`.
    pub port: u16,
    /// `ips.allow`; `127.0.0.1` is always added.
    pub allow: Vec<AllowPattern>,
    /// `ips.deny`; a placeholder is written when empty.
    pub deny: Vec<AllowPattern>,
    /// `sslCert` and `sslPwd`: a keystore of your own (JKS or PKCS12) and its password (a
    /// [`Secret`](ibkr_gen::Secret): `Debug` never shows it).
    pub keystore: Option<(String, ibkr_gen::Secret)>,
}

impl ManagedConf {
    /// The defaults: port 5000, allow `127.0.0.1` only.
    pub fn new(port: u16) -> Self {
        Self {
            port,
            allow: vec![AllowPattern::Exact(LOOPBACK)],
            deny: Vec::new(),
            keystore: None,
        }
    }

    /// The allow-list as written: `127.0.0.1` first, then the user's entries.
    pub fn effective_allow(&self) -> Vec<AllowPattern> {
        let mut out = vec![AllowPattern::Exact(LOOPBACK)];
        for p in &self.allow {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
        out
    }

    /// Whether the gateway would admit `ip`.
    pub fn admits(&self, ip: Ipv4Addr) -> bool {
        !self.deny.iter().any(|p| p.matches(ip))
            && self.effective_allow().iter().any(|p| p.matches(ip))
    }

    /// The YAML: IBKR's shipped `conf.yaml` with our port, allow and deny lists, and only
    /// keys the gateway knows.
    pub fn render(&self) -> String {
        let quote = |p: &AllowPattern| format!("    - \"{p}\"\n");
        let allow: String = self.effective_allow().iter().map(quote).collect();
        let deny: String = if self.deny.is_empty() {
            format!("    - \"{PLACEHOLDER_DENY}\"\n")
        } else {
            self.deny.iter().map(quote).collect()
        };
        let keystore = self
            .keystore
            .as_ref()
            .map(|(cert, pwd)| {
                format!(
                    "sslCert: {}\nsslPwd: {}\n",
                    yaml_string(cert),
                    yaml_string(pwd.expose())
                )
            })
            .unwrap_or_default();
        format!(
            "# Written by `ibkr gateway`; IBKR's root/conf.yaml is left untouched.\n\
             # Allow-list entries: exact IPv4 addresses or prefixes ending in `*` (CIDR never matches).\n\
             ip2loc: \"US\"\n\
             proxyRemoteSsl: true\n\
             proxyRemoteHost: \"https://api.ibkr.com\"\n\
             listenPort: {port}\n\
             listenSsl: true\n\
             {keystore}\
             ccp: false\n\
             svcEnvironment: \"v1\"\n\
             authDelay: 3000\n\
             portalBaseURL: \"\"\n\
             serverOptions:\n\
             \x20 blockedThreadCheckInterval: 1000000\n\
             \x20 eventLoopPoolSize: 20\n\
             \x20 workerPoolSize: 20\n\
             \x20 maxWorkerExecuteTime: 100\n\
             \x20 internalBlockingPoolSize: 20\n\
             cors:\n\
             \x20 origin.allowed: \"*\"\n\
             \x20 allowCredentials: false\n\
             webApps:\n\
             \x20 - name: \"demo\"\n\
             \x20   index: \"index.html\"\n\
             ips:\n\
             \x20 allow:\n{allow}\
             \x20 deny:\n{deny}",
            port = self.port,
        )
    }

    /// Read a user's `conf.yaml` (for `--conf FILE`) and check it the same way: known keys
    /// only, an allow-list the gateway honours that admits `127.0.0.1`, and a deny key.
    pub fn from_user_file(path: &Path) -> Result<ManagedConf> {
        let text = std::fs::read_to_string(path).map_err(crate::error::io(path))?;
        Self::from_user_yaml(&text).map_err(|reason| GatewayError::BadConf {
            file: path.to_path_buf(),
            reason,
        })
    }

    /// [`ManagedConf::from_user_file`] on text.
    pub fn from_user_yaml(text: &str) -> std::result::Result<ManagedConf, String> {
        let doc: Value =
            serde_norway::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
        let map = doc
            .as_mapping()
            .ok_or("the top level must be a mapping of keys")?;
        let mut conf = ManagedConf::new(5000);
        let mut cert = None;
        let mut pwd = None;
        let mut saw_deny = false;
        for (key, value) in map {
            let key = key.as_str().ok_or("keys must be text")?;
            match key {
                "listenPort" => {
                    conf.port = value
                        .as_u64()
                        .and_then(|p| u16::try_from(p).ok())
                        .ok_or("listenPort must be a port number")?;
                }
                "listenSsl" if value.as_bool() == Some(false) => {
                    return Err(
                        "listenSsl: false serves plain HTTP on every interface; keep TLS".into(),
                    );
                }
                "sslCert" => cert = value.as_str().map(str::to_string),
                "sslPwd" => pwd = value.as_str().map(ibkr_gen::Secret::new),
                "ips" => {
                    let ips = value
                        .as_mapping()
                        .ok_or("ips must hold allow and deny lists")?;
                    for (k, v) in ips {
                        let list = |v: &Value| -> std::result::Result<Vec<String>, String> {
                            v.as_sequence()
                                .ok_or("ips.allow and ips.deny must be lists")?
                                .iter()
                                .map(|e| match e {
                                    Value::String(s) => Ok(s.clone()),
                                    Value::Number(n) => Ok(n.to_string()),
                                    _ => Err("list entries must be addresses".to_string()),
                                })
                                .collect()
                        };
                        match k.as_str() {
                            Some("allow") => {
                                let entries: Vec<String> = list(v)?
                                    .into_iter()
                                    // IBKR's shipped `::1` is ignored by the gateway; let it pass.
                                    .filter(|e| e != "::1")
                                    .collect();
                                conf.allow = AllowPattern::parse_list(&entries)
                                    .map_err(|e| e.to_string())?;
                            }
                            Some("deny") => {
                                saw_deny = true;
                                conf.deny = list(v)?
                                    .iter()
                                    // IBKR's shipped placeholder (not an address: 324 > 255).
                                    .filter(|e| e.as_str() != IBKR_PLACEHOLDER_DENY)
                                    .map(|e| e.parse::<AllowPattern>())
                                    .collect::<Result<Vec<_>>>()
                                    .map_err(|e| e.to_string())?;
                            }
                            other => {
                                return Err(format!("unknown key ips.{}", other.unwrap_or("?")));
                            }
                        }
                    }
                }
                "ip2loc" | "proxyRemoteSsl" | "proxyRemoteHost" | "listenSsl" | "ccp"
                | "svcEnvironment" | "authDelay" | "portalBaseURL" | "serverOptions" | "cors"
                | "webApps" => {}
                other => {
                    return Err(format!(
                        "unknown key `{other}`: the gateway exits on keys it does not know"
                    ));
                }
            }
        }
        if !saw_deny {
            return Err(
                "no ips.deny: without a deny key the gateway lets every address in, whatever ips.allow says; add `deny: [\"192.0.2.255\"]`"
                    .into(),
            );
        }
        if !conf.allow.iter().any(|p| p.matches(LOOPBACK)) {
            return Err(
                "ips.allow does not admit 127.0.0.1, which `ibkr gateway status` and the health checks connect from; add it"
                    .into(),
            );
        }
        if conf.deny.iter().any(|p| p.matches(LOOPBACK)) {
            return Err("ips.deny refuses 127.0.0.1, which the health checks connect from".into());
        }
        conf.keystore = match (cert, pwd) {
            (Some(c), Some(p)) => Some((c, p)),
            (None, None) => None,
            _ => return Err("sslCert and sslPwd go together".into()),
        };
        Ok(conf)
    }
}

fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn the_forms_the_gateway_honours_parse_and_match_as_it_does() {
        let exact: AllowPattern = "127.0.0.1".parse().unwrap();
        assert!(exact.matches(ip("127.0.0.1")) && !exact.matches(ip("127.0.0.2")));
        for (p, yes, no) in [
            ("127.0.0.*", "127.0.0.2", "127.0.1.1"),
            ("127.0.*", "127.0.9.2", "127.1.0.1"),
            ("10.*", "10.200.3.4", "11.0.0.1"),
        ] {
            let pat: AllowPattern = p.parse().unwrap();
            assert_eq!(pat.to_string(), p);
            assert!(pat.matches(ip(yes)), "{p} {yes}");
            assert!(!pat.matches(ip(no)), "{p} {no}");
        }
    }

    #[test]
    fn silent_failures_are_refused_with_what_works() {
        let err = |p: &str| p.parse::<AllowPattern>().unwrap_err().to_string();
        assert!(
            err("127.0.0.0/8").contains("127.*"),
            "{}",
            err("127.0.0.0/8")
        );
        assert!(
            err("172.16.0.0/12").contains("172.16.* ... 172.31.* (16 entries)"),
            "{}",
            err("172.16.0.0/12")
        );
        assert!(err("0.0.0.0/0").contains("never matches"));
        assert!(err("*").contains("HTTP 500"));
        assert!(err("*.*.*.*").contains("HTTP 500"));
        assert!(
            err("10.*.*.*").contains("write `10.*`"),
            "{}",
            err("10.*.*.*")
        );
        assert!(err("127.0.*.*").contains("write `127.0.*`"));
        assert!(err("::1").contains("IPv4"));
        assert!(err("10.1*").contains("whole trailing parts"));
        assert!(err("300.1.1.1").contains("not an IPv4"));
    }

    #[test]
    fn docker_keyword_expands_to_the_bridge_and_compose_ranges() {
        let list = AllowPattern::parse_list(&["docker,127.0.0.2"]).unwrap();
        assert_eq!(list.len(), 16);
        assert!(list.iter().any(|p| p.matches(ip("172.17.0.2"))));
        assert!(list.iter().any(|p| p.matches(ip("172.31.255.1"))));
        assert!(!list.iter().any(|p| p.matches(ip("172.32.0.1"))));
    }

    #[test]
    fn rendered_conf_always_has_loopback_and_a_deny_key_and_reads_back() {
        let mut conf = ManagedConf::new(5123);
        conf.allow = AllowPattern::parse_list(&["172.18.*"]).unwrap();
        let yaml = conf.render();
        let back = ManagedConf::from_user_yaml(&yaml).unwrap();
        assert_eq!(back.port, 5123);
        assert_eq!(back.effective_allow(), conf.effective_allow());
        assert!(yaml.contains("\"127.0.0.1\"") && yaml.contains(PLACEHOLDER_DENY));
        assert!(back.admits(ip("172.18.0.5")) && !back.admits(ip("172.19.0.5")));
    }

    #[test]
    fn a_keystore_password_is_written_but_never_debug_printed() {
        let yaml = "sslCert: /etc/gw.p12\nsslPwd: hunter2-pw\nips:\n  allow: [127.0.0.1]\n  deny: [1.2.3.4]\n";
        let conf = ManagedConf::from_user_yaml(yaml).unwrap();
        assert!(!format!("{conf:?}").contains("hunter2-pw"));
        assert!(conf.render().contains("sslPwd: \"hunter2-pw\""));
    }

    #[test]
    fn user_conf_that_fails_open_or_shuts_out_loopback_is_refused() {
        let no_deny = "listenPort: 5000\nips:\n  allow:\n    - 127.0.0.1\n";
        assert!(
            ManagedConf::from_user_yaml(no_deny)
                .unwrap_err()
                .contains("every address")
        );
        let no_loop = "ips:\n  allow:\n    - 10.*\n  deny:\n    - 1.2.3.4\n";
        assert!(
            ManagedConf::from_user_yaml(no_loop)
                .unwrap_err()
                .contains("127.0.0.1")
        );
        let unknown = "bindHost: 0.0.0.0\nips:\n  allow: [127.0.0.1]\n  deny: [1.2.3.4]\n";
        assert!(
            ManagedConf::from_user_yaml(unknown)
                .unwrap_err()
                .contains("bindHost")
        );
        let shipped = "listenPort: 5000\nips:\n  allow:\n    - 127.0.0.1\n    - ::1\n  deny:\n    - 212.90.324.10\n";
        assert_eq!(ManagedConf::from_user_yaml(shipped).unwrap().port, 5000);
        let cidr = "ips:\n  allow: [127.0.0.1, 10.0.0.0/8]\n  deny: [1.2.3.4]\n";
        assert!(
            ManagedConf::from_user_yaml(cidr)
                .unwrap_err()
                .contains("10.*")
        );
    }
}
