//! Relays between the targets of one case (转告), at both ends.
//!
//! At the origin: whenever a target's part moves (its ack, decline or outcome accepted here, or
//! this station's close or withdrawal of it), the same unit that records the change signs a
//! relay to every other target of the case and queues it on that partner's outbox, so the
//! relay is durable exactly when the change is, and reaches each partner after the request
//! (one outbox per partner, in order). At a target: a relay is checked against the case and
//! applied to the co-target view (see [`crate::case`]'s `co_targets`).

use time::OffsetDateTime;

use super::Node;
use crate::case::{ApplyError, CaseRecord, Transition};
use crate::envelope::body::{RelayBody, RequestBody};
use crate::envelope::relay::RELAYED_KINDS;
use crate::envelope::{Body, Envelope, EnvelopeError, SealedEnvelope, Signatory};
use crate::events::What;
use crate::ids::StationId;
use crate::store::{AuditDraft, StoreError, Unit};

impl Node {
    /// At the origin, after `inner` was applied to `case` in `unit`: relays it to every target
    /// it does not concern, when it moved a target. `officer` is who acted here, if anyone (a
    /// partner's envelope is relayed in the name of the case's handler). Returns the partners
    /// whose outbox grew.
    pub(super) fn relay_onward<E>(
        &self,
        unit: &mut Unit<'_>,
        case: &mut CaseRecord,
        inner: &SealedEnvelope,
        officer: Option<Signatory>,
        at: OffsetDateTime,
    ) -> Result<Vec<StationId>, E>
    where
        E: From<EnvelopeError> + From<StoreError> + From<ApplyError>,
    {
        let envelope = &inner.envelope;
        if &case.origin != self.station() || !RELAYED_KINDS.contains(&envelope.kind()) {
            return Ok(Vec::new());
        }
        let concerned: Vec<&StationId> =
            if envelope.from == case.origin { envelope.to.iter().collect() } else { vec![&envelope.from] };
        // A crossed envelope that the replay left without effect moved nothing: nothing to tell.
        let superseded = concerned.iter().any(|s| case.target(s).is_some_and(|t| t.superseded.contains(&envelope.id)));
        let others: Vec<StationId> =
            case.targets.iter().map(|t| t.station.clone()).filter(|s| !concerned.contains(&s)).collect();
        if superseded || others.is_empty() {
            return Ok(Vec::new());
        }
        let officer = match officer.or_else(|| case.handler.clone()) {
            Some(officer) => officer,
            None => requester(unit, case)?.officer,
        };
        let actor = crate::ids::CertIdentity::Station(self.station().clone()).to_string();
        for other in &others {
            let body = Body::Relay(RelayBody::wrap(officer.clone(), inner));
            let relay = self.next_envelope(case, vec![other.clone()], at, body).seal(&self.signer)?;
            let id = case.id;
            case.apply(&relay.envelope, || Ok::<_, E>(unit.case_history(&id)?))?;
            unit.put_envelope(&relay)?;
            unit.enqueue(other, &relay.envelope.id)?;
            unit.audit(
                AuditDraft::new(actor.clone(), "case.relay")
                    .case(case.id)
                    .envelope(relay.envelope.id, relay.digest())
                    .detail(format!("{} {} of {}", envelope.kind(), envelope.id, envelope.from)),
            );
        }
        Ok(others)
    }

    /// At a target: takes the origin's relay `relay` on `case`: opens the envelope it carries
    /// (verified when this station holds its signer's key), checks it against the case and
    /// applies it to the co-target view. Returns the events the desk hears.
    pub(super) fn take_relay(
        &self,
        unit: &Unit<'_>,
        case: &mut CaseRecord,
        relay: &Envelope,
    ) -> Result<Vec<What>, super::inbound::InboundError> {
        let Body::Relay(body) = &relay.body else { return Ok(Vec::new()) };
        if relay.from != case.origin {
            return Err(ApplyError::Relay(crate::case::RelayFault::NotFromOrigin(relay.from.clone())).into());
        }
        let opened = body.open(&self.keys).map_err(|e| ApplyError::Relay(e.into()))?;
        let request = requester(unit, case)?;
        let moved = case.apply_relay(relay, &opened.envelope, self.station(), &request)?;
        if !opened.verified {
            tracing::debug!(case = %case.id, signer = %opened.envelope.from, "relayed envelope taken on the origin's word: its signer's key is not held here");
        }
        Ok(co_target_events(case, &opened.envelope, moved))
    }

    /// At a target: an origin's close or withdrawal addressed to this station and others at
    /// once also tells of the others: applied to the co-target view.
    pub(super) fn note_co_addressees(
        &self,
        unit: &Unit<'_>,
        case: &mut CaseRecord,
        envelope: &Envelope,
    ) -> Result<Vec<What>, super::inbound::InboundError> {
        let me = self.station();
        let tells = envelope.from == case.origin
            && envelope.to.iter().any(|s| s != me)
            && RELAYED_KINDS.contains(&envelope.kind());
        if !tells {
            return Ok(Vec::new());
        }
        let request = requester(unit, case)?;
        let moved = case.apply_co_target(envelope, me, &request)?;
        Ok(co_target_events(case, envelope, moved))
    }
}

/// The desk's events for co-targets that moved.
fn co_target_events(case: &CaseRecord, inner: &Envelope, moved: Vec<Transition>) -> Vec<What> {
    moved
        .into_iter()
        .filter(|t| t.before != t.after)
        .map(|t| What::CaseUpdated {
            case: case.id,
            by: inner.from.clone(),
            action: Some(inner.kind()),
            target: t.target,
            state: t.after,
            priority: case.priority,
        })
        .collect()
}

/// The request of `case`, from its stored envelopes.
fn requester(unit: &Unit<'_>, case: &CaseRecord) -> Result<RequestBody, StoreError> {
    unit.case_history(&case.id)?
        .into_iter()
        .find_map(|e| match e.body {
            Body::Request(request) if e.id == case.request => Some(*request),
            _ => None,
        })
        .ok_or_else(|| StoreError::Corrupt(format!("case {} is stored without its request", case.id)))
}
