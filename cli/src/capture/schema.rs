//! `ibkr capture --check`: an answer against its operation's schema.
//!
//! Three findings per answer: whether the generated type decodes it ([`ibkr_ext::raw_api::decode_success`],
//! the decoder the typed client uses), the fields the schema does not declare (which the type
//! drops without a word), and the values whose JSON type the schema does not allow (a string
//! where a number is declared). Paths read like JSONPath: `$.acctProps.*.fooBar` (`*` for a
//! map's keys, `[]` for an array's elements).
//!
//! A field is declared when any part of the schema declares it (`allOf`, `oneOf`, `anyOf`),
//! as in the contract harness (`tests/src/values.rs`); a value's type fits when any part
//! allows it. `null` always fits (the generated fields are optional unless required, and a
//! required one that is null fails to decode, which the first finding reports).

use std::collections::BTreeSet;

use serde_json::Value;

use super::spec::resolve;

/// What `--check` found in one answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// `None` when the generated type decodes the answer, else why not.
    pub decode_error: Option<String>,
    pub undeclared: Vec<String>,
    /// (path, what the schema allows, what came).
    pub mismatches: Vec<(String, String, String)>,
}

impl Findings {
    pub fn clean(&self) -> bool {
        self.decode_error.is_none() && self.undeclared.is_empty() && self.mismatches.is_empty()
    }
}

/// Check `body` (the raw answer of `operation`) against `schema` in `doc`.
pub fn check(operation: &str, doc: &Value, schema: &Value, body: &[u8]) -> Findings {
    let decode_error = match ibkr_ext::raw_api::decode_success(operation, body) {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let Ok(raw) = serde_json::from_slice::<Value>(body) else {
        return Findings {
            decode_error: decode_error.or(Some("the answer is not JSON".into())),
            ..Findings::default()
        };
    };
    let mut undeclared = BTreeSet::new();
    let mut mismatches = BTreeSet::new();
    walk(doc, schema, &raw, "$", &mut undeclared, &mut mismatches, 0);
    Findings {
        decode_error,
        undeclared: undeclared.into_iter().collect(),
        mismatches: mismatches.into_iter().collect(),
    }
}

/// The schema and every schema it combines, resolved.
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

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn fits(declared: &str, got: &str) -> bool {
    declared == got || (declared == "number" && got == "integer")
}

#[allow(clippy::too_many_arguments)]
fn walk(
    doc: &Value,
    schema: &Value,
    raw: &Value,
    at: &str,
    undeclared: &mut BTreeSet<String>,
    mismatches: &mut BTreeSet<(String, String, String)>,
    depth: usize,
) {
    if depth > 64 || raw.is_null() {
        return;
    }
    let mut all = Vec::new();
    parts(doc, schema, &mut all, 0);
    let declared: BTreeSet<&str> = all
        .iter()
        .filter_map(|s| s.get("type").and_then(Value::as_str))
        .collect();
    let got = json_type(raw);
    if !declared.is_empty() && !declared.iter().any(|d| fits(d, got)) {
        mismatches.insert((
            at.to_string(),
            declared.into_iter().collect::<Vec<_>>().join(" or "),
            got.to_string(),
        ));
        return;
    }
    match raw {
        Value::Object(fields) => {
            let mut free_form = true;
            let mut extra: Vec<Option<&Value>> = Vec::new();
            for s in &all {
                if s.get("properties").and_then(Value::as_object).is_some() {
                    free_form = false;
                }
                match s.get("additionalProperties") {
                    Some(a @ Value::Object(_)) => extra.push(Some(a)),
                    Some(Value::Bool(true)) => extra.push(None),
                    Some(Value::Bool(false)) => free_form = false,
                    _ => {}
                }
            }
            if free_form && extra.is_empty() {
                return;
            }
            for (k, v) in fields {
                let candidates: Vec<&Value> = all
                    .iter()
                    .filter_map(|s| s.get("properties").and_then(|p| p.get(k)))
                    .collect();
                if !candidates.is_empty() {
                    let path = format!("{at}.{k}");
                    for c in candidates.iter().take(1) {
                        walk(doc, c, v, &path, undeclared, mismatches, depth + 1);
                    }
                    continue;
                }
                match extra.first() {
                    Some(Some(schema)) => walk(
                        doc,
                        schema,
                        v,
                        &format!("{at}.*"),
                        undeclared,
                        mismatches,
                        depth + 1,
                    ),
                    Some(None) => {}
                    None => {
                        let undecoded = all.iter().any(|s| {
                            s.get("x-ibkr-undecoded")
                                .and_then(Value::as_object)
                                .is_some_and(|o| o.contains_key(k))
                        });
                        if !undecoded {
                            undeclared.insert(format!("{at}.{k}"));
                        }
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = all.iter().find_map(|s| s.get("items")) {
                for v in items {
                    walk(
                        doc,
                        item,
                        v,
                        &format!("{at}[]"),
                        undeclared,
                        mismatches,
                        depth + 1,
                    );
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_undeclared_field_and_a_wrong_type_are_named_by_their_paths() {
        let doc = json!({"components": {"schemas": {
            "Row": {"type": "object", "properties": {
                "conid": {"type": "integer"},
                "props": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Prop"}}
            }},
            "Prop": {"type": "object", "properties": {"ok": {"type": "boolean"}}}
        }}});
        let schema = json!({"type": "array", "items": {"$ref": "#/components/schemas/Row"}});
        let body =
            br#"[{"conid": "265598", "props": {"a": {"ok": true, "new": 1}}, "extra": null}]"#;
        let f = check("noSuchOperation", &doc, &schema, body);
        assert_eq!(f.undeclared, ["$[].extra", "$[].props.*.new"]);
        assert_eq!(
            f.mismatches,
            [(
                "$[].conid".to_string(),
                "integer".to_string(),
                "string".to_string()
            )]
        );
    }
}
