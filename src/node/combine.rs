//! Changes that arrive together are committed together.
//!
//! The store commits one unit at a time, and a unit costs much less per change when it carries
//! several (sled's transaction has a fixed cost of its own: 32 new requests to a unit cost
//! about 60 % of one each; `tiemeng bench --scenario compute` prints both). So changes that
//! arrive while a unit is committing wait together and go into the next one. Each change stays
//! all-or-nothing: when a shared unit fails, each of its changes is tried again in a unit of
//! its own, so a change that cannot be made fails alone and the others are made.
//!
//! Whoever holds the turn takes the changes waiting longest (up to [`MAX_UNIT`]), its own among
//! them, commits them and answers each; a change answered while its submitter waited for the
//! turn returns at once. The turn is a fair (first come, first served) lock and the queue is in
//! order of arrival, so a change waits only for units of changes that came before it. A
//! submitter that gives up before its change was taken takes the change back with it: a
//! request whose caller went away before it was stored is not stored.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use tokio::sync::oneshot;

/// Changes committed together at most: a unit is committed on a runtime worker, which runs
/// nothing else meanwhile (32 new requests take about 6 ms).
const MAX_UNIT: usize = 32;

/// A unit carrying a change was abandoned without an answer (its committer panicked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abandoned;

/// Combines concurrent submissions of `T` into shared commits answering `R` or `E`.
pub struct Combiner<T, R, E> {
    waiting: Mutex<Vec<Waiting<T, R, E>>>,
    turn: tokio::sync::Mutex<()>,
    next_ticket: AtomicU64,
}

struct Waiting<T, R, E> {
    ticket: u64,
    item: T,
    answer: oneshot::Sender<Result<R, E>>,
}

impl<T, R, E> std::fmt::Debug for Combiner<T, R, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Combiner").finish_non_exhaustive()
    }
}

impl<T, R, E> Default for Combiner<T, R, E> {
    fn default() -> Self {
        Self { waiting: Mutex::default(), turn: tokio::sync::Mutex::new(()), next_ticket: AtomicU64::new(0) }
    }
}

/// Takes a submitter's change out of the queue if it is still there when the submitter stops
/// waiting, answered or not.
struct Withdraw<'c, T, R, E> {
    combiner: &'c Combiner<T, R, E>,
    ticket: u64,
}

impl<T, R, E> Combiner<T, R, E> {
    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<Waiting<T, R, E>>> {
        // The queue is only pushed to, drained and filtered: no state to be left half-changed.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T, R, E> Drop for Withdraw<'_, T, R, E> {
    fn drop(&mut self) {
        self.combiner.queue().retain(|w| w.ticket != self.ticket);
    }
}

impl<T, R, E: From<Abandoned>> Combiner<T, R, E> {
    /// Commits `item`, with whatever else is waiting, through `commit`, which makes all the
    /// changes it is given or none of them and answers them in order.
    pub async fn submit(&self, item: T, commit: impl Fn(&[T]) -> Result<Vec<R>, E>) -> Result<R, E> {
        let ticket = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        let (answer, mut answered) = oneshot::channel();
        self.queue().push(Waiting { ticket, item, answer });
        let _withdraw = Withdraw { combiner: self, ticket };
        // Let the tasks ready to run reach this point too: on a runtime of one worker, nothing
        // else runs while a unit commits, so changes could only ever wait together if they
        // arrived together.
        tokio::task::yield_now().await;
        let _turn = tokio::select! {
            biased;
            result = &mut answered => return result.unwrap_or(Err(Abandoned.into())),
            turn = self.turn.lock() => turn,
        };
        // Until answered (perhaps by the unit before, while the turn was handed over), commit
        // the changes waiting longest: ours is among them, and only the turn's holder takes
        // changes from the queue.
        loop {
            match answered.try_recv() {
                Ok(result) => return result,
                Err(oneshot::error::TryRecvError::Closed) => return Err(Abandoned.into()),
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let batch: Vec<_> = {
                let mut queue = self.queue();
                let taken = queue.len().min(MAX_UNIT);
                queue.drain(..taken).collect()
            };
            if batch.is_empty() {
                // Not answered and not waiting: only a broken commit could leave it so.
                return Err(Abandoned.into());
            }
            commit_all(batch, &commit);
        }
    }
}

/// Commits `batch` as one unit, or each change alone when that fails, and answers every one.
fn commit_all<T, R, E: From<Abandoned>>(batch: Vec<Waiting<T, R, E>>, commit: &impl Fn(&[T]) -> Result<Vec<R>, E>) {
    let (items, answers): (Vec<T>, Vec<_>) = batch.into_iter().map(|w| (w.item, w.answer)).unzip();
    if items.len() > 1
        && let Ok(results) = commit(&items)
    {
        for (answer, result) in answers.into_iter().zip(results) {
            // A submitter that stopped waiting has nobody to tell.
            let _ = answer.send(Ok(result));
        }
        return;
    }
    for (item, answer) in items.iter().zip(answers) {
        let result = commit(std::slice::from_ref(item)).and_then(|mut one| one.pop().ok_or_else(|| Abandoned.into()));
        let _ = answer.send(result);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[derive(Debug, PartialEq, Eq)]
    enum Refused {
        Odd(u32),
        Abandoned,
    }

    impl From<Abandoned> for Refused {
        fn from(_: Abandoned) -> Self {
            Self::Abandoned
        }
    }

    /// Commits only batches without an odd number, and records every unit it is asked for.
    #[derive(Default)]
    struct Log {
        units: Mutex<Vec<Vec<u32>>>,
        committed: Mutex<Vec<u32>>,
    }

    impl Log {
        fn commit(&self, items: &[u32]) -> Result<Vec<u32>, Refused> {
            self.units.lock().unwrap().push(items.to_vec());
            if let Some(odd) = items.iter().find(|n| *n % 2 == 1) {
                return Err(Refused::Odd(*odd));
            }
            self.committed.lock().unwrap().extend(items);
            Ok(items.iter().map(|n| n * 10).collect())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn changes_waiting_for_a_unit_share_the_next_and_a_bad_one_fails_alone() {
        let combiner = Arc::new(Combiner::<u32, u32, Refused>::default());
        let log = Arc::new(Log::default());
        // The first unit is held open until five more changes are waiting behind it.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let (started, has_started) = tokio::sync::oneshot::channel::<()>();
        let (hold, started) = (Mutex::new(hold), Mutex::new(Some(started)));
        let first = {
            let (combiner, log) = (combiner.clone(), log.clone());
            tokio::spawn(async move {
                combiner
                    .submit(0, |items| {
                        let _ = started.lock().unwrap().take().map(|s| s.send(()));
                        let _ = hold.lock().unwrap().recv();
                        log.commit(items)
                    })
                    .await
            })
        };
        has_started.await.unwrap();
        let mut rest = Vec::new();
        for n in [2, 4, 5, 6, 8] {
            let (combiner, log) = (combiner.clone(), log.clone());
            rest.push(tokio::spawn(async move { combiner.submit(n, |items| log.commit(items)).await }));
        }
        while combiner.queue().len() < 5 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        release.send(()).unwrap();

        assert_eq!(first.await.unwrap(), Ok(0));
        let mut answers = Vec::new();
        for one in rest {
            answers.push(one.await.unwrap());
        }
        assert_eq!(answers, [Ok(20), Ok(40), Err(Refused::Odd(5)), Ok(60), Ok(80)]);
        let units = log.units.lock().unwrap().clone();
        assert_eq!(units[0], [0]);
        assert_eq!(units[1].len(), 5, "the five waiting went into one unit: {units:?}");
        assert_eq!(units.len(), 2 + 5, "the refused unit was retried change by change: {units:?}");
        let mut committed = log.committed.lock().unwrap().clone();
        committed.sort_unstable();
        assert_eq!(committed, [0, 2, 4, 6, 8], "each good change made once, the bad one never");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_unit_takes_at_most_its_share_and_the_rest_follow() {
        let combiner = Arc::new(Combiner::<u32, u32, Refused>::default());
        let log = Arc::new(Log::default());
        let turn = combiner.turn.lock().await;
        let waiting: Vec<_> = (0..40)
            .map(|n| {
                let (combiner, log) = (combiner.clone(), log.clone());
                tokio::spawn(async move { combiner.submit(n * 2, |items| log.commit(items)).await })
            })
            .collect();
        while combiner.queue().len() < 40 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(turn);
        for (n, one) in waiting.into_iter().enumerate() {
            assert_eq!(one.await.unwrap(), Ok(n as u32 * 20));
        }
        let sizes: Vec<_> = log.units.lock().unwrap().iter().map(Vec::len).collect();
        assert_eq!(sizes, [MAX_UNIT, 40 - MAX_UNIT]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_change_whose_submitter_gave_up_before_its_unit_is_not_made() {
        let combiner = Arc::new(Combiner::<u32, u32, Refused>::default());
        let log = Arc::new(Log::default());
        let turn = combiner.turn.lock().await;
        let gives_up = {
            let (combiner, log) = (combiner.clone(), log.clone());
            tokio::spawn(async move { combiner.submit(2, |items| log.commit(items)).await })
        };
        while combiner.queue().is_empty() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        gives_up.abort();
        assert!(gives_up.await.unwrap_err().is_cancelled());
        assert!(combiner.queue().is_empty(), "the change left with its submitter");
        drop(turn);

        assert_eq!(combiner.submit(4, |items| log.commit(items)).await, Ok(40));
        assert_eq!(*log.units.lock().unwrap(), [vec![4]]);
    }
}
