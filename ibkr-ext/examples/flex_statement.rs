//! Flex Web Service: request a statement, wait for IBKR to generate it, parse the trades.
//!
//! `cargo run -p ibkr-ext --example flex_statement` runs against the simulator's Flex
//! service; with `IBKR_FLEX_TOKEN` and `IBKR_FLEX_QUERY` set it asks IBKR's.

use std::time::Duration;

use ibkr_flex::{FlexClient, FlexRequest, PollPolicy};
use ibkr_sim::{FlexConfig, Gateway};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let real = std::env::var("IBKR_FLEX_TOKEN")
        .ok()
        .zip(std::env::var("IBKR_FLEX_QUERY").ok());
    let (_sim, client, query) = match real {
        Some((token, query)) => (None, FlexClient::builder(token).build()?, query),
        None => {
            let (token, query) = ("123456789012345678901234", "123456");
            let sim = Gateway::builder()
                .plain_http()
                .flex(FlexConfig {
                    token: token.into(),
                    query_id: query.into(),
                    pending_polls: 1,
                    min_interval: Duration::from_millis(200),
                    ..FlexConfig::default()
                })
                .start()
                .await?;
            let client = FlexClient::builder(token.to_string())
                .base_url(sim.flex_base_url())
                .policy(PollPolicy {
                    first_poll_delay: Duration::from_millis(300),
                    poll_interval: Duration::from_millis(300),
                    min_request_gap: Duration::from_millis(250),
                    ..PollPolicy::default()
                })
                .build()?;
            (Some(sim), client, query.to_string())
        }
    };
    let download = client.fetch(FlexRequest::new(query)).await?;
    println!("received {} bytes", download.bytes().len());
    let report = download.parse()?;
    for statement in &report.statements {
        println!(
            "account {:?}, {:?} to {:?}: {} trades, {} open positions",
            statement.account_id,
            statement.from_date,
            statement.to_date,
            statement.rows.trades.len(),
            statement.rows.open_positions.len()
        );
        for t in statement.rows.trades.iter().take(5) {
            println!(
                "  {:?} {:?} {:?} @ {:?}",
                t.buy_sell, t.quantity, t.symbol, t.trade_price
            );
        }
    }
    Ok(())
}
