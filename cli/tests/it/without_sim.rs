//! The `ibkr` built without the `sim` feature: every way of asking for the simulator fails
//! with one line that says how to get it (exit 2), and `--help` says so too.

use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;

fn ibkr() -> Command {
    let mut c = Command::cargo_bin("ibkr").unwrap();
    c.env_remove("IBKR_GATEWAY_URL")
        .env_remove("IBKR_OAUTH1_CONFIG")
        .env_remove("IBKR_OAUTH2_CONFIG")
        .timeout(Duration::from_secs(30));
    c
}

#[test]
fn asking_for_the_simulator_says_how_to_get_it() {
    for args in [
        &["--sim", "status"][..],
        &["--sim-oauth", "status"],
        &["--sim", "flex", "fetch", "--query", "123456"],
        &["--sim", "mcp"],
        &["sim", "--http", "--port", "0"],
        // The tour without a gateway is the tour against the simulator.
        &["tour"],
    ] {
        let out = ibkr()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "built without the embedded simulator",
            ))
            .stderr(predicate::str::contains("cargo install --path cli"));
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(out.get_output().stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn help_says_the_simulator_is_not_in_this_build() {
    ibkr()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "This build has no embedded simulator",
        ));
}
