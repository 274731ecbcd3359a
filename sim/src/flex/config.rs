//! How the simulated Flex Web Service is set up: token, query id, and its timing quirks.

use std::time::Duration;

/// Settings of the simulated Flex Web Service.
///
/// ```
/// let flex = ibkr_sim::FlexConfig {
///     token: "my-token".into(),
///     query_id: "987654".into(),
///     pending_polls: 2,
///     ..Default::default()
/// };
/// assert_eq!(flex.min_interval, std::time::Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlexConfig {
    /// The token `t` that SendRequest and GetStatement accept.
    pub token: String,
    /// The query id `q` that SendRequest accepts.
    pub query_id: String,
    /// How many GetStatement polls answer 1019 "Statement generation in progress" before the
    /// statement is ready.
    pub pending_polls: u32,
    /// A token that answers 1012 "Token has expired." (any other unknown token answers 1015).
    pub expired_token: Option<String>,
    /// Requests for one token closer together than this answer 1018 "Too many requests"
    /// (IBKR: 1 request per second per token; `flex-web-service.md` §1).
    pub min_interval: Duration,
    /// The `queryName` of the statement.
    pub query_name: String,
}

impl Default for FlexConfig {
    fn default() -> Self {
        FlexConfig {
            token: "123456789012345678901234".to_string(),
            query_id: "123456".to_string(),
            pending_polls: 1,
            expired_token: None,
            min_interval: Duration::from_secs(1),
            query_name: "ibkr-sim activity".to_string(),
        }
    }
}
