//! Reading certificates back: rebuilding a CA's issuer from its PEM, and reading a
//! leaf's serial for revocation.
//!
//! rcgen's own `Issuer::from_ca_cert_pem` needs its `x509-parser` feature, which the
//! crate does not enable; x509-parser is a direct dependency anyway, so the few
//! fields an issuer needs (subject, key usages, key identifier) are read here.

use std::path::Path;

use rcgen::{DistinguishedName, DnType, DnValue, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use x509_parser::asn1_rs::Tag;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::x509::X509Name;

use super::PkiError;
use super::leaf::canonical_serial;

/// A CA rebuilt from its certificate and key.
pub(crate) struct LoadedCa {
    pub issuer: Issuer<'static, KeyPair>,
    pub cert_der: CertificateDer<'static>,
    pub common_name: String,
    pub serial: Vec<u8>,
    pub key_id: KeyIdMethod,
}

/// What revocation needs to know about a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    /// Serial number, big-endian without leading zeros.
    pub serial: Vec<u8>,
    /// Subject common name, or the empty string if there is none.
    pub common_name: String,
    /// The DER bytes of the issuer name.
    pub issuer_der: Vec<u8>,
    /// The DER bytes of the subject name.
    pub subject_der: Vec<u8>,
}

/// Decodes the first certificate of a PEM text.
pub fn cert_der_from_pem(pem: &str, path: &Path) -> Result<CertificateDer<'static>, PkiError> {
    CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| PkiError::parse(path, e))
}

/// Reads serial, common name, issuer and subject of the first certificate in `pem`.
pub fn summarize(pem: &str, path: &Path) -> Result<CertSummary, PkiError> {
    let der = cert_der_from_pem(pem, path)?;
    let cert = parse_der(&der, path)?;
    Ok(summary_of(&cert))
}

fn summary_of(cert: &X509Certificate<'_>) -> CertSummary {
    CertSummary {
        serial: canonical_serial(cert.raw_serial().to_vec()),
        common_name: common_name(cert.subject()),
        issuer_der: cert.issuer().as_raw().to_vec(),
        subject_der: cert.subject().as_raw().to_vec(),
    }
}

/// Rebuilds an issuer from a CA certificate and its key, and proves the result
/// issues certificates that chain to that CA.
pub(crate) fn load_ca(cert_pem: &str, cert_path: &Path, key: KeyPair, key_path: &Path) -> Result<LoadedCa, PkiError> {
    let der = cert_der_from_pem(cert_pem, cert_path)?;
    let cert = parse_der(&der, cert_path)?;
    if !cert.is_ca() {
        return Err(PkiError::NotACa { path: cert_path.to_path_buf() });
    }
    if key.public_key_raw() != cert.public_key().subject_public_key.data.as_ref() {
        return Err(PkiError::KeyMismatch { cert: cert_path.to_path_buf(), key: key_path.to_path_buf() });
    }
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = distinguished_name(cert.subject(), cert_path)?;
    params.key_usages = key_usages(&cert, cert_path)?;
    let key_id = key_id_method(&cert);
    params.key_identifier_method = key_id.clone();
    let issuer = Issuer::new(params, key);
    check_issuer_name(&issuer, cert.subject(), cert_path)?;
    let summary = summary_of(&cert);
    Ok(LoadedCa {
        issuer,
        cert_der: der.clone().into_owned(),
        common_name: summary.common_name,
        serial: summary.serial,
        key_id,
    })
}

fn parse_der<'a>(der: &'a [u8], path: &Path) -> Result<X509Certificate<'a>, PkiError> {
    match x509_parser::parse_x509_certificate(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(PkiError::parse_said(path, "证书后有多余数据", "extra data after the certificate")),
        Err(e) => Err(PkiError::parse(path, e)),
    }
}

fn common_name(name: &X509Name<'_>) -> String {
    name.iter_common_name().next().and_then(|cn| cn.as_str().ok()).unwrap_or_default().to_owned()
}

fn distinguished_name(name: &X509Name<'_>, path: &Path) -> Result<DistinguishedName, PkiError> {
    let mut dn = DistinguishedName::new();
    for attr in name.iter_attributes() {
        let oid: Vec<u64> = attr
            .attr_type()
            .iter()
            .ok_or_else(|| {
                PkiError::parse_said(path, "主题中有无法识别的属性", "an attribute of the subject is not understood")
            })?
            .collect();
        let text = attr.as_str().map_err(|e| PkiError::parse(path, e))?;
        let value = match attr.attr_value().tag() {
            Tag::Utf8String => DnValue::Utf8String(text.to_owned()),
            Tag::PrintableString => DnValue::PrintableString(text.try_into().map_err(|e| PkiError::parse(path, e))?),
            Tag::Ia5String => DnValue::Ia5String(text.try_into().map_err(|e| PkiError::parse(path, e))?),
            other => {
                return Err(PkiError::parse_said(
                    path,
                    format!("主题中不支持的字符串类型 {other}"),
                    format!("string type {other} in the subject is not supported"),
                ));
            }
        };
        dn.push(DnType::from_oid(&oid), value);
    }
    Ok(dn)
}

fn key_usages(cert: &X509Certificate<'_>, path: &Path) -> Result<Vec<KeyUsagePurpose>, PkiError> {
    let Some(ext) = cert.key_usage().map_err(|e| PkiError::parse(path, e))? else {
        // No extension: rcgen then places no restriction, matching RFC 5280.
        return Ok(Vec::new());
    };
    let ku = ext.value;
    let flags = [
        (ku.digital_signature(), KeyUsagePurpose::DigitalSignature),
        (ku.non_repudiation(), KeyUsagePurpose::ContentCommitment),
        (ku.key_encipherment(), KeyUsagePurpose::KeyEncipherment),
        (ku.data_encipherment(), KeyUsagePurpose::DataEncipherment),
        (ku.key_agreement(), KeyUsagePurpose::KeyAgreement),
        (ku.key_cert_sign(), KeyUsagePurpose::KeyCertSign),
        (ku.crl_sign(), KeyUsagePurpose::CrlSign),
        (ku.encipher_only(), KeyUsagePurpose::EncipherOnly),
        (ku.decipher_only(), KeyUsagePurpose::DecipherOnly),
    ];
    Ok(flags.into_iter().filter(|(set, _)| *set).map(|(_, p)| p).collect())
}

/// Reuses the CA's subject key identifier verbatim, so the authority key identifier
/// of every issued certificate matches it whatever hash the CA was made with.
fn key_id_method(cert: &X509Certificate<'_>) -> KeyIdMethod {
    cert.iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(KeyIdMethod::PreSpecified(id.0.to_vec())),
            _ => None,
        })
        .unwrap_or(KeyIdMethod::Sha256)
}

/// Verifiers chain certificates by comparing the issuer name byte for byte with the
/// CA's subject. A subject that rcgen re-encodes differently (multi-valued RDNs,
/// repeated attributes, other string types) would silently produce unverifiable
/// certificates, so a throwaway certificate is signed and its issuer compared now.
fn check_issuer_name(issuer: &Issuer<'static, KeyPair>, subject: &X509Name<'_>, path: &Path) -> Result<(), PkiError> {
    let probe = rcgen::CertificateParams::default()
        .signed_by(issuer.key(), issuer)
        .map_err(PkiError::generate(("校验证书", "check certificate")))?;
    let probe = parse_der(probe.der(), path)?;
    if probe.issuer().as_raw() == subject.as_raw() {
        Ok(())
    } else {
        Err(PkiError::parse_said(
            path,
            "CA主题名称的编码方式不受支持，无法用它签发证书",
            "the CA's subject name is encoded in a way that cannot issue certificates",
        ))
    }
}
