//! Positions (every page), balances and P&L of the account.
//!
//! `cargo run -p ibkr-ext --example positions_and_pnl`

mod common;

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let ex = common::connect().await?;
    let ibkr = &ex.ibkr;
    let account = ibkr.account(&ex.account);
    println!(
        "{:<8} {:>10} {:>12} {:>14} {:>12}",
        "symbol", "position", "avg cost", "market value", "unrealized"
    );
    for p in account.positions().await? {
        println!(
            "{:<8} {:>10} {:>12} {:>14} {:>12}",
            p.symbol,
            p.position,
            p.avg_cost
                .map(|d| d.round_dp(2).to_string())
                .unwrap_or_default(),
            p.market_value
                .map(|d| d.round_dp(2).to_string())
                .unwrap_or_default(),
            p.unrealized_pnl
                .map(|d| d.round_dp(2).to_string())
                .unwrap_or_default(),
        );
    }
    let s = account.summary().await?;
    println!(
        "net liquidation {:?}, buying power {:?}, maintenance margin {:?}",
        s.net_liquidation, s.buying_power, s.maint_margin
    );
    for row in account.pnl().await? {
        println!(
            "{}: daily {:?}, unrealized {:?}",
            row.partition, row.daily, row.unrealized
        );
    }
    Ok(())
}
