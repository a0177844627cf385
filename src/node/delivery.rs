//! The sending side of federation, as far as it touches the node's state: what waits for a
//! peer, checking the receipts it returns, and recording deliveries and refusals durably.

use std::collections::BTreeSet;

use super::{ADMIN, Node, NodeError, Officer};
use crate::envelope::{EnvelopeError, Kind, SealedReceipt};
use crate::events::What;
use crate::ids::{CaseId, CertIdentity, StationId};
use crate::protocol::{EnvelopeResult, Reading};
use crate::store::{AuditDraft, DeadLetter, StoreError, StoredEnvelope};

/// An envelope waiting in a peer's outbox.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Its position in the outbox.
    pub seq: u64,
    /// The envelope as stored.
    pub stored: StoredEnvelope,
}

/// What a peer answered for one envelope, after the receipt was checked.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Stored by the peer; its receipt verified and names these exact bytes.
    Receipt(Box<SealedReceipt>),
    /// Refused for good; moves to the dead-letter list.
    Refused {
        /// The peer's code.
        code: String,
        /// The peer's explanation.
        message: String,
    },
}

/// Why a receipt is not acceptable proof of delivery.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// Its signature or encoding is bad.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// It is signed by, or addressed to, the wrong station, or names other bytes.
    #[error("receipt does not vouch for this envelope: {0}")]
    Mismatch(&'static str),
}

/// Where reading a peer's answers to a batch stopped: the first envelope that must be sent
/// again, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// The peer's code, or `bad_receipt` / `bad_answer` when its answer does not hold.
    pub code: String,
    /// What happened.
    pub message: String,
}

impl Node {
    /// `peer` says it is back (it started, or reached this station again after failing to):
    /// the delivery task waiting to retry it tries at once, whatever its backoff, so a backlog
    /// moves as soon as the partner can take it rather than at the next turn of a timer.
    pub fn partner_is_back(&self, peer: &StationId) {
        if let Some(signals) = self.signals(peer) {
            tracing::info!(%peer, "partner says it is back");
            signals.alive.notify_one();
        }
    }

    /// Records that deliveries to `peer` fail for want of reaching it (`code`), or work again.
    pub async fn partner_event(
        &self,
        peer: &StationId,
        reachable: bool,
        code: Option<String>,
    ) -> Result<(), NodeError> {
        self.store.write(self.now(), |unit| {
            unit.event(What::Partner { station: peer.clone(), reachable, code });
            Ok::<_, NodeError>(())
        })?;
        self.store.durable().await?;
        Ok(())
    }

    /// Reads a peer's answers to `batch`, one per envelope in order, into answers to record,
    /// up to the first envelope that must be sent again (the peer may accept it later, or
    /// its answer did not hold): those after it are sent again too, so that order is kept.
    pub fn read_answers(
        &self,
        peer: &StationId,
        batch: Vec<Pending>,
        results: Vec<EnvelopeResult>,
    ) -> (Vec<(Pending, Answer)>, Option<Stop>) {
        let mut answers = Vec::new();
        for (pending, result) in batch.into_iter().zip(results) {
            let answer = match result.reading() {
                Reading::Receipt(receipt) => match self.check_receipt(peer, &pending.stored, receipt) {
                    Ok(receipt) => Answer::Receipt(Box::new(receipt)),
                    Err(e) => return (answers, Some(Stop { code: "bad_receipt".into(), message: e.to_string() })),
                },
                Reading::Refused { code, message } => Answer::Refused { code, message },
                Reading::Retry { code, message } => return (answers, Some(Stop { code, message })),
                Reading::Malformed(message) => return (answers, Some(Stop { code: "bad_answer".into(), message })),
            };
            answers.push((pending, answer));
        }
        (answers, None)
    }

    /// Sends again every envelope `peer` refused for good (of `case` only, if given), once the
    /// admin has put the cause right (a public key corrected in the peer's configuration,
    /// say): each goes back to the end of the peer's queue as it was signed, in the order first
    /// queued, and the peer judges it afresh. Returns once that is on disk, with the envelopes
    /// queued again.
    pub async fn resend_dead_letters(
        &self,
        admin: &Officer,
        peer: &StationId,
        case: Option<CaseId>,
    ) -> Result<Vec<DeadLetter>, NodeError> {
        admin.require(ADMIN)?;
        if self.config.peer(peer).is_none() {
            return Err(NodeError::UnknownStation(peer.clone()));
        }
        if let Some(case) = case
            && self.store.case(&case)?.is_none()
        {
            return Err(NodeError::CaseNotFound(case.to_string()));
        }
        let actor = admin.id.to_string();
        let (letters, woken) = self.store.write(self.now(), |unit| {
            let letters = unit.requeue_dead_letters(peer, case)?;
            for letter in &letters {
                let digest = match unit.envelope(&letter.envelope)? {
                    Some(stored) => stored.meta.digest()?,
                    None => {
                        return Err(StoreError::Corrupt(format!(
                            "dead letter for {peer} names missing envelope {}",
                            letter.envelope
                        ))
                        .into());
                    }
                };
                unit.audit(
                    AuditDraft::new(actor.clone(), "envelope.resend")
                        .case(letter.case)
                        .envelope(letter.envelope, digest)
                        .detail(format!("{peer} refused it with {}", letter.code)),
                );
            }
            Ok::<_, NodeError>(letters)
        })?;
        self.store.durable().await?;
        self.wake(&woken);
        tracing::info!(%peer, resent = letters.len(), "dead letters queued again");
        Ok(letters)
    }

    /// The first `limit` envelopes waiting for `peer`, in order.
    pub fn pending(&self, peer: &StationId, limit: usize) -> Result<Vec<Pending>, StoreError> {
        self.pending_from(peer, 0, limit)
    }

    /// The first `limit` envelopes waiting for `peer` from outbox position `from` on, in order.
    pub fn pending_from(&self, peer: &StationId, from: u64, limit: usize) -> Result<Vec<Pending>, StoreError> {
        let mut out = Vec::new();
        for (seq, id) in self.store.outbox(peer, from, limit)? {
            let stored = self
                .store
                .envelope(&id)?
                .ok_or_else(|| StoreError::Corrupt(format!("outbox of {peer} names missing envelope {id}")))?;
            out.push(Pending { seq, stored });
        }
        Ok(out)
    }

    /// Checks that `receipt` is `peer`'s signed statement that it stored exactly `envelope`.
    pub fn check_receipt(
        &self,
        peer: &StationId,
        envelope: &StoredEnvelope,
        receipt: &[u8],
    ) -> Result<SealedReceipt, ReceiptError> {
        let receipt = SealedReceipt::open(receipt, &self.keys)?;
        if &receipt.statement.from != peer {
            return Err(ReceiptError::Mismatch("signed by another station"));
        }
        if &receipt.statement.to != self.station() {
            return Err(ReceiptError::Mismatch("addressed to another station"));
        }
        if !receipt.vouches_for(&envelope.meta.id, &envelope.meta.sha256) {
            return Err(ReceiptError::Mismatch("names other bytes"));
        }
        Ok(receipt)
    }

    /// Records answers for delivered envelopes in one unit: receipts stored (a request's target
    /// becomes `delivered`), refusals moved to dead letters, entries removed from the outbox.
    /// An answer for an entry no longer queued (or answered earlier in the list) changes
    /// nothing; one for an entry that now names another envelope refuses the whole list.
    /// Returns once that is on disk, with whether each answer was recorded now.
    pub async fn record_answers(
        &self,
        peer: &StationId,
        answers: Vec<(Pending, Answer)>,
    ) -> Result<Vec<bool>, NodeError> {
        if answers.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.now();
        let actor = CertIdentity::Station(peer.clone()).to_string();
        let (recorded, _) = self.store.write(now, |unit| {
            let mut answered = BTreeSet::new();
            let mut recorded = Vec::with_capacity(answers.len());
            for (pending, answer) in &answers {
                let meta = &pending.stored.meta;
                let id = meta.id;
                let queued = unit.queued(peer, pending.seq)?;
                let first = queued.is_some() && answered.insert(pending.seq);
                recorded.push(first);
                if !first {
                    continue;
                }
                if let Some(other) = queued.filter(|queued| *queued != id) {
                    return Err(StoreError::Corrupt(format!(
                        "outbox of {peer} holds {other} at {}, not the answered {id}",
                        pending.seq
                    ))
                    .into());
                }
                let digest = meta.digest()?;
                match answer {
                    Answer::Receipt(receipt) => {
                        unit.put_receipt(&id, peer, receipt.wire());
                        if meta.kind == Kind::Request
                            && let Some(mut case) = unit.case(&meta.case)?
                        {
                            if let Some(moved) = case.apply_receipt(peer, receipt.statement.stored_at)? {
                                unit.event(What::CaseUpdated {
                                    case: case.id,
                                    by: peer.clone(),
                                    action: None,
                                    target: moved.target,
                                    state: moved.after,
                                    priority: case.priority,
                                });
                            }
                            unit.put_case(&case)?;
                        }
                        unit.dequeue(peer, &[pending.seq]);
                        unit.audit(
                            AuditDraft::new(actor.clone(), "envelope.delivered").case(meta.case).envelope(id, digest),
                        );
                    }
                    Answer::Refused { code, message } => {
                        let letter = DeadLetter {
                            seq: pending.seq,
                            envelope: id,
                            case: meta.case,
                            kind: meta.kind,
                            code: code.clone(),
                            message: message.clone(),
                            at: now,
                        };
                        unit.dead_letter(peer, &letter)?;
                        unit.audit(
                            AuditDraft::new(actor.clone(), "envelope.refused")
                                .case(meta.case)
                                .envelope(id, digest)
                                .detail(code.clone()),
                        );
                    }
                }
            }
            Ok::<_, NodeError>(recorded)
        })?;
        self.store.durable().await?;
        Ok(recorded)
    }
}
