//! Checking a bundle offline: every signature, every receipt against the bytes it names, and
//! the bundle's own signature. Every problem becomes a [`Finding`] naming what was altered.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signature;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Content, EVIDENCE_CONTEXT, FORMAT};
use crate::envelope::{Envelope, Handover, Receipt, SealedEnvelope, SealedHandover, SealedReceipt, strict_json};
use crate::ids::KeyRef;
use crate::keys::{KeyRing, PublicKey, parse_public_key};

/// Something in a bundle that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Finding {
    /// The file is not a readable bundle at all.
    #[error("the file is not a readable bundle: {0}")]
    Unreadable(String),
    /// The exporting station's signature over the bundle does not verify: something outside
    /// the envelopes (the export record, the key list, the order) was changed.
    #[error("the bundle's own signature does not verify ({0}): its content was changed after export")]
    BundleSignature(String),
    /// A listed key is malformed or weak.
    #[error("key {key} is unusable: {reason}")]
    Key {
        /// The key reference.
        key: String,
        /// Why.
        reason: String,
    },
    /// An envelope does not verify.
    #[error("envelope {index} does not verify: {code}")]
    Envelope {
        /// Its position in the bundle, from 1.
        index: usize,
        /// The rejection code.
        code: String,
    },
    /// An envelope belongs to another case.
    #[error("envelope {index} belongs to another case")]
    ForeignEnvelope {
        /// Its position, from 1.
        index: usize,
    },
    /// A refused envelope listed as equivocation does not verify, or is not a second
    /// envelope with the same sender, case and `seq` as the one it names.
    #[error("the evidence of equivocation against envelope {kept} does not hold: {reason}")]
    Equivocation {
        /// The envelope it names.
        kept: String,
        /// Why.
        reason: String,
    },
    /// A handover does not verify, or is not the exporting station's handover of this case.
    #[error("handover {index} does not hold: {reason}")]
    Handover {
        /// Its position among the bundle's handovers, from 1.
        index: usize,
        /// Why: a rejection code, or what it names that it should not.
        reason: String,
    },
    /// A receipt does not verify or does not name the bytes of its envelope.
    #[error("receipt of {station} for envelope {envelope} does not hold: {reason}")]
    Receipt {
        /// The envelope it claims to be for.
        envelope: String,
        /// The station that signed it.
        station: String,
        /// Why.
        reason: String,
    },
}

/// A verified receipt.
#[derive(Debug, Clone)]
pub struct GoodReceipt {
    /// What it states.
    pub receipt: Receipt,
}

/// One envelope of the bundle after checking.
#[derive(Debug, Clone)]
pub struct CheckedEnvelope {
    /// Position, from 1.
    pub index: usize,
    /// The envelope, when its signature verified.
    pub envelope: Option<Envelope>,
    /// Receipts that hold for it.
    pub receipts: Vec<GoodReceipt>,
}

/// Two envelopes one party signed with one `seq`, both verified.
#[derive(Debug, Clone)]
pub struct ProvenEquivocation {
    /// The envelope the case holds.
    pub kept: Envelope,
    /// The second one, refused.
    pub refused: Envelope,
    /// When the exporting station refused it.
    pub refused_at: String,
}

/// The result of checking a bundle.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The bundle's content.
    pub content: Content,
    /// The envelopes, in the bundle's order.
    pub envelopes: Vec<CheckedEnvelope>,
    /// Equivocations the bundle proves.
    pub equivocations: Vec<ProvenEquivocation>,
    /// The handovers that verified, in the bundle's order.
    pub handovers: Vec<Handover>,
    /// Everything that does not hold; empty when the bundle is intact.
    pub findings: Vec<Finding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Outer<'a> {
    #[serde(borrow)]
    content: &'a RawValue,
    key: String,
    sig: String,
}

fn keyring(content: &Content, findings: &mut Vec<Finding>) -> KeyRing {
    let mut ring = KeyRing::default();
    let time = |t: &Option<String>| {
        t.as_deref().and_then(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
    };
    for entry in &content.keys {
        let key_ref: Result<KeyRef, _> = entry.key.parse();
        match (key_ref, parse_public_key(&entry.public)) {
            (Ok(key_ref), Ok(key)) => ring.insert(
                key_ref,
                PublicKey {
                    key,
                    valid_from: time(&entry.valid_from),
                    valid_until: time(&entry.valid_until),
                    revoked_from: time(&entry.revoked_from),
                },
            ),
            (Err(e), _) => findings.push(Finding::Key { key: entry.key.clone(), reason: e.to_string() }),
            (_, Err(e)) => findings.push(Finding::Key { key: entry.key.clone(), reason: e.to_string() }),
        }
    }
    ring
}

fn check_bundle_signature(outer: &Outer<'_>, ring: &KeyRing) -> Result<(), String> {
    let key_ref: KeyRef = outer.key.parse().map_err(|_| "the signing key reference is malformed".to_owned())?;
    let key = ring.get(&key_ref).ok_or("the signing key is not in the bundle")?;
    let sig: [u8; 64] = URL_SAFE_NO_PAD
        .decode(&outer.sig)
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or("the signature is not 64 bytes of base64url")?;
    let mut message = EVIDENCE_CONTEXT.to_vec();
    message.extend_from_slice(outer.content.get().as_bytes());
    key.key.verify_strict(&message, &Signature::from_bytes(&sig)).map_err(|_| "bad_signature".to_owned())
}

/// Checks a bundle. `Err` only when the file cannot be read as a bundle at all.
pub fn verify(bytes: &[u8]) -> Result<Verified, Finding> {
    strict_json::check(bytes).map_err(|e| match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        // Name where the file breaks, so an altered byte can be found.
        Err(syntax) => Finding::Unreadable(located(&syntax)),
        Ok(_) => Finding::Unreadable(e.to_string()),
    })?;
    let outer: Outer<'_> = serde_json::from_slice(bytes).map_err(|e| Finding::Unreadable(located(&e)))?;
    let content: Content = serde_json::from_str(outer.content.get()).map_err(|e| Finding::Unreadable(located(&e)))?;
    if content.format != FORMAT {
        return Err(Finding::Unreadable(format!("unknown format {:?}", content.format)));
    }
    let mut findings = Vec::new();
    let ring = keyring(&content, &mut findings);
    if let Err(reason) = check_bundle_signature(&outer, &ring) {
        findings.push(Finding::BundleSignature(reason));
    }
    let mut envelopes = Vec::new();
    let mut sealed_by_id = Vec::new();
    for (i, raw) in content.envelopes.iter().enumerate() {
        let index = i + 1;
        match SealedEnvelope::open(raw.get().as_bytes(), &ring) {
            Ok(sealed) => {
                if sealed.envelope.case != content.case {
                    findings.push(Finding::ForeignEnvelope { index });
                }
                envelopes.push(CheckedEnvelope {
                    index,
                    envelope: Some(sealed.envelope.clone()),
                    receipts: Vec::new(),
                });
                sealed_by_id.push(sealed);
            }
            Err(e) => {
                findings.push(Finding::Envelope { index, code: e.code().to_owned() });
                envelopes.push(CheckedEnvelope { index, envelope: None, receipts: Vec::new() });
            }
        }
    }
    for entry in &content.receipts {
        let failed = |reason: &str| Finding::Receipt {
            envelope: entry.envelope.clone(),
            station: entry.station.clone(),
            reason: reason.to_owned(),
        };
        let receipt = match SealedReceipt::open(entry.receipt.get().as_bytes(), &ring) {
            Ok(receipt) => receipt,
            Err(e) => {
                findings.push(failed(e.code()));
                continue;
            }
        };
        let target = sealed_by_id.iter().position(|s| s.envelope.id.to_string() == entry.envelope);
        match target {
            Some(i) if receipt.matches(&sealed_by_id[i]) && receipt.statement.from.as_str() == entry.station => {
                let id = sealed_by_id[i].envelope.id;
                if let Some(checked) = envelopes.iter_mut().find(|c| c.envelope.as_ref().is_some_and(|e| e.id == id)) {
                    checked.receipts.push(GoodReceipt { receipt: receipt.statement });
                }
            }
            Some(_) => findings.push(failed("it names other bytes or another station")),
            None => findings.push(failed("its envelope is missing or does not verify")),
        }
    }
    let equivocations = content
        .equivocations
        .iter()
        .filter_map(|entry| match prove(entry, &sealed_by_id, &ring, &content) {
            Ok(proven) => Some(proven),
            Err(reason) => {
                findings.push(Finding::Equivocation { kept: entry.kept.clone(), reason });
                None
            }
        })
        .collect();
    let handovers = content
        .handovers
        .iter()
        .enumerate()
        .filter_map(|(i, raw)| match handover(raw, &ring, &content) {
            Ok(handover) => Some(handover),
            Err(reason) => {
                findings.push(Finding::Handover { index: i + 1, reason });
                None
            }
        })
        .collect();
    Ok(Verified { content, envelopes, equivocations, handovers, findings })
}

/// Checks one handover: it verifies, and it is the exporting station's, of the bundle's case.
fn handover(raw: &RawValue, ring: &KeyRing, content: &Content) -> Result<Handover, String> {
    let sealed = SealedHandover::open(raw.get().as_bytes(), ring).map_err(|e| e.code().to_owned())?;
    let handover = sealed.statement;
    if handover.case != content.case {
        return Err("it is a handover of another case".into());
    }
    if handover.station.as_str() != content.exported_by.station {
        return Err("it is not the exporting station's".into());
    }
    Ok(handover)
}

/// Checks one piece of evidence of equivocation: both envelopes verify, and they are two
/// different envelopes of one sender with one `seq` on the bundle's case.
fn prove(
    entry: &super::EquivocationEntry,
    held: &[SealedEnvelope],
    ring: &KeyRing,
    content: &Content,
) -> Result<ProvenEquivocation, String> {
    let kept = held
        .iter()
        .find(|s| s.envelope.id.to_string() == entry.kept)
        .ok_or("the envelope it names is missing or does not verify")?;
    let refused = SealedEnvelope::open(entry.refused.get().as_bytes(), ring).map_err(|e| e.code().to_owned())?;
    let (a, b) = (&kept.envelope, &refused.envelope);
    if b.case != content.case || b.from != a.from || b.seq != a.seq || b.id == a.id {
        return Err("the two are not one sender's two envelopes with one seq on this case".into());
    }
    Ok(ProvenEquivocation { kept: a.clone(), refused: b.clone(), refused_at: entry.refused_at.clone() })
}

fn located(error: &serde_json::Error) -> String {
    format!("line {} column {}: {error}", error.line(), error.column())
}
