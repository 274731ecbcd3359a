//! The command line, as clap reads it: every subcommand's arguments are here, and this
//! module imports nothing else of the CLI's.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;

/// Interactive Brokers from the terminal: session, conids, quotes, history, orders, Flex.
#[derive(Debug, Parser)]
#[command(name = "ibkr", version, about, propagate_version = true)]
#[cfg_attr(
    not(feature = "sim"),
    command(
        after_help = "This build has no embedded simulator (cargo feature `sim`): --sim, --sim-oauth, \
`ibkr sim` and the tour without a gateway say so and exit 2. The default build has it: \
cargo install --path cli"
    )
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The gateway's API root [env: IBKR_GATEWAY_URL] [default: https://localhost:5000/v1/api]
    #[arg(long, global = true, env = "IBKR_GATEWAY_URL", hide_env = true)]
    pub gateway: Option<String>,
    /// Start the embedded simulator and talk to it instead of a gateway.
    #[arg(long, global = true)]
    pub sim: bool,
    /// Start the embedded simulator as api.ibkr.com and log in to it with OAuth 1.0a (a
    /// throwaway consumer).
    #[arg(long, global = true, conflicts_with_all = ["sim", "oauth1", "oauth2"])]
    pub sim_oauth: bool,
    /// Print machine-readable JSON (schemas in the README); the same as --output json.
    #[arg(long, global = true)]
    pub json: bool,
    /// Output of the account commands: table (default), json or csv.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,
    /// The account to use (default: the gateway's selected account).
    #[arg(long, global = true, env = "IBKR_ACCOUNT_ID", hide_env = true)]
    pub account: Option<String>,
    /// Trust this PEM certificate for the gateway (pin it).
    #[arg(long, global = true, value_name = "PEM_FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Log in headlessly with OAuth 1.0a, this config file (TOML) [env: IBKR_OAUTH1_CONFIG]
    #[arg(
        long,
        global = true,
        env = "IBKR_OAUTH1_CONFIG",
        hide_env = true,
        value_name = "FILE",
        conflicts_with = "oauth2"
    )]
    pub oauth1: Option<PathBuf>,
    /// Connect from this local address (multi-homed hosts; a gateway whose allow-list
    /// admits one address of this machine).
    #[arg(long, global = true, value_name = "IP")]
    pub local_address: Option<std::net::IpAddr>,
    /// Log in headlessly with OAuth 2.0, this config file (TOML) [env: IBKR_OAUTH2_CONFIG]
    #[arg(
        long,
        global = true,
        env = "IBKR_OAUTH2_CONFIG",
        hide_env = true,
        value_name = "FILE"
    )]
    pub oauth2: Option<PathBuf>,
}

impl Global {
    /// The one output format of this run: `--json` (the older flag), else `--output`, else
    /// a table. Every command reads it from here.
    pub fn format(&self) -> OutputFormat {
        if self.json {
            OutputFormat::Json
        } else {
            self.output.unwrap_or(OutputFormat::Table)
        }
    }

    /// Whether this run prints JSON.
    pub fn wants_json(&self) -> bool {
        self.format() == OutputFormat::Json
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// A guided tour: session, conids, history, a snapshot, an order with a question, Flex.
    Tour {
        /// Against a real gateway, really place the tour's order (a 1-share limit far below the market).
        #[arg(long)]
        yes: bool,
    },
    /// The session: logged in, brokerage session, competing.
    Status,
    /// The brokerage accounts of this login; `accounts switch ID` selects one.
    Accounts {
        #[command(subcommand)]
        action: Option<AccountsAction>,
    },
    /// Positions of the account (every page), or of one contract across accounts.
    Positions {
        /// Only this contract, in every account of the login.
        #[arg(long)]
        conid: Option<i64>,
    },
    /// Balances, margin and buying power.
    Summary,
    /// Cash ledger per currency.
    Ledger,
    /// Executions of the last days.
    Trades {
        /// How many days back (1 to 7).
        #[arg(long, default_value_t = 7)]
        days: u32,
    },
    /// Watchlists: list, show, create, delete.
    Watchlist {
        #[command(subcommand)]
        action: WatchlistAction,
    },
    /// Market scanners: parameters and runs.
    Scanner {
        #[command(subcommand)]
        action: ScannerAction,
    },
    /// Price alerts: list, create, activate, pause, delete.
    Alert {
        #[command(subcommand)]
        action: AlertAction,
    },
    /// What a contract is and how it trades.
    Contract {
        /// A symbol or a conid.
        item: String,
    },
    /// The option chain of a stock for one expiry month.
    Chain {
        /// The underlying's symbol.
        symbol: String,
        /// The expiry month, YYYYMM.
        #[arg(long, value_name = "YYYYMM")]
        expiry: String,
    },
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Resolve stock symbols to conids.
    Conid {
        /// Symbols (AAPL MSFT ...).
        #[arg(required = true)]
        symbols: Vec<String>,
        /// Only listings on this exchange.
        #[arg(long)]
        exchange: Option<String>,
        /// Only instruments whose name contains this (case-insensitive).
        #[arg(long)]
        name_match: Option<String>,
        /// Consider non-US listings too (no default US filter).
        #[arg(long)]
        any_market: bool,
    },
    /// A market data snapshot.
    Snapshot {
        /// Symbols or conids.
        #[arg(required = true)]
        items: Vec<String>,
        /// Fields by name or id (default: last, bid, ask, volume, change %).
        #[arg(long, value_delimiter = ',')]
        fields: Vec<String>,
    },
    /// Historical bars for many symbols in parallel.
    History {
        /// Symbols or conids.
        #[arg(required = true)]
        items: Vec<String>,
        /// The period: 1d, 1w, 1m, 1y, ...
        #[arg(long, default_value = "1y")]
        period: ibkr_ext::Period,
        /// The bar size: 1min, 5min, 1h, 1d, ...
        #[arg(long, default_value = "1d")]
        bar: ibkr_ext::BarSize,
        /// Write one file per symbol into this directory instead of printing.
        #[arg(long)]
        out: Option<PathBuf>,
        /// File format with --out.
        #[arg(long, value_enum, default_value_t = FileFormat::Csv)]
        format: FileFormat,
    },
    /// Preview or place an order.
    Order {
        #[command(subcommand)]
        action: OrderAction,
    },
    /// Live orders.
    Orders {
        /// Keep following: print every change as it streams (over the WebSocket).
        #[arg(long)]
        follow: bool,
        #[command(flatten)]
        until: Until,
    },
    /// Profit and loss per account partition (over the WebSocket).
    Pnl {
        /// Keep following: print every update (about once a second).
        #[arg(long)]
        follow: bool,
        #[command(flatten)]
        until: Until,
    },
    /// Live quotes, updated in place like `top`; with --json, NDJSON (one update a line).
    Watch {
        /// Symbols or conids.
        #[arg(required = true)]
        items: Vec<String>,
        /// Fields by name or id (default: last, bid, ask, volume, change %).
        #[arg(long, value_delimiter = ',')]
        fields: Vec<String>,
        #[command(flatten)]
        until: Until,
    },
    /// Cancel an order.
    Cancel {
        /// The order id (-1 cancels all open orders).
        #[arg(allow_hyphen_values = true, value_parser = order_id)]
        id: String,
    },
    /// Flex Web Service: fetch and parse statements.
    Flex {
        #[command(subcommand)]
        action: FlexAction,
    },
    /// Record this account's read-only answers as anonymised fixtures (`--out DIR`), or
    /// compare them with the schema (`--check`). Only operations marked safe are called.
    Capture(CaptureArgs),
    /// Serve the simulator standalone (for curl, ibind, other clients).
    Sim {
        /// Port (the real gateway uses 5000).
        #[arg(long, default_value_t = 5000)]
        port: u16,
        /// Plain HTTP instead of HTTPS.
        #[arg(long)]
        http: bool,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Play api.ibkr.com's OAuth too: write a ready consumer (keys, --oauth1/--oauth2 configs) into DIR.
        #[arg(long, value_name = "DIR")]
        oauth: Option<PathBuf>,
        #[command(flatten)]
        gateway: SimGatewayArgs,
    },
    /// IBKR's Client Portal Gateway: install, start, run, status, stop, logs, doctor.
    Gateway {
        #[command(subcommand)]
        action: GatewayAction,
    },
    /// OAuth 1.0a setup: the keys and DH parameters IBKR's portal asks for.
    Oauth1 {
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// OAuth 2.0 setup: the key pair IBKR registers.
    Oauth2 {
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// A Model Context Protocol server for AI assistants (stdio, or --http): read-only
    /// by default, trading only with --trading and its guards. Try it with --sim.
    Mcp(McpArgs),
}

/// When a following command stops (default: at Ctrl-C).
#[derive(Debug, Args)]
pub struct Until {
    /// Stop after this many updates.
    #[arg(long)]
    pub count: Option<u64>,
    /// Stop after this long (30s, 5m, 1h).
    #[arg(long = "for", value_name = "DURATION")]
    pub within: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum OrderAction {
    /// What the order would do (whatif), without placing it.
    Preview(OrderArgs),
    /// Place the order; refuses without --yes.
    Place(OrderArgs),
}

#[derive(Debug, Args)]
pub struct OrderArgs {
    /// The contract id.
    #[arg(long, conflicts_with = "symbol", required_unless_present = "symbol")]
    pub conid: Option<i64>,
    /// A US stock symbol (resolved to its conid).
    #[arg(long)]
    pub symbol: Option<String>,
    /// BUY or SELL.
    #[arg(long, value_enum, ignore_case = true)]
    pub side: SideArg,
    /// Quantity.
    #[arg(long)]
    pub quantity: rust_decimal::Decimal,
    /// Order type.
    #[arg(long = "type", value_enum, ignore_case = true, default_value = "MKT")]
    pub order_type: OrderTypeArg,
    /// Limit price (LMT, STP_LIMIT) or stop price (STP).
    #[arg(long)]
    pub price: Option<rust_decimal::Decimal>,
    /// Stop price for STP_LIMIT.
    #[arg(long)]
    pub stop_price: Option<rust_decimal::Decimal>,
    /// Time in force.
    #[arg(long, value_enum, ignore_case = true, default_value = "DAY")]
    pub tif: TifArg,
    /// Answer an order question: MSGID=yes or MSGID=no (e.g. o163=yes). Repeatable.
    #[arg(long = "answer", value_name = "MSGID=yes|no")]
    pub answers: Vec<String>,
    /// Really send the order.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum SideArg {
    Buy,
    Sell,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OrderTypeArg {
    #[value(name = "MKT")]
    Mkt,
    #[value(name = "LMT")]
    Lmt,
    #[value(name = "STP")]
    Stp,
    #[value(name = "STP_LIMIT")]
    StpLimit,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum TifArg {
    Day,
    Gtc,
    Ioc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FileFormat {
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum FlexAction {
    /// Fetch a statement (token from env IBKR_FLEX_TOKEN, never a flag).
    Fetch {
        /// The Flex query id.
        #[arg(long)]
        query: String,
        /// Write the statement here instead of to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// First day (yyyymmdd), overriding the query's period.
        #[arg(long)]
        from: Option<String>,
        /// Last day (yyyymmdd).
        #[arg(long)]
        to: Option<String>,
    },
    /// Parse a statement file.
    Parse {
        /// The Flex XML file.
        file: PathBuf,
        /// Only this section (Trades, CashTransactions, ...).
        #[arg(long)]
        section: Option<String>,
        /// Output format (csv needs --section).
        #[arg(long, value_enum, default_value_t = FileFormat::Json)]
        format: FileFormat,
    },
}

/// How the account commands print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// An aligned table for people.
    Table,
    /// The documented JSON schemas.
    Json,
    /// Comma-separated values with a header row.
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum AccountsAction {
    /// Select this account for the session (multi-account logins).
    Switch {
        /// The account id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WatchlistAction {
    /// The login's watchlists.
    List,
    /// One watchlist's instruments.
    Show {
        /// The watchlist id.
        id: String,
    },
    /// Create (or replace) a watchlist.
    Create {
        /// A new numeric id.
        id: String,
        /// Its name.
        #[arg(long)]
        name: String,
        /// Symbols or conids, in order.
        #[arg(required = true)]
        items: Vec<String>,
    },
    /// Delete a watchlist.
    Delete {
        /// The watchlist id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ScannerAction {
    /// Scan types, instruments, locations and filters (IBKR allows this once per 15 minutes).
    Params,
    /// Run a scan.
    Run {
        /// The scan type (TOP_PERC_GAIN, MOST_ACTIVE, ...).
        scan_type: String,
        /// The instrument.
        #[arg(long, default_value = "STK")]
        instrument: String,
        /// The location.
        #[arg(long, default_value = "STK.US.MAJOR")]
        location: String,
        /// A filter CODE=VALUE (priceAbove=5). Repeatable.
        #[arg(long = "filter", value_name = "CODE=VALUE")]
        filters: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AlertAction {
    /// The account's alerts.
    List,
    /// Create a price alert.
    Create {
        /// A symbol or conid.
        item: String,
        /// When the price rises to or above this.
        #[arg(long, conflicts_with = "below", required_unless_present = "below")]
        above: Option<rust_decimal::Decimal>,
        /// When the price falls to or below this.
        #[arg(long)]
        below: Option<rust_decimal::Decimal>,
        /// The alert's name (default: SYMBOL >= PRICE).
        #[arg(long)]
        name: Option<String>,
        /// Trigger outside regular trading hours too.
        #[arg(long)]
        outside_rth: bool,
    },
    /// Activate an alert.
    Activate {
        /// The alert id.
        id: i64,
    },
    /// Pause an alert.
    Pause {
        /// The alert id.
        id: i64,
    },
    /// Delete an alert.
    Delete {
        /// The alert id.
        id: i64,
    },
}

/// The real gateway's behaviours `ibkr sim` can play.
#[derive(Debug, Args)]
pub struct SimGatewayArgs {
    /// Allow-list entry (ips.allow): an exact address or a trailing `*` prefix. Repeatable;
    /// refused clients get 404 `Access Denied`.
    #[arg(long, value_name = "PATTERN")]
    pub allow: Vec<String>,
    /// Deny-list entry (ips.deny), checked first. As on the real gateway, without any
    /// --deny the allow list is not enforced.
    #[arg(long, value_name = "PATTERN")]
    pub deny: Vec<String>,
    /// IBKR unreachable: `GET /` answers, every proxied call is held open unanswered.
    #[arg(long)]
    pub upstream_unreachable: bool,
    /// Start without a session (log in at /sso/Login).
    #[arg(long)]
    pub logged_out: bool,
    /// A user of the login page: `USER:PASSWORD[:paper|:live][:totp=BASE32|:push]`. Repeatable.
    #[arg(long, value_name = "SPEC")]
    pub login_user: Vec<String>,
}

/// `ibkr gateway ...`
#[derive(Debug, Subcommand)]
pub enum GatewayAction {
    /// Download (or copy) IBKR's gateway and unpack it into DIR.
    Install {
        #[command(flatten)]
        dir: DirArg,
        /// A zip, a URL or an unpacked gateway folder (default: IBKR's download).
        #[arg(long, value_name = "ZIP|URL|DIR")]
        from: Option<String>,
        /// Replace an existing install.
        #[arg(long)]
        force: bool,
    },
    /// Start the gateway in the background, wait until it answers, print the login URL.
    Start(StartArgs),
    /// Run the gateway in the foreground (containers, services): restart the JVM only when it
    /// exits, stop it on SIGTERM/SIGINT.
    Run {
        #[command(flatten)]
        start: StartArgs,
        /// Serve /livez and /readyz here (e.g. 0.0.0.0:5050).
        #[arg(long, value_name = "ADDR")]
        health: Option<SocketAddr>,
        /// How many JVM exits an hour are restarted.
        #[arg(long, default_value_t = 5, value_name = "N")]
        max_restarts: u32,
        /// Log in again (headless Chromium) whenever the session is gone; never loops: the
        /// failure budget, its backoff and IBKR's nightly window decide.
        #[arg(long)]
        login: bool,
        #[command(flatten)]
        login_args: LoginArgs,
    },
    /// The process, its port and build, whether it reaches IBKR, and the session.
    Status {
        #[command(flatten)]
        dir: DirArg,
        /// The port (default: the running gateway's, else 5000).
        #[arg(long)]
        port: Option<u16>,
    },
    /// Stop the background gateway of DIR.
    Stop {
        #[command(flatten)]
        dir: DirArg,
    },
    /// Print the background gateway's log.
    Logs {
        #[command(flatten)]
        dir: DirArg,
        /// Keep printing as it grows.
        #[arg(long)]
        follow: bool,
    },
    /// Log in unattended: IBKR's login page in headless Chromium, with TOTP; never retries
    /// wrong credentials, and stops after a few failures a day (a budget kept on disk).
    Login {
        #[command(flatten)]
        dir: DirArg,
        /// The gateway's port (default: the running one's, else 5000).
        #[arg(long)]
        port: Option<u16>,
        #[command(flatten)]
        login: LoginArgs,
        /// Clear the failure budget (after logging in once by hand), then exit.
        #[arg(long)]
        reset_budget: bool,
    },
    /// Check Java, the allow-list, the certificate, the port and the clock, and explain.
    Doctor {
        #[command(flatten)]
        dir: DirArg,
        /// The port.
        #[arg(long)]
        port: Option<u16>,
    },
}

/// `--dir DIR`.
#[derive(Debug, Args)]
pub struct DirArg {
    /// The gateway's folder [env: IBKR_GATEWAY_DIR] [default: clientportal.gw in the user's data directory]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// How to log in (`login`, `run --login`).
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The paper account (the login page's paper toggle).
    #[arg(long)]
    pub paper: bool,
    /// A TOML file with username, password and optional totp_secret (base32); mode 0600.
    /// Default: the environment (IBKR_USERNAME, IBKR_PASSWORD, IBKR_TOTP_SECRET).
    #[arg(
        long,
        value_name = "FILE",
        env = "IBKR_CREDENTIALS",
        hide_env_values = true
    )]
    pub credentials: Option<PathBuf>,
    /// The login page's selectors and texts (overrides the built-in rules when IBKR changes
    /// the page).
    #[arg(long, value_name = "FILE")]
    pub page_rules: Option<PathBuf>,
    /// Take the brokerage session over from a competing session (TWS, mobile). Off by
    /// default: a competing session is reported, not taken.
    #[arg(long)]
    pub compete: bool,
    /// Failed logins allowed in 24 hours before a human must step in.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub max_failures: u32,
    /// IBKR's region for the nightly reset: new-york, zug or hong-kong.
    #[arg(long, default_value = "new-york", value_name = "REGION")]
    pub region: ibkr_gateway::login::Region,
    /// The Chromium to drive (default: IBKR_CHROMIUM, then chromium on PATH).
    #[arg(long, value_name = "PATH")]
    pub chromium: Option<PathBuf>,
}

/// What `start` and `run` share.
#[derive(Debug, Args)]
pub struct StartArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// The port the gateway listens on (all IPv4 interfaces).
    #[arg(long, default_value_t = 5000)]
    pub port: u16,
    /// Also admit these clients: an exact IPv4 address, a prefix ending in `*` (172.18.*),
    /// or `docker` (172.17.* to 172.31.*). Repeatable; 127.0.0.1 is always admitted.
    #[arg(
        long,
        value_name = "PATTERN",
        env = "IBKR_GATEWAY_ALLOW",
        value_delimiter = ','
    )]
    pub allow: Vec<String>,
    /// Refuse these clients (checked before --allow).
    #[arg(long, value_name = "PATTERN", value_delimiter = ',')]
    pub deny: Vec<String>,
    /// Use this conf.yaml (validated) instead of writing one.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["allow", "deny"])]
    pub conf: Option<PathBuf>,
    /// Print the login URL and wait for the browser login, then open the brokerage session.
    #[arg(long)]
    pub wait_login: bool,
    /// How long --wait-login waits (30s, 10m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub timeout: String,
}

/// `ibkr oauth1 ...` / `ibkr oauth2 ...`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Write the key files IBKR's portal asks for into DIR and print the portal steps.
    Keys {
        /// The folder to write into (created if missing; existing keys are never overwritten).
        dir: PathBuf,
        /// OAuth 1.0a: bits of the Diffie-Hellman prime to generate (IBKR expects 2048).
        #[arg(long, default_value_t = 2048)]
        dh_bits: usize,
        /// OAuth 1.0a: use RFC 3526's published 2048-bit group instead of generating a prime.
        #[arg(long)]
        rfc3526: bool,
    },
}

/// `ibkr mcp`'s options. The session options are the CLI's own (`--sim`, `--gateway`,
/// `--oauth1`, `--oauth2`, `--ca-cert`).
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Limit every tool to this account (repeatable); others are refused. The first one is
    /// the default account. Default: every account of the login.
    #[arg(long = "account", value_name = "ID")]
    pub account: Vec<String>,
    /// Offer the trading tools: place_order, modify_order, cancel_order.
    #[arg(long)]
    pub trading: bool,
    /// Offer cancel_all_orders too (needs --trading).
    #[arg(long, requires = "trading")]
    pub allow_cancel_all: bool,
    /// Let live accounts trade too (default: only paper accounts, ids DU…/DF…).
    #[arg(long)]
    pub live: bool,
    /// The largest quantity × price of one order (quantity × last for market orders), in
    /// the account's currency.
    #[arg(long, value_name = "AMOUNT", default_value = "10000")]
    pub max_notional: Decimal,
    /// The most order submissions (place or modify) this server run sends to IBKR,
    /// whatever IBKR answers.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub max_orders: u32,
    /// Answer an order question: MSGID=yes or MSGID=no (e.g. o163=yes). Repeatable.
    /// Without it every question goes back to the assistant unanswered.
    #[arg(long = "answer", value_name = "MSGID=yes|no")]
    pub answers: Vec<String>,
    /// The JSONL audit file of trading calls [default: mcp-audit.jsonl in the user's data dir]
    #[arg(long, value_name = "FILE")]
    pub audit: Option<PathBuf>,
    /// Serve the streamable HTTP transport at ADDR (loopback, e.g. 127.0.0.1:8765)
    /// instead of stdio; the endpoint is /mcp.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    /// Allow --http on a non-loopback address; needs --bearer-token-file.
    #[arg(long, requires_all = ["http", "bearer_token_file"])]
    pub bind_public: bool,
    /// A file holding the bearer token HTTP clients must send (Authorization: Bearer ...).
    #[arg(long, value_name = "FILE", requires = "http")]
    pub bearer_token_file: Option<PathBuf>,
}

/// `ibkr capture`.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// Write the fixtures, SOURCES.md and REVIEW.md under DIR.
    #[arg(long, value_name = "DIR", required_unless_present = "check")]
    pub out: Option<PathBuf>,
    /// Only these operations (operationIds, comma-separated); the ones that find parameters
    /// (the account, conids, ...) are still called, not written.
    #[arg(long, value_delimiter = ',', value_name = "OP,...")]
    pub only: Vec<String>,
    /// Make the same calls, write nothing, and print per operation whether its answer
    /// decodes, its undeclared fields and its type mismatches.
    #[arg(long, conflicts_with_all = ["out", "seed", "keep_amounts"])]
    pub check: bool,
    /// The anonymiser's seed (default: random; REVIEW.md records it).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Keep amounts as recorded instead of scaling them by one random factor.
    #[arg(long)]
    pub keep_amounts: bool,
}

/// An order id as IBKR gives them: digits, or `-1` (every open order, for `cancel`).
/// Anything else is a usage error (exit 2), never part of a request's path.
fn order_id(text: &str) -> Result<String, String> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if digits || text == "-1" {
        Ok(text.to_string())
    } else {
        Err("an order id is digits, or -1 for every open order".to_string())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn cancel_takes_digits_or_minus_one_and_nothing_else() {
        for ok in ["1370093239", "-1", "0"] {
            let cli = Cli::try_parse_from(["ibkr", "cancel", ok]).expect(ok);
            assert!(matches!(cli.command, Command::Cancel { id } if id == ok));
        }
        for bad in [
            "1/../../logout",
            "..",
            "",
            "-2",
            "12a",
            "1 2",
            "+1",
            "\\logout",
        ] {
            let err = Cli::try_parse_from(["ibkr", "cancel", bad]).expect_err(bad);
            assert_eq!(
                err.kind(),
                clap::error::ErrorKind::ValueValidation,
                "{bad:?}"
            );
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }
}
