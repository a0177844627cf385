//! A lock per key: the pieces of one file are taken one at a time, while pieces of other files
//! go on beside them, so a slow partner's piece holds up no one else's.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

type Slot = Arc<tokio::sync::Mutex<()>>;

/// Locks taken by key. A key's entry lives only while someone holds or waits for it.
#[derive(Debug)]
pub struct KeyedLock<K> {
    slots: Mutex<HashMap<K, Slot>>,
}

impl<K> Default for KeyedLock<K> {
    fn default() -> Self {
        Self { slots: Mutex::new(HashMap::new()) }
    }
}

/// Held until dropped.
#[derive(Debug)]
pub struct KeyedGuard<'a, K: Eq + Hash> {
    owner: &'a KeyedLock<K>,
    key: K,
    slot: Slot,
    held: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl<K: Eq + Hash + Clone> KeyedLock<K> {
    /// Waits until no one else holds `key`, then holds it.
    pub async fn lock(&self, key: K) -> KeyedGuard<'_, K> {
        let slot = self.slots.lock().unwrap_or_else(PoisonError::into_inner).entry(key.clone()).or_default().clone();
        let held = Some(slot.clone().lock_owned().await);
        KeyedGuard { owner: self, key, slot, held }
    }

    /// How many keys are held or waited for.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl<K: Eq + Hash> Drop for KeyedGuard<'_, K> {
    fn drop(&mut self) {
        drop(self.held.take());
        let mut slots = self.owner.slots.lock().unwrap_or_else(PoisonError::into_inner);
        // The map's handle and this guard's: nobody waits, so the entry can go. A waiter
        // clones the handle under the map's lock, so none can appear between count and removal.
        if slots.get(&self.key).is_some_and(|slot| Arc::ptr_eq(slot, &self.slot) && Arc::strong_count(slot) == 2) {
            slots.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn other_keys_go_on_while_one_is_held_and_the_same_key_waits() {
        let locks = KeyedLock::default();
        let first = locks.lock("photo-a").await;
        let other = tokio::time::timeout(Duration::from_secs(5), locks.lock("photo-b")).await;
        assert!(other.is_ok(), "a lock on another key waited for photo-a");
        let same = tokio::time::timeout(Duration::from_millis(50), locks.lock("photo-a")).await;
        assert!(same.is_err(), "photo-a was taken twice at once");
        drop(other);
        drop(first);
        let again = tokio::time::timeout(Duration::from_secs(5), locks.lock("photo-a")).await;
        assert!(again.is_ok(), "photo-a stayed locked after its holder let go");
    }

    #[tokio::test]
    async fn a_waiter_takes_the_key_when_its_holder_lets_go_and_no_entry_outlives_them() {
        let locks = Arc::new(KeyedLock::default());
        let first = locks.lock(7_u32).await;
        let waiting = tokio::spawn({
            let locks = locks.clone();
            async move {
                let _second = locks.lock(7).await;
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "the waiter took a held key");
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the waiter never got the key")
            .expect("waiter");
        assert_eq!(locks.len(), 0, "an entry outlived everyone who held or waited for it");
    }
}
