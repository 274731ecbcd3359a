//! The gateway's own pages: `GET /` (the redirect to the login page) and IBKR's login page at
//! `/sso/Login` (`crate::login` plays it).

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{OriginalUri, Query, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::reply;
use crate::login::{self, Form, LoginRoom, page};

/// Where `GET /` sends a browser (`gateway.md` §3: the real gateway, `ip2loc` from conf.yaml).
pub(crate) const LOGIN_REDIRECT: &str = "/sso/Login?forwardTo=22&RL=1&ip2loc=US";

/// `GET /` → `302` to the login page, as the real gateway answers (also without a session and
/// without upstream: a local route).
pub(crate) async fn root() -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::FOUND;
    resp.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(LOGIN_REDIRECT));
    resp
}

fn html(body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html;charset=utf-8"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// The form's `action`: `/sso/Login` with the query the page was opened with.
fn action(uri: &http::Uri) -> String {
    match uri.query() {
        Some(q) => format!("/sso/Login?{q}"),
        None => "/sso/Login".to_string(),
    }
}

/// `GET /sso/Login`: the credentials form (after the `page_delay` fault, if set).
pub(crate) async fn login_page(
    State(room): State<LoginRoom>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let (delay, changed) = {
        let desk = room.desk.lock();
        (desk.faults.page_delay, desk.faults.changed_selectors)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    html(page::login_page(page::selectors(changed), &action(&uri)))
}

/// `POST /sso/Login`: credentials, or a second-factor code (with the hidden `loginId`).
/// Answers the next step as a whole page, or as JSON for the page's script
/// (`Accept: application/json`).
pub(crate) async fn login_submit(
    State(room): State<LoginRoom>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    let step = match form.get(&[page::LOGIN_ID_FIELD]) {
        Some(id) => {
            let code = form.get(page::CODE_FIELDS).unwrap_or("").to_string();
            login::submit_code(&room, id, &code)
        }
        None => login::submit_credentials(&room, &form),
    };
    let changed = room.desk.lock().faults.changed_selectors;
    let s = page::selectors(changed);
    let action = action(&uri);
    if wants_json(&headers) {
        reply::ok(&page::step_json(s, &step, &action))
    } else {
        html(page::step_page(s, &step, &action))
    }
}

/// `GET /sso/Login/push?loginId=…`: where a push login stands (`approved`, `pending`,
/// `expired`). JSON for the page's script; otherwise the page of that step.
pub(crate) async fn push_status(
    State(room): State<LoginRoom>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let id = query
        .get(page::LOGIN_ID_FIELD)
        .map(String::as_str)
        .unwrap_or("");
    let status = login::push_status(&room, id);
    let changed = room.desk.lock().faults.changed_selectors;
    let s = page::selectors(changed);
    let step = match status {
        "approved" => login::Step::Success,
        "pending" => login::Step::Push {
            login_id: id.to_string(),
        },
        _ => login::Step::Error {
            message: login::EXPIRED.to_string(),
            username: String::new(),
            paper: false,
        },
    };
    if wants_json(&headers) {
        let html = (status == "approved").then(|| page::success(s));
        reply::ok(&serde_json::json!({"status": status, "html": html}))
    } else {
        html(page::step_page(s, &step, "/sso/Login"))
    }
}
