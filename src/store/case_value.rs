//! A case's stored value: its record, then its timeline (the ids of its envelopes, in order).
//!
//! The timeline is kept in the case's value rather than in an index of its own because every
//! envelope changes its case, so the unit that stores an envelope rewrites the case anyway: an
//! index entry per envelope was one more sled write per envelope and some four more entries per
//! case in sled's page table, whose size sets a large store's memory and start-up time.
//!
//! Values written by earlier releases are the record's JSON alone; their timeline entries stay
//! in the `caseevent_envelopeid` index, which is still read (see [`Store::timeline`]). A case
//! changed since has entries in both, and the timeline is their union.
//!
//! [`Store::timeline`]: super::Store::timeline

use time::OffsetDateTime;

use super::keys::time_key;
use super::{StoreError, codec};
use crate::case::CaseRecord;
use crate::ids::EnvelopeId;

/// One timeline entry: the envelope's time as a [`time_key`], then its id. Entries sort by
/// time, then id, as the old index's keys after their case id did.
pub type Entry = [u8; ENTRY_LEN];

const ENTRY_LEN: usize = 24;

/// The entry of the envelope `id` made at `at`.
pub fn entry(at: OffsetDateTime, id: &EnvelopeId) -> Entry {
    let mut out = [0; ENTRY_LEN];
    out[..8].copy_from_slice(&time_key(at));
    out[8..].copy_from_slice(id.as_bytes());
    out
}

/// The envelope an entry names.
pub fn envelope_of(entry: &Entry) -> EnvelopeId {
    let mut id = [0; 16];
    id.copy_from_slice(&entry[8..]);
    EnvelopeId::from_bytes(id)
}

/// Encodes a case with its timeline, which must be in order.
pub fn encode(case: &CaseRecord, timeline: &[Entry]) -> Result<Vec<u8>, StoreError> {
    codec::frame(codec::CASE_WITH_TIMELINE, case, timeline.as_flattened())
}

/// The record in a stored case value.
pub fn record(bytes: &[u8]) -> Result<CaseRecord, StoreError> {
    match bytes.first() {
        Some(&codec::CASE_WITH_TIMELINE) => {
            codec::from_json(codec::unframe(bytes, codec::CASE_WITH_TIMELINE, "case")?.0, "case")
        }
        _ => codec::decode(bytes, "case"),
    }
}

/// The timeline entries kept in a stored case value; none in a value of an earlier release.
pub fn timeline(bytes: &[u8]) -> Result<Vec<Entry>, StoreError> {
    if bytes.first() != Some(&codec::CASE_WITH_TIMELINE) {
        return Ok(Vec::new());
    }
    let (_, raw) = codec::unframe(bytes, codec::CASE_WITH_TIMELINE, "case")?;
    let (entries, rest) = raw.as_chunks::<ENTRY_LEN>();
    if !rest.is_empty() {
        return Err(StoreError::Corrupt("a case's timeline is truncated".into()));
    }
    Ok(entries.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeline_round_trips_in_order_and_a_truncated_one_is_refused() {
        let ids = [EnvelopeId::from_bytes([7; 16]), EnvelopeId::from_bytes([3; 16])];
        let at = time::macros::datetime!(2026-03-02 08:00 UTC);
        let mut timeline = vec![entry(at + time::Duration::seconds(1), &ids[0]), entry(at, &ids[1])];
        timeline.sort();
        assert_eq!(timeline.iter().map(envelope_of).collect::<Vec<_>>(), [ids[1], ids[0]], "time orders them");
        // An entry's key order is its time order, before 1970 too.
        assert!(entry(at - time::Duration::days(30_000), &ids[0]) < entry(at, &ids[1]));

        let bytes = codec::frame(codec::CASE_WITH_TIMELINE, &"a case", timeline.as_flattened()).unwrap();
        assert_eq!(self::timeline(&bytes).unwrap(), timeline);
        let truncated = &bytes[..bytes.len() - 1];
        assert!(matches!(self::timeline(truncated), Err(StoreError::Corrupt(_))));
        // A value of an earlier release has no timeline of its own.
        assert!(self::timeline(&codec::encode(&"a case").unwrap()).unwrap().is_empty());
    }
}
