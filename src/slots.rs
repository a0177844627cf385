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
    shares: Mutex<HashMap<CertIdentity, Share>>,
}

/// One identity's connections.
#[derive(Debug, Default)]
struct Share {
    open: usize,
    /// A connection was refused since the identity last had a slot free.
    refused: bool,
}

/// One open connection of an identity; closing it (dropping this) frees the slot.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<IdentitySlots>,
    identity: CertIdentity,
}

/// A connection over its identity's share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// The first refused since the identity last had a slot free: a client reconnecting in a
    /// loop is worth one warning, not one per attempt.
    pub first: bool,
}

impl IdentitySlots {
    /// At most `limit` connections per identity.
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self { limit, shares: Mutex::default() })
    }

    /// A slot for one more connection of `identity`, unless it has `limit` open.
    pub fn take(self: &Arc<Self>, identity: &CertIdentity) -> Result<Slot, Refused> {
        let mut shares = self.shares.lock().unwrap_or_else(PoisonError::into_inner);
        let share = shares.entry(identity.clone()).or_default();
        if share.open >= self.limit {
            let first = !share.refused;
            share.refused = true;
            return Err(Refused { first });
        }
        share.open += 1;
        Ok(Slot { slots: self.clone(), identity: identity.clone() })
    }

    /// Connections `identity` has open.
    #[cfg(test)]
    fn open(&self, identity: &CertIdentity) -> usize {
        self.shares.lock().unwrap_or_else(PoisonError::into_inner).get(identity).map_or(0, |share| share.open)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut shares = self.slots.shares.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(share) = shares.get_mut(&self.identity) {
            share.open -= 1;
            share.refused = false;
            // Identities come and go; only those with connections open are kept.
            if share.open == 0 {
                shares.remove(&self.identity);
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
        assert_eq!(slots.take(&officer).err(), Some(Refused { first: true }), "a third is over the share");
        assert_eq!(
            slots.take(&officer).err(),
            Some(Refused { first: false }),
            "and so is a fourth, not worth a warning"
        );
        assert!(slots.take(&peer).is_ok(), "another identity is not affected");
        drop(first);
        assert_eq!(slots.open(&officer), 1);
        let third = slots.take(&officer);
        assert!(third.is_ok(), "the closed connection's slot is free again");
        assert_eq!(slots.take(&officer).err(), Some(Refused { first: true }), "a new round of refusals is told again");
        assert_eq!(slots.open(&peer), 0, "a peer whose connections closed is forgotten");
    }
}
