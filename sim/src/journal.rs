//! The simulator's record of what it received and decided, read through [`crate::Inspector`].

use std::collections::{BTreeMap, VecDeque};
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

/// A log that keeps every entry, or only the last `cap` (a ring: the oldest go first).
/// Entries are addressed by their sequence number, which stays valid while they are kept.
#[derive(Debug, Clone)]
pub(crate) struct Ring<T> {
    items: VecDeque<T>,
    /// Sequence number of `items[0]` (= entries dropped so far).
    first: usize,
    cap: Option<usize>,
}

impl<T> Default for Ring<T> {
    fn default() -> Self {
        Ring::new(None)
    }
}

impl<T> Ring<T> {
    pub(crate) fn new(cap: Option<usize>) -> Self {
        Ring {
            items: VecDeque::new(),
            first: 0,
            cap: cap.map(|c| c.max(1)),
        }
    }

    /// Append; returns the entry's sequence number.
    pub(crate) fn push(&mut self, item: T) -> usize {
        self.items.push_back(item);
        if let Some(cap) = self.cap {
            while self.items.len() > cap {
                self.items.pop_front();
                self.first += 1;
            }
        }
        self.first + self.items.len() - 1
    }

    /// The entry with this sequence number, if still kept.
    pub(crate) fn get_mut(&mut self, seq: usize) -> Option<&mut T> {
        self.items.get_mut(seq.checked_sub(self.first)?)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }

    pub(crate) fn dropped(&self) -> usize {
        self.first
    }

    pub(crate) fn cap(&self) -> Option<usize> {
        self.cap
    }
}

impl<T: Clone> Ring<T> {
    pub(crate) fn to_vec(&self) -> Vec<T> {
        self.items.iter().cloned().collect()
    }
}

/// Everything the inspector exposes, kept behind one lock.
///
/// Bounds: embedded in tests ([`GatewayBuilder`](crate::GatewayBuilder)'s default) every
/// request is kept, so a test can inspect all it sent. A standalone simulator (`ibkr-sim`,
/// `ibkr sim`) runs for days: there the requests and the refused requests are rings of the
/// last [`STANDALONE_JOURNAL`] (`GatewayBuilder::with_journal_capacity`), as are the WebSocket
/// frames clients sent. Orders, replies and login attempts are one per order or login (a
/// person's pace) and are kept.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    pub(crate) requests: Ring<RecordedRequest>,
    pub(crate) orders: Vec<OrderRecord>,
    pub(crate) replies: Vec<RecordedReply>,
    pub(crate) throttled: u64,
    pub(crate) throttled_by_path: BTreeMap<String, u64>,
    pub(crate) refused: Ring<RefusedRequest>,
    pub(crate) logins: Vec<LoginAttempt>,
}

/// How many requests (and WebSocket frames) a standalone simulator keeps.
pub const STANDALONE_JOURNAL: usize = 10_000;

impl Journal {
    /// A journal keeping every request (`None`) or the last `cap`.
    pub(crate) fn with_capacity(cap: Option<usize>) -> Self {
        Journal {
            requests: Ring::new(cap),
            refused: Ring::new(cap),
            ..Journal::default()
        }
    }

    /// Record a request and return its sequence number, so the status can be filled in later
    /// (unless it has left the ring by then).
    pub(crate) fn record(&mut self, request: RecordedRequest) -> usize {
        self.requests.push(request)
    }

    pub(crate) fn set_status(&mut self, seq: usize, status: u16) {
        if let Some(r) = self.requests.get_mut(seq) {
            r.status = Some(status);
        }
    }

    pub(crate) fn count_throttled(&mut self, path: &str) {
        self.throttled += 1;
        *self.throttled_by_path.entry(path.to_string()).or_default() += 1;
    }

    pub(crate) fn clear(&mut self) {
        *self = Journal::with_capacity(self.requests.cap());
    }
}

/// What became of one login attempt (one credentials submission).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Unknown user or wrong password: `Invalid username password combination`.
    InvalidCredentials,
    /// A paper user with the toggle on live (the login page's `PAPER_USER_IN_LIVE_MODE` message).
    PaperUserInLiveMode,
    /// A live user with the toggle on paper (the login page's `LIVE_USER_IN_PAPER_MODE` message).
    LiveUserInPaperMode,
    /// The code step is showing; no right code yet.
    AwaitingCode,
    /// The push step is showing; the push is not approved (yet, or ever with
    /// `push_unanswered`).
    AwaitingPush,
    /// Too many wrong codes: the attempt is over.
    WrongCode,
    /// Logged in: the API session is authenticated.
    Succeeded,
    /// The page said `Client login succeeds` but the API session was left alone (the
    /// `page_success_without_api` fault).
    PageOnlySuccess,
}

/// One credentials submission to the login page. Holds no password and no code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginAttempt {
    /// The username as typed.
    pub username: String,
    /// Whether the toggle was on paper.
    pub paper_mode: bool,
    /// Whether the page was served with changed selectors when the form arrived.
    pub changed_selectors: bool,
    /// The outcome as it stands.
    pub outcome: LoginOutcome,
    /// Wrong second-factor codes submitted for this attempt.
    pub rejected_codes: u32,
    /// When the credentials arrived.
    pub at: SystemTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_keeps_the_last_entries_and_their_sequence_numbers() {
        let mut ring = Ring::new(Some(3));
        for n in 0..10 {
            assert_eq!(ring.push(n), n);
        }
        assert_eq!(ring.to_vec(), [7, 8, 9]);
        assert_eq!(ring.dropped(), 7);
        assert!(ring.get_mut(6).is_none());
        *ring.get_mut(8).unwrap() = 80;
        assert_eq!(ring.to_vec(), [7, 80, 9]);
        let mut all = Ring::new(None);
        for n in 0..1000 {
            all.push(n);
        }
        assert_eq!(all.iter().count(), 1000);
    }
}
