//! docker/compose.yaml: the gateway's allow-list agrees with its network's subnet, and nothing
//! is published beyond loopback.
//!
//! Everything is read from the file (after compose's `${VAR:-default}` interpolation), so the
//! test follows the file when its values change. The allow rules are the gateway's own: an
//! exact IPv4 address, or a dotted prefix ending in `*` (`172.28.*`); a CIDR, a bare `*` or a
//! `*` anywhere else is refused, because the gateway denies everyone or answers 500 to them.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use serde_norway::Value;

fn compose_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docker/compose.yaml")
}

fn load(vars: &HashMap<&str, &str>) -> Value {
    let path = compose_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let doc: Value = serde_norway::from_str(&text).expect("docker/compose.yaml is valid YAML");
    interpolate_tree(doc, vars)
}

/// Compose's interpolation of `${NAME}`, `${NAME:-default}`, `${NAME-default}` and `$$`.
fn interpolate(s: &str, vars: &HashMap<&str, &str>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(r) = rest.strip_prefix('{') {
            let end = r
                .find('}')
                .unwrap_or_else(|| panic!("unclosed ${{ in {s:?}"));
            let expr = &r[..end];
            rest = &r[end + 1..];
            let value = if let Some((name, default)) = expr.split_once(":-") {
                vars.get(name)
                    .filter(|v| !v.is_empty())
                    .copied()
                    .unwrap_or(default)
            } else if let Some((name, default)) = expr.split_once('-') {
                vars.get(name).copied().unwrap_or(default)
            } else {
                vars.get(expr).copied().unwrap_or("")
            };
            out.push_str(value);
        } else {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            assert!(len > 0, "a lone `$` in {s:?}");
            out.push_str(vars.get(&rest[..len]).copied().unwrap_or(""));
            rest = &rest[len..];
        }
    }
    out.push_str(rest);
    out
}

fn interpolate_tree(v: Value, vars: &HashMap<&str, &str>) -> Value {
    match v {
        Value::String(s) => Value::String(interpolate(&s, vars)),
        Value::Sequence(items) => Value::Sequence(
            items
                .into_iter()
                .map(|x| interpolate_tree(x, vars))
                .collect(),
        ),
        Value::Mapping(map) => Value::Mapping(
            map.into_iter()
                .map(|(k, x)| (k, interpolate_tree(x, vars)))
                .collect(),
        ),
        other => other,
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A service's environment, in either of compose's forms (map, or a list of `KEY=VALUE`).
fn environment(service: &Value) -> HashMap<String, String> {
    match service.get("environment") {
        None => HashMap::new(),
        Some(Value::Mapping(m)) => m
            .iter()
            .filter_map(|(k, v)| Some((scalar(k)?, scalar(v).unwrap_or_default())))
            .collect(),
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(|i| {
                let s = i.as_str()?;
                let (k, v) = s.split_once('=').unwrap_or((s, ""));
                Some((k.to_string(), v.to_string()))
            })
            .collect(),
        Some(other) => panic!("environment is neither a map nor a list: {other:?}"),
    }
}

/// A service's networks, in either form (list of names, or a map keyed by name).
fn service_networks(service: &Value) -> Vec<String> {
    match service.get("networks") {
        None => Vec::new(),
        Some(Value::Sequence(items)) => items.iter().filter_map(scalar).collect(),
        Some(Value::Mapping(m)) => m.keys().filter_map(scalar).collect(),
        Some(other) => panic!("networks is neither a map nor a list: {other:?}"),
    }
}

/// One allow pattern, validated by the gateway's rules.
#[derive(Debug)]
enum Allow {
    Exact(Ipv4Addr),
    /// The octets before the `*`: `172.28.*` is `[172, 28]`.
    Prefix(Vec<u8>),
}

fn parse_allow(p: &str) -> Result<Allow, String> {
    if p.contains('/') {
        return Err(format!(
            "{p:?} is a CIDR: the gateway matches no address against it"
        ));
    }
    if let Some(head) = p.strip_suffix('*') {
        if head.is_empty() || head.contains('*') || p.starts_with("*.") {
            return Err(format!(
                "{p:?}: a bare or inner `*` makes the gateway answer 500 to every request"
            ));
        }
        let head = head
            .strip_suffix('.')
            .ok_or_else(|| format!("{p:?}: the `*` must follow a dot (`10.*`, `172.28.*`)"))?;
        let octets = head
            .split('.')
            .map(|o| {
                o.parse::<u8>()
                    .map_err(|_| format!("{p:?}: {o:?} is not an octet"))
            })
            .collect::<Result<Vec<u8>, String>>()?;
        if octets.len() > 3 {
            return Err(format!("{p:?}: more than three octets before the `*`"));
        }
        return Ok(Allow::Prefix(octets));
    }
    if p.contains('*') {
        return Err(format!("{p:?}: `*` only at the end"));
    }
    p.parse::<Ipv4Addr>()
        .map(Allow::Exact)
        .map_err(|_| format!("{p:?} is neither an IPv4 address nor a `prefix.*` pattern"))
}

impl Allow {
    /// The gateway's match: the exact address, or a string prefix of the dotted address.
    fn matches(&self, addr: Ipv4Addr) -> bool {
        match self {
            Allow::Exact(a) => *a == addr,
            Allow::Prefix(octets) => {
                let prefix: String = octets.iter().map(|o| format!("{o}.")).collect();
                addr.to_string().starts_with(&prefix)
            }
        }
    }

    /// The addresses it admits, as a range (first, last).
    fn range(&self) -> (u32, u32) {
        match self {
            Allow::Exact(a) => (u32::from(*a), u32::from(*a)),
            Allow::Prefix(octets) => {
                let mut first = [0u8; 4];
                first[..octets.len()].copy_from_slice(octets);
                let first = u32::from_be_bytes(first);
                let host_bits = 32 - 8 * octets.len() as u32;
                (first, first | ((1u64 << host_bits) - 1) as u32)
            }
        }
    }
}

#[derive(Debug)]
struct Subnet {
    first: u32,
    last: u32,
    text: String,
}

fn parse_subnet(s: &str) -> Subnet {
    let (addr, len) = s
        .split_once('/')
        .unwrap_or_else(|| panic!("subnet {s:?} has no prefix length"));
    let addr: Ipv4Addr = addr
        .parse()
        .unwrap_or_else(|_| panic!("subnet {s:?}: not an IPv4 network"));
    let len: u32 = len
        .parse()
        .unwrap_or_else(|_| panic!("subnet {s:?}: bad length"));
    assert!((8..=30).contains(&len), "subnet {s:?}: length out of range");
    let mask = u32::MAX << (32 - len);
    let first = u32::from(addr) & mask;
    assert_eq!(first, u32::from(addr), "subnet {s:?} has host bits set");
    Subnet {
        first,
        last: first | !mask,
        text: s.to_string(),
    }
}

/// A published port's host address, from the short (`[IP:]HOST:CONTAINER[/proto]`) or the
/// long (`host_ip:`) syntax; `None` when it publishes on every interface.
fn published_host_ip(port: &Value) -> Option<String> {
    match port {
        Value::Mapping(_) => port.get("host_ip").and_then(scalar),
        other => {
            let s = scalar(other).expect("a port entry is a string, number or map");
            let s = s.split('/').next().unwrap_or_default();
            // `[::1]:5000:5000` would keep its brackets; compose's three-part form is IP:HOST:CTR.
            let parts: Vec<&str> = s.rsplitn(3, ':').collect();
            (parts.len() == 3).then(|| parts[2].to_string())
        }
    }
}

struct Report {
    /// Subnets the gateway's networks use.
    subnets: Vec<Subnet>,
    allow: Vec<Allow>,
    raw_allow: String,
}

/// All the checks, for one set of interpolation variables.
fn check(vars: &HashMap<&str, &str>) -> Report {
    let doc = load(vars);
    let services = doc
        .get("services")
        .and_then(Value::as_mapping)
        .expect("compose file has services");

    // The gateway is the service that sets IBKR_GATEWAY_ALLOW.
    let gateways: Vec<(&Value, &Value, String)> = services
        .iter()
        .filter_map(|(name, svc)| {
            environment(svc)
                .remove("IBKR_GATEWAY_ALLOW")
                .map(|allow| (name, svc, allow))
        })
        .collect();
    assert_eq!(
        gateways.len(),
        1,
        "exactly one service sets IBKR_GATEWAY_ALLOW"
    );
    let (gw_name, gateway, raw_allow) = gateways.into_iter().next().unwrap();
    let gw_name = scalar(gw_name).unwrap();

    assert_eq!(
        gateway.get("restart").and_then(scalar).as_deref(),
        Some("unless-stopped"),
        "the gateway restarts unless stopped"
    );
    assert!(
        gateway.get("network_mode").is_none(),
        "the gateway sets no network_mode (its allow-list is derived from its network)"
    );

    let allow: Vec<Allow> = raw_allow
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| parse_allow(p).unwrap_or_else(|e| panic!("IBKR_GATEWAY_ALLOW: {e}")))
        .collect();
    assert!(!allow.is_empty(), "IBKR_GATEWAY_ALLOW lists no pattern");

    let networks = doc
        .get("networks")
        .and_then(Value::as_mapping)
        .expect("compose file declares its networks");
    let names = service_networks(gateway);
    assert!(!names.is_empty(), "the gateway is on a named network");
    let mut subnets = Vec::new();
    for name in &names {
        let net = networks
            .get(name.as_str())
            .unwrap_or_else(|| panic!("network {name:?} is not declared"));
        assert!(
            net.get("external").is_none(),
            "network {name:?} is declared here, not external"
        );
        let configs = net
            .get("ipam")
            .and_then(|i| i.get("config"))
            .and_then(Value::as_sequence)
            .unwrap_or_else(|| panic!("network {name:?} has a fixed subnet (ipam.config)"));
        for c in configs {
            let s = c
                .get("subnet")
                .and_then(scalar)
                .unwrap_or_else(|| panic!("network {name:?}: an ipam.config entry without subnet"));
            subnets.push(parse_subnet(&s));
        }
    }
    assert!(!subnets.is_empty(), "the gateway's networks have subnets");

    // Every address of every subnet is allowed ...
    for net in &subnets {
        let mut refused = (net.first..=net.last)
            .map(Ipv4Addr::from)
            .filter(|a| !allow.iter().any(|p| p.matches(*a)));
        if let Some(a) = refused.next() {
            panic!(
                "{a} in subnet {} is not allowed by IBKR_GATEWAY_ALLOW={raw_allow:?}",
                net.text
            );
        }
    }
    // ... and nothing outside them (the pattern is derived from the subnet, not wider).
    for (p, pattern) in allow.iter().zip(raw_allow.split(',').map(str::trim)) {
        let (first, last) = p.range();
        assert!(
            subnets.iter().any(|n| n.first <= first && last <= n.last),
            "allow pattern {pattern:?} admits {}..{}, outside the gateway's subnets",
            Ipv4Addr::from(first),
            Ipv4Addr::from(last)
        );
    }

    // Ports: every service publishes on 127.0.0.1 only.
    for (name, svc) in services {
        let name = scalar(name).unwrap();
        assert_ne!(
            svc.get("network_mode").and_then(scalar).as_deref(),
            Some("host"),
            "service {name} uses the host network"
        );
        for port in svc
            .get("ports")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            assert_eq!(
                published_host_ip(port).as_deref(),
                Some("127.0.0.1"),
                "service {name} publishes {port:?} beyond 127.0.0.1"
            );
        }
    }
    let gateway_ports = gateway
        .get("ports")
        .and_then(Value::as_sequence)
        .map_or(0, Vec::len);
    assert!(gateway_ports > 0, "service {gw_name} publishes its ports");

    Report {
        subnets,
        allow,
        raw_allow,
    }
}

#[test]
fn subnet_and_allow_list_agree() {
    let r = check(&HashMap::new());
    let nets: Vec<&str> = r.subnets.iter().map(|n| n.text.as_str()).collect();
    println!(
        "subnets {nets:?}, IBKR_GATEWAY_ALLOW={:?} ({} patterns)",
        r.raw_allow,
        r.allow.len()
    );
}

/// The derivation holds for another network too (compose users pick IBKR_NET when the default
/// subnet is taken), so the two values are tied by the file, not equal by coincidence.
#[test]
fn another_network_keeps_them_in_step() {
    let vars = HashMap::from([("IBKR_NET", "10.77")]);
    let r = check(&vars);
    assert_eq!(r.subnets[0].text, "10.77.0.0/16");
    assert_eq!(r.raw_allow, "10.77.*");
}

#[test]
fn the_rules_themselves() {
    for bad in [
        "*",
        "*.*.*.*",
        "172.28.0.0/16",
        "0.0.0.0/0",
        "172.*.*",
        "172.2*",
        "::1",
    ] {
        assert!(parse_allow(bad).is_err(), "{bad} accepted");
    }
    let p = parse_allow("172.28.*").unwrap();
    assert!(p.matches(Ipv4Addr::new(172, 28, 9, 1)));
    assert!(!p.matches(Ipv4Addr::new(172, 29, 0, 1)));
    assert_eq!(
        p.range(),
        (
            u32::from(Ipv4Addr::new(172, 28, 0, 0)),
            u32::from(Ipv4Addr::new(172, 28, 255, 255))
        )
    );
    assert!(
        parse_allow("127.0.0.1")
            .unwrap()
            .matches(Ipv4Addr::LOCALHOST)
    );
    assert_eq!(
        published_host_ip(&Value::String("127.0.0.1:5000:5000".into())).as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(published_host_ip(&Value::String("5000:5000".into())), None);
    assert_eq!(
        interpolate("${A:-x}.${B-y}$$", &HashMap::from([("A", "")])),
        "x.y$"
    );
}
