//! Per-token request pacing: at most one request per gap and N per window, shared by
//! every client of the process that uses the same token.

use crate::client::policy::PollPolicy;
use crate::client::token::FlexToken;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::time::Instant;

/// The recent request times of one token.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    sent: tokio::sync::Mutex<VecDeque<Instant>>,
}

impl Pacer {
    /// The pacer shared by all clients of this token.
    pub(crate) fn for_token(token: &FlexToken) -> Arc<Pacer> {
        static PACERS: OnceLock<Mutex<HashMap<u64, Arc<Pacer>>>> = OnceLock::new();
        let mut hasher = DefaultHasher::new();
        token.expose().hash(&mut hasher);
        let key = hasher.finish();
        let mut pacers = PACERS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(pacers.entry(key).or_default())
    }

    /// Waits until a request is allowed, then records it.
    pub(crate) async fn wait_turn(&self, policy: &PollPolicy) {
        let mut sent = self.sent.lock().await;
        loop {
            let now = Instant::now();
            while sent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= policy.rate_window)
            {
                sent.pop_front();
            }
            let mut ready = now;
            if let Some(last) = sent.back() {
                ready = ready.max(*last + policy.min_request_gap);
            }
            let limit = policy.max_requests_per_window.max(1);
            if sent.len() >= limit
                && let Some(oldest) = sent.get(sent.len() - limit)
            {
                ready = ready.max(*oldest + policy.rate_window);
            }
            if ready <= now {
                sent.push_back(now);
                return;
            }
            tracing::debug!(
                wait_ms = (ready - now).as_millis() as u64,
                "pacing Flex requests"
            );
            tokio::time::sleep_until(ready).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn requests_keep_the_gap_and_the_per_window_limit() {
        let pacer = Pacer::default();
        let policy = PollPolicy::default();
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..12 {
            pacer.wait_turn(&policy).await;
            times.push(start.elapsed());
        }
        for pair in times.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_secs(1), "{times:?}");
        }
        // The 11th request must wait for the first to leave the 60 s window.
        assert!(times[10] >= Duration::from_secs(60), "{times:?}");
        assert!(times[9] < Duration::from_secs(60), "{times:?}");
    }
}
