//! A unit of work: reads of committed data, writes buffered until one transaction commits
//! them all together with their audit entries.

use std::collections::{BTreeMap, BTreeSet};

use time::OffsetDateTime;

use super::audit::{AuditDraft, AuditEntry, GENESIS};
use super::envelope_value::EnvelopeValue;
use super::keys::{self, index_entries};
use super::late;
use super::{DeadLetter, EnvelopeMeta, META_AUDIT_HEAD, Store, StoreError, StoredEnvelope, TreeId, case_value, codec};
use crate::case::CaseRecord;
use crate::domain::details::SubjectKey;
use crate::envelope::SealedEnvelope;
use crate::ids::{CaseId, EnvelopeId, StationId};
use crate::stats::{Dims, Tally, contributions};

/// One buffered write.
#[derive(Debug)]
pub(super) struct Op {
    pub tree: TreeId,
    pub key: Vec<u8>,
    /// `None` removes the key.
    pub value: Option<Vec<u8>>,
}

/// Reads and buffered writes of one state change. See [`Store::write`].
pub struct Unit<'s> {
    store: &'s Store,
    pub(super) inner: std::sync::Arc<super::Inner>,
    at: OffsetDateTime,
    ops: Vec<Op>,
    cases: BTreeMap<CaseId, CaseRecord>,
    /// Timeline entries of envelopes put in this unit, by case; written with the case's value.
    timelines: BTreeMap<CaseId, Vec<case_value::Entry>>,
    subjects: BTreeMap<SubjectKey, Vec<CaseId>>,
    outbox_next: BTreeMap<StationId, u64>,
    tallies: BTreeMap<(TreeId, Vec<u8>), Tally>,
    /// Late-target counts (keys in `meta`) as this unit has left them.
    late_counts: BTreeMap<Vec<u8>, u64>,
    /// This station's next reference number per year, as this unit has left it.
    pub(super) refno_next: BTreeMap<u16, u32>,
    /// Audit drafts with the time each was recorded at.
    audit: Vec<(AuditDraft, OffsetDateTime)>,
    /// Envelopes put in this unit, for [`Unit::case_history`].
    envelopes: Vec<crate::envelope::Envelope>,
    /// Values of the envelopes put in this unit, written when it commits: a receipt this
    /// station issues for one of them is kept in its value.
    envelope_values: BTreeMap<EnvelopeId, EnvelopeValue>,
    /// Events for the desk, numbered when the unit commits.
    pub(super) events: Vec<crate::events::Event>,
    /// Idempotency keys recorded in this unit, so a second request with the same key in the
    /// same unit finds the first.
    pub(super) sent_keys: BTreeMap<Vec<u8>, super::SentKey>,
}

impl<'s> Unit<'s> {
    pub(super) fn new(store: &'s Store, inner: std::sync::Arc<super::Inner>, at: OffsetDateTime) -> Self {
        Self {
            store,
            inner,
            at,
            ops: Vec::new(),
            cases: BTreeMap::new(),
            timelines: BTreeMap::new(),
            subjects: BTreeMap::new(),
            outbox_next: BTreeMap::new(),
            tallies: BTreeMap::new(),
            late_counts: BTreeMap::new(),
            refno_next: BTreeMap::new(),
            audit: Vec::new(),
            envelopes: Vec::new(),
            envelope_values: BTreeMap::new(),
            events: Vec::new(),
            sent_keys: BTreeMap::new(),
        }
    }

    /// The station whose store this is.
    pub(super) fn station(&self) -> &StationId {
        self.store.station()
    }

    /// The time this unit records its changes at.
    pub fn at(&self) -> OffsetDateTime {
        self.at
    }

    /// Moves the time the following changes are recorded at (stored-at times, audit times).
    /// A bulk load puts many state changes in one unit, each at its own time, and leaves
    /// exactly what one unit per change would have left. Times must not go backwards.
    pub fn set_at(&mut self, at: OffsetDateTime) {
        self.at = self.at.max(at);
    }

    /// A case, as this unit has left it so far.
    pub fn case(&self, id: &CaseId) -> Result<Option<CaseRecord>, StoreError> {
        match self.cases.get(id) {
            Some(case) => Ok(Some(case.clone())),
            None => self.store.case(id),
        }
    }

    /// A stored envelope (committed ones only; a unit never needs its own back).
    pub fn envelope(&self, id: &EnvelopeId) -> Result<Option<StoredEnvelope>, StoreError> {
        self.store.envelope(id)
    }

    /// Every envelope of a case, stored or put in this unit, in no particular order.
    pub fn case_history(&self, case: &CaseId) -> Result<Vec<crate::envelope::Envelope>, StoreError> {
        let mut history = Vec::new();
        for stored in self.store.timeline(case)? {
            let envelope = crate::envelope::Envelope::from_stored(&stored.wire)
                .map_err(|e| StoreError::Corrupt(format!("stored envelope {} does not parse: {e}", stored.meta.id)))?;
            history.push(envelope);
        }
        history.extend(self.envelopes.iter().filter(|e| &e.case == case).cloned());
        Ok(history)
    }

    /// A stored receipt.
    pub fn receipt(&self, envelope: &EnvelopeId, issuer: &StationId) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.receipt(envelope, issuer)
    }

    /// Stores an envelope's signed bytes and adds it to its case's timeline.
    pub fn put_envelope(&mut self, sealed: &SealedEnvelope) -> Result<(), StoreError> {
        let envelope = &sealed.envelope;
        let meta = EnvelopeMeta {
            id: envelope.id,
            sha256: hex::encode(sealed.digest()),
            case: envelope.case,
            from: envelope.from.clone(),
            kind: envelope.kind(),
            at: envelope.at,
            stored_at: self.at,
        };
        if self.store.indexes_search() {
            self.index_request(envelope);
        }
        self.envelopes.push(envelope.clone());
        self.envelope_values.insert(envelope.id, EnvelopeValue { meta, wire: sealed.wire(), own_receipt: None });
        self.timelines.entry(envelope.case).or_default().push(case_value::entry(envelope.at, &envelope.id));
        // The files an envelope names are the case's from now on (here already, or to come).
        for attachment in envelope.body.attachments() {
            self.link_file(&attachment.sha256, &envelope.case);
        }
        if &envelope.from == self.store.station() {
            // Files follow their envelope on a queue of their own: a large photo never holds
            // back the next request.
            for peer in &envelope.to {
                for attachment in envelope.body.attachments() {
                    self.queue_file(peer, &attachment.sha256, attachment.size)?;
                }
            }
            for peer in &envelope.to {
                self.put(
                    TreeId::PeerdirtimeEnvelope,
                    keys::exchange(peer, true, envelope.at, &envelope.id),
                    Vec::new(),
                );
            }
        } else {
            self.put(
                TreeId::PeerdirtimeEnvelope,
                keys::exchange(&envelope.from, false, envelope.at, &envelope.id),
                Vec::new(),
            );
        }
        Ok(())
    }

    /// Stores a case's new state (written when the unit commits), moves its index entries to
    /// match, and adjusts the statistics by the difference between its old and new
    /// contributions.
    pub fn put_case(&mut self, case: &CaseRecord) -> Result<(), StoreError> {
        let me = self.store.station().clone();
        let old = self.case(&case.id)?;
        if let Some(old) = &old {
            for (dims, tally) in contributions(old, &me) {
                self.add_tally(&dims, &tally, -1)?;
            }
        }
        for (dims, tally) in contributions(case, &me) {
            self.add_tally(&dims, &tally, 1)?;
        }
        let mut late: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
        for key in old.iter().flat_map(|old| late::count_keys(old, &me)) {
            *late.entry(key).or_default() -= 1;
        }
        for key in late::count_keys(case, &me) {
            *late.entry(key).or_default() += 1;
        }
        for (key, delta) in late.into_iter().filter(|(_, delta)| *delta != 0) {
            self.add_late_count(key, delta)?;
        }
        // A case of this station's that is new here carries a number given here: by this unit,
        // or before a restore, now returned by a partner.
        if let Some(refno) = case.refno.as_ref().filter(|_| case.origin == me && old.is_none()) {
            self.raise_counter(refno.year, refno.number)?;
        }
        let before = old.map(|old| index_entries(&old, &me)).unwrap_or_default();
        let after = index_entries(case, &me);
        for (tree, key) in before.keys().filter(|entry| !after.contains_key(*entry)) {
            self.ops.push(Op { tree: *tree, key: key.clone(), value: None });
        }
        for ((tree, key), value) in after {
            if before.get(&(tree, key.clone())) != Some(&value) {
                self.put(tree, key, value);
            }
        }
        self.cases.insert(case.id, case.clone());
        Ok(())
    }

    fn add_tally(&mut self, dims: &Dims, delta: &Tally, sign: i64) -> Result<(), StoreError> {
        for (tree, key) in super::stats::bucket_keys(dims) {
            let slot = (tree, key);
            let mut tally = match self.tallies.remove(&slot) {
                Some(tally) => tally,
                None => self.store.read_tally(tree, &slot.1)?,
            };
            tally.add(delta, sign);
            if tally.is_empty() {
                self.ops.push(Op { tree, key: slot.1.clone(), value: None });
            } else {
                self.put(tree, slot.1.clone(), super::tally_codec::encode(&tally));
            }
            self.tallies.insert(slot, tally);
        }
        Ok(())
    }

    fn add_late_count(&mut self, key: Vec<u8>, delta: i64) -> Result<(), StoreError> {
        let count = match self.late_counts.get(&key) {
            Some(count) => *count,
            None => match self.inner.trees.meta.get(&key)? {
                Some(value) => late::decode_count(&value)?,
                None => 0,
            },
        };
        let count = late::adjusted(count, delta, &key);
        if count == 0 {
            self.ops.push(Op { tree: TreeId::Meta, key: key.clone(), value: None });
        } else {
            self.put(TreeId::Meta, key.clone(), late::encode_count(count));
        }
        self.late_counts.insert(key, count);
        Ok(())
    }

    /// Stores a signed receipt for `envelope` issued by `issuer`.
    pub fn put_receipt(&mut self, envelope: &EnvelopeId, issuer: &StationId, wire: Vec<u8>) {
        if issuer == self.store.station()
            && let Some(value) = self.envelope_values.get_mut(envelope)
        {
            value.own_receipt = Some(wire);
        } else {
            self.put(TreeId::EnvelopestationReceipt, keys::receipt(envelope, issuer), wire);
        }
    }

    /// Open cases that name `subject`.
    pub fn subject_cases(&self, subject: &SubjectKey) -> Result<Vec<CaseId>, StoreError> {
        if let Some(cases) = self.subjects.get(subject) {
            return Ok(cases.clone());
        }
        match self.inner.trees.subject_cases.get(subject.index_key())? {
            Some(value) => codec::decode(&value, "subject index"),
            None => Ok(Vec::new()),
        }
    }

    /// Replaces the open cases that name `subject`.
    pub fn set_subject_cases(&mut self, subject: &SubjectKey, cases: Vec<CaseId>) -> Result<(), StoreError> {
        let key = subject.index_key();
        if cases.is_empty() {
            self.ops.push(Op { tree: TreeId::SubjectCases, key, value: None });
        } else {
            self.put(TreeId::SubjectCases, key, codec::encode(&cases)?);
        }
        self.subjects.insert(subject.clone(), cases);
        Ok(())
    }

    /// Queues `envelope` for delivery to `peer`, behind everything already queued for it.
    pub fn enqueue(&mut self, peer: &StationId, envelope: &EnvelopeId) -> Result<(), StoreError> {
        let next = match self.outbox_next.get(peer) {
            Some(next) => *next,
            None => self.read_counter(peer)?,
        };
        self.put(TreeId::PeerseqOutbox, keys::outbox(peer, next), envelope.as_bytes().to_vec());
        self.outbox_next.insert(peer.clone(), next + 1);
        Ok(())
    }

    /// The envelope committed at position `seq` of `peer`'s outbox, if it is still there.
    pub fn queued(&self, peer: &StationId, seq: u64) -> Result<Option<EnvelopeId>, StoreError> {
        let value = self.inner.trees.peerseq_outbox.get(keys::outbox(peer, seq))?;
        value.map(|value| super::outbox::queued_envelope(&value)).transpose()
    }

    /// Removes delivered entries from `peer`'s outbox.
    pub fn dequeue(&mut self, peer: &StationId, seqs: &[u64]) {
        for seq in seqs {
            self.ops.push(Op { tree: TreeId::PeerseqOutbox, key: keys::outbox(peer, *seq), value: None });
        }
    }

    /// Moves an outbox entry the peer refused for good to its dead-letter list.
    pub fn dead_letter(&mut self, peer: &StationId, letter: &DeadLetter) -> Result<(), StoreError> {
        self.dequeue(peer, &[letter.seq]);
        self.put(TreeId::PeerseqDeadletter, keys::outbox(peer, letter.seq), codec::encode(letter)?);
        Ok(())
    }

    /// Takes `peer`'s dead letters (those of `case` only, if given) off its dead-letter list
    /// and queues their envelopes again at the end of the outbox, in the order they were first
    /// queued; returns them.
    pub fn requeue_dead_letters(
        &mut self,
        peer: &StationId,
        case: Option<CaseId>,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let letters = super::outbox::dead_letters_in(&self.inner.trees.peerseq_deadletter, peer, case)
            .collect::<Result<Vec<_>, StoreError>>()?;
        for letter in &letters {
            self.ops.push(Op { tree: TreeId::PeerseqDeadletter, key: keys::outbox(peer, letter.seq), value: None });
            self.enqueue(peer, &letter.envelope)?;
        }
        Ok(letters)
    }

    /// Records an audit entry in this unit's transaction.
    pub fn audit(&mut self, draft: AuditDraft) {
        self.audit.push((draft, self.at));
    }

    /// Writes the value of every case this unit changed or added envelopes to: its record as
    /// the unit left it, its stored timeline and the envelopes put in this unit.
    fn put_case_values(&mut self) -> Result<(), StoreError> {
        let mut timelines = std::mem::take(&mut self.timelines);
        let touched: BTreeSet<CaseId> = self.cases.keys().chain(timelines.keys()).copied().collect();
        for id in touched {
            let stored = self.inner.trees.caseid_case.get(id.as_bytes())?;
            let record = match (self.cases.remove(&id), &stored) {
                (Some(record), _) => record,
                (None, Some(value)) => case_value::record(value)?,
                (None, None) => {
                    return Err(StoreError::Corrupt(format!(
                        "an envelope was stored for case {id}, which has no record"
                    )));
                }
            };
            let mut timeline = stored.as_deref().map(case_value::timeline).transpose()?.unwrap_or_default();
            timeline.extend(timelines.remove(&id).unwrap_or_default());
            timeline.sort_unstable();
            timeline.dedup();
            self.put(TreeId::CaseidCase, id.as_bytes().to_vec(), case_value::encode(&record, &timeline)?);
        }
        Ok(())
    }

    fn read_counter(&self, peer: &StationId) -> Result<u64, StoreError> {
        let value = self.inner.trees.meta.get(keys::outbox_counter(peer))?;
        Ok(value.and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok()).map_or(0, u64::from_be_bytes))
    }

    pub(super) fn put(&mut self, tree: TreeId, key: Vec<u8>, value: Vec<u8>) {
        self.ops.push(Op { tree, key, value: Some(value) });
    }

    #[cfg(test)]
    pub(super) fn remove(&mut self, tree: TreeId, key: Vec<u8>) {
        self.remove_key(tree, key);
    }

    pub(super) fn remove_key(&mut self, tree: TreeId, key: Vec<u8>) {
        self.ops.push(Op { tree, key, value: None });
    }

    /// Chains the audit entries, writes counters, and commits everything in one transaction.
    /// Returns the peers that have new outbox entries, to wake their delivery tasks.
    pub(super) fn commit(mut self) -> Result<Vec<StationId>, StoreError> {
        self.put_case_values()?;
        for (id, value) in std::mem::take(&mut self.envelope_values) {
            self.put(TreeId::EnvelopeidEnvelope, id.as_bytes().to_vec(), value.encode()?);
        }
        let drafts = std::mem::take(&mut self.audit);
        if !drafts.is_empty() {
            let (mut seq, mut prev) = self.store.audit_head()?.unwrap_or((0, GENESIS));
            for (draft, at) in drafts {
                seq += 1;
                let entry = AuditEntry::chain(draft, seq, at, prev);
                prev = entry.compute_hash();
                self.put(TreeId::SeqAudit, seq.to_be_bytes().to_vec(), codec::encode(&entry)?);
            }
            self.put(TreeId::Meta, META_AUDIT_HEAD.to_vec(), [seq.to_be_bytes().as_slice(), &prev].concat());
        }
        let events = std::mem::take(&mut self.events);
        let mut event_ops = Vec::new();
        let last_event = self.store.write_events(events, &mut |tree, key, value| {
            event_ops.push(Op { tree, key, value: Some(value) });
        })?;
        self.ops.extend(event_ops);
        let outbox_next = std::mem::take(&mut self.outbox_next);
        for (peer, next) in &outbox_next {
            self.put(TreeId::Meta, keys::outbox_counter(peer), next.to_be_bytes().to_vec());
        }
        if !self.ops.is_empty() {
            self.inner.flusher.commit_begun();
            let committed = self.store.run_transaction(&self.inner, &self.ops);
            self.inner.flusher.commit_finished();
            committed?;
            if let Some(last) = last_event {
                self.store.events_committed.fetch_max(last, std::sync::atomic::Ordering::AcqRel);
            }
            let periods =
                self.tallies.keys().filter_map(|(tree, key)| Some((*tree, super::stats::period_of_key(key)?)));
            self.inner.tallies.changed(periods);
        }
        Ok(outbox_next.into_keys().collect::<BTreeSet<_>>().into_iter().collect())
    }
}
