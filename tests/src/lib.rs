//! The contract-test harness: every operation is called through the generated client against
//! a mock server on 127.0.0.1, which answers with IBKR's recorded responses
//! (`fixtures/responses/<operationId>/*.json`) or, where none was ever published, with a body
//! built from the operation's success schema. Both sides of the wire are checked: the request
//! the client sends (method, path, exact query, body, `Content-Length: 0`, no `api-version`)
//! and the answer it decodes (every field the type keeps carries the recorded value).
//!
//! A test names its operation with [`contract`]; `cargo xtask check` counts those calls.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use httpmock::MockServer;
use ibkr_gen::operations::{Api, Operation};
use ibkr_gen::{ResponseValue, account_management, trading};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

mod example;
pub mod values;

pub use example::schema_example;
pub use httpmock;

/// The operation `operation_id`, ready to be called against recorded answers.
///
/// Panics when the id is not an operation of either API: a typo in a test must not pass.
pub fn contract(operation_id: &str) -> Contract {
    let op = ibkr_gen::operations::all()
        .iter()
        .find(|o| o.id == operation_id)
        .unwrap_or_else(|| {
            panic!("contract({operation_id:?}): no such operationId in ibkr_gen::operations::all()")
        });
    Contract { op }
}

/// One operation under test.
#[derive(Clone, Copy, Debug)]
pub struct Contract {
    op: &'static Operation,
}

impl Contract {
    /// The operation's row in the generated table.
    pub fn operation(&self) -> &'static Operation {
        self.op
    }

    /// Every recorded answer of this operation: (file name, body), sorted by file name.
    pub fn fixtures(&self) -> Vec<(String, Value)> {
        read_json_dir(&fixtures_root().join("responses").join(self.op.id))
    }

    /// Recorded excerpts: values of one member of this operation's answer, stored without
    /// the envelope (`fixtures/excerpts/<operationId>/<member>/*.json`).
    pub fn excerpts(&self, member: &str) -> Vec<(String, Value)> {
        read_json_dir(
            &fixtures_root()
                .join("excerpts")
                .join(self.op.id)
                .join(member),
        )
    }

    /// The operation in its OpenAPI document.
    pub fn spec(&self) -> &'static Value {
        let doc = document(self.op.api);
        doc.pointer(&format!(
            "/paths/{}/{}",
            escape_pointer(self.op.path),
            self.op.method.to_ascii_lowercase()
        ))
        .unwrap_or_else(|| panic!("{}: not in its document", self.op.id))
    }

    /// The first 2xx status the document declares (what the mock answers with).
    pub fn success_status(&self) -> u16 {
        self.spec()["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(code, _)| code.parse::<u16>().ok())
            .find(|c| (200..300).contains(c))
            .unwrap_or(200)
    }

    /// The JSON schema of the success answer, if the answer is JSON.
    pub fn success_schema(&self) -> Option<&'static Value> {
        self.spec()["responses"]
            .as_object()?
            .iter()
            .filter(|(code, _)| code.starts_with('2'))
            .find_map(|(_, r)| r.pointer("/content/application~1json/schema"))
    }

    /// A plausible answer built from the success schema (see [`schema_example`]).
    pub fn schema_example(&self) -> Value {
        let schema = self
            .success_schema()
            .unwrap_or_else(|| panic!("{}: no JSON success schema", self.op.id));
        schema_example(document(self.op.api), schema)
    }

    /// The answers the test serves: every recorded answer, or, for an operation nobody has
    /// published an answer of, one built from its schema (named `schema-example`).
    pub fn bodies(&self) -> Vec<(String, Value)> {
        let recorded = self.fixtures();
        if recorded.is_empty() {
            vec![("schema-example".to_string(), self.schema_example())]
        } else {
            recorded
        }
    }

    /// The request this operation must send, to `path` (relative to the API's base, with
    /// its path parameters filled in).
    pub fn request(self, path: &str) -> Request {
        assert!(
            path_matches(self.op.path, path),
            "{}: {path} does not fit the template {}",
            self.op.id,
            self.op.path
        );
        Request {
            contract: self,
            path: path.to_string(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::None,
        }
    }
}

/// The body a request must carry.
#[derive(Clone, Debug)]
enum Body {
    None,
    Json(Value),
    Text(String),
    Form(Vec<(String, String)>),
}

/// What the client must send, and the answers it is then served.
#[derive(Clone, Debug)]
pub struct Request {
    contract: Contract,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Body,
}

/// One answer served and decoded.
#[derive(Debug)]
pub struct Answer<T> {
    /// The fixture's file name (or `schema-example`).
    pub fixture: String,
    /// The body as served.
    pub raw: Value,
    /// What the generated client decoded.
    pub value: T,
}

/// Both generated clients, pointed at the mock server.
#[derive(Clone, Debug)]
pub struct Clients {
    /// `/v1/api`.
    pub trading: trading::Client,
    /// `/gw/api` (the documents' paths carry the prefix, so the base is the server root).
    pub account_management: account_management::Client,
}

/// A wire runtime without pacing or retries: contract tests check the request and the
/// answer, not the timing (that is `ibkr-gen/tests/it/wire_rules.rs`).
pub fn fast_wire() -> ibkr_gen::wire::Wire {
    ibkr_gen::wire::Wire::builder()
        .global_rate(None)
        .per_operation_limits(false)
        .retry(ibkr_gen::wire::RetryPolicy::none())
        .build()
}

/// One HTTP client for every contract test of the process. The mock servers speak plain
/// HTTP, so it trusts no certificate, and it keeps no idle connection (each test has its
/// own runtime). Building a client with the platform's verifier reads every certificate in
/// `/etc/ssl/certs`: once per fixture, that was most of this suite's time.
fn shared_http() -> reqwest::Client {
    static HTTP: OnceLock<reqwest::Client> = OnceLock::new();
    HTTP.get_or_init(|| {
        let tls = rustls::ClientConfig::builder()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        ibkr_gen::http_client_builder()
            .tls_backend_preconfigured(tls)
            .pool_max_idle_per_host(0)
            .build()
            .expect("reqwest client")
    })
    .clone()
}

/// Both clients for `server`.
pub fn clients(server: &MockServer) -> Clients {
    let http = shared_http;
    Clients {
        trading: trading::Client::new_with_client(&server.url("/v1/api"), http(), fast_wire()),
        account_management: account_management::Client::new_with_client(
            &server.base_url(),
            http(),
            fast_wire(),
        ),
    }
}

/// What the mock server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    /// Upper-case method.
    pub method: String,
    /// Path without query.
    pub path: String,
    /// Query pairs, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Vec<u8>,
}

impl Seen {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Answer every request to `server` with `status` and `body` (empty when `None`), recording
/// what each request carried.
pub async fn serve<'a>(
    server: &'a MockServer,
    status: u16,
    body: Option<&Value>,
) -> (httpmock::Mock<'a>, Arc<Mutex<Vec<Seen>>>) {
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let rec = seen.clone();
    let body = body.cloned();
    let mock = server
        .mock_async(move |when, then| {
            when.is_true(move |req| {
                let uri = req.uri();
                rec.lock().expect("recorder").push(Seen {
                    method: req.method().as_str().to_string(),
                    path: uri.path().to_string(),
                    query: url_pairs(uri.query().unwrap_or_default()),
                    headers: req
                        .headers()
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.as_str().to_string(),
                                v.to_str().unwrap_or("?").to_string(),
                            )
                        })
                        .collect(),
                    body: req.body_vec(),
                });
                true
            });
            let then = then.status(status);
            match body {
                Some(b) => {
                    then.json_body(b);
                }
                None => {
                    then.body("");
                }
            }
        })
        .await;
    (mock, seen)
}

impl Request {
    /// The exact query the request must carry, as (name, value) pairs (values as they read
    /// after percent-decoding: arrays comma-joined, booleans `true`/`false`). Order does not
    /// matter; every other parameter is an error, and so is an empty one.
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        self.query = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self
    }

    /// The JSON body the request must carry.
    pub fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }

    /// A header the request must carry (header parameters such as `Authorization`).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The form (`application/x-www-form-urlencoded`) the request must carry; order does
    /// not matter.
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        self.body = Body::Form(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        self
    }

    /// The text body the request must carry (the signed JWTs of account management).
    pub fn text(mut self, body: &str) -> Self {
        self.body = Body::Text(body.to_string());
        self
    }

    /// Serve every answer of the operation ([`Contract::bodies`]) to `call`, check the
    /// request it sends each time, and return what it decoded. Each decoded value must carry
    /// every field it keeps with the recorded value, and must not come out empty where the
    /// answer was not (which is how a wrongly chosen variant shows).
    pub async fn answers<T, F, Fut>(self, call: F) -> Vec<Answer<T>>
    where
        T: Serialize,
        F: Fn(Clients) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, ibkr_gen::Error<()>>>,
    {
        let bodies = self.contract.bodies();
        self.answer_with(bodies, call).await
    }

    /// Like [`Request::answers`], with the given bodies instead of the operation's own.
    pub async fn answer_with<T, F, Fut>(
        self,
        bodies: Vec<(String, Value)>,
        call: F,
    ) -> Vec<Answer<T>>
    where
        T: Serialize,
        F: Fn(Clients) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, ibkr_gen::Error<()>>>,
    {
        let id = self.contract.op.id;
        let server = MockServer::start_async().await;
        let mut out = Vec::new();
        for (fixture, raw) in bodies {
            let (mock, seen) = serve(&server, self.contract.success_status(), Some(&raw)).await;
            let result = call(clients(&server)).await;
            let value = match result {
                Ok(v) => v.into_inner(),
                Err(e) => panic!("{id} with {fixture}: {}", describe(e).await),
            };
            assert_eq!(
                mock.calls_async().await,
                1,
                "{id} with {fixture}: one request"
            );
            self.check(&last(&seen), &fixture);
            let decoded = serde_json::to_value(&value).expect("generated types serialize");
            assert_carries(&raw, &decoded, &format!("{id} with {fixture}: $"));
            if let Some(schema) = self.contract.success_schema() {
                let doc = document(self.contract.op.api);
                let mut problems: Vec<String> = values::undeclared(doc, schema, &raw)
                    .into_iter()
                    .map(|p| format!("{id}: {p} is not in the schema"))
                    .collect();
                problems.extend(
                    values::unequal(doc, &raw, &decoded)
                        .into_iter()
                        .map(|p| format!("{id}: {p}")),
                );
                assert!(
                    problems.is_empty(),
                    "{id} with {fixture}:\n  {}",
                    problems.join("\n  ")
                );
            }
            exercised(id);
            mock.delete_async().await;
            out.push(Answer {
                fixture,
                raw,
                value,
            });
        }
        out
    }

    /// Serve an empty success answer (operations whose answer is not JSON) and check the
    /// request.
    pub async fn answers_empty<T, F, Fut>(self, call: F) -> T
    where
        F: Fn(Clients) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, ibkr_gen::Error<()>>>,
    {
        let id = self.contract.op.id;
        let server = MockServer::start_async().await;
        let (mock, seen) = serve(&server, self.contract.success_status(), None).await;
        let value = match call(clients(&server)).await {
            Ok(v) => v.into_inner(),
            Err(e) => panic!("{id}: {}", describe(e).await),
        };
        assert_eq!(mock.calls_async().await, 1, "{id}: one request");
        self.check(&last(&seen), "empty answer");
        exercised(id);
        value
    }

    /// The request side: method, path, exact query, body, and the wire rules.
    pub fn check(&self, seen: &Seen, fixture: &str) {
        let op = self.contract.op;
        let at = format!("{} with {fixture}", op.id);
        assert_eq!(seen.method, op.method, "{at}: method");
        let base = match op.api {
            Api::Trading => "/v1/api",
            Api::AccountManagement => "",
        };
        assert_eq!(seen.path, format!("{base}{}", self.path), "{at}: path");
        let mut want = self.query.clone();
        let mut got = seen.query.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{at}: query");
        for (k, v) in &seen.query {
            assert!(!v.is_empty(), "{at}: empty query parameter {k}");
        }
        assert_eq!(
            seen.header("api-version"),
            None,
            "{at}: no api-version header"
        );
        for (name, value) in &self.headers {
            assert_eq!(
                seen.header(name),
                Some(value.as_str()),
                "{at}: header {name}"
            );
        }
        match &self.body {
            Body::None => {
                assert!(seen.body.is_empty(), "{at}: no body");
                if matches!(op.method, "POST" | "PUT" | "PATCH") {
                    assert_eq!(
                        seen.header("content-length"),
                        Some("0"),
                        "{at}: body-less {} carries Content-Length: 0",
                        op.method
                    );
                }
            }
            Body::Json(want) => {
                let got: Value = serde_json::from_slice(&seen.body)
                    .unwrap_or_else(|e| panic!("{at}: body is not JSON ({e})"));
                assert_eq!(&got, want, "{at}: JSON body");
                assert!(
                    seen.header("content-type")
                        .is_some_and(|c| c.starts_with("application/json")),
                    "{at}: JSON content type"
                );
            }
            Body::Form(want) => {
                let mut got = url_pairs(&String::from_utf8_lossy(&seen.body));
                let mut want = want.clone();
                got.sort();
                want.sort();
                assert_eq!(got, want, "{at}: form body");
            }
            Body::Text(want) => {
                assert_eq!(
                    String::from_utf8_lossy(&seen.body),
                    want.as_str(),
                    "{at}: text body"
                );
            }
        }
    }
}

fn last(seen: &Arc<Mutex<Vec<Seen>>>) -> Seen {
    seen.lock()
        .expect("recorder")
        .last()
        .cloned()
        .expect("the mock saw the request")
}

/// An error of the generated client, with the status and body of an unexpected answer.
pub async fn describe(e: ibkr_gen::Error<()>) -> String {
    match e {
        ibkr_gen::Error::UnexpectedResponse(r) => {
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            format!("unexpected answer {status}: {body}")
        }
        ibkr_gen::Error::InvalidResponsePayload(_, e) => format!("the answer does not decode: {e}"),
        other => other.to_string(),
    }
}

/// The status and body of an error the generated client returned for a non-2xx answer.
pub async fn unexpected(e: ibkr_gen::Error<()>) -> (u16, Vec<u8>) {
    match e {
        ibkr_gen::Error::UnexpectedResponse(r) => {
            let status = r.status().as_u16();
            let body = r.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
            (status, body)
        }
        other => panic!("expected an unexpected-status error, got {other}"),
    }
}

/// `decoded` (a generated value, serialized back) keeps only values that are in `raw`, at
/// the same place, and does not come out empty where `raw` had something.
pub fn assert_carries(raw: &Value, decoded: &Value, at: &str) {
    match (raw, decoded) {
        (Value::Object(r), Value::Object(d)) => {
            for (k, dv) in d {
                match r.get(k) {
                    Some(rv) => assert_carries(rv, dv, &format!("{at}.{k}")),
                    None => assert!(dv.is_null(), "{at}.{k}: decoded, but not in the answer"),
                }
            }
            assert!(
                !d.is_empty() || !r.values().any(has_content),
                "{at}: decoded as an empty object, but the answer has {:?}",
                r.keys().collect::<Vec<_>>()
            );
        }
        (Value::Array(r), Value::Array(d)) => {
            assert_eq!(r.len(), d.len(), "{at}: array length");
            for (i, (rv, dv)) in r.iter().zip(d).enumerate() {
                assert_carries(rv, dv, &format!("{at}[{i}]"));
            }
        }
        (Value::Number(r), Value::Number(d)) => {
            assert_eq!(r.as_f64(), d.as_f64(), "{at}: number");
        }
        (r, d) => assert_eq!(r, d, "{at}"),
    }
}

/// Something other than null or an empty array or object.
fn has_content(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Array(a) => a.iter().any(has_content),
        Value::Object(o) => o.values().any(has_content),
        _ => true,
    }
}

/// The strings of a JSON array (for comparing with a decoded `Vec<String>`).
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Deserialize a request body (or any value) into a generated type.
pub fn from_json<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v)
        .unwrap_or_else(|e| panic!("not a valid {}: {e}", std::any::type_name::<T>()))
}

/// Where the harness records which operations it exercised: `<target>/contract-exercised/`,
/// one empty file per operationId. `cargo xtask check` reads it (after `cargo test`), so
/// its gate counts operations that were called and decoded, not the text `contract("..")`.
pub fn exercised_dir() -> Option<PathBuf> {
    // The test binary lives in `<target>/<profile>/deps/`.
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("contract-exercised"))
}

fn exercised(id: &str) {
    if let Some(dir) = exercised_dir() {
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(id), b"");
    }
}

/// The fixtures folder of this crate. A missing one fails loudly: without it every
/// operation would quietly fall back to a body built from the schema, proving nothing.
pub fn fixtures_root() -> PathBuf {
    checked_fixtures(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
}

fn checked_fixtures(root: PathBuf) -> PathBuf {
    for kind in ["responses", "excerpts", "errors"] {
        assert!(
            root.join(kind).is_dir(),
            "{}: the contract fixtures are missing; without them every test would decode a \
             schema-built body",
            root.join(kind).display()
        );
    }
    root
}

/// An IBKR error body from `fixtures/errors/<name>`, as bytes.
pub fn error_fixture(name: &str) -> Vec<u8> {
    let p = fixtures_root().join("errors").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The `.json` files of an operation's fixture folder; none when the operation has no
/// folder (its fixtures root is checked by [`fixtures_root`]).
fn read_json_dir(dir: &Path) -> Vec<(String, Value)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", p.display()));
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, value)
        })
        .collect()
}

/// The committed OpenAPI document of an API, read once.
pub fn document(api: Api) -> &'static Value {
    static DOCS: OnceLock<BTreeMap<&'static str, Value>> = OnceLock::new();
    let docs = DOCS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi");
        ["ibkr-trading.json", "ibkr-account-management.json"]
            .into_iter()
            .map(|f| {
                let text = std::fs::read_to_string(dir.join(f)).expect("openapi document");
                (
                    f,
                    serde_json::from_str(&text).expect("openapi document is JSON"),
                )
            })
            .collect()
    });
    match api {
        Api::Trading => &docs["ibkr-trading.json"],
        Api::AccountManagement => &docs["ibkr-account-management.json"],
    }
}

fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// `/iserver/account/U1234567/orders` fits `/iserver/account/{accountId}/orders`.
fn path_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            if t.starts_with('{') && t.ends_with('}') {
                !p.is_empty()
            } else {
                t == p
            }
        })
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod fixture_root_tests {
    #[test]
    #[should_panic(expected = "the contract fixtures are missing")]
    fn a_missing_fixtures_folder_fails_loudly() {
        super::checked_fixtures(std::env::temp_dir().join("ibkr-no-such-fixtures-folder"));
    }

    #[test]
    fn the_crates_fixtures_folder_is_complete() {
        assert!(super::fixtures_root().join("responses").is_dir());
    }
}
