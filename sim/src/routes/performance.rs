//! Portfolio analyst: performance (`/pa/performance`), all periods (`/pa/allperiods`), the
//! summary (`/pa/summary`) and transactions (`/pa/transactions`).
//!
//! Shapes: cpapi-v1 "Account Performance", "All Periods", "Transaction History"; field names
//! of the spec's `performanceResponse`, `detailedContractInformation`, `transactionsResponse`.
//! The NAV path is the simulator's own: a deterministic series ending at today's net
//! liquidation value; transactions are the simulator's executions.

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use serde_json::{Map, Value, json};

use super::params::{int_field, object_body};
use super::reply;
use crate::clock::{eastern, now_ms, utc};
use crate::trading::book::Side;
use crate::world::World;
use crate::world::WorldHandle;

/// The periods `/pa/performance` accepts and `/pa/allperiods` answers (cpapi-v1).
const PERIODS: &[&str] = &["1D", "7D", "MTD", "1M", "3M", "6M", "12M", "YTD"];

/// Weekdays from the start of `period` to today.
fn dates_of(period: &str) -> Option<Vec<NaiveDate>> {
    let today = Utc::now().date_naive();
    let start = match period {
        "1D" => today - Duration::days(1),
        "7D" => today - Duration::days(7),
        "MTD" => today.with_day(1)?,
        "1M" => today - Duration::days(30),
        "3M" => today - Duration::days(91),
        "6M" => today - Duration::days(182),
        "12M" | "1Y" => today - Duration::days(365),
        "YTD" => NaiveDate::from_ymd_opt(today.year(), 1, 1)?,
        _ => return None,
    };
    let mut out = Vec::new();
    let mut d = start;
    while d <= today {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            out.push(d);
        }
        d += Duration::days(1);
    }
    if out.is_empty() {
        out.push(today);
    }
    Some(out)
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// A NAV for each date, ending at `nlv`: a gentle deterministic drift with a ripple.
fn navs(nlv: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let back = (n - 1 - i) as f64;
            let ripple = if i + 1 == n {
                0.0
            } else {
                (i as f64 * 0.9).sin() * 0.002
            };
            ((nlv * (1.0 - 0.0004 * back + ripple)) * 100.0).round() / 100.0
        })
        .collect()
}

fn cumulative(navs: &[f64]) -> Vec<f64> {
    let first = navs.first().copied().unwrap_or(1.0).max(1e-9);
    navs.iter()
        .map(|v| ((v / first - 1.0) * 1e6).round() / 1e6)
        .collect()
}

fn accounts_of(world: &World, v: &Value) -> Result<Vec<String>, Response> {
    let ids: Vec<String> = v
        .get("acctIds")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(reply::missing("acctIds"));
    }
    if let Some(bad) = ids.iter().find(|a| !world.has_account(a)) {
        return Err(reply::unknown_account(bad));
    }
    Ok(ids)
}

/// `POST /pa/performance {"acctIds":[..],"period":"1M"}`.
pub(crate) async fn performance(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let period = v.get("period").and_then(Value::as_str).unwrap_or("12M");
    let Some(dates) = dates_of(period) else {
        return reply::bad_request(400, &format!("Bad Request: unknown period {period}"));
    };
    let mut world = world.lock();
    let accounts = match accounts_of(&world, &v) {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    let day_strings: Vec<String> = dates.iter().map(|d| ymd(*d)).collect();
    let start = day_strings.first().cloned().unwrap_or_default();
    let end = day_strings.last().cloned().unwrap_or_default();
    let mut nav_data = Vec::new();
    let mut cps_data = Vec::new();
    let mut months: Vec<String> = dates.iter().map(|d| d.format("%Y%m").to_string()).collect();
    months.dedup();
    let mut tpps_data = Vec::new();
    for account in &accounts {
        let nlv = world.valuation(account).net_liquidation;
        let series = navs(nlv, dates.len());
        let before = dates
            .first()
            .map(|d| *d - Duration::days(1))
            .unwrap_or_default();
        nav_data.push(json!({
            "idType": "acctid", "navs": series, "start": start, "end": end, "id": account,
            "startNAV": {"date": ymd(before), "val": series.first().copied().unwrap_or(nlv).round() as i64},
            "baseCurrency": "USD",
        }));
        cps_data.push(json!({
            "idType": "acctid", "start": start, "end": end, "returns": cumulative(&series),
            "id": account, "baseCurrency": "USD",
        }));
        let monthly: Vec<f64> = months
            .iter()
            .map(|m| {
                let in_month: Vec<f64> = dates
                    .iter()
                    .zip(&series)
                    .filter(|(d, _)| d.format("%Y%m").to_string() == *m)
                    .map(|(_, v)| *v)
                    .collect();
                match (in_month.first(), in_month.last()) {
                    (Some(a), Some(b)) if *a > 0.0 => ((b / a - 1.0) * 1e6).round() / 1e6,
                    _ => 0.0,
                }
            })
            .collect();
        tpps_data.push(json!({
            "idType": "acctid", "start": start, "end": end, "returns": monthly,
            "id": account, "baseCurrency": "USD",
        }));
    }
    reply::ok(&json!({
        "currencyType": "base",
        "rc": 0,
        "nav": {"data": nav_data, "freq": "D", "dates": day_strings},
        "nd": dates.len(),
        "cps": {"data": cps_data, "freq": "D", "dates": day_strings},
        "tpps": {"data": tpps_data, "freq": "M", "dates": months},
        "id": "getPerformanceData",
        "included": accounts,
        "pm": "TWR",
    }))
}

/// `POST /pa/allperiods {"acctIds":[..]}`: every period's NAV and cumulative returns per account.
pub(crate) async fn all_periods(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let mut world = world.lock();
    let accounts = match accounts_of(&world, &v) {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    let (local, _) = eastern(utc(now_ms()));
    let mut out = Map::new();
    out.insert("currencyType".into(), json!("base"));
    out.insert("rc".into(), json!(0));
    out.insert("view".into(), json!(accounts));
    out.insert("id".into(), json!("getPerformanceAllPeriods"));
    out.insert("included".into(), json!(accounts));
    out.insert("pm".into(), json!("TWR"));
    let mut longest = 0;
    for account in &accounts {
        let nlv = world.valuation(account).net_liquidation;
        let mut entry = Map::new();
        let year = dates_of("12M").unwrap_or_default();
        longest = longest.max(year.len());
        entry.insert(
            "lastSuccessfulUpdate".into(),
            json!(local.format("%Y-%m-%d %H:%M:%S").to_string()),
        );
        entry.insert("start".into(), json!(year.first().map(|d| ymd(*d))));
        entry.insert("end".into(), json!(year.last().map(|d| ymd(*d))));
        entry.insert("baseCurrency".into(), json!("USD"));
        entry.insert("periods".into(), json!(PERIODS));
        for period in PERIODS {
            let dates = dates_of(period).unwrap_or_default();
            let series = navs(nlv, dates.len());
            let before = dates
                .first()
                .map(|d| *d - Duration::days(1))
                .unwrap_or_default();
            entry.insert(
                (*period).to_string(),
                json!({
                    "nav": series,
                    "cps": cumulative(&series),
                    "freq": "D",
                    "dates": dates.iter().map(|d| ymd(*d)).collect::<Vec<_>>(),
                    "startNav": {"date": ymd(before), "val": series.first().copied().unwrap_or(nlv).round() as i64},
                }),
            );
        }
        out.insert(account.clone(), Value::Object(entry));
    }
    out.insert("nd".into(), json!(longest));
    reply::ok(&Value::Object(out))
}

/// `POST /pa/summary {"acctIds":[..]}`: the accounts' net liquidation value.
pub(crate) async fn summary(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let mut world = world.lock();
    let accounts = match accounts_of(&world, &v) {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    let total: f64 = accounts
        .iter()
        .map(|a| world.valuation(a).net_liquidation)
        .sum();
    let total = (total * 100.0).round() / 100.0;
    reply::ok(&json!({
        "amount": total,
        "currency": "USD",
        "isNull": false,
        "timestamp": now_ms(),
        "value": crate::market::format::money(total),
    }))
}

/// `POST /pa/transactions {"acctIds","conids","currency","days"}`: the executions in those
/// contracts over the last `days` days (default 90). The spec types `from`, `to`, `amt` and
/// `pr` as int32 while IBKR sends epoch milliseconds and decimals, so those are left out
/// (`qty` is whole for the simulator's fills, `fxRate` 1 for USD).
pub(crate) async fn transactions(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let world = world.lock();
    let accounts = match accounts_of(&world, &v) {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    let conids: Vec<u64> = v
        .get("conids")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_u64().or_else(|| c.as_str()?.parse().ok()))
                .collect()
        })
        .unwrap_or_default();
    if conids.is_empty() {
        return reply::missing("conids");
    }
    let days = int_field(&v, "days").unwrap_or(90).clamp(1, 3650);
    let currency = v.get("currency").and_then(Value::as_str).unwrap_or("USD");
    let since = now_ms() - days * 86_400_000;
    let rows: Vec<Value> = world
        .trading.executions
        .iter()
        .filter(|e| accounts.contains(&e.account) && conids.contains(&e.conid) && e.time_ms >= since)
        .map(|e| {
            let (local, zone) = eastern(utc(e.time_ms));
            let name = world.catalog.get(e.conid).map(|c| c.company_name.clone()).unwrap_or_default();
            json!({
                "date": format!("{} 00:00:00 {zone} {}", local.format("%a %b %d"), local.format("%Y")),
                "cur": currency,
                "fxRate": 1,
                "qty": (e.size * e.side.sign()).round() as i64,
                "acctid": e.account,
                "conid": e.conid,
                "type": if e.side == Side::Buy { "Buy" } else { "Sell" },
                "desc": name,
            })
        })
        .collect();
    reply::ok(&json!({
        "id": "getTransactions",
        "currency": currency,
        "includesRealTime": true,
        "nd": days,
        "rc": 0,
        "transactions": rows,
        "rpnl": {"data": [], "amt": "0"},
    }))
}
