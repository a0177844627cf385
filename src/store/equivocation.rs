//! Evidence of equivocation: a partner signed two different envelopes with one `seq` on one
//! case. The second was refused and changed nothing; it is kept here, beside the first (held
//! as any envelope is), for the admins and for the case's evidence bundle. One record per
//! station, case and `seq`: the first second statement is the proof, and a partner sending
//! more cannot make the tree grow beyond the envelopes it really exchanged.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Store, StoreError, TreeId, Unit, codec, keys};
use crate::ids::{CaseId, EnvelopeId, StationId};

/// Two envelopes one station signed with the same `seq` on one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Equivocation {
    /// The case.
    pub case: CaseId,
    /// The station that signed both.
    pub from: StationId,
    /// The `seq` it used twice.
    pub seq: u32,
    /// The envelope held here with that `seq`.
    pub kept: EnvelopeId,
    /// The second envelope, refused.
    pub refused: EnvelopeId,
    /// When this station refused it.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// The refused envelope's exact signed bytes.
    #[serde(skip)]
    pub refused_wire: Vec<u8>,
}

impl Unit<'_> {
    /// Keeps the evidence, unless this station, case and `seq` already have some; returns
    /// whether it was written.
    pub fn keep_equivocation(&mut self, evidence: &Equivocation) -> Result<bool, StoreError> {
        let key = keys::equivocation(&evidence.from, &evidence.case, evidence.seq);
        if self.inner.trees.stationcaseseq_equivocation.contains_key(&key)? {
            return Ok(false);
        }
        self.put(TreeId::StationcaseseqEquivocation, key, codec::encode_with_raw(evidence, &evidence.refused_wire)?);
        Ok(true)
    }
}

impl Store {
    /// What `station` signed twice, oldest case first, at most `limit` records.
    pub fn equivocations_by(&self, station: &StationId, limit: usize) -> Result<Vec<Equivocation>, StoreError> {
        let tree = &self.inner()?.trees.stationcaseseq_equivocation;
        tree.scan_prefix(keys::station_segment(station)).take(limit).map(|item| decode(&item?.1)).collect()
    }

    /// What any of `parties` signed twice on `case`.
    pub fn equivocations_of_case(&self, case: &CaseId, parties: &[StationId]) -> Result<Vec<Equivocation>, StoreError> {
        let tree = &self.inner()?.trees.stationcaseseq_equivocation;
        let mut found = Vec::new();
        for party in parties {
            let prefix = [keys::station_segment(party).as_slice(), case.as_bytes()].concat();
            for item in tree.scan_prefix(prefix) {
                found.push(decode(&item?.1)?);
            }
        }
        Ok(found)
    }

    /// How many records of equivocation `station` has here.
    pub fn equivocation_count(&self, station: &StationId) -> usize {
        self.inner().map_or(0, |inner| {
            inner.trees.stationcaseseq_equivocation.scan_prefix(keys::station_segment(station)).count()
        })
    }
}

fn decode(value: &[u8]) -> Result<Equivocation, StoreError> {
    let (mut evidence, wire): (Equivocation, Vec<u8>) = codec::decode_with_raw(value, "evidence of equivocation")?;
    evidence.refused_wire = wire;
    Ok(evidence)
}
