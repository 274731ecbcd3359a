//! TLS trust: safe by default, easy for the local gateway.
//!
//! - A loopback gateway (`localhost`, `127.0.0.0/8`, `::1`) is trusted with whatever
//!   certificate it shows: the Client Portal Gateway ships a self-signed one. The signature
//!   over the handshake is still checked, so the server must hold the certificate's key.
//! - [`TlsTrust::Pinned`] trusts exactly one certificate (or the CA that issued the server's).
//! - Every other host is verified against the Mozilla roots, unless the user asks for
//!   [`TlsTrust::DangerAcceptInvalidCerts`] by name.

use std::net::IpAddr;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::{Error, Result};

/// How the client decides whether to trust a server's certificate.
#[derive(Clone, Debug, Default)]
pub enum TlsTrust {
    /// Loopback hosts: any certificate (the gateway's self-signed one). Others: Mozilla roots.
    #[default]
    LoopbackOrVerified,
    /// Only this certificate (PEM), or certificates it issued; hostnames are not checked
    /// when the server presents this exact certificate.
    Pinned(String),
    /// Accept any certificate from any host. Only for networks you control.
    DangerAcceptInvalidCerts,
}

/// Whether a host name (or IP) is the local machine.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls client configuration for a trust policy.
pub fn client_config(trust: &TlsTrust) -> Result<rustls::ClientConfig> {
    let provider = provider();
    let mode = match trust {
        TlsTrust::LoopbackOrVerified => {
            Mode::LoopbackOrVerified(webpki_verifier(mozilla_roots(), &provider)?)
        }
        TlsTrust::Pinned(pem) => {
            let pinned = parse_pem(pem)?;
            let mut roots = RootCertStore::empty();
            for cert in &pinned {
                // A leaf may not be usable as a root; exact matching covers it.
                let _ = roots.add(cert.clone());
            }
            let issuer = if roots.is_empty() {
                None
            } else {
                Some(webpki_verifier(roots, &provider)?)
            };
            Mode::Pinned { pinned, issuer }
        }
        TlsTrust::DangerAcceptInvalidCerts => Mode::AcceptAnything,
    };
    let verifier = Arc::new(Verifier {
        mode,
        algorithms: provider.signature_verification_algorithms,
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS versions: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(config)
}

fn mozilla_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

fn webpki_verifier(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| Error::Config(format!("TLS verifier: {e}")))
}

fn parse_pem(pem: &str) -> Result<Vec<CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::Config(format!("the pinned certificate is not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Config("the pinned PEM holds no certificate".into()));
    }
    Ok(certs)
}

fn server_is_loopback(name: &ServerName<'_>) -> bool {
    match name {
        ServerName::DnsName(d) => is_loopback_host(d.as_ref()),
        ServerName::IpAddress(ip) => IpAddr::from(*ip).is_loopback(),
        _ => false,
    }
}

/// Which certificates a [`Verifier`] accepts.
#[derive(Debug)]
enum Mode {
    /// Any certificate from a loopback name; the Mozilla roots for everything else.
    LoopbackOrVerified(Arc<WebPkiServerVerifier>),
    /// Exactly these certificates, or certificates they issued.
    Pinned {
        pinned: Vec<CertificateDer<'static>>,
        issuer: Option<Arc<WebPkiServerVerifier>>,
    },
    /// Anything.
    AcceptAnything,
}

/// Decides on the certificate by [`Mode`]; the handshake signature is always checked, so
/// the server must hold the key of the certificate it shows.
#[derive(Debug)]
struct Verifier {
    mode: Mode,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.mode {
            Mode::LoopbackOrVerified(_) if server_is_loopback(server_name) => {
                Ok(ServerCertVerified::assertion())
            }
            Mode::LoopbackOrVerified(webpki) => {
                webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            }
            Mode::Pinned { pinned, .. }
                if pinned.iter().any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                Ok(ServerCertVerified::assertion())
            }
            Mode::Pinned {
                issuer: Some(webpki),
                ..
            } => webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now),
            Mode::Pinned { issuer: None, .. } => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
            Mode::AcceptAnything => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised() {
        for h in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "gw.localhost",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "api.ibkr.com",
            "10.0.0.1",
            "192.168.1.5",
            "localhost.example.com",
            "::2",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
}
