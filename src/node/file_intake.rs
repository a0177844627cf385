//! Attachment files arriving from partner stations, piece by piece: accepted only for a case
//! the partner is party to that names the file with this size, appended and synced before the
//! partner is told, checked whole against the signed hash and like an upload, then kept and
//! signed for with a file receipt.

use futures_util::Stream;
use sha2::Digest as _;

use super::{Node, NodeError};
use crate::domain::attachment::{AttachmentRef, Sha256};
use crate::envelope::Statement as _;
use crate::envelope::{Envelope, FileReceipt, VERSION};
use crate::ids::StationId;
use crate::protocol::FILE_PIECE_MAX;
use crate::store::{Appended, PieceSpan, StoreError};

/// Why a piece of a file was not taken.
#[derive(Debug, thiserror::Error)]
pub enum FileRefusal {
    /// No case here that the partner is party to names this file with this size.
    #[error("no case here that names this file from this station")]
    NotExpected,
    /// The piece does not start where the file held here ends: send from `have`.
    #[error("this station holds {have} bytes of the file; send from there")]
    Elsewhere {
        /// Bytes held.
        have: u64,
    },
    /// More than one piece's worth, or past the file's end.
    #[error("the piece is too large or runs past the file's end")]
    TooLarge,
    /// The whole file does not hash to its name: it was changed on the way or at the sender.
    #[error("the file's bytes do not hash to its SHA-256; it was changed after it was signed")]
    HashMismatch,
    /// The whole file fails the checks an upload must pass.
    #[error("{0}")]
    Refused(crate::images::FileProblem),
    /// This station failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}

impl FileRefusal {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotExpected => "file_not_expected",
            Self::Elsewhere { .. } => "file_offset",
            Self::TooLarge => "file_piece_too_large",
            Self::HashMismatch => "file_hash_mismatch",
            Self::Refused(problem) => problem.code(),
            Self::Node(e) => e.code(),
        }
    }

    /// True when the sender should not send the file again: it is not what was signed.
    pub fn permanent(&self) -> bool {
        matches!(self, Self::HashMismatch | Self::Refused(_))
    }
}

impl From<StoreError> for FileRefusal {
    fn from(e: StoreError) -> Self {
        Self::Node(NodeError::Store(e))
    }
}

impl Node {
    /// Takes a piece of file `sha256` from `peer`, starting at `offset`, of a file of `total`
    /// bytes. Answers how much of the file is here, on disk; once it is whole and checked, with
    /// the receipt this station signs for it.
    pub async fn receive_file_piece<S, B, E>(
        &self,
        peer: &StationId,
        sha256: &Sha256,
        offset: u64,
        total: u64,
        piece: S,
    ) -> Result<(u64, Option<Vec<u8>>), FileRefusal>
    where
        S: Stream<Item = Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        let named = self.expected_file(peer, sha256, total)?;
        // One piece of a file at a time: a retried piece racing its first must not be appended
        // twice, nor one file be kept twice as two partners send it. Other files go on.
        let _one = self.file_intake.lock(*sha256).await;
        if self.store.file_info(sha256)?.is_some() {
            return Ok((total, Some(self.sign_file_receipt(peer, &named)?)));
        }
        let key = (peer.clone(), *sha256);
        // The file's hash so far, when every earlier byte passed through here since it began;
        // otherwise it is hashed from the disk once whole.
        let carried = self.file_hashes.lock().ok().and_then(|mut hashes| match hashes.get(&key) {
            Some((at, _)) if *at == offset => hashes.remove(&key).map(|(_, hasher)| hasher),
            _ => None,
        });
        let mut hasher = carried.or_else(|| (offset == 0).then(sha2::Sha256::default));
        let span = PieceSpan { offset, total, max: FILE_PIECE_MAX };
        let count = |n| self.count_file_bytes(peer, n);
        let have = match self.store.append_piece(peer, sha256, span, piece, &mut hasher, count).await? {
            Appended::Held(have) => have,
            Appended::BrokeOff { have, why } => {
                self.carry_hash(key, have, hasher);
                return Err(StoreError::Files(format!("the piece broke off at {have} bytes: {why}")).into());
            }
            Appended::Elsewhere(have) => return Err(FileRefusal::Elsewhere { have }),
            Appended::TooLarge => return Err(FileRefusal::TooLarge),
        };
        if have < total {
            self.carry_hash(key, have, hasher);
            return Ok((have, None));
        }
        let hashed = hasher.map(|h| Sha256(h.finalize().into()));
        let Some(whole) = self.store.whole_partial(peer, sha256, named.media_type, hashed).await? else {
            tracing::warn!(%peer, %sha256, "a file from the partner does not hash to its name; dropped");
            return Err(FileRefusal::HashMismatch);
        };
        let (path, media_type) = (whole.path().to_owned(), named.media_type);
        let checked = tokio::task::spawn_blocking(move || crate::images::check_file(&path, media_type))
            .await
            .map_err(|e| StoreError::Files(e.to_string()))?
            .map_err(|e| StoreError::Files(e.to_string()))?;
        let checked = match checked {
            Ok(checked) => checked,
            Err(problem) => {
                whole.discard().await;
                return Err(FileRefusal::Refused(problem));
            }
        };
        if let Some(preview) = &checked.preview {
            self.store.put_preview(sha256, preview).await?;
        }
        self.store.keep_file(whole, self.now()).await?;
        tracing::info!(%peer, %sha256, size = total, "attachment received whole");
        // A request this station forwarded may name the file: it can go on now.
        for signals in self.signals.values() {
            signals.files.notify_one();
        }
        Ok((total, Some(self.sign_file_receipt(peer, &named)?)))
    }

    /// Keeps the hash of a file so far for its next piece.
    fn carry_hash(&self, key: (StationId, Sha256), have: u64, hasher: Option<sha2::Sha256>) {
        if let (Some(hasher), Ok(mut hashes)) = (hasher, self.file_hashes.lock()) {
            hashes.insert(key, (have, hasher));
        }
    }

    /// Bytes of file pieces read from `peer` since this node started.
    pub fn file_bytes_received(&self, peer: &StationId) -> u64 {
        self.file_bytes_in.lock().map(|counts| counts.get(peer).copied().unwrap_or(0)).unwrap_or(0)
    }

    fn count_file_bytes(&self, peer: &StationId, n: usize) {
        if let Ok(mut counts) = self.file_bytes_in.lock() {
            *counts.entry(peer.clone()).or_default() += n as u64;
        }
    }

    /// What a case here that `peer` is party to says of the file, when it names it with `size`.
    fn expected_file(&self, peer: &StationId, sha256: &Sha256, size: u64) -> Result<AttachmentRef, FileRefusal> {
        for case in self.store.cases_naming_file(sha256)? {
            let Some(record) = self.store.case(&case)? else { continue };
            if &record.origin != peer && !record.parties.contains(peer) {
                continue;
            }
            for stored in self.store.timeline(&case)? {
                let Ok(envelope) = Envelope::from_stored(&stored.wire) else { continue };
                // The partner's own files, or this station's coming back to it after a restore
                // from an older backup: either way checked against a hash signed here or there.
                if &envelope.from != peer && &envelope.from != self.station() {
                    continue;
                }
                if let Some(named) = envelope.body.attachments().iter().find(|a| &a.sha256 == sha256 && a.size == size)
                {
                    return Ok(named.clone());
                }
            }
        }
        Err(FileRefusal::NotExpected)
    }

    fn sign_file_receipt(&self, peer: &StationId, named: &AttachmentRef) -> Result<Vec<u8>, NodeError> {
        let receipt = FileReceipt {
            v: VERSION,
            station: self.station().clone(),
            sender: peer.clone(),
            sha256: named.sha256,
            size: named.size,
            at: self.now(),
        };
        Ok(receipt.seal(&self.signer)?.wire())
    }
}

impl Node {
    /// Records what `peer` answered for a piece of `outgoing`: how much it holds, and once it
    /// holds the whole file, its receipt, checked (signed by the peer, for this file, this
    /// size). True when the transfer is over.
    pub async fn record_file_answer(
        &self,
        peer: &StationId,
        outgoing: &mut crate::store::Outgoing,
        have: u64,
        receipt: Option<Vec<u8>>,
    ) -> Result<bool, NodeError> {
        let now = self.now();
        if let Some(wire) = receipt {
            let sealed = crate::envelope::SealedFileReceipt::open(&wire, &self.keys)?;
            let r = &sealed.statement;
            if &r.station != peer
                || &r.sender != self.station()
                || r.sha256 != outgoing.sha256
                || r.size != outgoing.size
            {
                return Err(NodeError::Envelope(crate::envelope::EnvelopeError::MalformedPayload(
                    "the file receipt is for another file, size or station".into(),
                )));
            }
            self.store.write(now, |unit| {
                unit.file_delivered(peer, &outgoing.sha256, wire);
                Ok::<_, NodeError>(())
            })?;
            self.store.durable().await?;
            tracing::info!(%peer, sha256 = %outgoing.sha256, "attachment delivered and signed for");
            return Ok(true);
        }
        outgoing.confirmed = have.min(outgoing.size);
        self.store.write(now, |unit| {
            unit.file_progress(peer, outgoing);
            Ok::<_, NodeError>(())
        })?;
        Ok(false)
    }

    /// Records that `peer` refused the file for good (`code`): it is not sent again.
    pub fn record_file_refused(
        &self,
        peer: &StationId,
        outgoing: &mut crate::store::Outgoing,
        code: &str,
    ) -> Result<(), NodeError> {
        tracing::warn!(%peer, sha256 = %outgoing.sha256, %code, "the partner refused an attachment");
        outgoing.refused = Some(code.to_owned());
        self.store.write(self.now(), |unit| {
            unit.file_progress(peer, outgoing);
            Ok::<_, NodeError>(())
        })?;
        Ok(())
    }
}
