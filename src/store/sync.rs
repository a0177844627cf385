//! sled's files, synced to the disk after sled's flush.
//!
//! sled's `flush()` writes its log buffer and waits on `sync_file_range`, which starts and
//! awaits the write-out of those pages but neither commits the file's metadata (the log grows
//! as segments are added) nor empties the disk's volatile write cache; and a fragment too large
//! for the log (over a quarter of a segment, 128 KiB: a leaf full of large envelopes) goes to a
//! file of its own under `blobs/`, written with no sync at all. After a power cut, data sled
//! called flushed could be gone. So a flush here is sled's flush, then an `fdatasync` of the
//! log, then a sync of every blob not yet synced at its present length and, when blobs came or
//! went, of their folder.
//!
//! A name (a file made, renamed or removed) is durable only once its folder is synced, and
//! sled syncs no folder: the data folder, `conf`, `db` and `blobs` it makes at the first open
//! and the snapshot it renames into place at each open could all be gone after a power cut,
//! taking every acknowledged write with them, however well `db` itself was synced. So opening
//! the log syncs `conf` (written by sled without a sync), the data folder and the folder above
//! it, before anything is acknowledged (tests/reliability/power_cut.rs found this).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// The file of sled's log in a database folder (sled 0.34 keeps every segment in it).
const SLED_LOG: &str = "db";
/// The folder of sled's blobs.
const SLED_BLOBS: &str = "blobs";
/// sled's settings, checked at every open.
const SLED_CONF: &str = "conf";

/// sled's log file and blob folder, opened to be synced after each flush of the database.
#[derive(Debug)]
pub struct Log {
    file: File,
    blobs: PathBuf,
    /// Blobs synced so far, with their length then: sled writes a blob once, front to back, so
    /// one synced while still being written is synced again when its length has changed.
    synced_blobs: Mutex<BTreeMap<OsString, u64>>,
}

/// Syncs the blob at `path` unless it was synced at its present length (`synced`); returns
/// that length, or `None` when sled has removed the blob since the folder was listed (its
/// fragment was rewritten elsewhere: nothing of the store is in it any more).
fn sync_blob(path: &Path, synced: Option<u64>) -> std::io::Result<Option<u64>> {
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if gone(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    if synced != Some(len) {
        file.sync_data()?;
    }
    Ok(Some(len))
}

/// Makes the names sled gave in and to the database folder `dir` durable, and its `conf`.
fn sync_names(dir: &Path) -> std::io::Result<()> {
    File::open(dir.join(SLED_CONF))?.sync_all()?;
    File::open(dir)?.sync_all()?;
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    File::open(parent)?.sync_all()
}

impl Log {
    /// The log of the database in the folder `dir`, whose names are made durable first.
    pub fn open(dir: &Path) -> Result<Self, super::StoreError> {
        sync_names(dir)
            .map_err(|e| super::StoreError::Flush(format!("syncing sled's folder {}: {e}", dir.display())))?;
        let file = File::open(dir.join(SLED_LOG))
            .map_err(|e| super::StoreError::Flush(format!("opening sled's log in {}: {e}", dir.display())))?;
        Ok(Self { file, blobs: dir.join(SLED_BLOBS), synced_blobs: Mutex::default() })
    }

    /// A log whose sync always fails, as a failing disk's would: fdatasync of a character
    /// device is refused.
    #[cfg(test)]
    pub fn failing() -> Self {
        Self {
            file: File::open("/dev/null").expect("/dev/null"),
            blobs: PathBuf::new(),
            synced_blobs: Mutex::default(),
        }
    }

    /// Flushes `db` and syncs its files to the disk: what is written by now survives a power
    /// cut.
    pub fn flush(&self, db: &sled::Db) -> Result<(), String> {
        self.flush_timed(db).0
    }

    /// [`Log::flush`], with how long sled's own flush took of it (the rest is the sync).
    pub(super) fn flush_timed(&self, db: &sled::Db) -> (Result<(), String>, std::time::Duration) {
        let started = std::time::Instant::now();
        if let Err(e) = db.flush() {
            return (Err(e.to_string()), started.elapsed());
        }
        let sled_part = started.elapsed();
        let synced = self
            .file
            .sync_data()
            .map_err(|e| format!("syncing the log to disk: {e}"))
            .and_then(|()| self.sync_blobs().map_err(|e| format!("syncing sled's blobs to disk: {e}")));
        (synced, sled_part)
    }

    fn sync_blobs(&self) -> std::io::Result<()> {
        let mut synced = self.synced_blobs.lock().unwrap_or_else(PoisonError::into_inner);
        let entries = match std::fs::read_dir(&self.blobs) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut present = BTreeMap::new();
        let mut came = false;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let Some(len) = sync_blob(&entry.path(), synced.get(&name).copied())? else { continue };
            came |= !synced.contains_key(&name);
            present.insert(name, len);
        }
        if came || present.len() != synced.len() {
            File::open(&self.blobs)?.sync_all()?;
        }
        *synced = present;
        Ok(())
    }

    #[cfg(test)]
    fn synced_blobs(&self) -> BTreeMap<OsString, u64> {
        self.synced_blobs.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synced_file_is_the_log_sled_writes() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let log = Log::open(dir.path()).unwrap();
        let before = std::fs::metadata(dir.path().join(SLED_LOG)).unwrap().len();
        db.insert(vec![7u8; 64], vec![1u8; 100_000]).unwrap();
        log.flush(&db).unwrap();
        let after = std::fs::metadata(dir.path().join(SLED_LOG)).unwrap().len();
        assert!(after > before, "sled's writes land in {SLED_LOG} ({before} → {after} bytes)");
    }

    #[test]
    fn a_blob_removed_after_the_listing_is_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(sync_blob(&dir.path().join("gone"), None).unwrap(), None);
        let blob = dir.path().join("blob");
        std::fs::write(&blob, [1u8; 10]).unwrap();
        assert_eq!(sync_blob(&blob, None).unwrap(), Some(10));
        assert_eq!(sync_blob(&blob, Some(10)).unwrap(), Some(10), "synced at this length before");
    }

    #[test]
    fn a_value_too_large_for_the_log_is_a_blob_and_is_synced_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let log = Log::open(dir.path()).unwrap();
        log.flush(&db).unwrap();
        assert!(log.synced_blobs().is_empty());

        db.insert(b"large", vec![3u8; 300_000]).unwrap();
        log.flush(&db).unwrap();
        let on_disk: BTreeMap<OsString, u64> = std::fs::read_dir(dir.path().join(SLED_BLOBS))
            .unwrap()
            .map(|entry| entry.unwrap())
            .map(|entry| (entry.file_name(), entry.metadata().unwrap().len()))
            .collect();
        assert!(!on_disk.is_empty(), "sled wrote the value to a blob");
        assert_eq!(log.synced_blobs(), on_disk, "every blob synced at its present length");

        drop(db);
        let reopened = crate::store::open_sled(&sled::Config::new().path(dir.path())).unwrap();
        assert_eq!(reopened.get(b"large").unwrap().map(|v| v.len()), Some(300_000));
    }
}
