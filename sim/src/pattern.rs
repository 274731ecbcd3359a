//! Path patterns with `*` wildcards, used by pacing limits and fault rules.

/// Whether `path` matches `pattern`, where `*` in the pattern matches any run of characters
/// (including `/` and the empty string) and everything else must match exactly.
pub(crate) fn path_matches(pattern: &str, path: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == path;
    }
    let (first, rest) = (parts[0], &parts[1..]);
    let Some(mut remaining) = path.strip_prefix(first) else {
        return false;
    };
    let last = rest[rest.len() - 1];
    for middle in &rest[..rest.len() - 1] {
        match remaining.find(middle) {
            Some(at) => remaining = &remaining[at + middle.len()..],
            None => return false,
        }
    }
    remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::path_matches;

    #[test]
    fn exact_and_wildcard_patterns() {
        assert!(path_matches("/tickle", "/tickle"));
        assert!(!path_matches("/tickle", "/tickle2"));
        assert!(path_matches(
            "/iserver/account/*/orders",
            "/iserver/account/DU1/orders"
        ));
        assert!(!path_matches(
            "/iserver/account/*/orders",
            "/iserver/account/DU1/order/5"
        ));
        assert!(path_matches("*", "/anything"));
        assert!(path_matches("/iserver/*", "/iserver/accounts"));
        assert!(path_matches("*/history", "/iserver/marketdata/history"));
    }
}
