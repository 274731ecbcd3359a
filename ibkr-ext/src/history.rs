//! Historical bars, for one contract or many in parallel.
//!
//! [`Ibkr::history_many`] takes conids or [`StockQuery`]s (symbols are resolved in one
//! batch first) and yields `(item, Result<Bars>)` as each completes, so a caller can drive a
//! progress bar. At most 5 requests are in flight (IBKR's rule; configurable lower), and one
//! item's failure never ends the stream. Retries are the wire's alone: a 429 is waited out
//! within [`RetryPolicy::rate_limit_budget`](crate::RetryPolicy::rate_limit_budget) and then
//! reported for that item as [`Error::RateLimited`], and `/hmds/history`'s first-use 404 is
//! repeated once.

use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use futures::stream::{self, BoxStream, StreamExt};
use ibkr_gen::trading::types::{LegacyHmdsHistoryResponse, MarketDataHistory};
use serde::Serialize;

use crate::Ibkr;
use crate::conid::{Conid, StockQuery};
use crate::error::{Error, Result};
use crate::vocab::{BarSize, Period};

/// One bar.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Bar {
    /// The bar's start, in UTC.
    pub time: DateTime<Utc>,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
    /// Volume (IBKR's units for the instrument; may be fractional).
    pub volume: f64,
}

/// Bars for one contract, with IBKR's metadata.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Bars {
    /// The contract.
    pub conid: Option<Conid>,
    /// The symbol, as IBKR names it.
    pub symbol: Option<String>,
    /// The instrument's description (`APPLE INC`).
    pub text: Option<String>,
    /// Market data availability (`S` snapshot, `R` real time, `D` delayed, ...).
    pub md_availability: Option<String>,
    /// IBKR's price factor (prices in the bars are already divided by it).
    pub price_factor: Option<f64>,
    /// Seconds per bar.
    pub bar_length_secs: Option<i64>,
    /// The bars, oldest first.
    pub bars: Vec<Bar>,
}

/// What [`Ibkr::history_many`] fetches: a conid, or a stock query to resolve first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HistoryItem {
    /// A known contract.
    Conid(Conid),
    /// A stock to resolve.
    Query(StockQuery),
}

impl fmt::Display for HistoryItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryItem::Conid(c) => write!(f, "{c}"),
            HistoryItem::Query(q) => write!(f, "{}", q.symbol()),
        }
    }
}

impl From<Conid> for HistoryItem {
    fn from(c: Conid) -> Self {
        HistoryItem::Conid(c)
    }
}

impl From<i64> for HistoryItem {
    fn from(c: i64) -> Self {
        HistoryItem::Conid(Conid(c))
    }
}

impl From<StockQuery> for HistoryItem {
    fn from(q: StockQuery) -> Self {
        HistoryItem::Query(q)
    }
}

impl From<&str> for HistoryItem {
    fn from(symbol: &str) -> Self {
        HistoryItem::Query(StockQuery::new(symbol))
    }
}

/// Which history endpoint to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HistorySource {
    /// `/iserver/marketdata/history` (needs a brokerage session).
    #[default]
    Iserver,
    /// `/hmds/history` (the historical data service; 404 on a session's first call).
    Hmds,
}

/// Options of a history request.
#[derive(Clone, Debug)]
pub struct HistoryOptions {
    /// Most requests in flight (IBKR allows 5; more are refused with 429).
    pub max_in_flight: usize,
    /// Include bars outside regular trading hours.
    pub outside_rth: bool,
    /// The endpoint.
    pub source: HistorySource,
}

impl Default for HistoryOptions {
    fn default() -> Self {
        Self {
            max_in_flight: 5,
            outside_rth: false,
            source: HistorySource::Iserver,
        }
    }
}

/// The domain bar of one generated history point (`t` epoch milliseconds, then o/h/l/c/v).
fn bar(t: Option<i64>, [o, h, l, c, v]: [Option<f64>; 5]) -> Result<Bar> {
    let decode_error = |reason: String| Error::Decode {
        operation: "getMarketDataHistory",
        status: 200,
        reason,
        excerpt: String::new(),
    };
    let ms = t.ok_or_else(|| decode_error("a bar without a time".into()))?;
    let time = Utc
        .timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| decode_error(format!("bar time {ms} is out of range")))?;
    Ok(Bar {
        time,
        open: o.unwrap_or(f64::NAN),
        high: h.unwrap_or(f64::NAN),
        low: l.unwrap_or(f64::NAN),
        close: c.unwrap_or(f64::NAN),
        volume: v.unwrap_or(0.0),
    })
}

/// The bars of generated history points (`t`, then o/h/l/c/v), oldest first.
fn sorted_bars(points: impl Iterator<Item = (Option<i64>, [Option<f64>; 5])>) -> Result<Vec<Bar>> {
    let mut bars = points
        .map(|(t, ohlcv)| bar(t, ohlcv))
        .collect::<Result<Vec<_>>>()?;
    bars.sort_by_key(|b| b.time);
    Ok(bars)
}

/// Bars from the generated `/iserver/marketdata/history` answer.
fn iserver_bars(conid: Conid, raw: MarketDataHistory) -> Result<Bars> {
    let bars = sorted_bars(raw.data.iter().map(|b| (b.t, [b.o, b.h, b.l, b.c, b.v])))?;
    Ok(Bars {
        conid: Some(conid),
        symbol: raw.symbol,
        text: raw.text,
        md_availability: raw.md_availability,
        price_factor: raw.price_factor.map(f64::from),
        bar_length_secs: raw.bar_length,
        bars,
    })
}

/// Bars from the generated `/hmds/history` answer (no instrument metadata).
fn hmds_bars(conid: Conid, raw: LegacyHmdsHistoryResponse) -> Result<Bars> {
    let bars = sorted_bars(raw.data.iter().map(|b| (b.t, [b.o, b.h, b.l, b.c, b.v])))?;
    Ok(Bars {
        conid: Some(conid),
        bars,
        ..Bars::default()
    })
}

impl Ibkr {
    /// Bars of one contract over `period`, one per `bar`. IBKR returns at most 1000 bars.
    ///
    /// ```no_run
    /// # async fn demo(ibkr: ibkr_ext::Ibkr) -> ibkr_ext::Result<()> {
    /// use ibkr_ext::{BarSize, Conid, Period};
    /// let bars = ibkr.history(Conid(265598), Period::Years(1), BarSize::Day1).await?;
    /// # Ok(()) }
    /// ```
    pub async fn history(&self, conid: Conid, period: Period, bar: BarSize) -> Result<Bars> {
        self.history_with(conid, &period, &bar, &HistoryOptions::default())
            .await
    }

    /// [`Ibkr::history`] with options.
    pub async fn history_with(
        &self,
        conid: Conid,
        period: &Period,
        bar: &BarSize,
        options: &HistoryOptions,
    ) -> Result<Bars> {
        let raw = self.raw();
        match options.source {
            HistorySource::Iserver => {
                let id = i32::try_from(conid.0).map_err(|_| Error::InvalidRequest {
                    operation: "getMarketDataHistory",
                    reason: format!("conid {conid} is beyond the operation's int32"),
                })?;
                let call = raw
                    .get_market_data_history()
                    .conid(id)
                    .period(period.to_string())
                    .bar(bar.as_str())
                    .outside_rth(options.outside_rth);
                iserver_bars(conid, self.send(call).await?)
            }
            HistorySource::Hmds => {
                let call = raw
                    .get_hmds_history()
                    .conid(conid.0)
                    .period(period.to_string())
                    .bar(bar.as_str())
                    .outside_rth(options.outside_rth);
                hmds_bars(conid, self.send(call).await?)
            }
        }
    }

    /// Bars for many contracts or stocks, in parallel, as each completes.
    ///
    /// ```no_run
    /// # async fn demo(ibkr: ibkr_ext::Ibkr) {
    /// use futures::StreamExt;
    /// use ibkr_ext::{BarSize, Period};
    /// let mut results = ibkr.history_many(["AAPL", "MSFT", "SPY"], Period::Years(1), BarSize::Day1);
    /// while let Some((item, bars)) = results.next().await {
    ///     match bars {
    ///         Ok(b) => println!("{item}: {} bars", b.bars.len()),
    ///         Err(e) => eprintln!("{item}: {e}"),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn history_many<I>(
        &self,
        items: impl IntoIterator<Item = I>,
        period: Period,
        bar: BarSize,
    ) -> BoxStream<'static, (HistoryItem, Result<Bars>)>
    where
        I: Into<HistoryItem>,
    {
        self.history_many_with(items, period, bar, HistoryOptions::default())
    }

    /// [`Ibkr::history_many`] with options.
    pub fn history_many_with<I>(
        &self,
        items: impl IntoIterator<Item = I>,
        period: Period,
        bar: BarSize,
        options: HistoryOptions,
    ) -> BoxStream<'static, (HistoryItem, Result<Bars>)>
    where
        I: Into<HistoryItem>,
    {
        let items: Vec<HistoryItem> = items.into_iter().map(Into::into).collect();
        let ibkr = self.clone();
        let in_flight = options.max_in_flight.clamp(1, 5);
        let jobs = async move {
            // Every symbol in one /trsrv/stocks batch; if that request fails as a whole,
            // each query is resolved on its own so each item reports its own error.
            let queries: Vec<StockQuery> = items
                .iter()
                .filter_map(|i| match i {
                    HistoryItem::Query(q) => Some(q.clone()),
                    HistoryItem::Conid(_) => None,
                })
                .collect();
            let mut resolved = if queries.is_empty() {
                Vec::new()
            } else {
                ibkr.resolve_each(&queries).await.unwrap_or_default()
            };
            let mut jobs = Vec::with_capacity(items.len());
            for item in items {
                let conid = match &item {
                    HistoryItem::Conid(c) => Some(Ok(*c)),
                    HistoryItem::Query(q) => resolved
                        .iter()
                        .position(|(rq, _)| rq == q)
                        .map(|i| resolved.swap_remove(i).1),
                };
                jobs.push((item, conid));
            }
            stream::iter(jobs).map(move |(item, conid)| {
                let (ibkr, period, bar, options) =
                    (ibkr.clone(), period.clone(), bar.clone(), options.clone());
                async move {
                    let conid = match conid {
                        Some(c) => c,
                        None => match &item {
                            HistoryItem::Query(q) => ibkr.resolve_conid(q.clone()).await,
                            HistoryItem::Conid(c) => Ok(*c),
                        },
                    };
                    let result = match conid {
                        Ok(c) => ibkr.history_with(c, &period, &bar, &options).await,
                        Err(e) => Err(e),
                    };
                    (item, result)
                }
            })
        };
        stream::once(jobs)
            .flat_map(move |jobs| jobs.buffer_unordered(in_flight))
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibinds_recorded_aapl_history_is_read_with_utc_times() {
        // ibind's recorded answer (ibind-anchor §4), abridged to its bar and metadata.
        let raw: MarketDataHistory = serde_json::from_value(serde_json::json!({
            "barLength": 2678400, "data": [{"c": 189.37, "h": 192.93, "l": 170.12, "o": 171.05, "t": 1698796800000i64, "v": 6942998.04}],
            "high": "19293/6942998.04/1440", "mdAvailability": "S", "mktDataDelay": 0, "outsideRth": false, "priceFactor": 100,
            "serverId": "195436", "startTime": "20231031-00:00:00", "symbol": "AAPL", "text": "APPLE INC", "timePeriod": "1m"
        }))
        .unwrap();
        let bars = iserver_bars(Conid(265598), raw).unwrap();
        assert_eq!(bars.symbol.as_deref(), Some("AAPL"));
        assert_eq!(bars.price_factor, Some(100.0));
        assert_eq!(bars.md_availability.as_deref(), Some("S"));
        let b = bars.bars[0];
        assert_eq!(b.time.to_rfc3339(), "2023-11-01T00:00:00+00:00");
        assert_eq!(
            (b.open, b.high, b.low, b.close, b.volume),
            (171.05, 192.93, 170.12, 189.37, 6942998.04)
        );
    }

    #[test]
    fn a_missing_value_is_nan_or_zero_and_a_bar_without_time_is_a_decode_error() {
        let raw: MarketDataHistory = serde_json::from_str(
            r#"{"barLength":86400,"data":[{"t":1698883200000,"o":190,"h":191,"l":189,"c":190.5,"v":null}]}"#,
        )
        .unwrap();
        let bars = iserver_bars(Conid(265598), raw).unwrap();
        assert_eq!(bars.bar_length_secs, Some(86400));
        assert_eq!(bars.bars[0].volume, 0.0);
        let no_time: MarketDataHistory = serde_json::from_str(r#"{"data":[{"o":1}]}"#).unwrap();
        assert!(matches!(
            iserver_bars(Conid(1), no_time),
            Err(Error::Decode { .. })
        ));
    }
}
