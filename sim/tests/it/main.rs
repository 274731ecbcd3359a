//! The simulator's integration tests, as one test binary: each file here used to be a binary of its own, and
//! linking some 22 copies of the dependency tree dominated the suite's cold build.
//! The modules are the old files, unchanged; `cargo test -p <package> --test it NAME::`
//! runs one of them.

mod account_management;
mod accounts;
mod alerts;
mod bad_input;
mod common;
mod contracts;
mod faults;
mod flex;
mod fyi;
mod gateway_access;
mod journal;
mod login_page;
mod marketdata;
mod oauth;
mod orders;
mod pacing;
mod portfolio;
mod scanner;
mod session;
mod shapes;
mod startup;
mod watchlists;
mod ws;
