//! The gateway's refusals, named: the allow-list's `404 Access Denied`, a gateway that
//! cannot reach IBKR, and a redirect to the login page. Against the simulator, which plays
//! the real gateway's behaviour (observed on IBKR's build; the real-gateway tests in
//! `cli/tests/it/real_gateway.rs` check the same against the JVM).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use ibkr_ext::{Error, Ibkr};
use ibkr_sim::{FaultRule, Gateway};

const OTHER_LOOPBACK: &str = "127.0.0.2";

fn client(base: &str, local: Option<&str>) -> ibkr_ext::IbkrBuilder {
    let mut b = Ibkr::builder()
        .base_url(base)
        .without_keepalive()
        .without_pacing();
    if let Some(ip) = local {
        b = b.local_address(ip.parse::<IpAddr>().unwrap());
    }
    b
}

#[tokio::test]
async fn allow_list_refusal_names_the_client_address_and_the_fix() {
    let gw = Gateway::builder()
        .allow(["127.0.0.1"])
        .deny(["192.0.2.255"])
        .start()
        .await
        .unwrap();
    let inside = client(gw.base_url(), None).build().unwrap();
    inside.auth_status().await.expect("127.0.0.1 is allowed");

    let outside = client(gw.base_url(), Some(OTHER_LOOPBACK)).build().unwrap();
    let err = outside.auth_status().await.unwrap_err();
    let Error::AccessDenied { operation, client } = &err else {
        panic!("expected AccessDenied, got {err:?}");
    };
    assert_eq!(*operation, "getAuthStatus");
    assert_eq!(*client, Some(OTHER_LOOPBACK.parse().unwrap()));
    let text = err.to_string();
    assert!(text.contains("ips.allow"), "{text}");
    assert!(
        text.contains(&format!("ibkr gateway start --allow {OTHER_LOOPBACK}")),
        "{text}"
    );
    assert_eq!(err.status(), Some(404));
    assert!(!err.is_retryable() && !err.is_auth());
    // The simulator saw exactly the refused client.
    let refused = gw.inspect().refused();
    assert!(
        refused.iter().all(|r| r.peer.to_string() == OTHER_LOOPBACK),
        "{refused:?}"
    );
    assert!(!refused.is_empty());
}

#[tokio::test]
async fn a_trailing_star_admits_the_whole_prefix() {
    let gw = Gateway::builder()
        .allow(["127.0.0.*"])
        .deny(["192.0.2.255"])
        .start()
        .await
        .unwrap();
    let outside = client(gw.base_url(), Some(OTHER_LOOPBACK)).build().unwrap();
    outside
        .auth_status()
        .await
        .expect("127.0.0.* admits 127.0.0.2");
    assert!(gw.inspect().refused().is_empty());
}

#[tokio::test]
async fn a_gateway_cut_off_from_ibkr_is_named_as_such_well_before_the_timeout() {
    let gw = Gateway::builder()
        .upstream_unreachable(true)
        .start()
        .await
        .unwrap();
    let ibkr = client(gw.base_url(), None)
        .timeout(Some(Duration::from_secs(30)))
        .upstream_check_after(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = ibkr.auth_status().await.unwrap_err();
    let took = started.elapsed();
    let Error::UpstreamUnreachable {
        operation, gateway, ..
    } = &err
    else {
        panic!("expected UpstreamUnreachable, got {err:?}");
    };
    assert_eq!(*operation, "getAuthStatus");
    assert!(gw.base_url().starts_with(gateway.as_str()), "{gateway}");
    // The stall check (0.3 s) plus the probe's timeout (3 s), not the 30 s request timeout.
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(err.to_string().contains("cannot reach IBKR"), "{err}");
    assert!(!err.is_auth(), "not reported as logged out");
}

#[tokio::test]
async fn a_slow_call_through_a_reachable_gateway_is_left_to_finish() {
    let gw = Gateway::builder().start().await.unwrap();
    gw.control().add_fault(
        FaultRule::new(
            "/iserver/auth/status",
            ibkr_sim::Fault::Latency(Duration::from_millis(1500)),
        )
        .times(1),
    );
    let ibkr = client(gw.base_url(), None)
        .upstream_check_after(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    ibkr.auth_status()
        .await
        .expect("a slow answer is still an answer");
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "the answer really was slow: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn calls_that_must_not_be_repeated_are_never_abandoned_early() {
    // An order reply stalls on a cut-off gateway: the watchdog leaves it to its own
    // timeout, which reports the outcome as unknown, never as "not sent".
    let gw = Gateway::builder().start().await.unwrap();
    let ibkr = client(gw.base_url(), None)
        .timeout(Some(Duration::from_secs(2)))
        .upstream_check_after(Duration::from_millis(200))
        .build()
        .unwrap();
    gw.control().upstream_unreachable(true);
    let started = Instant::now();
    let err = ibkr
        .api()
        .reply_to_order_question()
        .reply_id("abc")
        .body(
            serde_json::from_value::<ibkr_ext::raw_api::trading::types::ReplyToOrderQuestionBody>(
                serde_json::json!({"confirmed": false}),
            )
            .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited for its own timeout"
    );
    assert!(err.is_outcome_unknown(), "{err:?}");
}

#[tokio::test]
async fn a_redirect_to_the_login_page_means_not_logged_in() {
    let server = httpmock::MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/v1/api/iserver/auth/status");
            then.status(302)
                .header("Location", "/sso/Login?forwardTo=22&RL=1&ip2loc=US");
        })
        .await;
    let login = server
        .mock_async(|when, then| {
            when.path("/sso/Login");
            then.status(200).body("<html>login</html>");
        })
        .await;
    let ibkr = client(&server.url("/v1/api"), None).build().unwrap();
    let err = ibkr.auth_status().await.unwrap_err();
    assert!(matches!(err, Error::NotAuthenticated { .. }), "{err:?}");
    assert_eq!(
        login.calls_async().await,
        0,
        "the login page is not followed"
    );
}
