//! A market data snapshot: last, bid, ask and volume for a few stocks (the pre-flight call
//! IBKR needs before the first answer with fields is made for you).
//!
//! `cargo run -p ibkr-ext --example snapshot`

mod common;

use ibkr_ext::{Field, StockQuery};

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let ex = common::connect().await?;
    let symbols = ["AAPL", "MSFT", "SPY"];
    let queries: Vec<StockQuery> = symbols.iter().map(|s| StockQuery::new(*s)).collect();
    let conids = ex.ibkr.resolve_conids(&queries).await?;
    let wanted: Vec<_> = conids.values().copied().collect();
    let fields = [Field::LastPrice, Field::Bid, Field::Ask, Field::Volume];
    let quotes = ex.ibkr.snapshot(&wanted, &fields).await?;
    for q in &quotes {
        println!(
            "{:<8} last {:?} bid {:?} ask {:?} volume {:?}",
            q.conid,
            q.last(),
            q.number(Field::Bid),
            q.number(Field::Ask),
            q.number(Field::Volume)
        );
    }
    Ok(())
}
