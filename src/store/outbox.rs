//! A peer's queue as the delivery task and the admins' views read it: what waits, and what
//! the peer refused for good. Entries are written by [`super::Unit`] with the state change
//! that made them.

use super::{DeadLetter, Store, StoreError, codec, keys};
use crate::ids::{CaseId, EnvelopeId, StationId};

impl Store {
    /// The first `limit` entries of `peer`'s outbox from sequence `from` on: (sequence,
    /// envelope id).
    pub fn outbox(&self, peer: &StationId, from: u64, limit: usize) -> Result<Vec<(u64, EnvelopeId)>, StoreError> {
        let mut out = Vec::new();
        let range = keys::outbox(peer, from)..=keys::outbox(peer, u64::MAX);
        for item in self.inner()?.trees.peerseq_outbox.range(range).take(limit) {
            let (key, value) = item?;
            let seq = key
                .get(key.len().saturating_sub(8)..)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| StoreError::Corrupt("outbox key is truncated".into()))?;
            out.push((seq, queued_envelope(&value)?));
        }
        Ok(out)
    }

    /// Envelopes `peer` refused for good, oldest first.
    pub fn dead_letters(&self, peer: &StationId, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        dead_letters_in(&self.inner()?.trees.peerseq_deadletter, peer, None).take(limit).collect()
    }

    /// The envelopes of `case` that `peer` refused for good, in the order they were queued.
    pub fn dead_letters_of_case(&self, peer: &StationId, case: &CaseId) -> Result<Vec<DeadLetter>, StoreError> {
        dead_letters_in(&self.inner()?.trees.peerseq_deadletter, peer, Some(*case)).collect()
    }

    /// How many envelopes `peer` refused for good.
    pub fn dead_letter_count(&self, peer: &StationId) -> usize {
        self.inner().map_or(0, |inner| inner.trees.peerseq_deadletter.scan_prefix(keys::station_segment(peer)).count())
    }

    /// How many envelopes wait for `peer`.
    pub fn outbox_len(&self, peer: &StationId) -> usize {
        self.inner().map_or(0, |inner| inner.trees.peerseq_outbox.scan_prefix(keys::station_segment(peer)).count())
    }
}

/// `peer`'s entries in the dead-letter tree (those of `case` only, if given), decoded, in the
/// order they were queued. An entry that cannot be decoded is kept, so that collecting fails.
pub(super) fn dead_letters_in(
    tree: &sled::Tree,
    peer: &StationId,
    case: Option<CaseId>,
) -> impl Iterator<Item = Result<DeadLetter, StoreError>> + use<> {
    tree.scan_prefix(keys::station_segment(peer))
        .map(|item| codec::decode::<DeadLetter>(&item?.1, "dead letter"))
        .filter(move |letter| match (letter, case) {
            (Ok(letter), Some(case)) => letter.case == case,
            _ => true,
        })
}

/// The envelope id an outbox entry's value holds.
pub(super) fn queued_envelope(value: &[u8]) -> Result<EnvelopeId, StoreError> {
    let id: [u8; 16] =
        value.try_into().map_err(|_| StoreError::Corrupt("outbox entry is not an envelope id".into()))?;
    Ok(EnvelopeId::from_bytes(id))
}
