//! Live data over IBKR's WebSocket: typed subscriptions on one self-healing connection.
//!
//! ```no_run
//! use ibkr_ext::prelude::*;
//! use ibkr_ext::stream::StreamEvent;
//!
//! # async fn demo() -> ibkr_ext::Result<()> {
//! let ibkr = Ibkr::gateway()?;
//! ibkr.ensure_brokerage_session().await?;
//! let streams = ibkr.stream()?;
//! let mut quotes = streams.quotes(&[Conid(265598)], &[Field::LastPrice, Field::Bid, Field::Ask]);
//! while let Some(event) = quotes.next().await {
//!     match event {
//!         StreamEvent::Data(update) => println!("{:?} {:?}", update.quote.last(), update.changed),
//!         StreamEvent::Gap => println!("reconnected: updates may have been missed"),
//!         StreamEvent::Lagged(n) => println!("{n} updates dropped"),
//!         StreamEvent::Error(e) => println!("{e}"),
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # How it works
//!
//! One connection manager per session (every [`Ibkr::stream`] call on handles of the same
//! session returns the same one) runs as a task that owns the socket, the subscriptions and
//! all merged state. It:
//! - takes the session id from `POST /tickle` and authenticates the upgrade with
//!   `Cookie: api={"session":..}` (plus `?oauth_token=` with OAuth), over the TLS trust REST
//!   uses;
//! - sends nothing before the server's `system` frame (earlier frames are dropped);
//! - sends `tic` every [`StreamConfig::tic_interval`] and treats
//!   [`StreamConfig::dead_after`] without any frame as a dead socket;
//! - reconnects with jittered exponential backoff and resubscribes everything, then gives
//!   every stream a [`StreamEvent::Gap`];
//! - renews market data every 9 minutes (streams end after 10);
//! - meets a refused `sor` by calling `/iserver/accounts` and `orders?force=true`, then
//!   retrying with backoff (5 s doubling to 5 min);
//! - compares the socket's session with `/tickle`'s every minute and reconnects when it
//!   changed (the nightly re-login leaves heartbeats running and subscriptions dead).
//!
//! # One book per account
//!
//! IBKR's price ladder (`sbd+<acct>+<conid>`) is cancelled with `ubd+<acct>`, which names no
//! contract, and IBKR's WebSocket documentation (Web API v1.0, "Cancel Price Ladder
//! Subscription") says that after it "there will just be an end to the data stream for the
//! given acctId and the user may subscribe to a new price ladder source": one ladder per
//! account at a time. ibind (`PriceLadder`: `sbd+{acct}+{conid}` / `ubd+{acct}`) and the
//! transcribed topic tables agree on the shapes; none shows two ladders on one account.
//! So [`Streams::book`] enforces it: a second book of *another* contract on an account that
//! already streams one gets [`StreamErrorKind::OneBookPerAccount`] and ends, and the first is
//! untouched (before, dropping either sent `ubd` and silently ended both). Several handles
//! on the *same* book share it, as every topic does; `ubd` goes out when the last is dropped,
//! and before the `sbd` of the account's next book.
//!
//! # Buffers
//!
//! Each subscription has its own bounded buffer with a stated policy:
//!
//! | stream | when the consumer is slow |
//! |---|---|
//! | quotes | conflated per conid to the latest merged quote (changed fields accumulate) |
//! | pnl, account summary, ledger, book | conflated to the latest value |
//! | orders, trades, notifications, bulletins, history, status | queued up to [`StreamConfig::queue_capacity`], then `Lagged(n)` where items were dropped |
//!
//! The manager never waits for a consumer, so one slow consumer cannot stall the others.
//!
//! # Bounds
//!
//! A bot runs for weeks: everything the manager keeps has a bound and an eviction rule
//! ([`Streams::retained`] reports the figures):
//!
//! | state | bound | evicted |
//! |---|---|---|
//! | merged quotes | the subscribed conids | at `umd`, when no subscription wants the conid (also one dropped while the socket was down); a frame for any other conid leaves nothing behind |
//! | merged orders | working orders, plus finished ones for [`StreamConfig::terminal_order_ttl`] (10 min); never more than [`StreamConfig::max_orders`] (10,000) | a `Filled`/`Cancelled`/`Inactive` order `terminal_order_ttl` after it got there (checked on `sor` frames and once a minute); past the cap, the least recently updated, finished ones first, down to 90 % |
//! | execution ids seen (`str` dedup) | the last [`StreamConfig::trades_window`] (10,000) | oldest first; an execution older than the window that IBKR replays is delivered again |
//! | summaries, ledgers | the subscribed accounts | when the account's last subscription is dropped; frames for other accounts are ignored |
//! | P&L rows | the partitions IBKR sends (one per account) | never |
//! | buffers | quotes and conflated topics: one item per key; queued topics: [`StreamConfig::queue_capacity`]; errors: one per topic and kind, folded with a count ([`StreamError::repeated`]), on the status stream too (errors nobody subscribed to); `Gap`s: consecutive ones collapse (a full queue holds one, whatever the reconnections) | read by the consumer |
//!
//! The `stream_soak` benchmark (`cargo xtask bench`) drives a million frames through the
//! manager and prints the retained entries and the RSS; `tests/it/stream_bounds.rs` checks each
//! rule and a simulated week.
//!
//! # Ordering and ownership
//!
//! - One owner per piece of state: the manager task owns the socket, the subscription table,
//!   the merged quotes, orders, P&L, summaries and ledgers, and the record of what the
//!   server was asked for. Nobody else reads or writes them; handles talk to it only through
//!   an unbounded command channel (subscribe, unsubscribe), which is also how a dropped
//!   handle unsubscribes (a synchronous send in `Drop`).
//! - Each buffer is a plain mutex taken for one push or one pop, never across an await; the
//!   manager holds no lock while it awaits the socket, so no lock order can invert.
//! - REST work the manager needs (the session comparison, priming after a refused `sor`)
//!   runs in spawned tasks that report back over a channel: the socket loop never waits on
//!   REST.
//! - Per subscription, items arrive in the order the server sent them; a `Gap` comes
//!   before the first item of a new connection.
//! - The session owner keeps the manager weakly (one per session); the manager holds an
//!   `Ibkr` clone: the session lives while any stream or handle does.
//!   It stops when every handle is dropped or the session shuts down; buffers are then
//!   closed and `next()` returns `None` once drained.
//!
//! The session id is a [`Secret`](ibkr_gen::Secret): it appears in no error, event or log.

mod bounded;
mod decode;
mod feed;
mod manager;
mod socket;
mod types;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

pub use decode::{Applied, FrameError, QuoteMerger};
pub use types::*;

use crate::Ibkr;
use crate::conid::Conid;
use crate::error::{Error, Result};
pub use crate::snapshot::Field;
use feed::{Conflate, Feed, Policy};
use manager::{Command, Manager, Sink, Topic};

/// Timings and sizes of the connection manager. The defaults follow IBKR's documented
/// behaviour; tests shorten them.
#[derive(Clone, Debug)]
pub struct StreamConfig {
    /// How often `tic` is sent (IBKR: at least once a minute).
    pub tic_interval: Duration,
    /// A socket without any frame for this long is dead (three missed 10 s heartbeats).
    pub dead_after: Duration,
    /// How often market data subscriptions are renewed (they end after 10 minutes).
    pub md_renew: Duration,
    /// How often the socket's session is compared with `/tickle`'s.
    pub session_check: Duration,
    /// First reconnection delay (doubling, jittered).
    pub backoff_min: Duration,
    /// Longest reconnection delay.
    pub backoff_max: Duration,
    /// First retry delay after a refused `sor` (doubling, jittered).
    pub sor_backoff_min: Duration,
    /// Longest retry delay after a refused `sor`.
    pub sor_backoff_max: Duration,
    /// How long to wait for the server's `system` frame.
    pub ready_timeout: Duration,
    /// How long to wait for the TCP, TLS and WebSocket handshakes.
    pub connect_timeout: Duration,
    /// Items a queued stream holds before counting drops as `Lagged`.
    pub queue_capacity: usize,
    /// How long an order in a final status (`Filled`, `Cancelled`, `Inactive`) stays merged
    /// after reaching it.
    pub terminal_order_ttl: Duration,
    /// The most orders held merged; past it the least recently updated go first, finished
    /// ones before working ones.
    pub max_orders: usize,
    /// How many execution ids are remembered to deliver each execution once (`str` replays
    /// up to 7 days on every subscription).
    pub trades_window: usize,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            tic_interval: Duration::from_secs(50),
            dead_after: Duration::from_secs(30),
            md_renew: Duration::from_secs(9 * 60),
            session_check: Duration::from_secs(60),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            sor_backoff_min: Duration::from_secs(5),
            sor_backoff_max: Duration::from_secs(300),
            ready_timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(15),
            queue_capacity: 1024,
            terminal_order_ttl: Duration::from_secs(10 * 60),
            max_orders: 10_000,
            trades_window: 10_000,
        }
    }
}

/// What every `Streams` handle of one session shares: the way to its manager.
pub(crate) struct StreamsShared {
    commands: mpsc::UnboundedSender<Command>,
    state: watch::Receiver<ConnectionState>,
    next_id: AtomicU64,
    capacity: usize,
}

/// The streams of one session (from [`Ibkr::stream`]); cheap to clone.
#[derive(Clone)]
pub struct Streams {
    inner: Arc<StreamsShared>,
}

impl std::fmt::Debug for Streams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streams")
            .field("state", &*self.inner.state.borrow())
            .finish()
    }
}

/// One subscription: read it with [`Subscription::next`]; drop it to unsubscribe (the
/// server is told once no other handle wants the same topic).
pub struct Subscription<T> {
    feed: Arc<Feed<T>>,
    id: u64,
    inner: Arc<StreamsShared>,
}

impl<T> std::fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish()
    }
}

impl<T: Send + 'static> Subscription<T> {
    /// The next event; `None` once the streams have shut down and the buffer is drained.
    pub async fn next(&mut self) -> Option<StreamEvent<T>> {
        self.feed.next().await
    }

    /// The next event if one is waiting now.
    pub fn try_next(&mut self) -> Option<StreamEvent<T>> {
        self.feed.try_next()
    }

    /// The subscription as a `futures::Stream`.
    pub fn into_stream(self) -> impl futures::Stream<Item = StreamEvent<T>> {
        futures::stream::unfold(self, |mut s| async move { s.next().await.map(|e| (e, s)) })
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        let _ = self.inner.commands.send(Command::Unsubscribe(self.id));
    }
}

impl Conflate for QuoteUpdate {
    fn key(&self) -> Option<i64> {
        Some(self.quote.conid.0)
    }
    fn absorb(&mut self, newer: Self) {
        for f in newer.changed {
            if !self.changed.contains(&f) {
                self.changed.push(f);
            }
        }
        self.quote = newer.quote;
    }
}

impl Conflate for PnlUpdate {
    fn key(&self) -> Option<i64> {
        Some(0)
    }
}

impl Conflate for SummaryUpdate {
    fn key(&self) -> Option<i64> {
        Some(0)
    }
    fn absorb(&mut self, newer: Self) {
        for k in newer.changed {
            if !self.changed.contains(&k) {
                self.changed.push(k);
            }
        }
        self.values = newer.values;
    }
}

impl Conflate for LedgerUpdate {
    fn key(&self) -> Option<i64> {
        Some(0)
    }
}

impl Conflate for BookUpdate {
    fn key(&self) -> Option<i64> {
        Some(0)
    }
}

impl Conflate for OrderUpdate {}
impl Conflate for Execution {}
impl Conflate for HistoryUpdate {}
impl Conflate for Notification {}
impl Conflate for Bulletin {}
impl Conflate for ConnectionEvent {
    /// An error without a subscriber (a malformed frame for a topic nobody subscribed, say)
    /// folds into an unread one of the same topic and kind, counted in
    /// [`StreamError::repeated`], as errors do on every other stream.
    fn fold(&mut self, newer: &Self) -> bool {
        match (self, newer) {
            (ConnectionEvent::Error(queued), ConnectionEvent::Error(e)) if queued.same_as(e) => {
                let repeated = queued.repeated + 1 + e.repeated;
                *queued = StreamError {
                    repeated,
                    ..e.clone()
                };
                true
            }
            _ => false,
        }
    }
}

impl Streams {
    fn subscribe<T: Conflate>(
        &self,
        topic: Topic,
        policy: Policy,
        sink: impl FnOnce(Arc<Feed<T>>) -> Sink,
    ) -> Subscription<T> {
        let feed = Arc::new(Feed::new(policy));
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let command = Command::Subscribe {
            id,
            topic,
            sink: sink(Arc::clone(&feed)),
        };
        if self.inner.commands.send(command).is_err() {
            // The manager has stopped (the session shut down): the stream ends at once.
            feed.close();
        }
        Subscription {
            feed,
            id,
            inner: Arc::clone(&self.inner),
        }
    }

    fn queue(&self) -> Policy {
        Policy::Queue(self.inner.capacity.max(1))
    }

    /// Market data for `conids`: each item is the merged quote of one conid (decoded like
    /// REST snapshots) with the fields that changed. Conflates per conid.
    pub fn quotes(&self, conids: &[Conid], fields: &[Field]) -> Subscription<QuoteUpdate> {
        let topic = Topic::Quotes {
            conids: conids.iter().map(|c| c.0).collect(),
            fields: fields.iter().map(|f| f.id()).collect(),
        };
        self.subscribe(topic, Policy::Conflate, Sink::Quotes)
    }

    /// Live orders, merged by order id (`sor`). Queued; `Lagged` when the consumer falls
    /// behind. A refused `sor` is retried (after priming) and reported as an `Error` event.
    pub fn orders(&self) -> Subscription<OrderUpdate> {
        self.subscribe(Topic::Orders, self.queue(), Sink::Orders)
    }

    /// Profit and loss (`spl`), merged across partitions. Conflates.
    pub fn pnl(&self) -> Subscription<PnlUpdate> {
        self.subscribe(Topic::Pnl, Policy::Conflate, Sink::Pnl)
    }

    /// An account's summary (`ssd`), merged by key. Conflates.
    pub fn account_summary(&self, account: &str) -> Subscription<SummaryUpdate> {
        self.subscribe(
            Topic::Summary(account.to_string()),
            Policy::Conflate,
            Sink::Summary,
        )
    }

    /// An account's ledger (`sld`), merged by currency. Conflates.
    pub fn ledger(&self, account: &str) -> Subscription<LedgerUpdate> {
        self.subscribe(
            Topic::Ledger(account.to_string()),
            Policy::Conflate,
            Sink::Ledger,
        )
    }

    /// Executions of the last `days` (1 to 7) and new ones (`str`); each execution once.
    pub fn trades(&self, days: u8) -> Subscription<Execution> {
        self.subscribe(Topic::Trades(days.clamp(1, 7)), self.queue(), Sink::Trades)
    }

    /// Streaming history (`smh`), e.g. `period` `1d`, `bar` `1min`. Unsubscribed with the
    /// server's id when dropped. IBKR allows five at once.
    pub fn history(&self, conid: Conid, period: &str, bar: &str) -> Subscription<HistoryUpdate> {
        let topic = Topic::History {
            conid: conid.0,
            period: period.to_string(),
            bar: bar.to_string(),
        };
        self.subscribe(topic, self.queue(), Sink::History)
    }

    /// The price ladder of a contract (`sbd`), for an account. Conflates.
    ///
    /// IBKR streams one ladder per account: while this account streams the book of another
    /// contract, the subscription gets [`StreamErrorKind::OneBookPerAccount`] and ends (see
    /// [the module docs](self#one-book-per-account)).
    pub fn book(&self, account: &str, conid: Conid) -> Subscription<BookUpdate> {
        let topic = Topic::Book {
            account: account.to_string(),
            conid: conid.0,
        };
        self.subscribe(topic, Policy::Conflate, Sink::Book)
    }

    /// Notifications (`ntf`), order prompts included. Queued.
    pub fn notifications(&self) -> Subscription<Notification> {
        self.subscribe(Topic::Notifications, self.queue(), Sink::Notifications)
    }

    /// Bulletins (`blt`). Queued.
    pub fn bulletins(&self) -> Subscription<Bulletin> {
        self.subscribe(Topic::Bulletins, self.queue(), Sink::Bulletins)
    }

    /// The connection's and the session's events (connecting, ready, disconnected, `sts`,
    /// session changes, errors without a topic). Queued.
    pub fn status(&self) -> Subscription<ConnectionEvent> {
        self.subscribe(Topic::Status, self.queue(), Sink::Status)
    }

    /// What the streams hold now (`None` once they have shut down): see "Bounds" in the
    /// module docs.
    pub async fn retained(&self) -> Option<Retained> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.inner.commands.send(Command::Retained(tx)).ok()?;
        rx.await.ok()
    }

    /// The connection's state now; `changed().await` on it to follow.
    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.inner.state.clone()
    }
}

/// The connection manager's frame path without a socket: frames go in as the socket would
/// deliver them, subscriptions are made on [`FramePath::streams`], and what the manager would
/// send comes back. For the `stream_soak` benchmark and the frame fuzz target; not a stable
/// API.
#[doc(hidden)]
pub struct FramePath {
    manager: Manager,
    streams: Streams,
    session: ibkr_gen::Secret,
    ready: bool,
}

/// The handles' shared end and the manager that owns the other end of its channels, not
/// yet running (the session spawns it; [`FramePath`] drives it by hand).
fn manager_for(ibkr: Ibkr, config: StreamConfig) -> (Arc<StreamsShared>, Manager) {
    let (commands, receiver) = mpsc::unbounded_channel();
    let (state_tx, state) = watch::channel(ConnectionState::Connecting);
    let inner = Arc::new(StreamsShared {
        commands,
        state,
        next_id: AtomicU64::new(1),
        capacity: config.queue_capacity,
    });
    let manager = Manager::new(ibkr, config, receiver, state_tx);
    (inner, manager)
}

impl FramePath {
    /// A manager for `ibkr`'s session that is never connected (nothing is spawned; REST
    /// work it would start is skipped).
    pub fn new(ibkr: &Ibkr, config: StreamConfig) -> FramePath {
        let (inner, manager) = manager_for(ibkr.clone(), config);
        FramePath {
            manager,
            streams: Streams { inner },
            session: ibkr_gen::Secret::new("offline".to_string()),
            ready: false,
        }
    }

    /// The handle to subscribe with.
    pub fn streams(&self) -> &Streams {
        &self.streams
    }

    /// One text frame as the socket delivers it; returns the frames the manager would send
    /// (after applying the subscriptions made since the last frame).
    pub fn frame(&mut self, text: &str) -> Vec<String> {
        self.manager
            .offline_frame(text, &mut self.ready, &self.session)
    }

    /// The socket dropped: the next `system` frame starts a new connection (resubscribing
    /// everything, a `Gap` on every stream).
    pub fn reconnect(&mut self) {
        self.manager.offline_reconnect(&mut self.ready);
    }

    /// What the manager holds now.
    pub fn retained(&self) -> Retained {
        self.manager.retained()
    }
}

/// The frame fuzz target's body (`ibkr-ext/fuzz`, and `tests/it/stream_fuzz.rs` over its corpus):
/// each line of `data` is one text frame; they go through a [`QuoteMerger`] and through a
/// [`FramePath`] subscribed to every topic. Panics if anything panics or a bound breaks
/// (merged quotes only for subscribed conids, orders and execution ids within their caps,
/// summaries and ledgers for subscribed accounts only). Not a stable API.
#[doc(hidden)]
pub fn check_frames(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut merger = QuoteMerger::default();
    for frame in text.split('\n') {
        let _ = merger.apply(frame);
    }
    let Ok(ibkr) = Ibkr::builder()
        .base_url("http://127.0.0.1:9/v1/api")
        .without_pacing()
        .without_keepalive()
        .build()
    else {
        return;
    };
    let mut path = FramePath::new(
        &ibkr,
        StreamConfig {
            max_orders: 8,
            trades_window: 8,
            queue_capacity: 8,
            ..StreamConfig::default()
        },
    );
    let streams = path.streams().clone();
    let _subscriptions = (
        streams.quotes(&[Conid(1), Conid(265598)], &[Field::LastPrice]),
        streams.orders(),
        streams.trades(7),
        streams.pnl(),
        streams.account_summary("DU1234567"),
        streams.ledger("DU1234567"),
        streams.book("DU1234567", Conid(1)),
        streams.history(Conid(1), "1d", "1min"),
        streams.notifications(),
        streams.bulletins(),
        streams.status(),
    );
    path.frame(r#"{"topic":"system","success":"user"}"#);
    for frame in text.split('\n') {
        path.frame(frame);
        let held = path.retained();
        assert!(held.quotes <= 2, "{held:?}");
        assert!(held.orders <= 8 && held.executions_seen <= 8, "{held:?}");
        assert!(held.summaries <= 1 && held.ledgers <= 1, "{held:?}");
    }
}

impl Ibkr {
    /// The streams of this session, with the default timings. Handles of the same session
    /// share one connection.
    ///
    /// Call it inside a Tokio runtime (the connection manager is a task).
    pub fn stream(&self) -> Result<Streams> {
        self.stream_with(StreamConfig::default())
    }

    /// The streams of this session; `config` applies when this call starts the session's
    /// connection manager (otherwise the running one is returned as is).
    pub fn stream_with(&self, config: StreamConfig) -> Result<Streams> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::Config("streams need a Tokio runtime: call stream() inside one".into())
        })?;
        // The session owner keeps the one manager of this session (weakly: the streams
        // live while a `Streams` handle does).
        let mut current = self
            .owner()
            .streams
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(inner) = current.upgrade() {
            return Ok(Streams { inner });
        }
        let (inner, manager) = manager_for(self.clone(), config);
        *current = Arc::downgrade(&inner);
        drop(current);
        runtime.spawn(manager.run());
        Ok(Streams { inner })
    }
}
