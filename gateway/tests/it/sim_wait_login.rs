//! `--wait-login` against the simulator: the wait sees "not logged in", then completes with
//! the brokerage session open once the (simulated) browser login happens.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ibkr_gateway::probe::Session;

#[tokio::test]
async fn wait_login_completes_when_the_simulated_login_happens() {
    let gw = ibkr_sim::Gateway::builder()
        .logged_in(false)
        .start()
        .await
        .unwrap();
    let port = gw.addr().port();
    let seen: Arc<Mutex<Vec<Session>>> = Arc::default();
    let log = seen.clone();
    let waiting = tokio::spawn(async move {
        ibkr_gateway::supervisor::wait_for_login(port, Duration::from_secs(60), None, &move |s| {
            log.lock().unwrap().push(s)
        })
        .await
    });
    // Until the login, the wait reports "not logged in" and does not return.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while seen.lock().unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no status reported");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!waiting.is_finished());
    let first = seen.lock().unwrap()[0].clone();
    assert!(
        matches!(
            first,
            Session::Known {
                logged_in: false,
                ..
            }
        ),
        "{first:?}"
    );
    assert!(first.why_not_ready().unwrap().contains("not logged in"));

    gw.control().restore_session();
    let state = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("the wait ends after the login")
        .unwrap()
        .expect("logged in");
    assert!(
        state.authenticated,
        "the brokerage session is open: {state:?}"
    );
}

#[tokio::test]
async fn wait_login_gives_up_at_its_deadline_with_what_to_do() {
    let gw = ibkr_sim::Gateway::builder()
        .logged_in(false)
        .start()
        .await
        .unwrap();
    let err = ibkr_gateway::supervisor::wait_for_login(
        gw.addr().port(),
        Duration::from_millis(500),
        None,
        &|_| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ibkr_gateway::GatewayError::LoginTimeout(_)),
        "{err:?}"
    );
    assert!(err.to_string().contains("log in"), "{err}");
}
