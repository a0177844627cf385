//! Relays (转告): how a target learns what the other targets of its case did.
//!
//! Targets of one case need not be partners of each other (another province, no key, no TLS
//! trust), so the origin passes on what it accepted: a target's acknowledgement, decline or
//! outcome, and its own close or withdrawal of a target. The relay is an envelope of its own,
//! signed by the origin, whose body carries the relayed envelope's wire form exactly as the
//! origin holds it, signature intact. The receiver has verified the relay's own signature
//! before its body is read at all; the inner envelope is then verified too when the receiver
//! holds its signer's key, and otherwise taken on the origin's word (the origin vouches for it
//! with its own signature over the exact inner bytes, and evidence bundles keep both).

use super::body::{RelayBody, RelayedWire};
use super::{Envelope, EnvelopeError, SealedEnvelope, Signatory, Signed};
use crate::envelope::Kind;
use crate::keys::KeyRing;

/// The envelope a relay carries, opened.
#[derive(Debug, Clone)]
pub struct Relayed {
    /// The relayed envelope's content.
    pub envelope: Envelope,
    /// True when this station verified the inner signature itself; false when it does not
    /// hold the signer's key and takes the envelope on the origin's word.
    pub verified: bool,
}

/// The kinds a relay may carry: what changes a target's state. Notes and reminders stay
/// between the two parties they concern; a relay of a relay or of a request is never made.
pub const RELAYED_KINDS: [Kind; 5] = [Kind::Ack, Kind::Decline, Kind::Outcome, Kind::Close, Kind::Withdraw];

impl RelayBody {
    /// The body that passes `inner` on, in the name of `officer`.
    pub fn wrap(officer: Signatory, inner: &SealedEnvelope) -> Self {
        let wire = inner.wire();
        // The wire form is this module's own three strings; read back it cannot fail, but a
        // relay is never worth a panic.
        let envelope = serde_json::from_slice(&wire).unwrap_or_else(|_| RelayedWire {
            signed: String::new(),
            key: String::new(),
            sig: String::new(),
        });
        Self { officer, station: inner.envelope.from.clone(), envelope }
    }

    /// The relayed envelope's wire bytes, as the origin held them.
    pub fn inner_wire(&self) -> Vec<u8> {
        serde_json::to_vec(&self.envelope).unwrap_or_default()
    }

    /// Opens the relayed envelope: verified when `keys` holds its signer's key (and then a bad
    /// signature is refused like any other), otherwise parsed strictly and taken on the word
    /// of the origin, whose signature over the relay covers these exact bytes.
    pub fn open(&self, keys: &KeyRing) -> Result<Relayed, EnvelopeError> {
        let wire = self.inner_wire();
        match SealedEnvelope::open(&wire, keys) {
            Ok(sealed) => Ok(Relayed { envelope: sealed.envelope, verified: true }),
            Err(EnvelopeError::UnknownKey(_)) => {
                let signed = Signed::decode(&wire)?;
                let envelope = super::parse_payload(signed.payload())?;
                if signed.key().station() != &envelope.from {
                    return Err(EnvelopeError::SignerMismatch {
                        key_owner: signed.key().station().clone(),
                        from: envelope.from,
                    });
                }
                Ok(Relayed { envelope, verified: false })
            }
            Err(e) => Err(e),
        }
    }
}
