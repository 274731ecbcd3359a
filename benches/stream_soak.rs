//! Soak: one session's stream manager under a million frames, to show that what it keeps
//! stays flat (issue 24, finding 3).
//!
//! The frames go straight into the manager's frame path (`ibkr_ext::stream::internals::FramePath`), not
//! through a socket: a million frames over loopback WebSocket would measure the socket, and
//! the frame path is where state is kept. The session holds 100 quote subscriptions (churned:
//! every 200 frames one is dropped and another conid subscribed), orders, trades, P&L, an
//! account summary and ledger, notifications and a status stream nobody reads. The traffic:
//! quotes for the subscribed conids and for conids nobody subscribed, new orders that fill,
//! executions with new ids, a malformed frame now and then, heartbeats, and a reconnection
//! every 100,000 frames. The consumer reads its subscriptions every 1,000 frames.
//!
//! Prints, one a line: the retained entries (`Streams::retained`) and the process RSS after
//! 100k and after 1M frames, and their ratios (target: RSS@1M / RSS@100k <= 1.1, entries flat).

use std::time::Instant;

use ibkr_ext::prelude::*;
use ibkr_ext::stream::internals::FramePath;
use ibkr_ext::stream::{Retained, StreamConfig, StreamEvent, Subscription};

const FRAMES: u64 = 1_000_000;
const CHECKPOINT: u64 = 100_000;
const QUOTES: i64 = 100;

fn rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn drain<T>(sub: &mut Subscription<T>) -> usize
where
    T: Send + 'static,
{
    let mut n = 0;
    while let Some(e) = sub.try_next() {
        if matches!(e, StreamEvent::Data(_)) {
            n += 1;
        }
    }
    n
}

fn frame(i: u64) -> Option<String> {
    let slot = (i % 100) as i64;
    Some(match i % 20 {
        // Quotes for subscribed conids (the conid set churns; see `main`).
        0..=9 => {
            let conid = 10_000 + (i / 200 + slot as u64) as i64 % 400;
            format!(
                r#"{{"topic":"smd+{conid}","conid":{conid},"31":"{}.{:02}","84":"{}","86":"{}","_updated":{}}}"#,
                100 + slot,
                i % 100,
                99 + slot,
                101 + slot,
                1_700_000_000_000u64 + i
            )
        }
        // Quotes nobody subscribed.
        10 => {
            let conid = 1_000_000 + (i % 50_000) as i64;
            format!(r#"{{"topic":"smd+{conid}","conid":{conid},"31":"1.5"}}"#)
        }
        // New orders, then their fills.
        11 | 12 => format!(
            r#"{{"topic":"sor","args":[{{"orderId":{},"conid":265598,"status":"Submitted","side":"BUY","remainingQuantity":10}}]}}"#,
            i
        ),
        13 | 14 => format!(
            r#"{{"topic":"sor","args":[{{"orderId":{},"status":"Filled","filledQuantity":10,"remainingQuantity":0}}]}}"#,
            i - 2
        ),
        // Executions with new ids.
        15 | 16 => format!(
            r#"{{"topic":"str","args":[{{"execution_id":"0000e0d5.{i:08x}.01.01","symbol":"AAPL","side":"B","size":"10","price":"190.1","order_id":"{i}","conid":265598,"trade_time_r":1700000000000}}]}}"#
        ),
        17 => r#"{"topic":"spl","args":{"DU1234567.Core":{"rowType":1,"dpl":12.5,"nl":100000.0,"upl":3.0,"uel":90000.0,"mv":5000.0}}}"#.to_string(),
        18 if i % 1_000 == 18 => r#"{"topic":"smd+10001","31":"1""#.to_string(),
        18 => r#"{"topic":"ssd+DU1234567","result":[{"key":"netliquidation","monetaryValue":100000.0,"currency":"USD"}]}"#.to_string(),
        _ => r#"{"topic":"system","hb":1700000000000}"#.to_string(),
    })
}

fn main() {
    let ibkr = Ibkr::builder()
        .base_url("http://127.0.0.1:9/v1/api")
        .account_id("DU1234567")
        .without_pacing()
        .without_keepalive()
        .build()
        .expect("client");
    let mut path = FramePath::new(&ibkr, StreamConfig::default());
    let streams = path.streams().clone();
    let mut quotes: Vec<(i64, Subscription<_>)> = (0..QUOTES)
        .map(|k| {
            let conid = 10_000 + k;
            (
                conid,
                streams.quotes(&[Conid(conid)], &[Field::LastPrice, Field::Bid, Field::Ask]),
            )
        })
        .collect();
    let mut orders = streams.orders();
    let mut trades = streams.trades(7);
    let mut pnl = streams.pnl();
    let mut summary = streams.account_summary("DU1234567");
    let mut ledger = streams.ledger("DU1234567");
    let mut notifications = streams.notifications();
    // Never read: its buffer must stay bounded too.
    let _status = streams.status();
    path.frame(r#"{"topic":"system","success":"user1"}"#);

    let started = Instant::now();
    let mut next_conid = 10_000 + QUOTES;
    let mut delivered = 0usize;
    let mut at_checkpoint: Option<(Retained, u64)> = None;
    for i in 1..=FRAMES {
        if i % 200 == 0 {
            // Churn: drop the oldest quote subscription, subscribe a new conid.
            quotes.remove(0);
            let conid = 10_000 + (next_conid - 10_000) % 400;
            next_conid += 1;
            quotes.push((conid, streams.quotes(&[Conid(conid)], &[Field::LastPrice])));
        }
        if i % 100_000 == 0 {
            path.reconnect();
            path.frame(r#"{"topic":"system","success":"user1"}"#);
        }
        if let Some(text) = frame(i) {
            path.frame(&text);
        }
        if i % 1_000 == 0 {
            for (_, q) in &mut quotes {
                delivered += drain(q);
            }
            delivered += drain(&mut orders)
                + drain(&mut trades)
                + drain(&mut pnl)
                + drain(&mut summary)
                + drain(&mut ledger)
                + drain(&mut notifications);
        }
        if i == CHECKPOINT {
            at_checkpoint = Some((path.retained(), rss_kb().unwrap_or(0)));
        }
    }
    let elapsed = started.elapsed();
    let (early, early_rss) = at_checkpoint.expect("checkpoint reached");
    let late = path.retained();
    let late_rss = rss_kb().unwrap_or(0);
    println!("stream_soak: {FRAMES} frames in {elapsed:.2?}, {delivered} items delivered");
    println!("stream_soak: retained after 100k frames: {early:?}");
    println!("stream_soak: retained after 1M frames: {late:?}");
    println!(
        "FIGURE stream_soak frame path: {:.2} M frames/s ({} frames, 100 quote subscriptions with churn, orders, trades)",
        FRAMES as f64 / elapsed.as_secs_f64() / 1e6,
        FRAMES
    );
    println!(
        "FIGURE stream_soak retained entries after 100k frames: {} (quotes {}, orders {}, executions seen {}, buffered {})",
        early.total(),
        early.quotes,
        early.orders,
        early.executions_seen,
        early.buffered
    );
    println!(
        "FIGURE stream_soak retained entries after 1M frames: {} (quotes {}, orders {}, executions seen {}, buffered {})",
        late.total(),
        late.quotes,
        late.orders,
        late.executions_seen,
        late.buffered
    );
    println!(
        "FIGURE stream_soak retained entries 1M / 100k: {:.3}",
        late.total() as f64 / early.total().max(1) as f64
    );
    println!(
        "FIGURE stream_soak RSS after 100k frames: {:.1} MB",
        early_rss as f64 / 1024.0
    );
    println!(
        "FIGURE stream_soak RSS after 1M frames: {:.1} MB",
        late_rss as f64 / 1024.0
    );
    println!(
        "FIGURE stream_soak RSS 1M / 100k: {:.3} (target <= 1.1)",
        late_rss as f64 / early_rss.max(1) as f64
    );
}
