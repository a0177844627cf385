//! The attachment files in a backup: after the trees (and the journal), a section named
//! [`FILES`] holds every kept file, its SHA-256 as the key and its bytes as the value, copied a
//! block at a time (never held whole). The list is read after the journal is taken, and a file
//! is in place before its `sha_file` entry is written, so every file the backup's trees say is
//! kept is in the section. Restoring writes each file back where the store keeps it, checking
//! its bytes against its hash on the way. Previews are not carried: they are made again from
//! the original when first asked for.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use sha2::Digest as _;

use super::{StoreError, files};
use crate::domain::attachment::Sha256;

/// The section's name: like the journal's, no tree's name can be it.
pub(super) const FILES: &str = "~files";

/// Writes the section: every file `sha_file` lists, as an entry of a streamed section (each
/// entry's lengths first, then its bytes; the section ends with `end`). A listed file missing
/// from the disk is left out and logged: the backup still holds everything else. Returns how
/// many files it holds.
pub(super) fn write<W: Write>(
    out: &mut W,
    dir: &Path,
    kept: &sled::Tree,
    streamed: u64,
    end: u32,
) -> Result<u64, StoreError> {
    let fail = |e: std::io::Error| StoreError::Backup(format!("copying attachment files: {e}"));
    out.write_all(&u16::try_from(FILES.len()).unwrap_or(u16::MAX).to_be_bytes()).map_err(fail)?;
    out.write_all(FILES.as_bytes()).map_err(fail)?;
    out.write_all(&streamed.to_be_bytes()).map_err(fail)?;
    let mut count = 0;
    for item in kept.iter() {
        let (key, _) = item?;
        let Ok(sha) = <[u8; 32]>::try_from(key.as_ref()).map(Sha256) else { continue };
        let path = files::kept_path(dir, &sha);
        let Ok(mut file) = File::open(&path) else {
            tracing::warn!(sha256 = %sha, "a kept attachment file is missing; the backup goes on without it");
            continue;
        };
        let len = file.metadata().map_err(fail)?.len();
        let len32 = u32::try_from(len).map_err(|_| StoreError::Backup(format!("file {sha} is larger than 4 GiB")))?;
        out.write_all(&32u32.to_be_bytes()).map_err(fail)?;
        out.write_all(&sha.0).map_err(fail)?;
        out.write_all(&len32.to_be_bytes()).map_err(fail)?;
        let copied = std::io::copy(&mut (&mut file).take(len), out).map_err(fail)?;
        if copied != len {
            return Err(StoreError::Backup(format!("file {sha} changed size while it was copied")));
        }
        count += 1;
    }
    out.write_all(&end.to_be_bytes()).map_err(fail)?;
    Ok(count)
}

/// Restores one file of the section from `reader` (`len` bytes) into the data folder `dir`,
/// checked against its hash `key`; written beside its place, synced, then moved into it.
pub(super) fn restore(reader: &mut impl Read, dir: &Path, key: &[u8], len: u64) -> Result<(), StoreError> {
    let damaged = |why: &str| StoreError::Corrupt(format!("an attachment file in the backup {why}"));
    let sha = <[u8; 32]>::try_from(key).map(Sha256).map_err(|_| damaged("has a damaged name"))?;
    let io = |e: std::io::Error| StoreError::Files(e.to_string());
    let target = files::kept_path(dir, &sha);
    let folder = target.parent().ok_or_else(|| damaged("has no place"))?;
    std::fs::create_dir_all(folder).map_err(io)?;
    let part = target.with_extension("restoring");
    let mut out = File::create(&part).map_err(io)?;
    let mut hash = sha2::Sha256::new();
    let mut left = len;
    let mut buffer = vec![0u8; 1 << 20];
    while left > 0 {
        let want = usize::try_from(left.min(buffer.len() as u64)).unwrap_or(buffer.len());
        reader.read_exact(&mut buffer[..want]).map_err(|_| damaged("is cut short"))?;
        hash.update(&buffer[..want]);
        out.write_all(&buffer[..want]).map_err(io)?;
        left -= want as u64;
    }
    if Sha256(hash.finalize().into()) != sha {
        let _ = std::fs::remove_file(&part);
        return Err(damaged(&format!("{sha} does not hash to its name")));
    }
    out.sync_all().map_err(io)?;
    std::fs::rename(&part, &target).map_err(io)?;
    File::open(folder).and_then(|f| f.sync_all()).map_err(io)
}

/// Drops the record of every file the restored folder does not hold. A backup can list a file
/// whose bytes it lacks: an unused upload swept between the copy of its record and the copy of
/// the files, or a file lost from the disk. A record must never say a file is here when it is
/// not; without one, a file a case names is fetched again from the partner that sent it.
pub(super) fn forget_missing(db: &sled::Db, dir: &Path) -> Result<u64, StoreError> {
    let records = db.open_tree("sha_file")?;
    let mut forgotten = 0;
    for item in records.iter() {
        let (key, _) = item?;
        let Ok(sha) = <[u8; 32]>::try_from(key.as_ref()).map(Sha256) else { continue };
        if !files::kept_path(dir, &sha).exists() {
            records.remove(key)?;
            forgotten += 1;
        }
    }
    Ok(forgotten)
}
