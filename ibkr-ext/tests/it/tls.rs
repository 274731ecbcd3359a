//! TLS trust with a certificate made at test time: loopback accepted as the gateway's
//! self-signed certificate, a pinned certificate trusted, and any other host verified
//! unless the danger option is named. Every server binds 127.0.0.1; the "remote" host is a
//! DNS override pointing at it, so the name the client verifies is not a loopback name.

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use ibkr_ext::{Error, Ibkr};

struct Server {
    addr: SocketAddr,
    cert_pem: String,
}

/// A TLS server with a fresh self-signed certificate for `localhost` and 127.0.0.1,
/// answering every request with a brokerage accounts body.
async fn tls_server() -> Server {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert_pem = cert.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::try_from(cert.signing_key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(
                        hyper::Response::builder()
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from_static(
                                br#"{"accounts":["DU1234567"],"selectedAccount":"DU1234567"}"#,
                            )))
                            .unwrap(),
                    )
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Server { addr, cert_pem }
}

async fn accounts(ibkr: &Ibkr) -> ibkr_ext::Result<Vec<String>> {
    Ok(ibkr.api().get_accounts().await?.accounts)
}

/// A builder for `https://gateway.example:<port>`, resolved to the local server.
fn remote(server: &Server) -> ibkr_ext::IbkrBuilder {
    let addr = server.addr;
    Ibkr::builder()
        .base_url(format!("https://gateway.example:{}/v1/api", addr.port()))
        .customize_http(move |b| b.resolve("gateway.example", addr))
        .without_keepalive()
}

#[tokio::test]
async fn a_loopback_gateway_works_out_of_the_box_with_its_self_signed_certificate() {
    let server = tls_server().await;
    for host in ["127.0.0.1", "localhost"] {
        let ibkr = Ibkr::builder()
            .base_url(format!("https://{host}:{}/v1/api", server.addr.port()))
            .without_keepalive()
            .build()
            .unwrap();
        assert_eq!(accounts(&ibkr).await.unwrap(), ["DU1234567"], "{host}");
    }
}

#[tokio::test]
async fn a_non_loopback_host_with_an_unknown_certificate_is_refused() {
    let server = tls_server().await;
    let ibkr = remote(&server).build().unwrap();
    let err = accounts(&ibkr).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn a_pinned_certificate_is_trusted_on_any_host() {
    let server = tls_server().await;
    let ibkr = remote(&server)
        .ca_cert(server.cert_pem.clone())
        .build()
        .unwrap();
    assert_eq!(accounts(&ibkr).await.unwrap(), ["DU1234567"]);
    // Another certificate pinned: refused.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let ibkr = remote(&server).ca_cert(other.cert.pem()).build().unwrap();
    assert!(matches!(
        accounts(&ibkr).await.unwrap_err(),
        Error::Transport { .. }
    ));
}

#[tokio::test]
async fn the_danger_option_accepts_any_certificate_when_named() {
    let server = tls_server().await;
    let ibkr = remote(&server)
        .danger_accept_invalid_certs()
        .build()
        .unwrap();
    assert_eq!(accounts(&ibkr).await.unwrap(), ["DU1234567"]);
}

#[test]
fn a_pinned_pem_that_is_not_a_certificate_is_a_configuration_error() {
    let err = Ibkr::builder()
        .ca_cert("not a pem")
        .without_keepalive()
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

/// `localhost` is trusted with the gateway's self-signed certificate because the client
/// pins it to 127.0.0.1 and ::1, after `customize_http`: a DNS override cannot move it.
/// The override points at [::1], where nothing listens (the server binds 127.0.0.1 only),
/// so a client that followed it would fail; one that keeps the pin reaches the server.
/// (That a name which is not pinned is verified is `tls::tests`' decision test.)
#[tokio::test]
async fn a_dns_override_cannot_move_localhost_off_loopback() {
    let server = tls_server().await;
    let port = server.addr.port();
    let elsewhere = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port));
    let ibkr = Ibkr::builder()
        .base_url(format!("https://localhost:{port}/v1/api"))
        .customize_http(move |b| b.resolve("localhost", elsewhere))
        .without_keepalive()
        .build()
        .unwrap();
    assert_eq!(accounts(&ibkr).await.unwrap(), ["DU1234567"]);
}
