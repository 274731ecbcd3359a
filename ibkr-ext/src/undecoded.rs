//! One operation sent by its table entry, its answer returned undecoded: for tools that
//! record what IBKR says (`ibkr capture`). A program uses the generated builders
//! ([`Ibkr::send`]), which decode.
//!
//! The request takes the same path as every generated call: the session's guard, the
//! [`Wire`](ibkr_gen::wire::Wire) (order lane, pacing and the slow limits of the operation,
//! signing, retries only where the operation may be repeated, recovery, tracing). The
//! operation is a [`&'static Operation`](Operation) from the generated table, never a
//! string, and the path parameters are percent-encoded into the operation's own template,
//! so a value cannot move the call to another path.

use ibkr_gen::operations::Operation;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use progenitor_client::ClientInfo;
use reqwest::Method;
use serde_json::Value;

use crate::Ibkr;
use crate::error::{Error, Result};

impl Ibkr {
    /// Send `op` with `path` parameters (by name, filled into its template), `query` and an
    /// optional JSON body, through the session; the success body as it came.
    pub async fn send_undecoded(
        &self,
        op: &'static Operation,
        path: &[(&str, String)],
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Vec<u8>> {
        let url = self.raw().baseurl().to_string() + &fill(op, path)?;
        let bytes = self
            .core()
            .guarded(op.id, self.undecoded(op, url, query, body))
            .await??;
        Ok(bytes.to_vec())
    }

    async fn undecoded(
        &self,
        op: &'static Operation,
        url: String,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<bytes::Bytes> {
        let raw = self.raw();
        let method =
            Method::from_bytes(op.method.as_bytes()).map_err(|_| Error::InvalidRequest {
                operation: op.id,
                reason: format!("{:?} is not an HTTP method", op.method),
            })?;
        let mut builder = raw.client().request(method, url);
        if !query.is_empty() {
            builder = builder.query(query);
        }
        if let Some(b) = body {
            builder = builder.json(b);
        }
        let mut request = builder.build().map_err(|e| Error::from_reqwest(op.id, e))?;
        let wire = raw.wire();
        wire.prepare(&mut request);
        let response = wire
            .execute(raw.client(), request, op.id)
            .await
            .map_err(|e| Error::from_reqwest(op.id, e))?;
        if !response.status().is_success() {
            let err = Error::from_response(op.id, response, self.login_url()).await;
            return Err(self.core().noted(err));
        }
        response
            .bytes()
            .await
            .map_err(|e| Error::from_reqwest(op.id, e))
    }
}

/// `op`'s path template with every `{name}` replaced by its value, percent-encoded as one
/// segment; a missing, empty, `.` or `..` value is refused.
fn fill(op: &'static Operation, params: &[(&str, String)]) -> Result<String> {
    let invalid = |reason: String| Error::InvalidRequest {
        operation: op.id,
        reason,
    };
    let mut path = op.path.to_string();
    for (name, value) in params {
        let slot = format!("{{{name}}}");
        if !path.contains(&slot) {
            return Err(invalid(format!(
                "{} has no path parameter `{name}`",
                op.path
            )));
        }
        if matches!(value.as_str(), "" | "." | "..") {
            return Err(invalid(format!("`{name}` cannot be {value:?}")));
        }
        let encoded = utf8_percent_encode(value, NON_ALPHANUMERIC).to_string();
        path = path.replace(&slot, &encoded);
    }
    if let Some(open) = path.find('{') {
        return Err(invalid(format!("no value for {}", &path[open..])));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(id: &str) -> &'static Operation {
        ibkr_gen::operations::find(id).expect(id)
    }

    #[test]
    fn path_values_stay_inside_their_segment() {
        let ledger = op("getAccountLedger");
        assert_eq!(
            fill(ledger, &[("accountId", "DU1234567".into())]).unwrap(),
            ledger.path.replace("{accountId}", "DU1234567")
        );
        let moved = fill(ledger, &[("accountId", "1/../../logout".into())]).unwrap();
        assert!(!moved.contains("/../"), "{moved}");
        assert!(moved.contains("1%2F%2E%2E%2F%2E%2E%2Flogout"), "{moved}");
        for bad in ["", ".", ".."] {
            assert!(
                fill(ledger, &[("accountId", bad.into())]).is_err(),
                "{bad:?}"
            );
        }
        assert!(fill(ledger, &[]).is_err(), "a missing value");
        assert!(
            fill(ledger, &[("conid", "1".into())]).is_err(),
            "an unknown name"
        );
    }
}
