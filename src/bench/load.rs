//! Closed-loop load: each client sends its next request as soon as the last one is answered,
//! over its own keep-alive connection. Every answered request's duration is kept, so the
//! percentiles are exact, not estimated from buckets.

use std::future::Future;
use std::time::{Duration, Instant};

/// Durations of the requests answered inside the measured window, and what failed.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    /// Durations, sorted.
    pub latencies: Vec<Duration>,
    /// Requests that failed inside the window.
    pub errors: u64,
    /// The first failure, to show.
    pub first_error: Option<String>,
    /// Length of the window.
    pub window: Duration,
}

impl Samples {
    /// Collects `latencies` over `window`.
    pub fn new(mut latencies: Vec<Duration>, window: Duration) -> Self {
        latencies.sort_unstable();
        Self { latencies, errors: 0, first_error: None, window }
    }

    /// Answered requests per second.
    pub fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.window.as_secs_f64().max(1e-9)
    }

    /// The `p`-th percentile (0–100), nearest rank.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    /// The median.
    pub fn p50(&self) -> Duration {
        self.percentile(50.0)
    }

    /// The 99th percentile.
    pub fn p99(&self) -> Duration {
        self.percentile(99.0)
    }

    /// The slowest.
    pub fn max(&self) -> Duration {
        self.latencies.last().copied().unwrap_or_default()
    }

    /// `p50 …, p99 …, max …` for the details.
    pub fn summary(&self) -> String {
        format!(
            "{} samples: p50 {}, p90 {}, p99 {}, max {}",
            self.latencies.len(),
            super::report::ms(self.p50()),
            super::report::ms(self.percentile(90.0)),
            super::report::ms(self.p99()),
            super::report::ms(self.max())
        )
    }
}

/// Runs one task per operation in `ops` for `warmup` and then `measure`, and keeps the
/// durations of the requests that started and ended inside the measured window.
pub async fn closed_loop<Op, Fut>(ops: Vec<Op>, warmup: Duration, measure: Duration) -> Samples
where
    Op: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let start = Instant::now() + warmup;
    let end = start + measure;
    let tasks: Vec<_> = ops
        .into_iter()
        .map(|mut op| {
            tokio::spawn(async move {
                let mut kept = Vec::new();
                let (mut errors, mut first_error) = (0u64, None);
                loop {
                    let began = Instant::now();
                    if began >= end {
                        break;
                    }
                    let result = op().await;
                    let ended = Instant::now();
                    if began < start || ended > end {
                        continue;
                    }
                    match result {
                        Ok(()) => kept.push(ended - began),
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e);
                        }
                    }
                }
                (kept, errors, first_error)
            })
        })
        .collect();
    let mut all = Vec::new();
    let (mut errors, mut first_error) = (0, None);
    for task in tasks {
        if let Ok((kept, e, first)) = task.await {
            all.extend(kept);
            errors += e;
            if first_error.is_none() {
                first_error = first;
            }
        }
    }
    let mut samples = Samples::new(all, measure);
    samples.errors = errors;
    samples.first_error = first_error;
    samples
}

/// Times `op` `n` times one after another; returns the mean duration.
pub fn mean_of<T>(n: usize, mut op: impl FnMut() -> T) -> Duration {
    let started = Instant::now();
    for _ in 0..n {
        std::hint::black_box(op());
    }
    started.elapsed() / u32::try_from(n.max(1)).unwrap_or(u32::MAX)
}

/// Sends a prepared request and checks the status; the error names what came back.
pub async fn expect(request: reqwest::RequestBuilder, status: u16) -> Result<(), String> {
    let response = request.send().await.map_err(|e| format!("no answer: {e}"))?;
    let got = response.status().as_u16();
    let body = response.bytes().await.map_err(|e| format!("body: {e}"))?;
    if got == status {
        Ok(())
    } else {
        Err(format!("HTTP {got}: {}", String::from_utf8_lossy(&body[..body.len().min(300)])))
    }
}
