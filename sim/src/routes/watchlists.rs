//! Watchlists: `POST /iserver/watchlist` (create), `GET /iserver/watchlists` (list),
//! `GET /iserver/watchlist?id=` (show), `DELETE /iserver/watchlist?id=` (delete).
//!
//! Shapes: cpapi-v1 "Create a Watchlist" (createWatchlist/cpapi_v1.json), the spec's
//! `watchlistDataExample`, `singleWatchlistExample`, `watchlistDeleteSuccessExample`. ibind
//! sends the delete id in a JSON body rather than the query (ibind-anchor §1 #86): both work.

use axum::extract::{Query, State};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use super::params::{self, object_body, required_text, text_field};
use super::reply;
use crate::clock::now_ms;
use crate::market::catalog::Catalog;
use crate::user::watchlists::{Row, Watchlist};
use crate::world::World;
use crate::world::WorldHandle;

fn unknown_watchlist(id: &str) -> Response {
    reply::bad_request(400, &format!("Bad Request: watchlist {id} not found"))
}

fn parse_rows(world: &World, rows: &[Value]) -> Result<Vec<Row>, Response> {
    let mut out = Vec::new();
    for row in rows {
        if let Some(conid) = text_field(row, "C") {
            let Some(id) = conid
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|c| world.catalog.get(*c).is_some())
            else {
                return Err(super::contracts::unknown_conid(&conid));
            };
            out.push(Row::Conid(id));
        } else if let Some(header) = text_field(row, "H") {
            out.push(Row::Header(header));
        } else {
            return Err(reply::malformed_body());
        }
    }
    Ok(out)
}

/// `POST /iserver/watchlist {"id","name","rows":[{"C":conid}|{"H":""}]}`; an existing id is
/// replaced.
pub(crate) async fn create(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let id = match required_text(&v, "id") {
        Ok(id) => id,
        Err(resp) => return resp,
    };
    let name = match required_text(&v, "name") {
        Ok(n) => n,
        Err(resp) => return resp,
    };
    let Some(rows) = v.get("rows").and_then(Value::as_array) else {
        return reply::missing("rows");
    };
    let mut world = world.lock();
    let rows = match parse_rows(&world, rows) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let modified_ms = now_ms();
    world.user.watchlists.save(Watchlist {
        id: id.clone(),
        name: name.clone(),
        rows,
        modified_ms,
    });
    reply::ok(&json!({
        "id": id,
        "hash": modified_ms.to_string(),
        "name": name,
        "readOnly": false,
        "instruments": [],
    }))
}

/// `GET /iserver/watchlists?SC=USER_WATCHLIST`.
pub(crate) async fn list(State(world): State<WorldHandle>) -> Response {
    let mut world = world.lock();
    let lists: Vec<Value> = world
        .user
        .watchlists
        .all()
        .iter()
        .map(|l| {
            json!({
                "is_open": false,
                "read_only": false,
                "name": l.name,
                "modified": l.modified_ms,
                "id": l.id,
                "type": "watchlist",
            })
        })
        .collect();
    let mid = world.user.next_mid();
    reply::ok(&json!({
        "data": {
            "scanners_only": false,
            "show_scanners": false,
            "bulk_delete": false,
            "user_lists": lists,
        },
        "action": "content",
        "MID": mid,
    }))
}

/// `GET /iserver/watchlist?id=`: the list with one entry per instrument row.
pub(crate) async fn show(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let Some(id) = q
        .get("id")
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty())
    else {
        return reply::missing("id");
    };
    let world = world.lock();
    let Some(list) = world.user.watchlists.get(&id) else {
        return unknown_watchlist(&id);
    };
    let instruments: Vec<Value> = list
        .rows
        .iter()
        .filter_map(|r| match r {
            Row::Conid(c) => world.catalog.get(*c),
            Row::Header(_) => None,
        })
        .map(|c| {
            let company = Catalog::company_of(c.conid);
            json!({
                "ST": c.sec_type.code(),
                "C": c.conid.to_string(),
                "conid": c.conid,
                "name": c.company_name,
                "fullName": c.symbol,
                "assetClass": c.sec_type.code(),
                "ticker": c.symbol,
                "chineseName": company.and_then(|co| co.chinese_name).unwrap_or(""),
            })
        })
        .collect();
    reply::ok(&json!({
        "id": list.id,
        "hash": list.modified_ms.to_string(),
        "name": list.name,
        "readOnly": false,
        "instruments": instruments,
    }))
}

/// `DELETE /iserver/watchlist?id=` (or a JSON body `{"id"}`).
pub(crate) async fn delete(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
    body: Bytes,
) -> Response {
    let id = q
        .get("id")
        .cloned()
        .or_else(|| text_field(&params::json_body(&body), "id"))
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty());
    let Some(id) = id else {
        return reply::missing("id");
    };
    let mut world = world.lock();
    if !world.user.watchlists.delete(&id) {
        return unknown_watchlist(&id);
    }
    let mid = world.user.next_mid();
    reply::ok(&json!({"data": {"deleted": id}, "action": "context", "MID": mid}))
}
