//! `ibkr --oauth1` / `--oauth2` against `ibkr sim --oauth DIR` on 127.0.0.1, and the key
//! setup commands.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn ibkr() -> Command {
    let mut c = Command::cargo_bin("ibkr").unwrap();
    c.env_remove("IBKR_GATEWAY_URL")
        .env_remove("IBKR_ACCOUNT_ID")
        .env_remove("IBKR_OAUTH1_CONFIG")
        .env_remove("IBKR_OAUTH2_CONFIG")
        .timeout(Duration::from_secs(60));
    c
}

/// `ibkr sim --oauth DIR --http --port 0`, killed on drop.
struct Sim {
    child: Child,
    base_url: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn sim_with_oauth(dir: &Path) -> Sim {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("ibkr"))
        .args(["sim", "--http", "--port", "0", "--oauth"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut base_url = None;
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Some(url) = line.trim().strip_prefix("base URL:") {
            base_url = Some(url.trim().to_string());
        }
        if line.contains("Press Ctrl-C") {
            break;
        }
    }
    let base_url = base_url.expect("the simulator printed its base URL");
    Sim { child, base_url }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ibkr-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn oauth1_and_oauth2_log_in_to_the_simulated_api_ibkr_com() {
    let dir = temp_dir("oauth-sim");
    let sim = sim_with_oauth(&dir);
    let oauth1 = dir.join("ibkr-oauth1.toml");
    let oauth2 = dir.join("ibkr-oauth2.toml");

    ibkr()
        .arg("--oauth1")
        .arg(&oauth1)
        .args(["--gateway", &sim.base_url, "accounts"])
        .assert()
        .success()
        .stdout(predicate::str::contains("DU1234567"));

    // The environment variable works like the flag; status shows the mode and expiry.
    let out = ibkr()
        .env("IBKR_OAUTH1_CONFIG", &oauth1)
        .args(["--gateway", &sim.base_url, "--json", "status"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["auth"].as_str().unwrap().contains("OAuth 1.0a"), "{v}");
    assert!(v["token_expires"].as_u64().is_some(), "{v}");

    ibkr()
        .arg("--oauth2")
        .arg(&oauth2)
        .args(["--gateway", &sim.base_url, "status"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("OAuth 2.0").and(predicate::str::contains("token expires in")),
        );
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_anything_is_sent() {
    let dir = temp_dir("oauth-remote");
    let files = {
        // Any readable config will do: the URL is checked first.
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ibkr-oauth1.toml");
        std::fs::write(&path, "consumer_key = \"X\"\n").unwrap();
        path
    };
    ibkr()
        .arg("--oauth1")
        .arg(&files)
        .args(["--gateway", "http://192.0.2.1/v1/api", "status"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("loopback only"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_broken_config_names_the_key() {
    let dir = temp_dir("oauth-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ibkr-oauth1.toml");
    std::fs::write(
        &path,
        "consumer_key = \"ABCDEFGHI\"\naccess_token = \"t\"\n",
    )
    .unwrap();
    ibkr()
        .arg("--oauth1")
        .arg(&path)
        .args(["--gateway", "http://127.0.0.1:9/v1/api", "status"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("access_token_secret"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn oauth1_keys_writes_the_files_to_upload_and_the_portal_steps() {
    let dir = temp_dir("oauth1-keys");
    ibkr()
        .args(["oauth1", "keys", "--dh-bits", "256"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("upload")
                .and(predicate::str::contains("public_signature.pem"))
                .and(predicate::str::contains("dhparam.pem"))
                .and(predicate::str::contains("next server reset")),
        );
    for f in [
        "private_signature.pem",
        "public_signature.pem",
        "private_encryption.pem",
        "public_encryption.pem",
        "dhparam.pem",
        "ibkr-oauth1.toml",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let dh = std::fs::read_to_string(dir.join("dhparam.pem")).unwrap();
    assert!(dh.starts_with("-----BEGIN DH PARAMETERS-----"));
    // Keys already made are never overwritten.
    ibkr()
        .args(["oauth1", "keys", "--rfc3526"])
        .arg(&dir)
        .assert()
        .failure()
        .stderr(predicate::str::contains("not overwritten"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn oauth2_keys_writes_a_key_pair_and_a_config() {
    let dir = temp_dir("oauth2-keys");
    ibkr()
        .args(["oauth2", "keys"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains("public_key.pem"));
    assert!(dir.join("private_key.pem").exists());
    assert!(dir.join("ibkr-oauth2.toml").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sim_oauth_runs_a_command_over_oauth_against_the_embedded_simulator() {
    ibkr()
        .args(["--sim-oauth", "accounts"])
        .assert()
        .success()
        .stdout(predicate::str::contains("DU1234567"));
    ibkr()
        .args(["--sim-oauth", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("OAuth 1.0a"));
}
