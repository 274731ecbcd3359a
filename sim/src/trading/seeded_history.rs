//! A week of trades, a deposit and a dividend, so a fresh simulator already has positions
//! that come from trades: `/iserver/account/trades?days=7` lists every seeded execution (IBKR
//! serves at most 7 days, cpapi-v1 "Trades"), the last one falls inside the default one-day
//! window, and the Flex statement, the ledger and the positions all agree with them.

use chrono::{Datelike, Duration, Utc, Weekday};
use rand::Rng;

use super::book::{CashMovement, OrderType, Side};
use super::fills::Fill;
use super::{Desk, Env};
use crate::market::walk::{opening_price, stream, tick_round};

/// `(weekday sessions ago, conid, side, quantity)` for the primary account; session 0 is
/// today, a quarter of an hour before the simulator started.
const TRADES: &[(i64, u64, Side, f64)] = &[
    (4, 756733, Side::Buy, 20.0),  // SPY
    (3, 265598, Side::Buy, 50.0),  // AAPL
    (2, 272093, Side::Buy, 15.0),  // MSFT
    (1, 265598, Side::Sell, 20.0), // AAPL
    (0, 8314, Side::Buy, 10.0),    // IBM
];

/// The initial deposit of every account, in USD.
pub(crate) const DEPOSIT: f64 = 1_000_000.0;

/// 14:35 UTC of the `sessions_ago`-th weekday before today (0: fifteen minutes ago).
fn session_ms(sessions_ago: i64) -> i64 {
    if sessions_ago <= 0 {
        return Utc::now().timestamp_millis() - 15 * 60_000;
    }
    let mut day = Utc::now().date_naive();
    let mut left = sessions_ago;
    while left > 0 {
        day -= Duration::days(1);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    day.and_hms_opt(14, 35, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or_default()
}

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

/// Put the seeded history into a fresh desk: a deposit in every account, the trades and a
/// dividend in `primary`'s.
pub(crate) fn seed(desk: &mut Desk, env: &mut Env<'_>, seed: u64, primary: &str) {
    let accounts: Vec<String> = desk.books.iter().map(|b| b.id.clone()).collect();
    for account in &accounts {
        if let Some(book) = desk.book_mut(account) {
            book.cash += DEPOSIT;
        }
        desk.cash_movements.push(CashMovement {
            account: account.clone(),
            time_ms: past_session_ms(150),
            amount: DEPOSIT,
            kind: "Deposits/Withdrawals",
            description: "CASH RECEIPTS / ELECTRONIC FUND TRANSFERS".to_string(),
            conid: None,
        });
    }
    for &(sessions_ago, conid, side, quantity) in TRADES {
        let Some(contract) = env.contract(conid) else {
            continue;
        };
        let mut rng = stream(seed, conid, 7 + sessions_ago as u64);
        let factor: f64 = rng.random_range(0.97..1.01);
        let price = tick_round(opening_price(seed, conid, contract.ref_price) * factor);
        let order_id = env.ids.order_id();
        desk.book_fill(
            env,
            Fill {
                account: primary,
                order_id,
                contract: &contract,
                side,
                size: quantity,
                price,
                time_ms: session_ms(sessions_ago),
                order_ref: None,
                order_type: OrderType::Limit,
            },
        );
    }
    // A dividend on the SPY holding.
    desk.cash_movements.push(CashMovement {
        account: primary.to_string(),
        time_ms: past_session_ms(3),
        amount: 35.0,
        kind: "Dividends",
        description: "SPY(US78462F1030) CASH DIVIDEND USD 1.75 PER SHARE (Ordinary Dividend)"
            .to_string(),
        conid: Some(756733),
    });
    if let Some(book) = desk.book_mut(primary) {
        book.cash += 35.0;
        book.realized_today = 0.0;
    }
}
