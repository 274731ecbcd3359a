//! The `ibkr` command's integration tests, as one test binary: each file here used to be a binary of its own, and
//! linking some 8 copies of the dependency tree dominated the suite's cold build.
//! The modules are the old files, unchanged; `cargo test -p <package> --test it NAME::`
//! runs one of them.
//!
//! Most drive the embedded simulator and need the default `sim` feature; `without_sim` is
//! the lean build's (`cargo test -p ibkr-cli --no-default-features --test it without_sim::`).

#[cfg(feature = "sim")]
mod cli;
#[cfg(feature = "sim")]
mod closed_pipe;
#[cfg(feature = "sim")]
mod gateway_sim;
#[cfg(feature = "sim")]
mod mcp_stdio;
#[cfg(feature = "sim")]
mod oauth;
#[cfg(feature = "sim")]
mod portfolio;
mod real_gateway;
#[cfg(feature = "sim")]
mod watch;
#[cfg(not(feature = "sim"))]
mod without_sim;
