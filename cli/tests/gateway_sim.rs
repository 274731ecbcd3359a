//! The CLI's words for the gateway's refusals, against the simulator playing them.

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

async fn ibkr(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        Command::cargo_bin("ibkr")
            .unwrap()
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_outside_the_allow_list_exits_7_with_the_fix() {
    let gw = ibkr_sim::Gateway::builder()
        .allow(["127.0.0.1"])
        .deny(["192.0.2.255"])
        .start()
        .await
        .unwrap();
    let base = gw.base_url().to_string();
    let out = ibkr(
        ["--local-address", "127.0.0.2", "--gateway", &base, "status"]
            .map(String::from)
            .to_vec(),
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(
        stderr.contains("the gateway refused this client (HTTP 404 \"Access Denied\")"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow 127.0.0.2"), "{stderr}");
    // From the allowed address the same command works.
    let ok = ibkr(["--gateway", &base, "status"].map(String::from).to_vec()).await;
    assert!(ok.status.success(), "{ok:?}");
    assert!(!gw.inspect().refused().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_allow_pattern_is_refused_with_the_one_that_works() {
    let out = ibkr(
        [
            "gateway",
            "start",
            "--dir",
            "/nonexistent-ibkr-gw",
            "--allow",
            "172.18.0.0/16",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The install is checked first; with none, that is the error.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("ibkr gateway install --dir"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("gw");
    // A layout that passes the check, so the pattern is what fails.
    for f in [
        "dist/ibgroup.web.core.iblink.router.clientportal.gw.jar",
        "build/lib/runtime/x.jar",
        "root/conf.yaml",
        "root/vertx.jks",
        "root/logback.xml",
    ] {
        let p = fake.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"").unwrap();
    }
    let out = ibkr(vec![
        "gateway".into(),
        "start".into(),
        "--dir".into(),
        fake.display().to_string(),
        "--allow".into(),
        "172.18.0.0/16".into(),
    ])
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("never matches CIDR") && stderr.contains("172.18.*"),
        "{stderr}"
    );
}
