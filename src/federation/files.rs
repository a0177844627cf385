//! The file task of one peer: sends the attachment files queued for it, a piece at a time,
//! beside the envelope queue so a large photo never holds back the next request. What the
//! peer confirmed holding is remembered, so after a cut, a restart or an outage only what did
//! not arrive is sent again.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng as _;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio_util::io::ReaderStream;
use tokio_util::sync::CancellationToken;

use super::backoff::Backoff;
use crate::config::PeerConfig;
use crate::node::Node;
use crate::protocol::{FILE_PIECE, FileAck, OFFSET_HEADER, PIECE_MAX_HEADER, TOTAL_HEADER};
use crate::store::Outgoing;

/// Bytes read from the disk at a time while a piece is sent.
const READ_AHEAD: usize = 256 << 10;
/// How long an idle task waits before looking at its queue anyway.
const IDLE_RECHECK: Duration = Duration::from_secs(30);

/// One peer's file task.
pub struct FileSender {
    /// The node.
    pub node: Arc<Node>,
    /// The peer.
    pub peer: PeerConfig,
    /// The mTLS client with the station's identity.
    pub client: reqwest::Client,
    /// Stops the task.
    pub shutdown: CancellationToken,
}

/// Why a file could not be sent now.
#[derive(Debug)]
enum Stall {
    /// Try again later: the peer is down, busy, or does not hold the case yet.
    Later(String),
}

impl FileSender {
    /// Runs until shutdown.
    pub async fn run(self) {
        let Some(signals) = self.node.signals(&self.peer.id).cloned() else { return };
        let cap = Duration::from_secs(self.node.config().federation.max_backoff_secs);
        let mut backoff = Backoff::new(cap);
        loop {
            let wait = match self.send_queued().await {
                Ok(()) => {
                    backoff.reset();
                    IDLE_RECHECK
                }
                Err(Stall::Later(why)) => {
                    let delay = backoff.next_delay(rand::thread_rng().r#gen::<f64>());
                    tracing::debug!(peer = %self.peer.id, %why, retry_in = ?delay, "file transfer paused");
                    delay
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = signals.files.notified() => {}
                () = signals.alive.notified() => backoff.reset(),
                () = self.shutdown.cancelled() => return,
            }
        }
    }

    /// Sends every queued file the peer has not refused and this station holds, one after
    /// another. A file not here yet (a forwarded request names a file still on its way here)
    /// waits without holding back the others; the task is woken when a file arrives.
    async fn send_queued(&self) -> Result<(), Stall> {
        let queued = self.node.store().files_to_send(&self.peer.id).map_err(|e| Stall::Later(e.to_string()))?;
        for outgoing in queued.into_iter().filter(|o| o.refused.is_none()) {
            if self.shutdown.is_cancelled() {
                return Ok(());
            }
            let path = self.node.store().file_path(&outgoing.sha256);
            if tokio::fs::metadata(&path).await.is_err() {
                tracing::debug!(peer = %self.peer.id, sha256 = %outgoing.sha256, "file not here yet; sent once it arrives");
                continue;
            }
            self.send_file(outgoing, &path).await?;
        }
        Ok(())
    }

    async fn send_file(&self, mut outgoing: Outgoing, path: &std::path::Path) -> Result<(), Stall> {
        let later = |e: &dyn std::fmt::Display| Stall::Later(e.to_string());
        let url = format!("{}/fed/v1/files/{}", self.peer.url.trim_end_matches('/'), outgoing.sha256);
        // What the peer takes in one piece, once it has said so; a peer that does not say
        // takes what every release takes.
        let mut piece_max = FILE_PIECE as u64;
        // The first call of a session carries no bytes: the peer answers how much it holds, so
        // a piece it synced but whose answer was lost in a cut is not sent again.
        let mut probe = true;
        loop {
            let offset = outgoing.confirmed.min(outgoing.size);
            let want = if std::mem::take(&mut probe) { 0 } else { (outgoing.size - offset).min(piece_max) };
            let answer = self
                .client
                .put(&url)
                .header(OFFSET_HEADER, offset)
                .header(TOTAL_HEADER, outgoing.size)
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .header(reqwest::header::CONTENT_LENGTH, want)
                .body(piece_body(path, offset, want).await.map_err(|e| later(&e))?)
                .send()
                .await
                .map_err(|e| later(&e))?;
            if let Some(max) = answer.headers().get(PIECE_MAX_HEADER).and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            {
                piece_max = max.max(1);
            }
            let status = answer.status();
            let bytes = answer.bytes().await.map_err(|e| later(&e))?;
            if status.is_success() || status == reqwest::StatusCode::CONFLICT {
                let ack: FileAck = serde_json::from_slice(&bytes).map_err(|e| later(&e))?;
                let receipt = ack.receipt.map(|r| r.get().as_bytes().to_vec());
                let done = self
                    .node
                    .record_file_answer(&self.peer.id, &mut outgoing, ack.have, receipt)
                    .await
                    .map_err(|e| later(&e))?;
                if done {
                    return Ok(());
                }
                continue;
            }
            let problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let code = problem["code"].as_str().unwrap_or("unknown").to_owned();
            if matches!(status.as_u16(), 422 | 413) {
                self.node.record_file_refused(&self.peer.id, &mut outgoing, &code).map_err(|e| later(&e))?;
                return Ok(());
            }
            return Err(Stall::Later(format!("HTTP {status} {code}")));
        }
    }
}

/// The bytes of the file at `path` from `offset`, `len` of them, read from the disk as they are
/// sent: a piece is never held whole.
async fn piece_body(path: &std::path::Path, offset: u64, len: u64) -> std::io::Result<reqwest::Body> {
    if len == 0 {
        return Ok(reqwest::Body::from(Vec::new()));
    }
    let mut file = tokio::fs::File::open(path).await?;
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    Ok(reqwest::Body::wrap_stream(ReaderStream::with_capacity(file.take(len), READ_AHEAD)))
}
