//! Session endpoints: tickle, auth status, brokerage session init, logout, SSO validate.
//!
//! Shapes: POST_tickle.json, POST_iserver_auth_status.json, POST_iserver_auth_ssodh_init.json,
//! POST_logout.json, GET_sso_validate.json. Behaviour: `client-portal-api.md` §2.

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use super::reply;
use crate::clock::now_ms;
use crate::world::World;
use crate::world::WorldHandle;

const MAC: &str = "98:F2:B3:23:BF:A0";
const HARDWARE_INFO: &str = "3b0679ee|98:F2:B3:23:BF:A0";
const USER_ID: u64 = 123456789;
pub(crate) const USER_NAME: &str = "simuser1";

fn server_info() -> Value {
    json!({
        "serverName": "JifN19053",
        "serverVersion": "Build 10.25.0p, Dec 5, 2023 5:48:12 PM",
    })
}

/// Whether the brokerage session is usable (ibind's health rule: authenticated, not competing).
fn authenticated(world: &World) -> bool {
    world.session.brokerage && !world.session.competing
}

/// The auth-status object (POST_iserver_auth_status.json; `established` from the spec sample).
pub(crate) fn auth_status(world: &World) -> Value {
    let auth = authenticated(world);
    json!({
        "authenticated": auth,
        "competing": world.session.competing,
        "connected": true,
        "established": auth,
        "message": "",
        "MAC": MAC,
        "serverInfo": server_info(),
        "hardware_info": HARDWARE_INFO,
        "fail": "",
    })
}

/// `POST /tickle` (POST_tickle.json): session id, SSO expiry, hmds and the auth status.
pub(crate) async fn tickle(State(world): State<WorldHandle>) -> Response {
    let world = world.lock();
    let sso_expires = 3_600_000 - now_ms().rem_euclid(600_000);
    reply::ok(&json!({
        "session": world.session.id,
        "ssoExpires": sso_expires,
        "collission": false,
        "userId": USER_ID,
        "hmds": {"error": "no bridge"},
        "iserver": {
            "authStatus": {
                "authenticated": authenticated(&world),
                "competing": world.session.competing,
                "connected": true,
                "message": "",
                "MAC": MAC,
                "serverInfo": server_info(),
            }
        }
    }))
}

/// `POST /iserver/auth/status`.
pub(crate) async fn status(State(world): State<WorldHandle>) -> Response {
    let world = world.lock();
    reply::ok(&auth_status(&world))
}

/// Read a boolean from a JSON body or a form body (damian-ib sends `compete=false&publish=true`).
fn flag(body: &[u8], name: &str) -> Option<bool> {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return v.get(name).and_then(|f| match f {
            Value::Bool(b) => Some(*b),
            Value::String(s) => s.parse().ok(),
            _ => None,
        });
    }
    let text = String::from_utf8_lossy(body);
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k.trim() == name).then(|| v.trim().eq_ignore_ascii_case("true"))
    })
}

/// `POST /iserver/auth/ssodh/init` `{"publish":true,"compete":true}`: opens the brokerage
/// session. `publish:false` answers 500 (`client-portal-api.md` §2); `compete:false` while
/// another session competes leaves it competing.
pub(crate) async fn ssodh_init(State(world): State<WorldHandle>, body: Bytes) -> Response {
    if flag(&body, "publish") == Some(false) {
        return reply::error(500, "publish must be true");
    }
    let compete = flag(&body, "compete").unwrap_or(true);
    let mut world = world.lock();
    if world.session.competing && !compete {
        return reply::ok(&init_shape(&world));
    }
    if !world.session.brokerage || world.session.competing {
        world.begin_brokerage_session();
    }
    reply::ok(&init_shape(&world))
}

/// The ssodh/init answer (POST_iserver_auth_ssodh_init.json, `established` from the spec sample).
fn init_shape(world: &World) -> Value {
    let auth = authenticated(world);
    json!({
        "authenticated": auth,
        "competing": world.session.competing,
        "connected": true,
        "established": auth,
        "message": "",
        "MAC": MAC,
        "serverInfo": server_info(),
    })
}

/// `POST /iserver/reauthenticate`: legacy (cpapi-v1 marks it deprecated; ibind: use ssodh/init).
/// Opens the brokerage session like ssodh/init and answers `{"message":"triggered"}`
/// (cpapi-v1 "Re-authenticate the Brokerage Session": the answer only says the attempt was
/// triggered; `/iserver/auth/status` tells the outcome).
pub(crate) async fn reauthenticate(State(world): State<WorldHandle>) -> Response {
    let mut world = world.lock();
    if !world.session.brokerage || world.session.competing {
        world.begin_brokerage_session();
    }
    reply::ok(&json!({"message": "triggered"}))
}

/// `POST /logout` → `{"status":true}`; every later request answers 401.
pub(crate) async fn logout(State(world): State<WorldHandle>) -> Response {
    let mut world = world.lock();
    world.session.logged_in = false;
    world.end_brokerage_session();
    reply::ok(&json!({"status": true}))
}

/// `GET /sso/validate` (GET_sso_validate.json).
pub(crate) async fn validate(State(_world): State<WorldHandle>) -> Response {
    let now = now_ms();
    reply::ok(&json!({
        "USER_ID": USER_ID,
        "USER_NAME": USER_NAME,
        "RESULT": true,
        "AUTH_TIME": now - 60_000,
        "SF_ENABLED": false,
        "IS_FREE_TRIAL": false,
        "CREDENTIAL": USER_NAME,
        "IP": "127.0.0.1",
        "EXPIRES": 415890,
        "QUALIFIED_FOR_MOBILE_AUTH": null,
        "LANDING_APP": "UNIVERSAL",
        "IS_MASTER": false,
        "lastAccessed": now,
        "LOGIN_TYPE": 2,
        "PAPER_USER_NAME": USER_NAME,
        "features": {
            "env": "PROD",
            "wlms": true,
            "realtime": true,
            "bond": true,
            "optionChains": true,
            "calendar": true,
            "newMf": true,
        },
        "region": "NJ",
    }))
}
