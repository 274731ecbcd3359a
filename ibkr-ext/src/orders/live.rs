//! Orders after they are placed: live orders, finding one by client order id, cancel,
//! preview (`whatif`), and suppressing questions.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use ibkr_gen::RawCall;
use ibkr_gen::trading::builder::{CancelOrder, PreviewOrder};
use ibkr_gen::trading::types::{
    LiveOrdersResponseOrdersItem, LooseScalar, SuppressOrderQuestionsBody,
};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use super::ticket::OrderGroup;
use crate::Ibkr;
use crate::conid::Conid;
use crate::error::{Error, Result};
use crate::portfolio::text_decimal;
use crate::vocab::{OrderStatus, Side};

/// A working or recently finished order: from `GET /iserver/account/orders`
/// ([`Ibkr::live_orders`]) and, merged from its partial updates, from the `sor` stream
/// ([`OrderUpdate`](crate::stream::OrderUpdate)). Both decode IBKR's order object through the
/// generated type (`LiveOrdersResponseOrdersItem`) the same way.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct LiveOrder {
    /// IBKR's order id.
    pub order_id: String,
    /// The account.
    pub account: Option<String>,
    /// The contract.
    pub conid: Option<Conid>,
    /// The symbol.
    pub ticker: Option<String>,
    /// Buy or sell.
    pub side: Option<Side>,
    /// Total size.
    pub total_size: Option<f64>,
    /// Filled so far.
    pub filled: Option<f64>,
    /// Still to fill.
    pub remaining: Option<f64>,
    /// The order type as IBKR names it (`Limit`, `Market`, ...).
    pub order_type: Option<String>,
    /// The limit or stop price (`None` for a market order, which IBKR sends as `""`).
    pub price: Option<Decimal>,
    /// The average fill price, once something filled.
    pub avg_price: Option<Decimal>,
    /// The time in force as IBKR names it (`GTC`, `CLOSE`, ...).
    pub time_in_force: Option<String>,
    /// The status.
    pub status: Option<OrderStatus>,
    /// IBKR's description (`Bought 1 AAPL Market, Day`).
    pub description: Option<String>,
    /// When it last executed (or was placed), in UTC.
    pub last_execution: Option<DateTime<Utc>>,
    /// The client order id it was placed with (IBKR's `order_ref`).
    pub client_order_id: Option<String>,
}

impl LiveOrder {
    /// From the generated item; `None` for an item without an order id.
    pub(crate) fn from_item(o: &LiveOrdersResponseOrdersItem) -> Option<LiveOrder> {
        Some(Self::with_id(o.order_id?.to_string(), o))
    }

    /// From the generated item, with the order id read elsewhere (a `sor` delta's key).
    pub(crate) fn with_id(order_id: String, o: &LiveOrdersResponseOrdersItem) -> LiveOrder {
        LiveOrder {
            order_id,
            account: o.acct.clone().or_else(|| o.account.clone()),
            conid: o.conid.as_ref().and_then(Conid::from_loose),
            ticker: o.ticker.clone(),
            side: o.side.as_deref().map(Side::from_ibkr),
            total_size: o.total_size.as_ref().and_then(loose_number),
            filled: o.filled_quantity.as_ref().and_then(loose_number),
            remaining: o.remaining_quantity.as_ref().and_then(loose_number),
            order_type: o.order_type.clone(),
            price: o.price.as_deref().and_then(text_decimal),
            avg_price: o.avg_price.as_deref().and_then(text_decimal),
            time_in_force: o.time_in_force.clone(),
            status: o.status.as_deref().map(OrderStatus::from_ibkr),
            description: o.order_desc.clone(),
            last_execution: o
                .last_execution_time_r
                .and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
            client_order_id: o.order_ref.clone(),
        }
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

/// A generated sub-object as a map of IBKR's keys to its values.
fn object_map<T: Serialize>(v: Option<&T>) -> BTreeMap<String, Value> {
    match v.map(serde_json::to_value) {
        Some(Ok(Value::Object(o))) => o.into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

impl Ibkr {
    /// The live orders of the account the gateway has selected (IBKR keeps them for the
    /// day); another account's with `ibkr.account(id).orders().live()`. IBKR paces this call
    /// at one per 5 seconds; the client waits rather than be refused.
    pub async fn live_orders(&self) -> Result<Vec<LiveOrder>> {
        self.live_orders_of(None).await
    }

    /// The live orders of `account` (`accountId`), or of the selected account.
    pub(crate) async fn live_orders_of(&self, account: Option<&str>) -> Result<Vec<LiveOrder>> {
        let mut call = self.api().get_live_orders();
        if let Some(account) = account {
            call = call.account_id(account);
        }
        let answer = call.await?;
        Ok(answer
            .orders
            .iter()
            .filter_map(LiveOrder::from_item)
            .collect())
    }

    /// The live order placed with client order id `coid`, if IBKR lists one: how to
    /// settle an [`Error::OrderStateUnknown`] before deciding anything else.
    pub async fn find_order(&self, coid: &str) -> Result<Option<LiveOrder>> {
        self.find_order_of(None, coid).await
    }

    /// The live order of `account` (or of the selected account) placed with `coid`.
    pub(crate) async fn find_order_of(
        &self,
        account: Option<&str>,
        coid: &str,
    ) -> Result<Option<LiveOrder>> {
        Ok(self
            .live_orders_of(account)
            .await?
            .into_iter()
            .find(|o| o.client_order_id.as_deref() == Some(coid)))
    }

    /// Ask IBKR to cancel a working order of the default account (`-1` cancels all).
    pub async fn cancel(&self, order_id: &str) -> Result<CancelAck> {
        let account = self.require_account(CancelOrder::OPERATION)?;
        let call = self
            .raw()
            .cancel_order()
            .account_id(account)
            .order_id(order_id);
        let v = self.send(call).await?;
        if let Some(e) = &v.error {
            return Err(Error::Api {
                operation: CancelOrder::OPERATION,
                status: 200,
                message: Some(e.clone()),
                excerpt: crate::error::excerpt(e.as_bytes()),
            });
        }
        Ok(CancelAck {
            message: v.msg.unwrap_or_default(),
            order_id: v.order_id.map(|id| id.to_string()),
        })
    }

    /// What the order would cost and do to margin, without placing it (`whatif`).
    pub async fn preview(&self, order: impl Into<OrderGroup>) -> Result<OrderPreview> {
        let account = self.require_account(PreviewOrder::OPERATION)?;
        let body = order.into().wire_body();
        let v = self
            .api()
            .preview_order()
            .account_id(account)
            .body(body)
            .await?;
        Ok(OrderPreview {
            amount: object_map(v.amount.as_ref()),
            equity: object_map(v.equity.as_ref()),
            initial: object_map(v.initial.as_ref()),
            maintenance: object_map(v.maintenance.as_ref()),
            warning: v.warn.filter(|s| !s.is_empty()),
            error: v.error.filter(|s| !s.is_empty()),
        })
    }

    /// Tell IBKR not to ask these questions again for the rest of the brokerage session.
    pub async fn suppress(&self, message_ids: &[&str]) -> Result<()> {
        let body = SuppressOrderQuestionsBody {
            message_ids: message_ids.iter().map(|id| id.to_string()).collect(),
        };
        self.api().suppress_order_questions().body(body).await?;
        Ok(())
    }
}

/// A number the generated types carry as a number or as text (`LooseScalar`).
fn loose_number(v: &LooseScalar) -> Option<f64> {
    match v {
        LooseScalar::Number(n) => Some(*n),
        LooseScalar::String(s) => s.trim().replace(',', "").parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use ibkr_gen::trading::types::LiveOrdersResponse;

    use super::*;

    /// Every order of the recorded `getLiveOrders` answers.
    fn recorded_orders() -> Vec<LiveOrder> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/responses/getLiveOrders");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let answer: LiveOrdersResponse = serde_json::from_str(&text).unwrap();
            out.extend(answer.orders.iter().filter_map(LiveOrder::from_item));
        }
        out
    }

    #[test]
    fn recorded_live_orders_decode_to_named_sides_and_statuses() {
        let orders = recorded_orders();
        assert_eq!(orders.len(), 3);
        for o in &orders {
            assert!(
                matches!(o.side, Some(Side::Buy | Side::Sell)),
                "{:?}",
                o.side
            );
            assert_eq!(o.status, Some(OrderStatus::Filled), "{}", o.order_id);
            assert!(o.last_execution.is_some());
        }
        // rec_ibkrdotnet_filled.json: a market order's `"price": ""` is no price.
        let market = orders.iter().find(|o| o.order_id == "245323648").unwrap();
        assert_eq!(market.price, None);
        assert_eq!(market.avg_price, Some(Decimal::new(31756, 2)));
        assert_eq!(market.remaining, Some(0.0));
        // spec_orders.json: a limit price as IBKR formats it.
        let limit = orders.iter().find(|o| o.order_id == "1370093238").unwrap();
        assert_eq!(limit.price, Some(Decimal::new(90000, 5)));
        assert_eq!(limit.side, Some(Side::Buy));
    }
}
