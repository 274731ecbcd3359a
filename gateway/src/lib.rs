//! IBKR's Client Portal Gateway, run well: install it, write a managed `conf.yaml`, launch
//! the JVM without `run.sh`, tell "ready" from "listening", supervise it without restart
//! loops that lock accounts, and log in to it unattended.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ibkr_gateway::GatewayError> {
//! use ibkr_gateway::{Installation, LaunchConfig};
//! let install = Installation::open(ibkr_gateway::paths::default_install_dir())?;
//! let config = LaunchConfig::new(5000).allow("172.18.*".parse()?);
//! let running = ibkr_gateway::start_detached(&install, &config).await?;
//! println!("log in at {}", running.login_url());
//! # Ok(()) }
//! ```

pub mod conf;
pub mod doctor;
mod error;
pub mod fetch;
pub mod install;
pub mod java;
pub mod launch;
pub mod login;
pub mod paths;
pub mod probe;
pub mod process;
pub mod supervisor;

pub use conf::{AllowPattern, ManagedConf};
pub use error::{GatewayError, Result};
pub use install::{BuildInfo, Installation, Source};
pub use launch::{LaunchConfig, Running, start_detached};

/// The gateway `cargo xtask gateway-fetch` put in the cache, when it is there and complete.
pub fn fetched_gateway() -> Option<Installation> {
    if !fetch::is_fetched() {
        return None;
    }
    Installation::open(fetch::gateway_dir()).ok()
}
