//! FA model portfolios under `/fa/`: list, save, summary, positions, account details,
//! invest/divest, transfers and the model presets. Every body carries `reqID`, echoed back.
//!
//! Shapes: the spec's `modelListResponse`, `modelSummaryResponse`, `modelPositionResponse`,
//! `getInvestedAccountsSummary`, `modelPresetsResponse`; request fields as ibind sends them
//! (ibind-anchor §1 #24-#33: targets are fractions 0-1 that sum to 1.0).

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::params::{int_field, object_body, required_text, text_field};
use super::reply;
use crate::clock::now_ms;
use crate::user::allocation::{MODEL_PRESETS, Model};
use crate::world::World;
use crate::world::WorldHandle;

/// `subscriptionStatus` of every answer: 1 = subscribed (the simulator pushes nothing).
const SUBSCRIBED: i64 = 1;

fn req_id(v: &Value) -> Result<i64, Response> {
    int_field(v, "reqID").ok_or_else(|| reply::missing("reqID"))
}

fn unknown_model(name: &str) -> Response {
    reply::bad_request(400, &format!("Bad Request: model {name} not found"))
}

fn master(world: &World) -> String {
    world.primary_account().to_string()
}

fn model_nlv(world: &mut World, m: &Model) -> f64 {
    let _ = world;
    m.invested.iter().map(|(_, amount)| amount).sum()
}

fn summary_json(world: &mut World, m: &Model, req: i64) -> Value {
    json!({
        "reqID": req,
        "subscriptionStatus": SUBSCRIBED,
        "model": m.name,
        "desc": m.description,
        "isStatic": m.is_static,
        "nlv": model_nlv(world, m),
        "numAccounts": m.invested.len(),
        "bootstrapped": true,
        "mismatch": false,
        "ci": false,
    })
}

/// Parse, check and run `f` with the body, the request id and the locked world.
fn with_body(
    world: &WorldHandle,
    body: &[u8],
    f: impl FnOnce(&mut World, &Value, i64) -> Response,
) -> Response {
    let v = match object_body(body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let req = match req_id(&v) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    f(&mut world.lock(), &v, req)
}

fn named_model(world: &World, v: &Value) -> Result<Model, Response> {
    let name = required_text(v, "model")?;
    world
        .user
        .allocation
        .model(&name)
        .cloned()
        .ok_or_else(|| unknown_model(&name))
}

/// `POST /fa/model/list {"reqID"}`.
pub(crate) async fn list(State(world): State<WorldHandle>, body: Bytes) -> Response {
    with_body(&world, &body, |world, _, req| {
        let models = world.user.allocation.models.clone();
        let rows: Vec<Value> = models.iter().map(|m| summary_json(world, m, req)).collect();
        reply::ok(&json!({
            "reqID": req,
            "subscriptionStatus": SUBSCRIBED,
            "baseCcy": "USD",
            "masterAccount": master(world),
            "models": rows,
        }))
    })
}

/// `POST /fa/model/save {"reqID","model","desc","isStatic","cashTargets","positionTargets"}`.
pub(crate) async fn save(State(world): State<WorldHandle>, body: Bytes) -> Response {
    with_body(&world, &body, |world, v, req| {
        let name = match required_text(v, "model") {
            Ok(n) => n,
            Err(resp) => return resp,
        };
        let mut cash = Vec::new();
        for t in v
            .get("cashTargets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(ccy), Some(target)) = (
                text_field(t, "ccy"),
                t.get("target").and_then(Value::as_f64),
            ) else {
                return reply::malformed_body();
            };
            cash.push((ccy, target));
        }
        let mut positions = Vec::new();
        for t in v
            .get("positionTargets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(conid), Some(target)) = (
                int_field(t, "conid"),
                t.get("target").and_then(Value::as_f64),
            ) else {
                return reply::malformed_body();
            };
            if world.catalog.get(conid.max(0) as u64).is_none() {
                return super::contracts::unknown_conid(&conid.to_string());
            }
            positions.push((conid as u64, target));
        }
        let total: f64 =
            cash.iter().map(|c| c.1).sum::<f64>() + positions.iter().map(|p| p.1).sum::<f64>();
        if (total - 1.0).abs() > 1e-6 {
            return reply::ok(&json!({"reqID": req, "success": false}));
        }
        let invested = world
            .user
            .allocation
            .model(&name)
            .map(|m| m.invested.clone())
            .unwrap_or_default();
        let model = Model {
            name: name.clone(),
            description: text_field(v, "desc").unwrap_or_default(),
            is_static: v.get("isStatic").and_then(Value::as_bool).unwrap_or(false),
            cash_targets: cash,
            position_targets: positions,
            invested,
        };
        let models = &mut world.user.allocation.models;
        match models.iter_mut().find(|m| m.name == name) {
            Some(slot) => *slot = model,
            None => models.push(model),
        }
        reply::ok(&json!({"reqID": req, "success": true}))
    })
}

/// `POST /fa/model/summary {"reqID","model"}`.
pub(crate) async fn summary(State(world): State<WorldHandle>, body: Bytes) -> Response {
    with_body(&world, &body, |world, v, req| match named_model(world, v) {
        Ok(m) => reply::ok(&summary_json(world, &m, req)),
        Err(resp) => resp,
    })
}

/// `POST /fa/model/positions {"reqID","model"}`: each target with its market value.
pub(crate) async fn positions(State(world): State<WorldHandle>, body: Bytes) -> Response {
    with_body(&world, &body, |world, v, req| {
        let m = match named_model(world, v) {
            Ok(m) => m,
            Err(resp) => return resp,
        };
        let nlv = model_nlv(world, &m);
        let mut total_mv = 0.0;
        let rows: Vec<Value> = m
            .position_targets
            .iter()
            .filter_map(|&(conid, target)| {
                let c = world.contract(conid)?;
                let last = world.last_price(&c);
                let mv = nlv * target;
                total_mv += mv;
                Some(json!({
                    "cid": conid, "instrument": c.symbol, "ccy": c.currency,
                    "target": target, "actl": target, "mv": (mv * 100.0).round() / 100.0,
                    "position": if last > 0.0 { (mv / last).floor() } else { 0.0 },
                    "dlv": 0.0, "instrImbalance": 0.0, "mismatchType": 0,
                }))
            })
            .collect();
        let cash: Vec<Value> = m
            .cash_targets
            .iter()
            .map(|(ccy, target)| json!({"ccy": ccy, "target": target, "mv": (nlv * target * 100.0).round() / 100.0}))
            .collect();
        reply::ok(&json!({
            "reqID": req,
            "subscriptionStatus": SUBSCRIBED,
            "model": m.name,
            "nlv": nlv,
            "positionList": rows,
            "cash": cash,
            "mismatched": false,
            "positionTs": now_ms() / 1000,
            "stkOnly": true,
            "totalDlv": 0.0,
            "totalMv": (total_mv * 100.0).round() / 100.0,
        }))
    })
}

/// `POST /fa/model/accounts-details {"reqID","model"}`: the accounts invested in the model.
pub(crate) async fn accounts_details(State(world): State<WorldHandle>, body: Bytes) -> Response {
    with_body(&world, &body, |world, v, req| {
        let m = match named_model(world, v) {
            Ok(m) => m,
            Err(resp) => return resp,
        };
        let rows: Vec<Value> = m
            .invested
            .iter()
            .map(|(account, amount)| {
                let nlv = world.valuation(account).net_liquidation;
                json!({"account": account, "nlv": (nlv * 100.0).round() / 100.0, "invested": amount, "ccy": "USD"})
            })
            .collect();
        reply::ok(
            &json!({"reqID": req, "model": m.name, "baseCcyMaster": "USD", "accountInfoList": rows}),
        )
    })
}

/// `POST /fa/model/invest-divest {"reqID","model","accountList":[{"account","amtToInvest"}]}`.
pub(crate) async fn invest_divest(State(world): State<WorldHandle>, body: Bytes) -> Response {
    with_body(&world, &body, |world, v, req| {
        let m = match named_model(world, v) {
            Ok(m) => m,
            Err(resp) => return resp,
        };
        let Some(list) = v.get("accountList").and_then(Value::as_array) else {
            return reply::missing("accountList");
        };
        let mut moves = Vec::new();
        for entry in list {
            let (Some(account), Some(amount)) = (
                text_field(entry, "account"),
                entry.get("amtToInvest").and_then(Value::as_f64),
            ) else {
                return reply::malformed_body();
            };
            if !world.has_account(&account) {
                return reply::unknown_account(&account);
            }
            moves.push((account, amount));
        }
        if let Some(model) = world
            .user
            .allocation
            .models
            .iter_mut()
            .find(|x| x.name == m.name)
        {
            for (account, amount) in moves {
                match model.invested.iter_mut().find(|(a, _)| *a == account) {
                    Some(slot) => slot.1 = (slot.1 + amount).max(0.0),
                    None if amount > 0.0 => model.invested.push((account, amount)),
                    None => {}
                }
            }
            model.invested.retain(|(_, amount)| *amount > 0.0);
        }
        world.user.allocation.transfers += 1;
        reply::ok(&json!({
            "reqID": req.to_string(),
            "subscriptionKey": text_field(v, "subscriptionKey"),
            "subscriptionStatus": SUBSCRIBED,
        }))
    })
}

/// `POST /fa/model/invest-divest-positions {"reqID","model"}`.
pub(crate) async fn invested_accounts(State(world): State<WorldHandle>, body: Bytes) -> Response {
    with_body(&world, &body, |world, v, req| {
        let m = match named_model(world, v) {
            Ok(m) => m,
            Err(resp) => return resp,
        };
        let rows: Vec<Value> = m
            .invested
            .iter()
            .map(|(account, amount)| json!({"account": account, "amount": amount, "ccy": "USD"}))
            .collect();
        reply::ok(&json!({
            "reqID": req,
            "subscriptionStatus": SUBSCRIBED,
            "model": m.name,
            "baseCcyMaster": "USD",
            "baseCcyMasterPrc": "1",
            "accountList": rows,
        }))
    })
}

/// `POST /fa/model/submit-transfers {"reqID","fpOrderId"}`.
pub(crate) async fn submit_transfers(State(world): State<WorldHandle>, body: Bytes) -> Response {
    with_body(&world, &body, |world, v, req| {
        if int_field(v, "fpOrderId").is_none() {
            return reply::missing("fpOrderId");
        }
        let _ = world;
        reply::ok(&json!({"reqID": req, "success": true}))
    })
}

/// `POST /fa/fa-preset/get {"reqID"}`.
pub(crate) async fn preset_get(State(world): State<WorldHandle>, body: Bytes) -> Response {
    with_body(&world, &body, |world, _, req| {
        let mut out = Map::new();
        for (k, on) in &world.user.allocation.model_presets {
            out.insert(k.clone(), json!(on));
        }
        out.insert("cashQtyEstimateFactor".into(), json!(1));
        out.insert("reqID".into(), json!(req));
        out.insert("subscriptionStatus".into(), json!(SUBSCRIBED));
        reply::ok(&Value::Object(out))
    })
}

/// `POST /fa/fa-preset/save {"reqID", <flags>}`.
pub(crate) async fn preset_save(State(world): State<WorldHandle>, body: Bytes) -> Response {
    with_body(&world, &body, |world, v, req| {
        for key in MODEL_PRESETS {
            if let Some(on) = v.get(*key).and_then(Value::as_bool) {
                world
                    .user
                    .allocation
                    .model_presets
                    .insert((*key).to_string(), on);
            }
        }
        reply::ok(
            &json!({"reqID": req, "subscriptionStatus": SUBSCRIBED, "success": true, "error": null}),
        )
    })
}
