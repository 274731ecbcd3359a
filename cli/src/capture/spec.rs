//! The extended OpenAPI documents, built into the binary: each operation's capture mark,
//! parameters and success schema. The generated operation table (`ibkr_ext::raw_api::operations`)
//! says how the runtime treats a call; these documents say what it takes and what it answers.

use std::sync::LazyLock;

use ibkr_ext::raw_api::operations::{self, Api, Operation};
use serde_json::Value;

static TRADING: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../../openapi/ibkr-trading.json")).unwrap_or(Value::Null)
});
static ACCOUNT_MANAGEMENT: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!(
        "../../../openapi/ibkr-account-management.json"
    ))
    .unwrap_or(Value::Null)
});

/// The document of an API.
pub fn document(api: Api) -> &'static Value {
    match api {
        Api::Trading => &TRADING,
        Api::AccountManagement => &ACCOUNT_MANAGEMENT,
    }
}

/// `x-ibkr-capture`, as the document marks the operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// It cannot change anything: the capture may call it.
    Safe,
    /// It can: never called.
    Unsafe,
}

/// One operation: the runtime's row and its node in the document.
#[derive(Clone, Copy, Debug)]
pub struct Op {
    pub row: &'static Operation,
    pub node: &'static Value,
}

impl Op {
    pub fn id(&self) -> &'static str {
        self.row.id
    }

    /// The capture mark; a missing or odd mark reads as unsafe (`cargo xtask check` fails on
    /// both, so a build from a checked document never meets one).
    pub fn mark(&self) -> Mark {
        match self.node.get("x-ibkr-capture").and_then(Value::as_str) {
            Some("safe") => Mark::Safe,
            _ => Mark::Unsafe,
        }
    }

    /// Whether the capture may send it: marked safe, and a call the wire may repeat. The
    /// second half is the same rule from the other side: a call that must never be repeated
    /// is never a read.
    pub fn sendable(&self) -> bool {
        self.mark() == Mark::Safe && self.row.idempotent
    }

    /// The operation's parameters (name, location, required).
    pub fn parameters(&self) -> Vec<(&'static str, &'static str, bool)> {
        self.node
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let p = resolve(document(self.row.api), p);
                Some((
                    p.get("name")?.as_str()?,
                    p.get("in")?.as_str()?,
                    p.get("required").and_then(Value::as_bool).unwrap_or(false),
                ))
            })
            .collect()
    }

    /// The JSON schema of the success answer, if the answer is JSON.
    pub fn success_schema(&self) -> Option<&'static Value> {
        self.node
            .get("responses")?
            .as_object()?
            .iter()
            .filter(|(code, _)| code.starts_with('2'))
            .find_map(|(_, r)| r.pointer("/content/application~1json/schema"))
    }
}

/// Every operation of both APIs, sorted by operationId. An operation missing from its
/// document (a binary built from mismatched files) is left out, so it is never sent.
pub fn all() -> Vec<Op> {
    operations::all()
        .iter()
        .filter_map(|row| {
            let node = document(row.api).pointer(&format!(
                "/paths/{}/{}",
                row.path.replace('~', "~0").replace('/', "~1"),
                row.method.to_ascii_lowercase()
            ))?;
            Some(Op { row, node })
        })
        .collect()
}

/// Follow `$ref`s (`#/components/...`) until a schema or parameter that is not one.
pub fn resolve<'a>(doc: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(r) = node.get("$ref").and_then(Value::as_str) else {
            return node;
        };
        match r.strip_prefix('#').and_then(|pointer| doc.pointer(pointer)) {
            Some(next) => node = next,
            None => return node,
        }
    }
    node
}
