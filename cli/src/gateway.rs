//! `ibkr gateway`: install, configure, start, watch and health-check IBKR's Client Portal
//! Gateway (the library is `ibkr-gateway`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ibkr_gateway::probe::{self, Local, Session};
use ibkr_gateway::supervisor::{self, Event, RunConfig};
use ibkr_gateway::{AllowPattern, GatewayError, Installation, LaunchConfig, Source};
use serde_json::json;

use crate::args::{DirArg, GatewayAction, Global, LoginArgs, StartArgs};
use crate::failure::{self, Failure};

impl DirArg {
    fn path(&self) -> PathBuf {
        self.dir
            .clone()
            .unwrap_or_else(ibkr_gateway::paths::default_install_dir)
    }

    fn install(&self) -> Result<Installation, Failure> {
        Ok(Installation::open(self.path())?)
    }
}

impl LoginArgs {
    fn config(
        &self,
        install: &Installation,
        port: u16,
    ) -> Result<ibkr_gateway::login::LoginConfig, Failure> {
        use ibkr_gateway::login::{Credentials, LoginConfig, PageRules};
        let credentials = match &self.credentials {
            Some(file) => Credentials::from_file(file),
            None => Credentials::from_env(),
        }
        .map_err(|e| Failure::usage(e.to_string()))?;
        let root =
            url::Url::parse(&probe::root_url(port)).map_err(|e| Failure::usage(e.to_string()))?;
        let mut cfg = LoginConfig::new(
            root,
            credentials,
            ibkr_gateway::paths::login_dir(install.dir()),
        );
        cfg.paper = self.paper;
        cfg.compete = self.compete;
        cfg.max_failures = self.max_failures;
        cfg.chromium = self.chromium.clone();
        if let Some(file) = &self.page_rules {
            cfg.rules = PageRules::from_file(file).map_err(|e| Failure::usage(e.to_string()))?;
        }
        Ok(cfg)
    }
}

impl StartArgs {
    fn launch(&self) -> Result<LaunchConfig, Failure> {
        let mut config = LaunchConfig::new(self.port);
        config.allow = AllowPattern::parse_list(&self.allow).map_err(usage)?;
        config.deny = AllowPattern::parse_list(&self.deny).map_err(usage)?;
        config.conf = self.conf.clone();
        Ok(config)
    }

    fn login_timeout(&self) -> Result<Duration, Failure> {
        crate::context::parse_duration(&self.timeout)
            .map_err(|e| Failure::usage(format!("--timeout {}: {e}", self.timeout)))
    }
}

fn usage(e: GatewayError) -> Failure {
    Failure::usage(e.to_string())
}

impl From<GatewayError> for Failure {
    fn from(e: GatewayError) -> Self {
        match e {
            GatewayError::Api(e) => Failure::from(e),
            GatewayError::BadPattern { .. } | GatewayError::BadConf { .. } => {
                Failure::usage(e.to_string())
            }
            other => Failure::new(failure::GENERAL, other.to_string()),
        }
    }
}

pub async fn run(action: GatewayAction, global: &Global) -> Result<(), Failure> {
    match action {
        GatewayAction::Install { dir, from, force } => {
            install(&dir.path(), from, force, global).await
        }
        GatewayAction::Start(args) => start(&args, global).await,
        GatewayAction::Run {
            start,
            health,
            max_restarts,
            login,
            login_args,
        } => {
            let login = login.then_some(&login_args);
            run_foreground(&start, health, max_restarts, login, global).await
        }
        GatewayAction::Login {
            dir,
            port,
            login,
            reset_budget,
        } => login_once(&dir, port, &login, reset_budget, global).await,
        GatewayAction::Status { dir, port } => status(&dir, port, global).await,
        GatewayAction::Stop { dir } => {
            let install = dir.install()?;
            let stopped = ibkr_gateway::launch::stop(&install, Duration::from_secs(10)).await?;
            say(
                global,
                json!({"stopped": true, "pid": stopped.pid, "port": stopped.port}),
                format!(
                    "stopped the gateway (pid {}, port {})",
                    stopped.pid, stopped.port
                ),
            )?;
            Ok(())
        }
        GatewayAction::Logs { dir, follow } => logs(&dir, follow).await,
        GatewayAction::Doctor { dir, port } => doctor(&dir, port, global).await,
    }
}

/// Print `value` with --json, else `text`.
fn say(global: &Global, value: serde_json::Value, text: String) -> Result<(), Failure> {
    if global.wants_json() {
        crate::print::json(&value)
    } else {
        say!("{text}")
    }
}

async fn install(
    dir: &std::path::Path,
    from: Option<String>,
    force: bool,
    global: &Global,
) -> Result<(), Failure> {
    let source = from.as_deref().map(Source::parse).unwrap_or_default();
    let bar = indicatif::ProgressBar::new(0);
    if global.wants_json() || !matches!(source, Source::Url(_)) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    } else {
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "downloading the gateway {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
    }
    let progress = {
        let bar = bar.clone();
        move |done: u64, total: Option<u64>| {
            if let Some(t) = total {
                bar.set_length(t);
            }
            bar.set_position(done);
        }
    };
    let started = std::time::Instant::now();
    let installed = ibkr_gateway::install::install(&source, dir, force, &progress).await?;
    bar.finish_and_clear();
    let install = installed.installation();
    let build = install.build_info().unwrap_or_default();
    let what = match installed {
        ibkr_gateway::install::Installed::New(_) => "installed",
        ibkr_gateway::install::Installed::Existing(_) => "already installed (--force replaces it)",
        ibkr_gateway::install::Installed::Replaced(_) => "replaced",
    };
    say(
        global,
        json!({"dir": install.dir(), "result": what.split(' ').next(), "build": build, "seconds": started.elapsed().as_secs_f64()}),
        format!(
            "{what}: {}\nbuild: {build}\nnext: ibkr gateway start --dir {} --wait-login",
            install.dir().display(),
            install.dir().display()
        ),
    )?;
    Ok(())
}

async fn start(args: &StartArgs, global: &Global) -> Result<(), Failure> {
    let install = args.dir.install()?;
    let config = args.launch()?;
    let started = std::time::Instant::now();
    let running = ibkr_gateway::start_detached(&install, &config).await?;
    let took = started.elapsed();
    if running.already {
        say(
            global,
            json!({"running": true, "already": true, "pid": running.pid, "port": running.port, "login_url": running.login_url()}),
            format!(
                "already running: pid {}, port {}; log in at {}",
                running.pid,
                running.port,
                running.login_url()
            ),
        )?;
    } else {
        say(
            global,
            json!({"running": true, "already": false, "pid": running.pid, "port": running.port, "login_url": running.login_url(), "ready_seconds": took.as_secs_f64()}),
            format!(
                "gateway ready in {:.1} s: pid {}, port {}\nlog in at {} (a browser on this machine)",
                took.as_secs_f64(),
                running.pid,
                running.port,
                running.login_url()
            ),
        )?;
    }
    if args.wait_login {
        let timeout = args.login_timeout()?;
        wait_login(running.port, timeout, global).await?;
    }
    Ok(())
}

async fn wait_login(port: u16, timeout: Duration, global: &Global) -> Result<(), Failure> {
    let json = global.wants_json();
    let status = move |s: Session| {
        if !json {
            match s.why_not_ready() {
                Some(why) => note!("waiting for the login: {why}"),
                None => note!("logged in"),
            }
        }
    };
    let state = supervisor::wait_for_login(port, timeout, global.local_address, &status).await?;
    say(
        global,
        json!({"logged_in": true, "authenticated": state.authenticated, "competing": state.competing}),
        "logged in; the brokerage session is open".into(),
    )?;
    Ok(())
}

async fn run_foreground(
    args: &StartArgs,
    health_addr: Option<SocketAddr>,
    max_restarts: u32,
    login: Option<&LoginArgs>,
    _global: &Global,
) -> Result<(), Failure> {
    let install = args.dir.install()?;
    let mut config = RunConfig::new(args.launch()?);
    config.health = health_addr;
    config.max_restarts_per_hour = max_restarts;
    if args.wait_login {
        config.wait_login = Some(args.login_timeout()?);
    }
    if let Some(login) = login {
        config.login = Some(login.config(&install, config.launch.effective_port()?)?);
        config.schedule = ibkr_gateway::login::Schedule::new(login.region);
    }
    let events = |e: Event| match e {
        Event::Health(addr) => note!("ibkr gateway: health on http://{addr}/livez and /readyz"),
        Event::Launched { pid } => note!("ibkr gateway: launched java (pid {pid})"),
        Event::Ready { login_url, took } => note!(
            "ibkr gateway: ready in {:.1} s; log in at {login_url}",
            took.as_secs_f64()
        ),
        Event::Exited { status, after } => note!(
            "ibkr gateway: the JVM exited ({status}); restarting in {} s",
            after.as_secs()
        ),
        // The supervisor keeps the gateway up whether or not anyone still reads its log.
        Event::Output(line) => {
            let _ = say!("{line}");
        }
        Event::LoggedIn => note!("ibkr gateway: logged in; the brokerage session is open"),
        Event::Waiting(s) => {
            if let Some(why) = s.why_not_ready() {
                note!("ibkr gateway: waiting for the login: {why}");
            }
        }
        Event::Login(what) => note!("ibkr gateway: login: {what}"),
        Event::Stopping => note!("ibkr gateway: stopping the JVM"),
    };
    supervisor::run(&install, &config, shutdown_signal(), events).await?;
    Ok(())
}

/// SIGTERM or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn status(dir: &DirArg, port: Option<u16>, global: &Global) -> Result<(), Failure> {
    let path = dir.path();
    let install = Installation::open(&path).ok();
    let pid = install
        .as_ref()
        .and_then(|i| ibkr_gateway::process::PidFile::live(i.dir()));
    let port = port.or(pid.as_ref().map(|p| p.port)).unwrap_or(5000);
    let build = install.as_ref().and_then(|i| i.build_info().ok());
    let local = probe::local(port).await;
    let session = if local == Local::Ready || global.local_address.is_some() {
        match probe::sdk(port, global.local_address) {
            Ok(ibkr) => Some(probe::session(&ibkr).await),
            Err(e) => Some(Session::Error {
                message: e.to_string(),
            }),
        }
    } else {
        None
    };
    let reaches_ibkr = match &session {
        Some(Session::Known { .. }) => Some(true),
        Some(Session::Unreachable) => Some(false),
        _ => None,
    };
    if global.wants_json() {
        crate::print::json(&json!({
            "dir": path,
            "installed": install.is_some(),
            "build": build,
            "process": pid.as_ref().map(|p| json!({"pid": p.pid, "port": p.port, "started": p.started})),
            "port": port,
            "local": local,
            "reaches_ibkr": reaches_ibkr,
            "session": session,
        }))?;
    } else {
        let mut out = String::new();
        match (&install, &build) {
            (Some(i), Some(b)) => out += &format!("install:  {} ({b})\n", i.dir().display()),
            (Some(i), None) => out += &format!("install:  {}\n", i.dir().display()),
            (None, _) => out += &format!("install:  none at {}\n", path.display()),
        }
        match &pid {
            Some(p) => {
                out += &format!(
                    "process:  java pid {}, port {}, since {}\n",
                    p.pid, p.port, p.started
                )
            }
            None => out += "process:  no background gateway of this folder\n",
        }
        out += &match &local {
            Local::Ready => {
                format!("port {port}: answers (TLS, GET / redirects to the login page)\n")
            }
            Local::Refused => format!("port {port}: the allow-list refuses this client\n"),
            Local::Unexpected { status } => {
                format!("port {port}: answers HTTP {status}: not the gateway?\n")
            }
            Local::Down { reason } => format!("port {port}: no gateway ({reason})\n"),
        };
        match &session {
            Some(Session::Known {
                logged_in,
                authenticated,
                competing,
                connected,
            }) => {
                out += "IBKR:     reachable\n";
                out += &format!(
                    "session:  logged in {}, brokerage session {}, connected {}, competing {}\n",
                    yes(*logged_in),
                    yes(*authenticated),
                    yes(*connected),
                    yes(*competing)
                );
            }
            Some(Session::Unreachable) => {
                out += "IBKR:     NOT reachable: the gateway answers, IBKR does not answer through it\n"
            }
            Some(s) => out += &format!("session:  {}\n", s.why_not_ready().unwrap_or_default()),
            None => {}
        }
        crate::print::bytes(out.as_bytes())?;
    }
    match session {
        Some(Session::Refused { client }) => Err(Failure::from(ibkr_ext::Error::AccessDenied {
            operation: "tickle",
            client,
        })),
        Some(Session::Unreachable) => Err(Failure::new(
            failure::GATEWAY_UNREACHABLE,
            "the gateway is running but cannot reach IBKR; check this machine's internet connection, DNS and proxy",
        )),
        _ if local == Local::Refused => Err(Failure::from(ibkr_ext::Error::AccessDenied {
            operation: "GET /",
            client: global.local_address,
        })),
        _ if !matches!(local, Local::Ready) => Err(Failure::new(
            failure::GENERAL,
            format!("no gateway answers on port {port}; start one with `ibkr gateway start`"),
        )),
        _ => Ok(()),
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

async fn logs(dir: &DirArg, follow: bool) -> Result<(), Failure> {
    use std::io::{Read, Seek, SeekFrom};
    let install = dir.install()?;
    let path = ibkr_gateway::paths::log_file(install.dir());
    let mut file = std::fs::File::open(&path).map_err(|e| {
        Failure::new(
            failure::GENERAL,
            format!(
                "{}: {e} (start the gateway with `ibkr gateway start` first)",
                path.display()
            ),
        )
    })?;
    let mut pos = 0u64;
    loop {
        // A restart truncates the log: start over from its beginning.
        if file.metadata().map(|m| m.len()).unwrap_or(0) < pos {
            pos = 0;
        }
        file.seek(SeekFrom::Start(pos))?;
        let mut chunk = Vec::new();
        file.read_to_end(&mut chunk)?;
        pos += chunk.len() as u64;
        crate::print::bytes(&chunk)?;
        if !follow {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn doctor(dir: &DirArg, port: Option<u16>, global: &Global) -> Result<(), Failure> {
    let report = ibkr_gateway::doctor::examine(&dir.path(), port, global.local_address).await;
    if global.wants_json() {
        crate::print::json(&serde_json::to_value(&report).unwrap_or_default())?;
    } else {
        for check in &report.checks {
            say!(
                "{} {}: {}",
                if check.ok { "ok  " } else { "FAIL" },
                check.name,
                check.detail
            )?;
        }
    }
    if report.checks.iter().all(|c| c.ok) {
        Ok(())
    } else {
        Err(Failure::new(
            failure::GENERAL,
            "the doctor found problems (above)",
        ))
    }
}

async fn login_once(
    dir: &DirArg,
    port: Option<u16>,
    args: &LoginArgs,
    reset_budget: bool,
    global: &Global,
) -> Result<(), Failure> {
    let install = dir.install()?;
    if reset_budget {
        ibkr_gateway::login::FailureBudget::open(ibkr_gateway::paths::login_dir(install.dir()))
            .and_then(|b| b.reset())
            .map_err(|e| Failure::new(failure::GENERAL, e.to_string()))?;
        say(
            global,
            json!({"budget": "reset"}),
            "the login failure budget is reset; `ibkr gateway login` may try again".into(),
        )?;
        return Ok(());
    }
    let port = port
        .or(ibkr_gateway::process::PidFile::live(install.dir()).map(|p| p.port))
        .unwrap_or(5000);
    let mut cfg = args.config(&install, port)?;
    if let Some(ip) = global.local_address {
        cfg.customize_client = Some(std::sync::Arc::new(move |b: ibkr_ext::IbkrBuilder| {
            b.local_address(ip)
        }));
    }
    match ibkr_gateway::login::login(&cfg).await {
        Ok(report) => {
            say(
                global,
                json!({"logged_in": true, "method": format!("{:?}", report.method), "seconds": report.elapsed.as_secs_f64(), "two_factor": report.two_factor}),
                format!(
                    "logged in ({:?}) in {:.1} s; the brokerage session is open",
                    report.method,
                    report.elapsed.as_secs_f64()
                ),
            )?;
            Ok(())
        }
        Err(e) => {
            let code = if e.is_final()
                || matches!(e, ibkr_gateway::login::LoginError::BudgetSpent { .. })
            {
                failure::LOGIN_STOPPED
            } else {
                failure::SESSION
            };
            Err(Failure::new(code, e.to_string()))
        }
    }
}
