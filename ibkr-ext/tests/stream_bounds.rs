//! Long-lived streams stay bounded (issue 24, finding 3): every structure the connection
//! manager keeps has a stated bound and eviction rule ("Bounds" in `ibkr_ext::stream`), checked
//! here by feeding frames straight into the manager's frame path ([`FramePath`]), and over a
//! simulated week against the simulator on a paused clock.

use std::time::Duration;

use ibkr_ext::prelude::*;
use ibkr_ext::stream::{FramePath, StreamConfig, StreamErrorKind, StreamEvent};

const ACCOUNT: &str = "DU1234567";
const AAPL: Conid = Conid(265598);

fn offline(config: StreamConfig) -> FramePath {
    let ibkr = Ibkr::builder()
        .base_url("http://127.0.0.1:9/v1/api")
        .account_id(ACCOUNT)
        .without_pacing()
        .without_keepalive()
        .build()
        .expect("client");
    FramePath::new(&ibkr, config)
}

const SYSTEM: &str = r#"{"topic":"system","success":"user1"}"#;
const HEARTBEAT: &str = r#"{"topic":"system","hb":1}"#;

fn smd(conid: i64, last: u32) -> String {
    format!(r#"{{"topic":"smd+{conid}","conid":{conid},"31":"{last}.5"}}"#)
}

#[test]
fn quotes_are_merged_for_subscribed_conids_only() {
    let mut path = offline(StreamConfig::default());
    let quotes = path.streams().quotes(&[AAPL], &[Field::LastPrice]);
    path.frame(SYSTEM);
    for conid in 1..5_000 {
        path.frame(&smd(conid, 1));
    }
    path.frame(&smd(AAPL.0, 2));
    assert_eq!(path.retained().quotes, 1);
    drop(quotes);
    path.frame(HEARTBEAT);
    assert_eq!(path.retained().quotes, 0);
}

fn sor(id: u64, status: &str) -> String {
    format!(r#"{{"topic":"sor","args":[{{"orderId":{id},"status":"{status}","conid":265598}}]}}"#)
}

#[tokio::test(start_paused = true)]
async fn finished_orders_are_forgotten_after_the_ttl_and_working_ones_kept() {
    let mut path = offline(StreamConfig::default());
    let _orders = path.streams().orders();
    path.frame(SYSTEM);
    path.frame(&sor(1, "Submitted"));
    for id in 2..1_002 {
        path.frame(&sor(id, "Filled"));
    }
    assert_eq!(path.retained().orders, 1_001);
    tokio::time::advance(Duration::from_secs(11 * 60)).await;
    path.frame(&sor(1, "Submitted"));
    assert_eq!(path.retained().orders, 1, "only the working order is left");
}

#[test]
fn no_more_than_max_orders_are_held() {
    let mut path = offline(StreamConfig {
        max_orders: 100,
        ..StreamConfig::default()
    });
    let _orders = path.streams().orders();
    path.frame(SYSTEM);
    for id in 0..10_000 {
        path.frame(&sor(id, "Submitted"));
        assert!(path.retained().orders <= 100);
    }
}

#[test]
fn executions_are_remembered_within_a_window_and_delivered_once() {
    let mut path = offline(StreamConfig {
        trades_window: 100,
        queue_capacity: 100_000,
        ..StreamConfig::default()
    });
    let mut trades = path.streams().trades(7);
    path.frame(SYSTEM);
    let execution = |id: u32| {
        format!(r#"{{"topic":"str","args":[{{"execution_id":"e{id}","symbol":"AAPL","size":1}}]}}"#)
    };
    for id in 0..10_000 {
        path.frame(&execution(id));
    }
    // Replayed within the window: not delivered again.
    path.frame(&execution(9_999));
    assert_eq!(path.retained().executions_seen, 100);
    let mut delivered = 0;
    while let Some(e) = trades.try_next() {
        if matches!(e, StreamEvent::Data(_)) {
            delivered += 1;
        }
    }
    assert_eq!(delivered, 10_000);
}

#[test]
fn a_flood_of_malformed_frames_is_one_error_with_a_count() {
    let mut path = offline(StreamConfig::default());
    let mut quotes = path.streams().quotes(&[AAPL], &[Field::LastPrice]);
    path.frame(SYSTEM);
    for _ in 0..10_000 {
        path.frame(r#"{"topic":"smd+265598","31":"1""#);
    }
    assert_eq!(path.retained().buffered, 1);
    match quotes.try_next() {
        Some(StreamEvent::Error(e)) => {
            assert_eq!(e.topic, "smd+265598");
            assert!(matches!(e.kind, StreamErrorKind::Malformed(_)), "{e}");
            assert_eq!(e.repeated, 9_999);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn summaries_and_ledgers_are_kept_for_subscribed_accounts_only() {
    let mut path = offline(StreamConfig::default());
    let summary = path.streams().account_summary(ACCOUNT);
    path.frame(SYSTEM);
    for n in 0..1_000 {
        path.frame(&format!(
            r#"{{"topic":"ssd+U{n}","result":[{{"key":"netliquidation","monetaryValue":1.0}}]}}"#
        ));
        path.frame(&format!(
            r#"{{"topic":"sld+U{n}","result":[{{"key":"LedgerListBASE"}}]}}"#
        ));
    }
    path.frame(
        r#"{"topic":"ssd+DU1234567","result":[{"key":"netliquidation","monetaryValue":1.0}]}"#,
    );
    let held = path.retained();
    assert_eq!((held.summaries, held.ledgers), (1, 0));
    drop(summary);
    path.frame(HEARTBEAT);
    assert_eq!(path.retained().summaries, 0);
}
