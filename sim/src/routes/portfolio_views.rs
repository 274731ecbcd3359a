//! The other portfolio views: paged subaccounts, account metadata, allocation by asset
//! class / sector / group, combo positions, one contract's position, and invalidating the
//! positions cache.
//!
//! Shapes: GET_portfolio_accounts.json (account attributes), cpapi-v1 "Account Allocation",
//! "Combination Positions", "Position by Conid", "Positions by Conid" (keyed by account),
//! "Invalidate Backend Portfolio Cache" (`{"message":"success"}`); the spec's
//! `SubaccountsPageResponse`, `portfolioAllocations`, `individualPosition`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::contracts::unknown_conid;
use super::params::{self, object_body};
use super::portfolio::{account_json, holdings, position_json};
use super::reply;
use crate::world::World;
use crate::world::WorldHandle;

/// Subaccounts per page of `/portfolio/subaccounts2`.
const PAGE_SIZE: usize = 100;

/// `GET /portfolio/subaccounts2?page=`: the accounts in pages of 100 with `metadata`.
pub(crate) async fn subaccounts_paged(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let page: usize = q
        .get("page")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(0);
    let world = world.lock();
    let rows: Vec<Value> = world
        .settings
        .accounts
        .iter()
        .skip(page * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|a| account_json(a))
        .collect();
    reply::ok(&json!({
        "metadata": {"total": world.settings.accounts.len(), "pageSize": PAGE_SIZE, "pageNum": page},
        "subaccounts": rows,
    }))
}

/// `GET /portfolio/{accountId}/meta`: the account's attributes.
pub(crate) async fn meta(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    let world = world.lock();
    if !world.has_account(&account) {
        return reply::unknown_account(&account);
    }
    reply::ok(&account_json(&account))
}

/// Market value by asset class, sector and group, long and short, plus cash under `CASH`.
fn allocation_of(world: &mut World, accounts: &[String]) -> Value {
    let mut buckets: [(BTreeMap<String, f64>, BTreeMap<String, f64>); 3] = Default::default();
    for account in accounts {
        let v = world.valuation(account);
        if v.cash != 0.0 {
            let side = if v.cash > 0.0 { 0 } else { 1 };
            let (long, short) = &mut buckets[0];
            let map = if side == 0 { long } else { short };
            *map.entry("CASH".to_string()).or_default() += v.cash;
        }
        for h in &v.holdings {
            let keys = [
                h.contract.sec_type.code().to_string(),
                if h.contract.sector.is_empty() {
                    "Others".to_string()
                } else {
                    h.contract.sector.to_string()
                },
                if h.contract.group.is_empty() {
                    "Others".to_string()
                } else {
                    h.contract.group.to_string()
                },
            ];
            for (i, key) in keys.into_iter().enumerate() {
                let (long, short) = &mut buckets[i];
                let map = if h.market_value >= 0.0 { long } else { short };
                *map.entry(key).or_default() += h.market_value;
            }
        }
    }
    let side = |m: &BTreeMap<String, f64>| -> Value {
        Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), json!((v * 100.0).round() / 100.0)))
                .collect::<Map<String, Value>>(),
        )
    };
    json!({
        "assetClass": {"long": side(&buckets[0].0), "short": side(&buckets[0].1)},
        "sector": {"long": side(&buckets[1].0), "short": side(&buckets[1].1)},
        "group": {"long": side(&buckets[2].0), "short": side(&buckets[2].1)},
    })
}

/// `GET /portfolio/{accountId}/allocation`.
pub(crate) async fn allocation(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    let mut world = world.lock();
    if !world.has_account(&account) {
        return reply::unknown_account(&account);
    }
    reply::ok(&allocation_of(&mut world, &[account]))
}

/// `POST /portfolio/allocation {"acctIds":[..]}`: the allocation summed over the accounts.
pub(crate) async fn allocation_across(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(ids) = v.get("acctIds").and_then(Value::as_array) else {
        return reply::missing("acctIds");
    };
    let accounts: Vec<String> = ids
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if accounts.is_empty() {
        return reply::missing("acctIds");
    }
    let mut world = world.lock();
    if let Some(bad) = accounts.iter().find(|a| !world.has_account(a)) {
        return reply::unknown_account(bad);
    }
    reply::ok(&allocation_of(&mut world, &accounts))
}

/// `GET /portfolio/{accountId}/combo/positions?nocache=`: the simulator books no combos
/// (orders are single-leg), so the list is empty, as IBKR's is for accounts without spreads.
pub(crate) async fn combo_positions(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    let world = world.lock();
    if !world.has_account(&account) {
        return reply::unknown_account(&account);
    }
    reply::ok(&json!([]))
}

fn conid_of(world: &World, text: &str) -> Option<u64> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|c| world.catalog.get(*c).is_some())
}

/// `GET /portfolio/{accountId}/position/{conid}`: the account's position in that contract
/// (live, not cached), or an empty list.
pub(crate) async fn account_position(
    State(world): State<WorldHandle>,
    Path((account, conid)): Path<(String, String)>,
) -> Response {
    let mut world = world.lock();
    if !world.has_account(&account) {
        return reply::unknown_account(&account);
    }
    let Some(conid) = conid_of(&world, &conid) else {
        return unknown_conid(&conid);
    };
    let rows: Vec<Value> = holdings(&mut world, &account)
        .unwrap_or_default()
        .iter()
        .filter(|h| h.contract.conid == conid)
        .map(|h| position_json(&account, h))
        .collect();
    reply::ok(&Value::Array(rows))
}

/// `GET /portfolio/positions/{conid}`: every account's positions in the contract, a list
/// per account (as a recorded answer shows).
pub(crate) async fn positions_for_contract(
    State(world): State<WorldHandle>,
    Path(conid): Path<String>,
) -> Response {
    let mut world = world.lock();
    let Some(conid) = conid_of(&world, &conid) else {
        return unknown_conid(&conid);
    };
    let accounts = world.settings.accounts.clone();
    let mut out = Map::new();
    for account in accounts {
        if let Some(h) = holdings(&mut world, &account)
            .unwrap_or_default()
            .iter()
            .find(|h| h.contract.conid == conid)
        {
            out.insert(
                account.clone(),
                Value::Array(vec![position_json(&account, h)]),
            );
        }
    }
    reply::ok(&Value::Object(out))
}

/// `POST /portfolio/{accountId}/positions/invalidate`: the next positions page is fresh.
pub(crate) async fn invalidate_positions(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    let mut world = world.lock();
    if !world.has_account(&account) {
        return reply::unknown_account(&account);
    }
    world.positions_cache.remove(&account);
    reply::ok(&json!({"message": "success"}))
}
