//! Filling orders: booking executions, and matching resting orders when a price moves.

use super::book::{Execution, OrderStatus, OrderType, Side, commission};
use super::{Desk, Env};
use crate::clock::now_ms;
use crate::market::catalog::Contract;

/// The venue a fill is reported on (`exchange` in trades: ISLAND for NASDAQ stocks, as in
/// GET_iserver_account_trades.json).
pub(crate) fn venue(contract: &Contract) -> String {
    match contract.exchange.as_str() {
        "NASDAQ" => "ISLAND".to_string(),
        other => other.to_string(),
    }
}

/// What to book for one fill.
pub(crate) struct Fill<'a> {
    pub account: &'a str,
    pub order_id: u64,
    pub contract: &'a Contract,
    pub side: Side,
    pub size: f64,
    pub price: f64,
    pub time_ms: i64,
    pub order_ref: Option<String>,
    pub order_type: OrderType,
}

/// Whether a live order would execute at `last`, and at what price.
fn executable(order: &super::book::Order, last: f64) -> Option<f64> {
    let buy = order.side == Side::Buy;
    let stop_hit = |stop: f64| if buy { last >= stop } else { last <= stop };
    let limit_ok = |limit: f64| if buy { last <= limit } else { last >= limit };
    match order.order_type {
        OrderType::Market => Some(last),
        OrderType::Limit => order.limit.filter(|&l| limit_ok(l)).map(|_| last),
        OrderType::Stop => order.stop.filter(|&s| stop_hit(s)).map(|_| last),
        OrderType::StopLimit => {
            let triggered = order.triggered || order.stop.is_some_and(stop_hit);
            if triggered {
                order.limit.filter(|&l| limit_ok(l)).map(|_| last)
            } else {
                None
            }
        }
    }
}

impl Desk {
    /// Book a fill into the account and the execution list.
    pub(crate) fn book_fill(&mut self, env: &mut Env<'_>, fill: Fill<'_>) {
        let fee = commission(fill.size);
        let Some(book) = self.book_mut(fill.account) else {
            return;
        };
        let realized = book.apply_fill(
            fill.contract,
            fill.side,
            fill.size,
            fill.price,
            fee,
            fill.time_ms,
        );
        book.realized_today += realized;
        let id = env.ids.execution_id();
        self.executions.push(Execution {
            id,
            order_id: fill.order_id,
            account: fill.account.to_string(),
            conid: fill.contract.conid,
            side: fill.side,
            size: fill.size,
            price: fill.price,
            commission: fee,
            time_ms: fill.time_ms,
            order_ref: fill.order_ref,
            order_type: fill.order_type,
            realized,
            venue: venue(fill.contract),
        });
    }

    /// Fill the live order at `index` completely at `price`.
    pub(crate) fn fill_order(&mut self, env: &mut Env<'_>, index: usize, price: f64) {
        let Some(order) = self.orders.get(index).cloned() else {
            return;
        };
        let Some(contract) = env.contract(order.conid) else {
            return;
        };
        let now = now_ms();
        self.book_fill(
            env,
            Fill {
                account: &order.account,
                order_id: order.id,
                contract: &contract,
                side: order.side,
                size: order.remaining(),
                price,
                time_ms: now,
                order_ref: order.order_ref.clone(),
                order_type: order.order_type,
            },
        );
        if let Some(o) = self.orders.get_mut(index) {
            o.avg_price = price;
            o.filled = o.quantity;
            o.status = OrderStatus::Filled;
            o.last_ms = now;
        }
    }

    /// Match the live orders on `conid` against its current last price.
    pub(crate) fn match_resting(&mut self, env: &mut Env<'_>, conid: u64) {
        let Some(contract) = env.contract(conid) else {
            return;
        };
        let last = env.last_price(&contract);
        let live: Vec<usize> = self
            .orders
            .iter()
            .enumerate()
            .filter(|(_, o)| o.conid == conid && o.status.is_live())
            .map(|(i, _)| i)
            .collect();
        for i in live {
            let order = &mut self.orders[i];
            if order.order_type == OrderType::StopLimit
                && !order.triggered
                && order.stop.is_some_and(|s| {
                    if order.side == Side::Buy {
                        last >= s
                    } else {
                        last <= s
                    }
                })
            {
                order.triggered = true;
                order.status = OrderStatus::Submitted;
            }
            if let Some(price) = executable(&self.orders[i], last) {
                self.fill_order(env, i, price);
            }
        }
    }
}
