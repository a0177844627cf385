//! A reconciliation request, signed by the station that asks. What two stations exchanged is
//! returned only to the holder of the asker's signing key, not to anyone presenting a TLS
//! certificate that names the asker: every province CA in the bundle is trusted for peer
//! certificates, so one of them could issue a certificate naming another province's station.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::RECONCILE_CONTEXT;
use crate::ids::StationId;

/// "What happened between us since this time?", asked by `from` of `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileAsk {
    /// Always [`VERSION`].
    pub v: u8,
    /// The asking station, which signs the request.
    pub from: StationId,
    /// The station asked: a request signed for one station is refused by every other.
    pub to: StationId,
    /// Envelopes exchanged from this time on are asked for.
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// When the request was signed: the asked station refuses one outside its clock skew.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl super::signed::Statement for ReconcileAsk {
    const CONTEXT: &'static [u8] = RECONCILE_CONTEXT;

    fn version(&self) -> u8 {
        self.v
    }
    fn signer(&self) -> &StationId {
        &self.from
    }
    fn signed_at(&self) -> OffsetDateTime {
        self.at
    }
}

/// A reconciliation request with the asker's signature.
pub type SealedReconcileAsk = super::signed::Sealed<ReconcileAsk>;
