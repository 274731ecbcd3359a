//! A few historical trades, a deposit and a dividend, so a fresh simulator already has
//! positions and a non-empty Flex statement.

use chrono::{Datelike, Duration, Utc, Weekday};
use rand::Rng;

use crate::market::walk::{opening_price, stream, tick_round};
use crate::trading::book::{CashMovement, OrderType, Side};
use crate::trading::fills::{Fill, book_fill};
use crate::world::World;

/// `(days ago, conid, side, quantity)` for the primary account.
const TRADES: &[(i64, u64, Side, f64)] = &[
    (120, 756733, Side::Buy, 20.0), // SPY
    (90, 265598, Side::Buy, 50.0),  // AAPL
    (75, 272093, Side::Buy, 15.0),  // MSFT
    (40, 265598, Side::Sell, 20.0), // AAPL
    (21, 8314, Side::Buy, 10.0),    // IBM
];

/// The initial deposit of every account, in USD.
pub(crate) const DEPOSIT: f64 = 1_000_000.0;

/// 14:35 UTC on the weekday `days_ago` days back (moved back to Friday on weekends).
fn past_session_ms(days_ago: i64) -> i64 {
    let mut day = Utc::now().date_naive() - Duration::days(days_ago);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day -= Duration::days(1);
    }
    day.and_hms_opt(14, 35, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or_default()
}

/// Put the seeded history into a fresh world.
pub(crate) fn seed(world: &mut World) {
    let seed = world.settings.seed;
    let accounts = world.settings.accounts.clone();
    for account in &accounts {
        if let Some(book) = world.book_mut(account) {
            book.cash += DEPOSIT;
        }
        world.cash_movements.push(CashMovement {
            account: account.clone(),
            time_ms: past_session_ms(150),
            amount: DEPOSIT,
            kind: "Deposits/Withdrawals",
            description: "CASH RECEIPTS / ELECTRONIC FUND TRANSFERS".to_string(),
            conid: None,
        });
    }
    let primary = world.primary_account().to_string();
    for &(days_ago, conid, side, quantity) in TRADES {
        let Some(contract) = world.contract(conid) else {
            continue;
        };
        let mut rng = stream(seed, conid, 7 + days_ago as u64);
        let factor: f64 = rng.random_range(0.88..1.02);
        let price = tick_round(opening_price(seed, conid, contract.ref_price) * factor);
        let order_id = world.ids.order_id();
        book_fill(
            world,
            Fill {
                account: &primary,
                order_id,
                contract: &contract,
                side,
                size: quantity,
                price,
                time_ms: past_session_ms(days_ago),
                order_ref: None,
                order_type: OrderType::Limit,
            },
        );
    }
    // A dividend on the SPY holding.
    world.cash_movements.push(CashMovement {
        account: primary.clone(),
        time_ms: past_session_ms(30),
        amount: 35.0,
        kind: "Dividends",
        description: "SPY(US78462F1030) CASH DIVIDEND USD 1.75 PER SHARE (Ordinary Dividend)"
            .to_string(),
        conid: Some(756733),
    });
    if let Some(book) = world.book_mut(&primary) {
        book.cash += 35.0;
        book.realized_today = 0.0;
    }
}
