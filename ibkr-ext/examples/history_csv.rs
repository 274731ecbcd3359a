//! Daily bars for a few symbols, fetched in parallel, written as CSV files.
//!
//! `cargo run -p ibkr-ext --example history_csv [DIR]` (default: a temporary folder)

mod common;

use std::io::Write;

use futures::StreamExt;
use ibkr_ext::{BarSize, HistoryItem, Period, StockQuery};

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let ex = common::connect().await?;
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("ibkr-history-{}", std::process::id()))
        });
    std::fs::create_dir_all(&dir)?;
    let items: Vec<HistoryItem> = ["AAPL", "MSFT", "IBM"]
        .into_iter()
        .map(|s| HistoryItem::Query(StockQuery::new(s)))
        .collect();
    let mut results = ex
        .ibkr
        .history_many(items, Period::Months(1), BarSize::Day1);
    while let Some((item, bars)) = results.next().await {
        let bars = bars?;
        let path = dir.join(format!("{item}.csv"));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        writeln!(file, "time,open,high,low,close,volume")?;
        for b in &bars.bars {
            writeln!(
                file,
                "{},{},{},{},{},{}",
                b.time.to_rfc3339(),
                b.open,
                b.high,
                b.low,
                b.close,
                b.volume
            )?;
        }
        file.flush()?;
        println!("{item}: {} bars -> {}", bars.bars.len(), path.display());
    }
    Ok(())
}
