//! Building responses: JSON bodies, IBKR's error shapes, empty statuses.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::json;

/// A JSON response with this status.
pub(crate) fn json(status: u16, body: &(impl Serialize + ?Sized)) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    resp
}

/// 200 with a JSON body.
pub(crate) fn ok(body: &(impl Serialize + ?Sized)) -> Response {
    json(200, body)
}

/// A status with an empty body (429 and 401 look like this; `client-portal-api.md` §1, §8).
pub(crate) fn empty(status: u16) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp
}

/// `{"error": text}` with this status.
pub(crate) fn error(status: u16, text: &str) -> Response {
    json(status, &json!({ "error": text }))
}

/// `{"error": text, "statusCode": status}`: the gateway's bad-request shape
/// (ERROR_400_no_bridge__ibind_issue44.json).
pub(crate) fn bad_request(status: u16, text: &str) -> Response {
    json(status, &json!({ "error": text, "statusCode": status }))
}

/// 400 `{"error":"Bad Request: no bridge","statusCode":400}` (ERROR_400_no_bridge__ibind_issue44.json).
pub(crate) fn no_bridge() -> Response {
    bad_request(400, "Bad Request: no bridge")
}

/// An XML response (the Flex service).
pub(crate) fn xml(body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml;charset=utf-8"),
    );
    resp
}

/// An HTML error page with status 200, as a proxy or a confused gateway might send.
pub(crate) fn html_error_page() -> Response {
    let page = "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Service temporarily unavailable</h1><p>Please try again later.</p></body></html>";
    let mut resp = Response::new(Body::from(page));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html;charset=utf-8"),
    );
    resp
}

/// 400 for a required parameter the request lacks (the gateway's bad-request shape).
pub(crate) fn missing(name: &str) -> Response {
    bad_request(400, &format!("Bad Request: {name} is required"))
}

/// 400 for an account id the user does not hold.
pub(crate) fn unknown_account(account: &str) -> Response {
    bad_request(400, &format!("Bad Request: unknown account {account}"))
}

/// 400 for a request body that is not the JSON object the endpoint reads.
pub(crate) fn malformed_body() -> Response {
    bad_request(400, "Bad Request: malformed request body")
}
