//! The signed wrapper shared by envelopes and receipts: payload bytes, key reference and
//! signature, with a canonical wire encoding so every node stores byte-identical evidence.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{EnvelopeError, MAX_ENVELOPE_BYTES, strict_json};
use crate::ids::{KeyRef, StationId};
use crate::keys::{KeyRing, PublicKey, Signer};

/// Payload bytes with the key that signed them and the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    payload: Vec<u8>,
    key: KeyRef,
    sig: Signature,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<'a> {
    signed: std::borrow::Cow<'a, str>,
    key: std::borrow::Cow<'a, str>,
    sig: std::borrow::Cow<'a, str>,
}

/// A signed statement (a receipt, a file receipt, a reconciliation request, a handover): what
/// it says about its own signing, for [`Signed::open_statement`] to check, and the context its
/// signature is made in, so that no signature of one kind passes for another.
pub trait Statement: Serialize + serde::de::DeserializeOwned {
    /// The signing context of this kind of statement.
    const CONTEXT: &'static [u8];
    /// The payload version.
    fn version(&self) -> u8;
    /// The station that signs it.
    fn signer(&self) -> &StationId;
    /// When it was signed, as it says.
    fn signed_at(&self) -> OffsetDateTime;

    /// Signs the statement with its signer's key, which `signer` must be.
    fn seal(self, signer: &Signer) -> Result<Sealed<Self>, EnvelopeError> {
        let signed = Signed::sign_as(Self::CONTEXT, &self, self.signer(), signer)?;
        Ok(Sealed { statement: self, signed })
    }
}

/// A statement with its signature.
#[derive(Debug, Clone)]
pub struct Sealed<T> {
    /// What it says.
    pub statement: T,
    /// The signed bytes.
    pub signed: Signed,
}

impl<T: Statement> Sealed<T> {
    /// Verifies the signature, then parses the statement strictly and checks that its signer's
    /// key could sign at its time.
    pub fn open(wire: &[u8], keys: &KeyRing) -> Result<Self, EnvelopeError> {
        let (statement, signed) = Signed::open_statement(wire, T::CONTEXT, keys)?;
        Ok(Self { statement, signed })
    }

    /// The canonical wire bytes, as stored.
    pub fn wire(&self) -> Vec<u8> {
        self.signed.encode()
    }
}

impl Signed {
    /// Signs `context || payload`.
    pub fn sign(context: &[u8], payload: Vec<u8>, signer: &Signer) -> Self {
        let sig = signer.sign(context, &payload);
        Self { payload, key: signer.key_ref().clone(), sig }
    }

    /// Serialises `payload` and signs it for the station `from`, which must own the signer's key.
    pub fn sign_as<T: Serialize>(
        context: &[u8],
        payload: &T,
        from: &StationId,
        signer: &Signer,
    ) -> Result<Self, EnvelopeError> {
        if signer.station() != from {
            return Err(EnvelopeError::SignerMismatch { key_owner: signer.station().clone(), from: from.clone() });
        }
        let payload = serde_json::to_vec(payload).map_err(|e| EnvelopeError::MalformedPayload(e.to_string()))?;
        Ok(Self::sign(context, payload, signer))
    }

    /// Decodes the wire form strictly; the signature is not checked yet.
    pub fn decode(wire: &[u8]) -> Result<Self, EnvelopeError> {
        if wire.len() > MAX_ENVELOPE_BYTES {
            return Err(EnvelopeError::TooLarge(wire.len()));
        }
        strict_json::check(wire)?;
        let parsed: Wire<'_> = serde_json::from_slice(wire).map_err(|e| EnvelopeError::MalformedWire(e.to_string()))?;
        let payload =
            URL_SAFE_NO_PAD.decode(parsed.signed.as_bytes()).map_err(|_| EnvelopeError::BadBase64("signed"))?;
        let sig = URL_SAFE_NO_PAD.decode(parsed.sig.as_bytes()).map_err(|_| EnvelopeError::BadBase64("sig"))?;
        let sig: [u8; 64] = sig.as_slice().try_into().map_err(|_| EnvelopeError::BadSignatureLength(sig.len()))?;
        let key: KeyRef = parsed.key.parse().map_err(|_| EnvelopeError::UnknownKey(parsed.key.to_string()))?;
        Ok(Self { payload, key, sig: Signature::from_bytes(&sig) })
    }

    /// The canonical wire form.
    pub fn encode(&self) -> Vec<u8> {
        let wire = Wire {
            signed: URL_SAFE_NO_PAD.encode(&self.payload).into(),
            key: self.key.as_str().into(),
            sig: URL_SAFE_NO_PAD.encode(self.sig.to_bytes()).into(),
        };
        // Serialising three strings into a Vec cannot fail.
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    /// Verifies the signature strictly over `context || payload` with the referenced key, and
    /// returns that key so the caller can check its validity at the payload's time.
    pub fn verify<'k>(&self, context: &[u8], keys: &'k KeyRing) -> Result<&'k PublicKey, EnvelopeError> {
        let key = keys.get(&self.key).ok_or_else(|| EnvelopeError::UnknownKey(self.key.to_string()))?;
        let mut message = Vec::with_capacity(context.len() + self.payload.len());
        message.extend_from_slice(context);
        message.extend_from_slice(&self.payload);
        key.key.verify_strict(&message, &self.sig).map_err(|_| EnvelopeError::BadSignature)?;
        Ok(key)
    }

    /// Parses the payload strictly (see [`strict_json`]) as a `T`: for the signed statements
    /// whose payload is a plain JSON object (receipts, reconciliation requests).
    pub fn parse_payload<T: serde::de::DeserializeOwned>(&self) -> Result<T, EnvelopeError> {
        strict_json::check(&self.payload).map_err(|e| EnvelopeError::MalformedPayload(e.to_string()))?;
        serde_json::from_slice(&self.payload).map_err(|e| EnvelopeError::MalformedPayload(e.to_string()))
    }

    /// Opens a signed statement whose payload is a plain JSON object: verifies the signature
    /// under `context` first, then parses strictly, checks the version, and checks that the
    /// key belongs to the station the statement names and could sign at its time.
    pub fn open_statement<T: Statement>(
        wire: &[u8],
        context: &[u8],
        keys: &KeyRing,
    ) -> Result<(T, Self), EnvelopeError> {
        let signed = Self::decode(wire)?;
        let key = signed.verify(context, keys)?;
        let statement: T = signed.parse_payload()?;
        if statement.version() != super::VERSION {
            return Err(EnvelopeError::UnsupportedVersion(statement.version()));
        }
        signed.check_signer(key, statement.signer(), statement.signed_at())?;
        Ok((statement, signed))
    }

    /// Checks what the payload claims about its signer: that the signing key, `key` (as
    /// [`Signed::verify`] returned it), belongs to the station `from` and could sign at `at`.
    pub fn check_signer(&self, key: &PublicKey, from: &StationId, at: OffsetDateTime) -> Result<(), EnvelopeError> {
        if self.key.station() != from {
            return Err(EnvelopeError::SignerMismatch { key_owner: self.key.station().clone(), from: from.clone() });
        }
        key.usable_at(at).map_err(|reason| EnvelopeError::KeyNotUsable {
            key: self.key.to_string(),
            at: crate::clock::rfc3339(at),
            reason,
        })
    }

    /// The exact payload bytes that were signed.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The signing key's reference.
    pub fn key(&self) -> &KeyRef {
        &self.key
    }
}
