//! The bounded buffer between the connection manager and one subscription handle.
//!
//! Two policies, chosen per topic:
//! - **conflate**: an item with the same key as one still queued is folded into it (quotes
//!   by conid, P&L, summaries): a slow consumer sees fewer, always-current items and
//!   nothing is lost but intermediate values;
//! - **queue(n)**: at most `n` items wait; beyond that items are dropped and counted, and the
//!   consumer gets `Lagged(count)` exactly where they were dropped (orders, trades,
//!   notifications, bulletins, history, status): never a silent loss, and the manager is never
//!   blocked by a slow consumer.
//!
//! `Gap` events are never dropped (consecutive `Gap`s collapse into one: a full queue, whose
//! newer items are only counted, holds one `Gap` however many reconnections come; checked
//! in `tests/it/stream_bounds.rs`). `Error` events are never dropped either, but they are conflated:
//! while an error waits unread, a newer one of the same topic and kind replaces it and
//! counts the folded ones in [`StreamError::repeated`], so a flood of malformed frames holds
//! one buffered event per topic and kind, not one per frame (they used to bypass the
//! capacity, one each).
//! The lock is a plain mutex held for a push or a pop, never across an await. The reader is
//! poll-based ([`Feed::poll_next`]): it registers its waker under the same lock it found the
//! queue empty under, and a push takes the waker under that lock and wakes it after
//! releasing it, so no wake-up is lost between the check and the registration.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::types::{StreamError, StreamEvent};

/// How a feed treats a consumer that falls behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    /// Fold items with the same key.
    Conflate,
    /// Queue up to this many items, then count drops as `Lagged`.
    Queue(usize),
}

/// Items that can be conflated.
pub(crate) trait Conflate: Sized {
    /// The key items are folded by; `None` never folds.
    fn key(&self) -> Option<i64> {
        None
    }

    /// Fold a newer item with the same key into this one.
    fn absorb(&mut self, newer: Self) {
        *self = newer;
    }

    /// Queued policy: fold `newer` into this unread item instead of queueing it (`true`), as
    /// the status stream does with errors. Nothing folds by default.
    fn fold(&mut self, _newer: &Self) -> bool {
        false
    }
}

struct State<T> {
    queue: VecDeque<StreamEvent<T>>,
    lagged: u64,
    closed: bool,
    /// The reader waiting for an event (the last one to poll an empty feed).
    waker: Option<Waker>,
}

/// One subscription's buffer.
pub(crate) struct Feed<T> {
    state: Mutex<State<T>>,
    policy: Policy,
}

impl<T> Feed<T> {
    pub(crate) fn new(policy: Policy) -> Self {
        Feed {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                lagged: 0,
                closed: false,
                waker: None,
            }),
            policy,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wake the waiting reader, if any; called after the lock is released.
    fn wake(waker: Option<Waker>) {
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Add an error: never dropped, folded into a queued, unread one of the same topic and
    /// kind (which it replaces, counting it and the errors it had folded).
    pub(crate) fn push_error(&self, error: StreamError) {
        {
            let mut st = self.lock();
            let queued = st.queue.iter_mut().rev().find_map(|e| match e {
                StreamEvent::Error(q) if q.same_as(&error) => Some(q),
                _ => None,
            });
            if let Some(queued) = queued {
                let repeated = queued.repeated + 1 + error.repeated;
                *queued = StreamError { repeated, ..error };
                return;
            }
        }
        self.push_event(StreamEvent::Error(error));
    }

    /// Add a `Gap` or an `Error`: never dropped.
    pub(crate) fn push_event(&self, event: StreamEvent<T>) {
        let waker = {
            let mut st = self.lock();
            if matches!(event, StreamEvent::Gap)
                && matches!(st.queue.back(), Some(StreamEvent::Gap))
            {
                return;
            }
            if st.lagged > 0 {
                let n = std::mem::take(&mut st.lagged);
                st.queue.push_back(StreamEvent::Lagged(n));
            }
            st.queue.push_back(event);
            st.waker.take()
        };
        Self::wake(waker);
    }

    /// Events waiting to be read (for [`Retained`](super::Retained)).
    pub(crate) fn len(&self) -> usize {
        self.lock().queue.len()
    }

    /// No more items will come; the consumer gets `None` once the queue is drained.
    pub(crate) fn close(&self) {
        let waker = {
            let mut st = self.lock();
            st.closed = true;
            st.waker.take()
        };
        Self::wake(waker);
    }

    /// The next event: `Ready(Some)` when one waits, `Ready(None)` once closed and drained,
    /// otherwise `Pending` with `cx`'s waker registered.
    pub(crate) fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<StreamEvent<T>>> {
        let mut st = self.lock();
        if let Some(event) = st.queue.pop_front() {
            return Poll::Ready(Some(event));
        }
        if st.lagged > 0 {
            return Poll::Ready(Some(StreamEvent::Lagged(std::mem::take(&mut st.lagged))));
        }
        if st.closed {
            return Poll::Ready(None);
        }
        match &mut st.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Whether the feed is closed and drained: `poll_next` only answers `None` from now on.
    pub(crate) fn is_terminated(&self) -> bool {
        let st = self.lock();
        st.closed && st.queue.is_empty() && st.lagged == 0
    }

    /// The next event if one is waiting.
    pub(crate) fn try_next(&self) -> Option<StreamEvent<T>> {
        let mut st = self.lock();
        if let Some(event) = st.queue.pop_front() {
            return Some(event);
        }
        (st.lagged > 0).then(|| StreamEvent::Lagged(std::mem::take(&mut st.lagged)))
    }
}

impl<T: Conflate> Feed<T> {
    /// Add data under the feed's policy.
    pub(crate) fn push(&self, item: T) {
        let waker = {
            let mut st = self.lock();
            match self.policy {
                Policy::Conflate => {
                    if let Some(key) = item.key() {
                        let queued = st.queue.iter_mut().rev().find_map(|e| match e {
                            StreamEvent::Data(d) if d.key() == Some(key) => Some(d),
                            _ => None,
                        });
                        if let Some(existing) = queued {
                            existing.absorb(item);
                            return;
                        }
                    }
                    st.queue.push_back(StreamEvent::Data(item));
                }
                Policy::Queue(capacity) => {
                    let folded = st.queue.iter_mut().rev().any(|e| match e {
                        StreamEvent::Data(d) => d.fold(&item),
                        _ => false,
                    });
                    if folded {
                        return;
                    }
                    if st.queue.len() >= capacity {
                        st.lagged += 1;
                        return;
                    }
                    if st.lagged > 0 {
                        let n = std::mem::take(&mut st.lagged);
                        st.queue.push_back(StreamEvent::Lagged(n));
                    }
                    st.queue.push_back(StreamEvent::Data(item));
                }
            }
            st.waker.take()
        };
        Self::wake(waker);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Tick(i64, u32);

    impl Conflate for Tick {
        fn key(&self) -> Option<i64> {
            Some(self.0)
        }
    }

    impl Conflate for u32 {}

    #[test]
    fn conflation_keeps_the_latest_value_per_key() {
        let feed = Feed::new(Policy::Conflate);
        for v in 0..1000 {
            feed.push(Tick(1, v));
            feed.push(Tick(2, v));
        }
        assert_eq!(feed.try_next(), Some(StreamEvent::Data(Tick(1, 999))));
        assert_eq!(feed.try_next(), Some(StreamEvent::Data(Tick(2, 999))));
        assert_eq!(feed.try_next(), None);
    }

    #[test]
    fn a_full_queue_reports_lagged_where_items_were_dropped() {
        let feed = Feed::new(Policy::Queue(2));
        for v in 0..5u32 {
            feed.push(v);
        }
        assert_eq!(feed.try_next(), Some(StreamEvent::Data(0)));
        feed.push(5);
        assert_eq!(feed.try_next(), Some(StreamEvent::Data(1)));
        assert_eq!(feed.try_next(), Some(StreamEvent::Lagged(3)));
        assert_eq!(feed.try_next(), Some(StreamEvent::Data(5)));
        assert_eq!(feed.try_next(), None);
    }

    #[test]
    fn unread_errors_of_one_topic_and_kind_fold_into_one_with_a_count() {
        use super::super::types::StreamErrorKind;
        let feed = Feed::<u32>::new(Policy::Queue(4));
        let malformed =
            |n: u32| StreamError::new("sor", StreamErrorKind::Malformed(format!("frame {n}")));
        for n in 0..10_000 {
            feed.push_error(malformed(n));
        }
        feed.push_error(StreamError::new("sor", StreamErrorKind::InvalidConid));
        assert_eq!(feed.len(), 2);
        assert_eq!(
            feed.try_next(),
            Some(StreamEvent::Error(StreamError {
                repeated: 9_999,
                ..malformed(9_999)
            }))
        );
        assert_eq!(
            feed.try_next(),
            Some(StreamEvent::Error(StreamError::new(
                "sor",
                StreamErrorKind::InvalidConid
            )))
        );
        // Read errors are not folded into: the next one stands alone.
        feed.push_error(malformed(1));
        assert_eq!(feed.try_next(), Some(StreamEvent::Error(malformed(1))));
    }

    #[test]
    fn a_pending_reader_is_woken_by_a_push_and_by_close() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        struct Count(AtomicUsize);
        impl futures::task::ArcWake for Count {
            fn wake_by_ref(me: &Arc<Self>) {
                me.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = futures::task::waker(Arc::clone(&count));
        let mut cx = Context::from_waker(&waker);
        let woken = || count.0.load(Ordering::SeqCst);

        let feed = Feed::<u32>::new(Policy::Queue(4));
        assert_eq!(feed.poll_next(&mut cx), Poll::Pending);
        assert_eq!(
            feed.poll_next(&mut cx),
            Poll::Pending,
            "polled twice, one waker"
        );
        feed.push(7);
        assert_eq!(woken(), 1);
        feed.push(8);
        assert_eq!(woken(), 1, "nobody waits: no wake-up");
        assert_eq!(
            feed.poll_next(&mut cx),
            Poll::Ready(Some(StreamEvent::Data(7)))
        );
        assert_eq!(
            feed.poll_next(&mut cx),
            Poll::Ready(Some(StreamEvent::Data(8)))
        );
        assert_eq!(feed.poll_next(&mut cx), Poll::Pending);
        assert!(!feed.is_terminated());
        feed.close();
        assert_eq!(woken(), 2);
        assert_eq!(feed.poll_next(&mut cx), Poll::Ready(None));
        assert!(feed.is_terminated());
    }

    #[test]
    fn gaps_are_never_dropped_and_collapse() {
        let feed = Feed::<u32>::new(Policy::Queue(1));
        feed.push(1);
        feed.push_event(StreamEvent::Gap);
        feed.push_event(StreamEvent::Gap);
        assert_eq!(feed.try_next(), Some(StreamEvent::Data(1)));
        assert_eq!(feed.try_next(), Some(StreamEvent::Gap));
        assert_eq!(feed.try_next(), None);
    }
}
