//! ibkr-gen's integration tests, as one test binary: each file here used to be a binary of its own, and
//! linking some 2 copies of the dependency tree dominated the suite's cold build.
//! The modules are the old files, unchanged; `cargo test -p <package> --test it NAME::`
//! runs one of them.

mod secrets;
mod wire_rules;
