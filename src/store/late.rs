//! Counts of open targets by deadline day and minute, so that the chiefs' statistics count
//! what is late without walking every late target.
//!
//! Lateness depends on when one asks, so it cannot be counted as such; what can be kept is how
//! many open targets fall due in each (UTC) day, and in each minute, per mailbox, kind and
//! partner. Everything due before today is late: the day counts say how much. Of today's
//! deadlines, the minute counts say how many fell due in the minutes already over, and a walk of
//! the deadline index covers only the current minute. A station with thousands of late targets
//! spread over a few weeks, or thousands due this afternoon because a partner is down, then
//! costs a few hundred reads, not thousands.
//!
//! The counts live in the `meta` tree under [`DAY_PREFIX`] and [`MINUTE_PREFIX`] and change in
//! the same unit as the deadline index entries they count. A store written before they existed
//! (or before the minute counts) has them built once when it opens (see
//! [`Store::ensure_late_counts`]).

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::keys::{self, DueSummary, Mailbox, kind_tag, time_key};
use super::{Store, StoreError};
use crate::case::CaseRecord;
use crate::clock::unix_ms;
use crate::domain::details::CaseKind;
use crate::ids::StationId;

/// Key prefix of the counts by deadline day in the `meta` tree.
const DAY_PREFIX: &[u8] = b"late\0";
/// Key prefix of the counts by deadline minute; the same length as [`DAY_PREFIX`].
const MINUTE_PREFIX: &[u8] = b"late:";
/// Every key of the counts (both prefixes and the markers) starts with this.
const FAMILY: &[u8] = b"late";
/// `meta` key present once the counts by day and by minute are complete.
const BUILT: &[u8] = b"late_counts_built_v2";
const DAY_MS: i64 = 86_400_000;
const MINUTE_MS: i64 = 60_000;

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

/// The day or minute (`period_ms` long) a time falls in, as a key segment that sorts like the
/// periods.
fn period_key(at: OffsetDateTime, period_ms: i64) -> [u8; 8] {
    (unix_ms(at).div_euclid(period_ms).cast_unsigned() ^ (1 << 63)).to_be_bytes()
}

/// The start of the UTC day or minute (`period_ms` long) `at` falls in.
fn period_start(at: OffsetDateTime, period_ms: i64) -> OffsetDateTime {
    crate::clock::from_unix_ms(unix_ms(at).div_euclid(period_ms) * period_ms)
}

/// `meta` key of a count of open targets of `group` due in the period of `due`.
fn count_key(prefix: &[u8], period_ms: i64, due: OffsetDateTime, group: &LateGroup) -> Vec<u8> {
    [prefix, &period_key(due, period_ms), &[group.mailbox.tag(), kind_tag(group.kind)], group.peer.as_str().as_bytes()]
        .concat()
}

/// The first count key of the period `at` falls in, as a range bound.
fn period_bound(prefix: &[u8], period_ms: i64, at: OffsetDateTime) -> Vec<u8> {
    [prefix, &period_key(at, period_ms)].concat()
}

fn group_of_key(key: &[u8]) -> Option<LateGroup> {
    let rest = key.get(DAY_PREFIX.len() + 8..)?;
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

/// The count keys of every deadline `case` has in the deadline index, its day's and its
/// minute's for each entry (so a key may repeat): what to add when the case is written and take
/// away when it is replaced.
pub(super) fn count_keys(case: &CaseRecord, me: &StationId) -> Vec<Vec<u8>> {
    case.targets
        .iter()
        .filter_map(|target| {
            let due = target.next_deadline()?.due();
            Some(keys_of(due, &LateGroup::of(&DueSummary::of(case, &target.station, me), &target.station)))
        })
        .flatten()
        .collect()
}

/// The day's and the minute's count key of one deadline.
fn keys_of(due: OffsetDateTime, group: &LateGroup) -> [Vec<u8>; 2] {
    [count_key(DAY_PREFIX, DAY_MS, due, group), count_key(MINUTE_PREFIX, MINUTE_MS, due, group)]
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
        let (today, this_minute) = (period_start(now, DAY_MS), period_start(now, MINUTE_MS));
        let mut counts: BTreeMap<LateGroup, u64> = BTreeMap::new();
        let before_today = DAY_PREFIX.to_vec()..period_bound(DAY_PREFIX, DAY_MS, today);
        let earlier_today =
            period_bound(MINUTE_PREFIX, MINUTE_MS, today)..period_bound(MINUTE_PREFIX, MINUTE_MS, this_minute);
        for item in inner.trees.meta.range(before_today).chain(inner.trees.meta.range(earlier_today)) {
            let (key, value) = item?;
            let group = group_of_key(&key).ok_or_else(|| {
                StoreError::Corrupt(format!("late-target count key {} is malformed", hex::encode(&key)))
            })?;
            *counts.entry(group).or_default() += decode_count(&value)?;
        }
        let (from, to) = (time_key(this_minute).to_vec(), time_key(now).to_vec());
        for item in inner.trees.due_target.range(from..to) {
            let (key, value) = item?;
            let Some(late) = self.late_target(&key, &value)? else { continue };
            *counts.entry(LateGroup::of(&late.summary, &late.target)).or_default() += 1;
        }
        Ok(counts)
    }

    /// Builds the counts from the deadline index if this store lacks them (it was written by
    /// a release that kept none, or only those by day), in one atomic batch.
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
            for key in keys_of(late.due, &LateGroup::of(&late.summary, &late.target)) {
                *counts.entry(key).or_default() += 1;
            }
        }
        let mut batch = sled::Batch::default();
        for item in inner.trees.meta.scan_prefix(FAMILY) {
            batch.remove(item?.0);
        }
        let built = counts.len();
        for (key, count) in counts {
            batch.insert(key, encode_count(count));
        }
        batch.insert(BUILT, &[1u8][..]);
        inner.trees.meta.apply_batch(batch)?;
        inner.flush_now()?;
        tracing::info!(counts = built, "counted open targets by deadline day and minute");
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
    fn a_count_key_names_its_group_and_sorts_by_its_period() {
        let group =
            LateGroup { mailbox: Mailbox::Inbox, kind: CaseKind::ALL[3], peer: "fj-shouning-xixi".parse().unwrap() };
        for (prefix, period_ms, next) in [
            (DAY_PREFIX, DAY_MS, datetime!(2026-11-24 00:00 UTC)),
            (MINUTE_PREFIX, MINUTE_MS, datetime!(2026-11-23 17:46 UTC)),
        ] {
            let early = count_key(prefix, period_ms, datetime!(1969-12-31 23:59 UTC), &group);
            let late = count_key(prefix, period_ms, datetime!(2026-11-23 17:45:59.999 UTC), &group);
            assert_eq!(group_of_key(&early), Some(group.clone()));
            assert_eq!(group_of_key(&late), Some(group.clone()));
            assert!(early < late);
            assert!(late < period_bound(prefix, period_ms, next));
            assert!(
                late >= period_bound(
                    prefix,
                    period_ms,
                    period_start(next, period_ms) - time::Duration::milliseconds(1)
                )
            );
        }
    }

    #[test]
    fn the_two_kinds_of_count_never_share_a_range() {
        assert_eq!(DAY_PREFIX.len(), MINUTE_PREFIX.len());
        let day_range = DAY_PREFIX.to_vec()..period_bound(DAY_PREFIX, DAY_MS, datetime!(9999-12-31 00:00 UTC));
        let minute = period_bound(MINUTE_PREFIX, MINUTE_MS, datetime!(1900-01-01 00:00 UTC));
        assert!(!day_range.contains(&minute));
        for key in [DAY_PREFIX, MINUTE_PREFIX, BUILT] {
            assert!(key.starts_with(FAMILY));
        }
    }

    #[test]
    fn a_period_starts_at_its_utc_boundary_before_and_after_the_epoch() {
        assert_eq!(period_start(datetime!(2026-11-23 17:45:12 UTC), DAY_MS), datetime!(2026-11-23 00:00 UTC));
        assert_eq!(period_start(datetime!(1969-12-31 23:59 UTC), DAY_MS), datetime!(1969-12-31 00:00 UTC));
        assert_eq!(period_start(datetime!(2026-11-23 17:45:12 UTC), MINUTE_MS), datetime!(2026-11-23 17:45 UTC));
        assert_eq!(period_start(datetime!(1969-12-31 23:59:30 UTC), MINUTE_MS), datetime!(1969-12-31 23:59 UTC));
    }
}
