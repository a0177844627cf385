//! Closing a served connection so that its last answer survives. A socket closed while the
//! client's bytes sit unread in it (a body the server refused before reading it, or the rest
//! of one past the size limit) makes the kernel answer with a reset, and a reset can destroy
//! the answer before the client has read it. So the server says goodbye first (TLS
//! `close_notify`, then FIN) and reads and drops whatever still comes until the client closes
//! its side too, for a bounded time: what web servers call a lingering close.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

/// Longest a closing connection is kept to drain what its client still sends.
const LINGER: Duration = Duration::from_secs(2);

/// Shuts `stream` down for writing, then drains it until the client closes, `LINGER` passes
/// or `shutdown` is cancelled (a stopping server does not wait on clients).
pub async fn close<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, shutdown: &CancellationToken) {
    let lingering = async {
        if stream.shutdown().await.is_err() {
            return;
        }
        let mut sink = vec![0u8; 16 * 1024];
        tokio::select! {
            () = async { while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {} } => {}
            () = shutdown.cancelled() => {}
        }
    };
    let _ = tokio::time::timeout(LINGER, lingering).await;
}
