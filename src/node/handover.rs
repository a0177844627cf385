//! Handing a case to another officer of this station (交接), as a shift ends or work is shared
//! out. Local to the station: the partner deals with the station, so nothing is sent. The
//! handover is signed with the station's key and kept with the case, and the case's handler
//! changes in the same unit as its audit entry.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::auth::{DUTY, LIAISON, READERS};
use super::{CaseDetail, Node, NodeError, Officer, TimelineEntry};
use crate::case::CaseRecord;
use crate::config::{Config, Role};
use crate::domain::text::Layout;
use crate::domain::validate::Errors;
use crate::envelope::Statement as _;
use crate::envelope::{Handover, SealedHandover, Signatory, VERSION};
use crate::events::What;
use crate::ids::{Badge, CaseId, StationId};
use crate::store::AuditDraft;

/// The longest note a handover keeps.
const NOTE_MAX: usize = 500;

/// 交接: who takes the case on, and what they should know.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverInput {
    /// The badge of the officer of this station who handles the case from now on.
    #[schema(value_type = String)]
    pub to: Badge,
    /// What they should know (at most 500 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A handover of the case as an officer reads it, with its signature checked just now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HandoverView {
    /// Who handled it before; none when no one had taken it on.
    pub from: Option<Signatory>,
    /// Who handles it since; none only when the stored record cannot be read at all.
    pub to: Option<Signatory>,
    /// Who handed it over; none only when the stored record cannot be read at all.
    pub by: Option<Signatory>,
    /// The note.
    pub note: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The signing key, `<station>#<key-id>`.
    pub key: String,
    /// Whether the station's signature verified just now.
    pub verified: bool,
    /// Why it did not verify, as a stable code.
    pub problem: Option<String>,
}

/// The roles an officer needs to work `case` at `me`: a duty officer for a request received,
/// a liaison officer for one sent.
pub fn roles_to_handle(case: &CaseRecord, me: &StationId) -> &'static [Role] {
    if &case.origin == me { LIAISON } else { DUTY }
}

/// True when `officer` may hand `case` over: its handler, or the station chief.
pub fn may_hand_over(case: &CaseRecord, officer: &Officer) -> bool {
    officer.has(Role::Chief) || case.handler.as_ref().is_some_and(|h| h.badge == officer.id.badge)
}

/// The officers of this station `officer` may hand `case` to now: those who may work it,
/// except whoever handles it already; none when `officer` may not hand it over.
pub fn handover_choices(config: &Config, case: &CaseRecord, officer: &Officer) -> Vec<Signatory> {
    if !may_hand_over(case, officer) {
        return Vec::new();
    }
    let roles = roles_to_handle(case, &config.station.id);
    config
        .officers
        .iter()
        .filter(|o| o.roles.iter().any(|r| roles.contains(r)))
        .filter(|o| case.handler.as_ref().is_none_or(|h| h.badge != o.badge))
        .map(|o| Signatory { badge: o.badge.clone(), name: o.name.clone() })
        .collect()
}

impl Node {
    /// Hands a case to another officer of this station: checks who asks and who receives, signs
    /// the handover, and stores it with the case's new handler and the audit entry in one unit,
    /// on disk before answering.
    pub async fn hand_over(
        &self,
        officer: &Officer,
        case_id: CaseId,
        input: HandoverInput,
    ) -> Result<CaseRecord, NodeError> {
        officer.require(READERS)?;
        let note = checked_note(input.note)?;
        let at = self.now();
        let (case, _) = self.store.write(at, |unit| {
            let mut case = unit.case(&case_id)?.ok_or_else(|| NodeError::CaseNotFound(case_id.to_string()))?;
            if !may_hand_over(&case, officer) {
                return Err(NodeError::NotHandler);
            }
            let to = self.receiver(&case, &input.to)?;
            let handover = Handover {
                v: VERSION,
                station: self.station().clone(),
                case: case.id,
                from: case.handler.clone(),
                to: to.clone(),
                by: officer.signatory(),
                note,
                at,
            };
            let sealed = handover.seal(&self.signer)?;
            let wire = sealed.wire();
            unit.put_handover(&case.id, at, &wire);
            case.handler = Some(to.clone());
            unit.put_case(&case)?;
            unit.event(What::HandedOver {
                case: case.id,
                title: case.title.clone(),
                priority: case.priority,
                from: sealed.statement.from.clone(),
                to,
                by: officer.signatory(),
            });
            let mut audit = AuditDraft::new(officer.actor(), "case.handover").case(case.id).detail(format!(
                "{} -> {}",
                sealed.statement.from.as_ref().map_or("-", |f| f.badge.as_str()),
                sealed.statement.to.badge.as_str()
            ));
            audit.sha256 = Some(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&wire)));
            unit.audit(audit);
            Ok::<_, NodeError>(case)
        })?;
        self.store.durable().await?;
        tracing::info!(case = %case_id, to = %input.to.as_str(), "case handed over");
        Ok(case)
    }

    /// The officer a case may be handed to: registered here, with a role that works it on
    /// this side, and not already its handler.
    fn receiver(&self, case: &CaseRecord, badge: &Badge) -> Result<Signatory, NodeError> {
        let to = self
            .config
            .officers
            .iter()
            .find(|o| &o.badge == badge)
            .ok_or_else(|| NodeError::NoSuchBadge(badge.as_str().to_owned()))?;
        let needed = roles_to_handle(case, self.station());
        if !to.roles.iter().any(|r| needed.contains(r)) {
            return Err(NodeError::CannotHandle { badge: badge.as_str().to_owned(), needed });
        }
        if case.handler.as_ref().is_some_and(|h| &h.badge == badge) {
            return Err(NodeError::AlreadyHandler(badge.as_str().to_owned()));
        }
        Ok(Signatory { badge: to.badge.clone(), name: to.name.clone() })
    }

    /// Every handover of `case`, oldest first, each signature checked again now.
    pub(super) fn handover_views(&self, case: &CaseId) -> Result<Vec<HandoverView>, NodeError> {
        Ok(self
            .store
            .handovers(case)?
            .iter()
            .map(|wire| match SealedHandover::open(wire, &self.keys) {
                Ok(sealed) => view(sealed.statement, sealed.signed.key().to_string(), None),
                Err(e) => unverified(wire, e.code()),
            })
            .collect())
    }
}

fn view(handover: Handover, key: String, problem: Option<String>) -> HandoverView {
    HandoverView {
        from: handover.from,
        to: Some(handover.to),
        by: Some(handover.by),
        note: handover.note,
        at: handover.at,
        key,
        verified: problem.is_none(),
        problem,
    }
}

/// What a handover whose signature fails still shows: its content as stored, marked as not
/// verified, so a damaged record is seen rather than silently dropped.
fn unverified(wire: &[u8], code: &str) -> HandoverView {
    let parsed = crate::envelope::Signed::decode(wire).ok();
    let content = parsed.as_ref().and_then(|s| s.parse_payload::<Handover>().ok());
    let key = parsed.map(|s| s.key().to_string()).unwrap_or_default();
    match content {
        Some(handover) => view(handover, key, Some(code.to_owned())),
        None => HandoverView {
            from: None,
            to: None,
            by: None,
            note: None,
            at: OffsetDateTime::UNIX_EPOCH,
            key,
            verified: false,
            problem: Some(code.to_owned()),
        },
    }
}

/// The note, trimmed, if it says anything; refused when too long or holding characters that
/// act instead of being read.
fn checked_note(note: Option<String>) -> Result<Option<String>, NodeError> {
    let Some(note) = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) else { return Ok(None) };
    let mut errors = Errors::default();
    errors.text("note", &note, NOTE_MAX, Layout::Lines);
    let errors = errors.into_vec();
    if errors.is_empty() { Ok(Some(note)) } else { Err(NodeError::Validation(errors)) }
}

/// One entry of a case's timeline as people read it: an envelope exchanged with a partner, or
/// a handover within this station.
#[derive(Debug, Clone, Copy)]
pub enum TimelineItem<'a> {
    /// A signed envelope.
    Envelope(&'a TimelineEntry),
    /// A handover, signed here.
    Handover(&'a HandoverView),
}

impl CaseDetail {
    /// The timeline in time order with the handovers among the envelopes; an envelope before
    /// a handover made at the same moment, and envelopes in the order the node gave them.
    pub fn timeline_items(&self) -> Vec<TimelineItem<'_>> {
        let mut items: Vec<(OffsetDateTime, u8, TimelineItem<'_>)> =
            self.timeline.iter().map(|e| (e.at, 0, TimelineItem::Envelope(e))).collect();
        items.extend(self.handovers.iter().map(|h| (h.at, 1, TimelineItem::Handover(h))));
        items.sort_by_key(|(at, rank, _)| (*at, *rank));
        items.into_iter().map(|(_, _, item)| item).collect()
    }
}
