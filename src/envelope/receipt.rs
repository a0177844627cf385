//! Receipts: the receiver's signed statement that an envelope is durably stored. The sender
//! keeps it as proof of delivery; a duplicate delivery gets the same receipt again.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{RECEIPT_CONTEXT, SealedEnvelope, VERSION};
use crate::ids::{EnvelopeId, StationId};

/// What a receipt states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Always [`VERSION`].
    pub v: u8,
    /// The envelope received.
    pub envelope: EnvelopeId,
    /// Hex SHA-256 of the envelope's signed payload bytes.
    pub sha256: String,
    /// The receiving station, which signs the receipt.
    pub from: StationId,
    /// The sending station.
    pub to: StationId,
    /// When the receiver stored the envelope durably.
    #[serde(with = "time::serde::rfc3339")]
    pub stored_at: OffsetDateTime,
}

impl Receipt {
    /// The receipt a receiver issues for `envelope`, stored at `stored_at`.
    pub fn for_envelope(envelope: &SealedEnvelope, receiver: StationId, stored_at: OffsetDateTime) -> Self {
        Self {
            v: VERSION,
            envelope: envelope.envelope.id,
            sha256: hex::encode(envelope.digest()),
            from: receiver,
            to: envelope.envelope.from.clone(),
            stored_at,
        }
    }
}

impl super::signed::Statement for Receipt {
    const CONTEXT: &'static [u8] = RECEIPT_CONTEXT;

    fn version(&self) -> u8 {
        self.v
    }
    fn signer(&self) -> &StationId {
        &self.from
    }
    fn signed_at(&self) -> OffsetDateTime {
        self.stored_at
    }
}

impl SealedReceipt {
    /// True when this receipt vouches for exactly these envelope bytes.
    pub fn matches(&self, envelope: &SealedEnvelope) -> bool {
        self.vouches_for(&envelope.envelope.id, &hex::encode(envelope.digest()))
    }

    /// True when this receipt vouches for the envelope `id` whose signed payload has the hex
    /// SHA-256 `sha256`: for envelopes this node verified when it stored them, whose id and
    /// digest it kept, so that checking a receipt does not verify the envelope again.
    pub fn vouches_for(&self, id: &EnvelopeId, sha256: &str) -> bool {
        &self.statement.envelope == id && self.statement.sha256 == sha256
    }
}

/// A receipt with the receiver's signature.
pub type SealedReceipt = super::signed::Sealed<Receipt>;
