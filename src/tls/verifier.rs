//! The client-certificate verifier: webpki chain and CRL checks, plus what rustls leaves out
//! for a police CA — the clientAuth EKU is required, CRL expiry is enforced, CRLs can be
//! replaced on disk and take effect without a restart, and which CA may vouch for whom is
//! decided by verification against that CA alone.
//!
//! # Who vouches for whom
//! The handshake accepts a certificate that any configured CA verifies: this station's own
//! province CA and every partner's. That only says the caller is known to some CA here. Which
//! identity it may take is a second question, answered by verifying the same chain again
//! against one group of roots only: this station's own CA(s) for an officer, the CA configured
//! for that partner for a station ([`ClientVerifier::vouches`]). Path building checks every
//! signature, so certificates a client adds to its chain can help build a path but never
//! decide which root it ends at; their names count for nothing.

use std::collections::BTreeMap;
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

use super::{TlsError, Trust, identity};
use crate::ids::{CertIdentity, StationId};

/// A reloadable client-certificate verifier that also knows which CA may vouch for whom.
#[derive(Debug)]
pub struct ClientVerifier {
    trust: Trust,
    provider: Arc<CryptoProvider>,
    hints: Vec<DistinguishedName>,
    crl_paths: Vec<PathBuf>,
    inner: RwLock<Arc<Verifiers>>,
    /// Modification times and sizes of the CRL files the current verifiers were built from.
    seen: Mutex<Vec<Option<(SystemTime, u64)>>>,
}

/// One webpki verifier per group of roots, all built from the same CRLs.
#[derive(Debug)]
struct Verifiers {
    /// Every configured root: what the handshake accepts.
    any: Arc<dyn ClientCertVerifier>,
    /// This station's own CA(s): the only ones vouching for its officers.
    home: Arc<dyn ClientCertVerifier>,
    /// Each partner's configured CA(s): the only ones vouching for that partner.
    peers: BTreeMap<StationId, Arc<dyn ClientCertVerifier>>,
}

impl ClientVerifier {
    /// Builds a verifier for `trust`, checking the CRLs in `crl_paths`.
    pub fn new(trust: Trust, crl_paths: Vec<PathBuf>, provider: Arc<CryptoProvider>) -> Result<Self, TlsError> {
        let hints = trust.all().subjects();
        let seen = stamps(&crl_paths);
        let inner = build(&trust, &crl_paths, &provider)?;
        Ok(Self { trust, provider, hints, crl_paths, inner: RwLock::new(Arc::new(inner)), seen: Mutex::new(seen) })
    }

    /// Rebuilds the verifiers if a CRL file changed. On a bad new CRL the old verifiers stay
    /// and the error is returned, so a botched copy never opens the door.
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        let now = stamps(&self.crl_paths);
        let mut seen = self.seen.lock().map_err(|_| TlsError::Poisoned)?;
        if *seen == now {
            return Ok(false);
        }
        let rebuilt = build(&self.trust, &self.crl_paths, &self.provider)?;
        *self.inner.write().map_err(|_| TlsError::Poisoned)? = Arc::new(rebuilt);
        *seen = now;
        Ok(true)
    }

    /// True when the CA entitled to vouch for `identity` verifies `chain` (leaf first, as the
    /// client sent it) at `now`: this station's own CA for an officer, the partner's
    /// configured CA for a station. A station that is not a partner has no such CA.
    pub fn vouches(&self, identity: &CertIdentity, chain: &[CertificateDer<'_>], now: UnixTime) -> bool {
        let Some((end_entity, intermediates)) = chain.split_first() else { return false };
        let Ok(verifiers) = self.current() else { return false };
        let entitled = match identity {
            CertIdentity::Officer(_) => Some(&verifiers.home),
            CertIdentity::Station(station) => verifiers.peers.get(station),
        };
        entitled.is_some_and(|verifier| verifier.verify_client_cert(end_entity, intermediates, now).is_ok())
    }

    fn current(&self) -> Result<Arc<Verifiers>, Error> {
        self.inner.read().map(|inner| inner.clone()).map_err(|_| Error::General("verifier lock poisoned".into()))
    }
}

fn stamps(paths: &[PathBuf]) -> Vec<Option<(SystemTime, u64)>> {
    paths.iter().map(|p| std::fs::metadata(p).ok().and_then(|m| Some((m.modified().ok()?, m.len())))).collect()
}

fn build(trust: &Trust, crl_paths: &[PathBuf], provider: &Arc<CryptoProvider>) -> Result<Verifiers, TlsError> {
    let crls = crl_paths
        .iter()
        .map(|path| {
            CertificateRevocationListDer::from_pem_file(path)
                .map_err(|e| TlsError::Pem { path: path.clone(), reason: e.to_string() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let one = |roots: Arc<RootCertStore>| -> Result<Arc<dyn ClientCertVerifier>, TlsError> {
        WebPkiClientVerifier::builder_with_provider(roots, provider.clone())
            .with_crls(crls.iter().cloned())
            .enforce_revocation_expiration()
            .build()
            .map_err(|e| TlsError::Verifier(e.to_string()))
    };
    let peers = trust.peers.iter().map(|(station, roots)| Ok((station.clone(), one(roots.clone())?)));
    Ok(Verifiers {
        any: one(trust.all())?,
        home: one(trust.home.clone())?,
        peers: peers.collect::<Result<_, TlsError>>()?,
    })
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
        let verified = self.current()?.any.verify_client_cert(end_entity, intermediates, now)?;
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
        self.current()?.any.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.current()?.any.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
