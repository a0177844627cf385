//! Ed25519 signing keys: this station's own key for signing, and the key ring of public keys
//! (its own and its peers') that envelopes are verified against.
//!
//! Public keys are base64url (no padding) of the 32 key bytes; private keys are PKCS#8 PEM,
//! the format `openssl genpkey -algorithm ed25519` writes, so a real station can make its keys
//! with the tools its security office already trusts.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use thiserror::Error;
use time::OffsetDateTime;

use crate::i18n::Lang;
use crate::ids::{KeyRef, StationId};

/// Why a key could not be loaded or used.
#[derive(Debug, Error)]
pub enum KeyError {
    /// The public key text is neither base64url of exactly 32 bytes nor an ed25519 PEM
    /// `PUBLIC KEY`.
    #[error(
        "public key {0:?} is neither base64url (no padding) of 32 bytes nor an ed25519 PEM PUBLIC KEY \
         (openssl pkey -pubout)"
    )]
    Encoding(String),
    /// The bytes are not a point on the curve.
    #[error("public key {0:?} is not a valid ed25519 point")]
    NotAPoint(String),
    /// A small-order key would let anyone forge signatures that verify under it.
    #[error("public key {0:?} is a weak (small-order) key and is refused")]
    Weak(String),
    /// The private key file could not be read.
    #[error("cannot read signing key {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The private key file is not an ed25519 PKCS#8 PEM key.
    #[error("signing key {path} is not an ed25519 PKCS#8 PEM private key")]
    NotPkcs8 {
        /// The file.
        path: String,
    },
}

impl KeyError {
    /// What is wrong, in `lang`.
    pub fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::Encoding(text) => format!(
                "公钥 {text:?} 既不是 32 字节的 base64url（无填充），也不是 PEM 格式的 ed25519 公钥\
                 （`openssl pkey -pubout` 的输出）"
            ),
            Self::NotAPoint(text) => format!("公钥 {text:?} 不是有效的 ed25519 曲线点"),
            Self::Weak(text) => format!("公钥 {text:?} 是弱密钥（小阶点），任何人都能伪造其签名，不予接受"),
            Self::Read { path, source } => {
                format!("无法读取签名私钥 {path}：{}", crate::i18n::io_error(source, lang))
            }
            Self::NotPkcs8 { path } => format!("签名私钥 {path} 不是 PKCS#8 PEM 格式的 ed25519 私钥"),
        }
    }
}

/// Parses a public key as written in config files and `/fed/v1/keys` (32 bytes in unpadded
/// URL-safe base64), or as standard tools write it (a PEM `PUBLIC KEY`, SubjectPublicKeyInfo,
/// from `openssl pkey -pubout`), refusing weak keys.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, KeyError> {
    let trimmed = text.trim();
    let key = if trimmed.starts_with("-----BEGIN PUBLIC KEY-----") {
        use ed25519_dalek::pkcs8::DecodePublicKey;
        VerifyingKey::from_public_key_pem(trimmed).map_err(|_| KeyError::Encoding(text.to_owned()))?
    } else {
        let bytes = URL_SAFE_NO_PAD.decode(trimmed).map_err(|_| KeyError::Encoding(text.to_owned()))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Encoding(text.to_owned()))?;
        VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::NotAPoint(text.to_owned()))?
    };
    if key.is_weak() {
        return Err(KeyError::Weak(text.to_owned()));
    }
    Ok(key)
}

/// Formats a public key the way [`parse_public_key`] reads it.
pub fn format_public_key(key: &VerifyingKey) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// Reads an ed25519 private key from a PKCS#8 PEM file.
pub fn load_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    let display = path.display().to_string();
    let pem = std::fs::read_to_string(path).map_err(|source| KeyError::Read { path: display.clone(), source })?;
    SigningKey::from_pkcs8_pem(&pem).map_err(|_| KeyError::NotPkcs8 { path: display })
}

/// This station's active signing key and the reference peers look it up by.
#[derive(Clone)]
pub struct Signer {
    key_ref: KeyRef,
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("key_ref", &self.key_ref).finish_non_exhaustive()
    }
}

impl Signer {
    /// Wraps a key with the reference it is published under.
    pub fn new(key_ref: KeyRef, key: SigningKey) -> Self {
        Self { key_ref, key }
    }

    /// The reference put in every envelope this key signs.
    pub fn key_ref(&self) -> &KeyRef {
        &self.key_ref
    }

    /// The station this key signs for.
    pub fn station(&self) -> &StationId {
        self.key_ref.station()
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Signs `context || message`. The context keeps a signature made for one purpose (an
    /// envelope) from being replayed as another (a receipt).
    pub fn sign(&self, context: &[u8], message: &[u8]) -> Signature {
        let mut signed = Vec::with_capacity(context.len() + message.len());
        signed.extend_from_slice(context);
        signed.extend_from_slice(message);
        self.key.sign(&signed)
    }
}

/// A public key and the period in which signatures made with it are accepted.
#[derive(Debug, Clone)]
pub struct PublicKey {
    /// The key.
    pub key: VerifyingKey,
    /// Signatures dated before this are refused.
    pub valid_from: Option<OffsetDateTime>,
    /// Signatures dated at or after this are refused.
    pub valid_until: Option<OffsetDateTime>,
    /// Compromised from this time on: later signatures are refused, earlier ones still hold.
    pub revoked_from: Option<OffsetDateTime>,
}

/// Why a known key may not be used for a signature dated `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum KeyUseError {
    /// The signature is dated before the key's validity.
    #[error("key not yet valid at the signature's time")]
    NotYetValid,
    /// The signature is dated after the key's validity.
    #[error("key expired before the signature's time")]
    Expired,
    /// The key was revoked before the signature's time.
    #[error("key revoked before the signature's time")]
    Revoked,
}

impl PublicKey {
    /// A key valid forever, as for keys of this station loaded from its own files.
    pub fn unbounded(key: VerifyingKey) -> Self {
        Self { key, valid_from: None, valid_until: None, revoked_from: None }
    }

    /// Checks that a signature dated `at` may be accepted under this key.
    pub fn usable_at(&self, at: OffsetDateTime) -> Result<(), KeyUseError> {
        if self.revoked_from.is_some_and(|revoked| at >= revoked) {
            return Err(KeyUseError::Revoked);
        }
        if self.valid_from.is_some_and(|from| at < from) {
            return Err(KeyUseError::NotYetValid);
        }
        if self.valid_until.is_some_and(|until| at >= until) {
            return Err(KeyUseError::Expired);
        }
        Ok(())
    }
}

/// Every public key this node accepts signatures from, its own included.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: BTreeMap<KeyRef, PublicKey>,
}

impl KeyRing {
    /// Adds or replaces a key.
    pub fn insert(&mut self, key_ref: KeyRef, key: PublicKey) {
        self.keys.insert(key_ref, key);
    }

    /// Looks a key up by reference.
    pub fn get(&self, key_ref: &KeyRef) -> Option<&PublicKey> {
        self.keys.get(key_ref)
    }

    /// The keys of one station, for `/fed/v1/keys` and evidence bundles.
    pub fn of_station<'a>(&'a self, station: &'a StationId) -> impl Iterator<Item = (&'a KeyRef, &'a PublicKey)> {
        self.keys.iter().filter(move |(key_ref, _)| key_ref.station() == station)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn public_keys_round_trip_through_text() {
        let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
        assert_eq!(parse_public_key(&format_public_key(&key)).unwrap(), key);
    }

    #[test]
    fn weak_keys_are_refused_at_load() {
        // The identity point (0, 1) has order 1: every signature "verifies" under it.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let text = URL_SAFE_NO_PAD.encode(identity);
        assert!(matches!(parse_public_key(&text), Err(KeyError::Weak(_))));
    }

    #[test]
    fn a_pem_public_key_as_openssl_writes_it_is_read() {
        use ed25519_dalek::pkcs8::EncodePublicKey;
        let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
        let pem = key.to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF).unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"), "{pem}");
        assert_eq!(parse_public_key(&pem).unwrap(), key);
        assert_eq!(parse_public_key(&format!("\n{pem}\n")).unwrap(), key);
        let other = pem.replace("MCowBQYDK2VwAyEA", "MCowBQYDK2VuAyEA");
        assert!(matches!(parse_public_key(&other), Err(KeyError::Encoding(_))), "an X25519 key is not an ed25519 key");
    }

    #[test]
    fn malformed_public_keys_are_refused() {
        assert!(matches!(parse_public_key("not base64!"), Err(KeyError::Encoding(_))));
        assert!(matches!(parse_public_key(&URL_SAFE_NO_PAD.encode([1u8; 31])), Err(KeyError::Encoding(_))));
    }

    #[test]
    fn validity_and_revocation_are_judged_at_the_signature_time() {
        let key = PublicKey {
            key: SigningKey::from_bytes(&[7; 32]).verifying_key(),
            valid_from: Some(datetime!(2026-01-01 00:00 UTC)),
            valid_until: Some(datetime!(2027-01-01 00:00 UTC)),
            revoked_from: Some(datetime!(2026-06-01 00:00 UTC)),
        };
        assert_eq!(key.usable_at(datetime!(2025-12-31 23:59 UTC)), Err(KeyUseError::NotYetValid));
        assert_eq!(key.usable_at(datetime!(2026-03-01 00:00 UTC)), Ok(()));
        assert_eq!(key.usable_at(datetime!(2026-06-01 00:00 UTC)), Err(KeyUseError::Revoked));
        let unrevoked = PublicKey { revoked_from: None, ..key };
        assert_eq!(unrevoked.usable_at(datetime!(2027-01-01 00:00 UTC)), Err(KeyUseError::Expired));
    }
}
