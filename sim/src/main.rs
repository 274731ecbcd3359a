//! `ibkr-sim`: the simulated gateway as a standalone server for curl, ibind or the `ibkr` CLI.

use std::net::IpAddr;
use std::process::ExitCode;

use clap::Parser;

/// Run a simulated IBKR Client Portal Gateway and Flex Web Service.
#[derive(Debug, Parser)]
#[command(name = "ibkr-sim", version)]
struct Args {
    /// Port to listen on.
    #[arg(long, default_value_t = 5000)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Serve plain HTTP instead of HTTPS with a self-signed certificate.
    #[arg(long)]
    http: bool,
    /// Random seed (prices, history, ids).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Start with the brokerage session open (no ssodh/init needed).
    #[arg(long)]
    brokerage_session: bool,
    /// Switch pacing (429s) off.
    #[arg(long)]
    no_pacing: bool,
    /// The paper account id.
    #[arg(long, default_value = "DU1234567")]
    account: String,
    /// Play api.ibkr.com's OAuth too: write a ready consumer (keys and the TOML configs of
    /// `ibkr --oauth1` / `--oauth2`) into DIR.
    #[arg(long, value_name = "DIR")]
    oauth: Option<std::path::PathBuf>,
    /// Allow-list entry (conf.yaml's ips.allow): an exact address or a trailing `*` prefix
    /// (`127.0.0.*`, `10.*`). Repeatable. Refused clients get 404 `Access Denied`.
    #[arg(long, value_name = "PATTERN")]
    allow: Vec<String>,
    /// Deny-list entry (ips.deny), checked before the allow list. Repeatable. As on the real
    /// gateway, without any --deny the allow list is not enforced: everyone gets in (add
    /// e.g. `--deny 0.0.0.0/0`, which matches nobody, to enforce it).
    #[arg(long, value_name = "PATTERN")]
    deny: Vec<String>,
    /// IBKR unreachable: `GET /` answers its 302, every proxied call (/v1/api, /gw/api,
    /// /sso) is held open and never answered.
    #[arg(long)]
    upstream_unreachable: bool,
    /// Start without a session: every API call answers 401 until a browser login at
    /// /sso/Login.
    #[arg(long)]
    logged_out: bool,
    /// A user of the simulated login page: USER:PASSWORD[:paper|:live][:totp=BASE32|:push]
    /// (paper by default; the password cannot contain `:`). Repeatable.
    #[arg(long, value_name = "SPEC", value_parser = ibkr_sim::LoginUser::parse_spec)]
    login_user: Vec<ibkr_sim::LoginUser>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = Args::parse();
    let options = ibkr_sim::ServeOptions {
        host: args.host,
        port: args.port,
        plain_http: args.http,
        seed: args.seed,
        brokerage_session: args.brokerage_session,
        limits: if args.no_pacing {
            ibkr_sim::Limits::unlimited()
        } else {
            ibkr_sim::Limits::default()
        },
        account: args.account,
        oauth_dir: args.oauth,
        allow: args.allow,
        deny: (!args.deny.is_empty()).then_some(args.deny),
        upstream_unreachable: args.upstream_unreachable,
        logged_in: !args.logged_out,
        login_users: args.login_user,
    };
    match ibkr_sim::serve_forever(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ibkr-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
