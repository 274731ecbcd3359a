//! The README's two commands must share one build: every dependency that `cargo run -p
//! ibkr-cli` builds must have the feature set `cargo test --workspace` gives it, or both
//! commands compile it (and everything above it) separately. `workspace-hack/` pins the
//! union; this check recomputes the difference with `cargo tree` and names what drifted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

type Features = BTreeMap<String, BTreeSet<String>>;

/// Dependencies whose features differ between the two builds, each with what the test
/// build adds.
pub fn drift(root: &Path) -> Result<Vec<String>> {
    let run = tree(root, &["-p", "ibkr-cli", "-e", "normal,build"])?;
    let test = tree(root, &["--workspace", "-e", "normal,build,dev"])?;
    Ok(differences(&run, &test))
}

fn differences(run: &Features, test: &Features) -> Vec<String> {
    run.iter()
        .filter_map(|(pkg, features)| {
            let other = test.get(pkg)?;
            (features != other).then(|| {
                let added: Vec<&str> = other.difference(features).map(String::as_str).collect();
                format!(
                    "{pkg}: `cargo test --workspace` adds [{}]; add them in workspace-hack/Cargo.toml",
                    added.join(", ")
                )
            })
        })
        .collect()
}

fn tree(root: &Path, args: &[&str]) -> Result<Features> {
    let out = Command::new(env!("CARGO"))
        .current_dir(root)
        .arg("tree")
        .args(args)
        .args(["-f", "{p}|{f}", "--prefix", "none"])
        .output()
        .context("running cargo tree")?;
    if !out.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(parse(&String::from_utf8_lossy(&out.stdout)))
}

/// `name vX (path)|f1,f2` lines → package → features (`(*)` marks of repeats dropped).
fn parse(text: &str) -> Features {
    let mut map = Features::new();
    for line in text.lines() {
        let Some((pkg, features)) = line.split_once('|') else {
            continue;
        };
        let pkg = pkg.replace(" (*)", "").trim().to_string();
        if pkg.starts_with("ibkr") {
            continue;
        }
        let entry = map.entry(pkg).or_default();
        for f in features.split(',') {
            let f = f.replace("(*)", "").trim().to_string();
            if !f.is_empty() {
                entry.insert(f);
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feature_only_the_test_build_enables_is_named() {
        let run = parse("tokio v1.54.1|macros,rt\nserde v1.0.0|std\n");
        let test = parse("tokio v1.54.1|macros,rt,test-util (*)\nserde v1.0.0 (*)|std\n");
        let drift = differences(&run, &test);
        assert_eq!(drift.len(), 1, "{drift:?}");
        assert!(drift[0].starts_with("tokio v1.54.1") && drift[0].contains("test-util"));
    }
}
