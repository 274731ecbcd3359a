//! `ibkr`: Interactive Brokers from the terminal.
//!
//! Every command talks to the Client Portal Gateway at `--gateway` (env `IBKR_GATEWAY_URL`,
//! default `https://localhost:5000/v1/api`), or to the embedded simulator with `--sim`.
//! `--json` prints the documented, stable JSON schemas (see the README). Errors print one
//! line on stderr saying what to do, and exit non-zero:
//! 1 any other error, 2 bad usage, 3 not logged in or no brokerage session,
//! 4 the order was not placed (declined, unanswered question, rejected, server prompt),
//! 5 an order group was partly placed, 6 an order's state is unknown, 7 the gateway's
//! allow-list refused this client, 8 the gateway runs but cannot reach IBKR, 9 the
//! unattended login stopped for a human (wrong credentials, a changed page, a spent budget).

#[macro_use]
mod print;

mod args;
mod capture;
mod commands;
mod failure;
mod gateway;
mod mcp;
mod oauth;
mod output;
mod portfolio;
mod table;
mod tour;
mod watch;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Ok(filter) = std::env::var("IBKR_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            note!("ibkr: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader closed stdout (`| head`): it has what it wanted.
        Err(failure) if failure.is_closed_pipe() => ExitCode::SUCCESS,
        Err(failure) => {
            note!("ibkr: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
