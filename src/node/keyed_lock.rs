//! A lock per key: the pieces of one file are taken one at a time, while pieces of other files
//! go on beside them, so a slow partner's piece holds up no one else's.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

/// A key's lock, and how many hold or wait for it.
#[derive(Debug)]
struct Slot {
    lock: Arc<tokio::sync::Mutex<()>>,
    users: usize,
}

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

/// Held until dropped; while it waits, dropping it gives up the wait.
#[derive(Debug)]
pub struct KeyedGuard<'a, K: Eq + Hash> {
    owner: &'a KeyedLock<K>,
    key: K,
    held: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl<K: Eq + Hash + Clone> KeyedLock<K> {
    /// Waits until no one else holds `key`, then holds it.
    pub async fn lock(&self, key: K) -> KeyedGuard<'_, K> {
        let lock = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            let slot = slots.entry(key.clone()).or_insert_with(|| Slot { lock: Arc::default(), users: 0 });
            slot.users += 1;
            slot.lock.clone()
        };
        // Counted from here: a wait given up (its request gone) still lets go of its count.
        let mut guard = KeyedGuard { owner: self, key, held: None };
        guard.held = Some(lock.lock_owned().await);
        guard
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
        if let Some(slot) = slots.get_mut(&self.key) {
            slot.users = slot.users.saturating_sub(1);
            if slot.users == 0 {
                slots.remove(&self.key);
            }
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
        drop(again);
        assert_eq!(locks.len(), 0, "an entry outlived everyone who held or waited for it");
    }

    #[tokio::test]
    async fn a_wait_given_up_after_the_holder_let_go_leaves_no_entry() {
        let locks = KeyedLock::default();
        let first = locks.lock(7_u32).await;
        let mut waiting = Box::pin(locks.lock(7));
        let early = tokio::time::timeout(Duration::from_millis(20), &mut waiting).await;
        assert!(early.is_err(), "the waiter took a held key");
        // The holder lets go, and the waiter's request goes away before it takes the key.
        drop(first);
        drop(waiting);
        assert_eq!(locks.len(), 0, "a given-up wait left its key's entry behind");
        let again = tokio::time::timeout(Duration::from_secs(5), locks.lock(7)).await;
        assert!(again.is_ok(), "the key stayed locked after a given-up wait");
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
