//! `cargo xtask check`: the CI gate over the extended documents in `openapi/`.
//!
//! Fails when a document does not parse with `openapiv3`, an operationId is missing,
//! duplicated (also ignoring case) or a seed id is absent, an operation lacks a summary or
//! a tag, a pacing value does not parse, a JSON operation has an untyped success body
//! without an `x-ibkr-untyped` reason, an operation has no `x-ibkr-capture` mark (or a
//! `safe` one on a call the wire may not repeat), an `/iserver/` operation lacks
//! `x-ibkr-brokerage-session: true`, `x-ibkr-first-use-404` is on a call the wire may not
//! repeat, or (once the contract-test harness exists) an operation has no contract test,
//! when the README's two commands would not share one build (see `features.rs`), or when
//! `ibkr-ext`'s public API differs from its snapshot (see `public_api.rs`). It also prints
//! the coverage figures.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Result, bail};
use serde_json::Value;

use crate::regen::report;
use crate::spec::{self, Api, Operation};

/// The seed document's operationIds, kept on these exact operations.
pub const SEED_OPERATIONS: &[(&str, &str, &str)] = &[
    ("getAuthStatus", "POST", "/iserver/auth/status"),
    ("getAccounts", "GET", "/iserver/accounts"),
    ("placeOrder", "POST", "/iserver/account/{accountId}/orders"),
    ("getLiveOrders", "GET", "/iserver/account/orders"),
    (
        "getPositions",
        "GET",
        "/portfolio/{accountId}/positions/{pageId}",
    ),
    ("getAccountSummary", "GET", "/portfolio/{accountId}/summary"),
    (
        "getMarketDataSnapshot",
        "GET",
        "/iserver/marketdata/snapshot",
    ),
    ("getMarketDataHistory", "GET", "/iserver/marketdata/history"),
    ("searchContracts", "GET", "/iserver/secdef/search"),
];

pub fn run(root: &Path) -> Result<()> {
    let mut problems: Vec<String> = Vec::new();
    let mut all: Vec<Operation> = Vec::new();
    for api in Api::ALL {
        let doc = spec::load(root, api)?;
        if let Err(e) = serde_json::from_value::<openapiv3::OpenAPI>(doc.clone()) {
            problems.push(format!(
                "{} does not parse as OpenAPI 3.0: {e}",
                api.file_name()
            ));
        }
        check_operations(&doc, api, &mut problems);
        all.extend(spec::operations(&doc));
    }
    check_ids(&all, &mut problems);

    let (tested, armed) = contract_tests(root);
    let missing: Vec<&str> = all
        .iter()
        .filter_map(|o| o.id.as_deref())
        .filter(|id| !tested.contains(*id))
        .collect();
    if !armed {
        problems.push(
            "no record of which operations the contract tests exercised: run `cargo test --workspace` first".into(),
        );
    }
    if armed {
        for id in &missing {
            problems.push(format!(
                "{id}: the contract harness never exercised it (add a contract test in tests/, then run cargo test)"
            ));
        }
    }
    let (fixtures, by_evidence) = fixture_counts(root, &all);

    let mut per_tag: BTreeMap<String, usize> = BTreeMap::new();
    for op in &all {
        *per_tag
            .entry(op.tag.clone().unwrap_or_default())
            .or_default() += 1;
    }
    println!("operations: {}", all.len());
    for (tag, n) in &per_tag {
        println!("  {tag}: {n}");
    }
    println!(
        "contract tests: {}/{} operations{}",
        all.len() - missing.len(),
        all.len(),
        if armed {
            ""
        } else {
            " (no record of a contract run: run `cargo test --workspace` first)"
        }
    );
    println!("fixtures: {fixtures} files; operations by their strongest evidence:");
    for kind in report::Evidence::ALL {
        let n = by_evidence.get(&kind).copied().unwrap_or(0);
        println!("  {}: {n}", kind.label());
    }
    let real = by_evidence
        .get(&report::Evidence::Recorded)
        .copied()
        .unwrap_or(0)
        + by_evidence
            .get(&report::Evidence::Documented)
            .copied()
            .unwrap_or(0);
    println!(
        "  with an answer from outside IBKR's OpenAPI document: {real}/{}",
        all.len()
    );
    let fresh = report::operations_md(root, &load_all(root)?);
    let committed = std::fs::read_to_string(root.join("openapi/OPERATIONS.md")).unwrap_or_default();
    if fresh != committed {
        problems.push("openapi/OPERATIONS.md is stale: run `cargo xtask regen`".into());
    }

    let drift = crate::features::drift(root)?;
    println!(
        "README commands share one build: {}",
        if drift.is_empty() { "yes" } else { "no" }
    );
    problems.extend(drift);
    let api = crate::public_api::diff(root, &crate::public_api::current(root)?);
    println!(
        "public API of ibkr-ext: {}",
        if api.is_empty() {
            "as in ibkr-ext/public-api.txt"
        } else {
            "changed"
        }
    );
    if !api.is_empty() {
        problems.push(format!(
            "the public API of ibkr-ext differs from {} (review, then `cargo xtask public-api --bless`):\n{}",
            crate::public_api::SNAPSHOT,
            api.join("\n")
        ));
    }

    if problems.is_empty() {
        println!("check: ok");
        Ok(())
    } else {
        for p in &problems {
            eprintln!("  {p}");
        }
        bail!("{} problem(s)", problems.len())
    }
}

fn load_all(root: &Path) -> Result<Vec<(Api, Value)>> {
    Api::ALL
        .iter()
        .map(|&api| Ok((api, spec::load(root, api)?)))
        .collect()
}

fn check_operations(doc: &Value, api: Api, problems: &mut Vec<String>) {
    let file = api.file_name();
    for op in spec::operations(doc) {
        let at = format!("{file}: {} {}", op.method, op.path);
        let Some(id) = &op.id else {
            problems.push(format!("{at}: no operationId"));
            continue;
        };
        if !id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            || !id.chars().all(|c| c.is_ascii_alphanumeric())
        {
            problems.push(format!("{id}: operationId is not camelCase"));
        }
        match op.summary.as_deref() {
            None | Some("") => problems.push(format!("{id}: no summary")),
            Some(s) if s.contains('\n') => problems.push(format!("{id}: summary is not one line")),
            _ => {}
        }
        if op.tag.is_none() {
            problems.push(format!("{id}: no tag"));
        }
        if let Some(problem) = idempotency_problem(&op.method, &op.op) {
            problems.push(format!("{id}: {problem}"));
        }
        if let Some(problem) = capture_problem(&op.method, &op.op) {
            problems.push(format!("{id}: {problem}"));
        }
        for problem in session_problems(&op.method, &op.path, &op.op) {
            problems.push(format!("{id}: {problem}"));
        }
        if let Some(p) = &op.pacing
            && let Err(e) = parse_pacing(p)
        {
            problems.push(format!("{id}: x-ibkr-pacing {p:?}: {e}"));
        }
        if let Some(schema) = success_json_schema(&op.op)
            && !is_typed(doc, schema, 0)
            && op.untyped_reason.is_none()
        {
            problems.push(format!(
                "{id}: untyped JSON success body (type it, or give `x-ibkr-untyped: <reason>`)"
            ));
        }
    }
}

/// Idempotency is a decision: a method other than GET/HEAD must say whether the wire may
/// repeat it, and the mark must be a boolean.
fn idempotency_problem(method: &str, op: &Value) -> Option<String> {
    match op.get("x-ibkr-idempotent") {
        Some(Value::Bool(_)) => None,
        Some(other) => Some(format!(
            "x-ibkr-idempotent must be true or false, not {other}"
        )),
        None if matches!(method.to_ascii_lowercase().as_str(), "get" | "head") => None,
        None => Some(format!(
            "{} without x-ibkr-idempotent: say whether the wire may repeat it (openapi/overlays/40-idempotency.yaml)",
            method.to_ascii_uppercase()
        )),
    }
}

/// Whether `ibkr capture` may call an operation is a decision too: every operation carries
/// `x-ibkr-capture: safe` or `unsafe` (openapi/overlays/60-capture.yaml), and nothing the wire
/// may not repeat (`x-ibkr-idempotent: false`) is `safe`.
fn capture_problem(method: &str, op: &Value) -> Option<String> {
    match op.get("x-ibkr-capture").and_then(Value::as_str) {
        Some("safe") if op.get("x-ibkr-idempotent") == Some(&Value::Bool(false)) => {
            Some("x-ibkr-capture: safe on an operation marked x-ibkr-idempotent: false".to_string())
        }
        Some("safe" | "unsafe") => None,
        _ => match op.get("x-ibkr-capture") {
            Some(other) => Some(format!(
                "x-ibkr-capture must be safe or unsafe, not {other}"
            )),
            None => Some(format!(
                "{} without x-ibkr-capture: say whether `ibkr capture` may call it (openapi/overlays/60-capture.yaml)",
                method.to_ascii_uppercase()
            )),
        },
    }
}

/// The session marks the wire reads (openapi/overlays/70-session.yaml) say `true` or are
/// absent. Every `/iserver/` operation goes through the brokerage session, so it carries
/// `x-ibkr-brokerage-session: true` (the wire opens the session on its `no bridge`); the
/// wire repeats a first-use 404 at once, so `x-ibkr-first-use-404` is only on a GET it may
/// repeat.
fn session_problems(method: &str, path: &str, op: &Value) -> Vec<String> {
    const BROKERAGE: &str = "x-ibkr-brokerage-session";
    const FIRST_USE: &str = "x-ibkr-first-use-404";
    let mut problems = Vec::new();
    for key in [BROKERAGE, FIRST_USE] {
        if let Some(other) = op.get(key).filter(|v| **v != Value::Bool(true)) {
            problems.push(format!("{key} must be true or absent, not {other}"));
        }
    }
    let marked = |key: &str| op.get(key) == Some(&Value::Bool(true));
    if path.contains("/iserver/") && !marked(BROKERAGE) {
        problems.push(format!(
            "an /iserver/ operation without {BROKERAGE}: true: the wire would not open the brokerage session on its `no bridge` (openapi/overlays/70-session.yaml)"
        ));
    }
    let repeatable = method.eq_ignore_ascii_case("get")
        && op.get("x-ibkr-idempotent") != Some(&Value::Bool(false));
    if marked(FIRST_USE) && !repeatable {
        problems.push(format!(
            "{FIRST_USE} on a {} the wire may not repeat",
            method.to_ascii_uppercase()
        ));
    }
    problems
}

fn check_ids(all: &[Operation], problems: &mut Vec<String>) {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for op in all {
        let Some(id) = &op.id else { continue };
        if let Some(prev) = seen.insert(id.to_lowercase(), id.clone()) {
            problems.push(format!("duplicate operationId {id} (also {prev})"));
        }
    }
    for (id, method, path) in SEED_OPERATIONS {
        let found = all.iter().find(|o| o.id.as_deref() == Some(*id));
        match found {
            None => problems.push(format!("seed operationId {id} is missing")),
            Some(o) if o.method != *method || o.path != *path => problems.push(format!(
                "seed operationId {id} is on {} {}, expected {method} {path}",
                o.method, o.path
            )),
            _ => {}
        }
    }
}

/// `10/s`, `1/5s`, `1/min`, `1/15min`, `concurrency: 5`, comma-separated.
pub fn parse_pacing(s: &str) -> Result<()> {
    for term in s.split(',').map(str::trim) {
        if let Some(n) = term.strip_prefix("concurrency:") {
            n.trim().parse::<u32>()?;
            continue;
        }
        let Some((count, period)) = term.split_once('/') else {
            bail!("term {term:?} is neither <n>/<period> nor concurrency: <n>");
        };
        count.trim().parse::<u32>()?;
        let period = period.trim();
        let (num, unit) = period.split_at(
            period
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(period.len()),
        );
        if !num.is_empty() {
            num.parse::<u32>()?;
        }
        if !matches!(unit, "s" | "min") {
            bail!("unit {unit:?} is not s or min");
        }
    }
    Ok(())
}

fn success_json_schema(op: &Value) -> Option<&Value> {
    let responses = op.get("responses")?.as_object()?;
    responses
        .iter()
        .filter(|(code, _)| code.starts_with('2'))
        .find_map(|(_, r)| r.pointer("/content/application~1json/schema"))
}

/// A schema a user can work with: named fields, typed items, a variant set, or a scalar.
fn is_typed(doc: &Value, schema: &Value, depth: usize) -> bool {
    if depth > 32 {
        return true;
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        return doc
            .pointer(&format!(
                "/components/schemas/{}",
                crate::regen::normalize::escape_pointer(name)
            ))
            .is_some_and(|s| is_typed(doc, s, depth + 1));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(Value::Array(variants)) = schema.get(key) {
            return !variants.is_empty() && variants.iter().all(|v| is_typed(doc, v, depth + 1));
        }
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string" | "number" | "integer" | "boolean") => true,
        Some("array") => schema
            .get("items")
            .is_some_and(|i| is_typed(doc, i, depth + 1)),
        _ => {
            let has_props = schema
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| !p.is_empty());
            let typed_map = schema
                .get("additionalProperties")
                .is_some_and(|a| a.is_object() && a.as_object().is_some_and(|m| !m.is_empty()));
            has_props || typed_map
        }
    }
}

/// The operationIds the contract harness exercised (called, answered and decoded) in the
/// last `cargo test`: it leaves one file per operation in `<target>/contract-exercised/`.
/// `armed` is false when no such record exists (run `cargo test --workspace` first).
fn contract_tests(root: &Path) -> (BTreeSet<String>, bool) {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let Ok(entries) = std::fs::read_dir(target.join("contract-exercised")) else {
        return (BTreeSet::new(), false);
    };
    let ids = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    (ids, true)
}

fn fixture_counts(root: &Path, all: &[Operation]) -> (usize, BTreeMap<report::Evidence, usize>) {
    let mut files = 0;
    let mut by_evidence = BTreeMap::new();
    for id in all.iter().filter_map(|o| o.id.as_deref()) {
        let (n, kind) = report::evidence(root, id);
        files += n;
        *by_evidence.entry(kind).or_default() += 1;
    }
    (files, by_evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacing_grammar() {
        for ok in [
            "10/s",
            "1/5s",
            "1/min",
            "1/15min",
            "concurrency: 5",
            "10/s, concurrency: 5",
        ] {
            assert!(parse_pacing(ok).is_ok(), "{ok}");
        }
        for bad in ["10", "ten/s", "1/5h", "concurrency: many"] {
            assert!(parse_pacing(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_unmarked_post_is_rejected_and_an_unmarked_get_is_not() {
        let unmarked = serde_json::json!({"operationId": "newTransfer"});
        assert!(
            idempotency_problem("post", &unmarked)
                .is_some_and(|p| p.contains("POST without x-ibkr-idempotent"))
        );
        assert!(idempotency_problem("delete", &unmarked).is_some());
        assert!(idempotency_problem("get", &unmarked).is_none());
        let marked = serde_json::json!({"x-ibkr-idempotent": false});
        assert!(idempotency_problem("post", &marked).is_none());
        let odd = serde_json::json!({"x-ibkr-idempotent": "no"});
        assert!(idempotency_problem("post", &odd).is_some());
    }

    #[test]
    fn every_operation_needs_a_capture_mark_and_a_write_is_never_safe() {
        let unmarked = serde_json::json!({"operationId": "getThing"});
        assert!(
            capture_problem("get", &unmarked)
                .is_some_and(|p| p.contains("GET without x-ibkr-capture"))
        );
        let safe = serde_json::json!({"x-ibkr-capture": "safe"});
        assert_eq!(capture_problem("get", &safe), None);
        let unsafe_write =
            serde_json::json!({"x-ibkr-capture": "unsafe", "x-ibkr-idempotent": false});
        assert_eq!(capture_problem("post", &unsafe_write), None);
        let safe_write = serde_json::json!({"x-ibkr-capture": "safe", "x-ibkr-idempotent": false});
        assert!(capture_problem("post", &safe_write).is_some_and(|p| p.contains("idempotent")));
        let odd = serde_json::json!({"x-ibkr-capture": true});
        assert!(capture_problem("get", &odd).is_some_and(|p| p.contains("safe or unsafe")));
    }

    #[test]
    fn every_iserver_operation_needs_the_brokerage_mark_and_a_first_use_404_a_repeatable_get() {
        let none = serde_json::json!({});
        let brokerage = serde_json::json!({"x-ibkr-brokerage-session": true});
        let problems = session_problems("get", "/iserver/accounts", &none);
        assert!(
            problems.len() == 1 && problems[0].contains("without x-ibkr-brokerage-session"),
            "{problems:?}"
        );
        assert!(session_problems("get", "/iserver/accounts", &brokerage).is_empty());
        assert!(session_problems("get", "/portfolio/accounts", &none).is_empty());
        let odd = serde_json::json!({"x-ibkr-brokerage-session": false});
        assert!(session_problems("get", "/portfolio/accounts", &odd)[0].contains("true or absent"));
        let first_use = serde_json::json!({"x-ibkr-first-use-404": true});
        assert!(session_problems("get", "/hmds/history", &first_use).is_empty());
        assert!(session_problems("post", "/hmds/history", &first_use)[0].contains("POST"));
        let never_twice =
            serde_json::json!({"x-ibkr-first-use-404": true, "x-ibkr-idempotent": false});
        assert_eq!(
            session_problems("get", "/hmds/history", &never_twice).len(),
            1
        );
        let odd = serde_json::json!({"x-ibkr-first-use-404": "yes"});
        assert!(session_problems("get", "/hmds/history", &odd)[0].contains("true or absent"));
    }

    #[test]
    fn untyped_bodies_are_told_apart_from_typed_ones() {
        let doc = serde_json::json!({"components": {"schemas": {
            "Typed": {"type": "object", "properties": {"a": {"type": "string"}}},
            "Bare": {"type": "object"}
        }}});
        let t = |s: Value| is_typed(&doc, &s, 0);
        assert!(t(serde_json::json!({"$ref": "#/components/schemas/Typed"})));
        assert!(t(
            serde_json::json!({"type": "array", "items": {"$ref": "#/components/schemas/Typed"}})
        ));
        assert!(!t(serde_json::json!({"$ref": "#/components/schemas/Bare"})));
        assert!(!t(serde_json::json!({})));
        assert!(!t(serde_json::json!({"type": "array", "items": {}})));
    }
}
