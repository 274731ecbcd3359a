//! Where a subscription's items go: its [`Sink`] (the feed of the item type its topic
//! delivers), how each item type conflates, and which sink variant takes which item type
//! ([`Item`]), so that every topic's items reach their subscribers through one generic path.

use std::sync::Arc;

use super::feed::{Conflate, Feed};
use super::types::*;
use crate::portfolio::Trade;

/// Where a subscription's items go.
pub(crate) enum Sink {
    Quotes(Arc<Feed<QuoteUpdate>>),
    Orders(Arc<Feed<OrderUpdate>>),
    Pnl(Arc<Feed<PnlUpdate>>),
    Summary(Arc<Feed<SummaryUpdate>>),
    Ledger(Arc<Feed<LedgerUpdate>>),
    Trades(Arc<Feed<Trade>>),
    History(Arc<Feed<HistoryUpdate>>),
    Book(Arc<Feed<BookUpdate>>),
    Notifications(Arc<Feed<Notification>>),
    Bulletins(Arc<Feed<Bulletin>>),
    Status(Arc<Feed<ConnectionEvent>>),
}

/// An item type of a topic, and the sink variant that takes it.
pub(crate) trait Item: Conflate + Clone {
    /// `sink`'s feed when it takes this type.
    fn feed(sink: &Sink) -> Option<&Feed<Self>>;
}

macro_rules! items {
    ($($variant:ident => $item:ty),* $(,)?) => {
        $(impl Item for $item {
            fn feed(sink: &Sink) -> Option<&Feed<Self>> {
                match sink {
                    Sink::$variant(feed) => Some(feed),
                    _ => None,
                }
            }
        })*
    };
}

/// `$body` with `$feed` bound to the sink's feed, whatever its item type.
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

items!(
    Quotes => QuoteUpdate,
    Orders => OrderUpdate,
    Pnl => PnlUpdate,
    Summary => SummaryUpdate,
    Ledger => LedgerUpdate,
    Trades => Trade,
    History => HistoryUpdate,
    Book => BookUpdate,
    Notifications => Notification,
    Bulletins => Bulletin,
    Status => ConnectionEvent,
);

impl Sink {
    /// A reconnection: every stream but the status stream gets a `Gap`.
    pub(crate) fn gap(&self) {
        if !matches!(self, Sink::Status(_)) {
            each_sink!(self, f => f.push_event(StreamEvent::Gap));
        }
    }

    pub(crate) fn error(&self, e: StreamError) {
        each_sink!(self, f => f.push_error(e));
    }

    pub(crate) fn close(&self) {
        each_sink!(self, f => f.close());
    }

    pub(crate) fn len(&self) -> usize {
        each_sink!(self, f => f.len())
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
impl Conflate for Trade {}
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
