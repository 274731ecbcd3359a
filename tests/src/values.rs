//! The value-level checks, derived from the recorded JSON itself:
//! - [`undeclared`]: every field a recording carries is declared by the operation's schema
//!   (otherwise the generated type drops it without a word);
//! - [`unequal`]: every scalar of the recording comes out of the generated type with an
//!   equal value (numbers and numeric strings compare as numbers: IBKR sends conids,
//!   quantities and prices either way, and `30-schema-corrections.yaml` types them one way).
//!
//! Paths read like JSONPath: `$.acctProps.*.fooBar` (`*` for a map's keys, `[]` for an
//! array's elements).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::example::resolve;

/// The schema that allows anything.
static ANY: Value = Value::Null;

/// Whether the schema lists `key` under `x-ibkr-undecoded`: a field IBKR sends that the
/// generated type cannot keep (the overlay says why in one line).
fn declared_undecoded(parts: &[&Value], key: &str) -> bool {
    parts.iter().any(|s| {
        s.get("x-ibkr-undecoded")
            .and_then(Value::as_object)
            .is_some_and(|o| o.contains_key(key))
    })
}

/// Fields of `raw` that `schema` (resolved against `doc`) does not declare.
pub fn undeclared(doc: &Value, schema: &Value, raw: &Value) -> Vec<String> {
    let mut out = BTreeSet::new();
    walk(doc, schema, raw, "$", &mut out, 0);
    out.into_iter().collect()
}

/// Scalars of `raw` that `decoded` (the generated value, serialized back) does not carry
/// with an equal value. Keys the document lists under `x-ibkr-undecoded` are skipped.
pub fn unequal(doc: &Value, raw: &Value, decoded: &Value) -> Vec<String> {
    let skip = undecoded_keys(doc);
    let mut out = Vec::new();
    compare(raw, Some(decoded), "$", &skip, &mut out);
    out
}

/// Every key some schema of `doc` lists under `x-ibkr-undecoded`.
fn undecoded_keys(doc: &Value) -> BTreeSet<String> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|schemas| schemas.values())
        .filter_map(|s| s.get("x-ibkr-undecoded").and_then(Value::as_object))
        .flat_map(|o| o.keys().cloned())
        .collect()
}

/// The schema and every schema it combines (`allOf`, `oneOf`, `anyOf`), resolved.
fn parts<'a>(doc: &'a Value, schema: &'a Value, into: &mut Vec<&'a Value>, depth: usize) {
    let s = resolve(doc, schema);
    into.push(s);
    if depth > 16 {
        return;
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for sub in s.get(key).and_then(Value::as_array).into_iter().flatten() {
            parts(doc, sub, into, depth + 1);
        }
    }
}

fn walk(
    doc: &Value,
    schema: &Value,
    raw: &Value,
    at: &str,
    out: &mut BTreeSet<String>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    let mut all = Vec::new();
    parts(doc, schema, &mut all, 0);
    match raw {
        Value::Object(fields) => {
            // A field may be declared by several parts (an `allOf` that refines a base):
            // it is declared if any of them declares it, and so are its own fields.
            let mut properties: Map<String, Value> = Map::new();
            let mut extra: Vec<&Value> = Vec::new();
            let mut free_form = true;
            for s in &all {
                if let Some(p) = s.get("properties").and_then(Value::as_object) {
                    free_form = false;
                    for (k, v) in p {
                        match properties
                            .entry(k.clone())
                            .or_insert_with(|| Value::Array(vec![]))
                        {
                            Value::Array(candidates) => candidates.push(v.clone()),
                            _ => unreachable!("only arrays are inserted"),
                        }
                    }
                }
                match s.get("additionalProperties") {
                    // `{}` and `true` keep every extra key as JSON; a schema types them.
                    Some(a @ Value::Object(_)) => extra.push(a),
                    Some(Value::Bool(true)) => extra.push(&ANY),
                    Some(Value::Bool(false)) => free_form = false,
                    _ => {}
                }
            }
            if free_form && extra.is_empty() {
                // No declared properties: the generated type keeps every field as JSON.
                return;
            }
            for (k, v) in fields {
                let candidates: Vec<&Value> = match properties.get(k) {
                    Some(Value::Array(c)) => c.iter().collect(),
                    _ => extra.clone(),
                };
                if candidates.is_empty() {
                    if !declared_undecoded(&all, k) {
                        out.insert(format!("{at}.{k}"));
                    }
                    continue;
                }
                let path = if properties.contains_key(k) {
                    format!("{at}.{k}")
                } else {
                    format!("{at}.*")
                };
                let mut common: Option<BTreeSet<String>> = None;
                for c in candidates {
                    let mut found = BTreeSet::new();
                    walk(doc, c, v, &path, &mut found, depth + 1);
                    common = Some(match common {
                        None => found,
                        Some(prev) => prev.intersection(&found).cloned().collect(),
                    });
                }
                out.extend(common.unwrap_or_default());
            }
        }
        Value::Array(items) => {
            let item_schema = all.iter().find_map(|s| s.get("items"));
            if let Some(item_schema) = item_schema {
                for v in items {
                    walk(doc, item_schema, v, &format!("{at}[]"), out, depth + 1);
                }
            }
        }
        _ => {}
    }
}

fn compare(
    raw: &Value,
    decoded: Option<&Value>,
    at: &str,
    skip: &BTreeSet<String>,
    out: &mut Vec<String>,
) {
    match (raw, decoded) {
        (Value::Null, _) => {}
        (Value::Object(r), Some(Value::Object(d))) => {
            for (k, rv) in r.iter().filter(|(k, _)| !skip.contains(*k)) {
                compare(rv, d.get(k), &format!("{at}.{k}"), skip, out);
            }
        }
        (Value::Array(r), Some(Value::Array(d))) => {
            if r.len() != d.len() {
                out.push(format!(
                    "{at}: {} elements recorded, {} decoded",
                    r.len(),
                    d.len()
                ));
                return;
            }
            for (i, (rv, dv)) in r.iter().zip(d).enumerate() {
                compare(rv, Some(dv), &format!("{at}[{i}]"), skip, out);
            }
        }
        (_, None) if !has_content(raw) => {}
        (_, None) => out.push(format!("{at}: recorded {raw}, not decoded")),
        (Value::Object(_) | Value::Array(_), Some(d)) if has_content(raw) => {
            out.push(format!("{at}: recorded {raw}, decoded {d}"))
        }
        (Value::Object(_) | Value::Array(_), Some(_)) => {}
        (r, Some(d)) if !scalars_equal(r, d) => {
            out.push(format!("{at}: recorded {r}, decoded {d}"))
        }
        _ => {}
    }
}

fn has_content(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(has_content),
        Value::Object(o) => o.values().any(has_content),
        _ => true,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn scalars_equal(r: &Value, d: &Value) -> bool {
    if r == d {
        return true;
    }
    match (number(r), number(d)) {
        (Some(a), Some(b)) => a == b || (a - b).abs() <= f64::EPSILON * a.abs().max(b.abs()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({"components": {"schemas": {
            "Accounts": {"type": "object", "properties": {
                "accounts": {"type": "array", "items": {"type": "string"}},
                "acctProps": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Props"}}
            }},
            "Props": {"type": "object", "properties": {"hasChildAccounts": {"type": "boolean"}}}
        }}})
    }

    #[test]
    fn a_field_the_schema_does_not_know_is_named_by_its_path() {
        let doc = doc();
        let schema = json!({"$ref": "#/components/schemas/Accounts"});
        let raw = json!({"accounts": ["U1"], "acctProps": {"U1": {"hasChildAccounts": false, "fooBar": 1}}, "extra": 2});
        assert_eq!(
            undeclared(&doc, &schema, &raw),
            ["$.acctProps.*.fooBar", "$.extra"]
        );
    }

    #[test]
    fn a_dropped_or_changed_scalar_is_found_and_numeric_text_equals_its_number() {
        let raw =
            json!({"conid": 265598, "price": "193.18", "name": "APPLE", "gone": 1, "empty": null});
        let decoded = json!({"conid": "265598", "price": 193.18, "name": "APPLE INC"});
        assert_eq!(
            unequal(&json!({}), &raw, &decoded),
            [
                "$.gone: recorded 1, not decoded",
                "$.name: recorded \"APPLE\", decoded \"APPLE INC\""
            ]
        );
    }
}
