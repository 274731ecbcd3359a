//! Workflow tests against the simulated gateway (`ibkr-sim`), not hand-stubbed responses:
//! conid resolution, every order question type, declining, unknown questions, the reply
//! loop under concurrent traffic, a 429 storm during history, a session drop mid-batch,
//! and snapshots past the pre-flight.

use std::time::Duration;

use futures::StreamExt;
use ibkr_ext::orders::{DeclineReason, DeclinedQuestion, OrderType, questions};
use ibkr_ext::prelude::*;
use ibkr_ext::snapshot::Field as F;
use ibkr_sim::{Gateway, Limits, RunningGateway};
use rust_decimal::Decimal;

const ACCOUNT: &str = "DU1234567";

async fn sim(limits: Limits) -> RunningGateway {
    Gateway::builder()
        .seed(7)
        .account(ACCOUNT)
        .limits(limits)
        .start()
        .await
        .expect("simulator starts")
}

fn client(gw: &RunningGateway) -> Ibkr {
    Ibkr::builder()
        .base_url(gw.base_url())
        .account_id(ACCOUNT)
        .without_pacing()
        .without_keepalive()
        .build()
        .unwrap()
}

fn qty(n: i64) -> Decimal {
    Decimal::from(n)
}

#[tokio::test]
async fn stock_queries_resolve_over_https_with_one_request_per_batch() {
    let gw = sim(Limits::unlimited()).await;
    let ibkr = client(&gw);
    let conids = ibkr
        .resolve_conids(&[
            StockQuery::new("AAPL"),
            StockQuery::new("MSFT"),
            StockQuery::new("AAPL")
                .name_match("APPLE")
                .is_us(false)
                .exchange("AEQLIT"),
        ])
        .await;
    // Two queries for AAPL land in one map key; resolve_each keeps them apart.
    assert!(conids.is_ok(), "{conids:?}");
    let each = ibkr
        .resolve_each(&[
            StockQuery::new("AAPL"),
            StockQuery::new("AAPL")
                .name_match("APPLE")
                .is_us(false)
                .exchange("AEQLIT"),
            StockQuery::new("ACME"),
            StockQuery::new("NOSUCH"),
        ])
        .await
        .unwrap();
    assert_eq!(*each[0].1.as_ref().unwrap(), Conid(265598));
    assert_eq!(*each[1].1.as_ref().unwrap(), Conid(532640894));
    let ambiguous = each[2].1.as_ref().unwrap_err().to_string();
    assert!(
        ambiguous.starts_with("ACME:") && ambiguous.contains("candidates"),
        "{ambiguous}"
    );
    assert!(matches!(each[3].1, Err(Error::Resolve { .. })));
    // One /trsrv/stocks request for the first batch, one for the second (cached AAPL
    // queries are not asked again).
    assert_eq!(gw.inspect().count("GET", "/trsrv/stocks"), 2);
}

#[tokio::test]
async fn each_question_type_is_confirmed_only_when_the_policy_says_yes() {
    let gw = sim(Limits::unlimited()).await;
    let ibkr = client(&gw);
    let aapl = Conid(265598);
    // No market data yet: o354 first. Then a limit far from last: o163. Then a big size: o383.
    let ticket = OrderTicket::buy(aapl, qty(6000)).limit(Decimal::from(100));
    let policy = AnswerPolicy::new()
        .yes(questions::NO_MARKET_DATA)
        .yes(questions::PRICE_CONSTRAINT)
        .yes(questions::SIZE_LIMIT)
        .yes(questions::VALUE_LIMIT);
    let outcome = ibkr.place(ticket, &policy).await.unwrap();
    let OrderOutcome::Submitted { order_id, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    let confirmed = gw.inspect().confirmed_orders();
    assert_eq!(confirmed.len(), 1);
    assert_eq!(confirmed[0].order_id.as_deref(), Some(order_id.as_str()));
    for asked in ["o354", "o163", "o383"] {
        assert!(
            confirmed[0].questions.iter().any(|q| q == asked),
            "{asked} in {:?}",
            confirmed[0].questions
        );
    }
    // A stop order asks o10331.
    let stop = OrderTicket::sell(aapl, qty(1)).stop(Decimal::from(150));
    let outcome = ibkr
        .place(
            stop,
            &AnswerPolicy::new()
                .yes(questions::NO_MARKET_DATA)
                .yes(questions::STOP_ORDER_RISK)
                .yes(questions::PRICE_CONSTRAINT),
        )
        .await
        .unwrap();
    assert!(
        matches!(outcome, OrderOutcome::Submitted { .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_no_declines_on_the_wire_and_the_order_is_discarded() {
    let gw = sim(Limits::unlimited()).await;
    let ibkr = client(&gw);
    let outcome = ibkr
        .place(
            OrderTicket::buy(265598, qty(1)),
            &AnswerPolicy::new().no(questions::NO_MARKET_DATA),
        )
        .await
        .unwrap();
    let OrderOutcome::Declined(DeclinedQuestion {
        message_ids,
        reason: DeclineReason::AnsweredNo,
        ..
    }) = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(message_ids, ["o354"]);
    let replies = gw.inspect().replies();
    assert_eq!(replies.len(), 1);
    assert!(!replies[0].confirmed, "confirmed:false was sent");
    assert!(gw.inspect().confirmed_orders().is_empty());
}

#[tokio::test]
async fn an_unknown_question_is_declined_never_silently_confirmed() {
    let gw = sim(Limits::unlimited()).await;
    let ibkr = client(&gw);
    let outcome = ibkr
        .place(OrderTicket::buy(265598, qty(1)), &AnswerPolicy::new())
        .await
        .unwrap();
    // Not an error: "not placed" has one shape, and this one says nobody answered.
    let OrderOutcome::Declined(DeclinedQuestion {
        message_ids,
        text,
        reason: DeclineReason::Unanswered,
    }) = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(message_ids, &["o354"]);
    assert!(text.to_lowercase().contains("market data"), "{text}");
    assert!(gw.inspect().replies().iter().all(|r| !r.confirmed));
    assert!(gw.inspect().confirmed_orders().is_empty());
}

#[tokio::test]
async fn concurrent_requests_never_invalidate_a_pending_reply() {
    let gw = sim(Limits::unlimited()).await;
    gw.control().set_latency(Duration::from_millis(5));
    let ibkr = client(&gw);
    let policy = AnswerPolicy::new()
        .yes(questions::NO_MARKET_DATA)
        .yes(questions::PRICE_CONSTRAINT)
        .yes(questions::SIZE_LIMIT)
        .yes(questions::VALUE_LIMIT);
    // Background traffic from other clones: tickles and account reads, continuously.
    let noise: Vec<_> = (0..4)
        .map(|_| {
            let ibkr = ibkr.clone();
            tokio::spawn(async move {
                for _ in 0..30 {
                    let _ = ibkr.tickle().await;
                    let _ = ibkr.api().get_accounts().await;
                }
            })
        })
        .collect();
    let orders: Vec<_> = (0..3)
        .map(|i| {
            let (ibkr, policy) = (ibkr.clone(), policy.clone());
            tokio::spawn(async move {
                ibkr.place(
                    OrderTicket::buy(265598, qty(6000 + i)).limit(Decimal::from(100)),
                    &policy,
                )
                .await
            })
        })
        .collect();
    for o in orders {
        let outcome = o.await.unwrap().unwrap();
        assert!(
            matches!(outcome, OrderOutcome::Submitted { .. }),
            "{outcome:?}"
        );
    }
    for n in noise {
        n.await.unwrap();
    }
    let records = gw.inspect().orders();
    assert!(
        records
            .iter()
            .all(|o| o.outcome != ibkr_sim::OrderOutcome::Invalidated),
        "{records:?}"
    );
    assert_eq!(gw.inspect().confirmed_orders().len(), 3);
}

#[tokio::test]
async fn a_reject_is_an_error_with_ibkrs_reason() {
    let gw = sim(Limits::unlimited()).await;
    let ibkr = client(&gw);
    let err = ibkr
        .place(OrderTicket::buy(999_999_999, qty(1)), &AnswerPolicy::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OrderRejected {
                operation: "placeOrder",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn market_orders_fill_and_show_in_positions() {
    let gw = sim(Limits::unlimited()).await;
    let ibkr = client(&gw);
    ibkr.snapshot(&[Conid(756733)], &[F::LastPrice])
        .await
        .unwrap();
    let before = gw.inspect().position(ACCOUNT, 756733);
    let outcome = ibkr
        .place(
            OrderTicket::buy(756733, qty(3)).order_type(OrderType::Market),
            &AnswerPolicy::new(),
        )
        .await
        .unwrap();
    assert!(
        matches!(outcome, OrderOutcome::Submitted { .. }),
        "{outcome:?}"
    );
    assert_eq!(gw.inspect().position(ACCOUNT, 756733) - before, 3.0);
}

#[tokio::test]
async fn snapshots_poll_past_the_preflight() {
    let gw = sim(Limits::unlimited()).await;
    let ibkr = client(&gw);
    let quotes = ibkr
        .snapshot(
            &[Conid(265598), Conid(272093)],
            &[F::LastPrice, F::Bid, F::Ask, F::Volume, F::Availability],
        )
        .await
        .unwrap();
    assert_eq!(quotes.len(), 2);
    for q in &quotes {
        assert!(q.last().is_some_and(|p| p > 0.0), "{q:?}");
        assert!(
            q.number(F::Bid).unwrap() <= q.number(F::Ask).unwrap(),
            "{q:?}"
        );
        assert!(q.number(F::Volume).is_some());
        assert!(q.availability.is_some());
    }
    assert!(gw.inspect().count("GET", "/iserver/marketdata/snapshot") >= 2);
}

#[tokio::test]
async fn history_for_many_symbols_streams_every_result() {
    let gw = sim(Limits::unlimited()).await;
    let ibkr = client(&gw);
    let results: Vec<_> = ibkr
        .history_many(
            ["AAPL", "MSFT", "SPY", "NOSUCH"],
            Period::Years(1),
            BarSize::Day1,
        )
        .collect()
        .await;
    assert_eq!(results.len(), 4);
    for (item, r) in &results {
        match item.to_string().as_str() {
            "NOSUCH" => assert!(r.is_err()),
            _ => {
                let bars = r.as_ref().unwrap();
                assert!(bars.bars.len() >= 240, "{item}: {} bars", bars.bars.len());
                assert!(bars.bars.windows(2).all(|w| w[0].time < w[1].time));
                assert!(bars.bars.iter().all(|b| b.low <= b.high && b.volume >= 0.0));
            }
        }
    }
}

#[tokio::test]
async fn a_429_storm_during_history_backs_off_without_failing_the_batch() {
    // The simulator allows 2 concurrent history requests; the client sends up to 5.
    let limits = Limits {
        history_concurrency: Some(2),
        ..Limits::unlimited()
    };
    let gw = sim(limits).await;
    gw.control().set_latency(Duration::from_millis(20));
    let ibkr = client(&gw);
    let options = ibkr_ext::history::HistoryOptions::default();
    let conids = [
        265598i64, 272093, 756733, 136155102, 8314, 76792991, 4815747, 320227571,
    ];
    let results: Vec<_> = ibkr
        .history_many_with(conids, Period::Months(3), BarSize::Day1, options)
        .collect()
        .await;
    assert_eq!(results.len(), conids.len());
    for (item, r) in &results {
        assert!(r.is_ok(), "{item}: {r:?}");
    }
    assert!(gw.inspect().throttled() > 0, "the storm happened");
}

#[tokio::test]
async fn a_session_drop_mid_batch_fails_the_rest_cleanly() {
    let gw = sim(Limits::unlimited()).await;
    gw.control().set_latency(Duration::from_millis(10));
    let ibkr = client(&gw);
    let options = ibkr_ext::history::HistoryOptions {
        max_in_flight: 1,
        ..Default::default()
    };
    let conids = [265598i64, 272093, 756733, 136155102, 8314, 76792991];
    let mut stream = ibkr.history_many_with(conids, Period::Months(1), BarSize::Day1, options);
    let mut results = Vec::new();
    while let Some((item, r)) = stream.next().await {
        results.push((item, r));
        if results.len() == 2 {
            gw.control().drop_session();
        }
    }
    assert_eq!(results.len(), conids.len(), "the stream completes");
    assert!(results[..2].iter().all(|(_, r)| r.is_ok()));
    let failed: Vec<_> = results[2..].iter().filter(|(_, r)| r.is_err()).collect();
    assert!(!failed.is_empty());
    for (_, r) in failed {
        assert!(matches!(r, Err(Error::NotAuthenticated { .. })), "{r:?}");
    }
    assert!(!ibkr.session().borrow().logged_in);
}

#[tokio::test]
async fn no_bridge_is_recovered_by_opening_the_brokerage_session() {
    let gw = Gateway::builder()
        .account(ACCOUNT)
        .brokerage_session(false)
        .limits(Limits::unlimited())
        .plain_http()
        .start()
        .await
        .unwrap();
    let ibkr = client(&gw);
    let accounts = ibkr.api().get_accounts().await.unwrap();
    assert!(accounts.accounts.iter().any(|a| a == ACCOUNT));
    assert_eq!(gw.inspect().count("POST", "/iserver/auth/ssodh/init"), 1);
}

/// An order id or account id is one path segment, whatever it holds: `cancel` either sends
/// `DELETE /iserver/account/{account}/order/{id}` with the id percent-encoded, or refuses
/// before sending; it never reaches `/logout` or any other path (the simulator's journal).
#[tokio::test]
async fn ids_cannot_redirect_a_call_to_another_path() {
    let gw = sim(Limits::unlimited()).await;
    let ibkr = client(&gw);
    ibkr.ensure_brokerage_session().await.expect("session");
    gw.inspect().clear();
    // Sent, as one segment of the cancel path.
    for id in [
        "1/../../logout",
        "1?x=/logout",
        "1#/logout",
        "%2e%2e",
        "1 2",
    ] {
        let _ = ibkr.cancel(id).await;
    }
    // Refused before sending: dot segments and backslashes (which URLs read as `/`).
    for id in ["..", ".", "1\\..\\..\\logout", "\\logout"] {
        let err = ibkr.cancel(id).await.expect_err(id);
        assert!(
            matches!(err, Error::InvalidRequest { .. }),
            "{id:?}: {err:?}"
        );
    }
    let err = ibkr
        .with_account("..")
        .cancel("1")
        .await
        .expect_err("a dot-segment account id");
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    let sent = gw.inspect().requests();
    assert_eq!(sent.len(), 5, "{sent:?}");
    for r in &sent {
        assert_eq!(r.method, "DELETE", "{r:?}");
        let id = r
            .path
            .strip_prefix(&format!("/iserver/account/{ACCOUNT}/order/"))
            .unwrap_or_else(|| panic!("{r:?}"));
        assert!(!id.contains('/') && !id.contains('\\'), "{r:?}");
    }
    assert!(ibkr.tickle().await.expect("tickle").logged_in);
}

/// `exclusive` holds the session's lane for its closure; a request through the outer handle
/// would wait for that lane forever. Each way of doing so answers at once with an error
/// that names the fix, and the closure goes on through `lane`.
#[tokio::test]
async fn the_outer_handle_inside_exclusive_fails_fast_naming_the_lane() {
    let gw = sim(Limits::unlimited()).await;
    let ibkr = client(&gw);
    ibkr.ensure_brokerage_session().await.expect("session");
    gw.inspect().clear();
    let outer = ibkr.clone();
    let stray = |err: &Error| {
        matches!(
            err,
            Error::OutsideExclusiveLane {
                closure_stopped: false,
                ..
            }
        ) && err.to_string().contains("the handle the closure is given")
    };
    let within = tokio::time::timeout(
        Duration::from_secs(1),
        ibkr.exclusive(|lane| async move {
            let tickle = outer.tickle().await.unwrap_err();
            assert!(stray(&tickle), "{tickle:?}");
            let orders = outer.live_orders().await.unwrap_err();
            assert!(stray(&orders), "{orders:?}");
            let session = outer.ensure_brokerage_session().await.unwrap_err();
            assert!(stray(&session), "{session:?}");
            let nested = outer.exclusive(|_| async { Ok(()) }).await.unwrap_err();
            assert!(stray(&nested), "{nested:?}");
            // A call of the outer handle's `api()`: its runner and wire are the outer ones.
            let call = outer.api().get_accounts().await.unwrap_err();
            assert!(stray(&call), "{call:?}");
            // The lane itself works, and so does a nested exclusive through it.
            lane.tickle().await?;
            lane.exclusive(|inner| async move { inner.tickle().await })
                .await
        }),
    )
    .await
    .expect("answered within a second, not deadlocked");
    assert!(within.expect("the lane's own requests succeed").logged_in);
    // The stray requests never left: only the lane's two tickles reached the gateway.
    assert_eq!(gw.inspect().count("POST", "/tickle"), 2);
    assert_eq!(
        gw.inspect().requests().len(),
        2,
        "{:?}",
        gw.inspect().requests()
    );
    // The lane is released once the closure ends.
    assert!(ibkr.tickle().await.expect("tickle after").logged_in);
}

/// A raw call sent directly (`ibkr.raw().x().send()`) on the outer client has no error to
/// return the closure: the closure is stopped there, and `exclusive` says why.
#[tokio::test]
async fn a_raw_call_on_the_outer_client_stops_the_exclusive_closure() {
    let gw = sim(Limits::unlimited()).await;
    let ibkr = client(&gw);
    let outer = ibkr.clone();
    let err = tokio::time::timeout(
        Duration::from_secs(1),
        ibkr.exclusive(|_lane| async move {
            let _ = outer.raw().get_accounts().send().await;
            Ok(())
        }),
    )
    .await
    .expect("answered within a second, not deadlocked")
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutsideExclusiveLane {
                closure_stopped: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("the handle the closure is given"),
        "{err}"
    );
    assert_eq!(gw.inspect().count("GET", "/iserver/accounts"), 0);
    assert!(
        ibkr.tickle()
            .await
            .expect("the lane is free again")
            .logged_in
    );
}

/// `ibkr.account(id)` scopes orders and the portfolio to that account, whatever the
/// default account is: each request names it, its live orders are its own, and the
/// default-account shortcuts on `Ibkr` still act on the default one.
#[tokio::test]
async fn account_handlers_act_on_their_account_not_the_default_one() {
    const OTHER: &str = "DU7654321";
    let gw = Gateway::builder()
        .seed(7)
        .account(ACCOUNT)
        .extra_account(OTHER)
        .limits(Limits::unlimited())
        .start()
        .await
        .expect("simulator starts");
    let ibkr = client(&gw);
    ibkr.ensure_brokerage_session().await.expect("session");
    let aapl = ibkr
        .resolve_conid(StockQuery::new("AAPL"))
        .await
        .expect("AAPL");
    let other = ibkr.account(OTHER);
    assert_eq!(other.id(), OTHER);
    let ticket = OrderTicket::buy(aapl, qty(1))
        .limit(qty(1))
        .coid("handler-1");
    let policy = AnswerPolicy::new()
        .yes(questions::PRICE_CONSTRAINT)
        .yes(questions::NO_MARKET_DATA);
    let outcome = other.orders().place(ticket, &policy).await.expect("placed");
    let order_id = outcome
        .live_orders()
        .first()
        .unwrap_or_else(|| panic!("not placed: {outcome:?}"))
        .order_id
        .clone();
    let sent = gw.inspect().requests();
    assert!(
        sent.iter()
            .any(|r| r.method == "POST" && r.path == format!("/iserver/account/{OTHER}/orders")),
        "{sent:?}"
    );
    let mine = other.orders().live().await.expect("live orders");
    assert!(mine.iter().any(|o| o.order_id == order_id), "{mine:?}");
    assert!(
        mine.iter()
            .all(|o| o.account.as_deref().is_none_or(|a| a == OTHER)),
        "{mine:?}"
    );
    let found = other.orders().find("handler-1").await.expect("find");
    assert_eq!(found.map(|o| o.order_id), Some(order_id.clone()));
    let default_live = ibkr.account(ACCOUNT).orders().live().await.expect("live");
    assert!(
        default_live.iter().all(|o| o.order_id != order_id),
        "{default_live:?}"
    );
    other.orders().cancel(&order_id).await.expect("cancel");
    let _ = other.positions().await.expect("positions");
    let sent = gw.inspect().requests();
    assert!(
        sent.iter().any(|r| r.method == "DELETE"
            && r.path == format!("/iserver/account/{OTHER}/order/{order_id}")),
        "{sent:?}"
    );
    assert!(
        sent.iter().any(|r| r
            .path
            .starts_with(&format!("/portfolio/{OTHER}/positions/"))),
        "{sent:?}"
    );
    // The shortcut on `Ibkr` still names the default account.
    let _ = ibkr.positions().await.expect("positions");
    let sent = gw.inspect().requests();
    assert!(
        sent.iter().any(|r| r
            .path
            .starts_with(&format!("/portfolio/{ACCOUNT}/positions/"))),
        "{sent:?}"
    );
}
