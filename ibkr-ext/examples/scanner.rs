//! A market scanner: what can be scanned (asked once per 15 minutes, cached), then the top
//! percentage gainers among US stocks above $5.
//!
//! `cargo run -p ibkr-ext --example scanner`

mod common;

use ibkr_ext::scanner::ScanRequest;

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let ex = common::connect().await?;
    let ibkr = &ex.ibkr;
    let params = ibkr.scanner_params().await?;
    println!(
        "{} scan types, {} locations, {} filters",
        params.scan_types.len(),
        params.locations.len(),
        params.filters.len()
    );
    let again = ibkr.scanner_params().await?; // from the cache: IBKR allows one call per 15 min
    assert_eq!(params, again);
    let request = ScanRequest::us_stocks("TOP_PERC_GAIN").filter("priceAbove", 5.0);
    for r in ibkr.scan(&request).await?.iter().take(10) {
        println!(
            "{:>2}. {:<6} {:<30} {}",
            r.rank,
            r.symbol,
            r.company,
            r.value.as_deref().unwrap_or("")
        );
    }
    Ok(())
}
