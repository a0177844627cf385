//! What officers do: send a request, act on a case, read cases and listings.

use time::OffsetDateTime;

use super::auth::{LIAISON, READERS, roles_for};
use super::inputs::{Action, CloseInput, NewCase, NoteInput, ReminderInput, WithdrawInput, action_body};
use super::once::{IdempotencyKey, Once, Sent};
use super::{Node, NodeError, Officer, subjects};
use crate::case::{ApplyError, CaseRecord, validate_request};
use crate::config::Config;
use crate::domain::lifecycle::Party;
use crate::domain::validate::FieldError;
use crate::envelope::{Body, Envelope, SealedEnvelope};
use crate::events::What;
use crate::ids::{CaseId, EnvelopeId, StationId};
use crate::store::{AuditDraft, ListQuery, Page, Unit};

impl Node {
    /// Judges `new` as [`Node::create_case`] would, without signing, storing or sending it: the
    /// console asks this even when the form has format errors, so an officer sees every problem
    /// of the request in one round trip instead of one kind of problem per send.
    pub fn check_case(&self, officer: &Officer, new: NewCase) -> Result<(), NodeError> {
        officer.require(LIAISON)?;
        if let Some(of) = &new.redirect_of {
            self.redirect_source(of)?;
        }
        request_envelope(&self.config, officer, new, self.now()).map(drop)
    }

    /// Sends a new assist request as a tool does (the demo, the simulation): no idempotency
    /// key and no duplicate warning. Officers' requests go through [`Node::send_case`].
    pub async fn create_case(&self, officer: &Officer, new: NewCase) -> Result<CaseRecord, NodeError> {
        officer.require(LIAISON)?;
        Ok(self.seal_and_record(officer, new, None).await?.case)
    }

    /// Sends an officer's new assist request: signs it, stores it with its case, queues it
    /// for every target, and returns once all of that is on disk. With `key`, a request the
    /// key sent within a day is answered with its case and not sent again (another request
    /// under the key is refused); a request repeating an open one to the same partner is
    /// refused unless it says it is meant.
    pub async fn send_case(
        &self,
        officer: &Officer,
        new: NewCase,
        key: Option<IdempotencyKey>,
    ) -> Result<Sent, NodeError> {
        officer.require(LIAISON)?;
        let once = key.map(|key| Once::new(officer, key, &new)).transpose()?;
        if let Some(first) = once.as_ref().map(|once| self.first_sent(once)).transpose()?.flatten() {
            return Ok(first);
        }
        self.check_duplicates(&new)?;
        self.seal_and_record(officer, new, once).await
    }

    async fn seal_and_record(&self, officer: &Officer, new: NewCase, once: Option<Once>) -> Result<Sent, NodeError> {
        let at = self.now();
        let redirected_from = new.redirect_of.as_ref().map(|of| self.redirect_source(of)).transpose()?;
        let mut envelope = request_envelope(&self.config, officer, new, at)?;
        self.check_uploaded(envelope.body.attachments())?;
        if let Body::Request(request) = &mut envelope.body {
            request.redirected_from = redirected_from;
        }
        let targets = envelope.to.clone();
        let (sent, woken) =
            self.requests.submit((officer.clone(), envelope, once), |batch| self.record_requests(batch)).await?;
        self.store.durable().await?;
        self.wake(&woken);
        if sent.repeated {
            tracing::info!(case = %sent.case.id, "request already sent under its idempotency key");
        } else {
            tracing::info!(case = %sent.case.id, envelope = %sent.case.request, ?targets, "request sent");
        }
        Ok(sent)
    }

    /// Records officers' new requests in one unit, each numbered, signed and stored at its own
    /// time (in time order), all or none; answers each with its case and the peers whose outbox
    /// the unit grew. A request whose key already sent one (committed, or earlier in this unit:
    /// a retry racing its first) is answered with that case and records nothing, and takes no
    /// number.
    fn record_requests(
        &self,
        batch: &[(Officer, Envelope, Option<Once>)],
    ) -> Result<Vec<(Sent, Vec<StationId>)>, NodeError> {
        let mut order: Vec<usize> = (0..batch.len()).collect();
        order.sort_by_key(|&i| batch[i].1.at);
        let Some(&first) = order.first() else { return Ok(Vec::new()) };
        let (sent, woken) = self.store.write(batch[first].1.at, |unit| {
            order
                .iter()
                .map(|&i| {
                    let (officer, envelope, once) = &batch[i];
                    unit.set_at(envelope.at);
                    self.record_once(unit, officer, envelope.clone(), once.as_ref())
                })
                .collect::<Result<Vec<_>, NodeError>>()
        })?;
        let mut answers: Vec<_> = order.into_iter().zip(sent).collect();
        answers.sort_unstable_by_key(|(i, _)| *i);
        Ok(answers.into_iter().map(|(_, sent)| (sent, woken.clone())).collect())
    }

    fn record_once(
        &self,
        unit: &mut Unit<'_>,
        officer: &Officer,
        envelope: Envelope,
        once: Option<&Once>,
    ) -> Result<Sent, NodeError> {
        if let Some(first) = once.map(|once| once.first_in(unit)).transpose()?.flatten() {
            let case = unit.case(&first.case)?.ok_or_else(|| NodeError::CaseNotFound(first.case.to_string()))?;
            return Ok(Sent { case, repeated: true });
        }
        let sealed = self.number_and_seal(unit, envelope)?;
        let case = self.record_request(unit, &sealed, officer)?;
        if let Some(once) = once {
            once.remember(unit, &case)?;
        }
        Ok(Sent { case, repeated: false })
    }

    /// Numbers, signs and records new requests in `unit`, each at its own time; times must not
    /// go backwards, so numbers follow the order of sending.
    pub(super) fn number_in_order<'a>(
        &self,
        unit: &mut Unit<'_>,
        requests: impl IntoIterator<Item = (&'a Officer, Envelope)>,
    ) -> Result<Vec<CaseRecord>, NodeError> {
        requests
            .into_iter()
            .map(|(officer, envelope)| {
                unit.set_at(envelope.at);
                let sealed = self.number_and_seal(unit, envelope)?;
                self.record_request(unit, &sealed, officer)
            })
            .collect()
    }

    /// Records requests already signed in `unit`, each at its own time; times must not go
    /// backwards.
    pub(super) fn record_in_order<'a>(
        &self,
        unit: &mut Unit<'_>,
        requests: impl IntoIterator<Item = (&'a Officer, &'a SealedEnvelope)>,
    ) -> Result<Vec<CaseRecord>, NodeError> {
        requests
            .into_iter()
            .map(|(officer, sealed)| {
                unit.set_at(sealed.envelope.at);
                self.record_request(unit, sealed, officer)
            })
            .collect()
    }

    /// Opens the case of a request this station signed and records it in `unit`: what
    /// [`Node::create_case`] and the bulk loader both store.
    pub(super) fn record_request(
        &self,
        unit: &mut Unit<'_>,
        sealed: &SealedEnvelope,
        officer: &Officer,
    ) -> Result<CaseRecord, NodeError> {
        let mut case = CaseRecord::open(&sealed.envelope, self.station(), unit.at())?;
        case.take_on(&sealed.envelope, self.station());
        subjects::flag_same_subject(unit, &mut case)?;
        super::redirect::record_redirect(unit, sealed, self.station());
        record_sent(unit, sealed, &case, officer, "case.create")?;
        unit.event(What::RequestSent {
            case: case.id,
            to: case.parties.clone(),
            kind: case.kind,
            priority: case.priority,
            title: case.title.clone(),
        });
        Ok(case)
    }

    /// Takes `action` on a case: checks role and side, signs the envelope, applies it, queues
    /// it for the other party, and returns once all of that is on disk.
    pub async fn act(&self, officer: &Officer, case_id: CaseId, action: Action) -> Result<CaseRecord, NodeError> {
        officer.require(roles_for(action.kind()))?;
        if let Action::Note(note) = &action {
            self.check_note_files(note)?;
        }
        let at = self.now();
        let audit_name = action.audit_name();
        let ((case, envelope_id), woken) =
            self.store.write(at, |unit| self.apply_action(unit, officer, case_id, action))?;
        self.store.durable().await?;
        self.wake(&woken);
        tracing::info!(case = %case_id, envelope = %envelope_id, action = audit_name, "case updated");
        Ok(case)
    }

    /// Signs `action`'s envelope at the unit's time, applies it to the case and records it in
    /// `unit`: what [`Node::act`] and the bulk loader both store. The caller checked the role.
    pub(super) fn apply_action(
        &self,
        unit: &mut Unit<'_>,
        officer: &Officer,
        case_id: CaseId,
        action: Action,
    ) -> Result<(CaseRecord, EnvelopeId), NodeError> {
        let side = action.kind().party();
        let audit_name = action.audit_name();
        let at = unit.at();
        let mut case = unit.case(&case_id)?.ok_or_else(|| NodeError::CaseNotFound(case_id.to_string()))?;
        let my_side = if &case.origin == self.station() { Party::Origin } else { Party::Target };
        if side.is_some_and(|side| side != my_side) {
            return Err(NodeError::WrongSide { needed: if my_side == Party::Origin { "target" } else { "origin" } });
        }
        let to = self.recipients(&case, my_side, &action)?;
        let sealed = self.next_envelope(&case, to, at, action_body(action, officer)).seal(&self.signer)?;
        let moved = case.apply(&sealed.envelope, || Ok::<_, NodeError>(unit.case_history(&case_id)?))?;
        case.take_on(&sealed.envelope, self.station());
        subjects::release_if_closed(unit, &case)?;
        record_sent(unit, &sealed, &case, officer, audit_name)?;
        // A close or withdrawal of some targets is told to the others, in this same unit.
        if !self.relay_onward::<NodeError>(unit, &mut case, &sealed, Some(officer.signatory()), at)?.is_empty() {
            unit.put_case(&case)?;
        }
        for transition in moved {
            unit.event(What::CaseUpdated {
                case: case.id,
                by: self.station().clone(),
                action: Some(sealed.envelope.kind()),
                target: transition.target,
                state: transition.after,
                priority: case.priority,
            });
        }
        Ok((case, sealed.envelope.id))
    }

    /// Lists the inbox or outbox. Readers only.
    pub fn list(&self, officer: &Officer, query: &ListQuery) -> Result<Page, NodeError> {
        officer.require(READERS)?;
        Ok(self.store.list(query)?)
    }

    /// Who an action's envelope goes to: the origin when a target speaks; otherwise the chosen
    /// targets, or by default every target the action applies to.
    fn recipients(&self, case: &CaseRecord, my_side: Party, action: &Action) -> Result<Vec<StationId>, NodeError> {
        if my_side == Party::Target {
            return Ok(vec![case.origin.clone()]);
        }
        let chosen: &[StationId] = match action {
            Action::Note(NoteInput { targets, .. })
            | Action::Reminder(ReminderInput { targets, .. })
            | Action::Close(CloseInput { targets, .. })
            | Action::Withdraw(WithdrawInput { targets, .. }) => targets,
            _ => &[],
        };
        let fits = |state| action.kind().applies(state, Party::Origin);
        each_once(chosen)?;
        if let Some(stranger) = chosen.iter().find(|s| case.target(s).is_none()) {
            return Err(NodeError::UnknownStation(stranger.clone()));
        }
        // Named targets go as named, so the lifecycle can refuse a wrong one clearly.
        let to: Vec<StationId> = if chosen.is_empty() {
            case.targets.iter().filter(|t| fits(t.state)).map(|t| t.station.clone()).collect()
        } else {
            chosen.to_vec()
        };
        if to.is_empty() { Err(NodeError::NoEligibleTarget) } else { Ok(to) }
    }
}

/// The unsigned request envelope `officer` of the station configured in `config` makes of
/// `new` at `at`: targets checked against the configured peers, deadlines from the config, the
/// body validated. [`Node::create_case`] signs it; the benchmark's simulated peers sign theirs.
pub fn request_envelope(
    config: &Config,
    officer: &Officer,
    new: NewCase,
    at: OffsetDateTime,
) -> Result<Envelope, NodeError> {
    let mut errors = target_errors(config, &new.targets)?;
    let windows = config.deadlines.windows(new.details.kind(), new.priority);
    let (targets, request) = new.into_request(officer.signatory(), at, windows);
    match validate_request(&request, at) {
        Ok(()) => {}
        Err(ApplyError::InvalidBody(content)) => errors.extend(content),
        Err(other) => return Err(other.into()),
    }
    // This station's own limits, on top of the protocol's outer ones the rules checked.
    let mut limits = crate::domain::validate::Errors::default();
    crate::domain::attachment::check("attachments", &request.attachments, config.attachments.limits(), &mut limits);
    for error in limits.into_vec() {
        if !errors.iter().any(|e| e.field == error.field && e.code == error.code) {
            errors.push(error);
        }
    }
    if !errors.is_empty() {
        return Err(NodeError::Validation(errors));
    }
    Ok(Envelope {
        id: EnvelopeId::new(),
        case: CaseId::new(),
        from: config.station.id.clone(),
        seen: targets.iter().map(|t| (t.clone(), 0)).collect(),
        to: targets,
        at,
        seq: 0,
        body: Body::Request(Box::new(request)),
    })
}

/// What is wrong with the chosen targets, as field errors to report with the rest of the
/// request. A station this one has no peering with is refused on its own: that is not a slip in
/// filling in the form but a request this node cannot address at all.
fn target_errors(config: &Config, targets: &[StationId]) -> Result<Vec<FieldError>, NodeError> {
    if let Some(unknown) = targets.iter().find(|t| config.peer(t).is_none()) {
        return Err(NodeError::UnknownStation(unknown.clone()));
    }
    let mut errors = repeated(targets);
    if targets.is_empty() {
        errors.push(FieldError::new(
            "targets",
            "required",
            "请至少选择一个协查单位",
            "choose at least one target station",
        ));
    }
    Ok(errors)
}

/// Refuses a list of stations naming one twice: an envelope is addressed to each station once.
fn each_once(targets: &[StationId]) -> Result<(), NodeError> {
    let repeated = repeated(targets);
    if repeated.is_empty() { Ok(()) } else { Err(NodeError::Validation(repeated)) }
}

/// An error for each station listed after its first mention.
fn repeated(targets: &[StationId]) -> Vec<FieldError> {
    targets
        .iter()
        .enumerate()
        .filter(|(i, station)| targets[..*i].contains(station))
        .map(|(i, station)| {
            FieldError::new(
                format!("targets[{i}]"),
                "duplicate",
                format!("协查单位 {station} 重复选择"),
                format!("{station} is listed more than once"),
            )
        })
        .collect()
}

impl Node {
    /// This station's next envelope on `case`, to `to`: placed after what the case holds of
    /// the exchange with them (`seq`, `seen`), so a peer can tell whether it crossed theirs.
    pub(super) fn next_envelope(
        &self,
        case: &CaseRecord,
        to: Vec<StationId>,
        at: OffsetDateTime,
        body: Body,
    ) -> Envelope {
        let (seq, seen) = case.causal_context(self.station(), &to);
        Envelope { id: EnvelopeId::new(), case: case.id, from: self.station().clone(), to, at, seq, seen, body }
    }
}

/// Stores an envelope this station signed, its case's new state, outbox entries for every
/// recipient and the audit entry, all in the caller's unit.
pub(super) fn record_sent(
    unit: &mut Unit<'_>,
    sealed: &SealedEnvelope,
    case: &CaseRecord,
    officer: &Officer,
    action: &'static str,
) -> Result<(), NodeError> {
    unit.put_envelope(sealed)?;
    unit.put_case(case)?;
    for peer in &sealed.envelope.to {
        unit.enqueue(peer, &sealed.envelope.id)?;
    }
    unit.audit(AuditDraft::new(officer.actor(), action).case(case.id).envelope(sealed.envelope.id, sealed.digest()));
    Ok(())
}
