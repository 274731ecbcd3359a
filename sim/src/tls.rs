//! The self-signed certificate made at start, like the real gateway's `vertx.jks`
//! (`client-portal-api.md` §2: "SSL on port 5000 (self-signed)").

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::SimError;

/// A TLS acceptor and the PEM of its certificate (for clients to pin).
pub(crate) struct SelfSigned {
    pub acceptor: TlsAcceptor,
    pub cert_pem: String,
}

/// Make a fresh certificate for `localhost` and `127.0.0.1` and a server config around it.
pub(crate) fn self_signed() -> Result<SelfSigned, SimError> {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|e| SimError::Certificate(e.to_string()))?;
    let cert_pem = certified.cert.pem();
    let cert_der: CertificateDer<'static> = certified.cert.der().clone();
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![cert_der], key_der)
        .map_err(|e| SimError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(SelfSigned {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        cert_pem,
    })
}
