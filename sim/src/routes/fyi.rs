//! FYI notifications under `/fyi/`: unread count, notifications (paged by id), marking read,
//! settings per type, disclaimers and delivery options.
//!
//! Shapes: cpapi-v1 "FYIs and Notifications" (`{"BN":4}`, `[{"R":0,"D":"1702581306.0",
//! "MS":..,"MD":..,"ID":..,"HT":0,"FC":..}]`, `{"V":1,"T":10}` acknowledgements); field
//! names of the spec's `notifications`, `fyiSettings`, `disclaimerInfo`, `deliveryOptions`,
//! `fyiVT`, `notificationReadAcknowledge`. Pacing: 1 request/s on every `/fyi` path
//! (`client-portal-api.md` §1).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use super::params::{self, object_body, text_field};
use super::reply;
use crate::user::notifications::{Device, Fyi, Notification};
use crate::world::WorldHandle;

/// The acknowledgement IBKR sends for a settings change: `{"V":1,"T":<ms taken>}`.
fn ack() -> Response {
    reply::ok(&json!({"V": 1, "T": 10}))
}

fn unknown_type(code: &str) -> Response {
    reply::bad_request(
        400,
        &format!("Bad Request: unknown notification type {code}"),
    )
}

fn row(n: &Notification) -> Value {
    json!({
        "R": i32::from(n.read),
        "D": format!("{}.0", n.date_s),
        "MS": n.title,
        "MD": n.body,
        "ID": n.id,
        "HT": 0,
        "FC": n.code,
    })
}

/// `GET /fyi/unreadnumber` → `{"BN":n}`.
pub(crate) async fn unread(State(world): State<WorldHandle>) -> Response {
    let world = world.lock();
    reply::ok(&json!({"BN": world.user.fyi.unread()}))
}

/// `GET /fyi/notifications?max=&include=&exclude=&id=`: newest first, at most `max`.
pub(crate) async fn notifications(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let Some(max) = q.get("max").and_then(|m| m.trim().parse::<usize>().ok()) else {
        return reply::missing("max");
    };
    let include = params::list(&q, "include");
    let exclude = params::list(&q, "exclude");
    let world = world.lock();
    let rows: Vec<Value> = world
        .user
        .fyi
        .notifications
        .iter()
        .filter(|n| include.is_empty() || include.iter().any(|c| c == n.code))
        .filter(|n| !exclude.iter().any(|c| c == n.code))
        .filter(|n| q.get("id").is_none_or(|id| *id == n.id))
        .take(max.min(10))
        .map(row)
        .collect();
    reply::ok(&Value::Array(rows))
}

/// `GET /fyi/notifications/more?id=`: the notifications older than `id`.
pub(crate) async fn more(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let Some(id) = q.get("id") else {
        return reply::missing("id");
    };
    let world = world.lock();
    let list = &world.user.fyi.notifications;
    let Some(at) = list.iter().position(|n| n.id == *id) else {
        return reply::bad_request(400, &format!("Bad Request: notification {id} not found"));
    };
    let rows: Vec<Value> = list.iter().skip(at + 1).take(10).map(row).collect();
    reply::ok(&Value::Array(rows))
}

/// `PUT /fyi/notifications/{notificationID}`: mark read.
pub(crate) async fn mark_read(
    State(world): State<WorldHandle>,
    Path(id): Path<String>,
) -> Response {
    let mut world = world.lock();
    let Some(n) = world.user.fyi.notifications.iter_mut().find(|n| n.id == id) else {
        return reply::bad_request(400, &format!("Bad Request: notification {id} not found"));
    };
    n.read = true;
    reply::ok(&json!({"V": 1, "T": 5, "P": {"R": 1, "ID": id}}))
}

/// `GET /fyi/settings`.
pub(crate) async fn settings(State(world): State<WorldHandle>) -> Response {
    let world = world.lock();
    let rows: Vec<Value> = world
        .user
        .fyi
        .settings
        .iter()
        .map(|s| json!({"FC": s.code, "H": 0, "A": i64::from(s.enabled), "FD": s.description, "FN": s.name}))
        .collect();
    reply::ok(&Value::Array(rows))
}

/// `POST /fyi/settings/{typecode} {"enabled":bool}`.
pub(crate) async fn set_setting(
    State(world): State<WorldHandle>,
    Path(code): Path<String>,
    body: Bytes,
) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(enabled) = v.get("enabled").and_then(Value::as_bool) else {
        return reply::missing("enabled");
    };
    let mut world = world.lock();
    let Some(s) = world.user.fyi.settings.iter_mut().find(|s| s.code == code) else {
        return unknown_type(&code);
    };
    s.enabled = enabled;
    ack()
}

/// `GET /fyi/disclaimer/{typecode}`.
pub(crate) async fn disclaimer(Path(code): Path<String>) -> Response {
    if !Fyi::known_type(&code) {
        return unknown_type(&code);
    }
    reply::ok(&json!({
        "FC": code,
        "DT": "This communication is provided for information purposes only and is not a recommendation or a solicitation to buy, sell or hold any investment product.",
    }))
}

/// `PUT /fyi/disclaimer/{typecode}`: mark the disclaimer read.
pub(crate) async fn mark_disclaimer_read(
    State(world): State<WorldHandle>,
    Path(code): Path<String>,
) -> Response {
    if !Fyi::known_type(&code) {
        return unknown_type(&code);
    }
    let mut world = world.lock();
    if !world.user.fyi.disclaimers_read.contains(&code) {
        world.user.fyi.disclaimers_read.push(code);
    }
    ack()
}

/// `GET /fyi/deliveryoptions` → `{"M":email on,"E":[devices]}`.
pub(crate) async fn delivery_options(State(world): State<WorldHandle>) -> Response {
    let world = world.lock();
    let devices: Vec<Value> = world
        .user
        .fyi
        .devices
        .iter()
        .map(|d| json!({"NM": d.name, "I": d.id, "UI": d.ui_name, "A": i64::from(d.enabled)}))
        .collect();
    reply::ok(&json!({"M": i64::from(world.user.fyi.email), "E": devices}))
}

/// `PUT /fyi/deliveryoptions/email?enabled=true`.
pub(crate) async fn set_email(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let Some(enabled) = params::flag(&q, "enabled") else {
        return reply::missing("enabled");
    };
    world.lock().user.fyi.email = enabled;
    ack()
}

/// `POST /fyi/deliveryoptions/device {"deviceName","deviceId","uiName","enabled"}`.
pub(crate) async fn set_device(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = match object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(id) = text_field(&v, "deviceId").filter(|i| !i.is_empty()) else {
        return reply::missing("deviceId");
    };
    let device = Device {
        id: id.clone(),
        name: text_field(&v, "deviceName").unwrap_or_default(),
        ui_name: text_field(&v, "uiName").unwrap_or_default(),
        enabled: v.get("enabled").and_then(Value::as_bool).unwrap_or(true),
    };
    let mut world = world.lock();
    let devices = &mut world.user.fyi.devices;
    match devices.iter_mut().find(|d| d.id == id) {
        Some(slot) => *slot = device,
        None => devices.push(device),
    }
    ack()
}

/// `DELETE /fyi/deliveryoptions/{deviceId}`: 200 with an empty body.
pub(crate) async fn delete_device(
    State(world): State<WorldHandle>,
    Path(id): Path<String>,
) -> Response {
    let mut world = world.lock();
    let before = world.user.fyi.devices.len();
    world.user.fyi.devices.retain(|d| d.id != id);
    if world.user.fyi.devices.len() == before {
        return reply::bad_request(400, &format!("Bad Request: device {id} not found"));
    }
    reply::empty(200)
}
