//! What a storage failure is, and which ones an admin can act on.

/// A storage failure. None of these is the caller's fault; all of them mean "not done".
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled reported an I/O or internal error.
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
    /// A stored value cannot be read back.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// The flush to disk failed; the change may not survive a crash.
    #[error("could not flush to disk: {0}")]
    Flush(String),
    /// The data folder belongs to another station.
    #[error("data folder belongs to station {found}, not {expected}; check storage.data_dir")]
    WrongStation {
        /// The station this node is configured as.
        expected: String,
        /// The station recorded in the data folder.
        found: String,
    },
    /// The store is being reopened after a failure; try again shortly.
    #[error("storage is being reopened after a failure; try again shortly")]
    Reopening,
    /// A backup could not be taken (another one is running, or its file could not be
    /// written); the store itself is unharmed.
    #[error("the backup was not taken: {0}")]
    Backup(String),
    /// An attachment file could not be written, synced, moved or read.
    #[error("attachment file: {0}")]
    Files(String),
    /// A writer panicked while holding the write lock.
    #[error("a writer failed while holding the write lock; restart the node")]
    Poisoned,
}

impl StoreError {
    /// Whether the disk holding the data folder is full: nothing stored is damaged, and the
    /// store works again once there is space.
    pub fn is_disk_full(&self) -> bool {
        match self {
            Self::Sled(sled::Error::Io(e)) => e.kind() == std::io::ErrorKind::StorageFull,
            // Flush and backup errors keep only the text of the I/O error.
            Self::Flush(text) | Self::Backup(text) => text.contains("No space left on device"),
            _ => false,
        }
    }

    /// Whether what is stored cannot be read back as written: the one case where restoring a
    /// backup is the way on.
    pub fn is_damage(&self) -> bool {
        matches!(self, Self::Corrupt(_) | Self::Sled(sled::Error::Corruption { .. }))
    }
}
