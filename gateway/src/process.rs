//! The JVM as a process: its pid file, whether it lives, stopping it, and who holds a port.
//!
//! `run.sh` does not `exec` java, so killing the shell leaves the JVM running. We never use
//! `run.sh`: the PID we track and signal is java's own.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{GatewayError, Result, io};

/// What the pid file of a detached gateway records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PidFile {
    /// Java's PID.
    pub pid: u32,
    /// The port it serves.
    pub port: u16,
    /// When it started (RFC 3339).
    pub started: String,
}

impl PidFile {
    /// Read the pid file of `install`; `None` when there is none or it is unreadable.
    pub fn read(install: &Path) -> Option<PidFile> {
        let text = std::fs::read_to_string(crate::paths::pid_file(install)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Write it (atomically: a temporary file, then a rename).
    pub fn write(&self, install: &Path) -> Result<()> {
        let path = crate::paths::pid_file(install);
        let tmp = path.with_extension("pid.tmp");
        let text = serde_json::to_string(self).unwrap_or_default();
        std::fs::write(&tmp, text).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))
    }

    /// Remove the pid file of `install`.
    pub fn remove(install: &Path) {
        let _ = std::fs::remove_file(crate::paths::pid_file(install));
    }

    /// The pid file, when its process is a live gateway JVM.
    pub fn live(install: &Path) -> Option<PidFile> {
        Self::read(install).filter(|p| is_gateway(p.pid))
    }
}

/// Whether `pid` is alive (a zombie, exited but not yet reaped, is not).
pub fn alive(pid: u32) -> bool {
    running(pid) && !zombie(pid)
}

fn running(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = i32::try_from(pid) else {
            return false;
        };
        // Signal 0 checks existence and permission without sending anything.
        // SAFETY: kill(2) with signal 0 has no effect on the target.
        let rc = unsafe { libc::kill(pid, 0) };
        rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        std::process::Command::new("tasklist")
            .args(["/FI", &format!("PID eq {pid}"), "/NH"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(&pid.to_string()))
    }
}

/// Whether `pid` is alive and runs the gateway's main class (a recycled PID is not ours).
pub fn is_gateway(pid: u32) -> bool {
    if !alive(pid) {
        return false;
    }
    match command_line(pid) {
        Some(cmd) => cmd.contains(crate::install::MAIN_CLASS),
        // Where the command line cannot be read, trust the pid file.
        None => true,
    }
}

/// The command line of `pid`, where the OS tells (Linux).
pub fn command_line(pid: u32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        raw.split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
            .trim()
            .to_string(),
    )
}

/// Ask `pid` to stop (SIGTERM; the gateway ends in 1–3 s), then kill it after `grace`.
/// Returns whether it had to be killed.
pub async fn terminate(pid: u32, grace: Duration) -> bool {
    signal(pid, false);
    let deadline = tokio::time::Instant::now() + grace;
    while tokio::time::Instant::now() < deadline {
        if !alive(pid) {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    signal(pid, true);
    true
}

fn signal(pid: u32, kill: bool) {
    #[cfg(unix)]
    {
        if let Ok(pid) = i32::try_from(pid) {
            let sig = if kill { libc::SIGKILL } else { libc::SIGTERM };
            // SAFETY: sending a signal to a PID we started and recorded.
            unsafe {
                libc::kill(pid, sig);
            }
        }
    }
    #[cfg(not(unix))]
    {
        let mut cmd = std::process::Command::new("taskkill");
        cmd.args(["/PID", &pid.to_string()]);
        if kill {
            cmd.arg("/F");
        }
        let _ = cmd.output();
    }
}

/// A child that exited but was not reaped by its parent yet.
fn zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Whether something listens on `port` on any IPv4 address (the gateway binds 0.0.0.0).
pub fn port_busy(port: u16) -> bool {
    std::net::TcpListener::bind((std::net::Ipv4Addr::UNSPECIFIED, port)).is_err()
}

/// The process listening on TCP `port`, as `pid 123 (java ...)`, where the OS tells
/// (Linux: `/proc/net/tcp` and the processes' open sockets).
pub fn port_holder(port: u16) -> Option<String> {
    let inodes = listening_inodes(port);
    if inodes.is_empty() {
        return None;
    }
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let target = target.to_string_lossy();
            if inodes.iter().any(|i| target == format!("socket:[{i}]")) {
                let cmd = command_line(pid).unwrap_or_default();
                let short: String = cmd.chars().take(80).collect();
                return Some(format!("pid {pid} ({short})"));
            }
        }
    }
    Some("another process (its owner is not visible to this user)".into())
}

fn listening_inodes(port: u16) -> Vec<String> {
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // local_address is HEXIP:HEXPORT; state 0A is LISTEN; inode is column 9.
            if cols.len() > 9
                && cols[3] == "0A"
                && cols[1]
                    .rsplit_once(':')
                    .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
                    == Some(port)
            {
                out.push(cols[9].to_string());
            }
        }
    }
    out
}

/// The busy-port error for `port`, naming its holder where possible.
pub fn busy(port: u16) -> GatewayError {
    GatewayError::PortBusy {
        port,
        holder: port_holder(port),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_port_is_busy_and_its_holder_is_this_process() {
        let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(port_busy(port));
        if std::path::Path::new("/proc/net/tcp").exists() {
            let holder = port_holder(port).unwrap();
            assert!(
                holder.starts_with(&format!("pid {} ", std::process::id())),
                "{holder}"
            );
        }
        drop(listener);
        assert!(!port_busy(port));
    }

    #[test]
    fn this_process_is_alive_and_not_a_gateway() {
        assert!(alive(std::process::id()));
        assert!(!is_gateway(std::process::id()));
    }
}
