//! How long and how often the client waits and polls.

use std::time::Duration;

/// Waiting and pacing rules of [`crate::FlexClient::fetch`].
///
/// The defaults follow IB's limits (1 request/s and 10/min per token) and what works in
/// practice: first poll after 5 s, then every 6 s growing ×1.5 up to 60 s, at least 60 s
/// after a 1018, give up after 10 minutes.
///
/// ```
/// use std::time::Duration;
/// let fast = ibkr_flex::PollPolicy {
///     first_poll_delay: Duration::from_millis(1),
///     poll_interval: Duration::from_millis(1),
///     ..ibkr_flex::PollPolicy::default()
/// };
/// assert_eq!(fast.deadline, Duration::from_secs(600));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PollPolicy {
    /// Wait between SendRequest and the first GetStatement.
    pub first_poll_delay: Duration,
    /// First wait after a retryable answer (1019, 1001, 1004–1009, 1021).
    pub poll_interval: Duration,
    /// Growth of the wait after each retryable answer.
    pub backoff_factor: f64,
    /// Longest wait between polls.
    pub max_poll_interval: Duration,
    /// Wait after a 1018 (too many requests).
    pub throttle_delay: Duration,
    /// Overall limit for one fetch.
    pub deadline: Duration,
    /// Smallest gap between two requests with the same token.
    pub min_request_gap: Duration,
    /// Most requests with the same token within `rate_window`.
    pub max_requests_per_window: usize,
    /// The window of `max_requests_per_window`.
    pub rate_window: Duration,
    /// How often a fresh SendRequest is tried after 1017/1020 on GetStatement.
    pub resend_attempts: u32,
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            first_poll_delay: Duration::from_secs(5),
            poll_interval: Duration::from_secs(6),
            backoff_factor: 1.5,
            max_poll_interval: Duration::from_secs(60),
            throttle_delay: Duration::from_secs(60),
            deadline: Duration::from_secs(600),
            min_request_gap: Duration::from_secs(1),
            max_requests_per_window: 10,
            rate_window: Duration::from_secs(60),
            resend_attempts: 1,
            request_timeout: Duration::from_secs(120),
        }
    }
}

impl PollPolicy {
    /// The wait after `previous`, grown by the backoff factor and capped.
    pub(crate) fn next_interval(&self, previous: Duration) -> Duration {
        previous
            .mul_f64(self.backoff_factor.max(1.0))
            .min(self.max_poll_interval)
    }
}
