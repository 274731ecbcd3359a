//! The subscriptions and the merged state behind them, owned by the manager task: frames are
//! decoded per topic here, merged, and delivered to the subscriptions whose topic they are
//! for through one generic path ([`Hub::deliver`]).

use std::collections::{BTreeMap, HashMap};

use ibkr_gen::trading::types::{LiveOrdersResponseOrdersItem, TradesResponseItem};
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::StreamConfig;
use super::bounded::{OrderBook, SeenWindow};
use super::decode::{Applied, FrameError, QuoteMerger, loose_object};
use super::reconcile::{Desired, OnSocket};
use super::sink::{Item, Sink};
use super::topic::{Request, Topic, WireTopic};
use super::types::*;
use crate::conid::Conid;
use crate::orders::LiveOrder;
use crate::portfolio::Trade;

struct Sub {
    topic: Topic,
    sink: Sink,
}

/// Every subscription, and what the manager merged for them.
pub(crate) struct Hub {
    subs: BTreeMap<u64, Sub>,
    merger: QuoteMerger,
    orders: OrderBook,
    pnl: PnlUpdate,
    summaries: HashMap<String, SummaryUpdate>,
    ledgers: HashMap<String, LedgerUpdate>,
    trades_seen: SeenWindow,
}

impl Hub {
    pub(crate) fn new(config: &StreamConfig) -> Self {
        Hub {
            subs: BTreeMap::new(),
            merger: QuoteMerger::default(),
            orders: OrderBook::new(config.terminal_order_ttl, config.max_orders),
            pnl: PnlUpdate::default(),
            summaries: HashMap::new(),
            ledgers: HashMap::new(),
            trades_seen: SeenWindow::new(config.trades_window),
        }
    }

    /// Add a subscription; it gets the merged state already known, or, when it cannot be
    /// served, its error and the end.
    pub(crate) fn subscribe(&mut self, id: u64, topic: Topic, sink: Sink) {
        if let Some(kind) = self.refusal(&topic) {
            sink.error(StreamError::new(topic.name(), kind));
            sink.close();
            return;
        }
        self.replay(&topic, &sink);
        self.subs.insert(id, Sub { topic, sink });
    }

    pub(crate) fn unsubscribe(&mut self, id: u64) {
        self.subs.remove(&id);
    }

    /// Why a new subscription cannot be served, if it cannot: IBKR streams one price ladder
    /// per account (`ubd+<acct>` names no contract), so a book of another contract on an
    /// account that already has one is refused rather than silently replacing (or, when
    /// dropped, ending) the first.
    fn refusal(&self, topic: &Topic) -> Option<StreamErrorKind> {
        let Topic::Book { account, conid } = topic else {
            return None;
        };
        self.subs.values().find_map(|sub| match &sub.topic {
            Topic::Book {
                account: a,
                conid: c,
            } if a == account && c != conid => Some(StreamErrorKind::OneBookPerAccount {
                account: account.clone(),
                conid: Conid(*c),
            }),
            _ => None,
        })
    }

    /// Give a new subscriber what is already known (idempotent subscriptions).
    fn replay(&self, topic: &Topic, sink: &Sink) {
        match (topic, sink) {
            (Topic::Quotes { conids, .. }, Sink::Quotes(feed)) => {
                for c in conids {
                    if let Some(q) = self.merger.quote(Conid(*c)) {
                        feed.push(QuoteUpdate {
                            quote: q.clone(),
                            changed: q.fields.keys().copied().collect(),
                        });
                    }
                }
            }
            (Topic::Pnl, Sink::Pnl(feed)) if !self.pnl.rows.is_empty() => {
                feed.push(self.pnl.clone())
            }
            (Topic::Summary(a), Sink::Summary(feed)) => {
                if let Some(s) = self.summaries.get(a) {
                    feed.push(s.clone());
                }
            }
            (Topic::Ledger(a), Sink::Ledger(feed)) => {
                if let Some(s) = self.ledgers.get(a) {
                    feed.push(s.clone());
                }
            }
            _ => {}
        }
    }

    /// What the subscriptions want of the server.
    pub(crate) fn desired(&self) -> Desired {
        Desired::of(self.subs.iter().map(|(id, sub)| (*id, &sub.topic)))
    }

    /// Drop merged state nobody wants: quotes, summaries and ledgers of conids and accounts
    /// no subscription names (also those dropped while the socket was down, which no `umd`
    /// names).
    pub(crate) fn forget_unwanted(&mut self, want: &Desired) {
        self.merger.retain(|c| want.md.contains_key(&c.0));
        self.summaries.retain(|a, _| want.summaries.contains(a));
        self.ledgers.retain(|a, _| want.ledgers.contains(a));
    }

    /// Finished orders age out even when no `sor` frame comes.
    pub(crate) fn sweep_orders(&mut self, now: Instant) {
        self.orders.sweep(now);
    }

    /// What the manager holds now (every figure has a bound: "Bounds" in the module docs).
    pub(crate) fn retained(&self) -> Retained {
        Retained {
            subscriptions: self.subs.len(),
            quotes: self.merger.len(),
            orders: self.orders.len(),
            executions_seen: self.trades_seen.len(),
            summaries: self.summaries.len(),
            ledgers: self.ledgers.len(),
            buffered: self.subs.values().map(|s| s.sink.len()).sum(),
        }
    }

    /// `items` to every subscription whose topic `wants`, whose sink takes `T`.
    fn deliver_where<T: Item>(&self, wants: impl Fn(&Topic) -> bool, items: &[T]) {
        for sub in self.subs.values().filter(|s| wants(&s.topic)) {
            if let Some(feed) = T::feed(&sub.sink) {
                for item in items {
                    feed.push(item.clone());
                }
            }
        }
    }

    /// `items` to the subscriptions of `wire`.
    fn deliver<T: Item>(&self, wire: &WireTopic, items: &[T]) {
        self.deliver_where(|t| t.feeds_on(wire), items);
    }

    /// An event for the status streams.
    pub(crate) fn status(&self, event: ConnectionEvent) {
        self.deliver_where(|_| true, &[event]);
    }

    /// A new connection after an earlier one: a `Gap` on every stream.
    pub(crate) fn gap(&self) {
        for sub in self.subs.values() {
            sub.sink.gap();
        }
    }

    /// The streams shut down: every buffer closes.
    pub(crate) fn close(&self) {
        for sub in self.subs.values() {
            sub.sink.close();
        }
    }

    /// An error for every subscription but the status streams (a refused upgrade).
    pub(crate) fn error_everywhere(&self, kind: StreamErrorKind) {
        for sub in self.subs.values() {
            if !matches!(sub.sink, Sink::Status(_)) {
                sub.sink
                    .error(StreamError::new(sub.topic.name(), kind.clone()));
            }
        }
    }

    /// Give an error to the subscriptions of `topic`, or to the status stream when none.
    pub(crate) fn route_error(&self, topic: Option<&str>, kind: StreamErrorKind) {
        let name = topic.unwrap_or("");
        let wire = topic.and_then(WireTopic::parse);
        let mut delivered = false;
        for sub in self.subs.values() {
            if wire.as_ref().is_some_and(|w| sub.topic.feeds_on(w)) {
                sub.sink.error(StreamError::new(name, kind.clone()));
                delivered = true;
            }
        }
        if !delivered {
            self.status(ConnectionEvent::Error(StreamError::new(name, kind)));
        }
    }

    pub(crate) fn malformed(&self, e: FrameError) {
        tracing::debug!(reason = %e.reason, topic = ?e.topic, "stream: unreadable frame");
        self.route_error(e.topic.as_deref(), StreamErrorKind::Malformed(e.reason));
    }

    /// The fast path: a market data frame is merged and fanned out (`true`), or reported
    /// when malformed (`true`); `false` for any other frame.
    pub(crate) fn market_frame(&mut self, text: &str, on_socket: &OnSocket) -> bool {
        match self.merger.apply(text) {
            Ok(Applied::Market { conid, changed }) => {
                if !on_socket.md.contains_key(&conid.0) {
                    // Not subscribed (a frame after `umd`, or one naming any conid): no
                    // state is kept for it.
                    self.merger.remove(conid);
                } else if let (false, Some(quote)) = (changed.is_empty(), self.merger.quote(conid))
                {
                    let update = QuoteUpdate {
                        quote: quote.clone(),
                        changed,
                    };
                    self.deliver(&WireTopic::Market(conid.0), &[update]);
                }
                true
            }
            Ok(Applied::Other) => false,
            Err(e) => {
                self.malformed(e);
                true
            }
        }
    }

    /// A frame of `wire` (other than market data): decoded, merged and delivered. Returns
    /// what it makes the manager send (`umh` for a history dropped before the server named
    /// it).
    pub(crate) fn topic_frame(
        &mut self,
        wire: &WireTopic,
        body: &Value,
        on_socket: &mut OnSocket,
    ) -> Vec<Request> {
        let args = body.get("args");
        let rows = || list(args.or_else(|| body.get("result")));
        match wire {
            WireTopic::SessionStatus => {
                let a = args.unwrap_or(&Value::Null);
                self.status(ConnectionEvent::Session {
                    authenticated: a.get("authenticated").and_then(Value::as_bool),
                    competing: a.get("competing").and_then(Value::as_bool),
                    message: a.get("message").and_then(Value::as_str).map(str::to_string),
                });
            }
            WireTopic::Accounts => {
                let a = args.unwrap_or(&Value::Null);
                let text = |v: &Value| v.as_str().map(str::to_string);
                self.status(ConnectionEvent::Accounts {
                    accounts: a
                        .get("accounts")
                        .and_then(Value::as_array)
                        .map(|v| v.iter().filter_map(text).collect())
                        .unwrap_or_default(),
                    selected: a.get("selectedAccount").and_then(text),
                });
            }
            WireTopic::Orders => {
                let updates = self.merge_orders(args);
                self.deliver(wire, &updates);
            }
            WireTopic::Trades => {
                let new: Vec<Trade> = list(args)
                    .into_iter()
                    .filter_map(|row| match row {
                        Value::Object(o) => {
                            Some(Trade::from_raw(&decoded::<TradesResponseItem>("str", o)))
                        }
                        _ => None,
                    })
                    .filter(|t| !t.execution_id.is_empty())
                    .filter(|t| self.trades_seen.insert(&t.execution_id))
                    .collect();
                self.deliver(wire, &new);
            }
            WireTopic::Pnl => {
                let Some(map) = args.and_then(Value::as_object) else {
                    let kind = StreamErrorKind::Malformed("spl without args".into());
                    self.route_error(Some(&wire.to_string()), kind);
                    return Vec::new();
                };
                self.pnl.merge(map);
                self.deliver(wire, std::slice::from_ref(&self.pnl));
            }
            WireTopic::Summary(account) if on_socket.summaries.contains(account) => {
                let summary =
                    self.summaries
                        .entry(account.clone())
                        .or_insert_with(|| SummaryUpdate {
                            account: account.clone(),
                            ..SummaryUpdate::default()
                        });
                summary.merge(&rows());
                let summary = summary.clone();
                self.deliver(wire, &[summary]);
            }
            WireTopic::Ledger(account) if on_socket.ledgers.contains(account) => {
                let ledger = self
                    .ledgers
                    .entry(account.clone())
                    .or_insert_with(|| LedgerUpdate {
                        account: account.clone(),
                        ..LedgerUpdate::default()
                    });
                ledger.merge(&rows());
                let ledger = ledger.clone();
                self.deliver(wire, &[ledger]);
            }
            WireTopic::History(conid) => return self.history_frame(*conid, body, on_socket),
            WireTopic::Book { account, conid } => {
                let update = BookUpdate {
                    account: account.clone(),
                    conid: Conid(*conid),
                    rows: BookUpdate::rows(body),
                };
                self.deliver(wire, &[update]);
            }
            WireTopic::Notifications => {
                let items: Vec<Notification> =
                    list(args).iter().map(Notification::from_json).collect();
                self.deliver(wire, &items);
            }
            WireTopic::Bulletins => {
                let items: Vec<Bulletin> = list(args).iter().map(Bulletin::from_json).collect();
                self.deliver(wire, &items);
            }
            other => tracing::trace!(topic = %other, "stream: frame of an unhandled topic"),
        }
        Vec::new()
    }

    /// `sor` rows merged by order id; the updates to deliver.
    fn merge_orders(&mut self, args: Option<&Value>) -> Vec<OrderUpdate> {
        let now = Instant::now();
        let mut updates = Vec::new();
        for row in list(args) {
            let Some(obj) = row.as_object() else { continue };
            let Some(id) = obj.get("orderId").and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }) else {
                continue;
            };
            let (merged, changed) = self.orders.merge(&id, obj, now);
            let order = LiveOrder::with_id(
                id.clone(),
                &decoded::<LiveOrdersResponseOrdersItem>("sor", merged),
            );
            updates.push(OrderUpdate {
                order_id: id,
                order,
                changed,
            });
        }
        updates
    }

    /// `smh+<conid>`: each history subscription is its own server stream. An answer goes to
    /// the subscription with its server id, else to the oldest of that conid still waiting
    /// for one (the first answer names it). One for a subscription dropped before that is
    /// ended now, by the id it names.
    fn history_frame(
        &mut self,
        conid: i64,
        body: &Value,
        on_socket: &mut OnSocket,
    ) -> Vec<Request> {
        let update = HistoryUpdate::from_json(Conid(conid), body);
        let of_conid = || on_socket.histories.iter().filter(|(_, (c, _))| *c == conid);
        let named = of_conid().find(|(_, (_, sid))| sid.is_some() && *sid == update.server_id);
        let Some(id) = named
            .or_else(|| of_conid().find(|(_, (_, sid))| sid.is_none()))
            .map(|(id, _)| *id)
        else {
            return Vec::new();
        };
        if let Some((_, sid)) = on_socket.histories.get_mut(&id)
            && sid.is_none()
        {
            sid.clone_from(&update.server_id);
        }
        match (self.subs.get(&id), &update.server_id) {
            (Some(sub), _) => {
                if let Some(feed) = HistoryUpdate::feed(&sub.sink) {
                    feed.push(update);
                }
                Vec::new()
            }
            (None, Some(server_id)) => vec![Request::EndHistory {
                id,
                server_id: server_id.clone(),
            }],
            (None, None) => Vec::new(),
        }
    }
}

/// A `topic` object decoded into the generated type REST decodes it into; values no type
/// reads are logged and left out.
fn decoded<T: serde::de::DeserializeOwned + Default>(topic: &str, object: Map<String, Value>) -> T {
    let (t, dropped) = loose_object::<T>(object);
    if !dropped.is_empty() {
        tracing::debug!(
            topic,
            ?dropped,
            "stream: values of unexpected types left out"
        );
    }
    t
}

/// `args` as a list: an array, or one object (`ntf` is documented as one object).
fn list(args: Option<&Value>) -> Vec<Value> {
    match args {
        Some(Value::Array(a)) => a.clone(),
        Some(v @ Value::Object(_)) => vec![v.clone()],
        _ => Vec::new(),
    }
}
