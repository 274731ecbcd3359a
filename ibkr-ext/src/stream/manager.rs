//! The connection manager: one task per session that owns the socket and runs its select
//! loop: connecting, the `system` handshake, heartbeats, market data renewal, the session
//! comparison, the refused-`sor` retry, and reconnection with the one retry module's backoff.
//! What it sends comes from [`reconcile`](super::reconcile::reconcile); frames go to the
//! [`Hub`], which owns the subscriptions and the merged state.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use ibkr_gen::Secret;
use ibkr_gen::wire::RetryPolicy;
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, interval_at, sleep_until};
use tokio_tungstenite::tungstenite::Message;

use super::StreamConfig;
use super::decode::{Frame, classify};
use super::hub::Hub;
use super::reconcile::{OnSocket, reconcile};
use super::sink::Sink;
use super::socket::{self, ConnectError, Socket};
use super::topic::{Request, Topic, WireTopic};
use super::types::*;
use crate::Ibkr;

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
    hub: Hub,
    on_socket: OnSocket,
    sor: SorRetry,
    ready_before: bool,
    attempt: u32,
}

/// The wait before attempt `attempt` (1-based): [`RetryPolicy`]'s jittered exponential
/// backoff from `min`, capped at `max`.
fn backoff(min: Duration, max: Duration, attempt: u32) -> Duration {
    let policy = RetryPolicy {
        base_delay: min,
        max_delay: max,
        ..RetryPolicy::default()
    };
    policy.delay(attempt.saturating_sub(1), None)
}

impl Manager {
    pub(crate) fn new(
        ibkr: Ibkr,
        config: StreamConfig,
        commands: mpsc::UnboundedReceiver<Command>,
        state: watch::Sender<ConnectionState>,
    ) -> Self {
        Manager {
            ibkr,
            hub: Hub::new(&config),
            config,
            commands,
            state,
            on_socket: OnSocket::default(),
            sor: SorRetry::default(),
            ready_before: false,
            attempt: 0,
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
                    );
                    tracing::debug!(%reason, ?delay, "stream: reconnecting");
                    self.set_state(ConnectionState::Backoff);
                    self.hub.status(ConnectionEvent::Disconnected {
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
        // Subscriptions still in the channel end too (they used to be dropped unclosed, and
        // their `next()` waited forever); later ones fail to send and end at once.
        self.commands.close();
        while let Ok(cmd) = self.commands.try_recv() {
            self.register(cmd);
        }
        self.hub.status(ConnectionEvent::Closed);
        self.hub.close();
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
        self.hub.status(ConnectionEvent::Connecting {
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
            self.ibkr.core().config().local_address,
        );
        let mut ws = tokio::select! {
            r = tokio::time::timeout(self.config.connect_timeout, connecting) => match r {
                Ok(Ok(ws)) => ws,
                Ok(Err(ConnectError::Refused(code))) => {
                    self.drain_commands();
                    self.hub.error_everywhere(StreamErrorKind::UpgradeRefused(code));
                    self.hub.status(ConnectionEvent::Error(StreamError::new(
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
                        self.on_text(text.as_str(), &mut ready, session, &internal_tx)
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
                _ = tic.tick(), if ready => self.sent(vec![Request::Tic]),
                _ = renew.tick(), if ready => {
                    let again = self.on_socket.renew_market_data();
                    self.sent(again)
                }
                _ = check.tick(), if ready => {
                    self.hub.sweep_orders(Instant::now());
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
                            self.hub.status(ConnectionEvent::SessionChanged);
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

    /// Add or remove a subscription, or report.
    fn register(&mut self, cmd: Command) {
        match cmd {
            Command::Subscribe { id, topic, sink } => self.hub.subscribe(id, topic, sink),
            Command::Unsubscribe(id) => self.hub.unsubscribe(id),
            Command::Retained(reply) => {
                let _ = reply.send(self.hub.retained());
            }
        }
    }

    /// What the manager holds now.
    pub(crate) fn retained(&self) -> super::Retained {
        self.hub.retained()
    }

    /// What the handles want against what the socket has: the messages that close the gap.
    fn reconcile(&mut self) -> Vec<String> {
        let mut want = self.hub.desired();
        want.orders_held = self.sor.priming || self.sor.retry_at.is_some();
        self.hub.forget_unwanted(&want);
        let requests = reconcile(&want, &self.on_socket);
        self.sent(requests)
    }

    /// Record `requests` as sent on this socket; their text.
    fn sent(&mut self, requests: Vec<Request>) -> Vec<String> {
        requests
            .into_iter()
            .map(|r| {
                self.on_socket.record(&r);
                r.to_string()
            })
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
        out.extend(self.on_text(text, ready, session, &internal));
        out
    }

    /// What a new connection resets: the socket's record, and readiness.
    pub(crate) fn offline_reconnect(&mut self, ready: &mut bool) {
        self.on_socket = OnSocket::default();
        self.sor = SorRetry::default();
        *ready = false;
    }

    /// One text frame; returns what to send.
    fn on_text(
        &mut self,
        text: &str,
        ready: &mut bool,
        session: &Secret,
        internal: &mpsc::UnboundedSender<Internal>,
    ) -> Vec<String> {
        if self.hub.market_frame(text, &self.on_socket) {
            return Vec::new();
        }
        let frame = match classify(text) {
            Ok(f) => f,
            Err(e) => {
                self.hub.malformed(e);
                return Vec::new();
            }
        };
        match frame {
            Frame::SystemReady(user) => {
                if *ready {
                    return Vec::new();
                }
                *ready = true;
                self.attempt = 0;
                let reconnected = self.ready_before;
                if reconnected {
                    self.hub.gap();
                }
                self.ready_before = true;
                self.set_state(ConnectionState::Ready);
                self.hub
                    .status(ConnectionEvent::Ready { user, reconnected });
                self.reconcile()
            }
            Frame::WaitingForSession => {
                self.hub.status(ConnectionEvent::WaitingForSession);
                vec![json!({"session": session.expose()}).to_string()]
            }
            Frame::System | Frame::Other => Vec::new(),
            Frame::Error { topic, text, code } => {
                self.error_frame(topic, text, code, internal);
                Vec::new()
            }
            Frame::Topic { wire, body } => {
                if wire == WireTopic::Orders {
                    self.sor.refusals = 0;
                }
                let requests = self.hub.topic_frame(&wire, &body, &mut self.on_socket);
                self.sent(requests)
            }
        }
    }

    fn error_frame(
        &mut self,
        topic: Option<String>,
        text: String,
        code: Option<i64>,
        internal: &mpsc::UnboundedSender<Internal>,
    ) {
        let orders = topic.as_deref().and_then(WireTopic::parse) == Some(WireTopic::Orders);
        let kind = if text.to_ascii_lowercase().contains("invalid conid") {
            StreamErrorKind::InvalidConid
        } else if orders {
            StreamErrorKind::Refused(text)
        } else {
            StreamErrorKind::Server { code, text }
        };
        if orders {
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
        self.hub.route_error(topic.as_deref(), kind);
    }
}

fn text_message(text: String) -> Message {
    Message::Text(text.into())
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
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(60));
        for attempt in 1..12 {
            let d = backoff(min, max, attempt);
            let full = min.saturating_mul(1 << (attempt - 1)).min(max);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
    }
}
