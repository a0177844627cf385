//! Forwarding: a target that is the wrong station passes the request on to a third station,
//! with the origin told in a signed note — unless the origin marked the case `no_onward`
//! (不得转发), which every node enforces.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::DUTY;
use super::officer::record_sent;
use super::{Node, NodeError, Officer, subjects};
use crate::case::{CaseRecord, validate_request};
use crate::domain::case::Restriction;
use crate::domain::lifecycle::TargetState;
use crate::domain::validate::FieldError;
use crate::envelope::body::{ForwardedFrom, NoteBody, RequestBody};
use crate::envelope::{Body, Envelope, SealedEnvelope};
use crate::ids::{CaseId, EnvelopeId, StationId};
use crate::store::{StoreError, Unit};

/// 转发: pass a received request on to another partner station.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardInput {
    /// The station to pass it to.
    #[schema(value_type = String)]
    pub to: StationId,
    /// Why, for the new station and the origin.
    pub message: String,
}

fn invalid(field: &str, zh: &str, en: &str) -> NodeError {
    NodeError::Validation(vec![FieldError::new(field, "invalid", zh, en)])
}

fn shorten(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

impl Node {
    /// Forwards a received case to `input.to`: a new request from this station, marked as
    /// forwarded from the original case, and a note telling the origin — both in one unit.
    /// Returns the new case.
    pub async fn forward(
        &self,
        officer: &Officer,
        case_id: CaseId,
        input: ForwardInput,
    ) -> Result<CaseRecord, NodeError> {
        officer.require(DUTY)?;
        let at = self.now();
        let (new_case, woken) = self.store.write(at, |unit| {
            let mut case = unit.case(&case_id)?.ok_or_else(|| NodeError::CaseNotFound(case_id.to_string()))?;
            self.check_forward(&case, &input)?;
            let original = self.original_request(unit, &case)?;
            let origin_name =
                self.config.peer(&case.origin).map_or_else(|| case.origin.to_string(), |p| p.name.clone());
            let windows = self.config.deadlines.windows(case.kind, original.priority);
            let request = RequestBody {
                officer: officer.signatory(),
                title: shorten(&format!("转发：{}", original.title), 120),
                narrative: shorten(
                    &format!("{}\n\n（转自{origin_name}协查 {case_id}）\n{}", input.message.trim(), original.narrative),
                    8000,
                ),
                reference: None,
                ack_by: at + windows.ack.0,
                report_by: at + windows.report.0,
                forwarded_from: Some(ForwardedFrom { case: case_id, station: case.origin.clone() }),
                // Whatever this request replaced is its origin's business, not the new target's.
                redirected_from: None,
                // The forwarded request is this station's own and gets its own number.
                refno: None,
                ..original
            };
            validate_request(&request, at)?;
            let envelope = Envelope {
                id: EnvelopeId::new(),
                case: CaseId::new(),
                from: self.station().clone(),
                to: vec![input.to.clone()],
                at,
                seq: 0,
                seen: [(input.to.clone(), 0)].into(),
                body: Body::Request(Box::new(request)),
            };
            let sealed = self.number_and_seal(unit, envelope)?;
            let mut new_case = CaseRecord::open(&sealed.envelope, self.station(), at)?;
            new_case.take_on(&sealed.envelope, self.station());
            subjects::flag_same_subject(unit, &mut new_case)?;
            record_sent(unit, &sealed, &new_case, officer, "case.forward")?;

            let to_name = self.config.peer(&input.to).map_or_else(|| input.to.to_string(), |p| p.name.clone());
            let body = Body::Note(NoteBody {
                officer: officer.signatory(),
                text: match &new_case.refno {
                    Some(refno) => format!(
                        "已转发至{to_name}（新协查 {}，编号 {}）：{}",
                        refno.label,
                        new_case.id,
                        input.message.trim()
                    ),
                    None => format!("已转发至{to_name}（新协查编号 {}）：{}", new_case.id, input.message.trim()),
                },
                attachments: Vec::new(),
            });
            let note = self.next_envelope(&case, vec![case.origin.clone()], at, body).seal(&self.signer)?;
            case.apply(&note.envelope, || Ok::<_, NodeError>(unit.case_history(&case_id)?))?;
            record_sent(unit, &note, &case, officer, "case.note")?;
            Ok::<_, NodeError>(new_case)
        })?;
        self.store.durable().await?;
        self.wake(&woken);
        tracing::info!(case = %case_id, forwarded_as = %new_case.id, to = %input.to, "case forwarded");
        Ok(new_case)
    }

    fn check_forward(&self, case: &CaseRecord, input: &ForwardInput) -> Result<(), NodeError> {
        if &case.origin == self.station() {
            return Err(NodeError::WrongSide { needed: "target" });
        }
        if case.restricted(Restriction::NoOnward) {
            return Err(NodeError::Restricted(Restriction::NoOnward));
        }
        let open = case
            .target(self.station())
            .is_some_and(|t| matches!(t.state, TargetState::Delivered | TargetState::Acknowledged));
        if !open {
            return Err(NodeError::NoEligibleTarget);
        }
        if self.config.peer(&input.to).is_none() {
            return Err(NodeError::UnknownStation(input.to.clone()));
        }
        if input.to == case.origin || case.parties.contains(&input.to) {
            return Err(invalid("to", "该单位已是本协查的参与方", "that station is already part of this case"));
        }
        let mut errors = crate::domain::validate::Errors::default();
        errors.require_text("message", &input.message, "转发原因", "why the request is passed on");
        errors.text("message", &input.message, 2000, crate::domain::text::Layout::Lines);
        errors.finish().map_err(NodeError::Validation)
    }

    fn original_request(&self, unit: &Unit<'_>, case: &CaseRecord) -> Result<RequestBody, NodeError> {
        let stored = unit
            .envelope(&case.request)?
            .ok_or_else(|| StoreError::Corrupt(format!("case {} has lost its request", case.id)))?;
        match SealedEnvelope::open(&stored.wire, &self.keys)?.envelope.body {
            Body::Request(request) => Ok(*request),
            _ => Err(StoreError::Corrupt(format!("case {} names a request that is not one", case.id)).into()),
        }
    }
}
