//! What admins see of each peer: queue depth, last success, last error, next retry, counters
//! and a delivery latency histogram, served by `/api/v1/peers` and `/metrics`. The node holds
//! it; each peer's delivery task (`federation`) writes to it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::ids::StationId;

/// Upper bounds (seconds) of the latency histogram buckets.
pub const LATENCY_BUCKETS: [f64; 14] =
    [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 600.0, 3600.0];

/// The last delivery error of a peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PeerError {
    /// Stable code: the peer's rejection code, or `unreachable`, `peer_certificate` (its certificate is not from the CA configured for it, or names another station), `bad_answer`, `bad_receipt`.
    pub code: String,
    /// What happened.
    pub message: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

impl PeerError {
    /// True when the partner could not be reached at all (as opposed to answering with a
    /// refusal): its node down, the link cut, or its certificate not the one expected.
    pub fn cut_off(&self) -> bool {
        matches!(self.code.as_str(), "unreachable" | "peer_certificate")
    }
}

/// What of a peer's health outlives the process: an admin looking at a partner right after a
/// restart should still see when a delivery last succeeded and what last failed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remembered {
    /// Last successful exchange.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_success: Option<OffsetDateTime>,
    /// Last error.
    #[serde(default)]
    pub last_error: Option<PeerError>,
}

impl Remembered {
    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads the stored form; a note this release cannot read is treated as none, since it
    /// only ever held what the next delivery will observe again.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }
}

/// How long a newer last success, or a newer time of the same error, may wait to be written
/// down: deliveries and retries do not each cost a synced write, and a crash loses at most
/// this much of them (a stop writes them at once).
const KEEP_AT_MOST_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Debug, Default)]
struct State {
    last_success: Option<OffsetDateTime>,
    last_error: Option<PeerError>,
    next_retry: Option<OffsetDateTime>,
    failures_in_row: u32,
    /// Since when deliveries fail for want of reaching the partner, until one succeeds.
    unreachable_since: Option<OffsetDateTime>,
    /// What was last written down, and when.
    kept: Remembered,
    kept_at: Option<std::time::Instant>,
}

/// Health and counters of one peer.
#[derive(Debug, Default)]
pub struct PeerHealth {
    state: Mutex<State>,
    delivered: AtomicU64,
    rejected: AtomicU64,
    retries: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    /// Woken whenever deliveries are recorded, for [`PeerHealth::wait_delivered`].
    progress: tokio::sync::Notify,
}

/// A snapshot of one peer's health.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PeerStatus {
    /// Last successful exchange.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_success: Option<OffsetDateTime>,
    /// Last error.
    pub last_error: Option<PeerError>,
    /// When the next attempt is due while backing off.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_retry: Option<OffsetDateTime>,
    /// Failed attempts in a row.
    pub failures_in_row: u32,
    /// Since when deliveries fail for want of reaching the partner (its node down, the link
    /// cut, its certificate not the one expected), until one succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub unreachable_since: Option<OffsetDateTime>,
    /// Envelopes delivered since start.
    pub delivered: u64,
    /// Envelopes refused for good since start.
    pub rejected: u64,
    /// Retries since start.
    pub retries: u64,
}

impl PeerHealth {
    /// A peer's health as it stood when the node last wrote it down.
    pub fn restored(remembered: Remembered) -> Self {
        let state = State {
            last_success: remembered.last_success,
            last_error: remembered.last_error.clone(),
            kept: remembered,
            ..State::default()
        };
        Self { state: Mutex::new(state), ..Self::default() }
    }

    /// What to write down now, if anything, taken as written: a new error at once, anything
    /// else that changed at most once a minute, and all of it when the node is `closing`.
    pub fn to_keep(&self, closing: bool) -> Option<Remembered> {
        let mut state = self.state.lock().ok()?;
        let now = Remembered { last_success: state.last_success, last_error: state.last_error.clone() };
        if now == state.kept {
            return None;
        }
        // The same error again (a peer down for hours) only moves its time: that can wait too.
        let what = |error: &Option<PeerError>| error.as_ref().map(|e| (e.code.clone(), e.message.clone()));
        let new_error = what(&now.last_error) != what(&state.kept.last_error);
        let due = state.kept_at.is_none_or(|at| at.elapsed() >= KEEP_AT_MOST_EVERY);
        if !(closing || new_error || due) {
            return None;
        }
        state.kept = now.clone();
        state.kept_at = Some(std::time::Instant::now());
        Some(now)
    }

    /// Records delivered envelopes and how long each took from creation to receipt.
    pub fn delivered(&self, latencies: &[Duration], at: OffsetDateTime) {
        self.delivered.fetch_add(latencies.len() as u64, Ordering::Relaxed);
        for latency in latencies {
            let seconds = latency.as_secs_f64();
            for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
                if seconds <= *bound {
                    bucket.fetch_add(1, Ordering::Relaxed);
                }
            }
            self.latency_count.fetch_add(1, Ordering::Relaxed);
            self.latency_sum_micros
                .fetch_add(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
        }
        if let Ok(mut state) = self.state.lock() {
            state.last_success = Some(at);
            state.next_retry = None;
            state.failures_in_row = 0;
            state.unreachable_since = None;
        }
        self.progress.notify_waiters();
    }

    /// Waits until at least `count` envelopes have been delivered since start. Deliveries are
    /// counted once their receipts are on disk, so this is the moment the sender holds them.
    pub async fn wait_delivered(&self, count: u64) {
        loop {
            let notified = self.progress.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.delivered.load(Ordering::Relaxed) >= count {
                return;
            }
            notified.await;
        }
    }

    /// Records envelopes the peer refused for good.
    pub fn rejected(&self, count: usize, error: PeerError) {
        self.rejected.fetch_add(count as u64, Ordering::Relaxed);
        if let Ok(mut state) = self.state.lock() {
            state.last_error = Some(error);
        }
    }

    /// Records a failed attempt and when the next one is due.
    pub fn failed(&self, error: PeerError, next_retry: OffsetDateTime) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut state) = self.state.lock() {
            if error.cut_off() {
                state.unreachable_since.get_or_insert(error.at);
            }
            state.last_error = Some(error);
            state.next_retry = Some(next_retry);
            state.failures_in_row = state.failures_in_row.saturating_add(1);
        }
    }

    /// A snapshot.
    pub fn status(&self) -> PeerStatus {
        let state = self
            .state
            .lock()
            .map(|s| (s.last_success, s.last_error.clone(), s.next_retry, s.failures_in_row, s.unreachable_since));
        let (last_success, last_error, next_retry, failures_in_row, unreachable_since) = state.unwrap_or_default();
        PeerStatus {
            last_success,
            last_error,
            next_retry,
            failures_in_row,
            unreachable_since,
            delivered: self.delivered.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }

    /// Cumulative latency bucket counts, total count and sum in seconds.
    pub fn latency(&self) -> (Vec<u64>, u64, f64) {
        let buckets = self.latency_buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
        let sum = self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        (buckets, self.latency_count.load(Ordering::Relaxed), sum)
    }
}

/// Health of every configured peer.
#[derive(Debug, Default)]
pub struct Health {
    peers: BTreeMap<StationId, PeerHealth>,
}

impl Health {
    /// Health records for `peers`, each starting from what was last written down of it.
    pub fn new<'a>(peers: impl IntoIterator<Item = (&'a StationId, Remembered)>) -> Self {
        Self { peers: peers.into_iter().map(|(p, remembered)| (p.clone(), PeerHealth::restored(remembered))).collect() }
    }

    /// One peer's record.
    pub fn peer(&self, id: &StationId) -> Option<&PeerHealth> {
        self.peers.get(id)
    }

    /// Every peer's record.
    pub fn iter(&self) -> impl Iterator<Item = (&StationId, &PeerHealth)> {
        self.peers.iter()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn an_error_is_kept_at_once_a_newer_success_once_a_minute_and_everything_at_a_stop() {
        let health = PeerHealth::default();
        assert_eq!(health.to_keep(false), None, "nothing happened yet");
        let (t1, t2, t3) =
            (datetime!(2026-12-05 08:00 UTC), datetime!(2026-12-05 08:00:10 UTC), datetime!(2026-12-05 08:00:20 UTC));
        health.delivered(&[], t1);
        let first = health.to_keep(false).map(|kept| kept.last_success);
        assert_eq!(first, Some(Some(t1)), "the first success since start is written down");
        health.delivered(&[], t2);
        assert_eq!(health.to_keep(false), None, "a newer success waits a minute");

        let error = PeerError { code: "unreachable".into(), message: "connection refused".into(), at: t3 };
        health.failed(error.clone(), t3);
        let kept = health.to_keep(false);
        let expected = Remembered { last_success: Some(t2), last_error: Some(error.clone()) };
        assert_eq!(kept.as_ref(), Some(&expected), "an error at once, with the success that waited");
        assert_eq!(health.to_keep(false), None, "nothing new");
        health.failed(PeerError { at: t3 + time::Duration::seconds(5), ..error }, t3);
        assert_eq!(health.to_keep(false), None, "the same error again waits a minute");

        health.delivered(&[], t3);
        assert_eq!(health.to_keep(false), None);
        let at_stop = health.to_keep(true);
        assert_eq!(at_stop.as_ref().and_then(|kept| kept.last_success), Some(t3), "a stop writes down what waited");
        let error_at = at_stop.and_then(|kept| kept.last_error).map(|e| e.at);
        assert_eq!(error_at, Some(t3 + time::Duration::seconds(5)));
        assert_eq!(health.to_keep(true), None, "and nothing twice");

        let restored = PeerHealth::restored(Remembered::decode(&expected.encode()).unwrap_or_default());
        let status = restored.status();
        assert_eq!((status.last_success, status.last_error), (expected.last_success, expected.last_error));
        assert_eq!(restored.to_keep(true), None, "what was read back needs no writing");
        assert_eq!(Remembered::decode(b"{not json"), None, "an unreadable note is none");
    }
}
