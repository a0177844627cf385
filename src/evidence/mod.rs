//! Evidence bundles: one case exported as a file holding every signed envelope, every receipt
//! and the public keys that signed them, itself signed by the exporting station. `tiemeng
//! verify` checks a bundle offline and says in plain words who asked what, who received it
//! when, and who answered what — and names anything altered.
//!
//! ```text
//! {"content": {"format":"tiemeng-evidence/v1", "case":…, "exported_by":…, "exported_at":…,
//!              "stations":[…], "envelopes":[wire…], "receipts":[…], "keys":[…],
//!              "equivocations":[{"kept":…, "refused":wire, "refused_at":…}] (only when there are some),
//!              "handovers":[signed handover…] (only when there are some)},
//!  "key": "<station>#<key-id>", "sig": "<base64url over b"tiemeng/evidence/v1\n" || content bytes>"}
//! ```
//! The signature covers the exact bytes of `content` as they stand in the file.

pub mod files;
mod narrative;
#[cfg(test)]
mod tests;
mod verify;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;

pub use narrative::{narrate, unreadable};
pub use verify::{Finding, Verified, verify};

use crate::ids::{CaseId, KeyRef};
use crate::keys::Signer;

/// Domain separation for bundle signatures.
pub const EVIDENCE_CONTEXT: &[u8] = b"tiemeng/evidence/v1\n";
/// The format name in every bundle.
pub const FORMAT: &str = "tiemeng-evidence/v1";

/// A station named in a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationEntry {
    /// Station id.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A receipt in a bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptEntry {
    /// The envelope it is for.
    pub envelope: String,
    /// The station that signed it.
    pub station: String,
    /// The signed receipt.
    pub receipt: Box<RawValue>,
}

/// A public key in a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// `<station>#<key-id>`.
    pub key: String,
    /// base64url of the 32 key bytes.
    pub public: String,
    /// Valid from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// Valid until.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// Revoked from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_from: Option<String>,
}

/// A second envelope a party signed with a `seq` it had already used on the case, refused by
/// the exporting station and kept as evidence of equivocation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquivocationEntry {
    /// The envelope of the bundle that first took that `seq`.
    pub kept: String,
    /// The refused envelope, as signed.
    pub refused: Box<RawValue>,
    /// When the exporting station refused it.
    pub refused_at: String,
}

/// Who exported the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exporter {
    /// The exporting station.
    pub station: String,
    /// The officer who exported it (certificate identity).
    pub officer: String,
}

/// The signed content of a bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Content {
    /// Always [`FORMAT`].
    pub format: String,
    /// The case.
    pub case: CaseId,
    /// Who exported it.
    pub exported_by: Exporter,
    /// When.
    pub exported_at: String,
    /// Names of the stations involved.
    pub stations: Vec<StationEntry>,
    /// Every envelope of the case, wire form, in timeline order.
    pub envelopes: Vec<Box<RawValue>>,
    /// Every receipt stored for them.
    pub receipts: Vec<ReceiptEntry>,
    /// The public keys that signed any of them.
    pub keys: Vec<KeyEntry>,
    /// Envelopes a party signed with a `seq` it had already used, refused here: proof that it
    /// said two things in one place of its sequence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equivocations: Vec<EquivocationEntry>,
    /// The exporting station's handovers of the case between its officers (交接), as signed:
    /// who handled it when is evidence too. They never cross the border, so a bundle holds
    /// only the exporter's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handovers: Vec<Box<RawValue>>,
}

#[derive(Serialize)]
struct Outer<'a> {
    content: &'a RawValue,
    key: &'a str,
    sig: String,
}

/// Serialises and signs a bundle.
pub fn seal(content: &Content, signer: &Signer) -> Result<Vec<u8>, serde_json::Error> {
    use base64::Engine;
    let bytes = serde_json::to_string(content)?;
    let sig = signer.sign(EVIDENCE_CONTEXT, bytes.as_bytes());
    let raw = RawValue::from_string(bytes)?;
    let outer = Outer {
        content: &raw,
        key: signer.key_ref().as_str(),
        sig: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig.to_bytes()),
    };
    serde_json::to_vec_pretty(&outer)
}

/// A key entry for `key_ref`.
pub fn key_entry(key_ref: &KeyRef, key: &crate::keys::PublicKey) -> KeyEntry {
    let time = |t: Option<OffsetDateTime>| t.map(crate::clock::rfc3339);
    KeyEntry {
        key: key_ref.to_string(),
        public: crate::keys::format_public_key(&key.key),
        valid_from: time(key.valid_from),
        valid_until: time(key.valid_until),
        revoked_from: time(key.revoked_from),
    }
}
