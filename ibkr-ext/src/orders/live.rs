//! Orders after they are placed: live orders, finding one by client order id, cancel,
//! preview (`whatif`), and suppressing questions.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use super::ticket::OrderGroup;
use crate::Ibkr;
use crate::conid::Conid;
use crate::error::{Error, Result};
use crate::json_call::{json_number, json_text};

/// A working or recently finished order, from `GET /iserver/account/orders`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LiveOrder {
    /// IBKR's order id.
    pub order_id: String,
    /// The account.
    pub account: Option<String>,
    /// The contract.
    pub conid: Option<Conid>,
    /// The symbol.
    pub ticker: Option<String>,
    /// `BUY` or `SELL`.
    pub side: Option<String>,
    /// Total size.
    pub total_size: Option<f64>,
    /// Filled so far.
    pub filled: Option<f64>,
    /// The order type as IBKR names it (`Limit`, `Market`, ...).
    pub order_type: Option<String>,
    /// The limit or stop price, as IBKR formats it.
    pub price: Option<String>,
    /// The status (`Submitted`, `PreSubmitted`, `Filled`, `Cancelled`, ...).
    pub status: Option<String>,
    /// The client order id it was placed with (IBKR's `order_ref`).
    pub client_order_id: Option<String>,
    /// Every field IBKR sent, as it sent it.
    pub raw: Value,
}

impl LiveOrder {
    fn from_json(v: &Value) -> Option<LiveOrder> {
        Some(LiveOrder {
            order_id: json_text(v.get("orderId"))?,
            account: json_text(v.get("acct")).or_else(|| json_text(v.get("account"))),
            conid: v
                .get("conid")
                .and_then(|c| serde_json::from_value(c.clone()).ok()),
            ticker: json_text(v.get("ticker")),
            side: json_text(v.get("side")),
            total_size: json_number(v.get("totalSize")),
            filled: json_number(v.get("filledQuantity")),
            order_type: json_text(v.get("orderType")),
            price: json_text(v.get("price")),
            status: json_text(v.get("status")),
            client_order_id: json_text(v.get("order_ref")),
            raw: v.clone(),
        })
    }
}

/// What `DELETE .../order/{id}` answered: the request was received, not that the order is
/// cancelled yet (watch its status).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CancelAck {
    /// IBKR's message (`Request was submitted`).
    pub message: String,
    /// The order id.
    pub order_id: Option<String>,
}

/// What `whatif` says an order would do to the account.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderPreview {
    /// Commission and total amounts (IBKR's strings, by key).
    pub amount: BTreeMap<String, Value>,
    /// Equity before/after.
    pub equity: BTreeMap<String, Value>,
    /// Initial margin before/after.
    pub initial: BTreeMap<String, Value>,
    /// Maintenance margin before/after.
    pub maintenance: BTreeMap<String, Value>,
    /// IBKR's warning, if any.
    pub warning: Option<String>,
    /// IBKR's error, if any.
    pub error: Option<String>,
}

fn object_map(v: Option<&Value>) -> BTreeMap<String, Value> {
    v.and_then(Value::as_object)
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

impl Ibkr {
    /// The session's live orders (IBKR keeps them for the day). IBKR paces this call at one
    /// per 5 seconds; the client waits rather than be refused.
    pub async fn live_orders(&self) -> Result<Vec<LiveOrder>> {
        let v: Value = self
            .json_call(
                "getLiveOrders",
                Method::GET,
                "/iserver/account/orders",
                &[],
                None,
            )
            .await?;
        Ok(v.get("orders")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(LiveOrder::from_json).collect())
            .unwrap_or_default())
    }

    /// The live order placed with client order id `coid`, if IBKR lists one: how to
    /// settle an [`Error::OrderStateUnknown`] before deciding anything else.
    pub async fn find_order(&self, coid: &str) -> Result<Option<LiveOrder>> {
        Ok(self
            .live_orders()
            .await?
            .into_iter()
            .find(|o| o.client_order_id.as_deref() == Some(coid)))
    }

    /// Ask IBKR to cancel a working order of the default account (`-1` cancels all).
    pub async fn cancel(&self, order_id: &str) -> Result<CancelAck> {
        let account = self.order_account(None, "cancelOrder")?.to_string();
        let path = format!("/iserver/account/{account}/order/{order_id}");
        let v: Value = self
            .json_call("cancelOrder", Method::DELETE, &path, &[], None)
            .await?;
        if let Some(e) = v.get("error").and_then(Value::as_str) {
            return Err(Error::Api {
                operation: "cancelOrder",
                status: 200,
                message: Some(e.to_string()),
                excerpt: crate::error::excerpt(v.to_string().as_bytes()),
            });
        }
        Ok(CancelAck {
            message: json_text(v.get("msg")).unwrap_or_default(),
            order_id: json_text(v.get("order_id")),
        })
    }

    /// What the order would cost and do to margin, without placing it (`whatif`).
    pub async fn preview(&self, order: impl Into<OrderGroup>) -> Result<OrderPreview> {
        let account = self.order_account(None, "previewOrder")?.to_string();
        let path = format!("/iserver/account/{account}/orders/whatif");
        let body = order.into().body();
        let v: Value = self
            .json_call("previewOrder", Method::POST, &path, &[], Some(&body))
            .await?;
        Ok(OrderPreview {
            amount: object_map(v.get("amount")),
            equity: object_map(v.get("equity")),
            initial: object_map(v.get("initial")),
            maintenance: object_map(v.get("maintenance")),
            warning: json_text(v.get("warn")).filter(|s| !s.is_empty()),
            error: json_text(v.get("error")).filter(|s| !s.is_empty()),
        })
    }

    /// Tell IBKR not to ask these questions again for the rest of the brokerage session.
    pub async fn suppress(&self, message_ids: &[&str]) -> Result<()> {
        let body = json!({"messageIds": message_ids});
        let _: Value = self
            .json_call(
                "suppressOrderQuestions",
                Method::POST,
                "/iserver/questions/suppress",
                &[],
                Some(&body),
            )
            .await?;
        Ok(())
    }
}
