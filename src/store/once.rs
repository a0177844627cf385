//! Idempotency keys of officers' new requests: which request a key sent, so that a retried
//! send gives the first case back instead of making a second one. A key's record is written in
//! the unit that stores its case, so neither is ever on disk without the other.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Store, StoreError, TreeId, Unit, codec};
use crate::ids::CaseId;

/// Most records one sweep removes, so a sweep after a long outage keeps its unit small; the
/// next round takes the rest.
const SWEEP_MAX: usize = 10_000;

/// What an officer's idempotency key sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentKey {
    /// Hex SHA-256 of the request as sent, to tell a retry from another request.
    pub body: String,
    /// The case it made.
    pub case: CaseId,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The tree key: the officer, then the key. Neither holds a NUL (an actor is a URN, a key
/// visible ASCII), so the pair reads back unambiguously.
fn tree_key(officer: &str, key: &str) -> Vec<u8> {
    [officer.as_bytes(), &[0], key.as_bytes()].concat()
}

impl Unit<'_> {
    /// What `officer`'s `key` sent, as this unit has left it, however old.
    pub fn sent_key(&self, officer: &str, key: &str) -> Result<Option<SentKey>, StoreError> {
        let tree_key = tree_key(officer, key);
        if let Some(sent) = self.sent_keys.get(&tree_key) {
            return Ok(Some(sent.clone()));
        }
        self.inner.trees.officerkey_sent.get(&tree_key)?.map(|v| codec::decode(&v, "idempotency key")).transpose()
    }

    /// Records what `officer`'s `key` sent, replacing an expired record of the same key.
    pub fn remember_key(&mut self, officer: &str, key: &str, sent: SentKey) -> Result<(), StoreError> {
        let tree_key = tree_key(officer, key);
        self.put(TreeId::OfficerkeySent, tree_key.clone(), codec::encode(&sent)?);
        self.sent_keys.insert(tree_key, sent);
        Ok(())
    }
}

impl Store {
    /// What `officer`'s `key` sent, as committed, however old.
    pub fn sent_key(&self, officer: &str, key: &str) -> Result<Option<SentKey>, StoreError> {
        self.inner()?
            .trees
            .officerkey_sent
            .get(tree_key(officer, key))?
            .map(|v| codec::decode(&v, "idempotency key"))
            .transpose()
    }

    /// Forgets keys recorded before `before`; returns how many. The tree holds about a day of
    /// requests, so it is walked whole rather than kept in time order by a second index that
    /// every send would have to write.
    pub fn forget_keys(&self, before: OffsetDateTime) -> Result<usize, StoreError> {
        if self.old_keys(before)?.is_empty() {
            return Ok(0);
        }
        // Found again under the write lock: a key may have been sent anew since the look. Not
        // awaited to disk: a sweep lost in a crash is only made again at the next round.
        self.write(before, |unit| {
            let old = self.old_keys(before)?;
            for key in &old {
                unit.remove_key(TreeId::OfficerkeySent, key.clone());
            }
            Ok::<_, StoreError>(old.len())
        })
        .map(|(count, _)| count)
    }

    fn old_keys(&self, before: OffsetDateTime) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut old = Vec::new();
        for item in self.inner()?.trees.officerkey_sent.iter() {
            let (key, value) = item?;
            let sent: SentKey = codec::decode(&value, "idempotency key")?;
            if sent.at < before {
                old.push(key.to_vec());
                if old.len() == SWEEP_MAX {
                    break;
                }
            }
        }
        Ok(old)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn sent(at: OffsetDateTime) -> SentKey {
        SentKey { body: "ab".repeat(32), case: CaseId::new(), at }
    }

    /// A restored node still knows which retries it answered: the keys go with the backup.
    #[test]
    fn keys_survive_a_backup_and_restore_and_old_ones_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let station = "zj-taishun-luoyang".parse().unwrap();
        let store = Store::open(&dir.path().join("data"), &station, 8 << 20).unwrap();
        let (old, new) = (sent(datetime!(2026-12-05 08:00 UTC)), sent(datetime!(2026-12-06 09:00 UTC)));
        store
            .write(new.at, |unit| {
                unit.remember_key("officer-a", "k1", old.clone())?;
                unit.remember_key("officer-a", "k2", new.clone())?;
                assert_eq!(unit.sent_key("officer-a", "k1")?, Some(old.clone()), "seen in its own unit");
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(store.sent_key("officer-b", "k1").unwrap(), None, "a key is its officer's own");
        let file = dir.path().join("backup");
        store.backup(&file, new.at).unwrap();
        drop(store);
        super::super::backup::restore(&file, &dir.path().join("restored")).unwrap();
        let restored = Store::open_existing(&dir.path().join("restored")).unwrap();
        assert_eq!(restored.sent_key("officer-a", "k1").unwrap(), Some(old));
        assert_eq!(restored.forget_keys(datetime!(2026-12-06 08:00 UTC)).unwrap(), 1);
        assert_eq!(restored.sent_key("officer-a", "k1").unwrap(), None);
        assert_eq!(restored.sent_key("officer-a", "k2").unwrap(), Some(new));
        assert_eq!(restored.forget_keys(datetime!(2026-12-06 08:00 UTC)).unwrap(), 0);
    }
}
