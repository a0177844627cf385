//! Errors of the station's operations. Each has a stable code; the HTTP layer maps them to
//! statuses in one place (`api::problem`).

use crate::case::ApplyError;
use crate::config::Role;
use crate::domain::validate::FieldError;
use crate::envelope::EnvelopeError;
use crate::ids::StationId;
use crate::store::StoreError;

/// Why an operation was refused or failed. A refusal changes nothing.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The certificate is valid but its officer is not in this station's registry.
    #[error("officer {0} is not registered at this station")]
    UnknownOfficer(String),
    /// The officer lacks every role that may do this.
    #[error("this needs one of the roles {needed:?}")]
    Forbidden {
        /// Roles that would allow it.
        needed: &'static [Role],
    },
    /// The case does not exist here.
    #[error("no case {0} at this station")]
    CaseNotFound(String),
    /// The submitted body breaks content rules; every problem is listed.
    #[error("the submission has {} problem(s)", .0.len())]
    Validation(Vec<FieldError>),
    /// This station is on the wrong side of the case for the action (e.g. acking its own request).
    #[error("only the {needed} may do this")]
    WrongSide {
        /// `origin` or `target`.
        needed: &'static str,
    },
    /// No target of the case is in a state the action applies to.
    #[error("no target of this case can take this action now")]
    NoEligibleTarget,
    /// A handling restriction of the case forbids this.
    #[error("the case's handling restriction {} forbids this", .0.as_str())]
    Restricted(crate::domain::case::Restriction),
    /// A named station is not a configured peer.
    #[error("{0} is not a partner station of this node")]
    UnknownStation(StationId),
    /// The lifecycle or a content rule refused the envelope.
    #[error(transparent)]
    Apply(ApplyError),
    /// Signing or verifying failed.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The store failed; nothing was confirmed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl NodeError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownOfficer(_) => "unknown_officer",
            Self::Forbidden { .. } => "forbidden",
            Self::CaseNotFound(_) => "case_not_found",
            Self::Validation(_) => "validation_failed",
            Self::WrongSide { .. } => "wrong_party",
            Self::NoEligibleTarget => "no_eligible_target",
            Self::UnknownStation(_) => "unknown_station",
            Self::Restricted(crate::domain::case::Restriction::NoExport) => "export_restricted",
            Self::Restricted(crate::domain::case::Restriction::NoOnward) => "onward_restricted",
            Self::Restricted(crate::domain::case::Restriction::PoliceOnly) => "police_only",
            Self::Apply(e) => e.code(),
            Self::Envelope(e) => e.code(),
            Self::Store(_) => "storage_unavailable",
        }
    }
}

impl From<super::combine::Abandoned> for NodeError {
    /// Only a panic while committing abandons a unit, and it leaves the store's write lock
    /// poisoned: the node must be restarted.
    fn from(_: super::combine::Abandoned) -> Self {
        Self::Store(StoreError::Poisoned)
    }
}

impl From<ApplyError> for NodeError {
    /// Content errors become field-level validation errors, so the officer sees which field
    /// to fix; the rest stay lifecycle refusals.
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::InvalidBody(errors) => Self::Validation(errors),
            other => Self::Apply(other),
        }
    }
}
