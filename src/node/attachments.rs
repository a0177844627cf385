//! Attachments at the node: an officer uploads a file (streamed to disk, never held whole
//! while it arrives), the node checks it for what it claims to be and keeps it by its hash,
//! with a preview for images; a request or note then names it by that hash.

use futures_util::{Stream, StreamExt as _};
use serde::{Deserialize, Serialize};
use time::Duration;
use utoipa::ToSchema;

use super::auth::{NOTE_WRITERS, READERS};
use super::{Node, NodeError, Officer};
use crate::domain::attachment::{AttachmentRef, MediaType, Sha256, size_words};
use crate::domain::validate::FieldError;
use crate::envelope::Envelope;
use crate::i18n::Label as _;
use crate::ids::CaseId;
use crate::store::{AuditDraft, IncomingError, StoreError};

/// How long an upload may lie unused before the sweep removes it.
pub const UNUSED_FOR: Duration = Duration::days(1);
/// How old a half-written upload must be before the sweep takes it for abandoned.
const ABANDONED_AFTER: Duration = Duration::hours(1);
/// How long what arrived of a partner's file may lie untouched before the sweep removes it: a
/// partner down for longer sends the file again from its start.
const PARTIAL_STALE_AFTER: Duration = Duration::days(7);

/// A file to serve: which, and where it lies.
#[derive(Debug, Clone)]
pub struct Served {
    /// What the case's envelope says of it.
    pub attachment: AttachmentRef,
    /// The file to send.
    pub path: std::path::PathBuf,
    /// True for an image's re-encoded preview (a JPEG), false for the original.
    pub preview: bool,
}

/// A file kept here, as the upload answers it: what a request or note names it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Uploaded {
    /// SHA-256 of its bytes, 64 lowercase hex digits.
    #[schema(value_type = String)]
    pub sha256: Sha256,
    /// Size in bytes.
    pub size: u64,
    /// What its content is, whatever its name said.
    pub media_type: MediaType,
    /// Width and height in pixels, for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<(u32, u32)>,
}

fn refused(error: IncomingError) -> NodeError {
    match error {
        IncomingError::TooLarge { limit } => NodeError::AttachmentTooLarge { limit },
        IncomingError::Unsupported | IncomingError::Empty => NodeError::UnsupportedMedia,
        IncomingError::Io(e) => NodeError::Store(StoreError::Files(e.to_string())),
    }
}

impl Node {
    /// Receives one file from `body`: refuses it as soon as it is over the limit or its
    /// first bytes are no accepted type, checks the whole of it, and keeps it by its hash,
    /// synced, before answering. `declared` is the length the client announced, if any: one
    /// over the limit is refused before a byte is read. Audited.
    pub async fn upload_attachment<S, B, E>(
        &self,
        officer: &Officer,
        declared: Option<u64>,
        mut body: S,
    ) -> Result<Uploaded, NodeError>
    where
        S: Stream<Item = Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        officer.require(NOTE_WRITERS)?;
        let limit = self.config.attachments.limits().file_bytes;
        if declared.is_some_and(|n| n > limit) {
            return Err(NodeError::AttachmentTooLarge { limit });
        }
        let mut incoming = self.store.receive_file(limit).await?;
        while let Some(piece) = body.next().await {
            let written = match piece {
                Ok(piece) => incoming.write(piece.as_ref()).await.map_err(refused),
                // The client went away or sent a broken body: nothing is kept.
                Err(e) => Err(NodeError::Store(StoreError::Files(format!("the upload broke off: {e}")))),
            };
            if let Err(e) = written {
                incoming.abandon().await;
                return Err(e);
            }
        }
        let received = incoming.finish().await.map_err(refused)?;
        let (path, media_type) = (received.path().to_owned(), received.media_type);
        let checked = tokio::task::spawn_blocking(move || crate::images::check_file(&path, media_type))
            .await
            .map_err(|e| NodeError::Store(StoreError::Files(e.to_string())))?
            .map_err(|e| NodeError::Store(StoreError::Files(e.to_string())));
        let checked = match checked {
            Ok(Ok(checked)) => checked,
            Ok(Err(problem)) => {
                received.discard().await;
                return Err(NodeError::AttachmentRefused(problem));
            }
            Err(e) => {
                received.discard().await;
                return Err(e);
            }
        };
        let sha256 = received.sha256;
        if let Some(preview) = &checked.preview {
            self.store.put_preview(&sha256, preview).await?;
        }
        let info = self.store.keep_file(received, self.now()).await?;
        let mut audit = AuditDraft::new(officer.actor(), "attachment.upload").detail(format!(
            "{} {} bytes",
            info.media_type.as_str(),
            info.size
        ));
        audit.sha256 = Some(sha256.hex());
        self.store.write(self.now(), |unit| {
            unit.audit(audit);
            Ok::<_, NodeError>(())
        })?;
        self.store.durable().await?;
        tracing::info!(sha256 = %sha256, size = info.size, "attachment uploaded");
        Ok(Uploaded { sha256, size: info.size, media_type: info.media_type, dimensions: checked.dimensions })
    }

    /// Refuses a request or note naming a file not uploaded here, or naming it with another
    /// size or type than the upload found: what is signed must be what is kept.
    pub(super) fn check_uploaded(&self, attachments: &[AttachmentRef]) -> Result<(), NodeError> {
        let mut errors = Vec::new();
        for (i, attachment) in attachments.iter().enumerate() {
            let Some(kept) = self.store.file_info(&attachment.sha256)? else {
                return Err(NodeError::AttachmentNotUploaded(attachment.sha256));
            };
            if kept.size != attachment.size || kept.media_type != attachment.media_type {
                errors.push(FieldError::new(
                    format!("attachments[{i}]"),
                    "mismatch",
                    format!(
                        "附件“{}”的大小或类型与上传的文件不符（上传的是 {}，{}）",
                        attachment.name,
                        kept.media_type.zh(),
                        size_words(kept.size)
                    ),
                    format!(
                        "attachment “{}” does not match the uploaded file's size or type (uploaded: {}, {})",
                        attachment.name,
                        kept.media_type.en(),
                        size_words(kept.size)
                    ),
                ));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(NodeError::Validation(errors)) }
    }

    /// A file of case `id` for `officer` to read: the original, or with `preview` the
    /// re-encoded preview of an image (made again if it was lost). Only what the case's
    /// envelopes name, and only once the file is here; audited like any read.
    pub async fn attachment(
        &self,
        officer: &Officer,
        id: CaseId,
        sha256: &str,
        preview: bool,
    ) -> Result<Served, NodeError> {
        officer.require(READERS)?;
        let not_found = || NodeError::AttachmentNotFound(sha256.to_owned());
        let sha: Sha256 = sha256.parse().map_err(|_| not_found())?;
        self.store.case(&id)?.ok_or_else(|| NodeError::CaseNotFound(id.to_string()))?;
        if !self.store.case_names_file(&sha, &id)? {
            return Err(not_found());
        }
        let named = self
            .store
            .timeline(&id)?
            .iter()
            .filter_map(|stored| Envelope::from_stored(&stored.wire).ok())
            .find_map(|envelope| envelope.body.attachments().iter().find(|a| a.sha256 == sha).cloned())
            .ok_or_else(not_found)?;
        let kept = self.store.file_info(&sha)?.ok_or_else(not_found)?;
        let path = if preview {
            if !kept.media_type.is_image() {
                return Err(not_found());
            }
            self.preview_of(&kept).await?
        } else {
            self.store.file_path(&sha)
        };
        let mut audit = AuditDraft::new(officer.actor(), "attachment.read").case(id);
        audit.sha256 = Some(sha.hex());
        audit.detail = preview.then(|| "preview".to_owned());
        self.store.write(self.now(), |unit| {
            unit.audit(audit);
            Ok::<_, NodeError>(())
        })?;
        self.store.durable().await?;
        Ok(Served { attachment: named, path, preview })
    }

    /// The preview of a kept image, made again from the original if it is missing.
    async fn preview_of(&self, kept: &crate::store::FileInfo) -> Result<std::path::PathBuf, NodeError> {
        let path = self.store.preview_path(&kept.sha256);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(path);
        }
        let (original, media_type) = (self.store.file_path(&kept.sha256), kept.media_type);
        let remade = tokio::task::spawn_blocking(move || {
            let bytes = std::fs::read(original).map_err(|e| StoreError::Files(e.to_string()))?;
            crate::images::check(&bytes, media_type).map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .await
        .map_err(|e| StoreError::Files(e.to_string()))??;
        if let Some(preview) = remade.preview {
            self.store.put_preview(&kept.sha256, &preview).await?;
        }
        Ok(path)
    }

    /// Removes uploads no request or note used within [`UNUSED_FOR`], files an upload left
    /// half-written, and what arrived of a partner's file that is kept now or went quiet for
    /// [`PARTIAL_STALE_AFTER`]; returns how many went.
    pub async fn sweep_attachments(&self) -> Result<usize, NodeError> {
        let now = self.now();
        let partials = self.store.sweep_partials(now - PARTIAL_STALE_AFTER)?;
        Ok(partials + self.store.sweep_files(now - ABANDONED_AFTER, now - UNUSED_FOR).await?)
    }
}

impl Node {
    /// The first photo the request of `case` names that is here: what the inbox row shows.
    pub fn first_photo(&self, case: &crate::case::CaseRecord) -> Result<Option<Sha256>, NodeError> {
        let Some(request) = self.store.request(case)? else { return Ok(None) };
        for photo in request.attachments.iter().filter(|a| a.media_type.is_image()) {
            if self.store.file_info(&photo.sha256)?.is_some() {
                return Ok(Some(photo.sha256));
            }
        }
        Ok(None)
    }
}

impl Node {
    /// The files a note names, against this station's limits and what was uploaded here.
    pub(super) fn check_note_files(&self, note: &super::NoteInput) -> Result<(), NodeError> {
        if note.attachments.is_empty() {
            return Ok(());
        }
        let mut errors = crate::domain::validate::Errors::default();
        crate::domain::attachment::check(
            "attachments",
            &note.attachments,
            self.config.attachments.limits(),
            &mut errors,
        );
        let errors = errors.into_vec();
        if !errors.is_empty() {
            return Err(NodeError::Validation(errors));
        }
        self.check_uploaded(&note.attachments)
    }
}
