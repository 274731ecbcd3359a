//! Market scanners: what can be scanned (`/iserver/scanner/params`, which IBKR allows once
//! per 15 minutes, so it is cached), and a scan run (`/iserver/scanner/run`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ibkr_gen::trading::types;

use crate::error::{Error, Result};
use crate::{Conid, Ibkr};

/// How long scanner parameters are reused: IBKR allows one request per 15 minutes.
pub const SCANNER_PARAMS_TTL: Duration = Duration::from_secs(15 * 60);

/// What a scan can look at: scan types, instruments, locations and filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScannerParams {
    /// Scan types (`TOP_PERC_GAIN`, `MOST_ACTIVE`, ...).
    pub scan_types: Vec<ScanChoice>,
    /// Instruments (`STK`, `ETF.EQ.US`, ...).
    pub instruments: Vec<ScanChoice>,
    /// Locations (`STK.US.MAJOR`, `STK.NYSE`, ...), the tree flattened.
    pub locations: Vec<ScanChoice>,
    /// Filters (`priceAbove`, `priceBelow`, ...).
    pub filters: Vec<ScanChoice>,
}

/// One code a scan accepts, with IBKR's display name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScanChoice {
    /// The code to send.
    pub code: String,
    /// What IBKR calls it.
    pub name: String,
}

/// A scan to run.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanRequest {
    /// The instrument (`STK`).
    pub instrument: String,
    /// The scan type (`TOP_PERC_GAIN`).
    pub scan_type: String,
    /// The location (`STK.US.MAJOR`).
    pub location: String,
    /// Filters: code and value (`priceAbove`, `5`).
    pub filters: Vec<(String, f64)>,
}

impl ScanRequest {
    /// A scan of US stocks (`STK`, `STK.US.MAJOR`) of this type.
    pub fn us_stocks(scan_type: impl Into<String>) -> Self {
        ScanRequest {
            instrument: "STK".into(),
            scan_type: scan_type.into(),
            location: "STK.US.MAJOR".into(),
            filters: Vec::new(),
        }
    }

    /// Add a filter (`priceAbove`, `5.0`).
    pub fn filter(mut self, code: impl Into<String>, value: f64) -> Self {
        self.filters.push((code.into(), value));
        self
    }
}

/// One contract a scan found, in rank order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScanResult {
    /// Its rank (1 is first).
    pub rank: usize,
    /// The contract.
    pub conid: Conid,
    /// The symbol.
    pub symbol: String,
    /// The company.
    pub company: String,
    /// The listing exchange.
    pub exchange: String,
    /// The scan's value for it (`+4.35%`), when the scan has one.
    pub value: Option<String>,
}

type ParamsCache = Mutex<HashMap<String, (Instant, Arc<ScannerParams>)>>;

/// Parameters per API root, shared by every handle of the process.
fn params_cache() -> &'static ParamsCache {
    static CACHE: OnceLock<ParamsCache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn choice(code: Option<String>, name: Option<String>) -> Option<ScanChoice> {
    let code = code.filter(|c| !c.is_empty())?;
    Some(ScanChoice {
        name: name.unwrap_or_else(|| code.clone()),
        code,
    })
}

impl ScannerParams {
    fn from_raw(p: types::IserverScannerParams) -> Self {
        ScannerParams {
            scan_types: p
                .scan_type_list
                .into_iter()
                .filter_map(|s| choice(s.code, s.display_name))
                .collect(),
            instruments: p
                .instrument_list
                .into_iter()
                .filter_map(|i| choice(i.type_, i.display_name))
                .collect(),
            locations: p
                .location_tree
                .into_iter()
                .flat_map(|l| {
                    let top = choice(l.type_, l.display_name);
                    top.into_iter().chain(l.locations.into_iter().flat_map(|m| {
                        let mid = choice(m.type_, m.display_name);
                        mid.into_iter().chain(
                            m.locations
                                .into_iter()
                                .filter_map(|n| choice(n.type_, n.display_name)),
                        )
                    }))
                })
                .collect(),
            filters: p
                .filter_list
                .into_iter()
                .filter_map(|f| choice(f.code, f.display_name))
                .collect(),
        }
    }
}

impl Ibkr {
    /// What scans can look at. IBKR allows one request per 15 minutes, so the answer is
    /// kept for [`SCANNER_PARAMS_TTL`] and shared by every handle on the same API root.
    pub async fn scanner_params(&self) -> Result<Arc<ScannerParams>> {
        let key = self.base_url().to_string();
        if let Some(p) = cached_params(&key) {
            return Ok(p);
        }
        let raw = self.api().get_scanner_params().await?;
        let params = Arc::new(ScannerParams::from_raw(raw));
        if let Ok(mut cache) = params_cache().lock() {
            cache.insert(key, (Instant::now(), params.clone()));
        }
        Ok(params)
    }

    /// Run a scan. A scan that finds nothing is [`Error::NotFound`], so "no results" is
    /// never mistaken for an empty market.
    ///
    /// ```no_run
    /// # async fn demo(ibkr: ibkr_ext::Ibkr) -> ibkr_ext::Result<()> {
    /// use ibkr_ext::scanner::ScanRequest;
    /// for r in ibkr.scan(&ScanRequest::us_stocks("TOP_PERC_GAIN").filter("priceAbove", 5.0)).await? {
    ///     println!("{} {} {:?}", r.rank, r.symbol, r.value);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn scan(&self, request: &ScanRequest) -> Result<Vec<ScanResult>> {
        for (what, v) in [
            ("instrument", &request.instrument),
            ("scan type", &request.scan_type),
            ("location", &request.location),
        ] {
            if v.trim().is_empty() {
                return Err(Error::InvalidRequest {
                    operation: "runScanner",
                    reason: format!("a scan needs a {what} (see `scanner params`)"),
                });
            }
        }
        let body = types::IserverScannerRunRequest {
            instrument: Some(request.instrument.trim().to_string()),
            type_: Some(request.scan_type.trim().to_string()),
            location: Some(request.location.trim().to_string()),
            filter: request
                .filters
                .iter()
                .map(|(code, value)| types::IserverScannerRunRequestFilterItem {
                    code: Some(code.clone()),
                    value: Some(types::IserverScannerRunRequestFilterItemValue::Number(
                        *value,
                    )),
                })
                .collect(),
        };
        let r = self.api().run_scanner().body(body).await?;
        let results: Vec<ScanResult> = r
            .contracts
            .into_iter()
            .filter_map(|c| {
                Some((
                    Conid(i64::from(c.con_id?)),
                    c.symbol.unwrap_or_default(),
                    c.company_name.unwrap_or_default(),
                    c.listing_exchange.unwrap_or_default(),
                    c.scan_data,
                ))
            })
            .enumerate()
            .map(
                |(i, (conid, symbol, company, exchange, value))| ScanResult {
                    rank: i + 1,
                    conid,
                    symbol,
                    company,
                    exchange,
                    value,
                },
            )
            .collect();
        if results.is_empty() {
            return Err(Error::NotFound {
                operation: "runScanner",
                what: format!(
                    "the scan {} of {} in {} found no contracts; loosen the filters or try another location",
                    request.scan_type, request.instrument, request.location
                ),
            });
        }
        Ok(results)
    }
}

fn cached_params(key: &str) -> Option<Arc<ScannerParams>> {
    let cache = params_cache().lock().ok()?;
    let (at, p) = cache.get(key)?;
    (at.elapsed() < SCANNER_PARAMS_TTL).then(|| p.clone())
}
