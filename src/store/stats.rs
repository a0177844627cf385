//! Statistics buckets: a tally per (day, direction, partner, kind) and per (month, …). A
//! query over a date range reads whole months from the month buckets and only the ragged
//! ends from the day buckets, so a year costs a few hundred reads, not one per case.

use std::collections::BTreeMap;
use std::sync::Arc;

use time::{Date, Month};

use super::keys::{kind_of_tag, kind_tag, station_segment};
use super::tally_cache::Lookup;
use super::{Store, StoreError, TreeId, tally_codec};
use crate::domain::details::CaseKind;
use crate::ids::StationId;
use crate::stats::{Dims, Direction, Tally};

/// A tally as read back, with the month it belongs to.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// Year and month of the requests.
    pub month: (i32, Month),
    /// Sent or received.
    pub direction: Direction,
    /// The partner station.
    pub peer: StationId,
    /// The kind.
    pub kind: CaseKind,
    /// The counters.
    pub tally: Tally,
}

fn period_key(period: i32) -> [u8; 4] {
    (period.cast_unsigned() ^ (1 << 31)).to_be_bytes()
}

/// The day or month at the start of a tally key.
pub(super) fn period_of_key(key: &[u8]) -> Option<i32> {
    let bytes: [u8; 4] = key.get(..4)?.try_into().ok()?;
    Some((u32::from_be_bytes(bytes) ^ (1 << 31)).cast_signed())
}

pub(super) fn direction_tag(direction: Direction) -> u8 {
    match direction {
        Direction::Sent => b's',
        Direction::Received => b'r',
    }
}

/// Months since year 0, for month bucket keys.
pub fn month_index(date: Date) -> i32 {
    date.year() * 12 + i32::from(u8::from(date.month())) - 1
}

/// The keys a tally of `dims` is filed under: its day bucket and its month bucket.
pub(super) fn bucket_keys(dims: &Dims) -> [(TreeId, Vec<u8>); 2] {
    let tail = [&[direction_tag(dims.direction)][..], &station_segment(&dims.peer), &[kind_tag(dims.kind)]].concat();
    let day = [&period_key(dims.day)[..], &tail].concat();
    let month = [&period_key(month_index(crate::stats::date_of_day(dims.day)))[..], &tail].concat();
    [(TreeId::DaydimsTally, day), (TreeId::MonthdimsTally, month)]
}

fn decode_key(key: &[u8], month: (i32, Month), tally: Tally) -> Option<Bucket> {
    let direction = match key.get(4)? {
        b's' => Direction::Sent,
        b'r' => Direction::Received,
        _ => return None,
    };
    let rest = key.get(5..)?;
    let end = rest.iter().position(|b| *b == 0)?;
    let peer = std::str::from_utf8(&rest[..end]).ok()?.parse().ok()?;
    let kind = kind_of_tag(*rest.get(end + 1)?)?;
    Some(Bucket { month, direction, peer, kind, tally })
}

fn month_of_index(index: i32) -> (i32, Month) {
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).unwrap_or(1)).unwrap_or(Month::January);
    (index.div_euclid(12), month)
}

/// `meta` key present once every tally holds the counts of what is due by a deadline
/// (tally codec version 3).
const TALLIES_BUILT: &[u8] = b"tallies_due_built_v3";

impl Store {
    /// Recounts every tally from the stored cases if this store's tallies were written by a
    /// release that did not count what is due by a deadline: without the recount, requests
    /// left unanswered long ago would never count against a rate, and a later change to such a
    /// case would take away counts its tally never had. One atomic batch per tree, the marker
    /// last, so an interrupted recount starts again at the next open.
    pub(super) fn ensure_tallies(&self) -> Result<(), StoreError> {
        let _guard = self.lock()?;
        let inner = self.inner()?;
        if inner.trees.meta.get(TALLIES_BUILT)?.is_some() {
            return Ok(());
        }
        let trees = [
            (TreeId::DaydimsTally, &inner.trees.daydims_tally),
            (TreeId::MonthdimsTally, &inner.trees.monthdims_tally),
        ];
        if trees.iter().any(|(_, tree)| !tree.is_empty()) {
            let mut sums: BTreeMap<(TreeId, Vec<u8>), Tally> = BTreeMap::new();
            let me = self.station().clone();
            let cases = self.for_each_case(|case| {
                for (dims, tally) in crate::stats::contributions(&case, &me) {
                    for slot in bucket_keys(&dims) {
                        sums.entry(slot).or_default().add(&tally, 1);
                    }
                }
            })?;
            for (id, tree) in trees {
                let mut batch = sled::Batch::default();
                for item in tree.iter() {
                    batch.remove(item?.0);
                }
                for ((_, key), tally) in sums.iter().filter(|((t, _), tally)| *t == id && !tally.is_empty()) {
                    batch.insert(key.clone(), tally_codec::encode(tally));
                }
                tree.apply_batch(batch)?;
            }
            tracing::info!(cases, buckets = sums.len(), "recounted the statistics with what is due by a deadline");
        }
        inner.trees.meta.insert(TALLIES_BUILT, &[1u8][..])?;
        inner.flush_now()?;
        Ok(())
    }

    /// The committed tally under `key` of a statistics tree, or an empty one.
    pub(super) fn read_tally(&self, tree: TreeId, key: &[u8]) -> Result<Tally, StoreError> {
        let tree = match tree {
            TreeId::MonthdimsTally => &self.inner()?.trees.monthdims_tally,
            _ => &self.inner()?.trees.daydims_tally,
        };
        Ok(match tree.get(key)? {
            Some(value) => tally_codec::decode(&value)?,
            None => Tally::default(),
        })
    }

    /// Every bucket of requests made from `from` to `to` (inclusive, Beijing dates), a day's or
    /// a month's at a time, shared with the cache rather than copied.
    pub fn buckets(&self, from: Date, to: Date) -> Result<Vec<Arc<Vec<Bucket>>>, StoreError> {
        let inner = self.inner()?;
        let mut out = Vec::new();
        let mut month = month_index(from);
        while month <= month_index(to) {
            let (year, m) = month_of_index(month);
            let first = Date::from_calendar_date(year, m, 1).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let last =
                Date::from_calendar_date(year, m, m.length(year)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if from <= first && last <= to {
                out.push(self.period(&inner, TreeId::MonthdimsTally, month, (year, m))?);
            } else {
                let start = crate::stats::day_of_date(from.max(first));
                let end = crate::stats::day_of_date(to.min(last));
                for day in start..=end {
                    out.push(self.period(&inner, TreeId::DaydimsTally, day, (year, m))?);
                }
            }
            month += 1;
        }
        Ok(out)
    }

    /// The buckets of one day or month, from the cache or read and kept there.
    fn period(
        &self,
        inner: &super::Inner,
        tree: TreeId,
        period: i32,
        month: (i32, Month),
    ) -> Result<Arc<Vec<Bucket>>, StoreError> {
        let token = match inner.tallies.lookup(tree, period) {
            Lookup::Hit(buckets) => return Ok(buckets),
            Lookup::Miss(token) => token,
        };
        let sled_tree = match tree {
            TreeId::MonthdimsTally => &inner.trees.monthdims_tally,
            _ => &inner.trees.daydims_tally,
        };
        let mut read = Vec::new();
        self.scan_buckets(sled_tree, period, period, month, &mut read)?;
        let read = Arc::new(read);
        inner.tallies.keep(tree, period, token, read.clone());
        Ok(read)
    }

    fn scan_buckets(
        &self,
        tree: &sled::Tree,
        first: i32,
        last: i32,
        month: (i32, Month),
        out: &mut Vec<Bucket>,
    ) -> Result<(), StoreError> {
        let start = period_key(first);
        let end = period_key(last.saturating_add(1));
        for item in tree.range(start..end) {
            let (key, value) = item?;
            let tally = tally_codec::decode(&value)?;
            let bucket = decode_key(&key, month, tally)
                .ok_or_else(|| StoreError::Corrupt(format!("statistics key {} is malformed", hex::encode(&key))))?;
            out.push(bucket);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_reads_back_from_its_key() {
        for period in [i32::MIN, -1, 0, 1, month_index(Date::MIN), 24_311, i32::MAX] {
            assert_eq!(period_of_key(&period_key(period)), Some(period));
        }
        assert_eq!(period_of_key(b"ab"), None);
    }
}
