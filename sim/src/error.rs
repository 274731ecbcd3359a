//! The simulator's error type.

/// What can go wrong when starting or running the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listening socket could not be bound; pick another port or host.
    #[error("could not bind {addr}: {source}")]
    Bind {
        /// The address that was asked for.
        addr: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The self-signed certificate could not be made; use `.plain_http()` to run without TLS.
    #[error("could not create the self-signed certificate: {0}")]
    Certificate(String),
    /// The TLS configuration was rejected; use `.plain_http()` to run without TLS.
    #[error("could not configure TLS: {0}")]
    Tls(String),
    /// Waiting for Ctrl-C failed.
    #[error("could not wait for Ctrl-C: {0}")]
    Signal(std::io::Error),
    /// The simulated api.ibkr.com's consumer could not be made or written.
    #[error("OAuth consumer: {0}")]
    OAuth(String),
}
