//! The login lock: one login at a time per state directory, across processes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::LoginError;

/// The lock file's name inside the state directory.
pub const LOCK_FILE: &str = "login.lock";

/// A lock older than this is stale whatever its holder (a login never takes this long).
const STALE_AFTER: Duration = Duration::from_secs(30 * 60);

/// Held while a login runs; the file is removed on drop.
#[derive(Debug)]
pub(crate) struct LoginLock {
    path: PathBuf,
}

impl LoginLock {
    /// Take the lock of `state_dir`: create `login.lock` exclusively, holding this process's
    /// id. A lock whose process is gone (Linux: no `/proc/PID`) or that is older than 30
    /// minutes is stale and is taken over.
    pub(crate) fn acquire(state_dir: &Path) -> Result<Self, LoginError> {
        std::fs::create_dir_all(state_dir).map_err(|e| {
            LoginError::Config(format!("state directory {}: {e}", state_dir.display()))
        })?;
        let path = state_dir.join(LOCK_FILE);
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(Self { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let pid = holder.trim().parse::<u32>().ok();
                    if is_stale(&path, pid) {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    return Err(LoginError::Busy(format!(
                        "process {} holds {}",
                        pid.map_or("?".to_string(), |p| p.to_string()),
                        path.display()
                    )));
                }
                Err(e) => {
                    return Err(LoginError::Config(format!("{}: {e}", path.display())));
                }
            }
        }
        Err(LoginError::Busy(format!(
            "{} keeps reappearing",
            path.display()
        )))
    }
}

fn is_stale(path: &Path, pid: Option<u32>) -> bool {
    let old = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > STALE_AFTER);
    if old {
        return true;
    }
    match pid {
        Some(pid) if pid == std::process::id() => false,
        #[cfg(target_os = "linux")]
        Some(pid) => !Path::new(&format!("/proc/{pid}")).exists(),
        #[cfg(not(target_os = "linux"))]
        Some(_) => false,
        // Being written right now, or garbage: wait for it to age.
        None => false,
    }
}

impl Drop for LoginLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
