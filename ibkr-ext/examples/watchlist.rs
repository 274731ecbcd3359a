//! A watchlist: create one from symbols, show it, list them, delete it; and what an
//! unknown id gives (a typed error, nothing deleted).
//!
//! `cargo run -p ibkr-ext --example watchlist`

mod common;

use ibkr_ext::{Error, StockQuery};

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let ex = common::connect().await?;
    let ibkr = &ex.ibkr;
    let conids = ibkr
        .resolve_conids(&[
            StockQuery::new("AAPL"),
            StockQuery::new("MSFT"),
            StockQuery::new("IBM"),
        ])
        .await?;
    let list: Vec<_> = conids.values().copied().collect();
    let id = "990001";
    let w = ibkr.create_watchlist(id, "Examples", &list).await?;
    println!("created {} ({}):", w.name, w.id);
    for i in &w.instruments {
        println!("  {} {}", i.conid, i.symbol);
    }
    for summary in ibkr.watchlists().await? {
        println!("listed: {} {}", summary.id, summary.name);
    }
    match ibkr.delete_watchlist("990002").await {
        Err(Error::NotFound { what, .. }) => println!("refused: {what}"),
        other => println!("unexpected: {other:?}"),
    }
    ibkr.delete_watchlist(id).await?;
    println!("deleted {id}");
    Ok(())
}
