//! End-entity certificates: what to put in them ([`LeafSpec`]) and what comes out ([`LeafCert`]).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

use super::PkiError;
use super::files::{self, Overwrite};
use super::names::{self, DEV_ORGANIZATION};

/// Default leaf lifetime: 397 days, the longest public CAs may issue and TLS scanners accept.
pub const DEFAULT_LEAF_DAYS: i64 = 397;

/// Backdating of `not_before`, so a peer whose clock is a little behind still accepts it.
pub const CLOCK_SKEW: Duration = Duration::hours(1);

/// Which extended key usages a leaf certificate carries.
///
/// The broken variants exist for tests, only with the `test-support` feature: rustls accepts a
/// client certificate with no EKU extension at all, and tiemeng must refuse it itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eku {
    /// serverAuth and clientAuth: a station both serves and calls its peers.
    ServerAndClient,
    /// clientAuth only: officers' certificates.
    ClientOnly,
    /// serverAuth only: a certificate that must be refused as a client.
    #[cfg(feature = "test-support")]
    ServerOnly,
    /// No EKU extension at all.
    #[cfg(feature = "test-support")]
    None,
}

impl Eku {
    fn purposes(self) -> Vec<ExtendedKeyUsagePurpose> {
        use ExtendedKeyUsagePurpose::{ClientAuth, ServerAuth};
        match self {
            Self::ServerAndClient => vec![ServerAuth, ClientAuth],
            Self::ClientOnly => vec![ClientAuth],
            #[cfg(feature = "test-support")]
            Self::ServerOnly => vec![ServerAuth],
            #[cfg(feature = "test-support")]
            Self::None => Vec::new(),
        }
    }
}

/// What to put into a leaf certificate. Build with [`LeafSpec::new`], [`LeafSpec::station`]
/// or [`LeafSpec::officer`] and adjust with the builder methods; fields are public so
/// tests can also set anything directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafSpec {
    /// Subject common name (UTF-8; may be Chinese).
    pub common_name: String,
    /// SAN DNS names.
    pub dns_names: Vec<String>,
    /// SAN IP addresses.
    pub ips: Vec<IpAddr>,
    /// SAN URIs (`urn:tiemeng:...` identities).
    pub uris: Vec<String>,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// Extended key usages.
    pub eku: Eku,
    /// Serial number as big-endian bytes; `None` draws 16 random bytes.
    pub serial: Option<Vec<u8>>,
}

impl LeafSpec {
    /// A server+client certificate for `common_name`, valid from an hour ago for 397 days.
    pub fn new(common_name: impl Into<String>) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            common_name: common_name.into(),
            dns_names: Vec::new(),
            ips: Vec::new(),
            uris: Vec::new(),
            not_before: now - CLOCK_SKEW,
            not_after: now + Duration::days(DEFAULT_LEAF_DAYS),
            eku: Eku::ServerAndClient,
            serial: None,
        }
    }

    /// A station's TLS certificate: server+client auth, the given DNS names plus
    /// `localhost` and `127.0.0.1` (dev nodes talk over loopback), and the SAN URI
    /// `urn:tiemeng:station:<id>` that carries the station's identity.
    pub fn station(station_id: &str, dns_names: &[String]) -> Self {
        let mut spec = Self::new(station_id).uri(names::station_uri(station_id)).ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        for dns in dns_names.iter().map(String::as_str).chain(["localhost"]) {
            if !spec.dns_names.iter().any(|d| d == dns) {
                spec = spec.dns(dns);
            }
        }
        spec
    }

    /// An officer's client certificate: clientAuth only, CN = display name, SAN URI
    /// `urn:tiemeng:officer:<station>:<badge>`. Roles are deliberately absent: they
    /// live in the node's registry so a role change needs no reissue.
    pub fn officer(station_id: &str, badge: &str, display_name: &str) -> Self {
        Self::new(display_name).uri(names::officer_uri(station_id, badge)).eku(Eku::ClientOnly)
    }

    /// Adds a SAN DNS name.
    pub fn dns(mut self, name: impl Into<String>) -> Self {
        self.dns_names.push(name.into());
        self
    }

    /// Adds a SAN IP address.
    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.ips.push(ip);
        self
    }

    /// Adds a SAN URI.
    pub fn uri(mut self, uri: impl Into<String>) -> Self {
        self.uris.push(uri.into());
        self
    }

    /// Sets the extended key usages.
    pub fn eku(mut self, eku: Eku) -> Self {
        self.eku = eku;
        self
    }

    /// Sets the validity period.
    pub fn validity(mut self, not_before: OffsetDateTime, not_after: OffsetDateTime) -> Self {
        self.not_before = not_before;
        self.not_after = not_after;
        self
    }

    /// Makes the certificate expired: valid for 30 days, ending yesterday.
    #[cfg(feature = "test-support")]
    pub fn expired(self) -> Self {
        let now = OffsetDateTime::now_utc();
        self.validity(now - Duration::days(31), now - Duration::days(1))
    }

    /// Makes the certificate not yet valid: starting tomorrow.
    #[cfg(feature = "test-support")]
    pub fn not_yet_valid(self) -> Self {
        let now = OffsetDateTime::now_utc();
        self.validity(now + Duration::days(1), now + Duration::days(31))
    }

    /// Sets an explicit serial number (big-endian, positive).
    pub fn serial(mut self, serial: impl Into<Vec<u8>>) -> Self {
        self.serial = Some(serial.into());
        self
    }

    /// The rcgen parameters for this spec, and the serial number they carry.
    pub(crate) fn to_params(&self) -> Result<(CertificateParams, Vec<u8>), PkiError> {
        let serial = canonical_serial(self.serial.clone().unwrap_or_else(random_serial));
        let mut params = CertificateParams::default();
        params.distinguished_name = dev_name(&self.common_name);
        params.subject_alt_names = self.subject_alt_names()?;
        params.not_before = self.not_before;
        params.not_after = self.not_after;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = self.eku.purposes();
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        params.use_authority_key_identifier_extension = true;
        Ok((params, serial))
    }

    fn subject_alt_names(&self) -> Result<Vec<SanType>, PkiError> {
        let dns = self.dns_names.iter().map(|name| {
            let name = name.as_str().try_into().map_err(PkiError::generate(("DNS名称", "DNS name")))?;
            Ok(SanType::DnsName(name))
        });
        let uris = self.uris.iter().map(|uri| {
            let uri = uri.as_str().try_into().map_err(PkiError::generate(("URI", "URI")))?;
            Ok(SanType::URI(uri))
        });
        let ips = self.ips.iter().map(|ip| Ok(SanType::IpAddress(*ip)));
        dns.chain(uris).chain(ips).collect()
    }
}

/// A subject name with the given CN and the dev organisation.
pub(crate) fn dev_name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name.push(DnType::OrganizationName, DEV_ORGANIZATION);
    name
}

/// 16 random bytes with the top bit clear and a non-zero first byte, so the DER
/// INTEGER is exactly these bytes: what a CRL lists is then what [`LeafCert::serial`] says.
pub(crate) fn random_serial() -> Vec<u8> {
    let mut serial: [u8; 16] = rand::random();
    serial[0] = (serial[0] & 0x7f).max(1);
    serial.to_vec()
}

/// Strips leading zero bytes: the DER encoder does the same, so stored and
/// encoded serials compare equal.
pub(crate) fn canonical_serial(serial: Vec<u8>) -> Vec<u8> {
    match serial.iter().position(|b| *b != 0) {
        Some(start) => serial[start..].to_vec(),
        None => vec![0],
    }
}

/// An issued leaf certificate with its private key.
#[derive(Clone)]
pub struct LeafCert {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The certificate, DER.
    pub cert_der: CertificateDer<'static>,
    /// The ECDSA P-256 private key, PKCS#8 PEM.
    pub key_pem: String,
    /// The private key, PKCS#8 DER.
    pub key_pkcs8_der: Vec<u8>,
    /// The serial number, big-endian without leading zeros (what a CRL lists).
    pub serial: Vec<u8>,
}

impl LeafCert {
    /// The private key in the form rustls takes it.
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_pkcs8_der.clone()))
    }

    /// The serial number as lowercase hex.
    pub fn serial_hex(&self) -> String {
        hex::encode(&self.serial)
    }

    /// Writes the certificate (0644) and key (0600). With [`Overwrite::Never`]
    /// nothing is written if either exists, so no certificate is left without its key.
    pub fn write(&self, cert: &Path, key: &Path, overwrite: Overwrite) -> Result<(), PkiError> {
        if overwrite == Overwrite::Never {
            files::ensure_absent([key, cert])?;
        }
        files::write_secret(key, self.key_pem.as_bytes(), overwrite)?;
        files::write_public(cert, self.cert_pem.as_bytes(), overwrite)
    }
}

impl fmt::Debug for LeafCert {
    /// Shows the serial, never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeafCert").field("serial", &self.serial_hex()).field("key", &"[elided]").finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn random_serials_encode_as_themselves() {
        for _ in 0..64 {
            let serial = random_serial();
            assert_eq!(serial.len(), 16);
            assert!(serial[0] != 0 && serial[0] < 0x80);
            assert_eq!(canonical_serial(serial.clone()), serial);
        }
    }

    #[test]
    fn canonical_serial_strips_leading_zeros() {
        assert_eq!(canonical_serial(vec![0, 0, 0x80, 1]), vec![0x80, 1]);
        assert_eq!(canonical_serial(vec![0, 0]), vec![0]);
    }

    #[test]
    fn station_spec_adds_loopback_names_once() {
        let spec = LeafSpec::station("zj-x", &["localhost".into(), "x.test".into()]);
        assert_eq!(spec.dns_names, ["localhost", "x.test"]);
        assert_eq!(spec.ips, [IpAddr::V4(Ipv4Addr::LOCALHOST)]);
        assert_eq!(spec.uris, ["urn:tiemeng:station:zj-x"]);
    }
}
