//! Turning tallies into the figures chiefs read: shares, medians and percentiles, outcome
//! counts (the 铁盟 joint record), evaluations, declines, missed deadlines. Pure arithmetic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::tally::{DURATION_BOUNDS, Tally, Waiting};
use crate::domain::case::{DeclineReason, Outcome};

/// The figures of one group of requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    /// Requests (one per target station).
    pub requests: i64,
    /// Acknowledged (签收).
    pub acknowledged: i64,
    /// Requests due an answer (应签收): answered (acknowledged or declined), or unanswered past
    /// the acknowledgement deadline; those withdrawn before it, or not yet due, are left out.
    pub ack_due: i64,
    /// Of `ack_due`, answered (acknowledged or declined) by the acknowledgement deadline.
    pub answered_in_time: i64,
    /// 按时签收率: `answered_in_time` / `ack_due`, 0–1; none when nothing is due yet.
    pub ack_in_time_share: Option<f64>,
    /// Median time from delivery to acknowledgement, in whole minutes rounded half up.
    pub ack_median_minutes: Option<i64>,
    /// 90th percentile time from delivery to acknowledgement, in whole minutes.
    pub ack_p90_minutes: Option<i64>,
    /// With a first report (首次反馈).
    pub reported: i64,
    /// Median time from delivery to first report, in whole minutes.
    pub report_median_minutes: Option<i64>,
    /// 90th percentile time from delivery to first report, in whole minutes.
    pub report_p90_minutes: Option<i64>,
    /// With an outcome (办结).
    pub resolved: i64,
    /// Requests due an outcome (应办结): with an outcome, or without one past the first-report
    /// deadline; declined ones, and those withdrawn before that deadline, are left out.
    pub outcome_due: i64,
    /// 办结率: `resolved` / `outcome_due`, 0–1; none when nothing is due yet.
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

/// Words in Chinese and in English, for `Lang::pick`.
pub type Words = (&'static str, &'static str);

/// How each figure is counted, in words, as (term, definition) in Chinese and in English: the
/// dashboard's 指标说明 and the CSV's header block both print this, so the words cannot drift
/// from each other. [`Figures::of`] is the arithmetic they describe. No ASCII comma or quote:
/// each line goes into the CSV as one unquoted cell.
pub const GLOSSARY: [(Words, Words); 6] = [
    (
        ("应签收", "Due an answer"),
        (
            "已签收或已退回的协查，加上送达后超过签收期限仍未签收的；尚未到期、尚未送达、在签收期限前撤回的不计",
            "requests acknowledged or declined; plus those still unanswered after the acknowledgement deadline. Not yet due; undelivered or withdrawn before the deadline: not counted",
        ),
    ),
    (
        ("按时签收率", "Acked in time"),
        (
            "在签收期限前签收或退回的 ÷ 应签收。退回也是答复：期限内退回算按时",
            "acknowledged or declined by the deadline ÷ due an answer. A decline is an answer: declined in time counts as in time",
        ),
    ),
    (
        ("办结率", "Resolved"),
        (
            "已反馈结果的 ÷ 应办结。应办结 = 已反馈结果的，加上超过首次反馈期限仍无结果的；退回的（另列）和在该期限前撤回的不计",
            "with an outcome ÷ due an outcome: those with an outcome plus those still without one after the first-report deadline. Declined (shown apart) and withdrawn before that deadline: not counted",
        ),
    ),
    (
        ("用时中位数", "Median time"),
        (
            "从送达到签收（或首次反馈）的用时中位数，按整分钟四舍五入；不到半分钟记为0（页面显示“不到1分钟”）",
            "time from delivery to acknowledgement (or first report) that half of the requests beat; whole minutes rounded half up. Under half a minute is 0 (shown as under 1 min)",
        ),
    ),
    (
        ("超期签收或反馈", "Late"),
        (
            "签收晚于签收期限、首次反馈晚于反馈期限的次数之和",
            "acknowledgements after their deadline plus first reports after theirs",
        ),
    ),
    (
        ("省际与省内", "Between provinces"),
        (
            "省际协作按请求方向列出跨省的协查；与本省单位之间的协作另列为省内协作",
            "requests across a provincial border by direction; work with stations of this station's own province is shown apart as within the province",
        ),
    ),
];

/// Minutes as the statistics show them: whole minutes, rounded half up. One rounding for the
/// console, the command line and the CSV, so they agree on the same data.
pub fn whole_minutes(seconds: f64) -> i64 {
    (seconds / 60.0 + 0.5).floor() as i64
}

/// The `p`-quantile (0–1) of a histogram over [`DURATION_BOUNDS`] in whole minutes (see
/// [`whole_minutes`]), interpolated linearly inside the bucket it falls in.
pub fn quantile_minutes(histogram: &[i64], p: f64) -> Option<i64> {
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
            return Some(whole_minutes(lower + (upper - lower) * within));
        }
        below += count;
    }
    None
}

impl Figures {
    /// The figures of a tally at `now`: the one place each figure is computed (the console,
    /// the command line, the CSV and the JSON all show these). `now` decides which waiting
    /// requests are past their deadline and so count in the rates.
    pub fn of(tally: &Tally, now: time::OffsetDateTime) -> Self {
        let now = now.unix_timestamp();
        let ack_due = tally.ack_due + Waiting::due_by(&tally.ack_waiting, now);
        let outcome_due = tally.outcome_due + Waiting::due_by(&tally.outcome_waiting, now);
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
            ack_due,
            answered_in_time: tally.answered_in_time,
            ack_in_time_share: share(tally.answered_in_time, ack_due),
            ack_median_minutes: quantile_minutes(&tally.ack_times, 0.5),
            ack_p90_minutes: quantile_minutes(&tally.ack_times, 0.9),
            reported: tally.reported,
            report_median_minutes: quantile_minutes(&tally.report_times, 0.5),
            report_p90_minutes: quantile_minutes(&tally.report_times, 0.9),
            resolved: tally.resolved,
            outcome_due,
            resolved_share: share(tally.resolved, outcome_due),
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
        assert_eq!(quantile_minutes(&h, 0.5), Some(6));
        assert_eq!(quantile_minutes(&h, 0.9), Some(7), "6.8 minutes reads 7");
        assert_eq!(quantile_minutes(&[0; 32], 0.5), None);
    }

    #[test]
    fn the_median_moves_to_the_bucket_holding_half() {
        let h = histogram(&[(0, 1), (10, 3)]);
        let median = quantile_minutes(&h, 0.5).unwrap();
        assert!((45..=60).contains(&median), "{median}");
    }

    #[test]
    fn shares_and_averages_come_from_the_tally() {
        let tally = Tally {
            requests: 4,
            acknowledged: 3,
            ack_in_time: 2,
            ack_due: 3,
            answered_in_time: 2,
            ack_waiting: vec![100, 1, 200, 1],
            resolved: 1,
            outcome_due: 2,
            outcome_waiting: vec![300, 2],
            evaluation_sum: 9,
            evaluations: 2,
            outcomes: vec![1, 0, 2, 1, 0, 0, 0, 0, 0],
            ..Tally::default()
        };
        // At 150 s one waiting request is past its acknowledgement deadline, none past its
        // first-report deadline.
        let figures = Figures::of(&tally, time::OffsetDateTime::from_unix_timestamp(150).unwrap());
        assert_eq!(figures.ack_in_time_share, Some(0.5));
        assert_eq!(figures.resolved_share, Some(0.5));
        assert_eq!(figures.evaluation_average, Some(4.5));
        assert_eq!(
            figures.joint_record(),
            JointRecord { persons_found: 1, fugitives_intercepted: 3, cases_solved: 0, disputes_resolved: 0 }
        );
    }
}
