//! The account book: orders, executions, positions and cash, and how a fill changes them.

use std::collections::BTreeMap;

use crate::market::catalog::Contract;

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Buy,
    Sell,
}

impl Side {
    pub(crate) fn parse(text: &str) -> Option<Side> {
        match text.trim().to_ascii_uppercase().as_str() {
            "BUY" | "B" => Some(Side::Buy),
            "SELL" | "S" => Some(Side::Sell),
            _ => None,
        }
    }

    /// `BUY` / `SELL`.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }

    /// `B` / `S` (order status and trades use the letter).
    pub(crate) fn letter(self) -> &'static str {
        match self {
            Side::Buy => "B",
            Side::Sell => "S",
        }
    }

    /// +1 for buys, -1 for sells.
    pub(crate) fn sign(self) -> f64 {
        match self {
            Side::Buy => 1.0,
            Side::Sell => -1.0,
        }
    }
}

/// The order types the simulator executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderType {
    Market,
    Limit,
    Stop,
    StopLimit,
}

impl OrderType {
    pub(crate) fn parse(text: &str) -> Option<OrderType> {
        match text.trim().to_ascii_uppercase().as_str() {
            "MKT" | "MARKET" => Some(OrderType::Market),
            "LMT" | "LIMIT" => Some(OrderType::Limit),
            "STP" | "STOP" => Some(OrderType::Stop),
            "STOP_LIMIT" | "STP LMT" | "STPLMT" => Some(OrderType::StopLimit),
            _ => None,
        }
    }

    /// `Market`, `Limit`, ... (live orders' `orderType`, GET_iserver_account_orders.json).
    pub(crate) fn title(self) -> &'static str {
        match self {
            OrderType::Market => "Market",
            OrderType::Limit => "Limit",
            OrderType::Stop => "Stop",
            OrderType::StopLimit => "Stop Limit",
        }
    }

    /// `MARKET`, `LIMIT`, ... (order status' `order_type`, `origOrderType`).
    pub(crate) fn upper(self) -> &'static str {
        match self {
            OrderType::Market => "MARKET",
            OrderType::Limit => "LIMIT",
            OrderType::Stop => "STOP",
            OrderType::StopLimit => "STOP_LIMIT",
        }
    }

    /// `MKT`, `LMT`, ... (Flex `orderType`).
    pub(crate) fn code(self) -> &'static str {
        match self {
            OrderType::Market => "MKT",
            OrderType::Limit => "LMT",
            OrderType::Stop => "STP",
            OrderType::StopLimit => "STPLMT",
        }
    }

    pub(crate) fn is_stop(self) -> bool {
        matches!(self, OrderType::Stop | OrderType::StopLimit)
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderStatus {
    PreSubmitted,
    Submitted,
    Filled,
    Cancelled,
}

impl OrderStatus {
    pub(crate) fn word(self) -> &'static str {
        match self {
            OrderStatus::PreSubmitted => "PreSubmitted",
            OrderStatus::Submitted => "Submitted",
            OrderStatus::Filled => "Filled",
            OrderStatus::Cancelled => "Cancelled",
        }
    }

    pub(crate) fn is_live(self) -> bool {
        matches!(self, OrderStatus::PreSubmitted | OrderStatus::Submitted)
    }
}

/// One order the simulator accepted.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Order {
    pub id: u64,
    pub account: String,
    pub conid: u64,
    pub side: Side,
    pub order_type: OrderType,
    pub limit: Option<f64>,
    pub stop: Option<f64>,
    pub quantity: f64,
    pub filled: f64,
    pub avg_price: f64,
    pub tif: String,
    pub status: OrderStatus,
    pub order_ref: Option<String>,
    pub outside_rth: bool,
    pub last_ms: i64,
    /// Stop orders: whether the trigger was hit.
    pub triggered: bool,
}

impl Order {
    pub(crate) fn remaining(&self) -> f64 {
        (self.quantity - self.filled).max(0.0)
    }

    /// `Buy 1 Limit 457.00, GTC` (live orders' `orderDesc`), or `Sold 5 Market, Day` once filled.
    pub(crate) fn description(&self) -> String {
        self.description_with(None)
    }

    /// The description with the symbol after the quantity: `Sold 5 AAPL Market, Day`.
    pub(crate) fn description_with(&self, symbol: Option<&str>) -> String {
        let qty = crate::market::format::quantity(self.quantity);
        let verb = match (self.side, self.status) {
            (Side::Buy, OrderStatus::Filled) => "Bought",
            (Side::Sell, OrderStatus::Filled) => "Sold",
            (Side::Buy, _) => "Buy",
            (Side::Sell, _) => "Sell",
        };
        let tif = match self.tif.as_str() {
            "DAY" => "Day".to_string(),
            other => other.to_string(),
        };
        let price = match (self.order_type, self.limit, self.stop) {
            (OrderType::Limit, Some(p), _) => format!(" {p:.2}"),
            (OrderType::Stop, _, Some(s)) => format!(" {s:.2}"),
            (OrderType::StopLimit, Some(p), Some(s)) => format!(" {s:.2} {p:.2}"),
            _ => String::new(),
        };
        let symbol = symbol.map(|s| format!("{s} ")).unwrap_or_default();
        format!(
            "{verb} {qty} {symbol}{}{price}, {tif}",
            self.order_type.title()
        )
    }
}

/// One fill.
#[derive(Debug, Clone)]
pub(crate) struct Execution {
    pub id: String,
    pub order_id: u64,
    pub account: String,
    pub conid: u64,
    pub side: Side,
    pub size: f64,
    pub price: f64,
    pub commission: f64,
    pub time_ms: i64,
    pub order_ref: Option<String>,
    pub order_type: OrderType,
    /// Realised P&L this fill booked (closing part only).
    pub realized: f64,
    /// Venue the fill is reported on.
    pub venue: String,
}

/// One open position.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Position {
    pub quantity: f64,
    pub avg_cost: f64,
    pub realized: f64,
    pub opened_ms: i64,
}

/// One cash movement other than trades (deposits, dividends) for the Flex statement.
#[derive(Debug, Clone)]
pub(crate) struct CashMovement {
    pub account: String,
    pub time_ms: i64,
    pub amount: f64,
    pub kind: &'static str,
    pub description: String,
    pub conid: Option<u64>,
}

/// One account's money and holdings.
#[derive(Debug, Clone)]
pub(crate) struct AccountBook {
    pub id: String,
    pub cash: f64,
    pub positions: BTreeMap<u64, Position>,
    pub realized_today: f64,
}

impl AccountBook {
    pub(crate) fn new(id: &str) -> Self {
        AccountBook {
            id: id.to_string(),
            cash: 0.0,
            positions: BTreeMap::new(),
            realized_today: 0.0,
        }
    }

    /// Book a fill: position, average cost, realised P&L and cash. Returns the realised P&L.
    pub(crate) fn apply_fill(
        &mut self,
        contract: &Contract,
        side: Side,
        size: f64,
        price: f64,
        commission: f64,
        time_ms: i64,
    ) -> f64 {
        let multiplier: f64 = contract
            .multiplier
            .and_then(|m| m.parse().ok())
            .unwrap_or(1.0);
        let delta = side.sign() * size;
        let pos = self.positions.entry(contract.conid).or_default();
        let mut realized = 0.0;
        if pos.quantity == 0.0 || pos.quantity.signum() == delta.signum() {
            let total = pos.quantity.abs() + size;
            pos.avg_cost = (pos.quantity.abs() * pos.avg_cost + size * price) / total;
            if pos.quantity == 0.0 {
                pos.opened_ms = time_ms;
            }
            pos.quantity += delta;
        } else {
            let closing = size.min(pos.quantity.abs());
            realized = closing * (price - pos.avg_cost) * pos.quantity.signum() * multiplier;
            let before = pos.quantity;
            pos.quantity += delta;
            if pos.quantity.abs() < 1e-9 {
                pos.quantity = 0.0;
                pos.avg_cost = 0.0;
            } else if pos.quantity.signum() != before.signum() {
                pos.avg_cost = price;
                pos.opened_ms = time_ms;
            }
        }
        pos.realized += realized - commission;
        self.cash -= delta * price * multiplier + commission;
        if pos.quantity == 0.0 {
            self.positions.remove(&contract.conid);
        }
        realized
    }
}

/// IBKR Pro fixed-rate commission: USD 0.005 per share, at least USD 1.00.
pub(crate) fn commission(size: f64) -> f64 {
    ((size * 0.005).max(1.0) * 100.0).round() / 100.0
}
