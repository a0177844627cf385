//! Attachment files on their way between stations.
//!
//! Sending: `peersha_send` holds, per partner and file, how much the partner has confirmed
//! holding (written with the envelope that names the file, so a file is queued exactly when
//! its request is); a transfer that ends leaves its partner's signed file receipt in
//! `shapeer_filereceipt`, or the partner's refusal in the queue entry.
//!
//! Receiving: a file arrives in `attachments/partial/<partner>/<hash>`, appended as each piece
//! streams in and synced before the piece is answered, so after a cut only what did not arrive
//! is sent again; once whole and its hash checked it is kept like an upload.

use std::path::PathBuf;

use futures_util::{Stream, StreamExt as _};
use sha2::Digest as _;
use tokio::io::AsyncReadExt as _;

use super::files::Received;
use super::{Store, StoreError, TreeId, Unit};
use crate::domain::attachment::{MediaType, Sha256};
use crate::ids::StationId;

const SEND_V1: u8 = 1;

/// Where a file on its way to a partner stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The file.
    pub sha256: Sha256,
    /// Its size.
    pub size: u64,
    /// How much of it the partner confirmed holding.
    pub confirmed: u64,
    /// The partner's refusal for good (its code), after which nothing is sent.
    pub refused: Option<String>,
}

fn send_key(peer: &StationId, sha256: &Sha256) -> Vec<u8> {
    [peer.as_str().as_bytes(), &[0], &sha256.0].concat()
}

fn encode(outgoing: &Outgoing) -> Vec<u8> {
    let mut value = vec![SEND_V1];
    value.extend_from_slice(&outgoing.size.to_be_bytes());
    value.extend_from_slice(&outgoing.confirmed.to_be_bytes());
    if let Some(code) = &outgoing.refused {
        value.extend_from_slice(code.as_bytes());
    }
    value
}

fn decode(sha256: Sha256, value: &[u8]) -> Result<Outgoing, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("the transfer record of {sha256} is damaged"));
    let [SEND_V1, rest @ ..] = value else { return Err(corrupt()) };
    if rest.len() < 16 {
        return Err(corrupt());
    }
    let number = |range: std::ops::Range<usize>| rest[range].try_into().map(u64::from_be_bytes).map_err(|_| corrupt());
    let refused = (rest.len() > 16).then(|| String::from_utf8_lossy(&rest[16..]).into_owned());
    Ok(Outgoing { sha256, size: number(0..8)?, confirmed: number(8..16)?, refused })
}

fn receipt_key(sha256: &Sha256, peer: &StationId) -> Vec<u8> {
    [&sha256.0[..], peer.as_str().as_bytes()].concat()
}

impl Unit<'_> {
    /// Queues the file for `peer`, unless the peer signed for it already.
    pub fn queue_file(&mut self, peer: &StationId, sha256: &Sha256, size: u64) -> Result<(), StoreError> {
        if self.inner.trees.shapeer_filereceipt.contains_key(receipt_key(sha256, peer))? {
            return Ok(());
        }
        let key = send_key(peer, sha256);
        if self.inner.trees.peersha_send.contains_key(&key)? {
            return Ok(());
        }
        let outgoing = Outgoing { sha256: *sha256, size, confirmed: 0, refused: None };
        self.put(TreeId::PeershaSend, key, encode(&outgoing));
        Ok(())
    }

    /// Queues the file for `peer` again although it signed for it once: a peer restored from
    /// an older backup lost what arrived after it. The first piece asks how much it holds, so a
    /// file it still has costs one call. The old receipt stays until a new one replaces it.
    pub fn requeue_file(&mut self, peer: &StationId, sha256: &Sha256, size: u64) -> Result<(), StoreError> {
        let key = send_key(peer, sha256);
        if self.inner.trees.peersha_send.contains_key(&key)? {
            return Ok(());
        }
        let outgoing = Outgoing { sha256: *sha256, size, confirmed: 0, refused: None };
        self.put(TreeId::PeershaSend, key, encode(&outgoing));
        Ok(())
    }

    /// Records how much of the file `peer` holds, or its refusal.
    pub fn file_progress(&mut self, peer: &StationId, outgoing: &Outgoing) {
        self.put(TreeId::PeershaSend, send_key(peer, &outgoing.sha256), encode(outgoing));
    }

    /// Ends the file's transfer to `peer` with the receipt it signed.
    pub fn file_delivered(&mut self, peer: &StationId, sha256: &Sha256, receipt: Vec<u8>) {
        self.remove_key(TreeId::PeershaSend, send_key(peer, sha256));
        self.put(TreeId::ShapeerFilereceipt, receipt_key(sha256, peer), receipt);
    }
}

impl Store {
    /// The files queued for `peer`, those it refused included.
    pub fn files_to_send(&self, peer: &StationId) -> Result<Vec<Outgoing>, StoreError> {
        let inner = self.inner()?;
        let prefix = [peer.as_str().as_bytes(), &[0]].concat();
        let mut out = Vec::new();
        for item in inner.trees.peersha_send.scan_prefix(&prefix) {
            let (key, value) = item?;
            let sha = key[prefix.len()..]
                .try_into()
                .map(Sha256)
                .map_err(|_| StoreError::Corrupt("a transfer key is damaged".into()))?;
            out.push(decode(sha, &value)?);
        }
        Ok(out)
    }

    /// Where the file stands with `peer`: queued (with how much it holds), or delivered.
    pub fn file_transfer(&self, peer: &StationId, sha256: &Sha256) -> Result<Transfer, StoreError> {
        let inner = self.inner()?;
        if inner.trees.shapeer_filereceipt.contains_key(receipt_key(sha256, peer))? {
            return Ok(Transfer::Delivered);
        }
        match inner.trees.peersha_send.get(send_key(peer, sha256))? {
            Some(value) => Ok(Transfer::Queued(decode(*sha256, &value)?)),
            None => Ok(Transfer::None),
        }
    }

    /// The receipt `peer` signed for the file, if it did.
    pub fn file_receipt(&self, sha256: &Sha256, peer: &StationId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.inner()?.trees.shapeer_filereceipt.get(receipt_key(sha256, peer))?.map(|v| v.to_vec()))
    }

    fn partial_path(&self, peer: &StationId, sha256: &Sha256) -> PathBuf {
        self.dir.join("attachments").join("partial").join(peer.as_str()).join(sha256.hex())
    }

    /// How much of the file from `peer` is here so far, read without waiting on the runtime
    /// (a file's size, for a page that shows the transfer's progress).
    pub fn received_of(&self, peer: &StationId, sha256: &Sha256) -> u64 {
        std::fs::metadata(self.partial_path(peer, sha256)).map_or(0, |m| m.len())
    }

    /// How much of the file from `peer` is here so far.
    pub async fn partial_len(&self, peer: &StationId, sha256: &Sha256) -> u64 {
        tokio::fs::metadata(self.partial_path(peer, sha256)).await.map_or(0, |m| m.len())
    }

    /// Appends a piece, read from `piece` as it arrives, at `offset` to the file arriving from
    /// `peer`, and syncs it: on disk before the sender is told. At most `max` bytes, and none
    /// past the file's `total`; a piece over either leaves the file as it was. A piece that
    /// breaks off leaves what arrived of it, synced, so that only the rest is sent again.
    /// `hasher`, if given, takes every byte written (the file's hash so far, carried over).
    pub async fn append_piece<S, B, E>(
        &self,
        peer: &StationId,
        sha256: &Sha256,
        span: PieceSpan,
        mut piece: S,
        hasher: &mut Option<sha2::Sha256>,
        mut count: impl FnMut(usize),
    ) -> Result<Appended, StoreError>
    where
        S: Stream<Item = Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        let io = |e: std::io::Error| StoreError::Files(e.to_string());
        let path = self.partial_path(peer, sha256);
        if let Some(folder) = path.parent() {
            tokio::fs::create_dir_all(folder).await.map_err(io)?;
        }
        let file = tokio::fs::File::options().create(true).append(true).open(&path).await.map_err(io)?;
        let have = file.metadata().await.map_err(io)?.len();
        if have != span.offset {
            return Ok(Appended::Elsewhere(have));
        }
        let mut file = Appender(Some(file.into_std().await));
        let room = span.max.min(span.total.saturating_sub(span.offset));
        let (mut buffer, mut read, mut broke) = (Vec::with_capacity(WRITE_BUFFER), 0u64, None);
        while let Some(chunk) = piece.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    broke = Some(e.to_string());
                    break;
                }
            };
            let bytes = chunk.as_ref();
            count(bytes.len());
            read += bytes.len() as u64;
            if read > room {
                drop(file.0.take());
                if let Ok(file) = tokio::fs::OpenOptions::new().write(true).open(&path).await {
                    file.set_len(span.offset).await.map_err(io)?;
                    file.sync_data().await.map_err(io)?;
                }
                *hasher = None;
                return Ok(Appended::TooLarge);
            }
            if let Some(hasher) = hasher.as_mut() {
                hasher.update(bytes);
            }
            if buffer.len() + bytes.len() > WRITE_BUFFER && !buffer.is_empty() {
                buffer = file.write(buffer, false).await.map_err(io)?;
            }
            buffer.extend_from_slice(bytes);
        }
        file.write(buffer, true).await.map_err(io)?;
        let have = span.offset + read;
        Ok(match broke {
            Some(why) => Appended::BrokeOff { have, why },
            None => Appended::Held(have),
        })
    }

    /// The whole file from `peer`, once its hash is that of its name: ready to be checked and
    /// kept. `hashed` is its hash taken as it arrived, when every byte was seen; otherwise the
    /// file is read again. A file whose bytes hash otherwise is removed, so it is sent again
    /// from the start.
    pub async fn whole_partial(
        &self,
        peer: &StationId,
        sha256: &Sha256,
        media_type: MediaType,
        hashed: Option<Sha256>,
    ) -> Result<Option<Received>, StoreError> {
        let io = |e: std::io::Error| StoreError::Files(e.to_string());
        let path = self.partial_path(peer, sha256);
        let size = tokio::fs::metadata(&path).await.map_err(io)?.len();
        let hashed = match hashed {
            Some(hashed) => hashed,
            None => {
                let mut file = tokio::fs::File::open(&path).await.map_err(io)?;
                let mut hasher = sha2::Sha256::new();
                let mut buffer = vec![0u8; WRITE_BUFFER];
                loop {
                    let n = file.read(&mut buffer).await.map_err(io)?;
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buffer[..n]);
                }
                Sha256(hasher.finalize().into())
            }
        };
        if hashed != *sha256 {
            let _ = tokio::fs::remove_file(&path).await;
            return Ok(None);
        }
        Ok(Some(Received::at(path, *sha256, size, media_type)))
    }

    /// Removes what arrived of files that will not be finished from where they came: a file
    /// kept here meanwhile (it came whole another way), or one untouched since `stale` (its
    /// sender went quiet; should it come back it starts again). Returns how many went.
    pub fn sweep_partials(&self, stale: time::OffsetDateTime) -> Result<usize, StoreError> {
        let mut swept = 0;
        let Ok(peers) = std::fs::read_dir(self.dir.join("attachments").join("partial")) else { return Ok(0) };
        for peer in peers.filter_map(Result::ok) {
            let Ok(files) = std::fs::read_dir(peer.path()) else { continue };
            for file in files.filter_map(Result::ok) {
                let name = file.file_name();
                let kept = match name.to_str().and_then(|n| n.parse::<Sha256>().ok()) {
                    Some(sha) => self.file_info(&sha)?.is_some(),
                    None => false,
                };
                let modified = file.metadata().and_then(|m| m.modified()).map(time::OffsetDateTime::from);
                if (kept || modified.is_ok_and(|at| at < stale)) && std::fs::remove_file(file.path()).is_ok() {
                    swept += 1;
                }
            }
        }
        Ok(swept)
    }

    /// Drops what arrived of the file from `peer`.
    pub async fn drop_partial(&self, peer: &StationId, sha256: &Sha256) {
        let _ = tokio::fs::remove_file(self.partial_path(peer, sha256)).await;
    }
}

/// Bytes gathered before each write to disk while a piece arrives.
const WRITE_BUFFER: usize = 1 << 20;

/// A file appended to from the blocking pool, its buffer moved there and back rather than
/// copied (tokio's file copies every write into a buffer of its own).
struct Appender(Option<std::fs::File>);

impl Appender {
    /// Writes `buffer` (and syncs the file's data when `sync`); the buffer comes back empty.
    async fn write(&mut self, mut buffer: Vec<u8>, sync: bool) -> std::io::Result<Vec<u8>> {
        use std::io::Write as _;
        let mut file = self.0.take().ok_or_else(|| std::io::Error::other("the file was closed after a failure"))?;
        let (file, written) = tokio::task::spawn_blocking(move || {
            let written = file.write_all(&buffer).and_then(|()| if sync { file.sync_data() } else { Ok(()) });
            buffer.clear();
            (file, written.map(|()| buffer))
        })
        .await
        .map_err(std::io::Error::other)?;
        self.0 = Some(file);
        written
    }
}

/// Where a piece goes in its file.
#[derive(Debug, Clone, Copy)]
pub struct PieceSpan {
    /// Where it starts.
    pub offset: u64,
    /// The whole file's size.
    pub total: u64,
    /// The most bytes one piece may carry.
    pub max: u64,
}

/// What a piece left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// All of it is here: the file now holds this much.
    Held(u64),
    /// It broke off; the file holds this much, synced.
    BrokeOff {
        /// Bytes held.
        have: u64,
        /// Why it broke off.
        why: String,
    },
    /// It did not start where the file ends, which is here.
    Elsewhere(u64),
    /// It was larger than one piece may be or ran past the file's end; nothing of it was kept.
    TooLarge,
}

/// Where a file stands with one partner, at the sending station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transfer {
    /// Not queued for it.
    None,
    /// On its way, or refused.
    Queued(Outgoing),
    /// The partner signed for it.
    Delivered,
}
