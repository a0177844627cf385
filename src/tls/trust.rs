//! Which CAs this node trusts, grouped by whom each may vouch for.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;

use super::{TlsError, load_certs};
use crate::config::Config;
use crate::ids::StationId;

/// The roots of this station's own province, and those configured for each partner.
#[derive(Debug, Clone)]
pub struct Trust {
    /// `tls.home_ca`: vouches for this station's officers.
    pub home: Arc<RootCertStore>,
    /// `peers[].ca`: each vouches for its partner only.
    pub peers: BTreeMap<StationId, Arc<RootCertStore>>,
}

impl Trust {
    /// The roots named in a station's configuration.
    pub fn of(config: &Config) -> Result<Self, TlsError> {
        let peers = config.peers.iter().map(|peer| Ok((peer.id.clone(), roots_in(&peer.ca)?)));
        Ok(Self { home: roots_in(&config.tls.home_ca)?, peers: peers.collect::<Result<_, TlsError>>()? })
    }

    /// Every root, once: what a handshake may end at.
    pub fn all(&self) -> Arc<RootCertStore> {
        let mut all = RootCertStore::empty();
        for root in std::iter::once(&self.home).chain(self.peers.values()).flat_map(|store| store.roots.iter()) {
            if !all.roots.contains(root) {
                all.roots.push(root.clone());
            }
        }
        Arc::new(all)
    }
}

/// The root store of the CA certificate(s) in a PEM file.
pub fn roots_in(file: &Path) -> Result<Arc<RootCertStore>, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(file)? {
        roots.add(cert).map_err(|e| TlsError::Pem { path: file.to_owned(), reason: e.to_string() })?;
    }
    Ok(Arc::new(roots))
}
