//! Signed envelopes: what crosses a border.
//!
//! ```text
//! wire:    {"signed":"<base64url of payload bytes>","key":"<station>#<key-id>","sig":"<base64url>"}
//! payload: {"v":1,"id":…,"case":…,"kind":…,"from":…,"to":[…],"at":…,"seq":…,"seen":{…},"body":{…}}
//! signature over: b"tiemeng/envelope/v1\n" || payload bytes
//! ```
//! [`SealedEnvelope::open`] verifies first and parses second: the signature covers the exact
//! bytes received, so no canonical JSON is needed and no unsigned field can ride along. The
//! payload is then parsed strictly (see [`strict_json`]). Checks that need the node's context
//! (addressed to us? sender = TLS identity? known case? allowed transition?) happen in the
//! node, after this module has proven who signed what.

pub mod body;
mod file_receipt;
mod handover;
mod receipt;
mod reconcile;
pub mod relay;
mod signed;
pub mod strict_json;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use thiserror::Error;
use time::OffsetDateTime;

pub use body::{Body, Kind, Signatory};
pub use file_receipt::{FileReceipt, SealedFileReceipt};
pub use handover::{Handover, SealedHandover};
pub use receipt::{Receipt, SealedReceipt};
pub use reconcile::{ReconcileAsk, SealedReconcileAsk};
pub use signed::{Sealed, Signed, Statement};

use crate::ids::{CaseId, EnvelopeId, KeyRef, StationId};
use crate::keys::{KeyRing, KeyUseError, Signer};
use strict_json::StrictJsonError;

/// Domain separation for envelope signatures.
pub const ENVELOPE_CONTEXT: &[u8] = b"tiemeng/envelope/v1\n";
/// Domain separation for receipt signatures.
pub const RECEIPT_CONTEXT: &[u8] = b"tiemeng/receipt/v1\n";
/// Domain separation for reconciliation requests.
pub const RECONCILE_CONTEXT: &[u8] = b"tiemeng/reconcile/v1\n";
/// Domain separation for a station's record of a case handed from one officer to another.
pub const HANDOVER_CONTEXT: &[u8] = b"tiemeng/handover/v1\n";
/// Domain separation for file receipts: a station holds an attachment, whole and checked.
pub const FILE_RECEIPT_CONTEXT: &[u8] = b"tiemeng/file-receipt/v1\n";
/// The largest envelope accepted on the wire; a request with long narratives is ~10 KiB.
pub const MAX_ENVELOPE_BYTES: usize = 256 * 1024;
/// The only payload version this node speaks.
pub const VERSION: u8 = 1;

/// Why an envelope (or receipt) was refused before any context was consulted.
#[derive(Debug, Error)]
pub enum EnvelopeError {
    /// Larger than [`MAX_ENVELOPE_BYTES`].
    #[error("envelope is {0} bytes; the limit is {MAX_ENVELOPE_BYTES}")]
    TooLarge(usize),
    /// The wire form is not `{"signed","key","sig"}` as strict JSON.
    #[error("malformed envelope: {0}")]
    MalformedWire(String),
    /// `signed` or `sig` is not base64url without padding.
    #[error("`{0}` is not base64url without padding")]
    BadBase64(&'static str),
    /// The signature is not 64 bytes.
    #[error("signature is {0} bytes, expected 64")]
    BadSignatureLength(usize),
    /// The signing key is not in this node's key ring.
    #[error("unknown signing key {0}: not among the public keys this station's configuration lists")]
    UnknownKey(String),
    /// The signature does not verify (strictly) over the payload bytes.
    #[error("signature does not verify")]
    BadSignature,
    /// The verified payload is not a valid payload.
    #[error("malformed payload: {0}")]
    MalformedPayload(String),
    /// A payload version this node does not speak.
    #[error("unsupported payload version {0}")]
    UnsupportedVersion(u8),
    /// `to` is empty, repeats a station, or names the sender.
    #[error("bad addressing: {0}")]
    BadAddressing(&'static str),
    /// `seq` and `seen` do not fit the envelope: `seen` must name exactly the addressees, and a
    /// request comes first and has seen nothing.
    #[error("bad sequence: {0}")]
    BadSequence(&'static str),
    /// The key that signed belongs to another station than `from`.
    #[error("signed with a key of {key_owner} but claims to come from {from}")]
    SignerMismatch {
        /// Owner of the signing key.
        key_owner: StationId,
        /// The `from` the payload claims.
        from: StationId,
    },
    /// The key was not valid at the envelope's time.
    #[error("signing key {key} cannot be used at {at}: {reason}")]
    KeyNotUsable {
        /// The key.
        key: String,
        /// The envelope's time.
        at: String,
        /// Not yet valid, expired or revoked.
        reason: KeyUseError,
    },
}

impl EnvelopeError {
    /// The stable code reported to peers and in logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge(_) => "too_large",
            Self::MalformedWire(_) => "malformed_envelope",
            Self::BadBase64(_) => "bad_base64",
            Self::BadSignatureLength(_) => "bad_signature_length",
            Self::UnknownKey(_) => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::MalformedPayload(_) => "malformed_payload",
            Self::UnsupportedVersion(_) => "unsupported_version",
            Self::BadAddressing(_) => "bad_addressing",
            Self::BadSequence(_) => "bad_sequence",
            Self::SignerMismatch { .. } => "signer_mismatch",
            Self::KeyNotUsable { reason: KeyUseError::Revoked, .. } => "key_revoked",
            Self::KeyNotUsable { reason: KeyUseError::Expired, .. } => "key_expired",
            Self::KeyNotUsable { reason: KeyUseError::NotYetValid, .. } => "key_not_yet_valid",
        }
    }
}

impl EnvelopeError {
    /// What was refused, in `lang`. The Chinese names the fault without the parser's own
    /// (English) detail, which stays in the English text and the logs for the administrator.
    pub fn describe(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::Lang;
        let zh = match self {
            Self::TooLarge(size) => format!("报文大小 {size} 字节，超过上限 {MAX_ENVELOPE_BYTES} 字节"),
            Self::MalformedWire(_) => "报文结构不正确".to_owned(),
            Self::BadBase64(field) => {
                let part = match *field {
                    "sig" => "签名",
                    "signed" => "签名内容",
                    other => other,
                };
                format!("报文的{part}部分不是规定的编码（base64url）")
            }
            Self::BadSignatureLength(size) => format!("签名长度为 {size} 字节，应为 64 字节"),
            Self::UnknownKey(key) => format!("签名密钥 {key} 不在本站配置列出的公钥之中"),
            Self::BadSignature => "签名验证不通过".to_owned(),
            Self::MalformedPayload(_) => "报文内容不正确".to_owned(),
            Self::UnsupportedVersion(version) => format!("不支持第 {version} 版报文"),
            Self::BadAddressing(_) => "报文的收件单位不符合规定".to_owned(),
            Self::BadSequence(_) => "报文序号不符合规定".to_owned(),
            Self::SignerMismatch { key_owner, from } => format!("报文自称来自 {from}，却由 {key_owner} 的密钥签名"),
            Self::KeyNotUsable { key, reason, .. } => {
                let why = match reason {
                    KeyUseError::NotYetValid => "尚未生效",
                    KeyUseError::Expired => "已过期",
                    KeyUseError::Revoked => "已被吊销",
                };
                format!("报文签署时，签名密钥 {key} {why}")
            }
        };
        match lang {
            Lang::Zh => zh,
            Lang::En => self.to_string(),
        }
    }
}

impl From<StrictJsonError> for EnvelopeError {
    fn from(e: StrictJsonError) -> Self {
        Self::MalformedWire(e.to_string())
    }
}

/// The content of an envelope, before signing or after verification.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// Unique forever; a second arrival is a duplicate.
    pub id: EnvelopeId,
    /// The case this envelope belongs to.
    pub case: CaseId,
    /// The station that signed it.
    pub from: StationId,
    /// The stations it is addressed to.
    pub to: Vec<StationId>,
    /// When the sender created it.
    pub at: OffsetDateTime,
    /// How many envelopes the sender had signed on this case before this one (the request is
    /// 0): orders one party's envelopes without trusting clocks.
    pub seq: u32,
    /// For each addressee, how many of that station's envelopes on this case the sender held
    /// when it acted. The receiver learns from it which of its own actions this one crossed on
    /// the wire (see [`crate::case`]).
    pub seen: BTreeMap<StationId, u32>,
    /// What it says; its variant is the envelope's kind.
    pub body: Body,
}

#[derive(Serialize)]
struct PayloadOut<'a> {
    v: u8,
    id: &'a EnvelopeId,
    case: &'a CaseId,
    kind: Kind,
    from: &'a StationId,
    to: &'a [StationId],
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    seq: u32,
    seen: &'a BTreeMap<StationId, u32>,
    body: &'a Body,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayloadIn<'a> {
    v: u8,
    id: EnvelopeId,
    case: CaseId,
    kind: Kind,
    from: StationId,
    to: Vec<StationId>,
    at: &'a str,
    seq: u32,
    seen: BTreeMap<StationId, u32>,
    #[serde(borrow)]
    body: &'a RawValue,
}

/// Reads `at`, which must be RFC 3339 in UTC written with `T` and `Z`, so that one instant
/// has one spelling in signed bytes.
fn parse_utc(text: &str) -> Result<OffsetDateTime, EnvelopeError> {
    let bad = || {
        EnvelopeError::MalformedPayload(format!(
            "`at` {text:?} is not an RFC 3339 UTC time such as 2026-11-23T08:00:00Z"
        ))
    };
    if !text.ends_with('Z') || text.as_bytes().get(10) != Some(&b'T') {
        return Err(bad());
    }
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|_| bad())
}

impl Envelope {
    /// The envelope's kind, decided by its body.
    pub fn kind(&self) -> Kind {
        self.body.kind()
    }

    /// Signs the envelope with this station's key. The signer must be the `from` station.
    pub fn seal(self, signer: &Signer) -> Result<SealedEnvelope, EnvelopeError> {
        check_addressing(&self.from, &self.to)?;
        check_sequence(self.kind(), &self.to, self.seq, &self.seen)?;
        let payload = PayloadOut {
            v: VERSION,
            id: &self.id,
            case: &self.case,
            kind: self.kind(),
            from: &self.from,
            to: &self.to,
            at: self.at,
            seq: self.seq,
            seen: &self.seen,
            body: &self.body,
        };
        let signed = Signed::sign_as(ENVELOPE_CONTEXT, &payload, &self.from, signer)?;
        Ok(SealedEnvelope { envelope: self, signed })
    }
}

fn check_addressing(from: &StationId, to: &[StationId]) -> Result<(), EnvelopeError> {
    if to.is_empty() {
        return Err(EnvelopeError::BadAddressing("`to` is empty"));
    }
    if to.contains(from) {
        return Err(EnvelopeError::BadAddressing("`to` names the sender"));
    }
    let mut sorted: Vec<&StationId> = to.iter().collect();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != to.len() {
        return Err(EnvelopeError::BadAddressing("`to` repeats a station"));
    }
    Ok(())
}

fn check_sequence(
    kind: Kind,
    to: &[StationId],
    seq: u32,
    seen: &BTreeMap<StationId, u32>,
) -> Result<(), EnvelopeError> {
    if seen.len() != to.len() || to.iter().any(|station| !seen.contains_key(station)) {
        return Err(EnvelopeError::BadSequence("`seen` must name exactly the stations in `to`"));
    }
    if kind == Kind::Request && (seq != 0 || seen.values().any(|n| *n != 0)) {
        return Err(EnvelopeError::BadSequence("a request opens its case: `seq` and every `seen` must be 0"));
    }
    if kind != Kind::Request && seq == 0 && seen.values().all(|n| *n == 0) {
        // Only the request is first from the origin; a target's first envelope has seen the request.
        return Err(EnvelopeError::BadSequence("only a request can come before everything else"));
    }
    Ok(())
}

/// An envelope together with the exact signed bytes it was verified from (or sealed into).
#[derive(Debug, Clone)]
pub struct SealedEnvelope {
    /// The parsed content.
    pub envelope: Envelope,
    /// The payload bytes, key and signature, kept as evidence.
    pub signed: Signed,
}

impl Envelope {
    /// Reads an envelope back from this node's own store. Its signature was verified before it
    /// was stored (or it was signed here), and keys may since have been retired, so it is parsed
    /// without verifying again; `tiemeng audit` and evidence bundles re-verify signatures.
    pub fn from_stored(wire: &[u8]) -> Result<Self, EnvelopeError> {
        parse_payload(Signed::decode(wire)?.payload())
    }
}

impl SealedEnvelope {
    /// Verifies `wire` against `keys` and only then parses the payload.
    pub fn open(wire: &[u8], keys: &KeyRing) -> Result<Self, EnvelopeError> {
        let signed = Signed::decode(wire)?;
        let key = signed.verify(ENVELOPE_CONTEXT, keys)?;
        let envelope = parse_payload(signed.payload())?;
        signed.check_signer(key, &envelope.from, envelope.at)?;
        Ok(Self { envelope, signed })
    }

    /// The canonical wire bytes, identical at every node that holds this envelope.
    pub fn wire(&self) -> Vec<u8> {
        self.signed.encode()
    }

    /// SHA-256 of the signed payload bytes, as named in receipts and the audit chain.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.signed.payload()).into()
    }

    /// The key that signed it.
    pub fn key(&self) -> &KeyRef {
        self.signed.key()
    }
}

fn parse_payload(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
    strict_json::check(bytes).map_err(|e| EnvelopeError::MalformedPayload(e.to_string()))?;
    let raw: PayloadIn<'_> =
        serde_json::from_slice(bytes).map_err(|e| EnvelopeError::MalformedPayload(e.to_string()))?;
    if raw.v != VERSION {
        return Err(EnvelopeError::UnsupportedVersion(raw.v));
    }
    check_addressing(&raw.from, &raw.to)?;
    check_sequence(raw.kind, &raw.to, raw.seq, &raw.seen)?;
    let body = Body::parse(raw.kind, raw.body.get())
        .map_err(|e| EnvelopeError::MalformedPayload(format!("body of {}: {e}", raw.kind)))?;
    Ok(Envelope {
        id: raw.id,
        case: raw.case,
        from: raw.from,
        to: raw.to,
        at: parse_utc(raw.at)?,
        seq: raw.seq,
        seen: raw.seen,
        body,
    })
}

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
pub(crate) mod mutate;
#[cfg(test)]
mod tests;
