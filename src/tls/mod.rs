//! The only module that touches rustls: server and client configurations built from a
//! station's files, trusting only the configured CAs (never system roots), and the identity a
//! verified client certificate proves.
//!
//! Session resumption is switched off on the server: a resumed session skips certificate
//! verification, so a certificate revoked since the first handshake would still get in.
//! Connections are kept alive instead, which costs far less than it seems.

mod identity;
mod peer;
mod trust;
mod verifier;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::NoServerSessionStorage;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

pub use identity::{Authenticated, IdentityError, identity_of, require_client_auth};
pub use peer::peer_client_config;
pub use trust::{Trust, roots_in};
pub use verifier::ClientVerifier;

use crate::config::Config;

/// A TLS setup problem, naming the file involved.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file is missing, unreadable or holds nothing usable.
    #[error("{path}: {reason}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration refused: {0}")]
    Config(#[from] rustls::Error),
    /// The client verifier could not be built (e.g. no usable CA).
    #[error("client certificate verifier: {0}")]
    Verifier(String),
    /// A lock was poisoned by a panic.
    #[error("TLS state lock poisoned; restart the node")]
    Poisoned,
}

/// The crypto provider used everywhere (ring), passed explicitly instead of installed globally.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Protocol versions offered: TLS 1.3 first, TLS 1.2 for older peers.
const VERSIONS: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];

/// Reads every certificate in a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem_error = |reason: String| TlsError::Pem { path: path.to_owned(), reason };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(pem_error("no certificate found".into()));
    }
    Ok(certs)
}

/// Reads a private key from a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::Pem { path: path.to_owned(), reason: e.to_string() })
}

/// Builds the root store from a CA bundle.
pub fn load_roots(bundle: &Path) -> Result<Arc<RootCertStore>, TlsError> {
    roots_in(bundle)
}

/// A client for an alert gateway on the station's network: trusts only `ca` (none for a
/// plain `http://` gateway) and presents no certificate.
pub fn gateway_client_config(ca: Option<&Path>) -> Result<ClientConfig, TlsError> {
    let roots = match ca {
        Some(ca) => roots_in(ca)?,
        None => Arc::new(RootCertStore::empty()),
    };
    Ok(ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(VERSIONS)?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Reads CRL files.
pub fn load_crls(paths: &[PathBuf]) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsError> {
    paths
        .iter()
        .map(|path| {
            CertificateRevocationListDer::from_pem_file(path)
                .map_err(|e| TlsError::Pem { path: path.clone(), reason: e.to_string() })
        })
        .collect()
}

/// The server side: the station's certificate, and client certificates required and checked
/// by [`ClientVerifier`]. Returns the verifier too, so CRL changes can be picked up.
pub fn server_config(config: &Config) -> Result<(Arc<ServerConfig>, Arc<ClientVerifier>), TlsError> {
    let provider = provider();
    let tls = &config.tls;
    let verifier = Arc::new(ClientVerifier::new(Trust::of(config)?, tls.crls.clone(), provider.clone())?);
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(VERSIONS)?
        .with_client_cert_verifier(verifier.clone())
        .with_single_cert(load_certs(&tls.cert)?, load_key(&tls.key)?)?;
    config.session_storage = Arc::new(NoServerSessionStorage {});
    // The server picks the strongest suite both sides support, whatever the client prefers.
    config.ignore_client_order = true;
    config.send_tls13_tickets = 0;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(config), verifier))
}

/// The client side for the officer CLI and tools: trusts only `ca_bundle`, checks the server
/// against `crls`, and presents `cert`/`key`. Calls to partner stations use
/// [`peer_client_config`], which also holds each partner to its own CA and identity.
pub fn client_config(ca_bundle: &Path, crls: &[PathBuf], cert: &Path, key: &Path) -> Result<ClientConfig, TlsError> {
    let provider = provider();
    let roots = load_roots(ca_bundle)?;
    let crls = load_crls(crls)?;
    let server_verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .with_crls(crls)
        .build()
        .map_err(|e| TlsError::Verifier(e.to_string()))?;
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(VERSIONS)?
        .with_webpki_verifier(server_verifier)
        .with_client_auth_cert(load_certs(cert)?, load_key(key)?)?;
    Ok(config)
}
