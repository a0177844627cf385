//! What must hold at every node once the network has healed and delivery has finished.

use std::collections::{BTreeMap, BTreeSet};

use time::Duration;

use super::{Case, START, Sim};
use tiemeng::case::{CaseRecord, TargetRecord};
use tiemeng::domain::details::CaseKind;
use tiemeng::domain::lifecycle::TargetState;
use tiemeng::envelope::{Envelope, Kind};
use tiemeng::ids::{CaseId, CertIdentity, EnvelopeId, StationId};
use tiemeng::node::{StatsQuery, TwoWay};
use tiemeng::stats::{Direction, Figures, Tally, contributions, date_of_day};
use tiemeng::store::{LateGroup, StoredEnvelope};

impl Sim {
    /// Everything federation promises. Dead letters first: when a peer refused something,
    /// its code says more than any disagreement that follows from it.
    pub(super) fn check(&self) {
        self.check_integrity();
        self.check_nothing_acknowledged_was_lost();
        self.check_delivered_once_in_order();
        for case in &self.cases {
            self.check_both_sides_agree(case);
        }
        self.check_joint_statistics_agree();
        self.check_statistics_equal_a_recount();
        self.check_late_counts();
    }

    /// How many actions crossed one of the other side's and, replayed, had no effect: counted
    /// at origins, where every target's record is kept.
    pub(super) fn superseded(&self) -> usize {
        self.cases
            .iter()
            .filter_map(|case| self.node(case.origin).store().case(&case.id).unwrap())
            .map(|record| record.targets.iter().map(|t| t.superseded.len()).sum::<usize>())
            .sum()
    }

    /// How many co-targets the targets hear of by relay, over every case: each one compared
    /// with its origin's record by the checks.
    pub(super) fn co_targets(&self) -> usize {
        self.cases
            .iter()
            .flat_map(|case| case.targets.iter().map(move |&t| (case.id, t)))
            .filter_map(|(id, t)| self.node(t).store().case(&id).unwrap())
            .map(|record| record.co_targets.len())
            .sum()
    }

    /// Every audit chain verifies, every outbox is empty, and no envelope became a dead letter:
    /// every action was legitimate, so no peer had reason to refuse one.
    fn check_integrity(&self) {
        let mut refused = Vec::new();
        for (i, station) in self.stations.iter().enumerate() {
            let store = self.node(i).store();
            if let Err(e) = store.verify_audit() {
                panic!("{}'s audit chain is broken: {e:?}", station.id);
            }
            for peer in self.stations.iter().filter(|p| p.id != station.id) {
                assert_eq!(store.outbox_len(&peer.id), 0, "{} still holds envelopes for {}", station.id, peer.id);
                for letter in store.dead_letters(&peer.id, usize::MAX).unwrap() {
                    refused.push(format!(
                        "{} refused {}'s {} {} of case {}: {} ({})",
                        peer.id, station.id, letter.kind, letter.envelope, letter.case, letter.code, letter.message
                    ));
                }
            }
        }
        assert!(refused.is_empty(), "legitimate envelopes became dead letters:\n{}", refused.join("\n"));
    }

    /// Every envelope an officer was told was sent is still at its sender, once, in the order
    /// sent, with a receipt from each addressee that verifies and names its exact bytes:
    /// crashes lost nothing that was acknowledged, on either side.
    fn check_nothing_acknowledged_was_lost(&self) {
        for (i, station) in self.stations.iter().enumerate() {
            let node = self.node(i);
            let signed: Vec<EnvelopeId> = node
                .store()
                .audit_entries(0, usize::MAX)
                .unwrap()
                .into_iter()
                .filter(|e| e.actor.starts_with("urn:tiemeng:officer:") && e.action != "case.read")
                .filter_map(|e| e.envelope)
                .collect();
            let sent: Vec<EnvelopeId> = self.sent.iter().filter(|s| s.from == i).map(|s| s.id).collect();
            assert_eq!(signed, sent, "{} lost or repeated envelopes its officers sent", station.id);
            for s in self.sent.iter().filter(|s| s.from == i) {
                let stored = node.store().envelope(&s.id).unwrap();
                let stored = stored.unwrap_or_else(|| panic!("{} lost its envelope {}", station.id, s.id));
                for peer in s.to.iter().map(|&to| &self.stations[to].id) {
                    let receipt = node.store().receipt(&s.id, peer).unwrap();
                    let receipt =
                        receipt.unwrap_or_else(|| panic!("{} holds no receipt from {peer} for {}", station.id, s.id));
                    if let Err(e) = node.check_receipt(peer, &stored, &receipt) {
                        panic!("{}'s receipt from {peer} for {} does not hold: {e}", station.id, s.id);
                    }
                }
            }
        }
    }

    /// Per sender and receiver, the receiver's `envelope.receive` entries name exactly the
    /// envelopes the sender addressed to it, each once, in the order it sent them (less any
    /// the receiver refused for good).
    fn check_delivered_once_in_order(&self) {
        for (to, receiver) in self.stations.iter().enumerate() {
            let entries = self.node(to).store().audit_entries(0, usize::MAX).unwrap();
            for (from, sender) in self.stations.iter().enumerate().filter(|(from, _)| *from != to) {
                let actor = CertIdentity::Station(sender.id.clone()).to_string();
                let received: Vec<EnvelopeId> = entries
                    .iter()
                    .filter(|e| e.action == "envelope.receive" && e.actor == actor)
                    .filter_map(|e| e.envelope)
                    .collect();
                let once: BTreeSet<_> = received.iter().collect();
                assert_eq!(once.len(), received.len(), "{} applied an envelope from {} twice", receiver.id, sender.id);
                let dead: BTreeSet<EnvelopeId> = self
                    .node(from)
                    .store()
                    .dead_letters(&receiver.id, usize::MAX)
                    .unwrap()
                    .iter()
                    .map(|l| l.envelope)
                    .collect();
                // What the sender's officers sent, and what its node relayed (转告) between them,
                // each queued as its unit committed: in the order of the sender's audit chain.
                let officers: BTreeSet<EnvelopeId> =
                    self.sent.iter().filter(|s| s.from == from && s.to.contains(&to)).map(|s| s.id).collect();
                let relays = self.relays_to(from, to);
                let expected: Vec<EnvelopeId> = self
                    .node(from)
                    .store()
                    .audit_entries(0, usize::MAX)
                    .unwrap()
                    .into_iter()
                    .filter(|e| e.action != "case.read")
                    .filter_map(|e| e.envelope)
                    .filter(|id| officers.contains(id) || relays.contains(id))
                    .filter(|id| !dead.contains(id))
                    .collect();
                let mut once_each = BTreeSet::new();
                let expected: Vec<EnvelopeId> = expected.into_iter().filter(|id| once_each.insert(*id)).collect();
                assert_eq!(received, expected, "{} did not receive what {} sent, in order", receiver.id, sender.id);
            }
        }
    }

    /// For every target of `case`, the origin's record of the target equals the target's own,
    /// and both hold the same signed bytes of what passed between them, in the same order
    /// (a target holds only what was addressed to it or came from it).
    fn check_both_sides_agree(&self, case: &Case) {
        let origin = self.node(case.origin).store();
        let at_origin = origin.case(&case.id).unwrap().expect("the origin keeps its case");
        let origin_timeline = origin.timeline(&case.id).unwrap();
        assert_once_each(&origin_timeline, self.name(case.origin), case.id);
        for &t in &case.targets {
            let target = self.node(t).store();
            let at_target =
                target.case(&case.id).unwrap().unwrap_or_else(|| panic!("{} lacks case {}", self.name(t), case.id));
            assert_opened_alike(&at_origin, &at_target);
            assert_eq!(at_target.targets.len(), 1, "a target tracks only itself");
            assert_eq!(
                at_origin.target(&self.stations[t].id),
                Some(&at_target.targets[0]),
                "origin {} and target {} disagree on case {}",
                self.name(case.origin),
                self.name(t),
                case.id
            );
            self.check_co_targets_follow_the_origin(case, t, &at_origin, &at_target);
            let target_timeline = target.timeline(&case.id).unwrap();
            assert_once_each(&target_timeline, self.name(t), case.id);
            let relayed = self.relays_to(case.origin, t);
            let between: BTreeSet<EnvelopeId> = case
                .sent
                .iter()
                .map(|&s| &self.sent[s])
                .filter(|s| s.from == t || s.to.contains(&t))
                .map(|s| s.id)
                .chain(origin_timeline.iter().map(|e| e.meta.id).filter(|id| relayed.contains(id)))
                .collect();
            let wires = |timeline: &[StoredEnvelope]| -> Vec<Vec<u8>> {
                timeline.iter().filter(|e| between.contains(&e.meta.id)).map(|e| e.wire.clone()).collect()
            };
            assert!(
                wires(&origin_timeline) == wires(&target_timeline) && target_timeline.len() == between.len(),
                "the signed timelines of case {} differ between {} and {}",
                case.id,
                self.name(case.origin),
                self.name(t)
            );
        }
    }

    /// The relays (转告) station `from` signed to station `to`, of every case.
    fn relays_to(&self, from: usize, to: usize) -> BTreeSet<EnvelopeId> {
        let store = self.node(from).store();
        let actor = CertIdentity::Station(self.stations[from].id.clone()).to_string();
        store
            .audit_entries(0, usize::MAX)
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "case.relay" && e.actor == actor)
            .filter_map(|e| e.envelope)
            .filter(|id| {
                let stored = store.envelope(id).unwrap().expect("a relay is kept by the station that signed it");
                let envelope = Envelope::from_stored(&stored.wire).unwrap();
                envelope.kind() == Kind::Relay && envelope.to == [self.stations[to].id.clone()]
            })
            .collect()
    }

    /// Target `t`'s view of the other targets of `case`, from the origin's relays, matches the
    /// origin's own record of them: every target whose part moved (acknowledged, declined,
    /// reported, closed or withdrawn) is there, as the origin has it. Only what the relays
    /// carry is compared: receipts, notes and reminders stay between the two they concern.
    fn check_co_targets_follow_the_origin(
        &self,
        case: &Case,
        t: usize,
        at_origin: &CaseRecord,
        at_target: &CaseRecord,
    ) {
        let me = &self.stations[t].id;
        let relayed = |r: &TargetRecord| {
            (r.state, r.outcome, r.outcome_count, r.acked_at, r.resolved_at, r.ended_at, r.decline_reason, r.evaluation)
        };
        let mut expected: Vec<_> = at_origin
            .targets
            .iter()
            .filter(|c| &c.station != me && !matches!(c.state, TargetState::Sent | TargetState::Delivered))
            .map(|c| (c.station.clone(), relayed(c)))
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        let seen: Vec<_> = at_target.co_targets.iter().map(|c| (c.station.clone(), relayed(c))).collect();
        assert_eq!(
            seen,
            expected,
            "{} sees the other targets of case {} otherwise than its origin {} has them",
            self.name(t),
            case.id,
            self.name(case.origin)
        );
    }

    /// What one station counts as sent to a peer, the peer counts as received from it: the
    /// chiefs of both stations read the same figures for their joint work.
    fn check_joint_statistics_agree(&self) {
        let query = |peer: &StationId| StatsQuery {
            from: START.date() - Duration::days(1),
            to: self.now.date() + Duration::days(2),
            peer: Some(peer.clone()),
            kind: None,
        };
        for (a, sender) in self.stations.iter().enumerate() {
            for (b, receiver) in self.stations.iter().enumerate().filter(|(b, _)| *b != a) {
                let sent = self.node(a).stats_at(&sender.liaison, &query(&receiver.id), self.now).unwrap();
                let received = self.node(b).stats_at(&receiver.liaison, &query(&sender.id), self.now).unwrap();
                assert_eq!(
                    sent.totals.sent, received.totals.received,
                    "{}'s figures for requests to {} differ from {}'s",
                    sender.id, receiver.id, receiver.id
                );
            }
        }
    }
}

/// Statistics recounted from the stored cases, grouped the way the report groups them.
#[derive(Default)]
struct Recount {
    totals: [Tally; 2],
    by_peer: BTreeMap<String, [Tally; 2]>,
    by_pair: BTreeMap<(String, String), Tally>,
    within_province: [Tally; 2],
    by_kind: BTreeMap<CaseKind, [Tally; 2]>,
    by_month: BTreeMap<String, [Tally; 2]>,
}

fn two_way(sums: &[Tally; 2], now: time::OffsetDateTime) -> TwoWay {
    TwoWay { sent: Figures::of(&sums[0], now), received: Figures::of(&sums[1], now) }
}

impl Sim {
    /// Every grouping of a station's statistics (totals, by partner, province pair, kind and
    /// month, both directions) equals a recount of the cases it stores.
    fn check_statistics_equal_a_recount(&self) {
        let query = StatsQuery {
            from: START.date() - Duration::days(1),
            to: self.now.date() + Duration::days(2),
            peer: None,
            kind: None,
        };
        for (i, station) in self.stations.iter().enumerate() {
            let node = self.node(i);
            let province = |id: &StationId| match node.config().peer(id) {
                Some(peer) => peer.division.province().as_str().to_owned(),
                None => node.config().station.division.province().as_str().to_owned(),
            };
            let mut recount = Recount::default();
            node.store()
                .for_each_case(|case| {
                    for (dims, tally) in contributions(&case, node.station()) {
                        let day = date_of_day(dims.day);
                        assert!(query.from <= day && day <= query.to, "a request outside the simulated days");
                        let way = usize::from(dims.direction == Direction::Received);
                        let month = format!("{:04}-{:02}", day.year(), u8::from(day.month()));
                        let pair = match dims.direction {
                            Direction::Sent => (province(node.station()), province(&dims.peer)),
                            Direction::Received => (province(&dims.peer), province(node.station())),
                        };
                        recount.totals[way].add(&tally, 1);
                        recount.by_peer.entry(dims.peer.to_string()).or_default()[way].add(&tally, 1);
                        if pair.0 == pair.1 {
                            recount.within_province[way].add(&tally, 1);
                        } else {
                            recount.by_pair.entry(pair).or_default().add(&tally, 1);
                        }
                        recount.by_kind.entry(dims.kind).or_default()[way].add(&tally, 1);
                        recount.by_month.entry(month).or_default()[way].add(&tally, 1);
                    }
                })
                .unwrap();
            let report = node.stats(&station.liaison, &query).unwrap();
            let now = node.clock().now();
            let two_way = |sums: &[Tally; 2]| two_way(sums, now);
            let at = &station.id;
            assert_eq!(report.totals, two_way(&recount.totals), "{at}'s totals");
            assert_eq!(report.within_province, two_way(&recount.within_province), "{at}'s figures within its province");
            let by_peer: BTreeMap<String, TwoWay> =
                report.by_peer.iter().map(|p| (p.peer.to_string(), p.figures.clone())).collect();
            let recounted: BTreeMap<String, TwoWay> =
                recount.by_peer.iter().map(|(peer, sums)| (peer.clone(), two_way(sums))).collect();
            assert_eq!(by_peer, recounted, "{at}'s figures by partner");
            let by_pair: Vec<_> = report
                .by_province_pair
                .iter()
                .map(|p| ((p.from_province.clone(), p.to_province.clone()), p.figures.clone()))
                .collect();
            let recounted: Vec<_> =
                recount.by_pair.iter().map(|(pair, tally)| (pair.clone(), Figures::of(tally, now))).collect();
            assert_eq!(by_pair, recounted, "{at}'s figures by province pair, in order");
            let by_kind: Vec<_> = report.by_kind.iter().map(|k| (k.kind, k.figures.clone())).collect();
            let recounted: Vec<_> = recount.by_kind.iter().map(|(kind, sums)| (*kind, two_way(sums))).collect();
            assert_eq!(by_kind, recounted, "{at}'s figures by kind, in order");
            let by_month: Vec<_> = report.by_month.iter().map(|m| (m.month.clone(), m.figures.clone())).collect();
            let recounted: Vec<_> =
                recount.by_month.iter().map(|(month, sums)| (month.clone(), two_way(sums))).collect();
            assert_eq!(by_month, recounted, "{at}'s figures by month, in order");
            assert!(!recount.by_peer.is_empty(), "{at} took part in the simulation");
        }
    }

    /// The late targets the statistics count per deadline day are exactly those a walk of
    /// the deadline index finds, at every node, now and as deadlines pass.
    fn check_late_counts(&self) {
        let later = [0, 1, 6, 24, 24 * 3, 24 * 40].map(Duration::hours);
        for (i, station) in self.stations.iter().enumerate() {
            let store = self.node(i).store();
            for at in later.map(|ahead| self.now + ahead) {
                let mut walked: BTreeMap<LateGroup, u64> = BTreeMap::new();
                for late in store.overdue_targets(at, usize::MAX, |_| true).unwrap() {
                    *walked.entry(LateGroup::of(&late.summary, &late.target)).or_default() += 1;
                }
                assert_eq!(store.late_counts(at).unwrap(), walked, "{}'s late counts at {at}", station.id);
            }
        }
    }
}

fn assert_once_each(timeline: &[StoredEnvelope], at: &str, case: CaseId) {
    let ids: BTreeSet<EnvelopeId> = timeline.iter().map(|e| e.meta.id).collect();
    assert_eq!(ids.len(), timeline.len(), "{at} holds an envelope of case {case} twice");
}

/// The parts of a case both sides take from the one signed request.
fn assert_opened_alike(origin: &CaseRecord, target: &CaseRecord) {
    let fixed = |c: &CaseRecord| {
        (c.origin.clone(), c.request, c.parties.clone(), c.kind, c.priority, c.title.clone(), c.created_at)
    };
    assert_eq!(fixed(origin), fixed(target), "case {} was opened differently", origin.id);
}
