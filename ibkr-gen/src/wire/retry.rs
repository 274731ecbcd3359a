//! When an attempt is repeated, and how long to wait first. Retrying lives here and in
//! `classify` (which decides, per answer) and nowhere else: workflows in `ibkr-ext` keep no
//! loops of their own.
//!
//! Only idempotent operations are repeated (see [`Operation::idempotent`]): on 429 and 503,
//! on a connection that could not be made, once after `no bridge` once the brokerage
//! session is open again (operations marked `x-ibkr-brokerage-session`), once after a 401
//! once the signer renewed its token, and once after a first-use 404 (operations marked
//! `x-ibkr-first-use-404`: `/hmds/history`). The time one call may spend waiting out 429s
//! is bounded by [`RetryPolicy::rate_limit_budget`]; after it, the 429 is the answer.
//!
//! [`Operation::idempotent`]: crate::operations::Operation::idempotent

use std::time::Duration;

use rand::Rng;
use reqwest::header::RETRY_AFTER;

/// How failed idempotent calls are retried.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt on 429, 503 and connection failures (0: never).
    pub max_retries: u32,
    /// The first backoff; it doubles each retry, with jitter.
    pub base_delay: Duration,
    /// No single backoff (including `Retry-After`) is longer than this.
    pub max_delay: Duration,
    /// The most time one call spends waiting out 429s and 503s before it gives up and
    /// answers with the last one (IBKR's penalty box lasts 10–15 minutes; hammering it
    /// only extends the stay).
    pub rate_limit_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            rate_limit_budget: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (0-based): exponential with equal jitter,
    /// at least `Retry-After`, at most `max_delay`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        self.delay_with(retry, retry_after, rand::rng().random())
    }

    /// [`delay`](Self::delay) with its random part given: `jitter` in `[0, 1]` picks where
    /// in the upper half of the exponential backoff the wait ends.
    pub(crate) fn delay_with(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << retry.min(16));
        // Equal jitter: half fixed, half random, so concurrent callers spread out.
        let half = exp / 2;
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let d = half.saturating_add(half.mul_f64(jitter));
        retry_after.map_or(d, |ra| ra.max(d)).min(self.max_delay)
    }
}

/// `Retry-After` in seconds (IBKR rarely sends it; honour it when it does).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_jittered_and_capped() {
        let p = RetryPolicy::default();
        for retry in 0..6 {
            let d = p.delay(retry, None);
            let exp = p.base_delay * (1 << retry);
            assert!(
                d >= (exp / 2).min(p.max_delay) && d <= exp.min(p.max_delay),
                "{retry}: {d:?}"
            );
        }
        assert_eq!(p.delay(0, Some(Duration::from_secs(60))), p.max_delay);
    }
}
