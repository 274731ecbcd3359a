//! Every program in `ibkr-ext/examples/` runs to completion against its embedded simulator,
//! so the examples cannot rot.
//!
//! `cargo test -p ibkr-ext` builds the examples before the tests; run alone
//! (`--test examples`), this test builds them first with the same cargo.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const EXAMPLES: &[&str] = &[
    "session_and_accounts",
    "conids",
    "history_csv",
    "snapshot",
    "stream_quotes",
    "order_with_question",
    "bracket",
    "modify_and_cancel",
    "positions_and_pnl",
    "watchlist",
    "scanner",
    "flex_statement",
    "oauth_login",
    "account_management",
];

/// `target/<profile>/examples`, beside this test binary's `deps` folder.
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples"))
        .expect("target/<profile>/examples")
}

fn build_examples() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "-p", "ibkr-ext", "--examples"]);
    if !cfg!(debug_assertions) {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "the examples build");
}

#[test]
fn every_example_runs_to_completion_against_the_simulator() {
    let dir = examples_dir();
    // Up to date even when this test runs alone (cargo does nothing when they are).
    build_examples();
    let listed: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
        .expect("the examples folder")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.strip_suffix(".rs").map(str::to_string)
        })
        .collect();
    for name in &listed {
        assert!(
            EXAMPLES.contains(&name.as_str()),
            "examples/{name}.rs is not run by this test: add it to EXAMPLES"
        );
    }
    assert!(EXAMPLES.len() >= 12);
    let mut failures = Vec::new();
    for name in EXAMPLES {
        let started = Instant::now();
        let out = Command::new(dir.join(name))
            .env_remove("IBKR_GATEWAY_URL")
            .env_remove("IBKR_FLEX_TOKEN")
            .env_remove("IBKR_FLEX_QUERY")
            .env_remove("IBKR_EXAMPLES_PLACE_ORDERS")
            .output()
            .unwrap_or_else(|e| panic!("{name}: cannot start: {e}"));
        if !out.status.success() {
            failures.push(format!(
                "{name}: {}\nstdout: {}\nstderr: {}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        } else {
            assert!(!out.stdout.is_empty(), "{name} prints what it did");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{name} took {:?}",
            started.elapsed()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
