//! The market scanner: `GET /iserver/scanner/params`, `POST /iserver/scanner/run`, and the
//! legacy HMDS pair `GET /hmds/scanner/params`, `POST /hmds/scanner/run`.
//!
//! Params are paced to one request per 15 minutes and runs to one per second
//! (`client-portal-api.md` §1; [`crate::Limits`]). Shapes: getScannerParams/spec_success.json,
//! runScanner/cpapi_v1.json and spec.json; the HMDS answer follows the spec's
//! `LegacyHmdsScannerRunResponse` (`Contracts.Contract[].contractID`, `inScanTime`).

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use super::params::{object_body, required_text, text_field};
use super::reply;
use crate::clock::{now_ms, utc};
use crate::market::scanner::{self, FILTERS, INSTRUMENTS, LOCATIONS, SCAN_TYPES, Scan};
use crate::world::WorldHandle;

fn params_json() -> Value {
    let filter_codes: Vec<&str> = FILTERS.iter().map(|f| f.0).collect();
    let instruments: Vec<&str> = INSTRUMENTS.iter().map(|i| i.0).collect();
    json!({
        "scan_type_list": SCAN_TYPES.iter().map(|t| json!({
            "display_name": t.name, "code": t.code, "instruments": instruments,
        })).collect::<Vec<_>>(),
        "instrument_list": INSTRUMENTS.iter().map(|(kind, name, _)| json!({
            "display_name": name, "type": kind, "filters": filter_codes,
        })).collect::<Vec<_>>(),
        "filter_list": FILTERS.iter().map(|(code, name, group)| json!({
            "group": group, "display_name": name, "code": code, "type": "non-range",
        })).collect::<Vec<_>>(),
        "location_tree": [
            {
                "display_name": "US Stocks",
                "type": "STK",
                "locations": [{
                    "display_name": LOCATIONS[0].1,
                    "type": LOCATIONS[0].0,
                    "locations": LOCATIONS[1..].iter().map(|(kind, name, _)| json!({
                        "display_name": name, "type": kind,
                    })).collect::<Vec<_>>(),
                }],
            },
        ],
    })
}

/// `GET /iserver/scanner/params`.
pub(crate) async fn params() -> Response {
    reply::ok(&params_json())
}

/// `GET /hmds/scanner/params`: the same tree.
pub(crate) async fn hmds_params() -> Response {
    reply::ok(&params_json())
}

/// `[{"code","value"}]` filters with numeric values.
fn filters_of(v: &Value) -> Result<Vec<(String, f64)>, Response> {
    let mut out = Vec::new();
    for f in v
        .get("filter")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(code) = text_field(f, "code") else {
            return Err(reply::malformed_body());
        };
        let Some(value) = text_field(f, "value").and_then(|x| x.trim().parse::<f64>().ok()) else {
            return Err(reply::bad_request(
                400,
                &format!("Bad Request: filter {code} needs a numeric value"),
            ));
        };
        out.push((code, value));
    }
    Ok(out)
}

fn listing(exchange: &str) -> &str {
    if exchange == "NASDAQ" {
        "NASDAQ.NMS"
    } else {
        exchange
    }
}

/// `POST /iserver/scanner/run {"instrument","type","location","filter":[..]}`.
pub(crate) async fn run(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let (instrument, kind, location) = match (
        required_text(&v, "instrument"),
        required_text(&v, "type"),
        required_text(&v, "location"),
    ) {
        (Ok(i), Ok(t), Ok(l)) => (i, t, l),
        (Err(resp), _, _) | (_, Err(resp), _) | (_, _, Err(resp)) => return resp,
    };
    let filters = match filters_of(&v) {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let scan_type = match scanner::scan_type(&kind) {
        Ok(t) => t,
        Err(e) => return reply::bad_request(400, &format!("Bad Request: {e}")),
    };
    let mut world = world.lock();
    let scan = Scan {
        instrument: &instrument,
        location: &location,
        scan_type,
        filters: &filters,
    };
    let w = &mut *world;
    let hits = match scanner::run(&w.catalog, &mut w.quotes, &scan) {
        Ok(h) => h,
        Err(e) => return reply::bad_request(400, &format!("Bad Request: {e}")),
    };
    let rows: Vec<Value> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let mut row = json!({
                "server_id": i.to_string(),
                "symbol": h.symbol,
                "conidex": h.conid.to_string(),
                "con_id": h.conid,
                "available_chart_periods": "#R|1",
                "company_name": h.company,
                "scan_data": h.scan_data,
                "contract_description_1": h.symbol,
                "listing_exchange": listing(h.exchange),
                "sec_type": "STK",
            });
            if i == 0
                && let Some(map) = row.as_object_mut()
            {
                map.insert("column_name".into(), json!(scan_type.column));
            }
            row
        })
        .collect();
    reply::ok(&json!({"contracts": rows, "scan_data_column_name": scan_type.column}))
}

/// `POST /hmds/scanner/run {"instrument","location","scanCode","secType","filter","maxItems"}`.
pub(crate) async fn hmds_run(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let (instrument, code, location) = match (
        required_text(&v, "instrument"),
        required_text(&v, "scanCode"),
        required_text(&v, "location"),
    ) {
        (Ok(i), Ok(t), Ok(l)) => (i, t, l),
        (Err(resp), _, _) | (_, Err(resp), _) | (_, _, Err(resp)) => return resp,
    };
    if let Err(resp) = required_text(&v, "secType") {
        return resp;
    }
    let filters = match filters_of(&v) {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let scan_type = match scanner::scan_type(&code) {
        Ok(t) => t,
        Err(e) => return reply::bad_request(400, &format!("Bad Request: {e}")),
    };
    let max = super::params::int_field(&v, "maxItems")
        .unwrap_or(50)
        .clamp(1, 50) as usize;
    let mut world = world.lock();
    let scan = Scan {
        instrument: &instrument,
        location: &location,
        scan_type,
        filters: &filters,
    };
    let w = &mut *world;
    let hits = match scanner::run(&w.catalog, &mut w.quotes, &scan) {
        Ok(h) => h,
        Err(e) => return reply::bad_request(400, &format!("Bad Request: {e}")),
    };
    let when = utc(now_ms()).format("%Y%m%d-%H:%M:%S").to_string();
    let rows: Vec<Value> = hits
        .iter()
        .take(max)
        .map(|h| json!({"inScanTime": when, "contractID": h.conid}))
        .collect();
    reply::ok(&json!({
        "total": hits.len(),
        "size": rows.len(),
        "offset": 0,
        "scanTime": when,
        "id": "scanner1",
        "position": "v1:AAAAAQAAAAEAAAAB",
        "Contracts": {"Contract": rows},
    }))
}
