//! The market scanner: IBKR's parameter tree (instruments, locations, scan types, filters)
//! and a scan that ranks the catalog's instruments by the chosen scan type.
//!
//! Structure and codes from the spec's `iserverScannerParams` example
//! (getScannerParams/spec_success.json: `TOP_PERC_GAIN` "Top % Gainers", instrument `STK`
//! "US Stocks", location `STK.US.MAJOR` "Listed/NASDAQ", filter `priceAbove` style codes);
//! the answer rows as runScanner/cpapi_v1.json and spec.json (`scan_data` like `"163.773K"`,
//! `listing_exchange` `NASDAQ.NMS`, `scan_data_column_name`).

use crate::market::catalog::{COMPANIES, Catalog, Company};
use crate::market::quotes::Quotes;

/// A scan type: code, display name, the column its value is shown under.
pub(crate) struct ScanType {
    pub code: &'static str,
    pub name: &'static str,
    pub column: &'static str,
}

pub(crate) const SCAN_TYPES: &[ScanType] = &[
    ScanType {
        code: "TOP_PERC_GAIN",
        name: "Top % Gainers",
        column: "Chg%",
    },
    ScanType {
        code: "TOP_PERC_LOSE",
        name: "Top % Losers",
        column: "Chg%",
    },
    ScanType {
        code: "MOST_ACTIVE",
        name: "Most Active",
        column: "Volume",
    },
    ScanType {
        code: "HOT_BY_VOLUME",
        name: "Hot Contracts by Volume",
        column: "Trades",
    },
    ScanType {
        code: "TOP_PRICE_RANGE",
        name: "Top Price Range",
        column: "Range",
    },
    ScanType {
        code: "HIGH_VS_52W_HL",
        name: "Near 52 Week High",
        column: "Price",
    },
];

/// Instrument types: (type, display name, the company kinds it covers).
pub(crate) const INSTRUMENTS: &[(&str, &str, &str)] = &[
    ("STK", "US Stocks", "COMMON"),
    ("ETF.EQ.US", "US Equity ETFs", "ETF"),
];

/// Locations under each instrument: (type, display name, listing exchanges; empty = all US).
pub(crate) const LOCATIONS: &[(&str, &str, &[&str])] = &[
    ("STK.US.MAJOR", "Listed/NASDAQ", &[]),
    ("STK.NASDAQ", "NASDAQ", &["NASDAQ"]),
    ("STK.NYSE", "NYSE", &["NYSE"]),
    ("STK.ARCA", "NYSE Arca", &["ARCA"]),
];

/// Filters: (code, display name, group). Values are numbers.
pub(crate) const FILTERS: &[(&str, &str, &str)] = &[
    ("priceAbove", "Price Above", "priceAbove"),
    ("priceBelow", "Price Below", "priceBelow"),
    ("volumeAbove", "Volume Above", "volumeAbove"),
    ("changePercAbove", "Change (%) Above", "changePercAbove"),
    ("changePercBelow", "Change (%) Below", "changePercBelow"),
];

/// One ranked result.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub conid: u64,
    pub symbol: &'static str,
    pub company: &'static str,
    pub exchange: &'static str,
    pub scan_data: String,
}

/// What a scan asks for.
pub(crate) struct Scan<'a> {
    pub instrument: &'a str,
    pub location: &'a str,
    pub scan_type: &'a ScanType,
    pub filters: &'a [(String, f64)],
}

/// Why a scan cannot run.
#[derive(Debug)]
pub(crate) enum ScanError {
    Instrument(String),
    Location(String),
    ScanType(String),
    Filter(String),
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScanError::Instrument(x) => write!(f, "unknown instrument {x}"),
            ScanError::Location(x) => write!(f, "unknown location {x}"),
            ScanError::ScanType(x) => write!(f, "unknown scan type {x}"),
            ScanError::Filter(x) => write!(f, "unknown filter {x}"),
        }
    }
}

pub(crate) fn scan_type(code: &str) -> Result<&'static ScanType, ScanError> {
    SCAN_TYPES
        .iter()
        .find(|t| t.code.eq_ignore_ascii_case(code.trim()))
        .ok_or_else(|| ScanError::ScanType(code.to_string()))
}

/// `163.773K` / `12.345M` (runScanner fixtures).
fn thousands_k(v: u64) -> String {
    if v >= 1_000_000 {
        format!("{:.3}M", v as f64 / 1e6)
    } else {
        format!("{:.3}K", v as f64 / 1e3)
    }
}

/// Run a scan over the catalog's US listings; at most 50 rows, best first.
pub(crate) fn run(
    catalog: &Catalog,
    quotes: &mut Quotes,
    scan: &Scan<'_>,
) -> Result<Vec<Hit>, ScanError> {
    let kind = INSTRUMENTS
        .iter()
        .find(|i| i.0.eq_ignore_ascii_case(scan.instrument.trim()))
        .map(|i| i.2)
        .ok_or_else(|| ScanError::Instrument(scan.instrument.to_string()))?;
    let exchanges = LOCATIONS
        .iter()
        .find(|l| l.0.eq_ignore_ascii_case(scan.location.trim()))
        .map(|l| l.2)
        .ok_or_else(|| ScanError::Location(scan.location.to_string()))?;
    for (code, _) in scan.filters {
        if !FILTERS.iter().any(|f| f.0 == code) {
            return Err(ScanError::Filter(code.clone()));
        }
    }
    let candidates: Vec<(&'static Company, u64, &'static str)> = COMPANIES
        .iter()
        .filter(|c| c.kind == kind)
        .filter_map(|c| {
            let &(conid, exchange, _) = c.listings.iter().find(|l| l.2)?;
            (exchanges.is_empty() || exchanges.contains(&exchange)).then_some((c, conid, exchange))
        })
        .collect();
    let mut scored = Vec::new();
    for (company, conid, exchange) in candidates {
        let Some(contract) = catalog.get(conid) else {
            continue;
        };
        let q = quotes.get(conid, contract.ref_price).clone();
        let change = if q.prev_close > 0.0 {
            (q.last - q.prev_close) / q.prev_close * 100.0
        } else {
            0.0
        };
        let passes = scan
            .filters
            .iter()
            .all(|(code, value)| match code.as_str() {
                "priceAbove" => q.last > *value,
                "priceBelow" => q.last < *value,
                "volumeAbove" => q.volume as f64 > *value,
                "changePercAbove" => change > *value,
                "changePercBelow" => change < *value,
                _ => true,
            });
        if !passes {
            continue;
        }
        let range = if q.last > 0.0 {
            (q.high - q.low) / q.last * 100.0
        } else {
            0.0
        };
        let (score, shown) = match scan.scan_type.code {
            "TOP_PERC_GAIN" => (change, format!("{change:+.2}%")),
            "TOP_PERC_LOSE" => (-change, format!("{change:+.2}%")),
            "MOST_ACTIVE" => (q.volume as f64, thousands_k(q.volume)),
            "HOT_BY_VOLUME" => (
                q.volume as f64 / q.last.max(0.01),
                thousands_k(q.volume / 100),
            ),
            "TOP_PRICE_RANGE" => (range, format!("{range:.2}%")),
            _ => (q.last / q.high.max(0.01), format!("{:.2}", q.last)),
        };
        scored.push((
            score,
            Hit {
                conid,
                symbol: company.symbol,
                company: company.name,
                exchange,
                scan_data: shown,
            },
        ));
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.conid.cmp(&b.1.conid)));
    Ok(scored.into_iter().take(50).map(|(_, h)| h).collect())
}
