//! The Flex client against the simulator's Flex Web Service (`ibkr-sim`): the 1019
//! sequence, 1018 throttling, bad and expired tokens, and an HTML page, on 127.0.0.1.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ibkr_flex::{FlexClient, FlexError, FlexErrorCode, PollPolicy};
use ibkr_sim::{Fault, FaultRule, FlexConfig, Gateway, RunningGateway};

const TOKEN: &str = "111122223333444455556666";
const QUERY: &str = "987654";

async fn sim(pending_polls: u32, min_interval: Duration) -> RunningGateway {
    Gateway::builder()
        .plain_http()
        .flex(FlexConfig {
            token: TOKEN.into(),
            query_id: QUERY.into(),
            pending_polls,
            expired_token: Some("000000000000000000000000".into()),
            min_interval,
            ..FlexConfig::default()
        })
        .start()
        .await
        .unwrap()
}

/// Quick polling, but never faster than the simulator's 1/s rule unless a test asks to.
fn policy(gap: Duration) -> PollPolicy {
    PollPolicy {
        first_poll_delay: gap,
        poll_interval: gap,
        min_request_gap: gap,
        throttle_delay: Duration::from_millis(300),
        deadline: Duration::from_secs(20),
        ..PollPolicy::default()
    }
}

fn client(
    gw: &RunningGateway,
    token: &str,
    gap: Duration,
    progress: Arc<Mutex<Vec<String>>>,
) -> FlexClient {
    FlexClient::builder(token)
        .base_url(gw.flex_base_url())
        .policy(policy(gap))
        .on_progress(move |p| progress.lock().unwrap().push(format!("{p:?}")))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_statement_arrives_after_the_in_progress_polls() {
    let gw = sim(2, Duration::from_millis(100)).await;
    let progress = Arc::new(Mutex::new(Vec::new()));
    let c = client(&gw, TOKEN, Duration::from_millis(120), progress.clone());
    let download = c.fetch(QUERY).await.expect("the statement");
    let report = download.parse().unwrap();
    let st = &report.statements[0];
    assert_eq!(st.account_id.as_deref(), Some("DU1234567"));
    assert!(
        !st.trades.is_empty(),
        "the simulator's seeded trades are in the statement"
    );
    let seen = progress.lock().unwrap().clone();
    let in_progress = seen.iter().filter(|p| p.contains("InProgress")).count();
    assert_eq!(in_progress, 2, "{seen:?}");
    assert!(seen.last().unwrap().starts_with("Done"), "{seen:?}");
}

#[tokio::test]
async fn polling_faster_than_the_service_allows_is_throttled_then_recovers() {
    // The simulator wants 400 ms between requests; the client polls every 50 ms.
    let gw = sim(0, Duration::from_millis(400)).await;
    let progress = Arc::new(Mutex::new(Vec::new()));
    let c = client(&gw, TOKEN, Duration::from_millis(50), progress.clone());
    c.fetch(QUERY)
        .await
        .expect("the statement after backing off");
    let seen = progress.lock().unwrap().clone();
    assert!(
        seen.iter().any(|p| p.contains("TooManyRequests")),
        "1018 was seen: {seen:?}"
    );
}

#[tokio::test]
async fn bad_and_expired_tokens_are_permanent_typed_errors() {
    let gw = sim(0, Duration::from_millis(100)).await;
    for (token, expected) in [
        ("999999999999999999999999", FlexErrorCode::TokenInvalid),
        ("000000000000000000000000", FlexErrorCode::TokenExpired),
    ] {
        let c = client(&gw, token, Duration::from_millis(120), Arc::default());
        let err = c.fetch(QUERY).await.unwrap_err();
        match &err {
            FlexError::Service { code, .. } => {
                assert_eq!(*code, expected);
                assert!(!code.is_retryable());
            }
            other => panic!("{token}: {other:?}"),
        }
        assert!(
            !err.to_string().contains(token),
            "the token never shows: {err}"
        );
    }
}

#[tokio::test]
async fn an_html_page_is_a_permanent_error_not_a_retry_loop() {
    let gw = sim(0, Duration::from_millis(100)).await;
    gw.control().add_fault(FaultRule::new(
        "/AccountManagement/FlexWebService/SendRequest",
        Fault::Html,
    ));
    let c = client(&gw, TOKEN, Duration::from_millis(120), Arc::default());
    let err = c.fetch(QUERY).await.unwrap_err();
    assert!(matches!(err, FlexError::NotXml { .. }), "{err:?}");
    assert_eq!(
        gw.inspect()
            .count("GET", "/AccountManagement/FlexWebService/SendRequest"),
        1,
        "asked once, not in a loop"
    );
}
