//! `cargo xtask real-test`: the tests that drive real outside programs, IBKR's gateway (a
//! JVM) and Chromium. They take a minute of wall time between them, so the README's test
//! command lists them as ignored (by name, with this command in the reason) and CI runs
//! them here, right after it. Each still says `skipped: <test>: <why>` when the gateway or
//! Chromium is not on the machine (`cargo xtask gateway-fetch`, Debian's `chromium`).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// (package, test target) of every suite with ignored real-world tests.
pub const SUITES: &[(&str, &str)] = &[
    ("ibkr-cli", "real_gateway"),
    ("ibkr-cli", "gateway_sim"),
    ("ibkr-gateway", "login_browser"),
    ("ibkr-gateway", "login_watch"),
];

pub fn run(root: &Path) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut failed = Vec::new();
    for (package, test) in SUITES {
        println!("== real-test: {package} --test {test}");
        let status = Command::new(&cargo)
            .current_dir(root)
            .args(["test", "-p", package, "--test", test, "--", "--ignored"])
            .status()
            .with_context(|| format!("cannot run {cargo}"))?;
        if !status.success() {
            failed.push(format!("{package} --test {test}"));
        }
    }
    if !failed.is_empty() {
        bail!("real-world tests failed: {}", failed.join(", "));
    }
    Ok(())
}
