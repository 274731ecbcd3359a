//! What can go wrong running the gateway, each error saying what to do next.

use std::path::PathBuf;

/// Results of this crate.
pub type Result<T, E = GatewayError> = std::result::Result<T, E>;

/// Everything that can go wrong installing, configuring, starting or watching the gateway.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// No gateway is installed in this folder (or it is not IBKR's layout).
    #[error(
        "{dir}: not a Client Portal Gateway install ({missing} is missing); run `ibkr gateway install --dir {dir}`"
    )]
    NotInstalled {
        /// The folder.
        dir: PathBuf,
        /// The first piece of the layout that is missing.
        missing: String,
    },
    /// The archive or download is not IBKR's gateway.
    #[error("{source_name}: not IBKR's Client Portal Gateway: {reason}")]
    BadArchive {
        /// The zip, URL or folder.
        source_name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The download failed.
    #[error("downloading {url}: {reason}")]
    Download {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// An allow-list pattern the gateway would not honour.
    #[error("allow-list entry {pattern:?}: {reason}")]
    BadPattern {
        /// The pattern as given.
        pattern: String,
        /// Why it does not work, and what does.
        reason: String,
    },
    /// A `conf.yaml` that would not work (an unknown key, an allow-list that fails open or
    /// shuts out the health checks).
    #[error("{file}: {reason}")]
    BadConf {
        /// The file.
        file: PathBuf,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// Java is missing or too old.
    #[error("{0}")]
    Java(String),
    /// The port is taken by another program.
    #[error("port {port} is already in use{}; stop it or start the gateway with --port N", holder.as_ref().map(|h| format!(" by {h}")).unwrap_or_default())]
    PortBusy {
        /// The port.
        port: u16,
        /// The process holding it, when it can be found (`pid 123: java ...`).
        holder: Option<String>,
    },
    /// The JVM started but never served the port.
    #[error("{0}")]
    NeverReady(String),
    /// The JVM exited during start-up.
    #[error("the gateway's JVM exited during start-up ({status}); its last output:\n{tail}")]
    Exited {
        /// How it exited.
        status: String,
        /// The last lines it printed.
        tail: String,
    },
    /// A gateway already runs from this folder.
    #[error(
        "a gateway already runs from {dir}: pid {pid}, https://localhost:{port}; `ibkr gateway stop --dir {dir}` stops it"
    )]
    AlreadyRunning {
        /// The folder.
        dir: PathBuf,
        /// Its java PID.
        pid: u32,
        /// Its port.
        port: u16,
    },
    /// No gateway runs from this folder.
    #[error("no gateway runs from {0} (no live pid file)")]
    NotRunning(PathBuf),
    /// The JVM kept exiting.
    #[error(
        "the gateway's JVM exited {restarts} times within an hour; not restarting it again (last: {last})"
    )]
    RestartBudget {
        /// Restarts in the last hour.
        restarts: u32,
        /// How it exited last.
        last: String,
    },
    /// Waiting for a login timed out.
    #[error(
        "no login within {0:?}: open the login URL in a browser on this machine and log in, then try again"
    )]
    LoginTimeout(std::time::Duration),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The SDK reported an error talking to the gateway.
    #[error(transparent)]
    Api(#[from] ibkr_ext::Error),
}

/// Attach a path to an I/O error.
pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> GatewayError {
    let path = path.into();
    move |source| GatewayError::Io { path, source }
}
