//! `ibkr capture`: record a paper account's read-only answers as anonymised fixtures
//! (`--out DIR`), or compare a live account's answers with the schema (`--check`).
//!
//! - **What is called.** Only operations the documents mark `x-ibkr-capture: safe` and the
//!   runtime may repeat ([`spec::Op::sendable`]); [`send`] is the one place a request leaves,
//!   and it refuses anything else. Operations of the account-management API (`/gw/api`) are
//!   skipped: the capture drives the trading API's session.
//! - **Parameters** come from the account's own answers ([`params`]); an operation nothing
//!   supplies a value for is listed as skipped, with the reason.
//! - **The session runs it**: every call goes through [`Ibkr::send_undecoded`], so the order
//!   lane, the global pacing and each operation's slow limit (scanner parameters once per 15
//!   minutes) apply as to any call. One call at a time, in [`params::ORDER`].
//! - **Anonymised** answers ([`anonymise`], rules in its module doc) are written as
//!   `DIR/<operationId>/rec_capture_<yyyymmdd>_<n>.json` (the fixtures' convention), with a
//!   `SOURCES.md` fragment and a `REVIEW.md` listing every replacement and flag. REVIEW.md
//!   holds the original values, so a human can judge them: it is not to be shared.
//! - **Printing** goes through [`say()`] alone; the progress bar draws on stderr when it is a
//!   terminal.

pub mod anonymise;
pub mod params;
pub mod schema;
pub mod spec;

// They drive the embedded simulator.
#[cfg(all(test, feature = "sim"))]
mod tests;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ibkr_ext::prelude::*;
use ibkr_ext::raw_api::operations::Api;
use serde_json::Value;

use crate::args::CaptureArgs;
use crate::context::Session;
use crate::failure::{self, Failure};
use anonymise::{Anonymiser, Change, Kind};
use params::{Call, Found};
use spec::{Mark, Op};

/// Print one line of the capture's output (the one place it prints, through the CLI's
/// printer).
fn say(line: &str) -> Result<(), Failure> {
    say!("{line}")
}

/// What became of one operation.
#[derive(Clone, Debug)]
pub enum Fate {
    /// Called; the answer as it came.
    Answered { body: Vec<u8> },
    /// Called; the gateway answered with an error.
    Failed { error: String },
    /// Not called, and why.
    Skipped(String),
}

/// One operation of a run and its fate; `wanted` is false for an operation called only to
/// find parameters (outside `--only`).
#[derive(Clone, Debug)]
pub struct Outcome {
    pub op: Op,
    pub wanted: bool,
    pub fate: Fate,
}

/// A run's settings.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// `--only`: these operationIds (empty: every safe one).
    pub only: BTreeSet<String>,
    /// `--account`: the account to use instead of the gateway's selected one.
    pub account: Option<String>,
}

impl Plan {
    /// Check `--only` against the documents: every id must exist and be safe.
    pub fn new(only: &[String], account: Option<String>) -> Result<Plan, Failure> {
        let all = spec::all();
        for id in only {
            match all.iter().find(|o| o.id() == id) {
                None => {
                    return Err(Failure::usage(format!(
                        "--only {id}: no such operationId (see openapi/OPERATIONS.md)"
                    )));
                }
                Some(op) if !op.sendable() => {
                    return Err(Failure::usage(format!(
                        "--only {id}: marked x-ibkr-capture: unsafe, so the capture never calls it"
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(Plan {
            only: only.iter().cloned().collect(),
            account,
        })
    }

    fn wants(&self, id: &str) -> bool {
        self.only.is_empty() || self.only.contains(id)
    }
}

/// The one place a request leaves: an operation that is not [`spec::Op::sendable`] is
/// refused here, whatever called it.
async fn send(ibkr: &Ibkr, op: &Op, call: &Call) -> Result<Vec<u8>, String> {
    if !op.sendable() || op.row.api != Api::Trading {
        return Err(format!(
            "{}: not a safe trading-API read; never sent",
            op.id()
        ));
    }
    let query: Vec<(&str, String)> = call.query.iter().map(|(k, v)| (*k, v.clone())).collect();
    ibkr.send_undecoded(op.row, &call.path, &query, call.body.as_ref())
        .await
        .map_err(|e| e.to_string())
}

/// The safe trading-API operations in calling order: the parameter finders first.
fn calling_order() -> Vec<Op> {
    let mut ops: Vec<Op> = spec::all()
        .into_iter()
        .filter(|o| o.sendable() && o.row.api == Api::Trading)
        .collect();
    ops.sort_by_key(|o| {
        (
            params::ORDER
                .iter()
                .position(|id| *id == o.id())
                .unwrap_or(usize::MAX),
            o.id(),
        )
    });
    ops
}

/// Call every operation the plan wants (and the parameter finders), one at a time.
pub async fn collect(ibkr: &Ibkr, plan: &Plan, progress: &indicatif::ProgressBar) -> Vec<Outcome> {
    let mut found = Found {
        account: plan.account.clone(),
        ..Found::default()
    };
    let mut out = Vec::new();
    for op in spec::all() {
        if !plan.wants(op.id()) {
            continue;
        }
        let reason = match (op.mark(), op.row.api) {
            (Mark::Unsafe, _) => "marked x-ibkr-capture: unsafe",
            (Mark::Safe, Api::AccountManagement) => {
                "account-management API (/gw/api): the capture records the trading API's session"
            }
            (Mark::Safe, Api::Trading) if !op.row.idempotent => "marked non-idempotent",
            _ => continue,
        };
        out.push(Outcome {
            op,
            wanted: true,
            fate: Fate::Skipped(reason.into()),
        });
    }
    let ops = calling_order();
    progress.set_length(ops.len() as u64);
    for op in ops {
        progress.set_message(op.id());
        let wanted = plan.wants(op.id());
        let finder = params::ORDER.contains(&op.id());
        if !wanted && !finder {
            progress.inc(1);
            continue;
        }
        let fate = match params::plan(&op, &found) {
            Err(reason) => Fate::Skipped(reason),
            Ok(call) => match send(ibkr, &op, &call).await {
                Ok(body) => {
                    if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                        params::learn(op.id(), &v, &mut found);
                    }
                    Fate::Answered { body }
                }
                Err(error) => Fate::Failed { error },
            },
        };
        if op.id() == "getPositions" && found.conids.is_empty() {
            found.conids = fallback_conids(ibkr).await;
        }
        out.push(Outcome { op, wanted, fate });
        progress.inc(1);
    }
    progress.finish_and_clear();
    out
}

/// Conids of a few liquid symbols, through the SDK's conid resolution (an account without
/// positions).
async fn fallback_conids(ibkr: &Ibkr) -> Vec<String> {
    let queries: Vec<StockQuery> = params::FALLBACK_SYMBOLS
        .iter()
        .map(|s| StockQuery::new(*s))
        .collect();
    match ibkr.resolve_conids(&queries).await {
        Ok(found) => params::FALLBACK_SYMBOLS
            .iter()
            .filter_map(|s| found.get(*s).map(|c| c.to_string()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// `ibkr capture`.
pub async fn run(s: &Session, args: &CaptureArgs) -> Result<(), Failure> {
    let plan = Plan::new(&args.only, s.ibkr.account_id().map(String::from))?;
    s.ibkr.ensure_brokerage_session().await?;
    let progress = indicatif::ProgressBar::new(0);
    progress.set_style(
        indicatif::ProgressStyle::with_template("capture {pos}/{len} [{bar:30}] {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let outcomes = collect(&s.ibkr, &plan, &progress).await;
    if args.check {
        let differ = check_report(&outcomes)?;
        return if differ == 0 {
            Ok(())
        } else {
            Err(Failure::new(
                failure::GENERAL,
                format!("{differ} operation(s) answer differently from the schema (above)"),
            ))
        };
    }
    let Some(dir) = &args.out else {
        return Err(Failure::usage("--out DIR is required without --check"));
    };
    let seed = args.seed.unwrap_or_else(rand::random);
    let written = write(dir, &outcomes, seed, args.keep_amounts, &today())?;
    say(&written.summary(dir))
}

fn today() -> String {
    chrono::Local::now().format("%Y%m%d").to_string()
}

/// `--check`: one block per answered operation; returns how many differ from the schema.
pub fn check_report(outcomes: &[Outcome]) -> Result<usize, Failure> {
    let mut differ = 0;
    for o in outcomes.iter().filter(|o| o.wanted) {
        match &o.fate {
            Fate::Answered { body, .. } => {
                let Some(schema) = o.op.success_schema() else {
                    say(&format!(
                        "{}: answered; no JSON schema to compare with",
                        o.op.id()
                    ))?;
                    continue;
                };
                let f = schema::check(o.op.id(), spec::document(o.op.row.api), schema, body);
                if f.clean() {
                    say(&format!("{}: decodes", o.op.id()))?;
                    continue;
                }
                differ += 1;
                say(&format!(
                    "{}: {}",
                    o.op.id(),
                    match &f.decode_error {
                        None => "decodes".to_string(),
                        Some(e) => format!("does not decode: {e}"),
                    }
                ))?;
                for p in &f.undeclared {
                    say(&format!("  undeclared field {p}"))?;
                }
                for (p, want, got) in &f.mismatches {
                    say(&format!(
                        "  type mismatch at {p}: the schema says {want}, the answer has {got}"
                    ))?;
                }
            }
            Fate::Failed { error, .. } => say(&format!("{}: failed: {error}", o.op.id()))?,
            Fate::Skipped(why) => say(&format!("{}: skipped: {why}", o.op.id()))?,
        }
    }
    Ok(differ)
}

/// What [`write()`] wrote.
#[derive(Debug, Default)]
pub struct Written {
    pub files: Vec<PathBuf>,
    pub replacements: usize,
    pub flags: usize,
    pub skipped: usize,
    pub failed: usize,
}

impl Written {
    fn summary(&self, dir: &Path) -> String {
        format!(
            "wrote {} fixture(s) under {}: {} replacement(s), {} flag(s) to review, {} operation(s) skipped, {} failed.\n\
             Read {}/REVIEW.md before sharing (it holds the original values: do not share it), \
             then copy the operation folders into tests/fixtures/responses/ and SOURCES.md's lines into tests/fixtures/SOURCES.md.",
            self.files.len(),
            dir.display(),
            self.replacements,
            self.flags,
            self.skipped,
            self.failed,
            dir.display()
        )
    }
}

/// The account class of an account id: `paper` for `D…`, else `live`, with its prefix.
fn account_class(account: Option<&str>) -> String {
    match account {
        Some(a) => {
            let prefix: String = a.chars().take_while(char::is_ascii_alphabetic).collect();
            let kind = if prefix.starts_with('D') {
                "paper"
            } else {
                "live"
            };
            format!("{kind} ({prefix})")
        }
        None => "unknown".into(),
    }
}

/// The gateway's build, as `getAuthStatus` reports it.
fn gateway_build(outcomes: &[Outcome]) -> String {
    outcomes
        .iter()
        .find(|o| o.op.id() == "getAuthStatus")
        .and_then(|o| match &o.fate {
            Fate::Answered { body, .. } => serde_json::from_slice::<Value>(body).ok(),
            _ => None,
        })
        .and_then(|v| {
            v.pointer("/serverInfo/serverVersion")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Anonymise the answers and write them, SOURCES.md and REVIEW.md under `dir`.
pub fn write(
    dir: &Path,
    outcomes: &[Outcome],
    seed: u64,
    keep_amounts: bool,
    date: &str,
) -> Result<Written, Failure> {
    let io = |what: &Path, e: std::io::Error| {
        Failure::new(failure::GENERAL, format!("{}: {e}", what.display()))
    };
    let answered: Vec<(&Outcome, Value)> = outcomes
        .iter()
        .filter(|o| o.wanted)
        .filter_map(|o| match &o.fate {
            Fate::Answered { body, .. } => serde_json::from_slice(body).ok().map(|v| (o, v)),
            _ => None,
        })
        .collect();
    let account = answered
        .iter()
        .find(|(o, _)| o.op.id() == "getAccounts")
        .and_then(|(_, v)| v.get("selectedAccount").and_then(Value::as_str))
        .map(String::from);
    let mut anonymiser = Anonymiser::new(seed, keep_amounts);
    let factor = anonymiser.factor();
    let results = anonymiser.run(answered.iter().map(|(_, v)| v.clone()).collect());
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut written = Written::default();
    let mut review = String::new();
    let mut sources = String::new();
    let _ = writeln!(
        review,
        "# Capture review\n\nThis file holds the ORIGINAL values: read it, do not share it.\n\n\
         - seed: {seed}\n- amounts: {}\n\n\
         Check each replacement, and edit every flagged value by hand in its fixture before sharing.\n",
        match factor {
            Some(f) =>
                format!("scaled by one factor ({f}), sign, decimal places and JSON type kept"),
            None => "kept as recorded (--keep-amounts)".into(),
        }
    );
    let _ = writeln!(
        sources,
        "<!-- ibkr capture: add these lines to tests/fixtures/SOURCES.md -->\n\
         Recorded by `ibkr capture` on {date} from a {} account; gateway build {}; anonymised \
         (account ids, personal fields{}).\n",
        account_class(account.as_deref()),
        gateway_build(outcomes),
        if factor.is_some() {
            ", amounts scaled"
        } else {
            ""
        }
    );
    for ((o, _), (value, changes)) in answered.iter().zip(results) {
        let folder = dir.join(o.op.id());
        std::fs::create_dir_all(&folder).map_err(|e| io(&folder, e))?;
        let n = (1..)
            .find(|n| !folder.join(format!("rec_capture_{date}_{n}.json")).exists())
            .unwrap_or(1);
        let name = format!("rec_capture_{date}_{n}.json");
        let path = folder.join(&name);
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        let relative = format!("{}/{name}", o.op.id());
        let _ = writeln!(
            sources,
            "- `responses/{relative}`: `{} {}`",
            o.op.row.method, o.op.row.path
        );
        review_file(&mut review, &relative, &changes);
        written.replacements += changes.iter().filter(|c| c.kind != Kind::Flag).count();
        written.flags += changes.iter().filter(|c| c.kind == Kind::Flag).count();
        written.files.push(path);
    }
    let _ = writeln!(review, "\n## Not recorded\n");
    for o in outcomes.iter().filter(|o| o.wanted) {
        match &o.fate {
            Fate::Skipped(why) => {
                written.skipped += 1;
                let _ = writeln!(review, "- `{}`: skipped: {why}", o.op.id());
            }
            Fate::Failed { error, .. } => {
                written.failed += 1;
                let _ = writeln!(review, "- `{}`: failed: {error}", o.op.id());
            }
            Fate::Answered { .. } => {}
        }
    }
    let review_path = dir.join("REVIEW.md");
    std::fs::write(&review_path, review).map_err(|e| io(&review_path, e))?;
    let sources_path = dir.join("SOURCES.md");
    std::fs::write(&sources_path, sources).map_err(|e| io(&sources_path, e))?;
    Ok(written)
}

/// One file's section of REVIEW.md.
fn review_file(review: &mut String, file: &str, changes: &[Change]) {
    let _ = writeln!(review, "\n## {file}\n");
    if changes.is_empty() {
        let _ = writeln!(review, "No replacement, no flag.");
        return;
    }
    let _ = writeln!(
        review,
        "| path | rule | original | now |\n|---|---|---|---|"
    );
    for c in changes {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let _ = writeln!(
            review,
            "| `{}` | {} | {} | {} |",
            cell(&c.path),
            c.kind.label(),
            cell(&c.original),
            cell(&c.replacement)
        );
    }
}
