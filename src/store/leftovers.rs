//! Files a crash, a power cut or a full disk left half-written in the data folder, found and
//! set aside before the store opens, so that the start they would otherwise fail goes on with
//! everything acknowledged.
//!
//! sled writes its snapshot (the page table it would otherwise rebuild from its log) to
//! `snap.<lsn>.generating`, syncs it, then renames it `snap.<lsn>`. Cut short between the two
//! (a start on a full disk always was) it leaves the `.generating` file behind: empty, partial,
//! or whole but never named. sled as published took that file for the newest snapshot and
//! refused every later start as corrupt. Nothing is lost by removing it: a snapshot is written
//! from the log, which holds everything acknowledged, and sled writes a new one as it opens.

use std::path::{Path, PathBuf};

/// The ending of a snapshot sled had not finished writing.
const UNFINISHED_SNAPSHOT: &str = ".generating";

/// A half-written file found in the data folder and removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// Where it was.
    pub path: PathBuf,
    /// How long it was.
    pub bytes: u64,
}

/// Removes the unfinished snapshots in the database folder `dir`, saying so in the log. A
/// folder that cannot be listed is left to the open that follows, which reports it.
pub fn set_aside(dir: &Path) -> Vec<SetAside> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with("snap.") && name.ends_with(UNFINISHED_SNAPSHOT)) {
            continue;
        }
        let path = entry.path();
        let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
        match std::fs::remove_file(&path) {
            Ok(()) => {
                tracing::warn!(
                    file = %path.display(),
                    bytes,
                    "removed a snapshot whose writing was cut short (a crash, a power cut or a full disk); \
                     it is rebuilt from the log, which holds everything acknowledged"
                );
                removed.push(SetAside { path, bytes });
            }
            // The open goes on without it: sled no longer reads unfinished snapshots.
            Err(e) => tracing::warn!(file = %path.display(), error = %e, "cannot remove an unfinished snapshot"),
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_snapshots_go_and_everything_else_stays() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["snap.0000000000001000.generating", "snap.0000000000002000.generating"] {
            std::fs::write(dir.path().join(name), b"cut short").unwrap();
        }
        for name in ["snap.0000000000000800", "conf", "db", "generating", "blob.generating"] {
            std::fs::write(dir.path().join(name), b"kept").unwrap();
        }
        let mut removed = set_aside(dir.path());
        removed.sort_by(|a, b| a.path.cmp(&b.path));
        let names: Vec<_> =
            removed.iter().map(|s| s.path.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["snap.0000000000001000.generating", "snap.0000000000002000.generating"]);
        assert!(removed.iter().all(|s| s.bytes == 9));
        let mut left: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, ["blob.generating", "conf", "db", "generating", "snap.0000000000000800"]);
    }

    #[test]
    fn a_store_with_an_unfinished_snapshot_opens_with_everything_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let station: crate::ids::StationId = "zj-taishun-luoyang".parse().unwrap();
        let store = super::super::Store::open(dir.path(), &station, 1 << 20).unwrap();
        let secret = store.secret("kept").unwrap();
        drop(store);
        // sled writes a snapshot as it opens a store with something in its log.
        drop(super::super::Store::open(dir.path(), &station, 1 << 20).unwrap());
        // What a start on a full disk left, and what a crash in the middle of writing leaves.
        let snapshot = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("snap.")))
            .expect("sled wrote a snapshot");
        let whole = std::fs::read(&snapshot).unwrap();
        std::fs::write(dir.path().join("snap.FFFFFFFFFFFFFFF0.generating"), b"").unwrap();
        std::fs::write(dir.path().join("snap.FFFFFFFFFFFFFFF1.generating"), &whole[..whole.len() / 2]).unwrap();
        let store = super::super::Store::open(dir.path(), &station, 1 << 20).unwrap();
        assert_eq!(store.secret("kept").unwrap(), secret);
        let unfinished = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(UNFINISHED_SNAPSHOT))
            .count();
        assert_eq!(unfinished, 0);
    }
}
