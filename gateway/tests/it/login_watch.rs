//! `ibkr gateway run --login`'s watcher against the simulator's login page, in a real
//! headless Chromium: it logs in again after a (simulated) midnight reset, and it stops
//! for good, saying why in `/readyz`, once the failure budget is spent.

use std::sync::mpsc;
use std::time::Duration;

use chrono::TimeZone;
use ibkr_gateway::login::{Credentials, LoginConfig, Relogin, Schedule, Secret, find_chromium};
use ibkr_gateway::supervisor::{Event, Health, watch_login};
use ibkr_sim::login::{LoginOutcome, LoginUser};

const PASSWORD: &str = "Pw-7vQ!kz2";

fn chromium(test: &str) -> Option<std::path::PathBuf> {
    match find_chromium(None) {
        Ok(p) => Some(p),
        Err(_) => {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "skipped: {test}: chromium not found");
            None
        }
    }
}

/// Noon in New York: outside IBKR's nightly window, whatever the time of the test run.
fn noon() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 6, 10, 16, 0, 0).unwrap()
}

struct Watch {
    gw: ibkr_sim::RunningGateway,
    health: std::sync::Arc<Health>,
    events: mpsc::Receiver<String>,
    task: tokio::task::JoinHandle<()>,
    _state: tempfile::TempDir,
}

async fn watch(chromium: std::path::PathBuf, password: &str) -> Watch {
    let gw = ibkr_sim::Gateway::builder()
        .logged_in(false)
        .login_user(LoginUser::paper("paper1", PASSWORD))
        .start()
        .await
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let port = gw.addr().port();
    let root = format!("https://localhost:{port}").parse().unwrap();
    let mut cfg = LoginConfig::new(
        root,
        Credentials::new("paper1", password, None::<Secret>),
        state.path().to_path_buf(),
    );
    cfg.paper = true;
    cfg.chromium = Some(chromium);
    cfg.deadline = Duration::from_secs(8);
    cfg.page_timeout = Duration::from_secs(8);
    cfg.ca_cert = gw.cert_pem();
    let relogin = Relogin::new(cfg, Schedule::default()).unwrap();
    let health = Health::new(port);
    let (tx, events) = mpsc::channel();
    let h = health.clone();
    let task = tokio::spawn(async move {
        let send = move |e: Event| {
            if let Event::Login(what) = e {
                let _ = tx.send(what);
            }
        };
        watch_login(port, relogin, &h, Duration::from_millis(300), noon, &send).await;
    });
    Watch {
        gw,
        health,
        events,
        task,
        _state: state,
    }
}

/// The next login event, waiting up to `secs` (the watcher runs on this runtime).
async fn next(events: &mpsc::Receiver<String>, secs: u64) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Ok(e) = events.try_recv() {
            return e;
        }
        assert!(tokio::time::Instant::now() < deadline, "no login event");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn run_login_logs_in_again_after_the_midnight_reset() {
    let test = "run_login_logs_in_again_after_the_midnight_reset";
    let Some(chromium) = chromium(test) else {
        return;
    };
    let w = watch(chromium, PASSWORD).await;
    let first = next(&w.events, 40).await;
    assert!(first.starts_with("logged in (Browser)"), "{first}");
    assert_eq!(w.health.hold_reason(), None);
    // The regional midnight reset ends the session.
    w.gw.control().drop_session();
    let again = next(&w.events, 40).await;
    assert!(again.starts_with("logged in (Browser)"), "{again}");
    let logins = w.gw.inspect().logins();
    let succeeded = logins
        .iter()
        .filter(|l| l.outcome == LoginOutcome::Succeeded)
        .count();
    assert_eq!(succeeded, 2, "{logins:?}");
    println!("{test}: {first}; after the reset: {again}");
    w.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn run_login_stops_for_a_human_once_the_budget_is_spent() {
    let test = "run_login_stops_for_a_human_once_the_budget_is_spent";
    let Some(chromium) = chromium(test) else {
        return;
    };
    let w = watch(chromium, "not-the-password").await;
    let stopped = next(&w.events, 40).await;
    assert!(stopped.starts_with("no more automatic logins"), "{stopped}");
    // The watcher keeps looking (every 0.3 s here) but never tries again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let attempts = w.gw.inspect().logins();
    assert_eq!(
        attempts.len(),
        1,
        "one attempt, never a second: {attempts:?}"
    );
    assert_eq!(attempts[0].outcome, LoginOutcome::InvalidCredentials);
    let reason = w.health.hold_reason().expect("/readyz says why");
    assert!(reason.contains("--reset-budget"), "{reason}");
    println!("{test}: /readyz says: {reason}");
    w.task.abort();
}
