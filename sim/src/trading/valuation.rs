//! Valuing an account at current prices: holdings, market value, P&L, net liquidation.

use crate::market::catalog::Contract;

use super::{Desk, Env};

/// One position valued at the current last price.
#[derive(Debug, Clone)]
pub(crate) struct Holding {
    pub contract: Contract,
    pub quantity: f64,
    pub avg_cost: f64,
    pub last: f64,
    pub prev_close: f64,
    pub market_value: f64,
    pub unrealized: f64,
    pub realized: f64,
    pub opened_ms: i64,
}

/// An account valued at current prices.
#[derive(Debug, Clone)]
pub(crate) struct Valuation {
    pub cash: f64,
    pub holdings: Vec<Holding>,
    pub market_value: f64,
    pub unrealized: f64,
    pub realized_today: f64,
    pub daily_pnl: f64,
    pub net_liquidation: f64,
}

/// Value `account` (empty valuation if unknown).
pub(crate) fn value(desk: &Desk, env: &mut Env<'_>, account: &str) -> Valuation {
    let (cash, positions, realized_today) = match desk.book(account) {
        Some(b) => (
            b.cash,
            b.positions
                .iter()
                .map(|(&c, &p)| (c, p))
                .collect::<Vec<_>>(),
            b.realized_today,
        ),
        None => (0.0, Vec::new(), 0.0),
    };
    let mut holdings = Vec::new();
    for (conid, p) in positions {
        let Some(contract) = env.contract(conid) else {
            continue;
        };
        let mult: f64 = contract
            .multiplier
            .and_then(|m| m.parse().ok())
            .unwrap_or(1.0);
        let quote = env.quotes.get(conid, contract.ref_price).clone();
        let market_value = p.quantity * quote.last * mult;
        holdings.push(Holding {
            quantity: p.quantity,
            avg_cost: p.avg_cost,
            last: quote.last,
            prev_close: quote.prev_close,
            market_value,
            unrealized: (quote.last - p.avg_cost) * p.quantity * mult,
            realized: p.realized,
            opened_ms: p.opened_ms,
            contract,
        });
    }
    let market_value: f64 = holdings.iter().map(|h| h.market_value).sum();
    let unrealized: f64 = holdings.iter().map(|h| h.unrealized).sum();
    let daily: f64 = holdings
        .iter()
        .map(|h| (h.last - h.prev_close) * h.quantity)
        .sum();
    Valuation {
        cash,
        market_value,
        unrealized,
        realized_today,
        daily_pnl: daily + realized_today,
        net_liquidation: cash + market_value,
        holdings,
    }
}
