//! The read-only tools, always present. Each answers structured content; money is exact
//! decimal text. Tools that take an `account` refuse any account outside `--account`.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use futures::StreamExt;
use ibkr_ext::prelude::*;
use ibkr_ext::scanner::ScanRequest;
use ibkr_ext::{Field, Position};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::params::Parameters;
use super::result::{ToolError, dec, respond};
use super::{FlexSource, IbkrMcp};
use crate::mcp::guards::Refusal;

/// The most bars one `history` call returns.
pub const MAX_HISTORY_BARS: u64 = 5_000;
/// The most conids of one `quote` (IBKR's snapshot limit).
pub const MAX_QUOTE_CONIDS: usize = 100;
/// Flex rows per page, by default and at most.
const FLEX_PAGE: usize = 100;
const FLEX_PAGE_MAX: usize = 1_000;
/// Scanner parameter entries per page, by default and at most.
const PARAMS_PAGE: usize = 200;
const PARAMS_PAGE_MAX: usize = 2_000;

type Answer = Result<Value, ToolError>;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountArg {
    /// The account id (default: the first --account the server was started with, else the
    /// gateway's selected account).
    #[serde(default)]
    pub account: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionsArgs {
    /// The account id (default: the server's default account).
    #[serde(default)]
    pub account: Option<String>,
    /// Only this contract, across every allowed account.
    #[serde(default)]
    pub conid: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TradesArgs {
    /// How many days back, 1 to 7 (IBKR keeps a week). Default 7.
    #[serde(default)]
    pub days: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderIdArg {
    /// IBKR's order id (from orders or place_order).
    pub order_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveArgs {
    /// Stock symbols (AAPL, MSFT, ...), at most 100.
    pub symbols: Vec<String>,
    /// Only listings on this exchange (NASDAQ, NYSE, ...).
    #[serde(default)]
    pub exchange: Option<String>,
    /// Only instruments whose name contains this (case-insensitive).
    #[serde(default)]
    pub name_match: Option<String>,
    /// Consider non-US listings too (default: US listings only).
    #[serde(default)]
    pub any_market: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemArg {
    /// A US stock symbol (AAPL) or a conid (265598).
    pub item: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChainArgs {
    /// The underlying's symbol (AAPL).
    pub symbol: String,
    /// The expiry month, YYYYMM (202701).
    pub expiry: String,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstrumentsArgs {
    /// Symbols (AAPL, MSFT), resolved to US stock conids.
    #[serde(default)]
    pub symbols: Vec<String>,
    /// Conids.
    #[serde(default)]
    pub conids: Vec<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryArgs {
    /// Symbols (AAPL, MSFT), resolved to US stock conids.
    #[serde(default)]
    pub symbols: Vec<String>,
    /// Conids.
    #[serde(default)]
    pub conids: Vec<i64>,
    /// How far back: a number and a unit, min, h, d, w, m or y (1d, 2w, 6m, 1y). Default 1m.
    #[serde(default)]
    pub period: Option<String>,
    /// The bar size: 1min, 5min, 15min, 30min, 1h, 4h, 1d, 1w, 1m. Default 1d.
    #[serde(default)]
    pub bar: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScannerParamsArgs {
    /// Only this kind: scan_type, instrument, location or filter.
    #[serde(default)]
    pub kind: Option<String>,
    /// Skip this many entries (pagination). Default 0.
    #[serde(default)]
    pub offset: Option<usize>,
    /// At most this many entries (default 200, at most 2000).
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScannerRunArgs {
    /// The scan type code (TOP_PERC_GAIN, MOST_ACTIVE, ...; see scanner_params).
    pub scan_type: String,
    /// The instrument code. Default STK.
    #[serde(default)]
    pub instrument: Option<String>,
    /// The location code. Default STK.US.MAJOR.
    #[serde(default)]
    pub location: Option<String>,
    /// Filters by code: {"priceAbove": 5}.
    #[serde(default)]
    pub filters: BTreeMap<String, f64>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchlistArgs {
    /// One watchlist's id: its instruments. Without it, the list of watchlists.
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlexArgs {
    /// Fetch this Flex query id from IBKR (token from the server's IBKR_FLEX_TOKEN only).
    #[serde(default)]
    pub query_id: Option<String>,
    /// Or parse this local Flex XML file.
    #[serde(default)]
    pub file: Option<String>,
    /// Fetch again instead of reusing the statement fetched last for this query.
    #[serde(default)]
    pub refresh: bool,
    /// The section whose rows to return (Trades, CashTransactions, ...). Without it, only
    /// the summaries.
    #[serde(default)]
    pub section: Option<String>,
    /// Skip this many rows of the section (pagination). Default 0.
    #[serde(default)]
    pub offset: Option<usize>,
    /// At most this many rows (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// IBKR's display text as an exact decimal: `C`/`H` prefixes (prior close, halted) and
/// thousands separators dropped; `None` when it is not a plain number.
pub fn decimal_of_text(raw: &str) -> Option<Decimal> {
    let t = raw.trim();
    let t = t
        .strip_prefix('C')
        .or_else(|| t.strip_prefix('H'))
        .unwrap_or(t);
    let plain: String = t.chars().filter(|c| *c != ',').collect();
    Decimal::from_str(&plain).ok()
}

/// A float IBKR sent, as the decimal text of its shortest representation (the digits IBKR
/// sent), or `null`.
fn float_text(x: f64) -> Value {
    if !x.is_finite() {
        return Value::Null;
    }
    Decimal::from_str(&x.to_string())
        .or_else(|_| Decimal::from_scientific(&format!("{x:e}")))
        .map(|d| Value::String(d.to_string()))
        .unwrap_or(Value::Null)
}

fn position_json(p: &Position) -> Value {
    json!({
        "account": p.account,
        "conid": p.conid.0,
        "symbol": p.symbol,
        "description": p.description,
        "asset_class": p.asset_class,
        "position": dec(Some(p.position)),
        "avg_cost": dec(p.avg_cost),
        "market_price": dec(p.market_price),
        "market_value": dec(p.market_value),
        "unrealized_pnl": dec(p.unrealized_pnl),
        "realized_pnl": dec(p.realized_pnl),
        "currency": p.currency,
    })
}

/// Trading days (regular hours) in a period such as `6m`, and minutes for `min`/`h`.
enum Span {
    Minutes(u64),
    Days(u64),
}

fn split_unit(text: &str) -> Option<(u64, String)> {
    let t = text.trim().to_ascii_lowercase();
    let digits = t.find(|c: char| !c.is_ascii_digit())?;
    let n: u64 = t[..digits].parse().ok()?;
    (n > 0).then(|| (n, t[digits..].to_string()))
}

fn period_span(period: &str) -> Option<Span> {
    let (n, unit) = split_unit(period)?;
    Some(match unit.as_str() {
        "min" => Span::Minutes(n),
        "h" => Span::Minutes(n * 60),
        "d" => Span::Days(n),
        "w" => Span::Days(n * 5),
        "m" => Span::Days(n * 21),
        "y" => Span::Days(n * 252),
        _ => return None,
    })
}

/// Bars one trading day holds at this bar size (regular hours, 6.5 h), as a fraction
/// numerator/denominator; `None` for an unknown bar.
fn bars_per_day(bar: &str) -> Option<(u64, u64)> {
    let (n, unit) = split_unit(bar)?;
    Some(match unit.as_str() {
        "min" => (390, n),
        "h" => (390, n * 60),
        "d" => (1, n),
        "w" => (1, 5 * n),
        "m" => (1, 21 * n),
        _ => return None,
    })
}

/// About how many bars one instrument's history holds.
pub fn estimate_bars(period: &str, bar: &str) -> Result<u64, Refusal> {
    let span = period_span(period).ok_or_else(|| {
        Refusal::argument(
            "period",
            format!("{period:?} is not a period like 1d, 2w, 6m or 1y"),
        )
    })?;
    let (num, den) = bars_per_day(bar).ok_or_else(|| {
        Refusal::argument(
            "bar",
            format!("{bar:?} is not a bar size like 5min, 1h or 1d"),
        )
    })?;
    Ok(match span {
        Span::Days(d) => (d * num).div_ceil(den),
        // An intraday period: its minutes over the bar's minutes (daily bars: one).
        Span::Minutes(m) => (m * num).div_ceil(390 * den).max(1),
    })
}

#[tool_router(router = read_router, vis = "pub(crate)")]
impl IbkrMcp {
    /// The accounts of this login the server may use (only those of --account when it was
    /// started with it), the gateway's selected one, and which are paper accounts.
    #[tool(
        description = "The brokerage accounts this server may use, the selected one, and which are paper accounts (ids DU…/DF…). Call this first to learn the account ids. No arguments.",
        annotations(read_only_hint = true)
    )]
    async fn accounts(&self) -> CallToolResult {
        respond(self.accounts_answer().await)
    }

    #[tool(
        description = "The session: logged in, brokerage session open, competing session; and this server's guards (trading on/off, allowed accounts, live allowed, max notional, orders left). No arguments.",
        annotations(read_only_hint = true)
    )]
    async fn session_status(&self) -> CallToolResult {
        respond(self.session_answer().await)
    }

    #[tool(
        description = "Positions of one account (every page; amounts are exact decimal text in the position's currency), or with `conid` that contract's positions across the allowed accounts.",
        annotations(read_only_hint = true)
    )]
    async fn positions(&self, Parameters(a): Parameters<PositionsArgs>) -> CallToolResult {
        respond(self.positions_answer(a).await)
    }

    #[tool(
        description = "Balances, margin and buying power of one account, in its base currency (exact decimal text).",
        annotations(read_only_hint = true)
    )]
    async fn account_summary(&self, Parameters(a): Parameters<AccountArg>) -> CallToolResult {
        respond(self.summary_answer(a).await)
    }

    #[tool(
        description = "The cash ledger of one account, one entry per currency (BASE first), exact decimal text.",
        annotations(read_only_hint = true)
    )]
    async fn ledger(&self, Parameters(a): Parameters<AccountArg>) -> CallToolResult {
        respond(self.ledger_answer(a).await)
    }

    #[tool(
        description = "Profit and loss per account partition (daily, unrealized, net liquidation, market value), exact decimal text. IBKR paces this at one call per 5 seconds; the server waits rather than be refused. No arguments.",
        annotations(read_only_hint = true)
    )]
    async fn pnl(&self) -> CallToolResult {
        respond(self.pnl_answer().await)
    }

    #[tool(
        description = "Executions of the last `days` days (1 to 7, default 7) in the allowed accounts. IBKR paces this at one call per 5 seconds.",
        annotations(read_only_hint = true)
    )]
    async fn trades(&self, Parameters(a): Parameters<TradesArgs>) -> CallToolResult {
        respond(self.trades_answer(a).await)
    }

    #[tool(
        description = "Live orders of the session (IBKR keeps them for the day) in the allowed accounts, as {\"orders\": [...]}, each with order_id, account, conid, ticker, side (BUY/SELL), total_size, filled, remaining, order_type, price, avg_price, time_in_force, status (Submitted, PreSubmitted, Filled, Cancelled, ...) and client_order_id. IBKR paces this at one call per 5 seconds. No arguments.",
        annotations(read_only_hint = true)
    )]
    async fn orders(&self) -> CallToolResult {
        respond(self.orders_answer().await)
    }

    #[tool(
        description = "One order's status and details by IBKR order id.",
        annotations(read_only_hint = true)
    )]
    async fn order_status(&self, Parameters(a): Parameters<OrderIdArg>) -> CallToolResult {
        respond(self.order_status_answer(a).await)
    }

    #[tool(
        description = "Resolve US stock symbols to IBKR contract ids (conids), 50 symbols per IBKR request, cached. A symbol that does not resolve to exactly one listing is reported with its candidates.",
        annotations(read_only_hint = true)
    )]
    async fn resolve_conids(&self, Parameters(a): Parameters<ResolveArgs>) -> CallToolResult {
        respond(self.resolve_answer(a).await)
    }

    #[tool(
        description = "What a contract is (symbol, company, type, exchange, currency, multiplier) and how it trades (order types, TIFs). `item` is a US stock symbol or a conid.",
        annotations(read_only_hint = true)
    )]
    async fn contract(&self, Parameters(a): Parameters<ItemArg>) -> CallToolResult {
        respond(self.contract_answer(a).await)
    }

    #[tool(
        description = "The option chain of a stock for one expiry month (YYYYMM): strikes and each option's conid, right and expiry. Strikes are exact decimal text.",
        annotations(read_only_hint = true)
    )]
    async fn option_chain(&self, Parameters(a): Parameters<ChainArgs>) -> CallToolResult {
        respond(self.chain_answer(a).await)
    }

    #[tool(
        description = "A market data snapshot of `symbols` and/or `conids` (at most 100): each quote has conid, symbol, last, bid, ask (exact decimal text), volume, and flags (last_is_prior_close, halted, data = IBKR's availability code: R real time, D delayed). IBKR's first-request pre-flight is handled (the snapshot is polled until the fields arrive).",
        annotations(read_only_hint = true)
    )]
    async fn quote(&self, Parameters(a): Parameters<InstrumentsArgs>) -> CallToolResult {
        respond(self.quote_answer(a).await)
    }

    #[tool(
        description = "Historical OHLCV bars for `symbols` and/or `conids`: `period` (1d, 2w, 6m, 1y; default 1m) of `bar` bars (5min, 1h, 1d; default 1d). At most 5,000 bars per call in total (estimated from regular trading hours before asking IBKR): a bigger request is refused; narrow it with a shorter period, a larger bar or fewer symbols. At most 5 requests in flight (IBKR allows 5 concurrent history requests; more are queued). Prices are decimal text as IBKR sent them; t is UTC.",
        annotations(read_only_hint = true)
    )]
    async fn history(&self, Parameters(a): Parameters<HistoryArgs>) -> CallToolResult {
        respond(self.history_answer(a).await)
    }

    #[tool(
        description = "Market scanner parameters: scan types, instruments, locations and filters (code and name), paginated (offset, limit) and optionally one `kind`. IBKR allows this once per 15 minutes; the SDK keeps the answer.",
        annotations(read_only_hint = true)
    )]
    async fn scanner_params(&self, Parameters(a): Parameters<ScannerParamsArgs>) -> CallToolResult {
        respond(self.scanner_params_answer(a).await)
    }

    #[tool(
        description = "Run a market scanner (scan_type from scanner_params; default instrument STK and location STK.US.MAJOR; filters by code such as {\"priceAbove\": 5}). Results in rank order. IBKR paces scanners at one run per second.",
        annotations(read_only_hint = true)
    )]
    async fn scanner_run(&self, Parameters(a): Parameters<ScannerRunArgs>) -> CallToolResult {
        respond(self.scanner_run_answer(a).await)
    }

    #[tool(
        description = "The login's watchlists, or with `id` one watchlist's instruments (conid, symbol, asset class, name).",
        annotations(read_only_hint = true)
    )]
    async fn watchlists(&self, Parameters(a): Parameters<WatchlistArgs>) -> CallToolResult {
        respond(self.watchlists_answer(a).await)
    }

    #[tool(
        description = "The account's price alerts (id, name, active, triggered). No arguments.",
        annotations(read_only_hint = true)
    )]
    async fn alerts(&self) -> CallToolResult {
        respond(self.alerts_answer().await)
    }

    #[tool(
        description = "A Flex statement: fetch `query_id` from IBKR's Flex Web Service (the token comes from the server's IBKR_FLEX_TOKEN environment variable only, never an argument; generating one takes seconds to minutes and IBKR allows about one request a minute, so the last fetched statement is reused unless `refresh`), or parse the local XML `file`. Answers each statement's account and dates with its sections' row counts, and with `section` that section's rows (every attribute as IBKR wrote it), paginated by offset and limit (default 100, at most 1000).",
        annotations(read_only_hint = true)
    )]
    async fn flex_statement(&self, Parameters(a): Parameters<FlexArgs>) -> CallToolResult {
        respond(self.flex_answer(a).await)
    }
}

impl IbkrMcp {
    pub(crate) fn ibkr(&self) -> &Ibkr {
        &self.shared.ibkr
    }

    /// Open the brokerage session (`/iserver` needs it); a no-op when it is open.
    pub(crate) async fn ready(&self) -> Result<(), ToolError> {
        self.ibkr().ensure_brokerage_session().await?;
        Ok(())
    }

    /// The account a call is for: the one asked (if allowed), else the first `--account`,
    /// else the gateway's selected one.
    pub(crate) async fn account_for(&self, asked: Option<&str>) -> Result<String, ToolError> {
        if let Some(a) = asked.map(str::trim).filter(|a| !a.is_empty()) {
            self.shared.guards.check_account(a)?;
            return Ok(a.to_string());
        }
        if let Some(first) = self.shared.guards.accounts.first() {
            return Ok(first.clone());
        }
        self.ready().await?;
        Ok(self.ibkr().current_account().await?)
    }

    /// Symbols and conids as `(key, conid)`, in order; a symbol that does not resolve is an
    /// error naming the `symbols` argument.
    pub(crate) async fn instruments(
        &self,
        symbols: &[String],
        conids: &[i64],
    ) -> Result<Vec<(String, Conid)>, ToolError> {
        if let Some(blank) = symbols.iter().find(|s| s.trim().is_empty()) {
            return Err(Refusal::argument("symbols", format!("{blank:?} is not a symbol")).into());
        }
        if let Some(bad) = conids.iter().find(|c| **c <= 0) {
            return Err(Refusal::argument("conids", format!("{bad} is not a conid")).into());
        }
        let queries: Vec<StockQuery> = symbols.iter().map(|s| StockQuery::new(s.trim())).collect();
        let mut out = Vec::new();
        if !queries.is_empty() {
            for (q, r) in self.ibkr().resolve_each(&queries).await? {
                match r {
                    Ok(c) => out.push((q.symbol().to_string(), c)),
                    Err(e) => {
                        return Err(ToolError::InField {
                            field: "symbols",
                            error: e,
                        });
                    }
                }
            }
        }
        out.extend(conids.iter().map(|c| (c.to_string(), Conid(*c))));
        Ok(out)
    }

    async fn accounts_answer(&self) -> Answer {
        self.ready().await?;
        let a = self.ibkr().api().get_accounts().await?;
        let allowed: Vec<&String> = a
            .accounts
            .iter()
            .filter(|id| self.shared.guards.allows(id))
            .collect();
        let paper: Map<String, Value> = allowed
            .iter()
            .map(|id| ((*id).clone(), json!(super::guards::is_paper(id))))
            .collect();
        Ok(json!({
            "accounts": allowed,
            "selected": a.selected_account,
            "default": self.shared.guards.accounts.first().cloned().or(a.selected_account.clone()),
            "paper": paper,
        }))
    }

    async fn session_answer(&self) -> Answer {
        let state = match self.ibkr().auth_status().await {
            Ok(s) => s,
            Err(ibkr_ext::Error::NotAuthenticated { .. }) => SessionState::default(),
            Err(e) => return Err(e.into()),
        };
        let g = &self.shared.guards;
        Ok(json!({
            "gateway": self.ibkr().base_url(),
            "auth": crate::context::auth_summary(self.ibkr()).0,
            "logged_in": state.logged_in,
            "authenticated": state.authenticated,
            "competing": state.competing,
            "connected": state.connected,
            "message": state.message,
            "login_url": (!state.logged_in).then(|| self.ibkr().login_url().to_string()),
            "server": {
                "trading": self.shared.trading,
                "cancel_all": self.shared.trading && self.shared.allow_cancel_all,
                "accounts": if g.accounts.is_empty() { json!("every account of the login") } else { json!(g.accounts) },
                "live_accounts_may_trade": g.live,
                "max_notional": g.max_notional.normalize().to_string(),
                "max_orders": g.max_orders,
                "orders_sent": g.orders_sent(),
                "answers": self.shared.answer_flags,
            },
        }))
    }

    async fn positions_answer(&self, a: PositionsArgs) -> Answer {
        self.ready().await?;
        if let Some(c) = a.conid {
            if let Some(acct) = a.account.as_deref() {
                self.shared.guards.check_account(acct)?;
            }
            let list = self.ibkr().positions_for(Conid(c)).await?;
            let rows: Vec<Value> = list
                .iter()
                .filter(|p| self.shared.guards.allows(&p.account))
                .filter(|p| a.account.as_deref().is_none_or(|x| x.trim() == p.account))
                .map(position_json)
                .collect();
            return Ok(json!({"conid": c, "positions": rows}));
        }
        let account = self.account_for(a.account.as_deref()).await?;
        let list = self.ibkr().with_account(&account).positions().await?;
        Ok(json!({
            "account": account,
            "positions": list.iter().map(position_json).collect::<Vec<_>>(),
        }))
    }

    async fn summary_answer(&self, a: AccountArg) -> Answer {
        let account = self.account_for(a.account.as_deref()).await?;
        self.ready().await?;
        let m = self.ibkr().with_account(&account).summary().await?;
        Ok(json!({
            "account": m.account,
            "currency": m.currency,
            "net_liquidation": dec(m.net_liquidation),
            "total_cash": dec(m.total_cash),
            "buying_power": dec(m.buying_power),
            "available_funds": dec(m.available_funds),
            "excess_liquidity": dec(m.excess_liquidity),
            "init_margin": dec(m.init_margin),
            "maint_margin": dec(m.maint_margin),
            "gross_position_value": dec(m.gross_position_value),
            "equity_with_loan": dec(m.equity_with_loan),
        }))
    }

    async fn ledger_answer(&self, a: AccountArg) -> Answer {
        let account = self.account_for(a.account.as_deref()).await?;
        self.ready().await?;
        let rows = self.ibkr().with_account(&account).ledger().await?;
        Ok(json!({
            "account": account,
            "ledger": rows.iter().map(|l| json!({
                "currency": l.currency,
                "cash": dec(l.cash),
                "settled_cash": dec(l.settled_cash),
                "stock_market_value": dec(l.stock_market_value),
                "net_liquidation": dec(l.net_liquidation),
                "unrealized_pnl": dec(l.unrealized_pnl),
                "realized_pnl": dec(l.realized_pnl),
                "dividends": dec(l.dividends),
                "interest": dec(l.interest),
                "exchange_rate": dec(l.exchange_rate),
            })).collect::<Vec<_>>(),
        }))
    }

    async fn pnl_answer(&self) -> Answer {
        self.ready().await?;
        let rows = self.ibkr().pnl().await?;
        Ok(json!({
            "pnl": rows.iter().filter(|r| self.shared.guards.allows(&r.account)).map(|r| json!({
                "partition": r.partition,
                "account": r.account,
                "daily": dec(r.daily),
                "unrealized": dec(r.unrealized),
                "net_liquidation": dec(r.net_liquidation),
                "market_value": dec(r.market_value),
                "excess_liquidity": dec(r.excess_liquidity),
            })).collect::<Vec<_>>(),
        }))
    }

    async fn trades_answer(&self, a: TradesArgs) -> Answer {
        let days = a.days.unwrap_or(7);
        if !(1..=7).contains(&days) {
            return Err(Refusal::argument(
                "days",
                format!("must be 1 to 7 (IBKR keeps a week of trades), not {days}"),
            )
            .into());
        }
        self.ready().await?;
        let rows = self.ibkr().trades(days).await?;
        Ok(json!({
            "days": days,
            "trades": rows.iter().filter(|t| self.shared.guards.allows(&t.account)).map(|t| json!({
                "time": t.trade_time,
                "account": t.account,
                "conid": t.conid.map(|c| c.0),
                "symbol": t.symbol,
                "side": t.side,
                "size": dec(Some(t.size)),
                "price": dec(t.price),
                "commission": dec(t.commission),
                "net_amount": dec(t.net_amount),
                "execution_id": t.execution_id,
                "order_id": t.order_id,
            })).collect::<Vec<_>>(),
        }))
    }

    async fn orders_answer(&self) -> Answer {
        self.ready().await?;
        let live = self.ibkr().live_orders().await?;
        Ok(json!({
            "orders": live
                .iter()
                .filter(|o| o.account.as_deref().is_none_or(|a| self.shared.guards.allows(a)))
                .collect::<Vec<_>>(),
        }))
    }

    async fn order_status_answer(&self, a: OrderIdArg) -> Answer {
        let id = a.order_id.trim();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
            return Err(
                Refusal::argument("order_id", format!("{id:?} is not an IBKR order id")).into(),
            );
        }
        self.ready().await?;
        let status = self.ibkr().api().get_order_status().order_id(id).await?;
        if let Some(acct) = status.account.as_deref() {
            self.shared.guards.check_account(acct)?;
        }
        serde_json::to_value(&status).map_err(|e| ToolError::other("error", e.to_string()))
    }

    async fn resolve_answer(&self, a: ResolveArgs) -> Answer {
        if a.symbols.is_empty() || a.symbols.len() > 100 {
            return Err(Refusal::argument("symbols", "give 1 to 100 symbols").into());
        }
        let queries: Vec<StockQuery> = a
            .symbols
            .iter()
            .map(|s| {
                let mut q = StockQuery::new(s.trim());
                if let Some(n) = &a.name_match {
                    q = q.name_match(n.as_str());
                }
                if a.any_market {
                    q = q.any_market();
                }
                if let Some(e) = &a.exchange {
                    q = q.exchange(e.as_str());
                }
                q
            })
            .collect();
        let results = self.ibkr().resolve_each(&queries).await?;
        let mut conids = Map::new();
        let mut errors = Map::new();
        for (q, r) in results {
            match r {
                Ok(c) => {
                    conids.insert(q.symbol().to_string(), json!(c.0));
                }
                Err(e) => {
                    errors.insert(q.symbol().to_string(), super::result::error_json(&e));
                }
            }
        }
        Ok(json!({"conids": conids, "errors": errors}))
    }

    async fn contract_answer(&self, a: ItemArg) -> Answer {
        let item = a.item.trim();
        let conid = match item.parse::<i64>() {
            Ok(n) if n > 0 => Conid(n),
            _ => self
                .ibkr()
                .resolve_conid(item)
                .await
                .map_err(|e| ToolError::InField {
                    field: "item",
                    error: e,
                })?,
        };
        self.ready().await?;
        let c = self.ibkr().contract(conid).await?;
        let rules = self.ibkr().contract_rules(conid, true).await?;
        Ok(json!({
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
            "strike": dec(c.strike),
            "right": c.right,
            "order_types": rules.order_types,
            "tif_types": rules.tif_types,
            "fractional": rules.fractional,
        }))
    }

    async fn chain_answer(&self, a: ChainArgs) -> Answer {
        self.ready().await?;
        let chain = self.ibkr().chain(a.symbol.trim(), a.expiry.trim()).await?;
        Ok(json!({
            "underlying": chain.underlying.0,
            "symbol": chain.symbol,
            "expiry": chain.expiry_month,
            "strikes": chain.strikes.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            "options": chain.options.iter().map(|o| json!({
                "conid": o.conid.0, "right": o.right, "strike": o.strike.to_string(),
                "expiry": o.expiry, "description": o.description,
            })).collect::<Vec<_>>(),
        }))
    }

    async fn quote_answer(&self, a: InstrumentsArgs) -> Answer {
        let total = a.symbols.len() + a.conids.len();
        if total == 0 || total > MAX_QUOTE_CONIDS {
            return Err(Refusal::argument(
                "symbols",
                format!("give 1 to {MAX_QUOTE_CONIDS} symbols and conids in all, not {total}"),
            )
            .into());
        }
        self.ready().await?;
        let keyed = self.instruments(&a.symbols, &a.conids).await?;
        let conids: Vec<Conid> = keyed.iter().map(|(_, c)| *c).collect();
        let fields = [
            Field::LastPrice,
            Field::Bid,
            Field::Ask,
            Field::Volume,
            Field::Symbol,
            Field::Availability,
        ];
        let quotes = self.ibkr().snapshot(&conids, &fields).await?;
        let rows: Vec<Value> = keyed
            .iter()
            .map(|(key, conid)| {
                let q = quotes.iter().find(|q| q.conid == *conid);
                let text = |f: Field| q.and_then(|q| q.get(f)).map(|v| v.raw.clone());
                let price = |f: Field| text(f).as_deref().and_then(decimal_of_text);
                let last = q.and_then(|q| q.get(Field::LastPrice));
                let symbol = text(Field::Symbol)
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| key.clone());
                json!({
                    "conid": conid.0,
                    "symbol": symbol,
                    "last": dec(price(Field::LastPrice)),
                    "bid": dec(price(Field::Bid)),
                    "ask": dec(price(Field::Ask)),
                    "volume": text(Field::Volume),
                    "last_is_prior_close": last.is_some_and(|v| v.prior_close),
                    "halted": last.is_some_and(|v| v.halted),
                    "data": text(Field::Availability),
                })
            })
            .collect();
        Ok(json!({"quotes": rows}))
    }

    async fn history_answer(&self, a: HistoryArgs) -> Answer {
        let period = a.period.unwrap_or_else(|| "1m".into());
        let bar = a.bar.unwrap_or_else(|| "1d".into());
        let items = a.symbols.len() + a.conids.len();
        if items == 0 {
            return Err(Refusal::argument("symbols", "give at least one symbol or conid").into());
        }
        let per_item = estimate_bars(&period, &bar)?;
        let typed_period: Period = period
            .parse()
            .map_err(|e: ibkr_ext::vocab::VocabError| Refusal::argument("period", e.to_string()))?;
        let typed_bar: BarSize = bar
            .parse()
            .map_err(|e: ibkr_ext::vocab::VocabError| Refusal::argument("bar", e.to_string()))?;
        let estimate = per_item.saturating_mul(items as u64);
        if estimate > MAX_HISTORY_BARS {
            return Err(Refusal::new(
                "history_bars",
                format!(
                    "{items} instrument(s) × about {per_item} bars ({period} of {bar} bars) is about {estimate} bars, \
                     above the limit of {MAX_HISTORY_BARS} per call: ask for a shorter period, a larger bar, or fewer \
                     symbols per call (for example period 1y with bar 1d is about 252 bars per symbol)"
                ),
            )
            .into());
        }
        self.ready().await?;
        let keyed = self.instruments(&a.symbols, &a.conids).await?;
        let names: BTreeMap<i64, String> = keyed.iter().map(|(k, c)| (c.0, k.clone())).collect();
        let mut stream = self.ibkr().history_many(
            keyed
                .iter()
                .map(|(_, c)| HistoryItem::Conid(*c))
                .collect::<Vec<_>>(),
            typed_period,
            typed_bar,
        );
        let mut bars = Map::new();
        let mut errors = Map::new();
        let mut count = 0u64;
        while let Some((item, result)) = stream.next().await {
            let key = match &item {
                HistoryItem::Conid(c) => names.get(&c.0).cloned().unwrap_or_else(|| c.to_string()),
                other => other.to_string(),
            };
            match result {
                Ok(b) => {
                    count += b.bars.len() as u64;
                    let rows: Vec<Value> = b
                        .bars
                        .iter()
                        .map(|b| {
                            json!({
                                "t": b.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                                "o": float_text(b.open), "h": float_text(b.high),
                                "l": float_text(b.low), "c": float_text(b.close),
                                "v": float_text(b.volume),
                            })
                        })
                        .collect();
                    bars.insert(key, Value::Array(rows));
                }
                Err(e) => {
                    errors.insert(key, super::result::error_json(&e));
                }
            }
        }
        if count > MAX_HISTORY_BARS {
            return Err(Refusal::new(
                "history_bars",
                format!(
                    "IBKR returned {count} bars, above the limit of {MAX_HISTORY_BARS} per call: ask for a shorter \
                     period, a larger bar, or fewer symbols per call"
                ),
            )
            .into());
        }
        Ok(json!({"period": period, "bar": bar, "bars": bars, "errors": errors}))
    }

    async fn scanner_params_answer(&self, a: ScannerParamsArgs) -> Answer {
        let kinds = ["scan_type", "instrument", "location", "filter"];
        if let Some(k) = a.kind.as_deref()
            && !kinds.contains(&k)
        {
            return Err(Refusal::argument(
                "kind",
                format!("{k:?} is not one of scan_type, instrument, location, filter"),
            )
            .into());
        }
        let limit = a.limit.unwrap_or(PARAMS_PAGE).clamp(1, PARAMS_PAGE_MAX);
        let offset = a.offset.unwrap_or(0);
        self.ready().await?;
        let p = self.ibkr().scanner_params().await?;
        let mut all = Vec::new();
        for (kind, list) in
            kinds
                .iter()
                .zip([&p.scan_types, &p.instruments, &p.locations, &p.filters])
        {
            if a.kind.as_deref().is_some_and(|k| k != *kind) {
                continue;
            }
            all.extend(
                list.iter()
                    .map(|c| json!({"kind": kind, "code": c.code, "name": c.name})),
            );
        }
        Ok(page_json("params", all, offset, limit))
    }

    async fn scanner_run_answer(&self, a: ScannerRunArgs) -> Answer {
        if a.scan_type.trim().is_empty() {
            return Err(
                Refusal::argument("scan_type", "give a scan type (see scanner_params)").into(),
            );
        }
        let mut request = ScanRequest::us_stocks(a.scan_type.trim());
        if let Some(i) = a.instrument {
            request.instrument = i;
        }
        if let Some(l) = a.location {
            request.location = l;
        }
        for (code, value) in a.filters {
            request = request.filter(code, value);
        }
        self.ready().await?;
        let found = self.ibkr().scan(&request).await?;
        Ok(json!({
            "results": found.iter().map(|r| json!({
                "rank": r.rank, "conid": r.conid.0, "symbol": r.symbol,
                "company": r.company, "exchange": r.exchange, "value": r.value,
            })).collect::<Vec<_>>(),
        }))
    }

    async fn watchlists_answer(&self, a: WatchlistArgs) -> Answer {
        self.ready().await?;
        match a.id {
            Some(id) => {
                let w = self.ibkr().watchlist(&id).await?;
                Ok(json!({
                    "id": w.id, "name": w.name, "read_only": w.read_only,
                    "instruments": w.instruments.iter().map(|i| json!({
                        "conid": i.conid.0, "symbol": i.symbol, "asset_class": i.asset_class, "name": i.name,
                    })).collect::<Vec<_>>(),
                }))
            }
            None => {
                let lists = self.ibkr().watchlists().await?;
                Ok(json!({
                    "watchlists": lists.iter().map(|w| json!({"id": w.id, "name": w.name, "read_only": w.read_only})).collect::<Vec<_>>(),
                }))
            }
        }
    }

    async fn alerts_answer(&self) -> Answer {
        let account = self.account_for(None).await?;
        self.ready().await?;
        let list = self.ibkr().with_account(&account).alerts().await?;
        Ok(json!({
            "account": account,
            "alerts": list.iter().map(|a| json!({"id": a.id, "name": a.name, "active": a.active, "triggered": a.triggered})).collect::<Vec<_>>(),
        }))
    }

    async fn flex_answer(&self, a: FlexArgs) -> Answer {
        let report = match (&a.query_id, &a.file) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(Refusal::argument("query_id", "give either query_id or file").into());
            }
            (None, Some(path)) => {
                let input = std::fs::File::open(path)
                    .map_err(|e| Refusal::argument("file", format!("{path}: {e}")))?;
                Arc::new(
                    ibkr_flex::GenericReport::from_reader(std::io::BufReader::new(input)).map_err(
                        |e| Refusal::argument("file", format!("{path}: not a Flex statement: {e}")),
                    )?,
                )
            }
            (Some(q), None) => self.flex_fetch(q.trim(), a.refresh).await?,
        };
        let statements: Vec<Value> = report
            .statements
            .iter()
            .map(|s| {
                let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.remove("sections");
                }
                json!({
                    "attributes": v,
                    "sections": s.sections.iter().map(|sec| json!({"name": sec.name, "rows": sec.rows.len()})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut out = json!({"statements": statements});
        if let Some(name) = a.section.as_deref() {
            let rows: Vec<Value> = report
                .statements
                .iter()
                .filter_map(|s| s.section(name))
                .flat_map(|s| s.rows.iter())
                .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
                .collect();
            if rows.is_empty() && !report.statements.iter().any(|s| s.section(name).is_some()) {
                return Err(Refusal::argument(
                    "section",
                    format!("the statement has no section {name:?}; see the summaries for the section names"),
                )
                .into());
            }
            let limit = a.limit.unwrap_or(FLEX_PAGE).clamp(1, FLEX_PAGE_MAX);
            let page = page_json("rows", rows, a.offset.unwrap_or(0), limit);
            if let (Some(o), Value::Object(p)) = (out.as_object_mut(), page) {
                o.insert("section".into(), json!(name));
                o.extend(p);
            }
        }
        Ok(out)
    }

    async fn flex_fetch(
        &self,
        query: &str,
        refresh: bool,
    ) -> Result<Arc<ibkr_flex::GenericReport>, ToolError> {
        if query.is_empty() || !query.chars().all(|c| c.is_ascii_digit()) {
            return Err(
                Refusal::argument("query_id", format!("{query:?} is not a Flex query id")).into(),
            );
        }
        if !refresh {
            let cache = self
                .shared
                .flex_cache
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some((q, r)) = cache.as_ref()
                && q == query
            {
                return Ok(r.clone());
            }
        }
        let (token, base) = match &self.shared.flex {
            FlexSource::Sim { base } => (crate::sim::SIM_FLEX_TOKEN.to_string(), Some(base.as_str())),
            FlexSource::Ibkr => (
                std::env::var("IBKR_FLEX_TOKEN")
                    .ok()
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| {
                        ToolError::other(
                            "flex_token_missing",
                            "the server has no IBKR_FLEX_TOKEN: the user must set it in the server's environment \
                             (it is never taken as an argument), or give a local file",
                        )
                    })?,
                None,
            ),
        };
        let client = crate::context::flex_client(token, base, base.is_some())
            .map_err(|f| ToolError::other("flex", f.message))?;
        let download = client
            .fetch(ibkr_flex::FlexRequest::new(query))
            .await
            .map_err(|e| ToolError::other("flex", format!("flex: {e}")))?;
        let report = Arc::new(
            ibkr_flex::GenericReport::from_reader(download.bytes())
                .map_err(|e| ToolError::other("flex", format!("flex: {e}")))?,
        );
        *self
            .shared
            .flex_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some((query.to_string(), report.clone()));
        Ok(report)
    }
}

/// One page of `items` under `key`, with `total` and `next_offset` (null on the last page).
fn page_json(key: &str, items: Vec<Value>, offset: usize, limit: usize) -> Value {
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let end = offset.saturating_add(page.len());
    let mut m = Map::new();
    m.insert("total".into(), json!(total));
    m.insert("offset".into(), json!(offset));
    m.insert(
        "next_offset".into(),
        if end < total { json!(end) } else { Value::Null },
    );
    m.insert(key.into(), Value::Array(page));
    Value::Object(m)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn bars_are_estimated_from_regular_hours() {
        assert_eq!(estimate_bars("1y", "1d").unwrap(), 252);
        assert_eq!(estimate_bars("1d", "1min").unwrap(), 390);
        assert_eq!(estimate_bars("1m", "1h").unwrap(), 137);
        assert_eq!(estimate_bars("1y", "5min").unwrap(), 252 * 78);
        assert_eq!(estimate_bars("2h", "1min").unwrap(), 120);
        assert_eq!(estimate_bars("x", "1d").unwrap_err().field, Some("period"));
        assert_eq!(estimate_bars("1y", "1q").unwrap_err().field, Some("bar"));
    }

    #[test]
    fn ibkr_text_reads_as_exact_decimals() {
        assert_eq!(decimal_of_text("C193.18").unwrap().to_string(), "193.18");
        assert_eq!(decimal_of_text("1,300.5").unwrap().to_string(), "1300.5");
        assert!(decimal_of_text("APPLE").is_none());
        assert_eq!(float_text(193.18), json!("193.18"));
    }
}
