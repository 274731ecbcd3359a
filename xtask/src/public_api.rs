//! `cargo xtask public-api [--bless]`: the public surface of `ibkr-ext` as a sorted list,
//! one item a line, compared with `ibkr-ext/public-api.txt` so that a change of the API
//! shows in review (`cargo xtask check` runs the comparison; `--bless` rewrites the file).
//!
//! The list comes from rustdoc's JSON output (an unstable format, enabled on the stable
//! toolchain with `RUSTC_BOOTSTRAP=1`), read as plain JSON rather than through a crate
//! tied to one format version: modules, re-exports (followed to what they name), structs
//! with their public fields, enums with their variants, traits, functions and inherent
//! methods with their signatures, and the traits each type implements. Items rustdoc
//! hides (`#[doc(hidden)]`) are not part of the promise and are left out.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Where the snapshot lives.
pub const SNAPSHOT: &str = "ibkr-ext/public-api.txt";

/// Build the rustdoc JSON of `ibkr-ext` and list its public items.
pub fn current(root: &Path) -> Result<String> {
    let target = target_dir(root);
    let status = crate::cargo(root)
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["rustdoc", "--quiet", "-p", "ibkr-ext", "--lib", "--"])
        .args(["-Z", "unstable-options", "--output-format", "json"])
        .status()
        .context("running cargo rustdoc")?;
    if !status.success() {
        bail!("cargo rustdoc -p ibkr-ext failed");
    }
    let path = target.join("doc/ibkr_ext.json");
    let doc: Value = serde_json::from_slice(
        &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
    )
    .context("rustdoc's JSON")?;
    let mut lines = BTreeSet::new();
    let root_id = doc["root"].clone();
    let mut surface = Surface {
        doc: &doc,
        lines: &mut lines,
        paths: HashMap::new(),
        ids: HashMap::new(),
    };
    surface.module(&root_id, "ibkr_ext");
    surface.list();
    let mut out = String::from(
        "# The public API of ibkr-ext, one item a line (`cargo xtask public-api --bless` rewrites it).\n",
    );
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    Ok(out)
}

/// `cargo xtask public-api [--bless]`.
pub fn run(root: &Path, bless: bool) -> Result<()> {
    let fresh = current(root)?;
    let file = root.join(SNAPSHOT);
    if bless {
        std::fs::write(&file, &fresh)?;
        println!("wrote {} ({} items)", SNAPSHOT, fresh.lines().count() - 1);
        return Ok(());
    }
    let problems = diff(root, &fresh);
    if problems.is_empty() {
        println!(
            "public API: unchanged ({} items)",
            fresh.lines().count() - 1
        );
        Ok(())
    } else {
        for p in &problems {
            eprintln!("  {p}");
        }
        bail!("the public API changed; review it, then `cargo xtask public-api --bless`")
    }
}

/// The lines that differ between the snapshot and `fresh`, each marked `+` or `-`.
pub fn diff(root: &Path, fresh: &str) -> Vec<String> {
    let committed = std::fs::read_to_string(root.join(SNAPSHOT)).unwrap_or_default();
    let old: BTreeSet<&str> = committed.lines().collect();
    let new: BTreeSet<&str> = fresh.lines().collect();
    let mut out: Vec<String> = old
        .difference(&new)
        .map(|l| format!("- {l}"))
        .chain(new.difference(&old).map(|l| format!("+ {l}")))
        .collect();
    out.sort_by(|a, b| a[2..].cmp(&b[2..]));
    out
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

struct Surface<'a> {
    doc: &'a Value,
    lines: &'a mut BTreeSet<String>,
    /// Every path each item can be named by, by item id.
    paths: HashMap<String, Vec<String>>,
    /// The item ids, by their key in `paths`.
    ids: HashMap<String, Value>,
}

impl Surface<'_> {
    fn item(&self, id: &Value) -> Option<&Value> {
        let key = match id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        self.doc["index"].get(&key)
    }

    fn module(&mut self, id: &Value, path: &str) {
        let Some(m) = self.item(id) else { return };
        let items: Vec<Value> = m["inner"]["module"]["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for child in &items {
            self.named(child, path, None);
        }
    }

    /// Walk item `id` under `path` (as `rename` when a re-export renames it), noting every
    /// path it can be named by.
    fn named(&mut self, id: &Value, path: &str, rename: Option<&str>) {
        let Some(item) = self.item(id).cloned() else {
            return;
        };
        if item["visibility"] != "public" && item["visibility"] != "default" {
            return;
        }
        let name = rename
            .map(str::to_string)
            .or_else(|| item["name"].as_str().map(str::to_string))
            .unwrap_or_default();
        let here = format!("{path}::{name}");
        if let Some(u) = item["inner"].get("use") {
            self.reexport(u, path);
            return;
        }
        let paths = self.paths.entry(id.to_string()).or_default();
        if paths.contains(&here) {
            return;
        }
        paths.push(here.clone());
        self.ids.insert(id.to_string(), id.clone());
        if item["inner"].get("module").is_some() {
            self.module(id, &here);
        }
    }

    /// List every item once, at its shortest path; its other paths as aliases of it.
    fn list(&mut self) {
        let mut all: Vec<(String, Vec<String>)> = self
            .paths
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        all.sort();
        for (key, mut paths) in all {
            paths.sort_by_key(|p| (p.matches("::").count(), p.clone()));
            let canonical = paths[0].clone();
            for other in &paths[1..] {
                self.lines.insert(format!("use {other} = {canonical}"));
            }
            let id = self.ids[&key].clone();
            self.expand(&id, &canonical);
        }
    }

    /// The lines of item `id`, listed at `here`.
    fn expand(&mut self, id: &Value, here: &str) {
        let Some(item) = self.item(id).cloned() else {
            return;
        };
        let path = here.rsplit_once("::").map_or("", |(p, _)| p).to_string();
        let name = here.rsplit_once("::").map_or(here, |(_, n)| n).to_string();
        let Some((kind, inner)) = item["inner"].as_object().and_then(|o| o.iter().next()) else {
            return;
        };
        match kind.as_str() {
            "module" => {
                self.lines.insert(format!("mod {here}"));
            }
            "struct" => {
                self.lines
                    .insert(format!("struct {here}{}", generics(&inner["generics"])));
                let fields = inner["kind"]["plain"]["fields"]
                    .as_array()
                    .or_else(|| inner["kind"]["tuple"].as_array())
                    .cloned()
                    .unwrap_or_default();
                for f in fields.iter().filter(|f| !f.is_null()) {
                    if let Some(field) = self.item(f).cloned()
                        && field["visibility"] == "public"
                    {
                        let ty = render(&field["inner"]["struct_field"]);
                        let fname = field["name"].as_str().unwrap_or("_");
                        self.lines.insert(format!("field {here}::{fname}: {ty}"));
                    }
                }
                self.impls(&inner["impls"], here);
            }
            "enum" => {
                self.lines
                    .insert(format!("enum {here}{}", generics(&inner["generics"])));
                for v in inner["variants"].as_array().cloned().unwrap_or_default() {
                    if let Some(variant) = self.item(&v) {
                        let vname = variant["name"].as_str().unwrap_or("_");
                        self.lines.insert(format!("variant {here}::{vname}"));
                    }
                }
                self.impls(&inner["impls"], here);
            }
            "union" => {
                self.lines.insert(format!("union {here}"));
            }
            "trait" => {
                self.lines
                    .insert(format!("trait {here}{}", generics(&inner["generics"])));
                for m in inner["items"].as_array().cloned().unwrap_or_default() {
                    if let Some(method) = self.item(&m).cloned() {
                        let mname = method["name"].as_str().unwrap_or("_").to_string();
                        if let Some(f) = method["inner"].get("function") {
                            self.lines.insert(signature(&format!("{here}::{mname}"), f));
                        } else {
                            self.lines.insert(format!("item {here}::{mname}"));
                        }
                    }
                }
            }
            "function" => {
                self.lines
                    .insert(signature(&format!("{path}::{name}"), inner));
            }
            "type_alias" => {
                self.lines
                    .insert(format!("type {here} = {}", render(&inner["type"])));
            }
            "constant" => {
                self.lines
                    .insert(format!("const {here}: {}", render(&inner["type"])));
            }
            "static" => {
                self.lines
                    .insert(format!("static {here}: {}", render(&inner["type"])));
            }
            "macro" | "proc_macro" => {
                self.lines.insert(format!("macro {here}"));
            }
            other => {
                self.lines.insert(format!("{other} {here}"));
            }
        }
    }

    fn reexport(&mut self, u: &Value, path: &str) {
        let name = u["name"].as_str().unwrap_or_default();
        let glob = u["is_glob"].as_bool().unwrap_or(false);
        let target = &u["id"];
        match self.item(target).cloned() {
            Some(item) if glob => {
                // `pub use module::*`: every public item of the module, here.
                if item["inner"].get("module").is_some() {
                    for child in item["inner"]["module"]["items"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                    {
                        self.named(&child, path, None);
                    }
                }
            }
            Some(_) => self.named(target, path, Some(name)),
            // Another crate's item: name it, do not expand it.
            None => {
                let source = u["source"].as_str().unwrap_or_default();
                let star = if glob { "::*" } else { "" };
                self.lines
                    .insert(format!("use {path}::{name} = {source}{star}"));
            }
        }
    }

    fn impls(&mut self, impls: &Value, here: &str) {
        for id in impls.as_array().cloned().unwrap_or_default() {
            let Some(imp) = self.item(&id).cloned() else {
                continue;
            };
            let inner = &imp["inner"]["impl"];
            if inner["is_synthetic"].as_bool() == Some(true) || !inner["blanket_impl"].is_null() {
                continue;
            }
            if inner["trait"].is_null() {
                for m in inner["items"].as_array().cloned().unwrap_or_default() {
                    let Some(method) = self.item(&m).cloned() else {
                        continue;
                    };
                    if method["visibility"] != "public" {
                        continue;
                    }
                    let mname = method["name"].as_str().unwrap_or("_").to_string();
                    match method["inner"].get("function") {
                        Some(f) => {
                            self.lines.insert(signature(&format!("{here}::{mname}"), f));
                        }
                        None => {
                            self.lines.insert(format!("item {here}::{mname}"));
                        }
                    }
                }
            } else {
                let tr = render_path(&inner["trait"]);
                self.lines.insert(format!("impl {tr} for {here}"));
            }
        }
    }
}

fn generics(g: &Value) -> String {
    let params: Vec<String> = g["params"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| {
            // Elided and synthetic `impl Trait` parameters are not written by users.
            let kind = &p["kind"];
            !(kind["lifetime"].is_object() && p["name"].as_str() == Some("'_"))
                && kind["type"]["is_synthetic"].as_bool() != Some(true)
        })
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    if params.is_empty() {
        String::new()
    } else {
        format!("<{}>", params.join(", "))
    }
}

/// `[const ][async ][unsafe ]fn name<..>(..) -> ..` for function `f` at path `name`.
fn signature(name: &str, f: &Value) -> String {
    let header = &f["header"];
    let mut s = String::new();
    if header["is_const"].as_bool() == Some(true) {
        s.push_str("const ");
    }
    if header["is_async"].as_bool() == Some(true) {
        s.push_str("async ");
    }
    if header["is_unsafe"].as_bool() == Some(true) {
        s.push_str("unsafe ");
    }
    s.push_str("fn ");
    s.push_str(name);
    s.push_str(&generics(&f["generics"]));
    let inputs: Vec<String> = f["sig"]["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|pair| {
            let pname = pair[0].as_str().unwrap_or("_");
            let ty = render(&pair[1]);
            match pname {
                "self" => match ty.as_str() {
                    "Self" => "self".to_string(),
                    "&Self" => "&self".to_string(),
                    "&mut Self" => "&mut self".to_string(),
                    _ => format!("self: {ty}"),
                },
                _ => format!("{pname}: {ty}"),
            }
        })
        .collect();
    s.push_str(&format!("({})", inputs.join(", ")));
    let output = &f["sig"]["output"];
    if !output.is_null() {
        s.push_str(&format!(" -> {}", render(output)));
    }
    s
}

fn render_path(p: &Value) -> String {
    let name = p["path"]
        .as_str()
        .or_else(|| p["name"].as_str())
        .unwrap_or("?")
        .to_string();
    format!("{name}{}", render_args(&p["args"]))
}

fn render_args(args: &Value) -> String {
    if let Some(a) = args.get("angle_bracketed") {
        let mut parts: Vec<String> = a["args"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|arg| {
                if let Some(t) = arg.get("type") {
                    render(t)
                } else if let Some(l) = arg.get("lifetime") {
                    l.as_str().unwrap_or("'_").to_string()
                } else if let Some(c) = arg.get("const") {
                    c["expr"].as_str().unwrap_or("_").to_string()
                } else {
                    "_".to_string()
                }
            })
            .collect();
        for c in a["constraints"].as_array().into_iter().flatten() {
            let name = c["name"].as_str().unwrap_or("?");
            if let Some(t) = c["binding"]["equality"].get("type") {
                parts.push(format!("{name} = {}", render(t)));
            }
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("<{}>", parts.join(", "))
        }
    } else if let Some(p) = args.get("parenthesized") {
        let inputs: Vec<String> = p["inputs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(render)
            .collect();
        let out = if p["output"].is_null() {
            String::new()
        } else {
            format!(" -> {}", render(&p["output"]))
        };
        format!("({}){out}", inputs.join(", "))
    } else {
        String::new()
    }
}

fn bounds(b: &Value) -> String {
    b.as_array()
        .into_iter()
        .flatten()
        .map(|bound| {
            if let Some(t) = bound.get("trait_bound") {
                render_path(&t["trait"])
            } else if let Some(l) = bound.get("outlives") {
                l.as_str().unwrap_or("'_").to_string()
            } else {
                "?".to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// A type from rustdoc's JSON, written as Rust.
fn render(t: &Value) -> String {
    let Some((kind, v)) = t.as_object().and_then(|o| o.iter().next()) else {
        return "?".to_string();
    };
    match kind.as_str() {
        "resolved_path" => render_path(v),
        "generic" | "primitive" => v.as_str().unwrap_or("?").to_string(),
        "borrowed_ref" => {
            let lt = v["lifetime"]
                .as_str()
                .map(|l| format!("{l} "))
                .unwrap_or_default();
            let m = if v["is_mutable"].as_bool() == Some(true) {
                "mut "
            } else {
                ""
            };
            format!("&{lt}{m}{}", render(&v["type"]))
        }
        "raw_pointer" => {
            let m = if v["is_mutable"].as_bool() == Some(true) {
                "mut"
            } else {
                "const"
            };
            format!("*{m} {}", render(&v["type"]))
        }
        "tuple" => {
            let parts: Vec<String> = v.as_array().into_iter().flatten().map(render).collect();
            format!("({})", parts.join(", "))
        }
        "slice" => format!("[{}]", render(v)),
        "array" => format!(
            "[{}; {}]",
            render(&v["type"]),
            v["len"].as_str().unwrap_or("_")
        ),
        "impl_trait" => format!("impl {}", bounds(v)),
        "dyn_trait" => {
            let traits: Vec<String> = v["traits"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| render_path(&p["trait"]))
                .collect();
            let lt = v["lifetime"]
                .as_str()
                .map(|l| format!(" + {l}"))
                .unwrap_or_default();
            format!("dyn {}{lt}", traits.join(" + "))
        }
        "qualified_path" => {
            let name = v["name"].as_str().unwrap_or("?");
            let self_ty = render(&v["self_type"]);
            if v["trait"].is_null() {
                format!("{self_ty}::{name}")
            } else {
                format!("<{self_ty} as {}>::{name}", render_path(&v["trait"]))
            }
        }
        "function_pointer" => {
            let inputs: Vec<String> = v["sig"]["inputs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| render(&p[1]))
                .collect();
            let out = if v["sig"]["output"].is_null() {
                String::new()
            } else {
                format!(" -> {}", render(&v["sig"]["output"]))
            };
            format!("fn({}){out}", inputs.join(", "))
        }
        "infer" => "_".to_string(),
        other => other.to_string(),
    }
}
