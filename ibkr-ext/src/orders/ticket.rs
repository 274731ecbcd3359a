//! [`OrderTicket`] and [`OrderGroup`]: orders in the trader's words, and their JSON body.

use std::sync::atomic::{AtomicU64, Ordering};

use rust_decimal::Decimal;

use serde_json::{Map, Value, json};

use ibkr_gen::trading::types::{OrdersSubmissionRequest, SingleOrderSubmissionRequest};

use crate::conid::Conid;
pub use crate::vocab::Side;

/// The order type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderType {
    /// Market (`MKT`).
    Market,
    /// Limit (`LMT`) at a price.
    Limit,
    /// Stop (`STP`): a market order once the stop price trades.
    Stop,
    /// Stop limit (`STOP_LIMIT`): a limit order once the stop price trades.
    StopLimit,
    /// Market on close (`MOC`).
    MarketOnClose,
    /// Limit on close (`LOC`).
    LimitOnClose,
    /// Any other IBKR order type, as IBKR spells it.
    Other(String),
}

impl OrderType {
    fn wire(&self) -> &str {
        match self {
            OrderType::Market => "MKT",
            OrderType::Limit => "LMT",
            OrderType::Stop => "STP",
            OrderType::StopLimit => "STOP_LIMIT",
            OrderType::MarketOnClose => "MOC",
            OrderType::LimitOnClose => "LOC",
            OrderType::Other(s) => s,
        }
    }
}

/// How long the order stays working.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeInForce {
    /// Today only.
    Day,
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// At the opening.
    Opg,
    /// Any other IBKR value.
    Other(String),
}

impl TimeInForce {
    fn wire(&self) -> &str {
        match self {
            TimeInForce::Day => "DAY",
            TimeInForce::Gtc => "GTC",
            TimeInForce::Ioc => "IOC",
            TimeInForce::Opg => "OPG",
            TimeInForce::Other(s) => s,
        }
    }
}

/// How much to trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// A number of shares or contracts.
    Quantity(Decimal),
    /// An amount of cash (`cashQty`).
    Cash(Decimal),
}

/// One order, built in the trader's words.
///
/// ```
/// use ibkr_ext::orders::{OrderTicket, TimeInForce};
/// use rust_decimal::Decimal;
/// let ticket = OrderTicket::buy(265598, Decimal::from(10))
///     .limit(Decimal::new(19305, 2))       // 193.05
///     .tif(TimeInForce::Gtc)
///     .outside_rth(true);
/// assert_eq!(ticket.to_json()["orderType"], "LMT");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OrderTicket {
    conid: Conid,
    side: Side,
    size: Size,
    order_type: OrderType,
    tif: TimeInForce,
    price: Option<Decimal>,
    stop_price: Option<Decimal>,
    outside_rth: bool,
    coid: String,
    parent_coid: Option<String>,
    oca_group: bool,
    extra: Map<String, Value>,
}

static COID_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// A client order id unique for 24 hours (IBKR's rule): time, process and a counter.
fn unique_coid() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let n = COID_SEQUENCE.fetch_add(1, Ordering::Relaxed);
    format!("ibkr-rs-{}-{}-{n}", now.as_millis(), std::process::id())
}

impl OrderTicket {
    /// A market order for `quantity` of `conid`, on `side`, good for the day.
    pub fn new(conid: impl Into<Conid>, side: Side, quantity: Decimal) -> Self {
        Self {
            conid: conid.into(),
            side,
            size: Size::Quantity(quantity),
            order_type: OrderType::Market,
            tif: TimeInForce::Day,
            price: None,
            stop_price: None,
            outside_rth: false,
            coid: unique_coid(),
            parent_coid: None,
            oca_group: false,
            extra: Map::new(),
        }
    }

    /// Buy `quantity` of `conid` at market, for the day.
    pub fn buy(conid: impl Into<Conid>, quantity: Decimal) -> Self {
        Self::new(conid, Side::Buy, quantity)
    }

    /// Sell `quantity` of `conid` at market, for the day.
    pub fn sell(conid: impl Into<Conid>, quantity: Decimal) -> Self {
        Self::new(conid, Side::Sell, quantity)
    }

    /// Trade an amount of cash instead of a quantity.
    pub fn cash_quantity(mut self, amount: Decimal) -> Self {
        self.size = Size::Cash(amount);
        self
    }

    /// A market order.
    pub fn market(mut self) -> Self {
        self.order_type = OrderType::Market;
        self.price = None;
        self
    }

    /// A limit order at `price`.
    pub fn limit(mut self, price: Decimal) -> Self {
        self.order_type = OrderType::Limit;
        self.price = Some(price);
        self
    }

    /// A stop order triggered at `stop`.
    pub fn stop(mut self, stop: Decimal) -> Self {
        self.order_type = OrderType::Stop;
        self.price = Some(stop);
        self.stop_price = None;
        self
    }

    /// A stop-limit order: at `stop`, a limit order at `limit`.
    pub fn stop_limit(mut self, stop: Decimal, limit: Decimal) -> Self {
        self.order_type = OrderType::StopLimit;
        self.price = Some(limit);
        self.stop_price = Some(stop);
        self
    }

    /// Any order type, with its price fields set separately.
    pub fn order_type(mut self, order_type: OrderType) -> Self {
        self.order_type = order_type;
        self
    }

    /// The time in force.
    pub fn tif(mut self, tif: TimeInForce) -> Self {
        self.tif = tif;
        self
    }

    /// Allow execution outside regular trading hours.
    pub fn outside_rth(mut self, yes: bool) -> Self {
        self.outside_rth = yes;
        self
    }

    /// Use this client order id instead of the generated, unique one.
    pub fn coid(mut self, coid: impl Into<String>) -> Self {
        self.coid = coid.into();
        self
    }

    /// Any other field of IBKR's order body, as IBKR names it (`manualIndicator`, ...).
    pub fn field(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }

    /// The client order id.
    pub fn client_order_id(&self) -> &str {
        &self.coid
    }

    /// The contract.
    pub fn conid(&self) -> Conid {
        self.conid
    }

    /// The side.
    pub fn side(&self) -> &Side {
        &self.side
    }

    /// The order as IBKR's JSON body expects it (one element of `orders`).
    pub fn to_json(&self) -> Value {
        Value::Object(self.fields())
    }

    /// The body of `modifyOrder` (and one element of `placeOrder`'s `orders`), for the
    /// generated builders.
    pub(crate) fn wire_body(&self) -> SingleOrderSubmissionRequest {
        SingleOrderSubmissionRequest(self.fields())
    }

    fn fields(&self) -> Map<String, Value> {
        let mut o = Map::new();
        o.insert("conid".into(), json!(self.conid.0));
        o.insert("side".into(), json!(self.side.as_str()));
        o.insert("orderType".into(), json!(self.order_type.wire()));
        o.insert("tif".into(), json!(self.tif.wire()));
        match self.size {
            Size::Quantity(q) => o.insert("quantity".into(), decimal(q)),
            Size::Cash(c) => o.insert("cashQty".into(), decimal(c)),
        };
        if let Some(p) = self.price {
            o.insert("price".into(), decimal(p));
        }
        if let Some(s) = self.stop_price {
            o.insert("auxPrice".into(), decimal(s));
        }
        if self.outside_rth {
            o.insert("outsideRTH".into(), json!(true));
        }
        o.insert("cOID".into(), json!(self.coid));
        if let Some(p) = &self.parent_coid {
            o.insert("parentId".into(), json!(p));
        }
        if self.oca_group {
            o.insert("isSingleGroup".into(), json!(true));
        }
        for (k, v) in &self.extra {
            o.insert(k.clone(), v.clone());
        }
        o
    }
}

fn decimal(d: Decimal) -> Value {
    // IBKR takes JSON numbers; a Decimal's exact text is a valid JSON number.
    serde_json::from_str(&d.normalize().to_string()).unwrap_or_else(|_| json!(d.to_string()))
}

/// One or more tickets submitted together: a single order, a bracket, or an OCA group.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderGroup {
    tickets: Vec<OrderTicket>,
}

impl OrderGroup {
    /// A bracket: the parent, then a take-profit and a stop-loss that only work once the
    /// parent fills (their `parentId` is the parent's `cOID`).
    pub fn bracket(parent: OrderTicket, take_profit: OrderTicket, stop_loss: OrderTicket) -> Self {
        let coid = parent.coid.clone();
        let children = [take_profit, stop_loss].map(|mut t| {
            t.parent_coid = Some(coid.clone());
            t
        });
        let mut tickets = vec![parent];
        tickets.extend(children);
        Self { tickets }
    }

    /// One-cancels-all: when one of them fills, IBKR cancels the others.
    pub fn one_cancels_all(tickets: Vec<OrderTicket>) -> Self {
        let tickets = tickets
            .into_iter()
            .map(|mut t| {
                t.oca_group = true;
                t
            })
            .collect();
        Self { tickets }
    }

    /// The tickets in submission order.
    pub fn tickets(&self) -> &[OrderTicket] {
        &self.tickets
    }

    /// The body of `placeOrder` and `previewOrder`: `{"orders": [..]}`.
    pub(crate) fn wire_body(&self) -> OrdersSubmissionRequest {
        OrdersSubmissionRequest {
            orders: self.tickets.iter().map(OrderTicket::wire_body).collect(),
        }
    }
}

impl From<OrderTicket> for OrderGroup {
    fn from(t: OrderTicket) -> Self {
        Self { tickets: vec![t] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_serialise_to_ibkrs_order_body() {
        let t = OrderTicket::buy(265598, Decimal::from(5))
            .stop_limit(Decimal::new(1900, 1), Decimal::new(1895, 1))
            .tif(TimeInForce::Gtc)
            .coid("my-1");
        assert_eq!(
            t.to_json(),
            json!({"conid": 265598, "side": "BUY", "orderType": "STOP_LIMIT", "tif": "GTC", "quantity": 5,
                   "price": 189.5, "auxPrice": 190, "cOID": "my-1"})
        );
        let cash = OrderTicket::sell(8314, Decimal::ZERO).cash_quantity(Decimal::new(100050, 2));
        assert_eq!(cash.to_json()["cashQty"], json!(1000.5));
        assert!(cash.to_json().get("quantity").is_none());
    }

    #[test]
    fn client_order_ids_are_unique() {
        let a = OrderTicket::buy(1, Decimal::ONE);
        let b = OrderTicket::buy(1, Decimal::ONE);
        assert_ne!(a.client_order_id(), b.client_order_id());
    }

    #[test]
    fn a_bracket_links_children_to_the_parent() {
        let parent = OrderTicket::buy(265598, Decimal::ONE)
            .limit(Decimal::from(190))
            .coid("p");
        let g = OrderGroup::bracket(
            parent,
            OrderTicket::sell(265598, Decimal::ONE).limit(Decimal::from(200)),
            OrderTicket::sell(265598, Decimal::ONE).stop(Decimal::from(180)),
        );
        let body = g.wire_body();
        assert_eq!(body.orders[1]["parentId"], "p");
        assert_eq!(body.orders[2]["parentId"], "p");
        assert!(body.orders[0].get("parentId").is_none());
        let oca = OrderGroup::one_cancels_all(vec![
            OrderTicket::buy(1, Decimal::ONE),
            OrderTicket::buy(2, Decimal::ONE),
        ]);
        assert!(
            oca.wire_body()
                .orders
                .iter()
                .all(|o| o["isSingleGroup"] == true)
        );
    }
}
