//! The additive counters behind the chiefs' statistics. Every target of every case contributes
//! one [`Tally`] to the bucket of its request day (and month), computed purely from the
//! target's signed events; when a target changes, the store subtracts its old contribution and
//! adds the new one in the same transaction. Because origin and target apply the same signed
//! events, both nodes hold the same tallies for their joint work.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::case::{CaseRecord, TargetRecord};
use crate::clock::BEIJING;
use crate::domain::case::{DeclineReason, Outcome};
use crate::domain::details::CaseKind;
use crate::domain::lifecycle::TargetState;
use crate::ids::StationId;

/// Upper bounds (seconds) of the duration histogram buckets; the last bucket is open-ended.
/// Roughly 1.5× apart, so a median read from them is within a bucket of the true value.
pub const DURATION_BOUNDS: [i64; 32] = [
    60,
    120,
    180,
    300,
    420,
    600,
    900,
    1200,
    1800,
    2700,
    3600,
    5400,
    7200,
    10800,
    14400,
    21600,
    28800,
    43200,
    57600,
    86400,
    129_600,
    172_800,
    259_200,
    345_600,
    432_000,
    604_800,
    864_000,
    1_209_600,
    1_814_400,
    2_592_000,
    5_184_000,
    i64::MAX,
];

/// Which way a request went, seen from this station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// This station asked.
    Sent,
    /// This station was asked.
    Received,
}

/// Where a tally is filed: request day (Beijing time), direction, partner station, kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dims {
    /// Days since 1970-01-01 of the request, in Beijing time.
    pub day: i32,
    /// Sent or received.
    pub direction: Direction,
    /// The partner station.
    pub peer: StationId,
    /// The kind of request.
    pub kind: CaseKind,
}

/// Additive counters of one bucket. Every field is a sum, so tallies add and subtract.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Requests (one per target).
    pub requests: i64,
    /// Acknowledged.
    pub acknowledged: i64,
    /// Acknowledged by the ack deadline.
    pub ack_in_time: i64,
    /// Acknowledged after the ack deadline.
    pub ack_late: i64,
    /// With a first report.
    pub reported: i64,
    /// First report after its deadline.
    pub report_late: i64,
    /// Outcome reported (resolved or closed): 办结.
    pub resolved: i64,
    /// Closed and evaluated by the origin.
    pub closed: i64,
    /// Declined.
    pub declined: i64,
    /// Withdrawn.
    pub withdrawn: i64,
    /// Reminders sent.
    pub reminders: i64,
    /// Sum of evaluations (满意度) given.
    pub evaluation_sum: i64,
    /// Evaluations given.
    pub evaluations: i64,
    /// Outcome counts by [`Outcome`], in `Outcome::ALL` order (persons found, …).
    pub outcomes: Vec<i64>,
    /// Declines by [`DeclineReason`], in `DeclineReason::ALL` order.
    pub declines: Vec<i64>,
    /// Histogram of time to acknowledge, over [`DURATION_BOUNDS`].
    pub ack_times: Vec<i64>,
    /// Histogram of time to first report.
    pub report_times: Vec<i64>,
}

fn bucket(seconds: i64) -> usize {
    DURATION_BOUNDS.iter().position(|bound| seconds <= *bound).unwrap_or(DURATION_BOUNDS.len() - 1)
}

fn seconds_between(from: OffsetDateTime, to: OffsetDateTime) -> i64 {
    (to - from).whole_seconds().max(0)
}

/// The Julian day of 1970-01-01.
const EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// The day (since 1970-01-01, Beijing time) a time falls on.
pub fn day_of(at: OffsetDateTime) -> i32 {
    day_of_date(at.to_offset(BEIJING).date())
}

/// The date of a day number from [`day_of`].
pub fn date_of_day(day: i32) -> time::Date {
    time::Date::from_julian_day(day.saturating_add(EPOCH_JULIAN_DAY)).unwrap_or(time::Date::MIN)
}

/// Days since 1970-01-01 of a date.
pub fn day_of_date(date: time::Date) -> i32 {
    date.to_julian_day() - EPOCH_JULIAN_DAY
}

impl Tally {
    fn sized() -> Self {
        Self {
            outcomes: vec![0; Outcome::ALL.len()],
            declines: vec![0; DeclineReason::ALL.len()],
            ack_times: vec![0; DURATION_BOUNDS.len()],
            report_times: vec![0; DURATION_BOUNDS.len()],
            ..Self::default()
        }
    }

    /// What one target contributes.
    pub fn of_target(case: &CaseRecord, target: &TargetRecord) -> Self {
        let mut tally = Self::sized();
        tally.requests = 1;
        // Times run from delivery, as deadlines do: a partner is not slow for the hours a
        // request waited in a queue while its node was down.
        let from = target.delivered_at.unwrap_or(case.created_at);
        if let Some(acked) = target.acked_at {
            tally.acknowledged = 1;
            if acked <= target.ack_by {
                tally.ack_in_time = 1
            } else {
                tally.ack_late = 1
            }
            tally.ack_times[bucket(seconds_between(from, acked))] = 1;
        }
        if let Some(reported) = target.first_report_at {
            tally.reported = 1;
            tally.report_late = i64::from(reported > target.report_by);
            tally.report_times[bucket(seconds_between(from, reported))] = 1;
        }
        tally.resolved = i64::from(target.outcome.is_some());
        tally.closed = i64::from(target.state == TargetState::Closed);
        tally.declined = i64::from(target.state == TargetState::Declined);
        tally.withdrawn = i64::from(target.state == TargetState::Withdrawn);
        tally.reminders = i64::from(target.reminders);
        if let Some(evaluation) = target.evaluation {
            tally.evaluation_sum = i64::from(evaluation);
            tally.evaluations = 1;
        }
        if let Some(outcome) = target.outcome
            && let Some(i) = Outcome::ALL.iter().position(|o| *o == outcome)
        {
            tally.outcomes[i] = if outcome == Outcome::NoTrace { 1 } else { i64::from(target.outcome_count) };
        }
        if let Some(reason) = target.decline_reason
            && let Some(i) = DeclineReason::ALL.iter().position(|r| *r == reason)
        {
            tally.declines[i] = 1;
        }
        tally
    }

    /// Adds `other` times `sign` (1 to add, -1 to subtract).
    pub fn add(&mut self, other: &Tally, sign: i64) {
        let scalars = [
            (&mut self.requests, other.requests),
            (&mut self.acknowledged, other.acknowledged),
            (&mut self.ack_in_time, other.ack_in_time),
            (&mut self.ack_late, other.ack_late),
            (&mut self.reported, other.reported),
            (&mut self.report_late, other.report_late),
            (&mut self.resolved, other.resolved),
            (&mut self.closed, other.closed),
            (&mut self.declined, other.declined),
            (&mut self.withdrawn, other.withdrawn),
            (&mut self.reminders, other.reminders),
            (&mut self.evaluation_sum, other.evaluation_sum),
            (&mut self.evaluations, other.evaluations),
        ];
        for (mine, theirs) in scalars {
            *mine += sign * theirs;
        }
        for (mine, theirs) in [
            (&mut self.outcomes, &other.outcomes),
            (&mut self.declines, &other.declines),
            (&mut self.ack_times, &other.ack_times),
            (&mut self.report_times, &other.report_times),
        ] {
            if mine.len() < theirs.len() {
                mine.resize(theirs.len(), 0);
            }
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += sign * t;
            }
        }
    }

    /// True when the bucket holds no target any more. Every contribution counts one request
    /// and only counts facts about that request, so no requests means nothing at all.
    pub fn is_empty(&self) -> bool {
        self.requests == 0
    }
}

/// Every (dimensions, tally) a case contributes at the node of `me`.
pub fn contributions(case: &CaseRecord, me: &StationId) -> Vec<(Dims, Tally)> {
    let day = day_of(case.created_at);
    case.targets
        .iter()
        .map(|target| {
            let (direction, peer) = if &case.origin == me {
                (Direction::Sent, target.station.clone())
            } else {
                (Direction::Received, case.origin.clone())
            };
            (Dims { day, direction, peer, kind: case.kind }, Tally::of_target(case, target))
        })
        .collect()
}
