//! `cargo xtask real-test`: the tests that drive real outside programs, IBKR's gateway (a
//! JVM) and Chromium. They take a minute of wall time between them, so the README's test
//! command lists them as ignored (by name, with this command in the reason) and CI runs
//! them here, right after it. Each still says `skipped: <test>: <why>` when the gateway or
//! Chromium is not on the machine (`cargo xtask gateway-fetch`, Debian's `chromium`).
//!
//! They run in one `cargo test --workspace` invocation, so the dependencies keep the
//! workspace's feature set: `-p <package>` would resolve other features and rebuild half
//! the tree (two minutes on CI) before the first test.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The modules, in the `it` test binaries, whose ignored tests are the real-world ones.
pub const SUITES: &[&str] = &[
    "real_gateway::",
    "gateway_sim::",
    "login_browser::",
    "login_watch::",
];

pub fn run(root: &Path) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("== real-test: {}", SUITES.join(" "));
    let status = Command::new(&cargo)
        .current_dir(root)
        .args(["test", "--workspace", "--test", "it", "--", "--ignored"])
        .args(SUITES)
        .status()
        .with_context(|| format!("cannot run {cargo}"))?;
    if !status.success() {
        bail!("real-world tests failed (see above)");
    }
    Ok(())
}
