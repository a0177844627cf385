//! Reading identities and key usages out of certificates.

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

/// The distinguished name (DER) of the root a presented chain leads to: the issuer of the
/// highest certificate presented. Lets a node insist that its own officers' certificates come
/// from its own CA, not from the neighbouring province's, which it trusts only for stations.
pub fn chain_root(chain: &[CertificateDer<'_>]) -> Option<Vec<u8>> {
    let parsed: Vec<X509Certificate<'_>> =
        chain.iter().filter_map(|c| X509Certificate::from_der(c.as_ref()).ok().map(|(_, cert)| cert)).collect();
    let mut current = parsed.first()?;
    // Each step must climb to a different certificate; the bound stops a loop of names.
    for _ in 0..parsed.len() {
        let issuer = current.issuer().as_raw();
        match parsed
            .iter()
            .find(|c| c.subject().as_raw() == issuer && c.subject().as_raw() != current.subject().as_raw())
        {
            Some(parent) => current = parent,
            None => return Some(issuer.to_vec()),
        }
    }
    Some(current.issuer().as_raw().to_vec())
}
