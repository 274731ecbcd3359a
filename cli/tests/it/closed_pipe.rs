//! `ibkr … | head`: when the reader closes stdout early, every command that prints stops
//! quietly with status 0 (it used to panic with "failed printing to stdout" and exit 101).
//!
//! Each case first runs normally, to show it succeeds and prints on stdout, then again
//! with its stdout closed before it writes a byte.
//! Not here: `ibkr sim` serves until stopped, and the `gateway` commands need an installed
//! gateway (`tests/it/gateway_sim.rs`); they print through the same printer.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn ibkr() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ibkr"));
    c.env_remove("IBKR_GATEWAY_URL")
        .env_remove("IBKR_FLEX_TOKEN")
        .env_remove("IBKR_ACCOUNT_ID")
        .env_remove("IBKR_LOG");
    c
}

fn flex_fixture() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../flex/tests/fixtures/activity/pp_testIBFlexStatementFile07.xml")
        .display()
        .to_string()
}

/// Wait for `child`, at most 60 s; kill it and fail past that.
fn wait(mut child: std::process::Child, what: &str) -> (std::process::ExitStatus, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status, err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what}: still running after 60 s with its stdout closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `args`, with `{DIR}` replaced by a fresh folder for each run (key files are never
/// overwritten, so the second run needs its own).
fn run_args(args: &[String]) -> Vec<String> {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ibkr-closed-pipe-{}-{run}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    args.iter()
        .map(|a| a.replace("{DIR}", &dir.display().to_string()))
        .collect()
}

fn check(args: &[String]) -> Result<(), String> {
    std::panic::catch_unwind(|| check_one(args)).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .unwrap_or_else(|| format!("ibkr {}: failed", args.join(" ")))
    })
}

fn check_one(args: &[String]) {
    let what = format!("ibkr {}", args.join(" "));
    // The tour's normal run is `cli.rs`'s end-to-end test (4 s); here only its closed run.
    let normal = if args.last().is_some_and(|a| a == "tour") {
        None
    } else {
        Some(ibkr().args(run_args(args)).output().unwrap())
    };
    if let Some(normal) = normal {
        assert!(
            normal.status.success() && !normal.stdout.is_empty(),
            "{what}: should succeed and print: {:?} {}",
            normal.status,
            String::from_utf8_lossy(&normal.stderr)
        );
    }
    let mut child = ibkr()
        .args(run_args(args))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before the first write
    let (status, stderr) = wait(child, &what);
    assert_eq!(
        status.code(),
        Some(0),
        "{what}: with stdout closed: {status:?}, stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

#[test]
fn every_printing_command_ends_quietly_on_a_closed_stdout() {
    let flex = flex_fixture();
    let cases: Vec<Vec<&str>> = vec![
        // The issue's own reproduction: a big JSON document into `head -c 100`.
        vec![
            "--sim", "--json", "history", "AAPL", "MSFT", "SPY", "--period", "5y", "--bar", "1d",
        ],
        vec!["--sim", "history", "AAPL", "--period", "1m", "--bar", "1d"],
        vec!["--sim", "tour"],
        vec!["--sim", "status"],
        vec!["--sim", "--json", "status"],
        vec!["--sim", "accounts"],
        vec!["--sim", "accounts", "switch", "DU1234567"],
        vec!["--sim", "positions"],
        vec!["--sim", "--output", "csv", "positions"],
        vec!["--sim", "summary"],
        vec!["--sim", "--json", "ledger"],
        vec!["--sim", "trades"],
        vec!["--sim", "watchlist", "list"],
        vec!["--sim", "scanner", "params"],
        vec!["--sim", "--json", "scanner", "run", "MOST_ACTIVE"],
        vec!["--sim", "alert", "list", "--json"],
        vec!["--sim", "contract", "AAPL"],
        vec!["--sim", "conid", "AAPL", "MSFT"],
        vec!["--sim", "snapshot", "AAPL", "MSFT"],
        vec![
            "--sim",
            "order",
            "preview",
            "--symbol",
            "AAPL",
            "--side",
            "buy",
            "--quantity",
            "1",
            "--type",
            "lmt",
            "--price",
            "100",
        ],
        vec!["--sim", "orders"],
        vec!["--sim", "--json", "cancel", "-1"],
        vec!["--sim", "--json", "watch", "AAPL", "--count", "3"],
        vec!["--sim", "--json", "pnl"],
        vec!["--sim", "flex", "fetch", "--query", "123456"],
        vec!["flex", "parse", &flex],
        vec![
            "flex",
            "parse",
            "--section",
            "Trades",
            "--format",
            "csv",
            &flex,
        ],
        vec!["--sim", "capture", "--check", "--only", "getAccounts"],
        vec!["completions", "bash"],
        vec!["oauth1", "keys", "{DIR}", "--rfc3526"],
        vec!["oauth2", "keys", "{DIR}"],
    ];
    // Four at a time: each case starts its own simulator and mostly waits on it.
    let cases: Vec<Vec<String>> = cases
        .into_iter()
        .map(|c| c.into_iter().map(String::from).collect())
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (cases, next) = (&cases, &next);
                s.spawn(move || {
                    let mut failed = Vec::new();
                    while let Some(case) =
                        cases.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        failed.extend(check(case).err());
                    }
                    failed
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
