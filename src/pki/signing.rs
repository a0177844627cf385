//! Ed25519 envelope-signing keys: `signing-<key-id>.key` (PKCS#8 PEM, 0600) and
//! `signing-<key-id>.pub` (base64url without padding of the 32 public key bytes,
//! the form peers list in their config).

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand::rngs::OsRng;

use super::files::{self, Overwrite};
use super::{PkiError, names};
use crate::i18n::Lang;

/// Where a signing key was written, and its public half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyFiles {
    /// The key id (`k1`), as used in envelopes' `"key": "<station>#<key-id>"`.
    pub key_id: String,
    /// The private key file, PKCS#8 PEM, mode 0600.
    pub private_key: PathBuf,
    /// The public key file.
    pub public_key: PathBuf,
    /// The public key, base64url without padding (the `.pub` file's content).
    pub public_b64: String,
}

/// Generates a new Ed25519 signing key from the operating system's RNG.
pub fn generate_signing_key() -> SigningKey {
    SigningKey::generate(&mut OsRng)
}

/// The public key as base64url without padding.
pub fn public_key_b64(key: &VerifyingKey) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// The file names used for key `key_id` in `dir`: (`signing-<id>.key`, `signing-<id>.pub`).
pub fn signing_key_paths(dir: &Path, key_id: &str) -> (PathBuf, PathBuf) {
    (dir.join(format!("signing-{key_id}.key")), dir.join(format!("signing-{key_id}.pub")))
}

/// Writes `key` into `dir` as `signing-<key_id>.key` and `.pub`.
pub fn write_signing_key(
    dir: &Path,
    key_id: &str,
    key: &SigningKey,
    overwrite: Overwrite,
) -> Result<SigningKeyFiles, PkiError> {
    names::validate_key_id(key_id)?;
    let (private_key, public_key) = signing_key_paths(dir, key_id);
    // The PEM is held in a zeroizing buffer by ed25519-dalek and wiped on drop.
    let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| PkiError::parse(&private_key, e))?;
    let public_b64 = public_key_b64(&key.verifying_key());
    files::write_secret(&private_key, pem.as_bytes(), overwrite)?;
    files::write_public(&public_key, format!("{public_b64}\n").as_bytes(), overwrite)?;
    Ok(SigningKeyFiles { key_id: key_id.to_owned(), private_key, public_key, public_b64 })
}

/// Loads a private key written by [`write_signing_key`].
pub fn load_signing_key(path: &Path) -> Result<SigningKey, PkiError> {
    let pem = files::read_text(path)?;
    SigningKey::from_pkcs8_pem(&pem).map_err(|e| PkiError::parse(path, e))
}

/// Loads a `.pub` file written by [`write_signing_key`].
pub fn load_public_key(path: &Path) -> Result<VerifyingKey, PkiError> {
    let text = files::read_text(path)?;
    crate::keys::parse_public_key(&text)
        .map_err(|e| PkiError::parse_said(path, e.describe(Lang::Zh), e.describe(Lang::En)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, Verifier};
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn written_keys_load_back_and_sign() {
        let dir = tempfile::tempdir().unwrap();
        let key = generate_signing_key();
        let files = write_signing_key(dir.path(), "k1", &key, Overwrite::Never).unwrap();
        assert_eq!(files.private_key, dir.path().join("signing-k1.key"));

        let mode = std::fs::metadata(&files.private_key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        let loaded = load_signing_key(&files.private_key).unwrap();
        let public = load_public_key(&files.public_key).unwrap();
        assert_eq!(public, key.verifying_key());
        assert_eq!(files.public_b64.len(), 43);
        let sig = loaded.sign(b"envelope");
        public.verify(b"envelope", &sig).unwrap();
    }

    #[test]
    fn key_ids_that_escape_the_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = generate_signing_key();
        assert!(write_signing_key(dir.path(), "../k1", &key, Overwrite::Never).is_err());
    }
}
