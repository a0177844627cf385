//! Per-identity rate limits. Every caller is authenticated before the limit applies, so the
//! buckets are keyed by certificate identity; an officer's runaway script or a peer's retry
//! storm gets 429 with `Retry-After` instead of starving everyone else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::extract::lang_of;
use super::problem::Problem;
use crate::ids::CertIdentity;
use crate::tls::Authenticated;

/// Most identities tracked at once; beyond this the longest-idle ones are forgotten (a
/// forgotten identity starts with a full bucket, which only errs on the side of serving).
const MAX_TRACKED: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Token buckets per certificate identity.
#[derive(Debug)]
pub struct RateLimiter {
    officer_per_second: f64,
    officer_burst: f64,
    peer_per_second: f64,
    peer_burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// Limits of `officer_per_minute` and `peer_per_minute` requests, with bursts of a
    /// quarter minute's worth (at least 10).
    pub fn new(officer_per_minute: u32, peer_per_minute: u32) -> Self {
        let burst = |per_minute: u32| (f64::from(per_minute) / 4.0).max(10.0);
        Self {
            officer_per_second: f64::from(officer_per_minute) / 60.0,
            officer_burst: burst(officer_per_minute),
            peer_per_second: f64::from(peer_per_minute) / 60.0,
            peer_burst: burst(peer_per_minute),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `caller`; `Err(seconds)` says how long until one is available. A
    /// certificate that no CA here vouches for has a bucket of its own, so it cannot use up the
    /// real holder's.
    pub fn take(&self, caller: &Authenticated, now: Instant) -> Result<(), u32> {
        let (rate, burst) = match caller.identity {
            CertIdentity::Officer(_) => (self.officer_per_second, self.officer_burst),
            CertIdentity::Station(_) => (self.peer_per_second, self.peer_burst),
        };
        let key = if caller.vouched { caller.identity.to_string() } else { format!("unvouched {}", caller.identity) };
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(&key) {
            let oldest = buckets.iter().min_by_key(|(_, b)| b.updated).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                buckets.remove(&oldest);
            }
        }
        let bucket = buckets.entry(key).or_insert(Bucket { tokens: burst, updated: now });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / rate).ceil().clamp(1.0, 3600.0) as u32)
        }
    }
}

/// Middleware answering 429 with `Retry-After` when the caller is over its limit.
pub async fn enforce(State(limiter): State<Arc<RateLimiter>>, request: Request, next: Next) -> Response {
    let Some(caller) = request.extensions().get::<Authenticated>().cloned() else {
        return next.run(request).await;
    };
    match limiter.take(&caller, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(seconds) => {
            let (parts, _) = request.into_parts();
            let lang = lang_of(&parts);
            let mut problem = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                lang.pick("请求过于频繁", "too many requests"),
                lang.pick(&format!("请 {seconds} 秒后再试。"), &format!("try again in {seconds} s")),
            );
            problem.retry_after = Some(seconds);
            problem.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_is_served_then_refused_then_refilled() {
        let limiter = RateLimiter::new(60, 600);
        let known = |uri: &str| Authenticated { identity: uri.parse().unwrap(), vouched: true };
        let officer = known("urn:tiemeng:officer:zj-taishun-luoyang:330329001");
        let start = Instant::now();
        for _ in 0..15 {
            assert!(limiter.take(&officer, start).is_ok());
        }
        assert_eq!(limiter.take(&officer, start), Err(1), "one request a second after the burst");
        assert!(limiter.take(&officer, start + Duration::from_secs(2)).is_ok());
        let station = known("urn:tiemeng:station:fj-shouning-xixi");
        assert!(limiter.take(&station, start).is_ok(), "each identity has its own bucket");
        let impostor = Authenticated { vouched: false, ..officer };
        assert!(limiter.take(&impostor, start).is_ok(), "a certificate no CA here vouches for has its own");
    }
}
