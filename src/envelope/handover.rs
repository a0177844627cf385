//! A handover (交接) of a case from one officer of a station to another, signed by the station.
//! It never crosses the border: the partner deals with the station, not with its officers. It
//! is signed all the same, so that who handled a case when is evidence like the envelopes
//! beside it, checked again whenever it is shown.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{EnvelopeError, HANDOVER_CONTEXT, Signatory, Signed};
use crate::ids::{CaseId, StationId};
use crate::keys::{KeyRing, Signer};

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

/// A handover with the station's signature.
#[derive(Debug, Clone)]
pub struct SealedHandover {
    /// The content.
    pub handover: Handover,
    /// The signed bytes.
    pub signed: Signed,
}

impl Handover {
    /// Signs the record with the station's key.
    pub fn seal(self, signer: &Signer) -> Result<SealedHandover, EnvelopeError> {
        let signed = Signed::sign_as(HANDOVER_CONTEXT, &self, &self.station, signer)?;
        Ok(SealedHandover { signed, handover: self })
    }
}

impl super::signed::Statement for Handover {
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

impl SealedHandover {
    /// Verifies the signature, then parses the record strictly and checks that its station's
    /// key could sign at its time.
    pub fn open(wire: &[u8], keys: &KeyRing) -> Result<Self, EnvelopeError> {
        let (handover, signed) = Signed::open_statement(wire, HANDOVER_CONTEXT, keys)?;
        Ok(Self { handover, signed })
    }

    /// The canonical wire bytes, as stored.
    pub fn wire(&self) -> Vec<u8> {
        self.signed.encode()
    }
}
