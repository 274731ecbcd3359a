//! `cargo xtask regen`: IBKR's document + the project's overlays → the extended documents.
//!
//! Pipeline: read upstream (file or URL) → [`normalize`] (mechanical fixes) → overlays in
//! `openapi/overlays/` (the project's ids, summaries, tags, pacing, idempotency, schema
//! corrections and added operations) → tolerant response schemas → split into the trading
//! and account-management documents → write them with sorted keys, plus `UPSTREAM.toml`
//! and `OPERATIONS.md`. Same input, same bytes.

pub mod normalize;
pub mod overlay;
pub mod report;

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::spec::{self, Api, for_each_operation_mut, to_canonical_json};

/// Where IBKR publishes its document.
pub const DEFAULT_UPSTREAM: &str = "https://api.ibkr.com/gw/api/v3/api-docs";

/// The result of one pipeline run, before anything is written.
pub struct Output {
    pub documents: Vec<(Api, Value)>,
    pub upstream_version: String,
    pub upstream_sha256: String,
    pub overlays: Vec<String>,
}

pub fn run(root: &Path, upstream: &str) -> Result<()> {
    let bytes = read_upstream(upstream)?;
    let out = build(&bytes, &root.join("openapi/overlays"))?;
    for (api, doc) in &out.documents {
        let path = api.path(root);
        std::fs::write(&path, to_canonical_json(doc))
            .with_context(|| format!("writing {}", path.display()))?;
        println!(
            "wrote {} ({} operations)",
            path.strip_prefix(root).unwrap_or(&path).display(),
            spec::operations(doc).len()
        );
    }
    let source = if upstream.starts_with("http") {
        upstream.to_string()
    } else {
        // A local copy: record its file name, not a path on someone's machine.
        Path::new(upstream)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| upstream.to_string())
    };
    std::fs::write(
        root.join("openapi/UPSTREAM.toml"),
        report::upstream_toml(&out, &source),
    )?;
    std::fs::write(
        root.join("openapi/OPERATIONS.md"),
        report::operations_md(root, &out.documents),
    )?;
    println!("wrote openapi/UPSTREAM.toml and openapi/OPERATIONS.md");
    Ok(())
}

fn read_upstream(upstream: &str) -> Result<Vec<u8>> {
    if upstream.starts_with("https://") || upstream.starts_with("http://") {
        // curl keeps xtask free of an HTTP/TLS stack it would need only here.
        let out = std::process::Command::new("curl")
            .args(["--fail", "--silent", "--show-error", "--location", upstream])
            .output()
            .context("running curl to download the upstream document")?;
        if !out.status.success() {
            bail!(
                "downloading {upstream} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(out.stdout)
    } else {
        std::fs::read(upstream).with_context(|| format!("reading {upstream}"))
    }
}

/// The whole pipeline, in memory.
pub fn build(upstream: &[u8], overlays_dir: &Path) -> Result<Output> {
    let upstream_sha256 = hex(&Sha256::digest(upstream));
    let mut doc: Value =
        serde_json::from_slice(upstream).context("the upstream document is not JSON")?;
    let upstream_version = doc
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    normalize::normalize(&mut doc)?;
    let overlays = overlay::apply_dir(&mut doc, overlays_dir)?;
    // Added operations and corrected schemas get the same clean-up as upstream's own.
    normalize::normalize_added(&mut doc)?;
    let documents = Api::ALL
        .iter()
        .map(|&api| (api, split(&doc, api, &upstream_version)))
        .collect();
    Ok(Output {
        documents,
        upstream_version,
        upstream_sha256,
        overlays,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One API's document: its paths, the schemas they reach, its servers and tags.
fn split(doc: &Value, api: Api, upstream_version: &str) -> Value {
    let mut paths = Map::new();
    if let Some(all) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in all {
            if Api::of_path(path) == api {
                paths.insert(path.clone(), item.clone());
            }
        }
    }
    let mut out = json!({
        "openapi": "3.0.3",
        "info": {
            "title": match api {
                Api::Trading => "IBKR Web API: trading (ibkr-rs extended)",
                Api::AccountManagement => "IBKR Web API: account management (ibkr-rs extended)",
            },
            "version": upstream_version,
        },
        "servers": match api {
            Api::Trading => json!([
                {"url": "https://localhost:5000/v1/api"},
                {"url": "https://api.ibkr.com/v1/api"}
            ]),
            Api::AccountManagement => json!([{"url": "https://api.ibkr.com"}]),
        },
        "paths": Value::Object(paths),
    });
    let mut tags = BTreeSet::new();
    let _ = for_each_operation_mut(&mut out, |_, _, op| {
        if let Some(Value::Array(t)) = op.get("tags") {
            tags.extend(t.iter().filter_map(Value::as_str).map(String::from));
        }
        Ok(())
    });
    out["tags"] = tags.into_iter().map(|name| json!({"name": name})).collect();
    out["components"] = json!({"schemas": reachable_schemas(doc, &out)});
    out
}

/// The component schemas `doc_part` references, transitively, taken from `full`.
fn reachable_schemas(full: &Value, doc_part: &Value) -> Value {
    let all = full
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut stack = Vec::new();
    normalize::collect_refs(doc_part, &mut stack);
    let mut keep = BTreeSet::new();
    while let Some(name) = stack.pop() {
        if keep.insert(name.clone())
            && let Some(s) = all.get(&name)
        {
            normalize::collect_refs(s, &mut stack);
        }
    }
    let mut out = Map::new();
    for name in keep {
        if let Some(s) = all.get(&name) {
            out.insert(name, s.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A miniature upstream with the defects regen exists to fix.
    const MINI_UPSTREAM: &str = r##"{
      "openapi": "3.0.0",
      "info": {"title": "IB REST API", "version": "9.9.9", "description": "vendor prose"},
      "security": [{"bearerAuth": [null]}],
      "paths": {
        "/iserver/marketdata/snapshot": {"get": {
          "summary": "vendor summary", "description": "vendor prose", "tags": ["Vendor"],
          "security": [{"bearerAuth": [null]}],
          "parameters": [{"name": "conids", "in": "query", "required": true,
                          "schema": {"type": "array", "items": {"type": "integer"}}}],
          "responses": {
            "200": {"description": "ok", "content": {"application/json; charset=utf-8": {
              "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Row"}},
              "example": [{"31": "1"}]}}},
            "400": {"description": "bad", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/errorResponse"}}}}
          }}},
        "/fyi/notifications/{notificationID}": {"put": {
          "parameters": [{"name": "notificationId", "in": "path", "required": true, "schema": {"type": "string"}}],
          "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}}}},
        "/gw/api/v1/accounts": {"post": {
          "requestBody": {"content": {"application/jwt": {"schema": {"type": "string"}}}},
          "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Row"}}}}}}}
      },
      "components": {"schemas": {
        "Row": {"type": "object", "required": ["Conid"], "properties": {
          "conid": {"type": "integer"}, "description": {"type": "string", "description": "a field named description"},
          "side": {"type": "string", "enum": ["B", "S"]}, "ok": {"type": "boolean", "enum": ["true"]}}},
        "ErrorResponse": {"type": "object", "properties": {"error": {"type": "string"}}},
        "errorResponse": {"type": "object", "properties": {"message": {"type": "string"}}},
        "Unused": {"type": "object", "properties": {"x": {"type": "string"}}}
      }}
    }"##;

    const MINI_OVERLAY: &str = "overlay: 1.0.0
info: {title: mini, version: 1.0.0}
actions:
  - target: \"$.paths['/iserver/marketdata/snapshot'].get\"
    update: {operationId: getMarketDataSnapshot, summary: Quotes., tags: [Market Data], x-ibkr-pacing: 10/s}
  - target: \"$.paths['/fyi/notifications/{notificationID}'].put\"
    update: {operationId: markNotificationRead, summary: Mark read., tags: [Notifications], x-ibkr-idempotent: false}
  - target: \"$.paths['/gw/api/v1/accounts'].post\"
    update: {operationId: createAccount, summary: Open an account., tags: [Accounts], x-ibkr-idempotent: false}
";

    fn mini_build() -> Output {
        // One folder per call: the tests run in parallel threads of one process.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("xtask-regen-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("10-ops.yaml"), MINI_OVERLAY).unwrap();
        let out = build(MINI_UPSTREAM.as_bytes(), &dir).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        out
    }

    fn bytes(out: &Output) -> Vec<String> {
        out.documents
            .iter()
            .map(|(_, d)| to_canonical_json(d))
            .collect()
    }

    #[test]
    fn regen_is_deterministic() {
        assert_eq!(bytes(&mini_build()), bytes(&mini_build()));
    }

    #[test]
    fn regen_fixes_the_defects_progenitor_rejects() {
        let out = mini_build();
        let (_, trading) = &out.documents[0];
        let (_, am) = &out.documents[1];
        let text = to_canonical_json(trading);
        assert!(!text.contains("vendor prose") && !text.contains("vendor summary"));
        assert!(!text.contains("bearerAuth"));
        let snapshot = &trading["paths"]["/iserver/marketdata/snapshot"]["get"];
        assert_eq!(snapshot["operationId"], "getMarketDataSnapshot");
        assert_eq!(snapshot["x-ibkr-pacing"], "10/s");
        // Only the success response survives, as plain application/json.
        let responses = snapshot["responses"].as_object().unwrap();
        assert_eq!(responses.keys().collect::<Vec<_>>(), ["200"]);
        assert!(
            responses["200"]["content"]
                .get("application/json")
                .is_some()
        );
        // Path parameter renamed to its placeholder.
        let put = &trading["paths"]["/fyi/notifications/{notificationID}"]["put"];
        assert_eq!(put["parameters"][0]["name"], "notificationID");
        // Case-colliding schema renamed; unused schema pruned; response schema loosened,
        // but a property named `description` kept.
        let schemas = trading["components"]["schemas"].as_object().unwrap();
        assert!(schemas.contains_key("Row") && schemas.contains_key("ErrorResponse"));
        assert!(!schemas.contains_key("Unused") && !schemas.contains_key("errorResponse"));
        assert!(schemas["Row"].get("required").is_none());
        assert!(schemas["Row"]["properties"]["side"].get("enum").is_none());
        assert!(schemas["Row"]["properties"].get("description").is_some());
        // Account management went to its own document, with a text body for the JWT.
        let post = &am["paths"]["/gw/api/v1/accounts"]["post"];
        assert!(post["requestBody"]["content"].get("text/plain").is_some());
        assert_eq!(out.upstream_version, "9.9.9");
        assert_eq!(out.upstream_sha256.len(), 64);
    }
}
