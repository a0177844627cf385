//! Envelopes arriving from peers. Verify, then check the context, then store and apply in one
//! unit, then flush, and only then sign the receipt that tells the sender it may forget.
//!
//! Order of checks: the signature over the exact bytes (and the key's owner is `from`), then
//! `from` against the TLS identity, `to` against this station, the time against the clock
//! window, then the case and the lifecycle. A known id with the same bytes is a duplicate and
//! gets the first receipt again; a known id with other bytes is a conflict.

use time::OffsetDateTime;

use super::{Node, subjects};
use crate::case::{ApplyError, CaseRecord};
use crate::envelope::Statement as _;
use crate::envelope::{EnvelopeError, Kind, Receipt, SealedEnvelope};
use crate::events::What;
use crate::ids::StationId;
use crate::keys::KeyUseError;
use crate::protocol::{EnvelopeResult, Status};
use crate::store::{AuditDraft, StoreError, Unit};

/// Why an inbound envelope was refused. Most refusals are permanent: sending the same bytes
/// again cannot succeed. [`InboundError::is_transient`] names those that may pass.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// Refused before any context was consulted (encoding, key, signature, payload).
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// `from` is not the station whose certificate made the connection.
    #[error("envelope claims to come from {from} but the connection is from {peer}")]
    SenderMismatch {
        /// The TLS identity.
        peer: StationId,
        /// The claimed sender.
        from: StationId,
    },
    /// `to` does not include this station.
    #[error("envelope is not addressed to this station")]
    NotAddressedToUs,
    /// `at` lies further in the future than the allowed clock skew.
    #[error("envelope is dated {at}, more than the allowed skew ahead of this station's clock ({now})")]
    FromTheFuture {
        /// The envelope's time.
        at: String,
        /// This node's time.
        now: String,
    },
    /// The same id was seen before with other bytes.
    #[error("envelope id {0} is already stored with different content")]
    Conflict(String),
    /// The case or the lifecycle refused it.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// Storing failed; the sender should try again later.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Not looked at: an earlier envelope of the same batch was refused for a reason that may
    /// pass. A sender's envelopes are taken in its order, so this one waits for that one.
    #[error("not taken yet: an earlier envelope of this batch must be accepted first")]
    HeldBack,
}

impl InboundError {
    /// The stable code sent back to the peer.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Envelope(e) => e.code(),
            Self::SenderMismatch { .. } => "sender_mismatch",
            Self::NotAddressedToUs => "not_addressed_to_us",
            Self::FromTheFuture { .. } => "from_the_future",
            Self::Conflict(_) => "conflict",
            Self::Apply(e) => e.code(),
            Self::Store(_) => "storage_unavailable",
            Self::HeldBack => "held_back",
        }
    }

    /// True when retrying later may succeed: storage trouble here, a clock that is behind, or a
    /// key this station does not hold yet, or holds as valid only from a later time. A key
    /// missing from this station's configuration refuses every envelope signed with it alike,
    /// so the sender's queue waits (its admin sees the code on the peer's health) and goes
    /// through in order once this station's admin adds the key, instead of every envelope
    /// meanwhile becoming a dead letter that is never delivered.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Store(_) | Self::FromTheFuture { .. } | Self::HeldBack => true,
            Self::Envelope(
                EnvelopeError::UnknownKey(_) | EnvelopeError::KeyNotUsable { reason: KeyUseError::NotYetValid, .. },
            ) => true,
            Self::Apply(e) => e.is_transient(),
            _ => false,
        }
    }
}

/// What happened to an inbound envelope that was not refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundOutcome {
    /// Stored and applied now; here is the signed receipt.
    Accepted(Vec<u8>),
    /// Seen before with the same bytes; here is the receipt issued then.
    Duplicate(Vec<u8>),
}

impl InboundOutcome {
    /// The receipt's wire bytes.
    pub fn receipt(&self) -> &[u8] {
        match self {
            Self::Accepted(r) | Self::Duplicate(r) => r,
        }
    }
}

impl From<Result<InboundOutcome, InboundError>> for EnvelopeResult {
    /// The answer for one envelope that the node received (`Ok`) or refused (`Err`).
    fn from(result: Result<InboundOutcome, InboundError>) -> Self {
        match result {
            Ok(outcome) => {
                let status =
                    if matches!(outcome, InboundOutcome::Accepted(_)) { Status::Accepted } else { Status::Duplicate };
                let receipt = String::from_utf8(outcome.receipt().to_vec())
                    .ok()
                    .and_then(|s| serde_json::value::RawValue::from_string(s).ok());
                Self { status, status_code: 200, receipt, code: None, message: None, transient: false }
            }
            Err(e) => Self {
                status: Status::Rejected,
                status_code: match &e {
                    InboundError::Conflict(_) => 409,
                    e if e.is_transient() => 503,
                    _ => 422,
                },
                receipt: None,
                code: Some(e.code().into()),
                message: Some(e.to_string()),
                transient: e.is_transient(),
            },
        }
    }
}

impl Node {
    /// Receives a batch of envelopes from `peer`, in order, and answers each. One flush covers
    /// the whole batch: no receipt leaves before every envelope it vouches for is on disk.
    pub async fn receive_batch(&self, peer: &StationId, wires: &[&[u8]]) -> Vec<Result<InboundOutcome, InboundError>> {
        // A peer that delivers is up: what waits for it need not wait for a timer.
        if let Some(signals) = self.signals(peer) {
            signals.alive.notify_one();
        }
        let now = self.now();
        let mut admitted: Vec<_> = wires.iter().map(|wire| self.admit(peer, wire, now)).collect();
        if let Some(first) = admitted.iter().position(|a| a.as_ref().is_err_and(InboundError::is_transient)) {
            admitted[first + 1..].iter_mut().for_each(|a| *a = Err(InboundError::HeldBack));
        }
        let (mut results, woken) = self.store_admitted(peer, admitted, now);
        let wrote = |r: &Result<InboundOutcome, InboundError>| {
            matches!(r, Ok(InboundOutcome::Accepted(_)) | Err(InboundError::Apply(ApplyError::Equivocation { .. })))
        };
        if results.iter().any(wrote)
            && let Err(e) = self.store.durable().await
        {
            tracing::error!(%peer, error = %e, "flush failed; withholding receipts");
            let failed = || Err(InboundError::Store(StoreError::Flush(e.to_string())));
            results = results.into_iter().map(|r| if r.is_ok() { failed() } else { r }).collect();
            return results;
        }
        // Relays to the other targets of a case went into outboxes with what they relay.
        self.wake(&woken);
        results
    }

    /// Checks one envelope of a batch before anything is stored: signature, sender, addressee,
    /// clock.
    fn admit(&self, peer: &StationId, wire: &[u8], now: OffsetDateTime) -> Result<SealedEnvelope, InboundError> {
        let sealed = SealedEnvelope::open(wire, &self.keys)?;
        let envelope = &sealed.envelope;
        if &envelope.from != peer {
            return Err(InboundError::SenderMismatch { peer: peer.clone(), from: envelope.from.clone() });
        }
        if !envelope.to.contains(self.station()) {
            return Err(InboundError::NotAddressedToUs);
        }
        if envelope.at > now + self.config.clock_skew() {
            return Err(InboundError::FromTheFuture {
                at: crate::clock::rfc3339(envelope.at),
                now: crate::clock::rfc3339(now),
            });
        }
        Ok(sealed)
    }

    /// Stores the admitted envelopes of a batch, each as its own state change. Usually every
    /// one applies, and then they share one transaction: each change costs its writes, not a
    /// transaction of its own. If any is refused, or two share an id (a unit does not see its
    /// own envelopes back as duplicates), nothing of that attempt is kept and each goes in a
    /// transaction of its own, so one bad envelope never takes the others down with it.
    fn store_admitted(
        &self,
        peer: &StationId,
        admitted: Vec<Result<SealedEnvelope, InboundError>>,
        now: OffsetDateTime,
    ) -> (Vec<Result<InboundOutcome, InboundError>>, Vec<StationId>) {
        let sealed: Vec<&SealedEnvelope> = admitted.iter().filter_map(|a| a.as_ref().ok()).collect();
        let ids: std::collections::HashSet<_> = sealed.iter().map(|s| s.envelope.id).collect();
        let together = (sealed.len() > 1 && ids.len() == sealed.len())
            .then(|| {
                self.store.write(now, |unit| {
                    sealed.iter().map(|s| self.store_inbound(unit, s, now, None)).collect::<Result<Vec<_>, _>>()
                })
            })
            .and_then(Result::ok);
        let mut woken: Vec<StationId> = Vec::new();
        let mut outcomes = together.map(|(outcomes, grew)| {
            woken.extend(grew);
            outcomes.into_iter()
        });
        let mut waiting = false;
        let results = admitted
            .into_iter()
            .map(|admitted| {
                let sealed = admitted?;
                if waiting {
                    return Err(InboundError::HeldBack);
                }
                let result = match outcomes.as_mut() {
                    Some(outcomes) => {
                        outcomes.next().ok_or_else(|| StoreError::Corrupt("a batch outcome is missing".into()).into())
                    }
                    None => {
                        self.store.write(now, |unit| self.store_inbound(unit, &sealed, now, None)).map(|(o, grew)| {
                            woken.extend(grew);
                            o
                        })
                    }
                };
                waiting = result.as_ref().is_err_and(InboundError::is_transient);
                if let Err(InboundError::Apply(ApplyError::Equivocation { seq, kept })) = &result {
                    self.keep_equivocation(&sealed, *seq, *kept, now);
                }
                log_outcome(peer, &sealed, &result);
                result
            })
            .collect();
        woken.sort();
        woken.dedup();
        (results, woken)
    }

    /// Keeps a refused envelope that reused one of its sender's `seq`s, with an audit entry,
    /// as evidence against the sender. Failing to keep it changes nothing the sender is told:
    /// the refusal stands either way.
    fn keep_equivocation(&self, sealed: &SealedEnvelope, seq: u32, kept: crate::ids::EnvelopeId, now: OffsetDateTime) {
        let envelope = &sealed.envelope;
        let evidence = crate::store::Equivocation {
            case: envelope.case,
            from: envelope.from.clone(),
            seq,
            kept,
            refused: envelope.id,
            received_at: now,
            refused_wire: sealed.wire(),
        };
        let written = self.store.write(now, |unit| {
            let new = unit.keep_equivocation(&evidence)?;
            if new {
                let actor = crate::ids::CertIdentity::Station(envelope.from.clone()).to_string();
                unit.audit(
                    AuditDraft::new(actor, "envelope.equivocation")
                        .case(envelope.case)
                        .envelope(envelope.id, sealed.digest())
                        .detail(format!("seq {seq} already used by envelope {kept}")),
                );
            }
            Ok::<_, StoreError>(new)
        });
        match written {
            Ok((true, _)) => {
                tracing::error!(from = %envelope.from, case = %envelope.case, seq, %kept, refused = %envelope.id, "a partner signed two envelopes with one seq; the second is kept as evidence")
            }
            Ok((false, _)) => {}
            Err(e) => tracing::error!(error = %e, case = %envelope.case, "evidence of equivocation could not be kept"),
        }
    }

    /// Stores and applies a verified inbound envelope. `restored` is the receipt this node
    /// issued for it before losing it (returned by the peer after a restore): it is kept as it
    /// was, with its time, instead of issuing a new one.
    pub(super) fn store_inbound(
        &self,
        unit: &mut Unit<'_>,
        sealed: &SealedEnvelope,
        now: OffsetDateTime,
        restored: Option<&crate::envelope::SealedReceipt>,
    ) -> Result<InboundOutcome, InboundError> {
        let now = restored.map_or(now, |r| r.statement.stored_at);
        let envelope = &sealed.envelope;
        if let Some(stored) = unit.envelope(&envelope.id)? {
            if stored.wire != sealed.wire() {
                return Err(InboundError::Conflict(envelope.id.to_string()));
            }
            let receipt = unit.receipt(&envelope.id, self.station())?;
            return receipt.map(InboundOutcome::Duplicate).ok_or_else(|| {
                InboundError::Store(StoreError::Corrupt(format!(
                    "envelope {} is stored without its receipt",
                    envelope.id
                )))
            });
        }
        let existing = unit.case(&envelope.case)?;
        let case = match (envelope.kind(), existing) {
            (Kind::Request, Some(_)) => return Err(ApplyError::CaseExists.into()),
            (Kind::Request, None) => {
                let mut case = CaseRecord::open(envelope, self.station(), now)?;
                subjects::flag_same_subject(unit, &mut case)?;
                case
            }
            (_, None) => return Err(ApplyError::UnknownCase.into()),
            (_, Some(mut case)) => {
                // A relay's own checks come first: only the origin relays, and what it carries
                // must be about another party of this case.
                let mut told = match envelope.kind() {
                    Kind::Relay => self.take_relay(unit, &mut case, envelope)?,
                    _ => Vec::new(),
                };
                case.apply(envelope, || Ok::<_, InboundError>(unit.case_history(&envelope.case)?))?;
                // Then what an envelope addressed to several targets says of the others.
                if envelope.kind() != Kind::Relay {
                    told = self.note_co_addressees(unit, &mut case, envelope)?;
                }
                subjects::release_if_closed(unit, &case)?;
                if restored.is_none() {
                    told.into_iter().for_each(|what| unit.event(what));
                }
                case
            }
        };
        let mut case = case;
        if restored.is_none() {
            if envelope.kind() != Kind::Relay {
                unit.event(arrived(&case, envelope, self.station()));
            }
            // At the origin: the other targets hear of it, in this same unit. A partner's
            // envelope recovered after a restore was relayed when it first came.
            self.relay_onward::<InboundError>(unit, &mut case, sealed, None, now)?;
        }
        let receipt = match restored {
            Some(receipt) => receipt.wire(),
            None => Receipt::for_envelope(sealed, self.station().clone(), now).seal(&self.signer)?.wire(),
        };
        unit.put_envelope(sealed)?;
        unit.put_case(&case)?;
        unit.put_receipt(&envelope.id, self.station(), receipt.clone());
        let actor = crate::ids::CertIdentity::Station(envelope.from.clone()).to_string();
        let action = if restored.is_some() { "envelope.recovered" } else { "envelope.receive" };
        unit.audit(AuditDraft::new(actor, action).case(case.id).envelope(envelope.id, sealed.digest()));
        Ok(InboundOutcome::Accepted(receipt))
    }
}

/// The event of a partner's envelope, applied to `case` at `me`.
fn arrived(case: &CaseRecord, envelope: &crate::envelope::Envelope, me: &StationId) -> What {
    if envelope.kind() == Kind::Request {
        return What::RequestReceived {
            case: case.id,
            from: envelope.from.clone(),
            kind: case.kind,
            priority: case.priority,
            title: case.title.clone(),
        };
    }
    // The origin's envelope concerns this station's own target; a target's, that target.
    let target = if envelope.from == case.origin { me.clone() } else { envelope.from.clone() };
    let state = case.target(&target).map_or(crate::domain::lifecycle::TargetState::Sent, |t| t.state);
    What::CaseUpdated {
        case: case.id,
        by: envelope.from.clone(),
        action: Some(envelope.kind()),
        target,
        state,
        priority: case.priority,
    }
}

fn log_outcome(peer: &StationId, sealed: &SealedEnvelope, result: &Result<InboundOutcome, InboundError>) {
    let envelope = &sealed.envelope;
    match result {
        Ok(InboundOutcome::Accepted(_)) => {
            tracing::info!(%peer, case = %envelope.case, envelope = %envelope.id, kind = %envelope.kind(), "envelope received");
        }
        Ok(InboundOutcome::Duplicate(_)) => {
            tracing::debug!(%peer, envelope = %envelope.id, "duplicate envelope; receipt repeated");
        }
        Err(e) => {
            // The message may quote what the partner sent: on one line, nothing that acts.
            let error = crate::domain::text::log_safe(&e.to_string()).into_owned();
            tracing::warn!(%peer, envelope = %envelope.id, code = e.code(), %error, "envelope refused");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(reason: KeyUseError) -> InboundError {
        EnvelopeError::KeyNotUsable { key: "zj-taishun-luoyang#k1".into(), at: "2026-12-05T00:00:00Z".into(), reason }
            .into()
    }

    /// What the receiver's admin can put right (a key to add, a clock to wait for) keeps the
    /// sender's queue waiting; what no later attempt can change becomes a dead letter.
    #[test]
    fn refusals_the_receiver_can_put_right_are_transient() {
        let transient = [
            InboundError::from(EnvelopeError::UnknownKey("zj-taishun-luoyang#k2".into())),
            key(KeyUseError::NotYetValid),
            InboundError::FromTheFuture { at: "later".into(), now: "now".into() },
        ];
        for error in transient {
            assert!(error.is_transient(), "{} should wait", error.code());
        }
        let permanent = [
            InboundError::from(EnvelopeError::BadSignature),
            key(KeyUseError::Expired),
            key(KeyUseError::Revoked),
            InboundError::NotAddressedToUs,
            InboundError::Conflict("id".into()),
        ];
        for error in permanent {
            assert!(!error.is_transient(), "{} should be a dead letter", error.code());
        }
    }
}
