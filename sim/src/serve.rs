//! Serving standalone until Ctrl-C: what `ibkr-sim` and `ibkr sim` run.

use std::future::Future;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::builder::{Gateway, GatewayBuilder};
use crate::error::SimError;
use crate::limits::Limits;
use crate::running::RunningGateway;

/// Options of a standalone simulator (the binary's command-line flags).
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on (default `127.0.0.1`).
    pub host: IpAddr,
    /// Port to listen on (default 5000, like the real gateway).
    pub port: u16,
    /// Serve plain HTTP instead of HTTPS.
    pub plain_http: bool,
    /// Random seed.
    pub seed: u64,
    /// Start with the brokerage session open (skip `ssodh/init`).
    pub brokerage_session: bool,
    /// Pacing limits.
    pub limits: Limits,
    /// The primary account id.
    pub account: String,
    /// Play api.ibkr.com too: write a ready OAuth consumer (keys, TOML configs) into this
    /// folder and accept its OAuth 1.0a signatures and OAuth 2.0 bearers.
    pub oauth_dir: Option<std::path::PathBuf>,
    /// `ips.allow` entries (see [`GatewayBuilder::allow`]).
    pub allow: Vec<String>,
    /// `ips.deny` entries; `None` (no deny list) lets everyone in, as the real gateway does.
    pub deny: Option<Vec<String>>,
    /// Start with IBKR unreachable: proxied calls are held open, never answered.
    pub upstream_unreachable: bool,
    /// Start logged in (default) or without a session (log in at `/sso/Login`).
    pub logged_in: bool,
    /// Users of the simulated login page.
    pub login_users: Vec<crate::login::LoginUser>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 5000,
            plain_http: false,
            seed: 0,
            brokerage_session: false,
            limits: Limits::default(),
            account: "DU1234567".to_string(),
            oauth_dir: None,
            allow: Vec::new(),
            deny: None,
            upstream_unreachable: false,
            logged_in: true,
            login_users: Vec::new(),
        }
    }
}

impl ServeOptions {
    /// The gateway builder these options describe.
    pub fn builder(&self) -> GatewayBuilder {
        let mut b = Gateway::builder()
            .seed(self.seed)
            .account(&self.account)
            .brokerage_session(self.brokerage_session)
            .limits(self.limits.clone())
            .bind(SocketAddr::new(self.host, self.port))
            .allow(self.allow.iter().cloned())
            .upstream_unreachable(self.upstream_unreachable)
            .logged_in(self.logged_in)
            // Standalone runs for days: the journal is a ring.
            .with_journal_capacity(Some(crate::journal::STANDALONE_JOURNAL));
        if let Some(deny) = &self.deny {
            b = b.deny(deny.iter().cloned());
        }
        for user in &self.login_users {
            b = b.login_user(user.clone());
        }
        if self.plain_http {
            b = b.plain_http();
        }
        b
    }
}

/// The builder, with a freshly written OAuth consumer when `oauth_dir` is set.
fn with_oauth(
    options: &ServeOptions,
) -> Result<(GatewayBuilder, Option<crate::oauth::ConsumerFiles>), SimError> {
    let builder = options.builder();
    let Some(dir) = &options.oauth_dir else {
        return Ok((builder, None));
    };
    let consumer = crate::oauth::SimConsumer::generate()?;
    let files = consumer.write_to(dir)?;
    Ok((
        builder.oauth1(consumer.oauth1()).oauth2(consumer.oauth2()),
        Some(files),
    ))
}

/// Start, call `on_ready` with the running gateway, serve until `stop` completes, shut down.
pub async fn serve_until<F, R>(options: ServeOptions, stop: F, on_ready: R) -> Result<(), SimError>
where
    F: Future<Output = ()>,
    R: FnOnce(&RunningGateway),
{
    let (builder, _) = with_oauth(&options)?;
    let gateway = builder.start().await?;
    on_ready(&gateway);
    stop.await;
    gateway.shutdown().await;
    Ok(())
}

/// Start, print the base URLs to standard output (so the person at the terminal knows where
/// to point a client), and serve until Ctrl-C.
pub async fn serve_forever(options: ServeOptions) -> Result<(), SimError> {
    let (builder, oauth) = with_oauth(&options)?;
    let gateway = builder.start().await?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ibkr-sim: simulated IBKR Client Portal Gateway");
    let _ = writeln!(out, "  base URL: {}", gateway.base_url());
    let _ = writeln!(out, "  Flex:     {}", gateway.flex_base_url());
    if gateway.cert_pem().is_some() {
        let _ = writeln!(
            out,
            "  TLS:      self-signed certificate (use --http for plain HTTP)"
        );
    }
    let root = gateway.base_url().trim_end_matches("/v1/api").to_string();
    if !options.login_users.is_empty() || !options.logged_in {
        let _ = writeln!(
            out,
            "  login:    {root}{} ({} user(s){})",
            crate::routes::LOGIN_REDIRECT,
            options.login_users.len(),
            if options.logged_in {
                ""
            } else {
                "; no session until then"
            }
        );
    }
    if !options.allow.is_empty() || options.deny.is_some() {
        let _ = writeln!(
            out,
            "  ips:      allow {:?}, deny {}",
            options.allow,
            match &options.deny {
                Some(d) => format!("{d:?}"),
                None => "absent (everyone gets in, as on the real gateway)".to_string(),
            }
        );
    }
    if options.upstream_unreachable {
        let _ = writeln!(
            out,
            "  upstream: unreachable (proxied calls are held open and never answered)"
        );
    }
    if !options.brokerage_session && options.logged_in {
        let _ = writeln!(
            out,
            "  first:    POST {}/iserver/auth/ssodh/init to open the brokerage session",
            gateway.base_url()
        );
    }
    if let Some(files) = oauth {
        let _ = writeln!(
            out,
            "  OAuth:    api.ibkr.com's OAuth on; a consumer is in {}",
            files
                .oauth1_config
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "            ibkr --oauth1 {} --gateway {} status",
            files.oauth1_config.display(),
            gateway.base_url()
        );
        let _ = writeln!(
            out,
            "            ibkr --oauth2 {} --gateway {} status",
            files.oauth2_config.display(),
            gateway.base_url()
        );
    }
    let _ = writeln!(out, "Press Ctrl-C to stop.");
    drop(out);
    gateway.run_until_ctrl_c().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_standalone_simulator_keeps_a_ring_journal() {
        let builder = ServeOptions::default().builder();
        assert_eq!(
            builder.journal_capacity(),
            Some(crate::journal::STANDALONE_JOURNAL)
        );
        assert_eq!(Gateway::builder().journal_capacity(), None);
    }
}
