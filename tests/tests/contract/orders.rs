//! Orders: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

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

/// DELETE /iserver/account/{accountId}/order/{orderId}
#[tokio::test]
async fn cancel_order_follows_its_contract() {
    contract("cancelOrder")
        .request("/iserver/account/U1234567/order/1234567890")
        .query(&[
            ("extOperator", "val-extoperator"),
            ("manualCancelTime", "7"),
            ("manualIndicator", "true"),
        ])
        .answers(|c| async move {
            c.trading
                .cancel_order()
                .account_id("U1234567")
                .order_id("1234567890")
                .ext_operator("val-extoperator")
                .manual_cancel_time(7)
                .manual_indicator(true)
                .send()
                .await
        })
        .await;
}

/// GET /iserver/account/orders
#[tokio::test]
async fn get_live_orders_follows_its_contract() {
    contract("getLiveOrders")
        .request("/iserver/account/orders")
        .query(&[("filters", "inactive"), ("force", "true")])
        .answers(|c| async move {
            c.trading
                .get_live_orders()
                .filters("inactive")
                .force(true)
                .send()
                .await
        })
        .await;
}

/// GET /iserver/account/order/status/{orderId}
#[tokio::test]
async fn get_order_status_follows_its_contract() {
    contract("getOrderStatus")
        .request("/iserver/account/order/status/1234567890")
        .answers(|c| async move {
            c.trading
                .get_order_status()
                .order_id(1234567890)
                .send()
                .await
        })
        .await;
}

/// GET /iserver/account/trades
#[tokio::test]
async fn list_trades_follows_its_contract() {
    contract("listTrades")
        .request("/iserver/account/trades")
        .query(&[("days", "7")])
        .answers(|c| async move { c.trading.list_trades().days(7).send().await })
        .await;
}

/// POST /iserver/account/{accountId}/order/{orderId}
#[tokio::test]
async fn modify_order_follows_its_contract() {
    let body = json!({
        "acctId": "x",
        "allOrNone": true,
        "auxPrice": 1.5,
        "cOID": "x",
        "cashQty": 1.5,
        "conid": 1,
        "conidex": "x",
        "extOperator": "x",
        "isCcyConv": true,
        "isSingleGroup": true,
        "jsonPayload": {
            "allocation_profile": {
                "alloc_type": "SHARE",
                "allocations": [
                    "x"
                ]
            }
        },
        "listingExchange": "x",
        "manualIndicator": true,
        "orderType": "x",
        "outsideRTH": true,
        "parentId": "x",
        "price": 1.5,
        "quantity": 1.5,
        "referrer": "x",
        "secType": "x",
        "side": "BUY",
        "strategy": "x",
        "strategyParameters": {
            "PLACEHOLDER": "x"
        },
        "taxOptimizerId": "x",
        "ticker": "x",
        "tif": "DAY",
        "trailingAmt": 1.5,
        "trailingType": "amt",
        "useAdaptive": true
    });
    contract("modifyOrder")
        .request("/iserver/account/U1234567/order/1234567890")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .modify_order()
                    .account_id("U1234567")
                    .order_id(1234567890)
                    .body(from_json::<
                        ibkr_gen::trading::types::SingleOrderSubmissionRequest,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /iserver/account/{accountId}/orders
#[tokio::test]
async fn place_order_follows_its_contract() {
    let body = json!({
        "orders": [
            {
                "acctId": "x",
                "allOrNone": true,
                "auxPrice": 1.5,
                "cOID": "x",
                "cashQty": 1.5,
                "conid": 1,
                "conidex": "x",
                "extOperator": "x",
                "isCcyConv": true,
                "isSingleGroup": true,
                "jsonPayload": {
                    "allocation_profile": {
                        "alloc_type": "SHARE",
                        "allocations": [
                            "x"
                        ]
                    }
                },
                "listingExchange": "x",
                "manualIndicator": true,
                "orderType": "x",
                "outsideRTH": true,
                "parentId": "x",
                "price": 1.5,
                "quantity": 1.5,
                "referrer": "x",
                "secType": "x",
                "side": "BUY",
                "strategy": "x",
                "strategyParameters": {
                    "PLACEHOLDER": "x"
                },
                "taxOptimizerId": "x",
                "ticker": "x",
                "tif": "DAY",
                "trailingAmt": 1.5,
                "trailingType": "amt",
                "useAdaptive": true
            }
        ]
    });
    contract("placeOrder")
        .request("/iserver/account/U1234567/orders")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .place_order()
                    .account_id("U1234567")
                    .body(
                        from_json::<ibkr_gen::trading::types::OrdersSubmissionRequest>(
                            body.clone(),
                        ),
                    )
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /iserver/account/{accountId}/orders/whatif
#[tokio::test]
async fn preview_order_follows_its_contract() {
    let body = json!({
        "orders": [
            {
                "acctId": "x",
                "allOrNone": true,
                "auxPrice": 1.5,
                "cOID": "x",
                "cashQty": 1.5,
                "conid": 1,
                "conidex": "x",
                "extOperator": "x",
                "isCcyConv": true,
                "isSingleGroup": true,
                "jsonPayload": {
                    "allocation_profile": {
                        "alloc_type": "SHARE",
                        "allocations": [
                            "x"
                        ]
                    }
                },
                "listingExchange": "x",
                "manualIndicator": true,
                "orderType": "x",
                "outsideRTH": true,
                "parentId": "x",
                "price": 1.5,
                "quantity": 1.5,
                "referrer": "x",
                "secType": "x",
                "side": "BUY",
                "strategy": "x",
                "strategyParameters": {
                    "PLACEHOLDER": "x"
                },
                "taxOptimizerId": "x",
                "ticker": "x",
                "tif": "DAY",
                "trailingAmt": 1.5,
                "trailingType": "amt",
                "useAdaptive": true
            }
        ]
    });
    contract("previewOrder")
        .request("/iserver/account/U1234567/orders/whatif")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .preview_order()
                    .account_id("U1234567")
                    .body(
                        from_json::<ibkr_gen::trading::types::OrdersSubmissionRequest>(
                            body.clone(),
                        ),
                    )
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /iserver/reply/{replyId}
#[tokio::test]
async fn reply_to_order_question_follows_its_contract() {
    let body = json!({
        "confirmed": true
    });
    contract("replyToOrderQuestion")
        .request("/iserver/reply/99097238-9824-4830-84ef-46979aa22593")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .reply_to_order_question()
                    .reply_id("99097238-9824-4830-84ef-46979aa22593")
                    .body(from_json::<
                        ibkr_gen::trading::types::ReplyToOrderQuestionBody,
                    >(body.clone()))
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
