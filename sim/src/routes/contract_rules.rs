//! Contract rules and reference data: `/iserver/contract/rules`, `.../info-and-rules`,
//! `.../algos`, trading schedules, all conids of an exchange, currency pairs, exchange rates
//! and bond filters.
//!
//! Shapes: cpapi-v1 "Contract Rules", "Info and Rules", "IB Algo Parameters", "Trading
//! Schedule", "All Conids by Exchange", "Currency Pairs", "Currency Exchange Rate", "Bond
//! Filters"; field names as the spec's `contractRules`, `algosResponse`, `tradingSchedule`,
//! `scheduleResponse`, `currencyPairs`, `bondFiltersResponse`.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use bytes::Bytes;
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use serde_json::{Value, json};

use super::contracts::{info_json, unknown_conid};
use super::params::{self, int_field, object_body};
use super::reply;
use crate::market::catalog::{COMPANIES, Contract, SecType};
use crate::world::World;
use crate::world::WorldHandle;

/// The order types a US stock accepts (cpapi-v1 "Contract Rules" example).
const STOCK_ORDER_TYPES: &[&str] = &[
    "limit",
    "midprice",
    "market",
    "stop",
    "stop_limit",
    "mit",
    "lit",
    "trailing_stop",
    "trailing_stop_limit",
    "relative",
    "marketonclose",
    "limitonclose",
];
const FUTURE_ORDER_TYPES: &[&str] = &[
    "limit",
    "market",
    "stop",
    "stop_limit",
    "mit",
    "lit",
    "trailing_stop",
    "trailing_stop_limit",
];

/// The rules object. The spec types `increment`, `incrementRules`, `limitPrice` and
/// `stopPrice` as int32 while IBKR sends decimals (0.01, 197.93), so those are left out and
/// the default limit price travels in `orderDefaults.LMT.LP` (a string, as IBKR sends it).
fn rules_json(world: &mut World, c: &Contract, is_buy: bool) -> Value {
    let last = world.last_price(c);
    let stock = c.sec_type == SecType::Stock;
    let types: &[&str] = if stock {
        STOCK_ORDER_TYPES
    } else {
        FUTURE_ORDER_TYPES
    };
    let fractional: Vec<&str> = if stock && c.is_us {
        types.iter().copied().take(8).collect()
    } else {
        Vec::new()
    };
    let tif_types: Vec<&str> = if stock {
        vec![
            "IOC/MARKET,LIMIT,RELATIVE,MARKETONCLOSE,MIDPRICE,LIMITONCLOSE,MKT_PROTECT,STPPRT,a",
            "GTC/o,a",
            "OPG/LIMIT,MARKET,a",
            "GTD/o,a",
            "DAY/o,a",
        ]
    } else {
        vec!["IOC/o,a", "GTC/o,a", "GTD/o,a", "DAY/o,a"]
    };
    let default_size = if stock { 100 } else { 1 };
    json!({
        "algoEligible": stock,
        "overnightEligible": stock && c.is_us,
        "costReport": false,
        "canTradeAcctIds": world.settings.accounts,
        "error": null,
        "orderTypes": types,
        "ibAlgoTypes": if stock { vec!["limit", "stop_limit", "lit", "trailing_stop_limit", "relative", "marketonclose", "limitonclose"] } else { Vec::new() },
        "fraqTypes": fractional,
        "forceOrderPreview": false,
        "cqtTypes": fractional,
        "orderDefaults": {"LMT": {"LP": format!("{last:.2}")}},
        "orderTypesOutside": if stock { vec!["limit", "stop_limit", "lit", "trailing_stop_limit", "relative"] } else { Vec::new() },
        "defaultSize": default_size,
        "cashSize": 0,
        "sizeIncrement": 1,
        "tifTypes": tif_types,
        "tifDefaults": {
            "TIF": "DAY",
            "SIZE": format!("{default_size}.00"),
            "DEFAULT_ACCT": world.selected_account,
            "PMALGO": stock,
        },
        "orderOrigination": null,
        "preview": true,
        "displaySize": null,
        "fraqInt": if stock { 4 } else { 0 },
        "cashCcy": c.currency,
        "cashQtyIncr": 500,
        "priceMagnifier": null,
        "negativeCapable": false,
        "incrementType": 1,
        "hasSecondary": is_buy,
        "modTypes": [],
        "incrementDigits": 2,
        "allOrNoneEligible": stock,
    })
}

fn contract_of(world: &World, conid: &str) -> Option<Contract> {
    conid
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|id| world.contract(id))
}

/// `POST /iserver/contract/rules {"conid","isBuy","modifyOrder","orderId"}`.
pub(crate) async fn rules(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(conid) = int_field(&v, "conid") else {
        return reply::missing("conid");
    };
    let is_buy = v.get("isBuy").and_then(Value::as_bool).unwrap_or(true);
    let mut world = world.lock();
    let Some(c) = contract_of(&world, &conid.to_string()) else {
        return unknown_conid(&conid.to_string());
    };
    reply::ok(&rules_json(&mut world, &c, is_buy))
}

/// `GET /iserver/contract/{conid}/info-and-rules?isBuy=`: the info object plus `rules`.
pub(crate) async fn info_and_rules(
    State(world): State<WorldHandle>,
    Path(conid): Path<String>,
    Query(q): Query<params::Query>,
) -> Response {
    let mut world = world.lock();
    let Some(c) = contract_of(&world, &conid) else {
        return unknown_conid(&conid);
    };
    let is_buy = params::flag(&q, "isBuy").unwrap_or(true);
    let mut body = info_json(&c);
    let rules = rules_json(&mut world, &c, is_buy);
    if let Some(map) = body.as_object_mut() {
        map.insert("rules".into(), rules);
    }
    reply::ok(&body)
}

/// IB algos: (id, name, description, parameters) as cpapi-v1 "IB Algo Parameters" lists them.
const ALGOS: &[(&str, &str, &str)] = &[
    (
        "Adaptive",
        "Adaptive",
        "Combines IB's Smart routing with user-defined priority settings.",
    ),
    (
        "AD",
        "Accumulate/Distribute",
        "Slices large orders into smaller randomly-sized increments.",
    ),
    (
        "ArrivalPx",
        "Arrival Price",
        "Achieves the bid/ask spread midpoint price at the time of arrival.",
    ),
    (
        "ClosePx",
        "Close Price",
        "Minimizes slippage relative to the closing auction price.",
    ),
    (
        "DarkIce",
        "Dark Ice",
        "Displays a small portion of the order, hiding the rest.",
    ),
    (
        "PctVol",
        "% of Volume",
        "Participates in volume at a user-defined rate.",
    ),
    ("Twap", "TWAP", "Achieves the time-weighted average price."),
    (
        "Vwap",
        "VWAP",
        "Achieves the volume-weighted average price.",
    ),
];

fn algo_params(id: &str) -> Value {
    match id {
        "Adaptive" => json!([{
            "id": "adaptivePriority", "name": "Adaptive order priority/urgency",
            "valueClassName": "String", "minValue": null, "maxValue": null,
            "defaultValue": "Normal", "legalStrings": ["Urgent", "Normal", "Patient"],
            "required": true, "enabledConditions": [], "guiRank": 1,
        }]),
        "Vwap" | "Twap" => json!([
            {"id": "startTime", "name": "Start Time", "valueClassName": "Time", "required": false, "guiRank": 1},
            {"id": "endTime", "name": "End Time", "valueClassName": "Time", "required": false, "guiRank": 2},
            {"id": "allowPastEndTime", "name": "Allow trading past end time", "valueClassName": "Boolean", "defaultValue": false, "required": false, "guiRank": 3},
        ]),
        "PctVol" => json!([{
            "id": "pctVol", "name": "Target Percentage", "valueClassName": "Double",
            "minValue": 0.01, "maxValue": 0.5, "defaultValue": 0.1, "required": true, "guiRank": 1,
        }]),
        _ => json!([
            {"id": "startTime", "name": "Start Time", "valueClassName": "Time", "required": false, "guiRank": 1},
            {"id": "endTime", "name": "End Time", "valueClassName": "Time", "required": false, "guiRank": 2},
        ]),
    }
}

/// `GET /iserver/contract/{conid}/algos?algos=Adaptive;Vwap&addDescription=1&addParams=1`:
/// stocks have IB's algos, other instruments none.
pub(crate) async fn algos(
    State(world): State<WorldHandle>,
    Path(conid): Path<String>,
    Query(q): Query<params::Query>,
) -> Response {
    let world = world.lock();
    let Some(c) = contract_of(&world, &conid) else {
        return unknown_conid(&conid);
    };
    let wanted: Vec<String> = q
        .get("algos")
        .map(|a| {
            a.split([';', ','])
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let describe = q.get("addDescription").is_some_and(|v| v.trim() == "1");
    let with_params = q.get("addParams").is_some_and(|v| v.trim() == "1");
    let rows: Vec<Value> = if c.sec_type == SecType::Stock {
        ALGOS
            .iter()
            .filter(|(id, _, _)| wanted.is_empty() || wanted.contains(&id.to_ascii_lowercase()))
            .map(|&(id, name, description)| {
                let mut row = json!({"name": name, "id": id});
                if let Some(map) = row.as_object_mut() {
                    if describe {
                        map.insert("description".into(), json!(description));
                    }
                    if with_params {
                        map.insert("parameters".into(), algo_params(id));
                    }
                }
                row
            })
            .collect()
    } else {
        Vec::new()
    };
    reply::ok(&json!({ "algos": rows }))
}

/// The exchange a listing trades on as IBKR names its venue in schedules.
fn venue_of(exchange: &str) -> (&'static str, &'static str, &'static str) {
    match exchange {
        "NASDAQ" | "ISLAND" => ("ISLAND", "NASDAQ", "America/New_York"),
        "NYSE" => ("NYSE", "New York Stock Exchange", "America/New_York"),
        "ARCA" => ("ARCA", "NYSE Arca", "America/New_York"),
        "CME" => ("CME", "Chicago Mercantile Exchange", "America/Chicago"),
        _ => ("SMART", "SMART", "America/New_York"),
    }
}

/// Weekdays from today on, with their US equity session in exchange time (`HHMM`): regular
/// 09:30-16:00, extended 04:00-20:00 (futures: 17:00 previous day to 16:00 Chicago time).
fn next_sessions(days: i64) -> Vec<NaiveDate> {
    let today = Utc::now().date_naive();
    (0..days)
        .map(|i| today + Duration::days(i))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect()
}

/// `GET /trsrv/secdef/schedule?assetClass=STK&symbol=AAPL&exchange=NASDAQ` (or
/// `exchangeFilter=ISLAND`): the symbol's venues with a week of sessions, in the shape of
/// IBKR's documented example (no recorded answer exists in `tests/fixtures/responses`).
pub(crate) async fn schedule_by_symbol(Query(q): Query<params::Query>) -> Response {
    let Some(asset_class) = q.get("assetClass").map(|a| a.trim().to_ascii_uppercase()) else {
        return reply::missing("assetClass");
    };
    let Some(symbol) = q.get("symbol").map(|s| s.trim().to_ascii_uppercase()) else {
        return reply::missing("symbol");
    };
    let exchanges: Vec<&str> = match asset_class.as_str() {
        "STK" | "OPT" => COMPANIES
            .iter()
            .filter(|c| c.symbol == symbol)
            .flat_map(|c| c.listings.iter().filter(|l| l.2).map(|l| l.1))
            .collect(),
        "FUT" => crate::market::catalog::FUTURES
            .iter()
            .filter(|f| f.symbol == symbol)
            .map(|f| f.exchange)
            .collect(),
        _ => Vec::new(),
    };
    if exchanges.is_empty() {
        return reply::bad_request(400, &format!("Bad Request: no schedule for {symbol}"));
    }
    // `exchange` is the native (listing) exchange, `NASDAQ`; `exchangeFilter` the trading
    // venue, IBKR's `ISLAND` for it. Each may be given in either spelling; both must match.
    let filters: Vec<String> = ["exchange", "exchangeFilter"]
        .iter()
        .filter_map(|k| q.get(*k))
        .map(|e| e.trim().to_ascii_uppercase())
        .filter(|e| !e.is_empty())
        .collect();
    let futures = asset_class == "FUT";
    let rows: Vec<Value> = exchanges
        .iter()
        .filter(|listing| {
            let venue = venue_of(listing).0;
            filters.iter().all(|f| f == *listing || f == venue)
        })
        .map(|e| venue_of(e))
        .enumerate()
        .map(|(i, (venue, description, tz))| {
            let schedules: Vec<Value> = next_sessions(7)
                .into_iter()
                .map(|d| {
                    let (liquid, extended) = if futures {
                        (("0830", "1500"), ("1700", "1600"))
                    } else {
                        (("0930", "1600"), ("0400", "2000"))
                    };
                    json!({
                        "clearingCycleEndTime": extended.1.to_string() + "00",
                        "tradingScheduleDate": d.format("%Y%m%d").to_string(),
                        "sessions": [{"openingTime": liquid.0, "closingTime": liquid.1, "prop": "LIQUID"}],
                        "tradingtimes": [{"openingTime": extended.0, "closingTime": extended.1, "cancelDayOrders": "Y"}],
                    })
                })
                .collect();
            json!({
                "id": format!("p10208{i}"),
                "tradeVenueId": format!("v1303{}", 8 + i),
                "exchange": venue,
                "description": description,
                "timezone": tz,
                "schedules": schedules,
            })
        })
        .collect();
    reply::ok(&Value::Array(rows))
}

/// `GET /contract/trading-schedule?conid=&exchange=`: liquid and extended hours per day as
/// epoch seconds, keyed by `yyyymmdd`.
pub(crate) async fn trading_schedule(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let Some(conid) = q.get("conid") else {
        return reply::missing("conid");
    };
    let world = world.lock();
    let Some(c) = contract_of(&world, conid) else {
        return unknown_conid(conid);
    };
    let (_, _, tz) = venue_of(&c.exchange);
    let mut schedules = serde_json::Map::new();
    for d in next_sessions(7) {
        let at = |hhmm: u32| {
            let (dt, _) = crate::clock::eastern(Utc::now());
            let offset = (Utc::now().naive_utc() - dt).num_seconds();
            d.and_hms_opt(hhmm / 100, hhmm % 100, 0)
                .map(|t| t.and_utc().timestamp() + offset)
                .unwrap_or_default()
        };
        schedules.insert(
            d.format("%Y%m%d").to_string(),
            json!({
                "liquid_hours": [{"opening": at(930), "closing": at(1600)}],
                "extended_hours": [{"opening": at(400), "closing": at(2000)}],
            }),
        );
    }
    reply::ok(&json!({"exchange_time_zone": tz, "schedules": schedules}))
}

/// `GET /trsrv/all-conids?exchange=NASDAQ&assetClass=STK`.
pub(crate) async fn all_conids(Query(q): Query<params::Query>) -> Response {
    let Some(exchange) = q.get("exchange").map(|e| e.trim().to_ascii_uppercase()) else {
        return reply::missing("exchange");
    };
    let asset_class = q
        .get("assetClass")
        .map(|a| a.trim().to_ascii_uppercase())
        .unwrap_or_else(|| "STK".to_string());
    let mut rows = Vec::new();
    if asset_class == "STK" {
        for c in COMPANIES {
            for &(conid, listing, _) in c.listings {
                let same = listing == exchange || (exchange == "ISLAND" && listing == "NASDAQ");
                if same {
                    rows.push(json!({"ticker": c.symbol, "conid": conid, "exchange": listing}));
                }
            }
        }
    } else if asset_class == "FUT" {
        let today = {
            let d = Utc::now().date_naive();
            (d.year() as u32) * 10_000 + d.month() * 100 + d.day()
        };
        for f in crate::market::catalog::FUTURES
            .iter()
            .filter(|f| f.exchange == exchange)
        {
            for &(conid, expiry, _) in f.months.iter().filter(|m| m.1 >= today) {
                let _ = expiry;
                rows.push(json!({"ticker": f.symbol, "conid": conid, "exchange": f.exchange}));
            }
        }
    }
    reply::ok(&Value::Array(rows))
}

/// FX pairs: (symbol, conid) with the IDEALPRO conids in common use in public TWS API code.
const FX_PAIRS: &[(&str, u64)] = &[
    ("EUR.USD", 12087792),
    ("GBP.USD", 12087797),
    ("AUD.USD", 14433401),
    ("USD.CHF", 12087820),
    ("USD.JPY", 15016059),
    ("USD.CAD", 15016062),
    ("USD.CNH", 113342317),
    ("USD.SGD", 37928772),
];

/// Units of each currency per US dollar (the rough factors the catalog prices listings with).
pub(crate) fn per_usd(currency: &str) -> Option<f64> {
    Some(match currency {
        "USD" => 1.0,
        "EUR" => 0.92,
        "GBP" => 0.8,
        "CHF" => 0.9,
        "CAD" => 1.35,
        "MXN" => 17.0,
        "SEK" => 10.5,
        "PLN" => 4.0,
        "AUD" => 1.5,
        "JPY" => 150.0,
        "CNH" => 7.2,
        "SGD" => 1.34,
        _ => return None,
    })
}

/// `GET /iserver/currency/pairs?currency=USD`: the pairs quoting that currency. The spec types
/// `ccyPair` as an integer while IBKR sends the other currency's code, so it is left out.
pub(crate) async fn currency_pairs(Query(q): Query<params::Query>) -> Response {
    let Some(currency) = q.get("currency").map(|c| c.trim().to_ascii_uppercase()) else {
        return reply::missing("currency");
    };
    if per_usd(&currency).is_none() {
        return reply::bad_request(400, &format!("Bad Request: unknown currency {currency}"));
    }
    let rows: Vec<Value> = FX_PAIRS
        .iter()
        .filter(|(symbol, _)| symbol.split('.').any(|c| c == currency))
        .map(|&(symbol, conid)| json!({"symbol": symbol, "conid": conid}))
        .collect();
    let mut out = serde_json::Map::new();
    out.insert(currency, Value::Array(rows));
    reply::ok(&Value::Object(out))
}

/// `GET /iserver/exchangerate?source=USD&target=EUR` → `{"rate":0.92}`.
pub(crate) async fn exchange_rate(Query(q): Query<params::Query>) -> Response {
    let Some(source) = q.get("source").map(|c| c.trim().to_ascii_uppercase()) else {
        return reply::missing("source");
    };
    let Some(target) = q.get("target").map(|c| c.trim().to_ascii_uppercase()) else {
        return reply::missing("target");
    };
    match (per_usd(&source), per_usd(&target)) {
        (Some(s), Some(t)) => {
            let rate = t / s;
            reply::ok(&json!({"rate": (rate * 1e6).round() / 1e6}))
        }
        _ => reply::bad_request(400, "Bad Request: unknown currency"),
    }
}

/// `GET /iserver/secdef/bond-filters?symbol=IBKR&issuerId=e1400715`: the filters of an
/// issuer's bonds (our rule: issuer id `e` + the company's primary conid, synthetic).
pub(crate) async fn bond_filters(Query(q): Query<params::Query>) -> Response {
    let Some(symbol) = q.get("symbol").map(|s| s.trim().to_ascii_uppercase()) else {
        return reply::missing("symbol");
    };
    let Some(issuer) = q.get("issuerId").map(|s| s.trim().to_string()) else {
        return reply::missing("issuerId");
    };
    let Some(company) = COMPANIES.iter().find(|c| {
        c.symbol == symbol
            || issuer.strip_prefix('e') == c.listings.first().map(|l| l.0.to_string()).as_deref()
    }) else {
        return reply::bad_request(400, &format!("Bad Request: no bonds for issuer {issuer}"));
    };
    let year = Utc::now().year();
    let maturities: Vec<Value> = [2, 5, 10]
        .iter()
        .map(|n| json!({"text": format!("Feb {}", year + n), "value": format!("{}02", year + n)}))
        .collect();
    let _ = company;
    reply::ok(&json!({
        "bondFilters": [
            {"displayText": "Exchange", "columnId": 0, "options": [{"value": "SMART"}]},
            {"displayText": "Maturity Date", "columnId": 27, "options": maturities},
            {"displayText": "Issue Date", "columnId": 9, "options": [{"text": format!("Feb 10 {}", year - 3), "value": format!("{}0210", year - 3)}]},
            {"displayText": "Coupon", "columnId": 25, "options": [{"value": "3.25"}, {"value": "4.1"}, {"value": "4.65"}]},
            {"displayText": "Currency", "columnId": 5, "options": [{"value": "USD"}]},
        ]
    }))
}
