//! Applying OpenAPI Overlay 1.0 documents (`openapi/overlays/*.yaml`) to a JSON document.
//!
//! Each action names a JSONPath `target`. `update` is merged into every node the target
//! selects (objects merge key by key, recursively; any other value replaces; an array
//! target gets the update appended), and `remove: true` deletes the selected nodes.
//! A target that selects nothing is an error: it means the overlay has gone stale
//! against upstream, which a human must look at.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::Value;
use serde_json_path::JsonPath;

#[derive(Deserialize)]
struct Overlay {
    overlay: String,
    #[allow(dead_code)]
    info: Value,
    actions: Vec<Action>,
}

#[derive(Deserialize)]
struct Action {
    target: String,
    #[serde(default)]
    update: Option<Value>,
    #[serde(default)]
    remove: bool,
}

/// Every `*.yaml` overlay in `dir`, in file-name order, applied to `doc`.
pub fn apply_dir(doc: &mut Value, dir: &Path) -> Result<Vec<String>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    let mut applied = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        apply(doc, &text).with_context(|| format!("applying overlay {}", file.display()))?;
        applied.push(
            file.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        );
    }
    Ok(applied)
}

/// Apply one overlay document given as YAML text.
pub fn apply(doc: &mut Value, yaml: &str) -> Result<()> {
    let overlay: Overlay = serde_norway::from_str(yaml).context("not an Overlay 1.0 document")?;
    if !overlay.overlay.starts_with("1.") {
        bail!("overlay version {} is not 1.x", overlay.overlay);
    }
    for (i, action) in overlay.actions.iter().enumerate() {
        let path = JsonPath::parse(&action.target)
            .with_context(|| format!("action {i}: bad target {:?}", action.target))?;
        let pointers: Vec<String> = path
            .query_located(doc)
            .locations()
            .map(|l| l.to_json_pointer())
            .collect();
        if pointers.is_empty() {
            bail!("action {i}: target {} selects nothing", action.target);
        }
        for pointer in pointers.iter().rev() {
            if action.remove {
                remove_at(doc, pointer)?;
            } else if let Some(update) = &action.update {
                let node = doc.pointer_mut(pointer).expect("located just above");
                merge(node, update);
            }
        }
    }
    Ok(())
}

fn merge(target: &mut Value, update: &Value) {
    match (target, update) {
        (Value::Object(t), Value::Object(u)) => {
            for (k, v) in u {
                match t.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(u)) => t.extend(u.iter().cloned()),
        (Value::Array(t), u) => t.push(u.clone()),
        (t, u) => *t = u.clone(),
    }
}

fn remove_at(doc: &mut Value, pointer: &str) -> Result<()> {
    let (parent, last) = pointer
        .rsplit_once('/')
        .context("cannot remove the document root")?;
    let key = last.replace("~1", "/").replace("~0", "~");
    match doc.pointer_mut(parent) {
        Some(Value::Object(m)) => {
            m.remove(&key);
        }
        Some(Value::Array(a)) => {
            let i: usize = key.parse()?;
            if i < a.len() {
                a.remove(i);
            }
        }
        _ => bail!("no parent at {parent}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn update_merges_objects_and_remove_deletes() {
        let mut doc = json!({"paths": {"/a": {"get": {"responses": {}}}, "/b": {"get": {}}}});
        apply(
            &mut doc,
            "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: \"$.paths['/a'].get\"\n    update: {operationId: getA, x-ibkr-pacing: 1/s}\n  - target: \"$.paths['/b']\"\n    remove: true\n",
        )
        .unwrap();
        assert_eq!(doc["paths"]["/a"]["get"]["operationId"], "getA");
        assert_eq!(doc["paths"]["/a"]["get"]["responses"], json!({}));
        assert!(doc["paths"].get("/b").is_none());
    }

    #[test]
    fn a_target_that_selects_nothing_is_an_error() {
        let mut doc = json!({"paths": {}});
        let err = apply(
            &mut doc,
            "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: \"$.paths['/gone'].get\"\n    update: {summary: x}\n",
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("selects nothing"));
    }
}
