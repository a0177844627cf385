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
    /// Requests whose acknowledgement is settled and counts in the 按时签收率: answered
    /// (acknowledged, or declined without an acknowledgement), or withdrawn unanswered after
    /// their acknowledgement deadline. See [`crate::stats::report::GLOSSARY`].
    #[serde(default)]
    pub ack_due: i64,
    /// Of [`Tally::ack_due`], answered by the acknowledgement deadline: acknowledged, or
    /// declined, in time. A decline is an answer; only silence past the deadline is a miss.
    #[serde(default)]
    pub answered_in_time: i64,
    /// Delivered requests still waiting for an answer, as [`Waiting`] pairs keyed by their
    /// acknowledgement deadline: they count in the rate once the deadline has passed, which
    /// depends on when one asks, so it is decided at query time.
    #[serde(default)]
    pub ack_waiting: Vec<i64>,
    /// Requests that count in the 办结率: with an outcome, or withdrawn without one after
    /// their first-report deadline.
    #[serde(default)]
    pub outcome_due: i64,
    /// Delivered, undeclined requests without an outcome, as [`Waiting`] pairs keyed by their
    /// first-report deadline: they count in the 办结率 once it has passed.
    #[serde(default)]
    pub outcome_waiting: Vec<i64>,
}

/// Sorted `(deadline in Unix seconds, count)` pairs, stored flat in a `Vec<i64>` so tallies
/// keep one stored form for every list. A day's bucket holds a pair per distinct deadline of
/// its open requests: few, since most requests are answered within hours.
pub struct Waiting;

impl Waiting {
    /// Adds `count` at `deadline`, keeping the pairs sorted and dropping a pair that reaches
    /// zero (so a bucket whose requests were all answered holds none).
    pub fn add(pairs: &mut Vec<i64>, deadline: i64, count: i64) {
        Self::merge(pairs, &[deadline, count], 1);
    }

    /// Adds every pair of `theirs` times `sign` in one pass over both lists: a year's query
    /// sums thousands of buckets into one.
    pub fn merge(mine: &mut Vec<i64>, theirs: &[i64], sign: i64) {
        if theirs.len() < 2 {
            return;
        }
        let mut out = Vec::with_capacity(mine.len() + theirs.len());
        let (mut a, mut b) = (mine.chunks_exact(2).peekable(), theirs.chunks_exact(2).peekable());
        loop {
            let (deadline, count) = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x[0] == y[0] => {
                    let pair = (x[0], x[1] + sign * y[1]);
                    a.next();
                    b.next();
                    pair
                }
                (Some(x), Some(y)) if x[0] < y[0] => {
                    let pair = (x[0], x[1]);
                    a.next();
                    pair
                }
                (_, Some(y)) => {
                    let pair = (y[0], sign * y[1]);
                    b.next();
                    pair
                }
                (Some(x), None) => {
                    let pair = (x[0], x[1]);
                    a.next();
                    pair
                }
                (None, None) => break,
            };
            if count != 0 {
                out.extend([deadline, count]);
            }
        }
        *mine = out;
    }

    /// How many of `pairs` fall due at or before `now` (Unix seconds).
    pub fn due_by(pairs: &[i64], now: i64) -> i64 {
        pairs.chunks_exact(2).take_while(|pair| pair[0] <= now).map(|pair| pair[1]).sum()
    }
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
        tally.count_due(target);
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

    /// Which rates this target counts in now, and which it will count in once a deadline
    /// passes. The rules, in words, are [`crate::stats::report::GLOSSARY`]:
    /// - an undelivered request counts in no rate: deadlines run from delivery;
    /// - a decline is an answer: in time when given by the acknowledgement deadline; a declined
    ///   request is not counted in the 办结率 (it was not taken on; declines are shown apart);
    /// - a withdrawal is the requesting side's doing: before a deadline, the request counts
    ///   against neither rate; after it, an unanswered (or unresolved) request is a miss.
    fn count_due(&mut self, target: &TargetRecord) {
        if target.delivered_at.is_none() && target.acked_at.is_none() {
            return;
        }
        let declined = target.state == TargetState::Declined;
        let withdrawn = target.state == TargetState::Withdrawn;
        let ended = target.ended_at.unwrap_or(target.ack_by);
        // Answered: acknowledged, or declined without an acknowledgement.
        let answered = target.acked_at.or(if declined { Some(ended) } else { None });
        match answered {
            Some(at) => {
                self.ack_due = 1;
                self.answered_in_time = i64::from(at <= target.ack_by);
            }
            None if withdrawn => self.ack_due = i64::from(ended > target.ack_by),
            None => Waiting::add(&mut self.ack_waiting, target.ack_by.unix_timestamp(), 1),
        }
        if target.outcome.is_some() {
            self.outcome_due = 1;
        } else if withdrawn {
            self.outcome_due = i64::from(ended > target.report_by);
        } else if !declined {
            Waiting::add(&mut self.outcome_waiting, target.report_by.unix_timestamp(), 1);
        }
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
            (&mut self.ack_due, other.ack_due),
            (&mut self.answered_in_time, other.answered_in_time),
            (&mut self.outcome_due, other.outcome_due),
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
        Waiting::merge(&mut self.ack_waiting, &other.ack_waiting, sign);
        Waiting::merge(&mut self.outcome_waiting, &other.outcome_waiting, sign);
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

#[cfg(test)]
mod tests {
    use time::Duration;
    use time::macros::datetime;

    use super::*;
    use crate::domain::case::Priority;
    use crate::ids::{CaseId, EnvelopeId};
    use crate::stats::Figures;

    const AT: OffsetDateTime = datetime!(2026-11-23 08:00 UTC);

    fn station(text: &str) -> StationId {
        text.parse().unwrap_or_else(|_| unreachable!("a valid station id"))
    }

    /// A target delivered at [`AT`], due an acknowledgement ten minutes later and a first
    /// report an hour later, in `state`.
    fn target(state: TargetState) -> TargetRecord {
        let due = AT + Duration::minutes(10);
        let target = TargetRecord::due(station("fj-shouning-xixi"), state, due, AT + Duration::hours(1));
        TargetRecord { delivered_at: Some(AT), ..target }
    }

    fn acked(minutes: i64) -> TargetRecord {
        TargetRecord { acked_at: Some(AT + Duration::minutes(minutes)), ..target(TargetState::Acknowledged) }
    }

    fn ended(state: TargetState, minutes: i64) -> TargetRecord {
        TargetRecord { ended_at: Some(AT + Duration::minutes(minutes)), ..target(state) }
    }

    trait Withdraw {
        fn withdrawn(self) -> TargetRecord;
    }

    impl Withdraw for TargetRecord {
        fn withdrawn(self) -> TargetRecord {
            TargetRecord { state: TargetState::Withdrawn, ..self }
        }
    }

    fn resolved(minutes: i64) -> TargetRecord {
        TargetRecord {
            outcome: Some(Outcome::PersonFound),
            outcome_count: 1,
            resolved_at: Some(AT + Duration::minutes(minutes)),
            first_report_at: Some(AT + Duration::minutes(minutes)),
            ..TargetRecord { state: TargetState::Resolved, ..acked(2) }
        }
    }

    /// The figures of one case holding `targets`, asked `after` its delivery.
    fn figures(targets: Vec<TargetRecord>, after: Duration) -> Figures {
        let case = CaseRecord {
            id: CaseId::new(),
            refno: None,
            origin: station("zj-taishun-luoyang"),
            kind: CaseKind::MissingPerson,
            priority: Priority::Urgent,
            title: "走失老人".into(),
            summary: String::new(),
            restrictions: Vec::new(),
            review_by: None,
            created_at: AT,
            request: EnvelopeId::new(),
            parties: targets.iter().map(|t| t.station.clone()).collect(),
            targets,
            co_targets: Vec::new(),
            subjects: Vec::new(),
            same_subject: Vec::new(),
            updated_at: AT,
            handler: None,
        };
        let mut sum = Tally::default();
        for (_, tally) in contributions(&case, &case.origin) {
            sum.add(&tally, 1);
        }
        Figures::of(&sum, AT + after)
    }

    #[test]
    fn a_partner_that_never_missed_a_deadline_is_acked_in_time_every_time() {
        // Four acknowledged in time, one declined in time, one withdrawn before its deadline,
        // one not yet due: seven requests, none answered late. Counting all seven read 57%.
        let targets = vec![
            acked(1),
            acked(3),
            acked(9),
            acked(10),
            ended(TargetState::Declined, 5),
            ended(TargetState::Withdrawn, 4),
            target(TargetState::Delivered),
        ];
        let f = figures(targets.clone(), Duration::minutes(5));
        assert_eq!(f.requests, 7);
        assert_eq!((f.answered_in_time, f.ack_due), (5, 5));
        assert_eq!(f.ack_in_time_share, Some(1.0));
        // Once the deadline has passed, the request still unanswered is a miss.
        let f = figures(targets, Duration::minutes(11));
        assert_eq!((f.answered_in_time, f.ack_due), (5, 6));
    }

    #[test]
    fn late_answers_and_withdrawals_after_the_deadline_are_misses() {
        let targets = vec![
            acked(11),
            ended(TargetState::Declined, 12),
            ended(TargetState::Withdrawn, 30),
            TargetRecord { delivered_at: None, ..target(TargetState::Sent) },
            TargetRecord { delivered_at: None, ..ended(TargetState::Withdrawn, 30) },
        ];
        let f = figures(targets, Duration::days(3));
        assert_eq!((f.answered_in_time, f.ack_due), (0, 3), "undelivered requests are no one's miss");
        assert_eq!(f.ack_in_time_share, Some(0.0));
        let waiting = TargetRecord { delivered_at: None, ..target(TargetState::Sent) };
        assert_eq!(figures(vec![waiting], Duration::days(3)).ack_in_time_share, None, "nothing due: no rate");
    }

    #[test]
    fn the_resolved_rate_counts_what_is_resolved_or_past_its_first_report_deadline() {
        let targets = vec![
            resolved(20),
            resolved(90),
            acked(2),
            ended(TargetState::Declined, 5),
            TargetRecord { ended_at: Some(AT + Duration::minutes(30)), ..acked(2) }.withdrawn(),
            TargetRecord { ended_at: Some(AT + Duration::hours(3)), ..acked(2) }.withdrawn(),
        ];
        let f = figures(targets.clone(), Duration::minutes(30));
        assert_eq!((f.resolved, f.outcome_due), (2, 3), "the open one is not yet due");
        assert_eq!(f.resolved_share, Some(2.0 / 3.0));
        let f = figures(targets, Duration::hours(2));
        assert_eq!((f.resolved, f.outcome_due), (2, 4), "past the first-report deadline, it counts");
        assert_eq!(f.declined, 1, "the decline is counted apart");
    }

    #[test]
    fn waiting_requests_add_and_subtract_back_to_nothing() {
        let mut pairs = Vec::new();
        for deadline in [30, 10, 20, 10] {
            Waiting::add(&mut pairs, deadline, 1);
        }
        assert_eq!(pairs, [10, 2, 20, 1, 30, 1]);
        assert_eq!((Waiting::due_by(&pairs, 9), Waiting::due_by(&pairs, 20)), (0, 3));
        let other = vec![5, 1, 20, 1];
        Waiting::merge(&mut pairs, &other, 1);
        assert_eq!(pairs, [5, 1, 10, 2, 20, 2, 30, 1]);
        Waiting::merge(&mut pairs, &other, -1);
        Waiting::merge(&mut pairs, &[10, 2, 20, 1, 30, 1], -1);
        assert!(pairs.is_empty(), "{pairs:?}");
    }
}
