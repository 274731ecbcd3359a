//! IBKR's error answers. Non-2xx answers are not declared in the documents, so the client
//! hands them back as `Error::UnexpectedResponse` with status and body intact, and
//! `ErrorBody` reads what IBKR put in them. An order reject comes with HTTP 200 and is part
//! of the order answer type.

use httpmock::prelude::*;
use ibkr_contract_tests::{clients, contract, error_fixture, unexpected};
use ibkr_gen::ErrorBody;
use ibkr_gen::trading::types::OrderAnswer;

async fn answer_with(
    server: &MockServer,
    method: httpmock::Method,
    path: &str,
    status: u16,
    body: Vec<u8>,
) {
    let path = format!("/v1/api{path}");
    server
        .mock_async(move |when, then| {
            when.method(method).path(path);
            then.status(status)
                .header("content-type", "application/json")
                .body(body);
        })
        .await;
}

#[tokio::test]
async fn no_bridge_is_a_400_whose_body_reads_as_no_bridge() {
    let server = MockServer::start_async().await;
    answer_with(
        &server,
        GET,
        "/iserver/accounts",
        400,
        error_fixture("400_no_bridge.json"),
    )
    .await;
    let err = clients(&server)
        .trading
        .get_accounts()
        .send()
        .await
        .expect_err("a 400");
    let (status, body) = unexpected(err).await;
    assert_eq!(status, 400);
    let error = ErrorBody::parse(&body).expect("IBKR's error body");
    assert!(error.is_no_bridge());
    assert_eq!(
        (error.text(), error.status_code),
        (Some("Bad Request: no bridge"), Some(400))
    );
}

#[tokio::test]
async fn a_stale_reply_id_is_a_400_whose_body_reads_as_reply_id_not_found() {
    let server = MockServer::start_async().await;
    let id = "8c1765d2-6cec-446e-b4c2-0c6f57df06e1";
    let body = error_fixture("400_reply_id_not_found.json");
    answer_with(&server, POST, &format!("/iserver/reply/{id}"), 400, body).await;
    let reply = clients(&server)
        .trading
        .reply_to_order_question()
        .reply_id(id)
        .body(ibkr_gen::trading::types::ReplyToOrderQuestionBody {
            confirmed: Some(true),
        })
        .send()
        .await;
    let (status, body) = unexpected(reply.expect_err("a 400")).await;
    assert_eq!(status, 400);
    let error = ErrorBody::parse(&body).expect("IBKR's error body");
    assert!(error.is_reply_id_not_found());
    assert!(!error.is_no_bridge());
}

#[tokio::test]
async fn an_invalid_oauth_consumer_is_a_401_with_its_reason() {
    let server = MockServer::start_async().await;
    let body = error_fixture("401_oauth_invalid_consumer.json");
    answer_with(&server, POST, "/oauth/request_token", 401, body).await;
    let err = clients(&server)
        .trading
        .create_oauth_request_token()
        .authorization("OAuth oauth_consumer_key=\"TESTCONS\"")
        .send()
        .await
        .expect_err("a 401");
    let (status, body) = unexpected(err).await;
    assert_eq!(status, 401);
    let error = ErrorBody::parse(&body).expect("IBKR's error body");
    assert_eq!(error.text(), Some("id: 3931, error: invalid consumer"));
    assert_eq!(error.status_code, Some(401));
}

#[tokio::test]
async fn a_429_with_an_empty_body_keeps_its_status_and_has_no_error_body() {
    let server = MockServer::start_async().await;
    let throttled = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/api/iserver/marketdata/snapshot");
            then.status(429);
        })
        .await;
    let err = clients(&server)
        .trading
        .get_market_data_snapshot()
        .conids(vec![265598])
        .send()
        .await
        .expect_err("a 429");
    let (status, body) = unexpected(err).await;
    assert_eq!((status, body.len()), (429, 0));
    assert_eq!(ErrorBody::parse(&body), None);
    assert_eq!(
        throttled.calls_async().await,
        1,
        "contract tests run without retries"
    );
}

#[tokio::test]
async fn an_order_reject_comes_with_http_200_and_decodes_as_a_notice_with_its_error() {
    let reject = contract("placeOrder")
        .fixtures()
        .into_iter()
        .find(|(name, _)| name == "doc_cpapi_v1_reject_200.json")
        .expect("the recorded reject")
        .1;
    let answer: OrderAnswer = serde_json::from_value(reject.clone()).expect("decodes");
    let OrderAnswer::Notice(notice) = answer else {
        panic!("an object is a notice")
    };
    assert_eq!(notice.error.as_deref(), reject["error"].as_str());
    let body = serde_json::to_vec(&reject).expect("JSON");
    let error = ErrorBody::parse(&body).expect("the reject reads as an error body too");
    assert!(error.text().is_some_and(|t| t.contains("limit price")));
}
