//! `ibkr`: Interactive Brokers from the terminal.
//!
//! Every command talks to the Client Portal Gateway at `--gateway` (env `IBKR_GATEWAY_URL`,
//! default `https://localhost:5000/v1/api`), or to the embedded simulator with `--sim` (in
//! builds with the default `sim` feature; without it `--sim` says how to get it).
//! `--json` prints the documented, stable JSON schemas (see the README). Errors print one
//! line on stderr saying what to do, and exit non-zero:
//! 1 any other error, 2 bad usage, 3 not logged in or no brokerage session,
//! 4 the order was not placed (declined, unanswered question, rejected, server prompt),
//! 5 an order group was partly placed, 6 an order's state is unknown, 7 the gateway's
//! allow-list refused this client, 8 the gateway runs but cannot reach IBKR, 9 the
//! unattended login stopped for a human (wrong credentials, a changed page, a spent budget).

#[macro_use]
mod print;

// The modules in layers; each imports only from the layers below it, so there is no cycle:
// 1. `failure`, `print`, `args`: errors and exit codes, the one printer, the command line;
// 2. `table`, `output`: how results print; `sim`: the embedded simulator (cargo feature);
// 3. `context`: the session, connecting, and the helpers several commands share;
// 4. the commands: `portfolio`, `market`, `orders`, `watch`, `flex`, `tour`, `gateway`,
//    `oauth`, `capture`, `mcp`;
// 5. `dispatch`: the one `match` over the parsed command.
mod args;
mod capture;
mod context;
mod dispatch;
mod failure;
mod flex;
mod gateway;
mod market;
mod mcp;
mod oauth;
mod orders;
mod output;
mod portfolio;
mod sim;
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
    match runtime.block_on(dispatch::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader closed stdout (`| head`): it has what it wanted.
        Err(failure) if failure.is_closed_pipe() => ExitCode::SUCCESS,
        Err(failure) => {
            note!("ibkr: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
