//! The chiefs' statistics of this station: sums of the incrementally kept tallies over a date
//! range, grouped by partner, province pair, kind and month, and the overdue open targets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::auth::READERS;
use super::{Node, NodeError, Officer};
use crate::domain::details::CaseKind;
use crate::ids::{CaseId, Province, StationId};
use crate::stats::{Direction, Figures, JointRecord, Tally};
use crate::store::{Bucket, LateGroup, Mailbox};

/// What to count.
#[derive(Debug, Clone)]
pub struct StatsQuery {
    /// First request day (Beijing date), inclusive.
    pub from: Date,
    /// Last request day, inclusive.
    pub to: Date,
    /// Only this partner station.
    pub peer: Option<StationId>,
    /// Only this kind.
    pub kind: Option<CaseKind>,
}

/// Date range and filters of a statistics query, as a caller writes them (the API's query
/// string, the console's dashboard form).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsParams {
    /// First request day, `YYYY-MM-DD` (default: the first day of the month eleven months ago).
    pub from: Option<String>,
    /// Last request day, `YYYY-MM-DD` (default: today).
    pub to: Option<String>,
    /// Only this partner station.
    #[param(value_type = Option<String>)]
    pub peer: Option<StationId>,
    /// Only this kind.
    pub kind: Option<CaseKind>,
    /// Language of CSV headings and error messages (`zh` or `en`).
    pub lang: Option<String>,
}

/// What is wrong with a statistics query, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// In Chinese.
    pub zh: String,
    /// In English.
    pub en: String,
}

impl StatsParams {
    /// The query these ask for, its dates resolved: by default the twelve months up to `today`
    /// (from the first day of the month eleven months before).
    pub fn resolve(&self, today: Date) -> Result<StatsQuery, QueryError> {
        let to = self.to.as_deref().map(|t| parse_date(t, "to")).transpose()?.unwrap_or(today);
        let default_from = {
            let months = to.year() * 12 + i32::from(u8::from(to.month())) - 1 - 11;
            let month = time::Month::try_from(u8::try_from(months.rem_euclid(12) + 1).unwrap_or(1))
                .unwrap_or(time::Month::January);
            Date::from_calendar_date(months.div_euclid(12), month, 1).unwrap_or(to)
        };
        let from = self.from.as_deref().map(|f| parse_date(f, "from")).transpose()?.unwrap_or(default_from);
        if from > to {
            return Err(QueryError { zh: "起始日期晚于截止日期".into(), en: "`from` is after `to`".into() });
        }
        Ok(StatsQuery { from, to, peer: self.peer.clone(), kind: self.kind })
    }
}

fn parse_date(text: &str, field: &str) -> Result<Date, QueryError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format).map_err(|_| QueryError {
        zh: format!("{field}={text:?} 不是形如 2026-11-01 的日期"),
        en: format!("{field}={text:?} is not a date such as 2026-11-01"),
    })
}

/// Figures for both directions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TwoWay {
    /// Requests this station sent.
    pub sent: Figures,
    /// Requests this station received.
    pub received: Figures,
}

/// Figures with one partner station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PeerStats {
    /// Partner station id.
    #[schema(value_type = String)]
    pub peer: StationId,
    /// Its name.
    pub name: String,
    /// Its province code.
    pub province: String,
    /// Both directions.
    #[serde(flatten)]
    pub figures: TwoWay,
    /// Its targets (either way) past a deadline now.
    pub overdue_open: usize,
}

/// Figures of one pair of different provinces, in the direction requests went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PairStats {
    /// Province of the requesting stations.
    pub from_province: String,
    /// Province of the requested stations.
    pub to_province: String,
    /// The figures.
    pub figures: Figures,
}

/// Figures of one kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KindStats {
    /// The kind.
    pub kind: CaseKind,
    /// Both directions.
    #[serde(flatten)]
    pub figures: TwoWay,
}

/// Figures of one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MonthStats {
    /// `YYYY-MM`.
    pub month: String,
    /// Both directions.
    #[serde(flatten)]
    pub figures: TwoWay,
}

/// An open target past a deadline (未闭环).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OverdueEntry {
    /// The case.
    #[schema(value_type = String)]
    pub case: CaseId,
    /// Its reference number as shown (协查文号); absent for requests from releases before
    /// numbering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refno: Option<String>,
    /// Its title.
    pub title: String,
    /// Its kind.
    pub kind: CaseKind,
    /// Whether this station sent or received it.
    pub direction: Direction,
    /// The target station that is late.
    #[schema(value_type = String)]
    pub target: StationId,
    /// The partner station.
    #[schema(value_type = String)]
    pub peer: StationId,
    /// `ack` or `report`.
    pub deadline: String,
    /// When it was due.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub due: OffsetDateTime,
    /// Whole minutes overdue.
    pub minutes_overdue: i64,
}

/// The statistics report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StatsReport {
    /// This station.
    #[schema(value_type = String)]
    pub station: StationId,
    /// First day counted.
    #[serde(with = "crate::clock::date")]
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    /// Last day counted.
    #[serde(with = "crate::clock::date")]
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    /// All requests, both directions.
    #[serde(flatten)]
    pub totals: TwoWay,
    /// The joint record of both directions.
    pub joint_record: JointRecord,
    /// By partner station.
    pub by_peer: Vec<PeerStats>,
    /// By pair of different provinces (省际协作), in the direction requests went: the same
    /// figures at both ends of a pair.
    pub by_province_pair: Vec<PairStats>,
    /// With partners in this station's own province (省内协作), kept out of the province
    /// pairs: there a request sent and one received would fall in the same pair.
    pub within_province: TwoWay,
    /// By kind.
    pub by_kind: Vec<KindStats>,
    /// By month.
    pub by_month: Vec<MonthStats>,
    /// How many open targets are past a deadline now.
    pub overdue_total: usize,
    /// The most overdue of them, longest first, at most [`OVERDUE_SHOWN`]; the inbox and outbox
    /// listings (`overdue=true`) page through all of them.
    pub overdue: Vec<OverdueEntry>,
}

/// Overdue targets a statistics report lists by name; it counts all of them. A station ten
/// years in can have thousands, and the daily review starts from the longest overdue.
pub const OVERDUE_SHOWN: usize = 100;

#[derive(Default)]
struct Sums {
    sent: Tally,
    received: Tally,
}

impl Sums {
    fn add(&mut self, direction: Direction, tally: &Tally) {
        match direction {
            Direction::Sent => self.sent.add(tally, 1),
            Direction::Received => self.received.add(tally, 1),
        }
    }

    fn figures(&self, now: OffsetDateTime) -> TwoWay {
        TwoWay { sent: Figures::of(&self.sent, now), received: Figures::of(&self.received, now) }
    }
}

/// A province's code as reports show it; empty for an unknown one.
fn province_code(province: Option<Province>) -> String {
    province.map(|p| p.as_str().to_owned()).unwrap_or_default()
}

impl Node {
    /// The statistics of requests made in `query`'s date range. Officers who read cases may
    /// read the statistics: they hold no personal data.
    pub fn stats(&self, officer: &Officer, query: &StatsQuery) -> Result<StatsReport, NodeError> {
        self.stats_at(officer, query, self.now())
    }

    /// The report as it stands at `now`. Which requests are due depends on the moment; the two
    /// stations of a pair read the same figures for their joint work when they read them for
    /// the same moment, whatever their clocks say.
    pub fn stats_at(
        &self,
        officer: &Officer,
        query: &StatsQuery,
        now: OffsetDateTime,
    ) -> Result<StatsReport, NodeError> {
        officer.require(READERS)?;
        let periods = self.store.buckets(query.from, query.to)?;
        let wanted =
            |b: &&Bucket| query.peer.as_ref().is_none_or(|p| &b.peer == p) && query.kind.is_none_or(|k| b.kind == k);
        // A ten-year query reads some 4,000 buckets: each is added twice, by month and by
        // (partner, kind, direction), borrowed from the cache; the other groupings are sums of
        // the few dozen of the latter.
        let mut by_month: BTreeMap<(i32, u8), Sums> = BTreeMap::new();
        let mut by_dims: BTreeMap<(&StationId, CaseKind, Direction), Tally> = BTreeMap::new();
        for bucket in periods.iter().flat_map(|period| period.iter()).filter(wanted) {
            by_month
                .entry((bucket.month.0, u8::from(bucket.month.1)))
                .or_default()
                .add(bucket.direction, &bucket.tally);
            by_dims.entry((&bucket.peer, bucket.kind, bucket.direction)).or_default().add(&bucket.tally, 1);
        }
        let my_province = Some(self.config.station.division.province());
        let mut totals = Sums::default();
        let mut by_peer: BTreeMap<&StationId, Sums> = BTreeMap::new();
        let mut by_kind: BTreeMap<CaseKind, Sums> = BTreeMap::new();
        let mut by_pair: BTreeMap<(Option<Province>, Option<Province>), Tally> = BTreeMap::new();
        let mut within = Sums::default();
        for ((peer, kind, direction), tally) in &by_dims {
            totals.add(*direction, tally);
            by_peer.entry(peer).or_default().add(*direction, tally);
            by_kind.entry(*kind).or_default().add(*direction, tally);
            let peer_province = self.province_of(peer);
            if peer_province == my_province {
                within.add(*direction, tally);
                continue;
            }
            let pair = match direction {
                Direction::Sent => (my_province, peer_province),
                Direction::Received => (peer_province, my_province),
            };
            by_pair.entry(pair).or_default().add(tally, 1);
        }
        let (overdue_by_peer, overdue) = self.overdue(query)?;
        let totals = totals.figures(now);
        Ok(StatsReport {
            station: self.station().clone(),
            from: query.from,
            to: query.to,
            joint_record: totals.sent.joint_record().plus(totals.received.joint_record()),
            totals,
            by_peer: by_peer
                .into_iter()
                .map(|(peer, sums)| PeerStats {
                    name: self.config.peer(peer).map(|p| p.name.clone()).unwrap_or_default(),
                    province: province_code(self.province_of(peer)),
                    overdue_open: overdue_by_peer.get(peer).copied().unwrap_or(0),
                    figures: sums.figures(now),
                    peer: peer.clone(),
                })
                .collect(),
            by_province_pair: by_pair
                .into_iter()
                .map(|((from_province, to_province), tally)| PairStats {
                    from_province: province_code(from_province),
                    to_province: province_code(to_province),
                    figures: Figures::of(&tally, now),
                })
                .collect(),
            within_province: within.figures(now),
            by_kind: by_kind.into_iter().map(|(kind, sums)| KindStats { kind, figures: sums.figures(now) }).collect(),
            by_month: by_month
                .into_iter()
                .map(|((year, month), sums)| MonthStats {
                    month: format!("{year:04}-{month:02}"),
                    figures: sums.figures(now),
                })
                .collect(),
            overdue_total: overdue_by_peer.values().sum(),
            overdue,
        })
    }

    /// A partner's province; `None` for a station no longer configured.
    fn province_of(&self, station: &StationId) -> Option<Province> {
        self.config.peer(station).map(|p| p.division.province())
    }

    /// The open targets past a deadline now that `query` asks about: how many there are by
    /// partner, counted per deadline day, and the [`OVERDUE_SHOWN`] most overdue by name.
    fn overdue(&self, query: &StatsQuery) -> Result<(BTreeMap<StationId, usize>, Vec<OverdueEntry>), NodeError> {
        let now = self.now();
        let wanted = |group: &LateGroup| {
            query.kind.is_none_or(|k| k == group.kind) && query.peer.as_ref().is_none_or(|p| p == &group.peer)
        };
        let mut by_peer: BTreeMap<StationId, usize> = BTreeMap::new();
        for (group, count) in self.store.late_counts(now)?.into_iter().filter(|(group, _)| wanted(group)) {
            *by_peer.entry(group.peer).or_default() += usize::try_from(count).unwrap_or(usize::MAX);
        }
        let named = self
            .store
            .overdue_targets(now, OVERDUE_SHOWN, |late| wanted(&LateGroup::of(&late.summary, &late.target)))?;
        let mut entries = Vec::with_capacity(named.len());
        for late in named {
            let group = LateGroup::of(&late.summary, &late.target);
            // The number is in the case's record, not in the deadline index: a handful of reads.
            let refno = self.store.case(&late.case)?.and_then(|case| case.refno).map(|refno| refno.label);
            entries.push(OverdueEntry {
                case: late.case,
                refno,
                title: late.summary.title,
                kind: late.summary.kind,
                direction: match group.mailbox {
                    Mailbox::Outbox => Direction::Sent,
                    Mailbox::Inbox => Direction::Received,
                },
                target: late.target,
                peer: group.peer,
                deadline: if late.summary.report { "report" } else { "ack" }.into(),
                due: late.due,
                minutes_overdue: (now - late.due).whole_minutes(),
            });
        }
        Ok((by_peer, entries))
    }
}
