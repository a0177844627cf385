//! Group commit. Every writer must see its data on disk before it answers, but a flush per
//! writer would cap the node at the disk's sync rate. Writers queue a request; one flusher
//! thread takes every request waiting, flushes once, and answers them all.
//!
//! sled's `flush_async` can deadlock under concurrency (sled#1308), so the flush is the
//! blocking `flush()`, on a thread of its own where blocking harms nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use tokio::sync::oneshot;

type Waiter = oneshot::Sender<Result<(), String>>;

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
}

impl GroupFlush {
    /// Starts the flusher thread for `db`.
    pub fn start(db: sled::Db) -> std::io::Result<Self> {
        let (requests, queue) = mpsc::channel::<Waiter>();
        let counters = Arc::new(Counters::default());
        let counting = counters.clone();
        let thread = std::thread::Builder::new().name("tiemeng-flush".into()).spawn(move || {
            // Each request was sent after its writer committed, so a flush that starts after
            // the request was received covers that writer's data.
            while let Ok(first) = queue.recv() {
                let mut waiters = vec![first];
                waiters.extend(queue.try_iter());
                let started = Instant::now();
                let result = db.flush().map(drop).map_err(|e| e.to_string());
                let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                counting.busy_micros.fetch_add(micros, Ordering::Relaxed);
                counting.flushes.fetch_add(1, Ordering::Relaxed);
                counting.writers.fetch_add(waiters.len() as u64, Ordering::Relaxed);
                for waiter in waiters {
                    // A writer that gave up waiting is not an error of the flush.
                    let _ = waiter.send(result.clone());
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
        }
    }

    fn send(&self, waiter: Waiter) -> Result<(), String> {
        let stopped = || "the flusher thread has stopped".to_owned();
        self.requests.as_ref().ok_or_else(stopped)?.send(waiter).map_err(|_| stopped())
    }

    /// Waits until everything committed before this call is on disk.
    pub async fn flush(&self) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.send(tx)?;
        rx.await.map_err(|_| "the flusher thread has stopped".to_owned())?
    }

    /// Blocking form of [`GroupFlush::flush`] for command-line tools.
    pub fn flush_blocking(&self) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.send(tx)?;
        rx.blocking_recv().map_err(|_| "the flusher thread has stopped".to_owned())?
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
