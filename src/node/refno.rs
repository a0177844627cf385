//! Reference numbers at the node: numbering this station's requests as they are stored, and
//! finding the case a typed number or id names.

use super::{Node, NodeError};
use crate::domain::refno::{CaseQuery, RefNo};
use crate::envelope::{Body, Envelope, SealedEnvelope};
use crate::ids::CaseId;
use crate::store::Unit;

impl Node {
    /// Gives this station's request its reference number and signs it. The number is taken in
    /// `unit`, the one that records the case, so it is given exactly when the case is stored:
    /// a unit that fails gives none, and a restart cannot give one twice.
    pub(super) fn number_and_seal(
        &self,
        unit: &mut Unit<'_>,
        mut envelope: Envelope,
    ) -> Result<SealedEnvelope, NodeError> {
        if let Body::Request(request) = &mut envelope.body {
            let year = u16::try_from(crate::clock::beijing_date(envelope.at).year())
                .map_err(|_| NodeError::Validation(vec![year_out_of_range()]))?;
            let number = unit.take_number(year)?;
            let label = self.config.station.refno_label(year, number);
            request.refno = Some(RefNo { year, number, label });
        }
        Ok(envelope.seal(&self.signer)?)
    }

    /// The case `raw` names: a case id, a reference number as shown (`泰罗阳协〔2026〕12号`),
    /// or its ASCII form (`2026-12` for this station's own, `<station>:2026-12` another's).
    /// A number this store does not hold, or text that is none of these, is `CaseNotFound`.
    pub fn resolve_case(&self, raw: &str) -> Result<CaseId, NodeError> {
        let found = match CaseQuery::parse(raw) {
            CaseQuery::Id(id) => Some(id),
            CaseQuery::Number { origin, year, number } => {
                self.store.case_by_number(origin.as_ref().unwrap_or(self.station()), year, number)?
            }
            CaseQuery::Label(label) => self.store.case_by_label(&label)?,
        };
        found.ok_or_else(|| NodeError::CaseNotFound(raw.trim().to_owned()))
    }
}

fn year_out_of_range() -> crate::domain::validate::FieldError {
    crate::domain::validate::FieldError::new(
        "at",
        "out_of_range",
        "发送时间的年份无效",
        "the sending time's year is out of range",
    )
}
