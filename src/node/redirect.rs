//! 改发: a request a partner declined, sent again to another station (the one the decline
//! suggested, or another the officer chooses). The new request is an ordinary new request,
//! numbered and sent like any other; it names the declined one, signed, and the origin keeps
//! the way back from the declined case in the same unit.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Node, NodeError};
use crate::domain::lifecycle::TargetState;
use crate::envelope::body::RedirectedFrom;
use crate::envelope::{Body, SealedEnvelope};
use crate::ids::{CaseId, StationId};
use crate::store::Unit;

/// The declined request a new one is sent in place of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedirectOf {
    /// The declined case: one this station sent.
    #[schema(value_type = String)]
    pub case: CaseId,
    /// The station that declined it.
    #[schema(value_type = String)]
    pub station: StationId,
}

/// A request sent in place of a declined one, as the declined case shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RedirectView {
    /// The new case.
    #[schema(value_type = String)]
    pub case: CaseId,
    /// Its reference number (协查文号).
    pub refno: Option<String>,
    /// The station whose decline it answers.
    #[schema(value_type = String)]
    pub declined_by: StationId,
    /// Where the new request went.
    #[schema(value_type = Vec<String>)]
    pub to: Vec<StationId>,
}

/// A new request to `targets` with what the declined request `request` (its signed body, as
/// [`super::CaseDetail::request`] holds it) asked, in place of it: what `tiemeng case redirect`
/// sends. Deadlines, number and officer are the new request's own.
pub fn redirected_request(
    request: &serde_json::Value,
    of: RedirectOf,
    targets: Vec<StationId>,
) -> Result<super::NewCase, serde_json::Error> {
    let mut new = serde_json::Map::new();
    for key in ["priority", "title", "details", "narrative", "contact", "reference", "restrictions", "review_by"] {
        if let Some(value) = request.get(key) {
            new.insert(key.to_owned(), value.clone());
        }
    }
    new.insert("targets".to_owned(), serde_json::to_value(targets)?);
    new.insert("redirect_of".to_owned(), serde_json::to_value(of)?);
    serde_json::from_value(serde_json::Value::Object(new))
}

impl Node {
    /// What a new request sent in place of `of` names: refused unless `of` is a case this
    /// station sent and its target `of.station` declined it.
    pub(super) fn redirect_source(&self, of: &RedirectOf) -> Result<RedirectedFrom, NodeError> {
        let case = self.store.case(&of.case)?.ok_or_else(|| NodeError::CaseNotFound(of.case.to_string()))?;
        if &case.origin != self.station() {
            return Err(NodeError::WrongSide { needed: "origin" });
        }
        let declined = case.targets.iter().any(|t| t.station == of.station && t.state == TargetState::Declined);
        if !declined {
            return Err(NodeError::NotDeclined(of.station.clone()));
        }
        Ok(RedirectedFrom { case: of.case, refno: case.refno.map(|r| r.label), station: of.station.clone() })
    }

    /// The requests sent in place of `declined`, for its page.
    pub(super) fn redirect_views(&self, declined: &CaseId) -> Result<Vec<RedirectView>, NodeError> {
        let mut views = Vec::new();
        for (new, declined_by) in self.store.redirects_of(declined)? {
            if let Some(case) = self.store.case(&new)? {
                let to = case.targets.iter().map(|t| t.station.clone()).collect();
                views.push(RedirectView { case: new, refno: case.refno.map(|r| r.label), declined_by, to });
            }
        }
        Ok(views)
    }
}

/// Records, in the unit storing this station's new request, the way back from the declined
/// case it replaces, if it replaces one.
pub(super) fn record_redirect(unit: &mut Unit<'_>, sealed: &SealedEnvelope, me: &StationId) {
    if let Body::Request(request) = &sealed.envelope.body
        && let Some(from) = &request.redirected_from
        && &sealed.envelope.from == me
    {
        unit.put_redirect(&from.case, &sealed.envelope.case, &from.station);
    }
}
