//! An envelope's stored value: its metadata, its exact signed bytes and, for an envelope this
//! station received, the receipt it signed for it.
//!
//! The receipt a station issues is made in the same unit that stores the envelope, so it is
//! kept in the envelope's value: an entry of its own was one more sled write for every envelope
//! received and some two more entries per case in sled's page table. Receipts from peers
//! arrive later, in units of their own, and keep their entries in `envelopestation_receipt`,
//! as every receipt written by an earlier release does.

use super::{EnvelopeMeta, StoreError, codec};

/// An envelope as stored, with the receipt this station issued for it if it did.
#[derive(Debug)]
pub struct EnvelopeValue {
    /// Metadata.
    pub meta: EnvelopeMeta,
    /// The signed bytes.
    pub wire: Vec<u8>,
    /// The receipt this station signed for it, kept with it (none for an envelope this station
    /// sent, nor for one stored by an earlier release, whose receipts are all entries of their
    /// own).
    pub own_receipt: Option<Vec<u8>>,
}

impl EnvelopeValue {
    /// Encodes the value: the metadata framed with the wire's length, the wire, the receipt.
    pub fn encode(&self) -> Result<Vec<u8>, StoreError> {
        let receipt = self.own_receipt.as_deref().unwrap_or_default();
        let len = u32::try_from(self.wire.len()).map_err(|_| StoreError::Corrupt("envelope too large".into()))?;
        let raw = [len.to_be_bytes().as_slice(), &self.wire, receipt].concat();
        codec::frame(codec::ENVELOPE_WITH_RECEIPT, &self.meta, &raw)
    }

    /// Decodes a stored envelope value of this release or an earlier one.
    pub fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        if bytes.first() != Some(&codec::ENVELOPE_WITH_RECEIPT) {
            let (meta, wire) = codec::decode_with_raw(bytes, "envelope")?;
            return Ok(Self { meta, wire, own_receipt: None });
        }
        let (json, raw) = codec::unframe(bytes, codec::ENVELOPE_WITH_RECEIPT, "envelope")?;
        let truncated = || StoreError::Corrupt("a stored envelope is truncated".into());
        let (len, rest) = raw.split_first_chunk::<4>().ok_or_else(truncated)?;
        let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|_| truncated())?;
        let (wire, receipt) = rest.split_at_checked(len).ok_or_else(truncated)?;
        Ok(Self {
            meta: codec::from_json(json, "envelope")?,
            wire: wire.to_vec(),
            own_receipt: (!receipt.is_empty()).then(|| receipt.to_vec()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::Kind;
    use crate::ids::{CaseId, EnvelopeId};

    fn meta() -> EnvelopeMeta {
        let at = time::macros::datetime!(2026-03-02 08:00 UTC);
        EnvelopeMeta {
            id: EnvelopeId::new(),
            sha256: "00".repeat(32),
            case: CaseId::new(),
            from: "zj-wenzhou-luoyang".parse().unwrap(),
            kind: Kind::Request,
            at,
            stored_at: at,
        }
    }

    #[test]
    fn values_round_trip_with_and_without_a_receipt_and_old_ones_still_read() {
        for own_receipt in [None, Some(b"{\"receipt\":1}".to_vec())] {
            let value = EnvelopeValue { meta: meta(), wire: b"{\"signed\":\"x\"}\n".to_vec(), own_receipt };
            let back = EnvelopeValue::decode(&value.encode().unwrap()).unwrap();
            assert_eq!((back.meta, back.wire, back.own_receipt), (value.meta, value.wire, value.own_receipt));
        }
        let old = codec::encode_with_raw(&meta(), b"wire").unwrap();
        let back = EnvelopeValue::decode(&old).unwrap();
        assert_eq!((back.wire.as_slice(), back.own_receipt), (&b"wire"[..], None));

        let value = EnvelopeValue { meta: meta(), wire: b"wire".to_vec(), own_receipt: None }.encode().unwrap();
        let cut = &value[..value.len() - 1];
        assert!(matches!(EnvelopeValue::decode(cut), Err(StoreError::Corrupt(_))), "a wire cut short is refused");
    }
}
