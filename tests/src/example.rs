//! A plausible JSON value for a schema, for operations nobody has published an answer of:
//! strings `"x"`, integers `1`, numbers `1.5`, booleans `true`, arrays of one element (`"x"`
//! where the items are untyped),
//! objects with every property (and one extra key where extra keys are typed), the first
//! variant of a `oneOf`/`anyOf`, the merged properties of an `allOf`.

use serde_json::{Map, Value, json};

/// Deeper than this, objects come out empty and arrays without elements (recursive schemas).
const MAX_DEPTH: usize = 8;

/// A value that fits `schema`, resolving `$ref`s against `doc`.
pub fn schema_example(doc: &Value, schema: &Value) -> Value {
    build(doc, schema, 0)
}

/// `schema` with its `$ref`s followed into `doc`'s components (a dangling one panics).
pub(crate) fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let mut s = schema;
    for _ in 0..32 {
        let Some(r) = s.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let name = r.trim_start_matches("#/components/schemas/");
        s = doc
            .pointer(&format!(
                "/components/schemas/{}",
                name.replace('~', "~0").replace('/', "~1")
            ))
            .unwrap_or_else(|| panic!("dangling $ref {r}"));
    }
    s
}

fn build(doc: &Value, schema: &Value, depth: usize) -> Value {
    let s = resolve(doc, schema);
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = s.get(key).and_then(Value::as_array).and_then(|v| v.first()) {
            return build(doc, first, depth + 1);
        }
    }
    if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in parts {
            match build(doc, part, depth + 1) {
                Value::Object(m) => merged.extend(m),
                other if parts.len() == 1 => return other,
                _ => {}
            }
        }
        return Value::Object(merged);
    }
    if let Some(first) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|v| v.first())
    {
        return first.clone();
    }
    match s.get("type").and_then(Value::as_str) {
        Some("string") => json!("x"),
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => {
            if depth >= MAX_DEPTH {
                return json!([]);
            }
            match s.get("items") {
                Some(items) => json!([build(doc, items, depth + 1)]),
                None => json!(["x"]),
            }
        }
        _ if s.get("properties").is_some() || s.get("additionalProperties").is_some() => {
            let mut m = Map::new();
            if depth < MAX_DEPTH {
                if let Some(props) = s.get("properties").and_then(Value::as_object) {
                    for (k, v) in props {
                        m.insert(k.clone(), build(doc, v, depth + 1));
                    }
                }
                if let Some(extra) = s.get("additionalProperties").filter(|a| a.is_object()) {
                    m.insert("key".into(), build(doc, extra, depth + 1));
                }
            }
            Value::Object(m)
        }
        Some("object") => json!({}),
        _ => json!("x"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_property_gets_a_value_and_refs_are_followed() {
        let doc = json!({"components": {"schemas": {"Bar": {"type": "object", "properties": {
            "t": {"type": "integer"}, "c": {"type": "number"}}}}}});
        let schema = json!({"type": "object", "properties": {
            "symbol": {"type": "string"},
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Bar"}},
            "kind": {"oneOf": [{"type": "boolean"}, {"type": "string"}]}}});
        assert_eq!(
            schema_example(&doc, &schema),
            json!({"symbol": "x", "data": [{"t": 1, "c": 1.5}], "kind": true})
        );
    }
}
