//! The Flex Web Service: `SendRequest` and `GetStatement` (`flex-web-service.md` §1).
//!
//! Quirks: 1019 for the first `pending_polls` polls, 1018 when one token polls faster than
//! `min_interval`, 1012/1015 for expired/unknown tokens, 1014 for an unknown query, 1017 for an
//! unknown reference code; every answer is HTTP 200. The legacy servlet paths answer 1001
//! (they do so for every call since May 2026, ibflex PR #108).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Query, State};
use axum::response::Response;

use super::params;
use super::reply;
use crate::flex::envelope::{FlexCode, failure, success};
use crate::flex::statement;
use crate::shared::Shared;
use crate::world::World;

/// Token checks shared by both calls: 1012, 1015, then the per-token pace (1018).
fn admit_token(world: &mut World, token: Option<&String>) -> Result<(), FlexCode> {
    let Some(token) = token.map(|t| t.trim()).filter(|t| !t.is_empty()) else {
        return Err(FlexCode::InvalidRequest);
    };
    let config = &world.settings.flex;
    if config.expired_token.as_deref() == Some(token) {
        return Err(FlexCode::TokenExpired);
    }
    if config.token != token {
        return Err(FlexCode::TokenInvalid);
    }
    let now = Instant::now();
    let min = config.min_interval;
    if let Some(last) = world.flex.last_request.get(token)
        && now.duration_since(*last) < min
    {
        return Err(FlexCode::TooManyRequests);
    }
    world.flex.last_request.insert(token.to_string(), now);
    Ok(())
}

/// `GET .../SendRequest?t=TOKEN&q=QUERY_ID&v=3`.
pub(crate) async fn send_request(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<params::Query>,
) -> Response {
    let mut world = shared.world.lock();
    if let Err(code) = admit_token(&mut world, q.get("t")) {
        return reply::xml(failure(code));
    }
    if q.get("q").map(|s| s.trim()) != Some(world.settings.flex.query_id.as_str()) {
        return reply::xml(failure(FlexCode::QueryInvalid));
    }
    let code = world.ids.reference_code();
    world.flex.references.insert(code.clone(), 0);
    let url = shared
        .urls
        .get()
        .map(|u| format!("{}/GetStatement", u.flex_base))
        .unwrap_or_default();
    reply::xml(success(&code, &url))
}

/// `GET .../GetStatement?t=TOKEN&q=REFERENCE_CODE&v=3`.
pub(crate) async fn get_statement(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<params::Query>,
) -> Response {
    let mut world = shared.world.lock();
    if let Err(code) = admit_token(&mut world, q.get("t")) {
        return reply::xml(failure(code));
    }
    let reference = q.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    let pending = world.settings.flex.pending_polls;
    let Some(polls) = world.flex.references.get_mut(&reference) else {
        return reply::xml(failure(FlexCode::ReferenceInvalid));
    };
    if *polls < pending {
        *polls += 1;
        return reply::xml(failure(FlexCode::InProgress));
    }
    let account = world.primary_account().to_string();
    let name = world.settings.flex.query_name.clone();
    let (desk, mut env) = world.trade();
    reply::xml(statement::build(desk, &mut env, &account, &name))
}

/// The legacy `/Universal/servlet/FlexStatementService.*` paths: always 1001.
pub(crate) async fn legacy() -> Response {
    reply::xml(failure(FlexCode::CouldNotGenerate))
}
