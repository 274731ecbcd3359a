//! Streaming quotes over the WebSocket: subscribe, read a few merged updates, stop.
//!
//! `cargo run -p ibkr-ext --example stream_quotes`

mod common;

use std::time::Duration;

use ibkr_ext::{Field, StockQuery, StreamEvent};

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let ex = common::connect().await?;
    let aapl = ex.ibkr.resolve_conid(StockQuery::new("AAPL")).await?;
    let streams = ex.ibkr.stream()?;
    let mut quotes = streams.quotes(&[aapl], &[Field::LastPrice, Field::Bid, Field::Ask]);
    let mut seen = 0;
    while seen < 3 {
        let Ok(event) = tokio::time::timeout(Duration::from_secs(30), quotes.next()).await else {
            return Err("no quote within 30 s".into());
        };
        match event {
            Some(StreamEvent::Data(update)) => {
                seen += 1;
                println!(
                    "AAPL last {:?} bid {:?} ask {:?} (changed: {:?})",
                    update.quote.last(),
                    update.quote.number(Field::Bid),
                    update.quote.number(Field::Ask),
                    update.changed
                );
            }
            Some(StreamEvent::Gap) => println!("reconnected: updates may have been missed"),
            Some(StreamEvent::Lagged(n)) => println!("{n} updates dropped"),
            Some(StreamEvent::Error(e)) => return Err(e.into()),
            Some(_) => {}
            None => return Err("the stream ended".into()),
        }
    }
    ex.ibkr.shutdown();
    Ok(())
}
