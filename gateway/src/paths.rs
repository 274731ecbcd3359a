//! Where things live: the install folder, our files inside it, and the copy of IBKR's
//! gateway that the tests use.
//!
//! Inside an install (`DIR`, IBKR's unpacked zip), everything of ours is under `DIR/ibkr/`
//! and IBKR's files stay untouched:
//! - `ibkr/conf/ibkr.yaml`: the managed `conf.yaml` (first on the classpath);
//! - `ibkr/gateway.pid`: the running JVM (JSON: pid, port);
//! - `ibkr/gateway.log`: what the JVM prints, when started detached;
//! - `ibkr/login/`: the login's failure budget and page dumps.

use std::path::{Path, PathBuf};

/// The environment variable that overrides [`default_install_dir`].
pub const INSTALL_DIR_ENV: &str = "IBKR_GATEWAY_DIR";

/// The default install folder: `$IBKR_GATEWAY_DIR`, else `clientportal.gw` in the user's
/// data directory (`~/.local/share/ibkr/clientportal.gw` on Linux,
/// `~/Library/Application Support/rs.ibkr.ibkr/clientportal.gw` on macOS,
/// `%APPDATA%\ibkr\ibkr\data\clientportal.gw` on Windows).
pub fn default_install_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(INSTALL_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("rs", "ibkr", "ibkr")
        .map(|d| d.data_dir().join("clientportal.gw"))
        .unwrap_or_else(|| PathBuf::from("clientportal.gw"))
}

/// Our folder inside an install.
pub fn state_dir(install: &Path) -> PathBuf {
    install.join("ibkr")
}

/// The managed configuration's folder (first on the JVM's classpath).
pub fn conf_dir(install: &Path) -> PathBuf {
    state_dir(install).join("conf")
}

/// The managed configuration's classpath name.
pub const CONF_NAME: &str = "ibkr.yaml";

/// The pid file of a detached gateway.
pub fn pid_file(install: &Path) -> PathBuf {
    state_dir(install).join("gateway.pid")
}

/// The log of a detached gateway.
pub fn log_file(install: &Path) -> PathBuf {
    state_dir(install).join("gateway.log")
}

/// The login's state (failure budget, page dumps).
pub fn login_dir(install: &Path) -> PathBuf {
    state_dir(install).join("login")
}
