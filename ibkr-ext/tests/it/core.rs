//! The client core against mock servers on 127.0.0.1: pacing, retries, recovery, errors,
//! the session keeper, and secrets.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::prelude::*;
use ibkr_ext::{
    AnswerPolicy, Error, Ibkr, OrderGroup, OrderOutcome, OrderTicket, RetryPolicy, SessionState,
};
use rust_decimal::Decimal;
use serde_json::json;

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        rate_limit_budget: Duration::from_secs(30),
    }
}

fn client(server: &MockServer) -> Ibkr {
    Ibkr::builder()
        .base_url(server.url("/v1/api"))
        .account_id("DU1234567")
        .retry(fast_retries())
        .without_keepalive()
        .build()
        .unwrap()
}

#[derive(Default)]
struct SendTimes(Mutex<Vec<tokio::time::Instant>>);
impl ibkr_gen::wire::WireObserver for SendTimes {
    fn on_send(&self, _: &str) {
        self.0.lock().unwrap().push(tokio::time::Instant::now());
    }
    fn on_response(&self, _: &str, _: Option<reqwest::StatusCode>, _: Duration) {}
}

#[tokio::test(start_paused = true)]
async fn pacing_holds_under_fifty_concurrent_callers_across_clones() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/portfolio/DU1234567/ledger");
            then.status(200)
                .json_body(json!({"USD": {"cashbalance": 1000.0}}));
        })
        .await;
    let times = Arc::new(SendTimes::default());
    let ibkr = Ibkr::builder()
        .base_url(server.url("/v1/api"))
        .timeout(None) // a paused clock would fire a request timeout while sockets work
        .observer(times.clone())
        .without_keepalive()
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let ibkr = ibkr.clone();
            tokio::spawn(async move {
                ibkr.api()
                    .get_account_ledger()
                    .account_id("DU1234567")
                    .await
                    .map(|_| ())
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let mut t = times.0.lock().unwrap().clone();
    t.sort();
    assert_eq!(t.len(), 50);
    let worst = (0..t.len())
        .map(|i| {
            t[i..]
                .iter()
                .take_while(|x| **x - t[i] < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap();
    assert!(worst <= 10, "{worst} requests in one second");
}

#[tokio::test]
async fn a_429_is_retried_for_a_get_and_never_for_place_order() {
    let server = MockServer::start_async().await;
    let ledger = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/portfolio/DU1234567/ledger");
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
    let ibkr = client(&server);
    let err = ibkr
        .api()
        .get_account_ledger()
        .account_id("DU1234567")
        .await
        .unwrap_err();
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(
        ledger.calls_async().await,
        3,
        "first attempt and two retries"
    );

    let body: ibkr_ext::raw_api::trading::types::OrdersSubmissionRequest = serde_json::from_value(json!({
        "orders": [{"conid": 265598, "orderType": "MKT", "side": "BUY", "quantity": 1, "tif": "DAY"}]
    }))
    .unwrap();
    let err = ibkr
        .api()
        .place_order()
        .account_id("DU1234567")
        .body(body)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::RateLimited {
                operation: "placeOrder",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        orders.calls_async().await,
        1,
        "an order is never sent twice"
    );
}

#[tokio::test]
async fn no_bridge_opens_the_brokerage_session_and_repeats_the_call_once() {
    let server = MockServer::start_async().await;
    let bridge = Arc::new(AtomicBool::new(false));
    let (b1, b2, b3, b4) = (
        bridge.clone(),
        bridge.clone(),
        bridge.clone(),
        bridge.clone(),
    );
    let no_bridge = server
        .mock_async(move |when, then| {
            when.method(GET)
                .path("/v1/api/iserver/accounts")
                .is_true(move |_| !b1.load(Ordering::SeqCst));
            then.status(400)
                .json_body(json!({"error": "Bad Request: no bridge", "statusCode": 400}));
        })
        .await;
    let accounts = server
        .mock_async(move |when, then| {
            when.method(GET)
                .path("/v1/api/iserver/accounts")
                .is_true(move |_| b2.load(Ordering::SeqCst));
            then.status(200)
                .json_body(json!({"accounts": ["DU1234567"], "selectedAccount": "DU1234567"}));
        })
        .await;
    server
        .mock_async(move |when, then| {
            when.method(POST)
                .path("/v1/api/iserver/auth/status")
                .is_true(move |_| b3.load(Ordering::SeqCst));
            then.status(200)
                .json_body(json!({"authenticated": true, "competing": false, "connected": true}));
        })
        .await;
    server
        .mock_async(move |when, then| {
            when.method(POST)
                .path("/v1/api/iserver/auth/status")
                .is_true(move |_| !b4.load(Ordering::SeqCst));
            then.status(200)
                .json_body(json!({"authenticated": false, "competing": false, "connected": true}));
        })
        .await;
    let init = {
        let bridge = bridge.clone();
        server
            .mock_async(move |when, then| {
                when.method(POST)
                    .path("/v1/api/iserver/auth/ssodh/init")
                    .json_body(json!({"publish": true, "compete": true}))
                    .is_true(move |_| {
                        bridge.store(true, Ordering::SeqCst);
                        true
                    });
                then.status(200).json_body(
                    json!({"authenticated": true, "competing": false, "connected": true}),
                );
            })
            .await
    };
    let ibkr = client(&server);
    let r = ibkr.api().get_accounts().await.expect("recovered");
    assert_eq!(r.selected_account.as_deref(), Some("DU1234567"));
    assert_eq!(no_bridge.calls_async().await, 1);
    assert_eq!(accounts.calls_async().await, 1);
    assert_eq!(init.calls_async().await, 1);
    assert!(ibkr.session().borrow().authenticated);
}

#[tokio::test]
async fn a_401_becomes_not_authenticated_with_the_login_url() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/iserver/accounts");
            then.status(401);
        })
        .await;
    let ibkr = client(&server);
    let err = ibkr.api().get_accounts().await.unwrap_err();
    assert!(err.is_auth());
    let login = server.url("");
    assert_eq!(
        err.to_string(),
        format!("getAccounts: not logged in: open {login} in a browser and log in")
    );
    assert!(!ibkr.session().borrow().logged_in);
}

#[tokio::test]
async fn malformed_html_and_truncated_bodies_are_decode_errors_naming_the_operation() {
    let server = MockServer::start_async().await;
    let bodies = [
        ("malformed", "{\"accounts\": [\"DU1234567\",}"),
        (
            "html",
            "<html><head><title>Gateway</title></head><body>Login</body></html>",
        ),
        ("truncated", "{\"accounts\": [\"DU12345"),
    ];
    for (name, body) in bodies {
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(format!("/v1/api/case/{name}/iserver/accounts"));
                then.status(200)
                    .header("content-type", "application/json")
                    .body(body);
            })
            .await;
    }
    for (name, _) in bodies {
        let ibkr = Ibkr::builder()
            .base_url(server.url(format!("/v1/api/case/{name}")))
            .without_keepalive()
            .build()
            .unwrap();
        let err = ibkr.api().get_accounts().await.unwrap_err();
        match &err {
            Error::Decode {
                operation, excerpt, ..
            } => {
                assert_eq!(*operation, "getAccounts", "{name}");
                assert!(
                    !excerpt.is_empty(),
                    "{name}: the excerpt shows what arrived"
                );
            }
            other => panic!("{name}: expected Decode, got {other:?}"),
        }
        assert!(
            err.to_string()
                .starts_with("getAccounts: could not read IBKR's response")
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_keeper_tickles_on_schedule_and_reports_state_changes() {
    let server = MockServer::start_async().await;
    let competing = Arc::new(AtomicBool::new(false));
    let c = competing.clone();
    let calls = Arc::new(AtomicUsize::new(0));
    let n = calls.clone();
    let healthy = server
        .mock_async(move |when, then| {
            when.method(POST).path("/v1/api/tickle").is_true(move |_| {
                n.fetch_add(1, Ordering::SeqCst);
                !c.load(Ordering::SeqCst)
            });
            then.status(200).json_body(json!({
                "session": "ce109cbeb462a76dc3f6f4182c830cc1",
                "iserver": {"authStatus": {"authenticated": true, "competing": false, "connected": true, "message": ""}}
            }));
        })
        .await;
    let c2 = competing.clone();
    server
        .mock_async(move |when, then| {
            when.method(POST).path("/v1/api/tickle").is_true(move |_| c2.load(Ordering::SeqCst));
            then.status(200).json_body(json!({
                "iserver": {"authStatus": {"authenticated": true, "competing": true, "connected": true}}
            }));
        })
        .await;
    let ibkr = Ibkr::builder()
        .base_url(server.url("/v1/api"))
        .timeout(None)
        .keepalive(Duration::from_secs(60))
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let mut rx = ibkr.session();
    rx.changed().await.unwrap();
    assert!(rx.borrow_and_update().is_healthy());
    let first = start.elapsed();
    assert!(
        first >= Duration::from_secs(60) && first < Duration::from_secs(61),
        "{first:?}"
    );
    competing.store(true, Ordering::SeqCst);
    rx.changed().await.unwrap();
    let s: SessionState = rx.borrow_and_update().clone();
    assert!(s.competing && !s.is_healthy());
    assert!(start.elapsed() >= Duration::from_secs(120));
    assert_eq!(healthy.calls_async().await, 1);
    // Dropping the last handle stops the keeper: no tickle after that.
    drop(ibkr);
    let before = calls.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(calls.load(Ordering::SeqCst), before);
}

/// Captures log output.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);
impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Errors, their `Debug` and every log line hide session ids and account numbers.
///
/// The logs are caught by a subscriber scoped to this test's thread. tracing caches each
/// callsite's interest across threads, and a callsite first met by another test while this
/// one installs its subscriber can be cached without it, so some of this test's events are
/// then not delivered (seen under `stress-ng`). Every capture is searched for the secrets;
/// a capture that missed the request's own event (which names the masked account) is taken
/// again after the interest cache is rebuilt, up to three times.
#[tokio::test]
async fn no_session_id_or_account_number_reaches_errors_debug_or_logs() {
    let server = MockServer::start_async().await;
    // A tickle answer the generated type cannot read, carrying a session id and an account.
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/api/tickle");
            then.status(200).header("content-type", "application/json").body(
                r#"{"session":"ce109cbeb462a76dc3f6f4182c830cc1","iserver":{"authStatus":{"authenticated":"maybe"}},"acct":"U7654321","#,
            );
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/iserver/account/U7654321/summary");
            then.status(500).json_body(json!({"error": "account U7654321 session ce109cbeb462a76dc3f6f4182c830cc1 failed"}));
        })
        .await;
    let ibkr = Ibkr::builder()
        .base_url(server.url("/v1/api"))
        .account_id("U7654321")
        .retry(RetryPolicy::none())
        .without_keepalive()
        .build()
        .unwrap();
    let mut captures = Vec::new();
    for _ in 0..3 {
        let logs = LogBuffer::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        tracing::callsite::rebuild_interest_cache();
        let e1 = ibkr.tickle().await.unwrap_err();
        let e2 = ibkr
            .api()
            .get_trading_account_summary()
            .account_id("U7654321")
            .await
            .unwrap_err();
        drop(guard);
        let shown = format!("{e1} {e1:?} {e2} {e2:?} {ibkr:?}");
        let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        for secret in ["ce109cbeb462a76dc3f6f4182c830cc1", "U7654321"] {
            assert!(!shown.contains(secret), "{secret} shown in: {shown}");
            assert!(!logged.contains(secret), "{secret} logged in: {logged}");
        }
        assert!(shown.contains("U***4321"), "{shown}");
        // The request span names the masked account on the answer's event.
        if logged.contains("U***4321") {
            return;
        }
        captures.push(logged);
    }
    panic!(
        "three captures missed the summary request's events: {}",
        captures.join("\n---\n")
    );
}

/// The brokerage session is open: `/iserver/auth/status` says so.
async fn authenticated(server: &MockServer) {
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/api/iserver/auth/status");
            then.status(200)
                .json_body(json!({"authenticated": true, "competing": false, "connected": true}));
        })
        .await;
}

#[tokio::test]
async fn a_bracket_with_an_accepted_parent_and_a_rejected_child_reports_both() {
    let server = MockServer::start_async().await;
    authenticated(&server).await;
    // One answer, two items: the parent's acknowledgement (the recorded ack shape) and the
    // child's reject (the recorded `{"error": ...}` shape).
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/api/iserver/account/DU1234567/orders");
            then.status(200).json_body(json!([
                {"order_id": "1234567890", "order_status": "PreSubmitted", "encrypt_message": "1", "local_order_id": "parent-7"},
                {"error": "We cannot accept an order at the limit price you selected."}
            ]));
        })
        .await;
    let ibkr = client(&server);
    let parent = OrderTicket::buy(265598, Decimal::ONE)
        .limit(Decimal::from(150))
        .coid("parent-7");
    let bracket = OrderGroup::bracket(
        parent,
        OrderTicket::sell(265598, Decimal::ONE).limit(Decimal::from(1)),
        OrderTicket::sell(265598, Decimal::ONE).stop(Decimal::from(140)),
    );
    let outcome = ibkr.place(bracket, &AnswerPolicy::new()).await.unwrap();
    let OrderOutcome::PartlySubmitted {
        orders, rejected, ..
    } = &outcome
    else {
        panic!("a live parent is not a rejection: {outcome:?}")
    };
    assert_eq!(orders[0].order_id, "1234567890");
    assert_eq!(orders[0].client_order_id.as_deref(), Some("parent-7"));
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].contains("limit price"));
}

#[tokio::test]
async fn two_questions_in_one_answer_are_both_decided_and_answered() {
    let server = MockServer::start_async().await;
    authenticated(&server).await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/api/iserver/account/DU1234567/orders");
            then.status(200).json_body(json!([
                {"id": "reply-a", "message": ["You are submitting an order without market data."], "messageIds": ["o354"], "isSuppressed": false},
                {"id": "reply-b", "message": ["The following order exceeds the price percentage limit"], "messageIds": ["o163"], "isSuppressed": false}
            ]));
        })
        .await;
    let reply_a = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/api/iserver/reply/reply-a")
                .json_body(json!({"confirmed": true}));
            then.status(200)
                .json_body(json!([{"order_id": "111", "order_status": "Submitted"}]));
        })
        .await;
    let reply_b = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/api/iserver/reply/reply-b")
                .json_body(json!({"confirmed": true}));
            then.status(200).json_body(
                json!([{"id": "reply-c", "message": ["Size limit"], "messageIds": ["o383"]}]),
            );
        })
        .await;
    // The question that came back from the second reply is not covered: it is declined,
    // never lost and never confirmed.
    let reply_c = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/api/iserver/reply/reply-c")
                .json_body(json!({"confirmed": false}));
            then.status(200)
                .json_body(json!({"error": "Order not confirmed "}));
        })
        .await;
    let ibkr = client(&server);
    let policy = AnswerPolicy::new().yes("o354").yes("o163");
    let outcome = ibkr
        .place(OrderTicket::buy(265598, Decimal::ONE), &policy)
        .await
        .unwrap();
    assert_eq!(reply_a.calls_async().await, 1);
    assert_eq!(reply_b.calls_async().await, 1);
    assert_eq!(reply_c.calls_async().await, 1);
    let OrderOutcome::PartlySubmitted {
        orders, declined, ..
    } = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(orders[0].order_id, "111");
    assert_eq!(declined[0].message_ids, ["o383"]);
    assert_eq!(
        declined[0].reason,
        ibkr_ext::orders::DeclineReason::Unanswered,
        "not covered, so declined on the wire"
    );
}
