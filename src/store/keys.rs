//! Storage keys. Keys that sort are big-endian so that sled's byte order is time order, and
//! every index key ends with the case id so that equal times stay distinct.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use super::TreeId;
use crate::case::CaseRecord;
use crate::clock::unix_ms;
use crate::domain::details::CaseKind;
use crate::ids::{CaseId, EnvelopeId, StationId};

/// Which list a case belongs to at this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mailbox {
    /// Cases this station sent (发出的协查).
    Outbox,
    /// Cases sent to this station (收到的协查).
    Inbox,
}

impl Mailbox {
    /// The mailbox a case is in, seen from `me`.
    pub fn of(case: &CaseRecord, me: &StationId) -> Self {
        if &case.origin == me { Self::Outbox } else { Self::Inbox }
    }

    /// The first byte of index keys.
    pub fn tag(self) -> u8 {
        match self {
            Self::Outbox => b'o',
            Self::Inbox => b'i',
        }
    }
}

/// A time as 8 bytes that sort like the times, negative ones included.
pub fn time_key(at: OffsetDateTime) -> [u8; 8] {
    (unix_ms(at).cast_unsigned() ^ (1 << 63)).to_be_bytes()
}

/// A station id as a key segment; the 0 byte ends it, which no station id contains.
pub fn station_segment(station: &StationId) -> Vec<u8> {
    let mut out = station.as_str().as_bytes().to_vec();
    out.push(0);
    out
}

/// The tag byte of a case kind in index keys.
pub fn kind_tag(kind: CaseKind) -> u8 {
    let position = CaseKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    u8::try_from(position).unwrap_or(0)
}

/// `caseevent_envelopeid` key: case, envelope time, envelope id.
pub fn case_event(case: &CaseId, at: OffsetDateTime, envelope: &EnvelopeId) -> Vec<u8> {
    [case.as_bytes().as_slice(), &time_key(at), envelope.as_bytes()].concat()
}

/// `envelopestation_receipt` key: envelope id, then the station that issued the receipt.
pub fn receipt(envelope: &EnvelopeId, issuer: &StationId) -> Vec<u8> {
    [envelope.as_bytes().as_slice(), issuer.as_str().as_bytes()].concat()
}

/// `peerseq_outbox` key: peer, then the position in its queue.
pub fn outbox(peer: &StationId, seq: u64) -> Vec<u8> {
    [station_segment(peer).as_slice(), &seq.to_be_bytes()].concat()
}

/// `meta` key of a peer's outbox counter.
pub fn outbox_counter(peer: &StationId) -> Vec<u8> {
    [b"outbox_next\0".as_slice(), peer.as_str().as_bytes()].concat()
}

/// `meta` key of a pending reconciliation with a peer.
pub fn resync(peer: &StationId) -> Vec<u8> {
    [b"resync\0".as_slice(), peer.as_str().as_bytes()].concat()
}

/// Prefix of `peerdirtime_envelope` keys for one peer and direction.
pub fn exchange_prefix(peer: &StationId, sent: bool) -> Vec<u8> {
    [station_segment(peer).as_slice(), &[if sent { b's' } else { b'r' }]].concat()
}

/// `peerdirtime_envelope` key.
pub fn exchange(peer: &StationId, sent: bool, at: OffsetDateTime, envelope: &EnvelopeId) -> Vec<u8> {
    [exchange_prefix(peer, sent).as_slice(), &time_key(at), envelope.as_bytes()].concat()
}

/// Every index entry a case should have; comparing the sets before and after a change tells
/// which entries to remove and which to add.
pub fn index_entries(case: &CaseRecord, me: &StationId) -> BTreeSet<(TreeId, Vec<u8>)> {
    let mailbox = Mailbox::of(case, me).tag();
    let created = time_key(case.created_at);
    let id = case.id.as_bytes();
    let mut entries = BTreeSet::new();
    entries.insert((TreeId::BoxtimeCase, [&[mailbox][..], &created, id].concat()));
    entries.insert((TreeId::BoxkindtimeCase, [&[mailbox, kind_tag(case.kind)][..], &created, id].concat()));
    for target in &case.targets {
        entries.insert((TreeId::BoxstatetimeCase, [&[mailbox, target.state.tag()][..], &created, id].concat()));
        if let Some(deadline) = target.next_deadline() {
            let key = [&time_key(deadline.due())[..], id, target.station.as_str().as_bytes()].concat();
            entries.insert((TreeId::DueTarget, key));
        }
    }
    let peers: Vec<&StationId> = match Mailbox::of(case, me) {
        Mailbox::Outbox => case.parties.iter().collect(),
        Mailbox::Inbox => vec![&case.origin],
    };
    for peer in peers {
        entries.insert((TreeId::BoxpeertimeCase, [&[mailbox][..], &station_segment(peer), &created, id].concat()));
    }
    entries
}

/// The case id at the end of an index key.
pub fn case_of_index_key(key: &[u8]) -> Option<CaseId> {
    let start = key.len().checked_sub(16)?;
    key.get(start..).and_then(|b| b.try_into().ok()).map(CaseId::from_bytes)
}

/// The case id inside a `due_target` key (time, case, station).
pub fn case_of_due_key(key: &[u8]) -> Option<CaseId> {
    key.get(8..24).and_then(|b| b.try_into().ok()).map(CaseId::from_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn time_keys_sort_like_times() {
        let times = [datetime!(1960-01-01 00:00 UTC), datetime!(1970-01-01 00:00 UTC), datetime!(2026-11-23 08:00 UTC)];
        let keys: Vec<_> = times.iter().map(|t| time_key(*t)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn index_keys_end_with_the_case() {
        let id = CaseId::new();
        let key = [&[b'o', 3][..], &time_key(datetime!(2026-11-23 08:00 UTC)), id.as_bytes()].concat();
        assert_eq!(case_of_index_key(&key), Some(id));
    }
}
