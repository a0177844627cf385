//! Backups: a consistent snapshot of every tree in one file, taken while the node serves, and
//! restoring one into an empty data folder.
//!
//! ```text
//! "TIEMENG-BACKUP\n" 0x01 | station (u16 len, bytes) | taken at (i64 ms, BE)
//! for each tree: name (u16 len, bytes) | entries (u64) | { key (u32 len, bytes) value (u32 len, bytes) }*
//! SHA-256 of everything before it
//! ```
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

/// Checks a backup's checksum without restoring it.
pub fn check(path: &Path) -> Result<(), StoreError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let (body, digest) = bytes.split_at(
        bytes.len().checked_sub(32).ok_or_else(|| StoreError::Corrupt(format!("{} is truncated", path.display())))?,
    );
    if Sha256::digest(body).as_slice() != digest || !body.starts_with(MAGIC) {
        return Err(StoreError::Corrupt(format!("{} is damaged: its checksum does not match", path.display())));
    }
    Ok(())
}

/// Restores a backup into `dir`, which must not hold a store yet. The restored store is
/// marked so that the node reconciles with its peers when it next starts.
pub fn restore(path: &Path, dir: &Path) -> Result<BackupInfo, StoreError> {
    check(path)?;
    if dir.join("conf").exists() {
        return Err(StoreError::Corrupt(format!("{} already holds data; restore into an empty folder", dir.display())));
    }
    let file = File::open(path).map_err(io(path))?;
    let mut reader = BufReader::new(file);
    take(&mut reader, MAGIC.len(), path)?;
    let station_len = usize::from(u16::from_be_bytes(number(&mut reader, path)?));
    let station =
        String::from_utf8(take(&mut reader, station_len, path)?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let station: StationId = station.parse().map_err(|e: crate::ids::IdError| StoreError::Corrupt(e.to_string()))?;
    let taken_at = from_unix_ms(i64::from_be_bytes(number(&mut reader, path)?));
    let db = super::open_sled(&sled::Config::new().path(dir).cache_capacity(64 * 1024 * 1024))?;
    let mut entries = 0;
    for _ in 0..Trees::names().len() {
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
