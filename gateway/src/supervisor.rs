//! `ibkr gateway run`: the gateway in the foreground, for containers and services.
//!
//! - The JVM is restarted only when it exits, with backoff (2, 4, 8 ... 60 s), and at most
//!   [`RunConfig::max_restarts_per_hour`] times an hour; then `run` gives up with an error.
//! - Nothing upstream ever restarts it: IBKR unreachable, logged out or a competing session
//!   leave the JVM alone (restarting cannot fix them, and restart loops that log in again
//!   are what locks accounts for 24 h).
//! - The shutdown future (SIGTERM or SIGINT in the CLI) stops the JVM and `run` returns
//!   `Ok`.
//! - `--health ADDR` serves `GET /livez` (200 while the JVM answers locally) and
//!   `GET /readyz` (200 when logged in with a brokerage session of our own, else 503), each
//!   with a small JSON body that says why.
//!
//! **Ownership.** The run loop owns the JVM (its `Child`). The health server reads a
//! [`Health`] that only the loop and the login watcher write: the JVM's state and the
//! reason a login will not be attempted. No lock is held across an await.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::error::{GatewayError, Result, io};
use crate::install::Installation;
use crate::launch::{self, LaunchConfig};
use crate::probe::{self, Local, Session};

/// How `run` behaves.
#[derive(Clone)]
pub struct RunConfig {
    /// The launch settings.
    pub launch: LaunchConfig,
    /// Where to serve `/livez` and `/readyz`.
    pub health: Option<SocketAddr>,
    /// How many JVM exits an hour are restarted (default 5).
    pub max_restarts_per_hour: u32,
    /// Print the login URL and wait this long for a browser login, then open the brokerage
    /// session.
    pub wait_login: Option<Duration>,
    /// Log in again (headless browser) whenever the session is gone: `run --login`.
    pub login: Option<crate::login::LoginConfig>,
    /// IBKR's nightly window for `login`.
    pub schedule: crate::login::Schedule,
}

impl std::fmt::Debug for RunConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunConfig")
            .field("launch", &self.launch)
            .field("health", &self.health)
            .field("max_restarts_per_hour", &self.max_restarts_per_hour)
            .field("wait_login", &self.wait_login)
            .field("login", &self.login.is_some())
            .finish()
    }
}

impl RunConfig {
    /// Defaults around `launch`.
    pub fn new(launch: LaunchConfig) -> Self {
        Self {
            launch,
            health: None,
            max_restarts_per_hour: 5,
            wait_login: None,
            login: None,
            schedule: crate::login::Schedule::default(),
        }
    }
}

/// The JVM's state, as the health server reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Jvm {
    /// Launched, not yet answering.
    Starting,
    /// Answering.
    Up,
    /// Exited; waiting to restart.
    Restarting,
    /// Stopped for good.
    Stopped,
}

/// What the health server reports; written by the run loop and the login watcher.
#[derive(Debug)]
pub struct Health {
    port: u16,
    jvm: Mutex<Jvm>,
    /// Why no login will be attempted (a spent login budget), shown by `/readyz`.
    hold: Mutex<Option<String>>,
    /// The last session probe, reused for a moment (`/tickle` is limited to 1/s).
    last: tokio::sync::Mutex<Option<(tokio::time::Instant, Session)>>,
}

impl Health {
    /// The health of the gateway on `port`.
    pub fn new(port: u16) -> Arc<Health> {
        Arc::new(Health {
            port,
            jvm: Mutex::new(Jvm::Starting),
            hold: Mutex::new(None),
            last: tokio::sync::Mutex::new(None),
        })
    }

    fn set_jvm(&self, state: Jvm) {
        if let Ok(mut j) = self.jvm.lock() {
            *j = state;
        }
    }

    fn jvm(&self) -> Jvm {
        self.jvm.lock().map(|j| *j).unwrap_or(Jvm::Stopped)
    }

    /// Say why no login will be attempted (`None` to clear); `/readyz` reports it.
    pub fn hold(&self, reason: Option<String>) {
        if let Ok(mut h) = self.hold.lock() {
            *h = reason;
        }
    }

    /// Why no login will be attempted, as `/readyz` reports it.
    pub fn hold_reason(&self) -> Option<String> {
        self.hold.lock().ok().and_then(|h| h.clone())
    }

    /// `/livez`: the JVM answers locally.
    pub async fn live(&self) -> (bool, serde_json::Value) {
        let jvm = self.jvm();
        match probe::local(self.port).await {
            Local::Ready => (true, json!({"live": true, "jvm": jvm, "port": self.port})),
            other => (
                false,
                json!({"live": false, "jvm": jvm, "port": self.port, "why": other}),
            ),
        }
    }

    /// `/readyz`: logged in with a brokerage session of our own.
    pub async fn ready(&self) -> (bool, serde_json::Value) {
        if self.jvm() != Jvm::Up {
            return (
                false,
                json!({"ready": false, "why": format!("the JVM is {:?}", self.jvm()).to_lowercase()}),
            );
        }
        let session = {
            let mut last = self.last.lock().await;
            match &*last {
                Some((at, s)) if at.elapsed() < Duration::from_secs(2) => s.clone(),
                _ => {
                    let s = match probe::sdk(self.port, None) {
                        Ok(ibkr) => probe::session(&ibkr).await,
                        Err(e) => Session::Error {
                            message: e.to_string(),
                        },
                    };
                    *last = Some((tokio::time::Instant::now(), s.clone()));
                    s
                }
            }
        };
        let why = match (session.why_not_ready(), self.hold_reason()) {
            (None, _) => None,
            (Some(w), Some(h)) => Some(format!("{w}; {h}")),
            (Some(w), None) => Some(w),
        };
        (
            why.is_none(),
            json!({"ready": why.is_none(), "session": session, "why": why}),
        )
    }
}

/// Serve `/livez` and `/readyz` on `addr` until `health`'s owner stops; returns the bound
/// address.
pub async fn serve_health(
    addr: SocketAddr,
    health: Arc<Health>,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    use axum::http::StatusCode;
    use axum::routing::get;
    let status = |ok: bool| {
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    let live = health.clone();
    let ready = health;
    let app = axum::Router::new()
        .route(
            "/livez",
            get(move || {
                let h = live.clone();
                async move {
                    let (ok, body) = h.live().await;
                    (status(ok), axum::Json(body))
                }
            }),
        )
        .route(
            "/readyz",
            get(move || {
                let h = ready.clone();
                async move {
                    let (ok, body) = h.ready().await;
                    (status(ok), axum::Json(body))
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| GatewayError::Io {
            path: format!("health address {addr}").into(),
            source: e,
        })?;
    let bound = listener.local_addr().map_err(io("health listener"))?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((bound, task))
}

/// Events `run` reports as it goes (the CLI prints them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The health server listens here.
    Health(SocketAddr),
    /// The JVM was launched.
    Launched {
        /// Java's PID.
        pid: u32,
    },
    /// The gateway answers: log in here.
    Ready {
        /// The login URL.
        login_url: String,
        /// How long start-up took.
        took: Duration,
    },
    /// The JVM exited; it will be restarted after `after`.
    Exited {
        /// How it exited.
        status: String,
        /// The backoff.
        after: Duration,
    },
    /// A line the JVM printed.
    Output(String),
    /// The login completed and the brokerage session is open.
    LoggedIn,
    /// Waiting for the login: the session's state now.
    Waiting(Session),
    /// `--login`: what the login watcher did (logged in again, waits, or stopped for a
    /// human), in words.
    Login(String),
    /// Stopping on request.
    Stopping,
}

/// Run the gateway in the foreground until `shutdown` completes.
pub async fn run(
    install: &Installation,
    config: &RunConfig,
    shutdown: impl Future<Output = ()>,
    events: impl Fn(Event) + Send + Sync + Clone + 'static,
) -> Result<()> {
    let conf = match launch::prepare(install, &config.launch)? {
        launch::Prepared::Running(running) => {
            return Err(GatewayError::AlreadyRunning {
                dir: install.dir().to_path_buf(),
                pid: running.pid,
                port: running.port,
            });
        }
        launch::Prepared::Launch(conf) => conf,
    };
    let java = crate::java::find()?;
    let health = Health::new(conf.port);
    if let Some(addr) = config.health {
        let (bound, _task) = serve_health(addr, health.clone()).await?;
        events(Event::Health(bound));
    }
    tokio::pin!(shutdown);
    let mut exits = Restarts::new(config.max_restarts_per_hour);
    let mut waiter: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        health.set_jvm(Jvm::Starting);
        let started = tokio::time::Instant::now();
        let mut cmd = tokio::process::Command::from(launch::command(&java.path, install));
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(io(&java.path))?;
        let pid = child.id().unwrap_or(0);
        events(Event::Launched { pid });
        let output = Arc::new(Mutex::new(String::new()));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            let output = output.clone();
            let events = events.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Ok(mut o) = output.lock() {
                        // Keep the last 64 KiB for error messages.
                        if o.len() > 64 * 1024 {
                            let cut = o.len() - 32 * 1024;
                            let cut = (cut..o.len()).find(|i| o.is_char_boundary(*i)).unwrap_or(0);
                            o.drain(..cut);
                        }
                        o.push_str(&line);
                        o.push('\n');
                    }
                    events(Event::Output(line));
                }
            });
        }
        let printed = {
            let output = output.clone();
            move || output.lock().map(|o| o.clone()).unwrap_or_default()
        };
        let ready = {
            let exited = || child.try_wait().ok().flatten().map(|s| s.to_string());
            tokio::select! {
                r = launch::wait_ready(conf.port, config.launch.ready_timeout, exited, printed) => Some(r),
                () = &mut shutdown => None,
            }
        };
        let status = match ready {
            None => {
                events(Event::Stopping);
                stop_child(&mut child).await;
                health.set_jvm(Jvm::Stopped);
                return Ok(());
            }
            Some(Err(e)) if !exits.ever() => {
                // The first start failed: that is configuration, not a crash to retry.
                stop_child(&mut child).await;
                health.set_jvm(Jvm::Stopped);
                return Err(e);
            }
            Some(Err(e)) => {
                stop_child(&mut child).await;
                e.to_string()
            }
            Some(Ok(())) => {
                health.set_jvm(Jvm::Up);
                events(Event::Ready {
                    login_url: probe::root_url(conf.port),
                    took: started.elapsed(),
                });
                if let (Some(login), None) = (&config.login, &waiter) {
                    let relogin = crate::login::Relogin::new(login.clone(), config.schedule)
                        .map_err(|e| GatewayError::NeverReady(e.to_string()));
                    match relogin {
                        Ok(relogin) => {
                            let (health, events, port) =
                                (health.clone(), events.clone(), conf.port);
                            waiter = Some(tokio::spawn(async move {
                                watch_login(
                                    port,
                                    relogin,
                                    &health,
                                    LOGIN_POLL,
                                    chrono::Utc::now,
                                    &events,
                                )
                                .await;
                            }));
                        }
                        Err(e) => {
                            stop_child(&mut child).await;
                            health.set_jvm(Jvm::Stopped);
                            return Err(e);
                        }
                    }
                } else if let (Some(timeout), None) = (config.wait_login, &waiter) {
                    let events = events.clone();
                    let port = conf.port;
                    waiter = Some(tokio::spawn(async move {
                        if wait_for_login(port, timeout, None, &|s| events(Event::Waiting(s)))
                            .await
                            .is_ok()
                        {
                            events(Event::LoggedIn);
                        }
                    }));
                }
                tokio::select! {
                    s = child.wait() => s.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()),
                    () = &mut shutdown => {
                        events(Event::Stopping);
                        stop_child(&mut child).await;
                        health.set_jvm(Jvm::Stopped);
                        return Ok(());
                    }
                }
            }
        };
        health.set_jvm(Jvm::Restarting);
        let Some(after) = exits.record(tokio::time::Instant::now()) else {
            health.set_jvm(Jvm::Stopped);
            return Err(GatewayError::RestartBudget {
                restarts: exits.in_last_hour(),
                last: status,
            });
        };
        events(Event::Exited { status, after });
        tokio::select! {
            () = tokio::time::sleep(after) => {}
            () = &mut shutdown => {
                events(Event::Stopping);
                health.set_jvm(Jvm::Stopped);
                return Ok(());
            }
        }
    }
}

/// The JVM's exits of the last hour, and the backoff before the next start.
#[derive(Debug)]
pub struct Restarts {
    max_per_hour: u32,
    exits: Vec<tokio::time::Instant>,
    ever: bool,
}

impl Restarts {
    /// At most `max_per_hour` restarts in any hour.
    pub fn new(max_per_hour: u32) -> Self {
        Self {
            max_per_hour,
            exits: Vec::new(),
            ever: false,
        }
    }

    /// Note an exit at `now`: the backoff before restarting (2, 4, 8 ... 60 s, by the exits
    /// of the last hour), or `None` when the hour's budget is spent.
    pub fn record(&mut self, now: tokio::time::Instant) -> Option<Duration> {
        self.ever = true;
        self.exits
            .retain(|t| now.duration_since(*t) < Duration::from_secs(3600));
        self.exits.push(now);
        let n = self.in_last_hour();
        (n <= self.max_per_hour).then(|| Duration::from_secs((1u64 << n.min(6)).min(60)))
    }

    /// Exits within the last hour (as of the last [`record`](Self::record)).
    pub fn in_last_hour(&self) -> u32 {
        u32::try_from(self.exits.len()).unwrap_or(u32::MAX)
    }

    fn ever(&self) -> bool {
        self.ever
    }
}

/// How often `run --login` looks at the session (each look is a `/tickle`, which also keeps
/// the session alive).
pub const LOGIN_POLL: Duration = Duration::from_secs(60);

/// `run --login`'s watcher: look at the session every `poll`; when it is gone, ask
/// `relogin` (at most one attempt a call, never inside IBKR's nightly window, never past
/// the failure budget). While no login will be attempted, `/readyz` says why and `/livez`
/// stays 200, so nothing restarts the container into more attempts. Runs until dropped.
/// `now` is the wall clock (a parameter so tests can place themselves outside the nightly
/// window).
pub async fn watch_login(
    port: u16,
    mut relogin: crate::login::Relogin,
    health: &Health,
    poll: Duration,
    now: impl Fn() -> chrono::DateTime<chrono::Utc>,
    events: &(dyn Fn(Event) + Send + Sync),
) {
    use crate::login::ReloginDecision;
    let ibkr = match probe::sdk(port, None) {
        Ok(i) => i,
        Err(e) => {
            health.hold(Some(format!("no client for the login watcher: {e}")));
            return;
        }
    };
    loop {
        let session = probe::session(&ibkr).await;
        let lost = matches!(
            session,
            Session::Known {
                logged_in: false,
                ..
            } | Session::Known {
                authenticated: false,
                ..
            }
        );
        if session.ready() {
            relogin.on_session_ok();
            health.hold(None);
        } else if lost {
            let mut sleep = poll;
            match relogin.on_session_lost(now()).await {
                ReloginDecision::LoggedIn(report) => {
                    health.hold(None);
                    events(Event::Login(format!(
                        "logged in ({:?}) in {:.1} s",
                        report.method,
                        report.elapsed.as_secs_f64()
                    )));
                }
                ReloginDecision::Wait { until, reason } => {
                    health.hold(Some(reason.clone()));
                    events(Event::Login(format!("not logging in yet: {reason}")));
                    let wait = (until - now()).to_std().unwrap_or_default();
                    sleep = poll.min(wait.max(Duration::from_secs(1)));
                }
                ReloginDecision::Stopped { reason } => {
                    health.hold(Some(reason.clone()));
                    events(Event::Login(format!("no more automatic logins: {reason}")));
                }
            }
            tokio::time::sleep(sleep).await;
            continue;
        }
        // Unreachable, refused or an error: nothing a login could fix; look again later.
        tokio::time::sleep(poll).await;
    }
}

/// SIGTERM the JVM, wait for it (5 s), then kill it.
async fn stop_child(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id() {
        crate::process::terminate(pid, Duration::from_secs(5)).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    let _ = child.kill().await;
}

/// Poll the gateway on `port` until a browser login completes (within `timeout`), then
/// open the brokerage session. `status` hears each state that differs from the last.
pub async fn wait_for_login(
    port: u16,
    timeout: Duration,
    local_address: Option<IpAddr>,
    status: &(dyn Fn(Session) + Send + Sync),
) -> Result<ibkr_ext::SessionState> {
    let ibkr = probe::sdk(port, local_address)?;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last: Option<Session> = None;
    loop {
        let session = probe::session(&ibkr).await;
        if let Session::Known {
            logged_in: true, ..
        } = session
        {
            // Logged in: open the brokerage session (the SDK's keeper keeps it from here).
            match ibkr.ensure_brokerage_session().await {
                Ok(state) => return Ok(state),
                Err(e) if tokio::time::Instant::now() >= deadline => return Err(e.into()),
                Err(_) => {}
            }
        }
        if let Session::Refused { .. } = session {
            return Err(GatewayError::NeverReady(
                session.why_not_ready().unwrap_or_default(),
            ));
        }
        if last.as_ref() != Some(&session) {
            status(session.clone());
            last = Some(session);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(GatewayError::LoginTimeout(timeout));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn readyz_is_200_with_a_brokerage_session_and_503_saying_why_without() {
        let gw = ibkr_sim::Gateway::builder()
            .brokerage_session(true)
            .start()
            .await
            .unwrap();
        let health = Health::new(gw.addr().port());
        let (ok, body) = health.ready().await;
        assert!(!ok, "not while the JVM is starting: {body}");
        health.set_jvm(Jvm::Up);
        let (ok, body) = health.ready().await;
        assert!(ok, "{body}");
        assert_eq!(body["ready"], true);
        // The midnight reset: logged out. (The last probe is reused for 2 s.)
        gw.control().drop_session();
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let (ok, body) = health.ready().await;
        assert!(!ok, "{body}");
        assert!(
            body["why"].as_str().unwrap().contains("not logged in"),
            "{body}"
        );
        // A spent login budget is added to the reason.
        health.hold(Some(
            "login stopped: run `ibkr gateway login --reset-budget`".into(),
        ));
        let (_, body) = health.ready().await;
        assert!(
            body["why"].as_str().unwrap().contains("--reset-budget"),
            "{body}"
        );
    }

    #[test]
    fn restarts_back_off_and_stop_at_the_hours_budget() {
        let t0 = tokio::time::Instant::now();
        let mut r = Restarts::new(3);
        assert_eq!(r.record(t0), Some(Duration::from_secs(2)));
        assert_eq!(
            r.record(t0 + Duration::from_secs(10)),
            Some(Duration::from_secs(4))
        );
        assert_eq!(
            r.record(t0 + Duration::from_secs(20)),
            Some(Duration::from_secs(8))
        );
        assert_eq!(
            r.record(t0 + Duration::from_secs(30)),
            None,
            "a 4th exit within the hour"
        );
        // An hour later the old exits no longer count.
        let mut r = Restarts::new(3);
        for i in 0..3 {
            assert!(r.record(t0 + Duration::from_secs(i)).is_some());
        }
        assert_eq!(
            r.record(t0 + Duration::from_secs(3700)),
            Some(Duration::from_secs(2))
        );
        assert_eq!(r.in_last_hour(), 1);
        // The backoff is capped at a minute.
        let mut r = Restarts::new(100);
        let last = (0..10)
            .map(|i| r.record(t0 + Duration::from_secs(i)))
            .last()
            .unwrap();
        assert_eq!(last, Some(Duration::from_secs(60)));
    }
}
