//! Market data: snapshot (with the pre-flight rule), history, hmds history, unsubscribe.

use std::collections::BTreeSet;

use axum::extract::{Query, State};
use axum::response::Response;
use bytes::Bytes;
use chrono::{NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::params::{self, json_body, text_field};
use super::reply;
use crate::clock::{now_ms, utc};
use crate::market::catalog::Contract;
use crate::market::history::{self, Bar, HistoryAsk, Span};
use crate::market::quotes::field_value;
use crate::market::walk::opening_price;
use crate::world::World;
use crate::world::WorldHandle;

/// `GET /iserver/marketdata/snapshot?conids=..&fields=..`.
///
/// Pre-flight (cpapi-v1; `client-portal-api.md` §2): the first request for a conid in a
/// brokerage session answers only `{"conid","conidEx"}`; later ones return every field
/// requested so far, even without `fields`. Each data answer moves the price one step.
pub(crate) async fn snapshot(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let conids: Vec<u64> = params::list(&q, "conids")
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect();
    if conids.is_empty() {
        return reply::bad_request(400, "Bad Request: conids is required");
    }
    let fields = params::list(&q, "fields");
    let mut world = world.lock();
    let mut rows = Vec::with_capacity(conids.len());
    let mut moved = Vec::new();
    for (n, conid) in conids.iter().copied().enumerate() {
        world.md.ever_requested.insert(conid);
        let contract = world.contract(conid);
        let first = !world.md.snapshot_fields.contains_key(&conid);
        let subscribed = world.md.snapshot_fields.entry(conid).or_default();
        subscribed.extend(fields.iter().cloned());
        let wanted: BTreeSet<String> = subscribed.clone();
        let mut row = Map::new();
        row.insert("conid".into(), json!(conid));
        row.insert("conidEx".into(), json!(conid.to_string()));
        let Some(contract) = contract.filter(|_| !first) else {
            rows.push(Value::Object(row));
            continue;
        };
        let server_id = format!("q{n}");
        let quote = world.quotes.tick(conid, contract.ref_price).clone();
        moved.push(conid);
        for f in &wanted {
            if let Some(v) = field_value(f, &contract, &quote) {
                row.insert(f.clone(), json!(v));
            }
        }
        row.insert("6119".into(), json!(server_id));
        row.insert("_updated".into(), json!(now_ms()));
        row.insert("server_id".into(), json!(server_id));
        rows.push(Value::Object(row));
    }
    for conid in moved {
        world.match_resting(conid);
    }
    reply::ok(&Value::Array(rows))
}

/// `POST /iserver/marketdata/unsubscribe {"conid":..}` (POST_iserver_marketdata_unsubscribe.json);
/// a conid without a subscription answers 404 (ibind ignores that 404; ibind-anchor §1 #42).
pub(crate) async fn unsubscribe(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = json_body(&body);
    let Some(conid) = text_field(&v, "conid").and_then(|c| c.parse::<u64>().ok()) else {
        return reply::bad_request(400, "Bad Request: conid is required");
    };
    let mut world = world.lock();
    if world.md.snapshot_fields.remove(&conid).is_some() {
        reply::ok(&json!({"success": true}))
    } else {
        reply::bad_request(404, "Not Found: no subscription for this conid")
    }
}

/// `GET /iserver/marketdata/unsubscribeall` (GET_iserver_marketdata_unsubscribeall.json).
pub(crate) async fn unsubscribe_all(State(world): State<WorldHandle>) -> Response {
    world.lock().md.snapshot_fields.clear();
    reply::ok(&json!({"unsubscribed": true}))
}

/// The parsed parameters of a history request, or the 400 to send.
fn history_ask(q: &params::Query) -> Result<(u64, HistoryAsk, String, Option<i64>), &'static str> {
    let conid = q
        .get("conid")
        .and_then(|c| c.trim().parse::<u64>().ok())
        .ok_or("Bad Request: conid is required")?;
    // Defaults from the spec: period 1d, bar 1min.
    let period_text = q.get("period").cloned().unwrap_or_else(|| "1d".to_string());
    let bar_text = q.get("bar").cloned().unwrap_or_else(|| "1min".to_string());
    let period = Span::parse(&period_text).ok_or("Bad Request: invalid period")?;
    let bar = Span::parse(&bar_text).ok_or("Bad Request: invalid bar")?;
    let start_time = match q.get("startTime") {
        Some(s) => Some(
            NaiveDateTime::parse_from_str(s.trim(), "%Y%m%d-%H:%M:%S")
                .map(|t| Utc.from_utc_datetime(&t).timestamp_millis())
                .map_err(|_| "Bad Request: invalid startTime")?,
        ),
        None => None,
    };
    let ask = HistoryAsk {
        period,
        bar,
        outside_rth: params::flag(q, "outsideRth").unwrap_or(false),
    };
    Ok((conid, ask, period_text, start_time))
}

fn generate(world: &World, contract: &Contract, ask: HistoryAsk, end_ms: Option<i64>) -> Vec<Bar> {
    let seed = world.settings.seed;
    let anchor = opening_price(seed, contract.conid, contract.ref_price);
    let now = end_ms.map(utc).unwrap_or_else(Utc::now);
    history::bars(seed, contract.conid, anchor, ask, now)
}

fn stamp(ms: i64) -> String {
    utc(ms).format("%Y%m%d-%H:%M:%S").to_string()
}

/// A history answer: its metadata and `data`, the bars serialized as they are.
#[derive(serde::Serialize)]
struct WithBars {
    #[serde(flatten)]
    meta: Value,
    data: Vec<Bar>,
}

/// `GET /iserver/marketdata/history?conid=&period=&bar=&outsideRth=` with the metadata of
/// GET_iserver_marketdata_history.json (`points` is the bar count minus one, as in
/// GET_iserver_marketdata_history__spec_last.json: four bars, `points` 3).
pub(crate) async fn history(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let (conid, ask, period_text, start) = match history_ask(&q) {
        Ok(v) => v,
        Err(text) => return reply::bad_request(400, text),
    };
    let mut world = world.lock();
    let Some(contract) = world.contract(conid) else {
        // ibind's cleanup hints at `"error":"No data."` (ibind-anchor §4).
        return reply::error(500, "No data.");
    };
    let bars = generate(&world, &contract, ask, start);
    let with_volume = !matches!(
        q.get("source").map(|s| s.to_ascii_lowercase()).as_deref(),
        Some("midpoint") | Some("bid_ask")
    );
    let first_ms = bars.first().map(|b| b.t).unwrap_or_else(now_ms);
    let extreme = |pick_high: bool| -> String {
        let best = bars.iter().max_by(|a, b| {
            let (x, y) = if pick_high { (a.h, b.h) } else { (b.l, a.l) };
            x.total_cmp(&y)
        });
        match best {
            Some(b) => format!(
                "{}/{}/{}",
                ((if pick_high { b.h } else { b.l }) * 100.0).round() as i64,
                if with_volume { b.v } else { 0.0 },
                (b.t - first_ms) / 60_000
            ),
            None => "0/0/0".to_string(),
        }
    };
    let server_id = world.ids.number(10_000, 9_999_999).to_string();
    let travel: u64 = world.ids.number(1, 60);
    let body = json!({
        "serverId": server_id,
        "symbol": contract.symbol,
        "text": contract.company_name,
        "priceFactor": 100,
        "startTime": stamp(first_ms),
        "high": extreme(true),
        "low": extreme(false),
        "timePeriod": period_text,
        "barLength": ask.bar.seconds(),
        "mdAvailability": "S",
        "mktDataDelay": 0,
        "outsideRth": ask.outside_rth,
        "tradingDayDuration": 1440,
        "volumeFactor": 1,
        "priceDisplayRule": 1,
        "priceDisplayValue": "2",
        "chartPanStartTime": stamp(bars.last().map(|b| b.t).unwrap_or(first_ms)),
        "direction": -1,
        "negativeCapable": false,
        "messageVersion": 2,
        "points": bars.len().saturating_sub(1),
        "travelTime": travel,
    });
    drop(world);
    let data = if with_volume {
        bars
    } else {
        bars.into_iter().map(|b| Bar { v: 0.0, ..b }).collect()
    };
    reply::ok(&WithBars { meta: body, data })
}

/// `GET /hmds/history`: the first call of a brokerage session answers 404 ("The first time a
/// user makes a request to the /hmds/history endpoints will result in a 404 error", ibind
/// `marketdata_mixin.py`; `client-portal-api.md` §2), later calls the shape of
/// GET_hmds_history__UNVERIFIED_provenance.json.
pub(crate) async fn hmds_history(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let (conid, ask, _period, start) = match history_ask(&q) {
        Ok(v) => v,
        Err(text) => return reply::bad_request(400, text),
    };
    let mut world = world.lock();
    if !world.md.hmds_warm {
        world.md.hmds_warm = true;
        return reply::empty(404);
    }
    let Some(contract) = world.contract(conid) else {
        return reply::error(500, "No data.");
    };
    let bars = generate(&world, &contract, ask, start);
    let start_ms = bars.first().map(|b| b.t).unwrap_or_else(now_ms);
    let end_ms = bars
        .last()
        .map(|b| b.t + ask.bar.seconds() * 1000)
        .unwrap_or(start_ms);
    drop(world);
    let meta = json!({
        "startTime": stamp(start_ms),
        "startTimeVal": start_ms,
        "endTime": stamp(end_ms),
        "endTimeVal": end_ms,
        "points": bars.len(),
        "mktDataDelay": 0,
    });
    reply::ok(&WithBars { meta, data: bars })
}

/// `GET /md/regsnapshot?conid=`: a regulatory snapshot (USD 0.01 a request at IBKR; ibind-anchor
/// §1 #36) with the fields of the spec's `LegacyRegulatorySnapshotResponse`: `31` last, `84`
/// bid, `86` ask as strings, `85`/`88` ask/bid sizes and `7059` last size as numbers,
/// `7057`/`7058`/`7068` ask/last/bid exchanges. No pre-flight: it answers at once.
pub(crate) async fn regulatory_snapshot(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let Some(conid) = q.get("conid") else {
        return reply::missing("conid");
    };
    let mut world = world.lock();
    let Some(contract) = conid
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|id| world.contract(id))
    else {
        return super::contracts::unknown_conid(conid);
    };
    let quote = world
        .quotes
        .tick(contract.conid, contract.ref_price)
        .clone();
    let venue = if contract.exchange == "NASDAQ" {
        "NASDAQ"
    } else {
        contract.exchange.as_str()
    };
    reply::ok(&json!({
        "conid": contract.conid,
        "conidEx": contract.conid.to_string(),
        "31": format!("{:.2}", quote.last),
        "84": format!("{:.2}", quote.bid()),
        "86": format!("{:.2}", quote.ask()),
        "85": quote.ask_size,
        "88": quote.bid_size,
        "7059": quote.last_size,
        "7057": venue,
        "7058": venue,
        "7068": venue,
        "BboExchange": "9c0001",
        "HasDelayed": false,
        "BestBidExch": 1,
        "BestAskExch": 1,
        "LastExch": 1,
    }))
}
