//! The order lane: IBKR cancels a pending order question when any other request of the
//! session arrives before its reply, so the question loop must have the session to itself.
//!
//! The lane is a read-write lock that every attempt passes first. An ordinary attempt holds
//! it shared for as long as it is paced, signed and sent. The order loop holds it alone for
//! the whole loop. A holder is a value, not a task-local: [`Wire::exclusive_lane`] and
//! [`Wire::shared_lane`] return a wire that carries its hold, and every request sent
//! through that wire (or a clone of it) goes straight past the lock. That is what lets a
//! hook run inside the lane without waiting for the lane it is already in.
//!
//! Ordering rule: the lane is always taken before anything else (pacing, the
//! brokerage-session single-flight in `ibkr-ext`), and never taken again while held.

use std::sync::Arc;

use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

use super::Wire;

/// A hold on the lane, shared by the clones of the wire that carries it.
pub(crate) enum Hold {
    /// Held alone (the order loop).
    Exclusive(#[allow(dead_code)] OwnedRwLockWriteGuard<()>),
    /// Held shared, for a sequence of requests (brokerage-session recovery).
    Shared(#[allow(dead_code)] OwnedRwLockReadGuard<()>),
}

pub(crate) type Lane = Arc<RwLock<()>>;

impl Wire {
    /// A wire that has the session to itself until it and all its clones are dropped:
    /// requests of every other wire (other tasks, other handles, the keeper's tickles)
    /// wait, while requests sent through the returned wire go straight through.
    pub async fn exclusive_lane(&self) -> Wire {
        if matches!(self.hold.as_deref(), Some(Hold::Exclusive(_))) {
            return self.clone();
        }
        let guard = self.shared.lane.clone().write_owned().await;
        self.holding(Hold::Exclusive(guard))
    }

    /// A wire that holds the lane shared until it and its clones are dropped, for a short
    /// sequence of requests that must not be split by an order loop. Returns a clone when
    /// this wire already holds the lane (in either mode).
    pub async fn shared_lane(&self) -> Wire {
        if self.hold.is_some() {
            return self.clone();
        }
        let guard = self.shared.lane.clone().read_owned().await;
        self.holding(Hold::Shared(guard))
    }

    /// Whether this wire holds the lane (its requests do not wait for it).
    pub fn holds_lane(&self) -> bool {
        self.hold.is_some()
    }

    /// Whether this wire holds the lane alone.
    pub fn holds_lane_alone(&self) -> bool {
        matches!(self.hold.as_deref(), Some(Hold::Exclusive(_)))
    }

    fn holding(&self, hold: Hold) -> Wire {
        Wire {
            shared: self.shared.clone(),
            hold: Some(Arc::new(hold)),
            lease: self.lease.clone(),
            recovers: self.recovers,
        }
    }

    /// Wait for the lane for one attempt, unless this wire holds it.
    pub(crate) async fn enter_lane(&self) -> Option<OwnedRwLockReadGuard<()>> {
        if self.hold.is_some() {
            return None;
        }
        match self.shared.lane.clone().try_read_owned() {
            Ok(guard) => Some(guard),
            // Boxed: the wait is rare, and its future would enlarge every attempt's state.
            Err(_) => Some(Box::pin(self.shared.lane.clone().read_owned()).await),
        }
    }
}
