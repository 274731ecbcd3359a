//! The `ibkr` command's integration tests, as one test binary: each file here used to be a binary of its own, and
//! linking some 8 copies of the dependency tree dominated the suite's cold build.
//! The modules are the old files, unchanged; `cargo test -p <package> --test it NAME::`
//! runs one of them.

mod cli;
mod closed_pipe;
mod gateway_sim;
mod mcp_stdio;
mod oauth;
mod portfolio;
mod real_gateway;
mod watch;
