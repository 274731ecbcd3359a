//! Streams against the simulated gateway's WebSocket: every quirk of the real socket, and
//! in each case the consumer keeps getting data or gets a clear error.
//!
//! Most tests run on real time with shortened timings (heartbeats every 100 ms, a dead
//! socket after 600 ms) to stay fast; the `on_a_paused_clock_*` tests replay IBKR's own
//! timings and the manager's defaults (10 s heartbeats, 30 s to a dead socket, 10-minute
//! market data expiry and 9-minute renewal, the once-a-minute session comparison, `sor`
//! retries from 5 s) on a paused Tokio clock.

use std::time::Duration;

use ibkr_ext::prelude::*;
use ibkr_ext::stream::{
    ConnectionEvent, QuoteUpdate, StreamConfig, StreamErrorKind, StreamEvent, Subscription,
};
use ibkr_sim::{Fault, FaultRule, Gateway, Limits, RunningGateway, SocketControl};
use rust_decimal::Decimal;

const ACCOUNT: &str = "DU1234567";
const AAPL: Conid = Conid(265598);
const MSFT: Conid = Conid(272093);

async fn start(plain_http: bool) -> RunningGateway {
    let mut b = Gateway::builder()
        .seed(7)
        .account(ACCOUNT)
        .brokerage_session(true)
        .limits(Limits::unlimited());
    if plain_http {
        b = b.plain_http();
    }
    let gw = b.start().await.expect("simulator starts");
    let socket = gw.control().socket();
    socket.set_system_delay(Duration::from_millis(200));
    socket.set_heartbeat(Duration::from_millis(100));
    socket.set_tick(Duration::from_millis(40));
    gw
}

fn client(gw: &RunningGateway) -> Ibkr {
    Ibkr::builder()
        .base_url(gw.base_url())
        .account_id(ACCOUNT)
        .without_pacing()
        .without_keepalive()
        .build()
        .expect("client")
}

fn fast() -> StreamConfig {
    StreamConfig {
        tic_interval: Duration::from_millis(300),
        dead_after: Duration::from_millis(600),
        session_check: Duration::from_millis(200),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(200),
        sor_backoff_min: Duration::from_millis(100),
        sor_backoff_max: Duration::from_millis(400),
        ready_timeout: Duration::from_secs(3),
        connect_timeout: Duration::from_secs(3),
        ..StreamConfig::default()
    }
}

fn socket(gw: &RunningGateway) -> SocketControl {
    gw.control().socket()
}

/// The next event within 5 s.
async fn next<T: Send + 'static>(sub: &mut Subscription<T>) -> StreamEvent<T> {
    tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .expect("an event within 5 s")
        .expect("the stream is open")
}

/// The next data item within 5 s, skipping other events.
async fn next_data<T: Send + 'static + std::fmt::Debug>(sub: &mut Subscription<T>) -> T {
    loop {
        if let StreamEvent::Data(d) = next(sub).await {
            return d;
        }
    }
}

/// Events until `pick` accepts one (within 5 s); returns those seen, the picked one last.
async fn until<T: Send + 'static + std::fmt::Debug>(
    sub: &mut Subscription<T>,
    pick: impl Fn(&StreamEvent<T>) -> bool,
) -> Vec<StreamEvent<T>> {
    let mut seen = Vec::new();
    loop {
        let e = next(sub).await;
        let done = pick(&e);
        seen.push(e);
        if done {
            return seen;
        }
    }
}

fn received(gw: &RunningGateway, text: &str) -> usize {
    socket(gw).received().iter().filter(|m| *m == text).count()
}

async fn eventually(what: &str, f: impl Fn() -> bool) {
    for _ in 0..100 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within 5 s");
}

#[tokio::test]
async fn quotes_subscribed_before_the_server_is_ready_arrive_merged_over_wss() {
    let gw = start(false).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    // Subscribed at once: the manager holds it until the `system` frame (the simulator
    // drops anything earlier, as the gateway does).
    let mut quotes = streams.quotes(
        &[AAPL],
        &[
            Field::LastPrice,
            Field::Bid,
            Field::Ask,
            Field::Availability,
        ],
    );
    let first = next_data(&mut quotes).await;
    assert_eq!(first.quote.conid, AAPL);
    for f in [
        Field::LastPrice,
        Field::Bid,
        Field::Ask,
        Field::Availability,
    ] {
        assert!(first.changed.contains(&f), "{f:?} in the first update");
    }
    assert!(first.quote.availability.is_some());
    let bid = first.quote.number(Field::Bid).unwrap();
    let ask = first.quote.number(Field::Ask).unwrap();
    assert!(bid < ask);
    // Only what was sent after `system` reached the server.
    assert_eq!(
        received(&gw, r#"smd+265598+{"fields":["31","84","86","6509"]}"#),
        1
    );
}

#[tokio::test]
async fn a_plain_http_gateway_streams_over_ws() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let mut quotes = ibkr
        .stream_with(fast())
        .unwrap()
        .quotes(&[AAPL], &[Field::LastPrice]);
    assert!(next_data(&mut quotes).await.quote.last().is_some());
}

#[tokio::test]
async fn the_stream_and_the_rest_snapshot_agree() {
    let gw = start(true).await;
    socket(&gw).set_tick(Duration::from_secs(3600));
    let ibkr = client(&gw);
    let mut quotes = ibkr
        .stream_with(fast())
        .unwrap()
        .quotes(&[AAPL], &[Field::LastPrice]);
    next_data(&mut quotes).await;
    let rest = ibkr.snapshot(&[AAPL], &[Field::LastPrice]).await.unwrap();
    let rest_last = rest[0].last().unwrap();
    let streamed = loop {
        let u = next_data(&mut quotes).await;
        if u.quote.last() == Some(rest_last) {
            break u;
        }
    };
    assert_eq!(streamed.changed, vec![Field::LastPrice]);
}

#[tokio::test]
async fn handles_on_one_session_share_one_socket() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let a = ibkr.stream_with(fast()).unwrap();
    let b = ibkr.clone().stream().unwrap();
    let mut qa = a.quotes(&[AAPL], &[Field::LastPrice]);
    let mut qb = b.quotes(&[AAPL], &[Field::LastPrice]);
    next_data(&mut qa).await;
    next_data(&mut qb).await;
    assert_eq!(socket(&gw).accepted_connections(), 1);
}

#[tokio::test]
async fn stream_with_another_config_while_the_streams_run_is_an_error() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    // The same configuration again, and `stream()`, share the running streams.
    let same = ibkr.stream_with(fast()).unwrap();
    let shared = ibkr.clone().stream().unwrap();
    let other = StreamConfig {
        queue_capacity: 8,
        ..fast()
    };
    match ibkr.stream_with(other.clone()) {
        Err(Error::Config(message)) => {
            assert!(
                message.contains("queue_capacity is 1024, not 8"),
                "{message}"
            );
            assert!(
                !message.contains("tic_interval"),
                "only what differs: {message}"
            );
        }
        unexpected => panic!("{unexpected:?}"),
    }
    let mut a = same.quotes(&[AAPL], &[Field::LastPrice]);
    let mut b = shared.quotes(&[AAPL], &[Field::LastPrice]);
    next_data(&mut a).await;
    next_data(&mut b).await;
    assert_eq!(socket(&gw).accepted_connections(), 1);
    // Once every handle is gone, another configuration starts afresh.
    drop((streams, same, shared, a, b));
    let mut quotes = ibkr
        .stream_with(other)
        .expect("a new manager")
        .quotes(&[AAPL], &[Field::LastPrice]);
    next_data(&mut quotes).await;
}

#[tokio::test]
async fn a_subscription_is_a_futures_stream() {
    use futures::StreamExt;
    let gw = start(true).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let data = |sub: Subscription<QuoteUpdate>| {
        sub.filter_map(|e| async move {
            match e {
                StreamEvent::Data(update) => Some(update.quote.conid),
                _ => None,
            }
        })
        .boxed()
    };
    let mut both = futures::stream::select(
        data(streams.quotes(&[AAPL], &[Field::LastPrice])),
        data(streams.quotes(&[MSFT], &[Field::LastPrice])),
    );
    let (mut aapl, mut msft) = (false, false);
    while !(aapl && msft) {
        let conid = tokio::time::timeout(Duration::from_secs(5), both.next())
            .await
            .expect("a quote within 5 s")
            .expect("the streams are open");
        aapl |= conid == AAPL;
        msft |= conid == MSFT;
    }
    // A stream that ended stays ended (`FusedStream`).
    let mut orders = streams.orders();
    assert!(!futures::stream::FusedStream::is_terminated(&orders));
    ibkr.shutdown();
    while tokio::time::timeout(Duration::from_secs(5), orders.next())
        .await
        .expect("the end within 5 s")
        .is_some()
    {}
    assert!(futures::stream::FusedStream::is_terminated(&orders));
    assert!(orders.next().await.is_none());
}

#[tokio::test]
async fn an_abrupt_drop_reconnects_resubscribes_and_reports_a_gap() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut quotes = streams.quotes(&[AAPL], &[Field::LastPrice]);
    next_data(&mut quotes).await;
    socket(&gw).drop_connections();
    let seen = until(&mut quotes, |e| matches!(e, StreamEvent::Gap)).await;
    assert!(matches!(seen.last(), Some(StreamEvent::Gap)));
    next_data(&mut quotes).await;
    assert_eq!(socket(&gw).accepted_connections(), 2);
    assert_eq!(received(&gw, r#"smd+265598+{"fields":["31"]}"#), 2);
}

#[tokio::test]
async fn market_data_is_renewed_before_it_expires() {
    let gw = start(true).await;
    socket(&gw).set_md_expiry(Duration::from_millis(500));
    let ibkr = client(&gw);
    let config = StreamConfig {
        md_renew: Duration::from_millis(300),
        ..fast()
    };
    let mut quotes = ibkr
        .stream_with(config)
        .unwrap()
        .quotes(&[AAPL], &[Field::LastPrice]);
    next_data(&mut quotes).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    while quotes.try_next().is_some() {}
    // Three expiries later, data still flows.
    next_data(&mut quotes).await;
    assert!(received(&gw, r#"smd+265598+{"fields":["31"]}"#) >= 4);
}

#[tokio::test]
async fn without_renewal_market_data_expires() {
    let gw = start(true).await;
    socket(&gw).set_md_expiry(Duration::from_millis(300));
    let ibkr = client(&gw);
    let mut quotes = ibkr
        .stream_with(fast())
        .unwrap()
        .quotes(&[AAPL], &[Field::LastPrice]);
    next_data(&mut quotes).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    while quotes.try_next().is_some() {}
    let more = tokio::time::timeout(Duration::from_millis(400), quotes.next()).await;
    assert!(more.is_err(), "the simulator ends the stream: {more:?}");
}

async fn place_market_order(ibkr: &Ibkr, qty: i64) {
    ibkr.snapshot(&[AAPL], &[Field::LastPrice]).await.unwrap();
    let policy = AnswerPolicy::new()
        .yes(ibkr_ext::orders::questions::NO_MARKET_DATA)
        .yes(ibkr_ext::orders::questions::SIZE_LIMIT)
        .yes(ibkr_ext::orders::questions::VALUE_LIMIT)
        .yes(ibkr_ext::orders::questions::PRICE_CONSTRAINT);
    let ticket = OrderTicket::buy(AAPL, Decimal::from(qty)).market();
    ibkr.place(ticket, &policy).await.expect("order placed");
}

#[tokio::test]
async fn a_refused_sor_is_primed_and_retried_until_it_streams() {
    let gw = start(true).await;
    socket(&gw).refuse_sor(3);
    let ibkr = client(&gw);
    let mut orders = ibkr.stream_with(fast()).unwrap().orders();
    for _ in 0..3 {
        match next(&mut orders).await {
            StreamEvent::Error(e) => {
                assert_eq!(e.topic, "sor");
                assert!(matches!(e.kind, StreamErrorKind::Refused(_)), "{e}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    eventually("the fourth sor", || received(&gw, "sor+{}") == 4).await;
    // Primed before each retry: accounts, then live orders with force=true.
    let requests = gw.inspect().requests();
    let forced = requests
        .iter()
        .filter(|r| {
            r.path == "/iserver/account/orders"
                && r.query.as_deref().is_some_and(|q| q.contains("force=true"))
        })
        .count();
    assert!(forced >= 1, "orders?force=true was called");
    assert!(gw.inspect().count("GET", "/iserver/accounts") >= 1);
    place_market_order(&ibkr, 2).await;
    let update = next_data(&mut orders).await;
    assert_eq!(update.order.conid, Some(AAPL));
}

#[tokio::test]
async fn fills_arrive_on_orders_trades_pnl_and_summary() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut orders = streams.orders();
    let mut trades = streams.trades(1);
    let mut pnl = streams.pnl();
    let mut summary = streams.account_summary(ACCOUNT);
    next_data(&mut pnl).await;
    next_data(&mut summary).await;
    place_market_order(&ibkr, 3).await;
    let filled = loop {
        let o = next_data(&mut orders).await;
        if o.order.status == Some(OrderStatus::Filled) {
            break o;
        }
    };
    assert_eq!(filled.order.filled, Some(3.0));
    // The last day's executions first (the simulator seeds some), then ours.
    let fill = loop {
        let e = next_data(&mut trades).await;
        if e.conid == Some(AAPL) && e.size == Decimal::from(3) {
            break e;
        }
    };
    assert_eq!(fill.side, Some(Side::Buy));
    let p = next_data(&mut pnl).await;
    assert!(p.rows.contains_key("DU1234567.Core"));
    let s = next_data(&mut summary).await;
    assert!(s.values.contains_key("netliquidation"));
}

#[tokio::test]
async fn a_session_rollover_is_detected_and_the_socket_replaced() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut status = streams.status();
    let mut quotes = streams.quotes(&[AAPL], &[Field::LastPrice]);
    next_data(&mut quotes).await;
    socket(&gw).roll_session();
    until(&mut status, |e| {
        matches!(e, StreamEvent::Data(ConnectionEvent::SessionChanged))
    })
    .await;
    until(&mut status, |e| {
        matches!(
            e,
            StreamEvent::Data(ConnectionEvent::Ready {
                reconnected: true,
                ..
            })
        )
    })
    .await;
    until(&mut quotes, |e| matches!(e, StreamEvent::Gap)).await;
    next_data(&mut quotes).await;
}

#[tokio::test]
async fn heartbeat_silence_is_a_dead_socket() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut status = streams.status();
    let mut quotes = streams.quotes(&[AAPL], &[Field::LastPrice]);
    next_data(&mut quotes).await;
    socket(&gw).silence();
    let seen = until(&mut status, |e| {
        matches!(e, StreamEvent::Data(ConnectionEvent::Disconnected { .. }))
    })
    .await;
    let Some(StreamEvent::Data(ConnectionEvent::Disconnected { reason, .. })) = seen.last() else {
        unreachable!()
    };
    assert!(reason.contains("no frame"), "{reason}");
    until(&mut quotes, |e| matches!(e, StreamEvent::Gap)).await;
    next_data(&mut quotes).await;
}

#[tokio::test]
async fn a_slow_consumer_gets_the_latest_quote_conflated() {
    let gw = start(true).await;
    socket(&gw).set_tick(Duration::from_millis(10));
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut quotes = streams.quotes(&[AAPL, MSFT], &[Field::LastPrice, Field::Bid]);
    next_data(&mut quotes).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut waiting: Vec<QuoteUpdate> = Vec::new();
    while let Some(e) = quotes.try_next() {
        if let StreamEvent::Data(u) = e {
            waiting.push(u);
        }
    }
    // Dozens of ticks, at most one waiting item per conid.
    assert!(waiting.len() <= 2, "{} items waited", waiting.len());
    assert!(
        waiting
            .iter()
            .all(|u| u.changed.contains(&Field::LastPrice))
    );
}

#[tokio::test]
async fn a_slow_orders_consumer_gets_lagged_not_a_silent_loss() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let config = StreamConfig {
        queue_capacity: 4,
        ..fast()
    };
    let streams = ibkr.stream_with(config).unwrap();
    let mut status = streams.status();
    let mut orders = streams.orders();
    until(&mut status, |e| {
        matches!(e, StreamEvent::Data(ConnectionEvent::Ready { .. }))
    })
    .await;
    eventually("sor sent", || received(&gw, "sor+{}") == 1).await;
    for id in 0..10 {
        socket(&gw).push(&format!(
            r#"{{"topic":"sor","args":[{{"acct":"DU1234567","orderId":{id},"status":"Submitted"}}]}}"#
        ));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut events = Vec::new();
    while let Some(e) = orders.try_next() {
        events.push(e);
    }
    let data = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Data(_)))
        .count();
    let lagged: u64 = events
        .iter()
        .map(|e| {
            if let StreamEvent::Lagged(n) = e {
                *n
            } else {
                0
            }
        })
        .sum();
    assert_eq!(data, 4);
    assert_eq!(lagged, 6, "{events:?}");
}

#[tokio::test]
async fn dropping_a_handle_sends_the_unsubscribe() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut keep = streams.quotes(&[MSFT], &[Field::LastPrice]);
    let mut quotes = streams.quotes(&[AAPL], &[Field::LastPrice]);
    let mut summary = streams.account_summary(ACCOUNT);
    let mut history = streams.history(AAPL, Period::Days(1), BarSize::Hour1);
    next_data(&mut quotes).await;
    next_data(&mut summary).await;
    let bars = next_data(&mut history).await;
    assert!(!bars.bars.is_empty());
    let server_id = bars.server_id.clone().expect("a server id");
    drop(quotes);
    drop(summary);
    drop(history);
    eventually("umd", || received(&gw, "umd+265598+{}") == 1).await;
    eventually("usd", || received(&gw, "usd+DU1234567") == 1).await;
    eventually("umh", || received(&gw, &format!("umh+{server_id}")) == 1).await;
    // The other subscription is untouched.
    next_data(&mut keep).await;
    assert_eq!(received(&gw, "umd+272093+{}"), 0);
}

#[tokio::test]
async fn an_unknown_conid_is_an_error_for_its_subscription_only() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut good = streams.quotes(&[AAPL], &[Field::LastPrice]);
    let mut bad = streams.quotes(&[Conid(1)], &[Field::LastPrice]);
    match next(&mut bad).await {
        StreamEvent::Error(e) => {
            assert_eq!(e.topic, "smd+1");
            assert_eq!(e.kind, StreamErrorKind::InvalidConid);
        }
        other => panic!("{other:?}"),
    }
    next_data(&mut good).await;
}

#[tokio::test]
async fn malformed_and_error_frames_name_their_topic_and_do_not_stop_the_stream() {
    let gw = start(true).await;
    socket(&gw).set_tick(Duration::from_millis(100));
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut quotes = streams.quotes(&[AAPL], &[Field::LastPrice]);
    let mut status = streams.status();
    next_data(&mut quotes).await;
    socket(&gw).push(r#"{"topic":"smd+265598","31":"#);
    let seen = until(&mut quotes, |e| matches!(e, StreamEvent::Error(_))).await;
    let Some(StreamEvent::Error(e)) = seen.last() else {
        unreachable!()
    };
    assert_eq!(e.topic, "smd+265598");
    assert!(matches!(e.kind, StreamErrorKind::Malformed(_)));
    socket(&gw).push(r#"{"error":"something broke","code":500}"#);
    until(&mut status, |e| {
        matches!(e, StreamEvent::Data(ConnectionEvent::Error(_)))
    })
    .await;
    next_data(&mut quotes).await;
}

#[tokio::test]
async fn a_refused_upgrade_is_reported_then_the_manager_recovers() {
    let gw = start(true).await;
    gw.control()
        .add_fault(FaultRule::new("/ws", Fault::Status(401)).times(1));
    let ibkr = client(&gw);
    let mut quotes = ibkr
        .stream_with(fast())
        .unwrap()
        .quotes(&[AAPL], &[Field::LastPrice]);
    match next(&mut quotes).await {
        StreamEvent::Error(e) => assert_eq!(e.kind, StreamErrorKind::UpgradeRefused(401)),
        other => panic!("{other:?}"),
    }
    next_data(&mut quotes).await;
}

#[tokio::test]
async fn notifications_and_prompts_arrive_typed() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut status = streams.status();
    let mut notes = streams.notifications();
    let mut bulletins = streams.bulletins();
    until(&mut status, |e| {
        matches!(e, StreamEvent::Data(ConnectionEvent::Ready { .. }))
    })
    .await;
    socket(&gw).notify("n1", "Warning", "CFD quotes reference the underlying");
    socket(&gw).prompt(42, "p12", "Are you sure?");
    socket(&gw).bulletin("b1", "Exchange halted");
    let n = next_data(&mut notes).await;
    assert_eq!(n.title.as_deref(), Some("Warning"));
    assert!(n.prompt.is_none());
    let p = next_data(&mut notes).await;
    let prompt = p.prompt.expect("a prompt");
    assert_eq!(prompt.message_id.as_deref(), Some("p12"));
    assert_eq!(prompt.order_id.as_deref(), Some("42"));
    let b = next_data(&mut bulletins).await;
    assert_eq!(b.message.as_deref(), Some("Exchange halted"));
}

#[tokio::test]
async fn the_session_id_never_shows_in_events() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let id = ibkr.socket_session().await.unwrap();
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut status = streams.status();
    socket(&gw).drop_connections();
    let seen = until(&mut status, |e| {
        matches!(e, StreamEvent::Data(ConnectionEvent::Ready { .. }))
    })
    .await;
    socket(&gw).drop_connections();
    let more = until(&mut status, |e| {
        matches!(e, StreamEvent::Data(ConnectionEvent::Ready { .. }))
    })
    .await;
    let text = format!("{seen:?} {more:?} {streams:?}");
    assert!(!text.contains(id.expose()), "{text}");
}

fn recorded(name: &str) -> String {
    let path = format!("{}/tests/fixtures/ws/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn recorded_smd_frames_decode_like_rest_snapshots() {
    use ibkr_ext::stream::internals::QuoteMerger;
    let mut merger = QuoteMerger::default();
    merger.apply(&recorded("smd__webapi_doc.json")).unwrap();
    let q = merger.quote(Conid(8314)).unwrap();
    assert_eq!(q.last(), Some(189.60));
    assert_eq!(q.number(Field::Bid), Some(189.56));
    assert_eq!(q.number(Field::AskSize), Some(500.0));
    assert_eq!(q.number(Field::LastSize), Some(100.0));
    assert_eq!(q.availability.as_ref().map(|a| a.raw.as_str()), Some("RpB"));
    // The gateway documentation's frame has a trailing comma: an error naming its topic.
    let err = merger.apply(&recorded("smd__gateway_doc.txt")).unwrap_err();
    assert_eq!(err.topic.as_deref(), Some("smd+265598"));
}

#[tokio::test]
async fn recorded_order_frames_merge_by_order_id_and_broken_ones_are_named() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut orders = streams.orders();
    let mut pnl = streams.pnl();
    eventually("sor sent", || received(&gw, "sor+{}") == 1).await;
    eventually("spl sent", || received(&gw, "spl+{}") == 1).await;
    socket(&gw).push(&recorded("sor_initial__gateway_doc.json"));
    let first = next_data(&mut orders).await;
    assert_eq!(first.order_id, "922048212");
    assert_eq!(first.order.status, Some(OrderStatus::Submitted));
    assert_eq!(first.order.remaining, Some(100.0));
    // The frame's `"price": 372` is a number where REST sends text: read, not dropped.
    assert_eq!(first.order.price, Some(Decimal::from(372)));
    assert_eq!(first.order.side, Some(Side::Buy));
    socket(&gw).push(&recorded("sor_status_deltas__gateway_doc.json"));
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let u = next_data(&mut orders).await;
        assert_eq!(u.order_id, "352055828");
        statuses.extend(u.order.status);
    }
    assert_eq!(
        statuses,
        [
            OrderStatus::PendingSubmit,
            OrderStatus::PreSubmitted,
            OrderStatus::Submitted
        ]
    );
    socket(&gw).push(&recorded("sor_fill_deltas__gateway_doc.txt"));
    match next(&mut orders).await {
        StreamEvent::Error(e) => {
            assert_eq!(e.topic, "sor");
            assert!(matches!(e.kind, StreamErrorKind::Malformed(_)), "{e}");
        }
        other => panic!("{other:?}"),
    }
    socket(&gw).push(&recorded("spl__gateway_doc.txt"));
    let seen = until(&mut pnl, |e| matches!(e, StreamEvent::Error(_))).await;
    let Some(StreamEvent::Error(e)) = seen.last() else {
        unreachable!()
    };
    assert_eq!(e.topic, "spl");
}

#[tokio::test]
async fn book_and_ledger_stream_and_unsubscribe_by_account() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut book = streams.book(ACCOUNT, AAPL);
    let mut ledger = streams.ledger(ACCOUNT);
    let ladder = next_data(&mut book).await;
    assert_eq!(ladder.rows.len(), 10);
    assert_eq!(ladder.rows.iter().filter(|r| r.focus).count(), 1);
    let l = next_data(&mut ledger).await;
    assert!(l.rows.contains_key("LedgerListBASE"));
    drop(book);
    drop(ledger);
    eventually("ubd", || received(&gw, "ubd+DU1234567") == 1).await;
    eventually("uld", || received(&gw, "uld+DU1234567") == 1).await;
}

#[tokio::test]
async fn a_socket_waiting_for_the_session_gets_it_and_streams() {
    let gw = start(true).await;
    socket(&gw).set_ignore_cookie(true);
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut status = streams.status();
    let mut quotes = streams.quotes(&[AAPL], &[Field::LastPrice]);
    until(&mut status, |e| {
        matches!(e, StreamEvent::Data(ConnectionEvent::WaitingForSession))
    })
    .await;
    next_data(&mut quotes).await;
}

#[tokio::test]
async fn shutting_the_session_down_ends_every_stream() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut quotes = streams.quotes(&[AAPL], &[Field::LastPrice]);
    next_data(&mut quotes).await;
    ibkr.shutdown();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while quotes.next().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ends");
    assert_eq!(
        *streams.state().borrow(),
        ibkr_ext::stream::ConnectionState::Closed
    );
    // A subscription made afterwards ends at once.
    let mut late = streams.orders();
    assert!(late.next().await.is_none());
    eventually("the socket closed", || socket(&gw).open_connections() == 0).await;
}

/// Events until `pick` accepts one, within `limit` (on a paused clock, virtual time).
async fn until_within<T: Send + 'static + std::fmt::Debug>(
    sub: &mut Subscription<T>,
    limit: Duration,
    pick: impl Fn(&StreamEvent<T>) -> bool,
) {
    tokio::time::timeout(limit, async {
        while let Some(e) = sub.next().await {
            if pick(&e) {
                return;
            }
        }
        panic!("the stream ended");
    })
    .await
    .unwrap_or_else(|_| panic!("nothing matching within {limit:?}"));
}

async fn paused_gateway() -> RunningGateway {
    Gateway::builder()
        .seed(7)
        .plain_http()
        .brokerage_session(true)
        .limits(Limits::unlimited())
        .start()
        .await
        .expect("simulator starts")
}

/// IBKR's own timings on a paused clock (heartbeats every 10 s, the default manager): after
/// 30 s without a frame the socket is declared dead and replaced, and quotes resume.
#[tokio::test(start_paused = true)]
async fn on_a_paused_clock_thirty_silent_seconds_replace_the_socket() {
    let gw = paused_gateway().await;
    let ibkr = client(&gw);
    let streams = ibkr.stream().unwrap();
    let mut status = streams.status();
    let mut quotes = streams.quotes(&[AAPL], &[Field::LastPrice]);
    let ready = |e: &StreamEvent<ConnectionEvent>| {
        matches!(e, StreamEvent::Data(ConnectionEvent::Ready { .. }))
    };
    until_within(&mut status, Duration::from_secs(5), ready).await;
    socket(&gw).silence();
    let silenced = tokio::time::Instant::now();
    until_within(&mut status, Duration::from_secs(120), |e| {
        matches!(e, StreamEvent::Data(ConnectionEvent::Disconnected { .. }))
    })
    .await;
    let waited = silenced.elapsed();
    assert!(
        waited >= Duration::from_secs(29) && waited <= Duration::from_secs(31),
        "declared dead after {waited:?}"
    );
    until_within(&mut status, Duration::from_secs(120), ready).await;
    until_within(&mut quotes, Duration::from_secs(5), |e| {
        matches!(e, StreamEvent::Gap)
    })
    .await;
    until_within(&mut quotes, Duration::from_secs(5), |e| {
        matches!(e, StreamEvent::Data(_))
    })
    .await;
}

/// IBKR's own timings on a paused clock: market data ends 10 minutes after an `smd`; the
/// default manager renews every 9 minutes, so quotes keep coming for half an hour.
#[tokio::test(start_paused = true)]
async fn on_a_paused_clock_quotes_outlive_the_ten_minute_expiry() {
    let gw = paused_gateway().await;
    let ibkr = client(&gw);
    let mut quotes = ibkr.stream().unwrap().quotes(&[AAPL], &[Field::LastPrice]);
    let data = |e: &StreamEvent<QuoteUpdate>| matches!(e, StreamEvent::Data(_));
    until_within(&mut quotes, Duration::from_secs(5), data).await;
    let start = tokio::time::Instant::now();
    while start.elapsed() < Duration::from_secs(30 * 60) {
        tokio::time::sleep(Duration::from_secs(60)).await;
        while quotes.try_next().is_some() {}
        until_within(&mut quotes, Duration::from_secs(5), data).await;
    }
    assert!(
        received(&gw, r#"smd+265598+{"fields":["31"]}"#) >= 4,
        "renewed every 9 minutes"
    );
}

/// On a paused clock with the default manager: the socket's session is compared with
/// `/tickle`'s every minute, so a re-login under the socket is caught within a minute.
#[tokio::test(start_paused = true)]
async fn on_a_paused_clock_a_rollover_is_caught_within_a_minute() {
    let gw = paused_gateway().await;
    let ibkr = client(&gw);
    let streams = ibkr.stream().unwrap();
    let mut status = streams.status();
    let mut quotes = streams.quotes(&[AAPL], &[Field::LastPrice]);
    let data = |e: &StreamEvent<QuoteUpdate>| matches!(e, StreamEvent::Data(_));
    until_within(&mut quotes, Duration::from_secs(5), data).await;
    socket(&gw).roll_session();
    let rolled = tokio::time::Instant::now();
    until_within(&mut status, Duration::from_secs(120), |e| {
        matches!(e, StreamEvent::Data(ConnectionEvent::SessionChanged))
    })
    .await;
    assert!(
        rolled.elapsed() <= Duration::from_secs(61),
        "{:?}",
        rolled.elapsed()
    );
    until_within(&mut quotes, Duration::from_secs(10), |e| {
        matches!(e, StreamEvent::Gap)
    })
    .await;
    until_within(&mut quotes, Duration::from_secs(10), data).await;
}

/// On a paused clock with the default manager: a refused `sor` is retried after 5 s, then
/// 10 s, then 20 s (each jittered down to half), primed each time.
#[tokio::test(start_paused = true)]
async fn on_a_paused_clock_sor_retries_back_off_from_five_seconds() {
    let gw = paused_gateway().await;
    socket(&gw).refuse_sor(3);
    let ibkr = client(&gw);
    let mut orders = ibkr.stream().unwrap().orders();
    let refused =
        |e: &StreamEvent<ibkr_ext::stream::OrderUpdate>| matches!(e, StreamEvent::Error(_));
    until_within(&mut orders, Duration::from_secs(5), refused).await;
    let first = tokio::time::Instant::now();
    for _ in 0..2 {
        until_within(&mut orders, Duration::from_secs(60), refused).await;
    }
    let retries = first.elapsed();
    // 5 s + 10 s, each between half and all of it.
    assert!(
        retries >= Duration::from_millis(7_400) && retries <= Duration::from_secs(16),
        "{retries:?}"
    );
    for _ in 0..100 {
        if received(&gw, "sor+{}") == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(received(&gw, "sor+{}"), 4, "accepted on the fourth try");
    assert!(gw.inspect().count("GET", "/iserver/accounts") >= 3);
}

/// Move AAPL's price (after every handle command has reached the manager) and expect the
/// book to show the new ladder: the subscription is alive on the server.
async fn assert_book_moves(
    gw: &RunningGateway,
    book: &mut Subscription<ibkr_ext::stream::BookUpdate>,
) {
    // Let the manager act on the drop (and send any `ubd`) before the price moves.
    tokio::time::sleep(Duration::from_millis(200)).await;
    while book.try_next().is_some() {}
    assert!(socket(gw).set_last_price(AAPL.0 as u64, 250.0));
    let ladder = next_data(book).await;
    assert_eq!(ladder.conid, AAPL);
    let focus = ladder.rows.iter().find(|r| r.focus).expect("a focus row");
    let price = focus.price.expect("a price");
    assert!(
        (price - 250.0).abs() < 1.0,
        "the ladder moved to 250: {price}"
    );
}

/// IBKR streams one price ladder per account (`ubd+<acct>` ends the account's ladder, whichever
/// contract it shows): a second book of another contract on the same account is refused with
/// a clear error and ends, and the first keeps receiving after the refused one is dropped.
#[tokio::test]
async fn a_second_book_on_one_account_is_refused_and_the_first_keeps_streaming() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut first = streams.book(ACCOUNT, AAPL);
    assert_eq!(next_data(&mut first).await.conid, AAPL);
    let mut second = streams.book(ACCOUNT, MSFT);
    match next(&mut second).await {
        StreamEvent::Error(e) => {
            assert_eq!(e.topic, "sbd+DU1234567+272093");
            assert_eq!(
                e.kind,
                StreamErrorKind::OneBookPerAccount {
                    account: ACCOUNT.into(),
                    conid: AAPL,
                }
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(second.next().await.is_none(), "the refused book ends");
    drop(second);
    assert_book_moves(&gw, &mut first).await;
    assert_eq!(received(&gw, "sbd+DU1234567+272093"), 0);
    assert_eq!(received(&gw, "ubd+DU1234567"), 0);
}

/// Two handles on the same book share it: dropping one leaves the other receiving.
#[tokio::test]
async fn two_handles_on_one_book_survive_each_other() {
    let gw = start(true).await;
    let ibkr = client(&gw);
    let streams = ibkr.stream_with(fast()).unwrap();
    let mut a = streams.book(ACCOUNT, AAPL);
    let b = streams.book(ACCOUNT, AAPL);
    next_data(&mut a).await;
    drop(b);
    assert_book_moves(&gw, &mut a).await;
    assert_eq!(received(&gw, "ubd+DU1234567"), 0);
    assert_eq!(received(&gw, "sbd+DU1234567+265598"), 1);
}
