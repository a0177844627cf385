//! Store-and-forward delivery to peer stations: one task per peer drains that peer's durable
//! FIFO outbox over mTLS, so a slow or dead peer never delays the others, and nothing queued
//! is lost on restart because the queue is on disk.

mod backoff;
pub mod health;
pub mod metrics;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use backoff::Backoff;
pub use health::{Health, PeerError, PeerHealth, PeerStatus, Remembered};

use crate::node::Node;
use crate::tls::{self, TlsError};

/// The HTTP client a station uses to reach its peers: only the configured CAs are trusted,
/// and the station's own certificate is presented.
pub fn peer_client(node: &Node) -> Result<reqwest::Client, TlsError> {
    let tls_config = &node.config().tls;
    let config = tls::client_config(&tls_config.ca_bundle, &tls_config.crls, &tls_config.cert, &tls_config.key)?;
    reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| TlsError::Verifier(e.to_string()))
}

/// Starts one delivery task per configured peer.
pub fn start(node: &Arc<Node>, tasks: &TaskTracker, shutdown: &CancellationToken) -> Result<(), TlsError> {
    let client = peer_client(node)?;
    for peer in &node.config().peers {
        let worker = worker::Worker {
            node: node.clone(),
            peer: peer.clone(),
            client: client.clone(),
            shutdown: shutdown.clone(),
        };
        tasks.spawn(worker.run());
    }
    Ok(())
}
