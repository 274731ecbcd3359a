//! What the account holds and how it is doing: positions (every page), partitioned P&L and
//! recent trades, as domain types with [`Decimal`] for money.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use ibkr_gen::trading::types;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::vocab::Side;
use crate::{Conid, Ibkr};

/// The gateway's page size for `/portfolio/{accountId}/positions/{pageId}`: a shorter page
/// is the last one.
const POSITIONS_PAGE_SIZE: usize = 100;

/// A stop for runaway paging (100 pages of 100 positions).
const MAX_POSITION_PAGES: i32 = 100;

/// An amount IBKR sent as a JSON float, as a [`Decimal`] (`None` for NaN or infinities).
pub(crate) fn money(x: f64) -> Option<Decimal> {
    Decimal::from_f64(x).map(|d| d.normalize())
}

/// An optional float amount as a [`Decimal`].
pub(crate) fn money_opt(x: Option<f64>) -> Option<Decimal> {
    x.and_then(money)
}

/// A conid as the 32-bit integer some generated operations take.
pub(crate) fn conid_i32(operation: &'static str, conid: Conid) -> Result<i32> {
    i32::try_from(conid.0).map_err(|_| Error::InvalidRequest {
        operation,
        reason: format!("conid {conid} is out of range"),
    })
}

/// One position of one account.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Position {
    /// The account holding it.
    pub account: String,
    /// The contract.
    pub conid: Conid,
    /// The ticker (or IBKR's short description when there is none).
    pub symbol: String,
    /// IBKR's description of the contract (`AAPL`, `ES DEC'26`, ...).
    pub description: String,
    /// The asset class (`STK`, `OPT`, `FUT`, `CASH`, ...).
    pub asset_class: String,
    /// Signed quantity: negative when short.
    pub position: Decimal,
    /// Average cost per unit (including commissions).
    pub avg_cost: Option<Decimal>,
    /// The last market price.
    pub market_price: Option<Decimal>,
    /// Market value of the whole position.
    pub market_value: Option<Decimal>,
    /// Unrealized profit or loss.
    pub unrealized_pnl: Option<Decimal>,
    /// Realized profit or loss.
    pub realized_pnl: Option<Decimal>,
    /// The currency of the amounts.
    pub currency: String,
}

impl Position {
    fn from_raw(p: &types::IndividualPosition, account: &str) -> Option<Position> {
        let conid = Conid(i64::from(p.conid?));
        let description = p.contract_desc.clone().unwrap_or_default();
        let symbol = p
            .ticker
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| description.clone());
        Some(Position {
            account: p.acct_id.clone().unwrap_or_else(|| account.to_string()),
            conid,
            symbol,
            description,
            asset_class: p.asset_class.clone().unwrap_or_default(),
            position: money_opt(p.position).unwrap_or_default(),
            avg_cost: money_opt(p.avg_cost),
            market_price: money_opt(p.mkt_price),
            market_value: money_opt(p.mkt_value),
            unrealized_pnl: money_opt(p.unrealized_pnl),
            realized_pnl: money_opt(p.realized_pnl),
            currency: p.currency.clone().unwrap_or_default(),
        })
    }
}

/// Profit and loss of one account partition (`DU1234567.Core`), from
/// `/iserver/account/pnl/partitioned`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PnlRow {
    /// The partition key as IBKR names it (`{account}.Core`).
    pub partition: String,
    /// The account part of the key.
    pub account: String,
    /// Daily P&L.
    pub daily: Option<Decimal>,
    /// Unrealized P&L.
    pub unrealized: Option<Decimal>,
    /// Net liquidation value.
    pub net_liquidation: Option<Decimal>,
    /// Market value of the positions.
    pub market_value: Option<Decimal>,
    /// Excess liquidity.
    pub excess_liquidity: Option<Decimal>,
}

/// One execution: a row of `/iserver/account/trades` ([`Ibkr::trades`]), or of the `str`
/// stream ([`Streams::trades`](crate::Streams::trades)).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Trade {
    /// IBKR's execution id.
    pub execution_id: String,
    /// The account.
    pub account: String,
    /// The contract (when IBKR sent one).
    pub conid: Option<Conid>,
    /// The symbol.
    pub symbol: String,
    /// Bought or sold (IBKR sends `B` or `S`).
    pub side: Option<Side>,
    /// Quantity filled.
    pub size: Decimal,
    /// Fill price.
    pub price: Option<Decimal>,
    /// Commission charged.
    pub commission: Option<Decimal>,
    /// Net amount of the fill.
    pub net_amount: Option<Decimal>,
    /// When it happened, as IBKR writes it (`20261203-14:31:07`, UTC).
    pub trade_time: String,
    /// When it happened (IBKR's `trade_time_r`).
    pub time: Option<DateTime<Utc>>,
    /// The order it filled.
    pub order_id: Option<i64>,
}

/// An amount IBKR sent as text (`"192.26"`, `"1,300"`); `None` for `""` or anything else.
pub(crate) fn text_decimal(t: &str) -> Option<Decimal> {
    t.trim().replace(',', "").parse::<Decimal>().ok()
}

impl Trade {
    /// From the generated item (a `listTrades` row, or a `str` frame's execution).
    pub(crate) fn from_raw(t: &types::TradesResponseItem) -> Trade {
        let conid = t.conid.as_ref().and_then(Conid::from_loose);
        Trade {
            execution_id: t.execution_id.clone().unwrap_or_default(),
            account: t
                .account
                .clone()
                .or_else(|| t.account_code.clone())
                .unwrap_or_default(),
            conid,
            symbol: t.symbol.clone().unwrap_or_default(),
            side: t.side.as_deref().map(Side::from_ibkr),
            size: money_opt(t.size).unwrap_or_default(),
            price: t.price.as_deref().and_then(text_decimal),
            commission: t.commission.as_deref().and_then(text_decimal),
            net_amount: money_opt(t.net_amount),
            trade_time: t.trade_time.clone().unwrap_or_default(),
            time: t
                .trade_time_r
                .and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
            // Order ids are integers IBKR sends as JSON numbers.
            order_id: t
                .order_id
                .filter(|n| n.is_finite() && n.fract() == 0.0)
                .map(|n| n as i64),
        }
    }
}

impl Ibkr {
    /// The default account ([`Ibkr::account_id`]), else the one the gateway has selected.
    pub async fn current_account(&self) -> Result<String> {
        if let Some(a) = self.account_id() {
            return Ok(a.to_string());
        }
        let accounts = self.api().get_accounts().await?;
        accounts
            .selected_account
            .clone()
            .filter(|a| !a.is_empty())
            .or_else(|| accounts.accounts.first().cloned())
            .ok_or_else(|| Error::NotFound {
                operation: "getAccounts",
                what: "the login lists no brokerage account".into(),
            })
    }

    /// Every position of the account, all pages of `/portfolio/{accountId}/positions/{page}`.
    ///
    /// ```no_run
    /// # async fn demo(ibkr: ibkr_ext::Ibkr) -> ibkr_ext::Result<()> {
    /// for p in ibkr.positions().await? {
    ///     println!("{} {} @ {:?}", p.symbol, p.position, p.avg_cost);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn positions(&self) -> Result<Vec<Position>> {
        let account = self.current_account().await?;
        let mut out = Vec::new();
        for page in 0..MAX_POSITION_PAGES {
            let rows = self
                .api()
                .get_positions()
                .account_id(account.as_str())
                .page_id(page)
                .await?;
            let n = rows.len();
            out.extend(rows.iter().filter_map(|p| Position::from_raw(p, &account)));
            if n < POSITIONS_PAGE_SIZE {
                break;
            }
        }
        Ok(out)
    }

    /// The positions in one contract, across every account of the login
    /// (`/portfolio/positions/{conid}`); empty when no account holds it.
    pub async fn positions_for(&self, conid: Conid) -> Result<Vec<Position>> {
        let id = conid_i32("getPositionsForContract", conid)?;
        let by_account = self.api().get_positions_for_contract().conid(id).await?;
        let mut out: Vec<Position> = by_account
            .iter()
            .flat_map(|(account, held)| held.iter().map(move |p| (account, p)))
            .filter_map(|(account, p)| Position::from_raw(p, account))
            .filter(|p| !p.position.is_zero())
            .collect();
        out.sort_by(|a, b| a.account.cmp(&b.account));
        Ok(out)
    }

    /// Profit and loss per account partition, from `/iserver/account/pnl/partitioned`
    /// (paced at one call per 5 seconds). The first call of a session answers an empty
    /// `upnl` while IBKR subscribes; it is asked once more then.
    pub async fn pnl(&self) -> Result<Vec<PnlRow>> {
        let mut r = self.api().get_partitioned_pnl().await?;
        if r.upnl.is_empty() {
            r = self.api().get_partitioned_pnl().await?;
        }
        let rows: BTreeMap<&String, &types::PnlPartition> = r.upnl.iter().collect();
        Ok(rows
            .into_iter()
            .map(|(key, p)| PnlRow {
                partition: key.clone(),
                account: key.split('.').next().unwrap_or(key).to_string(),
                daily: money_opt(p.dpl),
                unrealized: money_opt(p.upl),
                net_liquidation: money_opt(p.nl),
                market_value: money_opt(p.mv),
                excess_liquidity: money_opt(p.el),
            })
            .collect())
    }

    /// The executions of the last `days` days (1 to 7; IBKR keeps a week), from
    /// `/iserver/account/trades` (paced at one call per 5 seconds).
    pub async fn trades(&self, days: u32) -> Result<Vec<Trade>> {
        if !(1..=7).contains(&days) {
            return Err(Error::InvalidRequest {
                operation: "listTrades",
                reason: format!("days must be 1 to 7 (IBKR keeps a week of trades), not {days}"),
            });
        }
        let r = self.api().list_trades().days(days as i32).await?;
        Ok(r.iter().map(Trade::from_raw).collect())
    }
}
