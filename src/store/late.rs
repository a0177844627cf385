//! Counts of open targets by deadline day, so that the chiefs' statistics count what is late
//! without walking every late target.
//!
//! Lateness depends on when one asks, so it cannot be counted as such; what can be kept is how
//! many open targets fall due on each (UTC) day, per mailbox, kind and partner. Everything due
//! before today is late; of today's deadlines, a walk of the deadline index up to now says
//! which have passed. A station with thousands of late targets spread over a few weeks then
//! costs a few hundred reads, not thousands.
//!
//! The counts live in the `meta` tree under [`PREFIX`] and change in the same unit as the
//! deadline index entries they count. A store written before they existed has them built once
//! when it opens (see [`Store::ensure_late_counts`]).

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::keys::{self, DueSummary, Mailbox, kind_tag, time_key};
use super::{Store, StoreError};
use crate::case::CaseRecord;
use crate::clock::unix_ms;
use crate::domain::details::CaseKind;
use crate::ids::StationId;

/// Key prefix of the counts in the `meta` tree.
const PREFIX: &[u8] = b"late\0";
/// `meta` key present once the counts are complete.
const BUILT: &[u8] = b"late_counts_built";
const DAY_MS: i64 = 86_400_000;

/// Whose late targets a count is of.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LateGroup {
    /// The case's mailbox here.
    pub mailbox: Mailbox,
    /// The case's kind.
    pub kind: CaseKind,
    /// The partner: the late target for a request sent, the requesting station for one
    /// received.
    pub peer: StationId,
}

impl LateGroup {
    /// The group of `target`'s deadline in a case with `summary`.
    pub fn of(summary: &DueSummary, target: &StationId) -> Self {
        let peer = match summary.mailbox {
            Mailbox::Outbox => target.clone(),
            Mailbox::Inbox => summary.origin.clone(),
        };
        Self { mailbox: summary.mailbox, kind: summary.kind, peer }
    }
}

/// The day a time falls on, as a key segment that sorts like the days.
fn day_key(at: OffsetDateTime) -> [u8; 8] {
    (unix_ms(at).div_euclid(DAY_MS).cast_unsigned() ^ (1 << 63)).to_be_bytes()
}

/// The start of the UTC day `at` falls on.
fn day_start(at: OffsetDateTime) -> OffsetDateTime {
    crate::clock::from_unix_ms(unix_ms(at).div_euclid(DAY_MS) * DAY_MS)
}

/// `meta` key of the count of open targets of `group` due on the day of `due`.
fn count_key(due: OffsetDateTime, group: &LateGroup) -> Vec<u8> {
    [PREFIX, &day_key(due), &[group.mailbox.tag(), kind_tag(group.kind)], group.peer.as_str().as_bytes()].concat()
}

fn group_of_key(key: &[u8]) -> Option<LateGroup> {
    let rest = key.get(PREFIX.len() + 8..)?;
    let (&[mailbox, kind], peer) = rest.split_first_chunk::<2>()?;
    Some(LateGroup {
        mailbox: Mailbox::from_tag(mailbox)?,
        kind: *CaseKind::ALL.get(usize::from(kind))?,
        peer: std::str::from_utf8(peer).ok()?.parse().ok()?,
    })
}

pub(super) fn decode_count(value: &[u8]) -> Result<u64, StoreError> {
    <[u8; 8]>::try_from(value)
        .map(u64::from_be_bytes)
        .map_err(|_| StoreError::Corrupt("a late-target count has the wrong length".into()))
}

/// The count keys of every deadline `case` has in the deadline index, one per entry (so a key
/// may repeat): what to add when the case is written and take away when it is replaced.
pub(super) fn count_keys(case: &CaseRecord, me: &StationId) -> Vec<Vec<u8>> {
    case.targets
        .iter()
        .filter_map(|target| {
            let due = target.next_deadline()?.due();
            Some(count_key(due, &LateGroup::of(&DueSummary::of(case, &target.station, me), &target.station)))
        })
        .collect()
}

/// A count after adding `delta`; counts never go below zero.
pub(super) fn adjusted(count: u64, delta: i64, key: &[u8]) -> u64 {
    let adjusted = count.checked_add_signed(delta);
    if adjusted.is_none() {
        tracing::warn!(key = %hex::encode(key), count, delta, "a late-target count would go below zero; kept at zero");
    }
    adjusted.unwrap_or(0)
}

pub(super) fn encode_count(count: u64) -> Vec<u8> {
    count.to_be_bytes().to_vec()
}

impl Store {
    /// How many open targets are past a deadline at `now`, by group.
    pub fn late_counts(&self, now: OffsetDateTime) -> Result<BTreeMap<LateGroup, u64>, StoreError> {
        let inner = self.inner()?;
        let today = day_start(now);
        let mut counts: BTreeMap<LateGroup, u64> = BTreeMap::new();
        let before_today = [PREFIX, &day_key(today)].concat();
        for item in inner.trees.meta.range(PREFIX.to_vec()..before_today) {
            let (key, value) = item?;
            let group = group_of_key(&key).ok_or_else(|| {
                StoreError::Corrupt(format!("late-target count key {} is malformed", hex::encode(&key)))
            })?;
            *counts.entry(group).or_default() += decode_count(&value)?;
        }
        let (from, to) = (time_key(today).to_vec(), time_key(now).to_vec());
        for item in inner.trees.due_target.range(from..to) {
            let (key, value) = item?;
            let Some(late) = self.late_target(&key, &value)? else { continue };
            *counts.entry(LateGroup::of(&late.summary, &late.target)).or_default() += 1;
        }
        Ok(counts)
    }

    /// Builds the counts from the deadline index if this store has none yet (it was written
    /// by a release that did not keep them), in one atomic batch.
    pub(super) fn ensure_late_counts(&self) -> Result<(), StoreError> {
        let _guard = self.lock()?;
        let inner = self.inner()?;
        if inner.trees.meta.get(BUILT)?.is_some() {
            return Ok(());
        }
        let mut counts: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        for item in inner.trees.due_target.iter() {
            let (key, value) = item?;
            let Some(late) = self.late_target(&key, &value)? else { continue };
            *counts.entry(count_key(late.due, &LateGroup::of(&late.summary, &late.target))).or_default() += 1;
        }
        let mut batch = sled::Batch::default();
        for item in inner.trees.meta.scan_prefix(PREFIX) {
            batch.remove(item?.0);
        }
        let built = counts.len();
        for (key, count) in counts {
            batch.insert(key, encode_count(count));
        }
        batch.insert(BUILT, &[1u8][..]);
        inner.trees.meta.apply_batch(batch)?;
        inner.db.flush()?;
        tracing::info!(groups = built, "counted open targets by deadline day");
        Ok(())
    }

    /// The late target a deadline index entry stands for; `None` when its case is gone.
    pub(super) fn late_target(&self, key: &[u8], value: &[u8]) -> Result<Option<super::LateTarget>, StoreError> {
        let malformed = || StoreError::Corrupt(format!("deadline index key {} is malformed", hex::encode(key)));
        let due = keys::time_of_key(key).ok_or_else(malformed)?;
        let case = keys::case_of_due_key(key).ok_or_else(malformed)?;
        let target = keys::target_of_due_key(key).ok_or_else(malformed)?;
        let summary = match DueSummary::decode(value) {
            Some(summary) => summary,
            None => match self.case(&case)? {
                Some(record) => DueSummary::of(&record, &target, self.station()),
                None => return Ok(None),
            },
        };
        Ok(Some(super::LateTarget { due, case, target, summary }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_count_key_names_its_group_and_sorts_by_day() {
        let group =
            LateGroup { mailbox: Mailbox::Inbox, kind: CaseKind::ALL[3], peer: "fj-shouning-xixi".parse().unwrap() };
        let early = count_key(datetime!(1969-12-31 23:59 UTC), &group);
        let late = count_key(datetime!(2026-11-23 00:00 UTC), &group);
        assert_eq!(group_of_key(&early), Some(group.clone()));
        assert!(early < late);
        assert!(late < [PREFIX, &day_key(datetime!(2026-11-24 00:00 UTC))].concat());
        assert!(late >= [PREFIX, &day_key(datetime!(2026-11-23 23:59 UTC))].concat());
    }

    #[test]
    fn a_day_starts_at_utc_midnight_before_and_after_the_epoch() {
        assert_eq!(day_start(datetime!(2026-11-23 17:45:12 UTC)), datetime!(2026-11-23 00:00 UTC));
        assert_eq!(day_start(datetime!(1969-12-31 23:59 UTC)), datetime!(1969-12-31 00:00 UTC));
    }
}
