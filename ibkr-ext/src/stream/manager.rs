//! The connection manager: one task per session that owns the socket, every subscription
//! and every piece of merged state, and reconciles what the server has with what the
//! handles want.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use ibkr_gen::Secret;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, interval_at, sleep_until};
use tokio_tungstenite::tungstenite::Message;

use super::StreamConfig;
use super::bounded::{OrderBook, SeenWindow};
use super::decode::{Applied, Frame, FrameError, QuoteMerger, classify};
use super::feed::Feed;
use super::socket::{self, ConnectError, Socket};
use super::types::*;
use crate::Ibkr;
use crate::conid::Conid;

/// What a subscription asks of the server.
#[derive(Clone, Debug)]
pub(crate) enum Topic {
    Quotes {
        conids: Vec<i64>,
        fields: Vec<u32>,
    },
    Orders,
    Pnl,
    Summary(String),
    Ledger(String),
    Trades(u8),
    History {
        conid: i64,
        period: String,
        bar: String,
    },
    Book {
        account: String,
        conid: i64,
    },
    Notifications,
    Bulletins,
    Status,
}

/// Where a subscription's items go.
pub(crate) enum Sink {
    Quotes(Arc<Feed<QuoteUpdate>>),
    Orders(Arc<Feed<OrderUpdate>>),
    Pnl(Arc<Feed<PnlUpdate>>),
    Summary(Arc<Feed<SummaryUpdate>>),
    Ledger(Arc<Feed<LedgerUpdate>>),
    Trades(Arc<Feed<Execution>>),
    History(Arc<Feed<HistoryUpdate>>),
    Book(Arc<Feed<BookUpdate>>),
    Notifications(Arc<Feed<Notification>>),
    Bulletins(Arc<Feed<Bulletin>>),
    Status(Arc<Feed<ConnectionEvent>>),
}

macro_rules! each_sink {
    ($sink:expr, $feed:ident => $body:expr) => {
        match $sink {
            Sink::Quotes($feed) => $body,
            Sink::Orders($feed) => $body,
            Sink::Pnl($feed) => $body,
            Sink::Summary($feed) => $body,
            Sink::Ledger($feed) => $body,
            Sink::Trades($feed) => $body,
            Sink::History($feed) => $body,
            Sink::Book($feed) => $body,
            Sink::Notifications($feed) => $body,
            Sink::Bulletins($feed) => $body,
            Sink::Status($feed) => $body,
        }
    };
}

impl Sink {
    fn gap(&self) {
        if !matches!(self, Sink::Status(_)) {
            each_sink!(self, f => f.push_event(StreamEvent::Gap));
        }
    }

    fn error(&self, e: StreamError) {
        each_sink!(self, f => f.push_error(e));
    }

    fn close(&self) {
        each_sink!(self, f => f.close());
    }

    fn len(&self) -> usize {
        each_sink!(self, f => f.len())
    }
}

/// Messages from handles to the manager.
pub(crate) enum Command {
    Subscribe {
        id: u64,
        topic: Topic,
        sink: Sink,
    },
    Unsubscribe(u64),
    /// Report what the manager holds.
    Retained(tokio::sync::oneshot::Sender<Retained>),
}

/// Results of REST work the manager started without waiting for it.
enum Internal {
    /// `/tickle`'s session id (the once-a-minute comparison).
    Session(Secret),
    /// `/iserver/accounts` and `orders?force=true` were called after a refused `sor`.
    Primed,
}

struct Sub {
    topic: Topic,
    sink: Sink,
}

/// What the server has been asked for on the current socket.
#[derive(Default)]
struct OnSocket {
    md: HashMap<i64, BTreeSet<u32>>,
    orders: bool,
    pnl: bool,
    summaries: BTreeSet<String>,
    ledgers: BTreeSet<String>,
    trades: Option<u8>,
    books: BTreeSet<(String, i64)>,
    /// Subscription id → (conid, the server's id once the first answer came).
    histories: BTreeMap<u64, (i64, Option<String>)>,
}

/// The refused-`sor` dance (quirk 1): prime, then retry with backoff.
#[derive(Default)]
struct SorRetry {
    refusals: u32,
    priming: bool,
    retry_at: Option<Instant>,
}

enum End {
    Retry(String),
    Exit,
}

pub(crate) struct Manager {
    ibkr: Ibkr,
    config: StreamConfig,
    commands: mpsc::UnboundedReceiver<Command>,
    state: watch::Sender<ConnectionState>,
    subs: BTreeMap<u64, Sub>,
    merger: QuoteMerger,
    orders: OrderBook,
    pnl: PnlUpdate,
    summaries: HashMap<String, SummaryUpdate>,
    ledgers: HashMap<String, LedgerUpdate>,
    trades_seen: SeenWindow,
    on_socket: OnSocket,
    sor: SorRetry,
    ready_before: bool,
    attempt: u32,
    rng: u64,
}

/// Jittered exponential backoff: `min · 2^(attempt-1)`, capped at `max`, times a random
/// factor in [0.5, 1).
fn backoff(min: Duration, max: Duration, attempt: u32, rng: &mut u64) -> Duration {
    let exp = min.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let capped = exp.min(max);
    // xorshift64
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    let factor = 0.5 + (*rng % 1000) as f64 / 2000.0;
    capped.mul_f64(factor)
}

fn text_message(text: String) -> Message {
    Message::Text(text.into())
}

impl Manager {
    pub(crate) fn new(
        ibkr: Ibkr,
        config: StreamConfig,
        commands: mpsc::UnboundedReceiver<Command>,
        state: watch::Sender<ConnectionState>,
    ) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15)
            | 1;
        let orders = OrderBook::new(config.terminal_order_ttl, config.max_orders);
        let trades_seen = SeenWindow::new(config.trades_window);
        Manager {
            ibkr,
            config,
            commands,
            state,
            subs: BTreeMap::new(),
            merger: QuoteMerger::default(),
            orders,
            pnl: PnlUpdate::default(),
            summaries: HashMap::new(),
            ledgers: HashMap::new(),
            trades_seen,
            on_socket: OnSocket::default(),
            sor: SorRetry::default(),
            ready_before: false,
            attempt: 0,
            rng: seed,
        }
    }

    fn status(&self, event: ConnectionEvent) {
        for sub in self.subs.values() {
            if let Sink::Status(feed) = &sub.sink {
                feed.push(event.clone());
            }
        }
    }

    fn set_state(&self, state: ConnectionState) {
        self.state.send_replace(state);
    }

    /// Run until every handle is dropped or the session closes.
    pub(crate) async fn run(mut self) {
        let mut closing = self.ibkr.closing();
        loop {
            if *closing.borrow() {
                break;
            }
            match self.connection(&mut closing).await {
                End::Exit => break,
                End::Retry(reason) => {
                    self.attempt += 1;
                    let delay = backoff(
                        self.config.backoff_min,
                        self.config.backoff_max,
                        self.attempt,
                        &mut self.rng,
                    );
                    tracing::debug!(%reason, ?delay, "stream: reconnecting");
                    self.set_state(ConnectionState::Backoff);
                    self.status(ConnectionEvent::Disconnected {
                        reason,
                        retry_in: delay,
                    });
                    let until = Instant::now() + delay;
                    loop {
                        tokio::select! {
                            _ = sleep_until(until) => break,
                            cmd = self.commands.recv() => match cmd {
                                Some(cmd) => self.register(cmd),
                                None => return self.shut_down(),
                            },
                            _ = closing.changed() => return self.shut_down(),
                        }
                    }
                }
            }
        }
        self.shut_down();
    }

    fn shut_down(&mut self) {
        self.set_state(ConnectionState::Closed);
        self.status(ConnectionEvent::Closed);
        for sub in self.subs.values() {
            sub.sink.close();
        }
    }

    /// Take every command already waiting; `false` once every handle is gone.
    fn drain_commands(&mut self) -> bool {
        loop {
            match self.commands.try_recv() {
                Ok(cmd) => self.register(cmd),
                Err(mpsc::error::TryRecvError::Empty) => return true,
                Err(mpsc::error::TryRecvError::Disconnected) => return false,
            }
        }
    }

    /// One socket's life: connect, wait for `system`, subscribe, serve.
    async fn connection(&mut self, closing: &mut watch::Receiver<bool>) -> End {
        if !self.drain_commands() {
            return End::Exit;
        }
        self.set_state(ConnectionState::Connecting);
        self.status(ConnectionEvent::Connecting {
            attempt: self.attempt + 1,
        });
        let session = tokio::select! {
            s = self.ibkr.socket_session() => s,
            _ = closing.changed() => return End::Exit,
        };
        let session = match session {
            Ok(s) => s,
            Err(e) => return End::Retry(format!("no session id from /tickle: {e}")),
        };
        let url = match socket::socket_url(self.ibkr.base_url()) {
            Ok(u) => u,
            Err(e) => return End::Retry(e),
        };
        let token = self.ibkr.socket_token();
        let connecting = socket::connect(
            &url,
            &session,
            token.as_ref(),
            self.ibkr.tls_config(),
            self.ibkr.user_agent(),
            self.ibkr.core().local_address(),
        );
        let mut ws = tokio::select! {
            r = tokio::time::timeout(self.config.connect_timeout, connecting) => match r {
                Ok(Ok(ws)) => ws,
                Ok(Err(ConnectError::Refused(code))) => {
                    self.drain_commands();
                    for sub in self.subs.values() {
                        if !matches!(sub.sink, Sink::Status(_)) {
                            sub.sink.error(StreamError::new(
                                topic_name(&sub.topic),
                                StreamErrorKind::UpgradeRefused(code),
                            ));
                        }
                    }
                    self.status(ConnectionEvent::Error(StreamError::new(
                        "ws",
                        StreamErrorKind::UpgradeRefused(code),
                    )));
                    return End::Retry(format!("upgrade refused with HTTP {code}"));
                }
                Ok(Err(ConnectError::Failed(e))) => return End::Retry(e),
                Err(_) => return End::Retry("timed out opening the socket".into()),
            },
            _ = closing.changed() => return End::Exit,
        };
        self.set_state(ConnectionState::WaitingForServer);
        self.on_socket = OnSocket::default();
        self.sor.retry_at = None;
        self.sor.priming = false;
        let end = self.serve(&mut ws, &session, closing).await;
        if matches!(end, End::Exit) {
            let _ = ws.close(None).await;
        }
        end
    }

    async fn serve(
        &mut self,
        ws: &mut Socket,
        session: &Secret,
        closing: &mut watch::Receiver<bool>,
    ) -> End {
        let opened = Instant::now();
        let mut last_frame = opened;
        let mut ready = false;
        let c = &self.config;
        let mut tic = interval_at(opened + c.tic_interval, c.tic_interval);
        let mut renew = interval_at(opened + c.md_renew, c.md_renew);
        let mut check = interval_at(opened + c.session_check, c.session_check);
        let (internal_tx, mut internal) = mpsc::unbounded_channel::<Internal>();
        let far = opened + Duration::from_secs(86_400 * 365);
        loop {
            let dead_at = last_frame + self.config.dead_after;
            let ready_by = opened + self.config.ready_timeout;
            let sor_at = self.sor.retry_at.unwrap_or(far);
            let outgoing: Vec<String> = tokio::select! {
                msg = ws.next() => match msg {
                    Some(Ok(Message::Text(text))) => {
                        last_frame = Instant::now();
                        match self.on_text(text.as_str(), &mut ready, session, &internal_tx) {
                            Ok(out) => out,
                            Err(reason) => return End::Retry(reason),
                        }
                    }
                    Some(Ok(Message::Close(_))) => return End::Retry("the server closed the socket".into()),
                    Some(Ok(_)) => {
                        last_frame = Instant::now();
                        continue;
                    }
                    Some(Err(e)) => return End::Retry(format!("socket error: {e}")),
                    None => return End::Retry("the socket ended".into()),
                },
                cmd = self.commands.recv() => match cmd {
                    Some(cmd) => {
                        self.register(cmd);
                        if ready { self.reconcile() } else { Vec::new() }
                    }
                    None => return End::Exit,
                },
                _ = sleep_until(dead_at) => {
                    return End::Retry(format!("no frame for {:?}: the connection is dead", self.config.dead_after));
                }
                _ = sleep_until(ready_by), if !ready => {
                    return End::Retry("the server sent no system frame".into());
                }
                _ = tic.tick(), if ready => vec!["tic".to_string()],
                _ = renew.tick(), if ready => self.renew_market_data(),
                _ = check.tick(), if ready => {
                    // Finished orders age out even when no `sor` frame comes.
                    self.orders.sweep(Instant::now());
                    let ibkr = self.ibkr.clone();
                    let tx = internal_tx.clone();
                    tokio::spawn(async move {
                        if let Ok(id) = ibkr.socket_session().await {
                            let _ = tx.send(Internal::Session(id));
                        }
                    });
                    continue;
                }
                _ = sleep_until(sor_at), if ready && self.sor.retry_at.is_some() => {
                    self.sor.retry_at = None;
                    self.reconcile()
                }
                Some(msg) = internal.recv() => match msg {
                    Internal::Session(id) => {
                        if &id != session {
                            self.status(ConnectionEvent::SessionChanged);
                            return End::Retry("the session id changed (re-login)".into());
                        }
                        continue;
                    }
                    Internal::Primed => {
                        self.sor.priming = false;
                        let delay = backoff(
                            self.config.sor_backoff_min,
                            self.config.sor_backoff_max,
                            self.sor.refusals,
                            &mut self.rng,
                        );
                        self.sor.retry_at = Some(Instant::now() + delay);
                        continue;
                    }
                },
                _ = closing.changed() => return End::Exit,
            };
            for text in outgoing {
                if let Err(e) = ws.send(text_message(text)).await {
                    return End::Retry(format!("send failed: {e}"));
                }
            }
        }
    }

    /// Add or remove a subscription. New subscribers get the merged state already known.
    fn register(&mut self, cmd: Command) {
        match cmd {
            Command::Subscribe { id, topic, sink } => {
                if let Some(kind) = self.refusal(&topic) {
                    sink.error(StreamError::new(topic_name(&topic), kind));
                    sink.close();
                    return;
                }
                self.replay(&topic, &sink);
                self.subs.insert(id, Sub { topic, sink });
            }
            Command::Unsubscribe(id) => {
                self.subs.remove(&id);
            }
            Command::Retained(reply) => {
                let _ = reply.send(self.retained());
            }
        }
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

    /// What the handles want, against what the socket has: the messages that close the gap.
    fn reconcile(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        let mut md: BTreeMap<i64, BTreeSet<u32>> = BTreeMap::new();
        let (mut orders, mut pnl, mut trades) = (false, false, None::<u8>);
        let (mut summaries, mut ledgers, mut books) =
            (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for (id, sub) in &self.subs {
            match &sub.topic {
                Topic::Quotes { conids, fields } => {
                    for c in conids {
                        md.entry(*c).or_default().extend(fields.iter().copied());
                    }
                }
                Topic::Orders => orders = true,
                Topic::Pnl => pnl = true,
                Topic::Summary(a) => {
                    summaries.insert(a.clone());
                }
                Topic::Ledger(a) => {
                    ledgers.insert(a.clone());
                }
                Topic::Trades(d) => trades = Some(trades.map_or(*d, |t: u8| t.max(*d))),
                Topic::Book { account, conid } => {
                    books.insert((account.clone(), *conid));
                }
                Topic::History { conid, period, bar } => {
                    if !self.on_socket.histories.contains_key(id) {
                        out.push(format!(
                            "smh+{conid}+{}",
                            json!({"period": period, "bar": bar, "outsideRth": false, "source": "trades", "format": "%o/%c/%h/%l/%v"})
                        ));
                        self.on_socket.histories.insert(*id, (*conid, None));
                    }
                }
                Topic::Notifications | Topic::Bulletins | Topic::Status => {}
            }
        }
        let s = &mut self.on_socket;
        // Market data: subscribe new conids or added fields; unsubscribe dropped conids.
        for (conid, fields) in &md {
            let sent = s.md.entry(*conid).or_default();
            if sent.is_empty() || !fields.is_subset(sent) {
                sent.extend(fields.iter().copied());
                out.push(smd(*conid, sent));
            }
        }
        let gone: Vec<i64> =
            s.md.keys()
                .filter(|c| !md.contains_key(c))
                .copied()
                .collect();
        for c in gone {
            s.md.remove(&c);
            out.push(format!("umd+{c}+{{}}"));
        }
        // Merged state for wanted conids and accounts only (also for those dropped while the
        // socket was down, which no `umd` names).
        self.merger.retain(|c| md.contains_key(&c.0));
        self.summaries.retain(|a, _| summaries.contains(a));
        self.ledgers.retain(|a, _| ledgers.contains(a));
        let sor_waiting = self.sor.priming || self.sor.retry_at.is_some();
        if orders && !s.orders && !sor_waiting {
            s.orders = true;
            out.push("sor+{}".into());
        } else if !orders && s.orders {
            s.orders = false;
            out.push("uor+{}".into());
        }
        if pnl != s.pnl {
            s.pnl = pnl;
            out.push(if pnl { "spl+{}" } else { "upl+{}" }.into());
        }
        for a in summaries.difference(&s.summaries) {
            out.push(format!("ssd+{a}+{{}}"));
        }
        for a in s.summaries.difference(&summaries) {
            out.push(format!("usd+{a}"));
        }
        s.summaries = summaries;
        for a in ledgers.difference(&s.ledgers) {
            out.push(format!("sld+{a}+{{}}"));
        }
        for a in s.ledgers.difference(&ledgers) {
            out.push(format!("uld+{a}"));
        }
        s.ledgers = ledgers;
        if trades != s.trades {
            out.push(match trades {
                Some(days) => format!(
                    "str+{}",
                    json!({"realtimeUpdatesOnly": false, "days": days})
                ),
                None => "utr".into(),
            });
            s.trades = trades;
        }
        // One ladder per account (see `refusal`): end an account's old ladder before
        // asking for its new one, or the `ubd` would end the new one.
        for (a, _) in s.books.difference(&books) {
            out.push(format!("ubd+{a}"));
        }
        for (a, c) in books.difference(&s.books) {
            out.push(format!("sbd+{a}+{c}"));
        }
        s.books = books;
        let ended: Vec<u64> = s
            .histories
            .keys()
            .filter(|id| !self.subs.contains_key(id))
            .copied()
            .collect();
        for id in ended {
            if let Some((_, Some(server_id))) = s.histories.remove(&id) {
                out.push(format!("umh+{server_id}"));
            }
        }
        out
    }

    /// Market data streams end after 10 minutes: resend every `smd` (quirk 3).
    fn renew_market_data(&self) -> Vec<String> {
        self.on_socket
            .md
            .iter()
            .map(|(c, fields)| smd(*c, fields))
            .collect()
    }

    /// Feed one frame without a socket (for [`FramePath`](super::FramePath)): commands
    /// waiting first (reconciled once ready), then the frame. Returns what would be sent.
    pub(crate) fn offline_frame(
        &mut self,
        text: &str,
        ready: &mut bool,
        session: &Secret,
    ) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(cmd) = self.commands.try_recv() {
            self.register(cmd);
            if *ready {
                out.extend(self.reconcile());
            }
        }
        // REST work (priming a refused `sor`, the session check) does not run offline.
        let (internal, _) = mpsc::unbounded_channel();
        match self.on_text(text, ready, session, &internal) {
            Ok(sent) => out.extend(sent),
            Err(_) => self.offline_reconnect(ready),
        }
        out
    }

    /// What a new connection resets: the socket's record, and readiness.
    pub(crate) fn offline_reconnect(&mut self, ready: &mut bool) {
        self.on_socket = OnSocket::default();
        self.sor = SorRetry::default();
        *ready = false;
    }

    /// One text frame. `Err` asks for a reconnection.
    fn on_text(
        &mut self,
        text: &str,
        ready: &mut bool,
        session: &Secret,
        internal: &mpsc::UnboundedSender<Internal>,
    ) -> Result<Vec<String>, String> {
        match self.merger.apply(text) {
            Ok(Applied::Market { conid, changed }) => {
                if self.on_socket.md.contains_key(&conid.0) {
                    self.fan_out_quote(conid, changed);
                } else {
                    // Not subscribed (a frame after `umd`, or one naming any conid): no
                    // state is kept for it.
                    self.merger.remove(conid);
                }
                return Ok(Vec::new());
            }
            Ok(Applied::Other) => {}
            Err(e) => {
                self.malformed(e);
                return Ok(Vec::new());
            }
        }
        let frame = match classify(text) {
            Ok(f) => f,
            Err(e) => {
                self.malformed(e);
                return Ok(Vec::new());
            }
        };
        match frame {
            Frame::SystemReady(user) => {
                if *ready {
                    return Ok(Vec::new());
                }
                *ready = true;
                self.attempt = 0;
                let reconnected = self.ready_before;
                if reconnected {
                    for sub in self.subs.values() {
                        sub.sink.gap();
                    }
                }
                self.ready_before = true;
                self.set_state(ConnectionState::Ready);
                self.status(ConnectionEvent::Ready { user, reconnected });
                Ok(self.reconcile())
            }
            Frame::WaitingForSession => {
                self.status(ConnectionEvent::WaitingForSession);
                Ok(vec![json!({"session": session.expose()}).to_string()])
            }
            Frame::System | Frame::Other => Ok(Vec::new()),
            Frame::Error { topic, text, code } => {
                self.error_frame(topic, text, code, internal);
                Ok(Vec::new())
            }
            Frame::Topic { topic, body } => {
                self.topic_frame(&topic, &body);
                Ok(Vec::new())
            }
        }
    }

    fn fan_out_quote(&mut self, conid: Conid, changed: Vec<super::Field>) {
        if changed.is_empty() {
            return;
        }
        let Some(quote) = self.merger.quote(conid) else {
            return;
        };
        for sub in self.subs.values() {
            if let (Topic::Quotes { conids, .. }, Sink::Quotes(feed)) = (&sub.topic, &sub.sink)
                && conids.contains(&conid.0)
            {
                feed.push(QuoteUpdate {
                    quote: quote.clone(),
                    changed: changed.clone(),
                });
            }
        }
    }

    /// The subscriptions a wire topic feeds.
    fn subscribers<'a>(&'a self, topic: &'a str) -> impl Iterator<Item = &'a Sub> + 'a {
        let (head, rest) = topic.split_once('+').unwrap_or((topic, ""));
        self.subs
            .values()
            .filter(move |sub| match (&sub.topic, head) {
                (Topic::Quotes { conids, .. }, "smd") => rest
                    .split('@')
                    .next()
                    .and_then(|c| c.parse::<i64>().ok())
                    .is_some_and(|c| conids.contains(&c)),
                (Topic::Orders, "sor") => true,
                (Topic::Trades(_), "str") => true,
                (Topic::Pnl, "spl") => true,
                (Topic::Summary(a), "ssd") => a == rest,
                (Topic::Ledger(a), "sld") => a == rest,
                (Topic::History { conid, .. }, "smh") => rest.parse::<i64>().ok() == Some(*conid),
                (Topic::Book { account, conid }, "sbd") => rest == format!("{account}+{conid}"),
                (Topic::Notifications, "ntf") => true,
                (Topic::Bulletins, "blt") => true,
                _ => false,
            })
    }

    /// Give an error to the subscriptions of `topic`, or to the status stream when none.
    fn route_error(&self, topic: Option<&str>, kind: StreamErrorKind) {
        let name = topic.unwrap_or("").to_string();
        let mut delivered = false;
        if let Some(t) = topic {
            for sub in self.subscribers(t) {
                sub.sink.error(StreamError::new(name.clone(), kind.clone()));
                delivered = true;
            }
        }
        if !delivered {
            self.status(ConnectionEvent::Error(StreamError::new(name, kind)));
        }
    }

    fn malformed(&self, e: FrameError) {
        tracing::debug!(reason = %e.reason, topic = ?e.topic, "stream: unreadable frame");
        self.route_error(e.topic.as_deref(), StreamErrorKind::Malformed(e.reason));
    }

    fn error_frame(
        &mut self,
        topic: Option<String>,
        text: String,
        code: Option<i64>,
        internal: &mpsc::UnboundedSender<Internal>,
    ) {
        let kind = if text.to_ascii_lowercase().contains("invalid conid") {
            StreamErrorKind::InvalidConid
        } else if topic.as_deref() == Some("sor") {
            StreamErrorKind::Refused(text.clone())
        } else {
            StreamErrorKind::Server {
                code,
                text: text.clone(),
            }
        };
        if topic.as_deref() == Some("sor") {
            self.on_socket.orders = false;
            self.sor.refusals += 1;
            // (Without a runtime, as when frames are fed offline, nothing is primed.)
            if !self.sor.priming
                && let Ok(runtime) = tokio::runtime::Handle::try_current()
            {
                self.sor.priming = true;
                let ibkr = self.ibkr.clone();
                let tx = internal.clone();
                runtime.spawn(async move {
                    prime_orders(&ibkr).await;
                    let _ = tx.send(Internal::Primed);
                });
            }
        }
        self.route_error(topic.as_deref(), kind);
    }

    fn topic_frame(&mut self, topic: &str, body: &Value) {
        let (head, rest) = topic.split_once('+').unwrap_or((topic, ""));
        let args = body.get("args");
        match head {
            "sts" => {
                let a = args.unwrap_or(&Value::Null);
                self.status(ConnectionEvent::Session {
                    authenticated: a.get("authenticated").and_then(Value::as_bool),
                    competing: a.get("competing").and_then(Value::as_bool),
                    message: a.get("message").and_then(Value::as_str).map(str::to_string),
                });
            }
            "act" => {
                let a = args.unwrap_or(&Value::Null);
                self.status(ConnectionEvent::Accounts {
                    accounts: a
                        .get("accounts")
                        .and_then(Value::as_array)
                        .map(|v| {
                            v.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                    selected: a
                        .get("selectedAccount")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                });
            }
            "sor" => self.orders_frame(args),
            "str" => {
                let rows: Vec<Execution> = list(args)
                    .iter()
                    .filter_map(Execution::from_json)
                    .filter(|e| self.trades_seen.insert(&e.execution_id))
                    .collect();
                for sub in self.subscribers("str") {
                    if let Sink::Trades(feed) = &sub.sink {
                        for e in &rows {
                            feed.push(e.clone());
                        }
                    }
                }
            }
            "spl" => {
                let Some(map) = args.and_then(Value::as_object) else {
                    return self.route_error(Some(topic), malformed("spl without args"));
                };
                self.pnl.merge(map);
                for sub in self.subscribers("spl") {
                    if let Sink::Pnl(feed) = &sub.sink {
                        feed.push(self.pnl.clone());
                    }
                }
            }
            "ssd" if self.on_socket.summaries.contains(rest) => {
                let rows = list(args.or_else(|| body.get("result")));
                let summary =
                    self.summaries
                        .entry(rest.to_string())
                        .or_insert_with(|| SummaryUpdate {
                            account: rest.to_string(),
                            ..SummaryUpdate::default()
                        });
                summary.merge(&rows);
                let summary = summary.clone();
                for sub in self.subscribers(topic) {
                    if let Sink::Summary(feed) = &sub.sink {
                        feed.push(summary.clone());
                    }
                }
            }
            "sld" if self.on_socket.ledgers.contains(rest) => {
                let rows = list(args.or_else(|| body.get("result")));
                let ledger = self
                    .ledgers
                    .entry(rest.to_string())
                    .or_insert_with(|| LedgerUpdate {
                        account: rest.to_string(),
                        ..LedgerUpdate::default()
                    });
                ledger.merge(&rows);
                let ledger = ledger.clone();
                for sub in self.subscribers(topic) {
                    if let Sink::Ledger(feed) = &sub.sink {
                        feed.push(ledger.clone());
                    }
                }
            }
            "smh" => self.history_frame(rest, body),
            "sbd" => {
                let (account, conid) = rest.split_once('+').unwrap_or((rest, ""));
                let Ok(conid) = conid.parse::<i64>() else {
                    return;
                };
                let update = BookUpdate {
                    account: account.to_string(),
                    conid: Conid(conid),
                    rows: BookUpdate::rows(body),
                };
                for sub in self.subscribers(topic) {
                    if let Sink::Book(feed) = &sub.sink {
                        feed.push(update.clone());
                    }
                }
            }
            "ntf" => {
                let items: Vec<Notification> =
                    list(args).iter().map(Notification::from_json).collect();
                for sub in self.subscribers("ntf") {
                    if let Sink::Notifications(feed) = &sub.sink {
                        for n in &items {
                            feed.push(n.clone());
                        }
                    }
                }
            }
            "blt" => {
                let items: Vec<Bulletin> = list(args).iter().map(Bulletin::from_json).collect();
                for sub in self.subscribers("blt") {
                    if let Sink::Bulletins(feed) = &sub.sink {
                        for b in &items {
                            feed.push(b.clone());
                        }
                    }
                }
            }
            other => tracing::trace!(topic = other, "stream: frame of an unhandled topic"),
        }
    }

    fn orders_frame(&mut self, args: Option<&Value>) {
        self.sor.refusals = 0;
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
            let (order, changed) = self.orders.merge(&id, obj, Instant::now());
            updates.push(OrderUpdate {
                order_id: id,
                order,
                changed,
            });
        }
        for sub in self.subscribers("sor") {
            if let Sink::Orders(feed) = &sub.sink {
                for u in &updates {
                    feed.push(u.clone());
                }
            }
        }
    }

    /// `smh+<conid>`: the first answer names the server id; it goes to the oldest history
    /// subscription of that conid still waiting for one, later ones by server id.
    fn history_frame(&mut self, conid_text: &str, body: &Value) {
        let Ok(conid) = conid_text.parse::<i64>() else {
            return;
        };
        let update = HistoryUpdate::from_json(Conid(conid), body);
        let target = self
            .on_socket
            .histories
            .iter_mut()
            .find(|(_, (c, sid))| *c == conid && (sid.is_none() || *sid == update.server_id))
            .map(|(id, entry)| {
                if entry.1.is_none() {
                    entry.1 = update.server_id.clone();
                }
                *id
            });
        if let Some(Sub {
            sink: Sink::History(feed),
            ..
        }) = target.and_then(|id| self.subs.get(&id))
        {
            feed.push(update);
        }
    }
}

fn malformed(reason: &str) -> StreamErrorKind {
    StreamErrorKind::Malformed(reason.to_string())
}

/// `args` as a list: an array, or one object (`ntf` is documented as one object).
fn list(args: Option<&Value>) -> Vec<Value> {
    match args {
        Some(Value::Array(a)) => a.clone(),
        Some(v @ Value::Object(_)) => vec![v.clone()],
        _ => Vec::new(),
    }
}

fn smd(conid: i64, fields: &BTreeSet<u32>) -> String {
    let fields: Vec<String> = fields.iter().map(u32::to_string).collect();
    format!("smd+{conid}+{}", json!({ "fields": fields }))
}

/// The wire name of a subscription's topic, for errors.
pub(crate) fn topic_name(topic: &Topic) -> String {
    match topic {
        Topic::Quotes { conids, .. } => conids
            .iter()
            .map(|c| format!("smd+{c}"))
            .collect::<Vec<_>>()
            .join(","),
        Topic::Orders => "sor".into(),
        Topic::Pnl => "spl".into(),
        Topic::Summary(a) => format!("ssd+{a}"),
        Topic::Ledger(a) => format!("sld+{a}"),
        Topic::Trades(_) => "str".into(),
        Topic::History { conid, .. } => format!("smh+{conid}"),
        Topic::Book { account, conid } => format!("sbd+{account}+{conid}"),
        Topic::Notifications => "ntf".into(),
        Topic::Bulletins => "blt".into(),
        Topic::Status => "status".into(),
    }
}

/// What makes a refused `sor` work (quirk 1): `/iserver/accounts`, then live orders with
/// `force=true`. Failures are ignored: the retry follows anyway.
async fn prime_orders(ibkr: &Ibkr) {
    let _ = ibkr.api().get_accounts().await;
    let _ = ibkr.api().get_live_orders().force(true).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let mut rng = 0x1234_5678_9abc_def1;
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(60));
        for attempt in 1..12 {
            let d = backoff(min, max, attempt, &mut rng);
            let full = min.saturating_mul(1 << (attempt - 1)).min(max);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn smd_lists_fields_as_strings() {
        let fields: BTreeSet<u32> = [31, 84].into_iter().collect();
        assert_eq!(smd(265598, &fields), r#"smd+265598+{"fields":["31","84"]}"#);
    }
}
