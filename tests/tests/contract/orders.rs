//! Orders: placing, answering, modifying, cancelling and reading orders.
//!
//! placeOrder, modifyOrder and replyToOrderQuestion share one answer type, `OrderAnswer`,
//! which the SDK's reply loop matches on: `Replies` (an array of acknowledgements or of
//! questions) or `Notice` (an object: an order reject sent with HTTP 200, or a server prompt).
//! Every recorded answer of the three must land in the right variant with the fields that
//! identify it.

use ibkr_contract_tests::{Answer, contract, from_json, strings};
use ibkr_gen::trading::types::{
    LooseId, LooseScalar, OrderAnswer, OrdersSubmissionRequest, ReplyToOrderQuestionBody,
    SingleOrderSubmissionRequest,
};
use serde_json::{Value, json};

/// A limit order to buy 5 AAPL at 150, as a user writes it.
fn limit_buy_aapl() -> Value {
    json!({
        "acctId": "U1234567",
        "conid": 265598,
        "cOID": "ibkr-rs-0001",
        "orderType": "LMT",
        "price": 150.0,
        "quantity": 5.0,
        "side": "BUY",
        "tif": "DAY"
    })
}

/// The recorded answer's shape decides the variant, and the variant keeps what identifies it:
/// a question's id, text and message ids; an acknowledgement's order id and status; a
/// reject's error text; a prompt's message id and options.
fn assert_order_answer(a: &Answer<OrderAnswer>) {
    let at = &a.fixture;
    match (&a.raw, &a.value) {
        (Value::Array(items), OrderAnswer::Replies(replies)) => {
            assert_eq!(items.len(), replies.0.len(), "{at}");
            for (raw, reply) in items.iter().zip(&replies.0) {
                if raw.get("id").is_some() {
                    assert_eq!(reply.id.as_deref(), raw["id"].as_str(), "{at}: question id");
                    assert_eq!(
                        reply.message,
                        strings(&raw["message"]),
                        "{at}: question text"
                    );
                    assert_eq!(reply.message_ids, strings(&raw["messageIds"]), "{at}");
                    assert_eq!(reply.order_id, None, "{at}: a question is not an ack");
                } else {
                    assert_eq!(reply.order_id.as_deref(), raw["order_id"].as_str(), "{at}");
                    assert_eq!(reply.order_status.as_deref(), raw["order_status"].as_str());
                    assert_eq!(reply.id, None, "{at}: an ack is not a question");
                }
            }
        }
        (Value::Object(raw), OrderAnswer::Notice(notice)) => {
            if let Some(error) = raw.get("error") {
                assert_eq!(notice.error.as_deref(), error.as_str(), "{at}: reject text");
                assert_eq!(notice.message_id, None, "{at}: a reject is not a prompt");
            } else {
                assert_eq!(
                    notice.message_id.as_deref(),
                    raw["messageId"].as_str(),
                    "{at}"
                );
                assert_eq!(notice.prompt, Some(true), "{at}: a server prompt");
                assert_eq!(
                    notice.options,
                    strings(&raw["options"]),
                    "{at}: prompt options"
                );
                assert_eq!(notice.error, None, "{at}: a prompt is not a reject");
            }
        }
        (raw, value) => panic!("{at}: {raw} decoded as {value:?}"),
    }
}

fn answer<'a>(answers: &'a [Answer<OrderAnswer>], fixture: &str) -> &'a OrderAnswer {
    &answers
        .iter()
        .find(|a| a.fixture == fixture)
        .unwrap_or_else(|| panic!("no answer {fixture}"))
        .value
}

#[tokio::test]
async fn place_order_posts_the_ticket_and_tells_acks_questions_rejects_and_prompts_apart() {
    let ticket = json!({ "orders": [limit_buy_aapl()] });
    let answers = contract("placeOrder")
        .request("/iserver/account/U1234567/orders")
        .json(ticket.clone())
        .answers(|c| {
            let ticket = from_json::<OrdersSubmissionRequest>(ticket.clone());
            async move {
                c.trading
                    .place_order()
                    .account_id("U1234567")
                    .body(ticket)
                    .send()
                    .await
            }
        })
        .await;
    answers.iter().for_each(assert_order_answer);

    let OrderAnswer::Replies(acks) = answer(&answers, "doc_cpapi_v1.json") else {
        panic!("an ack")
    };
    assert_eq!(acks.0[0].order_id.as_deref(), Some("1234567890"));
    assert_eq!(acks.0[0].order_status.as_deref(), Some("Submitted"));
    let OrderAnswer::Replies(q) = answer(&answers, "doc_cpapi_v1_question.json") else {
        panic!("a question")
    };
    assert_eq!(
        q.0[0].id.as_deref(),
        Some("07a13a5a-4a48-44a5-bb25-5ab37b79186c")
    );
    assert_eq!(q.0[0].message_ids, ["o163"]);
    let OrderAnswer::Notice(reject) = answer(&answers, "doc_cpapi_v1_reject_200.json") else {
        panic!("a reject")
    };
    assert!(
        reject
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("We cannot accept an order"))
    );
    let OrderAnswer::Notice(p) = answer(&answers, "spec_prompt_p12.json") else {
        panic!("a prompt")
    };
    assert_eq!(
        (p.message_id.as_deref(), p.order_id),
        (Some("p12"), Some(123456789))
    );
    assert_eq!(p.options, ["Use on this order", "Always use", "Do not use"]);
}

#[tokio::test]
async fn reply_confirms_a_question_by_its_id_and_reads_the_same_answer_shapes() {
    let answers = contract("replyToOrderQuestion")
        .request("/iserver/reply/99097238-9824-4830-84ef-46979aa22593")
        .json(json!({"confirmed": true}))
        .answers(|c| async move {
            c.trading
                .reply_to_order_question()
                .reply_id("99097238-9824-4830-84ef-46979aa22593")
                .body(from_json::<ReplyToOrderQuestionBody>(
                    json!({"confirmed": true}),
                ))
                .send()
                .await
        })
        .await;
    answers.iter().for_each(assert_order_answer);
    let OrderAnswer::Notice(stale) = answer(&answers, "spec_reply_not_found.json") else {
        panic!("a stale reply id is an error object")
    };
    assert!(
        stale
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("reply id not found"))
    );
    let OrderAnswer::Replies(ack) = answer(&answers, "spec_success.json") else {
        panic!("an ack")
    };
    assert_eq!(ack.0[0].order_id.as_deref(), Some("1370093239"));
}

#[tokio::test]
async fn modify_order_posts_the_whole_changed_order_and_reads_the_same_answer_shapes() {
    let changed = json!({
        "acctId": "U1234567",
        "conid": 265598,
        "orderType": "LMT",
        "price": 151.5,
        "quantity": 5.0,
        "side": "BUY",
        "tif": "DAY"
    });
    let answers = contract("modifyOrder")
        .request("/iserver/account/U1234567/order/1234567890")
        .json(changed.clone())
        .answers(|c| {
            let order = from_json::<SingleOrderSubmissionRequest>(changed.clone());
            async move {
                c.trading
                    .modify_order()
                    .account_id("U1234567")
                    .order_id("1234567890")
                    .body(order)
                    .send()
                    .await
            }
        })
        .await;
    answers.iter().for_each(assert_order_answer);
    let OrderAnswer::Replies(q) = answer(&answers, "doc_cpapi_v1_question_o0.json") else {
        panic!("a question")
    };
    assert_eq!(q.0[0].message_ids, ["o0"]);
}

#[tokio::test]
async fn cancel_order_deletes_by_account_and_order_id_and_reads_ids_as_numbers_or_strings() {
    let answers = contract("cancelOrder")
        .request("/iserver/account/U1234567/order/1234567890")
        .answers(|c| async move {
            c.trading
                .cancel_order()
                .account_id("U1234567")
                .order_id("1234567890")
                .send()
                .await
        })
        .await;
    for a in &answers {
        match a.raw.get("error") {
            Some(e) => assert_eq!(a.value.error.as_deref(), e.as_str(), "{}", a.fixture),
            None => assert_eq!(a.value.msg.as_deref(), Some("Request was submitted")),
        }
    }
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value;
    assert!(matches!(doc.order_id, Some(LooseId::Int64(123456789))));
    assert!(matches!(doc.conid, Some(LooseId::Int64(265598))));
    let spec = &answers
        .iter()
        .find(|a| a.fixture == "spec_success.json")
        .unwrap()
        .value;
    assert!(matches!(&spec.order_id, Some(LooseId::String(id)) if id == "1370093239"));
}

#[tokio::test]
async fn live_orders_carry_conid_status_and_quantities_whether_numbers_or_strings() {
    let answers = contract("getLiveOrders")
        .request("/iserver/account/orders")
        .query(&[("filters", "filled"), ("force", "true")])
        .answers(|c| async move {
            c.trading
                .get_live_orders()
                .filters("filled")
                .force(true)
                .send()
                .await
        })
        .await;
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value;
    let order = &doc.orders[0];
    assert!(matches!(order.conid, Some(LooseId::Int64(265598))));
    assert_eq!(order.order_id, Some(1234568790));
    assert_eq!(
        (order.ticker.as_deref(), order.status.as_deref()),
        (Some("AAPL"), Some("Filled"))
    );
    assert!(matches!(order.filled_quantity, Some(LooseScalar::Number(q)) if q == 5.0));
    assert_eq!(order.last_execution_time_r, Some(1702317649000));
}

#[tokio::test]
async fn live_orders_decode_the_orders_ibind_recorded_without_their_envelope() {
    let bodies = contract("getLiveOrders")
        .excerpts("orders")
        .into_iter()
        .map(|(name, orders)| (name, json!({ "orders": orders })))
        .collect();
    let answers = contract("getLiveOrders")
        .request("/iserver/account/orders")
        .answer_with(bodies, |c| async move {
            c.trading.get_live_orders().send().await
        })
        .await;
    let spy = &answers
        .iter()
        .find(|a| a.fixture == "rec_ibind_fixture.json")
        .unwrap()
        .value
        .orders[0];
    assert!(matches!(spy.conid, Some(LooseId::Int64(756733))));
    assert_eq!(spy.order_id, Some(1210386759));
}

#[tokio::test]
async fn order_status_reads_conid_fill_and_status_of_one_order() {
    let answers = contract("getOrderStatus")
        .request("/iserver/account/order/status/1799796559")
        .answers(|c| async move {
            c.trading
                .get_order_status()
                .order_id("1799796559")
                .send()
                .await
        })
        .await;
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value;
    assert!(matches!(doc.conid, Some(LooseId::Int64(265598))));
    assert_eq!(doc.order_id, Some(1799796559));
    assert_eq!(doc.order_status.as_deref(), Some("Filled"));
    assert_eq!(
        (doc.cum_fill.as_deref(), doc.average_price.as_deref()),
        (Some("5.0"), Some("192.26"))
    );
}

#[tokio::test]
async fn trades_carry_execution_id_conid_size_and_price() {
    let answers = contract("listTrades")
        .request("/iserver/account/trades")
        .query(&[("days", "3")])
        .answers(|c| async move { c.trading.list_trades().days(3).send().await })
        .await;
    let trade = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value
        .0[0];
    assert_eq!(
        trade.execution_id.as_deref(),
        Some("0000e0d5.6576fd38.01.01")
    );
    assert!(matches!(trade.conid, Some(LooseId::Int64(265598))));
    assert_eq!(
        (trade.size, trade.price.as_deref()),
        (Some(5.0), Some("192.26"))
    );
    assert_eq!(trade.trade_time_r, Some(1702317649000));
}

#[tokio::test]
async fn preview_posts_the_ticket_and_reads_cost_commission_and_margin_change() {
    let ticket = json!({ "orders": [limit_buy_aapl()] });
    let answers = contract("previewOrder")
        .request("/iserver/account/U1234567/orders/whatif")
        .json(ticket.clone())
        .answers(|c| {
            let ticket = from_json::<OrdersSubmissionRequest>(ticket.clone());
            async move {
                c.trading
                    .preview_order()
                    .account_id("U1234567")
                    .body(ticket)
                    .send()
                    .await
            }
        })
        .await;
    let doc = &answers
        .iter()
        .find(|a| a.fixture == "doc_cpapi_v1.json")
        .unwrap()
        .value;
    let amount = doc.amount.as_ref().expect("amount");
    assert_eq!(amount.total.as_deref(), Some("1,978.60 USD"));
    assert_eq!(amount.commission.as_deref(), Some("1 USD"));
    assert_eq!(
        doc.initial.as_ref().and_then(|i| i.change.as_deref()),
        Some("652")
    );
}

// ---- request and answer of the remaining operations, one test each ----

/// POST /iserver/notification
#[tokio::test]
async fn answer_server_prompt_follows_its_contract() {
    let body = json!({
        "orderId": 1,
        "reqId": "x",
        "text": "x"
    });
    contract("answerServerPrompt")
        .request("/iserver/notification")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .answer_server_prompt()
                    .body(
                        from_json::<ibkr_gen::trading::types::AnswerServerPromptBody>(body.clone()),
                    )
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /iserver/questions/suppress/reset
#[tokio::test]
async fn reset_suppressed_questions_follows_its_contract() {
    contract("resetSuppressedQuestions")
        .request("/iserver/questions/suppress/reset")
        .answers(|c| async move { c.trading.reset_suppressed_questions().send().await })
        .await;
}

/// POST /iserver/questions/suppress
#[tokio::test]
async fn suppress_order_questions_follows_its_contract() {
    let body = json!({
        "messageIds": [
            "o163"
        ]
    });
    contract("suppressOrderQuestions")
        .request("/iserver/questions/suppress")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .suppress_order_questions()
                    .body(from_json::<
                        ibkr_gen::trading::types::SuppressOrderQuestionsBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}
