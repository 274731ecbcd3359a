//! The files regen writes beside the documents: `UPSTREAM.toml` and `OPERATIONS.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::Output;
use crate::spec::{self, Api};

/// Where the recorded responses of an operation live (see `tests/`).
pub fn fixtures_dir(root: &Path, operation_id: &str) -> std::path::PathBuf {
    root.join("tests/fixtures/responses").join(operation_id)
}

/// How many recorded response files an operation has.
pub fn recorded_count(root: &Path, operation_id: &str) -> usize {
    std::fs::read_dir(fixtures_dir(root, operation_id))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .count()
        })
        .unwrap_or(0)
}

pub fn upstream_toml(out: &Output, source: &str) -> String {
    let mut s = String::new();
    s.push_str("# Written by `cargo xtask regen`; do not edit.\n");
    s.push_str("# The IBKR document the extended documents in this folder were built from.\n");
    let _ = writeln!(s, "version = \"{}\"", out.upstream_version);
    let _ = writeln!(s, "sha256 = \"{}\"", out.upstream_sha256);
    let _ = writeln!(s, "source = \"{source}\"");
    let _ = writeln!(
        s,
        "overlays = [{}]",
        out.overlays
            .iter()
            .map(|o| format!("\"{o}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    s
}

/// The table of every operation. The evidence column says whether real recorded responses
/// back the operation's contract test, or only a body built from its schema.
pub fn operations_md(root: &Path, documents: &[(Api, Value)]) -> String {
    let mut s = String::new();
    s.push_str("<!-- Written by `cargo xtask regen`; do not edit. -->\n");
    s.push_str("# Operations\n\n");
    let mut per_tag: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut total = 0;
    let mut rows = String::new();
    let mut schema_only = 0;
    for (api, doc) in documents {
        let mut ops = spec::operations(doc);
        ops.sort_by_key(|o| (o.tag.clone(), o.id.clone()));
        let _ = writeln!(rows, "\n## {} API\n", capitalize(api.label()));
        rows.push_str("| operationId | method | path | tag | pacing | idempotent | evidence |\n");
        rows.push_str("|---|---|---|---|---|---|---|\n");
        for op in ops {
            let id = op.id.clone().unwrap_or_default();
            let n = recorded_count(root, &id);
            let evidence = if n > 0 {
                format!("recorded ({n})")
            } else {
                schema_only += 1;
                "schema-only".to_string()
            };
            let _ = writeln!(
                rows,
                "| `{id}` | {} | `{}` | {} | {} | {} | {evidence} |",
                op.method,
                op.path,
                op.tag.clone().unwrap_or_default(),
                op.pacing.clone().unwrap_or_else(|| "–".into()),
                if op.idempotent { "yes" } else { "**no**" },
            );
            *per_tag
                .entry((capitalize(api.label()), op.tag.unwrap_or_default()))
                .or_default() += 1;
            total += 1;
        }
    }
    let _ = writeln!(
        s,
        "{total} operations; {} backed by recorded responses, {schema_only} schema-only.\n",
        total - schema_only
    );
    s.push_str(
        "Pacing is `x-ibkr-pacing` (enforced client-side by `ibkr-gen`); idempotent **no** means\n",
    );
    s.push_str("`x-ibkr-idempotent: false`: the runtime never retries the call.\n\n");
    s.push_str("| API | tag | operations |\n|---|---|---|\n");
    for ((api, tag), n) in &per_tag {
        let _ = writeln!(s, "| {api} | {tag} | {n} |");
    }
    s.push_str(&rows);
    s
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
