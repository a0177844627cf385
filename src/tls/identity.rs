//! Reading identities and key usages out of certificates, and the identity a connection proved.

use rustls_pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::ids::CertIdentity;

/// Why a certificate that chained correctly still does not identify anyone here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The certificate does not parse.
    #[error("certificate does not parse")]
    Unparsable,
    /// No extended key usage, or one without clientAuth.
    #[error("certificate is not issued for client authentication (clientAuth EKU missing)")]
    NoClientAuth,
    /// No `urn:tiemeng:` SAN URI, or more than one.
    #[error("certificate must carry exactly one urn:tiemeng: identity in its subject alternative names")]
    NoIdentity,
}

/// Requires the clientAuth extended key usage. rustls accepts a certificate with no EKU at
/// all for client authentication; a police CA's certificates must say what they are for.
pub fn require_client_auth(cert: &CertificateDer<'_>) -> Result<(), IdentityError> {
    let (_, parsed) = X509Certificate::from_der(cert.as_ref()).map_err(|_| IdentityError::Unparsable)?;
    match parsed.extended_key_usage() {
        Ok(Some(eku)) if eku.value.client_auth => Ok(()),
        _ => Err(IdentityError::NoClientAuth),
    }
}

/// The tiemeng identity a certificate names in its SAN URIs.
pub fn identity_of(cert: &CertificateDer<'_>) -> Result<CertIdentity, IdentityError> {
    let (_, parsed) = X509Certificate::from_der(cert.as_ref()).map_err(|_| IdentityError::Unparsable)?;
    let san = parsed.subject_alternative_name().map_err(|_| IdentityError::Unparsable)?;
    let mut found = san.into_iter().flat_map(|ext| ext.value.general_names.iter()).filter_map(|name| match name {
        GeneralName::URI(uri) if uri.starts_with("urn:tiemeng:") => Some(*uri),
        _ => None,
    });
    let (Some(uri), None) = (found.next(), found.next()) else {
        return Err(IdentityError::NoIdentity);
    };
    uri.parse().map_err(|_| IdentityError::NoIdentity)
}

/// The identity a client certificate proved, attached by the server to every request on its
/// connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Authenticated {
    /// Who the certificate says it is.
    pub identity: CertIdentity,
    /// Whether the CA entitled to vouch for that identity verified the certificate: this
    /// station's own CA for an officer, the CA configured for that partner for a station
    /// ([`super::ClientVerifier::vouches`]). A neighbouring province's CA is trusted for its
    /// own stations, never to vouch for this station's officers or for another province's
    /// stations; such a caller is known by name only and may do nothing.
    pub vouched: bool,
}
