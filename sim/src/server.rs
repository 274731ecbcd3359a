//! The accept loop: TLS (or not), one hyper HTTP/1.1 connection per client, the router behind.
//!
//! The IP allow-list is applied here, per connection, to the TCP peer address: a refused
//! client's requests never reach the router. Connection drops (`Fault::Drop`) happen here
//! too, before routing, by failing the service call, which makes hyper close the connection
//! without an answer.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::access::Verdict;
use crate::faults::Fault;
use crate::journal::{RecordedRequest, RefusedRequest};
use crate::lock::lock;
use crate::shared::Shared;

/// The error that makes hyper drop a connection on purpose.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropConnection {}

/// The path under `/v1/api` for gateway requests, the full path otherwise.
pub(crate) fn api_path(full: &str) -> (bool, &str) {
    match full.strip_prefix("/v1/api") {
        Some("") => (true, "/"),
        Some(rest) if rest.starts_with('/') => (true, rest),
        _ => (false, full),
    }
}

/// Remove one trailing slash (ibind calls `iserver/account/trades/`; ibind-anchor §1 #46).
fn without_trailing_slash(mut req: http::Request<Body>) -> http::Request<Body> {
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let rebuilt = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_string(),
        };
        if let Ok(uri) = rebuilt.parse() {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// Whether a `Fault::Drop` applies; consumes the fault and records the request if so.
fn drop_requested(shared: &Shared, method: &str, full_path: &str, query: Option<&str>) -> bool {
    let (_, path) = api_path(full_path);
    let mut faults = lock(&shared.faults);
    // Only consume counted rules when a Drop is among them; other faults are left for the router.
    let peek: Vec<Fault> = faults.peek(method, path);
    if !peek.contains(&Fault::Drop) {
        return false;
    }
    faults.take(method, path);
    drop(faults);
    shared.world.lock().journal.record(RecordedRequest {
        method: method.to_string(),
        path: path.to_string(),
        query: query.map(str::to_string),
        body: String::new(),
        at: SystemTime::now(),
        status: None,
    });
    true
}

/// Answer every request of a client the allow-list refused: `404` with the 13-byte body
/// `Access Denied` and no content type (or `500` when a broken entry was reached), whatever
/// the path, WebSocket upgrades and `/sso` included (`gateway.md` §2 "ips").
async fn serve_refused<I>(io: I, shared: Arc<Shared>, peer: IpAddr, verdict: Verdict)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
        let shared = Arc::clone(&shared);
        async move {
            let (status, body) = match verdict {
                Verdict::Broken => (500, "Internal Server Error"),
                Verdict::Admit | Verdict::Refuse => (404, "Access Denied"),
            };
            shared.world.lock().journal.refused.push(RefusedRequest {
                peer,
                method: req.method().as_str().to_string(),
                path: req.uri().path().to_string(),
                status,
                at: SystemTime::now(),
            });
            tracing::debug!(%peer, "ipv4 address {peer} is forbidden");
            let mut resp = http::Response::new(Body::from(body));
            *resp.status_mut() =
                http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::NOT_FOUND);
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    if let Err(e) = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service)
        .await
    {
        tracing::debug!(error = %e, "refused connection ended with an error");
    }
}

/// Serve one accepted connection: the router, or the allow-list's refusal.
async fn serve<I>(io: I, app: Router, shared: Arc<Shared>, peer: IpAddr)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    match shared.access.check(peer) {
        Verdict::Admit => serve_connection(io, app, shared).await,
        verdict => serve_refused(io, shared, peer, verdict).await,
    }
}

async fn serve_connection<I>(io: I, app: Router, shared: Arc<Shared>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
        let app = app.clone();
        let shared = Arc::clone(&shared);
        async move {
            if drop_requested(
                &shared,
                req.method().as_str(),
                req.uri().path(),
                req.uri().query(),
            ) {
                return Err(DropConnection);
            }
            let req = without_trailing_slash(req.map(Body::new));
            let resp = match app.oneshot(req).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            };
            // Any answered request may have changed the world (an order, a login): open
            // sockets look at it now rather than polling.
            shared.ws.world_changed();
            Ok(resp)
        }
    });
    if let Err(e) = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service)
        .with_upgrades()
        .await
    {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// Accept connections until `shutdown` flips (or its sender is dropped).
pub(crate) async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections: JoinSet<()> = JoinSet::new();
    loop {
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                tracing::trace!(%peer, "accepted");
                let app = app.clone();
                let shared = Arc::clone(&shared);
                let tls = tls.clone();
                connections.spawn(async move {
                    match tls {
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(stream) => serve(TokioIo::new(stream), app, shared, peer.ip()).await,
                            Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
                        },
                        None => serve(TokioIo::new(stream), app, shared, peer.ip()).await,
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}
