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
    // A layout that passes the check, so the pattern is what fails.
    let fake = fake_install(dir.path());
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

/// A folder with the gateway's layout (empty files): enough for the commands that only need
/// the install's state folder.
fn fake_install(dir: &std::path::Path) -> std::path::PathBuf {
    let fake = dir.join("gw");
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
    fake
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
async fn gateway_login_logs_in_and_a_wrong_password_is_never_tried_twice_across_processes() {
    let test = "gateway_login_logs_in_and_a_wrong_password_is_never_tried_twice_across_processes";
    if ibkr_gateway::login::find_chromium(None).is_err() {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "skipped: {test}: chromium not found");
        return;
    }
    let gw = ibkr_sim::Gateway::builder()
        .logged_in(false)
        .login_user(ibkr_sim::LoginUser::paper("paper1", "right-pw"))
        .start()
        .await
        .unwrap();
    let port = gw.addr().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let install = fake_install(dir.path()).display().to_string();
    let creds = |name: &str, password: &str| {
        let p = dir.path().join(name);
        std::fs::write(
            &p,
            format!("username = \"paper1\"\npassword = \"{password}\"\n"),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        p.display().to_string()
    };
    let login = |file: String| {
        [
            "gateway",
            "login",
            "--dir",
            &install,
            "--port",
            &port,
            "--paper",
            "--credentials",
            &file,
        ]
        .map(String::from)
        .to_vec()
    };
    // A wrong password: one attempt, exit 9, and a second process does not try again.
    let wrong = creds("wrong.toml", "wrong-pw");
    let first = ibkr(login(wrong.clone())).await;
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(9), "{stderr}");
    assert!(stderr.contains("--reset-budget"), "{stderr}");
    assert!(
        !stderr.contains("wrong-pw"),
        "no password in the error: {stderr}"
    );
    let second = ibkr(login(wrong)).await;
    assert_eq!(second.status.code(), Some(9));
    assert_eq!(gw.inspect().logins().len(), 1, "never tried twice");
    // After --reset-budget (a human logged in by hand), the right password logs in.
    let reset = ibkr(
        ["gateway", "login", "--dir", &install, "--reset-budget"]
            .map(String::from)
            .to_vec(),
    )
    .await;
    assert!(reset.status.success(), "{reset:?}");
    let right = ibkr(login(creds("right.toml", "right-pw"))).await;
    let stdout = String::from_utf8_lossy(&right.stdout);
    assert!(right.status.success(), "{right:?}");
    assert!(stdout.starts_with("logged in (Browser)"), "{stdout}");
    println!("{test}: {stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_named_with_the_fix() {
    let other = ibkr_sim::Gateway::builder().start().await.unwrap();
    let gw = ibkr_sim::Gateway::builder().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("other.pem");
    std::fs::write(&pem, other.cert_pem().unwrap()).unwrap();
    let out = ibkr(vec![
        "--ca-cert".into(),
        pem.display().to_string(),
        "--gateway".into(),
        gw.base_url().to_string(),
        "status".into(),
    ])
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("certificate is not trusted") && stderr.contains("--ca-cert"),
        "{stderr}"
    );
}
