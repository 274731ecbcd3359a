//! An order as the client sent it (one element of `{"orders":[...]}`, or a modify body).

use serde_json::Value;

use super::book::{OrderType, Side};

/// The fields the simulator reads from an order body. Unknown fields are ignored.
#[derive(Debug, Clone)]
pub(crate) struct Ticket {
    pub conid: Option<u64>,
    pub side_text: String,
    pub order_type_text: String,
    pub price: Option<f64>,
    pub aux_price: Option<f64>,
    pub quantity: Option<f64>,
    pub tif: String,
    pub order_ref: Option<String>,
    pub outside_rth: bool,
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Ticket {
    /// Read an order object. `conid` may be a number or a string; `conidex` (`265598@SMART`)
    /// is accepted too (cpapi-v1 "Place Order" body fields).
    pub(crate) fn read(body: &Value) -> Ticket {
        let conid = number(body.get("conid")).map(|c| c as u64).or_else(|| {
            text(body.get("conidex"))
                .and_then(|c| c.split('@').next().and_then(|id| id.trim().parse().ok()))
        });
        Ticket {
            conid,
            side_text: text(body.get("side")).unwrap_or_default(),
            order_type_text: text(body.get("orderType")).unwrap_or_default(),
            price: number(body.get("price")),
            aux_price: number(body.get("auxPrice")),
            quantity: number(body.get("quantity")),
            tif: text(body.get("tif"))
                .map(|t| t.to_ascii_uppercase())
                .unwrap_or_else(|| "DAY".to_string()),
            order_ref: text(body.get("cOID")).or_else(|| text(body.get("referrer"))),
            outside_rth: body
                .get("outsideRTH")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    }

    pub(crate) fn side(&self) -> Option<Side> {
        Side::parse(&self.side_text)
    }

    pub(crate) fn order_type(&self) -> Option<OrderType> {
        OrderType::parse(&self.order_type_text)
    }
}
