//! Backups: a consistent snapshot of every tree in one file, taken while the node serves, and
//! restoring one into an empty data folder.
//!
//! ```text
//! "TIEMENG-BACKUP\n" 0x01 | station (u16 len, bytes) | taken at (i64 ms, BE)
//! for each tree: name (u16 len, bytes) | entries (u64) | { key (u32 len, bytes) value (u32 len, bytes) }*
//!   (entries u64::MAX: as many as there are, then u32::MAX where a key length would be)
//! SHA-256 of everything before it
//! ```
//! Trees are found by name, so adding a tree leaves older backups restorable. After the trees
//! may come a section named [`JOURNAL`]: writes to replay, in order, over them.
//!
//! # Consistent without stopping the station
//! Copying a million cases takes a while, and officers keep working meanwhile. The store's write
//! lock is taken twice, each time only to flip a switch: at the start, a journal begins to record
//! every write committed from then on (under the same lock as the commits, so none is missed or
//! split); then the trees are copied while writes go on, so a copy may hold a key's value from
//! before or after a change; at the end, the journal is taken and written after the trees.
//! Restoring copies the trees and replays the journal, which leaves every key the backup window
//! touched with its value at the end, and every other key unchanged all along: the store exactly
//! as it was at the end of the backup.
//!
//! The journal is kept in a file beside the backup (`<backup>.journal`, removed at the end), not
//! in memory: however much is written while a large store is copied, the backup neither fails
//! nor fills the node's memory; it needs the disk space only. A writer only appends to the
//! journal's buffer in memory; a thread of the backup's writes full buffers to the file, so no
//! write to the disk happens under the store's lock.
//!
//! The backup file and its journal are synced every [`SYNC_EVERY`] (8 MiB) as they are written: gigabytes left dirty in the
//! page cache would make the kernel hold back every writer of the process, the store's own log
//! among them, and an officer's request would wait for the backup's write-out.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::backup_files::FILES;
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
    /// Attachment files.
    pub files: u64,
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

/// An I/O error while writing a backup: the backup was not taken (the store is fine).
fn not_taken(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Backup(format!("{}: {e}", path.display()))
}

fn len_u16(bytes: &[u8]) -> Result<[u8; 2], StoreError> {
    u16::try_from(bytes.len()).map(u16::to_be_bytes).map_err(|_| StoreError::Corrupt("name too long".into()))
}

/// The name of the journal section, after the trees. Not a tree name: those are identifiers.
const JOURNAL: &str = "~journal";

/// How much of the journal is gathered in memory before it goes to the file.
const JOURNAL_BUFFER: usize = 1 << 20;
/// How much of the backup is written between two syncs of its file.
const SYNC_EVERY: u64 = 8 << 20;

/// The writes committed while a backup copies the trees, as the journal section's entries
/// (tree name, 0, key → 1 and the value, or 0 for a removal), in a file of their own.
#[derive(Debug)]
pub(super) struct Journal {
    buffer: Vec<u8>,
    /// Takes full buffers to the file.
    to_file: std::sync::mpsc::Sender<Vec<u8>>,
    /// Writes them; gives back the file, or why it could not.
    writer: std::thread::JoinHandle<std::io::Result<File>>,
    path: PathBuf,
    entries: u64,
}

impl Journal {
    fn create(backup: &Path) -> Result<Self, StoreError> {
        let mut name = backup.as_os_str().to_owned();
        name.push(".journal");
        let path = PathBuf::from(name);
        let file = File::options().read(true).write(true).create_new(true).open(&path).map_err(not_taken(&path))?;
        let (to_file, buffers) = std::sync::mpsc::channel::<Vec<u8>>();
        let writer = std::thread::Builder::new()
            .name("backup-journal".into())
            .spawn(move || {
                // Paced like the backup file: a busy station writes gigabytes of journal while a
                // large store is copied, and left dirty they would hold back the store's own log.
                let mut paced = Paced { file, unsynced: 0 };
                for buffer in buffers {
                    paced.write_all(&buffer)?;
                }
                Ok(paced.file)
            })
            .map_err(not_taken(&path))?;
        Ok(Self { buffer: Vec::with_capacity(JOURNAL_BUFFER), to_file, writer, path, entries: 0 })
    }

    /// Records one transaction's writes, in order. Called under the store's write lock, so it
    /// only appends to memory and hands a full buffer over; a failure to write the file shows
    /// at the end of the backup, never to the writer, whose change is committed already.
    pub(super) fn record(&mut self, ops: &[super::unit::Op]) {
        for op in ops {
            let name = Trees::names()[op.tree as usize].as_bytes();
            let entry = [name, &[0], op.key.as_slice()].concat();
            let value = match &op.value {
                Some(value) => [&[1u8][..], value].concat(),
                None => vec![0u8],
            };
            // Writing to a vector cannot fail but for an entry over 4 GiB, which sled cannot hold.
            let _ = put_entry(&mut self.buffer, &entry, &value);
            self.entries += 1;
        }
        if self.buffer.len() >= JOURNAL_BUFFER {
            let full = std::mem::replace(&mut self.buffer, Vec::with_capacity(JOURNAL_BUFFER));
            // A writer that stopped has failed; finish says so.
            let _ = self.to_file.send(full);
        }
    }

    /// Writes what is left and gives back the whole journal's file, at its start.
    fn finish(self) -> std::io::Result<(File, u64)> {
        let Self { buffer, to_file, writer, entries, .. } = self;
        let _ = to_file.send(buffer);
        drop(to_file);
        let mut file = writer.join().map_err(|_| std::io::Error::other("the journal's writer failed"))??;
        file.rewind()?;
        Ok((file, entries))
    }
}

/// A file synced every [`SYNC_EVERY`] written.
struct Paced {
    file: File,
    unsynced: u64,
}

impl Write for Paced {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.unsynced += n as u64;
        if self.unsynced >= SYNC_EVERY {
            self.file.sync_data()?;
            self.unsynced = 0;
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Store {
    /// Writes a consistent snapshot to `path` (created, never overwritten) and syncs it to
    /// disk, while writes go on (see the module documentation).
    pub fn backup(&self, path: &Path, now: OffsetDateTime) -> Result<BackupInfo, StoreError> {
        self.backup_observed(path, now, &mut |_| {})
    }

    /// [`Store::backup`], calling `copied` with each tree's name once it is copied: a test
    /// writes there to prove that what changes during the copy is in the backup.
    pub(super) fn backup_observed(
        &self,
        path: &Path,
        now: OffsetDateTime,
        copied: &mut dyn FnMut(&str),
    ) -> Result<BackupInfo, StoreError> {
        let file = File::options().write(true).create_new(true).open(path).map_err(not_taken(path))?;
        let started = (|| {
            let _guard = self.lock()?;
            let mut journal = self.backup_journal.lock().map_err(|_| StoreError::Poisoned)?;
            if journal.is_some() {
                return Err(StoreError::Backup("another backup is being taken; try again when it is done".into()));
            }
            let new = Journal::create(path)?;
            let journal_path = new.path.clone();
            *journal = Some(new);
            Ok((self.inner()?, journal_path))
        })();
        let result = started.and_then(|(inner, journal_path)| {
            let result = self.write_backup(file, &inner, path, now, copied);
            // Whatever happened, this backup's journal stops and its file goes.
            if let Ok(mut journal) = self.backup_journal.lock() {
                *journal = None;
            }
            let _ = std::fs::remove_file(journal_path);
            result
        });
        // A file that is not a whole backup goes.
        if result.is_err() {
            let _ = std::fs::remove_file(path);
        }
        result
    }

    fn write_backup(
        &self,
        file: File,
        inner: &super::Inner,
        path: &Path,
        now: OffsetDateTime,
        copied: &mut dyn FnMut(&str),
    ) -> Result<BackupInfo, StoreError> {
        let write = not_taken(path);
        let paced = Paced { file, unsynced: 0 };
        let mut out = Hashing { inner: BufWriter::with_capacity(1 << 20, paced), hash: Sha256::new() };
        let station = self.station.as_str().as_bytes();
        out.write_all(MAGIC).map_err(&write)?;
        out.write_all(&len_u16(station)?).map_err(&write)?;
        out.write_all(station).map_err(&write)?;
        out.write_all(&unix_ms(now).to_be_bytes()).map_err(&write)?;
        let mut entries = 0;
        for (name, tree) in Trees::names().iter().zip(&inner.all_trees) {
            // Streamed: a tree's length changes while it is copied, so the section ends with a
            // marker instead of starting with a count.
            out.write_all(&len_u16(name.as_bytes())?).map_err(&write)?;
            out.write_all(name.as_bytes()).map_err(&write)?;
            out.write_all(&STREAMED.to_be_bytes()).map_err(&write)?;
            for item in tree.iter() {
                let (key, value) = item?;
                put_entry(&mut out, &key, &value).map_err(&write)?;
                entries += 1;
            }
            out.write_all(&END_OF_SECTION.to_be_bytes()).map_err(&write)?;
            copied(name);
        }
        let journal = {
            let _guard = self.lock()?;
            self.backup_journal.lock().map_err(|_| StoreError::Poisoned)?.take()
        };
        let journal = journal.ok_or_else(|| StoreError::Backup("the backup's journal went missing".into()))?;
        let journal_path = journal.path.clone();
        let (written, journal_entries) = journal.finish().map_err(not_taken(&journal_path))?;
        if journal_entries > 0 {
            out.write_all(&len_u16(JOURNAL.as_bytes())?).map_err(&write)?;
            out.write_all(JOURNAL.as_bytes()).map_err(&write)?;
            out.write_all(&journal_entries.to_be_bytes()).map_err(&write)?;
            std::io::copy(&mut BufReader::new(written), &mut out).map_err(&write)?;
        }
        // The files last, listed now the journal is taken: each kept file's entry is in the
        // backup's trees or journal, and its bytes here.
        let files = super::backup_files::write(&mut out, &self.dir, &inner.trees.sha_file, STREAMED, END_OF_SECTION)?;
        let digest = out.hash.finalize();
        let mut file = out.inner;
        file.write_all(&digest).map_err(&write)?;
        let file = file.into_inner().map_err(|e| write(e.into_error()))?.file;
        file.sync_all().map_err(&write)?;
        Ok(BackupInfo { station: self.station.clone(), taken_at: now, entries, files })
    }
}

/// Writes one entry: key and value, each after its length (u32).
fn put_entry<W: Write>(out: &mut W, key: &[u8], value: &[u8]) -> std::io::Result<()> {
    for part in [key, value] {
        let len = u32::try_from(part.len()).map_err(|_| std::io::Error::other("an entry is larger than 4 GiB"))?;
        out.write_all(&len.to_be_bytes())?;
        out.write_all(part)?;
    }
    Ok(())
}

/// The entry count of a section copied while writes went on: its entries end with
/// [`END_OF_SECTION`] in place of a key length.
const STREAMED: u64 = u64::MAX;
/// Ends a [`STREAMED`] section.
const END_OF_SECTION: u32 = u32::MAX;

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

/// Replays one journal entry: tree name, 0, key → 1 and the value, or 0 for a removal.
fn replay(db: &sled::Db, entry: &[u8], value: &[u8], path: &Path) -> Result<(), StoreError> {
    let damaged = || StoreError::Corrupt(format!("{} has a damaged journal entry", path.display()));
    let split = entry.iter().position(|b| *b == 0).ok_or_else(damaged)?;
    let name = std::str::from_utf8(&entry[..split]).map_err(|_| damaged())?;
    if !Trees::names().contains(&name) {
        return Err(damaged());
    }
    let tree = db.open_tree(name)?;
    let key = &entry[split + 1..];
    match value.split_first() {
        Some((1, value)) => {
            tree.insert(key, value)?;
        }
        Some((0, [])) => {
            tree.remove(key)?;
        }
        _ => return Err(damaged()),
    }
    Ok(())
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
        let mut read = 0;
        while count == STREAMED || read < count {
            read += 1;
            let key_len = u32::from_be_bytes(number(&mut file, path)?);
            if count == STREAMED && key_len == END_OF_SECTION {
                break;
            }
            file.seek_relative(i64::from(key_len)).map_err(io(path))?;
            let value_len = u32::from_be_bytes(number(&mut file, path)?);
            file.seek_relative(i64::from(value_len)).map_err(io(path))?;
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
    let known = |name: &str| name == JOURNAL || name == FILES || Trees::names().contains(&name);
    if let Some(unknown) = tree_names(path)?.into_iter().find(|name| !known(name)) {
        return Err(StoreError::Corrupt(format!(
            "{} holds the tree {unknown:?}, which this release of tiemeng does not know: restore it with the \
             release that took it, or a later one",
            path.display()
        )));
    }
    let db = super::open_sled(&sled::Config::new().path(dir).cache_capacity(64 * 1024 * 1024))?;
    let (mut entries, mut files) = (0, 0);
    // Trees are read by name until the checksum: a backup from an earlier release lacks the
    // trees added since, and they start empty.
    while reader.read < body {
        let name_len = usize::from(u16::from_be_bytes(number(&mut reader, path)?));
        let name =
            String::from_utf8(take(&mut reader, name_len, path)?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let journal = name == JOURNAL;
        let count = u64::from_be_bytes(number(&mut reader, path)?);
        if name == FILES {
            files += restore_files(&mut reader, dir, count, path)?;
            continue;
        }
        let tree = if journal { None } else { Some(db.open_tree(&name)?) };
        let mut read = 0;
        while count == STREAMED || read < count {
            read += 1;
            let key_len = u32::from_be_bytes(number(&mut reader, path)?);
            if count == STREAMED && key_len == END_OF_SECTION {
                break;
            }
            let key = take(&mut reader, key_len as usize, path)?;
            let value_len = u32::from_be_bytes(number(&mut reader, path)?) as usize;
            let value = take(&mut reader, value_len, path)?;
            match &tree {
                Some(tree) => {
                    tree.insert(key, value)?;
                    entries += 1;
                }
                None => replay(&db, &key, &value, path)?,
            }
        }
    }
    let meta = db.open_tree("meta")?;
    if meta.get(META_STATION)?.as_deref() != Some(station.as_str().as_bytes()) {
        return Err(StoreError::Corrupt("the backup does not record its station".into()));
    }
    meta.insert(META_RESTORED_FROM, &unix_ms(taken_at).to_be_bytes())?;
    let forgotten = super::backup_files::forget_missing(&db, dir)?;
    if forgotten > 0 {
        tracing::warn!(forgotten, "attachment records without their file in the backup were dropped");
    }
    super::sync::Log::open(dir)?.flush(&db).map_err(StoreError::Flush)?;
    Ok(BackupInfo { station, taken_at, entries, files })
}

/// Restores the files section's entries (a streamed section: until its end marker).
fn restore_files(reader: &mut impl Read, dir: &Path, count: u64, path: &Path) -> Result<u64, StoreError> {
    let mut restored = 0;
    while count == STREAMED || restored < count {
        let key_len = u32::from_be_bytes(number(reader, path)?);
        if count == STREAMED && key_len == END_OF_SECTION {
            break;
        }
        let key = take(reader, key_len as usize, path)?;
        let len = u32::from_be_bytes(number(reader, path)?);
        super::backup_files::restore(reader, dir, &key, u64::from(len))?;
        restored += 1;
    }
    Ok(restored)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
