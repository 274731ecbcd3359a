//! The gateway's own behaviour around the API: the IP allow-list (`ips.allow` / `ips.deny`),
//! the `GET /` redirect, and IBKR unreachable (proxied calls held open).
//!
//! Facts from `gateway.md` §2 "ips" and §3 (the real gateway, 2023-04-24 build, observed).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use ibkr_sim::{Gateway, GatewayBuilder, Limits, RunningGateway};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

const SECOND_LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const FIRST_LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn plain() -> GatewayBuilder {
    Gateway::builder()
        .plain_http()
        .brokerage_session(true)
        .limits(Limits::unlimited())
}

/// A reqwest client that connects from `from`, trusts `pem` and never follows redirects.
fn client_from(from: IpAddr, pem: Option<&str>) -> reqwest::Client {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    if let Some(pem) = pem {
        use rustls::pki_types::pem::PemObject;
        for der in rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots.add(der.unwrap()).unwrap();
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .local_address(from)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn root(gw: &RunningGateway) -> String {
    gw.base_url().trim_end_matches("/v1/api").to_string()
}

/// One raw HTTP/1.1 request from `from` over plain TCP; the whole answer as text.
async fn raw(gw: &RunningGateway, from: IpAddr, request: &str) -> String {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    let mut stream = socket.connect(gw.addr()).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    // The answer has a Content-Length; read until headers and body are in.
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_string)
                })
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= len {
                break;
            }
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// The real gateway's refusal, byte for byte: 404, a 13-byte `Access Denied`, no content type.
fn assert_access_denied(answer: &str, what: &str) {
    let (head, body) = answer.split_once("\r\n\r\n").expect("a whole answer");
    assert!(head.starts_with("HTTP/1.1 404 "), "{what}: {head}");
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("content-length: 13"), "{what}: {head}");
    assert!(!lower.contains("content-type"), "{what}: {head}");
    assert_eq!(body, "Access Denied", "{what}");
}

#[tokio::test]
async fn an_exact_allow_refuses_127_0_0_2_on_every_path_with_the_gateways_404() {
    let gw = plain()
        .allow(["127.0.0.1"])
        .deny(["212.90.324.10"])
        .start()
        .await
        .unwrap();
    let requests = [
        (
            "tickle",
            "POST /v1/api/tickle HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            "auth status",
            "GET /v1/api/iserver/auth/status HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        (
            "login page",
            "GET /sso/Login?forwardTo=22&RL=1&ip2loc=US HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        ("root", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("unknown", "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"),
        (
            "websocket",
            "GET /v1/api/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        ),
        (
            "forwarded for an allowed address",
            "GET /v1/api/iserver/auth/status HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n",
        ),
    ];
    for (what, request) in requests {
        assert_access_denied(&raw(&gw, SECOND_LOOPBACK, request).await, what);
    }
    // The allowed address is served.
    let ok = raw(
        &gw,
        FIRST_LOOPBACK,
        "POST /v1/api/tickle HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    assert!(ok.starts_with("HTTP/1.1 200 "), "{ok}");
    // The refusals are recorded apart; none reached the router.
    let refused = gw.inspect().refused();
    assert_eq!(refused.len(), requests.len());
    assert!(
        refused
            .iter()
            .all(|r| r.peer == SECOND_LOOPBACK && r.status == 404)
    );
    assert_eq!(refused[5].path, "/v1/api/ws");
    assert_eq!(gw.inspect().requests().len(), 1);
}

#[tokio::test]
async fn the_refusal_comes_after_tls_too() {
    let gw = Gateway::builder()
        .brokerage_session(true)
        .allow(["127.0.0.1"])
        .deny(["212.90.324.10"])
        .start()
        .await
        .unwrap();
    let pem = gw.cert_pem().unwrap();
    let refused = client_from(SECOND_LOOPBACK, Some(&pem))
        .get(format!("{}/iserver/auth/status", gw.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    assert!(refused.headers().get("content-type").is_none());
    assert_eq!(refused.text().await.unwrap(), "Access Denied");
    let served = client_from(FIRST_LOOPBACK, Some(&pem))
        .get(format!("{}/iserver/auth/status", gw.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
}

async fn status_from(gw: &RunningGateway, from: IpAddr) -> u16 {
    client_from(from, None)
        .get(format!("{}/iserver/auth/status", gw.base_url()))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_trailing_star_admits_the_range_and_deny_is_checked_first() {
    let range = plain()
        .allow(["127.0.0.*"])
        .deny(["212.90.324.10"])
        .start()
        .await
        .unwrap();
    assert_eq!(status_from(&range, FIRST_LOOPBACK).await, 200);
    assert_eq!(status_from(&range, SECOND_LOOPBACK).await, 200);

    let denied = plain()
        .allow(["127.0.0.*"])
        .deny(["127.0.0.2"])
        .start()
        .await
        .unwrap();
    assert_eq!(status_from(&denied, FIRST_LOOPBACK).await, 200);
    assert_eq!(status_from(&denied, SECOND_LOOPBACK).await, 404);

    // CIDR never matches (the real gateway reads it as a regex with escaped dots).
    let cidr = plain()
        .allow(["127.0.0.0/8"])
        .deny(["212.90.324.10"])
        .start()
        .await
        .unwrap();
    assert_eq!(status_from(&cidr, FIRST_LOOPBACK).await, 404);
}

#[tokio::test]
async fn without_a_deny_list_the_gateway_fails_open() {
    let open = plain().allow(["127.0.0.1"]).start().await.unwrap();
    assert_eq!(status_from(&open, SECOND_LOOPBACK).await, 200);
    // An empty deny list is a deny list: the allow list counts.
    let strict = plain()
        .allow(["127.0.0.1"])
        .deny([] as [&str; 0])
        .start()
        .await
        .unwrap();
    assert_eq!(status_from(&strict, SECOND_LOOPBACK).await, 404);
    assert_eq!(status_from(&strict, FIRST_LOOPBACK).await, 200);
}

#[tokio::test]
async fn a_bare_star_makes_every_request_a_500() {
    let gw = plain()
        .allow(["*"])
        .deny(["212.90.324.10"])
        .start()
        .await
        .unwrap();
    assert_eq!(status_from(&gw, FIRST_LOOPBACK).await, 500);
    assert_eq!(gw.inspect().refused()[0].status, 500);
}

#[tokio::test]
async fn root_redirects_to_the_login_page() {
    let gw = plain().start().await.unwrap();
    let resp = client_from(FIRST_LOOPBACK, None)
        .get(format!("{}/", root(&gw)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(
        resp.headers()["location"],
        "/sso/Login?forwardTo=22&RL=1&ip2loc=US"
    );
}

#[tokio::test(start_paused = true)]
async fn upstream_unreachable_holds_every_proxied_call_open_and_root_still_redirects() {
    let gw = plain().upstream_unreachable(true).start().await.unwrap();
    let http = client_from(FIRST_LOOPBACK, None);
    let root_answer = http.get(format!("{}/", root(&gw))).send().await.unwrap();
    assert_eq!(root_answer.status(), 302);

    let started = tokio::time::Instant::now();
    let tickle = http
        .post(format!("{}/tickle", gw.base_url()))
        .header("content-length", "0")
        .send();
    // Not an error (no close, no reset): nothing at all for the 590 s the real one held.
    let waited = tokio::time::timeout(Duration::from_secs(590), tickle).await;
    assert!(waited.is_err(), "tickle answered: {waited:?}");
    assert!(started.elapsed() >= Duration::from_secs(590));
    for path in ["/iserver/auth/status", "/iserver/accounts"] {
        let call = http.get(format!("{}{path}", gw.base_url())).send();
        assert!(
            tokio::time::timeout(Duration::from_secs(60), call)
                .await
                .is_err(),
            "{path} answered"
        );
    }
    let login = http.get(format!("{}/sso/Login", root(&gw))).send();
    assert!(
        tokio::time::timeout(Duration::from_secs(60), login)
            .await
            .is_err()
    );
    // The held calls are in the journal, unanswered.
    let held = gw.inspect().requests();
    assert_eq!(held.len(), 5, "{held:?}");
    assert!(held[1..].iter().all(|r| r.status.is_none()));
    assert_eq!(held[1].path, "/tickle");

    // IBKR reachable again: new calls are answered.
    gw.control().upstream_unreachable(false);
    let tickle = http
        .post(format!("{}/tickle", gw.base_url()))
        .header("content-length", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(tickle.status(), 200);
}

#[tokio::test(start_paused = true)]
async fn upstream_unreachable_switches_on_at_run_time() {
    let gw = plain().start().await.unwrap();
    let http = client_from(FIRST_LOOPBACK, None);
    let url = format!("{}/iserver/auth/status", gw.base_url());
    assert_eq!(http.get(&url).send().await.unwrap().status(), 200);
    gw.control().upstream_unreachable(true);
    let held = tokio::time::timeout(Duration::from_secs(120), http.get(&url).send()).await;
    assert!(held.is_err(), "answered: {held:?}");
}

/// `--allow`, `--deny`, `--upstream-unreachable` and `--login-user` reach the server.
#[tokio::test]
async fn the_binary_takes_allow_deny_and_upstream_flags() {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ibkr-sim"))
        .args([
            "--http",
            "--port",
            "0",
            "--allow",
            "127.0.0.1",
            "--allow",
            "10.*",
            "--deny",
            "212.90.324.10",
            "--upstream-unreachable",
            "--login-user",
            "alice:pw:live:totp=GEZDGNBVGY3TQOJQ",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().unwrap();
    let printed = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut printed = Vec::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let done = line.starts_with("Press Ctrl-C");
            printed.push(line);
            if done {
                break;
            }
        }
        printed
    })
    .await
    .unwrap();
    let base = printed.iter().find_map(|l| {
        l.trim()
            .strip_prefix("base URL:")
            .map(|u| u.trim().to_string())
    });
    let base = base.expect("the base URL is printed");
    let text = printed.join("\n");
    assert!(text.contains("upstream: unreachable"), "{text}");
    assert!(
        text.contains("/sso/Login?forwardTo=22&RL=1&ip2loc=US"),
        "{text}"
    );
    let refused = client_from(SECOND_LOOPBACK, None)
        .get(format!("{base}/iserver/auth/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    assert_eq!(refused.text().await.unwrap(), "Access Denied");
    let allowed = client_from(FIRST_LOOPBACK, None);
    let root_url = base.trim_end_matches("/v1/api").to_string();
    assert_eq!(
        allowed
            .get(format!("{root_url}/"))
            .send()
            .await
            .unwrap()
            .status(),
        302
    );
    let held = tokio::time::timeout(
        Duration::from_millis(500),
        allowed.get(format!("{base}/iserver/auth/status")).send(),
    )
    .await;
    assert!(
        held.is_err(),
        "answered while upstream is unreachable: {held:?}"
    );
}

/// Ends the spawned simulator when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_rejects_a_malformed_login_user() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ibkr-sim"))
        .args(["--http", "--port", "0", "--login-user", "alice"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("USER:PASSWORD"));
}
