//! The node's notion of "now". Deadlines, clock-skew checks and stored-at times all read it,
//! so tests can move time forward instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

/// A shareable clock: the system clock, or a manual one for tests and simulations.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Milliseconds added to the system time; a manual clock is the system clock frozen at
    /// creation plus this offset, which keeps one code path for both.
    offset_ms: Arc<AtomicI64>,
    frozen_at_ms: Option<i64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that stands still at `at` until [`Clock::advance`] moves it.
    pub fn manual(at: OffsetDateTime) -> Self {
        Self { offset_ms: Arc::default(), frozen_at_ms: Some(unix_ms(at)) }
    }

    /// The current time in UTC, truncated to milliseconds so every stored and signed time has
    /// one precision.
    pub fn now(&self) -> OffsetDateTime {
        let base = self.frozen_at_ms.unwrap_or_else(|| unix_ms(OffsetDateTime::now_utc()));
        from_unix_ms(base + self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves the clock (a manual one, or a skewed system one) by `by`.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.whole_milliseconds()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// Milliseconds since the Unix epoch, the unit of every time in storage keys.
pub fn unix_ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The inverse of [`unix_ms`]; out-of-range values clamp to the epoch rather than panic.
pub fn from_unix_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Formats a time as RFC 3339, the form used on the wire and in logs.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// China Standard Time, the time every station on the border keeps.
pub const BEIJING: time::UtcOffset = time::macros::offset!(+8);

/// A time for people: Beijing time to the minute, e.g. `2026-11-23 18:05`.
pub fn local_minute(at: OffsetDateTime) -> String {
    // Times near the end of the representable range cannot move to +8; show them in UTC.
    let Some(local) = at.checked_to_offset(BEIJING) else { return rfc3339(at) };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute()
    )
}

/// The calendar date of `at` in Beijing, where officers read and write dates.
pub fn beijing_date(at: OffsetDateTime) -> time::Date {
    at.checked_to_offset(BEIJING).unwrap_or(at).date()
}

/// Serde for `time::Date` as `YYYY-MM-DD`.
pub mod date {
    time::serde::format_description!(pub iso_date, Date, "[year]-[month]-[day]");
    pub use iso_date::*;
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = Clock::manual(datetime!(2026-11-23 08:00 UTC));
        assert_eq!(clock.now(), datetime!(2026-11-23 08:00 UTC));
        clock.advance(Duration::minutes(11));
        assert_eq!(clock.now(), datetime!(2026-11-23 08:11 UTC));
    }

    #[test]
    fn milliseconds_round_trip() {
        let at = datetime!(2026-11-23 08:00:00.123 UTC);
        assert_eq!(from_unix_ms(unix_ms(at)), at);
    }
}
