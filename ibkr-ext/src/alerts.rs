//! Price alerts of the account: list, create, activate or pause, delete.
//!
//! An alert id the account does not have is refused with [`Error::NotFound`] before
//! anything is sent.

use ibkr_gen::trading::types;
use rust_decimal::Decimal;
use serde_json::json;

use crate::error::{Error, Result};
use crate::{Conid, Ibkr};

/// An alert as the account lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlertSummary {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Whether it is active.
    pub active: bool,
    /// Whether its condition has held.
    pub triggered: bool,
}

/// Which way the price must cross.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crossing {
    /// The price rises to or above the level.
    Above,
    /// The price falls to or below the level.
    Below,
}

/// A price alert: tell me when `conid` trades at or beyond `price`.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceAlert {
    /// The alert's name.
    pub name: String,
    /// The contract.
    pub conid: Conid,
    /// Which way the price must cross.
    pub crossing: Crossing,
    /// The level.
    pub price: Decimal,
    /// Trigger outside regular trading hours too.
    pub outside_rth: bool,
}

impl PriceAlert {
    /// An alert named `name` when `conid` trades at or above (`Crossing::Above`) or at or
    /// below `price`, in regular trading hours.
    pub fn new(name: impl Into<String>, conid: Conid, crossing: Crossing, price: Decimal) -> Self {
        PriceAlert {
            name: name.into(),
            conid,
            crossing,
            price,
            outside_rth: false,
        }
    }
}

fn bad(operation: &'static str) -> impl Fn(types::error::ConversionError) -> Error {
    move |e| Error::InvalidRequest {
        operation,
        reason: e.to_string(),
    }
}

impl Ibkr {
    /// The account's alerts.
    pub async fn alerts(&self) -> Result<Vec<AlertSummary>> {
        let account = self.current_account().await?;
        let list = self
            .api()
            .list_alerts()
            .account_id(account.as_str())
            .await?;
        Ok(list
            .iter()
            .filter_map(|a| {
                Some(AlertSummary {
                    id: a.order_id?,
                    name: a.alert_name.clone().unwrap_or_default(),
                    active: a.alert_active.unwrap_or(0) != 0,
                    triggered: a.alert_triggered.unwrap_or(false),
                })
            })
            .collect())
    }

    async fn require_alert(&self, operation: &'static str, id: i64) -> Result<()> {
        let alerts = self.alerts().await?;
        if alerts.iter().any(|a| a.id == id) {
            return Ok(());
        }
        Err(Error::NotFound {
            operation,
            what: format!(
                "the account has no alert {id}; it has: {}",
                if alerts.is_empty() {
                    "none".to_string()
                } else {
                    alerts
                        .iter()
                        .map(|a| format!("{} ({})", a.id, a.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        })
    }

    /// Create a price alert (good till cancelled, not repeating); returns its id.
    ///
    /// ```no_run
    /// # async fn demo(ibkr: ibkr_ext::Ibkr) -> ibkr_ext::Result<()> {
    /// use ibkr_ext::alerts::{Crossing, PriceAlert};
    /// use ibkr_ext::Conid;
    /// let alert = PriceAlert::new("AAPL breakout", Conid(265598), Crossing::Above, 250.into());
    /// let id = ibkr.create_alert(&alert).await?;
    /// # let _ = id; Ok(()) }
    /// ```
    pub async fn create_alert(&self, alert: &PriceAlert) -> Result<i64> {
        const OP: &str = "saveAlert";
        let name = alert.name.trim();
        if name.is_empty() {
            return Err(Error::InvalidRequest {
                operation: OP,
                reason: "an alert needs a name".into(),
            });
        }
        if alert.price <= Decimal::ZERO {
            return Err(Error::InvalidRequest {
                operation: OP,
                reason: format!("the alert price must be positive, not {}", alert.price),
            });
        }
        let account = self.current_account().await?;
        let operator = match alert.crossing {
            Crossing::Above => ">=",
            Crossing::Below => "<=",
        };
        let body = types::AlertCreationRequest {
            alert_message: format!("{name}: price {operator} {}", alert.price),
            alert_name: name.to_string(),
            alert_repeatable: 0.try_into().map_err(bad(OP))?,
            conditions: vec![json!({
                "conidex": format!("{}@SMART", alert.conid),
                "logicBind": "n",
                "operator": operator,
                "triggerMethod": "0",
                "type": 1,
                "value": alert.price.to_string(),
            })],
            email: None,
            expire_time: None,
            i_tws_orders_only: None,
            order_id: None,
            outside_rth: i32::from(alert.outside_rth).try_into().map_err(bad(OP))?,
            send_message: None,
            show_popup: None,
            tif: types::AlertCreationRequestTif::Gtc,
        };
        let r = self
            .api()
            .save_alert()
            .account_id(account.as_str())
            .body(body)
            .await?;
        match (r.success, r.order_id) {
            (Some(true), Some(id)) => Ok(id),
            _ => Err(Error::InvalidRequest {
                operation: OP,
                reason: format!(
                    "IBKR did not save the alert: {}",
                    r.text.or(r.warning_message).unwrap_or_default()
                ),
            }),
        }
    }

    /// Activate (`true`) or pause (`false`) an alert.
    pub async fn activate_alert(&self, id: i64, active: bool) -> Result<()> {
        const OP: &str = "activateAlert";
        self.require_alert(OP, id).await?;
        let account = self.current_account().await?;
        let body = types::AlertActivationRequest {
            alert_id: i32::try_from(id).map_err(|_| Error::InvalidRequest {
                operation: OP,
                reason: format!("alert id {id} is out of range"),
            })?,
            alert_active: i32::from(active).try_into().map_err(bad(OP))?,
        };
        let r = self
            .api()
            .activate_alert()
            .account_id(account.as_str())
            .body(body)
            .await?;
        if r.success == Some(false) {
            return Err(Error::InvalidRequest {
                operation: OP,
                reason: format!("IBKR refused: {}", r.text.unwrap_or_default()),
            });
        }
        Ok(())
    }

    /// Delete an alert; an id the account does not have is refused (nothing is sent).
    pub async fn delete_alert(&self, id: i64) -> Result<()> {
        const OP: &str = "deleteAlert";
        self.require_alert(OP, id).await?;
        let account = self.current_account().await?;
        let r = self
            .api()
            .delete_alert()
            .account_id(account.as_str())
            .alert_id(id.to_string())
            .body(serde_json::Map::new())
            .await?;
        if r.success == Some(false) {
            return Err(Error::InvalidRequest {
                operation: OP,
                reason: format!("IBKR refused: {}", r.text.unwrap_or_default()),
            });
        }
        Ok(())
    }
}
