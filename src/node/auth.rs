//! Who is calling, and what they may do. Identities come from verified client certificates
//! (see `tls`); roles come from this station's registry, never from the certificate.

use crate::config::Role;
use crate::domain::lifecycle::{ActionKind, Party};
use crate::envelope::Signatory;
use crate::ids::{OfficerId, StationId};

use super::NodeError;

/// An officer of this station with their registered name and roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    /// Station and badge, as the certificate says.
    pub id: OfficerId,
    /// Name from the registry.
    pub name: String,
    /// Roles from the registry.
    pub roles: Vec<Role>,
}

impl Officer {
    /// True if the officer holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Succeeds if the officer holds any of `roles`.
    pub fn require(&self, roles: &'static [Role]) -> Result<(), NodeError> {
        if roles.iter().any(|r| self.has(*r)) { Ok(()) } else { Err(NodeError::Forbidden { needed: roles }) }
    }

    /// How the officer signs envelopes.
    pub fn signatory(&self) -> Signatory {
        Signatory { badge: self.id.badge.clone(), name: self.name.clone() }
    }

    /// The actor recorded in the audit chain.
    pub fn actor(&self) -> String {
        self.id.to_string()
    }
}

/// Roles that may read cases and listings.
pub const READERS: &[Role] = &[Role::Liaison, Role::Duty, Role::Chief];
/// Roles that may send requests and close, withdraw or remind.
pub const LIAISON: &[Role] = &[Role::Liaison];
/// Roles that may acknowledge, decline and report on requests received.
pub const DUTY: &[Role] = &[Role::Duty];
/// Roles that may add notes.
pub const NOTE_WRITERS: &[Role] = &[Role::Liaison, Role::Duty];
/// Roles that may see peers, dead letters and node health.
pub const ADMIN: &[Role] = &[Role::Admin];

/// The roles that may take `action`: the lifecycle says which side acts, the station's
/// registry which of its officers.
pub fn roles_for(action: ActionKind) -> &'static [Role] {
    match action.party() {
        Some(Party::Target) => DUTY,
        Some(Party::Origin) => LIAISON,
        None => NOTE_WRITERS,
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An officer of this station.
    Officer(Officer),
    /// A configured peer station.
    Peer(StationId),
}
