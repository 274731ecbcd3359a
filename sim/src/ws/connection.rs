//! One client socket: its subscriptions, its timers, and what it pushes.
//!
//! The task does not poll: it sleeps until the earliest of its timers ([`Conn::next_due`]:
//! the `system` frame, the next heartbeat, the next step of a subscribed quote's walk, the
//! next `spl`), a frame from the client, a hub event, or a change of the world
//! ([`Hub::world_changed`]: every answered request and every control switch), and then looks
//! at the world once. So a paused-clock test can run simulated days in seconds.
//!
//! The task owns every subscription of its socket. It reads the world under the world lock
//! (and, inside it, the hub's step table: always in that order) and sends only after the
//! lock is released.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Weak;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use serde_json::{Map, Value, json};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, sleep_until};

use super::frames;
use super::topics::{self, Command};
use super::{Hub, HubEvent};
use crate::clock::now_ms;
use crate::market::history::{self, HistoryAsk, Span};
use crate::market::quotes::field_value;
use crate::market::walk::opening_price;
use crate::trading::book::Order;
use crate::world::World;
use crate::world::WorldHandle;

/// At most this many streaming histories at once (`websocket.md`, topics).
const MAX_HISTORIES: usize = 5;

/// The default fields of an `smd` without `fields`.
const DEFAULT_FIELDS: [&str; 3] = ["31", "84", "86"];

/// How much [`Conn::on_poll`] looks at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Look {
    /// Only what a timer makes due (nothing else can have changed).
    Timers,
    /// Everything: the world changed, or the client asked for something.
    Everything,
}

struct MarketSub {
    fields: BTreeSet<String>,
    expires: Instant,
    sent: HashMap<String, String>,
}

struct OrdersSub {
    filters: Vec<String>,
    /// Each order as last sent, and its frame (an order unchanged since is not rebuilt: the
    /// frame depends on the order and the static catalog only).
    sent: HashMap<u64, (Order, Map<String, Value>)>,
}

struct BookSub {
    account: String,
    conid: u64,
    last: Option<(String, String)>,
}

#[derive(Default)]
struct Conn {
    /// The session id the socket authenticated with; `None` while waiting for it.
    session: Option<String>,
    ready_at: Option<Instant>,
    ready: bool,
    silent: bool,
    next_heartbeat: Option<Instant>,
    market: BTreeMap<u64, MarketSub>,
    histories: BTreeMap<String, u64>,
    next_history_id: u64,
    /// One price ladder per account: a new `sbd` replaces the account's ladder, `ubd+<acct>`
    /// ends it (IBKR's "Cancel Price Ladder Subscription").
    books: BTreeMap<String, BookSub>,
    orders: Option<OrdersSub>,
    trades: Option<HashSet<String>>,
    pnl_next: Option<Instant>,
    summaries: BTreeMap<String, Vec<(String, f64)>>,
    ledgers: BTreeMap<String, Vec<(String, f64)>>,
    /// `(authenticated, competing)` as last sent in `sts`.
    last_status: Option<(bool, bool)>,
    /// Whether the last look found the session live (data flows only then).
    was_live: bool,
}

/// Decrements the open-socket count when the task ends, however it ends.
struct OpenGuard(Weak<Hub>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        if let Some(hub) = self.0.upgrade() {
            hub.open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Serve one upgraded socket until the client leaves, the hub drops it, or the simulator
/// goes away.
pub(crate) async fn run(
    mut socket: WebSocket,
    weak: Weak<Hub>,
    world: WorldHandle,
    session: Option<String>,
) {
    let Some(hub) = weak.upgrade() else { return };
    hub.open.fetch_add(1, Ordering::SeqCst);
    let _guard = OpenGuard(weak.clone());
    let mut events = hub.events.subscribe();
    let settings = hub.settings();
    drop(hub);

    let mut conn = Conn {
        ready_at: session
            .as_ref()
            .map(|_| Instant::now() + settings.system_delay),
        session,
        next_history_id: 10_000,
        ..Conn::default()
    };
    if conn.session.is_none()
        && send(&mut socket, frames::waiting_for_session())
            .await
            .is_err()
    {
        return;
    }
    let mut changes = {
        let Some(hub) = weak.upgrade() else { return };
        hub.changes()
    };
    loop {
        let due = {
            let Some(hub) = weak.upgrade() else { return };
            conn.next_due(&hub, Instant::now())
        };
        let out: Vec<String> = tokio::select! {
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(text))) => {
                    let Some(hub) = weak.upgrade() else { return };
                    let (mut out, look) = conn.on_text(&hub, &world, text.as_str());
                    // What the command started (data of a new subscription) goes out at once.
                    out.extend(conn.on_poll(&hub, &world, Instant::now(), look));
                    out
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => continue,
            },
            _ = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                let Some(hub) = weak.upgrade() else { return };
                conn.on_poll(&hub, &world, Instant::now(), Look::Timers)
            }
            changed = changes.changed() => {
                let Some(hub) = weak.upgrade() else { return };
                if changed.is_err() {
                    return;
                }
                conn.on_poll(&hub, &world, Instant::now(), Look::Everything)
            }
            event = events.recv() => match event {
                Ok(HubEvent::Drop) | Err(RecvError::Closed) => return,
                Ok(HubEvent::Silence) => {
                    conn.silent = true;
                    continue;
                }
                Ok(HubEvent::Push(text)) if conn.ready => vec![text.to_string()],
                Ok(HubEvent::Push(_)) | Err(RecvError::Lagged(_)) => continue,
            },
        };
        if conn.silent {
            continue;
        }
        for frame in out {
            if send(&mut socket, frame).await.is_err() {
                return;
            }
        }
    }
}

async fn send(socket: &mut WebSocket, text: String) -> Result<(), axum::Error> {
    socket.send(Message::Text(text.into())).await
}

impl Conn {
    /// Whether the socket's session is still the world's and the bridge is up: a rolled
    /// session leaves heartbeats running and every subscription dead (quirk 2).
    fn live(&self, world: &World) -> bool {
        self.session.as_deref() == Some(world.session.id.as_str())
            && world.session.brokerage
            && !world.session.competing
    }

    /// One client frame: the answer, and how much the next look must cover (a `tic` or an
    /// echo changes nothing; any other command may start a stream).
    fn on_text(&mut self, hub: &Hub, world: &WorldHandle, text: &str) -> (Vec<String>, Look) {
        hub.record(text);
        let command = topics::parse(text);
        let look = match command {
            Command::Tic | Command::Echo(_) => Look::Timers,
            _ => Look::Everything,
        };
        if self.session.is_none() {
            // Only `{"session":..}` is heard before the session is known.
            if let Command::Session(id) = command
                && id == world.lock().session.id
            {
                self.session = Some(id);
                self.ready_at = Some(Instant::now());
            }
            return (Vec::new(), look);
        }
        if !self.ready {
            // Quirk: anything sent before the `system` frame is silently dropped.
            return (Vec::new(), look);
        }
        (self.command(&mut world.lock(), hub, command), look)
    }

    fn command(&mut self, world: &mut World, hub: &Hub, command: Command) -> Vec<String> {
        let now = Instant::now();
        let settings = hub.settings();
        match command {
            Command::Tic => vec![frames::tic_answer()],
            Command::Echo(text) => vec![text],
            Command::Session(_) => Vec::new(),
            Command::SubscribeMarket { conid, fields } => {
                let topic = format!("smd+{conid}");
                let Some(id) =
                    topics::conid_number(&conid).filter(|c| world.contract(*c).is_some())
                else {
                    return vec![json!({"topic": topic, "error": "invalid conid"}).to_string()];
                };
                let sub = self.market.entry(id).or_insert_with(|| MarketSub {
                    fields: BTreeSet::new(),
                    expires: now,
                    sent: HashMap::new(),
                });
                if fields.is_empty() && sub.fields.is_empty() {
                    sub.fields
                        .extend(DEFAULT_FIELDS.iter().map(|f| f.to_string()));
                }
                sub.fields.extend(fields);
                sub.expires = now + settings.md_expiry;
                Vec::new()
            }
            Command::UnsubscribeMarket { conid } => {
                if let Some(id) = topics::conid_number(&conid) {
                    self.market.remove(&id);
                }
                Vec::new()
            }
            Command::SubscribeHistory { conid, args } => self.history(world, &conid, &args),
            Command::UnsubscribeHistory { server_id } => {
                self.histories.remove(&server_id);
                Vec::new()
            }
            Command::SubscribeBook { account, conid } => {
                let topic = format!("sbd+{account}+{conid}");
                match topics::conid_number(&conid).filter(|c| world.contract(*c).is_some()) {
                    Some(id) if world.trading.book(&account).is_some() => {
                        self.books.insert(
                            account.clone(),
                            BookSub {
                                account,
                                conid: id,
                                last: None,
                            },
                        );
                        Vec::new()
                    }
                    Some(_) => vec![frames::error(&topic, "unknown account", 400)],
                    None => vec![json!({"topic": topic, "error": "invalid conid"}).to_string()],
                }
            }
            Command::UnsubscribeBook { account } => {
                self.books.remove(&account);
                Vec::new()
            }
            Command::SubscribeOrders { filters } => {
                if hub.refuse_sor() {
                    return vec![frames::error("sor", "unable to subscribe", 500)];
                }
                self.orders = Some(OrdersSub {
                    filters: filters.iter().map(|f| f.to_ascii_lowercase()).collect(),
                    sent: HashMap::new(),
                });
                Vec::new()
            }
            Command::UnsubscribeOrders => {
                self.orders = None;
                Vec::new()
            }
            Command::SubscribeTrades {
                realtime_only,
                days,
            } => {
                let since = now_ms() - days * 86_400_000;
                let seen = world
                    .trading
                    .executions
                    .iter()
                    .filter(|e| realtime_only || e.time_ms < since)
                    .map(|e| e.id.clone())
                    .collect();
                self.trades = Some(seen);
                Vec::new()
            }
            Command::UnsubscribeTrades => {
                self.trades = None;
                Vec::new()
            }
            Command::SubscribePnl => {
                self.pnl_next = Some(now);
                Vec::new()
            }
            Command::UnsubscribePnl => {
                self.pnl_next = None;
                Vec::new()
            }
            Command::SubscribeSummary { account } => {
                if world.trading.book(&account).is_none() {
                    return vec![frames::error(
                        &format!("ssd+{account}"),
                        "unknown account",
                        400,
                    )];
                }
                self.summaries.insert(account, Vec::new());
                Vec::new()
            }
            Command::UnsubscribeSummary { account } => {
                self.summaries.remove(&account);
                vec![frames::unsubscribed("summary")]
            }
            Command::SubscribeLedger { account } => {
                if world.trading.book(&account).is_none() {
                    return vec![frames::error(
                        &format!("sld+{account}"),
                        "unknown account",
                        400,
                    )];
                }
                self.ledgers.insert(account, Vec::new());
                Vec::new()
            }
            Command::UnsubscribeLedger { account } => {
                self.ledgers.remove(&account);
                vec![frames::unsubscribed("ledger")]
            }
            Command::Unknown(text) => {
                let topic: String = text.chars().take(40).collect();
                vec![frames::error(&topic, "unknown topic", 400)]
            }
        }
    }

    /// `smh`: one answer with the REST history body, `topic` and `serverId`.
    fn history(&mut self, world: &World, conid: &str, args: &Value) -> Vec<String> {
        let topic = format!("smh+{conid}");
        let Some(contract) = topics::conid_number(conid).and_then(|c| world.contract(c)) else {
            return vec![json!({"topic": topic, "error": "invalid conid"}).to_string()];
        };
        if self.histories.len() >= MAX_HISTORIES {
            return vec![frames::error(
                &topic,
                "too many history subscriptions (at most 5)",
                429,
            )];
        }
        let text = |k: &str, default: &str| {
            args.get(k)
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_string()
        };
        let (period_text, bar_text) = (text("period", "1d"), text("bar", "1min"));
        let (Some(period), Some(bar)) = (Span::parse(&period_text), Span::parse(&bar_text)) else {
            return vec![frames::error(&topic, "invalid period or bar", 400)];
        };
        let ask = HistoryAsk {
            period,
            bar,
            outside_rth: args
                .get("outsideRth")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        };
        let seed = world.settings.seed;
        let anchor = opening_price(seed, contract.conid, contract.ref_price);
        let bars = history::bars(seed, contract.conid, anchor, ask, chrono::Utc::now());
        self.next_history_id += 1;
        let server_id = self.next_history_id.to_string();
        self.histories.insert(server_id.clone(), contract.conid);
        let data: Vec<Value> = bars
            .iter()
            .map(|b| json!({"o": b.o, "c": b.c, "h": b.h, "l": b.l, "v": b.v, "t": b.t}))
            .collect();
        let start = bars.first().map_or_else(now_ms, |b| b.t);
        vec![
            json!({
                "topic": topic,
                "serverId": server_id,
                "symbol": contract.symbol,
                "text": contract.company_name,
                "priceFactor": 100,
                "startTime": crate::clock::utc(start).format("%Y%m%d-%H:%M:%S").to_string(),
                "timePeriod": period_text,
                "barLength": bar.seconds(),
                "mdAvailability": "S",
                "mktDataDelay": 0,
                "outsideRth": ask.outside_rth,
                "volumeFactor": 1,
                "priceDisplayRule": 1,
                "priceDisplayValue": "2",
                "negativeCapable": false,
                "messageVersion": 2,
                "points": data.len().saturating_sub(1),
                "data": data,
            })
            .to_string(),
        ]
    }

    /// When [`Conn::on_poll`] has something to do without a change of the world: `None`
    /// when only a change (or a client frame) can give it any.
    fn next_due(&self, hub: &Hub, now: Instant) -> Option<Instant> {
        if !self.ready {
            return self.ready_at;
        }
        if !self.was_live {
            // Data waits for a change of the world (a new session, the bridge back).
            return self.next_heartbeat;
        }
        let tick = hub.settings().tick;
        let steps = self
            .market
            .iter()
            .filter(|(_, sub)| now < sub.expires)
            .map(|(conid, _)| hub.next_step(*conid, now, tick));
        self.next_heartbeat
            .into_iter()
            .chain(steps)
            .chain(self.pnl_next)
            .min()
    }

    /// Timers and changes: `system` once ready, heartbeats, `sts` when the session changed,
    /// quotes due a step, `spl`; then, with [`Look::Everything`], the books, orders,
    /// executions, summaries and ledgers that changed. A quote step is a change of the world
    /// (fills, valuations): it wakes every connection for a full look.
    fn on_poll(&mut self, hub: &Hub, world: &WorldHandle, now: Instant, look: Look) -> Vec<String> {
        let settings = hub.settings();
        let mut out = Vec::new();
        let mut world = world.lock();
        if !self.ready {
            match self.ready_at {
                Some(at) if now >= at => {
                    self.ready = true;
                    self.next_heartbeat = Some(now + settings.heartbeat);
                    out.push(frames::system_ready());
                    out.push(frames::status(&world));
                    out.push(frames::accounts(&world));
                }
                _ => return out,
            }
        }
        if let Some(at) = self.next_heartbeat
            && now >= at
        {
            self.next_heartbeat = Some(now + settings.heartbeat);
            if settings.heartbeats {
                out.push(frames::heartbeat());
            }
        }
        // `sts` again whenever the brokerage session changes (login, competing takeover).
        let status = (
            world.session.brokerage && !world.session.competing,
            world.session.competing,
        );
        if self.last_status != Some(status) {
            if self.last_status.is_some() {
                out.push(frames::status(&world));
            }
            self.last_status = Some(status);
        }
        self.was_live = self.live(&world);
        if !self.was_live {
            return out;
        }
        let stepped = self.push_market(&mut world, hub, now, settings.tick, &mut out);
        if stepped {
            hub.world_changed();
        }
        if look == Look::Everything {
            self.push_books(&mut world, &mut out);
            self.push_orders(&world, &mut out);
            self.push_trades(&world, &mut out);
        }
        if let Some(next) = self.pnl_next
            && now >= next
        {
            self.pnl_next = Some(now + settings.pnl_interval);
            let mut args = Map::new();
            for account in world.settings.accounts.clone() {
                args.insert(
                    format!("{account}.Core"),
                    frames::pnl_row(&mut world, &account),
                );
            }
            out.push(json!({"topic": "spl", "args": args}).to_string());
        }
        if look == Look::Everything {
            self.push_accounts(&mut world, &mut out);
        }
        out
    }

    fn push_market(
        &mut self,
        world: &mut World,
        hub: &Hub,
        now: Instant,
        tick: Duration,
        out: &mut Vec<String>,
    ) -> bool {
        let mut stepped = false;
        for (conid, sub) in self.market.iter_mut() {
            // Quirk 3: a stream not renewed in time stops without a word.
            if now >= sub.expires {
                continue;
            }
            let due = hub.due_step(*conid, now, tick);
            let Some(contract) = world.contract(*conid) else {
                continue;
            };
            if due {
                world.quotes.tick(*conid, contract.ref_price);
                world.match_resting(*conid);
                stepped = true;
            }
            let quote = world.quotes.get(*conid, contract.ref_price).clone();
            let mut frame = Map::new();
            for field in &sub.fields {
                let Some(value) = field_value(field, &contract, &quote) else {
                    continue;
                };
                if sub.sent.get(field) != Some(&value) {
                    frame.insert(field.clone(), json!(value));
                    sub.sent.insert(field.clone(), value);
                }
            }
            if frame.is_empty() {
                continue;
            }
            let server_id = format!("q{}", conid % 100);
            frame.insert("conid".into(), json!(conid));
            frame.insert("conidEx".into(), json!(conid.to_string()));
            frame.insert("server_id".into(), json!(server_id));
            frame.insert("6119".into(), json!(server_id));
            frame.insert("_updated".into(), json!(now_ms()));
            frame.insert("topic".into(), json!(format!("smd+{conid}")));
            out.push(Value::Object(frame).to_string());
        }
        stepped
    }

    fn push_books(&mut self, world: &mut World, out: &mut Vec<String>) {
        for sub in self.books.values_mut() {
            let Some(contract) = world.contract(sub.conid) else {
                continue;
            };
            let quote = world.quotes.get(sub.conid, contract.ref_price).clone();
            let (bid, ask) = (quote.bid(), quote.ask());
            let key = (format!("{bid}"), format!("{ask}"));
            if sub.last.as_ref() == Some(&key) {
                continue;
            }
            sub.last = Some(key);
            let step = if quote.last >= 1000.0 { 0.25 } else { 0.01 };
            out.push(frames::book(&sub.account, sub.conid, bid, ask, step));
        }
    }

    fn push_orders(&mut self, world: &World, out: &mut Vec<String>) {
        let Some(sub) = self.orders.as_mut() else {
            return;
        };
        let mut args = Vec::new();
        for order in &world.trading.orders {
            if !sub.filters.is_empty()
                && !sub
                    .filters
                    .contains(&order.status.word().to_ascii_lowercase())
            {
                continue;
            }
            let before = sub.sent.get(&order.id);
            if before.is_some_and(|(o, _)| o == order) {
                continue;
            }
            let full = frames::order(world, order);
            let delta: Map<String, Value> = match before.map(|(_, frame)| frame) {
                None => full.clone(),
                Some(before) => {
                    let mut d: Map<String, Value> = full
                        .iter()
                        .filter(|(k, v)| before.get(*k) != Some(*v))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    if d.is_empty() {
                        continue;
                    }
                    d.insert("acct".into(), json!(order.account));
                    d.insert("orderId".into(), json!(order.id));
                    d
                }
            };
            sub.sent.insert(order.id, (order.clone(), full));
            args.push(Value::Object(delta));
        }
        if !args.is_empty() {
            out.push(json!({"topic": "sor", "args": args}).to_string());
        }
    }

    fn push_trades(&mut self, world: &World, out: &mut Vec<String>) {
        let Some(seen) = self.trades.as_mut() else {
            return;
        };
        let fresh: Vec<Value> = world
            .trading
            .executions
            .iter()
            .filter(|e| !seen.contains(&e.id))
            .map(|e| frames::execution(world, e))
            .collect();
        for e in &world.trading.executions {
            seen.insert(e.id.clone());
        }
        if !fresh.is_empty() {
            out.push(json!({"topic": "str", "args": fresh}).to_string());
        }
    }

    fn push_accounts(&mut self, world: &mut World, out: &mut Vec<String>) {
        for (account, last) in self.summaries.iter_mut() {
            let now = frames::summary_values(world, account);
            let changed: Vec<(String, f64)> = now
                .iter()
                .filter(|kv| !last.contains(kv))
                .cloned()
                .collect();
            if !changed.is_empty() {
                out.push(frames::summary(account, &changed));
                *last = now;
            }
        }
        for (account, last) in self.ledgers.iter_mut() {
            let now = frames::summary_values(world, account);
            if *last != now {
                out.push(frames::ledger(account, &now));
                *last = now;
            }
        }
    }
}
