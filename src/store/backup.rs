//! Backups: a consistent snapshot of every tree in one file, taken while the node serves, and
//! restoring one into an empty data folder.
//!
//! ```text
//! "TIEMENG-BACKUP\n" 0x01 | station (u16 len, bytes) | taken at (i64 ms, BE)
//! for each tree: name (u16 len, bytes) | entries (u64) | { key (u32 len, bytes) value (u32 len, bytes) }*
//! SHA-256 of everything before it
//! ```
//! Trees are found by name, so adding a tree leaves older backups restorable.
//! The snapshot is taken under the store's write lock: every change goes through that lock, so
//! no transaction can land half in the backup. Reads go on meanwhile; writers wait.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{META_STATION, Store, StoreError, Trees};
use crate::clock::{from_unix_ms, unix_ms};
use crate::ids::StationId;

const MAGIC: &[u8] = b"TIEMENG-BACKUP\n\x01";
/// Meta key recording the time of the backup a store was restored from; the node reconciles
/// with its peers from then on and removes the key.
pub(super) const META_RESTORED_FROM: &[u8] = b"restored_from";

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// The station.
    pub station: StationId,
    /// When the snapshot was taken.
    pub taken_at: OffsetDateTime,
    /// Entries over all trees.
    pub entries: u64,
}

/// Writes and hashes at the same time.
struct Hashing<W: Write> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{}: {e}", path.display()))
}

fn len_u16(bytes: &[u8]) -> Result<[u8; 2], StoreError> {
    u16::try_from(bytes.len()).map(u16::to_be_bytes).map_err(|_| StoreError::Corrupt("name too long".into()))
}

fn len_u32(bytes: &[u8]) -> Result<[u8; 4], StoreError> {
    u32::try_from(bytes.len()).map(u32::to_be_bytes).map_err(|_| StoreError::Corrupt("entry too large".into()))
}

impl Store {
    /// Writes a consistent snapshot to `path` (created, never overwritten) and syncs it to disk.
    pub fn backup(&self, path: &Path, now: OffsetDateTime) -> Result<BackupInfo, StoreError> {
        let file = File::options().write(true).create_new(true).open(path).map_err(io(path))?;
        let mut out = Hashing { inner: BufWriter::new(file), hash: Sha256::new() };
        let _guard = self.lock()?;
        let inner = self.inner()?;
        let station = self.station.as_str().as_bytes();
        out.write_all(MAGIC).map_err(io(path))?;
        out.write_all(&len_u16(station)?).map_err(io(path))?;
        out.write_all(station).map_err(io(path))?;
        out.write_all(&unix_ms(now).to_be_bytes()).map_err(io(path))?;
        let mut entries = 0;
        for (name, tree) in Trees::names().iter().zip(&inner.all_trees) {
            out.write_all(&len_u16(name.as_bytes())?).map_err(io(path))?;
            out.write_all(name.as_bytes()).map_err(io(path))?;
            out.write_all(&(tree.len() as u64).to_be_bytes()).map_err(io(path))?;
            for item in tree.iter() {
                let (key, value) = item?;
                for part in [&key[..], &value[..]] {
                    out.write_all(&len_u32(part)?).map_err(io(path))?;
                    out.write_all(part).map_err(io(path))?;
                }
                entries += 1;
            }
        }
        let digest = out.hash.finalize();
        let mut file = out.inner;
        file.write_all(&digest).map_err(io(path))?;
        let file = file.into_inner().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        file.sync_all().map_err(io(path))?;
        Ok(BackupInfo { station: self.station.clone(), taken_at: now, entries })
    }
}

/// Reads exactly `n` bytes.
fn take(reader: &mut impl Read, n: usize, path: &Path) -> Result<Vec<u8>, StoreError> {
    let mut buf = vec![0; n];
    reader.read_exact(&mut buf).map_err(|_| StoreError::Corrupt(format!("{} is truncated", path.display())))?;
    Ok(buf)
}

fn number<const N: usize>(reader: &mut impl Read, path: &Path) -> Result<[u8; N], StoreError> {
    let bytes = take(reader, N, path)?;
    bytes.try_into().map_err(|_| StoreError::Corrupt("short read".into()))
}

/// Checks a backup's checksum without restoring it, reading the file once, a block at a time.
pub fn check(path: &Path) -> Result<(), StoreError> {
    let mut file = File::open(path).map_err(io(path))?;
    let size = file.metadata().map_err(io(path))?.len();
    let truncated = || StoreError::Corrupt(format!("{} is truncated", path.display()));
    let body = size.checked_sub(32).filter(|body| *body >= MAGIC.len() as u64).ok_or_else(truncated)?;
    let mut hash = Sha256::new();
    let mut start = [0u8; 16];
    let mut left = body;
    let mut buffer = vec![0u8; 1 << 16];
    let mut first = true;
    while left > 0 {
        let want = usize::try_from(left.min(buffer.len() as u64)).map_err(|_| truncated())?;
        file.read_exact(&mut buffer[..want]).map_err(|_| truncated())?;
        if first {
            start[..MAGIC.len()].copy_from_slice(&buffer[..MAGIC.len()]);
            first = false;
        }
        hash.update(&buffer[..want]);
        left -= want as u64;
    }
    let mut digest = [0u8; 32];
    file.read_exact(&mut digest).map_err(|_| truncated())?;
    if hash.finalize().as_slice() != digest || &start[..MAGIC.len()] != MAGIC {
        return Err(StoreError::Corrupt(format!("{} is damaged: its checksum does not match", path.display())));
    }
    Ok(())
}

/// Counts what has been read, so that restoring knows where the trees end and the checksum
/// begins.
struct Counting<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// The names of the trees a (checked) backup holds, in order, read without their entries.
fn tree_names(path: &Path) -> Result<Vec<String>, StoreError> {
    use std::io::Seek;
    let mut file = BufReader::new(File::open(path).map_err(io(path))?);
    let body = file.get_ref().metadata().map_err(io(path))?.len().saturating_sub(32);
    take(&mut file, MAGIC.len(), path)?;
    let station_len = u16::from_be_bytes(number(&mut file, path)?);
    file.seek_relative(i64::from(station_len) + 8).map_err(io(path))?;
    let mut names = Vec::new();
    while file.stream_position().map_err(io(path))? < body {
        let name_len = usize::from(u16::from_be_bytes(number(&mut file, path)?));
        names.push(String::from_utf8_lossy(&take(&mut file, name_len, path)?).into_owned());
        let count = u64::from_be_bytes(number(&mut file, path)?);
        for _ in 0..count * 2 {
            let len = u32::from_be_bytes(number(&mut file, path)?);
            file.seek_relative(i64::from(len)).map_err(io(path))?;
        }
    }
    Ok(names)
}

/// Restores a backup into `dir`, which must not hold a store yet. The restored store is
/// marked so that the node reconciles with its peers when it next starts.
pub fn restore(path: &Path, dir: &Path) -> Result<BackupInfo, StoreError> {
    check(path)?;
    if dir.join("conf").exists() {
        return Err(StoreError::Corrupt(format!("{} already holds data; restore into an empty folder", dir.display())));
    }
    let file = File::open(path).map_err(io(path))?;
    let body = file.metadata().map_err(io(path))?.len().saturating_sub(32);
    let mut reader = Counting { inner: BufReader::new(file), read: 0 };
    take(&mut reader, MAGIC.len(), path)?;
    let station_len = usize::from(u16::from_be_bytes(number(&mut reader, path)?));
    let station =
        String::from_utf8(take(&mut reader, station_len, path)?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let station: StationId = station.parse().map_err(|e: crate::ids::IdError| StoreError::Corrupt(e.to_string()))?;
    let taken_at = from_unix_ms(i64::from_be_bytes(number(&mut reader, path)?));
    if let Some(unknown) = tree_names(path)?.into_iter().find(|name| !Trees::names().contains(&name.as_str())) {
        return Err(StoreError::Corrupt(format!(
            "{} holds the tree {unknown:?}, which this release of tiemeng does not know: restore it with the \
             release that took it, or a later one",
            path.display()
        )));
    }
    let db = super::open_sled(&sled::Config::new().path(dir).cache_capacity(64 * 1024 * 1024))?;
    let mut entries = 0;
    // Trees are read by name until the checksum: a backup from an earlier release lacks the
    // trees added since, and they start empty.
    while reader.read < body {
        let name_len = usize::from(u16::from_be_bytes(number(&mut reader, path)?));
        let name =
            String::from_utf8(take(&mut reader, name_len, path)?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let tree = db.open_tree(&name)?;
        let count = u64::from_be_bytes(number(&mut reader, path)?);
        for _ in 0..count {
            let key_len = u32::from_be_bytes(number(&mut reader, path)?) as usize;
            let key = take(&mut reader, key_len, path)?;
            let value_len = u32::from_be_bytes(number(&mut reader, path)?) as usize;
            let value = take(&mut reader, value_len, path)?;
            tree.insert(key, value)?;
            entries += 1;
        }
    }
    let meta = db.open_tree("meta")?;
    if meta.get(META_STATION)?.as_deref() != Some(station.as_str().as_bytes()) {
        return Err(StoreError::Corrupt("the backup does not record its station".into()));
    }
    meta.insert(META_RESTORED_FROM, &unix_ms(taken_at).to_be_bytes())?;
    super::sync::Log::open(dir)?.flush(&db).map_err(StoreError::Flush)?;
    Ok(BackupInfo { station, taken_at, entries })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn station() -> StationId {
        "zj-taishun-luoyang".parse().unwrap()
    }

    /// A tree as a backup holds it: its name and its entries.
    type Section = (&'static str, Vec<(Vec<u8>, Vec<u8>)>);

    /// A backup file holding `trees`, as some release would write it.
    fn backup_with(path: &Path, trees: &[Section]) {
        let mut out = Hashing { inner: Vec::new(), hash: Sha256::new() };
        let id = station();
        out.write_all(MAGIC).unwrap();
        out.write_all(&len_u16(id.as_str().as_bytes()).unwrap()).unwrap();
        out.write_all(id.as_str().as_bytes()).unwrap();
        out.write_all(&0i64.to_be_bytes()).unwrap();
        for (name, entries) in trees {
            out.write_all(&len_u16(name.as_bytes()).unwrap()).unwrap();
            out.write_all(name.as_bytes()).unwrap();
            out.write_all(&(entries.len() as u64).to_be_bytes()).unwrap();
            for (key, value) in entries {
                for part in [key, value] {
                    out.write_all(&len_u32(part).unwrap()).unwrap();
                    out.write_all(part).unwrap();
                }
            }
        }
        let digest = out.hash.finalize();
        let mut bytes = out.inner;
        bytes.extend_from_slice(&digest);
        std::fs::write(path, bytes).unwrap();
    }

    fn meta() -> Section {
        ("meta", vec![(META_STATION.to_vec(), station().as_str().as_bytes().to_vec())])
    }

    #[test]
    fn a_backup_restores_into_an_empty_folder_with_every_tree() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("data"), &station(), 8 << 20).unwrap();
        let file = dir.path().join("backup");
        let info = store.backup(&file, OffsetDateTime::UNIX_EPOCH).unwrap();
        drop(store);
        check(&file).unwrap();
        let restored = restore(&file, &dir.path().join("restored")).unwrap();
        assert_eq!((restored.station, restored.entries), (info.station, info.entries));
    }

    /// A backup taken before a tree was added lacks it: the tree starts empty.
    #[test]
    fn a_backup_from_a_release_with_fewer_trees_restores() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("older");
        backup_with(&file, &[meta(), ("caseid_case", Vec::new())]);
        let restored = restore(&file, &dir.path().join("data")).unwrap();
        assert_eq!(restored.entries, 1);
        let store = Store::open_existing(&dir.path().join("data")).unwrap();
        assert_eq!(store.equivocation_count(&station()), 0);
    }

    /// A backup from a later release with a tree this one does not know is refused before
    /// anything is written, rather than restored without that tree.
    #[test]
    fn a_backup_with_a_tree_this_release_does_not_know_is_refused_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("newer");
        backup_with(&file, &[meta(), ("attachments_of_tomorrow", vec![(b"k".to_vec(), b"v".to_vec())])]);
        let target = dir.path().join("data");
        let error = restore(&file, &target).unwrap_err().to_string();
        assert!(error.contains("attachments_of_tomorrow") && error.contains("later one"), "{error}");
        assert!(!target.join("conf").exists(), "no store was started in {}", target.display());
    }

    #[test]
    fn a_damaged_or_cut_backup_fails_its_check() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("backup");
        backup_with(&file, &[meta()]);
        let mut bytes = std::fs::read(&file).unwrap();
        bytes[20] ^= 1;
        std::fs::write(&file, &bytes).unwrap();
        assert!(check(&file).unwrap_err().to_string().contains("checksum"));
        std::fs::write(&file, &bytes[..10]).unwrap();
        assert!(check(&file).unwrap_err().to_string().contains("truncated"));
    }
}
