//! `--http ADDR`: the streamable HTTP transport at `/mcp`.
//!
//! Loopback addresses only, unless `--bind-public` is given with `--bearer-token-file`;
//! then every request must carry `Authorization: Bearer <token>` (compared in constant
//! time), and the `Host` check of rmcp (DNS rebinding protection) is opened to any host
//! because the token guards the door. Every HTTP session shares the one server state:
//! one IBKR session, one set of confirmations, one order budget, one audit file.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use ibkr_ext::Secret;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::IbkrMcp;
use crate::failure::{self, Failure};

/// Refuse a non-loopback address without `--bind-public` and a token file.
pub fn check_bind(
    addr: SocketAddr,
    public: bool,
    token_file: Option<&Path>,
) -> Result<(), Failure> {
    if addr.ip().is_loopback() {
        return Ok(());
    }
    if !public || token_file.is_none() {
        return Err(Failure::usage(format!(
            "--http {addr} is not a loopback address: the server would be reachable from other machines. \
             Use 127.0.0.1:PORT, or add --bind-public --bearer-token-file FILE"
        )));
    }
    Ok(())
}

/// Read the bearer token (trimmed); an empty or short file is refused.
pub fn read_token(path: &Path) -> Result<Secret, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("--bearer-token-file {}: {e}", path.display())))?;
    let token = text.trim();
    if token.len() < 16 {
        return Err(Failure::usage(format!(
            "--bearer-token-file {}: the token must be at least 16 characters",
            path.display()
        )));
    }
    Ok(Secret::new(token.to_string()))
}

/// The axum app: `/mcp`, behind the bearer check when there is a token.
pub fn app(server: IbkrMcp, token: Option<Secret>) -> axum::Router {
    let mut config = StreamableHttpServerConfig::default();
    if token.is_some() {
        config = config.disable_allowed_hosts();
    }
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let router = axum::Router::new().nest_service("/mcp", service);
    match token {
        Some(t) => router.layer(middleware::from_fn_with_state(Arc::new(t), bearer)),
        None => router,
    }
}

async fn bearer(State(token): State<Arc<Secret>>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let expected = token.expose().as_bytes();
    let same = given.len() == expected.len()
        && subtle::ConstantTimeEq::ct_eq(given.as_bytes(), expected).into();
    if !same {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a bearer token is required (Authorization: Bearer ...)\n",
        )
            .into_response();
    }
    next.run(request).await
}

/// Serve until Ctrl-C.
pub async fn serve(
    server: IbkrMcp,
    addr: SocketAddr,
    token_file: Option<&Path>,
) -> Result<(), Failure> {
    let token = token_file.map(read_token).transpose()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::new(failure::GENERAL, format!("--http {addr}: {e}")))?;
    let local = listener.local_addr().unwrap_or(addr);
    note!("ibkr mcp: streamable HTTP at http://{local}/mcp");
    axum::serve(listener, app(server, token))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| Failure::new(failure::GENERAL, format!("--http {addr}: {e}")))
}
