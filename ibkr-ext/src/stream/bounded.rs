//! The manager's long-lived state, each with a stated bound and eviction rule (see "Bounds"
//! in the module docs): merged orders, and the execution ids already delivered.
//!
//! Both are B-trees, not hash tables: held at their cap under constant insert/evict churn, a
//! `HashMap`/`HashSet` of 10,000 entries fills its 16,384 buckets with tombstones and then
//! doubles to 32,768 (it rehashes in place only below half its capacity), which the
//! `stream_soak` benchmark showed as 2.1 MB of RSS growth between 100k and 500k frames. A
//! B-tree's memory follows its entries.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::vocab::OrderStatus;

/// Whether an order status is final: IBKR sends nothing more for such an order.
fn terminal(status: Option<&Value>) -> bool {
    status
        .and_then(Value::as_str)
        .is_some_and(|s| OrderStatus::from_ibkr(s).is_terminal())
}

struct Held {
    order: Map<String, Value>,
    /// When IBKR last sent anything for it.
    touched: Instant,
    /// When it reached a final status.
    ended: Option<Instant>,
}

/// Orders merged by order id (`sor` sends deltas).
///
/// Bound: an order in a final status ([`OrderStatus::is_terminal`]) is forgotten
/// `ttl` after it got there; and never more than `cap` orders are held: past that, the
/// least recently updated go first, finished ones before working ones, down to 90 % of
/// `cap`. A delta for a forgotten order starts a new merge from what it carries.
pub(crate) struct OrderBook {
    orders: BTreeMap<String, Held>,
    ttl: Duration,
    cap: usize,
    next_sweep: Option<Instant>,
}

impl OrderBook {
    pub(crate) fn new(ttl: Duration, cap: usize) -> Self {
        OrderBook {
            orders: BTreeMap::new(),
            ttl,
            cap: cap.max(1),
            next_sweep: None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.orders.len()
    }

    /// Merge one delta; the merged order and the keys it changed.
    pub(crate) fn merge(
        &mut self,
        id: &str,
        delta: &Map<String, Value>,
        now: Instant,
    ) -> (Map<String, Value>, Vec<String>) {
        let held = self.orders.entry(id.to_string()).or_insert_with(|| Held {
            order: Map::new(),
            touched: now,
            ended: None,
        });
        let mut changed = Vec::new();
        for (k, v) in delta {
            if held.order.get(k) != Some(v) {
                held.order.insert(k.clone(), v.clone());
                changed.push(k.clone());
            }
        }
        held.touched = now;
        held.ended = match (terminal(held.order.get("status")), held.ended) {
            (true, Some(at)) => Some(at),
            (true, None) => Some(now),
            (false, _) => None,
        };
        let merged = held.order.clone();
        self.sweep(now);
        (merged, changed)
    }

    /// Apply the eviction rule (cheap unless a sweep is due or the cap is passed).
    pub(crate) fn sweep(&mut self, now: Instant) {
        let due = self.next_sweep.is_none_or(|at| now >= at);
        if due {
            let ttl = self.ttl;
            self.orders
                .retain(|_, h| h.ended.is_none_or(|at| now.duration_since(at) < ttl));
            // Often enough that a finished order outlives its `ttl` by a tenth at most.
            self.next_sweep = Some(now + (ttl / 10).max(Duration::from_millis(1)));
        }
        if self.orders.len() > self.cap {
            // Without cloning ids (a sorted copy of every id made this the soak's largest
            // transient allocation): find the rank of the last order to go, then drop those
            // below it and as many equal to it as are still needed.
            let keep = self.cap - self.cap / 10;
            let excess = self.orders.len() - keep;
            let rank = |h: &Held| (h.ended.is_none(), h.touched);
            let mut ranks: Vec<(bool, Instant)> = self.orders.values().map(rank).collect();
            let (_, cutoff, _) = ranks.select_nth_unstable(excess - 1);
            let cutoff = *cutoff;
            drop(ranks);
            let mut below = self.orders.values().filter(|h| rank(h) < cutoff).count();
            let mut equal_to_drop = excess - below;
            self.orders.retain(|_, h| match rank(h).cmp(&cutoff) {
                std::cmp::Ordering::Less => {
                    below -= 1;
                    false
                }
                std::cmp::Ordering::Equal if equal_to_drop > 0 => {
                    equal_to_drop -= 1;
                    false
                }
                _ => true,
            });
            debug_assert_eq!(below, 0);
        }
    }
}

/// The execution ids already delivered (`str` replays up to 7 days on every subscription).
///
/// Bound: the last `cap` ids, oldest forgotten first. An execution older than the window
/// that IBKR replays is delivered again.
pub(crate) struct SeenWindow {
    set: BTreeSet<String>,
    order: VecDeque<String>,
    cap: usize,
}

impl SeenWindow {
    pub(crate) fn new(cap: usize) -> Self {
        SeenWindow {
            set: BTreeSet::new(),
            order: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.set.len()
    }

    /// `true` the first time an id is seen (within the window).
    pub(crate) fn insert(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        self.set.insert(id.to_string());
        self.order.push_back(id.to_string());
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(status: &str) -> Map<String, Value> {
        let Value::Object(m) = serde_json::json!({"status": status}) else {
            unreachable!()
        };
        m
    }

    #[test]
    fn finished_orders_are_forgotten_after_the_ttl_working_ones_are_kept() {
        let start = Instant::now();
        let mut book = OrderBook::new(Duration::from_secs(600), 1000);
        book.merge("1", &delta("Filled"), start);
        book.merge("2", &delta("Submitted"), start);
        book.merge("3", &delta("Cancelled"), start + Duration::from_secs(300));
        book.sweep(start + Duration::from_secs(599));
        assert_eq!(book.len(), 3);
        book.sweep(start + Duration::from_secs(661));
        assert_eq!(book.len(), 2, "order 1 ended 661 s ago");
        book.sweep(start + Duration::from_secs(86_400));
        assert_eq!(book.len(), 1, "the working order stays");
    }

    #[test]
    fn past_the_cap_the_oldest_finished_orders_go_first() {
        let start = Instant::now();
        let mut book = OrderBook::new(Duration::from_secs(600), 100);
        book.merge("working", &delta("Submitted"), start);
        for i in 0..1000u64 {
            let at = start + Duration::from_millis(i);
            book.merge(&i.to_string(), &delta("Filled"), at);
            assert!(book.len() <= 100);
        }
        assert!(book.orders.contains_key("working"));
        assert!(book.orders.contains_key("999"));
        assert!(!book.orders.contains_key("0"));
    }

    #[test]
    fn past_the_cap_orders_updated_at_the_same_instant_go_down_to_exactly_ninety_percent() {
        let at = Instant::now();
        let mut book = OrderBook::new(Duration::from_secs(600), 100);
        for i in 0..101u64 {
            book.merge(&i.to_string(), &delta("Filled"), at);
        }
        assert_eq!(book.len(), 90);
    }

    #[test]
    fn the_seen_window_keeps_the_last_ids() {
        let mut seen = SeenWindow::new(3);
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"));
        for id in ["b", "c", "d"] {
            assert!(seen.insert(id));
        }
        assert_eq!(seen.len(), 3);
        assert!(!seen.insert("d"));
        assert!(seen.insert("a"), "a fell out of the window");
    }
}
