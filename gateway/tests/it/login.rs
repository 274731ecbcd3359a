//! The login's offline parts: credentials, TOTP, page rules, the failure budget (across
//! two processes too), the schedule. No browser, no network.

use std::path::Path;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use ibkr_gateway::login::{
    Credentials, DEFAULT_PAGE_RULES, FailureBudget, LoginError, PageRules, Region, Schedule,
    Secret, totp_code,
};

fn write_mode(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
}

const FILE: &str = "username = \"trader1\"\npassword = \"pw-Zx81!q\"\ntotp_secret = \"GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ\"\n";

#[test]
fn credentials_file_with_mode_0600_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("creds.toml");
    write_mode(&path, FILE, 0o600);
    let c = Credentials::from_file(&path).unwrap();
    assert_eq!(c.username.expose(), "trader1");
    assert_eq!(c.password.expose(), "pw-Zx81!q");
    assert!(c.totp_secret.is_some());
    let shown = format!("{c:?}");
    assert!(
        !shown.contains("pw-Zx81") && !shown.contains("GEZD"),
        "{shown}"
    );
}

#[cfg(unix)]
#[test]
fn credentials_file_readable_by_others_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("creds.toml");
    for mode in [0o644, 0o640, 0o604, 0o660] {
        write_mode(&path, FILE, mode);
        let err = Credentials::from_file(&path).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, LoginError::Config(_)));
        assert!(text.contains(&format!("{mode:04o}")), "{text}");
        assert!(
            text.contains(&format!("chmod 600 {}", path.display())),
            "{text}"
        );
        assert!(!text.contains("pw-Zx81"), "{text}");
    }
}

#[test]
fn a_bad_credentials_file_says_what_is_wrong_without_quoting_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("creds.toml");
    // A syntax error on the password's line.
    write_mode(
        &path,
        "username = \"trader1\"\npassword = \"pw-Zx81!q\nsecret\"\n",
        0o600,
    );
    let text = Credentials::from_file(&path).unwrap_err().to_string();
    assert!(
        text.contains("not valid") && text.contains("line"),
        "{text}"
    );
    assert!(!text.contains("pw-Zx81"), "{text}");
    // An unknown key.
    write_mode(
        &path,
        "username = \"trader1\"\npassword = \"pw-Zx81!q\"\npasswd = \"pw-Zx81!q\"\n",
        0o600,
    );
    let text = Credentials::from_file(&path).unwrap_err().to_string();
    assert!(!text.contains("pw-Zx81"), "{text}");
    // A TOTP secret that is not base32.
    write_mode(
        &path,
        "username = \"trader1\"\npassword = \"pw-Zx81!q\"\ntotp_secret = \"not-base32-1890!\"\n",
        0o600,
    );
    let text = Credentials::from_file(&path).unwrap_err().to_string();
    assert!(
        text.contains("totp_secret") && text.contains("base32"),
        "{text}"
    );
    assert!(!text.contains("not-base32-1890"), "{text}");
    // Missing password.
    write_mode(&path, "username = \"trader1\"\n", 0o600);
    let text = Credentials::from_file(&path).unwrap_err().to_string();
    assert!(text.contains("password"), "{text}");
    // Missing file.
    let text = Credentials::from_file(dir.path().join("nope.toml"))
        .unwrap_err()
        .to_string();
    assert!(text.contains("nope.toml"), "{text}");
}

/// RFC 6238 Appendix B, SHA1, key "12345678901234567890" (base32 below): the 8-digit codes
/// end in these 6 digits.
#[test]
fn totp_codes_match_rfc_6238() {
    let secret = Secret::new("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    for (t, code) in [
        (59u64, "287082"),
        (1_111_111_109, "081804"),
        (1_111_111_111, "050471"),
        (1_234_567_890, "005924"),
        (2_000_000_000, "279037"),
        (20_000_000_000, "353130"),
    ] {
        assert_eq!(totp_code(&secret, t).unwrap().expose(), code, "T={t}");
    }
    // As apps show it: lower case, spaces, padding.
    let spaced = Secret::new("gezd gnbv gy3t qojq gezd gnbv gy3t qojq====");
    assert_eq!(totp_code(&spaced, 59).unwrap().expose(), "287082");
    let creds = Credentials::new("u", "p", Some(secret));
    assert_eq!(creds.totp_code_at(59).unwrap().unwrap().expose(), "287082");
    assert!(
        Credentials::new("u", "p", None)
            .totp_code_at(59)
            .unwrap()
            .is_none()
    );
}

#[test]
fn credentials_come_from_the_environment() {
    // One test touches these variables; nothing else in this binary reads them.
    unsafe {
        std::env::set_var("IBKR_USERNAME", "envuser");
        std::env::set_var("IBKR_PASSWORD", "env-pw-55");
        std::env::remove_var("IBKR_TOTP_SECRET");
    }
    let c = Credentials::from_env().unwrap();
    assert_eq!(c.username.expose(), "envuser");
    assert!(c.totp_secret.is_none());
    unsafe {
        std::env::set_var("IBKR_TOTP_SECRET", "JBSWY3DPEHPK3PXP");
    }
    assert!(Credentials::from_env().unwrap().totp_secret.is_some());
    unsafe {
        std::env::remove_var("IBKR_PASSWORD");
    }
    let text = Credentials::from_env().unwrap_err().to_string();
    assert!(text.contains("IBKR_PASSWORD"), "{text}");
    unsafe {
        std::env::remove_var("IBKR_USERNAME");
        std::env::remove_var("IBKR_TOTP_SECRET");
    }
}

#[test]
fn the_built_in_page_rules_hold_every_selector_and_text() {
    let r = PageRules::default();
    assert_eq!(r.version, 1);
    assert_eq!(r.login_path, "/sso/Login?forwardTo=22&RL=1&ip2loc=on");
    assert_eq!(r.form.username, "#xyz-field-username");
    assert_eq!(r.form.password, "#xyz-field-password");
    assert_eq!(r.form.submit, ".btn.btn-lg.xyz-button-login");
    assert_eq!(r.form.paper_toggle, "#toggle1");
    assert_eq!(r.form.paper_toggle_click, "label[for=toggle1]");
    assert_eq!(r.two_factor.container, "#twofactbase");
    assert_eq!(r.two_factor.code_input, "#xyz-field-bronze-response");
    assert_eq!(r.two_factor.push_notice, ".login-step-notification");
    assert_eq!(r.outcome.error, ".xyz-errormessage");
    assert_eq!(r.outcome.promo_skip, ".ibkey-promo-skip");
    assert_eq!(r.outcome.success_text, "Client login succeeds");
    assert_eq!(
        r.outcome.invalid_credentials_text,
        "Invalid username password combination"
    );
    assert_eq!(
        r.outcome.paper_user_in_live_mode,
        ["Live Account Mode", "Paper Trading user"]
    );
}

#[test]
fn page_rules_from_a_file_override_the_built_in_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    let edited = DEFAULT_PAGE_RULES
        .replace("#xyz-field-username", "input[name=user_id]")
        .replace(".btn.btn-lg.xyz-button-login", "button.signin-submit");
    std::fs::write(&path, edited).unwrap();
    let r = PageRules::from_file(&path).unwrap();
    assert_eq!(r.form.username, "input[name=user_id]");
    assert_eq!(r.form.submit, "button.signin-submit");
    assert_eq!(r.form.password, "#xyz-field-password");

    // Another version, an unknown key, an empty selector: refused, naming the file.
    for (bad, says) in [
        (
            DEFAULT_PAGE_RULES.replace("version = 1", "version = 2"),
            "version 2",
        ),
        (
            DEFAULT_PAGE_RULES.replace("[form]", "[form]\nusernme = \"x\""),
            "usernme",
        ),
        (
            DEFAULT_PAGE_RULES.replace("\"#xyz-field-password\"", "\"  \""),
            "form.password is empty",
        ),
    ] {
        std::fs::write(&path, bad).unwrap();
        let text = PageRules::from_file(&path).unwrap_err().to_string();
        assert!(text.contains("rules.toml") && text.contains(says), "{text}");
    }
}

fn now() -> chrono::DateTime<Utc> {
    Utc::now()
}

#[test]
fn the_budget_persists_and_spends_after_three_failures_in_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = now();
    {
        let b = FailureBudget::open(dir.path()).unwrap();
        assert!(b.check(t0).is_ok());
        b.record_failure("timeout", t0).unwrap();
    } // dropped: only the file remains
    let b = FailureBudget::open(dir.path()).unwrap();
    assert_eq!(b.failures(t0).unwrap().len(), 1);
    // Backoff in minutes: 5 after the first failure.
    match b.check(t0 + chrono::Duration::minutes(1)) {
        Err(LoginError::Backoff { retry_at, .. }) => {
            assert_eq!(retry_at, t0 + chrono::Duration::minutes(5))
        }
        other => panic!("{other:?}"),
    }
    assert!(b.check(t0 + chrono::Duration::minutes(5)).is_ok());
    let t1 = t0 + chrono::Duration::minutes(6);
    b.record_failure("2fa-unanswered", t1).unwrap();
    // 10 minutes after the second.
    assert!(matches!(
        b.check(t1 + chrono::Duration::minutes(9)),
        Err(LoginError::Backoff { .. })
    ));
    assert!(b.check(t1 + chrono::Duration::minutes(10)).is_ok());
    let t2 = t1 + chrono::Duration::minutes(11);
    FailureBudget::open(dir.path())
        .unwrap()
        .record_failure("page-success-without-api", t2)
        .unwrap();
    let err = FailureBudget::open(dir.path())
        .unwrap()
        .check(t2 + chrono::Duration::hours(2))
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, LoginError::BudgetSpent { .. }), "{text}");
    assert!(
        text.contains("log in once by hand") || text.contains("Log in once by hand"),
        "{text}"
    );
    assert!(text.contains("ibkr gateway login --reset-budget"), "{text}");
    assert!(text.contains("3 failed logins"), "{text}");
    // 24 h after the first failure it no longer counts; the backoff after two is 10 min.
    let later = t0 + chrono::Duration::hours(24) + chrono::Duration::minutes(1);
    assert_eq!(b.failures(later).unwrap().len(), 2);
    // A reset clears it.
    b.reset().unwrap();
    assert!(FailureBudget::open(dir.path()).unwrap().check(t2).is_ok());
    // No temporary file is left next to it.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["login-budget.json"]);
}

#[test]
fn a_halt_stops_at_once_and_only_a_reset_lifts_it() {
    let dir = tempfile::tempdir().unwrap();
    let b = FailureBudget::open(dir.path())
        .unwrap()
        .with_max_failures(5);
    let t = now();
    b.record_halt(
        "invalid-credentials",
        "IBKR refused the username or password",
        t,
    )
    .unwrap();
    let err = b.check(t + chrono::Duration::days(3)).unwrap_err();
    assert!(matches!(err, LoginError::BudgetSpent { .. }));
    assert!(err.to_string().contains("refused the username or password"));
    b.reset().unwrap();
    assert!(b.check(t + chrono::Duration::days(3)).is_ok());
}

#[test]
fn a_success_clears_the_failures_and_a_damaged_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let b = FailureBudget::open(dir.path()).unwrap();
    let t = now();
    b.record_failure("timeout", t).unwrap();
    b.record_success(t).unwrap();
    assert!(b.check(t).is_ok());
    std::fs::write(b.path(), "{ not json").unwrap();
    let text = FailureBudget::open(dir.path()).unwrap_err().to_string();
    assert!(text.contains("damaged"), "{text}");
}

#[test]
fn backoff_doubles_from_minutes_and_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let b = FailureBudget::open(dir.path()).unwrap();
    let mins = |n| b.backoff_after(n).as_secs() / 60;
    assert_eq!(
        [mins(1), mins(2), mins(3), mins(4), mins(5), mins(9)],
        [5, 10, 20, 40, 60, 60]
    );
    let b = b.with_backoff(Duration::from_secs(120));
    assert_eq!(b.backoff_after(1), Duration::from_secs(120));
}

/// The child half of the two-process test: records one failure in the directory it is
/// given, or reports the budget's verdict. Does nothing when run on its own.
#[test]
fn budget_child_process() {
    let Ok(dir) = std::env::var("IBKR_LOGIN_TEST_BUDGET_DIR") else {
        println!(
            "budget_child_process: a helper of budget_survives_across_processes; nothing to do alone"
        );
        return;
    };
    let b = FailureBudget::open(&dir).unwrap();
    match std::env::var("IBKR_LOGIN_TEST_BUDGET_ACTION").as_deref() {
        Ok("record") => b
            .record_failure("timeout", now() - chrono::Duration::hours(1))
            .unwrap(),
        Ok("check") => match b.check(now()) {
            Ok(()) => println!("VERDICT=ok"),
            Err(LoginError::BudgetSpent { .. }) => println!("VERDICT=spent"),
            Err(e) => println!("VERDICT=other:{e}"),
        },
        other => panic!("unknown action {other:?}"),
    }
}

fn run_child(dir: &Path, action: &str) -> String {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            // The test's name in this binary: its module path without the crate's name.
            &format!(
                "{}::budget_child_process",
                module_path!().split_once("::").map_or("", |(_, m)| m)
            ),
            "--nocapture",
            "--test-threads=1",
        ])
        .env("IBKR_LOGIN_TEST_BUDGET_DIR", dir)
        .env("IBKR_LOGIN_TEST_BUDGET_ACTION", action)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn budget_survives_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    // Two failures recorded by two other processes, then one here: spent for a third process.
    run_child(dir.path(), "record");
    run_child(dir.path(), "record");
    let b = FailureBudget::open(dir.path()).unwrap();
    assert_eq!(b.failures(now()).unwrap().len(), 2);
    assert!(run_child(dir.path(), "check").contains("VERDICT=ok"));
    b.record_failure("timeout", now() - chrono::Duration::hours(1))
        .unwrap();
    assert!(run_child(dir.path(), "check").contains("VERDICT=spent"));
    b.reset().unwrap();
    assert!(run_child(dir.path(), "check").contains("VERDICT=ok"));
}

#[test]
fn the_nightly_window_follows_each_region_with_daylight_saving() {
    let s = Schedule::new(Region::NewYork).with_jitter(Duration::ZERO);
    // 2026-01-15 00:30 EST = 05:30 UTC: inside; ends 01:30 EST = 06:30 UTC.
    let t = Utc.with_ymd_and_hms(2026, 1, 15, 5, 30, 0).unwrap();
    let w = s.window_at(t).unwrap();
    assert_eq!(w.end, Utc.with_ymd_and_hms(2026, 1, 15, 6, 30, 0).unwrap());
    assert_eq!(
        w.start,
        Utc.with_ymd_and_hms(2026, 1, 15, 4, 55, 0).unwrap()
    );
    assert_eq!(s.next_login_after(t), w.end);
    // Summer (EDT): 23:58 EDT on July 14 = 03:58 UTC July 15.
    let t = Utc.with_ymd_and_hms(2026, 7, 15, 3, 58, 0).unwrap();
    assert_eq!(
        s.window_at(t).unwrap().end,
        Utc.with_ymd_and_hms(2026, 7, 15, 5, 30, 0).unwrap()
    );
    // Noon in New York: no window; a login may start now.
    let noon = Utc.with_ymd_and_hms(2026, 7, 15, 16, 0, 0).unwrap();
    assert!(!s.expects_logout(noon));
    assert_eq!(s.next_login_after(noon), noon);
    // Zug at 01:00 CEST = 23:00 UTC; Hong Kong at 00:10 HKT = 16:10 UTC.
    let zug = Schedule::new(Region::Zug);
    assert!(zug.expects_logout(Utc.with_ymd_and_hms(2026, 7, 14, 23, 0, 0).unwrap()));
    assert!(!zug.expects_logout(Utc.with_ymd_and_hms(2026, 7, 15, 3, 58, 0).unwrap()));
    let hk = Schedule::new(Region::HongKong);
    assert!(hk.expects_logout(Utc.with_ymd_and_hms(2026, 7, 15, 16, 10, 0).unwrap()));
    // Jitter: after the window's end, at most the jitter.
    let j = Schedule::new(Region::NewYork).with_jitter(Duration::from_secs(600));
    let t = Utc.with_ymd_and_hms(2026, 1, 15, 5, 30, 0).unwrap();
    let next = j.next_login_after(t);
    let end = Utc.with_ymd_and_hms(2026, 1, 15, 6, 30, 0).unwrap();
    assert!(next >= end && next <= end + chrono::Duration::minutes(10));
    assert_eq!("hk".parse::<Region>().unwrap(), Region::HongKong);
    assert!("mars".parse::<Region>().is_err());
}
