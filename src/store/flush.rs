//! Group commit. Every writer must see its data on disk before it answers, but a flush per
//! writer would cap the node at the disk's sync rate. Writers queue a request; one flusher
//! thread takes every request waiting, flushes once, and answers them all.
//!
//! Commits are counted, and each flush remembers how many had finished when it started, so a
//! request for data an earlier flush already covered is answered without another one. The
//! delivery task asks for a flush before it sends what a writer has just flushed (it must
//! never hand a peer what this node could still lose); without the count that would be a
//! second flush in series on every request's way to its peer.
//!
//! sled's `flush_async` can deadlock under concurrency (sled#1308), so the flush is the
//! blocking `flush()`, on a thread of its own where blocking harms nothing.
//!
//! A flush is sled's flush followed by a sync of sled's files ([`Log::flush`]): sled's own does
//! not survive a power cut.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use tokio::sync::oneshot;

use super::sync::Log;

/// A writer waiting for the commits up to `upto` to be on disk.
struct Waiter {
    upto: u64,
    answer: oneshot::Sender<Result<(), String>>,
}

/// Handle to the flusher thread. Dropping it ends the thread and waits for it, so the
/// database (and its file lock) is released when the store is.
#[derive(Debug)]
pub struct GroupFlush {
    requests: Option<mpsc::Sender<Waiter>>,
    thread: Option<std::thread::JoinHandle<()>>,
    counters: Arc<Counters>,
}

/// What the flusher has done so far: how well writers share flushes, and what flushes cost.
#[derive(Debug, Default)]
struct Counters {
    flushes: AtomicU64,
    writers: AtomicU64,
    busy_micros: AtomicU64,
    /// Commits begun. A commit's changes are visible to readers only after it began, so this
    /// read at any moment is at least the number of every commit whose changes can be seen.
    begun: AtomicU64,
    /// Commits finished (commits are serialised by the store's writer lock, so those numbered
    /// up to this one).
    finished: AtomicU64,
    /// Commits known to be on disk: those finished before the last successful flush started.
    flushed: AtomicU64,
    /// The longest flush since [`GroupFlush::take_peaks`] last asked, and sled's part of it.
    longest_micros: AtomicU64,
    longest_sled_micros: AtomicU64,
    /// The longest a unit took from asking for the writer lock to its commit, since then.
    longest_write_micros: AtomicU64,
}

/// The longest waits of the store since they were last taken.
#[cfg(feature = "bench")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Peaks {
    /// The longest flush: sled's flush and the sync of its files.
    pub flush: std::time::Duration,
    /// Sled's part of that flush.
    pub sled_flush: std::time::Duration,
    /// The longest write, from asking for the writer lock to its commit.
    pub write: std::time::Duration,
}

/// A snapshot of the flusher's counters since the store was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushStats {
    /// Flushes done.
    pub flushes: u64,
    /// Writers answered by them (writers per flush is the group-commit factor).
    pub writers: u64,
    /// Time spent flushing.
    pub busy: std::time::Duration,
    /// Store units committed (one officer's change, or several committed together).
    pub commits: u64,
}

impl GroupFlush {
    /// Starts the flusher thread for `db`, whose log is `log`.
    pub fn start(db: sled::Db, log: Arc<Log>) -> std::io::Result<Self> {
        let (requests, queue) = mpsc::channel::<Waiter>();
        let counters = Arc::new(Counters::default());
        let counting = counters.clone();
        let thread = std::thread::Builder::new().name("tiemeng-flush".into()).spawn(move || {
            // Each request was sent after its writer committed, so a flush that starts after
            // the request was received covers that writer's data.
            while let Ok(first) = queue.recv() {
                let mut waiters = vec![first];
                waiters.extend(queue.try_iter());
                counting.writers.fetch_add(waiters.len() as u64, Ordering::Relaxed);
                let flushed = counting.flushed.load(Ordering::SeqCst);
                let (covered, waiting): (Vec<_>, Vec<_>) = waiters.into_iter().partition(|w| w.upto <= flushed);
                for waiter in covered {
                    let _ = waiter.answer.send(Ok(()));
                }
                if waiting.is_empty() {
                    continue;
                }
                // A flush covers every change visible when it starts, so these waiters are
                // answered by it whatever their number; only commits finished by now may be
                // counted as on disk for waiters still to come.
                let upto = counting.finished.load(Ordering::SeqCst);
                let started = Instant::now();
                let (result, sled_part) = log.flush_timed(&db);
                let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                counting.busy_micros.fetch_add(micros, Ordering::Relaxed);
                if counting.longest_micros.fetch_max(micros, Ordering::Relaxed) < micros {
                    let sled_micros = u64::try_from(sled_part.as_micros()).unwrap_or(u64::MAX);
                    counting.longest_sled_micros.store(sled_micros, Ordering::Relaxed);
                }
                counting.flushes.fetch_add(1, Ordering::Relaxed);
                if result.is_ok() {
                    counting.flushed.fetch_max(upto, Ordering::SeqCst);
                }
                for waiter in waiting {
                    // A writer that gave up waiting is not an error of the flush.
                    let _ = waiter.answer.send(result.clone());
                }
            }
        })?;
        Ok(Self { requests: Some(requests), thread: Some(thread), counters })
    }

    /// The counters so far.
    pub fn stats(&self) -> FlushStats {
        FlushStats {
            flushes: self.counters.flushes.load(Ordering::Relaxed),
            writers: self.counters.writers.load(Ordering::Relaxed),
            busy: std::time::Duration::from_micros(self.counters.busy_micros.load(Ordering::Relaxed)),
            commits: self.counters.finished.load(Ordering::Relaxed),
        }
    }

    /// The longest flush and write since the last call. For the benchmark's account of where
    /// a slow write waited.
    #[cfg(feature = "bench")]
    pub fn take_peaks(&self) -> Peaks {
        let take = |counter: &AtomicU64| std::time::Duration::from_micros(counter.swap(0, Ordering::Relaxed));
        let c = &self.counters;
        Peaks {
            flush: take(&c.longest_micros),
            sled_flush: take(&c.longest_sled_micros),
            write: take(&c.longest_write_micros),
        }
    }

    /// Notes how long a write took from asking for the writer lock to its commit.
    pub fn write_took(&self, took: std::time::Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.counters.longest_write_micros.fetch_max(micros, Ordering::Relaxed);
    }

    /// Counts a commit that is about to write; call [`GroupFlush::commit_finished`] once it has
    /// (or has failed). Commits must not overlap.
    pub fn commit_begun(&self) {
        self.counters.begun.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts the end of the commit last begun.
    pub fn commit_finished(&self) {
        self.counters.finished.fetch_add(1, Ordering::SeqCst);
    }

    /// A request for everything visible now, or `None` when a flush has covered it already.
    fn request(&self) -> Result<Option<oneshot::Receiver<Result<(), String>>>, String> {
        let upto = self.counters.begun.load(Ordering::SeqCst);
        if self.counters.flushed.load(Ordering::SeqCst) >= upto {
            self.counters.writers.fetch_add(1, Ordering::Relaxed);
            return Ok(None);
        }
        let (answer, rx) = oneshot::channel();
        let stopped = || "the flusher thread has stopped".to_owned();
        self.requests.as_ref().ok_or_else(stopped)?.send(Waiter { upto, answer }).map_err(|_| stopped())?;
        Ok(Some(rx))
    }

    /// Waits until everything readable before this call (committed by anyone) is on disk.
    pub async fn flush(&self) -> Result<(), String> {
        match self.request()? {
            Some(rx) => rx.await.map_err(|_| "the flusher thread has stopped".to_owned())?,
            None => Ok(()),
        }
    }

    /// Blocking form of [`GroupFlush::flush`] for command-line tools.
    pub fn flush_blocking(&self) -> Result<(), String> {
        match self.request()? {
            Some(rx) => rx.blocking_recv().map_err(|_| "the flusher thread has stopped".to_owned())?,
            None => Ok(()),
        }
    }
}

impl Drop for GroupFlush {
    fn drop(&mut self) {
        drop(self.requests.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_flush_is_made_only_for_commits_no_flush_has_covered() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let group = GroupFlush::start(db.clone(), Arc::new(Log::open(dir.path()).unwrap())).unwrap();

        group.commit_begun();
        db.insert(b"a", b"1").unwrap();
        group.commit_finished();
        group.flush().await.unwrap();
        assert_eq!(group.stats().flushes, 1);

        // Nothing committed since: the data is on disk already.
        group.flush().await.unwrap();
        group.flush_blocking().unwrap();
        assert_eq!(group.stats().flushes, 1);
        assert_eq!(group.stats().writers, 3);

        group.commit_begun();
        db.insert(b"b", b"2").unwrap();
        group.commit_finished();
        let (one, two) = tokio::join!(group.flush(), group.flush());
        one.unwrap();
        two.unwrap();
        let flushes = group.stats().flushes;
        assert!((2..=3).contains(&flushes), "{flushes} flushes");

        // A commit under way may already be visible to readers: asking then takes a flush.
        group.commit_begun();
        db.insert(b"c", b"3").unwrap();
        group.flush().await.unwrap();
        assert_eq!(group.stats().flushes, flushes + 1);
        group.commit_finished();
        drop(group);
        drop(db);
        let reopened = crate::store::open_sled(&sled::Config::new().path(dir.path())).unwrap();
        assert_eq!(reopened.get(b"b").unwrap().as_deref(), Some(&b"2"[..]));
    }

    /// What sled flushed is not acknowledged until the log file is synced too; when that fails,
    /// writers hear of it.
    #[tokio::test]
    async fn a_log_that_cannot_be_synced_is_not_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let group = GroupFlush::start(db.clone(), Arc::new(Log::failing())).unwrap();
        group.commit_begun();
        db.insert(b"a", b"1").unwrap();
        group.commit_finished();
        let error = group.flush().await.unwrap_err();
        assert!(error.contains("syncing the log"), "{error}");
        assert_eq!(group.stats().flushes, 1);
        // Nothing counts as on disk: the next writer asks again.
        assert!(group.flush().await.is_err());
        assert_eq!(group.stats().flushes, 2);
    }
}
