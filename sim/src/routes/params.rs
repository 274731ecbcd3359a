//! Reading query and body parameters leniently, as the gateway does.

use std::collections::HashMap;

use serde_json::Value;

/// Query parameters by name (last value wins).
pub(crate) type Query = HashMap<String, String>;

/// A comma-joined list parameter (`symbols=A,B`, `conids=1,2`; DESIGN.md: array query params
/// are comma-joined).
pub(crate) fn list(q: &Query, name: &str) -> Vec<String> {
    q.get(name)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// A boolean parameter: `true`/`false` in any case (ibind sends `True`/`False`).
pub(crate) fn flag(q: &Query, name: &str) -> Option<bool> {
    q.get(name).map(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// A JSON body, or `Value::Null` when empty or not JSON.
pub(crate) fn json_body(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// A string-or-number JSON field as text.
pub(crate) fn text_field(v: &Value, name: &str) -> Option<String> {
    match v.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
