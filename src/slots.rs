//! Connections open per certificate identity. `server.max_connections` bounds them all, so
//! without a share each, one officer's runaway script or one peer could hold every slot with
//! connections that do little and shut everyone else out until the idle timeout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::ids::CertIdentity;

/// How many connections each identity has open, and how many it may.
#[derive(Debug)]
pub struct IdentitySlots {
    limit: usize,
    open: Mutex<HashMap<CertIdentity, usize>>,
}

/// One open connection of an identity; closing it (dropping this) frees the slot.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<IdentitySlots>,
    identity: CertIdentity,
}

impl IdentitySlots {
    /// At most `limit` connections per identity.
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self { limit, open: Mutex::default() })
    }

    /// A slot for one more connection of `identity`, or `None` when it has `limit` open.
    pub fn take(self: &Arc<Self>, identity: &CertIdentity) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.get(identity).copied().unwrap_or(0);
        if count >= self.limit {
            return None;
        }
        open.insert(identity.clone(), count + 1);
        Some(Slot { slots: self.clone(), identity: identity.clone() })
    }

    /// Connections `identity` has open.
    pub fn open(&self, identity: &CertIdentity) -> usize {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).get(identity).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.identity) {
            *count -= 1;
            // Identities come and go; only those with connections open are kept.
            if *count == 0 {
                open.remove(&self.identity);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_identity_has_its_own_share_and_a_closed_connection_frees_its_slot() {
        let slots = IdentitySlots::new(2);
        let officer: CertIdentity = "urn:tiemeng:officer:zj-taishun-luoyang:330329001".parse().unwrap();
        let peer: CertIdentity = "urn:tiemeng:station:fj-shouning-xixi".parse().unwrap();
        let first = slots.take(&officer).unwrap();
        let _second = slots.take(&officer).unwrap();
        assert!(slots.take(&officer).is_none(), "a third connection is over the share");
        assert!(slots.take(&peer).is_some(), "another identity is not affected");
        drop(first);
        assert_eq!(slots.open(&officer), 1);
        assert!(slots.take(&officer).is_some(), "the closed connection's slot is free again");
        assert_eq!(slots.open(&peer), 0, "a peer whose connections closed is forgotten");
    }
}
