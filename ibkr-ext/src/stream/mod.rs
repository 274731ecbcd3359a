//! Live data over IBKR's WebSocket: typed subscriptions on one self-healing connection.
//!
//! ```no_run
//! use ibkr_ext::prelude::*;
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
//! A [`Subscription`] is a [`futures::Stream`], so the `StreamExt` combinators apply:
//!
//! ```no_run
//! use futures::StreamExt;
//! use ibkr_ext::prelude::*;
//!
//! # async fn demo(streams: Streams) {
//! let mut fills = streams
//!     .trades(1)
//!     .filter_map(|event| async move {
//!         match event {
//!             StreamEvent::Data(execution) => Some(execution),
//!             _ => None,
//!         }
//!     })
//!     .boxed();
//! while let Some(execution) = fills.next().await {
//!     println!("{} {:?} @ {:?}", execution.execution_id, execution.size, execution.price);
//! }
//! # }
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
//! - reconnects with jittered exponential backoff (the retry module's
//!   [`RetryPolicy::delay`](ibkr_gen::wire::RetryPolicy::delay), from
//!   [`StreamConfig::backoff_min`] to [`StreamConfig::backoff_max`]) and resubscribes
//!   everything, then gives every stream a [`StreamEvent::Gap`];
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
//!   closed (those of subscriptions still in the command channel too) and `next()` returns
//!   `None` once drained.
//!
//! The session id is a [`Secret`](ibkr_gen::Secret): it appears in no error, event or log.
//!
//! # Inside
//!
//! - `topic`: every topic name, in one place: what a subscription asks for, the names frames
//!   carry (parsed and formatted), the messages sent;
//! - `reconcile`: a pure function from what the subscriptions want and what the socket has
//!   to the messages that close the gap;
//! - `hub`: the subscriptions and the merged state; frames decoded per topic and delivered
//!   through one generic path (`sink` maps each item type to its feed);
//! - `manager`: the select loop (connection, handshake, heartbeats, renewal, session
//!   comparison, `sor` retry, reconnection);
//! - `feed`: each subscription's bounded buffer; `decode`: the market data fast path and
//!   frame classification; `bounded`: the bounded order book and execution window;
//!   `socket`: opening the WebSocket.

mod bounded;
mod decode;
mod feed;
mod hub;
mod manager;
mod offline;
mod reconcile;
mod sink;
mod socket;
mod topic;
mod types;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

pub use types::*;

use crate::Ibkr;
use crate::conid::Conid;
use crate::error::{Error, Result};
pub use crate::snapshot::Field;
use feed::{Conflate, Feed, Policy};
use manager::{Command, Manager};

/// The frame path's internals, which the benchmarks, the fuzz targets and the bounds tests
/// drive directly. Not part of the API: hidden from the docs, outside the semver promise,
/// and left out of the public-API snapshot.
#[doc(hidden)]
pub mod internals {
    pub use super::decode::{Applied, FrameError, QuoteMerger};
    pub use super::offline::{FramePath, check_frames};
}
use sink::Sink;
use topic::Topic;

/// Timings and sizes of the connection manager. The defaults follow IBKR's documented
/// behaviour; tests shorten them.
#[derive(Clone, Debug, PartialEq, Eq)]
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

impl StreamConfig {
    /// The fields where `asked` differs from `self`, as `name: ours, not theirs`.
    fn differences(&self, asked: &StreamConfig) -> Vec<String> {
        // Destructured so that a new field cannot be left out of the comparison's message.
        let StreamConfig {
            tic_interval,
            dead_after,
            md_renew,
            session_check,
            backoff_min,
            backoff_max,
            sor_backoff_min,
            sor_backoff_max,
            ready_timeout,
            connect_timeout,
            queue_capacity,
            terminal_order_ttl,
            max_orders,
            trades_window,
        } = self;
        let mut out = Vec::new();
        macro_rules! compare {
            ($($field:ident),*) => {$(
                if *$field != asked.$field {
                    out.push(format!(
                        "{} is {:?}, not {:?}",
                        stringify!($field),
                        $field,
                        asked.$field
                    ));
                }
            )*};
        }
        compare!(
            tic_interval,
            dead_after,
            md_renew,
            session_check,
            backoff_min,
            backoff_max,
            sor_backoff_min,
            sor_backoff_max,
            ready_timeout,
            connect_timeout,
            queue_capacity,
            terminal_order_ttl,
            max_orders,
            trades_window
        );
        out
    }
}

/// What every `Streams` handle of one session shares: the way to its manager.
pub(crate) struct StreamsShared {
    commands: mpsc::UnboundedSender<Command>,
    state: watch::Receiver<ConnectionState>,
    next_id: AtomicU64,
    /// The configuration the manager runs with.
    config: StreamConfig,
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

/// One subscription, a [`futures::Stream`] of [`StreamEvent`]s: read it with
/// [`Subscription::next`] (or any `StreamExt` combinator); drop it to unsubscribe (the
/// server is told once no other handle wants the same topic). The stream ends (`None`) once
/// the streams have shut down and the buffer is drained, or at once when the subscription
/// was refused (after its `Error`).
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

impl<T> Subscription<T> {
    /// The next event; `None` once the streams have shut down and the buffer is drained.
    /// The same as `StreamExt::next`, without importing the trait.
    pub async fn next(&mut self) -> Option<StreamEvent<T>> {
        std::future::poll_fn(|cx| self.feed.poll_next(cx)).await
    }

    /// The next event if one is waiting now.
    pub fn try_next(&mut self) -> Option<StreamEvent<T>> {
        self.feed.try_next()
    }
}

impl<T> futures::Stream for Subscription<T> {
    type Item = StreamEvent<T>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<StreamEvent<T>>> {
        self.feed.poll_next(cx)
    }
}

impl<T> futures::stream::FusedStream for Subscription<T> {
    fn is_terminated(&self) -> bool {
        self.feed.is_terminated()
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        let _ = self.inner.commands.send(Command::Unsubscribe(self.id));
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
        Policy::Queue(self.inner.config.queue_capacity.max(1))
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

    /// Executions of the last `days` (1 to 7) and new ones (`str`), decoded like REST's
    /// [`Ibkr::trades`](crate::Ibkr::trades); each execution once.
    pub fn trades(&self, days: u8) -> Subscription<crate::Trade> {
        self.subscribe(Topic::Trades(days.clamp(1, 7)), self.queue(), Sink::Trades)
    }

    /// Streaming history (`smh`), e.g. [`Period::Days(1)`](crate::Period) of
    /// [`BarSize::Min1`](crate::BarSize). Unsubscribed with the server's id when dropped. IBKR
    /// allows five at once.
    pub fn history(
        &self,
        conid: Conid,
        period: crate::Period,
        bar: crate::BarSize,
    ) -> Subscription<HistoryUpdate> {
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

/// The handles' shared end and the manager that owns the other end of its channels, not
/// yet running (the session spawns it; [`FramePath`] drives it by hand).
fn manager_for(ibkr: Ibkr, config: StreamConfig) -> (Arc<StreamsShared>, Manager) {
    let (commands, receiver) = mpsc::unbounded_channel();
    let (state_tx, state) = watch::channel(ConnectionState::Connecting);
    let inner = Arc::new(StreamsShared {
        commands,
        state,
        next_id: AtomicU64::new(1),
        config: config.clone(),
    });
    let manager = Manager::new(ibkr, config, receiver, state_tx);
    (inner, manager)
}

impl Ibkr {
    /// The streams of this session. Handles of the same session share one connection: this
    /// returns the running one whatever its configuration, or starts one with the default
    /// [`StreamConfig`].
    ///
    /// Call it inside a Tokio runtime (the connection manager is a task).
    pub fn stream(&self) -> Result<Streams> {
        self.streams(None)
    }

    /// The streams of this session, with `config`: starts the session's connection manager
    /// with it, or returns the running one when it runs with the same configuration.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the session's manager already runs with another configuration
    /// (one socket serves every handle of a session, so two configurations cannot both
    /// apply; drop every `Streams` and `Subscription` of the session to start afresh), or
    /// when called outside a Tokio runtime.
    pub fn stream_with(&self, config: StreamConfig) -> Result<Streams> {
        self.streams(Some(config))
    }

    fn streams(&self, config: Option<StreamConfig>) -> Result<Streams> {
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
            return match config {
                Some(wanted) if wanted != inner.config => Err(Error::Config(format!(
                    "this session's streams already run with another StreamConfig ({}): \
                     use stream() to share them, or drop their handles first",
                    inner.config.differences(&wanted).join(", ")
                ))),
                _ => Ok(Streams { inner }),
            };
        }
        let (inner, manager) = manager_for(self.clone(), config.unwrap_or_default());
        *current = Arc::downgrade(&inner);
        drop(current);
        runtime.spawn(manager.run());
        Ok(Streams { inner })
    }
}
