//! The session owner: one per login, shared by every handle.
//!
//! **Ordering rule.** Every request takes the order lane first (shared, or alone for an
//! order question loop), then pacing, then signing. Opening the brokerage session takes the
//! lane (shared) before its single-flight lock, and sends its own requests through the lane
//! it holds; a `no bridge` met inside the order lane therefore recovers inside that lane.
//! No code path takes the lane while holding the single-flight lock, and no request
//! waits for a lane its own wire holds, so the two can never wait on each other. A request
//! that would wait for a lane its own *task* holds (the outer handle used inside
//! [`Ibkr::exclusive`](crate::Ibkr::exclusive)) fails at once instead (see `exclusive.rs`).
//!
//! **The upstream watchdog** (`upstream`) has one leaf lock, its cached verdict, held only
//! while its two probe requests run straight on the HTTP client; it never takes the lane,
//! pacing or the single-flight lock.
//!
//! **Ownership.** `Session` owns the session's state and configuration. Its
//! `SessionCore` (the state channel, the brokerage single-flight, the
//! keeper switch) is also the wire's recovery hook; it holds data only, never a client, so
//! no reference cycle forms: the wire hands it the client it sends through. Every handle
//! (clones of [`Ibkr`](crate::Ibkr), `with_account` handles, the raw client, streams)
//! holds one `Lease`; the keeper runs until the last lease is dropped or
//! [`Ibkr::shutdown`](crate::Ibkr::shutdown) is called.
//!
//! **The keeper** tickles `POST /tickle` on a schedule (60 s by default) and publishes
//! state changes on a `tokio::sync::watch` channel. It starts with the client when the
//! client is built inside a tokio runtime, and otherwise with the first request.

pub(crate) mod core;
mod keeper;
mod state;
pub(crate) mod upstream;

use std::sync::Arc;

use crate::conid::ConidCache;

pub(crate) use self::core::{SessionConfig, SessionCore};
pub use self::state::{KeeperConfig, SessionState};

/// One login's shared state. See the module docs for who owns what.
pub(crate) struct Session {
    /// The session's state and configuration (their one owner).
    pub(crate) core: Arc<SessionCore>,
    pub(crate) conids: ConidCache,
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
    pub(crate) user_agent: String,
    /// The session's stream manager, while any `Streams` handle holds it.
    pub(crate) streams: std::sync::Mutex<std::sync::Weak<crate::stream::StreamsShared>>,
}

/// Held by every handle; the last one dropped stops the session's background work.
pub(crate) struct Lease {
    pub(crate) session: Arc<Session>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.session.core.stop();
    }
}
