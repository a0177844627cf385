//! What the node last knew of each peer's deliveries, kept in `meta` so that it survives a
//! restart: an admin looking at a partner right after a restart should still see when a
//! delivery last succeeded and what last failed. The note's contents belong to the caller
//! (`node::health`); the store only keeps its bytes. It is not part of any unit: it
//! records no case and no envelope, only what was observed.

use super::{Store, StoreError, keys};
use crate::ids::StationId;

impl Store {
    /// The note last kept for `peer`, if any.
    pub fn peer_note(&self, peer: &StationId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.inner()?.trees.meta.get(keys::peer_note(peer))?.map(|v| v.to_vec()))
    }

    /// Replaces the note kept for `peer` and syncs it to disk.
    pub fn keep_peer_note(&self, peer: &StationId, note: &[u8]) -> Result<(), StoreError> {
        let inner = self.inner()?;
        inner.trees.meta.insert(keys::peer_note(peer), note)?;
        inner.flush_now()
    }
}
