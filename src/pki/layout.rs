//! Where PKI files live on disk, and the [`DevLayout`] that `dev::init` returns.
//!
//! ```text
//! <dir>/ca/<province>-ca.pem, <province>-ca.key, <province>.crl.pem, <province>.revoked.json
//! <dir>/ca-bundle.pem
//! <dir>/stations/<id>/tls.pem, tls.key, signing-<key-id>.key, signing-<key-id>.pub
//! <dir>/officers/<station>/<badge>.pem, <badge>.key
//! ```

use std::path::{Path, PathBuf};

use super::dev::{OfficerSpec, StationSpec};
use super::signing::SigningKeyFiles;

/// The files of one CA, all in one directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaPaths {
    /// Two-digit province code ("33"), or the file stem for CAs named otherwise.
    pub province: String,
    /// `<province>-ca.pem`.
    pub cert: PathBuf,
    /// `<province>-ca.key` (0600).
    pub key: PathBuf,
    /// `<province>.crl.pem`.
    pub crl: PathBuf,
    /// `<province>.revoked.json`, the record the CRL is re-signed from.
    pub revocations: PathBuf,
}

impl CaPaths {
    /// The files of province `province`'s CA in `ca_dir`.
    pub fn in_dir(ca_dir: &Path, province: &str) -> Self {
        Self {
            province: province.to_owned(),
            cert: ca_dir.join(format!("{province}-ca.pem")),
            key: ca_dir.join(format!("{province}-ca.key")),
            crl: ca_dir.join(format!("{province}.crl.pem")),
            revocations: ca_dir.join(format!("{province}.revoked.json")),
        }
    }

    /// The files belonging to the CA certificate at `cert` (as given to `--ca`):
    /// `certs/dev/ca/33-ca.pem` → key `33-ca.key`, CRL `33.crl.pem`, record
    /// `33.revoked.json`. A certificate named otherwise (`root.pem`) gets
    /// `root.key`, `root.crl.pem` and `root.revoked.json`.
    pub fn from_cert(cert: &Path) -> Self {
        let stem = cert.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let prefix = stem.strip_suffix("-ca").unwrap_or(&stem).to_owned();
        let dir = cert.parent().unwrap_or(Path::new(""));
        Self {
            cert: cert.to_path_buf(),
            key: dir.join(format!("{stem}.key")),
            crl: dir.join(format!("{prefix}.crl.pem")),
            revocations: dir.join(format!("{prefix}.revoked.json")),
            province: prefix,
        }
    }

    /// The PKI root a CA directory belongs to (`certs/dev` for `certs/dev/ca/33-ca.pem`),
    /// where `stations/` and `officers/` go by default.
    pub fn pki_root(&self) -> PathBuf {
        self.cert
            .parent()
            .and_then(Path::parent)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    }
}

/// The directory of the CAs under a PKI root.
pub fn ca_dir(root: &Path) -> PathBuf {
    root.join("ca")
}

/// The CA bundle (all province roots) under a PKI root.
pub fn ca_bundle(root: &Path) -> PathBuf {
    root.join("ca-bundle.pem")
}

/// A station's directory under a PKI root.
pub fn station_dir(root: &Path, station_id: &str) -> PathBuf {
    root.join("stations").join(station_id)
}

/// An officer's (certificate, key) under a PKI root.
pub fn officer_paths(root: &Path, station_id: &str, badge: &str) -> (PathBuf, PathBuf) {
    let dir = root.join("officers").join(station_id);
    (dir.join(format!("{badge}.pem")), dir.join(format!("{badge}.key")))
}

/// Everything `dev::init` wrote: what the demo and tests need to write node configs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevLayout {
    /// The PKI root directory.
    pub dir: PathBuf,
    /// All province root certificates concatenated: the trust anchors of every node.
    pub ca_bundle: PathBuf,
    /// One CA per province, sorted by province code.
    pub authorities: Vec<CaPaths>,
    /// One entry per station, in the order given.
    pub stations: Vec<StationFiles>,
    /// One entry per officer, in the order given.
    pub officers: Vec<OfficerFiles>,
}

impl DevLayout {
    /// The files of station `id`.
    pub fn station(&self, id: &str) -> Option<&StationFiles> {
        self.stations.iter().find(|s| s.spec.id == id)
    }

    /// The CA of province `province` ("33").
    pub fn authority(&self, province: &str) -> Option<&CaPaths> {
        self.authorities.iter().find(|a| a.province == province)
    }

    /// The officers of station `id`.
    pub fn officers_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a OfficerFiles> + 'a {
        self.officers.iter().filter(move |o| o.spec.station == id)
    }

    /// All CRL files, for a node's revocation config.
    pub fn crls(&self) -> Vec<PathBuf> {
        self.authorities.iter().map(|a| a.crl.clone()).collect()
    }
}

/// The files of one station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationFiles {
    /// What the station was created from.
    pub spec: StationSpec,
    /// Two-digit province code, from the division.
    pub province: String,
    /// `urn:tiemeng:station:<id>`.
    pub uri: String,
    /// TLS certificate (server and client auth).
    pub tls_cert: PathBuf,
    /// TLS private key (0600).
    pub tls_key: PathBuf,
    /// Serial of the TLS certificate, big-endian.
    pub tls_serial: Vec<u8>,
    /// The envelope signing key.
    pub signing: SigningKeyFiles,
}

/// The files of one officer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerFiles {
    /// What the officer was created from (including the role for the node registry).
    pub spec: OfficerSpec,
    /// `urn:tiemeng:officer:<station>:<badge>`.
    pub uri: String,
    /// Client certificate.
    pub cert: PathBuf,
    /// Private key (0600).
    pub key: PathBuf,
    /// Serial of the certificate, big-endian.
    pub serial: Vec<u8>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ca_files_follow_the_certificate_name() {
        let paths = CaPaths::from_cert(Path::new("certs/dev/ca/33-ca.pem"));
        assert_eq!(paths, CaPaths::in_dir(Path::new("certs/dev/ca"), "33"));
        assert_eq!(paths.pki_root(), Path::new("certs/dev"));

        let other = CaPaths::from_cert(Path::new("root.pem"));
        assert_eq!(other.key, Path::new("root.key"));
        assert_eq!(other.crl, Path::new("root.crl.pem"));
        assert_eq!(other.pki_root(), Path::new("."));
    }
}
