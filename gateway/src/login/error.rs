//! [`LoginError`]: why a login did not happen, one variant per remedy.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Where a page dump was saved: a screenshot and the page's HTML, both taken after every
/// input's value was blanked in the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageDump {
    /// The PNG screenshot.
    pub screenshot: PathBuf,
    /// The HTML (`document.documentElement.outerHTML`).
    pub html: PathBuf,
}

impl std::fmt::Display for PageDump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "screenshot {}, page {}",
            self.screenshot.display(),
            self.html.display()
        )
    }
}

/// Why a login failed or was refused. No variant ever holds a credential.
///
/// [`LoginError::counts_as_failure`] says which ones the [`FailureBudget`](super::FailureBudget)
/// counts; [`LoginError::is_final`] which ones must not be retried without a human.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// None of the login page's expected elements was found: IBKR changed the page.
    #[error(
        "IBKR's login page changed: {missing} was not found on {url}; saved {dump}. Update the \
         page rules (--page-rules FILE, from the built-in page-rules.toml) or upgrade; not retried"
    )]
    PageChanged {
        /// The selector that was looked for.
        missing: String,
        /// The page's address (query removed).
        url: String,
        /// Where the screenshot and the blanked HTML were saved.
        dump: Box<PageDump>,
    },
    /// The page said "Invalid username password combination". Never retried: fix the
    /// credentials, then reset the budget.
    #[error(
        "IBKR refused the username or password (\"{message}\"); not retried, as repeated tries lock \
         the account. Fix the credentials, log in once by hand, then run `ibkr gateway login --reset-budget`"
    )]
    InvalidCredentials {
        /// The page's error text.
        message: String,
    },
    /// The page showed an error other than wrong credentials.
    #[error("IBKR's login page said: {message}")]
    Rejected {
        /// The page's error text.
        message: String,
    },
    /// Too many failures within 24 hours, or a failure that must not be retried: a human
    /// must look.
    #[error(
        "login stopped to protect the account from a lock-out: {reason}. Log in once by hand \
         (open {login_hint}), then run `ibkr gateway login --reset-budget`"
    )]
    BudgetSpent {
        /// What spent the budget (failures and their kinds, or the final failure).
        reason: String,
        /// Where to log in by hand.
        login_hint: String,
    },
    /// The last failure was too recent: the next attempt may start at `retry_at`.
    #[error(
        "backing off after {failures} failed login(s): the next attempt may start at {retry_at} \
         (in {} min)", wait.as_secs().div_ceil(60)
    )]
    Backoff {
        /// Failures within the budget's window.
        failures: u32,
        /// When the next attempt may start.
        retry_at: DateTime<Utc>,
        /// How long that is from now.
        wait: Duration,
    },
    /// IBKR asked for a second factor that was not given: a push that nobody approved in
    /// time, or a code without a TOTP secret to make it, or a code IBKR refused.
    #[error("the second factor was not answered: {0}")]
    TwoFactorUnanswered(String),
    /// The page said the login succeeded but the API never reported the session
    /// authenticated within the deadline.
    #[error(
        "the login page reported success but the gateway's API did not authenticate within {0:?} \
         (POST /tickle kept saying authenticated:false)"
    )]
    NotAuthenticated(Duration),
    /// Another session (TWS, IBKR Mobile, another gateway) holds the brokerage session,
    /// and taking it over was not allowed.
    #[error(
        "another session (TWS, IBKR Mobile, the portal or another gateway) holds this username's \
         brokerage session; not taking it over. Close it, or pass --compete to take over"
    )]
    Competing,
    /// Another login on the same state directory is in progress.
    #[error("another login is in progress ({0}); wait for it to finish")]
    Busy(String),
    /// The gateway did not answer as expected (not a login failure).
    #[error("the gateway: {0}")]
    Gateway(String),
    /// The browser could not be started or driven.
    #[error("the browser: {0}")]
    Browser(String),
    /// A step did not finish in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// A configuration problem: credentials, page rules, state directory.
    #[error("{0}")]
    Config(String),
}

impl LoginError {
    /// Whether the failure budget counts this error: the ones that were a real login
    /// attempt at IBKR that did not end logged in.
    pub fn counts_as_failure(&self) -> bool {
        matches!(
            self,
            LoginError::PageChanged { .. }
                | LoginError::InvalidCredentials { .. }
                | LoginError::Rejected { .. }
                | LoginError::TwoFactorUnanswered(_)
                | LoginError::NotAuthenticated(_)
                | LoginError::Timeout(_)
        )
    }

    /// Whether this error must never be retried automatically: the budget halts until a
    /// human resets it.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            LoginError::PageChanged { .. }
                | LoginError::InvalidCredentials { .. }
                | LoginError::BudgetSpent { .. }
        )
    }

    /// A short name of the kind of failure, as the budget file records it.
    pub fn kind(&self) -> &'static str {
        match self {
            LoginError::PageChanged { .. } => "page-changed",
            LoginError::InvalidCredentials { .. } => "invalid-credentials",
            LoginError::Rejected { .. } => "page-error",
            LoginError::BudgetSpent { .. } => "budget-spent",
            LoginError::Backoff { .. } => "backoff",
            LoginError::TwoFactorUnanswered(_) => "2fa-unanswered",
            LoginError::NotAuthenticated(_) => "page-success-without-api",
            LoginError::Competing => "competing",
            LoginError::Busy(_) => "busy",
            LoginError::Gateway(_) => "gateway",
            LoginError::Browser(_) => "browser",
            LoginError::Timeout(_) => "timeout",
            LoginError::Config(_) => "config",
        }
    }
}
