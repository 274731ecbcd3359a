//! The Flex Web Service client against a local mock server (127.0.0.1 only): polling,
//! throttling, permanent errors, non-XML bodies, foreign redirects, dates, headers and
//! token secrecy.

use httpmock::prelude::*;
use ibkr_flex::{FlexClient, FlexError, FlexErrorCode, FlexProgress, FlexRequest, PollPolicy};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "SECRET-TOKEN-0123456789";
const USER_AGENT: &str = concat!("ibkr-flex/", env!("CARGO_PKG_VERSION"));
const REPORT: &str = r#"<FlexQueryResponse queryName="q" type="AF"><FlexStatements count="1">
<FlexStatement accountId="U7" fromDate="20250101" toDate="20250131" period="" whenGenerated="20250201;010203">
<Trades><Trade symbol="AAPL" quantity="3" tradePrice="200.5" tradeDate="20250115"/></Trades>
</FlexStatement></FlexStatements></FlexQueryResponse>"#;

fn fixture(name: &str) -> String {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/web_service")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn tiny_policy() -> PollPolicy {
    PollPolicy {
        first_poll_delay: Duration::from_millis(2),
        poll_interval: Duration::from_millis(5),
        max_poll_interval: Duration::from_millis(20),
        throttle_delay: Duration::from_millis(150),
        deadline: Duration::from_secs(10),
        min_request_gap: Duration::from_millis(1),
        rate_window: Duration::from_millis(50),
        request_timeout: Duration::from_secs(5),
        ..PollPolicy::default()
    }
}

fn client(server: &MockServer, token: &str, policy: PollPolicy) -> FlexClient {
    FlexClient::builder(token)
        .base_url(server.url("/fws"))
        .policy(policy)
        .build()
        .unwrap()
}

fn accepted(server: &MockServer) -> String {
    format!(
        "<FlexStatementResponse timestamp='28 August, 2012 10:37 AM EDT'><Status>Success</Status>\
         <ReferenceCode>555</ReferenceCode><Url>\n  {}\n</Url></FlexStatementResponse>",
        server.url("/fws/GetStatement")
    )
}

fn warn(code: u32, message: &str) -> String {
    format!(
        "<FlexStatementResponse timestamp='28 August, 2012 10:37 AM EDT'><Status>Warn</Status>\
         <ErrorCode>{code}</ErrorCode><ErrorMessage>{message}</ErrorMessage></FlexStatementResponse>"
    )
}

async fn wait_for_hits(mock: &httpmock::Mock<'_>, hits: usize) {
    let started = Instant::now();
    while mock.calls_async().await < hits {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "never reached {hits} hits"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn fetch_polls_through_1019_then_returns_the_statement() {
    let server = MockServer::start_async().await;
    let token = "TOKEN-1019";
    let send = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/fws/SendRequest")
                .query_param("t", token)
                .query_param("q", "42")
                .query_param("v", "3")
                .query_param_missing("fd")
                .header("user-agent", USER_AGENT);
            then.status(200).body(accepted(&server));
        })
        .await;
    let in_progress = server
        .mock_async(|when, then| {
            when.path("/fws/GetStatement")
                .query_param("t", token)
                .query_param("q", "555")
                .query_param("v", "3")
                .header("user-agent", USER_AGENT);
            then.status(200)
                .body(warn(1019, "Statement generation in progress."));
        })
        .await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let client = FlexClient::builder(token)
        .base_url(server.url("/fws"))
        .policy(tiny_policy())
        .on_progress(move |p| seen.lock().unwrap().push(p.clone()))
        .build()
        .unwrap();
    let task = tokio::spawn(async move { client.fetch("42").await });
    wait_for_hits(&in_progress, 3).await;
    in_progress.delete_async().await;
    let ready = server
        .mock_async(|when, then| {
            when.path("/fws/GetStatement")
                .query_param("v", "3")
                .header("user-agent", USER_AGENT);
            then.status(200).body(REPORT);
        })
        .await;
    let download = task.await.unwrap().unwrap();
    assert_eq!(send.calls_async().await, 1);
    assert_eq!(ready.calls_async().await, 1);
    let report = download.parse().unwrap();
    assert_eq!(
        report.statements[0].trades[0].symbol.as_deref(),
        Some("AAPL")
    );
    let events = events.lock().unwrap().clone();
    assert_eq!(
        events.first(),
        Some(&FlexProgress::Requesting { attempt: 1 })
    );
    assert!(
        events.contains(&FlexProgress::Polling { attempt: 3 }),
        "{events:?}"
    );
    assert!(events.contains(&FlexProgress::Waiting {
        delay: Duration::from_millis(5),
        because: Some(FlexErrorCode::InProgress)
    }));
    assert_eq!(
        events.last(),
        Some(&FlexProgress::Done {
            bytes: REPORT.len()
        })
    );
}

#[tokio::test]
async fn too_many_requests_waits_the_throttle_delay_before_asking_again() {
    let server = MockServer::start_async().await;
    let throttled = server
        .mock_async(|when, then| {
            when.path("/fws/SendRequest");
            then.status(200).body(warn(
                1018,
                "Too many requests have been made from this token.",
            ));
        })
        .await;
    let client = client(&server, "TOKEN-1018", tiny_policy());
    let started = Instant::now();
    let task = tokio::spawn(async move { client.fetch("42").await });
    wait_for_hits(&throttled, 1).await;
    throttled.delete_async().await;
    server
        .mock_async(|when, then| {
            when.path("/fws/SendRequest");
            then.status(200).body(accepted(&server));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/fws/GetStatement");
            then.status(200).body(REPORT);
        })
        .await;
    task.await.unwrap().unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_deadline_stops_waiting_with_the_last_code() {
    let server = MockServer::start_async().await;
    let throttled = server
        .mock_async(|when, then| {
            when.path("/fws/SendRequest");
            then.status(200).body(warn(1018, "Too many requests"));
        })
        .await;
    let policy = PollPolicy {
        throttle_delay: Duration::from_secs(60),
        deadline: Duration::from_millis(100),
        ..tiny_policy()
    };
    let error = client(&server, "TOKEN-DEADLINE", policy)
        .fetch("42")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, FlexError::DeadlineExceeded { last, .. } if last == "1018"),
        "{error}"
    );
    assert_eq!(throttled.calls_async().await, 1);
}

#[tokio::test]
async fn an_expired_or_invalid_token_fails_at_once() {
    for (body, code) in [
        (
            fixture("fail_1012_token_expired.xml"),
            FlexErrorCode::TokenExpired,
        ),
        (
            fixture("vjt_send_request_auth_error.xml"),
            FlexErrorCode::TokenExpired,
        ),
        (warn(1015, "Token is invalid."), FlexErrorCode::TokenInvalid),
    ] {
        let server = MockServer::start_async().await;
        let send = server
            .mock_async(|when, then| {
                when.path("/fws/SendRequest");
                then.status(200).body(&body);
            })
            .await;
        let error = client(&server, "TOKEN-BAD", tiny_policy())
            .fetch("42")
            .await
            .unwrap_err();
        assert_eq!(error.code(), Some(&code), "{error}");
        assert!(!error.is_retryable());
        assert!(
            error
                .to_string()
                .contains("create a new Flex Web Service token"),
            "{error}"
        );
        assert_eq!(send.calls_async().await, 1, "no retry on a permanent error");
    }
}

#[tokio::test]
async fn an_html_page_is_a_permanent_error_not_a_retry_loop() {
    let server = MockServer::start_async().await;
    let send = server
        .mock_async(|when, then| {
            when.path("/fws/SendRequest");
            then.status(200).body(accepted(&server));
        })
        .await;
    let page = server
        .mock_async(|when, then| {
            when.path("/fws/GetStatement");
            then.status(404).body(
                "<!DOCTYPE html><html><head><title>404</title></head><body>Not Found</body></html>",
            );
        })
        .await;
    let error = client(&server, "TOKEN-HTML", tiny_policy())
        .fetch("42")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, FlexError::NotXml { what, status: 404 } if what == "an HTML page"),
        "{error}"
    );
    assert_eq!(send.calls_async().await, 1);
    assert_eq!(page.calls_async().await, 1);
}

#[tokio::test]
async fn an_empty_body_is_a_permanent_error() {
    let server = MockServer::start_async().await;
    let send = server
        .mock_async(|when, then| {
            when.path("/fws/SendRequest");
            then.status(200).body("");
        })
        .await;
    let error = client(&server, "TOKEN-EMPTY", tiny_policy())
        .fetch("42")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, FlexError::NotXml { what, .. } if what == "an empty body"),
        "{error}"
    );
    assert_eq!(send.calls_async().await, 1);
}

#[tokio::test]
async fn a_statement_url_on_a_foreign_host_is_never_followed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/fws/SendRequest");
            then.status(200).body(
                "<FlexStatementResponse><Status>Success</Status><ReferenceCode>1</ReferenceCode>\
                 <Url>https://flex.attacker.example/GetStatement</Url></FlexStatementResponse>",
            );
        })
        .await;
    let local = server
        .mock_async(|when, then| {
            when.path("/fws/GetStatement");
            then.status(200).body(REPORT);
        })
        .await;
    let error = client(&server, "TOKEN-FOREIGN", tiny_policy())
        .fetch("42")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, FlexError::ForeignUrl { host } if host == "flex.attacker.example"),
        "{error}"
    );
    assert_eq!(local.calls_async().await, 0);
}

#[tokio::test]
async fn a_date_override_sends_fd_and_td() {
    let server = MockServer::start_async().await;
    let send = server
        .mock_async(|when, then| {
            when.path("/fws/SendRequest")
                .query_param("q", "42")
                .query_param("fd", "20250101")
                .query_param("td", "20250331")
                .query_param("v", "3");
            then.status(200).body(accepted(&server));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/fws/GetStatement").query_param_missing("fd");
            then.status(200).body(REPORT);
        })
        .await;
    let request = FlexRequest::new("42").period(
        chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(),
    );
    client(&server, "TOKEN-DATES", tiny_policy())
        .fetch(request)
        .await
        .unwrap();
    assert_eq!(send.calls_async().await, 1);
}

#[tokio::test]
async fn the_step_api_reports_1019_as_a_retryable_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/fws/SendRequest");
            then.status(200).body(accepted(&server));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/fws/GetStatement");
            then.status(200)
                .body(warn(1019, "Statement generation in progress."));
        })
        .await;
    let client = client(&server, "TOKEN-STEPS", tiny_policy());
    let pending = client.send_request(&"42".into()).await.unwrap();
    assert_eq!(pending.reference_code, "555");
    assert_eq!(pending.url.as_str(), server.url("/fws/GetStatement"));
    let error = client.get_statement(&pending).await.unwrap_err();
    assert_eq!(error.code(), Some(&FlexErrorCode::InProgress));
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_multiline_legacy_url_is_trimmed_and_mapped_to_the_current_path() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/fws/SendRequest");
            then.status(200)
                .body(fixture("sendrequest_success_multiline_url.xml"));
        })
        .await;
    let pending = client(&server, "TOKEN-LEGACY", tiny_policy())
        .send_request(&"42".into())
        .await
        .unwrap();
    assert_eq!(pending.reference_code, "1735268776");
    assert_eq!(
        pending.url.as_str(),
        "https://gdcdyn.interactivebrokers.com/AccountManagement/FlexWebService/GetStatement"
    );
}

#[tokio::test]
async fn the_token_never_appears_in_debug_output_or_errors() {
    // Nothing listens on port 9 of loopback: the connection is refused.
    let client = FlexClient::builder(TOKEN)
        .base_url("http://127.0.0.1:9/fws")
        .policy(PollPolicy {
            deadline: Duration::from_millis(1),
            ..tiny_policy()
        })
        .build()
        .unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains(TOKEN), "{debug}");
    assert!(debug.contains("FlexToken(***)"), "{debug}");
    let error = client.send_request(&"42".into()).await.unwrap_err();
    assert!(matches!(error, FlexError::Http(_)), "{error}");
    let shown = format!(
        "{error} / {error:?} / {:?}",
        std::error::Error::source(&error)
    );
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(!shown.contains("t="), "{shown}");
    let fetched = client.fetch("42").await.unwrap_err();
    assert!(!format!("{fetched} {fetched:?}").contains(TOKEN));
}
