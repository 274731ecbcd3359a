//! The JSON path the workflows use: a request built by hand, sent through the same
//! [`Wire`](ibkr_gen::wire::Wire) as the generated methods (pacing, the order gate,
//! retries of idempotent calls, recovery, tracing), and decoded into this crate's own
//! domain types.
//!
//! Why not the generated response types here: IBKR answers some endpoints with several
//! unrelated shapes under one status (an order POST returns acknowledgements, questions,
//! `{"error": ...}` or a server prompt, all with HTTP 200). A workflow must see exactly
//! which shape arrived, so it reads the JSON itself.

use progenitor_client::ClientInfo;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Ibkr;
use crate::error::{Error, Result, excerpt};
use crate::session::{self, SessionState};

impl Ibkr {
    /// Send `method path?query` with an optional JSON body as `operation` and decode the
    /// success body into `T`.
    pub(crate) async fn json_call<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<T> {
        let bytes = self
            .json_bytes(operation, method, path, query, body)
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
            operation,
            status: 200,
            reason: e.to_string(),
            excerpt: excerpt(&bytes),
        })
    }

    async fn json_bytes(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<bytes::Bytes> {
        let raw = self.raw();
        let url = format!("{}{}", raw.baseurl(), path);
        let mut builder = raw.client().request(method, url);
        if !query.is_empty() {
            builder = builder.query(query);
        }
        if let Some(b) = body {
            builder = builder.json(b);
        }
        let mut request = builder
            .build()
            .map_err(|e| Error::from_reqwest(operation, e))?;
        let wire = raw.wire();
        wire.prepare(&mut request);
        let response = wire
            .execute(raw.client(), request, operation)
            .await
            .map_err(|e| Error::from_reqwest(operation, e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
            .map(std::time::Duration::from_secs);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Error::from_reqwest(operation, e))?;
        if status.is_success() {
            return Ok(bytes);
        }
        let err = Error::from_status(
            operation,
            status.as_u16(),
            retry_after,
            &bytes,
            &self.inner.login_url,
        );
        if matches!(err, Error::NotAuthenticated { .. }) {
            session::publish(&self.inner.session, SessionState::default());
        }
        Err(err)
    }
}
