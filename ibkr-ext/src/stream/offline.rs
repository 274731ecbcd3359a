//! The manager's frame path without a socket, for the `stream_soak` benchmark and the frame
//! fuzz target: not a stable API.

use super::decode::QuoteMerger;
use super::manager::Manager;
use super::{Retained, StreamConfig, Streams, manager_for};
use crate::Ibkr;
use crate::conid::Conid;
use crate::snapshot::Field;

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
        streams.history(Conid(1), crate::Period::Days(1), crate::BarSize::Min1),
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
