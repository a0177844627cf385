//! Certificate revocation lists: what goes into one ([`CrlSpec`]) and the signed result ([`Crl`]).

use rcgen::{CertificateRevocationListParams, KeyIdMethod, RevokedCertParams, SerialNumber};
use rustls_pki_types::CertificateRevocationListDer;
use time::{Duration, OffsetDateTime};

/// How long a freshly issued dev CRL stays valid. Nodes enforce `next_update` (an expired
/// CRL locks its CA's certificates out), so this must comfortably cover a dev setup left alone.
pub const DEFAULT_CRL_DAYS: i64 = 30;

/// Backdating of `this_update`, so a node with a slightly slow clock accepts the CRL.
const CRL_SKEW: Duration = Duration::minutes(5);

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedCert {
    /// Serial number, big-endian (as in [`super::LeafCert::serial`]).
    pub serial: Vec<u8>,
    /// When the CA processed the revocation.
    pub revoked_at: OffsetDateTime,
}

/// What to put into a CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlSpec {
    /// Monotonically increasing CRL number for this CA.
    pub crl_number: u64,
    /// Issue time.
    pub this_update: OffsetDateTime,
    /// Time by which a newer CRL is promised; after it the CRL is expired.
    pub next_update: OffsetDateTime,
    /// The revoked certificates.
    pub revoked: Vec<RevokedCert>,
}

impl CrlSpec {
    /// An empty CRL issued now and valid for `valid_for`.
    pub fn new(crl_number: u64, valid_for: Duration) -> Self {
        let now = OffsetDateTime::now_utc();
        Self { crl_number, this_update: now - CRL_SKEW, next_update: now + valid_for, revoked: Vec::new() }
    }

    /// An empty CRL valid for [`DEFAULT_CRL_DAYS`].
    pub fn with_default_validity(crl_number: u64) -> Self {
        Self::new(crl_number, Duration::days(DEFAULT_CRL_DAYS))
    }

    /// A CRL whose `next_update` passed yesterday: nodes must treat it as stale.
    #[cfg(feature = "test-support")]
    pub fn expired(crl_number: u64) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            crl_number,
            this_update: now - Duration::days(8),
            next_update: now - Duration::days(1),
            revoked: Vec::new(),
        }
    }

    /// Adds a serial revoked now.
    pub fn revoke(self, serial: impl Into<Vec<u8>>) -> Self {
        self.revoke_at(serial, OffsetDateTime::now_utc())
    }

    /// Adds a serial revoked at `revoked_at`.
    pub fn revoke_at(mut self, serial: impl Into<Vec<u8>>, revoked_at: OffsetDateTime) -> Self {
        self.revoked.push(RevokedCert { serial: serial.into(), revoked_at });
        self
    }

    /// The rcgen parameters; `key_id` must be the issuer's own key identifier
    /// method so the CRL's authority key identifier matches the CA's subject key id.
    pub(crate) fn to_params(&self, key_id: KeyIdMethod) -> CertificateRevocationListParams {
        let revoked_certs = self
            .revoked
            .iter()
            .map(|r| RevokedCertParams {
                serial_number: SerialNumber::from_slice(&r.serial),
                revocation_time: r.revoked_at,
                reason_code: None,
                invalidity_date: None,
            })
            .collect();
        CertificateRevocationListParams {
            this_update: self.this_update,
            next_update: self.next_update,
            crl_number: SerialNumber::from_slice(&self.crl_number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: key_id,
        }
    }
}

/// A signed CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crl {
    /// PEM (`-----BEGIN X509 CRL-----`), the form written to disk.
    pub pem: String,
    /// DER, the form rustls takes.
    pub der: CertificateRevocationListDer<'static>,
}
