//! Certificate authorities: one self-signed root per province, and intermediates for tests.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
    SerialNumber,
};
use rustls_pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

use super::crl::{Crl, CrlSpec};
use super::files::{self, Overwrite};
use super::leaf::{self, CLOCK_SKEW, LeafCert, LeafSpec};
use super::{PkiError, names, parse};

/// Lifetime of a root CA: ten years, so a dev setup outlives the project phase it serves.
pub const ROOT_DAYS: i64 = 3650;
/// Lifetime of an intermediate CA.
pub const INTERMEDIATE_DAYS: i64 = 1825;

/// A certificate authority that can issue certificates and CRLs (ECDSA P-256).
///
/// Its `Debug` output never shows the private key (rcgen's `Issuer` elides it).
#[derive(Debug)]
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    cert_der: CertificateDer<'static>,
    cert_pem: String,
    common_name: String,
    serial: Vec<u8>,
    /// How the CA's subject key identifier was derived; CRLs need it for their
    /// authority key identifier and rcgen's `Issuer` does not expose it.
    key_id: KeyIdMethod,
}

impl Authority {
    /// Creates a new self-signed root CA named `common_name` (O = 铁盟 tiemeng dev).
    pub fn new_root(common_name: &str) -> Result<Self, PkiError> {
        let key = new_key()?;
        let (params, serial) = ca_params(common_name, ROOT_DAYS, BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).map_err(PkiError::generate(("根CA证书", "root CA certificate")))?;
        Ok(Self {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
            common_name: common_name.to_owned(),
            serial,
            key_id: KeyIdMethod::Sha256,
        })
    }

    /// Creates a new root CA for a province, named like "浙江省公安厅 铁盟测试根CA".
    pub fn for_province(province: &str) -> Result<Self, PkiError> {
        Self::new_root(&names::default_ca_name(province)?)
    }

    /// Issues an intermediate CA below this one. It may issue leaves but no further
    /// CAs (path length 0); tests use it to check that revoking it cuts off its leaves.
    pub fn issue_intermediate(&self, common_name: &str) -> Result<Self, PkiError> {
        let key = new_key()?;
        let (mut params, serial) = ca_params(common_name, INTERMEDIATE_DAYS, BasicConstraints::Constrained(0));
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(PkiError::generate(("中间CA证书", "intermediate CA certificate")))?;
        Ok(Self {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
            common_name: common_name.to_owned(),
            serial,
            key_id: KeyIdMethod::Sha256,
        })
    }

    /// Issues a leaf certificate with a fresh ECDSA P-256 key.
    ///
    /// Every leaf names where its CRL is published, as TLS scanners and relying parties
    /// expect. The dev CA publishes nowhere, so the address is under the reserved `.test`
    /// domain; a real provincial CA puts its own address there.
    pub fn issue(&self, spec: &LeafSpec) -> Result<LeafCert, PkiError> {
        let key = new_key()?;
        let (mut params, serial) = spec.to_params()?;
        params.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
            uris: vec![format!("http://crl.tiemeng.test/{}.crl", hex::encode(&self.serial))],
        }];
        let cert = params.signed_by(&key, &self.issuer).map_err(PkiError::generate(("证书", "certificate")))?;
        Ok(LeafCert {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            key_pem: key.serialize_pem(),
            key_pkcs8_der: key.serialize_der(),
            serial,
        })
    }

    /// Signs a CRL.
    pub fn crl(&self, spec: &CrlSpec) -> Result<Crl, PkiError> {
        let crl = spec
            .to_params(self.key_id.clone())
            .signed_by(&self.issuer)
            .map_err(PkiError::generate(("吊销列表", "CRL")))?;
        let pem = crl.pem().map_err(PkiError::generate(("吊销列表PEM", "CRL PEM")))?;
        Ok(Crl { pem, der: crl.der().clone() })
    }

    /// The subject common name.
    pub fn common_name(&self) -> &str {
        &self.common_name
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The CA certificate, DER (what goes into a rustls `RootCertStore`).
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    /// The CA's private key, PKCS#8 PEM.
    pub fn key_pem(&self) -> String {
        self.issuer.key().serialize_pem()
    }

    /// The CA certificate's serial number (to revoke an intermediate).
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }

    /// Writes the certificate (0644) and the key (0600). With [`Overwrite::Never`]
    /// nothing is written if either exists; the key is checked first so the error
    /// names the CA key, the file whose loss would matter.
    pub fn save(&self, cert: &Path, key: &Path, overwrite: Overwrite) -> Result<(), PkiError> {
        if overwrite == Overwrite::Never {
            files::ensure_absent([key, cert])?;
        }
        files::write_secret(key, self.key_pem().as_bytes(), overwrite)?;
        files::write_public(cert, self.cert_pem.as_bytes(), overwrite)
    }

    /// Loads a CA saved by [`Authority::save`] (or any ECDSA/Ed25519 CA with a
    /// PKCS#8 key), so next week's `tiemeng pki station` issues with the same CA.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, PkiError> {
        let cert_pem = files::read_text(cert)?;
        let key_pem = files::read_text(key)?;
        Self::from_pem_labeled(&cert_pem, cert, &key_pem, key)
    }

    /// Like [`Authority::load`], from PEM text in memory.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, PkiError> {
        let label = Path::new("<内存>");
        Self::from_pem_labeled(cert_pem, label, key_pem, label)
    }

    fn from_pem_labeled(cert_pem: &str, cert_path: &Path, key_pem: &str, key_path: &Path) -> Result<Self, PkiError> {
        let key = KeyPair::from_pem(key_pem).map_err(|e| PkiError::parse(key_path, e))?;
        let loaded = parse::load_ca(cert_pem, cert_path, key, key_path)?;
        Ok(Self {
            issuer: loaded.issuer,
            cert_pem: cert_pem.to_owned(),
            cert_der: loaded.cert_der,
            common_name: loaded.common_name,
            serial: loaded.serial,
            key_id: loaded.key_id,
        })
    }
}

fn new_key() -> Result<KeyPair, PkiError> {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(PkiError::generate(("ECDSA P-256 密钥", "ECDSA P-256 key")))
}

fn ca_params(common_name: &str, days: i64, constraints: BasicConstraints) -> (CertificateParams, Vec<u8>) {
    let now = OffsetDateTime::now_utc();
    let serial = leaf::random_serial();
    let mut params = CertificateParams::default();
    params.distinguished_name = leaf::dev_name(common_name);
    params.not_before = now - CLOCK_SKEW;
    params.not_after = now + Duration::days(days);
    params.is_ca = IsCa::Ca(constraints);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    (params, serial)
}
