//! Fault injection: failures the real gateway produces now and then, switched on per endpoint.

use std::time::Duration;

use crate::pattern::path_matches;

/// One kind of failure to inject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and an empty body (e.g. 503, which the spec lists on every
    /// endpoint for "service is unavailable"; `client-portal-api.md` §2).
    Status(u16),
    /// Answer 200 with JSON cut off half way.
    MalformedJson,
    /// Answer 200 with an HTML error page instead of JSON, as a proxy in front of the gateway might.
    Html,
    /// Close the connection without answering.
    Drop,
    /// Wait this long before handling the request normally.
    Latency(Duration),
    /// Handle the request at once, then hold the answer this long: what a client that
    /// times out meets when IBKR did act (an order placed whose acknowledgement is lost).
    SlowAnswer(Duration),
    /// Answer as usual, with these fields merged into the JSON answer (objects key by key,
    /// anything else replaced; into every element when the answer is an array). Plants what
    /// a real account carries and the simulator does not: personal data, a field IBKR added,
    /// a value of another type. A test hook, for `ibkr capture`'s tests.
    Amend(serde_json::Value),
}

/// Merge `patch` into `target`: objects key by key, anything else replaced.
pub(crate) fn merge(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (Value::Array(items), p @ Value::Object(_)) => {
            for item in items.iter_mut().filter(|i| i.is_object()) {
                merge(item, p);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// A fault bound to the requests it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// HTTP method (upper case) to match; `None` matches any.
    pub method: Option<String>,
    /// Path to match: under `/v1/api` for the gateway (e.g. `/iserver/marketdata/history`), or
    /// the full path for the Flex service (e.g. `/AccountManagement/FlexWebService/SendRequest`).
    /// `*` matches any run of characters.
    pub path: String,
    /// What to do to matching requests.
    pub fault: Fault,
    /// How many matching requests to affect; `None` means every one until cleared.
    pub times: Option<u32>,
}

impl FaultRule {
    /// A fault on every request whose path matches `path` (any method).
    pub fn new(path: &str, fault: Fault) -> Self {
        FaultRule {
            method: None,
            path: path.to_string(),
            fault,
            times: None,
        }
    }

    /// Restrict the rule to one HTTP method.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Affect only the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method) && path_matches(&self.path, path)
    }
}

/// The faults currently switched on.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    rules: Vec<FaultRule>,
}

impl FaultBook {
    pub(crate) fn new(rules: Vec<FaultRule>) -> Self {
        FaultBook { rules }
    }

    pub(crate) fn add(&mut self, rule: FaultRule) {
        self.rules.push(rule);
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    /// The faults that would apply to this request, without consuming anything.
    pub(crate) fn peek(&self, method: &str, path: &str) -> Vec<Fault> {
        self.rules
            .iter()
            .filter(|r| r.matches(method, path) && r.times != Some(0))
            .map(|r| r.fault.clone())
            .collect()
    }

    /// The faults that apply to this request, consuming one use of each counted rule.
    pub(crate) fn take(&mut self, method: &str, path: &str) -> Vec<Fault> {
        let mut hits = Vec::new();
        for rule in &mut self.rules {
            if rule.matches(method, path) && rule.times != Some(0) {
                if let Some(n) = rule.times.as_mut() {
                    *n -= 1;
                }
                hits.push(rule.fault.clone());
            }
        }
        self.rules.retain(|r| r.times != Some(0));
        hits
    }
}
