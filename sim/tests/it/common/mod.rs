//! Shared test helpers: start a simulator, talk to it with reqwest, compare shapes with fixtures.
#![allow(dead_code)]

use std::sync::Arc;

use ibkr_sim::{Gateway, GatewayBuilder, Limits, RunningGateway};
use serde_json::Value;

/// A reqwest client with the ring provider; trusts only `pem` when given.
pub fn client(pem: Option<&str>) -> reqwest::Client {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    if let Some(pem) = pem {
        for der in rustls_pemfile_certs(pem) {
            roots.add(der).expect("add pinned certificate");
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .build()
        .expect("client")
}

/// Decode the base64 bodies of the PEM certificates in `pem`.
fn rustls_pemfile_certs(pem: &str) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
        .filter_map(Result::ok)
        .collect()
}

/// A started simulator and a client for it.
pub struct Sim {
    pub gw: RunningGateway,
    pub http: reqwest::Client,
}

/// A plain-HTTP simulator without pacing, brokerage session open.
pub async fn sim() -> Sim {
    sim_with(
        Gateway::builder()
            .plain_http()
            .brokerage_session(true)
            .limits(Limits::unlimited()),
    )
    .await
}

pub async fn sim_with(builder: GatewayBuilder) -> Sim {
    let gw = builder.start().await.expect("start simulator");
    let http = client(gw.cert_pem().as_deref());
    Sim { gw, http }
}

/// A response: status and body (JSON if it parses, else `Value::String` of the text).
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

impl Sim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gw.base_url())
    }

    async fn read(resp: reqwest::Response) -> Answer {
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
        Answer { status, body, text }
    }

    pub async fn get(&self, path: &str) -> Answer {
        let resp = self.http.get(self.url(path)).send().await.expect("GET");
        Self::read(resp).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        let resp = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("POST");
        Self::read(resp).await
    }

    pub async fn post_empty(&self, path: &str) -> Answer {
        let resp = self
            .http
            .post(self.url(path))
            .header("content-length", "0")
            .send()
            .await
            .expect("POST");
        Self::read(resp).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        let resp = self
            .http
            .delete(self.url(path))
            .send()
            .await
            .expect("DELETE");
        Self::read(resp).await
    }

    /// Any method, with a raw body (JSON or not) and `Content-Length`.
    pub async fn send(&self, method: &str, path: &str, body: &str) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let resp = self
            .http
            .request(method, self.url(path))
            .header("content-type", "application/json")
            .header("content-length", body.len().to_string())
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        Self::read(resp).await
    }

    /// PUT with a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send("PUT", path, &body.to_string()).await
    }

    /// A request to the server root (outside `/v1/api`), e.g. `/gw/api/v1/...`.
    pub async fn get_root(&self, path: &str) -> Answer {
        let root = self.gw.base_url().trim_end_matches("/v1/api").to_string();
        let resp = self
            .http
            .get(format!("{root}{path}"))
            .send()
            .await
            .expect("GET");
        Self::read(resp).await
    }

    /// GET on the Flex service.
    pub async fn flex(&self, call: &str, query: &str) -> String {
        let url = format!("{}/{call}?{query}", self.gw.flex_base_url());
        let resp = self.http.get(url).send().await.expect("flex");
        resp.text().await.unwrap_or_default()
    }

    /// Place one order and return the answer.
    pub async fn place(&self, order: Value) -> Answer {
        self.post(
            "/iserver/account/DU1234567/orders",
            serde_json::json!({ "orders": [order] }),
        )
        .await
    }

    /// Place one order, confirming every question; returns the final answer.
    pub async fn place_confirming(&self, order: Value) -> Answer {
        let mut answer = self.place(order).await;
        for _ in 0..10 {
            let Some(id) = answer.body[0]["id"].as_str().map(str::to_string) else {
                return answer;
            };
            answer = self
                .post(
                    &format!("/iserver/reply/{id}"),
                    serde_json::json!({"confirmed": true}),
                )
                .await;
        }
        answer
    }

    /// Request a snapshot twice (pre-flight, then data) so the conid has market data.
    pub async fn warm(&self, conid: u64) -> Answer {
        let path = format!("/iserver/marketdata/snapshot?conids={conid}&fields=31,84,86");
        self.get(&path).await;
        self.get(&path).await
    }
}

/// Read a JSON body from the workspace's one collection of captures, `tests/fixtures/` (its
/// `SOURCES.md` gives each file's provenance): `responses/<operationId>/<name>.json` or
/// `errors/<status>_<what>.json`.
pub fn fixture(path: &str) -> Value {
    let full = format!("{}/../tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// Read a file of the simulator's own fixtures (`sim/tests/fixtures/`: the Flex samples).
pub fn fixture_text(path: &str) -> String {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Check that `actual` has the shape of the real sample `sample`: every field of the sample is
/// present with the same JSON type (a `null` in the sample accepts anything; an integer in the
/// sample needs an integer; a float accepts any number). Objects listed in `dynamic` (by key
/// name) are maps keyed by ids: each value is checked against the sample's first value.
pub fn assert_shape(actual: &Value, sample: &Value, dynamic: &[&str]) {
    let mut problems = Vec::new();
    walk(actual, sample, "$", dynamic, false, &mut problems);
    assert!(
        problems.is_empty(),
        "shape differs from the real sample:\n{}\nactual: {}",
        problems.join("\n"),
        serde_json::to_string_pretty(actual).unwrap_or_default()
    );
}

/// The elements of a sample array folded into one: the first element's fields, with a field
/// relaxed to `null` (anything goes) when another element of the real sample has it `null`.
fn merged(items: &[Value]) -> Option<Value> {
    let mut first = items.first()?.clone();
    if let Value::Object(base) = &mut first {
        for other in &items[1..] {
            if let Value::Object(o) = other {
                for (k, v) in o {
                    if v.is_null() && base.contains_key(k) {
                        base.insert(k.clone(), Value::Null);
                    }
                }
            }
        }
    }
    Some(first)
}

fn walk(
    actual: &Value,
    sample: &Value,
    at: &str,
    dynamic: &[&str],
    is_dynamic: bool,
    problems: &mut Vec<String>,
) {
    match (actual, sample) {
        (_, Value::Null) => {}
        (Value::Number(_), Value::Number(s)) if s.is_f64() => {}
        (Value::Object(a), Value::Object(s)) if is_dynamic => {
            if let Some(first) = s.values().next() {
                for (k, v) in a {
                    walk(v, first, &format!("{at}.{k}"), dynamic, false, problems);
                }
            }
        }
        (Value::Object(a), Value::Object(s)) => {
            for (k, sv) in s {
                match a.get(k) {
                    None => problems.push(format!("{at}.{k}: missing")),
                    Some(av) => walk(
                        av,
                        sv,
                        &format!("{at}.{k}"),
                        dynamic,
                        dynamic.contains(&k.as_str()),
                        problems,
                    ),
                }
            }
        }
        (Value::Array(a), Value::Array(s)) => {
            if let Some(first) = merged(s) {
                for (i, v) in a.iter().enumerate() {
                    walk(v, &first, &format!("{at}[{i}]"), dynamic, false, problems);
                }
            }
        }
        (a, s) if kind(a) == kind(s) => {}
        (a, s) => problems.push(format!(
            "{at}: {} where the sample has {}",
            kind(a),
            kind(s)
        )),
    }
}
