//! The token cell both logins keep their token in: single-flight renewal, the last
//! failure, renew-if-unchanged, and the one renewal-margin rule.
//!
//! # Locks and awaits
//!
//! A cell has two locks, taken in this order and no other:
//!
//! 1. `flight`, a `tokio::sync::Mutex<()>`: the single-flight lock. Whoever holds it runs
//!    the handshake, and it is the **only** lock held across the handshake's `.await`.
//!    Everyone else who needs a new token waits on it, then looks at what the holder left.
//! 2. `state`, a `std::sync::RwLock`: the token, its generation, how many handshakes have
//!    finished and how the last one failed. Held only to copy an `Arc` or a counter in or
//!    out, never across an `.await` (so it is a plain, synchronous lock).
//!
//! The fast path (a fresh token) takes only `state`, for a read.
//!
//! # What a waiter gets
//!
//! A caller notes the number of finished handshakes before it waits on `flight`. When it
//! gets `flight` and that number has moved, a handshake ran while it waited, and it takes
//! that handshake's result instead of running its own: the token on success, the same
//! error on failure. So N callers that find the token due cause one handshake, and one
//! failed handshake is reported to all N; the next caller (who did not wait on it) tries
//! again. A holder that is dropped mid-handshake (its request was cancelled) finishes
//! nothing, so the next waiter runs the handshake itself.
//!
//! # Renew if unchanged
//!
//! Every token the cell stores gets the next [`Generation`]. A caller whose token was
//! refused asks to renew the generation it saw; if the cell already holds a newer one, it
//! gets that without a handshake. The wire's `renew` hook does not say which token signed
//! the refused request, so the logins pass the generation current when `renew` is called.

use std::future::Future;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::{Duration, SystemTime};

use ibkr_gen::wire::SignError;
use tokio::time::Instant;

/// The renewal margin's floor: IBKR refuses timestamps more than 60 s off, and a request
/// signed just before expiry must still arrive in time.
const MIN_MARGIN: Duration = Duration::from_secs(60);
/// The renewal margin's ceiling: a day-long token is renewed 10 minutes before it expires.
const MAX_MARGIN: Duration = Duration::from_secs(10 * 60);

/// How long before expiry a token of `lifetime` is renewed: a tenth of its lifetime, at
/// least 60 s and at most 10 minutes, and never more than half the lifetime (a short-lived
/// token is still used for half its life).
///
/// This is the larger of the two rules the logins used before (OAuth 1.0a: a tenth, at
/// most 10 minutes; OAuth 2.0: a tenth, at most 5 minutes), with a floor for IBKR's clock
/// tolerance: 24 h renews at 23 h 50 min, 1 h at 54 min, 5 min at 4 min.
pub(crate) fn renewal_margin(lifetime: Duration) -> Duration {
    (lifetime / 10)
        .clamp(MIN_MARGIN, MAX_MARGIN)
        .min(lifetime / 2)
}

/// When a token expires (wall clock, for `ibkr status`) and when to renew it (tokio's
/// clock, so tests can pause and advance it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Expiry {
    pub(crate) expires: SystemTime,
    pub(crate) renew_at: Instant,
}

impl Expiry {
    /// A token that lives `lifetime` from now, renewed by [`renewal_margin`].
    pub(crate) fn after(lifetime: Duration) -> Self {
        Expiry {
            expires: SystemTime::now() + lifetime,
            renew_at: Instant::now() + lifetime.saturating_sub(renewal_margin(lifetime)),
        }
    }

    /// Whether the token is not yet due for renewal.
    pub(crate) fn fresh(&self) -> bool {
        Instant::now() < self.renew_at
    }
}

/// Which token a cell holds: 0 before the first, then one more for each token stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Generation(u64);

/// What a handshake gives: the token and when it expires.
pub(crate) struct Issued<T> {
    pub(crate) value: T,
    pub(crate) expiry: Expiry,
}

/// A token the cell holds. No `Debug`: the value is a secret.
pub(crate) struct Held<T> {
    pub(crate) value: T,
    pub(crate) expiry: Expiry,
    pub(crate) generation: Generation,
}

struct State<T> {
    current: Option<Arc<Held<T>>>,
    /// Handshakes finished, successful or not.
    finished: u64,
    /// How the last handshake failed, until one succeeds.
    failure: Option<SignError>,
}

/// One login's token. See the module doc for the locks and who runs the handshake.
pub(crate) struct TokenCell<T> {
    state: RwLock<State<T>>,
    flight: tokio::sync::Mutex<()>,
}

impl<T> Default for TokenCell<T> {
    fn default() -> Self {
        TokenCell {
            state: RwLock::new(State {
                current: None,
                finished: 0,
                failure: None,
            }),
            flight: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T> TokenCell<T> {
    fn read(&self) -> RwLockReadGuard<'_, State<T>> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The token held, fresh or not.
    pub(crate) fn current(&self) -> Option<Arc<Held<T>>> {
        self.read().current.clone()
    }

    /// The generation held (0 before the first token).
    pub(crate) fn generation(&self) -> Generation {
        self.read()
            .current
            .as_ref()
            .map_or(Generation::default(), |t| t.generation)
    }

    /// How the last handshake failed, while none has succeeded since.
    pub(crate) fn last_failure(&self) -> Option<SignError> {
        self.read().failure.clone()
    }

    /// The token if it is fresh; otherwise a new one, from one handshake for all who ask
    /// at once. `handshake` is given the token being replaced, whose parts that are still
    /// fresh it may keep.
    pub(crate) async fn get<F, Fut>(&self, handshake: F) -> Result<Arc<Held<T>>, SignError>
    where
        F: FnOnce(Option<Arc<Held<T>>>) -> Fut,
        Fut: Future<Output = Result<Issued<T>, SignError>>,
    {
        let seen = {
            let state = self.read();
            match &state.current {
                Some(t) if t.expiry.fresh() => return Ok(t.clone()),
                _ => state.finished,
            }
        };
        let _flight = self.flight.lock().await;
        let replaced = {
            let state = self.read();
            match &state.current {
                Some(t) if t.expiry.fresh() => return Ok(t.clone()),
                _ if state.finished != seen => return Self::outcome(&state),
                current => current.clone(),
            }
        };
        self.run(handshake(replaced)).await
    }

    /// A new token unless the cell already holds a newer one than `seen` (or a handshake
    /// failed while this caller waited: then that error). `handshake` is given nothing to
    /// keep: the token was refused.
    pub(crate) async fn renew<F, Fut>(
        &self,
        seen: Generation,
        handshake: F,
    ) -> Result<Arc<Held<T>>, SignError>
    where
        F: FnOnce(Option<Arc<Held<T>>>) -> Fut,
        Fut: Future<Output = Result<Issued<T>, SignError>>,
    {
        let finished = self.read().finished;
        let _flight = self.flight.lock().await;
        {
            let state = self.read();
            let held = state.current.as_ref().map(|t| t.generation);
            if held.is_some_and(|g| g != seen) || state.finished != finished {
                return Self::outcome(&state);
            }
        }
        self.run(handshake(None)).await
    }

    /// What the last finished handshake left: its failure, or the token held.
    fn outcome(state: &State<T>) -> Result<Arc<Held<T>>, SignError> {
        match (&state.failure, &state.current) {
            (Some(e), _) => Err(e.clone()),
            (None, Some(t)) => Ok(t.clone()),
            (None, None) => Err(SignError {
                step: "token",
                reason: "no token is held".to_string(),
            }),
        }
    }

    /// Run a handshake (the caller holds `flight`) and record its result.
    async fn run(
        &self,
        handshake: impl Future<Output = Result<Issued<T>, SignError>>,
    ) -> Result<Arc<Held<T>>, SignError> {
        let result = handshake.await;
        let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
        state.finished += 1;
        match result {
            Ok(issued) => {
                let last = state.current.as_ref().map_or(0, |t| t.generation.0);
                let held = Arc::new(Held {
                    value: issued.value,
                    expiry: issued.expiry,
                    generation: Generation(last + 1),
                });
                state.current = Some(held.clone());
                state.failure = None;
                Ok(held)
            }
            Err(e) => {
                state.failure = Some(e.clone());
                Err(e)
            }
        }
    }
}
