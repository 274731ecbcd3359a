//! The simulator's record of what it received and decided, read through [`crate::Inspector`].

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::SystemTime;

/// One request as the simulator received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, upper case.
    pub method: String,
    /// Path under `/v1/api` for gateway requests (e.g. `/iserver/accounts`), the full path otherwise.
    pub path: String,
    /// The raw query string, if there was one.
    pub query: Option<String>,
    /// The request body as text (lossy UTF-8; empty when there was none).
    pub body: String,
    /// When it arrived.
    pub at: SystemTime,
    /// The status the simulator answered with; `None` while in flight or when the connection was dropped.
    pub status: Option<u16>,
}

/// What became of one order the client submitted (or a modification of one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderOutcome {
    /// Questions were asked and the reply is still outstanding.
    AwaitingReply,
    /// The order went live (acknowledged with an order id).
    Confirmed,
    /// The client answered a question with `confirmed:false`.
    Discarded,
    /// Another request arrived before the reply, which cancels the order (cpapi-v1).
    Invalidated,
    /// Rejected with `{"error":...}`; the text is the error.
    Rejected(String),
}

/// One order submission (or modification) and its fate.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRecord {
    /// `true` for a modification of a live order, `false` for a new order.
    pub modification: bool,
    /// The account in the request path.
    pub account: String,
    /// The contract id, if the body named one.
    pub conid: Option<u64>,
    /// `BUY` or `SELL` as sent.
    pub side: String,
    /// The order type as sent (`MKT`, `LMT`, `STP`, ...).
    pub order_type: String,
    /// The quantity as sent.
    pub quantity: f64,
    /// The limit price, if any.
    pub price: Option<f64>,
    /// Message ids of the questions asked for this order, in order.
    pub questions: Vec<String>,
    /// The order id, once the order went live.
    pub order_id: Option<String>,
    /// What became of it.
    pub outcome: OrderOutcome,
}

/// One `POST /iserver/reply/{replyId}` the simulator received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedReply {
    /// The reply id in the path.
    pub reply_id: String,
    /// The `confirmed` value in the body (`false` when absent).
    pub confirmed: bool,
    /// Whether the id was still valid.
    pub accepted: bool,
}

/// One request the IP allow-list refused (`ips.allow` / `ips.deny`): it never reached the
/// router, so it is not among [`RecordedRequest`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedRequest {
    /// The client's address (the TCP peer; `X-Forwarded-For` is ignored, as by the gateway).
    pub peer: IpAddr,
    /// HTTP method, upper case.
    pub method: String,
    /// The full request path (not shortened under `/v1/api`).
    pub path: String,
    /// The status answered: 404 (`Access Denied`), or 500 for a broken allow-list entry.
    pub status: u16,
    /// When it arrived.
    pub at: SystemTime,
}

/// Everything the inspector exposes, kept behind one lock.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) orders: Vec<OrderRecord>,
    pub(crate) replies: Vec<RecordedReply>,
    pub(crate) throttled: u64,
    pub(crate) throttled_by_path: BTreeMap<String, u64>,
    pub(crate) refused: Vec<RefusedRequest>,
    pub(crate) logins: Vec<crate::login::LoginAttempt>,
}

impl Journal {
    /// Record a request and return its index, so the status can be filled in later.
    pub(crate) fn record(&mut self, request: RecordedRequest) -> usize {
        self.requests.push(request);
        self.requests.len() - 1
    }

    pub(crate) fn set_status(&mut self, index: usize, status: u16) {
        if let Some(r) = self.requests.get_mut(index) {
            r.status = Some(status);
        }
    }

    pub(crate) fn count_throttled(&mut self, path: &str) {
        self.throttled += 1;
        *self.throttled_by_path.entry(path.to_string()).or_default() += 1;
    }

    pub(crate) fn clear(&mut self) {
        *self = Journal::default();
    }
}
