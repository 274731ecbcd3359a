//! The browser login with a real headless Chromium against the simulator's IBKR login page
//! (`ibkr_sim`, `/sso/Login`), on loopback. Each test says `skipped: <name>: chromium not
//! found` and returns when no Chromium is installed (`apt-get install chromium`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ibkr_gateway::login::{
    Credentials, LoginConfig, LoginError, LoginMethod, Relogin, ReloginDecision, Schedule, Secret,
    find_chromium, login,
};
use ibkr_sim::login::{LoginFaults, LoginOutcome, LoginUser};
use ibkr_sim::{Gateway, RunningGateway};

/// RFC 6238's SHA1 key in base32.
const TOTP: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const PASSWORD: &str = "Pw-7vQ!kz2";

/// Chromium, or `None` after saying the test did not run.
fn chromium(test: &str) -> Option<PathBuf> {
    match find_chromium(None) {
        Ok(p) => Some(p),
        Err(_) => {
            // Straight to stderr: libtest's capture (print!/eprint!) would hide it.
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "skipped: {test}: chromium not found");
            None
        }
    }
}

/// One browser at a time: the machine has two cores, and parallel Chromiums make the
/// page timeouts flaky.
async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await
}

async fn sim(users: Vec<LoginUser>, faults: LoginFaults) -> RunningGateway {
    let mut b = Gateway::builder()
        .seed(7)
        .logged_in(false)
        .login_faults(faults);
    for u in users {
        b = b.login_user(u);
    }
    b.start().await.unwrap()
}

fn config(
    gw: &RunningGateway,
    chromium: PathBuf,
    state: &tempfile::TempDir,
    creds: Credentials,
) -> LoginConfig {
    let root = gw.base_url().trim_end_matches("/v1/api").parse().unwrap();
    let mut cfg = LoginConfig::new(root, creds, state.path().to_path_buf());
    cfg.chromium = Some(chromium);
    cfg.deadline = Duration::from_secs(8);
    cfg.page_timeout = Duration::from_secs(8);
    cfg.ca_cert = gw.cert_pem();
    cfg
}

fn creds(user: &str, password: &str, totp: Option<&str>) -> Credentials {
    Credentials::new(user, password, totp.map(Secret::new))
}

#[tokio::test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn login_with_totp() {
    let Some(chromium) = chromium("login_with_totp") else {
        return;
    };
    let _one = one_at_a_time().await;
    let gw = sim(
        vec![LoginUser::live("trader1", PASSWORD).totp(TOTP)],
        LoginFaults::default(),
    )
    .await;
    let state = tempfile::tempdir().unwrap();
    let cfg = config(
        &gw,
        chromium,
        &state,
        creds("trader1", PASSWORD, Some(TOTP)),
    );
    let started = Instant::now();
    let report = login(&cfg).await.unwrap();
    println!(
        "login with TOTP on the simulator took {:?} (report: {:?})",
        started.elapsed(),
        report.elapsed
    );
    assert_eq!(report.method, LoginMethod::Browser);
    assert!(report.two_factor);
    assert!(report.session.authenticated);
    let logins = gw.inspect().logins();
    assert_eq!(logins.len(), 1, "{logins:?}");
    assert_eq!(logins[0].outcome, LoginOutcome::Succeeded);
    assert!(!logins[0].paper_mode);
    // The API agrees, and a second login has nothing to do.
    let again = login(&cfg).await.unwrap();
    assert_eq!(again.method, LoginMethod::AlreadyAuthenticated);
    assert_eq!(gw.inspect().logins().len(), 1);
    gw.shutdown().await;
}

#[tokio::test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn paper_toggle_is_clicked_for_a_paper_login() {
    let Some(chromium) = chromium("paper_toggle_is_clicked_for_a_paper_login") else {
        return;
    };
    let _one = one_at_a_time().await;
    let gw = sim(
        vec![LoginUser::paper("paper1", PASSWORD)],
        LoginFaults::default(),
    )
    .await;
    let state = tempfile::tempdir().unwrap();
    let mut cfg = config(&gw, chromium, &state, creds("paper1", PASSWORD, None));
    cfg.paper = true;
    let report = login(&cfg).await.unwrap();
    assert!(!report.paper_retry);
    let logins = gw.inspect().logins();
    assert_eq!(logins.len(), 1, "{logins:?}");
    assert!(logins[0].paper_mode);
    assert_eq!(logins[0].outcome, LoginOutcome::Succeeded);
    gw.shutdown().await;
}

#[tokio::test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn a_paper_user_in_live_mode_toggles_and_resubmits_once() {
    let Some(chromium) = chromium("a_paper_user_in_live_mode_toggles_and_resubmits_once") else {
        return;
    };
    let _one = one_at_a_time().await;
    let gw = sim(
        vec![LoginUser::paper("paper1", PASSWORD).totp(TOTP)],
        LoginFaults::default(),
    )
    .await;
    let state = tempfile::tempdir().unwrap();
    let cfg = config(&gw, chromium, &state, creds("paper1", PASSWORD, Some(TOTP)));
    let report = login(&cfg).await.unwrap();
    assert!(report.paper_retry);
    assert!(report.two_factor);
    let outcomes: Vec<_> = gw
        .inspect()
        .logins()
        .into_iter()
        .map(|a| a.outcome)
        .collect();
    assert_eq!(
        outcomes,
        [LoginOutcome::PaperUserInLiveMode, LoginOutcome::Succeeded]
    );
    gw.shutdown().await;
}

#[tokio::test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn a_wrong_password_stops_at_once_and_is_never_retried() {
    let Some(chromium) = chromium("a_wrong_password_stops_at_once_and_is_never_retried") else {
        return;
    };
    let _one = one_at_a_time().await;
    let gw = sim(
        vec![LoginUser::live("trader1", PASSWORD)],
        LoginFaults::default(),
    )
    .await;
    let state = tempfile::tempdir().unwrap();
    let wrong = "Wr0ng-pass!x";
    let cfg = config(&gw, chromium, &state, creds("trader1", wrong, None));
    let err = login(&cfg).await.unwrap_err();
    assert!(
        matches!(err, LoginError::InvalidCredentials { .. }),
        "{err}"
    );
    assert!(!err.to_string().contains(wrong));
    assert_eq!(gw.inspect().logins().len(), 1);
    assert_eq!(
        gw.inspect().login_count(&LoginOutcome::InvalidCredentials),
        1
    );
    // The next login, even by a new process, refuses without touching the page.
    let err = login(&cfg).await.unwrap_err();
    assert!(matches!(err, LoginError::BudgetSpent { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("ibkr gateway login --reset-budget"),
        "{err}"
    );
    assert_eq!(gw.inspect().logins().len(), 1, "no second attempt");
    // The page was saved with the refused password blanked out of its field.
    let dumps = dump_files(&cfg);
    assert!(!dumps.is_empty());
    for f in dumps {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(wrong),
            "{}",
            f.display()
        );
    }
    gw.shutdown().await;
}

fn dump_files(cfg: &LoginConfig) -> Vec<PathBuf> {
    match std::fs::read_dir(cfg.dump_dir()) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn changed_selectors_stop_with_a_page_dump_and_no_password() {
    let Some(chromium) = chromium("changed_selectors_stop_with_a_page_dump_and_no_password") else {
        return;
    };
    let _one = one_at_a_time().await;
    let faults = LoginFaults {
        changed_selectors: true,
        ..Default::default()
    };
    let gw = sim(vec![LoginUser::live("trader1", PASSWORD)], faults).await;
    let state = tempfile::tempdir().unwrap();
    let mut cfg = config(&gw, chromium, &state, creds("trader1", PASSWORD, None));
    cfg.page_timeout = Duration::from_secs(3);
    let err = login(&cfg).await.unwrap_err();
    let text = err.to_string();
    let LoginError::PageChanged { dump, missing, .. } = err else {
        panic!("{text}")
    };
    assert!(text.contains("IBKR's login page changed"), "{text}");
    assert!(missing.contains("#xyz-field-username"), "{missing}");
    let html = std::fs::read_to_string(&dump.html).unwrap();
    assert!(html.contains("signin-user"), "the dump is the changed page");
    assert!(!html.contains(PASSWORD));
    let png = std::fs::read(&dump.screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    assert!(gw.inspect().logins().is_empty(), "nothing was submitted");
    // Not retried: the budget halts.
    let again = login(&cfg).await.unwrap_err();
    assert!(matches!(again, LoginError::BudgetSpent { .. }), "{again}");
    assert!(again.to_string().contains("page changed"), "{again}");
    gw.shutdown().await;
}

#[tokio::test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn page_success_without_api_success_counts_as_a_failure() {
    let Some(chromium) = chromium("page_success_without_api_success_counts_as_a_failure") else {
        return;
    };
    let _one = one_at_a_time().await;
    let faults = LoginFaults {
        page_success_without_api: true,
        ..Default::default()
    };
    let gw = sim(
        vec![LoginUser::live("trader1", PASSWORD).totp(TOTP)],
        faults,
    )
    .await;
    let state = tempfile::tempdir().unwrap();
    let mut cfg = config(
        &gw,
        chromium,
        &state,
        creds("trader1", PASSWORD, Some(TOTP)),
    );
    cfg.deadline = Duration::from_secs(5);
    let err = login(&cfg).await.unwrap_err();
    assert!(matches!(err, LoginError::NotAuthenticated(_)), "{err}");
    assert_eq!(gw.inspect().login_count(&LoginOutcome::PageOnlySuccess), 1);
    let failures = cfg.budget().unwrap().failures(chrono::Utc::now()).unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].kind, "page-success-without-api");
    // The next attempt waits minutes.
    let err = login(&cfg).await.unwrap_err();
    assert!(matches!(err, LoginError::Backoff { .. }), "{err}");
    assert_eq!(gw.inspect().logins().len(), 1);
    gw.shutdown().await;
}

#[tokio::test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn an_unanswered_push_counts_as_a_failure() {
    let Some(chromium) = chromium("an_unanswered_push_counts_as_a_failure") else {
        return;
    };
    let _one = one_at_a_time().await;
    let faults = LoginFaults {
        push_unanswered: true,
        ..Default::default()
    };
    let gw = sim(vec![LoginUser::live("trader1", PASSWORD).push()], faults).await;
    let state = tempfile::tempdir().unwrap();
    let mut cfg = config(&gw, chromium, &state, creds("trader1", PASSWORD, None));
    cfg.deadline = Duration::from_secs(5);
    let err = login(&cfg).await.unwrap_err();
    assert!(matches!(err, LoginError::TwoFactorUnanswered(_)), "{err}");
    let failures = cfg.budget().unwrap().failures(chrono::Utc::now()).unwrap();
    assert_eq!(failures[0].kind, "2fa-unanswered");
    gw.shutdown().await;
}

#[tokio::test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn an_approved_push_logs_in() {
    let Some(chromium) = chromium("an_approved_push_logs_in") else {
        return;
    };
    let _one = one_at_a_time().await;
    let gw = sim(
        vec![LoginUser::live("trader1", PASSWORD).push()],
        LoginFaults::default(),
    )
    .await;
    gw.control().login().set_push_delay(Duration::from_secs(1));
    let state = tempfile::tempdir().unwrap();
    let cfg = config(&gw, chromium, &state, creds("trader1", PASSWORD, None));
    login(&cfg).await.unwrap();
    assert_eq!(gw.inspect().login_count(&LoginOutcome::Succeeded), 1);
    gw.shutdown().await;
}

#[tokio::test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn a_slow_page_within_the_timeout_logs_in_and_beyond_it_times_out() {
    let Some(chromium) = chromium("a_slow_page_within_the_timeout_logs_in_and_beyond_it_times_out")
    else {
        return;
    };
    let _one = one_at_a_time().await;
    let gw = sim(
        vec![LoginUser::live("trader1", PASSWORD)],
        LoginFaults::default(),
    )
    .await;
    let state = tempfile::tempdir().unwrap();
    let mut cfg = config(&gw, chromium, &state, creds("trader1", PASSWORD, None));
    cfg.page_timeout = Duration::from_secs(4);
    gw.control().login().set_page_delay(Duration::from_secs(6));
    let err = login(&cfg).await.unwrap_err();
    assert!(matches!(err, LoginError::Timeout(_)), "{err}");
    assert!(gw.inspect().logins().is_empty());
    cfg.budget().unwrap().reset().unwrap();
    gw.control().login().set_page_delay(Duration::from_secs(2));
    login(&cfg).await.unwrap();
    gw.shutdown().await;
}

#[tokio::test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn an_open_sso_session_is_reopened_without_a_browser_and_competing_is_not_taken_over() {
    let Some(chromium) = chromium(
        "an_open_sso_session_is_reopened_without_a_browser_and_competing_is_not_taken_over",
    ) else {
        return;
    };
    let _one = one_at_a_time().await;
    let gw = Gateway::builder()
        .seed(7)
        .brokerage_session(false)
        .start()
        .await
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let cfg = config(&gw, chromium, &state, creds("trader1", PASSWORD, None));
    let report = login(&cfg).await.unwrap();
    assert_eq!(report.method, LoginMethod::Reopened);
    assert!(gw.inspect().logins().is_empty());
    gw.control().set_competing(true);
    let err = login(&cfg).await.unwrap_err();
    assert!(matches!(err, LoginError::Competing), "{err}");
    assert!(
        cfg.budget()
            .unwrap()
            .failures(chrono::Utc::now())
            .unwrap()
            .is_empty()
    );
    gw.shutdown().await;
}

/// Noon in New York: outside the nightly window whatever the real time.
fn new_york_noon() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone as _;
    chrono::Utc.with_ymd_and_hms(2026, 7, 15, 16, 0, 0).unwrap()
}

#[tokio::test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn relogin_after_a_midnight_reset_and_not_after_the_budget_is_spent() {
    let Some(chromium) =
        chromium("relogin_after_a_midnight_reset_and_not_after_the_budget_is_spent")
    else {
        return;
    };
    let _one = one_at_a_time().await;
    let gw = sim(
        vec![LoginUser::live("trader1", PASSWORD).totp(TOTP)],
        LoginFaults::default(),
    )
    .await;
    let state = tempfile::tempdir().unwrap();
    let cfg = config(
        &gw,
        chromium,
        &state,
        creds("trader1", PASSWORD, Some(TOTP)),
    );
    let mut relogin = Relogin::new(cfg.clone(), Schedule::default()).unwrap();

    // The reset happens at midnight New York: inside the window, no attempt, no failure.
    gw.control().drop_session();
    use chrono::TimeZone as _;
    let midnight = chrono::Utc.with_ymd_and_hms(2026, 7, 15, 4, 2, 0).unwrap();
    match relogin.on_session_lost(midnight).await {
        ReloginDecision::Wait { until, reason } => {
            assert!(until >= chrono::Utc.with_ymd_and_hms(2026, 7, 15, 5, 30, 0).unwrap());
            assert!(reason.contains("nightly"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(gw.inspect().logins().is_empty());
    // After the window: one login.
    match relogin.on_session_lost(new_york_noon()).await {
        ReloginDecision::LoggedIn(r) => assert_eq!(r.method, LoginMethod::Browser),
        other => panic!("{other:?}"),
    }
    assert_eq!(gw.inspect().login_count(&LoginOutcome::Succeeded), 1);
    assert!(relogin.reason().is_none());

    // The budget is spent (failures recorded by earlier runs): no attempt, a reason for
    // /readyz, however often it is asked.
    gw.control().drop_session();
    let budget = cfg.budget().unwrap();
    let now = chrono::Utc::now();
    for m in [70, 50, 30] {
        budget
            .record_failure("timeout", now - chrono::Duration::minutes(m))
            .unwrap();
    }
    for _ in 0..3 {
        match relogin.on_session_lost(now).await {
            ReloginDecision::Stopped { reason } => {
                assert!(reason.contains("--reset-budget"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(relogin.is_stopped());
    assert!(
        relogin.reason().unwrap().contains("log in once by hand")
            || relogin.reason().unwrap().contains("Log in once by hand")
    );
    assert_eq!(gw.inspect().logins().len(), 1, "no attempt while spent");
    // A reset (the CLI's --reset-budget) lets it log in again.
    budget.reset().unwrap();
    let decision = relogin.on_session_lost(new_york_noon()).await;
    assert!(
        matches!(decision, ReloginDecision::LoggedIn(_)),
        "{decision:?}"
    );
    assert_eq!(gw.inspect().logins().len(), 2);
    gw.shutdown().await;
}

/// Captures every event at TRACE, chromiumoxide's included.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn no_secret_in_the_captured_logs() {
    let Some(chromium) = chromium("no_secret_in_the_captured_logs") else {
        return;
    };
    let _one = one_at_a_time().await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let gw = sim(
        vec![
            LoginUser::live("trader1", PASSWORD).totp(TOTP),
            LoginUser::live("trader2", PASSWORD),
        ],
        LoginFaults::default(),
    )
    .await;
    let state = tempfile::tempdir().unwrap();
    let cfg = config(
        &gw,
        chromium.clone(),
        &state,
        creds("trader1", PASSWORD, Some(TOTP)),
    );
    login(&cfg).await.unwrap();
    gw.control().drop_session();
    let state2 = tempfile::tempdir().unwrap();
    let wrong = "Wr0ng-pass!x";
    let cfg2 = config(&gw, chromium, &state2, creds("trader2", wrong, None));
    let err = login(&cfg2).await.unwrap_err();
    assert!(
        matches!(err, LoginError::InvalidCredentials { .. }),
        "{err}"
    );
    gw.shutdown().await;

    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(
        logs.contains("submitting the login form"),
        "the capture works"
    );
    assert!(logs.contains("typing the TOTP code"));
    for secret in [PASSWORD, wrong, TOTP] {
        assert!(!logs.contains(secret), "a secret is in the logs");
    }
    // The codes of the steps around now, as typed text.
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for step in 0..6u64 {
        let code = ibkr_gateway::login::totp_code(&Secret::new(TOTP), t - step * 30).unwrap();
        assert!(
            !logs.contains(&format!("\"{}\"", code.expose())),
            "a TOTP code is in the logs"
        );
    }
    // Typed keys travel one DevTools message per character: none may be logged (they
    // would spell the password out).
    assert!(
        !logs.contains("dispatchKeyEvent"),
        "typed keys are in the logs"
    );
    if let Ok(path) = std::env::var("IBKR_LOGIN_TEST_LOG_COPY") {
        std::fs::write(path, &logs).unwrap();
    }
    println!("{} bytes of logs, no secret", logs.len());
}
