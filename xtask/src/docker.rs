//! `cargo xtask docker-test`: build docker/Dockerfile with podman and run it with IBKR's real
//! gateway inside, then check from the host:
//!
//! - `/livez` answers 200 and `/readyz` 503 (offline: nobody is logged in), and the image's
//!   HEALTHCHECK passes;
//! - a client from 127.0.0.2 gets the allow-list error (exit 7), while one from 127.0.0.1 is let
//!   through to the gateway (and told IBKR is unreachable, exit 8);
//! - `podman stop` stops the JVM: the container exits 0 within the grace period and its java
//!   process is gone.
//!
//! Podman on this kind of machine needs the `runc` runtime, a containers.conf without default
//! ulimits (`CONTAINERS_CONF`) and host networking. No registry serves images, so the base
//! image is made here: `debootstrap --variant=minbase bookworm` with openjdk-17-jre-headless,
//! imported as [`BASE_IMAGE`] and kept (later runs reuse it). The image is built from the debug
//! `ibkr` that `cargo test` built; users build with a release binary (docker/README.md).
//!
//! Without podman, runc, debootstrap (for a missing base image) or the fetched gateway it prints
//! `docker-test: skipped: <reason>` and succeeds, so CI can call it unconditionally.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

// The same file the tests and `gateway-fetch` use, so the three agree on where the gateway is.
// (gateway_fetch.rs includes it too, privately: hence the duplicate.)
#[path = "../../gateway/src/fetch.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod fetch;

/// The base image the test builds from (passed as the Dockerfile's `BASE`). Bump the tag when
/// the package list changes, so a cached image of the old list is not reused.
pub const BASE_IMAGE: &str = "localhost/ibkr-base:bookworm-jre17-v1";
/// Packages on top of debootstrap's minbase.
const BASE_PACKAGES: &str = "openjdk-17-jre-headless";
const MIRROR: &str = "http://deb.debian.org/debian";
const IMAGE: &str = "localhost/ibkr-gateway:docker-test";
/// An extra allow pattern the test passes, as compose would (`IBKR_GATEWAY_ALLOW`); it must
/// not admit 127.0.0.2.
const EXTRA_ALLOW: &str = "172.28.*";
/// The managed conf.yaml `ibkr gateway run` writes in the image's install (gateway/src/paths.rs).
const MANAGED_CONF: &str = "/opt/ibkr/gateway/ibkr/conf/ibkr.yaml";
/// The gateway's certificate, exported by the Dockerfile for clients that pin it.
const CERT_PEM: &str = "/opt/ibkr/gateway-cert.pem";
/// `podman stop`'s grace period before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(20);

pub fn run(root: &Path) -> Result<()> {
    let started = Instant::now();
    let work = target_dir(root).join("docker-test");
    std::fs::create_dir_all(&work)?;

    if let Some(reason) = missing_tools() {
        println!("docker-test: skipped: {reason}");
        return Ok(());
    }
    let gateway = match gateway_dir()? {
        Ok(dir) => dir,
        Err(reason) => {
            println!("docker-test: skipped: {reason}");
            return Ok(());
        }
    };
    let podman = Podman::new(&work)?;
    if !podman.image_exists(BASE_IMAGE) && which("debootstrap").is_none() {
        println!(
            "docker-test: skipped: the base image {BASE_IMAGE} is not built and debootstrap is \
             not installed (apt-get install debootstrap)"
        );
        return Ok(());
    }

    let ibkr = step("the ibkr binary (cargo build -p ibkr-cli)", || {
        ibkr_binary(root)
    })?;
    step(&format!("base image {BASE_IMAGE}"), || {
        base_image(&podman, &work)
    })?;
    let context = step("build context", || stage_context(&work, &ibkr, &gateway))?;
    step(&format!("podman build {IMAGE}"), || {
        podman.build(root, &context)
    })?;

    let port = free_port()?;
    let health = free_port()?;
    let name = format!("ibkr-docker-test-{}", std::process::id());
    let container = Container {
        podman: &podman,
        name: name.clone(),
    };
    step(
        &format!("podman run {name} (gateway :{port}, health :{health})"),
        || container.start(port, health),
    )?;
    let result = checks(&container, &ibkr, port, health);
    if result.is_err() {
        container.dump_logs();
    }
    drop(container);
    // The base image stays (it is the slow part); the test image is rebuilt in seconds.
    if podman.remove_image(IMAGE) {
        println!("docker-test: removed the image {IMAGE}");
    }
    result?;
    println!(
        "docker-test: ok ({:.1} s in all)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn checks(c: &Container<'_>, ibkr: &Path, port: u16, health: u16) -> Result<()> {
    let health_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, health));
    step("GET /livez answers 200 (the JVM is up)", || {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if !c.running()? {
                bail!("the container exited before /livez answered 200");
            }
            let last = match http_get(health_addr, "/livez", Duration::from_secs(5)) {
                // 200 means the gateway answers locally; wait for the supervisor to say so too,
                // so that /readyz below reports the session and not a starting JVM.
                Ok((200, body)) if json_field(&body, "jvm").as_deref() == Some("up") => {
                    return Ok(format!("200 {body}"));
                }
                Ok((code, body)) => format!("{code} {body}"),
                Err(e) => format!("{e:#}"),
            };
            if Instant::now() > deadline {
                bail!("/livez did not answer 200 with jvm up within 90 s; last: {last}");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    })?;
    // The allowed client takes as long as /readyz (the SDK's unreachable verdict): start it now.
    let url = format!("https://127.0.0.1:{port}/v1/api");
    let allowed = Client::spawn(Command::new(ibkr).args(["--gateway", &url, "status"]))?;
    step("GET /readyz answers 503 (offline, not logged in)", || {
        // Readiness asks the gateway for the session; offline, that takes the SDK's
        // unreachable-upstream verdict (about 15 s).
        let (code, body) = http_get(health_addr, "/readyz", Duration::from_secs(45))?;
        if code != 503 {
            bail!("/readyz answered {code}, not 503: {body}");
        }
        if json_field(&body, "ready").as_deref() != Some("false") {
            bail!("/readyz's body does not say ready: false: {body}");
        }
        Ok(format!("503 {body}"))
    })?;
    step("the image's HEALTHCHECK (podman healthcheck run)", || {
        let out = c.podman.output(&["healthcheck", "run", &c.name])?;
        let text = out_text(&out);
        if !out.status.success() {
            bail!("unhealthy ({}): {text}", out.status);
        }
        Ok(if text.is_empty() {
            "healthy".to_string()
        } else {
            text
        })
    })?;
    step(
        "the managed conf's allow-list is 127.0.0.1 plus IBKR_GATEWAY_ALLOW",
        || {
            let out = c.podman.output(&["exec", &c.name, "cat", MANAGED_CONF])?;
            if !out.status.success() {
                bail!("cat {MANAGED_CONF}: {}", out_text(&out));
            }
            let conf: serde_norway::Value = serde_norway::from_slice(&out.stdout)
                .with_context(|| format!("{MANAGED_CONF} is not YAML"))?;
            let list = |key: &str| -> Vec<String> {
                conf.get("ips")
                    .and_then(|i| i.get(key))
                    .and_then(|l| l.as_sequence())
                    .map(|l| {
                        l.iter()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let (mut allow, deny) = (list("allow"), list("deny"));
            allow.sort();
            let mut want = vec!["127.0.0.1".to_string(), EXTRA_ALLOW.to_string()];
            want.sort();
            if allow != want {
                bail!("ips.allow is {allow:?}, not {want:?}");
            }
            if deny.is_empty() {
                bail!("ips.deny is empty: the gateway fails open without a deny entry");
            }
            Ok(format!("allow {allow:?}, deny {deny:?}"))
        },
    )?;
    let url = format!("https://127.0.0.1:{port}/v1/api");
    step(
        "a client from 127.0.0.2 gets the allow-list error (exit 7)",
        || {
            let (status, text) = run_bounded(
                Command::new(ibkr).args([
                    "--local-address",
                    "127.0.0.2",
                    "--gateway",
                    &url,
                    "status",
                ]),
                Duration::from_secs(30),
            )?;
            if status.code() != Some(7) {
                bail!("exit {status}, not 7: {text}");
            }
            Ok(format!("exit 7: {text}"))
        },
    )?;
    step(
        "a client from 127.0.0.1 (started before /readyz) is allowed: IBKR unreachable, exit 8",
        || {
            let (status, text) = allowed.finish(Duration::from_secs(45))?;
            if status.code() != Some(8) {
                bail!("exit {status}, not 8: {text}");
            }
            Ok(format!("exit 8: {text}"))
        },
    )?;
    step(
        "the image exports the gateway's certificate for clients to pin",
        || {
            let out = c.podman.output(&["exec", &c.name, "cat", CERT_PEM])?;
            let pem = String::from_utf8_lossy(&out.stdout).to_string();
            if !out.status.success() || !pem.starts_with("-----BEGIN CERTIFICATE-----") {
                bail!("{CERT_PEM} is not a PEM certificate: {}", out_text(&out));
            }
            let copy = c.podman.work.join("gateway-cert.pem");
            std::fs::write(&copy, &pem)?;
            Ok(format!("{CERT_PEM} (copied to {})", copy.display()))
        },
    )?;
    let java = step("the JVM inside the container", || {
        let pids = c.java_pids()?;
        if pids.is_empty() {
            bail!("no java process with GatewayStart in the container (podman top)");
        }
        let listed = pgrep_gateway()?;
        if !pids.iter().all(|p| listed.contains(p)) {
            bail!("podman top lists java {pids:?}, pgrep -f GatewayStart lists {listed:?}");
        }
        Ok(pids)
    })?;
    step("podman stop stops the JVM", || {
        let t = Instant::now();
        let grace = STOP_GRACE.as_secs().to_string();
        let out = c.podman.output(&["stop", "-t", &grace, &c.name])?;
        if !out.status.success() {
            bail!("podman stop failed: {}", out_text(&out));
        }
        let took = t.elapsed();
        let code = c.inspect("{{.State.ExitCode}}")?;
        let left: Vec<u32> = java
            .iter()
            .copied()
            .filter(|p| Path::new(&format!("/proc/{p}")).exists())
            .collect();
        let still = pgrep_gateway()?;
        let still: Vec<u32> = java.iter().copied().filter(|p| still.contains(p)).collect();
        if !left.is_empty() || !still.is_empty() {
            bail!("java {left:?} still running after podman stop (pgrep: {still:?})");
        }
        if took >= STOP_GRACE {
            bail!(
                "stop took {:.1} s: SIGTERM was not enough, podman killed it",
                took.as_secs_f64()
            );
        }
        if code != "0" {
            bail!("the container exited {code}, not 0, on SIGTERM");
        }
        Ok(format!(
            "exit 0 after {:.1} s; java {java:?} gone",
            took.as_secs_f64()
        ))
    })?;
    Ok(())
}

/// Run `f`, print its name, outcome and time.
fn step<T: StepNote>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    print!("docker-test: {name} ... ");
    let _ = std::io::stdout().flush();
    let t = Instant::now();
    let r = f();
    let secs = t.elapsed().as_secs_f64();
    match &r {
        Ok(v) => {
            let note = v.note();
            if note.is_empty() {
                println!("ok ({secs:.1} s)");
            } else {
                println!("ok ({secs:.1} s): {note}");
            }
        }
        Err(e) => println!("FAILED ({secs:.1} s): {e:#}"),
    }
    r.with_context(|| format!("docker-test: {name}"))
}

trait StepNote {
    fn note(&self) -> String;
}
impl StepNote for () {
    fn note(&self) -> String {
        String::new()
    }
}
impl StepNote for String {
    fn note(&self) -> String {
        self.clone()
    }
}
impl StepNote for PathBuf {
    fn note(&self) -> String {
        self.display().to_string()
    }
}
impl StepNote for Vec<u32> {
    fn note(&self) -> String {
        format!("java pid {self:?}")
    }
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

fn missing_tools() -> Option<String> {
    if which("podman").is_none() {
        return Some("podman is not installed (apt-get install podman runc debootstrap)".into());
    }
    if which("runc").is_none() {
        return Some("runc is not installed (apt-get install runc)".into());
    }
    None
}

/// The gateway folder `cargo xtask gateway-fetch` put in the cache;
/// `IBKR_DOCKER_TEST_GATEWAY` overrides it (a folder or a zip). `Ok(Err(reason))`: there is
/// none, so the test is skipped; an override that names nothing is an error.
fn gateway_dir() -> Result<std::result::Result<PathBuf, String>> {
    if let Some(p) = std::env::var_os("IBKR_DOCKER_TEST_GATEWAY") {
        let p = PathBuf::from(p);
        if !p.exists() {
            bail!("IBKR_DOCKER_TEST_GATEWAY={} does not exist", p.display());
        }
        return Ok(Ok(p));
    }
    Ok(if fetch::is_fetched() {
        Ok(fetch::gateway_dir())
    } else {
        Err(format!(
            "no fetched gateway at {} (run `cargo xtask gateway-fetch`)",
            fetch::gateway_dir().display()
        ))
    })
}

/// Build (or find up to date) the debug `ibkr`, the one `cargo test` builds;
/// `IBKR_DOCKER_TEST_BIN` names another (a release build, say) instead.
fn ibkr_binary(root: &Path) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("IBKR_DOCKER_TEST_BIN") {
        let p = PathBuf::from(p);
        if !p.is_file() {
            bail!("IBKR_DOCKER_TEST_BIN={} is not a file", p.display());
        }
        return Ok(p);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--quiet", "-p", "ibkr-cli", "--bin", "ibkr"])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build -p ibkr-cli failed ({status})");
    }
    let bin = target_dir(root).join("debug/ibkr");
    if !bin.is_file() {
        bail!("{} is missing after cargo build", bin.display());
    }
    Ok(bin)
}

/// Make [`BASE_IMAGE`] unless it exists: debootstrap a minimal bookworm with the JRE, strip
/// apt's caches, import it.
fn base_image(podman: &Podman, work: &Path) -> Result<String> {
    if podman.image_exists(BASE_IMAGE) {
        return Ok("cached".into());
    }
    let rootfs = work.join("rootfs");
    if rootfs.exists() {
        std::fs::remove_dir_all(&rootfs)
            .with_context(|| format!("removing the stale {}", rootfs.display()))?;
    }
    let t = Instant::now();
    let log = work.join("debootstrap.log");
    let log_file = std::fs::File::create(&log)?;
    let mut child = Command::new(which("debootstrap").context("debootstrap")?)
        .args([
            "--variant=minbase",
            &format!("--include={BASE_PACKAGES}"),
            "bookworm",
        ])
        .arg(&rootfs)
        .arg(MIRROR)
        .stdout(log_file.try_clone()?)
        .stderr(log_file)
        .spawn()
        .context("starting debootstrap")?;
    let status = wait_bounded(&mut child, Duration::from_secs(900))
        .context("debootstrap (log: target/docker-test/debootstrap.log)")?;
    if !status.success() {
        let tail = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(15).collect();
        bail!(
            "debootstrap failed ({status}); {}:\n{}",
            log.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    let debootstrap_secs = t.elapsed().as_secs_f64();
    for dir in ["var/cache/apt/archives", "var/lib/apt/lists"] {
        let d = rootfs.join(dir);
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_file() {
                std::fs::remove_file(&p)?;
            }
        }
    }
    let t = Instant::now();
    let mut tar = Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .spawn()
        .context("starting tar")?;
    let tar_out = tar.stdout.take().context("tar's stdout")?;
    let import = podman
        .command()
        .args(["import", "--change", "CMD [\"bash\"]", "-", BASE_IMAGE])
        .stdin(tar_out)
        .output()
        .context("podman import")?;
    let tar_status = tar.wait()?;
    if !tar_status.success() || !import.status.success() {
        bail!(
            "tar ({tar_status}) | podman import ({}): {}",
            import.status,
            out_text(&import)
        );
    }
    std::fs::remove_dir_all(&rootfs).ok();
    Ok(format!(
        "built: debootstrap {debootstrap_secs:.1} s, import {:.1} s",
        t.elapsed().as_secs_f64()
    ))
}

/// The build context: `ibkr` and the gateway, under the names the Dockerfile copies.
fn stage_context(work: &Path, ibkr: &Path, gateway: &Path) -> Result<PathBuf> {
    let ctx = work.join("context");
    if ctx.exists() {
        std::fs::remove_dir_all(&ctx)?;
    }
    std::fs::create_dir_all(&ctx)?;
    link_or_copy(ibkr, &ctx.join("ibkr"))?;
    let name = gateway_arg(gateway);
    let dest = ctx.join(&name);
    if gateway.is_dir() {
        copy_tree(gateway, &dest)?;
    } else {
        link_or_copy(gateway, &dest)?;
    }
    Ok(ctx)
}

/// The name the gateway has in the build context (the Dockerfile's `GATEWAY` argument).
fn gateway_arg(gateway: &Path) -> String {
    if gateway.is_dir() {
        "clientportal.gw".into()
    } else {
        "clientportal.gw.zip".into()
    }
}

fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to)
            .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else {
            std::fs::copy(&src, &dst).with_context(|| format!("copying {}", src.display()))?;
        }
    }
    Ok(())
}

/// A port nobody listens on, on any address (host networking: the gateway binds 0.0.0.0).
fn free_port() -> Result<u16> {
    let l = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

/// A plain-HTTP GET with a bound on each of connect, write and read; the status code and the
/// body.
fn http_get(addr: SocketAddr, path: &str, bound: Duration) -> Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, bound)?;
    s.set_read_timeout(Some(bound))?;
    s.set_write_timeout(Some(bound))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("not an HTTP answer: {head:?}"))?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Ok((code, body.trim().to_string()))
}

/// A top-level field of a JSON object, as text (`None` when absent or not JSON).
fn json_field(body: &str, key: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    match v.get(key)? {
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Run a command to its end, killing it after `bound`; its status and its output, trimmed.
fn run_bounded(cmd: &mut Command, bound: Duration) -> Result<(ExitStatus, String)> {
    Client::spawn(cmd)?.finish(bound)
}

/// A client started now and awaited later (the slow checks overlap); killed if dropped.
struct Client {
    child: Option<Child>,
    started: Instant,
}

impl Client {
    fn spawn(cmd: &mut Command) -> Result<Client> {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting the client")?;
        Ok(Client {
            child: Some(child),
            started: Instant::now(),
        })
    }

    /// Wait until `bound` after its start; its status and its output, trimmed.
    fn finish(mut self, bound: Duration) -> Result<(ExitStatus, String)> {
        let mut child = self
            .child
            .take()
            .context("the client was already awaited")?;
        let left = bound.saturating_sub(self.started.elapsed());
        let status = wait_bounded(&mut child, left)?;
        let mut text = String::new();
        if let Some(mut o) = child.stdout.take() {
            o.read_to_string(&mut text).ok();
        }
        if let Some(mut e) = child.stderr.take() {
            e.read_to_string(&mut text).ok();
        }
        let mut text = text.trim().replace('\n', " | ");
        let _ = write!(text, " [{:.1} s]", self.started.elapsed().as_secs_f64());
        Ok((status, text))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

/// Wait for a child at most `bound`; kill it when the bound passes.
fn wait_bounded(child: &mut Child, bound: Duration) -> Result<ExitStatus> {
    let deadline = Instant::now() + bound;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            bail!("still running after {} s, killed", bound.as_secs());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Host PIDs of the processes whose command line names the gateway's main class.
fn pgrep_gateway() -> Result<Vec<u32>> {
    let out = Command::new("pgrep")
        .args(["-f", "clientportal.gw.GatewayStart"])
        .output()
        .context("pgrep")?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect())
}

fn out_text(out: &Output) -> String {
    let mut s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let err = String::from_utf8_lossy(&out.stderr);
    if !err.trim().is_empty() {
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(err.trim());
    }
    s
}

/// podman with what it needs here: runc, and a containers.conf without default ulimits.
struct Podman {
    conf: PathBuf,
    /// target/docker-test: scratch files.
    work: PathBuf,
}

impl Podman {
    fn new(work: &Path) -> Result<Self> {
        let conf = work.join("containers.conf");
        std::fs::write(&conf, "[containers]\ndefault_ulimits = []\n")?;
        Ok(Podman {
            conf,
            work: work.to_path_buf(),
        })
    }

    fn command(&self) -> Command {
        let mut c = Command::new("podman");
        c.env("CONTAINERS_CONF", &self.conf)
            .args(["--runtime", "runc"]);
        c
    }

    fn output(&self, args: &[&str]) -> Result<Output> {
        // Every podman call here is short; `run_bounded`'s kind of bound would hide its output.
        self.command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("podman {}", args.join(" ")))
    }

    /// `podman rmi`, best effort: whether it removed the image.
    fn remove_image(&self, image: &str) -> bool {
        self.output(&["rmi", image])
            .is_ok_and(|o| o.status.success())
    }

    fn image_exists(&self, image: &str) -> bool {
        self.output(&["image", "exists", image])
            .is_ok_and(|o| o.status.success())
    }

    fn build(&self, root: &Path, context: &Path) -> Result<String> {
        // A previous run that did not get to clean up left its image; retagging would leave
        // it dangling. (Refused, harmlessly, while a container uses it.)
        self.remove_image(IMAGE);
        let gateway = if context.join("clientportal.gw").is_dir() {
            "GATEWAY=clientportal.gw"
        } else {
            "GATEWAY=clientportal.gw.zip"
        };
        let dockerfile = root.join("docker/Dockerfile");
        let log = context.parent().unwrap_or(context).join("podman-build.log");
        let log_file = std::fs::File::create(&log)?;
        let mut child = self
            .command()
            .args([
                "build",
                "--pull=never",
                "--network=host",
                // No cached intermediate images (the install stage's would stay behind, about
                // 100 MB a run); the steps after the base take seconds.
                "--layers=false",
                // HEALTHCHECK is kept only in the docker format (OCI images have no field).
                "--format=docker",
                "--build-arg",
                &format!("BASE={BASE_IMAGE}"),
                "--build-arg",
                gateway,
                "--tag",
                IMAGE,
                "--file",
            ])
            .arg(&dockerfile)
            .arg(context)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .context("starting podman build")?;
        let status = wait_bounded(&mut child, Duration::from_secs(600))?;
        if !status.success() {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(25).collect();
            bail!(
                "podman build failed ({status}); {}:\n{}",
                log.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        Ok(format!("log: {}", log.display()))
    }
}

/// The running container; removed (`podman rm -f`) when dropped, on success or failure.
struct Container<'a> {
    podman: &'a Podman,
    name: String,
}

impl Container<'_> {
    /// `podman run` with the image's own entrypoint, its ports moved off 5000/5050 (host
    /// networking shares the host's ports with everything else running here).
    fn start(&self, port: u16, health: u16) -> Result<String> {
        let out = self.podman.output(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Entrypoint}}",
            IMAGE,
        ])?;
        if !out.status.success() {
            bail!("podman image inspect: {}", out_text(&out));
        }
        let entrypoint: Vec<String> = serde_json::from_slice(&out.stdout)
            .context("the image's entrypoint is not a JSON list")?;
        let at = entrypoint
            .iter()
            .position(|a| a == "--health")
            .context("the image's entrypoint has no --health")?;
        let mut args = entrypoint.clone();
        args[at + 1] = format!("127.0.0.1:{health}");
        args.extend(["--port".to_string(), port.to_string()]);
        let entry_json = serde_json::to_string(&args)?;
        let health_env = format!("IBKR_HEALTH_PORT={health}");
        let allow_env = format!("IBKR_GATEWAY_ALLOW={EXTRA_ALLOW}");
        let out = self.podman.output(&[
            "run",
            "--detach",
            "--name",
            &self.name,
            "--network=host",
            "--env",
            &allow_env,
            "--env",
            &health_env,
            "--entrypoint",
            &entry_json,
            IMAGE,
        ])?;
        if !out.status.success() {
            bail!("podman run failed: {}", out_text(&out));
        }
        Ok(args.join(" "))
    }

    fn running(&self) -> Result<bool> {
        Ok(self.inspect("{{.State.Running}}")? == "true")
    }

    fn inspect(&self, format: &str) -> Result<String> {
        let out = self
            .podman
            .output(&["container", "inspect", "--format", format, &self.name])?;
        if !out.status.success() {
            bail!("podman container inspect: {}", out_text(&out));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Host PIDs of the container's java processes running the gateway.
    fn java_pids(&self) -> Result<Vec<u32>> {
        let out = self.podman.output(&["top", &self.name, "hpid", "args"])?;
        if !out.status.success() {
            bail!("podman top: {}", out_text(&out));
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .skip(1)
            .filter(|l| l.contains("GatewayStart"))
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect())
    }

    fn dump_logs(&self) {
        if let Ok(out) = self.podman.output(&["logs", "--tail", "40", &self.name]) {
            println!("docker-test: the container's last log lines:");
            for line in out_text(&out).lines() {
                println!("  | {line}");
            }
        }
    }
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        match self
            .podman
            .output(&["rm", "--force", "--time", "5", &self.name])
        {
            Ok(o) if o.status.success() => println!("docker-test: removed {}", self.name),
            Ok(o) => println!(
                "docker-test: podman rm {} failed: {}",
                self.name,
                out_text(&o)
            ),
            Err(e) => println!("docker-test: podman rm {} failed: {e:#}", self.name),
        }
    }
}
