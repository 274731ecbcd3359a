//! [`Relogin`]: when to log in again, for `ibkr gateway run --login`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{LoginConfig, LoginError, LoginReport, Schedule, find_chromium, login};

/// How long to wait before looking again when another session competes.
const COMPETING_RECHECK: Duration = Duration::from_secs(5 * 60);

/// How long to wait after a problem that was not a login attempt (the gateway did not
/// answer, the browser did not start, another login held the lock).
const TRANSIENT_RECHECK: Duration = Duration::from_secs(60);

/// What [`Relogin::on_session_lost`] did.
#[derive(Debug)]
pub enum ReloginDecision {
    /// Logged in.
    LoggedIn(LoginReport),
    /// No login now; call again when the session is still lost after `until`. Not an
    /// error: the nightly window, a backoff, a competing session.
    Wait {
        /// The earliest time the next call may try.
        until: DateTime<Utc>,
        /// Why, for a human.
        reason: String,
    },
    /// No more automatic logins until a human acts (the budget is spent, the credentials
    /// were refused, the page changed, the configuration is wrong). `/readyz` should say
    /// `reason`; `/livez` stays up so nothing restarts into more attempts.
    Stopped {
        /// What happened and what to do.
        reason: String,
    },
}

/// Logs in again when the session is lost, and never loops a login.
///
/// The supervisor watches the session (tickles) and calls [`Relogin::on_session_lost`]
/// each time it finds it gone, as often as it likes. Each call makes at most one attempt,
/// and only when all of these allow it:
/// - the [`FailureBudget`](super::FailureBudget) (file-backed: restarts do not refill it)
///   is neither spent nor halted, and its backoff (minutes) has passed;
/// - `now` is outside IBKR's nightly window ([`Schedule`]): a logout then is expected, not
///   a failure, and the next attempt is after the window with jitter;
/// - the wait decided by the previous call has passed.
///
/// ```no_run
/// # async fn demo(cfg: ibkr_gateway::login::LoginConfig) -> Result<(), ibkr_gateway::login::LoginError> {
/// use ibkr_gateway::login::{Relogin, ReloginDecision, Schedule};
/// let mut relogin = Relogin::new(cfg, Schedule::default())?;
/// // ... the supervisor sees `authenticated: false` ...
/// match relogin.on_session_lost(chrono::Utc::now()).await {
///     ReloginDecision::LoggedIn(r) => println!("logged in again in {:?}", r.elapsed),
///     ReloginDecision::Wait { until, reason } => println!("waiting until {until}: {reason}"),
///     ReloginDecision::Stopped { reason } => eprintln!("{reason}"),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Relogin {
    config: LoginConfig,
    schedule: Schedule,
    not_before: Option<DateTime<Utc>>,
    reason: Option<String>,
    stopped: bool,
}

impl Relogin {
    /// A state machine for `config`. Fails now, not at the first logout, when the budget's
    /// file is unusable or no browser is found.
    pub fn new(config: LoginConfig, schedule: Schedule) -> Result<Self, LoginError> {
        config.budget()?;
        find_chromium(config.chromium.as_deref())?;
        Ok(Self {
            config,
            schedule,
            not_before: None,
            reason: None,
            stopped: false,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &LoginConfig {
        &self.config
    }

    /// The session is gone at `now`: log in if allowed, else say until when to wait.
    pub async fn on_session_lost(&mut self, now: DateTime<Utc>) -> ReloginDecision {
        let budget = match self.config.budget() {
            Ok(b) => b,
            Err(e) => return self.stop(e.to_string()),
        };
        // A reset (by `ibkr gateway login --reset-budget` in another process) lifts a stop.
        match budget.check(now) {
            Err(e @ LoginError::BudgetSpent { .. }) => return self.stop(e.to_string()),
            Err(LoginError::Backoff { retry_at, .. }) => {
                let until = self.not_before.map_or(retry_at, |t| t.max(retry_at));
                return self.wait(
                    until,
                    format!(
                        "backing off after a failed login; next attempt at {}",
                        until.format("%Y-%m-%d %H:%M:%S UTC")
                    ),
                );
            }
            Err(e) => return self.stop(e.to_string()),
            Ok(()) => self.stopped = false,
        }
        if let Some(until) = self.not_before.filter(|t| *t > now) {
            let reason = self
                .reason
                .clone()
                .unwrap_or_else(|| "waiting before the next login".into());
            return ReloginDecision::Wait { until, reason };
        }
        if let Some(window) = self.schedule.window_at(now) {
            let until = self.schedule.next_login_after(now);
            let local = until.with_timezone(&self.schedule.region.tz());
            return self.wait(
                until,
                format!(
                    "IBKR's nightly reset and maintenance ({}, until {}): logging in again at {} local time",
                    self.schedule.region,
                    window.end.with_timezone(&self.schedule.region.tz()).format("%H:%M"),
                    local.format("%H:%M:%S")
                ),
            );
        }
        match login(&self.config).await {
            Ok(report) => {
                self.not_before = None;
                self.reason = None;
                self.stopped = false;
                ReloginDecision::LoggedIn(report)
            }
            Err(e) => self.after_failure(e, now),
        }
    }

    fn after_failure(&mut self, e: LoginError, now: DateTime<Utc>) -> ReloginDecision {
        let later = |d: Duration| now + chrono::Duration::from_std(d).unwrap_or_default();
        match &e {
            LoginError::Competing => self.wait(later(COMPETING_RECHECK), e.to_string()),
            LoginError::Busy(_) | LoginError::Gateway(_) | LoginError::Browser(_) => {
                self.wait(later(TRANSIENT_RECHECK), e.to_string())
            }
            LoginError::Backoff { retry_at, .. } => self.wait(*retry_at, e.to_string()),
            LoginError::Config(_) => self.stop(e.to_string()),
            _ if e.is_final() => self.stop(e.to_string()),
            _ => {
                // A counted failure: the budget decides what comes next.
                let next = self.config.budget().and_then(|b| {
                    b.check(now)?;
                    Ok(())
                });
                match next {
                    Err(spent @ LoginError::BudgetSpent { .. }) => self.stop(spent.to_string()),
                    Err(LoginError::Backoff { retry_at, .. }) => self.wait(
                        retry_at,
                        format!(
                            "{e}; next attempt at {}",
                            retry_at.format("%Y-%m-%d %H:%M:%S UTC")
                        ),
                    ),
                    _ => self.wait(later(super::DEFAULT_BACKOFF), e.to_string()),
                }
            }
        }
    }

    fn wait(&mut self, until: DateTime<Utc>, reason: String) -> ReloginDecision {
        self.not_before = Some(until);
        self.reason = Some(reason.clone());
        ReloginDecision::Wait { until, reason }
    }

    fn stop(&mut self, reason: String) -> ReloginDecision {
        self.stopped = true;
        self.reason = Some(reason.clone());
        ReloginDecision::Stopped { reason }
    }

    /// The session is fine again (e.g. a human logged in): forget waits and reasons.
    pub fn on_session_ok(&mut self) {
        self.not_before = None;
        self.reason = None;
        self.stopped = false;
    }

    /// Why the last call did not log in, for `/readyz`; `None` after a success.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// Whether automatic logins stopped until a human acts.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The earliest time the next call may try, if a wait is in force.
    pub fn next_attempt(&self) -> Option<DateTime<Utc>> {
        self.not_before
    }
}
