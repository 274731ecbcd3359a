//! The one dispatch: every parsed [`Command`] to the function that runs it.
//!
//! The top of the CLI's modules: it imports the command modules, which import
//! [`crate::context`] and below, never this one.

use clap::CommandFactory;

use crate::args::{AccountsAction, Cli, Command, FlexAction, Global, OrderAction};
use crate::context::{Session, connect};
use crate::failure::Failure;
use crate::{flex, gateway, market, mcp, oauth, orders, portfolio, sim, tour, watch};

/// Run the command: connect when it needs a session, then do the one thing it asks.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    let g = &cli.global;
    match cli.command {
        // Commands that bring their own session, or need none.
        Command::Tour { yes } => tour::run(g, yes).await,
        Command::Sim {
            port,
            http,
            seed,
            oauth,
            gateway,
        } => sim::serve(port, http, seed, oauth, gateway).await,
        Command::Gateway { action } => gateway::run(action, g).await,
        Command::Oauth1 { action } => oauth::oauth1_keys(action),
        Command::Oauth2 { action } => oauth::oauth2_keys(action),
        Command::Mcp(args) => mcp::run(g, args).await,
        Command::Completions { shell } => {
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
        } => flex::parse(&file, section.as_deref(), format),
        Command::Flex {
            action:
                FlexAction::Fetch {
                    query,
                    out,
                    from,
                    to,
                },
        } => flex::fetch(g, &query, out.as_deref(), from.as_deref(), to.as_deref()).await,

        // The session and its accounts.
        Command::Status => portfolio::status(&session(g).await?).await,
        Command::Accounts { action: None } => portfolio::accounts(&session(g).await?).await,
        Command::Accounts {
            action: Some(AccountsAction::Switch { id }),
        } => portfolio::switch(&brokerage(g).await?, &id).await,
        Command::Positions { conid } => portfolio::positions(&brokerage(g).await?, conid).await,
        Command::Summary => portfolio::summary(&brokerage(g).await?).await,
        Command::Ledger => portfolio::ledger(&brokerage(g).await?).await,
        Command::Trades { days } => portfolio::trades(&brokerage(g).await?, days).await,
        Command::Watchlist { action } => portfolio::watchlist(&brokerage(g).await?, action).await,
        Command::Scanner { action } => portfolio::scanner(&brokerage(g).await?, action).await,
        Command::Alert { action } => portfolio::alert(&brokerage(g).await?, action).await,
        Command::Contract { item } => portfolio::contract(&brokerage(g).await?, &item).await,
        Command::Chain { symbol, expiry } => {
            portfolio::chain(&brokerage(g).await?, &symbol, &expiry).await
        }

        // Market data.
        Command::Conid {
            symbols,
            exchange,
            name_match,
            any_market,
        } => {
            let queries: Vec<_> = symbols
                .iter()
                .map(|sym| {
                    market::query_for(sym, exchange.as_deref(), name_match.as_deref(), any_market)
                })
                .collect();
            market::conid(&session(g).await?, &queries).await
        }
        Command::Snapshot { items, fields } => {
            market::snapshot(&session(g).await?, &items, &fields).await
        }
        Command::History {
            items,
            period,
            bar,
            out,
            format,
        } => {
            market::history(
                &session(g).await?,
                &items,
                period,
                bar,
                out.as_deref(),
                format,
            )
            .await
        }
        Command::Watch {
            items,
            fields,
            until,
        } => {
            let s = session(g).await?;
            watch::watch(&s, &items, &fields, until.count, until.within.as_deref()).await
        }
        Command::Capture(args) => crate::capture::run(&session(g).await?, &args).await,

        // Orders and P&L.
        Command::Order {
            action: OrderAction::Preview(a),
        } => orders::order(&session(g).await?, &a, false).await,
        Command::Order {
            action: OrderAction::Place(a),
        } => orders::order(&session(g).await?, &a, true).await,
        Command::Orders {
            follow: false,
            until: _,
        } => orders::orders(&session(g).await?).await,
        Command::Orders {
            follow: true,
            until,
        } => {
            let s = session(g).await?;
            watch::follow_orders(&s, until.count, until.within.as_deref()).await
        }
        Command::Pnl { follow, until } => {
            let s = session(g).await?;
            watch::pnl(&s, follow, until.count, until.within.as_deref()).await
        }
        Command::Cancel { id } => orders::cancel(&session(g).await?, &id).await,
    }
}

/// The session the global options ask for (`--sim` or a gateway).
async fn session(g: &Global) -> Result<Session, Failure> {
    connect(g, g.sim).await
}

/// The session, with its brokerage session open (what the account commands read).
async fn brokerage(g: &Global) -> Result<Session, Failure> {
    let s = session(g).await?;
    s.ibkr.ensure_brokerage_session().await?;
    Ok(s)
}
