//! TLS trust: safe by default, easy for the local gateway.
//!
//! - A loopback gateway is trusted with whatever certificate it shows: the Client Portal
//!   Gateway ships a self-signed one. The signature over the handshake is still checked, so
//!   the server must hold the certificate's key.
//! - "Loopback" is decided on the address the client connects to, never on a name alone: a
//!   loopback IP literal (`127.0.0.0/8`, `::1`) is connected to as written, and a localhost
//!   name (`localhost`, `*.localhost`) is trusted only because the client pins it to
//!   127.0.0.1 and ::1 itself ([`pin_loopback`], applied by [`Ibkr`](crate::Ibkr)'s builder
//!   after any `customize_http`), so neither a DNS override nor a resolver that sends
//!   `*.localhost` to DNS can take a trusted name elsewhere. A name the client did not pin
//!   is verified like any other host.
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

/// Whether a host name (or IP) is the local machine: a loopback IP, or a localhost name
/// (which RFC 6761 reserves for loopback, though a system resolver may not honour it).
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    is_localhost_name(host)
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// `localhost` or a name under it (`gw.localhost`): the names [`pin_loopback`] pins.
pub fn is_localhost_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

/// Pin a localhost name to 127.0.0.1 and ::1 (RFC 6761's answer) in `builder`, over any
/// DNS override made before: the requests to `host` then reach this machine whatever a
/// resolver says. Nothing for any other host.
pub fn pin_loopback(builder: reqwest::ClientBuilder, host: &str) -> reqwest::ClientBuilder {
    if !is_localhost_name(host) {
        return builder;
    }
    // Port 0: each request uses its URL's port.
    let addrs = [
        std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0)),
        std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 0)),
    ];
    builder.resolve_to_addrs(host, &addrs)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls client configuration for a trust policy. Loopback IP literals, and the name
/// `localhost` by name: a client using it must connect `localhost` to a loopback address
/// ([`pin_loopback`] on a reqwest builder).
pub fn client_config(trust: &TlsTrust) -> Result<rustls::ClientConfig> {
    client_config_pinned(trust, Some("localhost"))
}

/// [`client_config`] for a client that pinned `pinned` (a localhost name) to loopback
/// itself: that name is trusted as loopback, no other.
pub(crate) fn client_config_pinned(
    trust: &TlsTrust,
    pinned: Option<&str>,
) -> Result<rustls::ClientConfig> {
    let provider = provider();
    let verifier = Arc::new(verifier(trust, pinned, &provider)?);
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS versions: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(config)
}

fn verifier(
    trust: &TlsTrust,
    pinned: Option<&str>,
    provider: &Arc<CryptoProvider>,
) -> Result<Verifier> {
    let mode = match trust {
        TlsTrust::LoopbackOrVerified => Mode::LoopbackOrVerified {
            webpki: webpki_verifier(mozilla_roots(), provider)?,
            pinned: pinned
                .filter(|n| is_localhost_name(n))
                .map(|n| n.trim_end_matches('.').to_ascii_lowercase()),
        },
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
                Some(webpki_verifier(roots, provider)?)
            };
            Mode::Pinned { pinned, issuer }
        }
        TlsTrust::DangerAcceptInvalidCerts => Mode::AcceptAnything,
    };
    Ok(Verifier {
        mode,
        algorithms: provider.signature_verification_algorithms,
    })
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

/// Whether the connection to `name` goes to this machine: a loopback IP literal (connected
/// to as written, no resolver involved), or the one localhost name the client pinned.
fn connects_to_loopback(name: &ServerName<'_>, pinned: Option<&str>) -> bool {
    match name {
        ServerName::IpAddress(ip) => IpAddr::from(*ip).to_canonical().is_loopback(),
        ServerName::DnsName(d) => {
            pinned.is_some_and(|p| p.eq_ignore_ascii_case(d.as_ref().trim_end_matches('.')))
        }
        _ => false,
    }
}

/// Which certificates a [`Verifier`] accepts.
#[derive(Debug)]
enum Mode {
    /// Any certificate when the connection goes to loopback; the Mozilla roots otherwise.
    LoopbackOrVerified {
        webpki: Arc<WebPkiServerVerifier>,
        /// The localhost name the client pinned to loopback, if any.
        pinned: Option<String>,
    },
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
            Mode::LoopbackOrVerified { pinned, .. }
                if connects_to_loopback(server_name, pinned.as_deref()) =>
            {
                Ok(ServerCertVerified::assertion())
            }
            Mode::LoopbackOrVerified { webpki, .. } => {
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

    /// The default trust on a self-signed certificate, decided per server name: loopback
    /// IP literals and the pinned name pass; a localhost name that was not pinned, and any
    /// other host, are verified (and this certificate fails).
    #[test]
    fn loopback_trust_needs_a_loopback_address_or_the_pinned_name() {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let der = cert.cert.der().clone();
        let verifier = verifier(
            &TlsTrust::LoopbackOrVerified,
            Some("gw.localhost"),
            &provider(),
        )
        .unwrap();
        let verdict = |name: &str| {
            let name = ServerName::try_from(name.to_string()).unwrap();
            verifier
                .verify_server_cert(&der, &[], &name, &[], UnixTime::now())
                .is_ok()
        };
        for trusted in [
            "127.0.0.1",
            "127.9.8.7",
            "::1",
            "::ffff:127.0.0.1",
            "gw.localhost",
            "GW.LOCALHOST",
        ] {
            assert!(verdict(trusted), "{trusted}");
        }
        for verified in [
            "localhost",
            "other.localhost",
            "10.0.0.1",
            "0.0.0.0",
            "::ffff:10.0.0.1",
            "api.ibkr.com",
            "localhost.example.com",
        ] {
            assert!(!verdict(verified), "{verified}");
        }
        // Not a localhost name: pinning it trusts nothing.
        let verifier = super::verifier(
            &TlsTrust::LoopbackOrVerified,
            Some("gateway.example"),
            &provider(),
        )
        .unwrap();
        let name = ServerName::try_from("gateway.example").unwrap();
        let verdict = verifier.verify_server_cert(&der, &[], &name, &[], UnixTime::now());
        assert!(verdict.is_err());
    }
}
