//! ibkr-ext's integration tests, as one test binary: each file here used to be a binary of its own, and
//! linking some 13 copies of the dependency tree dominated the suite's cold build.
//! The modules are the old files, unchanged; `cargo test -p <package> --test it NAME::`
//! runs one of them.

mod core;
mod examples;
mod flows;
mod gateway_refusals;
mod helpers;
mod oauth;
mod secrets;
mod session_core;
mod sim_decodes;
mod stream;
mod stream_bounds;
mod stream_fuzz;
mod tls;
