//! Launching the JVM ourselves, the same way on every OS: no `bash`, no `run.sh`.
//!
//! - The working directory is the gateway folder (the gateway writes `logs/` and `.vertx/`
//!   there, and serves `/demo` from a cwd-relative `root/webapps`).
//! - The classpath is our conf folder first, then `root` (for `logback.xml` and
//!   `vertx.jks`), the jar and `build/lib/runtime/*`, with the OS's separator.
//! - `--conf ibkr.yaml` names a classpath resource, not a path: the gateway reads it with
//!   `ClassLoader.getSystemResourceAsStream`, so our folder first on the classpath wins.
//!
//! The gateway does not exit when it cannot serve, so start-up is watched: a busy port
//! (checked before launch and in its output), a banner with nothing listening (a keystore
//! password that does not open the keystore), a JVM that exits, or one that never answers
//! within the deadline. Each stops the JVM and says which.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::conf::{AllowPattern, ManagedConf};
use crate::error::{GatewayError, Result, io};
use crate::install::{GATEWAY_JAR, Installation, MAIN_CLASS};
use crate::paths;
use crate::probe::{self, Local};
use crate::process::{self, PidFile};

/// How long start-up may take before the JVM is declared stuck (it answers in about 1.2 s).
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long after its banner the JVM may take to listen.
const BANNER_GRACE: Duration = Duration::from_secs(10);

/// What the gateway prints when its port is taken (and then keeps running).
const LISTEN_FAILED: &str = "Server listen failed";

/// What it prints once configured, whether or not it could listen.
const BANNER: &str = "to login";

/// How to launch the gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchConfig {
    /// The port (`listenPort`), unless `conf` gives one.
    pub port: u16,
    /// Extra allow-list entries (127.0.0.1 is always allowed).
    pub allow: Vec<AllowPattern>,
    /// Deny-list entries.
    pub deny: Vec<AllowPattern>,
    /// A `conf.yaml` of the user's, validated and used instead of the managed one.
    pub conf: Option<PathBuf>,
    /// How long start-up may take.
    pub ready_timeout: Duration,
}

impl LaunchConfig {
    /// Port `port`, allow 127.0.0.1 only.
    pub fn new(port: u16) -> Self {
        Self {
            port,
            allow: Vec::new(),
            deny: Vec::new(),
            conf: None,
            ready_timeout: READY_TIMEOUT,
        }
    }

    /// Allow one more pattern.
    pub fn allow(mut self, pattern: AllowPattern) -> Self {
        self.allow.push(pattern);
        self
    }

    /// Use the user's `conf.yaml` (validated).
    pub fn conf(mut self, file: impl Into<PathBuf>) -> Self {
        self.conf = Some(file.into());
        self
    }

    /// The port the gateway will listen on: `--conf`'s `listenPort`, else [`Self::port`].
    pub fn effective_port(&self) -> Result<u16> {
        match &self.conf {
            Some(file) => Ok(ManagedConf::from_user_file(file)?.port),
            None => Ok(self.port),
        }
    }

    /// Write the configuration into the install's conf folder; returns what it says.
    pub fn write_conf(&self, install: &Installation) -> Result<ManagedConf> {
        let dir = paths::conf_dir(install.dir());
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let target = dir.join(paths::CONF_NAME);
        let (conf, text) = match &self.conf {
            Some(file) => {
                let conf = ManagedConf::from_user_file(file)?;
                let text = std::fs::read_to_string(file).map_err(io(file))?;
                (conf, text)
            }
            None => {
                let mut conf = ManagedConf::new(self.port);
                conf.allow = self.allow.clone();
                conf.deny = self.deny.clone();
                let text = conf.render();
                (conf, text)
            }
        };
        std::fs::write(&target, text).map_err(io(&target))?;
        Ok(conf)
    }
}

/// The JVM's command line for `install` (cwd, classpath, `--conf`).
pub fn command(java: &Path, install: &Installation) -> std::process::Command {
    let sep = if cfg!(windows) { ";" } else { ":" };
    let classpath = [
        paths::conf_dir(install.dir()).display().to_string(),
        "root".to_string(),
        format!("dist/{GATEWAY_JAR}"),
        "build/lib/runtime/*".to_string(),
    ]
    .join(sep);
    let mut cmd = std::process::Command::new(java);
    cmd.current_dir(install.dir()).args([
        "-server",
        "-Dvertx.disableDnsResolver=true",
        "-Djava.net.preferIPv4Stack=true",
        "-Dvertx.logger-delegate-factory-class-name=io.vertx.core.logging.SLF4JLogDelegateFactory",
        "-cp",
        &classpath,
        MAIN_CLASS,
        "--conf",
        paths::CONF_NAME,
    ]);
    cmd
}

/// A gateway that answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Running {
    /// Java's PID.
    pub pid: u32,
    /// Its port.
    pub port: u16,
    /// Whether it was already running (start found it, and did not start another).
    pub already: bool,
}

impl Running {
    /// Where the user logs in: `https://localhost:PORT`.
    pub fn login_url(&self) -> String {
        probe::root_url(self.port)
    }
}

/// What [`prepare`] found.
pub(crate) enum Prepared {
    /// A gateway of this install already runs (its configuration was left as it is).
    Running(Running),
    /// The configuration is written and its port is free: launch.
    Launch(ManagedConf),
}

/// Check what must hold before launching, for `start` and `run` alike: no gateway of this
/// install running (checked before its configuration is rewritten), then the configuration
/// written, then its port free.
pub(crate) fn prepare(install: &Installation, config: &LaunchConfig) -> Result<Prepared> {
    if let Some(pid) = PidFile::live(install.dir()) {
        return Ok(Prepared::Running(Running {
            pid: pid.pid,
            port: pid.port,
            already: true,
        }));
    }
    PidFile::remove(install.dir());
    let conf = config.write_conf(install)?;
    if process::port_busy(conf.port) {
        return Err(process::busy(conf.port));
    }
    Ok(Prepared::Launch(conf))
}

/// Start the gateway detached: it keeps running after this process exits, its output goes
/// to `ibkr/gateway.log` and its PID to `ibkr/gateway.pid`. Returns once it is ready (or
/// reports the one already running from this install).
pub async fn start_detached(install: &Installation, config: &LaunchConfig) -> Result<Running> {
    let conf = match prepare(install, config)? {
        Prepared::Running(running) => return Ok(running),
        Prepared::Launch(conf) => conf,
    };
    let java = crate::java::find()?;
    let log = paths::log_file(install.dir());
    let out = std::fs::File::create(&log).map_err(io(&log))?;
    let err = out.try_clone().map_err(io(&log))?;
    let mut cmd = command(&java.path, install);
    cmd.stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group: a Ctrl-C in the terminal that started it does not stop it.
        cmd.process_group(0);
    }
    let mut child = cmd.spawn().map_err(io(&java.path))?;
    let pid = child.id();
    let exited = move || child.try_wait().ok().flatten().map(|s| s.to_string());
    let outcome = wait_ready(conf.port, config.ready_timeout, exited, || {
        std::fs::read_to_string(&log).unwrap_or_default()
    })
    .await;
    match outcome {
        Ok(()) => {
            PidFile {
                pid,
                port: conf.port,
                started: chrono::Utc::now().to_rfc3339(),
            }
            .write(install.dir())?;
            Ok(Running {
                pid,
                port: conf.port,
                already: false,
            })
        }
        Err(e) => {
            process::terminate(pid, Duration::from_secs(5)).await;
            Err(e)
        }
    }
}

/// Wait until the gateway at `port` is ready: `GET /` answers a redirect over TLS.
/// `exited` says whether (and how) the JVM exited; `output` is what it printed so far.
pub async fn wait_ready(
    port: u16,
    deadline: Duration,
    mut exited: impl FnMut() -> Option<String>,
    output: impl Fn() -> String,
) -> Result<()> {
    let start = tokio::time::Instant::now();
    let mut banner_at = None;
    loop {
        let printed = output();
        if let Some(status) = exited() {
            return Err(GatewayError::Exited {
                status,
                tail: last_lines(&printed, 15),
            });
        }
        if printed.contains(LISTEN_FAILED) {
            return Err(process::busy(port));
        }
        match probe::local(port).await {
            Local::Ready => return Ok(()),
            Local::Refused => {
                return Err(GatewayError::NeverReady(format!(
                    "the gateway on port {port} refuses 127.0.0.1 (its allow-list): the configuration must allow 127.0.0.1"
                )));
            }
            Local::Unexpected { status } => {
                return Err(GatewayError::NeverReady(format!(
                    "port {port} answers HTTP {status} to GET /, not the gateway's redirect to its login page: is another server on this port?"
                )));
            }
            Local::Down { .. } => {}
        }
        if banner_at.is_none() && printed.contains(BANNER) {
            banner_at = Some(tokio::time::Instant::now());
        }
        if let Some(at) = banner_at
            && at.elapsed() > BANNER_GRACE
        {
            return Err(GatewayError::NeverReady(format!(
                "the gateway printed its banner but nothing answers TLS on port {port} {} s later. \
                 A keystore password (sslPwd) that does not open the keystore (sslCert) does this; check both in the conf",
                BANNER_GRACE.as_secs()
            )));
        }
        if start.elapsed() > deadline {
            return Err(GatewayError::NeverReady(format!(
                "the gateway's JVM did not answer on port {port} within {} s; its last output:\n{}",
                deadline.as_secs(),
                last_lines(&printed, 15)
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Stop the detached gateway of `install`: SIGTERM to java, SIGKILL after `grace`.
pub async fn stop(install: &Installation, grace: Duration) -> Result<PidFile> {
    let Some(pid) = PidFile::live(install.dir()) else {
        PidFile::remove(install.dir());
        return Err(GatewayError::NotRunning(install.dir().to_path_buf()));
    };
    process::terminate(pid.pid, grace).await;
    PidFile::remove(install.dir());
    Ok(pid)
}
