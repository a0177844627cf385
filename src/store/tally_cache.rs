//! Statistics tallies as last read back, by tree and period (a day or a month), kept until a
//! unit changes one of them.
//!
//! A ten-year statistics query reads every month's tallies (the report breaks the figures down
//! by month) and the days of the two ragged months at its ends: thousands of sled reads, of
//! which almost all read periods that have not changed since the last query. Units report the
//! periods they change after they commit, which drops them here.
//!
//! A reader that misses notes the period's generation first and stores what it read only if no
//! unit has changed the period since: a read that raced a commit is used once, never kept.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::TreeId;
use super::stats::Bucket;

/// Periods kept at most; a ten-year query needs some 180 (months, and the days of two months).
const CAPACITY: usize = 2_048;

/// See the module documentation.
#[derive(Debug, Default)]
pub(super) struct TallyCache {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    entries: BTreeMap<(TreeId, i32), Arc<Vec<Bucket>>>,
    /// When each period last changed, from `clock`; absent for never.
    changed: BTreeMap<(TreeId, i32), u64>,
    clock: u64,
}

/// What the cache holds for a period.
pub(super) enum Lookup {
    /// Its tallies.
    Hit(Arc<Vec<Bucket>>),
    /// Nothing; read the store, then [`TallyCache::keep`] with this token.
    Miss(u64),
}

impl TallyCache {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The tallies of `period` in `tree`, if kept.
    pub fn lookup(&self, tree: TreeId, period: i32) -> Lookup {
        let state = self.state();
        match state.entries.get(&(tree, period)) {
            Some(buckets) => Lookup::Hit(buckets.clone()),
            None => Lookup::Miss(state.changed.get(&(tree, period)).copied().unwrap_or(0)),
        }
    }

    /// Keeps what was read for `period` after a miss that returned `token`, unless a unit has
    /// changed the period since.
    pub fn keep(&self, tree: TreeId, period: i32, token: u64, buckets: Arc<Vec<Bucket>>) {
        let mut state = self.state();
        if state.changed.get(&(tree, period)).copied().unwrap_or(0) != token {
            return;
        }
        if state.entries.len() >= CAPACITY {
            state.entries.clear();
        }
        state.entries.insert((tree, period), buckets);
    }

    /// Drops `periods`: a unit has committed changes to their tallies.
    pub fn changed(&self, periods: impl IntoIterator<Item = (TreeId, i32)>) {
        let mut state = self.state();
        for slot in periods {
            state.clock += 1;
            let now = state.clock;
            state.changed.insert(slot, now);
            state.entries.remove(&slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(cache: &TallyCache, period: i32) -> bool {
        matches!(cache.lookup(TreeId::DaydimsTally, period), Lookup::Hit(_))
    }

    #[test]
    fn a_period_read_before_a_change_is_not_kept_after_it() {
        let cache = TallyCache::default();
        let Lookup::Miss(token) = cache.lookup(TreeId::DaydimsTally, 7) else { panic!("empty cache") };
        // A unit commits a change to day 7 while the reader is reading it.
        cache.changed([(TreeId::DaydimsTally, 7)]);
        cache.keep(TreeId::DaydimsTally, 7, token, Arc::new(Vec::new()));
        assert!(!kept(&cache, 7), "what the reader read may predate the change");

        let Lookup::Miss(token) = cache.lookup(TreeId::DaydimsTally, 7) else { panic!("not kept") };
        cache.keep(TreeId::DaydimsTally, 7, token, Arc::new(Vec::new()));
        assert!(kept(&cache, 7));
        assert!(!matches!(cache.lookup(TreeId::MonthdimsTally, 7), Lookup::Hit(_)), "trees are apart");
        cache.changed([(TreeId::DaydimsTally, 7)]);
        assert!(!kept(&cache, 7), "a change drops what was kept");
    }
}
