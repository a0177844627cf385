//! Shares of the server's connections. `server.max_connections` bounds them all, so without a
//! share each, one officer's runaway script or one peer could hold every slot with connections
//! that do little, and one address could hold them all with handshakes it never finishes,
//! shutting everyone else out until the timeouts. Connections are counted per certificate
//! identity once authenticated ([`IdentitySlots`]), and per source address while their TLS
//! handshake runs ([`HandshakeSlots`]).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use crate::tls::Authenticated;

/// How many connections each key has open, and how many it may.
#[derive(Debug)]
pub struct Slots<K: Hash + Eq + Clone> {
    limit: usize,
    shares: Mutex<HashMap<K, Share>>,
}

/// Connections open per certificate identity.
pub type IdentitySlots = Slots<Authenticated>;

/// TLS handshakes in progress per source (see [`source_of`]).
pub type HandshakeSlots = Slots<IpAddr>;

/// One key's connections.
#[derive(Debug, Default)]
struct Share {
    open: usize,
    /// A connection was refused since the key last had a slot free.
    refused: bool,
}

/// One open connection of a key; closing it (dropping this) frees the slot.
#[derive(Debug)]
pub struct Slot<K: Hash + Eq + Clone> {
    slots: Arc<Slots<K>>,
    key: K,
}

/// A connection over its key's share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// The first refused since the key last had a slot free: a client reconnecting in a loop
    /// is worth one warning, not one per attempt.
    pub first: bool,
}

impl<K: Hash + Eq + Clone> Slots<K> {
    /// At most `limit` connections per key.
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self { limit, shares: Mutex::default() })
    }

    /// A slot for one more connection of `key`, unless it has `limit` open.
    pub fn take(self: &Arc<Self>, key: &K) -> Result<Slot<K>, Refused> {
        let mut shares = self.shares.lock().unwrap_or_else(PoisonError::into_inner);
        let share = shares.entry(key.clone()).or_default();
        if share.open >= self.limit {
            let first = !share.refused;
            share.refused = true;
            return Err(Refused { first });
        }
        share.open += 1;
        Ok(Slot { slots: self.clone(), key: key.clone() })
    }

    /// Connections `key` has open.
    #[cfg(test)]
    fn open(&self, key: &K) -> usize {
        self.shares.lock().unwrap_or_else(PoisonError::into_inner).get(key).map_or(0, |share| share.open)
    }
}

impl<K: Hash + Eq + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut shares = self.slots.shares.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(share) = shares.get_mut(&self.key) {
            share.open -= 1;
            share.refused = false;
            // Keys come and go; only those with connections open are kept.
            if share.open == 0 {
                shares.remove(&self.key);
            }
        }
    }
}

/// The source a handshake is counted against: an IPv4 address, or an IPv6 address's /64
/// network, since one host is commonly given a whole /64 and could use any address in it.
pub fn source_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(network.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_identity_has_its_own_share_and_a_closed_connection_frees_its_slot() {
        let slots = IdentitySlots::new(2);
        let known = |uri: &str| Authenticated { identity: uri.parse().unwrap(), vouched: true };
        let officer = known("urn:tiemeng:officer:zj-taishun-luoyang:330329001");
        let peer = known("urn:tiemeng:station:fj-shouning-xixi");
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

    #[test]
    fn a_certificate_no_ca_here_vouches_for_cannot_use_up_the_real_holders_share() {
        let slots = IdentitySlots::new(1);
        let identity = "urn:tiemeng:officer:zj-taishun-luoyang:330329001".parse().unwrap();
        let impostor = Authenticated { identity, vouched: false };
        let _held = slots.take(&impostor).unwrap();
        assert!(slots.take(&impostor).is_err());
        assert!(slots.take(&Authenticated { vouched: true, ..impostor }).is_ok());
    }

    #[test]
    fn handshakes_count_against_the_address_or_its_ipv6_network() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        assert_eq!(source_of(ip("10.33.0.7")), ip("10.33.0.7"));
        assert_eq!(source_of(ip("::ffff:10.33.0.7")), ip("10.33.0.7"), "an IPv4 client on a dual-stack socket");
        assert_eq!(source_of(ip("2001:db8:33:1:a:b:c:d")), ip("2001:db8:33:1::"));
        assert_eq!(source_of(ip("2001:db8:33:1:ffff::1")), source_of(ip("2001:db8:33:1::2")), "one /64, one share");
        assert_ne!(source_of(ip("2001:db8:33:1::1")), source_of(ip("2001:db8:33:2::1")));

        let slots = HandshakeSlots::new(1);
        let held = slots.take(&source_of(ip("2001:db8:33:1::1"))).unwrap();
        assert!(slots.take(&source_of(ip("2001:db8:33:1::9"))).is_err(), "the same network is over its share");
        assert!(slots.take(&source_of(ip("10.33.0.7"))).is_ok(), "another source is not affected");
        drop(held);
        assert!(slots.take(&source_of(ip("2001:db8:33:1::9"))).is_ok());
    }
}
