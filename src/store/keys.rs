//! Storage keys. Keys that sort are big-endian so that sled's byte order is time order, and
//! every index key ends with the case id so that equal times stay distinct.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::TreeId;
use crate::case::CaseRecord;
use crate::clock::unix_ms;
use crate::domain::attachment::MediaType;
use crate::domain::deadline::Overdue;
use crate::domain::details::CaseKind;
use crate::ids::{CaseId, EnvelopeId, StationId};

/// Which list a case belongs to at this node.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
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

    /// The mailbox whose [`Mailbox::tag`] is `tag`.
    pub fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            b'o' => Some(Self::Outbox),
            b'i' => Some(Self::Inbox),
            _ => None,
        }
    }
}

/// A time as 8 bytes that sort like the times, negative ones included.
pub fn time_key(at: OffsetDateTime) -> [u8; 8] {
    (unix_ms(at).cast_unsigned() ^ (1 << 63)).to_be_bytes()
}

/// The time at the start of a key that begins with a [`time_key`].
pub fn time_of_key(key: &[u8]) -> Option<OffsetDateTime> {
    let bytes: [u8; 8] = key.get(..8)?.try_into().ok()?;
    Some(crate::clock::from_unix_ms((u64::from_be_bytes(bytes) ^ (1 << 63)).cast_signed()))
}

/// A station id as a key segment; the 0 byte ends it, which no station id contains.
pub fn station_segment(station: &StationId) -> Vec<u8> {
    let mut out = station.as_str().as_bytes().to_vec();
    out.push(0);
    out
}

/// The tag byte of a case kind in index and tally keys. Written out, not derived from any
/// list's order: these bytes are on disk.
pub fn kind_tag(kind: CaseKind) -> u8 {
    match kind {
        CaseKind::MissingPerson => 0,
        CaseKind::Fugitive => 1,
        CaseKind::SerialTheft => 2,
        CaseKind::Dispute => 3,
        CaseKind::General => 4,
    }
}

/// The byte of an attachment's media type in `sha_file`. Never renumber.
pub fn media_tag(media_type: MediaType) -> u8 {
    match media_type {
        MediaType::Jpeg => 0,
        MediaType::Png => 1,
        MediaType::Webp => 2,
        MediaType::Pdf => 3,
    }
}

/// The media type whose [`media_tag`] is `tag`.
pub fn media_of_tag(tag: u8) -> Option<MediaType> {
    MediaType::ALL.iter().copied().find(|m| media_tag(*m) == tag)
}

/// The case kind whose [`kind_tag`] is `tag`.
pub fn kind_of_tag(tag: u8) -> Option<CaseKind> {
    CaseKind::ALL.into_iter().find(|kind| kind_tag(*kind) == tag)
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

/// `stationcaseseq_equivocation` key: the signing station, the case, the reused `seq`.
pub fn equivocation(from: &StationId, case: &CaseId, seq: u32) -> Vec<u8> {
    [station_segment(from).as_slice(), case.as_bytes(), &seq.to_be_bytes()].concat()
}

/// `meta` key of a pending reconciliation with a peer.
pub fn resync(peer: &StationId) -> Vec<u8> {
    [b"resync\0".as_slice(), peer.as_str().as_bytes()].concat()
}

/// `meta` key of what the node last knew of a peer's deliveries.
pub fn peer_note(peer: &StationId) -> Vec<u8> {
    [b"peer_note\0".as_slice(), peer.as_str().as_bytes()].concat()
}

/// Prefix of `peerdirtime_envelope` keys for one peer and direction.
pub fn exchange_prefix(peer: &StationId, sent: bool) -> Vec<u8> {
    [station_segment(peer).as_slice(), &[if sent { b's' } else { b'r' }]].concat()
}

/// `peerdirtime_envelope` key.
pub fn exchange(peer: &StationId, sent: bool, at: OffsetDateTime, envelope: &EnvelopeId) -> Vec<u8> {
    [exchange_prefix(peer, sent).as_slice(), &time_key(at), envelope.as_bytes()].concat()
}

/// Every index entry a case should have, with its value; comparing the entries before and
/// after a change tells which to remove and which to write.
pub fn index_entries(case: &CaseRecord, me: &StationId) -> BTreeMap<(TreeId, Vec<u8>), Vec<u8>> {
    let mailbox = Mailbox::of(case, me).tag();
    let created = time_key(case.created_at);
    let id = case.id.as_bytes();
    let mut entries = BTreeMap::new();
    entries.insert((TreeId::BoxtimeCase, [&[mailbox][..], &created, id].concat()), Vec::new());
    entries.insert((TreeId::BoxkindtimeCase, [&[mailbox, kind_tag(case.kind)][..], &created, id].concat()), Vec::new());
    for target in &case.targets {
        entries.insert(
            (TreeId::BoxstatetimeCase, [&[mailbox, target.state.tag()][..], &created, id].concat()),
            Vec::new(),
        );
        if let Some(deadline) = target.next_deadline() {
            let key = [&time_key(deadline.due())[..], id, target.station.as_str().as_bytes()].concat();
            entries.insert((TreeId::DueTarget, key), DueSummary::of(case, &target.station, me).encode());
        }
    }
    let peers: Vec<&StationId> = match Mailbox::of(case, me) {
        Mailbox::Outbox => case.parties.iter().collect(),
        Mailbox::Inbox => vec![&case.origin],
    };
    for peer in peers {
        entries.insert(
            (TreeId::BoxpeertimeCase, [&[mailbox][..], &station_segment(peer), &created, id].concat()),
            Vec::new(),
        );
    }
    for key in case.refno.iter().flat_map(|refno| super::refno::index_entries(&case.origin, refno)) {
        entries.insert((TreeId::RefnoCase, key), id.to_vec());
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

/// The target station at the end of a `due_target` key.
pub fn target_of_due_key(key: &[u8]) -> Option<StationId> {
    std::str::from_utf8(key.get(24..)?).ok()?.parse().ok()
}

/// What a `due_target` entry's value says of its case, so that the chiefs' overdue list is read
/// from the index alone instead of decoding every late case (there can be thousands).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueSummary {
    /// Whether the case is in the inbox or the outbox.
    pub mailbox: Mailbox,
    /// Its kind.
    pub kind: CaseKind,
    /// The deadline is the first report's (otherwise the acknowledgement's).
    pub report: bool,
    /// The requesting station.
    pub origin: StationId,
    /// The case's title.
    pub title: String,
}

impl DueSummary {
    /// The summary of `target`'s deadline entry in `case`.
    pub fn of(case: &CaseRecord, target: &StationId, me: &StationId) -> Self {
        let deadline = case.target(target).and_then(|t| t.next_deadline());
        Self {
            mailbox: Mailbox::of(case, me),
            kind: case.kind,
            report: matches!(deadline, Some(Overdue::Report { .. })),
            origin: case.origin.clone(),
            title: case.title.clone(),
        }
    }

    /// Mailbox tag, kind tag, `r` or `a`, the origin's length and bytes, then the title.
    fn encode(&self) -> Vec<u8> {
        let origin = self.origin.as_str().as_bytes();
        // No station id is this long; were one, readers fall back to the case itself.
        let Ok(len) = u8::try_from(origin.len()) else { return Vec::new() };
        let mut out = vec![self.mailbox.tag(), kind_tag(self.kind), if self.report { b'r' } else { b'a' }, len];
        out.extend_from_slice(origin);
        out.extend_from_slice(self.title.as_bytes());
        out
    }

    /// Reads a value [`DueSummary::encode`] wrote; `None` for the empty values of stores
    /// written before summaries were kept, whose cases must be read instead.
    pub fn decode(value: &[u8]) -> Option<Self> {
        let (&[mailbox, kind, deadline, len], rest) = value.split_first_chunk::<4>()?;
        let (origin, title) = rest.split_at_checked(usize::from(len))?;
        Some(Self {
            mailbox: Mailbox::from_tag(mailbox)?,
            kind: kind_of_tag(kind)?,
            report: deadline == b'r',
            origin: std::str::from_utf8(origin).ok()?.parse().ok()?,
            title: std::str::from_utf8(title).ok()?.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_deadline_summary_reads_back_and_an_old_empty_value_asks_for_the_case() {
        let summary = DueSummary {
            mailbox: Mailbox::Inbox,
            kind: CaseKind::SerialTheft,
            report: true,
            origin: "fj-shouning-xixi".parse().unwrap(),
            title: "协查<script>张三</script>".into(),
        };
        assert_eq!(DueSummary::decode(&summary.encode()), Some(summary));
        assert_eq!(DueSummary::decode(&[]), None);
        assert_eq!(DueSummary::decode(b"xy"), None);
    }

    /// Every tag byte written into keys, spelled out: changing one would make every store
    /// written before misread its indexes. Add a value for a new variant; never change one.
    #[test]
    fn every_persisted_tag_keeps_its_byte() {
        let kinds: Vec<(CaseKind, u8)> = CaseKind::ALL.into_iter().map(|k| (k, kind_tag(k))).collect();
        assert_eq!(
            kinds,
            [
                (CaseKind::MissingPerson, 0),
                (CaseKind::Fugitive, 1),
                (CaseKind::SerialTheft, 2),
                (CaseKind::Dispute, 3),
                (CaseKind::General, 4)
            ]
        );
        assert!(CaseKind::ALL.into_iter().all(|k| kind_of_tag(kind_tag(k)) == Some(k)));
        let media: Vec<(MediaType, u8)> = MediaType::ALL.iter().map(|&m| (m, media_tag(m))).collect();
        assert_eq!(media, [(MediaType::Jpeg, 0), (MediaType::Png, 1), (MediaType::Webp, 2), (MediaType::Pdf, 3)]);
        assert!(MediaType::ALL.iter().all(|&m| media_of_tag(media_tag(m)) == Some(m)));
        assert_eq!((Mailbox::Outbox.tag(), Mailbox::Inbox.tag()), (b'o', b'i'));
        use crate::domain::lifecycle::TargetState::*;
        let states = [Sent, Delivered, Acknowledged, Declined, Resolved, Closed, Withdrawn].map(|s| s.tag());
        assert_eq!(states, [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(
            (
                super::super::stats::direction_tag(crate::stats::Direction::Sent),
                super::super::stats::direction_tag(crate::stats::Direction::Received)
            ),
            (b's', b'r')
        );
    }

    #[test]
    fn a_time_key_reads_back_to_the_millisecond() {
        let at = datetime!(2026-11-23 08:00:01.123456 UTC);
        assert_eq!(time_of_key(&time_key(at)), Some(datetime!(2026-11-23 08:00:01.123 UTC)));
    }

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
