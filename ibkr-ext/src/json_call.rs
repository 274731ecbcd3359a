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
        if !response.status().is_success() {
            let err = Error::from_response(operation, response, self.login_url()).await;
            return Err(self.noted(err));
        }
        response
            .bytes()
            .await
            .map_err(|e| Error::from_reqwest(operation, e))
    }

    /// Take note of what an error says about the session (a 401: logged out), and pass it on.
    pub(crate) fn noted(&self, err: Error) -> Error {
        self.core().noted(err)
    }
}

/// A JSON value IBKR sends as text or as a number, as text.
pub(crate) fn json_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A JSON value IBKR sends as a number or as text (`"1,300"`), as a number.
pub(crate) fn json_number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', "").parse().ok(),
        _ => None,
    }
}
