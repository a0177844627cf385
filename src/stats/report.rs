//! Turning tallies into the figures chiefs read: shares, medians and percentiles, outcome
//! counts (the 铁盟 joint record), evaluations, declines, missed deadlines. Pure arithmetic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::tally::{DURATION_BOUNDS, Tally};
use crate::domain::case::{DeclineReason, Outcome};

/// The figures of one group of requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    /// Requests (one per target station).
    pub requests: i64,
    /// Acknowledged (签收).
    pub acknowledged: i64,
    /// Share of requests acknowledged within the ack deadline, 0–1.
    pub ack_in_time_share: Option<f64>,
    /// Median minutes from request to acknowledgement.
    pub ack_median_minutes: Option<f64>,
    /// 90th percentile minutes from request to acknowledgement.
    pub ack_p90_minutes: Option<f64>,
    /// With a first report (首次反馈).
    pub reported: i64,
    /// Median minutes from request to first report.
    pub report_median_minutes: Option<f64>,
    /// 90th percentile minutes from request to first report.
    pub report_p90_minutes: Option<f64>,
    /// With an outcome (办结).
    pub resolved: i64,
    /// Resolved share (办结率), 0–1.
    pub resolved_share: Option<f64>,
    /// Closed and evaluated by the requesting station.
    pub closed: i64,
    /// Average evaluation (满意度), 1–5.
    pub evaluation_average: Option<f64>,
    /// Evaluations given.
    pub evaluations: i64,
    /// Outcome counts by outcome (`person_found`, `intercepted`, `arrested`, `case_solved`, …).
    pub outcomes: BTreeMap<String, i64>,
    /// Declined.
    pub declined: i64,
    /// Declines by reason.
    pub declines: BTreeMap<String, i64>,
    /// Withdrawn.
    pub withdrawn: i64,
    /// Acknowledged after the ack deadline.
    pub ack_late: i64,
    /// First report after its deadline.
    pub report_late: i64,
    /// Reminders (催办) sent.
    pub reminders: i64,
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The `p`-quantile (0–1) of a histogram over [`DURATION_BOUNDS`], in minutes, interpolated
/// linearly inside the bucket it falls in.
pub fn quantile_minutes(histogram: &[i64], p: f64) -> Option<f64> {
    let total: i64 = histogram.iter().sum();
    if total <= 0 {
        return None;
    }
    let rank = p * total as f64;
    let mut below = 0i64;
    for (i, count) in histogram.iter().enumerate() {
        if *count > 0 && (below + count) as f64 >= rank {
            let lower = if i == 0 { 0 } else { DURATION_BOUNDS[i - 1] } as f64;
            let upper = DURATION_BOUNDS.get(i).copied().filter(|b| *b != i64::MAX).map_or(lower, |b| b as f64);
            let within = ((rank - below as f64) / *count as f64).clamp(0.0, 1.0);
            return Some(((lower + (upper - lower) * within) / 60.0 * 10.0).round() / 10.0);
        }
        below += count;
    }
    None
}

impl Figures {
    /// The figures of a tally.
    pub fn of(tally: &Tally) -> Self {
        let named = |names: Vec<&'static str>, counts: &[i64]| -> BTreeMap<String, i64> {
            names
                .into_iter()
                .zip(counts.iter().copied().chain(std::iter::repeat(0)))
                .map(|(n, c)| (n.to_owned(), c))
                .collect()
        };
        Self {
            requests: tally.requests,
            acknowledged: tally.acknowledged,
            ack_in_time_share: share(tally.ack_in_time, tally.requests),
            ack_median_minutes: quantile_minutes(&tally.ack_times, 0.5),
            ack_p90_minutes: quantile_minutes(&tally.ack_times, 0.9),
            reported: tally.reported,
            report_median_minutes: quantile_minutes(&tally.report_times, 0.5),
            report_p90_minutes: quantile_minutes(&tally.report_times, 0.9),
            resolved: tally.resolved,
            resolved_share: share(tally.resolved, tally.requests),
            closed: tally.closed,
            evaluation_average: share(tally.evaluation_sum, tally.evaluations).map(|a| (a * 100.0).round() / 100.0),
            evaluations: tally.evaluations,
            outcomes: named(Outcome::ALL.iter().map(Outcome::as_str).collect(), &tally.outcomes),
            declined: tally.declined,
            declines: named(DeclineReason::ALL.iter().map(DeclineReason::as_str).collect(), &tally.declines),
            withdrawn: tally.withdrawn,
            ack_late: tally.ack_late,
            report_late: tally.report_late,
            reminders: tally.reminders,
        }
    }

    /// Persons found, fugitives intercepted or arrested, cases solved, disputes resolved: the
    /// line of the 铁盟 joint record.
    pub fn joint_record(&self) -> JointRecord {
        let n = |o: Outcome| self.outcomes.get(o.as_str()).copied().unwrap_or(0);
        JointRecord {
            persons_found: n(Outcome::PersonFound),
            fugitives_intercepted: n(Outcome::Intercepted) + n(Outcome::Arrested),
            cases_solved: n(Outcome::CaseSolved),
            disputes_resolved: n(Outcome::DisputeResolved),
        }
    }
}

/// The 铁盟 joint record: "协查失踪人员 N人, 拦截在逃人员 N人, 破获案件 N起, 调处矛盾纠纷 N起".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JointRecord {
    /// 协查失踪人员 (persons found).
    pub persons_found: i64,
    /// 拦截在逃人员 (fugitives intercepted or arrested).
    pub fugitives_intercepted: i64,
    /// 破获案件 (cases solved).
    pub cases_solved: i64,
    /// 调处矛盾纠纷 (disputes resolved).
    pub disputes_resolved: i64,
}

impl JointRecord {
    /// Adds another record.
    pub fn plus(self, other: JointRecord) -> JointRecord {
        JointRecord {
            persons_found: self.persons_found + other.persons_found,
            fugitives_intercepted: self.fugitives_intercepted + other.fugitives_intercepted,
            cases_solved: self.cases_solved + other.cases_solved,
            disputes_resolved: self.disputes_resolved + other.disputes_resolved,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(entries: &[(usize, i64)]) -> Vec<i64> {
        let mut h = vec![0; DURATION_BOUNDS.len()];
        for (bucket, count) in entries {
            h[*bucket] = *count;
        }
        h
    }

    #[test]
    fn quantiles_interpolate_inside_the_bucket() {
        // Ten acks between 5 and 7 minutes (bucket 4: 300–420 s).
        let h = histogram(&[(4, 10)]);
        assert_eq!(quantile_minutes(&h, 0.5), Some(6.0));
        assert_eq!(quantile_minutes(&h, 0.9), Some(6.8));
        assert_eq!(quantile_minutes(&[0; 32], 0.5), None);
    }

    #[test]
    fn the_median_moves_to_the_bucket_holding_half() {
        let h = histogram(&[(0, 1), (10, 3)]);
        let median = quantile_minutes(&h, 0.5).unwrap();
        assert!((45.0..=60.0).contains(&median), "{median}");
    }

    #[test]
    fn shares_and_averages_come_from_the_tally() {
        let tally = Tally {
            requests: 4,
            acknowledged: 3,
            ack_in_time: 2,
            resolved: 1,
            evaluation_sum: 9,
            evaluations: 2,
            outcomes: vec![1, 0, 2, 1, 0, 0, 0, 0, 0],
            ..Tally::default()
        };
        let figures = Figures::of(&tally);
        assert_eq!(figures.ack_in_time_share, Some(0.5));
        assert_eq!(figures.resolved_share, Some(0.25));
        assert_eq!(figures.evaluation_average, Some(4.5));
        assert_eq!(
            figures.joint_record(),
            JointRecord { persons_found: 1, fugitives_intercepted: 3, cases_solved: 0, disputes_resolved: 0 }
        );
    }
}
