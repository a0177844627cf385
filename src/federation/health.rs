//! What admins see of each peer: queue depth, last success, last error, next retry, counters
//! and a delivery latency histogram, served by `/api/v1/peers` and `/metrics`.

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
    /// Stable code: the peer's rejection code, or `unreachable`, `bad_answer`, `bad_receipt`.
    pub code: String,
    /// What happened.
    pub message: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

#[derive(Debug, Default)]
struct State {
    last_success: Option<OffsetDateTime>,
    last_error: Option<PeerError>,
    next_retry: Option<OffsetDateTime>,
    failures_in_row: u32,
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
    /// Envelopes delivered since start.
    pub delivered: u64,
    /// Envelopes refused for good since start.
    pub rejected: u64,
    /// Retries since start.
    pub retries: u64,
}

impl PeerHealth {
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
            state.last_error = Some(error);
            state.next_retry = Some(next_retry);
            state.failures_in_row = state.failures_in_row.saturating_add(1);
        }
    }

    /// A snapshot.
    pub fn status(&self) -> PeerStatus {
        let state = self.state.lock().map(|s| (s.last_success, s.last_error.clone(), s.next_retry, s.failures_in_row));
        let (last_success, last_error, next_retry, failures_in_row) = state.unwrap_or_default();
        PeerStatus {
            last_success,
            last_error,
            next_retry,
            failures_in_row,
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
    /// Health records for `peers`.
    pub fn new<'a>(peers: impl IntoIterator<Item = &'a StationId>) -> Self {
        Self { peers: peers.into_iter().map(|p| (p.clone(), PeerHealth::default())).collect() }
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
