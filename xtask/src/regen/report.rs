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

/// What backs an operation's contract test, strongest first. A fixture's file name says
/// where it came from (see `tests/fixtures/SOURCES.md`): `rec_` a body captured from a real
/// gateway, `doc_` an example on an IBKR documentation page, `spec_` an example in IBKR's
/// OpenAPI document, `unverified_` a body whose origin could not be traced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Evidence {
    Recorded,
    Documented,
    SpecExample,
    Unverified,
    SchemaOnly,
}

impl Evidence {
    pub const ALL: [Evidence; 5] = [
        Evidence::Recorded,
        Evidence::Documented,
        Evidence::SpecExample,
        Evidence::Unverified,
        Evidence::SchemaOnly,
    ];

    fn of_file(name: &str) -> Evidence {
        [
            ("rec_", Evidence::Recorded),
            ("doc_", Evidence::Documented),
            ("spec_", Evidence::SpecExample),
        ]
        .into_iter()
        .find_map(|(prefix, e)| name.starts_with(prefix).then_some(e))
        .unwrap_or(Evidence::Unverified)
    }

    pub fn label(self) -> &'static str {
        match self {
            Evidence::Recorded => "recorded",
            Evidence::Documented => "documentation example",
            Evidence::SpecExample => "OpenAPI example",
            Evidence::Unverified => "unverified",
            Evidence::SchemaOnly => "schema-only",
        }
    }
}

/// The fixture files of an operation: whole answers under `responses/<id>/` and member
/// excerpts under `excerpts/<id>/<member>/`.
fn fixture_files(root: &Path, operation_id: &str) -> Vec<String> {
    let json_names = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".json"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut names = json_names(&fixtures_dir(root, operation_id));
    let excerpts = root.join("tests/fixtures/excerpts").join(operation_id);
    if let Ok(members) = std::fs::read_dir(excerpts) {
        for member in members.filter_map(Result::ok) {
            names.extend(json_names(&member.path()));
        }
    }
    names
}

/// How many fixture files back an operation, and the strongest evidence among them.
pub fn evidence(root: &Path, operation_id: &str) -> (usize, Evidence) {
    let files = fixture_files(root, operation_id);
    let best = files
        .iter()
        .map(|n| Evidence::of_file(n))
        .min()
        .unwrap_or(Evidence::SchemaOnly);
    (files.len(), best)
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

/// The table of every operation. The evidence column gives the strongest kind of answer its
/// contract test decodes, and how many fixture files it has.
pub fn operations_md(root: &Path, documents: &[(Api, Value)]) -> String {
    let mut s = String::new();
    s.push_str("<!-- Written by `cargo xtask regen`; do not edit. -->\n");
    s.push_str("# Operations\n\n");
    let mut per_tag: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut total = 0;
    let mut rows = String::new();
    let mut by_evidence: BTreeMap<Evidence, usize> = BTreeMap::new();
    for (api, doc) in documents {
        let mut ops = spec::operations(doc);
        ops.sort_by_key(|o| (o.tag.clone(), o.id.clone()));
        let _ = writeln!(rows, "\n## {} API\n", capitalize(api.label()));
        rows.push_str(
            "| operationId | method | path | tag | pacing | idempotent | capture | evidence |\n",
        );
        rows.push_str("|---|---|---|---|---|---|---|---|\n");
        for op in ops {
            let id = op.id.clone().unwrap_or_default();
            let (n, kind) = evidence(root, &id);
            *by_evidence.entry(kind).or_default() += 1;
            let evidence = match kind {
                Evidence::SchemaOnly => kind.label().to_string(),
                _ => format!("{} ({n})", kind.label()),
            };
            let _ = writeln!(
                rows,
                "| `{id}` | {} | `{}` | {} | {} | {} | {} | {evidence} |",
                op.method,
                op.path,
                op.tag.clone().unwrap_or_default(),
                op.pacing.clone().unwrap_or_else(|| "–".into()),
                if op.idempotent { "yes" } else { "**no**" },
                op.capture.as_deref().unwrap_or("–"),
            );
            *per_tag
                .entry((capitalize(api.label()), op.tag.unwrap_or_default()))
                .or_default() += 1;
            total += 1;
        }
    }
    let _ = writeln!(
        s,
        "{total} operations. By the strongest answer their contract test decodes:\n"
    );
    for kind in Evidence::ALL {
        let n = by_evidence.get(&kind).copied().unwrap_or(0);
        let _ = writeln!(s, "- {}: {n}", kind.label());
    }
    s.push_str(EVIDENCE_NOTE);
    s.push_str(
        "Pacing is `x-ibkr-pacing` (enforced client-side by `ibkr-gen`); idempotent **no** means\n",
    );
    s.push_str("`x-ibkr-idempotent: false`: the runtime never retries the call. Capture is\n");
    s.push_str("`x-ibkr-capture`: whether `ibkr capture` may call it (`safe`: it cannot change anything).\n\n");
    s.push_str("| API | tag | operations |\n|---|---|---|\n");
    for ((api, tag), n) in &per_tag {
        let _ = writeln!(s, "| {api} | {tag} | {n} |");
    }
    s.push_str(&rows);
    s
}

const EVIDENCE_NOTE: &str = "
A *recorded* answer was captured from a real gateway and published by a third party; a
*documentation example* is printed on one of IBKR's documentation pages; an *OpenAPI example*
is in IBKR's OpenAPI document. All three prove that the generated type decodes what IBKR
shows, every field declared and every value equal; only a recording proves what a gateway
sends. *Unverified* bodies have no traced origin. A *schema-only* contract test decodes a body
built from the same schema that generated the type: it proves the request side and that the
type round-trips, not that IBKR answers that way.

";

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
