//! Each subcommand: connect, do one thing, print it as text or JSON.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use ibkr_ext::orders::OrderType;
use ibkr_ext::prelude::*;
use ibkr_ext::snapshot::Field;
use ibkr_flex::{FlexClient, FlexProgress, FlexRequest, GenericReport, PollPolicy};
use ibkr_sim::{FlexConfig, Gateway, RunningGateway};
use serde_json::json;

use crate::args::{
    Cli, Command, FileFormat, FlexAction, Global, OrderAction, OrderArgs, OrderTypeArg,
    OutputFormat, SideArg, TifArg,
};
use crate::failure::{self, Failure};
use crate::output;

/// The simulator's Flex token and query (what `--sim` uses for `flex fetch`).
pub const SIM_FLEX_TOKEN: &str = "123456789012345678901234";
pub const SIM_FLEX_QUERY: &str = "123456";

/// A connected session: the client, and the simulator when one was started.
pub struct Session {
    pub ibkr: Ibkr,
    pub sim: Option<RunningGateway>,
    /// The output format (`Global::format`).
    pub format: OutputFormat,
}

impl Session {
    /// Whether this run prints JSON.
    pub fn json(&self) -> bool {
        self.format == OutputFormat::Json
    }
}

/// Start the embedded simulator: plain HTTP on 127.0.0.1, IBKR's pacing rules, a Flex
/// service that answers "in progress" once.
pub async fn start_sim() -> Result<RunningGateway, Failure> {
    Ok(sim_builder().start().await?)
}

/// The embedded simulator's settings (see [`start_sim`]).
pub fn sim_builder() -> ibkr_sim::GatewayBuilder {
    Gateway::builder().seed(42).plain_http().flex(FlexConfig {
        token: SIM_FLEX_TOKEN.into(),
        query_id: SIM_FLEX_QUERY.into(),
        pending_polls: 1,
        min_interval: Duration::from_millis(200),
        ..FlexConfig::default()
    })
}

pub async fn connect(global: &Global, use_sim: bool) -> Result<Session, Failure> {
    let (sim, sim_login) = if global.sim_oauth {
        let (gw, config) = crate::oauth::start_sim_oauth().await?;
        (Some(gw), Some(config))
    } else if use_sim {
        (Some(start_sim().await?), None)
    } else {
        (None, None)
    };
    let mut builder = Ibkr::builder();
    if let Some(gw) = &sim {
        builder = builder.base_url(gw.base_url());
    } else if let Some(url) = &global.gateway {
        builder = builder.base_url(url);
    }
    if let Some(path) = &global.ca_cert {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("--ca-cert {}: {e}", path.display())))?;
        builder = builder.ca_cert(pem);
    }
    if let Some(a) = &global.account {
        builder = builder.account_id(a);
    }
    if let Some(ip) = global.local_address {
        builder = builder.local_address(ip);
    }
    if let Some(config) = sim_login {
        builder = builder.oauth1(config);
    } else if sim.is_none() {
        builder = crate::oauth::login(builder, global)?;
    }
    let ibkr = builder.build()?;
    Ok(Session {
        ibkr,
        sim,
        format: global.format(),
    })
}

/// Open the brokerage session and settle the account: `--account`, else the gateway's
/// selected one.
pub async fn ready(s: &Session) -> Result<(Ibkr, String), Failure> {
    s.ibkr.ensure_brokerage_session().await?;
    if let Some(a) = s.ibkr.account_id() {
        return Ok((s.ibkr.clone(), a.to_string()));
    }
    let accounts = s.ibkr.api().get_accounts().await?;
    let account = accounts
        .selected_account
        .clone()
        .or_else(|| accounts.accounts.first().cloned())
        .ok_or_else(|| Failure::new(failure::GENERAL, "the gateway lists no brokerage account"))?;
    Ok((s.ibkr.with_account(&account), account))
}

pub async fn run(cli: Cli) -> Result<(), Failure> {
    let g = &cli.global;
    match cli.command {
        Command::Tour { yes } => crate::tour::run(g, yes).await,
        Command::Sim {
            port,
            http,
            seed,
            oauth,
            gateway,
        } => serve_sim(port, http, seed, oauth, gateway).await,
        Command::Gateway { action } => crate::gateway::run(action, g).await,
        Command::Oauth1 { action } => crate::oauth::oauth1_keys(action),
        Command::Oauth2 { action } => crate::oauth::oauth2_keys(action),
        Command::Mcp(args) => crate::mcp::run(g, args).await,
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ibkr", &mut script);
            crate::print::bytes(&script)
        }
        Command::Flex {
            action:
                FlexAction::Parse {
                    file,
                    section,
                    format,
                },
        } => flex_parse(&file, section.as_deref(), format),
        Command::Flex {
            action:
                FlexAction::Fetch {
                    query,
                    out,
                    from,
                    to,
                },
        } => flex_fetch(g, &query, out.as_deref(), from.as_deref(), to.as_deref()).await,
        other => {
            let s = connect(g, g.sim).await?;
            match other {
                cmd @ (Command::Positions { .. }
                | Command::Summary
                | Command::Ledger
                | Command::Trades { .. }
                | Command::Watchlist { .. }
                | Command::Scanner { .. }
                | Command::Alert { .. }
                | Command::Contract { .. }
                | Command::Chain { .. }
                | Command::Accounts { action: Some(_) }) => {
                    crate::portfolio::run(&s, s.format, cmd).await
                }
                Command::Status => status(&s).await,
                Command::Accounts { action: None } => accounts(&s).await,
                Command::Conid {
                    symbols,
                    exchange,
                    name_match,
                    any_market,
                } => {
                    let queries = symbols
                        .iter()
                        .map(|sym| {
                            query_for(sym, exchange.as_deref(), name_match.as_deref(), any_market)
                        })
                        .collect::<Vec<_>>();
                    conid(&s, &queries).await
                }
                Command::Snapshot { items, fields } => snapshot(&s, &items, &fields).await,
                Command::History {
                    items,
                    period,
                    bar,
                    out,
                    format,
                } => history(&s, &items, period, bar, out.as_deref(), format).await,
                Command::Order {
                    action: OrderAction::Preview(a),
                } => order(&s, &a, false).await,
                Command::Order {
                    action: OrderAction::Place(a),
                } => order(&s, &a, true).await,
                Command::Orders {
                    follow: false,
                    until: _,
                } => orders(&s).await,
                Command::Orders {
                    follow: true,
                    until,
                } => crate::watch::follow_orders(&s, until.count, until.within.as_deref()).await,
                Command::Pnl { follow, until } => {
                    crate::watch::pnl(&s, follow, until.count, until.within.as_deref()).await
                }
                Command::Watch {
                    items,
                    fields,
                    until,
                } => {
                    crate::watch::watch(&s, &items, &fields, until.count, until.within.as_deref())
                        .await
                }
                Command::Cancel { id } => cancel(&s, &id).await,
                Command::Capture(args) => crate::capture::run(&s, &args).await,
                Command::Tour { .. }
                | Command::Sim { .. }
                | Command::Gateway { .. }
                | Command::Flex { .. }
                | Command::Oauth1 { .. }
                | Command::Oauth2 { .. }
                | Command::Mcp(_)
                | Command::Completions { .. } => {
                    unreachable!("handled above")
                }
            }
        }
    }
}

fn query_for(
    symbol: &str,
    exchange: Option<&str>,
    name_match: Option<&str>,
    any_market: bool,
) -> StockQuery {
    let mut q = StockQuery::new(symbol);
    if let Some(n) = name_match {
        q = q.name_match(n);
    }
    if any_market {
        q = q.any_market();
    }
    if let Some(e) = exchange {
        q = q.exchange(e);
    }
    q
}

async fn status(s: &Session) -> Result<(), Failure> {
    let state = match s.ibkr.auth_status().await {
        Ok(state) => state,
        Err(ibkr_ext::Error::NotAuthenticated { .. }) => SessionState::default(),
        Err(e) => return Err(e.into()),
    };
    output::status(
        s.json(),
        s.ibkr.base_url(),
        &state,
        crate::oauth::auth_summary(&s.ibkr),
    )?;
    if !state.logged_in {
        return Err(Failure::new(
            failure::SESSION,
            format!("not logged in: open {} and log in", s.ibkr.login_url()),
        ));
    }
    Ok(())
}

async fn accounts(s: &Session) -> Result<(), Failure> {
    s.ibkr.ensure_brokerage_session().await?;
    let a = s.ibkr.api().get_accounts().await?;
    if s.json() {
        crate::print::json(&json!({"accounts": a.accounts, "selected": a.selected_account}))?;
    } else {
        for acct in &a.accounts {
            let mark = if Some(acct) == a.selected_account.as_ref() {
                "*"
            } else {
                " "
            };
            say!("{mark} {acct}")?;
        }
    }
    Ok(())
}

pub async fn conid(s: &Session, queries: &[StockQuery]) -> Result<(), Failure> {
    let results = s.ibkr.resolve_each(queries).await?;
    let mut resolved = BTreeMap::new();
    let mut first_error = None;
    for (q, r) in results {
        match r {
            Ok(c) => {
                resolved.insert(q.symbol().to_string(), c.0);
            }
            Err(e) => {
                if !s.json() {
                    note!("{e}");
                }
                first_error.get_or_insert(e);
            }
        }
    }
    if s.json() {
        crate::print::json(&json!(resolved))?;
    } else {
        for (sym, c) in &resolved {
            say!("{sym:<8} {c}")?;
        }
    }
    match first_error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Symbols and conids from the command line, in order.
pub(crate) async fn conids_of(
    ibkr: &Ibkr,
    items: &[String],
) -> Result<Vec<(String, Conid)>, Failure> {
    // StockQuery keys its symbol trimmed and upper-cased; look it up by the same key
    // (" aapl" once indexed the map by the raw text and panicked).
    let keys: Vec<String> = items.iter().map(|i| i.trim().to_uppercase()).collect();
    if let Some(blank) = items.iter().find(|i| i.trim().is_empty()) {
        return Err(Failure::usage(format!(
            "{blank:?} is neither a symbol nor a conid"
        )));
    }
    let queries: Vec<StockQuery> = keys
        .iter()
        .filter(|k| k.parse::<i64>().is_err())
        .map(|k| StockQuery::new(k.as_str()))
        .collect();
    let resolved = ibkr.resolve_conids(&queries).await?;
    keys.into_iter()
        .map(|k| match k.parse::<i64>() {
            Ok(n) => Ok((k, Conid(n))),
            Err(_) => match resolved.get(&k) {
                Some(c) => Ok((k, *c)),
                None => Err(Failure::new(
                    failure::GENERAL,
                    format!("{k}: not resolved to a conid"),
                )),
            },
        })
        .collect()
}

pub const DEFAULT_SNAPSHOT_FIELDS: &[Field] = &[
    Field::LastPrice,
    Field::Bid,
    Field::Ask,
    Field::Volume,
    Field::ChangePercent,
];

pub async fn snapshot(s: &Session, items: &[String], fields: &[String]) -> Result<(), Failure> {
    s.ibkr.ensure_brokerage_session().await?;
    let fields: Vec<Field> = if fields.is_empty() {
        DEFAULT_SNAPSHOT_FIELDS.to_vec()
    } else {
        fields
            .iter()
            .map(|f| {
                Field::parse(f).ok_or_else(|| {
                    Failure::usage(format!(
                        "unknown field {f:?}: use a name like LastPrice or an id like 31"
                    ))
                })
            })
            .collect::<Result<_, _>>()?
    };
    let keyed = conids_of(&s.ibkr, items).await?;
    let conids: Vec<Conid> = keyed.iter().map(|(_, c)| *c).collect();
    let quotes = s.ibkr.snapshot(&conids, &fields).await?;
    output::snapshot(s.json(), &keyed, &fields, &quotes)?;
    Ok(())
}

pub async fn history(
    s: &Session,
    items: &[String],
    period: Period,
    bar: BarSize,
    out: Option<&std::path::Path>,
    format: FileFormat,
) -> Result<(), Failure> {
    s.ibkr.ensure_brokerage_session().await?;
    let history_items: Vec<HistoryItem> = items
        .iter()
        .map(|i| match i.parse::<i64>() {
            Ok(n) => HistoryItem::Conid(Conid(n)),
            Err(_) => HistoryItem::Query(StockQuery::new(i.as_str())),
        })
        .collect();
    let bar_progress = indicatif::ProgressBar::new(history_items.len() as u64);
    bar_progress.set_style(
        indicatif::ProgressStyle::with_template("{spinner} history {pos}/{len} [{bar:30}] {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut stream = s.ibkr.history_many(history_items, period, bar);
    let mut all: BTreeMap<String, Vec<Bar>> = BTreeMap::new();
    let mut failed = Vec::new();
    while let Some((item, result)) = stream.next().await {
        bar_progress.inc(1);
        bar_progress.set_message(item.to_string());
        match result {
            Ok(bars) => {
                all.insert(item.to_string(), bars.bars);
            }
            Err(e) => failed.push((item.to_string(), e)),
        }
    }
    bar_progress.finish_and_clear();
    match out {
        Some(dir) => output::write_history_files(dir, &all, format)?,
        None => output::history(s.json(), &all)?,
    }
    if let Some((item, e)) = failed.into_iter().next() {
        return Err(Failure::from(e).prefixed(&item));
    }
    Ok(())
}

impl Failure {
    fn prefixed(mut self, what: &str) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

pub fn parse_answers(answers: &[String]) -> Result<AnswerPolicy, Failure> {
    let mut policy = AnswerPolicy::new();
    for a in answers {
        let (id, yes) = a.split_once('=').ok_or_else(|| {
            Failure::usage(format!("--answer {a:?}: write MSGID=yes or MSGID=no"))
        })?;
        let yes = match yes.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" => true,
            "no" | "n" | "false" => false,
            other => {
                return Err(Failure::usage(format!(
                    "--answer {a:?}: {other:?} is neither yes nor no"
                )));
            }
        };
        policy = policy.answer(id.trim(), yes);
    }
    Ok(policy)
}

async fn order(s: &Session, a: &OrderArgs, place: bool) -> Result<(), Failure> {
    if place && !a.yes {
        return Err(Failure::usage(
            "refusing to place an order without --yes (use `ibkr order preview` to see what it would do)",
        ));
    }
    let policy = parse_answers(&a.answers)?;
    let (ibkr, _account) = ready(s).await?;
    let conid = match (a.conid, &a.symbol) {
        (Some(c), _) => Conid(c),
        (None, Some(sym)) => ibkr.resolve_conid(sym.as_str()).await?,
        (None, None) => return Err(Failure::usage("give --conid or --symbol")),
    };
    let side = match a.side {
        SideArg::Buy => Side::Buy,
        SideArg::Sell => Side::Sell,
    };
    let mut ticket = OrderTicket::new(conid, side, a.quantity).tif(match a.tif {
        TifArg::Day => TimeInForce::Day,
        TifArg::Gtc => TimeInForce::Gtc,
        TifArg::Ioc => TimeInForce::Ioc,
    });
    let need = |p: Option<rust_decimal::Decimal>, what: &str| {
        p.ok_or_else(|| Failure::usage(format!("--type {what} needs --price")))
    };
    ticket = match a.order_type {
        OrderTypeArg::Mkt => ticket.order_type(OrderType::Market),
        OrderTypeArg::Lmt => ticket.limit(need(a.price, "LMT")?),
        OrderTypeArg::Stp => ticket.stop(need(a.price, "STP")?),
        OrderTypeArg::StpLimit => {
            let stop = a
                .stop_price
                .ok_or_else(|| Failure::usage("--type STP_LIMIT needs --stop-price and --price"))?;
            ticket.stop_limit(stop, need(a.price, "STP_LIMIT")?)
        }
    };
    if !place {
        let preview = ibkr.preview(ticket).await?;
        output::preview(s.json(), &preview)?;
        return Ok(());
    }
    let outcome = ibkr.place(ticket, &policy).await;
    report_outcome(s.json(), outcome)
}

/// Print an order's outcome; anything but a placed order is a failure (exit 4).
pub fn report_outcome(json: bool, outcome: ibkr_ext::Result<OrderOutcome>) -> Result<(), Failure> {
    match outcome {
        Ok(OrderOutcome::Submitted {
            order_id, status, ..
        }) => {
            if json {
                crate::print::json(&json!({"order_id": order_id, "status": status}))?;
            } else {
                say!("order {order_id}: {status}")?;
            }
            Ok(())
        }
        Ok(OrderOutcome::PartlySubmitted {
            orders,
            rejected,
            declined,
            prompt,
        }) => {
            let live: Vec<String> = orders
                .iter()
                .map(|o| format!("{} ({})", o.order_id, o.status))
                .collect();
            if json {
                crate::print::json(&json!({
                    "outcome": "partly_submitted",
                    "orders": orders,
                    "rejected": rejected,
                    "declined": declined,
                    "prompt": prompt,
                }))?;
            }
            let mut why: Vec<String> = rejected
                .iter()
                .map(|r| format!("rejected: {}", one_line(r)))
                .collect();
            why.extend(declined.iter().map(|d| {
                format!(
                    "declined [{}]: {}",
                    d.message_ids.join(","),
                    one_line(&d.text)
                )
            }));
            if let Some(p) = &prompt {
                why.push(format!("prompt unanswered: {}", one_line(&p.text)));
            }
            Err(Failure::new(
                failure::ORDER_PARTLY_PLACED,
                format!(
                    "order group PARTLY placed: live now: {}; not placed: {}. Cancel the live orders (ibkr cancel ID) or keep them; do not resend the group",
                    live.join(", "),
                    why.join("; ")
                ),
            ))
        }
        Ok(OrderOutcome::Declined(DeclinedQuestion {
            message_ids,
            text,
            reason,
        })) => Err(Failure::new(
            failure::ORDER_NOT_PLACED,
            match reason {
                DeclineReason::AnsweredNo => format!(
                    "order declined (confirmed:false sent) on question [{}]: {}",
                    message_ids.join(","),
                    one_line(&text)
                ),
                DeclineReason::Unanswered => format!(
                    "order not placed: IBKR asked [{}] \"{}\"; it was declined because no --answer covers it (add --answer {}=yes to confirm)",
                    message_ids.join(","),
                    one_line(&text),
                    message_ids.first().map(String::as_str).unwrap_or("MSGID")
                ),
            },
        )),
        Ok(OrderOutcome::Prompt(p)) => Err(Failure::new(
            failure::ORDER_NOT_PLACED,
            format!(
                "IBKR asks you to choose ({}): {} options: {}",
                p.message_id.unwrap_or_default(),
                one_line(&p.text),
                p.options.join(" / ")
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn orders(s: &Session) -> Result<(), Failure> {
    s.ibkr.ensure_brokerage_session().await?;
    let live = s.ibkr.live_orders().await?;
    output::orders(s.json(), &live)?;
    Ok(())
}

async fn cancel(s: &Session, id: &str) -> Result<(), Failure> {
    let (ibkr, _) = ready(s).await?;
    let ack = ibkr.cancel(id).await?;
    if s.json() {
        crate::print::json(&json!({"message": ack.message, "order_id": ack.order_id}))?;
    } else {
        say!("{}", ack.message)?;
    }
    Ok(())
}

async fn serve_sim(
    port: u16,
    http: bool,
    seed: u64,
    oauth: Option<std::path::PathBuf>,
    gateway: crate::args::SimGatewayArgs,
) -> Result<(), Failure> {
    let options = ibkr_sim::ServeOptions {
        port,
        plain_http: http,
        seed,
        oauth_dir: oauth,
        deny: (!gateway.deny.is_empty()).then_some(gateway.deny),
        allow: gateway.allow,
        upstream_unreachable: gateway.upstream_unreachable,
        logged_in: !gateway.logged_out,
        login_users: gateway.login_user,
        ..Default::default()
    };
    ibkr_sim::serve_forever(options).await?;
    Ok(())
}

fn flex_parse(
    file: &std::path::Path,
    section: Option<&str>,
    format: FileFormat,
) -> Result<(), Failure> {
    let input = std::fs::File::open(file)
        .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    let report = GenericReport::from_reader(std::io::BufReader::new(input))?;
    output::flex(&report, section, format)
}

pub fn flex_client(token: String, base: Option<&str>, fast: bool) -> Result<FlexClient, Failure> {
    let mut b = FlexClient::builder(token).on_progress(|p| match p {
        FlexProgress::Requesting { attempt } => {
            note!("flex: requesting the statement (attempt {attempt})")
        }
        FlexProgress::Waiting { delay, because } => match because {
            Some(code) => note!(
                "flex: IBKR says {code:?}; waiting {:.1} s",
                delay.as_secs_f64()
            ),
            None => note!(
                "flex: waiting {:.1} s for IBKR to generate it",
                delay.as_secs_f64()
            ),
        },
        FlexProgress::Polling { attempt } => {
            note!("flex: asking for the statement (poll {attempt})")
        }
        FlexProgress::Done { bytes } => note!("flex: received {bytes} bytes"),
        #[allow(unreachable_patterns)]
        other => note!("flex: {other:?}"),
    });
    if let Some(base) = base {
        b = b.base_url(base);
    }
    if fast {
        b = b.policy(PollPolicy {
            first_poll_delay: Duration::from_millis(300),
            poll_interval: Duration::from_millis(300),
            min_request_gap: Duration::from_millis(250),
            ..PollPolicy::default()
        });
    }
    Ok(b.build()?)
}

async fn flex_fetch(
    g: &Global,
    query: &str,
    out: Option<&std::path::Path>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(), Failure> {
    let sim = if g.sim {
        Some(start_sim().await?)
    } else {
        None
    };
    let token = match &sim {
        Some(_) => SIM_FLEX_TOKEN.to_string(),
        None => std::env::var("IBKR_FLEX_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| Failure::usage("set IBKR_FLEX_TOKEN to your Flex Web Service token (it is never taken from a flag)"))?,
    };
    let client = flex_client(
        token,
        sim.as_ref().map(|s| s.flex_base_url()),
        sim.is_some(),
    )?;
    let mut request = FlexRequest::new(query);
    if let (Some(f), Some(t)) = (from, to) {
        let day = |s: &str| {
            chrono::NaiveDate::parse_from_str(s, "%Y%m%d")
                .map_err(|_| Failure::usage(format!("{s:?} is not a yyyymmdd date")))
        };
        request = request.period(day(f)?, day(t)?);
    } else if from.is_some() || to.is_some() {
        return Err(Failure::usage("--from and --to go together"));
    }
    let download = client.fetch(request).await?;
    match out {
        Some(path) => {
            std::fs::write(path, download.bytes())?;
            note!(
                "flex: wrote {} ({} bytes)",
                path.display(),
                download.bytes().len()
            );
        }
        None => {
            crate::print::bytes(download.bytes())?;
        }
    }
    Ok(())
}
