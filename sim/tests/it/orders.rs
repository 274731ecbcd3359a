//! Orders: questions and their rules, reply ids, discards, rejects, fills, modify, cancel, whatif.

use crate::common;

use crate::common::{Sim, assert_shape, fixture, sim};
use ibkr_sim::OrderOutcome;
use serde_json::{Value, json};

const AAPL: u64 = 265598;

fn limit(conid: u64, side: &str, qty: f64, price: f64) -> Value {
    json!({"conid": conid, "side": side, "orderType": "LMT", "price": price, "quantity": qty, "tif": "DAY"})
}

fn market(conid: u64, side: &str, qty: f64) -> Value {
    json!({"conid": conid, "side": side, "orderType": "MKT", "quantity": qty, "tif": "DAY", "cOID": "test-ref"})
}

fn message_ids(answer: &Value) -> Vec<String> {
    answer[0]["messageIds"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| m.as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn last(s: &Sim, conid: u64) -> f64 {
    let row = s.warm(conid).await.body[0].clone();
    row["31"].as_str().unwrap().parse().unwrap()
}

async fn answer_yes(s: &Sim, question: &Value) -> common::Answer {
    let id = question[0]["id"].as_str().expect("a question");
    s.post(&format!("/iserver/reply/{id}"), json!({"confirmed": true}))
        .await
}

#[tokio::test]
async fn o354_is_asked_when_no_snapshot_was_requested_for_the_conid() {
    let s = sim().await;
    let q = s.place(market(AAPL, "BUY", 1.0)).await;
    assert_eq!(q.status, 200);
    assert_eq!(message_ids(&q.body), ["o354"]);
    assert_eq!(q.body[0]["isSuppressed"], false);
    assert!(
        q.body[0]["message"][0]
            .as_str()
            .unwrap()
            .starts_with("You are submitting an order without market data.")
    );
    assert_shape(
        &q.body,
        &fixture("responses/placeOrder/doc_cpapi_v1_question.json"),
        &[],
    );
    let id = q.body[0]["id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "a uuid: {id}");
    // After a snapshot, no question.
    let s2 = sim().await;
    s2.warm(AAPL).await;
    let ack = s2.place(market(AAPL, "BUY", 1.0)).await;
    assert!(ack.body[0]["order_id"].is_string(), "{}", ack.body);
    assert_shape(
        &ack.body,
        &fixture("responses/placeOrder/doc_cpapi_v1.json"),
        &[],
    );
}

#[tokio::test]
async fn o163_is_asked_when_the_limit_is_more_than_3_percent_from_last() {
    let s = sim().await;
    let px = last(&s, AAPL).await;
    let near = s
        .place(limit(AAPL, "BUY", 1.0, (px * 0.99 * 100.0).round() / 100.0))
        .await;
    assert!(
        near.body[0]["order_id"].is_string(),
        "1 % away: no question: {}",
        near.body
    );
    let far_price = (px * 0.90 * 100.0).round() / 100.0;
    let far = s.place(limit(AAPL, "BUY", 5.0, far_price)).await;
    assert_eq!(message_ids(&far.body), ["o163"]);
    let text = far.body[0]["message"][0].as_str().unwrap();
    assert!(
        text.contains(&format!("\"BUY 5 AAPL NASDAQ.NMS @ {far_price:?}\"")),
        "{text}"
    );
    assert!(text.contains("price exceeds \nthe Percentage constraint of 3%."));
}

#[tokio::test]
async fn o383_and_o451_are_asked_for_size_and_value() {
    let s = sim().await;
    s.warm(4391).await;
    let big = s.place(market(4391, "BUY", 6000.0)).await;
    assert_eq!(message_ids(&big.body), ["o383"]);
    assert!(
        big.body[0]["message"][0]
            .as_str()
            .unwrap()
            .contains("size exceeds the Size Limit of 5000.")
    );
    let next = answer_yes(&s, &big.body).await;
    assert_eq!(
        message_ids(&next.body),
        ["o451"],
        "questions come one after another"
    );
    assert!(
        next.body[0]["message"][0]
            .as_str()
            .unwrap()
            .contains("exceeds \nthe Total Value Limit of 100,000 USD.")
    );
    let done = answer_yes(&s, &next.body).await;
    assert!(done.body[0]["order_id"].is_string(), "{}", done.body);
    let record = s.gw.inspect().orders().pop().unwrap();
    assert_eq!(record.questions, ["o383", "o451"]);
    assert_eq!(record.outcome, OrderOutcome::Confirmed);
}

#[tokio::test]
async fn stop_orders_ask_o10331_and_several_questions_chain() {
    let s = sim().await;
    let order = json!({"conid": 8314, "side": "SELL", "orderType": "STP", "price": 1.0, "quantity": 1, "tif": "GTC"});
    let first = s.place(order).await;
    assert_eq!(message_ids(&first.body), ["o354"]);
    let second = answer_yes(&s, &first.body).await;
    assert_eq!(message_ids(&second.body), ["o163"]);
    let third = answer_yes(&s, &second.body).await;
    assert_eq!(message_ids(&third.body), ["o10331"]);
    let ack = answer_yes(&s, &third.body).await;
    assert_eq!(ack.body[0]["order_status"], "PreSubmitted");
}

#[tokio::test]
async fn suppressed_questions_are_not_asked_until_reset() {
    let s = sim().await;
    let sup = s
        .post(
            "/iserver/questions/suppress",
            json!({"messageIds": ["o354"]}),
        )
        .await;
    assert_eq!(sup.body, json!({"status": "submitted"}));
    let ack = s.place(market(AAPL, "BUY", 1.0)).await;
    assert!(ack.body[0]["order_id"].is_string(), "{}", ack.body);
    let reset = s.post_empty("/iserver/questions/suppress/reset").await;
    assert_eq!(reset.body, json!({"status": "submitted"}));
    let q = s.place(market(8314, "BUY", 1.0)).await;
    assert_eq!(message_ids(&q.body), ["o354"]);
}

#[tokio::test]
async fn reply_ids_are_single_use() {
    let s = sim().await;
    let q = s.place(market(AAPL, "BUY", 1.0)).await;
    let id = q.body[0]["id"].as_str().unwrap().to_string();
    let ok = s
        .post(&format!("/iserver/reply/{id}"), json!({"confirmed": true}))
        .await;
    assert!(ok.body[0]["order_id"].is_string());
    assert_shape(
        &ok.body,
        &fixture("responses/replyToOrderQuestion/doc_cpapi_v1.json"),
        &[],
    );
    let again = s
        .post(&format!("/iserver/reply/{id}"), json!({"confirmed": true}))
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(
        again.body,
        json!({"error": format!("reply id not found: '{id}'")})
    );
    assert_shape(
        &again.body,
        &fixture("errors/400_reply_id_not_found.json"),
        &[],
    );
    let replies = s.gw.inspect().replies();
    assert_eq!(replies.len(), 2);
    assert!(replies[0].accepted && !replies[1].accepted);
}

#[tokio::test]
async fn any_other_request_in_between_invalidates_the_reply_id() {
    let s = sim().await;
    let q = s.place(market(AAPL, "BUY", 1.0)).await;
    let id = q.body[0]["id"].as_str().unwrap().to_string();
    s.get("/iserver/accounts").await;
    let late = s
        .post(&format!("/iserver/reply/{id}"), json!({"confirmed": true}))
        .await;
    assert_eq!(late.status, 400);
    let record = s.gw.inspect().orders().pop().unwrap();
    assert_eq!(record.outcome, OrderOutcome::Invalidated);
    assert_eq!(
        s.gw.inspect().position("DU1234567", AAPL),
        30.0,
        "nothing was bought"
    );
}

#[tokio::test]
async fn confirmed_false_discards_the_order() {
    let s = sim().await;
    let q = s.place(market(AAPL, "BUY", 1.0)).await;
    let id = q.body[0]["id"].as_str().unwrap().to_string();
    let no = s
        .post(&format!("/iserver/reply/{id}"), json!({"confirmed": false}))
        .await;
    assert_eq!(no.status, 200);
    assert_eq!(
        no.body,
        fixture("responses/replyToOrderQuestion/spec_error.json")
    );
    assert_eq!(s.gw.inspect().orders()[0].outcome, OrderOutcome::Discarded);
    let live = s.get("/iserver/account/orders").await;
    assert_eq!(live.body["orders"], json!([]));
}

#[tokio::test]
async fn invalid_orders_are_rejected_with_http_200() {
    let s = sim().await;
    let unknown = s.place(market(1, "BUY", 1.0)).await;
    assert_eq!(unknown.status, 200);
    assert!(unknown.body["error"].is_string());
    assert_shape(
        &unknown.body,
        &fixture("responses/placeOrder/doc_cpapi_v1_reject_200.json"),
        &[],
    );
    let zero = s.place(market(AAPL, "BUY", 0.0)).await;
    assert!(zero.body["error"].is_string());
    let px = last(&s, AAPL).await;
    let through = s.place(limit(AAPL, "BUY", 1.0, (px * 2.0).round())).await;
    assert!(
        through.body["error"]
            .as_str()
            .unwrap()
            .starts_with("We cannot accept an order at the limit price you selected.")
    );
    let rejected = s.gw.inspect().orders();
    assert!(
        rejected
            .iter()
            .all(|o| matches!(o.outcome, OrderOutcome::Rejected(_)))
    );
}

#[tokio::test]
async fn a_market_order_fills_at_last_and_updates_positions_ledger_and_trades() {
    let s = sim().await;
    let account = "DU1234567";
    let before_pos = s.gw.inspect().position(account, AAPL);
    let before_cash = s.gw.inspect().cash(account);
    let px = last(&s, AAPL).await;
    let ack = s.place(market(AAPL, "BUY", 10.0)).await;
    let order_id = ack.body[0]["order_id"].as_str().unwrap().to_string();
    assert_eq!(s.gw.inspect().position(account, AAPL), before_pos + 10.0);
    let spent = before_cash - s.gw.inspect().cash(account);
    assert!(
        (spent - (10.0 * px + 1.0)).abs() < 0.01,
        "spent {spent} at {px}"
    );

    let positions = s.get(&format!("/portfolio/{account}/positions/0")).await;
    let row = positions
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["conid"] == AAPL)
        .unwrap()
        .clone();
    assert_eq!(row["position"].as_f64(), Some(before_pos + 10.0));
    assert_shape(
        &positions.body,
        &fixture("responses/getPositions/doc_cpapi_v1.json"),
        &[],
    );
    let p2 = s.get(&format!("/portfolio2/{account}/positions")).await;
    assert!(
        p2.body
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["conid"] == "265598")
    );
    assert_shape(
        &p2.body,
        &fixture("responses/getPositionsUncached/spec_success.json"),
        &[],
    );

    let ledger = s.get(&format!("/portfolio/{account}/ledger")).await;
    let cash = ledger.body["USD"]["cashbalance"].as_f64().unwrap();
    assert!((cash - s.gw.inspect().cash(account)).abs() < 0.01);
    assert_shape(
        &ledger.body,
        &fixture("responses/getAccountLedger/doc_cpapi_v1.json"),
        &[],
    );

    let trades = s.get("/iserver/account/trades").await;
    let t = trades
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["order_id"] == order_id.parse::<u64>().unwrap())
        .unwrap_or_else(|| panic!("the new execution in {}", trades.body));
    assert_eq!(t["conid"], AAPL);
    assert_eq!(t["side"], "B");
    assert_eq!(t["size"].as_f64(), Some(10.0));
    assert_eq!(t["price"], format!("{px:.2}"));
    assert_shape(
        &trades.body,
        &fixture("responses/listTrades/doc_cpapi_v1.json"),
        &[],
    );

    let live = s.get("/iserver/account/orders").await;
    let o = &live.body["orders"][0];
    assert_eq!(o["status"], "Filled");
    assert_eq!(o["orderId"].to_string(), order_id);
    assert_shape(
        &live.body,
        &fixture("responses/getLiveOrders/doc_cpapi_v1.json"),
        &[],
    );
    let status = s
        .get(&format!("/iserver/account/order/status/{order_id}"))
        .await;
    assert_eq!(status.body["order_status"], "Filled");
    assert_shape(
        &status.body,
        &fixture("responses/getOrderStatus/doc_cpapi_v1.json"),
        &[],
    );
    assert_eq!(s.get("/iserver/account/order/status/1").await.status, 503);
}

#[tokio::test]
async fn summary_and_pnl_reflect_the_book() {
    let s = sim().await;
    let account = "DU1234567";
    let summary = s.get(&format!("/portfolio/{account}/summary")).await;
    assert_shape(
        &summary.body,
        &fixture("responses/getAccountSummary/spec_success.json"),
        &[],
    );
    let real_keys = fixture("responses/getAccountSummary/spec_success.json")
        .as_object()
        .unwrap()
        .len();
    assert_eq!(summary.body.as_object().unwrap().len(), real_keys);
    let cash = summary.body["totalcashvalue"]["amount"].as_f64().unwrap();
    assert!((cash - s.gw.inspect().cash(account)).abs() < 0.01);
    let first = s.get("/iserver/account/pnl/partitioned").await;
    assert_eq!(
        first.body,
        fixture("responses/getPartitionedPnl/spec_initial_empty.json")
    );
    let pnl = s.get("/iserver/account/pnl/partitioned").await;
    assert_shape(
        &pnl.body,
        &fixture("responses/getPartitionedPnl/doc_cpapi_v1.json"),
        &["upnl"],
    );
    assert!(pnl.body["upnl"]["DU1234567.Core"]["nl"].as_f64().unwrap() > 900_000.0);
    let iserver = s.get(&format!("/iserver/account/{account}/summary")).await;
    assert!(iserver.body["netLiquidationValue"].as_f64().unwrap() > 900_000.0);
}

#[tokio::test]
async fn a_limit_order_rests_until_marketable_then_fills() {
    let s = sim().await;
    let px = last(&s, 8314).await;
    let price = ((px * 0.98) * 100.0).round() / 100.0;
    let ack = s.place(limit(8314, "BUY", 3.0, price)).await;
    assert_eq!(ack.body[0]["order_status"], "Submitted");
    let id = ack.body[0]["order_id"].as_str().unwrap().to_string();
    let live = s.get("/iserver/account/orders?filters=Submitted").await;
    assert_eq!(live.body["orders"].as_array().unwrap().len(), 1);
    assert_eq!(live.body["orders"][0]["price"], format!("{price:.2}"));
    s.gw.control().set_last_price(8314, price - 0.5);
    let status = s.get(&format!("/iserver/account/order/status/{id}")).await;
    assert_eq!(status.body["order_status"], "Filled");
    assert_eq!(s.gw.inspect().position("DU1234567", 8314), 13.0);
}

#[tokio::test]
async fn modify_and_cancel_a_resting_order() {
    let s = sim().await;
    let px = last(&s, AAPL).await;
    let ack = s
        .place(limit(
            AAPL,
            "BUY",
            2.0,
            ((px * 0.98) * 100.0).round() / 100.0,
        ))
        .await;
    let id = ack.body[0]["order_id"].as_str().unwrap().to_string();
    let new_price = ((px * 0.975) * 100.0).round() / 100.0;
    let modified = s
        .post(
            &format!("/iserver/account/DU1234567/order/{id}"),
            json!({"conid": AAPL, "side": "BUY", "orderType": "LMT", "price": new_price, "quantity": 4, "tif": "DAY"}),
        )
        .await;
    assert_eq!(modified.body[0]["order_id"], id.as_str());
    assert_shape(
        &modified.body,
        &fixture("responses/modifyOrder/doc_cpapi_v1.json"),
        &[],
    );
    let status = s.get(&format!("/iserver/account/order/status/{id}")).await;
    assert_eq!(status.body["total_size"], "4.0");
    assert_eq!(status.body["limit_price"], format!("{new_price:.2}"));

    let cancel = s
        .delete(&format!("/iserver/account/DU1234567/order/{id}"))
        .await;
    assert_eq!(cancel.body["msg"], "Request was submitted");
    assert_shape(
        &cancel.body,
        &fixture("responses/cancelOrder/doc_cpapi_v1.json"),
        &[],
    );
    let status = s.get(&format!("/iserver/account/order/status/{id}")).await;
    assert_eq!(status.body["order_status"], "Cancelled");
    let again = s
        .delete(&format!("/iserver/account/DU1234567/order/{id}"))
        .await;
    assert_eq!(
        again.body,
        json!({"error": format!("OrderID {id} doesn't exist")})
    );
    let gone = s
        .post(
            &format!("/iserver/account/DU1234567/order/{id}"),
            json!({"quantity": 1}),
        )
        .await;
    assert!(
        gone.body["error"]
            .as_str()
            .unwrap()
            .contains("doesn't exist")
    );
}

#[tokio::test]
async fn modifying_a_stop_order_asks_o0() {
    let s = sim().await;
    s.warm(AAPL).await;
    let px = last(&s, AAPL).await;
    let stop = ((px * 0.99) * 100.0).round() / 100.0;
    let q = s
        .place(json!({"conid": AAPL, "side": "SELL", "orderType": "STP", "price": stop, "quantity": 1, "tif": "GTC"}))
        .await;
    let ack = answer_yes(&s, &q.body).await;
    let id = ack.body[0]["order_id"].as_str().unwrap().to_string();
    let m = s
        .post(
            &format!("/iserver/account/DU1234567/order/{id}"),
            json!({"conid": AAPL, "side": "SELL", "orderType": "STP", "price": stop - 0.5, "quantity": 1, "tif": "GTC"}),
        )
        .await;
    assert_eq!(message_ids(&m.body), ["o0"]);
    let done = answer_yes(&s, &m.body).await;
    assert_eq!(done.body[0]["order_id"], id.as_str());
    let modification = s.gw.inspect().orders().pop().unwrap();
    assert!(modification.modification);
    assert_eq!(modification.outcome, OrderOutcome::Confirmed);
}

#[tokio::test]
async fn whatif_previews_without_placing() {
    let s = sim().await;
    let w = s
        .post(
            "/iserver/account/DU1234567/orders/whatif",
            json!({"orders": [market(AAPL, "BUY", 10.0)]}),
        )
        .await;
    assert_shape(
        &w.body,
        &fixture("responses/previewOrder/doc_cpapi_v1.json"),
        &[],
    );
    assert_eq!(w.body["position"]["change"], "10");
    assert!(
        w.body["warn"].as_str().unwrap().starts_with("21/"),
        "no market data yet"
    );
    assert!(
        w.body["amount"]["amount"]
            .as_str()
            .unwrap()
            .ends_with("USD (10 Shares)")
    );
    assert_eq!(
        s.gw.inspect().position("DU1234567", AAPL),
        30.0,
        "nothing placed"
    );
    s.warm(AAPL).await;
    let w2 = s
        .post(
            "/iserver/account/DU1234567/orders/whatif",
            json!({"orders": [market(AAPL, "BUY", 10.0)]}),
        )
        .await;
    assert!(w2.body["warn"].is_null());
}

#[tokio::test]
async fn accounts_list_the_configured_accounts() {
    let s = common::sim_with(
        ibkr_sim::Gateway::builder()
            .plain_http()
            .brokerage_session(true)
            .limits(ibkr_sim::Limits::unlimited())
            .account("DU7654321")
            .extra_account("DU1111111"),
    )
    .await;
    let a = s.get("/iserver/accounts").await;
    assert_eq!(a.body["accounts"], json!(["DU7654321", "DU1111111"]));
    assert_eq!(a.body["selectedAccount"], "DU7654321");
    assert_eq!(a.body["isPaper"], true);
    assert_shape(
        &a.body,
        &fixture("responses/getAccounts/doc_cpapi_v1.json"),
        &["acctProps", "aliases", "chartPeriods"],
    );
    let p = s.get("/portfolio/accounts").await;
    assert_eq!(p.body.as_array().unwrap().len(), 2);
    assert_shape(
        &p.body,
        &fixture("responses/listPortfolioAccounts/spec_accounts.json"),
        &[],
    );
    let sub = s.get("/portfolio/subaccounts").await;
    assert_shape(
        &sub.body,
        &fixture("responses/listSubaccounts/spec_subAccounts.json"),
        &[],
    );
}
