//! Writing PKI files with the right permissions from the first byte.
//!
//! Private keys are created with mode 0600 by `open(2)` itself: writing the file
//! and `chmod`-ing it afterwards leaves a window in which any local user can read
//! the key. Certificates, CRLs and public keys are 0644.
//!
//! Replacing a file goes through a temporary file in the same directory and a
//! `rename`, so a node that reloads its CRL while `tiemeng pki revoke` runs never
//! reads half a file, and a replaced key gets 0600 even if the old file was laxer.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::PkiError;

/// Mode of private key files: owner read/write only.
pub const SECRET_MODE: u32 = 0o600;
/// Mode of certificates, CRLs, public keys and revocation lists.
pub const PUBLIC_MODE: u32 = 0o644;

/// What to do when the file to write already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Fail with [`PkiError::AlreadyExists`]: the default, so a CA is never lost by accident.
    Never,
    /// Atomically replace the existing file (`--force`).
    Replace,
}

impl Overwrite {
    /// `Replace` when `force` is set, `Never` otherwise.
    pub fn from_force(force: bool) -> Self {
        if force { Self::Replace } else { Self::Never }
    }
}

/// Writes a private key (or anything else secret) with mode 0600.
pub fn write_secret(path: &Path, contents: &[u8], overwrite: Overwrite) -> Result<(), PkiError> {
    write_with_mode(path, contents, SECRET_MODE, overwrite)
}

/// Writes a certificate, CRL or public key with mode 0644.
pub fn write_public(path: &Path, contents: &[u8], overwrite: Overwrite) -> Result<(), PkiError> {
    write_with_mode(path, contents, PUBLIC_MODE, overwrite)
}

/// Fails with [`PkiError::AlreadyExists`] naming the first path that exists.
///
/// Used before a multi-file operation so that a refused run writes nothing at all
/// instead of stopping half way.
pub fn ensure_absent<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<(), PkiError> {
    match paths.into_iter().find(|path| path.exists()) {
        Some(path) => Err(PkiError::AlreadyExists { path: path.to_path_buf() }),
        None => Ok(()),
    }
}

/// Reads a whole file as UTF-8 (all PKI files are PEM, JSON or base64 text).
pub fn read_text(path: &Path) -> Result<String, PkiError> {
    fs::read_to_string(path).map_err(|e| PkiError::io(path, e))
}

/// Creates `dir` and its parents.
pub fn create_dir(dir: &Path) -> Result<(), PkiError> {
    fs::create_dir_all(dir).map_err(|e| PkiError::io(dir, e))
}

fn write_with_mode(path: &Path, contents: &[u8], mode: u32, overwrite: Overwrite) -> Result<(), PkiError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir(parent)?;
    }
    match overwrite {
        // O_EXCL makes "does it exist?" and "create it" one atomic step.
        Overwrite::Never => create_and_fill(path, contents, mode).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                PkiError::AlreadyExists { path: path.to_path_buf() }
            } else {
                PkiError::io(path, e)
            }
        }),
        Overwrite::Replace => replace(path, contents, mode),
    }
}

fn replace(path: &Path, contents: &[u8], mode: u32) -> Result<(), PkiError> {
    let tmp = temp_path(path);
    let result = create_and_fill(&tmp, contents, mode)
        .map_err(|e| PkiError::io(&tmp, e))
        .and_then(|()| fs::rename(&tmp, path).map_err(|e| PkiError::io(path, e)));
    if result.is_err() {
        // Best effort: a leftover temp file would only confuse the admin.
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn create_and_fill(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    let mut file: File = OpenOptions::new().write(true).create_new(true).mode(mode).open(path)?;
    file.write_all(contents)?;
    // The umask may have removed bits from `mode` (e.g. 0644 under umask 077);
    // that only ever makes files stricter, which is fine for key material.
    file.sync_all()
}

/// A hidden sibling of `path` that no other writer uses: pid plus random suffix.
fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let suffix: u64 = rand::random();
    path.with_file_name(format!(".{name}.{}.{suffix:016x}.tmp", std::process::id()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn secret_files_are_created_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/key.pem");
        write_secret(&path, b"secret", Overwrite::Never).unwrap();
        assert_eq!(mode(&path), SECRET_MODE);
        assert_eq!(fs::read(&path).unwrap(), b"secret");
    }

    #[test]
    fn existing_file_is_not_replaced_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.key");
        write_secret(&path, b"first", Overwrite::Never).unwrap();
        let err = write_secret(&path, b"second", Overwrite::Never).unwrap_err();
        assert!(matches!(err, PkiError::AlreadyExists { path: p } if p == path));
        assert_eq!(fs::read(&path).unwrap(), b"first");
    }

    #[test]
    fn replacing_a_lax_key_file_makes_it_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tls.key");
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_secret(&path, b"new", Overwrite::Replace).unwrap();
        assert_eq!(mode(&path), SECRET_MODE);
        assert_eq!(fs::read(&path).unwrap(), b"new");
        // No temp files left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn ensure_absent_names_the_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let absent = dir.path().join("a");
        let present = dir.path().join("b");
        fs::write(&present, b"x").unwrap();
        let err = ensure_absent([absent.as_path(), present.as_path()]).unwrap_err();
        assert!(err.to_string().contains(&present.display().to_string()));
    }
}
