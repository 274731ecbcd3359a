//! The session and account commands: status, accounts (and switching them), positions,
//! summary, ledger, trades, watchlists, scanner, alerts, contracts and option chains, each
//! printed as a table, JSON or CSV (`status` and `accounts` as text or JSON).

use ibkr_ext::alerts::{Crossing, PriceAlert};
use ibkr_ext::prelude::*;
use ibkr_ext::scanner::ScanRequest;
use ibkr_ext::{Conid, Position};
use serde_json::{Value, json};

use crate::args::{AlertAction, OutputFormat, ScannerAction, WatchlistAction};
use crate::context::{Session, conids_of};
use crate::failure::{self, Failure};
use crate::output;
use crate::table::{self, num};

/// `ibkr status`: the session; not logged in is exit 3.
pub async fn status(s: &Session) -> Result<(), Failure> {
    let state = match s.ibkr.auth_status().await {
        Ok(state) => state,
        Err(ibkr_ext::Error::NotAuthenticated { .. }) => SessionState::default(),
        Err(e) => return Err(e.into()),
    };
    output::status(
        s.json(),
        s.ibkr.base_url(),
        &state,
        crate::context::auth_summary(&s.ibkr),
    )?;
    if !state.logged_in {
        return Err(Failure::new(
            failure::SESSION,
            format!("not logged in: open {} and log in", s.ibkr.login_url()),
        ));
    }
    Ok(())
}

/// `ibkr accounts`: the login's accounts, the selected one marked.
pub async fn accounts(s: &Session) -> Result<(), Failure> {
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

const POSITION_COLUMNS: &[&str] = &[
    "account",
    "conid",
    "symbol",
    "position",
    "avg_cost",
    "market_price",
    "market_value",
    "unrealized_pnl",
    "currency",
];

fn position_json(p: &Position) -> Value {
    json!({
        "account": p.account,
        "conid": p.conid.0,
        "symbol": p.symbol,
        "position": num(Some(p.position)),
        "avg_cost": num(p.avg_cost),
        "market_price": num(p.market_price),
        "market_value": num(p.market_value),
        "unrealized_pnl": num(p.unrealized_pnl),
        "currency": p.currency,
    })
}

pub async fn positions(s: &Session, conid: Option<i64>) -> Result<(), Failure> {
    let format = s.format;
    let list = match conid {
        Some(c) => s.ibkr.positions_for(Conid(c)).await?,
        None => s.ibkr.positions().await?,
    };
    table::records(
        format,
        "positions",
        POSITION_COLUMNS,
        list.iter().map(position_json).collect(),
    )?;
    Ok(())
}

pub async fn summary(s: &Session) -> Result<(), Failure> {
    let format = s.format;
    let m = s.ibkr.summary().await?;
    table::object(
        format,
        &[
            "account",
            "currency",
            "net_liquidation",
            "total_cash",
            "buying_power",
            "available_funds",
            "excess_liquidity",
            "init_margin",
            "maint_margin",
            "gross_position_value",
            "equity_with_loan",
        ],
        json!({
            "account": m.account,
            "currency": m.currency,
            "net_liquidation": num(m.net_liquidation),
            "total_cash": num(m.total_cash),
            "buying_power": num(m.buying_power),
            "available_funds": num(m.available_funds),
            "excess_liquidity": num(m.excess_liquidity),
            "init_margin": num(m.init_margin),
            "maint_margin": num(m.maint_margin),
            "gross_position_value": num(m.gross_position_value),
            "equity_with_loan": num(m.equity_with_loan),
        }),
    )?;
    Ok(())
}

pub async fn ledger(s: &Session) -> Result<(), Failure> {
    let format = s.format;
    let rows = s.ibkr.ledger().await?;
    table::records(
        format,
        "ledger",
        &[
            "currency",
            "cash",
            "settled_cash",
            "stock_market_value",
            "net_liquidation",
            "unrealized_pnl",
            "realized_pnl",
            "dividends",
            "interest",
            "exchange_rate",
        ],
        rows.iter()
            .map(|l| {
                json!({
                    "currency": l.currency,
                    "cash": num(l.cash),
                    "settled_cash": num(l.settled_cash),
                    "stock_market_value": num(l.stock_market_value),
                    "net_liquidation": num(l.net_liquidation),
                    "unrealized_pnl": num(l.unrealized_pnl),
                    "realized_pnl": num(l.realized_pnl),
                    "dividends": num(l.dividends),
                    "interest": num(l.interest),
                    "exchange_rate": num(l.exchange_rate),
                })
            })
            .collect(),
    )?;
    Ok(())
}

pub async fn trades(s: &Session, days: u32) -> Result<(), Failure> {
    let format = s.format;
    let rows = s.ibkr.trades(days).await?;
    table::records(
        format,
        "trades",
        &[
            "time",
            "account",
            "conid",
            "symbol",
            "side",
            "size",
            "price",
            "commission",
            "net_amount",
            "execution_id",
            "order_id",
        ],
        rows.iter()
            .map(|t| {
                json!({
                    "time": t.trade_time,
                    "account": t.account,
                    "conid": t.conid.map(|c| c.0),
                    "symbol": t.symbol,
                    "side": t.side,
                    "size": num(Some(t.size)),
                    "price": num(t.price),
                    "commission": num(t.commission),
                    "net_amount": num(t.net_amount),
                    "execution_id": t.execution_id,
                    "order_id": t.order_id,
                })
            })
            .collect(),
    )?;
    Ok(())
}

fn watchlist_json(w: &ibkr_ext::watchlists::Watchlist) -> Value {
    json!({
        "id": w.id,
        "name": w.name,
        "read_only": w.read_only,
        "instruments": w.instruments.iter().map(|i| json!({
            "conid": i.conid.0, "symbol": i.symbol, "asset_class": i.asset_class, "name": i.name,
        })).collect::<Vec<_>>(),
    })
}

fn print_watchlist(
    format: OutputFormat,
    w: &ibkr_ext::watchlists::Watchlist,
) -> Result<(), Failure> {
    match format {
        OutputFormat::Json => crate::print::json(&watchlist_json(w)),
        _ => {
            if format == OutputFormat::Table {
                say!("{} {}", w.id, w.name)?;
            }
            let v = watchlist_json(w);
            let rows = v["instruments"].as_array().cloned().unwrap_or_default();
            table::records(
                format,
                "instruments",
                &["conid", "symbol", "asset_class", "name"],
                rows,
            )
        }
    }
}

pub async fn watchlist(s: &Session, action: WatchlistAction) -> Result<(), Failure> {
    let format = s.format;
    match action {
        WatchlistAction::List => {
            let lists = s.ibkr.watchlists().await?;
            table::records(
                format,
                "watchlists",
                &["id", "name", "read_only"],
                lists
                    .iter()
                    .map(|w| json!({"id": w.id, "name": w.name, "read_only": w.read_only}))
                    .collect(),
            )?;
        }
        WatchlistAction::Show { id } => print_watchlist(format, &s.ibkr.watchlist(&id).await?)?,
        WatchlistAction::Create { id, name, items } => {
            let conids: Vec<Conid> = conids_of(&s.ibkr, &items)
                .await?
                .into_iter()
                .map(|(_, c)| c)
                .collect();
            let w = s.ibkr.create_watchlist(&id, &name, &conids).await?;
            print_watchlist(format, &w)?;
        }
        WatchlistAction::Delete { id } => {
            s.ibkr.delete_watchlist(&id).await?;
            done(
                format,
                json!({"deleted": id.trim()}),
                &format!("deleted watchlist {}", id.trim()),
            )?;
        }
    }
    Ok(())
}

/// A change that succeeded: JSON, or one line for people.
fn done(format: OutputFormat, v: Value, text: &str) -> Result<(), Failure> {
    match format {
        OutputFormat::Table => say!("{text}"),
        _ => crate::print::json(&v),
    }
}

fn parse_filter(f: &str) -> Result<(String, f64), Failure> {
    let (code, value) = f.split_once('=').ok_or_else(|| {
        Failure::usage(format!("--filter {f:?}: write CODE=VALUE (priceAbove=5)"))
    })?;
    let value: f64 = value
        .trim()
        .parse()
        .map_err(|_| Failure::usage(format!("--filter {f:?}: {value:?} is not a number")))?;
    Ok((code.trim().to_string(), value))
}

pub async fn scanner(s: &Session, action: ScannerAction) -> Result<(), Failure> {
    let format = s.format;
    match action {
        ScannerAction::Params => {
            let p = s.ibkr.scanner_params().await?;
            let mut rows = Vec::new();
            for (kind, list) in [
                ("scan_type", &p.scan_types),
                ("instrument", &p.instruments),
                ("location", &p.locations),
                ("filter", &p.filters),
            ] {
                rows.extend(
                    list.iter()
                        .map(|c| json!({"kind": kind, "code": c.code, "name": c.name})),
                );
            }
            table::records(format, "params", &["kind", "code", "name"], rows)?;
        }
        ScannerAction::Run {
            scan_type,
            instrument,
            location,
            filters,
        } => {
            let mut request = ScanRequest::us_stocks(scan_type);
            request.instrument = instrument;
            request.location = location;
            for f in &filters {
                let (code, value) = parse_filter(f)?;
                request = request.filter(code, value);
            }
            let found = s.ibkr.scan(&request).await?;
            table::records(
                format,
                "results",
                &["rank", "conid", "symbol", "company", "exchange", "value"],
                found
                    .iter()
                    .map(|r| {
                        json!({"rank": r.rank, "conid": r.conid.0, "symbol": r.symbol,
                               "company": r.company, "exchange": r.exchange, "value": r.value})
                    })
                    .collect(),
            )?;
        }
    }
    Ok(())
}

pub async fn alert(s: &Session, action: AlertAction) -> Result<(), Failure> {
    let format = s.format;
    match action {
        AlertAction::List => {
            let list = s.ibkr.alerts().await?;
            table::records(
                format,
                "alerts",
                &["id", "name", "active", "triggered"],
                list.iter()
                    .map(|a| json!({"id": a.id, "name": a.name, "active": a.active, "triggered": a.triggered}))
                    .collect(),
            )?;
        }
        AlertAction::Create {
            item,
            name,
            above,
            below,
            outside_rth,
        } => {
            let (crossing, price) = match (above, below) {
                (Some(p), None) => (Crossing::Above, p),
                (None, Some(p)) => (Crossing::Below, p),
                _ => return Err(Failure::usage("give one of --above PRICE or --below PRICE")),
            };
            let (symbol, conid) = conids_of(&s.ibkr, std::slice::from_ref(&item))
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| Failure::usage("give a symbol or conid"))?;
            let name = name.unwrap_or_else(|| {
                format!(
                    "{symbol} {} {price}",
                    if crossing == Crossing::Above {
                        ">="
                    } else {
                        "<="
                    }
                )
            });
            let mut alert = PriceAlert::new(name.clone(), conid, crossing, price);
            alert.outside_rth = outside_rth;
            let id = s.ibkr.create_alert(&alert).await?;
            done(
                format,
                json!({"id": id, "name": name}),
                &format!("created alert {id}: {name}"),
            )?;
        }
        AlertAction::Activate { id } => {
            s.ibkr.activate_alert(id, true).await?;
            done(
                format,
                json!({"id": id, "active": true}),
                &format!("activated alert {id}"),
            )?;
        }
        AlertAction::Pause { id } => {
            s.ibkr.activate_alert(id, false).await?;
            done(
                format,
                json!({"id": id, "active": false}),
                &format!("paused alert {id}"),
            )?;
        }
        AlertAction::Delete { id } => {
            s.ibkr.delete_alert(id).await?;
            done(
                format,
                json!({"deleted": id}),
                &format!("deleted alert {id}"),
            )?;
        }
    }
    Ok(())
}

pub async fn contract(s: &Session, item: &str) -> Result<(), Failure> {
    let format = s.format;
    let (_, conid) = conids_of(&s.ibkr, &[item.to_string()])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Failure::usage("give a symbol or conid"))?;
    let c = s.ibkr.contract(conid).await?;
    let rules = s.ibkr.contract_rules(conid, true).await?;
    table::object(
        format,
        &[
            "conid",
            "symbol",
            "company",
            "sec_type",
            "exchange",
            "currency",
            "valid_exchanges",
            "industry",
            "multiplier",
            "expiry",
            "strike",
            "right",
            "order_types",
            "tif_types",
        ],
        json!({
            "conid": c.conid.0,
            "symbol": c.symbol,
            "company": c.company,
            "sec_type": c.sec_type,
            "exchange": c.exchange,
            "currency": c.currency,
            "valid_exchanges": c.valid_exchanges,
            "industry": c.industry,
            "multiplier": c.multiplier,
            "expiry": c.expiry,
            "strike": num(c.strike),
            "right": c.right,
            "order_types": rules.order_types.join(","),
            "tif_types": rules.tif_types.join(","),
        }),
    )?;
    Ok(())
}

pub async fn chain(s: &Session, symbol: &str, expiry: &str) -> Result<(), Failure> {
    let format = s.format;
    let chain = s.ibkr.chain(symbol, expiry).await?;
    let rows: Vec<Value> = chain
        .options
        .iter()
        .map(|o| {
            json!({"conid": o.conid.0, "right": o.right, "strike": num(Some(o.strike)),
                   "expiry": o.expiry, "description": o.description})
        })
        .collect();
    match format {
        OutputFormat::Json => crate::print::json(&json!({
            "underlying": chain.underlying.0,
            "symbol": chain.symbol,
            "expiry": chain.expiry_month,
            "strikes": chain.strikes.iter().map(|d| num(Some(*d))).collect::<Vec<_>>(),
            "options": rows,
        })),
        _ => table::records(
            format,
            "options",
            &["strike", "right", "expiry", "conid", "description"],
            rows,
        ),
    }
}

pub async fn switch(s: &Session, id: &str) -> Result<(), Failure> {
    let format = s.format;
    let ibkr = s.ibkr.switch_account(id).await?;
    let account = ibkr.account_id().unwrap_or(id).to_string();
    done(
        format,
        json!({"selected": account}),
        &format!("selected account {account}"),
    )?;
    Ok(())
}
