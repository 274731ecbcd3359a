//! `cargo xtask bench`: run the Criterion benchmarks and print their figures.
//!
//! Each bench binary in `benches/` prints its figures as lines starting with `FIGURE `,
//! computed from measurements taken in the same run (ratios against a baseline measured
//! beside it). This command prepares the inputs, runs the benches in release mode and
//! prints those lines, one figure a line.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

pub fn run(root: &Path, quick: bool) -> Result<()> {
    let data = root.join("target/bench-data");
    std::fs::create_dir_all(&data)?;
    let mut figures = Vec::new();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root)
        .args(["bench", "--quiet", "-p", "ibkr-benches"])
        .env("IBKR_BENCH_DATA", &data)
        .stderr(Stdio::inherit());
    if quick {
        cmd.env("IBKR_BENCH_QUICK", "1");
    }
    let out = cmd.output().context("running cargo bench")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        if let Some(figure) = line.strip_prefix("FIGURE ") {
            figures.push(figure.to_string());
        }
    }
    if !out.status.success() {
        bail!("cargo bench failed:\n{stdout}");
    }
    println!("\nbenchmark figures:");
    for f in &figures {
        println!("{f}");
    }
    Ok(())
}
