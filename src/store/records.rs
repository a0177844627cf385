//! Records kept beside envelopes: their metadata, and those a peer refused for good.

use time::OffsetDateTime;

use super::StoreError;
use crate::envelope::Kind;
use crate::ids::{CaseId, EnvelopeId, StationId};

/// Metadata kept beside an envelope's bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EnvelopeMeta {
    /// The envelope id.
    pub id: EnvelopeId,
    /// Hex SHA-256 of the signed payload bytes.
    pub sha256: String,
    /// The case.
    pub case: CaseId,
    /// The signing station.
    pub from: StationId,
    /// The kind.
    pub kind: Kind,
    /// The envelope's own time.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// When this node stored it.
    #[serde(with = "time::serde::rfc3339")]
    pub stored_at: OffsetDateTime,
}

impl EnvelopeMeta {
    /// The payload digest as bytes.
    pub fn digest(&self) -> Result<[u8; 32], StoreError> {
        hex::decode(&self.sha256)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| StoreError::Corrupt(format!("envelope {} has a malformed digest", self.id)))
    }
}

/// An envelope a peer refused for good, kept for admins to see and act on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DeadLetter {
    /// Position it had in the peer's outbox.
    pub seq: u64,
    /// The envelope.
    #[schema(value_type = String)]
    pub envelope: EnvelopeId,
    /// Its case.
    #[schema(value_type = String)]
    pub case: CaseId,
    /// Its kind.
    pub kind: Kind,
    /// The peer's rejection code.
    pub code: String,
    /// The peer's explanation.
    pub message: String,
    /// When it was refused.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

/// An envelope as stored: metadata and the canonical signed wire bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEnvelope {
    /// Metadata.
    pub meta: EnvelopeMeta,
    /// The signed bytes.
    pub wire: Vec<u8>,
}
