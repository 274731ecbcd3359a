//! The gate every request passes: record it, pace it, delay it, inject faults, check the session.
//!
//! A request to a proxied path while the `upstream_unreachable` fault is on is recorded and
//! then never answered. Otherwise, order of checks: a request first invalidates any pending order reply (cpapi-v1: "Submitting
//! other orders or other requests will cancel the order"), then pacing (429 with an empty body),
//! then latency, then injected faults, then the session (401 when logged out, 400 no bridge for
//! `/iserver/*` without a brokerage session; `client-portal-api.md` §2).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::reply;
use crate::faults::Fault;
use crate::journal::{OrderOutcome, RecordedRequest};
use crate::lock::lock;
use crate::pacing::Admission;
use crate::server::api_path;
use crate::shared::Shared;

/// The largest request body the simulator reads.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// `/iserver` paths that work without a brokerage session.
fn needs_no_bridge(path: &str) -> bool {
    matches!(
        path,
        "/iserver/auth/status" | "/iserver/auth/ssodh/init" | "/iserver/reauthenticate"
    )
}

/// Whether the real gateway proxies this path to IBKR (everything but its own `GET /` and
/// `/demo`): the API under `/v1/api`, the account-management API under `/gw/api` and the
/// login pages under `/sso`. The Flex service is another host and is not affected.
fn proxied(full_path: &str) -> bool {
    full_path.starts_with("/v1/api")
        || full_path.starts_with("/gw/api")
        || full_path.starts_with("/sso/")
}

fn finish(shared: &Shared, index: usize, resp: Response) -> Response {
    shared
        .world
        .lock()
        .journal
        .set_status(index, resp.status().as_u16());
    resp
}

/// Cut a response body in half (the `MalformedJson` fault).
async fn truncated(resp: Response) -> Response {
    let (parts, body) = resp.into_parts();
    let bytes = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let half = bytes.slice(0..bytes.len() / 2);
    let mut out = Response::from_parts(parts, Body::from(half));
    out.headers_mut().remove(http::header::CONTENT_LENGTH);
    out
}

/// Merge the `Amend` faults' fields into a JSON answer (one that is not JSON is left alone).
async fn amended(resp: Response, patches: &[&serde_json::Value]) -> Response {
    let (parts, body) = resp.into_parts();
    let bytes = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    for p in patches {
        crate::faults::merge(&mut json, p);
    }
    let mut out = Response::from_parts(parts, Body::from(json.to_string()));
    out.headers_mut().remove(http::header::CONTENT_LENGTH);
    out
}

/// The middleware around every route.
pub(crate) async fn front_desk(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let method = parts.method.as_str().to_string();
    let (gateway, path) = api_path(parts.uri.path());
    let path = path.to_string();
    let index = {
        let mut world = shared.world.lock();
        let is_reply = method == "POST" && path.starts_with("/iserver/reply/");
        if gateway && !is_reply {
            world.drop_pending(OrderOutcome::Invalidated);
        }
        world.journal.record(RecordedRequest {
            method: method.clone(),
            path: path.clone(),
            query: parts.uri.query().map(str::to_string),
            body: if parts.uri.path().starts_with("/sso/") {
                // The login form: the password and the code never reach the journal.
                crate::login::redact(&bytes)
            } else {
                String::from_utf8_lossy(&bytes).into_owned()
            },
            at: SystemTime::now(),
            status: None,
        })
    };
    if shared.upstream_unreachable.load(Ordering::SeqCst) && proxied(parts.uri.path()) {
        // The real gateway, cut off from IBKR, never completes a proxied request and keeps
        // the connection open (`gateway.md` §3: one held 590 s). So does the simulator: the
        // request stays in the journal with no status.
        tracing::debug!(%method, %path, "upstream unreachable: holding the request");
        std::future::pending::<()>().await;
    }
    // DESIGN.md wire facts: a body-less POST must carry `Content-Length: 0`, else 411.
    let has_length = parts.headers.contains_key(http::header::CONTENT_LENGTH)
        || parts.headers.contains_key(http::header::TRANSFER_ENCODING);
    if gateway && method == "POST" && !has_length {
        return finish(&shared, index, reply::empty(411));
    }
    let faults = lock(&shared.faults).take(&method, &path);

    let slot = if gateway {
        let verdict = lock(&shared.pacer).admit(&method, &path, Instant::now());
        match verdict {
            Admission::Admitted(slot) => slot,
            Admission::Throttled => {
                shared.world.lock().journal.count_throttled(&path);
                tracing::debug!(%method, %path, "429: pacing limit");
                return finish(&shared, index, reply::empty(429));
            }
        }
    } else {
        None
    };

    let mut delay = *lock(&shared.latency);
    for f in &faults {
        if let Fault::Latency(d) = f {
            delay += *d;
        }
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }

    let mut truncate = false;
    for f in &faults {
        match f {
            Fault::Status(code) => return finish(&shared, index, reply::empty(*code)),
            Fault::Html => return finish(&shared, index, reply::html_error_page()),
            Fault::MalformedJson => truncate = true,
            Fault::Drop | Fault::Latency(_) | Fault::SlowAnswer(_) | Fault::Amend(_) => {}
        }
    }

    if gateway {
        let (logged_in, brokerage) = {
            let world = shared.world.lock();
            // A competing session holds the bridge (`client-portal-api.md` §2, "competing").
            (
                world.session.logged_in,
                world.session.brokerage && !world.session.competing,
            )
        };
        if !logged_in {
            return finish(&shared, index, reply::empty(401));
        }
        if path.starts_with("/iserver/") && !brokerage && !needs_no_bridge(&path) {
            return finish(&shared, index, reply::no_bridge());
        }
    }

    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    drop(slot);
    for f in &faults {
        if let Fault::SlowAnswer(d) = f {
            tokio::time::sleep(*d).await;
        }
    }
    let patches: Vec<&serde_json::Value> = faults
        .iter()
        .filter_map(|f| match f {
            Fault::Amend(v) => Some(v),
            _ => None,
        })
        .collect();
    let resp = if patches.is_empty() {
        resp
    } else {
        amended(resp, &patches).await
    };
    let resp = if truncate {
        truncated(resp).await
    } else {
        resp
    };
    finish(&shared, index, resp)
}
