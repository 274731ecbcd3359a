//! The unattended login: IBKR's login page in a real headless Chromium, with TOTP, that
//! cannot lock an account.
//!
//! # The flow of [`login`]
//!
//! 1. **Lock.** `STATE_DIR/login.lock` is created exclusively: one login at a time per
//!    state directory, across processes (a lock whose process is gone, or older than 30
//!    minutes, is stale). Everything below runs under it, so two processes never both pass
//!    the budget check and both try.
//! 2. **Ask the API first.** `POST /v1/api/tickle` on the gateway:
//!    - authenticated and not competing: nothing to do but open the brokerage session;
//!    - competing and [`LoginConfig::compete`] unset: [`LoginError::Competing`] (reported,
//!      never taken over; not a failure);
//!    - an SSO session without a brokerage session (connected, not authenticated):
//!      `ssodh/init` and `reauthenticate`, then a short wait; no browser if that works.
//! 3. **Budget.** [`FailureBudget::check`]: refuse when it is spent or halted
//!    ([`LoginError::BudgetSpent`]), or when the last failure is too recent
//!    ([`LoginError::Backoff`]).
//! 4. **Browser** (as ibeam does it, with [`PageRules`]): start Chromium headless with a
//!    fresh profile, open `gateway_root + login_path`, wait for the username, password and
//!    submit elements (none there after the page timeout: [`LoginError::PageChanged`], with a
//!    screenshot and the HTML saved after every input was blanked in the page; not retried),
//!    set the live/paper toggle, type the username and the password, click submit.
//! 5. **Outcome.** Until the deadline, read the page every 250 ms and the API every second;
//!    the first that applies wins:
//!    - the API says authenticated: success (the page's "Client login succeeds" is only a
//!      hint; page success without API success by the deadline is
//!      [`LoginError::NotAuthenticated`]);
//!    - the 2FA code input: type the TOTP code (RFC 6238) and press Enter, once;
//!    - the push notice: wait (unapproved by the deadline: [`LoginError::TwoFactorUnanswered`]);
//!    - "Invalid username password combination": [`LoginError::InvalidCredentials`], at once;
//!    - "Live Account Mode ... Paper Trading user": click the toggle, submit once more;
//!    - any other error text: [`LoginError::Rejected`];
//!    - the promotion: skip it.
//! 6. **Brokerage session.** `ssodh/init` (with `compete` as configured), as the SDK's
//!    `ensure_brokerage_session` does it.
//! 7. **Record.** A success clears the budget's failures. A failure that was an attempt at
//!    IBKR ([`LoginError::counts_as_failure`]) is recorded with its time; a final one
//!    (wrong credentials, a changed page) halts the budget.
//!
//! # The failure budget
//!
//! [`FailureBudget`] lives in `STATE_DIR/login-budget.json` and survives restarts of the
//! process, the container and the machine. It counts page errors, timeouts, unanswered 2FA
//! and page success without API success. After `max_failures` (default 3) within 24 h, or
//! one final failure, every login refuses with a message that says what to do: log in once
//! by hand, then run `ibkr gateway login --reset-budget` ([`FailureBudget::reset`]). Between
//! attempts it asks for minutes: 5 min after the first failure, then 10, 20, at most 60.
//!
//! # Supervision
//!
//! [`Relogin`] is the state machine for `ibkr gateway run --login`: call
//! [`Relogin::on_session_lost`] when the session is gone. It makes at most one attempt a
//! call and never before the budget's backoff or the end of IBKR's nightly window
//! ([`Schedule`]); [`Relogin::reason`] says why it is not logged in, for `/readyz`.
//!
//! # Secrets
//!
//! The username, password and TOTP secret are [`Secret`]s: they never print. They reach
//! Chromium as typed keys only; chromiumoxide's own logging of DevTools messages is dropped
//! in its task. Every input is blanked in the page before any screenshot or HTML copy.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ibkr_gateway::login::LoginError> {
//! use ibkr_gateway::login::{Credentials, LoginConfig, login};
//! let creds = Credentials::from_file("/etc/ibkr/credentials.toml")?;
//! let mut cfg = LoginConfig::new(
//!     "https://localhost:5000".parse().unwrap(),
//!     creds,
//!     "/var/lib/ibkr/state".into(),
//! );
//! cfg.paper = true;
//! let report = login(&cfg).await?;
//! println!("logged in after {:?}", report.elapsed);
//! # Ok(()) }
//! ```

mod api;
mod browser;
mod budget;
mod credentials;
mod error;
mod flow;
mod lock;
mod relogin;
mod rules;
mod schedule;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ibkr_ext::{IbkrBuilder, SessionState};
pub use ibkr_gen::Secret;
use url::Url;

pub use browser::{CHROMIUM_ENV, CHROMIUM_NAMES, CHROMIUM_SWITCHES, find_chromium};
pub use budget::{
    BUDGET_FILE, BUDGET_WINDOW, DEFAULT_BACKOFF, DEFAULT_MAX_FAILURES, Failure, FailureBudget,
    Halt, MAX_BACKOFF,
};
pub use credentials::{Credentials, PASSWORD_ENV, TOTP_SECRET_ENV, USERNAME_ENV, totp_code};
pub use error::{LoginError, PageDump};
pub use lock::LOCK_FILE;
pub use relogin::{Relogin, ReloginDecision};
pub use rules::{
    DEFAULT_PAGE_RULES, FormRules, OutcomeRules, PAGE_RULES_VERSION, PageRules, TwoFactorRules,
};
pub use schedule::{Region, Schedule, Window};

/// Adjusts the API client the login uses (local address, proxies, trust).
pub type CustomizeClient = Arc<dyn Fn(IbkrBuilder) -> IbkrBuilder + Send + Sync>;

/// Everything a login needs. [`LoginConfig::new`] fills in the defaults.
#[derive(Clone)]
pub struct LoginConfig {
    /// The gateway's root, where its login page is: `https://localhost:5000`.
    pub gateway_root: Url,
    /// Log in to the paper account (the page's live/paper toggle).
    pub paper: bool,
    /// The username, password and TOTP secret.
    pub credentials: Credentials,
    /// The login page's selectors and texts.
    pub rules: PageRules,
    /// Where the budget file, the lock and page dumps live (next to the install).
    pub state_dir: PathBuf,
    /// Take the brokerage session over from a competing session (TWS, mobile). Default
    /// false: report [`LoginError::Competing`] and wait.
    pub compete: bool,
    /// Failures allowed within 24 h before logins stop (default 3).
    pub max_failures: u32,
    /// The wait after the first failure; it doubles per failure (default 5 min).
    pub backoff: Duration,
    /// The browser binary; `None`: `$IBKR_CHROMIUM`, then `chromium`, `chromium-browser`,
    /// `google-chrome` on `PATH`.
    pub chromium: Option<PathBuf>,
    /// How long after submit the API may take to say authenticated, including a 2FA push
    /// waiting for a human (default 120 s, as ibeam polls).
    pub deadline: Duration,
    /// How long the browser may take to start, load the page and show the form (default
    /// 15 s, ibeam's element wait).
    pub page_timeout: Duration,
    /// The timeout of one API request (default 15 s).
    pub api_timeout: Duration,
    /// Trust exactly this certificate (PEM) for the API; default: any certificate on a
    /// loopback host (the gateway's is self-signed), verified roots elsewhere.
    pub ca_cert: Option<String>,
    /// Further adjustments of the API client (e.g. `local_address`).
    pub customize_client: Option<CustomizeClient>,
}

impl std::fmt::Debug for LoginConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginConfig")
            .field("gateway_root", &self.gateway_root.as_str())
            .field("paper", &self.paper)
            .field("credentials", &self.credentials)
            .field("rules_version", &self.rules.version)
            .field("state_dir", &self.state_dir)
            .field("compete", &self.compete)
            .field("max_failures", &self.max_failures)
            .field("backoff", &self.backoff)
            .field("chromium", &self.chromium)
            .field("deadline", &self.deadline)
            .field("page_timeout", &self.page_timeout)
            .finish_non_exhaustive()
    }
}

impl LoginConfig {
    /// A configuration with the defaults: live account, built-in page rules, no takeover,
    /// 3 failures a day, 5 min first backoff, 120 s deadline, 15 s page timeout.
    pub fn new(gateway_root: Url, credentials: Credentials, state_dir: PathBuf) -> Self {
        Self {
            gateway_root,
            paper: false,
            credentials,
            rules: PageRules::default(),
            state_dir,
            compete: false,
            max_failures: DEFAULT_MAX_FAILURES,
            backoff: DEFAULT_BACKOFF,
            chromium: None,
            deadline: Duration::from_secs(120),
            page_timeout: Duration::from_secs(15),
            api_timeout: Duration::from_secs(15),
            ca_cert: None,
            customize_client: None,
        }
    }

    /// The budget this configuration uses.
    pub fn budget(&self) -> Result<FailureBudget, LoginError> {
        Ok(FailureBudget::open(&self.state_dir)?
            .with_max_failures(self.max_failures)
            .with_backoff(self.backoff))
    }

    /// The API root: `gateway_root` + `/v1/api`.
    pub fn api_base_url(&self) -> String {
        format!(
            "{}/v1/api",
            self.gateway_root.as_str().trim_end_matches('/')
        )
    }

    /// The login page: `gateway_root` + the rules' `login_path`.
    pub fn login_page_url(&self) -> Result<Url, LoginError> {
        let root = self.gateway_root.as_str().trim_end_matches('/');
        Url::parse(&format!("{root}{}", self.rules.login_path)).map_err(|e| {
            LoginError::Config(format!("login page {root}{}: {e}", self.rules.login_path))
        })
    }

    /// Where page dumps are saved: `STATE_DIR/dumps`.
    pub fn dump_dir(&self) -> PathBuf {
        self.state_dir.join("dumps")
    }
}

/// How the session came to be authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    /// It already was: nothing was typed.
    AlreadyAuthenticated,
    /// The SSO session was alive: `ssodh/init` / `reauthenticate` reopened the brokerage
    /// session without a browser.
    Reopened,
    /// The browser login.
    Browser,
}

/// A successful login.
#[derive(Debug, Clone)]
pub struct LoginReport {
    /// How long it took, from the call to the brokerage session.
    pub elapsed: Duration,
    /// How it happened.
    pub method: LoginMethod,
    /// A TOTP code was typed.
    pub two_factor: bool,
    /// The paper toggle was clicked after IBKR's "Live Account Mode ... Paper Trading user".
    pub paper_retry: bool,
    /// The session after opening the brokerage session.
    pub session: SessionState,
}

/// Log in (see the module docs for the steps, the lock and the budget). At most one
/// browser attempt; it never retries by itself.
pub async fn login(cfg: &LoginConfig) -> Result<LoginReport, LoginError> {
    let started = Instant::now();
    let budget = cfg.budget()?;
    let _lock = lock::LoginLock::acquire(&cfg.state_dir)?;
    let api = api::Api::new(cfg)?;
    let result = login_locked(cfg, &api, &budget, started).await;
    api.shutdown();
    result
}

async fn login_locked(
    cfg: &LoginConfig,
    api: &api::Api,
    budget: &FailureBudget,
    started: Instant,
) -> Result<LoginReport, LoginError> {
    let report = |method, two_factor, paper_retry, session| LoginReport {
        elapsed: started.elapsed(),
        method,
        two_factor,
        paper_retry,
        session,
    };

    // The API first.
    if let api::Session::LoggedIn(state) = api.session().await? {
        if state.competing && !cfg.compete {
            return Err(LoginError::Competing);
        }
        if state.authenticated {
            let session = api.open_brokerage().await?;
            tracing::info!("already logged in");
            return Ok(report(
                LoginMethod::AlreadyAuthenticated,
                false,
                false,
                session,
            ));
        }
        tracing::info!(
            "SSO session without a brokerage session: trying ssodh/init and reauthenticate"
        );
        let state = api.reopen(Duration::from_secs(10)).await?;
        if state.competing && !cfg.compete {
            return Err(LoginError::Competing);
        }
        if state.authenticated {
            let session = api.open_brokerage().await?;
            return Ok(report(LoginMethod::Reopened, false, false, session));
        }
    }

    // The budget, then the browser.
    budget.check(chrono::Utc::now())?;
    let mut submitted = false;
    let attempt = flow::browser_login(cfg, api, &mut submitted).await;
    let attempt = match attempt {
        Ok((outcome, state)) => {
            if state.competing && !cfg.compete {
                Err(LoginError::Competing)
            } else {
                match api.open_brokerage().await {
                    Ok(session) => Ok(report(
                        LoginMethod::Browser,
                        outcome.two_factor,
                        outcome.paper_retry,
                        session,
                    )),
                    Err(e) => Err(e),
                }
            }
        }
        Err(e) => Err(e),
    };
    let now = chrono::Utc::now();
    match &attempt {
        Ok(r) => {
            budget.record_success(now)?;
            tracing::info!(elapsed_ms = r.elapsed.as_millis() as u64, "logged in");
        }
        Err(e) if e.is_final() => {
            budget.record_halt(e.kind(), &halt_reason(e), now)?;
            tracing::error!(kind = e.kind(), "login failed; not retried: {e}");
        }
        Err(e) if e.counts_as_failure() || (submitted && matches!(e, LoginError::Browser(_))) => {
            budget.record_failure(e.kind(), now)?;
            tracing::warn!(kind = e.kind(), "login failed: {e}");
        }
        Err(e) => tracing::warn!(kind = e.kind(), "login did not happen: {e}"),
    }
    attempt
}

/// The sentence a halted budget shows.
fn halt_reason(e: &LoginError) -> String {
    match e {
        LoginError::InvalidCredentials { .. } => {
            "IBKR refused the username or password (Invalid username password combination)".into()
        }
        LoginError::PageChanged { missing, dump, .. } => format!(
            "IBKR's login page changed ({missing} not found; saved {dump}); update the page rules"
        ),
        other => other.to_string(),
    }
}
