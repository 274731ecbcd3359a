//! `ibkr gateway doctor`: what is wrong, explained: the install, Java, the allow-list
//! against this client's address, the port, the certificate, IBKR's reachability and the
//! clock.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::conf::ManagedConf;
use crate::install::Installation;
use crate::probe::{self, Local, Session};

/// The SHA-256 fingerprint of the certificate IBKR ships in `root/vertx.jks`
/// (self-signed, `CN=Client Portal Web API`, valid 2019-02-10 to 2019-05-11).
pub const SHIPPED_CERT_SHA256: &str = "13:DA:F8:9A:07:12:B9:62:C3:EC:AA:5E:DE:34:41:00:AE:E0:D3:B5:DE:C5:A7:9A:BD:76:02:A8:12:ED:A3:BE";

/// How far the clock may be off before TOTP codes and OAuth signatures fail.
const CLOCK_TOLERANCE_SECS: i64 = 30;

/// One finding.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// Whether it is fine (a check that could not run is fine, and says so).
    pub ok: bool,
    /// What was found and what to do.
    pub detail: String,
}

/// All findings.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// In the order they were made.
    pub checks: Vec<Check>,
}

impl Report {
    fn push(&mut self, name: &'static str, ok: bool, detail: impl Into<String>) {
        self.checks.push(Check {
            name,
            ok,
            detail: detail.into(),
        });
    }
}

/// Examine the install in `dir` and the gateway on `port` (default: the running one's, else
/// 5000), as a client connecting from `local_address` (default 127.0.0.1) sees it.
pub async fn examine(dir: &Path, port: Option<u16>, local_address: Option<IpAddr>) -> Report {
    let mut report = Report { checks: Vec::new() };
    let install = match Installation::open(dir) {
        Ok(i) => {
            let build = i.build_info().map(|b| b.to_string()).unwrap_or_default();
            report.push("install", true, format!("{} ({build})", dir.display()));
            Some(i)
        }
        Err(e) => {
            report.push("install", false, e.to_string());
            None
        }
    };
    match crate::java::find() {
        Ok(j) => report.push(
            "java",
            true,
            format!("{} ({})", j.version, j.path.display()),
        ),
        Err(e) => report.push("java", false, e.to_string()),
    }
    let running = install
        .as_ref()
        .and_then(|i| crate::process::PidFile::live(i.dir()));
    let conf = install.as_ref().map(|i| read_conf(i.dir()));
    let port = port
        .or(running.as_ref().map(|r| r.port))
        .or(conf
            .as_ref()
            .and_then(|c| c.as_ref().ok().map(|(c, _)| c.port)))
        .unwrap_or(5000);
    let client = match local_address {
        Some(IpAddr::V4(ip)) => Some(ip),
        Some(IpAddr::V6(_)) => None,
        None => Some(Ipv4Addr::LOCALHOST),
    };
    match (&conf, client) {
        (Some(Ok((conf, file))), Some(ip)) => {
            let allow: Vec<String> = conf
                .effective_allow()
                .iter()
                .map(ToString::to_string)
                .collect();
            if conf.admits(ip) {
                report.push(
                    "allow-list",
                    true,
                    format!("{file} admits {ip} (allow: {})", allow.join(", ")),
                );
            } else {
                report.push(
                    "allow-list",
                    false,
                    format!(
                        "{file} does not admit {ip} (allow: {}): the gateway answers it 404 \"Access Denied\"; \
                         start it with `ibkr gateway start --allow {ip}` (or a prefix such as {}.*)",
                        allow.join(", "),
                        ip.octets()[..3].iter().map(u8::to_string).collect::<Vec<_>>().join(".")
                    ),
                );
            }
        }
        (Some(Err(why)), _) => report.push("allow-list", false, why.clone()),
        (_, None) => report.push(
            "allow-list",
            false,
            "the gateway listens on IPv4 only; connect over IPv4",
        ),
        (None, _) => {}
    }
    let busy = crate::process::port_busy(port);
    match (&running, busy) {
        (Some(r), _) if r.port == port => report.push("port", true, format!("{port}: our gateway (pid {})", r.pid)),
        (_, true) => match probe::local(port).await {
            Local::Ready | Local::Refused => {
                report.push("port", true, format!("{port}: a gateway answers (not started by `ibkr gateway start` from this folder)"))
            }
            _ => report.push(
                "port",
                false,
                crate::process::busy(port).to_string(),
            ),
        },
        (_, false) => report.push("port", true, format!("{port}: free (no gateway running)")),
    }
    if busy {
        match certificate(port).await {
            Some((fingerprint, version)) if fingerprint == SHIPPED_CERT_SHA256 => report.push(
                "certificate",
                true,
                format!(
                    "IBKR's shipped self-signed certificate (expired 2019-05-11), {version}: the SDK trusts it on loopback only; \
                     a client on another machine must pin it (--ca-cert) or use your own keystore (sslCert/sslPwd in --conf)"
                ),
            ),
            Some((fingerprint, version)) => report.push(
                "certificate",
                true,
                format!("your own certificate ({version}, SHA-256 {fingerprint}); clients on other machines pin it with --ca-cert"),
            ),
            None => report.push("certificate", false, format!("no TLS handshake on port {port} (the gateway speaks TLS 1.2 only)")),
        }
        let session = match probe::sdk(port, local_address) {
            Ok(ibkr) => probe::session(&ibkr).await,
            Err(e) => Session::Error {
                message: e.to_string(),
            },
        };
        match &session {
            Session::Known { .. } => report.push("ibkr", true, "IBKR answers through the gateway"),
            Session::Unreachable => report.push(
                "ibkr",
                false,
                "the gateway answers but IBKR does not answer through it: check this machine's internet connection, DNS (api.ibkr.com) and proxy",
            ),
            other => report.push("ibkr", false, other.why_not_ready().unwrap_or_default()),
        }
        report
            .push_clock(port, matches!(session, Session::Known { .. }))
            .await;
    }
    report
}

impl Report {
    async fn push_clock(&mut self, port: u16, reachable: bool) {
        if !reachable {
            self.push("clock", true, "not checked: IBKR is not reachable");
            return;
        }
        let date = reqwest_date(port).await;
        match date {
            Some(theirs) => {
                let skew = (chrono::Utc::now() - theirs).num_seconds();
                self.push(
                    "clock",
                    skew.abs() <= CLOCK_TOLERANCE_SECS,
                    format!("{skew:+} s against IBKR's Date header (TOTP codes and OAuth signatures need it within {CLOCK_TOLERANCE_SECS} s)"),
                );
            }
            None => self.push("clock", true, "not checked: no Date header from IBKR"),
        }
    }
}

async fn reqwest_date(port: u16) -> Option<chrono::DateTime<chrono::Utc>> {
    let client = probe::http_builder()
        .ok()?
        .timeout(probe::UPSTREAM_TIMEOUT)
        .build()
        .ok()?;
    let r = client
        .post(format!("{}/tickle", probe::api_url(port)))
        .send()
        .await
        .ok()?;
    let date = r.headers().get(reqwest::header::DATE)?.to_str().ok()?;
    chrono::DateTime::parse_from_rfc2822(date)
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

/// The managed conf, else IBKR's `root/conf.yaml`, and which file it was.
fn read_conf(dir: &Path) -> Result<(ManagedConf, String), String> {
    let managed = crate::paths::conf_dir(dir).join(crate::paths::CONF_NAME);
    let file = if managed.is_file() {
        managed
    } else {
        dir.join("root").join("conf.yaml")
    };
    ManagedConf::from_user_file(&file)
        .map(|c| (c, file.display().to_string()))
        .map_err(|e| e.to_string())
}

/// The SHA-256 fingerprint of the certificate the gateway on `port` shows, and the TLS
/// version negotiated.
async fn certificate(port: u16) -> Option<(String, String)> {
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    #[derive(Debug)]
    struct Capture(
        Arc<Mutex<Option<Vec<u8>>>>,
        Arc<rustls::crypto::CryptoProvider>,
    );
    impl ServerCertVerifier for Capture {
        fn verify_server_cert(
            &self,
            end_entity: &rustls::pki_types::CertificateDer<'_>,
            _: &[rustls::pki_types::CertificateDer<'_>],
            _: &rustls::pki_types::ServerName<'_>,
            _: &[u8],
            _: rustls::pki_types::UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            if let Ok(mut c) = self.0.lock() {
                *c = Some(end_entity.to_vec());
            }
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &rustls::pki_types::CertificateDer<'_>,
            dss: &rustls::DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.1.signature_verification_algorithms,
            )
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &rustls::pki_types::CertificateDer<'_>,
            dss: &rustls::DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.1.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.1.signature_verification_algorithms.supported_schemes()
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let seen = Arc::new(Mutex::new(None));
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Capture(seen.clone(), provider)))
        .with_no_client_auth();
    let tcp = tokio::time::timeout(
        probe::LOCAL_TIMEOUT,
        tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)),
    )
    .await
    .ok()?
    .ok()?;
    let name = rustls::pki_types::ServerName::try_from("localhost").ok()?;
    let tls = tokio::time::timeout(
        probe::LOCAL_TIMEOUT,
        tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp),
    )
    .await
    .ok()?
    .ok()?;
    let version = tls
        .get_ref()
        .1
        .protocol_version()
        .map(|v| format!("{v:?}").replace('_', "."))
        .unwrap_or_default();
    let der = seen.lock().ok()?.clone()?;
    let fingerprint = Sha256::digest(&der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    Some((fingerprint, version))
}
