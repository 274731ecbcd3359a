//! `cargo xtask bench`: run the Criterion benchmarks and print their figures.
//!
//! Each bench binary in `benches/` prints its figures as lines starting with `FIGURE `,
//! computed from measurements taken in the same run (ratios against a baseline measured
//! beside it). This command prepares the inputs (the synthetic 100 MB Flex statement),
//! runs the benches and the streaming-RSS probe in release mode, and prints the figures,
//! one a line.

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::flex_synth;

/// Trades in the synthetic statement: about 100 MB.
const FLEX_TRADES: usize = 100_000;

/// Run every bench, or only `only` (a bench name in `benches/`, e.g. `stream_soak`).
pub fn run(root: &Path, quick: bool, only: Option<&str>) -> Result<()> {
    let data = root.join("target/bench-data");
    std::fs::create_dir_all(&data)?;
    let trades = if quick { FLEX_TRADES / 10 } else { FLEX_TRADES };
    let flex_file = flex_statement(&data, trades)?;

    let mut figures = Vec::new();
    let mut cmd = cargo(root);
    cmd.args(["bench", "-p", "ibkr-benches"])
        .env("IBKR_BENCH_FLEX_FILE", &flex_file);
    if let Some(name) = only {
        cmd.args(["--bench", name]);
    }
    if quick {
        cmd.env("IBKR_BENCH_QUICK", "1");
    }
    collect(cmd, &mut figures)?;
    if only.is_some_and(|name| name != "flex_parse") {
        return print_figures(&figures);
    }

    let mut rss = cargo(root);
    rss.args([
        "run",
        "--release",
        "-p",
        "ibkr-flex",
        "--example",
        "flex_stream_rss",
        "--",
    ])
    .arg(&flex_file);
    collect(rss, &mut figures)?;
    print_figures(&figures)
}

fn print_figures(figures: &[String]) -> Result<()> {
    println!("\nbenchmark figures:");
    for f in figures {
        println!("{f}");
    }
    Ok(())
}

fn cargo(root: &Path) -> Command {
    let mut cmd = crate::cargo(root);
    cmd.stderr(Stdio::inherit());
    cmd
}

/// Run `cmd`, echo its output, and keep its `FIGURE` lines.
fn collect(mut cmd: Command, figures: &mut Vec<String>) -> Result<()> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    if !out.status.success() {
        bail!("{cmd:?} failed");
    }
    figures.extend(
        stdout
            .lines()
            .filter_map(|l| l.strip_prefix("FIGURE "))
            .map(String::from),
    );
    Ok(())
}

/// The synthetic activity statement, written once per size and reused.
fn flex_statement(dir: &Path, trades: usize) -> Result<PathBuf> {
    let path = dir.join(format!("flex_{trades}_trades.xml"));
    if !path.exists() {
        let tmp = path.with_extension("tmp");
        let mut out = BufWriter::new(std::fs::File::create(&tmp)?);
        flex_synth::write_activity_statement(&mut out, trades, 42)?;
        drop(out);
        std::fs::rename(&tmp, &path)?;
    }
    let mb = std::fs::metadata(&path)?.len() as f64 / 1e6;
    println!("flex input: {} ({mb:.1} MB)", path.display());
    Ok(path)
}
