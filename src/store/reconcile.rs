//! What a store restored from a backup owes its peers: the backup's time, which peers must
//! still be asked for what the backup lacked, and the envelopes exchanged with a peer since a
//! time (what this node re-sends when a peer asks the same of it).

use time::OffsetDateTime;

use super::{Store, StoreError, backup, keys};
use crate::ids::{EnvelopeId, StationId};

impl Store {
    /// The time of the backup this store was restored from, while peers have not yet been
    /// asked for what the backup lacks.
    pub fn restored_from(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        Ok(self
            .inner()?
            .trees
            .meta
            .get(backup::META_RESTORED_FROM)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(|b| crate::clock::from_unix_ms(i64::from_be_bytes(b))))
    }

    /// After a restore, marks every peer in `peers` as owed a reconciliation from the backup's
    /// time, once; returns that time.
    pub fn plan_reconciliation(&self, peers: &[StationId]) -> Result<Option<OffsetDateTime>, StoreError> {
        let Some(since) = self.restored_from()? else { return Ok(None) };
        let _guard = self.lock()?;
        for peer in peers {
            self.inner()?.trees.meta.insert(keys::resync(peer), &crate::clock::unix_ms(since).to_be_bytes())?;
        }
        self.inner()?.trees.meta.remove(backup::META_RESTORED_FROM)?;
        self.inner()?.flush_now()?;
        Ok(Some(since))
    }

    /// From when `peer` must be asked for what a restored backup lacked, if it must.
    pub fn reconciliation_due(&self, peer: &StationId) -> Result<Option<OffsetDateTime>, StoreError> {
        Ok(self
            .inner()?
            .trees
            .meta
            .get(keys::resync(peer))?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(|b| crate::clock::from_unix_ms(i64::from_be_bytes(b))))
    }

    /// Records that `peer` has re-sent what the backup lacked.
    pub fn reconciled(&self, peer: &StationId) -> Result<(), StoreError> {
        self.inner()?.trees.meta.remove(keys::resync(peer))?;
        self.inner()?.flush_now()?;
        Ok(())
    }

    /// Envelopes exchanged with `peer` in one direction from `since` on, oldest first.
    pub fn exchanged_with(
        &self,
        peer: &StationId,
        sent: bool,
        since: OffsetDateTime,
    ) -> Result<Vec<EnvelopeId>, StoreError> {
        let prefix = keys::exchange_prefix(peer, sent);
        let start = [prefix.as_slice(), &keys::time_key(since)].concat();
        let mut out = Vec::new();
        for item in self.inner()?.trees.peerdirtime_envelope.range(start..) {
            let (key, _) = item?;
            if !key.starts_with(&prefix) {
                break;
            }
            if let Some(id) = key.get(key.len().saturating_sub(16)..).and_then(|b| <[u8; 16]>::try_from(b).ok()) {
                out.push(EnvelopeId::from_bytes(id));
            }
        }
        Ok(out)
    }
}
