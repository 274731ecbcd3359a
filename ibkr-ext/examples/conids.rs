//! Stock symbols to conids, and what happens with an ambiguous one.
//!
//! `cargo run -p ibkr-ext --example conids`

mod common;

use ibkr_ext::{Error, StockQuery};

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let ex = common::connect().await?;
    let ibkr = &ex.ibkr;
    let conids = ibkr
        .resolve_conids(&[StockQuery::new("AAPL"), StockQuery::new("MSFT")])
        .await?;
    for (symbol, conid) in &conids {
        println!("{symbol:<6} {conid}");
    }
    // More than one US instrument trades as ACME (on the simulator, as on IBKR for some
    // symbols): the resolver refuses to guess and lists the candidates.
    match ibkr.resolve_conid(StockQuery::new("ACME")).await {
        Err(Error::Resolve { candidates, .. }) => {
            println!("ACME is ambiguous; candidates:");
            for c in &candidates {
                println!("  {} on {} (conid {})", c.name, c.exchange, c.conid);
            }
            if let Some(first) = candidates.first() {
                let narrowed = StockQuery::new("ACME").name_match(first.name.as_str());
                println!("narrowed by name: {}", ibkr.resolve_conid(narrowed).await?);
            }
        }
        Ok(conid) => println!("ACME: {conid}"),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
