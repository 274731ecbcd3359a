//! Mechanical clean-up of IBKR's document: everything that does not need a human decision.
//!
//! Each step fixes one class of defect that stops progenitor or makes the generated
//! client brittle (see `openapi/README.md` for the list and the reasons). The steps only
//! look at the document's structure, so they keep working on the next upstream version.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

use crate::spec::{HTTP_METHODS, for_each_operation_mut};

/// Keys that carry IBKR's prose or sample values; the project never copies them.
const PROSE_KEYS: &[&str] = &["description", "example", "examples", "externalDocs"];

/// Media types that carry JSON.
fn is_json_media(media: &str) -> bool {
    let m = media.split(';').next().unwrap_or("").trim();
    m == "application/json" || m == "*/*" || m.ends_with("+json")
}

/// Run every step, in order.
pub fn normalize(doc: &mut Value) -> Result<()> {
    top_level(doc)?;
    inline_component_refs(doc)?;
    rename_case_colliding_schemas(doc);
    for_each_operation_mut(doc, |path, _method, op| {
        operation(path, op).with_context(|| format!("normalizing {path}"))
    })?;
    strip_recursively(doc);
    fix_schemas(doc);
    Ok(())
}

/// The steps that also apply to what the overlays added: schema fixes, then tolerant
/// response schemas (run last, so corrected and added schemas are loosened too).
pub fn normalize_added(doc: &mut Value) -> Result<()> {
    fix_schemas(doc);
    make_response_schemas_tolerant(doc);
    // OpenAPI requires a description on every response; prose was stripped, so say it plainly.
    for_each_operation_mut(doc, |_, _, op| {
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for r in responses.values_mut().filter_map(Value::as_object_mut) {
                r.insert("description".into(), json!("Success"));
            }
        }
        Ok(())
    })
}

fn top_level(doc: &mut Value) -> Result<()> {
    let obj = doc
        .as_object_mut()
        .context("the document is not a JSON object")?;
    let version = obj
        .get("openapi")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !version.starts_with("3.0") {
        bail!("upstream is OpenAPI {version:?}; regen reads OpenAPI 3.0.x");
    }
    obj.insert("openapi".into(), json!("3.0.3"));
    for key in ["externalDocs", "servers", "tags", "x-tagGroups", "security"] {
        obj.remove(key);
    }
    // Path-item level parameters are merged into each operation.
    if let Some(paths) = obj.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            let shared = item.remove("parameters");
            for key in ["summary", "description", "servers"] {
                item.remove(key);
            }
            if let Some(Value::Array(shared)) = shared {
                for (method, op) in item.iter_mut() {
                    if !HTTP_METHODS.contains(&method.as_str()) {
                        continue;
                    }
                    let params = op
                        .as_object_mut()
                        .map(|o| o.entry("parameters").or_insert_with(|| json!([])));
                    if let Some(Value::Array(params)) = params {
                        for p in &shared {
                            let name = p.get("name");
                            if !params
                                .iter()
                                .any(|q| q.get("name") == name && name.is_some())
                            {
                                params.push(p.clone());
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Replace `$ref`s to `components.parameters|requestBodies|responses` with their targets,
/// then drop those component maps: progenitor resolves schema refs only reliably.
fn inline_component_refs(doc: &mut Value) -> Result<()> {
    let components = doc.get("components").cloned().unwrap_or_else(|| json!({}));
    let lookup = |r: &str| -> Option<Value> {
        let rest = r.strip_prefix("#/components/")?;
        let (kind, name) = rest.split_once('/')?;
        if !matches!(kind, "parameters" | "requestBodies" | "responses") {
            return None;
        }
        components.get(kind)?.get(name).cloned()
    };
    fn walk(v: &mut Value, lookup: &dyn Fn(&str) -> Option<Value>, depth: usize) -> Result<()> {
        if depth > 64 {
            bail!("component $ref nesting deeper than 64");
        }
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref")
                    && let Some(target) = lookup(r)
                {
                    *v = target;
                    return walk(v, lookup, depth + 1);
                }
                for child in map.values_mut() {
                    walk(child, lookup, depth)?;
                }
            }
            Value::Array(items) => {
                for child in items {
                    walk(child, lookup, depth)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
    if let Some(paths) = doc.get_mut("paths") {
        walk(paths, &lookup, 0)?;
    }
    if let Some(c) = doc.get_mut("components").and_then(Value::as_object_mut) {
        for kind in [
            "parameters",
            "requestBodies",
            "responses",
            "examples",
            "extensions",
            "securitySchemes",
        ] {
            c.remove(kind);
        }
    }
    Ok(())
}

/// Schema names that differ only by case become one Rust type; give the later ones
/// (in sorted order) a numeric suffix and rewrite every reference.
fn rename_case_colliding_schemas(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let mut by_lower: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in schemas.keys() {
        by_lower
            .entry(name.to_lowercase())
            .or_default()
            .push(name.clone());
    }
    let mut renames = BTreeMap::new();
    for names in by_lower.values().filter(|n| n.len() > 1) {
        // Keep the name that starts upper-case; number the others.
        let mut sorted = names.clone();
        sorted.sort_by_key(|n| (!n.starts_with(|c: char| c.is_ascii_uppercase()), n.clone()));
        for (i, old) in sorted.iter().enumerate().skip(1) {
            let mut new = format!("{}{}", upper_first(old), i + 1);
            while schemas.contains_key(&new) {
                new.push('_');
            }
            renames.insert(old.clone(), new);
        }
    }
    for (old, new) in &renames {
        if let Some(s) = schemas.remove(old) {
            schemas.insert(new.clone(), s);
        }
    }
    if !renames.is_empty() {
        rewrite_refs(doc, &|name| renames.get(name).cloned());
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Rewrite `#/components/schemas/<name>` references through `rename`.
pub fn rewrite_refs(v: &mut Value, rename: &dyn Fn(&str) -> Option<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref")
                && let Some(name) = r.strip_prefix("#/components/schemas/")
                && let Some(new) = rename(name)
            {
                *r = format!("#/components/schemas/{new}");
            }
            for child in map.values_mut() {
                rewrite_refs(child, rename);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|c| rewrite_refs(c, rename)),
        _ => {}
    }
}

fn operation(path: &str, op: &mut Map<String, Value>) -> Result<()> {
    // The overlay supplies the project's own id, summary and tags for every operation.
    for key in [
        "operationId",
        "summary",
        "description",
        "tags",
        "servers",
        "security",
        "externalDocs",
    ] {
        op.remove(key);
    }
    op.retain(|k, _| !k.starts_with("x-"));
    parameters(path, op)?;
    request_body(op);
    responses(op);
    Ok(())
}

fn parameters(path: &str, op: &mut Map<String, Value>) -> Result<()> {
    let Some(Value::Array(params)) = op.get_mut("parameters") else {
        return Ok(());
    };
    let placeholders: Vec<String> = path
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_string()))
        .collect();

    let mut out: Vec<Value> = Vec::new();
    for mut p in params.drain(..) {
        let Some(obj) = p.as_object_mut() else {
            continue;
        };
        for key in ["description", "example", "examples", "deprecated"] {
            obj.remove(key);
        }
        // progenitor rejects cookie parameters; the only one (/ws `api`) is sent as a header.
        if obj.get("in") == Some(&json!("cookie")) {
            obj.insert("in".into(), json!("header"));
            obj.insert("style".into(), json!("simple"));
        }
        // Object-typed query parameters become one query parameter per property
        // (progenitor's builder style cannot take an object in the query).
        if obj.get("in") == Some(&json!("query"))
            && let Some(flat) = flatten_object_query(obj)
        {
            out.extend(flat);
            continue;
        }
        out.push(p);
    }

    // Path parameters must match the template's placeholders exactly.
    let declared: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, p)| p.get("in") == Some(&json!("path")))
        .map(|(i, _)| i)
        .collect();
    let declared_names: BTreeSet<String> = declared
        .iter()
        .filter_map(|&i| out[i].get("name").and_then(Value::as_str).map(String::from))
        .collect();
    let unmatched_placeholders: Vec<&String> = placeholders
        .iter()
        .filter(|ph| !declared_names.contains(*ph))
        .collect();
    for &i in &declared {
        let name = out[i]["name"].as_str().unwrap_or_default().to_string();
        if placeholders.contains(&name) {
            continue;
        }
        // Same name in another case (notificationId vs {notificationID}): take the placeholder's.
        if let Some(ph) = unmatched_placeholders
            .iter()
            .find(|ph| ph.eq_ignore_ascii_case(&name))
            .or_else(|| (unmatched_placeholders.len() == 1).then(|| &unmatched_placeholders[0]))
        {
            out[i]["name"] = json!(ph);
        } else {
            // A path parameter with no placeholder at all (`client-id` on the account
            // management API): send it as a query parameter instead.
            out[i]["in"] = json!("query");
            out[i]["style"] = json!("form");
            out[i]["required"] = json!(false);
        }
    }
    // Placeholders nobody declared get a string parameter.
    let now_declared: BTreeSet<String> = out
        .iter()
        .filter(|p| p.get("in") == Some(&json!("path")))
        .filter_map(|p| p.get("name").and_then(Value::as_str).map(String::from))
        .collect();
    for ph in &placeholders {
        if !now_declared.contains(ph) {
            out.push(
                json!({"name": ph, "in": "path", "required": true, "schema": {"type": "string"}}),
            );
        }
    }
    // A path parameter with no type (upstream's `notificationId`) is a string.
    for p in out
        .iter_mut()
        .filter(|p| p.get("in") == Some(&json!("path")))
    {
        let untyped = p
            .get("schema")
            .is_none_or(|s| s.as_object().is_some_and(|m| m.is_empty()));
        if untyped {
            p["schema"] = json!({"type": "string"});
        }
    }
    // One parameter per (in, name).
    let mut seen = BTreeSet::new();
    out.retain(|p| {
        seen.insert((
            p.get("in").cloned().unwrap_or_default().to_string(),
            p.get("name").cloned().unwrap_or_default().to_string(),
        ))
    });
    *op.get_mut("parameters").expect("checked above") = Value::Array(out);
    Ok(())
}

fn flatten_object_query(param: &Map<String, Value>) -> Option<Vec<Value>> {
    let schema = param.get("schema")?;
    // Resolved against components later is not possible here; object refs are flattened by
    // `flatten_object_query_refs` once schemas are known. Inline objects only here.
    let props = schema.get("properties")?.as_object()?;
    if schema.get("type") != Some(&json!("object")) {
        return None;
    }
    let required: BTreeSet<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    Some(
        props
            .iter()
            .map(|(name, s)| {
                json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(name.as_str()),
                    "schema": s,
                })
            })
            .collect(),
    )
}

fn request_body(op: &mut Map<String, Value>) {
    let Some(body) = op.get_mut("requestBody").and_then(Value::as_object_mut) else {
        return;
    };
    body.remove("description");
    let content = body
        .entry("content")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .map(std::mem::take)
        .unwrap_or_default();
    let mut chosen = Map::new();
    if let Some((_, media)) = content.iter().find(|(m, _)| is_json_media(m)) {
        chosen.insert("application/json".into(), media.clone());
    } else if let Some(media) = content.get("application/x-www-form-urlencoded") {
        chosen.insert("application/x-www-form-urlencoded".into(), media.clone());
    } else {
        // JWTs and other opaque bodies go out as text: progenitor takes an inline string schema.
        chosen.insert("text/plain".into(), json!({"schema": {"type": "string"}}));
    }
    body.insert("content".into(), Value::Object(chosen));
}

/// Keep the success responses, with JSON where the API returns JSON, all of one type.
///
/// Error responses are dropped on purpose: IBKR's error bodies differ by endpoint, are
/// often empty (429) or HTML (proxies), and progenitor insists on one error type. With no
/// error declared, every non-2xx reaches the runtime as a raw response with its status and
/// body, which `ibkr-ext` classifies into typed errors.
fn responses(op: &mut Map<String, Value>) {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        op.insert(
            "responses".into(),
            json!({"200": {"description": "Success"}}),
        );
        return;
    };
    responses.retain(|code, _| code.starts_with('2'));
    // A 204 beside a JSON 200 cannot share its type; the 204 is left undeclared.
    let has_json = responses
        .values()
        .any(|r| r.get("content").is_some_and(has_json_content));
    if has_json {
        responses.retain(|_, r| {
            r.get("content")
                .is_some_and(|c| c.as_object().is_some_and(|m| !m.is_empty()))
        });
    }
    let mut schemas: Vec<Value> = Vec::new();
    for r in responses.values_mut() {
        let Some(obj) = r.as_object_mut() else {
            continue;
        };
        obj.remove("headers");
        obj.remove("links");
        obj.insert("description".into(), json!("Success"));
        if let Some(content) = obj.get_mut("content").and_then(Value::as_object_mut) {
            let json_media = content
                .iter()
                .find(|(m, _)| is_json_media(m))
                .map(|(_, v)| v.clone());
            if let Some(mut media) = json_media {
                if let Some(m) = media.as_object_mut() {
                    m.remove("example");
                    m.remove("examples");
                    m.remove("encoding");
                }
                let schema = media.get("schema").cloned().unwrap_or_else(|| json!({}));
                if !schemas.contains(&schema) {
                    schemas.push(schema);
                }
                content.clear();
                content.insert("application/json".into(), media);
            } else {
                // Binary only (PDF): keep one media type, as a byte stream.
                let first = content.keys().next().cloned();
                if let Some(first) = first {
                    content.retain(|k, _| *k == first);
                    if let Some(m) = content.get_mut(&first).and_then(Value::as_object_mut) {
                        m.remove("example");
                        m.remove("examples");
                    }
                }
            }
        }
    }
    if responses.is_empty() {
        responses.insert("200".into(), json!({"description": "Success"}));
    }
    // Several success codes with different bodies: one type that accepts each of them.
    if schemas.len() > 1 {
        let merged = json!({"oneOf": schemas});
        for r in responses.values_mut() {
            if let Some(media) = r.pointer_mut("/content/application~1json") {
                media["schema"] = merged.clone();
            }
        }
    }
}

fn has_json_content(content: &Value) -> bool {
    content
        .as_object()
        .is_some_and(|m| m.keys().any(|k| is_json_media(k)))
}

/// Drop prose, sample values, upstream extensions, and `security: [{bearerAuth: [null]}]`.
///
/// The level directly under `properties` is a map of field names, where a field may well be
/// called `description` or `example`; that level is left alone.
fn strip_recursively(v: &mut Value) {
    strip(v, false);
}

fn strip(v: &mut Value, is_name_map: bool) {
    match v {
        Value::Object(map) => {
            if !is_name_map {
                for key in PROSE_KEYS {
                    map.remove(*key);
                }
                map.remove("security");
                map.retain(|k, _| !k.starts_with("x-") || k.starts_with("x-ibkr-"));
            }
            for (key, child) in map.iter_mut() {
                strip(child, !is_name_map && key == "properties");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|c| strip(c, false)),
        _ => {}
    }
}

/// Schema-level fixes: enum values of the declared type, `required` names that match
/// properties, object-typed query parameters given by `$ref`.
fn fix_schemas(doc: &mut Value) {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                coerce_enum(map);
                fix_required(map);
                for child in map.values_mut() {
                    walk(child);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(doc);
    flatten_object_query_refs(doc);
}

fn coerce_enum(map: &mut Map<String, Value>) {
    let ty = map.get("type").and_then(Value::as_str).map(String::from);
    let Some(Value::Array(values)) = map.get_mut("enum") else {
        return;
    };
    let Some(ty) = ty else { return };
    for v in values.iter_mut() {
        let coerced = match (ty.as_str(), &*v) {
            ("boolean", Value::String(s)) => s.parse::<bool>().ok().map(Value::from),
            ("integer", Value::String(s)) => s.parse::<i64>().ok().map(Value::from),
            ("number", Value::String(s)) => s
                .parse::<i64>()
                .ok()
                .map(Value::from)
                .or_else(|| s.parse::<f64>().ok().map(Value::from)),
            ("string", Value::Number(n)) => Some(Value::from(n.to_string())),
            ("string", Value::Bool(b)) => Some(Value::from(b.to_string())),
            _ => None,
        };
        if let Some(c) = coerced {
            *v = c;
        }
    }
}

fn fix_required(map: &mut Map<String, Value>) {
    let props: Vec<String> = match map.get("properties").and_then(Value::as_object) {
        Some(p) => p.keys().cloned().collect(),
        None => {
            // `required` without properties on an object schema names nothing typify can use.
            if map.get("type") == Some(&json!("object")) && map.get("allOf").is_none() {
                map.remove("required");
            }
            return;
        }
    };
    let Some(Value::Array(required)) = map.get_mut("required") else {
        return;
    };
    let mut fixed = Vec::new();
    for r in required.iter().filter_map(Value::as_str) {
        if props.iter().any(|p| p == r) {
            fixed.push(r.to_string());
        } else if let Some(p) = props.iter().find(|p| p.eq_ignore_ascii_case(r)) {
            fixed.push(p.clone());
        }
    }
    fixed.dedup();
    if fixed.is_empty() {
        map.remove("required");
    } else {
        *required = fixed.into_iter().map(Value::from).collect();
    }
}

fn flatten_object_query_refs(doc: &mut Value) {
    let schemas = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let _ = for_each_operation_mut(doc, |_, _, op| {
        let Some(Value::Array(params)) = op.get_mut("parameters") else {
            return Ok(());
        };
        let mut out = Vec::new();
        for p in params.drain(..) {
            let target = p
                .pointer("/schema/$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .and_then(|name| schemas.get(name));
            match (p.get("in").and_then(Value::as_str), target) {
                (Some("query"), Some(t)) if t.get("type") == Some(&json!("object")) => {
                    let mut inline = p.as_object().cloned().unwrap_or_default();
                    inline.insert("schema".into(), t.clone());
                    match flatten_object_query(&inline) {
                        Some(flat) => out.extend(flat),
                        None => out.push(p),
                    }
                }
                (Some("query"), Some(t))
                    if t.get("type")
                        .is_some_and(|ty| ty != "array" && ty != "object") =>
                {
                    // A scalar behind a $ref (utcDateTime): inline it, so the parameter is a
                    // plain string rather than a newtype.
                    let mut p = p;
                    p["schema"] = t.clone();
                    out.push(p);
                }
                _ => out.push(p),
            }
        }
        *params = out;
        Ok(())
    });
}

/// Make every schema a response can reach tolerant of what IBKR actually sends:
/// no `required` (IBKR omits fields), no closed string enums (IBKR adds values), no
/// `additionalProperties: false`, and no string formats (IBKR's dates are not RFC 3339).
fn make_response_schemas_tolerant(doc: &mut Value) {
    let mut roots = Vec::new();
    let _ = for_each_operation_mut(doc, |_, _, op| {
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for r in responses.values_mut() {
                if let Some(s) = r.pointer_mut("/content/application~1json/schema") {
                    collect_refs(s, &mut roots);
                    loosen(s);
                }
            }
        }
        Ok(())
    });
    let mut reachable = BTreeSet::new();
    let mut stack = roots;
    while let Some(name) = stack.pop() {
        if !reachable.insert(name.clone()) {
            continue;
        }
        if let Some(s) = doc.pointer(&format!("/components/schemas/{}", escape_pointer(&name))) {
            let mut refs = Vec::new();
            collect_refs(s, &mut refs);
            stack.extend(refs);
        }
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, s) in schemas.iter_mut() {
            if reachable.contains(name) {
                loosen(s);
            }
        }
    }
}

pub fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

pub fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && let Some(name) = r.strip_prefix("#/components/schemas/")
            {
                out.push(name.to_string());
            }
            map.values().for_each(|c| collect_refs(c, out));
        }
        Value::Array(items) => items.iter().for_each(|c| collect_refs(c, out)),
        _ => {}
    }
}

fn loosen(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("required");
            if map.get("additionalProperties") == Some(&json!(false)) {
                map.remove("additionalProperties");
            }
            let is_string = map.get("type") == Some(&json!("string"));
            if is_string {
                map.remove("enum");
                map.remove("format");
                map.remove("pattern");
                map.remove("minLength");
                map.remove("maxLength");
            }
            if matches!(
                map.get("type").and_then(Value::as_str),
                Some("integer" | "number" | "boolean")
            ) {
                map.remove("enum");
                map.remove("minimum");
                map.remove("maximum");
                map.remove("exclusiveMinimum");
                map.remove("exclusiveMaximum");
            }
            map.remove("minItems");
            map.remove("maxItems");
            map.remove("uniqueItems");
            // An enum with no type is a closed set typify would enforce.
            if map.get("type").is_none() && map.contains_key("enum") {
                map.remove("enum");
            }
            for (k, child) in map.iter_mut() {
                if k != "enum" {
                    loosen(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(loosen),
        _ => {}
    }
}
