//! ibkr-flex's integration tests, as one test binary: each file here used to be a binary of its own, and
//! linking some 6 copies of the dependency tree dominated the suite's cold build.
//! The modules are the old files, unchanged; `cargo test -p <package> --test it NAME::`
//! runs one of them.

mod against_sim;
mod bad_input;
mod client_flow;
mod edge_values;
mod fixtures_parse;
mod streaming_and_json;
