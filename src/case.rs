//! A case as materialised from its signed envelopes: per-target state, deadlines and what
//! happened. [`CaseRecord::open`] and [`CaseRecord::apply`] are pure; the origin applies its own
//! envelopes and every target applies the same envelopes it receives, so both sides arrive at
//! the same state from the same signed events.
//!
//! # Actions that cross on the wire
//! The origin may withdraw a target while that target's decline is on its way; a reminder may
//! cross an outcome. Each envelope therefore says where its sender stood: `seq` orders one
//! party's envelopes, and `seen` counts the other party's envelopes the sender held. An
//! envelope that has seen everything this node sent is simply applied. One that crossed some
//! of ours is judged as its sender saw the case (it must have been allowed there), and then
//! the target's state is replayed from every envelope of both sides in one order that both
//! nodes compute alike ([`replay`]): each party's envelopes in `seq` order, none before what it
//! had seen, and of two that crossed, the origin's first. A crossed action the replay no longer
//! allows is kept as signed but has no effect, and is listed in [`TargetRecord::superseded`] at
//! both nodes. So both sides agree once both hold the same envelopes.
//!
//! # What a sender cannot choose
//! Who wins a crossing is decided by roles alone, never by an envelope's `at` or id, which its
//! sender picks freely. A party takes each `seq` once and in order: a second envelope with a
//! `seq` it already used is equivocation ([`ApplyError::Equivocation`]), refused and kept as
//! evidence by the receiving node; one with a `seq` below what was already applied of it is
//! refused as [`ApplyError::OutOfOrder`]. So no envelope can be slipped into the past of a
//! case to rewrite what the other side saw and acted on. A party can still claim to have seen
//! less than it had; its action must then have been allowed in that earlier state, and the
//! origin's precedence decides the crossing.

mod apply_error;
mod co_targets;
mod replay;
mod rules;

pub use apply_error::ApplyError;
pub use co_targets::RelayFault;
use rules::validate_body;
pub use rules::validate_request;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::domain::case::{DeclineReason, Outcome, Priority, Restriction};
use crate::domain::deadline::{Overdue, next_deadline};
use crate::domain::details::{CaseKind, SubjectKey};
use crate::domain::lifecycle::{Party, Step, TargetState, transition};
use crate::envelope::body::{AckBody, CloseBody, DeclineBody, OutcomeBody, RequestBody};
use crate::envelope::{Body, Envelope, Kind};
use crate::ids::{CaseId, EnvelopeId, StationId};

/// Where one target of a case stands, with the times that statistics and deadlines need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TargetRecord {
    /// The target station.
    #[schema(value_type = String)]
    pub station: StationId,
    /// Its state.
    pub state: TargetState,
    /// Acknowledge by.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub ack_by: OffsetDateTime,
    /// First report by (the request's deadline, or the time promised in the ack).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub report_by: OffsetDateTime,
    /// When the target stored the request (from its signed receipt, or its own clock).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<OffsetDateTime>,
    /// When it acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acked_at: Option<OffsetDateTime>,
    /// When it first reported (a note after the ack, or the outcome).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_report_at: Option<OffsetDateTime>,
    /// When it reported its outcome.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<OffsetDateTime>,
    /// When it reached a terminal state: closed or withdrawn by the origin, or declined.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<OffsetDateTime>,
    /// The reported outcome.
    pub outcome: Option<Outcome>,
    /// How many (persons found, suspects arrested, cases solved).
    pub outcome_count: u32,
    /// The origin's evaluation, 1–5.
    pub evaluation: Option<u8>,
    /// Why it was declined.
    pub decline_reason: Option<DeclineReason>,
    /// The station the target suggested instead.
    #[schema(value_type = Option<String>)]
    pub suggested_station: Option<StationId>,
    /// Reminders the origin sent.
    pub reminders: u32,
    /// Notes exchanged.
    pub notes: u32,
    /// What each side sent about this target, as held here.
    pub exchange: Exchange,
    /// Envelopes that crossed an action of the other side and, replayed in order, had no effect
    /// on this target (a withdrawal that crossed a decline, a note that crossed the close).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub superseded: Vec<EnvelopeId>,
    /// The report deadline is the time the target promised in its acknowledgement, not one
    /// that runs from delivery.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub report_promised: bool,
}

/// What each side sent about one target, as held here: how a new envelope says what it
/// follows, and how an arriving one shows whether it crossed one of ours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Exchange {
    /// Envelopes from the origin concerning this target, the request included.
    pub from_origin: u32,
    /// Envelopes from the target.
    pub from_target: u32,
    /// One past the highest `seq` held from the origin.
    pub origin_next: u32,
    /// One past the highest `seq` held from the target.
    pub target_next: u32,
}

impl Exchange {
    /// How many envelopes of `party` are held.
    fn held(&self, party: Party) -> u32 {
        match party {
            Party::Origin => self.from_origin,
            Party::Target => self.from_target,
        }
    }

    /// One past the highest `seq` held from `party`.
    fn next(&self, party: Party) -> u32 {
        match party {
            Party::Origin => self.origin_next,
            Party::Target => self.target_next,
        }
    }

    /// Counts an envelope of `party` with `seq`.
    fn count(&mut self, party: Party, seq: u32) {
        let (held, next) = match party {
            Party::Origin => (&mut self.from_origin, &mut self.origin_next),
            Party::Target => (&mut self.from_target, &mut self.target_next),
        };
        *held += 1;
        *next = (*next).max(seq.saturating_add(1));
    }
}

impl TargetRecord {
    fn new(station: StationId, state: TargetState, request: &RequestBody) -> Self {
        Self::due(station, state, request.ack_by, request.report_by)
    }

    /// A target with its deadlines and nothing done yet.
    pub(crate) fn due(
        station: StationId,
        state: TargetState,
        ack_by: OffsetDateTime,
        report_by: OffsetDateTime,
    ) -> Self {
        Self {
            station,
            state,
            ack_by,
            report_by,
            delivered_at: None,
            acked_at: None,
            first_report_at: None,
            resolved_at: None,
            ended_at: None,
            outcome: None,
            outcome_count: 0,
            evaluation: None,
            decline_reason: None,
            suggested_station: None,
            reminders: 0,
            notes: 0,
            exchange: Exchange { from_origin: 1, from_target: 0, origin_next: 1, target_next: 0 },
            superseded: Vec::new(),
            report_promised: false,
        }
    }

    /// Records that the target stored the request at `at` (it was signed at `sent_at`).
    /// Deadlines run from delivery: a request that waited in a queue while the target's node
    /// was down gives the target as long as it would have had, from the moment it could see it.
    /// Both sides compute this from the same signed time (the target's receipt).
    fn delivered(&mut self, at: OffsetDateTime, sent_at: OffsetDateTime) {
        if self.delivered_at.is_some() {
            return;
        }
        self.delivered_at = Some(at);
        let waited = (at - sent_at).max(time::Duration::ZERO);
        self.ack_by += waited;
        if !self.report_promised {
            self.report_by += waited;
        }
    }

    /// The next deadline this target must meet, if it is still running.
    pub fn next_deadline(&self) -> Option<Overdue> {
        next_deadline(self.state, self.ack_by, self.report_by, self.first_report_at)
    }

    /// The deadline this target has missed at `now`, if any.
    pub fn overdue_at(&self, now: OffsetDateTime) -> Option<Overdue> {
        self.next_deadline().filter(|d| d.due() < now)
    }
}

/// One case as this node knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseRecord {
    /// The case id.
    #[schema(value_type = String)]
    pub id: CaseId,
    /// The origin's reference number (协查文号), e.g. `泰罗阳协〔2026〕12号`: accepted wherever a
    /// case id is. Absent for requests from releases before numbering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refno: Option<crate::domain::refno::RefNo>,
    /// The station that sent the request.
    #[schema(value_type = String)]
    pub origin: StationId,
    /// Kind of request.
    pub kind: CaseKind,
    /// Priority.
    pub priority: Priority,
    /// Title.
    pub title: String,
    /// One-line summary of the details.
    pub summary: String,
    /// Handling restrictions.
    pub restrictions: Vec<Restriction>,
    /// Review date of a standing alert.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::clock::date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub review_by: Option<Date>,
    /// When the origin sent the request.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// The request envelope.
    #[schema(value_type = String)]
    pub request: EnvelopeId,
    /// Every station the request was sent to.
    #[schema(value_type = Vec<String>)]
    pub parties: Vec<StationId>,
    /// The targets this node tracks: all of them at the origin, itself at a target.
    pub targets: Vec<TargetRecord>,
    /// At a target: the other targets of the case as the origin's relays tell of them (their
    /// acknowledgements, declines, outcomes, closes and withdrawals). For the officers to see
    /// only: never counted in this station's statistics, deadlines or actions, which follow
    /// `targets` alone. Empty at the origin and for a case with one target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub co_targets: Vec<TargetRecord>,
    /// Identifiers the case names (resident IDs, plates, case numbers), for same-subject flags.
    #[schema(value_type = Vec<Object>)]
    pub subjects: Vec<SubjectKey>,
    /// Other open cases at this node naming the same subject (一人多次).
    #[schema(value_type = Vec<String>)]
    pub same_subject: Vec<CaseId>,
    /// Time of the latest event.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    /// The officer of this station who handles the case (承办人): at the origin the liaison
    /// who sent it, at a target the duty officer who acknowledged it, until either hands it
    /// over. Absent while a received request waits for someone to take it on, and in records
    /// stored before handlers were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<crate::envelope::Signatory>,
}

/// What an applied envelope changed for one target, for statistics and indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The target.
    pub target: StationId,
    /// Its state before.
    pub before: TargetState,
    /// Its state after.
    pub after: TargetState,
}

impl CaseRecord {
    /// A new case from its request envelope, as `me` keeps it. At the origin every target is
    /// `sent`; at a target only its own entry is kept, `delivered` at `stored_at`.
    pub fn open(envelope: &Envelope, me: &StationId, stored_at: OffsetDateTime) -> Result<Self, ApplyError> {
        let Body::Request(request) = &envelope.body else {
            return Err(ApplyError::UnknownCase);
        };
        validate_request(request, envelope.at)?;
        let targets = if &envelope.from == me {
            envelope.to.iter().map(|t| TargetRecord::new(t.clone(), TargetState::Sent, request)).collect()
        } else if envelope.to.contains(me) {
            let mut own = TargetRecord::new(me.clone(), TargetState::Delivered, request);
            own.delivered(stored_at, envelope.at);
            vec![own]
        } else {
            return Err(ApplyError::BadAddressing(format!("request not addressed to {me}")));
        };
        let mut restrictions = request.restrictions.clone();
        restrictions.sort();
        restrictions.dedup();
        Ok(Self {
            id: envelope.case,
            refno: request.refno.clone(),
            origin: envelope.from.clone(),
            kind: request.details.kind(),
            priority: request.priority,
            title: request.title.clone(),
            summary: request.details.summary_zh(),
            restrictions,
            review_by: request.review_by,
            created_at: envelope.at,
            request: envelope.id,
            parties: envelope.to.clone(),
            targets,
            co_targets: Vec::new(),
            subjects: request.details.subject_keys(),
            same_subject: Vec::new(),
            updated_at: envelope.at,
            // Who handles it is this station's own business, not part of the state both sides
            // compute alike: the node sets it.
            handler: None,
        })
    }

    /// Which party `station` is in this case.
    pub fn party_of(&self, station: &StationId) -> Option<Party> {
        if station == &self.origin {
            Some(Party::Origin)
        } else if self.parties.contains(station) {
            Some(Party::Target)
        } else {
            None
        }
    }

    /// True while any tracked target is open.
    pub fn is_open(&self) -> bool {
        self.targets.iter().any(|t| t.state.is_open())
    }

    /// The tracked target for `station`.
    pub fn target(&self, station: &StationId) -> Option<&TargetRecord> {
        self.targets.iter().find(|t| &t.station == station)
    }

    /// True when `restriction` applies to this case.
    pub fn restricted(&self, restriction: Restriction) -> bool {
        self.restrictions.contains(&restriction)
    }

    /// Records who handles the case at `me` after `me` signed `envelope`: the officer who sent
    /// the request, or who acknowledged it, unless someone already handles it (a chief may
    /// have given it to an officer before it was acknowledged, and that choice stands). Not
    /// part of [`CaseRecord::apply`]: who works a case is the station's own business, while
    /// the rest of the record is computed alike on both sides.
    pub fn take_on(&mut self, envelope: &Envelope, me: &StationId) {
        let officer = match &envelope.body {
            Body::Request(request) => &request.officer,
            Body::Ack(ack) => &ack.officer,
            _ => return,
        };
        if &envelope.from == me && self.handler.is_none() {
            self.handler = Some(officer.clone());
        }
    }

    /// Applies an envelope other than the request, checking that the sender is a party, that
    /// it is addressed as its kind requires, that the body is sound and that the lifecycle
    /// allows the step for every target it concerns. Nothing changes unless all of that holds.
    ///
    /// `history` yields the case's stored envelopes (the request among them) and is called
    /// only when the envelope crossed one of the other side's or arrived out of order; see the
    /// module documentation.
    pub fn apply<E: From<ApplyError>>(
        &mut self,
        envelope: &Envelope,
        history: impl FnOnce() -> Result<Vec<Envelope>, E>,
    ) -> Result<Vec<Transition>, E> {
        let by = self.party_of(&envelope.from).ok_or_else(|| ApplyError::NotParty(envelope.from.clone()))?;
        let concerned = self.concerned_targets(envelope, by)?;
        let step = step_of(envelope.kind())?;
        let mut history = Lazy::new(history);
        let next_seq = self
            .targets
            .iter()
            .filter(|t| concerned.contains(&t.station))
            .map(|t| t.exchange.next(by))
            .max()
            .unwrap_or(0);
        // Before the content rules: a second statement in one place of a sender's sequence is
        // evidence against it whatever it says.
        if envelope.seq < next_seq {
            return Err(misplaced(envelope, next_seq, history.get()?).into());
        }
        validate_body(&envelope.body, self.kind, envelope.at)?;
        let mut in_order = true;
        for target in self.targets.iter().filter(|t| concerned.contains(&t.station)) {
            let counterpart = if by == Party::Origin { &target.station } else { &self.origin };
            let seen = envelope.seen.get(counterpart).copied().unwrap_or(0);
            let held = target.exchange.held(other(by));
            if seen > held {
                return Err(ApplyError::HistoryMissing { seen, held }.into());
            }
            in_order &= seen == held;
        }
        let mut next = self.targets.clone();
        let mut transitions = Vec::new();
        if in_order {
            for target in next.iter_mut().filter(|t| concerned.contains(&t.station)) {
                let after = transition(target.state, by, step).map_err(ApplyError::Lifecycle)?;
                let before = target.state;
                record_effects(target, &envelope.body, by, envelope.at);
                target.state = after;
                target.exchange.count(by, envelope.seq);
                transitions.push(Transition { target: target.station.clone(), before, after });
            }
        } else {
            let history: Vec<Envelope> = history.get()?.iter().filter(|e| e.id != envelope.id).cloned().collect();
            let request = history
                .iter()
                .find_map(|e| match &e.body {
                    Body::Request(request) if e.id == self.request => Some(request.as_ref()),
                    _ => None,
                })
                .ok_or(ApplyError::UnknownCase)?;
            for target in next.iter_mut().filter(|t| concerned.contains(&t.station)) {
                let story = replay::Story::of(&self.origin, self.created_at, target, request, &history);
                let seen_then = story.as_seen_by(envelope, by).replay();
                transition(seen_then.state, by, step).map_err(ApplyError::Lifecycle)?;
                let before = target.state;
                *target = story.with(envelope).replay();
                transitions.push(Transition { target: target.station.clone(), before, after: target.state });
            }
        }
        self.targets = next;
        self.updated_at = self.updated_at.max(envelope.at);
        Ok(transitions)
    }

    /// `seq` and `seen` for an envelope `from` is about to send to `to`, following everything
    /// this node holds.
    pub fn causal_context(&self, from: &StationId, to: &[StationId]) -> (u32, BTreeMap<StationId, u32>) {
        if from == &self.origin {
            let seq = self.targets.iter().map(|t| t.exchange.origin_next).max().unwrap_or(1);
            let seen = to
                .iter()
                .map(|station| (station.clone(), self.target(station).map_or(0, |t| t.exchange.from_target)))
                .collect();
            (seq, seen)
        } else {
            let own = self.target(from).map(|t| t.exchange).unwrap_or_default();
            (own.target_next, to.iter().map(|station| (station.clone(), own.from_origin)).collect())
        }
    }

    /// Records a target's signed receipt, which moves it from `sent` to `delivered`.
    pub fn apply_receipt(
        &mut self,
        target: &StationId,
        stored_at: OffsetDateTime,
    ) -> Result<Option<Transition>, ApplyError> {
        let record = self
            .targets
            .iter_mut()
            .find(|t| &t.station == target)
            .ok_or_else(|| ApplyError::NotParty(target.clone()))?;
        let before = record.state;
        let after = transition(before, Party::Target, Step::Receipt).map_err(ApplyError::Lifecycle)?;
        record.delivered(stored_at, self.created_at);
        record.state = after;
        Ok((before != after).then(|| Transition { target: target.clone(), before, after }))
    }

    /// The targets an envelope concerns: those it is addressed to when the origin speaks; the
    /// sender itself when a target speaks, which may only address the origin.
    fn concerned_targets(&self, envelope: &Envelope, by: Party) -> Result<Vec<StationId>, ApplyError> {
        match by {
            Party::Origin => {
                if let Some(stranger) = envelope.to.iter().find(|s| !self.parties.contains(s)) {
                    return Err(ApplyError::BadAddressing(format!("{stranger} is not a target of this case")));
                }
                Ok(envelope.to.clone())
            }
            Party::Target => {
                if envelope.to != [self.origin.clone()] {
                    return Err(ApplyError::BadAddressing("a target addresses the origin only".into()));
                }
                Ok(vec![envelope.from.clone()])
            }
        }
    }
}

/// Why an envelope whose `seq` is below its sender's next one is refused: it reuses a `seq`
/// the sender already signed another envelope with (equivocation), or it would slip in before
/// envelopes of the sender already applied.
fn misplaced(envelope: &Envelope, next: u32, history: &[Envelope]) -> ApplyError {
    let same_seq = history.iter().find(|e| e.from == envelope.from && e.seq == envelope.seq && e.id != envelope.id);
    match same_seq {
        Some(kept) => ApplyError::Equivocation { seq: envelope.seq, kept: kept.id },
        None => ApplyError::OutOfOrder { seq: envelope.seq, next },
    }
}

/// A case's stored envelopes, read from the store at most once and only when needed.
struct Lazy<F, E> {
    load: Option<F>,
    loaded: Vec<Envelope>,
    _error: std::marker::PhantomData<E>,
}

impl<F: FnOnce() -> Result<Vec<Envelope>, E>, E> Lazy<F, E> {
    fn new(load: F) -> Self {
        Self { load: Some(load), loaded: Vec::new(), _error: std::marker::PhantomData }
    }

    fn get(&mut self) -> Result<&[Envelope], E> {
        if let Some(load) = self.load.take() {
            self.loaded = load()?;
        }
        Ok(&self.loaded)
    }
}

fn other(party: Party) -> Party {
    match party {
        Party::Origin => Party::Target,
        Party::Target => Party::Origin,
    }
}

fn step_of(kind: Kind) -> Result<Step, ApplyError> {
    Ok(match kind {
        Kind::Ack => Step::Ack,
        Kind::Decline => Step::Decline,
        Kind::Note => Step::Note,
        Kind::Reminder => Step::Reminder,
        Kind::Outcome => Step::Outcome,
        Kind::Close => Step::Close,
        Kind::Withdraw => Step::Withdraw,
        Kind::Relay => Step::Relay,
        Kind::Request => return Err(ApplyError::CaseExists),
    })
}

fn record_effects(target: &mut TargetRecord, body: &Body, by: Party, at: OffsetDateTime) {
    match body {
        Body::Ack(AckBody { report_by, .. }) => {
            target.acked_at = Some(at);
            if let Some(report_by) = report_by {
                target.report_by = *report_by;
                target.report_promised = true;
            }
        }
        Body::Decline(DeclineBody { reason, suggested_station, .. }) => {
            target.decline_reason = Some(*reason);
            target.suggested_station = suggested_station.clone();
            target.ended_at = Some(at);
        }
        Body::Note(_) => {
            target.notes += 1;
            if by == Party::Target && target.state == TargetState::Acknowledged && target.first_report_at.is_none() {
                target.first_report_at = Some(at);
            }
        }
        Body::Reminder(_) => target.reminders += 1,
        Body::Outcome(OutcomeBody { outcome, count, .. }) => {
            target.outcome = Some(*outcome);
            target.outcome_count = *count;
            target.resolved_at = Some(at);
            target.first_report_at.get_or_insert(at);
        }
        Body::Close(CloseBody { evaluation, .. }) => {
            target.evaluation = Some(*evaluation);
            target.ended_at = Some(at);
        }
        Body::Withdraw(_) => target.ended_at = Some(at),
        // What a relay tells goes to the co-target view (see `co_targets`), not to this target.
        Body::Request(_) | Body::Relay(_) => {}
    }
}

#[cfg(test)]
mod tests;
