//! What the streams deliver: the events around the data, and the data of each topic.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::conid::Conid;
use crate::history::Bar;
use crate::orders::LiveOrder;
use crate::snapshot::{Field, Quote};

/// One item of a subscription.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent<T> {
    /// New data.
    Data(T),
    /// The socket was reconnected: updates may have been missed in between. Values that
    /// follow are current again; merged state (quotes, orders) is kept.
    Gap,
    /// This many items were dropped because the consumer fell behind (never for quotes,
    /// which conflate to the latest value instead).
    Lagged(u64),
    /// The server refused or failed this subscription, or sent a frame for it that could not
    /// be read. Other subscriptions are not affected; the subscription stays registered and
    /// is retried on the next connection unless the error says otherwise.
    Error(StreamError),
}

/// What went wrong with one topic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{topic}: {kind}{}", if *repeated > 0 { format!(" (and {repeated} more like it)") } else { String::new() })]
pub struct StreamError {
    /// The topic as the wire names it (`smd+265598`, `sor`, `ssd+DU1234567`, ...).
    pub topic: String,
    /// What happened.
    pub kind: StreamErrorKind,
    /// How many earlier errors of the same topic and kind were folded into this one while it
    /// waited, unread, in the subscription's buffer (0 for a lone error): a flood of bad
    /// frames costs one buffered event, not one each.
    pub repeated: u64,
}

impl StreamError {
    /// An error of `topic`, not (yet) folded with others.
    pub fn new(topic: impl Into<String>, kind: StreamErrorKind) -> Self {
        StreamError {
            topic: topic.into(),
            kind,
            repeated: 0,
        }
    }

    /// Whether `other` is the same error, bar its details (same topic, same kind of kind).
    pub(crate) fn same_as(&self, other: &StreamError) -> bool {
        self.topic == other.topic
            && std::mem::discriminant(&self.kind) == std::mem::discriminant(&other.kind)
    }
}

/// The kinds of [`StreamError`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamErrorKind {
    /// IBKR does not know the contract (`{"error":"invalid conid"}`): fix the conid.
    #[error("invalid conid: check the contract id (ibkr conid SYMBOL)")]
    InvalidConid,
    /// IBKR refused the subscription (`sor`'s `unable to subscribe`); it is retried with
    /// backoff after priming `/iserver/accounts` and live orders.
    #[error("refused by IBKR ({0}); retrying with backoff")]
    Refused(String),
    /// An error frame for this topic.
    #[error("IBKR error{}: {text}", code.map(|c| format!(" {c}")).unwrap_or_default())]
    Server {
        /// The code, when the frame had one.
        code: Option<i64>,
        /// The text.
        text: String,
    },
    /// A frame for this topic that is not valid JSON or lacks what the topic needs.
    #[error("unreadable frame ({0}); skipped")]
    Malformed(String),
    /// IBKR streams one price ladder per account (`ubd+<acct>` ends whichever ladder the
    /// account has): this account already has the book of another contract. Drop that
    /// subscription first; this one has ended.
    #[error(
        "account {account} already streams the book of conid {}: IBKR allows one price ladder per account; drop that book first",
        conid.0
    )]
    OneBookPerAccount {
        /// The account.
        account: String,
        /// The contract whose book the account streams.
        conid: Conid,
    },
    /// The WebSocket upgrade was refused (HTTP 401/403): the session is not logged in or
    /// the session id is stale. The manager reconnects after a fresh `/tickle`.
    #[error("WebSocket upgrade refused with HTTP {0}: log in (gateway) or renew the session")]
    UpgradeRefused(u16),
}

/// What a session's streams hold now: the figures the bounds of the module docs ("Bounds")
/// apply to. From [`Streams::retained`](super::Streams::retained).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Retained {
    /// Live subscriptions (handles not yet dropped).
    pub subscriptions: usize,
    /// Merged quotes (subscribed conids only).
    pub quotes: usize,
    /// Merged orders (working ones, and finished ones for
    /// [`StreamConfig::terminal_order_ttl`](super::StreamConfig::terminal_order_ttl); at most
    /// [`StreamConfig::max_orders`](super::StreamConfig::max_orders)).
    pub orders: usize,
    /// Execution ids remembered to deliver each execution once (at most
    /// [`StreamConfig::trades_window`](super::StreamConfig::trades_window)).
    pub executions_seen: usize,
    /// Merged account summaries (subscribed accounts only).
    pub summaries: usize,
    /// Merged ledgers (subscribed accounts only).
    pub ledgers: usize,
    /// Events waiting, unread, in every subscription's buffer.
    pub buffered: usize,
}

impl Retained {
    /// Every entry held, buffered events included.
    pub fn total(&self) -> usize {
        self.quotes
            + self.orders
            + self.executions_seen
            + self.summaries
            + self.ledgers
            + self.buffered
    }
}

/// A market data update: the merged quote (every field seen so far, decoded like REST
/// snapshots) and the fields this update changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuoteUpdate {
    /// The merged quote.
    pub quote: Quote,
    /// The fields that changed since the previous item of this subscription (conflated
    /// updates report every field that changed since).
    pub changed: Vec<Field>,
}

/// An order update (`sor`): the order as every partial update IBKR has sent for it so far,
/// merged by order id, decoded like REST's live orders.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderUpdate {
    /// IBKR's order id.
    pub order_id: String,
    /// The merged order.
    pub order: LiveOrder,
    /// IBKR's keys this update changed (`status`, `filledQuantity`, ...).
    pub changed: Vec<String>,
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', "").parse().ok(),
        _ => None,
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Profit and loss of one account partition (`spl` `args.<acct>.Core`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PnlRow {
    /// Daily P&L (`dpl`).
    pub daily: Option<f64>,
    /// Unrealized P&L (`upl`).
    pub unrealized: Option<f64>,
    /// Net liquidation (`nl`).
    pub net_liquidation: Option<f64>,
    /// Excess liquidity (`uel`).
    pub excess_liquidity: Option<f64>,
    /// Market value (`mv`).
    pub market_value: Option<f64>,
}

/// The merged P&L of every partition (`DU1234567.Core` ...).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PnlUpdate {
    /// Rows by partition key.
    pub rows: BTreeMap<String, PnlRow>,
}

impl PnlUpdate {
    pub(crate) fn merge(&mut self, args: &Map<String, Value>) {
        for (key, row) in args {
            let r = self.rows.entry(key.clone()).or_default();
            let set = |slot: &mut Option<f64>, k: &str| {
                if let Some(n) = number(row.get(k)) {
                    *slot = Some(n);
                }
            };
            set(&mut r.daily, "dpl");
            set(&mut r.unrealized, "upl");
            set(&mut r.net_liquidation, "nl");
            set(&mut r.excess_liquidity, "uel");
            set(&mut r.market_value, "mv");
        }
    }
}

/// One account value (`ssd`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountValue {
    /// The amount, when the value is monetary or numeric.
    pub amount: Option<f64>,
    /// The currency.
    pub currency: Option<String>,
    /// The value as text, when it is not a number.
    pub text: Option<String>,
}

/// An account's merged summary (`ssd+<acct>`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SummaryUpdate {
    /// The account.
    pub account: String,
    /// Values by key (`netliquidation`, `availablefunds`, ...).
    pub values: BTreeMap<String, AccountValue>,
    /// The keys this update changed.
    pub changed: Vec<String>,
}

impl SummaryUpdate {
    pub(crate) fn merge(&mut self, rows: &[Value]) {
        self.changed.clear();
        for row in rows {
            let Some(key) = text(row.get("key")) else {
                continue;
            };
            let value = AccountValue {
                amount: number(row.get("monetaryValue")).or_else(|| number(row.get("value"))),
                currency: text(row.get("currency")),
                text: text(row.get("value")),
            };
            self.values.insert(key.clone(), value);
            self.changed.push(key);
        }
    }
}

/// An account's merged ledger (`sld+<acct>`): one row per currency key (`LedgerListBASE`, ...).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LedgerUpdate {
    /// The account.
    pub account: String,
    /// Rows by key, every field IBKR sent merged.
    pub rows: BTreeMap<String, Map<String, Value>>,
}

impl LedgerUpdate {
    pub(crate) fn merge(&mut self, rows: &[Value]) {
        for row in rows {
            let (Some(key), Some(obj)) = (text(row.get("key")), row.as_object()) else {
                continue;
            };
            let slot = self.rows.entry(key).or_default();
            for (k, v) in obj {
                slot.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Streaming history (`smh`): bars, volumes already multiplied by `volumeFactor`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HistoryUpdate {
    /// The contract.
    pub conid: Conid,
    /// The server's id for this stream (what `umh` needs).
    pub server_id: Option<String>,
    /// The bars, oldest first.
    pub bars: Vec<Bar>,
}

impl HistoryUpdate {
    pub(crate) fn from_json(conid: Conid, v: &Value) -> HistoryUpdate {
        let volume_factor = number(v.get("volumeFactor")).unwrap_or(1.0);
        let bars = v
            .get("data")
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .filter_map(|b| {
                        Some(Bar {
                            time: Utc.timestamp_millis_opt(b.get("t")?.as_i64()?).single()?,
                            open: number(b.get("o"))?,
                            high: number(b.get("h"))?,
                            low: number(b.get("l"))?,
                            close: number(b.get("c"))?,
                            volume: number(b.get("v")).unwrap_or(0.0) * volume_factor,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        HistoryUpdate {
            conid,
            server_id: text(v.get("serverId")),
            bars,
        }
    }
}

/// One row of the price ladder (`sbd`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BookRow {
    /// The price.
    pub price: Option<f64>,
    /// Size bid at this price.
    pub bid: Option<f64>,
    /// Size offered at this price.
    pub ask: Option<f64>,
    /// The row IBKR focuses (the inside market).
    pub focus: bool,
}

/// The price ladder of one contract (`sbd`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BookUpdate {
    /// The account it was requested for.
    pub account: String,
    /// The contract.
    pub conid: Conid,
    /// Rows, top first.
    pub rows: Vec<BookRow>,
}

impl BookUpdate {
    pub(crate) fn rows(v: &Value) -> Vec<BookRow> {
        v.get("data")
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .map(|r| BookRow {
                        price: number(r.get("price")),
                        bid: number(r.get("bid")),
                        ask: number(r.get("ask")),
                        focus: number(r.get("focus")).is_some_and(|f| f != 0.0),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A notification (`ntf`), order prompts included.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Notification {
    /// IBKR's id.
    pub id: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// The text.
    pub text: Option<String>,
    /// A link.
    pub url: Option<String>,
    /// When this is a server prompt (an order question): its message id (`p12`), the order
    /// and the options offered.
    pub prompt: Option<Prompt>,
    /// Everything IBKR sent.
    pub raw: Value,
}

/// A server prompt carried by `ntf`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prompt {
    /// The message id (`p12`).
    pub message_id: Option<String>,
    /// The order it is about.
    pub order_id: Option<String>,
    /// The answers offered.
    pub options: Vec<String>,
}

impl Notification {
    pub(crate) fn from_json(v: &Value) -> Notification {
        let is_prompt = v.get("prompt").and_then(Value::as_bool).unwrap_or(false)
            || v.get("messageId").is_some();
        Notification {
            id: text(v.get("id")),
            title: text(v.get("title")),
            text: text(v.get("text")),
            url: text(v.get("url")),
            prompt: is_prompt.then(|| Prompt {
                message_id: text(v.get("messageId")),
                order_id: text(v.get("orderId")),
                options: v
                    .get("options")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|o| text(Some(o))).collect())
                    .unwrap_or_default(),
            }),
            raw: v.clone(),
        }
    }
}

/// A bulletin (`blt`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bulletin {
    /// IBKR's id.
    pub id: Option<String>,
    /// The message.
    pub message: Option<String>,
    /// Everything IBKR sent.
    pub raw: Value,
}

impl Bulletin {
    pub(crate) fn from_json(v: &Value) -> Bulletin {
        Bulletin {
            id: text(v.get("id")),
            message: text(v.get("message")),
            raw: v.clone(),
        }
    }
}

/// Where the connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ConnectionState {
    /// Getting the session id and opening the socket.
    Connecting,
    /// Open, waiting for the server's `system` frame (nothing is sent before it).
    WaitingForServer,
    /// Ready: subscriptions are live.
    Ready,
    /// Closed; the next attempt is scheduled.
    Backoff,
    /// The session shut down, or every handle was dropped.
    Closed,
}

/// What happens to the connection and the session (`streams.status()`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// Connecting (attempt 1 is the first; the count resets once ready).
    Connecting {
        /// Attempts since the last ready connection.
        attempt: u32,
    },
    /// The server's `system` frame arrived; subscriptions were (re)sent.
    Ready {
        /// The user name in the `system` frame.
        user: Option<String>,
        /// Whether this is a reconnection (every stream also got a `Gap`).
        reconnected: bool,
    },
    /// `sts`: the brokerage session's state as the socket reports it.
    Session {
        /// `authenticated`.
        authenticated: Option<bool>,
        /// `competing`.
        competing: Option<bool>,
        /// `message`.
        message: Option<String>,
    },
    /// `act`: the accounts of the session.
    Accounts {
        /// Account ids.
        accounts: Vec<String>,
        /// The selected account.
        selected: Option<String>,
    },
    /// The connection ended; a reconnection follows after `retry_in`.
    Disconnected {
        /// Why.
        reason: String,
        /// The backoff before the next attempt.
        retry_in: std::time::Duration,
    },
    /// `/tickle` reports another session id than the socket's (a re-login under an open
    /// socket): the manager reconnects.
    SessionChanged,
    /// The server said `waiting for session` (no cookie reached it); the session id was sent.
    WaitingForSession,
    /// An error frame without a topic, or a frame without a known topic that could not be
    /// read (subscriptions are not affected).
    Error(StreamError),
    /// The session shut down or every handle was dropped: no more events.
    Closed,
}
