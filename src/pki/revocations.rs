//! The revocation record kept next to a CA (`<province>.revoked.json`).
//!
//! A CRL is re-signed from this record each time, so repeated `tiemeng pki revoke`
//! runs accumulate instead of each CRL listing only the latest certificate, and the
//! CRL number keeps increasing across runs as RFC 5280 requires.

use std::path::Path;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::PkiError;
use super::crl::CrlSpec;
use super::files::{self, Overwrite};

/// Format version of the file; bumped when its shape changes.
pub const REVOCATIONS_VERSION: u32 = 1;

/// All certificates a CA has revoked, and the last CRL number it used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationList {
    /// Always [`REVOCATIONS_VERSION`]; other versions are refused on load.
    pub version: u32,
    /// The number of the last CRL issued from this list (0: none yet).
    pub crl_number: u64,
    /// Revoked certificates, oldest first.
    pub revoked: Vec<RevocationEntry>,
}

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationEntry {
    /// Serial number, lowercase hex without leading zero bytes.
    pub serial: String,
    /// Subject common name, for the admin reading the file.
    pub subject: String,
    /// When the certificate was revoked.
    #[serde(with = "time::serde::rfc3339")]
    pub revoked_at: OffsetDateTime,
}

impl Default for RevocationList {
    fn default() -> Self {
        Self { version: REVOCATIONS_VERSION, crl_number: 0, revoked: Vec::new() }
    }
}

impl RevocationList {
    /// Loads the list at `path`, or an empty one if the file does not exist yet.
    pub fn load_or_empty(path: &Path) -> Result<Self, PkiError> {
        if !path.exists() {
            return Ok(Self::default());
        }
        let text = files::read_text(path)?;
        let list: Self = serde_json::from_str(&text).map_err(|e| PkiError::parse(path, e))?;
        if list.version != REVOCATIONS_VERSION {
            return Err(PkiError::parse_said(
                path,
                format!("不支持的版本 {}（应为 {REVOCATIONS_VERSION}）", list.version),
                format!("version {} is not supported (expected {REVOCATIONS_VERSION})", list.version),
            ));
        }
        list.check_serials(path)?;
        Ok(list)
    }

    /// Writes the list (0644), atomically replacing any previous version.
    pub fn save(&self, path: &Path) -> Result<(), PkiError> {
        let mut json = serde_json::to_string_pretty(self).map_err(|e| PkiError::parse(path, e))?;
        json.push('\n');
        files::write_public(path, json.as_bytes(), Overwrite::Replace)
    }

    /// Records a revocation; returns `false` (and changes nothing) if the serial
    /// is already listed, so revoking twice keeps the original revocation time.
    pub fn add(&mut self, serial: &[u8], subject: &str, revoked_at: OffsetDateTime) -> bool {
        let serial = hex::encode(serial);
        if self.revoked.iter().any(|e| e.serial == serial) {
            return false;
        }
        self.revoked.push(RevocationEntry { serial, subject: subject.to_owned(), revoked_at });
        true
    }

    /// Takes the next CRL number and returns a CRL spec listing every revocation,
    /// valid for `valid_for`. Save the list afterwards so the number is not reused.
    pub fn next_crl(&mut self, valid_for: Duration) -> CrlSpec {
        self.crl_number += 1;
        self.revoked.iter().fold(CrlSpec::new(self.crl_number, valid_for), |spec, entry| {
            // Serials were validated as hex on load or written by `add`.
            let serial = hex::decode(&entry.serial).unwrap_or_default();
            spec.revoke_at(serial, entry.revoked_at)
        })
    }

    fn check_serials(&self, path: &Path) -> Result<(), PkiError> {
        match self.revoked.iter().find(|e| e.serial.is_empty() || hex::decode(&e.serial).is_err()) {
            Some(bad) => Err(PkiError::parse_said(
                path,
                format!("序列号不是十六进制：{}", bad.serial),
                format!("serial number {} is not hex", bad.serial),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn revocations_accumulate_and_crl_numbers_increase() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("33.revoked.json");
        let mut list = RevocationList::load_or_empty(&path).unwrap();
        assert!(list.add(&[1, 2], "陈志强", OffsetDateTime::now_utc()));
        assert_eq!(list.next_crl(Duration::days(1)).crl_number, 1);
        list.save(&path).unwrap();

        let mut list = RevocationList::load_or_empty(&path).unwrap();
        assert!(!list.add(&[1, 2], "陈志强", OffsetDateTime::now_utc()));
        assert!(list.add(&[3], "林晓燕", OffsetDateTime::now_utc()));
        let spec = list.next_crl(Duration::days(1));
        assert_eq!(spec.crl_number, 2);
        let serials: Vec<_> = spec.revoked.iter().map(|r| r.serial.clone()).collect();
        assert_eq!(serials, [vec![1, 2], vec![3]]);
    }

    #[test]
    fn unknown_versions_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        std::fs::write(&path, r#"{"version":9,"crl_number":0,"revoked":[]}"#).unwrap();
        let err = RevocationList::load_or_empty(&path).unwrap_err();
        assert!(err.to_string().contains("r.json"));
    }
}
