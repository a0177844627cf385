//! The client-certificate verifier: webpki chain and CRL checks, plus what rustls leaves out
//! for a police CA — the clientAuth EKU is required, CRL expiry is enforced, and CRLs can be
//! replaced on disk and take effect without a restart.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, Error, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, UnixTime};

use super::{TlsError, identity};

/// A reloadable client-certificate verifier.
#[derive(Debug)]
pub struct ClientVerifier {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
    hints: Vec<DistinguishedName>,
    crl_paths: Vec<PathBuf>,
    inner: RwLock<Arc<dyn ClientCertVerifier>>,
    /// Modification times and sizes of the CRL files the current verifier was built from.
    seen: Mutex<Vec<Option<(SystemTime, u64)>>>,
}

impl ClientVerifier {
    /// Builds a verifier trusting `roots` and checking the CRLs in `crl_paths`.
    pub fn new(
        roots: Arc<RootCertStore>,
        crl_paths: Vec<PathBuf>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, TlsError> {
        let hints = roots.subjects();
        let seen = stamps(&crl_paths);
        let inner = build(&roots, &crl_paths, &provider)?;
        Ok(Self { roots, provider, hints, crl_paths, inner: RwLock::new(inner), seen: Mutex::new(seen) })
    }

    /// Rebuilds the verifier if a CRL file changed. On a bad new CRL the old verifier stays and
    /// the error is returned, so a botched copy never opens the door.
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        let now = stamps(&self.crl_paths);
        let mut seen = self.seen.lock().map_err(|_| TlsError::Poisoned)?;
        if *seen == now {
            return Ok(false);
        }
        let rebuilt = build(&self.roots, &self.crl_paths, &self.provider)?;
        *self.inner.write().map_err(|_| TlsError::Poisoned)? = rebuilt;
        *seen = now;
        Ok(true)
    }

    fn current(&self) -> Result<Arc<dyn ClientCertVerifier>, Error> {
        self.inner.read().map(|inner| inner.clone()).map_err(|_| Error::General("verifier lock poisoned".into()))
    }
}

fn stamps(paths: &[PathBuf]) -> Vec<Option<(SystemTime, u64)>> {
    paths.iter().map(|p| std::fs::metadata(p).ok().and_then(|m| Some((m.modified().ok()?, m.len())))).collect()
}

fn build(
    roots: &Arc<RootCertStore>,
    crl_paths: &[PathBuf],
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ClientCertVerifier>, TlsError> {
    let crls = crl_paths
        .iter()
        .map(|path| {
            CertificateRevocationListDer::from_pem_file(path)
                .map_err(|e| TlsError::Pem { path: path.clone(), reason: e.to_string() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone())
        .with_crls(crls)
        .enforce_revocation_expiration()
        .build()
        .map_err(|e| TlsError::Verifier(e.to_string()))
}

impl ClientCertVerifier for ClientVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let verified = self.current()?.verify_client_cert(end_entity, intermediates, now)?;
        identity::require_client_auth(end_entity)
            .map_err(|_| Error::InvalidCertificate(rustls::CertificateError::InvalidPurpose))?;
        identity::identity_of(end_entity)
            .map_err(|e| Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(Arc::new(e)))))?;
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.current()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.current()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
