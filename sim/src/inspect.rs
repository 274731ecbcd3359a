//! The inspection API: what the simulator received, decided and holds.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::journal::{OrderOutcome, OrderRecord, RecordedReply, RecordedRequest, RefusedRequest};
use crate::lock::lock;
use crate::login::{LoginAttempt, LoginOutcome};
use crate::shared::Shared;

/// Reads the simulator's journal and books (from `RunningGateway::inspect()`).
#[derive(Debug, Clone)]
pub struct Inspector {
    shared: Arc<Shared>,
}

impl Inspector {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Inspector { shared }
    }

    /// Every request received, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.world.lock().journal.requests.to_vec()
    }

    /// How many requests left the journal's ring (0 unless it has a capacity: see
    /// [`GatewayBuilder::with_journal_capacity`](crate::GatewayBuilder::with_journal_capacity)).
    pub fn dropped_requests(&self) -> usize {
        self.shared.world.lock().journal.requests.dropped()
    }

    /// How many requests had this method and path (path under `/v1/api` for the gateway).
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.shared
            .world
            .lock()
            .journal
            .requests
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
            .count()
    }

    /// Every order submission and modification, with its questions and fate.
    pub fn orders(&self) -> Vec<OrderRecord> {
        self.shared.world.lock().journal.orders.clone()
    }

    /// The orders that went live.
    pub fn confirmed_orders(&self) -> Vec<OrderRecord> {
        self.orders()
            .into_iter()
            .filter(|o| o.outcome == OrderOutcome::Confirmed)
            .collect()
    }

    /// Every `POST /iserver/reply/{id}` received.
    pub fn replies(&self) -> Vec<RecordedReply> {
        self.shared.world.lock().journal.replies.clone()
    }

    /// How many 429s were sent in total.
    pub fn throttled(&self) -> u64 {
        self.shared.world.lock().journal.throttled
    }

    /// How many 429s were sent per path.
    pub fn throttled_by_path(&self) -> BTreeMap<String, u64> {
        self.shared.world.lock().journal.throttled_by_path.clone()
    }

    /// The most history requests that were in flight at once.
    pub fn max_concurrent_history(&self) -> usize {
        lock(&self.shared.pacer).history_peak()
    }

    /// The position in `conid` held by `account` (0 when flat).
    pub fn position(&self, account: &str, conid: u64) -> f64 {
        self.shared
            .world
            .lock()
            .trading
            .book(account)
            .and_then(|b| b.positions.get(&conid))
            .map(|p| p.quantity)
            .unwrap_or(0.0)
    }

    /// The cash balance of `account` in USD.
    pub fn cash(&self, account: &str) -> f64 {
        self.shared
            .world
            .lock()
            .trading
            .book(account)
            .map(|b| b.cash)
            .unwrap_or(0.0)
    }

    /// Every request the IP allow-list refused, oldest first (see
    /// [`GatewayBuilder::allow`](crate::GatewayBuilder::allow)).
    pub fn refused(&self) -> Vec<RefusedRequest> {
        self.shared.world.lock().journal.refused.to_vec()
    }

    /// The login journal: one entry per credentials submission to the simulated
    /// `/sso/Login` page, oldest first, with its outcome as it stands now (an attempt waiting
    /// for its second factor is updated when the code or the push arrives). Passwords and
    /// codes are never recorded.
    pub fn logins(&self) -> Vec<LoginAttempt> {
        self.shared.world.lock().journal.logins.clone()
    }

    /// How many login attempts ended with this outcome.
    pub fn login_count(&self, outcome: &LoginOutcome) -> usize {
        self.shared
            .world
            .lock()
            .journal
            .logins
            .iter()
            .filter(|a| &a.outcome == outcome)
            .count()
    }

    /// Forget the recorded requests, orders, replies, 429 counts, refused requests and login
    /// attempts (books stay; a login waiting for its second factor is no longer updated in
    /// the journal).
    pub fn clear(&self) {
        self.shared.world.lock().journal.clear();
    }
}
