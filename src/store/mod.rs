//! The only module that touches sled.
//!
//! Every state change — envelope bytes, case state, indexes, outbox entries, receipts, the
//! audit entry — is written by one [`Unit`] in one sled transaction, and nothing is reported
//! done before [`Store::durable`] has flushed it. Writers are serialised by a mutex held only
//! while a unit computes and commits (microseconds): every unit appends to the one audit
//! chain, so concurrent units would conflict anyway, and serialising them up front spares
//! sled's optimistic transactions from retrying.

mod audit;
pub mod backup;
mod backup_files;
mod case_value;
mod codec;
mod envelope_value;
mod equivocation;
mod error;
mod events;
mod files;
mod flush;
mod handover;
mod hooks;
mod keys;
mod late;
pub mod leftovers;
mod list;
mod once;
mod outbox;
mod peer_note;
mod reconcile;
mod records;
mod redirect;
mod refno;
mod search;
mod search_build;
mod stats;
mod sync;
mod tally_cache;
mod tally_codec;
mod transfers;
mod trees;
mod unit;

use std::path::{Path, PathBuf};
#[cfg(feature = "bench")]
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use sled::transaction::TransactionError;
use sled::{Transactional, Tree};
use time::OffsetDateTime;

pub use audit::{AuditDraft, AuditEntry, ChainBreak};
use envelope_value::EnvelopeValue;
pub use equivocation::Equivocation;
pub use error::StoreError;
pub use events::Stage;
pub use flush::FlushStats;
#[cfg(feature = "bench")]
pub use flush::Peaks;
pub use keys::Mailbox;
pub use late::LateGroup;
pub use once::SentKey;
pub use records::{DeadLetter, EnvelopeMeta, StoredEnvelope};

pub use list::{Handled, LateTarget, ListQuery, Page};
pub use search::{CURSOR_MAX, Field as SearchField, SearchHit, SearchPage, SearchQuery};
pub use stats::Bucket;
pub use unit::Unit;

use crate::case::CaseRecord;
use crate::ids::{CaseId, EnvelopeId, StationId};
pub use files::{FileInfo, Incoming, IncomingError, Received};
use flush::GroupFlush;
pub use transfers::{Appended, Outgoing, PieceSpan, Transfer};
pub(crate) use trees::{TreeId, Trees};

const META_STATION: &[u8] = b"station";

/// How long an open waits for sled's file lock on a folder this process has just closed.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// Opens a sled database, waiting a moment for its file lock when it is busy. sled's IO
/// threads drop their last handles to a closed database just after the close returns, so a
/// folder reopened at once in the same process can still be locked. A lock held by another
/// process (a node already running on the folder) is still reported, after [`LOCK_PATIENCE`].
pub fn open_sled(config: &sled::Config) -> sled::Result<sled::Db> {
    let deadline = std::time::Instant::now() + LOCK_PATIENCE;
    loop {
        match config.open() {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock") && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            opened => return opened,
        }
    }
}

impl Inner {
    fn open(dir: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        leftovers::set_aside(dir);
        let db = open_sled(&sled::Config::new().path(dir).cache_capacity(cache_bytes))?;
        let trees = Trees::open(&db)?;
        let log = Arc::new(sync::Log::open(dir)?);
        let flusher = GroupFlush::start(db.clone(), log.clone()).map_err(|e| StoreError::Flush(e.to_string()))?;
        let all_trees = trees.all();
        Ok(Self { db, trees, all_trees, tallies: Default::default(), flusher, log })
    }

    /// Flushes and syncs now, outside the group commit: for rare writes of the store's own
    /// bookkeeping, which must be on disk before they count.
    fn flush_now(&self) -> Result<(), StoreError> {
        self.log.flush(&self.db).map_err(StoreError::Flush)
    }
}

const META_AUDIT_HEAD: &[u8] = b"audit_head";

/// An open sled database with its trees and flusher. Field order matters: the flusher drops
/// last and joins its thread, which holds the last database handle.
#[derive(Debug)]
pub(crate) struct Inner {
    db: sled::Db,
    trees: Trees,
    all_trees: Vec<Tree>,
    tallies: tally_cache::TallyCache,
    flusher: GroupFlush,
    log: Arc<sync::Log>,
}

/// The node's sled database.
///
/// After a failed write (a full disk, an I/O error) sled refuses every further write until it
/// is reopened, so the store remembers the failure, keeps serving reads, and is reopened from
/// disk by [`Store::recover`] once there is room again. Nothing acknowledged is lost: only
/// flushed data was ever acknowledged, and reopening reads exactly that back.
#[derive(Debug)]
pub struct Store {
    inner: RwLock<Option<Arc<Inner>>>,
    writer: Mutex<()>,
    station: StationId,
    dir: PathBuf,
    cache_bytes: u64,
    failure: Mutex<Option<String>>,
    /// While a backup runs: every write committed since it began, in order (see `backup`).
    backup_journal: Mutex<Option<backup::Journal>>,
    /// The last event id committed, and the last one published (known to be durable).
    events_committed: std::sync::atomic::AtomicU64,
    events_published: tokio::sync::watch::Sender<u64>,
    /// Set only by the benchmark harness; see [`Store::set_flush_for_bench`].
    #[cfg(feature = "bench")]
    skip_flush: AtomicBool,
    /// Set only by the benchmark harness; see [`Store::defer_search_index_for_bench`].
    #[cfg(feature = "bench")]
    defer_search_index: AtomicBool,
}

impl Store {
    /// Opens (or creates) the data folder of `station` with a page cache of `cache_bytes`.
    /// A folder that belongs to another station is refused.
    pub fn open(dir: &Path, station: &StationId, cache_bytes: u64) -> Result<Self, StoreError> {
        let inner = Inner::open(dir, cache_bytes)?;
        let trees = &inner.trees;
        match trees.meta.get(META_STATION)? {
            Some(found) if found.as_ref() != station.as_str().as_bytes() => {
                return Err(StoreError::WrongStation {
                    expected: station.to_string(),
                    found: String::from_utf8_lossy(&found).into_owned(),
                });
            }
            Some(_) => {}
            None => {
                trees.meta.insert(META_STATION, station.as_str().as_bytes())?;
                inner.flush_now()?;
            }
        }
        let store = Self::assemble(inner, station.clone(), dir, cache_bytes);
        store.ensure_late_counts()?;
        store.ensure_tallies()?;
        store.ensure_search_index()?;
        Ok(store)
    }

    fn assemble(inner: Inner, station: StationId, dir: &Path, cache_bytes: u64) -> Self {
        // What was on disk at open is durable: every stored event may be read.
        let next_event = inner.trees.meta.get(events::META_EVENT_NEXT).ok().flatten();
        let last_event = next_event
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map_or(0, |next| u64::from_be_bytes(next).saturating_sub(1));
        Self {
            inner: RwLock::new(Some(Arc::new(inner))),
            writer: Mutex::new(()),
            station,
            dir: dir.to_owned(),
            cache_bytes,
            failure: Mutex::new(None),
            backup_journal: Mutex::new(None),
            events_committed: std::sync::atomic::AtomicU64::new(last_event),
            events_published: tokio::sync::watch::Sender::new(last_event),
            #[cfg(feature = "bench")]
            skip_flush: AtomicBool::new(false),
            #[cfg(feature = "bench")]
            defer_search_index: AtomicBool::new(false),
        }
    }

    /// **Benchmarks only; never in production.** With `flush` false, [`Store::durable`]
    /// returns at once without flushing, so callers answer 2xx and sign receipts for data that
    /// is only in memory and may be lost on a crash — what a node must never do. It exists
    /// so `tiemeng bench` can measure what durability costs (the "no flush" baseline); nothing
    /// else calls it, no config or CLI flag of `serve` reaches it, and stores open durable.
    /// Only in builds with the `bench` feature.
    #[cfg(feature = "bench")]
    pub fn set_flush_for_bench(&self, flush: bool) {
        self.skip_flush.store(!flush, Ordering::Relaxed);
        if !flush {
            tracing::warn!("flushing disabled for a benchmark: acknowledged data is NOT durable");
        }
    }

    /// **Benchmarks only.** Requests stored from now on get no search entries, and the store is
    /// marked as lacking the index, so that the next open builds it whole, in key order, as for
    /// a store written by a release without search: what a bulk load of years of cases does
    /// to leave the index as compact as a station's that grew over those years. Only in
    /// builds with the `bench` feature.
    #[cfg(feature = "bench")]
    pub fn defer_search_index_for_bench(&self) -> Result<(), StoreError> {
        self.defer_search_index.store(true, Ordering::Relaxed);
        self.forget_search_marker()
    }

    /// Whether requests get their search entries as they are stored (always, but while a
    /// benchmark's bulk load defers them).
    pub(super) fn indexes_search(&self) -> bool {
        #[cfg(feature = "bench")]
        if self.defer_search_index.load(Ordering::Relaxed) {
            return false;
        }
        true
    }

    /// The open database, unless it is being reopened.
    pub(crate) fn inner(&self) -> Result<Arc<Inner>, StoreError> {
        let guard = self.inner.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.clone().ok_or(StoreError::Reopening)
    }

    /// Remembers that a write failed, so that writes are paused until [`Store::recover`].
    fn failed(&self, error: &StoreError) {
        let mut failure = self.failure.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if failure.is_none() {
            tracing::error!(%error, "storage failed; writes are paused until the store is reopened");
        }
        *failure = Some(error.to_string());
    }

    /// Why writing is paused, if it is.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Reopens the database from disk after a failure. Readers get [`StoreError::Reopening`]
    /// for the few milliseconds it takes. Returns true when the store works again.
    pub fn recover(&self) -> Result<bool, StoreError> {
        if self.failure().is_none() {
            return Ok(false);
        }
        let _guard = self.lock()?;
        let old = self.inner.write().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        let last = old.as_ref().map(Arc::downgrade);
        drop(old);
        // In-flight readers hold the old handle; sled's file lock is free once they finish.
        for _ in 0..500 {
            if last.as_ref().is_none_or(|w| w.strong_count() == 0) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let inner = Inner::open(&self.dir, self.cache_bytes)?;
        let works = inner.trees.meta.insert(b"probe", &[1u8][..]).is_ok() && inner.flush_now().is_ok();
        *self.inner.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(inner));
        if works {
            *self.failure.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
            tracing::warn!("storage reopened; writes resume");
        }
        Ok(works)
    }

    /// Bytes free on the disk holding the data folder.
    pub fn free_space(&self) -> Option<u64> {
        let stats = rustix::fs::statvfs(&self.dir).ok()?;
        Some(stats.f_bavail.saturating_mul(stats.f_frsize))
    }

    /// Bytes the database occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.inner()?.db.size_on_disk()?)
    }

    /// Opens an existing data folder for offline tools (`audit verify`), whatever station it
    /// belongs to; refuses a folder that holds no tiemeng data rather than creating one.
    pub fn open_existing(dir: &Path) -> Result<Self, StoreError> {
        if !dir.join("conf").is_file() {
            return Err(StoreError::Corrupt(format!("{} holds no tiemeng data", dir.display())));
        }
        let inner = Inner::open(dir, 16 * 1024 * 1024)?;
        let station = inner
            .trees
            .meta
            .get(META_STATION)?
            .and_then(|v| String::from_utf8(v.to_vec()).ok())
            .and_then(|s| s.parse::<StationId>().ok())
            .ok_or_else(|| StoreError::Corrupt(format!("{} does not record its station", dir.display())))?;
        Ok(Self::assemble(inner, station, dir, 16 * 1024 * 1024))
    }

    /// A named 32-byte secret of this node (e.g. for console form tokens), made at first use
    /// and kept, so tokens survive restarts.
    pub fn secret(&self, name: &str) -> Result<[u8; 32], StoreError> {
        let key = [b"secret\0".as_slice(), name.as_bytes()].concat();
        if let Some(value) = self.inner()?.trees.meta.get(&key)? {
            return value
                .as_ref()
                .try_into()
                .map_err(|_| StoreError::Corrupt(format!("secret {name} has the wrong length")));
        }
        let fresh: [u8; 32] = rand::random();
        let _guard = self.lock()?;
        // Another caller may have made it while we waited for the lock.
        match self.inner()?.trees.meta.compare_and_swap(&key, None as Option<&[u8]>, Some(&fresh[..]))? {
            Ok(()) => {
                self.inner()?.flush_now()?;
                Ok(fresh)
            }
            Err(current) => current
                .current
                .and_then(|v| v.as_ref().try_into().ok())
                .ok_or_else(|| StoreError::Corrupt(format!("secret {name} has the wrong length"))),
        }
    }

    /// The station this store belongs to.
    pub fn station(&self) -> &StationId {
        &self.station
    }

    /// Runs `work` as one unit: its reads see committed data, its writes are committed in one
    /// transaction if it returns `Ok`, and nothing is written if it returns `Err`. The caller
    /// must still await [`Store::durable`] before reporting success.
    pub fn write<T, E>(
        &self,
        at: OffsetDateTime,
        work: impl FnOnce(&mut Unit<'_>) -> Result<T, E>,
    ) -> Result<(T, Vec<StationId>), E>
    where
        E: From<StoreError>,
    {
        let called = std::time::Instant::now();
        let _guard = self.lock()?;
        if let Some(failure) = self.failure() {
            return Err(StoreError::Flush(failure).into());
        }
        let inner = self.inner()?;
        let mut unit = Unit::new(self, inner.clone(), at);
        let value = work(&mut unit)?;
        let woken = unit.commit()?;
        inner.flusher.write_took(called.elapsed());
        Ok((value, woken))
    }

    /// Waits until everything committed so far is on disk (shared between concurrent callers).
    pub async fn durable(&self) -> Result<(), StoreError> {
        if let Some(failure) = self.failure() {
            return Err(StoreError::Flush(failure));
        }
        #[cfg(feature = "bench")]
        if self.skip_flush.load(Ordering::Relaxed) {
            self.publish_events(self.committed_event());
            return Ok(());
        }
        // Every event committed before this flush begins is on disk once it ends.
        let committed = self.committed_event();
        let inner = self.inner()?;
        let flushed = inner.flusher.flush().await.map_err(StoreError::Flush);
        match &flushed {
            Ok(()) => self.publish_events(committed),
            Err(error) => self.failed(error),
        }
        flushed
    }

    /// How many flushes the group commit made and how many writers they answered, since the
    /// store was last opened.
    pub fn flush_stats(&self) -> FlushStats {
        self.inner().map(|inner| inner.flusher.stats()).unwrap_or_default()
    }

    /// The longest flush and write since the last call (see [`flush::Peaks`]).
    #[cfg(feature = "bench")]
    pub fn take_peaks(&self) -> flush::Peaks {
        self.inner().map(|inner| inner.flusher.take_peaks()).unwrap_or_default()
    }

    /// Blocking form of [`Store::durable`] for command-line tools.
    pub fn durable_blocking(&self) -> Result<(), StoreError> {
        self.inner()?.flusher.flush_blocking().map_err(StoreError::Flush)
    }

    fn lock(&self) -> Result<MutexGuard<'_, ()>, StoreError> {
        self.writer.lock().map_err(|_| StoreError::Poisoned)
    }

    /// A case by id.
    pub fn case(&self, id: &CaseId) -> Result<Option<CaseRecord>, StoreError> {
        self.inner()?.trees.caseid_case.get(id.as_bytes())?.map(|v| case_value::record(&v)).transpose()
    }

    /// Open cases that name `subject` (the 一人多次 index), oldest first.
    pub fn subject_cases(&self, subject: &crate::domain::details::SubjectKey) -> Result<Vec<CaseId>, StoreError> {
        match self.inner()?.trees.subject_cases.get(subject.index_key())? {
            Some(value) => codec::decode(&value, "subject index"),
            None => Ok(Vec::new()),
        }
    }

    /// An envelope by id.
    pub fn envelope(&self, id: &EnvelopeId) -> Result<Option<StoredEnvelope>, StoreError> {
        Ok(self.envelope_value(id)?.map(|value| StoredEnvelope { meta: value.meta, wire: value.wire }))
    }

    fn envelope_value(&self, id: &EnvelopeId) -> Result<Option<EnvelopeValue>, StoreError> {
        self.inner()?.trees.envelopeid_envelope.get(id.as_bytes())?.map(|v| EnvelopeValue::decode(&v)).transpose()
    }

    /// A case's envelopes in timeline order (by envelope time, then id).
    pub fn timeline(&self, case: &CaseId) -> Result<Vec<StoredEnvelope>, StoreError> {
        let inner = self.inner()?;
        let mut entries = match inner.trees.caseid_case.get(case.as_bytes())? {
            Some(value) => case_value::timeline(&value)?,
            None => Vec::new(),
        };
        for item in inner.trees.caseevent_envelopeid.scan_prefix(case.as_bytes()) {
            let (key, _) = item?;
            let entry = key
                .get(16..)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| StoreError::Corrupt("timeline key is truncated".into()))?;
            entries.push(entry);
        }
        entries.sort_unstable();
        entries.dedup();
        entries
            .iter()
            .map(|entry| {
                self.envelope(&case_value::envelope_of(entry))?
                    .ok_or_else(|| StoreError::Corrupt(format!("timeline names a missing envelope of case {case}")))
            })
            .collect()
    }

    /// The receipt `issuer` signed for `envelope`, if any.
    pub fn receipt(&self, envelope: &EnvelopeId, issuer: &StationId) -> Result<Option<Vec<u8>>, StoreError> {
        if issuer == self.station()
            && let Some(own) = self.envelope_value(envelope)?.and_then(|value| value.own_receipt)
        {
            return Ok(Some(own));
        }
        Ok(self.inner()?.trees.envelopestation_receipt.get(keys::receipt(envelope, issuer))?.map(|v| v.to_vec()))
    }

    /// Every receipt stored for `envelope`, by issuing station.
    pub fn receipts(&self, envelope: &EnvelopeId) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        if let Some(own) = self.envelope_value(envelope)?.and_then(|value| value.own_receipt) {
            out.push((self.station().as_str().to_owned(), own));
        }
        for item in self.inner()?.trees.envelopestation_receipt.scan_prefix(envelope.as_bytes()) {
            let (key, value) = item?;
            let issuer = String::from_utf8_lossy(key.get(16..).unwrap_or_default()).into_owned();
            out.push((issuer, value.to_vec()));
        }
        out.sort();
        Ok(out)
    }

    /// The number of entries in every tree, by tree name: for checks that two stores hold the
    /// same shape of data, and for the benchmark's disk figures. Walks every tree.
    pub fn tree_sizes(&self) -> Result<Vec<(&'static str, usize)>, StoreError> {
        let inner = self.inner()?;
        Trees::names().iter().zip(inner.all_trees.iter()).map(|(name, tree)| Ok((*name, tree.len()))).collect()
    }

    /// Calls `visit` with every stored case, in case id order; for full scans that the
    /// incremental statistics exist to avoid (the benchmark times one as the baseline).
    pub fn for_each_case(&self, mut visit: impl FnMut(CaseRecord)) -> Result<usize, StoreError> {
        let mut count = 0;
        for item in self.inner()?.trees.caseid_case.iter() {
            let (_, value) = item?;
            visit(case_value::record(&value)?);
            count += 1;
        }
        Ok(count)
    }

    /// Checks the whole audit chain; returns the number of entries, or the first break.
    pub fn verify_audit(&self) -> Result<u64, ChainBreak> {
        let head = self
            .audit_head()
            .map_err(|e| ChainBreak::Unreadable { key: "audit_head".into(), reason: e.to_string() })?;
        let inner = self.inner().map_err(|e| ChainBreak::Unreadable { key: "store".into(), reason: e.to_string() })?;
        let entries = inner.trees.seq_audit.iter().map(|item| {
            let (key, value) = item.map_err(|e| ChainBreak::Unreadable { key: "?".into(), reason: e.to_string() })?;
            codec::decode::<AuditEntry>(&value, "audit entry")
                .map_err(|e| ChainBreak::Unreadable { key: hex::encode(&key), reason: e.to_string() })
        });
        audit::verify(entries, head)
    }

    /// Audit entries from `after` (exclusive), at most `limit`.
    pub fn audit_entries(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let start = after.saturating_add(1).to_be_bytes();
        self.inner()?
            .trees
            .seq_audit
            .range(start..)
            .take(limit)
            .map(|item| codec::decode(&item?.1, "audit entry"))
            .collect()
    }

    fn audit_head(&self) -> Result<Option<(u64, [u8; 32])>, StoreError> {
        let Some(value) = self.inner()?.trees.meta.get(META_AUDIT_HEAD)? else {
            return Ok(None);
        };
        let bytes: [u8; 40] =
            value.as_ref().try_into().map_err(|_| StoreError::Corrupt("audit head has the wrong length".into()))?;
        let (seq, hash) = bytes.split_at(8);
        let seq = u64::from_be_bytes(seq.try_into().map_err(|_| StoreError::Corrupt("audit head".into()))?);
        let hash: [u8; 32] = hash.try_into().map_err(|_| StoreError::Corrupt("audit head".into()))?;
        Ok(Some((seq, hash)))
    }

    fn run_transaction(&self, inner: &Inner, ops: &[unit::Op]) -> Result<(), StoreError> {
        self.commit_ops(inner, ops)?;
        // Under the writer lock, like the start and the end of a backup: the journal holds
        // exactly the writes committed between them.
        if let Some(journal) = self.backup_journal.lock().map_err(|_| StoreError::Poisoned)?.as_mut() {
            journal.record(ops);
        }
        Ok(())
    }

    fn commit_ops(&self, inner: &Inner, ops: &[unit::Op]) -> Result<(), StoreError> {
        let result: Result<(), TransactionError<()>> = inner.all_trees[..].transaction(|trees| {
            for op in ops {
                let tree = &trees[op.tree as usize];
                match &op.value {
                    Some(value) => {
                        tree.insert(op.key.as_slice(), value.as_slice())?;
                    }
                    None => {
                        tree.remove(op.key.as_slice())?;
                    }
                }
            }
            Ok(())
        });
        result.map_err(|e| match e {
            TransactionError::Storage(e) => {
                let error = StoreError::Sled(e);
                self.failed(&error);
                error
            }
            TransactionError::Abort(()) => StoreError::Corrupt("transaction aborted".into()),
        })
    }
}

#[cfg(test)]
mod format_tests;
#[cfg(test)]
mod sled_pages_tests;
