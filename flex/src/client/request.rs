//! What to fetch: a query id and an optional date range.

use chrono::NaiveDate;

/// A Flex query to run, optionally over other dates than the query's own period
/// (`fd`/`td`, at most 365 days).
///
/// ```
/// use chrono::NaiveDate;
/// let request = ibkr_flex::FlexRequest::new("123456").period(
///     NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
///     NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(),
/// );
/// assert_eq!(request.query_id(), "123456");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlexRequest {
    query_id: String,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl FlexRequest {
    /// Runs the query over its configured period.
    pub fn new(query_id: impl Into<String>) -> Self {
        Self {
            query_id: query_id.into().trim().to_owned(),
            from: None,
            to: None,
        }
    }

    /// Runs the query from `from` to `to` (inclusive) instead.
    pub fn period(mut self, from: NaiveDate, to: NaiveDate) -> Self {
        self.from = Some(from);
        self.to = Some(to);
        self
    }

    /// The query id.
    pub fn query_id(&self) -> &str {
        &self.query_id
    }

    /// The date override, if any.
    pub fn dates(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.from.zip(self.to)
    }

    /// The SendRequest query parameters other than the token.
    pub(crate) fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![("q", self.query_id.clone()), ("v", "3".to_owned())];
        if let Some((from, to)) = self.dates() {
            params.push(("fd", from.format("%Y%m%d").to_string()));
            params.push(("td", to.format("%Y%m%d").to_string()));
        }
        params
    }
}

impl From<&str> for FlexRequest {
    fn from(query_id: &str) -> Self {
        FlexRequest::new(query_id)
    }
}

impl From<String> for FlexRequest {
    fn from(query_id: String) -> Self {
        FlexRequest::new(query_id)
    }
}
