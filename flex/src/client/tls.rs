//! TLS for the Flex Web Service: rustls with the ring provider and the webpki roots.

use crate::client::error::FlexError;
use std::sync::Arc;

/// A rustls client configuration trusting the Mozilla roots (webpki-roots).
pub(crate) fn client_config() -> Result<rustls::ClientConfig, FlexError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| FlexError::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}
