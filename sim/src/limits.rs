//! Pacing limits the simulator enforces, configurable so tests can tighten them.
//!
//! Source for the defaults: `client-portal-api.md` §1 (cpapi-v1 and webapi-doc "Pacing Limitations").

use std::time::Duration;

/// A request budget: at most `requests` within any sliding window of length `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// How many requests the window admits.
    pub requests: u32,
    /// How long the sliding window is.
    pub per: Duration,
}

impl Rate {
    /// `requests` per `per`, e.g. `Rate::new(1, Duration::from_secs(5))`.
    pub const fn new(requests: u32, per: Duration) -> Self {
        Rate { requests, per }
    }

    /// `requests` per second.
    pub const fn per_second(requests: u32) -> Self {
        Rate::new(requests, Duration::from_secs(1))
    }
}

/// A budget for one endpoint, on top of the global one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointLimit {
    /// HTTP method (upper case) the limit applies to; `None` means any method.
    pub method: Option<String>,
    /// Path under `/v1/api`, e.g. `/iserver/account/orders`; `*` matches any run of characters.
    pub path: String,
    /// The budget for requests matching `method` and `path`.
    pub rate: Rate,
}

impl EndpointLimit {
    /// A limit for `method path` (method upper case, e.g. `"GET"`).
    pub fn new(method: &str, path: &str, rate: Rate) -> Self {
        EndpointLimit {
            method: Some(method.to_ascii_uppercase()),
            path: path.to_string(),
            rate,
        }
    }
}

/// The pacing rules: global rate, per-endpoint rates, history concurrency and the penalty box.
///
/// A request over any budget is answered `429 Too Many Requests` with an empty body, as the
/// real gateway does (`client-portal-api.md` §1, "What a 429 looks like").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Budget for every request to `/v1/api` (IBKR: 10 req/s through the gateway).
    pub global: Option<Rate>,
    /// Per-endpoint budgets (IBKR's table in `client-portal-api.md` §1).
    pub endpoints: Vec<EndpointLimit>,
    /// How many `/iserver/marketdata/history` and `/hmds/history` requests may run at once (IBKR: 5).
    pub history_concurrency: Option<usize>,
    /// After a 429, every request is answered 429 for this long (IBKR: 10–15 minutes).
    /// `None` (the default) keeps the box closed, so a single slip does not lock a developer out.
    pub penalty_box: Option<Duration>,
}

/// The twelve `/fyi` operations (`*` for a path parameter), each paced at 1 request/s.
const FYI_ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/fyi/unreadnumber"),
    ("GET", "/fyi/settings"),
    ("POST", "/fyi/settings/*"),
    ("GET", "/fyi/disclaimer/*"),
    ("PUT", "/fyi/disclaimer/*"),
    ("GET", "/fyi/deliveryoptions"),
    ("PUT", "/fyi/deliveryoptions/email"),
    ("POST", "/fyi/deliveryoptions/device"),
    ("DELETE", "/fyi/deliveryoptions/*"),
    ("GET", "/fyi/notifications"),
    ("GET", "/fyi/notifications/more"),
    ("PUT", "/fyi/notifications/*"),
];

impl Default for Limits {
    /// IBKR's documented limits (`client-portal-api.md` §1), without the penalty box.
    fn default() -> Self {
        let per_5s = Rate::new(1, Duration::from_secs(5));
        let per_15min = Rate::new(1, Duration::from_secs(15 * 60));
        let mut endpoints = vec![
            EndpointLimit::new("GET", "/iserver/marketdata/snapshot", Rate::per_second(10)),
            EndpointLimit::new("GET", "/iserver/account/orders", per_5s),
            EndpointLimit::new("GET", "/iserver/account/trades", per_5s),
            EndpointLimit::new("GET", "/iserver/account/pnl/partitioned", per_5s),
            EndpointLimit::new("GET", "/portfolio/accounts", per_5s),
            EndpointLimit::new("GET", "/portfolio/subaccounts", per_5s),
            EndpointLimit::new("GET", "/iserver/scanner/params", per_15min),
            EndpointLimit::new("POST", "/iserver/scanner/run", Rate::per_second(1)),
            EndpointLimit::new("GET", "/hmds/scanner/params", per_15min),
            EndpointLimit::new("POST", "/hmds/scanner/run", Rate::per_second(1)),
            EndpointLimit::new("GET", "/portfolio/subaccounts2", per_5s),
            EndpointLimit::new("POST", "/pa/performance", per_15min),
            EndpointLimit::new("POST", "/pa/summary", per_15min),
            EndpointLimit::new("POST", "/pa/transactions", per_15min),
            // 1/s on average with a burst of 2 tolerated (see the `pacing` module).
            EndpointLimit::new("POST", "/tickle", Rate::new(2, Duration::from_secs(2))),
            EndpointLimit::new(
                "GET",
                "/sso/validate",
                Rate::new(1, Duration::from_secs(60)),
            ),
        ];
        // Every `/fyi` endpoint: 1 request/s each.
        for (method, path) in FYI_ENDPOINTS {
            endpoints.push(EndpointLimit::new(method, path, Rate::per_second(1)));
        }
        Limits {
            global: Some(Rate::per_second(10)),
            endpoints,
            history_concurrency: Some(5),
            penalty_box: None,
        }
    }
}

impl Limits {
    /// No pacing at all: no global budget, no endpoint budgets, no history cap, no penalty box.
    pub fn unlimited() -> Self {
        Limits {
            global: None,
            endpoints: Vec::new(),
            history_concurrency: None,
            penalty_box: None,
        }
    }

    /// The same limits with the penalty box open for `duration` after any 429.
    pub fn with_penalty_box(mut self, duration: Duration) -> Self {
        self.penalty_box = Some(duration);
        self
    }
}
