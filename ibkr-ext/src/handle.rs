//! Account-scoped handlers: `ibkr.account("DU1234567")` names the account once, and its
//! orders, portfolio, P&L, ledger and alerts hang off it, in the style of octocrab's
//! `octocrab.repos(owner, repo).issues()`.
//!
//! ```no_run
//! # async fn demo(ibkr: ibkr_ext::Ibkr) -> ibkr_ext::Result<()> {
//! use ibkr_ext::prelude::*;
//! let account = ibkr.account("DU1234567");
//! let ticket = OrderTicket::buy(Conid(265598), 1.into()).limit(150.into());
//! let outcome = account.orders().place(ticket, &AnswerPolicy::new()).await?;
//! let positions = account.positions().await?;
//! account.orders().cancel("1234567890").await?;
//! # let _ = (outcome, positions); Ok(()) }
//! ```
//!
//! The methods of the same names on [`Ibkr`] itself act on the default account (the one set
//! with [`IbkrBuilder::account_id`](crate::IbkrBuilder::account_id) or
//! [`Ibkr::with_account`], else, for reads, the account the gateway has selected). A handler
//! is a handle on the same session: it shares the keeper, the order lane, pacing and the
//! conid cache, and it keeps the session alive while it is held.
//!
//! Watchlists are not here: IBKR keeps them per login, not per account
//! ([`Ibkr::watchlists`]).

use crate::Ibkr;
use crate::account::{AccountSummary, LedgerEntry};
use crate::alerts::{AlertSummary, PriceAlert};
use crate::conid::Conid;
use crate::error::Result;
use crate::orders::{
    AnswerPolicy, CancelAck, LiveOrder, OrderGroup, OrderOutcome, OrderPreview, OrderTicket,
};
use crate::portfolio::{PnlRow, Position, Trade};

impl Ibkr {
    /// The handlers of one account: `ibkr.account(id).orders().cancel(..)`. Nothing is sent
    /// until a handler's method is called.
    pub fn account(&self, id: impl Into<String>) -> Account {
        let ibkr = self.with_account(id);
        Account { ibkr }
    }
}

/// One account of the login; see the [module documentation](self).
#[derive(Clone, Debug)]
pub struct Account {
    /// A handle whose default account is this one: every method below delegates to it.
    ibkr: Ibkr,
}

impl Account {
    /// The account id.
    pub fn id(&self) -> &str {
        // Set by `Ibkr::account` through `with_account`, so always present.
        self.ibkr.account_id().unwrap_or_default()
    }

    /// The client, with this account as its default account.
    pub fn client(&self) -> &Ibkr {
        &self.ibkr
    }

    /// Placing, changing, cancelling and previewing this account's orders.
    pub fn orders(&self) -> Orders<'_> {
        Orders { ibkr: &self.ibkr }
    }

    /// This account's price alerts.
    pub fn alerts(&self) -> Alerts<'_> {
        Alerts { ibkr: &self.ibkr }
    }

    /// Every position (all pages).
    pub async fn positions(&self) -> Result<Vec<Position>> {
        self.ibkr.positions().await
    }

    /// The positions in one contract.
    pub async fn positions_for(&self, conid: Conid) -> Result<Vec<Position>> {
        self.ibkr.positions_for(conid).await
    }

    /// Profit and loss, per account row IBKR reports.
    pub async fn pnl(&self) -> Result<Vec<PnlRow>> {
        self.ibkr.pnl().await
    }

    /// Balances, margin and buying power.
    pub async fn summary(&self) -> Result<AccountSummary> {
        self.ibkr.summary().await
    }

    /// The cash ledger, one entry per currency (`BASE` first).
    pub async fn ledger(&self) -> Result<Vec<LedgerEntry>> {
        self.ibkr.ledger().await
    }

    /// Executions of the last `days` days (IBKR keeps up to 7).
    pub async fn trades(&self, days: u32) -> Result<Vec<Trade>> {
        self.ibkr.trades(days).await
    }
}

/// One account's orders: `ibkr.account(id).orders()`.
#[derive(Clone, Copy, Debug)]
pub struct Orders<'a> {
    ibkr: &'a Ibkr,
}

impl Orders<'_> {
    /// Place an order (or a bracket/OCA group), answering IBKR's questions only as `policy`
    /// says (see [`crate::orders`]).
    pub async fn place(
        &self,
        order: impl Into<OrderGroup>,
        policy: &AnswerPolicy,
    ) -> Result<OrderOutcome> {
        self.ibkr.place(order, policy).await
    }

    /// Change a working order; `ticket` repeats every field of the original, with the
    /// changes (IBKR's rule).
    pub async fn modify(
        &self,
        order_id: &str,
        ticket: &OrderTicket,
        policy: &AnswerPolicy,
    ) -> Result<OrderOutcome> {
        self.ibkr.modify(order_id, ticket, policy).await
    }

    /// Ask IBKR to cancel a working order (`-1` cancels all of the account's).
    pub async fn cancel(&self, order_id: &str) -> Result<CancelAck> {
        self.ibkr.cancel(order_id).await
    }

    /// What the order would cost and do to margin, without placing it (`whatif`).
    pub async fn preview(&self, order: impl Into<OrderGroup>) -> Result<OrderPreview> {
        self.ibkr.preview(order).await
    }

    /// This account's live orders (`GET /iserver/account/orders?accountId=..`; without it
    /// the gateway lists the selected account's).
    pub async fn live(&self) -> Result<Vec<LiveOrder>> {
        self.ibkr.live_orders_of(self.ibkr.account_id()).await
    }

    /// The live order of this account placed with client order id `coid`, if IBKR lists
    /// one: how to settle an [`Error::OrderStateUnknown`](crate::Error::OrderStateUnknown).
    pub async fn find(&self, coid: &str) -> Result<Option<LiveOrder>> {
        self.ibkr.find_order_of(self.ibkr.account_id(), coid).await
    }
}

/// One account's price alerts: `ibkr.account(id).alerts()`.
#[derive(Clone, Copy, Debug)]
pub struct Alerts<'a> {
    ibkr: &'a Ibkr,
}

impl Alerts<'_> {
    /// Every alert of the account.
    pub async fn list(&self) -> Result<Vec<AlertSummary>> {
        self.ibkr.alerts().await
    }

    /// Create a price alert; its id.
    pub async fn create(&self, alert: &PriceAlert) -> Result<i64> {
        self.ibkr.create_alert(alert).await
    }

    /// Activate (`true`) or pause (`false`) an alert.
    pub async fn activate(&self, id: i64, active: bool) -> Result<()> {
        self.ibkr.activate_alert(id, active).await
    }

    /// Delete an alert; an id the account does not have is refused (nothing is sent).
    pub async fn delete(&self, id: i64) -> Result<()> {
        self.ibkr.delete_alert(id).await
    }
}
