//! Attachment files (附件) on the data disk beside sled, stored once by their SHA-256.
//!
//! A file arrives in `attachments/incoming/` under a name of its own, is hashed as it is
//! written, synced, and only then renamed to `attachments/sha256/<first two hex>/<hash>` (the
//! folder synced too) and recorded in `sha_file` — so a name under `sha256/` always holds
//! the whole file its name promises, and a crash leaves at most a file in `incoming/`, which
//! the sweep removes. `shacase_file` says which cases name a file: one no case names a day
//! after it arrived (an upload never used) is swept as well.

use std::path::{Path, PathBuf};

use sha2::Digest as _;
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt as _;

use super::{Store, StoreError, TreeId, Unit};
use crate::domain::attachment::{MediaType, Sha256};
use crate::ids::CaseId;

/// The version byte of a `sha_file` value.
const FILE_V1: u8 = 1;

/// What the store knows of a kept file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    /// Its hash.
    pub sha256: Sha256,
    /// Its size in bytes.
    pub size: u64,
    /// What its content is.
    pub media_type: MediaType,
    /// When it was first kept here.
    pub kept_at: OffsetDateTime,
}

/// Why an arriving file was not kept.
#[derive(Debug, thiserror::Error)]
pub enum IncomingError {
    /// It grew past the limit.
    #[error("the file is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// Its first bytes are not those of an accepted type.
    #[error("the file is not a JPEG, PNG, WebP or PDF")]
    Unsupported,
    /// It is empty.
    #[error("the file is empty")]
    Empty,
    /// The disk failed.
    #[error("the file could not be written: {0}")]
    Io(#[from] std::io::Error),
}

/// A file being received: written to `incoming/` and hashed as it comes.
#[derive(Debug)]
pub struct Incoming {
    file: tokio::fs::File,
    path: PathBuf,
    hasher: sha2::Sha256,
    len: u64,
    limit: u64,
    head: Vec<u8>,
    media_type: Option<MediaType>,
}

/// A received file, whole and synced, not yet kept.
#[derive(Debug)]
pub struct Received {
    path: PathBuf,
    /// Its hash.
    pub sha256: Sha256,
    /// Its size.
    pub size: u64,
    /// What its first bytes say it is.
    pub media_type: MediaType,
}

impl Received {
    /// A whole file at `path`, hashed and sized already.
    pub(super) fn at(path: PathBuf, sha256: Sha256, size: u64, media_type: MediaType) -> Self {
        Self { path, sha256, size, media_type }
    }

    /// Where it lies until it is kept or dropped.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Drops it.
    pub async fn discard(self) {
        let _ = tokio::fs::remove_file(&self.path).await;
    }
}

impl Incoming {
    /// Takes the next piece; refuses the file as soon as it is too large or its first bytes
    /// are no accepted type (the file then goes).
    pub async fn write(&mut self, piece: &[u8]) -> Result<(), IncomingError> {
        self.len += piece.len() as u64;
        if self.len > self.limit {
            return Err(IncomingError::TooLarge { limit: self.limit });
        }
        if self.media_type.is_none() {
            let wanted = MediaType::SNIFF_LEN - self.head.len();
            self.head.extend_from_slice(&piece[..wanted.min(piece.len())]);
            if self.head.len() == MediaType::SNIFF_LEN {
                self.media_type = Some(MediaType::sniff(&self.head).ok_or(IncomingError::Unsupported)?);
            }
        }
        self.hasher.update(piece);
        self.file.write_all(piece).await?;
        Ok(())
    }

    /// The file is whole: synced, and named by what it holds.
    pub async fn finish(mut self) -> Result<Received, IncomingError> {
        if self.len == 0 {
            return Err(IncomingError::Empty);
        }
        let media_type = self.media_type.ok_or(IncomingError::Unsupported)?;
        self.file.flush().await?;
        self.file.sync_all().await?;
        Ok(Received { path: self.path, sha256: Sha256(self.hasher.finalize().into()), size: self.len, media_type })
    }

    /// Gives up on the file.
    pub async fn abandon(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.path).await;
    }
}

fn encode(info: &FileInfo) -> Vec<u8> {
    let mut value = vec![FILE_V1];
    value.extend_from_slice(&info.size.to_be_bytes());
    value.push(super::keys::media_tag(info.media_type));
    value.extend_from_slice(&crate::clock::unix_ms(info.kept_at).to_be_bytes());
    value
}

fn decode(sha256: Sha256, value: &[u8]) -> Result<FileInfo, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("the record of attachment {sha256} is damaged"));
    match value {
        [FILE_V1, rest @ ..] if rest.len() == 17 => {
            let size = u64::from_be_bytes(rest[..8].try_into().map_err(|_| corrupt())?);
            let media_type = super::keys::media_of_tag(rest[8]).ok_or_else(corrupt)?;
            let ms = i64::from_be_bytes(rest[9..17].try_into().map_err(|_| corrupt())?);
            let kept_at = crate::clock::from_unix_ms(ms);
            Ok(FileInfo { sha256, size, media_type, kept_at })
        }
        _ => Err(corrupt()),
    }
}

/// Syncs a folder, so that a rename into it survives a power cut.
async fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all()).await.map_err(std::io::Error::other)?
}

/// Where the file with `sha256` lies once kept, in the data folder `dir` (a restore writes it
/// there before any store is open).
pub(super) fn kept_path(dir: &Path, sha256: &Sha256) -> PathBuf {
    let hex = sha256.hex();
    dir.join("attachments").join("sha256").join(&hex[..2]).join(hex)
}

impl Store {
    /// The folder of the attachment files.
    fn files_dir(&self) -> PathBuf {
        self.dir.join("attachments")
    }

    fn incoming_dir(&self) -> PathBuf {
        self.files_dir().join("incoming")
    }

    /// Where the file with `sha256` lies once kept.
    pub fn file_path(&self, sha256: &Sha256) -> PathBuf {
        kept_path(&self.dir, sha256)
    }

    /// Where the preview of the image with `sha256` lies.
    pub fn preview_path(&self, sha256: &Sha256) -> PathBuf {
        self.files_dir().join("previews").join(format!("{}.jpg", sha256.hex()))
    }

    /// Removes what uploads left half-written in `incoming/` when the node stopped, killed or
    /// not: none was acknowledged, and no upload is under way while the store is being opened
    /// (sled's lock keeps a second process out). Returns how many went.
    pub fn clear_incoming(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(self.incoming_dir()) else { return 0 };
        entries.filter_map(Result::ok).filter(|entry| std::fs::remove_file(entry.path()).is_ok()).count()
    }

    /// Keeps the re-encoded preview of an image. Previews are made from the kept original, so
    /// one lost to a crash is made again; it is written whole (a new name, then renamed) so a
    /// half-written one is never served.
    pub async fn put_preview(&self, sha256: &Sha256, preview: &[u8]) -> Result<(), StoreError> {
        let io = |e: std::io::Error| StoreError::Files(e.to_string());
        let path = self.preview_path(sha256);
        if let Some(folder) = path.parent() {
            tokio::fs::create_dir_all(folder).await.map_err(io)?;
        }
        let part = path.with_extension(format!("{}.part", uuid::Uuid::now_v7()));
        tokio::fs::write(&part, preview).await.map_err(io)?;
        tokio::fs::rename(&part, &path).await.map_err(io)
    }

    /// Starts receiving a file of at most `limit` bytes.
    pub async fn receive_file(&self, limit: u64) -> Result<Incoming, StoreError> {
        let dir = self.incoming_dir();
        tokio::fs::create_dir_all(&dir).await.map_err(|e| StoreError::Files(e.to_string()))?;
        let path = dir.join(format!("{}.part", uuid::Uuid::now_v7()));
        let file = tokio::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(|e| StoreError::Files(e.to_string()))?;
        Ok(Incoming {
            file,
            path,
            hasher: sha2::Sha256::new(),
            len: 0,
            limit,
            head: Vec::with_capacity(MediaType::SNIFF_LEN),
            media_type: None,
        })
    }

    /// Keeps a received file under its hash, durably: the file synced and renamed into its
    /// folder, the folder synced, and its record flushed. A file kept already stays as it is
    /// (same hash, same bytes) and the copy goes.
    pub async fn keep_file(&self, received: Received, now: OffsetDateTime) -> Result<FileInfo, StoreError> {
        let io = |e: std::io::Error| StoreError::Files(e.to_string());
        if let Some(kept) = self.file_info(&received.sha256)? {
            received.discard().await;
            return Ok(kept);
        }
        let target = self.file_path(&received.sha256);
        let folder = target.parent().map(Path::to_owned).unwrap_or_else(|| self.files_dir());
        tokio::fs::create_dir_all(&folder).await.map_err(io)?;
        tokio::fs::rename(&received.path, &target).await.map_err(io)?;
        sync_dir(&folder).await.map_err(io)?;
        let info =
            FileInfo { sha256: received.sha256, size: received.size, media_type: received.media_type, kept_at: now };
        self.write(now, |unit| {
            unit.put(TreeId::ShaFile, info.sha256.0.to_vec(), encode(&info));
            Ok::<_, StoreError>(())
        })?;
        self.durable().await?;
        Ok(info)
    }

    /// What the store knows of the file with `sha256`, if it is kept here.
    pub fn file_info(&self, sha256: &Sha256) -> Result<Option<FileInfo>, StoreError> {
        let inner = self.inner()?;
        inner.trees.sha_file.get(sha256.0)?.map(|value| decode(*sha256, &value)).transpose()
    }

    /// The cases that name the file.
    pub fn cases_naming_file(&self, sha256: &Sha256) -> Result<Vec<CaseId>, StoreError> {
        let inner = self.inner()?;
        let mut cases = Vec::new();
        for item in inner.trees.shacase_file.scan_prefix(sha256.0) {
            let (key, _) = item?;
            let id: [u8; 16] =
                key[32..].try_into().map_err(|_| StoreError::Corrupt("a file's case key is damaged".into()))?;
            cases.push(CaseId::from_bytes(id));
        }
        Ok(cases)
    }

    /// True when `case` names the file.
    pub fn case_names_file(&self, sha256: &Sha256, case: &CaseId) -> Result<bool, StoreError> {
        let inner = self.inner()?;
        Ok(inner.trees.shacase_file.contains_key([sha256.0.as_slice(), case.as_bytes()].concat())?)
    }

    /// Removes what no one will use: files left in `incoming/` by an upload that broke off
    /// (older than `stale`, so none being written now), and kept files that no case names,
    /// kept before `unused_before`. Returns how many files went.
    pub async fn sweep_files(&self, stale: OffsetDateTime, unused_before: OffsetDateTime) -> Result<usize, StoreError> {
        let io = |e: std::io::Error| StoreError::Files(e.to_string());
        let mut swept = 0;
        if let Ok(mut entries) = tokio::fs::read_dir(self.incoming_dir()).await {
            while let Some(entry) = entries.next_entry().await.map_err(io)? {
                let modified = entry.metadata().await.and_then(|m| m.modified()).map(OffsetDateTime::from);
                if modified.is_ok_and(|at| at < stale) {
                    tokio::fs::remove_file(entry.path()).await.map_err(io)?;
                    swept += 1;
                }
            }
        }
        let unused: Vec<FileInfo> = {
            let inner = self.inner()?;
            let mut unused = Vec::new();
            for item in inner.trees.sha_file.iter() {
                let (key, value) = item?;
                let sha = Sha256(key.as_ref().try_into().map_err(|_| StoreError::Corrupt("an attachment key".into()))?);
                let info = decode(sha, &value)?;
                if info.kept_at < unused_before && inner.trees.shacase_file.scan_prefix(sha.0).next().is_none() {
                    unused.push(info);
                }
            }
            unused
        };
        for info in unused {
            // The record goes first, in a unit that checks again that no case took the file
            // meanwhile: a file is never gone while its record says it is here.
            let sha = info.sha256;
            let (gone, _) = self.write(OffsetDateTime::now_utc(), |unit| {
                if unit.inner.trees.shacase_file.scan_prefix(sha.0).next().is_some() {
                    return Ok::<_, StoreError>(false);
                }
                unit.remove_key(TreeId::ShaFile, sha.0.to_vec());
                Ok(true)
            })?;
            if gone {
                self.durable().await?;
                let _ = tokio::fs::remove_file(self.file_path(&sha)).await;
                let _ = tokio::fs::remove_file(self.preview_path(&sha)).await;
                swept += 1;
            }
        }
        Ok(swept)
    }
}

impl Unit<'_> {
    /// Records that `case` names the file: from then on it is kept for good.
    pub fn link_file(&mut self, sha256: &Sha256, case: &CaseId) {
        self.put(TreeId::ShacaseFile, [sha256.0.as_slice(), case.as_bytes()].concat(), Vec::new());
    }

    /// What the store knows of the file (files are kept before any unit names them).
    pub fn file_info(&self, sha256: &Sha256) -> Result<Option<FileInfo>, StoreError> {
        self.inner.trees.sha_file.get(sha256.0)?.map(|value| decode(*sha256, &value)).transpose()
    }
}
