//! Where each alert hook stands (see [`crate::alerts`]), kept in `meta`: the cursor into the
//! event log and the last success and failure, so that a restart neither loses nor repeats
//! alerts and the admin still sees what last went wrong. Not part of any unit: it records
//! no case, only how far the alerts have gone.

use super::{Store, StoreError, codec};
use crate::alerts::HookState;

fn key(hook: &str) -> Vec<u8> {
    [b"hook_state\0".as_slice(), hook.as_bytes()].concat()
}

impl Store {
    /// What was last kept of `hook`, if anything.
    pub fn hook_state(&self, hook: &str) -> Result<Option<HookState>, StoreError> {
        let stored = self.inner()?.trees.meta.get(key(hook))?;
        stored.map(|bytes| codec::decode(&bytes, "alert hook state")).transpose()
    }

    /// Replaces what is kept of `hook` and syncs it to disk.
    pub fn keep_hook_state(&self, hook: &str, state: &HookState) -> Result<(), StoreError> {
        let inner = self.inner()?;
        inner.trees.meta.insert(key(hook), codec::encode(state)?)?;
        inner.flush_now()
    }
}
