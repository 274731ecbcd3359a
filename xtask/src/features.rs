//! The README's two commands must share one build: `cargo run -p ibkr-cli` (the tour) and
//! `cargo test --workspace` resolve features separately (dev-dependencies only join the
//! second), and one extra feature low in the tree (libc's `extra_traits`, say) makes the
//! test command recompile everything above it. This check asks cargo for both unit graphs
//! (no compiling: `--unit-graph`, an unstable flag enabled with `RUSTC_BOOTSTRAP=1`) and
//! fails when a package the tour builds is built with other features by the tests.
//! The fix is to name the test build's features in `workspace-hack/Cargo.toml` or in the
//! dependent's own `[dependencies]`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// (package id, target, profile) → the feature sets it is built with.
type Units = BTreeMap<(String, String, String), BTreeSet<Vec<String>>>;

fn unit_graph(root: &Path, args: &[&str]) -> Result<Units> {
    let out = crate::cargo(root)
        .env("RUSTC_BOOTSTRAP", "1")
        .args(args)
        .args(["--unit-graph", "-Z", "unstable-options"])
        .output()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "cargo {} --unit-graph failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let graph: Value = serde_json::from_slice(&out.stdout).context("cargo's unit graph")?;
    let mut units = Units::new();
    for u in graph["units"].as_array().into_iter().flatten() {
        if u["mode"] != "build" {
            continue;
        }
        // The test build's profile is named `test` but compiles dependencies as `dev` does:
        // compare the settings, not the name.
        let mut profile = u["profile"].clone();
        if let Some(p) = profile.as_object_mut() {
            p.remove("name");
        }
        let key = (
            u["pkg_id"].as_str().unwrap_or_default().to_string(),
            u["target"]["name"].as_str().unwrap_or_default().to_string(),
            profile.to_string(),
        );
        let features = u["features"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str().map(str::to_string))
            .collect();
        units.entry(key).or_default().insert(features);
    }
    Ok(units)
}

/// The packages the tour builds that the test command would build again with other
/// features, each as a line naming the features that differ.
pub fn drift(root: &Path) -> Result<Vec<String>> {
    let tour = unit_graph(root, &["build", "-p", "ibkr-cli"])?;
    let test = unit_graph(root, &["test", "--workspace", "--no-run"])?;
    let mut problems = Vec::new();
    for (key, sets) in &tour {
        let Some(other) = test.get(key) else { continue };
        if other == sets {
            continue;
        }
        let union = |s: &BTreeSet<Vec<String>>| -> BTreeSet<String> {
            s.iter().flatten().cloned().collect()
        };
        let (a, b) = (union(sets), union(other));
        let only_test: Vec<_> = b.difference(&a).cloned().collect();
        let only_tour: Vec<_> = a.difference(&b).cloned().collect();
        problems.push(format!(
            "{} ({}): `cargo test --workspace` builds it again with features {only_test:?} (the tour's build only: {only_tour:?}); add them to workspace-hack/Cargo.toml",
            key.0.rsplit(['/', '#']).next().unwrap_or(&key.0),
            key.1,
        ));
    }
    Ok(problems)
}
