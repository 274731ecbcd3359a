//! [`FailureBudget`]: failed logins counted in a file, so that no restart (of the process,
//! the container or the machine) gives a fresh set of tries.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::LoginError;

/// The budget file's name inside the state directory.
pub const BUDGET_FILE: &str = "login-budget.json";

/// The default number of failures allowed within [`BUDGET_WINDOW`].
pub const DEFAULT_MAX_FAILURES: u32 = 3;

/// The window failures are counted in: 24 hours, IBKR's lock-out period.
pub const BUDGET_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The wait after the first failure; it doubles with each further failure in the window.
pub const DEFAULT_BACKOFF: Duration = Duration::from_secs(5 * 60);

/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60 * 60);

/// One recorded failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Its kind ([`LoginError::kind`]).
    pub kind: String,
}

/// A failure that stops automatic logins until a human resets the budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Halt {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Its kind ([`LoginError::kind`]).
    pub kind: String,
    /// A sentence for the user (never a credential).
    pub reason: String,
}

/// The file's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct BudgetState {
    version: u32,
    #[serde(default)]
    failures: Vec<Failure>,
    #[serde(default)]
    halt: Option<Halt>,
    #[serde(default)]
    last_success: Option<DateTime<Utc>>,
}

/// Failed logins, persisted in `STATE_DIR/login-budget.json`.
///
/// - Each failed attempt is recorded with its time and kind; failures older than 24 h no
///   longer count.
/// - After `max_failures` (default 3) within 24 h, [`FailureBudget::check`] refuses with
///   [`LoginError::BudgetSpent`], which tells the user to log in once by hand, then run
///   `ibkr gateway login --reset-budget` ([`FailureBudget::reset`]).
/// - A final failure (wrong credentials, a changed page) halts at once.
/// - Between attempts it asks for a backoff of minutes: 5 min after the first failure,
///   doubling, at most 60 min ([`LoginError::Backoff`]).
/// - A success clears the failures.
///
/// Every change re-reads the file, changes it and writes it whole to a temporary file in
/// the same directory, then renames it over the old one, so a reader (another process,
/// the next start) sees the old or the new content, never half of one. Logins on one state
/// directory are serialised by the login lock (see the module docs), so two writers do not
/// race; [`FailureBudget::reset`] from another process at the same time wins or loses
/// whole.
#[derive(Debug, Clone)]
pub struct FailureBudget {
    path: PathBuf,
    max_failures: u32,
    backoff: Duration,
}

impl FailureBudget {
    /// The budget of `state_dir` (created if missing), allowing [`DEFAULT_MAX_FAILURES`].
    /// A damaged file is an error, not an empty budget: it never resets the count by
    /// accident.
    pub fn open(state_dir: impl AsRef<Path>) -> Result<Self, LoginError> {
        let dir = state_dir.as_ref();
        std::fs::create_dir_all(dir)
            .map_err(|e| LoginError::Config(format!("state directory {}: {e}", dir.display())))?;
        let budget = Self {
            path: dir.join(BUDGET_FILE),
            max_failures: DEFAULT_MAX_FAILURES,
            backoff: DEFAULT_BACKOFF,
        };
        budget.load()?;
        Ok(budget)
    }

    /// Allow `max` failures within 24 h (at least 1).
    pub fn with_max_failures(mut self, max: u32) -> Self {
        self.max_failures = max.max(1);
        self
    }

    /// The wait after the first failure (default [`DEFAULT_BACKOFF`]); it doubles with each
    /// further failure, capped at [`MAX_BACKOFF`] (or `first` if larger).
    pub fn with_backoff(mut self, first: Duration) -> Self {
        self.backoff = first;
        self
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many failures are allowed within 24 h.
    pub fn max_failures(&self) -> u32 {
        self.max_failures
    }

    /// The failures that still count at `now` (the last 24 h).
    pub fn failures(&self, now: DateTime<Utc>) -> Result<Vec<Failure>, LoginError> {
        Ok(self.load()?.counting(now))
    }

    /// The halt, if a final failure stopped logins.
    pub fn halt(&self) -> Result<Option<Halt>, LoginError> {
        Ok(self.load()?.halt)
    }

    /// Whether an attempt may start at `now`: `Err(BudgetSpent)` when halted or spent,
    /// `Err(Backoff)` when the last failure is too recent.
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), LoginError> {
        let state = self.load()?;
        if let Some(halt) = &state.halt {
            return Err(LoginError::BudgetSpent {
                reason: format!(
                    "{} (at {})",
                    halt.reason,
                    halt.at.format("%Y-%m-%d %H:%M UTC")
                ),
                login_hint: "the gateway's login page".into(),
            });
        }
        let counting = state.counting(now);
        let n = counting.len() as u32;
        if n >= self.max_failures {
            let kinds: Vec<String> = counting
                .iter()
                .map(|f| format!("{} at {}", f.kind, f.at.format("%H:%M UTC")))
                .collect();
            return Err(LoginError::BudgetSpent {
                reason: format!(
                    "{n} failed logins within 24 h ({}), the limit is {}",
                    kinds.join(", "),
                    self.max_failures
                ),
                login_hint: "the gateway's login page".into(),
            });
        }
        if let Some(retry_at) = self.retry_at(&counting)
            && retry_at > now
        {
            return Err(LoginError::Backoff {
                failures: n,
                retry_at,
                wait: (retry_at - now).to_std().unwrap_or_default(),
            });
        }
        Ok(())
    }

    /// When the next attempt may start, given the failures in the window: the last one
    /// plus the backoff for their number. `None` without failures.
    pub fn next_attempt_at(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, LoginError> {
        Ok(self.retry_at(&self.load()?.counting(now)))
    }

    fn retry_at(&self, counting: &[Failure]) -> Option<DateTime<Utc>> {
        let last = counting.iter().map(|f| f.at).max()?;
        Some(last + chrono::Duration::from_std(self.backoff_after(counting.len() as u32)).ok()?)
    }

    /// The wait after `n` failures (n >= 1): first, doubling, capped.
    pub fn backoff_after(&self, n: u32) -> Duration {
        let cap = MAX_BACKOFF.max(self.backoff);
        let factor = 1u32 << n.saturating_sub(1).min(16);
        self.backoff.saturating_mul(factor).min(cap)
    }

    /// Record a failed attempt of `kind` at `now`.
    pub fn record_failure(&self, kind: &str, now: DateTime<Utc>) -> Result<(), LoginError> {
        self.update(|s| {
            s.failures.push(Failure {
                at: now,
                kind: kind.to_string(),
            });
            s.failures = s.counting(now);
        })
    }

    /// Record a failure that must not be retried: logins stop until [`FailureBudget::reset`].
    pub fn record_halt(
        &self,
        kind: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LoginError> {
        self.update(|s| {
            s.failures.push(Failure {
                at: now,
                kind: kind.to_string(),
            });
            s.failures = s.counting(now);
            s.halt = Some(Halt {
                at: now,
                kind: kind.to_string(),
                reason: reason.to_string(),
            });
        })
    }

    /// Record a success: the failures are cleared.
    pub fn record_success(&self, now: DateTime<Utc>) -> Result<(), LoginError> {
        self.update(|s| {
            s.failures.clear();
            s.last_success = Some(now);
        })
    }

    /// Clear the failures and the halt (`ibkr gateway login --reset-budget`), after a human
    /// logged in by hand.
    pub fn reset(&self) -> Result<(), LoginError> {
        self.update(|s| {
            s.failures.clear();
            s.halt = None;
        })
    }

    fn load(&self) -> Result<BudgetState, LoginError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                let state: BudgetState = serde_json::from_slice(&bytes).map_err(|e| {
                    LoginError::Config(format!(
                        "login budget {} is damaged ({e}); delete it only after logging in by hand",
                        self.path.display()
                    ))
                })?;
                Ok(state)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BudgetState {
                version: 1,
                ..Default::default()
            }),
            Err(e) => Err(LoginError::Config(format!(
                "login budget {}: {e}",
                self.path.display()
            ))),
        }
    }

    fn update(&self, change: impl FnOnce(&mut BudgetState)) -> Result<(), LoginError> {
        let mut state = self.load()?;
        state.version = 1;
        change(&mut state);
        let json = serde_json::to_vec_pretty(&state)
            .map_err(|e| LoginError::Config(format!("login budget: {e}")))?;
        write_atomically(&self.path, &json)
            .map_err(|e| LoginError::Config(format!("login budget {}: {e}", self.path.display())))
    }
}

impl BudgetState {
    fn counting(&self, now: DateTime<Utc>) -> Vec<Failure> {
        let window = chrono::Duration::from_std(BUDGET_WINDOW).unwrap_or_default();
        self.failures
            .iter()
            .filter(|f| now - f.at < window)
            .cloned()
            .collect()
    }
}

/// Write `bytes` to a temporary file beside `path`, flush it to disk, then rename it over
/// `path`.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".login-budget")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
