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

/// A JSON object body, or the gateway's 400 when the body is empty, not JSON or not an object.
pub(crate) fn object_body(body: &[u8]) -> Result<Value, axum::response::Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(super::reply::malformed_body()),
    }
}

/// A non-empty string (or number) field of a JSON body, else the gateway's 400.
pub(crate) fn required_text(v: &Value, name: &str) -> Result<String, axum::response::Response> {
    text_field(v, name)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| super::reply::missing(name))
}

/// An integer field given as a number or a numeric string.
pub(crate) fn int_field(v: &Value, name: &str) -> Option<i64> {
    match v.get(name)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}
