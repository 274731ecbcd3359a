//! The wire rules of the generated client, proven against a mock server on 127.0.0.1.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::prelude::*;
use ibkr_gen::trading::{Client, types};
use ibkr_gen::wire::{
    HookFuture, Link, NotSent, RecoveryFuture, RequestSigner, RetryPolicy, SessionRecovery,
    SignError, Wire, WireObserver,
};
use serde_json::json;

fn client(server: &MockServer, wire: Wire) -> Client {
    let http = ibkr_gen::http_client_builder().build().unwrap();
    Client::new_with_client(&server.url("/v1/api"), http, wire)
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        rate_limit_budget: Duration::from_secs(30),
    }
}

#[tokio::test]
async fn body_less_post_sends_content_length_zero_and_no_api_version() {
    let server = MockServer::start_async().await;
    let tickle = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/api/tickle")
                .header("content-length", "0")
                .header_missing("api-version")
                .is_true(|req| {
                    req.headers()
                        .get("user-agent")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.starts_with("ibkr-gen/"))
                });
            then.status(200)
                .json_body(json!({"session": "0123456789abcdef0123456789abcdef"}));
        })
        .await;
    let c = client(&server, Wire::default());
    let r = c.tickle().send().await.expect("tickle succeeds");
    tickle.assert_async().await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn array_query_parameters_are_comma_joined() {
    let server = MockServer::start_async().await;
    let snapshot = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/api/iserver/marketdata/snapshot")
                .query_param("conids", "265598,8314")
                .query_param("fields", "31,84,86");
            then.status(200).json_body(json!([
                {"conid": 265598, "conidEx": "265598", "31": "193.18", "84": "193.06", "86": "193.14"},
                {"conid": 8314, "conidEx": "8314"}
            ]));
        })
        .await;
    let c = client(&server, Wire::default());
    let rows = c
        .get_market_data_snapshot()
        .conids(vec![265598, 8314])
        .fields(vec!["31".to_string(), "84".into(), "86".into()])
        .send()
        .await
        .expect("snapshot decodes")
        .into_inner();
    snapshot.assert_async().await;
    assert_eq!(rows[0].conid, Some(265598));
    assert_eq!(rows[0].extra.get("31"), Some(&json!("193.18")));
}

#[derive(Default)]
struct Sends {
    at: Mutex<Vec<tokio::time::Instant>>,
    attempts: AtomicUsize,
}

impl WireObserver for Sends {
    fn on_send(&self, _operation: &str) {
        self.at.lock().unwrap().push(tokio::time::Instant::now());
        self.attempts.fetch_add(1, Ordering::SeqCst);
    }
    fn on_response(&self, _: &str, _: Option<reqwest::StatusCode>, _: Duration) {}
}

fn max_in_any_window(times: &[tokio::time::Instant], window: Duration) -> usize {
    let mut t = times.to_vec();
    t.sort();
    (0..t.len())
        .map(|i| t[i..].iter().take_while(|x| **x - t[i] < window).count())
        .max()
        .unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn global_pacing_holds_under_fifty_concurrent_callers() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/iserver/accounts");
            then.status(200)
                .json_body(json!({"accounts": ["DU1234567"]}));
        })
        .await;
    let sends = Arc::new(Sends::default());
    let wire = Wire::builder().observer(sends.clone()).build();
    let c = client(&server, wire);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.get_accounts().send().await.map(|r| r.status()) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 200);
    }
    let times = sends.at.lock().unwrap().clone();
    assert_eq!(times.len(), 50);
    assert!(max_in_any_window(&times, Duration::from_secs(1)) <= 10);
    // Evenly spread, not starved: 50 requests at 10/s take about 4.9 s of (paused) time.
    let span = *times.iter().max().unwrap() - *times.iter().min().unwrap();
    assert!(
        span >= Duration::from_millis(4800) && span < Duration::from_millis(6000),
        "{span:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn per_operation_pacing_spaces_live_orders_five_seconds_apart() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/iserver/account/orders");
            then.status(200)
                .json_body(json!({"orders": [], "snapshot": true}));
        })
        .await;
    let sends = Arc::new(Sends::default());
    let c = client(&server, Wire::builder().observer(sends.clone()).build());
    for _ in 0..3 {
        c.get_live_orders().send().await.unwrap();
    }
    let t = sends.at.lock().unwrap().clone();
    assert!(t[1] - t[0] >= Duration::from_secs(5) && t[2] - t[1] >= Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn history_is_capped_at_five_concurrent_requests() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/iserver/marketdata/history");
            then.status(200)
                .delay(Duration::from_millis(30))
                .json_body(json!({"symbol": "AAPL", "data": []}));
        })
        .await;
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    struct Peak(Arc<AtomicUsize>, Arc<AtomicUsize>);
    impl WireObserver for Peak {
        fn on_send(&self, _: &str) {
            let now = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            self.1.fetch_max(now, Ordering::SeqCst);
        }
        fn on_response(&self, _: &str, _: Option<reqwest::StatusCode>, _: Duration) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let wire = Wire::builder()
        .global_rate(None)
        .observer(Arc::new(Peak(in_flight.clone(), peak.clone())))
        .build();
    let c = client(&server, wire);
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                c.get_market_data_history()
                    .conid(265598)
                    .period("1y")
                    .bar("1d")
                    .send()
                    .await
                    .map(|_| ())
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(peak.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn a_429_is_retried_for_a_get_and_never_for_place_order() {
    let server = MockServer::start_async().await;
    let accounts = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/iserver/accounts");
            then.status(429);
        })
        .await;
    let orders = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/api/iserver/account/DU1234567/orders");
            then.status(429);
        })
        .await;
    let wire = Wire::builder()
        .global_rate(None)
        .retry(fast_retries())
        .build();
    let c = client(&server, wire.clone());
    let err = c.get_accounts().send().await.unwrap_err();
    assert_eq!(err.status(), Some(reqwest::StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(accounts.calls_async().await, 4, "1 attempt + 3 retries");
    // The operation is now slowed down for later calls.
    assert!(wire.adaptive_spacing("getAccounts") >= Duration::from_millis(500));

    let order: types::OrdersSubmissionRequest = serde_json::from_value(json!({
        "orders": [{"conid": 265598, "orderType": "MKT", "side": "BUY", "quantity": 1, "tif": "DAY"}]
    }))
    .unwrap();
    let err = c
        .place_order()
        .account_id("DU1234567")
        .body(order)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(reqwest::StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(
        orders.calls_async().await,
        1,
        "an order is never sent twice"
    );
}

#[tokio::test]
async fn a_503_is_retried_until_the_budget_runs_out() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/portfolio/DU1234567/ledger");
            then.status(503).body("<html>Service Unavailable</html>");
        })
        .await;
    let c = client(
        &server,
        Wire::builder()
            .global_rate(None)
            .retry(fast_retries())
            .build(),
    );
    let err = c
        .get_account_ledger()
        .account_id("DU1234567")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(reqwest::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(m.calls_async().await, 4);
}

#[tokio::test]
async fn connection_errors_are_retried_only_for_idempotent_calls() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sends = Arc::new(Sends::default());
    let wire = Wire::builder()
        .global_rate(None)
        .retry(fast_retries())
        .observer(sends.clone())
        .build();
    let http = ibkr_gen::http_client_builder().build().unwrap();
    let c = Client::new_with_client(&format!("http://127.0.0.1:{port}/v1/api"), http, wire);
    assert!(c.get_accounts().send().await.is_err());
    assert_eq!(sends.attempts.swap(0, Ordering::SeqCst), 4);
    assert!(c.logout().send().await.is_err());
    assert_eq!(
        sends.attempts.load(Ordering::SeqCst),
        1,
        "logout is not idempotent"
    );
}

struct CountingRecovery(AtomicUsize);
impl SessionRecovery for CountingRecovery {
    fn recover<'a>(&'a self, _link: Link<'a>) -> RecoveryFuture<'a> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { true })
    }
}

#[tokio::test]
async fn no_bridge_triggers_one_recovery_and_one_repeat_of_an_idempotent_call() {
    let server = MockServer::start_async().await;
    let accounts = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/iserver/accounts");
            then.status(400)
                .json_body(json!({"error": "Bad Request: no bridge", "statusCode": 400}));
        })
        .await;
    let recovery = Arc::new(CountingRecovery(AtomicUsize::new(0)));
    let wire = Wire::builder()
        .global_rate(None)
        .session_recovery(recovery.clone())
        .build();
    let c = client(&server, wire);
    let err = c.get_accounts().send().await.unwrap_err();
    assert_eq!(err.status(), Some(reqwest::StatusCode::BAD_REQUEST));
    assert_eq!(recovery.0.load(Ordering::SeqCst), 1);
    assert_eq!(
        accounts.calls_async().await,
        2,
        "repeated once, not in a loop"
    );
}

#[tokio::test]
async fn exclusive_holds_other_requests_until_it_finishes() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/api/tickle");
            then.status(200).json_body(json!({}));
        })
        .await;
    let sends = Arc::new(Sends::default());
    let wire = Wire::builder()
        .global_rate(None)
        .observer(sends.clone())
        .build();
    let c = client(&server, wire.clone());
    // With the lane free, one poll of a call reaches the send: the control for the
    // single-poll check below.
    let mut free = Box::pin(c.tickle().send());
    let _ = futures::poll!(&mut free);
    assert_eq!(
        sends.attempts.load(Ordering::SeqCst),
        1,
        "a free lane sends at once"
    );
    free.await.unwrap();
    let (entered_tx, entered_rx) = tokio::sync::oneshot::channel();
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let inside = {
        let (c, wire) = (c.clone(), wire.clone());
        tokio::spawn(async move {
            let alone = c.with_wire(wire.exclusive_lane().await);
            alone.tickle().send().await.unwrap();
            entered_tx.send(()).unwrap();
            release_rx.await.unwrap();
            alone.tickle().send().await.unwrap();
        })
    };
    entered_rx.await.unwrap();
    let mut outside = Box::pin(c.tickle().send());
    assert!(futures::poll!(&mut outside).is_pending());
    assert_eq!(
        sends.attempts.load(Ordering::SeqCst),
        2,
        "the outside call waits at the lane instead of sending"
    );
    release_tx.send(()).unwrap();
    inside.await.unwrap();
    outside.await.unwrap();
    assert_eq!(sends.attempts.load(Ordering::SeqCst), 4);
}

/// Records when each attempt leaves, and what the signer saw.
#[derive(Default)]
struct Timeline {
    sent: Mutex<Vec<tokio::time::Instant>>,
    signed: Mutex<Vec<tokio::time::Instant>>,
}

impl WireObserver for Timeline {
    fn on_send(&self, _operation: &str) {
        self.sent.lock().unwrap().push(tokio::time::Instant::now());
    }
    fn on_response(&self, _: &str, _: Option<reqwest::StatusCode>, _: Duration) {}
}

struct StampingSigner {
    timeline: Arc<Timeline>,
    fail: bool,
}

impl RequestSigner for StampingSigner {
    fn sign<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        request: &'a mut reqwest::Request,
    ) -> HookFuture<'a, Result<(), SignError>> {
        Box::pin(async move {
            self.timeline
                .signed
                .lock()
                .unwrap()
                .push(tokio::time::Instant::now());
            if self.fail {
                return Err(SignError {
                    step: "live session token",
                    reason: "the token does not validate".into(),
                });
            }
            request
                .headers_mut()
                .insert("authorization", "OAuth signed".parse().unwrap());
            Ok(())
        })
    }
}

#[tokio::test]
async fn the_signer_sees_each_attempt_after_pacing_right_before_it_leaves() {
    let server = MockServer::start_async().await;
    let tickle = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/api/tickle")
                .header("authorization", "OAuth signed");
            then.status(200).json_body(json!({}));
        })
        .await;
    let timeline = Arc::new(Timeline::default());
    let wire = Wire::builder()
        .global_rate(Some(ibkr_gen::wire::Rate {
            count: 5,
            per: Duration::from_secs(1),
        }))
        .signer(Arc::new(StampingSigner {
            timeline: timeline.clone(),
            fail: false,
        }))
        .observer(timeline.clone())
        .build();
    let c = client(&server, wire);
    let started = tokio::time::Instant::now();
    for _ in 0..3 {
        c.tickle().send().await.unwrap();
    }
    assert_eq!(tickle.calls_async().await, 3, "every attempt signed");
    let signed = timeline.signed.lock().unwrap().clone();
    let sent = timeline.sent.lock().unwrap().clone();
    // Pacing at 5/s spaces the three attempts 200 ms apart; each signature is taken after
    // that wait, not before it, so it is as fresh as the send.
    assert!(
        signed[2] - started >= Duration::from_millis(350),
        "{:?}",
        signed[2] - started
    );
    for (s, t) in signed.iter().zip(&sent) {
        assert!(
            *t >= *s && *t - *s < Duration::from_millis(50),
            "signed {s:?} sent {t:?}"
        );
    }
}

#[tokio::test]
async fn a_signing_failure_sends_nothing_and_says_why() {
    let server = MockServer::start_async().await;
    let accounts = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/iserver/accounts");
            then.status(200).json_body(json!({}));
        })
        .await;
    let timeline = Arc::new(Timeline::default());
    let wire = Wire::builder()
        .global_rate(None)
        .retry(fast_retries())
        .signer(Arc::new(StampingSigner {
            timeline: timeline.clone(),
            fail: true,
        }))
        .observer(timeline.clone())
        .build();
    let c = client(&server, wire);
    let err = c.get_accounts().send().await.unwrap_err();
    let ibkr_gen::Error::UnexpectedResponse(response) = err else {
        panic!("a response the wire made: {err:?}")
    };
    let Some(NotSent::Signing(e)) = response.extensions().get::<NotSent>() else {
        panic!("marked as not sent")
    };
    assert_eq!(e.step, "live session token");
    assert_eq!(accounts.calls_async().await, 0, "nothing left");
    assert!(timeline.sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_operation_the_table_does_not_know_is_never_retried() {
    let server = MockServer::start_async().await;
    let transfer = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/api/future/transfer");
            then.status(503);
        })
        .await;
    let wire = Wire::builder()
        .global_rate(None)
        .retry(fast_retries())
        .build();
    let http = ibkr_gen::http_client_builder().build().unwrap();
    let request = http
        .post(server.url("/v1/api/future/transfer"))
        .body("{}")
        .build()
        .unwrap();
    let response = wire
        .execute(&http, request, "createFutureTransfer")
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(transfer.calls_async().await, 1, "unknown means unsafe");
}

#[tokio::test]
async fn waiting_out_429s_is_bounded_by_the_budget() {
    let server = MockServer::start_async().await;
    let accounts = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/iserver/accounts");
            then.status(429);
        })
        .await;
    let wire = Wire::builder()
        .global_rate(None)
        .retry(RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(40),
            max_delay: Duration::from_millis(400),
            rate_limit_budget: Duration::from_millis(150),
        })
        .build();
    let c = client(&server, wire);
    let started = std::time::Instant::now();
    let err = c.get_accounts().send().await.unwrap_err();
    assert_eq!(err.status(), Some(reqwest::StatusCode::TOO_MANY_REQUESTS));
    let calls = accounts.calls_async().await;
    // After the first 429 the operation's spacing (at least 500 ms) exceeds what is left of
    // the 150 ms budget, so the retry gives up waiting for its pacing slot instead of
    // sending: one request, and the call ends with the budget.
    assert_eq!(calls, 1, "{calls} attempts within a 150 ms budget");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(150) && took < Duration::from_millis(900),
        "{took:?}"
    );
}

#[tokio::test]
async fn requests_held_back_by_the_lane_leave_at_the_paced_rate_not_in_a_burst() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/api/tickle");
            then.status(200).json_body(json!({}));
        })
        .await;
    let timeline = Arc::new(Timeline::default());
    // The session-wide 10/s is the subject; /tickle's own 1/s would stretch this to 25 s.
    let wire = Wire::builder()
        .global_rate(Some(ibkr_gen::wire::GATEWAY_RATE))
        .per_operation_limits(false)
        .observer(timeline.clone())
        .build();
    let c = client(&server, wire.clone());
    let alone = c.with_wire(wire.exclusive_lane().await);
    let waiting: Vec<_> = (0..15)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.tickle().send().await.unwrap() })
        })
        .collect();
    // A long question loop: ten rounds inside the lane, 100 ms apart.
    for _ in 0..10 {
        alone.tickle().send().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(alone);
    for w in waiting {
        w.await.unwrap();
    }
    let sent = timeline.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 25);
    let most_in_a_second = sent
        .iter()
        .map(|start| {
            sent.iter()
                .filter(|t| **t >= *start && **t - *start < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap();
    assert!(
        most_in_a_second <= 11,
        "{most_in_a_second} sends within one second"
    );
}

#[tokio::test]
async fn a_first_use_404_is_repeated_once_only_where_the_spec_marks_it() {
    let server = MockServer::start_async().await;
    let hmds = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/hmds/history");
            then.status(404);
        })
        .await;
    let ledger = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/portfolio/DU1234567/ledger");
            then.status(404);
        })
        .await;
    let wire = Wire::builder()
        .global_rate(None)
        .retry(fast_retries())
        .build();
    let c = client(&server, wire);
    let err = c
        .get_hmds_history()
        .conid(265598)
        .period("1w")
        .bar("1d")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(reqwest::StatusCode::NOT_FOUND));
    assert_eq!(
        hmds.calls_async().await,
        2,
        "x-ibkr-first-use-404: once more"
    );
    let err = c
        .get_account_ledger()
        .account_id("DU1234567")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(reqwest::StatusCode::NOT_FOUND));
    assert_eq!(
        ledger.calls_async().await,
        1,
        "an unmarked 404 is the answer"
    );
}

#[tokio::test]
async fn no_bridge_opens_the_session_for_an_order_without_repeating_it() {
    let server = MockServer::start_async().await;
    let no_bridge = json!({"error": "Bad Request: no bridge", "statusCode": 400});
    let orders = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/api/iserver/account/DU1234567/orders");
            then.status(400).json_body(no_bridge.clone());
        })
        .await;
    let ledger = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/portfolio/DU1234567/ledger");
            then.status(400).json_body(no_bridge.clone());
        })
        .await;
    let recovery = Arc::new(CountingRecovery(AtomicUsize::new(0)));
    let wire = Wire::builder()
        .global_rate(None)
        .session_recovery(recovery.clone())
        .build();
    let c = client(&server, wire.clone());
    let order: types::OrdersSubmissionRequest = serde_json::from_value(json!({
        "orders": [{"conid": 265598, "orderType": "MKT", "side": "BUY", "quantity": 1, "tif": "DAY"}]
    }))
    .unwrap();
    let err = c
        .place_order()
        .account_id("DU1234567")
        .body(order)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(reqwest::StatusCode::BAD_REQUEST));
    assert_eq!(
        recovery.0.load(Ordering::SeqCst),
        1,
        "the session is opened"
    );
    assert_eq!(
        orders.calls_async().await,
        1,
        "an order is never sent twice"
    );
    // Outside the brokerage session (no `x-ibkr-brokerage-session`) a `no bridge` is just
    // an answer.
    c.get_account_ledger()
        .account_id("DU1234567")
        .send()
        .await
        .unwrap_err();
    assert_eq!(ledger.calls_async().await, 1);
    assert_eq!(recovery.0.load(Ordering::SeqCst), 1, "no recovery");
    // The recovery hook's own wire never recovers.
    let quiet = c.with_wire(wire.without_recovery());
    quiet
        .get_account_ledger()
        .account_id("DU1234567")
        .send()
        .await
        .unwrap_err();
    assert_eq!(recovery.0.load(Ordering::SeqCst), 1);
}

struct RenewingSigner {
    renewals: AtomicUsize,
    renews: bool,
}

impl RequestSigner for RenewingSigner {
    fn sign<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        _request: &'a mut reqwest::Request,
    ) -> HookFuture<'a, Result<(), SignError>> {
        Box::pin(async { Ok(()) })
    }

    fn renew<'a>(&'a self, _http: &'a reqwest::Client) -> RecoveryFuture<'a> {
        self.renewals.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { self.renews })
    }
}

#[tokio::test]
async fn a_401_renews_the_token_and_repeats_an_idempotent_call_once() {
    for renews in [true, false] {
        let server = MockServer::start_async().await;
        let accounts = server
            .mock_async(|when, then| {
                when.method(GET).path("/v1/api/iserver/accounts");
                then.status(401);
            })
            .await;
        let logout = server
            .mock_async(|when, then| {
                when.method(POST).path("/v1/api/logout");
                then.status(401);
            })
            .await;
        let signer = Arc::new(RenewingSigner {
            renewals: AtomicUsize::new(0),
            renews,
        });
        let wire = Wire::builder()
            .global_rate(None)
            .signer(signer.clone())
            .build();
        let c = client(&server, wire);
        c.get_accounts().send().await.unwrap_err();
        assert_eq!(signer.renewals.load(Ordering::SeqCst), 1, "renews {renews}");
        let repeated = if renews { 2 } else { 1 };
        assert_eq!(accounts.calls_async().await, repeated, "renews {renews}");
        // Not idempotent: the 401 is the answer, and nothing is renewed on its account.
        c.logout().send().await.unwrap_err();
        assert_eq!(logout.calls_async().await, 1);
        assert_eq!(signer.renewals.load(Ordering::SeqCst), 1);
    }
}
