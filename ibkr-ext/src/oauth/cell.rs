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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    use futures::future::join_all;

    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    /// A handshake that takes a second (of tokio's paused clock, so every caller queues
    /// before it ends), numbers its tokens 1, 2, ..., fails while `failures` is above 0,
    /// and notes what it was given to keep.
    #[derive(Default)]
    struct Fake {
        calls: AtomicU32,
        failures: AtomicU32,
        kept: Mutex<Vec<Option<u32>>>,
    }

    impl Fake {
        fn failing(times: u32) -> Self {
            Fake {
                failures: AtomicU32::new(times),
                ..Fake::default()
            }
        }

        fn handshake(
            &self,
            kept: Option<Arc<Held<u32>>>,
        ) -> impl Future<Output = Result<Issued<u32>, SignError>> + '_ {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            self.kept.lock().unwrap().push(kept.map(|k| k.value));
            async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let failing = self
                    .failures
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |f| f.checked_sub(1))
                    .is_ok();
                if failing {
                    return Err(SignError {
                        step: "fake handshake",
                        reason: format!("attempt {n} refused"),
                    });
                }
                Ok(Issued {
                    value: n,
                    expiry: Expiry::after(HOUR),
                })
            }
        }

        fn calls(&self) -> u32 {
            self.calls.load(Ordering::SeqCst)
        }
    }

    #[test]
    fn the_renewal_margin_is_a_tenth_between_a_minute_and_ten_minutes_at_most_half() {
        let s = Duration::from_secs;
        let table = [
            // lifetime, margin
            (s(24 * 3600), s(600)), // a day: 10 min before (OAuth 2.0 used 5)
            (s(86_399), s(600)),    // IBKR's OAuth 2.0 access token
            (s(6000), s(600)),      // a tenth reaches the ceiling exactly
            (s(3600), s(360)),      // an hour: 6 min before (OAuth 2.0 used 5)
            (s(600), s(60)),        // a tenth reaches the floor exactly
            (s(300), s(60)),        // below that, the 60 s floor (both used 30 s)
            (s(120), s(60)),        // half the lifetime meets the floor
            (s(60), s(30)),         // never more than half the lifetime
            (s(1), Duration::from_millis(500)),
            (Duration::ZERO, Duration::ZERO),
        ];
        for (lifetime, margin) in table {
            assert_eq!(renewal_margin(lifetime), margin, "lifetime {lifetime:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_without_a_token_cause_one_handshake() {
        let (cell, fake) = (TokenCell::default(), Fake::default());
        let got = join_all((0..8).map(|_| cell.get(|k| fake.handshake(k)))).await;
        assert_eq!(fake.calls(), 1);
        for token in got {
            assert_eq!(token.unwrap().value, 1);
        }
        assert_eq!(cell.generation(), Generation(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_due_token_is_renewed_once_and_its_fresh_parts_are_offered() {
        let (cell, fake) = (TokenCell::default(), Fake::default());
        cell.get(|k| fake.handshake(k)).await.unwrap();
        // An hour's token is due 6 minutes before it expires.
        tokio::time::advance(HOUR - Duration::from_secs(361)).await;
        assert_eq!(cell.get(|k| fake.handshake(k)).await.unwrap().value, 1);
        assert_eq!(fake.calls(), 1, "not due yet");
        tokio::time::advance(Duration::from_secs(1)).await;
        let got = join_all((0..8).map(|_| cell.get(|k| fake.handshake(k)))).await;
        assert!(got.iter().all(|t| t.as_ref().unwrap().value == 2));
        assert_eq!(fake.calls(), 2, "one renewal for eight callers");
        assert_eq!(*fake.kept.lock().unwrap(), [None, Some(1)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_with_an_old_generation_takes_the_newer_token() {
        let (cell, fake) = (TokenCell::default(), Fake::default());
        let first = cell.get(|k| fake.handshake(k)).await.unwrap().generation;
        // Two callers were refused with generation 1: one handshake between them.
        let renewed = join_all((0..2).map(|_| cell.renew(first, |k| fake.handshake(k)))).await;
        assert_eq!(fake.calls(), 2);
        assert!(renewed.iter().all(|t| t.as_ref().unwrap().value == 2));
        // A caller still holding generation 1 asks later: generation 2 is newer, no handshake.
        let late = cell.renew(first, |k| fake.handshake(k)).await.unwrap();
        assert_eq!((late.value, fake.calls()), (2, 2));
        // Renewing the generation held does renew, and keeps nothing of it.
        let again = cell.renew(late.generation, |k| fake.handshake(k)).await;
        assert_eq!(again.unwrap().generation, Generation(3));
        assert_eq!(*fake.kept.lock().unwrap(), [None, None, None]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_renewal_asked_before_the_first_token_takes_the_one_in_flight() {
        let (cell, fake) = (TokenCell::default(), Fake::default());
        let seen = cell.generation();
        let (got, renewed) = tokio::join!(
            cell.get(|k| fake.handshake(k)),
            cell.renew(seen, |k| fake.handshake(k)),
        );
        assert_eq!((got.unwrap().value, renewed.unwrap().value), (1, 1));
        assert_eq!(fake.calls(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_handshake_reaches_every_waiter_and_the_next_call_tries_again() {
        let (cell, fake) = (TokenCell::default(), Fake::failing(1));
        let got = join_all((0..8).map(|_| cell.get(|k| fake.handshake(k)))).await;
        assert_eq!(fake.calls(), 1, "the waiters did not try again");
        for result in got {
            let e = result.err().expect("every waiter gets the failure");
            assert_eq!(e.reason, "attempt 1 refused");
        }
        let kept = cell.last_failure().expect("kept");
        assert_eq!(kept.to_string(), "fake handshake: attempt 1 refused");
        assert!(cell.current().is_none());
        // A renewal that waited on a failed handshake gets its failure too.
        let fake2 = Fake::failing(1);
        let (got, renewed) = tokio::join!(
            cell.get(|k| fake2.handshake(k)),
            cell.renew(Generation(0), |k| fake2.handshake(k)),
        );
        assert!(got.is_err() && renewed.is_err());
        assert_eq!(fake2.calls(), 1);
        // The next call (which waited on nothing) tries again, and success clears the record.
        assert_eq!(cell.get(|k| fake.handshake(k)).await.unwrap().value, 2);
        assert!(cell.last_failure().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_handshake_whose_caller_went_away_is_run_again_by_the_next() {
        let (cell, fake) = (TokenCell::default(), Fake::default());
        let gave_up =
            tokio::time::timeout(Duration::from_millis(10), cell.get(|k| fake.handshake(k))).await;
        assert!(gave_up.is_err(), "the caller stopped waiting mid-handshake");
        assert_eq!(cell.get(|k| fake.handshake(k)).await.unwrap().value, 2);
        assert_eq!(cell.generation(), Generation(1));
    }
}
