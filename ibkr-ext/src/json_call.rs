//! The path for the few calls whose request body the generated builders cannot carry: an
//! order ticket is a JSON object with IBKR's open set of fields (the generated body types
//! close it), and `suppress` takes any messageId, not just the ones the schema lists. The
//! request is built by hand and sent through the same [`Wire`](ibkr_gen::wire::Wire) as the
//! generated methods (lane, pacing, signing, retries of idempotent calls, recovery,
//! tracing); the answer is decoded into the operation's generated response type, the one
//! the contract tests prove against IBKR's recorded answers. Every other call goes through
//! a generated builder ([`Ibkr::send`]).

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
            .core()
            .guarded(
                operation,
                self.json_bytes(operation, method, path, query, body),
            )
            .await??;
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
            operation,
            status: 200,
            reason: e.to_string(),
            excerpt: excerpt(&bytes),
        })
    }

    /// Send one operation of the trading API by its operationId, its path already filled in
    /// (relative to the API root, e.g. `/portfolio/DU1234567/ledger`), and return the success
    /// body as it came, undecoded. It goes through the session like every generated call:
    /// the order lane, pacing and the slow limits of `operation`, retries only when the
    /// operation may be repeated, recovery. For tools that record answers (`ibkr capture`);
    /// a program uses the generated builders ([`Ibkr::send`]), which decode.
    pub async fn send_undecoded(
        &self,
        operation: &'static str,
        method: &str,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Vec<u8>> {
        let invalid = |reason: String| Error::InvalidRequest { operation, reason };
        if ibkr_gen::operations::find(operation).is_none() {
            return Err(invalid(format!("{operation:?} is not an operationId")));
        }
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| invalid(format!("{method:?} is not an HTTP method")))?;
        let bytes = self
            .core()
            .guarded(
                operation,
                self.json_bytes(operation, method, path, query, body),
            )
            .await??;
        Ok(bytes.to_vec())
    }

    async fn json_bytes(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<bytes::Bytes> {
        // The wire paces, retries and recovers by operationId; a name it does not know is
        // sent as an unknown, unsafe operation. A typo here must not pass the tests.
        debug_assert!(
            ibkr_gen::operations::find(operation).is_some(),
            "json_call: {operation:?} is not an operationId"
        );
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

/// A number the generated types carry as a number or as text (`LooseScalar`).
pub(crate) fn loose_number(v: &ibkr_gen::trading::types::LooseScalar) -> Option<f64> {
    match v {
        ibkr_gen::trading::types::LooseScalar::Number(n) => Some(*n),
        ibkr_gen::trading::types::LooseScalar::String(s) => s.trim().replace(',', "").parse().ok(),
    }
}
