//! Reconciling with peers after a restore. A node restored from an older backup has lost what
//! happened since; its peers still hold it. Each peer, asked with the backup's time, returns
//! every envelope the two exchanged since then, both ways, each with the receipt its receiver
//! signed. The restored node takes them back in time order: its own envelopes as sent (not
//! sent again), the peer's as received (with the receipt it had issued), so both end up with
//! the same signed record.

use time::OffsetDateTime;

use super::{InboundError, Node, NodeError};
use crate::case::{ApplyError, CaseRecord};
use crate::envelope::{EnvelopeError, Kind, SealedEnvelope, SealedReceipt, SealedReconcileAsk};
use crate::ids::{CertIdentity, StationId};
use crate::store::{AuditDraft, StoreError};

/// Most envelopes returned by one reconciliation answer; the asker continues from the last.
pub const RECONCILE_PAGE: usize = 2000;

/// How far before the backup's time a restored node asks from. Envelopes are indexed by their
/// own time, and a peer whose clock runs slow dates envelopes early; a day covers any clock
/// that is merely wrong, and whatever is already held is skipped.
pub const RECONCILE_MARGIN: time::Duration = time::Duration::days(1);

/// One of the asker's own envelopes, returned with the receipt the peer signed for it.
#[derive(Debug, Clone)]
pub struct Returned {
    /// The envelope's wire bytes.
    pub envelope: Vec<u8>,
    /// The peer's receipt for it.
    pub receipt: Option<Vec<u8>>,
}

/// Why a reconciliation request is refused. What two stations exchanged goes only to a
/// request the peer signed with its own key, for this station, within the clock skew: a
/// certificate naming the peer is not enough.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileRefusal {
    /// Not a signed request, or its signature or key does not hold.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// Signed by another station than the one whose certificate sent it.
    #[error("signed by {signer} but sent with the certificate of {peer}")]
    SignerMismatch {
        /// Who signed it.
        signer: StationId,
        /// Whose certificate made the connection.
        peer: StationId,
    },
    /// Signed for another station.
    #[error("signed for {to}, not for this station ({me})")]
    NotForUs {
        /// The station it names.
        to: StationId,
        /// This station.
        me: StationId,
    },
    /// Signed further from this station's clock than the allowed skew: an old request
    /// replayed, or a clock that is wrong.
    #[error("signed at {at}, more than the allowed clock skew from this station's clock ({now}); sign it afresh")]
    Stale {
        /// When it was signed.
        at: String,
        /// This station's time.
        now: String,
    },
}

impl ReconcileRefusal {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Envelope(e) => e.code(),
            Self::SignerMismatch { .. } => "signer_mismatch",
            Self::NotForUs { .. } => "bad_addressing",
            Self::Stale { .. } => "stale_request",
        }
    }

    /// True when the request was readable but not the peer's own, for this station, now:
    /// forbidden rather than malformed.
    pub fn is_forbidden(&self) -> bool {
        match self {
            Self::Envelope(e) => matches!(
                e,
                EnvelopeError::UnknownKey(_)
                    | EnvelopeError::BadSignature
                    | EnvelopeError::SignerMismatch { .. }
                    | EnvelopeError::KeyNotUsable { .. }
            ),
            _ => true,
        }
    }
}

impl Node {
    /// Checks `peer`'s signed reconciliation request (`body`, as sent) the way inbound
    /// envelopes are checked: signature first, then signer against the connection, addressee,
    /// and the clock. Returns the time it asks from.
    pub fn admit_reconciliation(&self, peer: &StationId, body: &[u8]) -> Result<OffsetDateTime, ReconcileRefusal> {
        let ask = SealedReconcileAsk::open(body, &self.keys)?.statement;
        if &ask.from != peer {
            return Err(ReconcileRefusal::SignerMismatch { signer: ask.from, peer: peer.clone() });
        }
        if &ask.to != self.station() {
            return Err(ReconcileRefusal::NotForUs { to: ask.to, me: self.station().clone() });
        }
        let (now, skew) = (self.now(), self.config.clock_skew());
        if ask.at > now + skew || ask.at < now - skew {
            return Err(ReconcileRefusal::Stale { at: crate::clock::rfc3339(ask.at), now: crate::clock::rfc3339(now) });
        }
        Ok(ask.since)
    }

    /// Answers `peer`'s reconciliation request with (a page of) every envelope exchanged with
    /// it since `since`, oldest first, each with the receipt its receiver signed.
    pub async fn answer_reconciliation(
        &self,
        peer: &StationId,
        since: OffsetDateTime,
    ) -> Result<(Vec<Returned>, bool), NodeError> {
        let mut ids: Vec<(OffsetDateTime, crate::ids::EnvelopeId, StationId)> = Vec::new();
        for (sent, receipt_issuer) in [(true, peer.clone()), (false, self.station().clone())] {
            for id in self.store.exchanged_with(peer, sent, since)? {
                if let Some(stored) = self.store.envelope(&id)? {
                    ids.push((stored.meta.at, id, receipt_issuer.clone()));
                }
            }
        }
        ids.sort();
        let complete = ids.len() <= RECONCILE_PAGE;
        let mut returned = Vec::new();
        for (_, id, issuer) in ids.into_iter().take(RECONCILE_PAGE) {
            let Some(stored) = self.store.envelope(&id)? else { continue };
            returned.push(Returned { envelope: stored.wire, receipt: self.store.receipt(&id, &issuer)? });
        }
        let now = self.now();
        let actor = CertIdentity::Station(peer.clone()).to_string();
        let files = self.files_to_return(&returned)?;
        self.store.write(now, |unit| {
            unit.audit(AuditDraft::new(actor.clone(), "peer.reconcile").detail(format!(
                "since {}: {} envelopes returned, {} attachment files sent again",
                crate::clock::rfc3339(since),
                returned.len(),
                files.len()
            )));
            for (sha256, size) in &files {
                unit.requeue_file(peer, sha256, *size)?;
            }
            Ok::<_, NodeError>(())
        })?;
        self.store.durable().await?;
        if !files.is_empty()
            && let Some(signals) = self.signals.get(peer)
        {
            signals.files.notify_one();
        }
        tracing::info!(%peer, since = %crate::clock::rfc3339(since), returned = returned.len(), "reconciliation answered");
        Ok((returned, complete))
    }

    /// The files the returned envelopes name that are kept here: the asker lost them with what
    /// it exchanged since its backup, its own uploads among them, and gets them again.
    fn files_to_return(
        &self,
        returned: &[Returned],
    ) -> Result<Vec<(crate::domain::attachment::Sha256, u64)>, NodeError> {
        let mut files = Vec::new();
        for item in returned {
            let Ok(envelope) = crate::envelope::Envelope::from_stored(&item.envelope) else { continue };
            for attachment in envelope.body.attachments() {
                if self.store.file_info(&attachment.sha256)?.is_some()
                    && !files.iter().any(|(sha, _)| *sha == attachment.sha256)
                {
                    files.push((attachment.sha256, attachment.size));
                }
            }
        }
        Ok(files)
    }

    /// Takes back what `peer` returned, in time order: this node's own envelopes as sent (not
    /// sent again), the peer's as received, each with its receipt. Envelopes already held are
    /// skipped. Returns how many were taken back, and those that follow an envelope not yet
    /// returned (a skewed clock dated them early): the caller offers them again with the next page.
    pub async fn take_back(&self, peer: &StationId, returned: Vec<Returned>) -> Result<TakenBack, NodeError> {
        let mut items: Vec<(SealedEnvelope, Option<SealedReceipt>)> = Vec::new();
        for item in returned {
            let Ok(sealed) = SealedEnvelope::open(&item.envelope, &self.keys) else { continue };
            let envelope = &sealed.envelope;
            let ours = &envelope.from == self.station() && envelope.to.contains(peer);
            let theirs = &envelope.from == peer && envelope.to.contains(self.station());
            if !ours && !theirs {
                continue;
            }
            let signer = if ours { peer } else { self.station() };
            let receipt = item
                .receipt
                .and_then(|r| SealedReceipt::open(&r, &self.keys).ok())
                .filter(|r| r.matches(&sealed) && &r.statement.from == signer);
            items.push((sealed, receipt));
        }
        items.sort_by_key(|(sealed, _)| (sealed.envelope.at, sealed.envelope.id));
        in_signing_order(&mut items);
        let now = self.now();
        let (back, _) = self.store.write(now, |unit| {
            let mut taken = 0;
            // Time order is causal order unless clocks were skewed; an envelope that saw one
            // not yet taken back waits for the next pass.
            let mut pending: Vec<&(SealedEnvelope, Option<SealedReceipt>)> = items.iter().collect();
            loop {
                let before = pending.len();
                let mut later = Vec::new();
                for item in pending {
                    match self.take_back_one(unit, peer, &item.0, item.1.as_ref(), now)? {
                        TakeBack::Taken => taken += 1,
                        TakeBack::Skipped => {}
                        TakeBack::Later => later.push(item),
                    }
                }
                pending = later;
                if pending.is_empty() || pending.len() == before {
                    break;
                }
            }
            unit.audit(
                AuditDraft::new(CertIdentity::Station(peer.clone()).to_string(), "peer.reconciled")
                    .detail(format!("{taken} envelopes taken back")),
            );
            let waiting = pending
                .into_iter()
                .map(|(sealed, receipt)| Returned {
                    envelope: sealed.wire(),
                    receipt: receipt.as_ref().map(SealedReceipt::wire),
                })
                .collect();
            Ok::<_, NodeError>(TakenBack { taken, waiting })
        })?;
        self.store.durable().await?;
        Ok(back)
    }

    /// Takes back one returned envelope: the peer's as received, or one of this node's own.
    fn take_back_one(
        &self,
        unit: &mut crate::store::Unit<'_>,
        peer: &StationId,
        sealed: &SealedEnvelope,
        receipt: Option<&SealedReceipt>,
        now: OffsetDateTime,
    ) -> Result<TakeBack, NodeError> {
        let held = unit.envelope(&sealed.envelope.id)?.is_some();
        if &sealed.envelope.from != peer {
            return self.take_back_own(unit, peer, sealed, receipt, held);
        }
        if held {
            return Ok(TakeBack::Skipped);
        }
        Ok(match self.store_inbound(unit, sealed, now, receipt) {
            Ok(_) => TakeBack::Taken,
            Err(InboundError::Apply(e)) if waits_for_another(&e) => TakeBack::Later,
            Err(_) => TakeBack::Skipped,
        })
    }

    /// Takes back one of this node's own envelopes.
    fn take_back_own(
        &self,
        unit: &mut crate::store::Unit<'_>,
        peer: &StationId,
        sealed: &SealedEnvelope,
        receipt: Option<&SealedReceipt>,
        held: bool,
    ) -> Result<TakeBack, NodeError> {
        let envelope = &sealed.envelope;
        let mut case = match (envelope.kind(), unit.case(&envelope.case)?) {
            (_, existing) if held => existing,
            (Kind::Request, None) => {
                let mut case = CaseRecord::open(envelope, self.station(), envelope.at)?;
                // A request lost with the store comes back with its sender as handler.
                case.take_on(envelope, self.station());
                Some(case)
            }
            (Kind::Request, Some(_)) => None,
            (_, Some(mut case)) => {
                match case.apply(envelope, || Ok::<_, NodeError>(unit.case_history(&envelope.case)?)) {
                    Ok(_) => {
                        // So does an acknowledgement, with the officer who signed it.
                        case.take_on(envelope, self.station());
                        Some(case)
                    }
                    Err(NodeError::Apply(e)) if waits_for_another(&e) => return Ok(TakeBack::Later),
                    Err(_) => None,
                }
            }
            (_, None) => return Ok(TakeBack::Later),
        };
        let Some(case) = case.as_mut() else { return Ok(TakeBack::Skipped) };
        if !held {
            unit.put_envelope(sealed)?;
        }
        if let Some(receipt) = receipt {
            unit.put_receipt(&envelope.id, peer, receipt.wire());
            if envelope.kind() == Kind::Request {
                case.apply_receipt(peer, receipt.statement.stored_at)?;
            }
        }
        unit.put_case(case)?;
        Ok(if held { TakeBack::Skipped } else { TakeBack::Taken })
    }

    /// Marks every peer as owed a reconciliation if the store was just restored.
    pub(super) fn plan_reconciliation(&self) -> Result<(), StoreError> {
        let peers: Vec<StationId> = self.config.peers.iter().map(|p| p.id.clone()).collect();
        if let Some(since) = self.store.plan_reconciliation(&peers)? {
            tracing::warn!(since = %crate::clock::rfc3339(since), "restored from a backup: asking every peer for what it lacks");
        }
        Ok(())
    }
}

/// Puts each sender's envelopes of a case in `seq` order, each group keeping the places it
/// has in time order. A case takes a sender's envelopes only in the order it signed them;
/// a clock set back between two of them must not make the later one come first.
fn in_signing_order(items: &mut [(SealedEnvelope, Option<SealedReceipt>)]) {
    let mut groups: std::collections::BTreeMap<(crate::ids::CaseId, &StationId), Vec<usize>> = Default::default();
    let keys: Vec<_> = items.iter().map(|(sealed, _)| (sealed.envelope.case, sealed.envelope.from.clone())).collect();
    for (place, (case, from)) in keys.iter().enumerate() {
        groups.entry((*case, from)).or_default().push(place);
    }
    for places in groups.values() {
        let mut members: Vec<_> = places.iter().map(|&place| items[place].clone()).collect();
        members.sort_by_key(|(sealed, _)| sealed.envelope.seq);
        for (&place, member) in places.iter().zip(members) {
            items[place] = member;
        }
    }
}

/// True when an envelope was refused only because one it follows (its case's request, or one
/// it had seen) is not back yet.
fn waits_for_another(error: &ApplyError) -> bool {
    matches!(error, ApplyError::UnknownCase | ApplyError::HistoryMissing { .. })
}

/// The result of taking back one page.
#[derive(Debug, Default)]
pub struct TakenBack {
    /// Envelopes stored that were missing.
    pub taken: usize,
    /// Envelopes that follow one not returned yet.
    pub waiting: Vec<Returned>,
}

/// What became of one envelope a peer returned.
enum TakeBack {
    /// It was missing here and is now stored.
    Taken,
    /// Already held, or not acceptable: nothing to do.
    Skipped,
    /// It follows an envelope not yet taken back; try again after the others.
    Later,
}
