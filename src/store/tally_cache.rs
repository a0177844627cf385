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
//! Generations are kept for the most recently changed periods only; the rest share a floor,
//! which at worst turns a keep into a miss.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::TreeId;
use super::stats::Bucket;

/// Periods kept at most; a ten-year query needs some 180 (months, and the days of two months).
const CAPACITY: usize = 2_048;
/// Periods whose generation is kept on its own at most; a busy station changes a few a day.
const GENERATIONS: usize = 4 * CAPACITY;

/// See the module documentation.
#[derive(Debug, Default)]
pub(super) struct TallyCache {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    entries: BTreeMap<(TreeId, i32), Arc<Vec<Bucket>>>,
    /// When each period last changed, from `clock`; absent for not since `floor`.
    changed: BTreeMap<(TreeId, i32), u64>,
    clock: u64,
    /// The generation of every period absent from `changed`: the clock when `changed` was last
    /// emptied. A reader's older token then no longer matches, so nothing stale is kept.
    floor: u64,
}

impl State {
    fn generation(&self, slot: &(TreeId, i32)) -> u64 {
        self.changed.get(slot).copied().unwrap_or(self.floor)
    }
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
            None => Lookup::Miss(state.generation(&(tree, period))),
        }
    }

    /// Keeps what was read for `period` after a miss that returned `token`, unless a unit has
    /// changed the period since.
    pub fn keep(&self, tree: TreeId, period: i32, token: u64, buckets: Arc<Vec<Bucket>>) {
        let mut state = self.state();
        if state.generation(&(tree, period)) != token {
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
        if state.changed.len() > GENERATIONS {
            state.floor = state.clock;
            state.changed.clear();
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

    #[test]
    fn generations_stay_bounded_and_a_read_that_raced_a_change_is_still_not_kept() {
        let cache = TallyCache::default();
        let Lookup::Miss(stale) = cache.lookup(TreeId::DaydimsTally, 7) else { panic!("empty cache") };
        cache.changed([(TreeId::DaydimsTally, 7)]);
        // Years of changes to other days push day 7's generation out.
        cache.changed((0..3 * GENERATIONS as i32).map(|day| (TreeId::DaydimsTally, 10_000 + day)));
        assert!(cache.state().changed.len() <= GENERATIONS);
        cache.keep(TreeId::DaydimsTally, 7, stale, Arc::new(Vec::new()));
        assert!(!kept(&cache, 7), "read before the change");

        let Lookup::Miss(fresh) = cache.lookup(TreeId::DaydimsTally, 7) else { panic!("not kept") };
        cache.keep(TreeId::DaydimsTally, 7, fresh, Arc::new(Vec::new()));
        assert!(kept(&cache, 7), "read after every change");
    }
}
