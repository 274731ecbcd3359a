//! Every program in `ibkr-ext/examples/` runs to completion against its embedded simulator,
//! so the examples cannot rot.
//!
//! `cargo test -p ibkr-ext` (or `--workspace`) builds the examples before the tests run;
//! `--test it` alone does not, and then this test says so.

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

#[test]
fn every_example_runs_to_completion_against_the_simulator() {
    let dir = examples_dir();
    // `cargo test` builds the examples beside the tests (a cargo run from here would
    // resolve other features and rebuild half the dependency tree).
    assert!(
        dir.join(EXAMPLES[0]).exists(),
        "{}: the examples are not built; run `cargo test -p ibkr-ext` (without --test), which builds them",
        dir.display()
    );
    let listed: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
        .expect("the examples folder")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.strip_suffix(".rs").map(str::to_string)
        })
        .collect();
    let mut listed = listed;
    listed.sort();
    let mut expected: Vec<String> = EXAMPLES.iter().map(|e| e.to_string()).collect();
    expected.sort();
    assert_eq!(
        listed, expected,
        "examples/ and EXAMPLES differ: every example is run here, and only those"
    );
    // Four at a time: each starts its own simulator and mostly waits on IBKR's pacing. All
    // fourteen at once on two cores delays requests enough to bunch them past the
    // simulator's 10-per-second window.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (dir, next) = (&dir, &next);
                scope.spawn(move || {
                    let mut failed = Vec::new();
                    while let Some(name) =
                        EXAMPLES.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        failed.extend(run_example(dir, name).err());
                    }
                    failed
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("the example runner"))
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Run one built example; what went wrong, if anything.
fn run_example(dir: &std::path::Path, name: &str) -> Result<(), String> {
    let started = Instant::now();
    let out = Command::new(dir.join(name))
        .env_remove("IBKR_GATEWAY_URL")
        .env_remove("IBKR_FLEX_TOKEN")
        .env_remove("IBKR_FLEX_QUERY")
        .env_remove("IBKR_EXAMPLES_PLACE_ORDERS")
        .output()
        .map_err(|e| format!("{name}: cannot start: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{name}: {}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    if out.stdout.is_empty() {
        return Err(format!(
            "{name}: printed nothing; each example prints what it did"
        ));
    }
    if started.elapsed() > Duration::from_secs(60) {
        return Err(format!("{name} took {:?}", started.elapsed()));
    }
    Ok(())
}
