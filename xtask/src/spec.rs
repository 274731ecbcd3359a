//! Reading the extended documents: operations, their vendor extensions, and the files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Map, Value};

/// The HTTP methods an OpenAPI path item can hold, in the order reports list them.
pub const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The two generated APIs: they have different base URLs, so they are separate documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// `/v1/api`: the Client Portal Gateway or OAuth trading API.
    Trading,
    /// `/gw/api` (and `/oauth2`): account management on api.ibkr.com.
    AccountManagement,
}

impl Api {
    pub const ALL: [Api; 2] = [Api::Trading, Api::AccountManagement];

    /// The document's file name in `openapi/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Api::Trading => "ibkr-trading.json",
            Api::AccountManagement => "ibkr-account-management.json",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Api::Trading => "trading",
            Api::AccountManagement => "account management",
        }
    }

    /// Which document a path of IBKR's combined document belongs to.
    pub fn of_path(path: &str) -> Api {
        if path.starts_with("/gw/api/") || path.starts_with("/oauth2/") {
            Api::AccountManagement
        } else {
            Api::Trading
        }
    }

    pub fn path(self, root: &Path) -> PathBuf {
        root.join("openapi").join(self.file_name())
    }
}

/// One operation as the reports and checks see it.
#[derive(Clone, Debug)]
pub struct Operation {
    pub method: String,
    pub path: String,
    pub id: Option<String>,
    pub summary: Option<String>,
    pub tag: Option<String>,
    pub pacing: Option<String>,
    pub idempotent: bool,
    pub untyped_reason: Option<String>,
    /// `x-ibkr-capture`: `safe` or `unsafe` (whether `ibkr capture` may call it).
    pub capture: Option<String>,
    pub op: Value,
}

/// Call `f` on every operation of a document, mutably.
pub fn for_each_operation_mut(
    doc: &mut Value,
    mut f: impl FnMut(&str, &str, &mut Map<String, Value>) -> Result<()>,
) -> Result<()> {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !HTTP_METHODS.contains(&method.as_str()) {
                continue;
            }
            if let Some(op) = op.as_object_mut() {
                f(path, method, op)?;
            }
        }
    }
    Ok(())
}

/// Every operation of a document, sorted by path then method.
pub fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        for method in HTTP_METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let s = |k: &str| op.get(k).and_then(Value::as_str).map(String::from);
            out.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                id: s("operationId"),
                summary: s("summary"),
                tag: op
                    .get("tags")
                    .and_then(Value::as_array)
                    .and_then(|t| t.first())
                    .and_then(Value::as_str)
                    .map(String::from),
                pacing: s("x-ibkr-pacing"),
                idempotent: op.get("x-ibkr-idempotent") != Some(&Value::Bool(false)),
                untyped_reason: s("x-ibkr-untyped"),
                capture: s("x-ibkr-capture"),
                op: op.clone(),
            });
        }
    }
    out
}

/// Load one committed extended document.
pub fn load(root: &Path, api: Api) -> Result<Value> {
    let path = api.path(root);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading {} (run `cargo xtask regen`)", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Serialise with object keys sorted at every level and a final newline: the same
/// document always gives the same bytes, whatever serde_json's map type is.
pub fn to_canonical_json(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&map[k]));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let mut s = serde_json::to_string_pretty(&sorted(v)).expect("a Value always serialises");
    s.push('\n');
    s
}
