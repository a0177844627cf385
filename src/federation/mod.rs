//! Store-and-forward delivery to peer stations: one task per peer drains that peer's durable
//! FIFO outbox over mTLS, so a slow or dead peer never delays the others, and nothing queued
//! is lost on restart because the queue is on disk.

mod backoff;
mod files;
pub mod metrics;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use backoff::Backoff;

use crate::config::PeerConfig;
use crate::node::Node;
use crate::tls::{self, TlsError};

/// The HTTP client a station uses to reach `peer`: only the CA configured for that peer is
/// trusted, its certificate must name it, and the station's own certificate is presented.
pub fn peer_client(node: &Node, peer: &PeerConfig) -> Result<reqwest::Client, TlsError> {
    let config = tls::peer_client_config(&node.config().tls, peer)?;
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
    for peer in &node.config().peers {
        let worker = worker::Worker {
            node: node.clone(),
            peer: peer.clone(),
            client: peer_client(node, peer)?,
            shutdown: shutdown.clone(),
        };
        tasks.spawn(worker.run());
        let files = files::FileSender {
            node: node.clone(),
            peer: peer.clone(),
            client: peer_client(node, peer)?,
            shutdown: shutdown.clone(),
        };
        tasks.spawn(files.run());
    }
    Ok(())
}
