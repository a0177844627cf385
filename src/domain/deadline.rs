//! Deadlines per kind and priority, and what "overdue" (超期) means.
//!
//! Defaults follow Nlets' ten-minute hit confirmation and the EU's 8-hour / 3-day / 7-day reply
//! rules. The origin computes both deadlines from its own policy when it sends a request and
//! signs them into the request, so origin and target always measure against the same times
//! even when their configurations differ.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};
use time::{Duration, OffsetDateTime};

use super::case::Priority;
use super::details::CaseKind;
use super::lifecycle::TargetState;

/// The longest deadline window: a year and a day. Longer ones are mistakes, and would put
/// deadlines beyond what can be represented.
pub const MAX_SPAN_SECONDS: i64 = 366 * 86_400;

/// A span written as a number and a unit: `90s`, `10m`, `8h`, `3d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span(pub Duration);

impl FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a duration: write a whole number and a unit, e.g. 10m, 8h, 3d");
        let unit_at = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (number, unit) = s.split_at(unit_at);
        let n: i64 = number.parse().map_err(|_| bad())?;
        let unit_seconds = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        let seconds = n.checked_mul(unit_seconds).filter(|s| *s <= MAX_SPAN_SECONDS).ok_or_else(|| {
            format!("{s:?} is too long: a deadline window is at most {} days", MAX_SPAN_SECONDS / 86_400)
        })?;
        if seconds == 0 {
            return Err(format!("{s:?} must be longer than zero"));
        }
        Ok(Self(Duration::seconds(seconds)))
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.whole_seconds();
        match secs {
            s if s % 86_400 == 0 => write!(f, "{}d", s / 86_400),
            s if s % 3_600 == 0 => write!(f, "{}h", s / 3_600),
            s if s % 60 == 0 => write!(f, "{}m", s / 60),
            s => write!(f, "{s}s"),
        }
    }
}

/// How long a target has to acknowledge and to send a first report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Windows {
    /// Time to acknowledge (签收时限).
    pub ack: Span,
    /// Time to the first report (首次反馈时限).
    pub report: Span,
}

/// The deadline policy: defaults per priority, optionally overridden per kind and priority.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlinePolicy {
    /// Windows for `urgent` (特急).
    #[serde(default = "default_urgent")]
    pub urgent: Windows,
    /// Windows for `high` (紧急).
    #[serde(default = "default_high")]
    pub high: Windows,
    /// Windows for `routine` (一般).
    #[serde(default = "default_routine")]
    pub routine: Windows,
    /// Overrides for particular kinds, e.g. a shorter report window for missing persons.
    #[serde(default)]
    pub kinds: BTreeMap<CaseKind, KindOverride>,
}

/// Per-priority overrides for one kind; priorities left out use the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindOverride {
    /// Override for `urgent`.
    pub urgent: Option<Windows>,
    /// Override for `high`.
    pub high: Option<Windows>,
    /// Override for `routine`.
    pub routine: Option<Windows>,
}

fn windows(ack: Duration, report: Duration) -> Windows {
    Windows { ack: Span(ack), report: Span(report) }
}
fn default_urgent() -> Windows {
    windows(Duration::minutes(10), Duration::hours(8))
}
fn default_high() -> Windows {
    windows(Duration::hours(1), Duration::days(3))
}
fn default_routine() -> Windows {
    windows(Duration::hours(24), Duration::days(7))
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        Self { urgent: default_urgent(), high: default_high(), routine: default_routine(), kinds: BTreeMap::new() }
    }
}

impl DeadlinePolicy {
    /// The windows that apply to a case of `kind` sent with `priority`.
    pub fn windows(&self, kind: CaseKind, priority: Priority) -> Windows {
        let pick = |o: &KindOverride| match priority {
            Priority::Urgent => o.urgent,
            Priority::High => o.high,
            Priority::Routine => o.routine,
        };
        self.kinds.get(&kind).and_then(pick).unwrap_or(match priority {
            Priority::Urgent => self.urgent,
            Priority::High => self.high,
            Priority::Routine => self.routine,
        })
    }

    /// Every configured window, for validation: (label, windows).
    pub fn all(&self) -> Vec<(String, Windows)> {
        let mut all = vec![
            ("urgent".to_owned(), self.urgent),
            ("high".to_owned(), self.high),
            ("routine".to_owned(), self.routine),
        ];
        for (kind, o) in &self.kinds {
            for (p, w) in [("urgent", o.urgent), ("high", o.high), ("routine", o.routine)] {
                if let Some(w) = w {
                    all.push((format!("kinds.{}.{p}", kind.as_str()), w));
                }
            }
        }
        all
    }
}

/// Which deadline a target has missed, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overdue {
    /// Not acknowledged by the ack deadline (签收超期).
    Ack {
        /// The deadline that passed.
        due: OffsetDateTime,
    },
    /// Acknowledged, but no first report by the report deadline (反馈超期).
    Report {
        /// The deadline that passed.
        due: OffsetDateTime,
    },
}

impl Overdue {
    /// The deadline that passed.
    pub fn due(self) -> OffsetDateTime {
        match self {
            Self::Ack { due } | Self::Report { due } => due,
        }
    }
}

/// The next deadline an open target must meet, if any: the ack deadline until it acks, then
/// the report deadline until its first report.
pub fn next_deadline(
    state: TargetState,
    ack_by: OffsetDateTime,
    report_by: OffsetDateTime,
    first_report_at: Option<OffsetDateTime>,
) -> Option<Overdue> {
    match state {
        // Deadlines run from delivery: a request the target has not stored yet owes nothing.
        TargetState::Delivered => Some(Overdue::Ack { due: ack_by }),
        TargetState::Acknowledged if first_report_at.is_none() => Some(Overdue::Report { due: report_by }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn spans_parse_and_print() {
        assert_eq!("10m".parse::<Span>().unwrap().0, Duration::minutes(10));
        assert_eq!("3d".parse::<Span>().unwrap().to_string(), "3d");
        assert!("10".parse::<Span>().is_err());
        assert!("0h".parse::<Span>().is_err());
        assert!("1w".parse::<Span>().is_err());
    }

    #[test]
    fn kind_overrides_win_over_priority_defaults() {
        let mut policy = DeadlinePolicy::default();
        let four_hours = windows(Duration::minutes(10), Duration::hours(4));
        policy.kinds.insert(CaseKind::MissingPerson, KindOverride { urgent: Some(four_hours), ..Default::default() });
        assert_eq!(policy.windows(CaseKind::MissingPerson, Priority::Urgent), four_hours);
        assert_eq!(policy.windows(CaseKind::Fugitive, Priority::Urgent), default_urgent());
        assert_eq!(policy.windows(CaseKind::MissingPerson, Priority::High), default_high());
    }

    #[test]
    fn the_next_deadline_follows_the_state() {
        let ack_by = datetime!(2026-11-23 08:10 UTC);
        let report_by = datetime!(2026-11-23 16:00 UTC);
        assert_eq!(next_deadline(TargetState::Delivered, ack_by, report_by, None), Some(Overdue::Ack { due: ack_by }));
        assert_eq!(
            next_deadline(TargetState::Acknowledged, ack_by, report_by, None),
            Some(Overdue::Report { due: report_by })
        );
        assert_eq!(next_deadline(TargetState::Acknowledged, ack_by, report_by, Some(ack_by)), None);
        assert_eq!(next_deadline(TargetState::Closed, ack_by, report_by, None), None);
    }
}
