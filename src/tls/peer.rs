//! The client side towards one partner: its server certificate must come from the CA
//! configured for that partner and name that partner's station, not only the host name.
//! Another province's CA could issue a certificate for the partner's host name; it cannot make
//! this node talk to anyone but the partner it means.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::{TlsError, identity, load_crls, provider, roots_in};
use crate::config::{PeerConfig, TlsConfig};
use crate::ids::{CertIdentity, StationId};

/// Checks a partner's server certificate against that partner's CA and identity.
#[derive(Debug)]
struct PeerServerVerifier {
    inner: Arc<WebPkiServerVerifier>,
    station: StationId,
}

impl ServerCertVerifier for PeerServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verified = self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)?;
        match identity::identity_of(end_entity) {
            Ok(CertIdentity::Station(station)) if station == self.station => Ok(verified),
            _ => Err(Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(NotThePartner(
                self.station.clone(),
            )))))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The server certificate does not name the partner this node meant to reach.
#[derive(Debug, thiserror::Error)]
#[error("the server's certificate does not name urn:tiemeng:station:{0}")]
struct NotThePartner(StationId);

/// The client configuration for calling `peer`: trusts only `peer.ca`, checks its server
/// certificate against the CRLs and for the partner's station identity, and presents this
/// station's own certificate.
pub fn peer_client_config(tls: &TlsConfig, peer: &PeerConfig) -> Result<rustls::ClientConfig, TlsError> {
    let provider = provider();
    let inner = WebPkiServerVerifier::builder_with_provider(roots_in(&peer.ca)?, provider.clone())
        .with_crls(load_crls(&tls.crls)?)
        .build()
        .map_err(|e| TlsError::Verifier(e.to_string()))?;
    let verifier = Arc::new(PeerServerVerifier { inner, station: peer.id.clone() });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(super::VERSIONS)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_auth_cert(super::load_certs(&tls.cert)?, super::load_key(&tls.key)?)?;
    Ok(config)
}
