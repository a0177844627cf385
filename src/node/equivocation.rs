//! What admins see of a partner's equivocation: the two envelopes it signed with one `seq`,
//! by identity and signed time. Their content stays in the case, for its officers and its
//! evidence bundle; admins read no case content.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{ADMIN, Node, NodeError, Officer};
use crate::envelope::{Kind, SealedEnvelope};
use crate::ids::{CaseId, EnvelopeId, StationId};

/// Most records shown at once.
pub const EQUIVOCATIONS_SHOWN: usize = 200;

/// One of the two envelopes, as an admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignedStatement {
    /// Envelope id.
    #[schema(value_type = String)]
    pub id: EnvelopeId,
    /// Its kind.
    pub kind: Kind,
    /// The time it was signed with.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// SHA-256 of its signed bytes (hex), as its receipt and the evidence bundle name it.
    pub sha256: String,
}

/// A partner's two envelopes with one `seq` on one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EquivocationView {
    /// The case.
    #[schema(value_type = String)]
    pub case: CaseId,
    /// The `seq` it used twice.
    pub seq: u32,
    /// The envelope the case holds.
    pub kept: SignedStatement,
    /// The second one, refused.
    pub refused: SignedStatement,
    /// When this station refused it.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub refused_at: OffsetDateTime,
}

impl Node {
    /// The envelopes `peer` signed twice with one `seq`, oldest case first (admins).
    pub fn equivocations(&self, admin: &Officer, peer: &StationId) -> Result<Vec<EquivocationView>, NodeError> {
        admin.require(ADMIN)?;
        if self.config.peer(peer).is_none() {
            return Err(NodeError::UnknownStation(peer.clone()));
        }
        let mut views = Vec::new();
        for evidence in self.store.equivocations_by(peer, EQUIVOCATIONS_SHOWN)? {
            let Some(kept) = self.store.envelope(&evidence.kept)? else { continue };
            let refused = SealedEnvelope::open(&evidence.refused_wire, &self.keys)?;
            views.push(EquivocationView {
                case: evidence.case,
                seq: evidence.seq,
                kept: SignedStatement {
                    id: kept.meta.id,
                    kind: kept.meta.kind,
                    at: kept.meta.at,
                    sha256: kept.meta.sha256,
                },
                refused: SignedStatement {
                    id: refused.envelope.id,
                    kind: refused.envelope.kind(),
                    at: refused.envelope.at,
                    sha256: hex::encode(refused.digest()),
                },
                refused_at: evidence.received_at,
            });
        }
        Ok(views)
    }
}
