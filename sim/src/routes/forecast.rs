//! Event contracts (ForecastEx) under `/forecast/`: the category tree, a market's contracts,
//! one contract's details, rules and trading schedule.
//!
//! Structure from IBKR's Web API reference "Trading Event Contracts" (a strike is a question
//! with a YES and a NO contract, each with its own conid; YES is modelled like a call, NO like
//! a put). Field names from the spec's `categoryTreeResponse`, `forecastMarketResponse`,
//! `forecastDetailsResponse`, `forecastRulesResponse`, `forecastSchedulesResponse`. The
//! market, its questions and every conid here are synthetic (990000300 and up): no recorded
//! ForecastEx body was available. Strikes are whole numbers because the spec types `strike`
//! as int32.

use axum::extract::Query;
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use serde_json::{Value, json};

use super::params;
use super::reply;

const EXCHANGE: &str = "FORECASTX";
const UNDERLYING: u64 = 990_000_300; // synthetic
const CATEGORY: &str = "g990000300"; // synthetic
const MARKET: &str = "US Initial Jobless Claims";
const SYMBOL: &str = "IJC";
/// Strikes (claims) of the weekly question; each has a YES and a NO conid.
const STRIKES: &[i64] = &[210_000, 220_000, 230_000, 240_000];

/// The Thursday the next claims number is released.
fn release_day() -> NaiveDate {
    let mut d = Utc::now().date_naive() + Duration::days(1);
    while d.weekday() != Weekday::Thu {
        d += Duration::days(1);
    }
    d
}

/// `(conid, side, strike)` of every contract of the market.
fn contracts() -> Vec<(u64, &'static str, i64)> {
    STRIKES
        .iter()
        .enumerate()
        .flat_map(|(i, &strike)| {
            let yes = UNDERLYING + 1 + 2 * i as u64;
            [(yes, "Y", strike), (yes + 1, "N", strike)]
        })
        .collect()
}

fn question(strike: i64) -> String {
    format!(
        "Will initial jobless claims for the week ending {} be above {}?",
        (release_day() - Duration::days(5)).format("%b %d, %Y"),
        crate::market::format::thousands(strike as u64)
    )
}

fn conid_param(q: &params::Query, name: &str) -> Result<u64, Response> {
    q.get(name)
        .ok_or_else(|| reply::missing(name))?
        .trim()
        .parse::<u64>()
        .map_err(|_| reply::bad_request(400, &format!("Bad Request: invalid {name}")))
}

/// `GET /forecast/category/tree`.
pub(crate) async fn category_tree() -> Response {
    reply::ok(&json!({
        "categories": {
            "g990000299": {"name": "Economic Indicators", "parent_id": null, "markets": []},
            CATEGORY: {
                "name": "Labor",
                "parent_id": "g990000299",
                "markets": [{"name": MARKET, "symbol": SYMBOL, "exchange": EXCHANGE, "conid": UNDERLYING}],
            },
        }
    }))
}

/// `GET /forecast/contract/market?underlyingConid=&exchange=`.
pub(crate) async fn market(Query(q): Query<params::Query>) -> Response {
    let underlying = match conid_param(&q, "underlyingConid") {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    if underlying != UNDERLYING {
        return super::contracts::unknown_conid(&underlying.to_string());
    }
    let expiration = release_day().format("%Y%m%d").to_string();
    let rows: Vec<Value> = contracts()
        .into_iter()
        .map(|(conid, side, strike)| {
            json!({
                "conid": conid,
                "side": side,
                "expiration": expiration,
                "strike": strike,
                "strike_label": format!("Above {}", crate::market::format::thousands(strike as u64)),
                "question": question(strike),
                "underlying_conid": UNDERLYING,
            })
        })
        .collect();
    reply::ok(&json!({
        "market_name": MARKET,
        "exchange": EXCHANGE,
        "symbol": SYMBOL,
        "logo_category": "labor",
        "exclude_historical_data": false,
        "payout": 1.0,
        "contracts": rows,
    }))
}

fn find(q: &params::Query) -> Result<(u64, &'static str, i64), Response> {
    let conid = conid_param(q, "conid")?;
    contracts()
        .into_iter()
        .find(|c| c.0 == conid)
        .ok_or_else(|| super::contracts::unknown_conid(&conid.to_string()))
}

/// `GET /forecast/contract/details?conid=`.
pub(crate) async fn details(Query(q): Query<params::Query>) -> Response {
    let (conid, side, strike) = match find(&q) {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let yes = if side == "Y" { conid } else { conid - 1 };
    reply::ok(&json!({
        "conid_yes": yes,
        "conid_no": yes + 1,
        "side": side,
        "exchange": EXCHANGE,
        "expiration": release_day().format("%Y%m%d").to_string(),
        "logo_category": "labor",
        "market_name": MARKET,
        "measured_period": format!("Week ending {}", (release_day() - Duration::days(5)).format("%b %d, %Y")),
        "question": question(strike),
        "strike": strike,
        "strike_label": format!("Above {}", crate::market::format::thousands(strike as u64)),
        "symbol": SYMBOL,
        // A number, as IbkrDotNet's recorded answer has it.
        "underlying_conid": UNDERLYING,
    }))
}

/// `GET /forecast/contract/rules?conid=`.
pub(crate) async fn rules(Query(q): Query<params::Query>) -> Response {
    let (_, _, strike) = match find(&q) {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let release = release_day()
        .and_hms_opt(12, 30, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or_default();
    reply::ok(&json!({
        "asset_class": "OPT",
        "market_name": MARKET,
        "product_code": SYMBOL,
        "description": question(strike),
        "measured_period": "Weekly",
        "threshold": crate::market::format::thousands(strike as u64),
        "source_agency": "U.S. Department of Labor",
        "data_and_resolution_link": "https://www.dol.gov/ui/data.pdf",
        "market_rules_link": "https://forecastex.com/rules",
        "exchange_timezone": "US/Central",
        "price_increment": "0.01",
        "payout": "1.00 USD",
        "last_trade_time": release - 60,
        "release_time": release,
        "payout_time": release + 3600,
    }))
}

/// `GET /forecast/contract/schedules?conid=`: trading round the clock on weekdays.
pub(crate) async fn schedules(Query(q): Query<params::Query>) -> Response {
    if let Err(resp) = find(&q) {
        return resp;
    }
    let days: Vec<Value> = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
        .iter()
        .map(|d| json!({"day_of_week": d, "trading_times": [{"open": "00:00", "close": "23:59"}]}))
        .collect();
    reply::ok(&json!({"timezone": "US/Central", "trading_schedules": days}))
}
