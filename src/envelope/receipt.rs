//! Receipts: the receiver's signed statement that an envelope is durably stored. The sender
//! keeps it as proof of delivery; a duplicate delivery gets the same receipt again.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{EnvelopeError, RECEIPT_CONTEXT, SealedEnvelope, Signed, VERSION};
use crate::ids::{EnvelopeId, StationId};
use crate::keys::{KeyRing, Signer};

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

/// A receipt with its signature.
#[derive(Debug, Clone)]
pub struct SealedReceipt {
    /// The content.
    pub receipt: Receipt,
    /// The signed bytes, kept as evidence.
    pub signed: Signed,
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

    /// Signs the receipt with the receiver's key.
    pub fn seal(self, signer: &Signer) -> Result<SealedReceipt, EnvelopeError> {
        let signed = Signed::sign_as(RECEIPT_CONTEXT, &self, &self.from, signer)?;
        Ok(SealedReceipt { signed, receipt: self })
    }
}

impl super::signed::Statement for Receipt {
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
    /// Verifies a receipt's signature, then parses it strictly.
    pub fn open(wire: &[u8], keys: &KeyRing) -> Result<Self, EnvelopeError> {
        let (receipt, signed) = Signed::open_statement(wire, RECEIPT_CONTEXT, keys)?;
        Ok(Self { receipt, signed })
    }

    /// True when this receipt vouches for exactly these envelope bytes.
    pub fn matches(&self, envelope: &SealedEnvelope) -> bool {
        self.vouches_for(&envelope.envelope.id, &hex::encode(envelope.digest()))
    }

    /// True when this receipt vouches for the envelope `id` whose signed payload has the hex
    /// SHA-256 `sha256`: for envelopes this node verified when it stored them, whose id and
    /// digest it kept, so that checking a receipt does not verify the envelope again.
    pub fn vouches_for(&self, id: &EnvelopeId, sha256: &str) -> bool {
        &self.receipt.envelope == id && self.receipt.sha256 == sha256
    }

    /// The canonical wire bytes.
    pub fn wire(&self) -> Vec<u8> {
        self.signed.encode()
    }
}
