//! The duplicate warning: a new request naming a subject (resident ID, plate, case or warrant
//! number) that an open request from this station to the same partner already names is sent
//! only once the officer confirms it, since most such requests are the first sent again.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{NewCase, Node, NodeError};
use crate::ids::{CaseId, StationId};

/// An open request this station sent that names a subject of a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Duplicate {
    /// Its case.
    #[schema(value_type = String)]
    pub case: CaseId,
    /// Its title.
    pub title: String,
    /// The partners the new request shares with it.
    #[schema(value_type = Vec<String>)]
    pub partners: Vec<StationId>,
}

impl Node {
    /// Open requests from this station naming a subject of `new` and open at one of its
    /// targets, newest first. Reads committed data only: a warning, not a lock, so two
    /// officers sending about one person at the same moment may both get through.
    pub fn open_duplicates(&self, new: &NewCase) -> Result<Vec<Duplicate>, NodeError> {
        let mut found: Vec<Duplicate> = Vec::new();
        for subject in new.details.subject_keys() {
            for id in self.store.subject_cases(&subject)?.into_iter().rev() {
                if found.iter().any(|d| d.case == id) {
                    continue;
                }
                let Some(case) = self.store.case(&id)? else { continue };
                if &case.origin != self.station() {
                    continue;
                }
                let partners: Vec<StationId> = new
                    .targets
                    .iter()
                    .filter(|t| case.target(t).is_some_and(|target| target.state.is_open()))
                    .cloned()
                    .collect();
                if !partners.is_empty() {
                    found.push(Duplicate { case: case.id, title: case.title, partners });
                }
            }
        }
        Ok(found)
    }

    /// Refuses `new` while it repeats an open request and is not confirmed.
    pub(super) fn check_duplicates(&self, new: &NewCase) -> Result<(), NodeError> {
        if new.confirm_duplicate {
            return Ok(());
        }
        let found = self.open_duplicates(new)?;
        if found.is_empty() { Ok(()) } else { Err(NodeError::PossibleDuplicate(found)) }
    }
}
