//! A handover (交接) of a case from one officer of a station to another, signed by the station.
//! It never crosses the border: the partner deals with the station, not with its officers. It
//! is signed all the same, so that who handled a case when is evidence like the envelopes
//! beside it, checked again whenever it is shown.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{HANDOVER_CONTEXT, Signatory};
use crate::ids::{CaseId, StationId};

/// "From now on `to` handles `case` here", as `by` decided at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Handover {
    /// Always [`VERSION`].
    pub v: u8,
    /// The station whose officers these are, which signs the record.
    pub station: StationId,
    /// The case.
    pub case: CaseId,
    /// Who handled it until now; none for a received request no one had taken on.
    pub from: Option<Signatory>,
    /// Who handles it from now on.
    pub to: Signatory,
    /// Who handed it over: the handler, or the station chief.
    pub by: Signatory,
    /// Why, or what the next handler should know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl super::signed::Statement for Handover {
    const CONTEXT: &'static [u8] = HANDOVER_CONTEXT;

    fn version(&self) -> u8 {
        self.v
    }
    fn signer(&self) -> &StationId {
        &self.station
    }
    fn signed_at(&self) -> OffsetDateTime {
        self.at
    }
}

/// A handover with the station's signature.
pub type SealedHandover = super::signed::Sealed<Handover>;
