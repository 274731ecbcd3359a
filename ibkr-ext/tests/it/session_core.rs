//! The session core under concurrency and failure, each test the scenario that once broke
//! (issue #11), against the simulated gateway.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures::StreamExt;
use ibkr_ext::RetryPolicy;
use ibkr_ext::orders::questions;
use ibkr_ext::prelude::*;
use ibkr_ext::snapshot::Field as F;
use ibkr_sim::{Fault, FaultRule, Gateway, Limits, RunningGateway};
use rust_decimal::Decimal;

const ACCOUNT: &str = "DU1234567";

async fn sim() -> RunningGateway {
    Gateway::builder()
        .seed(11)
        .account(ACCOUNT)
        .limits(Limits::unlimited())
        .start()
        .await
        .expect("simulator starts")
}

fn builder(gw: &RunningGateway) -> IbkrBuilder {
    Ibkr::builder()
        .base_url(gw.base_url())
        .account_id(ACCOUNT)
        .without_keepalive()
}

/// Every question the simulator asks, confirmed.
fn yes_to_all() -> AnswerPolicy {
    AnswerPolicy::new()
        .yes(questions::NO_MARKET_DATA)
        .yes(questions::PRICE_CONSTRAINT)
        .yes(questions::SIZE_LIMIT)
        .yes(questions::VALUE_LIMIT)
        .yes(questions::STOP_ORDER_RISK)
}

#[tokio::test]
async fn an_order_during_a_brokerage_recovery_finishes_within_seconds() {
    let gw = sim().await;
    let ibkr = builder(&gw).without_pacing().build().unwrap();
    ibkr.ensure_brokerage_session().await.unwrap();
    // The brokerage session drops behind the client's back. The order reaches IBKR while
    // it is down (its answer, `no bridge`, comes back late), and a recovery starts while
    // the order loop holds the lane.
    gw.control().set_brokerage_session(false);
    gw.control().add_fault(
        FaultRule::new(
            &format!("/iserver/account/{ACCOUNT}/orders"),
            Fault::SlowAnswer(Duration::from_millis(500)),
        )
        .method("POST"),
    );
    let placed = || {
        gw.inspect()
            .count("POST", &format!("/iserver/account/{ACCOUNT}/orders"))
    };
    let order = {
        let ibkr = ibkr.clone();
        tokio::spawn(async move {
            ibkr.place(
                OrderTicket::buy(265598, Decimal::ONE).limit(Decimal::from(150)),
                &yes_to_all(),
            )
            .await
        })
    };
    let arrived = Instant::now() + Duration::from_secs(10);
    while placed() == 0 {
        assert!(
            Instant::now() < arrived,
            "the order never reached the simulator"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let ensure = {
        let ibkr = ibkr.clone();
        tokio::spawn(async move { ibkr.ensure_brokerage_session().await })
    };
    let both = tokio::time::timeout(Duration::from_secs(15), async {
        (order.await.unwrap(), ensure.await.unwrap())
    })
    .await
    .expect("neither the order nor the recovery hangs");
    let (order, ensured) = both;
    assert!(ensured.unwrap().authenticated);
    // The order met `no bridge` inside the lane: it was not repeated, and says so truthfully.
    match order {
        Err(Error::NoBrokerageSession { operation }) => assert_eq!(operation, "placeOrder"),
        other => panic!("expected NoBrokerageSession for placeOrder, got {other:?}"),
    }
    assert_eq!(
        placed(),
        1,
        "an order met by `no bridge` is never sent again"
    );
    // Later requests are not stuck behind them.
    tokio::time::timeout(Duration::from_secs(5), ibkr.tickle())
        .await
        .expect("the session is free")
        .unwrap();
}

#[tokio::test]
async fn a_with_account_handle_recovers_and_keeps_the_keeper_after_the_original_is_dropped() {
    let gw = sim().await;
    let original = Ibkr::builder()
        .base_url(gw.base_url())
        .without_pacing()
        .keepalive(Duration::from_millis(100))
        .build()
        .unwrap();
    let handle = original.with_account(ACCOUNT);
    drop(original);
    handle.ensure_brokerage_session().await.unwrap();
    gw.control().set_brokerage_session(false);
    let accounts = handle
        .api()
        .get_accounts()
        .await
        .expect("no bridge is recovered through the surviving handle");
    assert!(!accounts.accounts.is_empty());
    let before = gw.inspect().count("POST", "/tickle");
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert!(
        gw.inspect().count("POST", "/tickle") >= before + 2,
        "the keeper still tickles"
    );
    // The raw client alone keeps the session too.
    let raw = handle.raw().clone();
    drop(handle);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let before = gw.inspect().count("POST", "/tickle");
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(gw.inspect().count("POST", "/tickle") > before);
    drop(raw);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let after_last = gw.inspect().count("POST", "/tickle");
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        gw.inspect().count("POST", "/tickle"),
        after_last,
        "no keeper once every handle is gone"
    );
}

#[tokio::test]
async fn a_timed_out_order_is_sent_once_and_its_state_is_unknown() {
    let gw = sim().await;
    let ibkr = builder(&gw)
        .without_pacing()
        .timeout(Some(Duration::from_millis(400)))
        .build()
        .unwrap();
    ibkr.ensure_brokerage_session().await.unwrap();
    // A snapshot first, so the market order asks no question and is placed at once.
    ibkr.snapshot(&[Conid(265598)], &[F::LastPrice])
        .await
        .unwrap();
    gw.control().add_fault(
        FaultRule::new(
            "/iserver/account/*/orders",
            Fault::SlowAnswer(Duration::from_millis(900)),
        )
        .method("POST"),
    );
    let ticket = OrderTicket::buy(265598, Decimal::ONE).coid("timeout-probe-1");
    let err = ibkr.place(ticket, &AnswerPolicy::new()).await.unwrap_err();
    let Error::OrderStateUnknown {
        operation,
        client_order_ids,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(*operation, "placeOrder");
    assert_eq!(client_order_ids, &["timeout-probe-1"]);
    assert!(
        !err.is_retryable(),
        "following the advice must not place it twice"
    );
    assert!(err.is_outcome_unknown());
    assert!(err.to_string().contains("Do not resend"), "{err}");
    // IBKR (the simulator) did place it, once; find_order settles what the error left open.
    tokio::time::sleep(Duration::from_millis(700)).await;
    gw.control().clear_faults();
    let sent: Vec<_> = gw
        .inspect()
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/orders"))
        .collect();
    assert_eq!(sent.len(), 1, "sent once");
    let found = ibkr.find_order("timeout-probe-1").await.unwrap();
    assert!(
        found.is_some(),
        "the order is live and found by its cOID: {:?} / {:?}",
        gw.inspect().orders(),
        ibkr.live_orders().await
    );
}

#[tokio::test]
async fn a_429_storm_over_three_items_ends_rate_limited_within_the_bound() {
    let gw = sim().await;
    let budget = Duration::from_secs(4);
    let ibkr = builder(&gw)
        .retry(RetryPolicy {
            rate_limit_budget: budget,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    ibkr.ensure_brokerage_session().await.unwrap();
    gw.control().add_fault(FaultRule::new(
        "/iserver/marketdata/history",
        Fault::Status(429),
    ));
    let started = Instant::now();
    let results: Vec<_> = ibkr
        .history_many([265598i64, 272093, 8314], Period::Months(1), BarSize::Day1)
        .collect()
        .await;
    let took = started.elapsed();
    assert_eq!(results.len(), 3);
    for (item, r) in &results {
        assert!(matches!(r, Err(e) if e.is_rate_limited()), "{item}: {r:?}");
    }
    let requests = gw.inspect().count("GET", "/iserver/marketdata/history");
    eprintln!("429 storm: {requests} requests for 3 items in {took:?} (budget {budget:?})");
    assert!(requests <= 3 * 4, "{requests} requests for 3 items");
    // The budget, plus one adaptive spacing (at most 5 s) and slack.
    assert!(took < budget + Duration::from_secs(7), "{took:?}");
    assert!(
        ibkr.raw().wire().adaptive_spacing("getMarketDataHistory") > Duration::ZERO,
        "the spacing stays in force"
    );
}

#[tokio::test]
async fn no_burst_above_ten_per_second_after_a_long_question_loop() {
    let gw = sim().await;
    let ibkr = builder(&gw).build().unwrap(); // the gateway's 10/s pacing
    ibkr.ensure_brokerage_session().await.unwrap();
    gw.control().set_latency(Duration::from_millis(120));
    // No snapshot, far from the market, large: o354, o163, o383 and o451, one round each.
    let ticket = OrderTicket::buy(265598, Decimal::from(6000)).limit(Decimal::from(100));
    let order = {
        let ibkr = ibkr.clone();
        tokio::spawn(async move { ibkr.place(ticket, &yes_to_all()).await })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    let loop_started = SystemTime::now();
    // A call with no limit of its own, so the session-wide 10/s is what paces them
    // (/tickle's 1/s would stretch this test to 25 s).
    let others: Vec<_> = (0..25)
        .map(|_| {
            let ibkr = ibkr.clone();
            tokio::spawn(async move { ibkr.api().get_accounts().await.map(drop) })
        })
        .collect();
    let outcome = order.await.unwrap().unwrap();
    assert!(
        matches!(outcome, OrderOutcome::Submitted { .. }),
        "{outcome:?}"
    );
    for o in others {
        o.await.unwrap().unwrap();
    }
    let arrivals: Vec<SystemTime> = gw
        .inspect()
        .requests()
        .into_iter()
        .filter(|r| r.at >= loop_started)
        .map(|r| r.at)
        .collect();
    let most = arrivals
        .iter()
        .map(|s| {
            arrivals
                .iter()
                .filter(|t| {
                    t.duration_since(*s)
                        .is_ok_and(|d| d < Duration::from_secs(1))
                })
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(
        most <= 11,
        "{most} requests reached the gateway within one second"
    );
    let replies = gw.inspect().replies();
    assert!(replies.len() >= 3, "a long loop: {} replies", replies.len());
    assert!(
        replies.iter().all(|r| r.accepted),
        "no reply id was invalidated"
    );
}

#[test]
fn a_client_built_outside_a_runtime_starts_its_keeper_with_the_first_request() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let gw = rt.block_on(sim());
    // Built in plain, synchronous code: no runtime to start a keeper on.
    let ibkr = Ibkr::builder()
        .base_url(gw.base_url())
        .without_pacing()
        .keepalive(Duration::from_millis(100))
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(gw.inspect().count("POST", "/tickle"), 0, "nothing yet");
        ibkr.auth_status().await.unwrap();
        tokio::time::sleep(Duration::from_millis(450)).await;
        assert!(
            gw.inspect().count("POST", "/tickle") >= 3,
            "the first request started the keeper"
        );
    });
    drop(ibkr);
}

/// Collects everything the client logs, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_planted_session_id_never_appears_in_debug_display_errors_or_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let gw = sim().await;
    let ibkr = builder(&gw).without_pacing().build().unwrap();
    ibkr.ensure_brokerage_session().await.unwrap();
    let session = ibkr.socket_session().await.unwrap();
    let planted = session.expose().to_string();
    assert!(
        planted.len() >= 8,
        "the simulator hands out a real session id"
    );
    let tickle = ibkr.api().tickle().await.unwrap();
    let mut shown = vec![
        format!("{session} {session:?}"),
        format!("{tickle:?}"),
        format!("{ibkr:?}"),
        format!("{:?}", tickle.session),
    ];
    // An error whose body carries the session and a bearer token.
    gw.control()
        .add_fault(FaultRule::new("/iserver/accounts", Fault::Status(500)));
    let err = ibkr.api().get_accounts().await.unwrap_err();
    shown.push(format!("{err} {err:?}"));
    let body = format!(
        r#"{{"session":"{planted}","note":"Authorization: Bearer eyJplanted.secret.sig"}}"#
    );
    let redacted = ibkr_ext::error::redact(&body);
    shown.push(redacted);
    shown.push(String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned());
    for text in &shown {
        assert!(!text.contains(&planted), "the session id leaked: {text}");
        assert!(!text.contains("eyJplanted"), "the bearer leaked: {text}");
    }
}
