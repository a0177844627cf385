//! Taking a backup while serving.

use super::auth::ADMIN;
use super::{Node, NodeError, Officer};
use crate::store::{AuditDraft, StoreError};

impl Node {
    /// Takes a consistent snapshot into a file next to the data folder, records the backup in
    /// the audit chain, and returns the open file (already unlinked, so nothing is left behind
    /// however the download ends) with a name for it.
    pub async fn backup(self: &std::sync::Arc<Self>, officer: &Officer) -> Result<(std::fs::File, String), NodeError> {
        officer.require(ADMIN)?;
        let now = self.now();
        self.store.write(now, |unit| {
            unit.audit(AuditDraft::new(officer.actor(), "node.backup"));
            Ok::<_, NodeError>(())
        })?;
        self.store.durable().await?;
        let data = &self.config.storage.data_dir;
        let stamp = crate::clock::unix_ms(now);
        let name = format!("{}-{stamp}.tiemeng-backup", self.station());
        let path = data.with_file_name(format!(".{name}.partial"));
        // Writing the snapshot blocks (it holds the write lock and does file I/O).
        let node = self.clone();
        let snapshot_path = path.clone();
        let info = tokio::task::spawn_blocking(move || node.store.backup(&snapshot_path, now))
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let file = std::fs::File::open(&path).map_err(|e| StoreError::Corrupt(e.to_string()));
        let _ = std::fs::remove_file(&path);
        let info = info?;
        tracing::info!(entries = info.entries, "backup taken");
        Ok((file?, name))
    }
}
