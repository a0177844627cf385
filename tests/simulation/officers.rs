//! The workload: liaison officers send sample requests to one to three peers, and officers on
//! both sides take the actions their node offers them (`allowed_actions`, as the console's
//! buttons do), with random but valid forms.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use time::{Duration, OffsetDateTime};

use super::{Case, Officers, Sent, Sim};
use tiemeng::case::CaseRecord;
use tiemeng::domain::case::{DeclineReason, Outcome, WithdrawReason};
use tiemeng::domain::details::CaseKind;
use tiemeng::domain::lifecycle::TargetState;
use tiemeng::envelope::SealedEnvelope;
use tiemeng::ids::{CaseId, EnvelopeId, StationId};
use tiemeng::node::{
    AckInput, Action, CloseInput, DeclineInput, NoteInput, OutcomeInput, ReminderInput, WithdrawInput, allowed_actions,
};
use tiemeng::samples;

impl Sim {
    /// An officer at a random running station creates a case or acts on one.
    pub(super) async fn officer_acts(&mut self) {
        let at = self.rng.gen_range(0..self.stations.len());
        if self.stations[at].node.is_none() {
            return;
        }
        if self.cases.is_empty() || self.rng.gen_bool(0.2) {
            self.create_case(at).await;
        } else {
            self.act(at).await;
        }
    }

    /// The liaison officer of `at` sends a sample request of a random kind to one to three peers.
    async fn create_case(&mut self, at: usize) {
        let others: Vec<usize> = (0..self.stations.len()).filter(|&j| j != at).collect();
        let count = *[1, 1, 1, 2, 3].choose(&mut self.rng).unwrap();
        let targets: Vec<usize> = others.choose_multiple(&mut self.rng, count).copied().collect();
        let kind = *CaseKind::ALL.choose(&mut self.rng).unwrap();
        let node = self.node(at);
        let to = targets.iter().map(|&t| self.stations[t].id.clone()).collect();
        let new = samples::sample(kind, to, node.clock().now());
        let case = node.create_case(&self.stations[at].liaison, new).await.expect("a sample request is valid");
        self.trace(|| {
            format!("{} sends {} case {} to {}", self.name(at), kind.as_str(), case.id, self.names(&targets))
        });
        self.cases.push(Case { id: case.id, origin: at, targets: targets.clone(), sent: Vec::new() });
        self.remember(case.request, self.cases.len() - 1, at, targets);
        self.tally.count("request", 1);
    }

    /// An officer of `at` takes one of the actions their node allows on one of its open cases:
    /// the liaison officer at the origin, the duty officer at a target.
    async fn act(&mut self, at: usize) {
        let open = self.open_cases(at);
        let Some((c, record)) = open.choose(&mut self.rng).cloned() else { return };
        if self.officers == Officers::TakeTurns && !self.has_seen_all(c, at) {
            self.tally.count("waited for news", 1);
            return;
        }
        let origin = self.cases[c].origin == at;
        let officer = if origin { &self.stations[at].liaison } else { &self.stations[at].duty };
        let mut names: Vec<String> =
            allowed_actions(&record, &self.stations[at].id, officer).iter().map(|a| a.as_str().to_owned()).collect();
        names.retain(|name| name != "forward");
        let Ok(name) = names.choose_weighted(&mut self.rng, |name| weight(name)).cloned() else { return };
        let now = self.node(at).clock().now();
        let action = random_action(&mut self.rng, &name, &record, origin, now);
        let officer = if origin { &self.stations[at].liaison } else { &self.stations[at].duty };
        let result = self.node(at).act(officer, record.id, action.clone()).await;
        result.unwrap_or_else(|e| panic!("{} could not {name} case {} ({action:?}): {e}", self.name(at), record.id));
        let (id, to) = self.newly_sent(at, record.id);
        self.trace(|| format!("{} {name}s case {} to {}", self.name(at), record.id, self.names(&to)));
        self.remember(id, c, at, to);
        self.tally.count(&name, 1);
    }

    /// The cases `at` is party to, holds, and still has something to do on, oldest first.
    fn open_cases(&self, at: usize) -> Vec<(usize, CaseRecord)> {
        let store = self.node(at).store();
        (0..self.cases.len())
            .filter(|&c| self.cases[c].origin == at || self.cases[c].targets.contains(&at))
            .filter_map(|c| store.case(&self.cases[c].id).unwrap().map(|record| (c, record)))
            .filter(|(_, record)| record.is_open())
            .collect()
    }

    /// True when `at` holds every envelope of case `c` addressed to it: its officers have seen
    /// all the other side did, so whatever they do next cannot cross it on the wire.
    fn has_seen_all(&self, c: usize, at: usize) -> bool {
        let store = self.node(at).store();
        self.cases[c]
            .sent
            .iter()
            .map(|&s| &self.sent[s])
            .filter(|s| s.to.contains(&at))
            .all(|s| store.envelope(&s.id).unwrap().is_some())
    }

    /// The one envelope of `case` that `at` signed and the simulation has not seen yet, and
    /// the stations it is addressed to.
    fn newly_sent(&self, at: usize, case: CaseId) -> (EnvelopeId, Vec<usize>) {
        let node = self.node(at);
        let new: Vec<_> = node
            .store()
            .timeline(&case)
            .unwrap()
            .into_iter()
            .filter(|e| e.meta.from == self.stations[at].id && !self.known.contains(&e.meta.id))
            // The relays (转告) an origin signs to the other targets go with the action (and
            // with what it receives): the checks find them in its audit chain.
            .filter(|e| e.meta.kind != tiemeng::envelope::Kind::Relay)
            .collect();
        assert_eq!(new.len(), 1, "one action, one envelope");
        let to = SealedEnvelope::open(&new[0].wire, node.keys()).unwrap().envelope.to;
        (new[0].meta.id, to.iter().map(|s| self.index_of(s)).collect())
    }

    fn remember(&mut self, id: EnvelopeId, case: usize, from: usize, to: Vec<usize>) {
        self.known.insert(id);
        self.cases[case].sent.push(self.sent.len());
        self.sent.push(Sent { id, from, to });
    }
}

/// How often officers pick an action when several are allowed: moving a case on is more
/// common than giving up on it, so that many cases run their whole course.
fn weight(action: &str) -> u32 {
    match action {
        "ack" | "outcome" | "close" => 4,
        "note" => 2,
        _ => 1,
    }
}

/// A random but valid form for the action `name` on `case`. The origin sometimes names one
/// target, otherwise the action goes to every target it fits.
fn random_action(rng: &mut StdRng, name: &str, case: &CaseRecord, origin: bool, now: OffsetDateTime) -> Action {
    let mut one_of = |fits: fn(TargetState) -> bool| -> Vec<StationId> {
        let fitting: Vec<&StationId> = case.targets.iter().filter(|t| fits(t.state)).map(|t| &t.station).collect();
        match origin && rng.gen_bool(0.3) {
            true => fitting.choose(rng).map(|s| vec![(*s).clone()]).unwrap_or_default(),
            false => Vec::new(),
        }
    };
    match name {
        "note" => Action::Note(NoteInput {
            text: "补充情况：已走访相关人员".into(),
            targets: one_of(TargetState::is_open),
            attachments: Vec::new(),
        }),
        "reminder" => Action::Reminder(ReminderInput {
            message: Some("请尽快反馈".into()),
            targets: one_of(|s| matches!(s, TargetState::Sent | TargetState::Delivered | TargetState::Acknowledged)),
        }),
        "close" => {
            let targets = one_of(|s| s == TargetState::Resolved);
            Action::Close(CloseInput { evaluation: rng.gen_range(1..=5), comment: None, targets })
        }
        "withdraw" => {
            let targets = one_of(TargetState::is_open);
            let reason = *WithdrawReason::ALL.choose(rng).unwrap();
            Action::Withdraw(WithdrawInput { reason, message: None, targets })
        }
        "ack" => Action::Ack(AckInput {
            report_by: rng.gen_bool(0.5).then(|| now + Duration::hours(rng.gen_range(1..48))),
            message: Some("已签收，正在核查".into()),
        }),
        "decline" => Action::Decline(DeclineInput {
            reason: *DeclineReason::ALL.choose(rng).unwrap(),
            message: "经核查不属本所办理".into(),
            suggested_station: None,
        }),
        "outcome" => {
            let outcome = *Outcome::allowed_for(case.kind).choose(rng).unwrap();
            let count = if outcome == Outcome::NoTrace { 0 } else { rng.gen_range(1..=3) };
            Action::Outcome(OutcomeInput { outcome, count, narrative: "经工作已办结".into() })
        }
        other => panic!("no form for {other}"),
    }
}
