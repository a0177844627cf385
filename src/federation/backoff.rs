//! Retry schedule for a peer that does not answer. Doubling from one second, capped (five
//! minutes by default), with jitter so that many nodes recovering from the same outage do not
//! retry in lockstep. Each step covers a longer outage:
//!
//! | attempt | wait (before jitter) | covers an outage of about |
//! |---|---|---|
//! | 1–3 | 1 s, 2 s, 4 s | a dropped connection, a restart |
//! | 4–6 | 8 s, 16 s, 32 s | a node being upgraded |
//! | 7–9 | 64 s, 128 s, 256 s | a link down for minutes |
//! | 10+ | the cap (300 s) | a day or more: at most 12 attempts an hour |

use std::time::Duration;

/// The retry schedule of one peer.
#[derive(Debug, Clone)]
pub struct Backoff {
    attempt: u32,
    cap: Duration,
}

const BASE: Duration = Duration::from_secs(1);

impl Backoff {
    /// A schedule capped at `cap`.
    pub fn new(cap: Duration) -> Self {
        Self { attempt: 0, cap }
    }

    /// The wait before the next attempt, with up to half of it taken off at random. `unit` is a
    /// random number in `[0, 1)`; taking it as a parameter keeps this pure and testable.
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        let exponent = self.attempt.min(20);
        self.attempt = self.attempt.saturating_add(1);
        let full = BASE.saturating_mul(1 << exponent).min(self.cap);
        full.mul_f64(1.0 - 0.5 * unit.clamp(0.0, 1.0))
    }

    /// After a success: the next failure starts from the beginning.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Failures in a row so far.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_then_stay_at_the_cap() {
        let mut backoff = Backoff::new(Duration::from_secs(300));
        let delays: Vec<u64> = (0..12).map(|_| backoff.next_delay(0.0).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    }

    #[test]
    fn jitter_takes_off_at_most_half() {
        let mut backoff = Backoff::new(Duration::from_secs(300));
        for _ in 0..10 {
            backoff.next_delay(0.0);
        }
        let low = backoff.clone().next_delay(0.999_999);
        assert!(low >= Duration::from_secs(150) && low < Duration::from_secs(151), "{low:?}");
    }

    #[test]
    fn reset_starts_over() {
        let mut backoff = Backoff::new(Duration::from_secs(300));
        backoff.next_delay(0.0);
        backoff.next_delay(0.0);
        backoff.reset();
        assert_eq!(backoff.next_delay(0.0), Duration::from_secs(1));
        assert_eq!(backoff.attempts(), 1);
    }
}
