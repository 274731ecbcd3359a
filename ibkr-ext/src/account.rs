//! The account's money: balances, margin and buying power, the cash ledger per currency,
//! and switching the selected account of a multi-account login.

use ibkr_gen::trading::types;
use rust_decimal::Decimal;

use crate::Ibkr;
use crate::error::{Error, Result};
use crate::portfolio::money_opt;

/// Balances, margin and buying power of one account (`/portfolio/{accountId}/summary`),
/// in the account's base currency.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct AccountSummary {
    /// The account.
    pub account: String,
    /// The base currency of the amounts (when IBKR names it).
    pub currency: Option<String>,
    /// Net liquidation value.
    pub net_liquidation: Option<Decimal>,
    /// Total cash.
    pub total_cash: Option<Decimal>,
    /// Settled cash.
    pub settled_cash: Option<Decimal>,
    /// Buying power.
    pub buying_power: Option<Decimal>,
    /// Available funds.
    pub available_funds: Option<Decimal>,
    /// Excess liquidity.
    pub excess_liquidity: Option<Decimal>,
    /// Initial margin requirement.
    pub init_margin: Option<Decimal>,
    /// Maintenance margin requirement.
    pub maint_margin: Option<Decimal>,
    /// Gross position value.
    pub gross_position_value: Option<Decimal>,
    /// Equity with loan value.
    pub equity_with_loan: Option<Decimal>,
}

/// The cash ledger of one currency (`/portfolio/{accountId}/ledger`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct LedgerEntry {
    /// The currency (`USD`, ..., or `BASE` for the base-currency totals).
    pub currency: String,
    /// Cash balance.
    pub cash: Option<Decimal>,
    /// Settled cash.
    pub settled_cash: Option<Decimal>,
    /// Market value of stocks.
    pub stock_market_value: Option<Decimal>,
    /// Net liquidation value.
    pub net_liquidation: Option<Decimal>,
    /// Unrealized P&L.
    pub unrealized_pnl: Option<Decimal>,
    /// Realized P&L.
    pub realized_pnl: Option<Decimal>,
    /// Dividends.
    pub dividends: Option<Decimal>,
    /// Interest.
    pub interest: Option<Decimal>,
    /// The exchange rate to the base currency.
    pub exchange_rate: Option<Decimal>,
}

fn amount(v: &Option<types::PortfolioSummaryValue>) -> Option<Decimal> {
    v.as_ref().and_then(|v| money_opt(v.amount))
}

impl Ibkr {
    /// Balances, margin and buying power of the account.
    ///
    /// ```no_run
    /// # async fn demo(ibkr: ibkr_ext::Ibkr) -> ibkr_ext::Result<()> {
    /// let s = ibkr.summary().await?;
    /// println!("net liquidation {:?}, buying power {:?}", s.net_liquidation, s.buying_power);
    /// # Ok(()) }
    /// ```
    pub async fn summary(&self) -> Result<AccountSummary> {
        let account = self.current_account().await?;
        let s = self
            .api()
            .get_account_summary()
            .account_id(account.as_str())
            .await?;
        let currency = s
            .netliquidation
            .as_ref()
            .and_then(|v| v.currency.clone())
            .filter(|c| !c.is_empty());
        Ok(AccountSummary {
            account,
            currency,
            net_liquidation: amount(&s.netliquidation),
            total_cash: amount(&s.totalcashvalue),
            settled_cash: None,
            buying_power: amount(&s.buyingpower),
            available_funds: amount(&s.availablefunds),
            excess_liquidity: amount(&s.excessliquidity),
            init_margin: amount(&s.initmarginreq),
            maint_margin: amount(&s.maintmarginreq),
            gross_position_value: amount(&s.grosspositionvalue),
            equity_with_loan: amount(&s.equitywithloanvalue),
        })
    }

    /// The cash ledger of the account, one entry per currency (`BASE` first).
    pub async fn ledger(&self) -> Result<Vec<LedgerEntry>> {
        let account = self.current_account().await?;
        let l = self
            .api()
            .get_account_ledger()
            .account_id(account.as_str())
            .await?;
        let mut out: Vec<LedgerEntry> = l
            .iter()
            .map(|(key, v)| LedgerEntry {
                currency: v.currency.clone().unwrap_or_else(|| key.clone()),
                cash: money_opt(v.cashbalance),
                settled_cash: money_opt(v.settledcash),
                stock_market_value: money_opt(v.stockmarketvalue),
                net_liquidation: money_opt(v.netliquidationvalue),
                unrealized_pnl: money_opt(v.unrealizedpnl),
                realized_pnl: money_opt(v.realizedpnl),
                dividends: money_opt(v.dividends),
                interest: money_opt(v.interest),
                exchange_rate: money_opt(v.exchangerate),
            })
            .collect();
        out.sort_by(|a, b| {
            (a.currency != "BASE", &a.currency).cmp(&(b.currency != "BASE", &b.currency))
        });
        Ok(out)
    }

    /// The accounts of this login (`/iserver/accounts`).
    pub async fn accounts(&self) -> Result<Vec<String>> {
        Ok(self.api().get_accounts().await?.accounts)
    }

    /// Select `account` for the `/iserver` views of a multi-account login
    /// (`POST /iserver/account`), and return a handle whose default account is it.
    ///
    /// An account the login does not have is refused with [`Error::NotFound`] before
    /// anything is sent, so the selection stays as it was.
    pub async fn switch_account(&self, account: &str) -> Result<Ibkr> {
        let account = account.trim();
        let accounts = self.api().get_accounts().await?;
        if !accounts.accounts.iter().any(|a| a == account) {
            return Err(Error::NotFound {
                operation: "switchAccount",
                what: format!(
                    "this login has no account {}; it has: {}",
                    ibkr_gen::wire::mask_accounts(account),
                    accounts
                        .accounts
                        .iter()
                        .map(|a| ibkr_gen::wire::mask_accounts(a))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        if accounts.selected_account.as_deref() != Some(account) {
            let body = types::SwitchAccountBody {
                acct_id: Some(account.to_string()),
            };
            let r = self.api().switch_account().body(body).await?;
            if r.set == Some(false) {
                return Err(Error::InvalidRequest {
                    operation: "switchAccount",
                    reason: "IBKR did not switch the account".into(),
                });
            }
        }
        Ok(self.with_account(account))
    }
}
