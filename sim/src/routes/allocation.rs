//! FA allocation: allocatable accounts, allocation groups (list, create, show, modify,
//! delete) and presets, under `/iserver/account/allocation/`.
//!
//! Shapes: cpapi-v1 "Allocation" section (`{"success":true}` for every change;
//! `{"data":[{"allocation_method","size","name"}]}` for the list;
//! `{"accounts":[{"data":[{"value","key"}],"name"}]}` for the accounts); field names of the
//! spec's `subAccounts`, `allocationGroups`, `allocationGroup`, `presets`.

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use super::params::{object_body, required_text, text_field};
use super::reply;
use crate::user::allocation::{Group, METHODS, Member};
use crate::world::World;
use crate::world::WorldHandle;

fn unknown_group(name: &str) -> Response {
    reply::bad_request(
        400,
        &format!("Bad Request: allocation group {name} not found"),
    )
}

fn success() -> Response {
    reply::ok(&json!({"success": true}))
}

/// `GET /iserver/account/allocation/accounts`: each account with the figures allocation
/// methods use.
pub(crate) async fn accounts(State(world): State<WorldHandle>) -> Response {
    let mut world = world.lock();
    let ids = world.settings.accounts.clone();
    let rows: Vec<Value> = ids
        .iter()
        .map(|a| {
            let v = world.valuation(a);
            let available = v.net_liquidation - v.market_value.abs() * 0.25;
            json!({
                "data": [
                    {"value": format!("{:.0}", v.net_liquidation), "key": "NetLiquidation"},
                    {"value": format!("{:.0}", available), "key": "AvailableEquity"},
                    {"value": format!("{:.0}", v.cash), "key": "TotalCashValue"},
                ],
                "name": a,
            })
        })
        .collect();
    reply::ok(&json!({ "accounts": rows }))
}

/// `GET /iserver/account/allocation/group`.
pub(crate) async fn groups(State(world): State<WorldHandle>) -> Response {
    let world = world.lock();
    let rows: Vec<Value> = world
        .user
        .allocation
        .groups
        .iter()
        .map(|g| json!({"allocation_method": g.method, "size": g.members.len(), "name": g.name}))
        .collect();
    reply::ok(&json!({ "data": rows }))
}

/// The group a create or modify body describes, checked against the accounts.
fn group_of(world: &World, v: &Value) -> Result<Group, Response> {
    let name = required_text(v, "name")?;
    let method = required_text(v, "default_method")?.to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        return Err(reply::bad_request(
            400,
            &format!("Bad Request: invalid allocation method {method}"),
        ));
    }
    let Some(list) = v.get("accounts").and_then(Value::as_array) else {
        return Err(reply::missing("accounts"));
    };
    let mut members = Vec::new();
    for m in list {
        let Some(account) = text_field(m, "name") else {
            return Err(reply::malformed_body());
        };
        if !world.has_account(&account) {
            return Err(reply::unknown_account(&account));
        }
        members.push(Member {
            account,
            amount: m.get("amount").and_then(Value::as_f64),
        });
    }
    if members.is_empty() {
        return Err(reply::missing("accounts"));
    }
    Ok(Group {
        name,
        method,
        members,
    })
}

/// `POST /iserver/account/allocation/group {"name","accounts":[{"name","amount"}],"default_method"}`.
pub(crate) async fn create(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let mut world = world.lock();
    let group = match group_of(&world, &v) {
        Ok(g) => g,
        Err(resp) => return resp,
    };
    if world.user.allocation.group(&group.name).is_some() {
        return reply::bad_request(
            400,
            &format!(
                "Bad Request: allocation group {} already exists",
                group.name
            ),
        );
    }
    world.user.allocation.groups.push(group);
    success()
}

/// `PUT /iserver/account/allocation/group {"name","prev_name"?,"accounts","default_method"}`.
pub(crate) async fn modify(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let mut world = world.lock();
    let group = match group_of(&world, &v) {
        Ok(g) => g,
        Err(resp) => return resp,
    };
    let old = text_field(&v, "prev_name")
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| group.name.clone());
    match world
        .user
        .allocation
        .groups
        .iter_mut()
        .find(|g| g.name == old)
    {
        Some(slot) => {
            *slot = group;
            success()
        }
        None => unknown_group(&old),
    }
}

/// `POST /iserver/account/allocation/group/delete {"name"}`.
pub(crate) async fn delete(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let name = match required_text(&v, "name") {
        Ok(n) => n,
        Err(resp) => return resp,
    };
    let mut world = world.lock();
    let before = world.user.allocation.groups.len();
    world.user.allocation.groups.retain(|g| g.name != name);
    if world.user.allocation.groups.len() == before {
        return unknown_group(&name);
    }
    success()
}

/// `POST /iserver/account/allocation/group/single {"name"}`.
pub(crate) async fn single(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let name = match required_text(&v, "name") {
        Ok(n) => n,
        Err(resp) => return resp,
    };
    let world = world.lock();
    let Some(g) = world.user.allocation.group(&name) else {
        return unknown_group(&name);
    };
    let accounts: Vec<Value> = g
        .members
        .iter()
        .map(|m| match m.amount {
            Some(amount) => json!({"amount": amount, "name": m.account}),
            None => json!({"name": m.account}),
        })
        .collect();
    reply::ok(&json!({"name": g.name, "accounts": accounts, "default_method": g.method}))
}

/// `GET /iserver/account/allocation/presets`.
pub(crate) async fn presets(State(world): State<WorldHandle>) -> Response {
    let world = world.lock();
    let p = &world.user.allocation.presets;
    reply::ok(&json!({
        "group_auto_close_positions": p.group_auto_close_positions,
        "default_method_for_all": p.default_method_for_all,
        "profiles_auto_close_positions": p.profiles_auto_close_positions,
        "strict_credit_check": p.strict_credit_check,
        "group_proportional_allocation": p.group_proportional_allocation,
    }))
}

/// `POST /iserver/account/allocation/presets`: fields present in the body replace the presets.
pub(crate) async fn set_presets(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let mut world = world.lock();
    let p = &mut world.user.allocation.presets;
    let set = |slot: &mut bool, name: &str| {
        if let Some(b) = v.get(name).and_then(Value::as_bool) {
            *slot = b;
        }
    };
    set(
        &mut p.group_auto_close_positions,
        "group_auto_close_positions",
    );
    set(
        &mut p.profiles_auto_close_positions,
        "profiles_auto_close_positions",
    );
    set(&mut p.strict_credit_check, "strict_credit_check");
    set(
        &mut p.group_proportional_allocation,
        "group_proportional_allocation",
    );
    if let Some(m) = text_field(&v, "default_method_for_all") {
        p.default_method_for_all = m;
    }
    success()
}
