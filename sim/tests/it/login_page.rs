//! IBKR's login page at `/sso/Login`: ids and texts from `gateway.md` §4, the live/paper
//! toggle, TOTP and push second factors, the API session it opens, and its fault switches.

use std::time::{Duration, SystemTime};

use crate::common::{Sim, sim_with};
use ibkr_sim::login::{INVALID_CODE, INVALID_CREDENTIALS, PAPER_USER_IN_LIVE_MODE, SUCCESS};
use ibkr_sim::{Gateway, GatewayBuilder, Limits, LoginFaults, LoginOutcome, LoginUser};
use serde_json::{Value, json};

/// RFC 6238's SHA-1 test secret ("12345678901234567890"), base32.
const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const PASSWORD: &str = "s3cret-Pa55";

fn logged_out() -> GatewayBuilder {
    Gateway::builder()
        .plain_http()
        .limits(Limits::unlimited())
        .logged_in(false)
        .login_user(LoginUser::paper("paperuser", PASSWORD))
        .login_user(LoginUser::live("liveuser", PASSWORD).totp(SECRET))
        .login_user(LoginUser::paper("pushuser", PASSWORD).push())
}

/// `application/x-www-form-urlencoded`, as a browser encodes a form.
fn encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let esc = |s: &str| {
                s.bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                            (b as char).to_string()
                        }
                        b' ' => "+".to_string(),
                        b => format!("%{b:02X}"),
                    })
                    .collect::<String>()
            };
            format!("{}={}", esc(k), esc(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn root(s: &Sim) -> String {
    s.gw.base_url().trim_end_matches("/v1/api").to_string()
}

async fn page(s: &Sim) -> String {
    let resp = s
        .http
        .get(format!("{}/sso/Login?forwardTo=22&RL=1&ip2loc=US", root(s)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    resp.text().await.unwrap()
}

/// Post a form as the page does without its script; the next page's HTML.
async fn submit(s: &Sim, fields: &[(&str, &str)]) -> String {
    let body = encode(fields);
    let resp = s
        .http
        .post(format!("{}/sso/Login?forwardTo=22&RL=1&ip2loc=US", root(s)))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", body.len().to_string())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

/// Post a form as the page's script does (`Accept: application/json`).
async fn submit_json(s: &Sim, fields: &[(&str, &str)]) -> Value {
    let body = encode(fields);
    s.http
        .post(format!("{}/sso/Login", root(s)))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn credentials<'a>(user: &'a str, password: &'a str, paper: bool) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![("username", user), ("password", password)];
    if paper {
        f.push(("paperSwitch", "on"));
    }
    f
}

/// The value of the hidden `loginId` field.
fn login_id(html: &str) -> String {
    let at = html
        .find(r#"name="loginId" value=""#)
        .expect("a loginId field")
        + 22;
    html[at..].split('"').next().unwrap().to_string()
}

/// `(status, authenticated)` of `/tickle`; `authenticated` is `None` without a session.
async fn tickle(s: &Sim) -> (u16, Option<bool>) {
    let t = s.post_empty("/tickle").await;
    (
        t.status,
        t.body["iserver"]["authStatus"]["authenticated"].as_bool(),
    )
}

fn code_at(at: SystemTime) -> String {
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(SECRET).unwrap())
        .build_noncompliant();
    let secs = at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    totp.generate(secs).to_string()
}

#[tokio::test]
async fn the_page_has_ibkrs_elements_and_nothing_external() {
    let s = sim_with(logged_out()).await;
    let html = page(&s).await;
    for expected in [
        r#"id="xyz-field-username""#,
        r#"name="username""#,
        r#"id="xyz-field-password""#,
        r#"name="password""#,
        r#"type="password""#,
        r#"class="btn btn-lg xyz-button-login""#,
        r#"<input type="checkbox" id="toggle1" name="paperSwitch""#,
        r#"<label for="toggle1">"#,
        r#"class="login""#,
        "<script>",
    ] {
        assert!(html.contains(expected), "missing {expected}");
    }
    // No error box, no second-factor step yet; no external resource of any kind.
    assert!(!html.contains(r#"class="xyz-errormessage"#));
    assert!(!html.contains("twofactbase"));
    for external in ["src=", "href=", "http://", "https://", "@import"] {
        assert!(!html.contains(external), "{external}");
    }
}

#[tokio::test]
async fn a_paper_login_authenticates_the_api_session() {
    let s = sim_with(logged_out()).await;
    assert_eq!(tickle(&s).await, (401, None), "no session before the login");
    let session_before = s.gw.inspect().requests().len();
    let html = submit(&s, &credentials("paperuser", PASSWORD, true)).await;
    assert!(html.contains(&format!(
        r#"<div id="xyz-login-success" class="ok">{SUCCESS}</div>"#
    )));
    assert_eq!(tickle(&s).await, (200, Some(true)));
    let status = s.post("/iserver/auth/status", json!({})).await;
    assert_eq!(status.body["authenticated"], true);
    assert_eq!(status.body["connected"], true);
    assert_eq!(status.body["established"], true);
    assert_eq!(s.get("/iserver/accounts").await.status, 200);

    let logins = s.gw.inspect().logins();
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].username, "paperuser");
    assert!(logins[0].paper_mode);
    assert_eq!(logins[0].outcome, LoginOutcome::Succeeded);
    // The password never reaches the journal.
    let posted = &s.gw.inspect().requests()[session_before];
    assert_eq!(posted.path, "/sso/Login");
    assert!(
        posted.body.contains("password=<redacted>"),
        "{}",
        posted.body
    );
    assert!(!format!("{:?}", s.gw.inspect().requests()).contains(PASSWORD));
    assert!(!format!("{logins:?}").contains(PASSWORD));
}

#[tokio::test]
async fn a_paper_user_in_live_mode_gets_ibkrs_message_then_the_toggle_logs_in() {
    let s = sim_with(logged_out()).await;
    let html = submit(&s, &credentials("paperuser", PASSWORD, false)).await;
    assert!(html.contains(&format!(
        r#"<div class="xyz-errormessage err" role="alert">{PAPER_USER_IN_LIVE_MODE}</div>"#
    )));
    assert!(
        html.contains(r#"value="paperuser""#),
        "the username is kept"
    );
    assert!(!html.contains(PASSWORD));
    assert_eq!(tickle(&s).await, (401, None));
    // The page's script gets the same as JSON and keeps the form as it is.
    let answer = submit_json(&s, &credentials("paperuser", PASSWORD, false)).await;
    assert_eq!(
        answer,
        json!({"step": "error", "message": PAPER_USER_IN_LIVE_MODE})
    );
    // Toggle to paper and submit again.
    let html = submit(&s, &credentials("paperuser", PASSWORD, true)).await;
    assert!(html.contains(SUCCESS));
    assert_eq!(tickle(&s).await, (200, Some(true)));
    let outcomes: Vec<_> =
        s.gw.inspect()
            .logins()
            .into_iter()
            .map(|a| a.outcome)
            .collect();
    assert_eq!(
        outcomes,
        [
            LoginOutcome::PaperUserInLiveMode,
            LoginOutcome::PaperUserInLiveMode,
            LoginOutcome::Succeeded
        ]
    );
}

#[tokio::test]
async fn a_wrong_password_or_user_is_an_invalid_combination_and_changes_nothing() {
    let s = sim_with(logged_out()).await;
    for (user, password) in [
        ("paperuser", "wrong"),
        ("nobody", PASSWORD),
        ("paperuser", ""),
    ] {
        let html = submit(&s, &credentials(user, password, true)).await;
        assert!(
            html.contains(&format!(
                r#"<div class="xyz-errormessage err" role="alert">{INVALID_CREDENTIALS}</div>"#
            )),
            "{user}"
        );
        assert!(!html.contains(SUCCESS));
    }
    assert_eq!(tickle(&s).await, (401, None));
    assert_eq!(
        s.gw.inspect()
            .login_count(&LoginOutcome::InvalidCredentials),
        3
    );
    assert_eq!(s.gw.inspect().logins().len(), 3);
}

#[tokio::test]
async fn a_totp_login_asks_for_the_code_and_checks_it() {
    let s = sim_with(logged_out()).await;
    let html = submit(&s, &credentials("liveuser", PASSWORD, false)).await;
    assert!(html.contains(r#"<div id="twofactbase">"#));
    assert!(html.contains(r#"id="xyz-field-bronze-response" name="bronzeResponse""#));
    assert!(
        !html.contains(r#"id="xyz-field-password""#),
        "the credentials form is gone"
    );
    let id = login_id(&html);
    assert_eq!(tickle(&s).await, (401, None), "not before the code");
    assert_eq!(
        s.gw.inspect().logins()[0].outcome,
        LoginOutcome::AwaitingCode
    );

    // A code two steps old is outside the ±1 step window.
    let stale = code_at(SystemTime::now() - Duration::from_secs(65));
    let html = submit(&s, &[("loginId", &id), ("bronzeResponse", &stale)]).await;
    assert!(html.contains(INVALID_CODE));
    assert!(
        html.contains(r#"id="xyz-field-bronze-response""#),
        "the code step again"
    );
    assert_eq!(s.gw.inspect().logins()[0].rejected_codes, 1);
    assert_eq!(tickle(&s).await, (401, None));

    let fresh = code_at(SystemTime::now());
    let html = submit(&s, &[("loginId", &id), ("bronzeResponse", &fresh)]).await;
    assert!(html.contains(SUCCESS), "{html}");
    assert_eq!(tickle(&s).await, (200, Some(true)));
    let attempt = &s.gw.inspect().logins()[0];
    assert_eq!(attempt.outcome, LoginOutcome::Succeeded);
    assert!(!attempt.paper_mode);
    let journal = format!("{:?}", s.gw.inspect().requests());
    assert!(
        !journal.contains(&fresh) && !journal.contains(&stale),
        "codes are redacted"
    );
}

#[tokio::test]
async fn three_wrong_codes_end_the_attempt() {
    let s = sim_with(logged_out()).await;
    let html = submit(&s, &credentials("liveuser", PASSWORD, false)).await;
    let id = login_id(&html);
    for _ in 0..3 {
        submit(&s, &[("loginId", &id), ("bronzeResponse", "12345x")]).await;
    }
    let attempt = &s.gw.inspect().logins()[0];
    assert_eq!(attempt.outcome, LoginOutcome::WrongCode);
    assert_eq!(attempt.rejected_codes, 3);
    // Even the right code is too late now.
    let html = submit(
        &s,
        &[
            ("loginId", &id),
            ("bronzeResponse", &code_at(SystemTime::now())),
        ],
    )
    .await;
    assert!(html.contains(ibkr_sim::login::EXPIRED));
    assert_eq!(tickle(&s).await, (401, None));
}

#[tokio::test]
async fn the_script_gets_each_step_as_json() {
    let s = sim_with(logged_out()).await;
    let step = submit_json(&s, &credentials("liveuser", PASSWORD, false)).await;
    assert_eq!(step["step"], "code");
    let id = step["loginId"].as_str().unwrap().to_string();
    assert!(
        step["html"]
            .as_str()
            .unwrap()
            .contains(r#"id="twofactbase""#)
    );
    let wrong = submit_json(&s, &[("loginId", &id), ("bronzeResponse", "000")]).await;
    assert_eq!(wrong, json!({"step": "error", "message": INVALID_CODE}));
    let done = submit_json(
        &s,
        &[
            ("loginId", &id),
            ("bronzeResponse", &code_at(SystemTime::now())),
        ],
    )
    .await;
    assert_eq!(done["step"], "success");
    assert_eq!(done["message"], SUCCESS);
    assert!(done["html"].as_str().unwrap().contains(SUCCESS));
}

async fn push_status(s: &Sim, id: &str) -> Value {
    s.http
        .get(format!("{}/sso/Login/push?loginId={id}", root(s)))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_push_login_completes_when_the_phone_approves() {
    let s = sim_with(logged_out()).await;
    let html = submit(&s, &credentials("pushuser", PASSWORD, true)).await;
    assert!(html.contains(r#"<div id="twofactbase">"#));
    assert!(html.contains(r#"class="login-step-notification note""#));
    let id = html
        .split(r#"data-push=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(push_status(&s, &id).await["status"], "pending");
    assert_eq!(tickle(&s).await, (401, None));
    assert_eq!(
        s.gw.inspect().logins()[0].outcome,
        LoginOutcome::AwaitingPush
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let approved = push_status(&s, &id).await;
    assert_eq!(approved["status"], "approved");
    assert!(approved["html"].as_str().unwrap().contains(SUCCESS));
    assert_eq!(tickle(&s).await, (200, Some(true)));
    assert_eq!(s.gw.inspect().logins()[0].outcome, LoginOutcome::Succeeded);
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_push_shows_the_notification_step_forever() {
    let s = sim_with(logged_out().login_faults(LoginFaults {
        push_unanswered: true,
        ..LoginFaults::default()
    }))
    .await;
    let html = submit(&s, &credentials("pushuser", PASSWORD, true)).await;
    let id = html
        .split(r#"data-push=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(push_status(&s, &id).await["status"], "pending");
    let still = s
        .http
        .get(format!("{}/sso/Login/push?loginId={id}", root(&s)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(still.contains("login-step-notification"));
    assert!(!still.contains(SUCCESS));
    assert_eq!(tickle(&s).await, (401, None));
    assert_eq!(
        s.gw.inspect().logins()[0].outcome,
        LoginOutcome::AwaitingPush
    );
}

#[tokio::test]
async fn changed_selectors_leave_none_of_the_expected_elements() {
    let s = sim_with(logged_out()).await;
    s.gw.control().login().set_changed_selectors(true);
    let html = page(&s).await;
    for gone in [
        "xyz-",
        "toggle1",
        "paperSwitch",
        r#"name="username""#,
        r#"name="password""#,
        r#"class="login""#,
        "btn-lg",
    ] {
        assert!(!html.contains(gone), "{gone} is still there");
    }
    assert!(html.contains(r#"type="password""#), "still a login form");
    // A person can still log in with it; the later steps are changed too.
    let html = submit(&s, &[("user_id", "liveuser"), ("user_secret", PASSWORD)]).await;
    for gone in ["twofactbase", "bronze", "xyz-"] {
        assert!(!html.contains(gone), "{gone} in the code step");
    }
    let id = login_id(&html);
    let html = submit(
        &s,
        &[("loginId", &id), ("otp_code", &code_at(SystemTime::now()))],
    )
    .await;
    assert!(html.contains(SUCCESS));
    assert!(s.gw.inspect().logins()[0].changed_selectors);
    // Switched back: the usual page.
    s.gw.control().login().set_changed_selectors(false);
    assert!(page(&s).await.contains(r#"id="xyz-field-username""#));
}

#[tokio::test(start_paused = true)]
async fn a_slow_page_answers_only_after_its_delay() {
    let s = sim_with(logged_out().login_faults(LoginFaults {
        page_delay: Duration::from_secs(20),
        ..LoginFaults::default()
    }))
    .await;
    let url = format!("{}/sso/Login", root(&s));
    let early = tokio::time::timeout(Duration::from_secs(19), s.http.get(&url).send()).await;
    assert!(early.is_err(), "answered before the delay");
    let started = tokio::time::Instant::now();
    let resp = s.http.get(&url).send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(20));
    assert!(resp.text().await.unwrap().contains("xyz-field-username"));
    s.gw.control().login().set_page_delay(Duration::ZERO);
    let started = tokio::time::Instant::now();
    s.http.get(&url).send().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn page_success_without_api_success_never_authenticates() {
    let s = sim_with(logged_out()).await;
    s.gw.control().login().set_page_success_without_api(true);
    let html = submit(&s, &credentials("paperuser", PASSWORD, true)).await;
    assert!(html.contains(SUCCESS));
    assert_eq!(tickle(&s).await, (401, None));
    assert_eq!(s.post("/iserver/auth/status", json!({})).await.status, 401);
    assert_eq!(
        s.post(
            "/iserver/auth/ssodh/init",
            json!({"publish": true, "compete": true})
        )
        .await
        .status,
        401
    );
    assert_eq!(
        s.gw.inspect().logins()[0].outcome,
        LoginOutcome::PageOnlySuccess
    );
}

#[tokio::test]
async fn the_midnight_reset_ends_a_browser_login_and_a_new_login_restores_it() {
    let s = sim_with(logged_out()).await;
    submit(&s, &credentials("paperuser", PASSWORD, true)).await;
    let first = s.post_empty("/tickle").await.body["session"].clone();
    assert_eq!(tickle(&s).await, (200, Some(true)));
    s.gw.control().drop_session();
    assert_eq!(tickle(&s).await, (401, None));
    submit(&s, &credentials("paperuser", PASSWORD, true)).await;
    assert_eq!(tickle(&s).await, (200, Some(true)));
    let second = s.post_empty("/tickle").await.body["session"].clone();
    assert_ne!(first, second, "a new session id after a new login");
    assert_eq!(s.gw.inspect().login_count(&LoginOutcome::Succeeded), 2);
}

#[tokio::test]
async fn users_added_at_run_time_and_debug_hides_secrets() {
    let s = sim_with(logged_out()).await;
    let user = LoginUser::live("later", "hunter2-value").totp(SECRET);
    let shown = format!("{user:?}");
    assert!(
        !shown.contains("hunter2-value") && !shown.contains(SECRET),
        "{shown}"
    );
    let html = submit(&s, &credentials("later", "hunter2-value", false)).await;
    assert!(html.contains(INVALID_CREDENTIALS));
    s.gw.control()
        .login()
        .add_user(LoginUser::live("later", "hunter2-value"));
    let html = submit(&s, &credentials("later", "hunter2-value", false)).await;
    assert!(html.contains(SUCCESS));
    assert!(s.gw.control().login().remove_user("later"));
}
