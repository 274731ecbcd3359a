//! The guards every trading call passes, all on by default: allowed accounts, paper only,
//! a notional cap per order and a cap on orders per server run.
//!
//! A guard that says no is a [`Refusal`]: which guard, and a sentence saying what to do.
//! Nothing reaches IBKR after a refusal.

use std::sync::atomic::{AtomicU32, Ordering};

use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Why a call was refused before anything reached IBKR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The guard: `account`, `live_account`, `notional`, `max_orders`, `confirmation`,
    /// `trading_disabled`, `history_bars`, `argument`.
    pub guard: &'static str,
    /// What was wrong and what to do.
    pub message: String,
    /// The argument at fault, for `argument` refusals.
    pub field: Option<&'static str>,
}

impl Refusal {
    pub fn new(guard: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            guard,
            message: message.into(),
            field: None,
        }
    }

    /// A bad argument, naming the field.
    pub fn argument(field: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            guard: "argument",
            message: format!("{field}: {}", message.into()),
            field: Some(field),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "error": "refused",
            "guard": self.guard,
            "field": self.field,
            "message": self.message,
            "placed": false,
        })
    }
}

/// Paper accounts: IBKR's paper ids start with `DU` (individual) or `DF` (advisor).
pub fn is_paper(account: &str) -> bool {
    let a = account.trim();
    a.starts_with("DU") || a.starts_with("DF")
}

/// The guards as the server was started.
#[derive(Debug)]
pub struct Guards {
    /// `--account` (repeatable): the only accounts any tool may touch; empty means every
    /// account of the login.
    pub accounts: Vec<String>,
    /// `--live`: live accounts may trade too.
    pub live: bool,
    /// `--max-notional`: the largest quantity × price of one order.
    pub max_notional: Decimal,
    /// `--max-orders`: the most order submissions (place or modify) of this server run.
    pub max_orders: u32,
    sent: AtomicU32,
}

impl Guards {
    pub fn new(accounts: Vec<String>, live: bool, max_notional: Decimal, max_orders: u32) -> Self {
        Guards {
            accounts: accounts.into_iter().map(|a| a.trim().to_string()).collect(),
            live,
            max_notional,
            max_orders,
            sent: AtomicU32::new(0),
        }
    }

    /// Whether `account` may be touched at all.
    pub fn allows(&self, account: &str) -> bool {
        self.accounts.is_empty() || self.accounts.iter().any(|a| a == account.trim())
    }

    /// `account` if it is allowed, else the refusal naming the allowed ones.
    pub fn check_account(&self, account: &str) -> Result<(), Refusal> {
        if self.allows(account) {
            return Ok(());
        }
        Err(Refusal::new(
            "account",
            format!(
                "account {} is not allowed: this server was started with --account {}; use one of those",
                account.trim(),
                self.accounts.join(", --account ")
            ),
        ))
    }

    /// Whether orders may be sent for `account`: allowed, and paper unless `--live`.
    pub fn check_trading_account(&self, account: &str) -> Result<(), Refusal> {
        self.check_account(account)?;
        if !self.live && !is_paper(account) {
            return Err(Refusal::new(
                "live_account",
                format!(
                    "account {} is a live account and this server trades paper accounts only (ids DU…/DF…); \
                     restart it with --live to trade live accounts",
                    account.trim()
                ),
            ));
        }
        Ok(())
    }

    /// quantity × price against `--max-notional`; `price` is the limit or stop price, or
    /// the last price for a market order. Returns the notional.
    pub fn check_notional(
        &self,
        quantity: Decimal,
        price: Decimal,
        currency: Option<&str>,
    ) -> Result<Decimal, Refusal> {
        let notional = (quantity * price.abs()).normalize();
        if notional > self.max_notional {
            return Err(Refusal::new(
                "notional",
                format!(
                    "the order's notional {notional}{} (quantity {quantity} × price {price}) is above this server's cap of {} \
                     (--max-notional); reduce the quantity, or restart the server with a higher --max-notional",
                    currency.map(|c| format!(" {c}")).unwrap_or_default(),
                    self.max_notional.normalize()
                ),
            ));
        }
        Ok(notional)
    }

    /// Take one of the `--max-orders` submissions, or refuse when they are spent.
    pub fn take_order_slot(&self) -> Result<u32, Refusal> {
        self.sent
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max_orders).then_some(n + 1)
            })
            .map(|n| n + 1)
            .map_err(|_| {
                Refusal::new(
                    "max_orders",
                    format!(
                        "this server has sent its {} orders (--max-orders); restart it to send more",
                        self.max_orders
                    ),
                )
            })
    }

    /// Order submissions sent so far.
    pub fn orders_sent(&self) -> u32 {
        self.sent.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_ids_are_du_and_df() {
        assert!(is_paper("DU1234567"));
        assert!(is_paper("DF999"));
        assert!(!is_paper("U1234567"));
    }

    #[test]
    fn the_order_budget_is_spent_once() {
        let g = Guards::new(vec![], false, Decimal::from(10_000), 2);
        assert_eq!(g.take_order_slot(), Ok(1));
        assert_eq!(g.take_order_slot(), Ok(2));
        assert_eq!(g.take_order_slot().unwrap_err().guard, "max_orders");
        assert_eq!(g.orders_sent(), 2);
    }

    #[test]
    fn the_notional_cap_is_inclusive() {
        let g = Guards::new(vec![], false, Decimal::from(1000), 20);
        assert!(
            g.check_notional(Decimal::from(10), Decimal::from(100), None)
                .is_ok()
        );
        let r = g
            .check_notional(Decimal::from(10), Decimal::new(10001, 2), Some("USD"))
            .unwrap_err();
        assert_eq!(r.guard, "notional");
        assert!(r.message.contains("1000.1 USD"), "{}", r.message);
    }
}
