//! The gateway's WebSocket at `/v1/api/ws`, fed by the simulator's own state.
//!
//! The server speaks first (`system`, `sts`, `act`), and drops anything a client sends before
//! its `system` frame. Market data ticks the same seeded walk the REST snapshot reads, so both
//! agree; orders placed over REST appear on `sor`, their fills on `str`, `spl` and `ssd`.
//! Every quirk of the real socket can be switched on through [`SocketControl`]
//! (`RunningGateway::control().socket()`); `reference.rs` cites the source of each.
//!
//! Ownership: the [`Hub`] (one `Arc`, held by `Shared` and handed out in a [`SocketRoom`]) holds the switches, a broadcast channel of
//! [`HubEvent`]s and a change counter; each connection task owns its subscriptions and reads
//! the world under its lock only between awaits (never across one). Connections do not poll:
//! whoever changes the world (the HTTP layer after every answered request, `Control`,
//! `SocketControl`, a quote's walk stepping) bumps the counter once the change is made, and
//! each connection, woken by it or by its own next timer, looks at the world once under its
//! lock; bumps coalesce, and a look made after a bump sees the change.

mod connection;
mod frames;
mod topics;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use crate::lock::lock;
use crate::world::WorldHandle;

/// The socket's switches. Defaults are the real gateway's behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct SocketSettings {
    /// How long after the upgrade the server sends `system` (anything the client sends before
    /// is dropped: `websocket.md`, "Connecting").
    pub system_delay: Duration,
    /// Interval of `{"topic":"system","hb":..}` (10 s, `client-portal-api.md` §5).
    pub heartbeat: Duration,
    /// Whether heartbeats are sent at all.
    pub heartbeats: bool,
    /// How often a subscribed quote moves one step of the seeded walk (the gateway updates
    /// about every 500 ms).
    pub tick: Duration,
    /// How long an `smd` subscription lives without being renewed (10 minutes: quirk 3).
    pub md_expiry: Duration,
    /// Interval of `spl` frames (about once a second).
    pub pnl_interval: Duration,
    /// How many of the next `sor` subscriptions are refused with `unable to subscribe`
    /// (quirk 1).
    pub sor_refusals: u32,
    /// Ignore the `api` cookie (as when a proxy strips it): every socket starts with
    /// `{"message":"waiting for session"}` and authenticates with `{"session":..}`.
    pub ignore_cookie: bool,
}

impl Default for SocketSettings {
    fn default() -> Self {
        SocketSettings {
            system_delay: Duration::from_millis(200),
            heartbeat: Duration::from_secs(10),
            heartbeats: true,
            tick: Duration::from_millis(500),
            md_expiry: Duration::from_secs(600),
            pnl_interval: Duration::from_secs(1),
            sor_refusals: 0,
            ignore_cookie: false,
        }
    }
}

/// What the hub tells every open connection.
#[derive(Debug, Clone)]
pub(crate) enum HubEvent {
    /// Close the TCP connection without a close frame (a network drop).
    Drop,
    /// Stop sending anything, heartbeats included, and keep the connection open (quirk 4).
    Silence,
    /// Send this text frame as is.
    Push(Arc<str>),
}

/// The socket's shared state: switches, the event channel, what clients sent.
#[derive(Debug)]
pub(crate) struct Hub {
    settings: Mutex<SocketSettings>,
    events: broadcast::Sender<HubEvent>,
    /// Bumped whenever the world (or a switch) may have changed: every answered request,
    /// every `Control`/`SocketControl` change. Connections sleep until their next timer or
    /// this, whichever comes first (changes coalesce: a connection looks once however many
    /// came).
    changes: watch::Sender<u64>,
    /// What clients sent (a ring of [`STANDALONE_JOURNAL`](crate::journal::STANDALONE_JOURNAL)
    /// frames in a standalone simulator, everything otherwise).
    received: Mutex<crate::journal::Ring<String>>,
    /// When each conid's quote last moved, so several connections step it once per tick.
    stepped: Mutex<HashMap<u64, Instant>>,
    open: AtomicUsize,
    accepted: AtomicUsize,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            settings: Mutex::new(SocketSettings::default()),
            events: broadcast::channel(256).0,
            changes: watch::channel(0).0,
            received: Mutex::new(crate::journal::Ring::default()),
            stepped: Mutex::new(HashMap::new()),
            open: AtomicUsize::new(0),
            accepted: AtomicUsize::new(0),
        }
    }
}

impl Hub {
    pub(crate) fn settings(&self) -> SocketSettings {
        lock(&self.settings).clone()
    }

    /// The world may have changed: every connection looks at it now.
    pub(crate) fn world_changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Follow [`Hub::world_changed`] (changes before this call count as seen).
    pub(crate) fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// When a conid is next due a step of its walk (now if it never moved).
    pub(crate) fn next_step(&self, conid: u64, now: Instant, tick: Duration) -> Instant {
        lock(&self.stepped).get(&conid).map_or(now, |at| *at + tick)
    }

    /// Whether a conid is due a step of its walk (and mark it stepped).
    pub(crate) fn due_step(&self, conid: u64, now: Instant, tick: Duration) -> bool {
        let mut stepped = lock(&self.stepped);
        match stepped.get(&conid) {
            Some(at) if now.saturating_duration_since(*at) < tick => false,
            _ => {
                stepped.insert(conid, now);
                true
            }
        }
    }

    /// Consume one `sor` refusal if any is left.
    pub(crate) fn refuse_sor(&self) -> bool {
        let mut s = lock(&self.settings);
        if s.sor_refusals > 0 {
            s.sor_refusals -= 1;
            true
        } else {
            false
        }
    }

    /// Close every open socket (the simulator shuts down).
    pub(crate) fn close_all(&self) {
        self.send(HubEvent::Drop);
    }

    /// Keep only the last `cap` received frames (`None`: all).
    pub(crate) fn set_received_capacity(&self, cap: Option<usize>) {
        *lock(&self.received) = crate::journal::Ring::new(cap);
    }

    pub(crate) fn record(&self, text: &str) {
        lock(&self.received).push(text.to_string());
    }

    fn send(&self, event: HubEvent) {
        // No receiver (no open connection) is fine.
        let _ = self.events.send(event);
    }
}

/// Switches and observations of the simulated WebSocket (from `control().socket()`).
#[derive(Debug, Clone)]
pub struct SocketControl {
    room: SocketRoom,
}

/// What the WebSocket needs of the simulator: the hub and the world (the `/ws` handler's
/// axum state, and what [`SocketControl`] holds). A connection keeps the hub only weakly,
/// so it ends when the simulator goes away.
#[derive(Debug, Clone)]
pub(crate) struct SocketRoom {
    pub(crate) hub: Arc<Hub>,
    pub(crate) world: WorldHandle,
}

impl SocketControl {
    pub(crate) fn new(room: SocketRoom) -> Self {
        SocketControl { room }
    }

    fn hub(&self) -> &Hub {
        &self.room.hub
    }

    fn update(&self, f: impl FnOnce(&mut SocketSettings)) {
        f(&mut lock(&self.hub().settings));
        // Timers follow the new switches at once.
        self.hub().world_changed();
    }

    /// The current switches.
    pub fn settings(&self) -> SocketSettings {
        self.hub().settings()
    }

    /// Replace every switch at once.
    pub fn set_settings(&self, settings: SocketSettings) {
        self.update(|s| *s = settings);
    }

    /// Delay before the `system` frame; client frames sent earlier are dropped.
    pub fn set_system_delay(&self, delay: Duration) {
        self.update(|s| s.system_delay = delay);
    }

    /// Heartbeat interval.
    pub fn set_heartbeat(&self, interval: Duration) {
        self.update(|s| s.heartbeat = interval);
    }

    /// Switch heartbeats on or off (data still flows).
    pub fn set_heartbeats(&self, on: bool) {
        self.update(|s| s.heartbeats = on);
    }

    /// How often subscribed quotes move.
    pub fn set_tick(&self, tick: Duration) {
        self.update(|s| s.tick = tick);
    }

    /// How long market data streams without a renewed `smd` (10 minutes by default).
    pub fn set_md_expiry(&self, expiry: Duration) {
        self.update(|s| s.md_expiry = expiry);
    }

    /// Interval of `spl` frames.
    pub fn set_pnl_interval(&self, interval: Duration) {
        self.update(|s| s.pnl_interval = interval);
    }

    /// Refuse the next `n` `sor` subscriptions with `unable to subscribe`.
    pub fn refuse_sor(&self, n: u32) {
        self.update(|s| s.sor_refusals = n);
    }

    /// Ignore the `api` cookie: sockets must send `{"session":..}` after `waiting for session`.
    pub fn set_ignore_cookie(&self, ignore: bool) {
        self.update(|s| s.ignore_cookie = ignore);
    }

    /// Close every open socket abruptly: no close frame, as when the network drops.
    pub fn drop_connections(&self) {
        self.hub().send(HubEvent::Drop);
    }

    /// Every open socket stops sending anything (heartbeats included) but stays open.
    pub fn silence(&self) {
        self.hub().send(HubEvent::Silence);
    }

    /// The nightly re-login under open sockets: `/tickle` reports a new session id, open
    /// sockets keep their heartbeats but deliver no more data, and the old id is refused
    /// (401) on new upgrades.
    pub fn roll_session(&self) {
        {
            let mut world = self.room.world.lock();
            world.session.id = world.ids.session_id();
        }
        self.hub().world_changed();
    }

    /// Set a conid's last price and push the change to subscribers at once. Returns `false`
    /// for an unknown conid.
    pub fn set_last_price(&self, conid: u64, price: f64) -> bool {
        let moved = {
            let mut world = self.room.world.lock();
            match world.contract(conid) {
                Some(contract) => {
                    world.quotes.set_last(conid, contract.ref_price, price);
                    world.match_resting(conid);
                    true
                }
                None => false,
            }
        };
        if moved {
            self.hub().world_changed();
        }
        moved
    }

    /// Send a notification (`ntf`, its `args` an array as live sends it).
    pub fn notify(&self, id: &str, title: &str, text: &str) {
        self.push(&frames::notification(id, title, text));
    }

    /// Send an order prompt in `ntf` (`messageId`, `prompt: true`, `options`).
    pub fn prompt(&self, order_id: u64, message_id: &str, text: &str) {
        self.push(&frames::prompt(order_id, message_id, text));
    }

    /// Send a bulletin (`blt`).
    pub fn bulletin(&self, id: &str, message: &str) {
        self.push(&frames::bulletin(id, message));
    }

    /// Send any text frame to every ready socket (malformed ones included, for client tests).
    pub fn push(&self, text: &str) {
        self.hub().send(HubEvent::Push(Arc::from(text)));
    }

    /// Every text frame clients sent, in order (frames dropped before `system` included).
    pub fn received(&self) -> Vec<String> {
        lock(&self.hub().received).to_vec()
    }

    /// Sockets open now.
    pub fn open_connections(&self) -> usize {
        self.hub().open.load(Ordering::SeqCst)
    }

    /// Upgrades accepted since the start.
    pub fn accepted_connections(&self) -> usize {
        self.hub().accepted.load(Ordering::SeqCst)
    }
}

/// How the client authenticated the upgrade.
enum Credential {
    /// `Cookie: api={"session":"<id>"}` (or `api=<id>`).
    Session(String),
    /// `?oauth_token=` (api.ibkr.com).
    Token,
    /// Nothing: the server asks with `waiting for session`.
    Nothing,
}

/// Undo the percent-encoding browsers and some clients apply to the cookie's JSON.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The session id in an `api` cookie value: `{"session":"id"}` or the bare id.
pub(crate) fn session_in_cookie(value: &str) -> Option<String> {
    let value = percent_decode(value.trim());
    if value.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(&value).ok()?;
        return v.get("session")?.as_str().map(str::to_string);
    }
    (!value.is_empty()).then_some(value)
}

fn credential(headers: &HeaderMap, query: Option<&str>) -> Credential {
    let token = query.is_some_and(|q| {
        q.split('&').any(|kv| {
            kv.strip_prefix("oauth_token=")
                .is_some_and(|t| !t.is_empty())
        })
    });
    if token {
        return Credential::Token;
    }
    for header in headers.get_all(http::header::COOKIE) {
        let Ok(text) = header.to_str() else { continue };
        for pair in text.split(';') {
            if let Some(value) = pair.trim().strip_prefix("api=")
                && let Some(id) = session_in_cookie(value)
            {
                return Credential::Session(id);
            }
        }
    }
    Credential::Nothing
}

/// `GET /v1/api/ws`: the upgrade. A stale or wrong session id is refused with 401 (the
/// front desk already answered 401 when logged out); no credential at all is accepted and
/// then asked for with `{"message":"waiting for session"}`.
pub(crate) async fn upgrade(
    State(room): State<SocketRoom>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let mut credential = credential(&headers, query.as_deref());
    if room.hub.settings().ignore_cookie && matches!(credential, Credential::Session(_)) {
        credential = Credential::Nothing;
    }
    let authed = match credential {
        Credential::Session(id) => {
            if id != room.world.lock().session.id {
                return crate::reply::empty(401);
            }
            Some(id)
        }
        Credential::Token => Some(room.world.lock().session.id.clone()),
        Credential::Nothing => None,
    };
    room.hub.accepted.fetch_add(1, Ordering::SeqCst);
    let weak = Arc::downgrade(&room.hub);
    ws.on_upgrade(move |socket| connection::run(socket, weak, room.world, authed))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_values_in_both_spellings() {
        assert_eq!(
            session_in_cookie(r#"{"session":"abc123"}"#).as_deref(),
            Some("abc123")
        );
        assert_eq!(
            session_in_cookie("%7B%22session%22%3A%22abc123%22%7D").as_deref(),
            Some("abc123")
        );
        assert_eq!(session_in_cookie("abc123").as_deref(), Some("abc123"));
        assert_eq!(session_in_cookie(""), None);
        assert_eq!(session_in_cookie("{not json"), None);
    }
}
