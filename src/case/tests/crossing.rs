//! Actions that cross on the wire: each side acts on what it holds while the other side's
//! envelopes are on their way. Whatever the order of arrival, both sides must end with the
//! same record, and nothing an honest sender did may be refused.

use proptest::prelude::*;

use super::*;

/// One side of a one-target case: its record, and every envelope of the case it holds.
struct Side {
    station: StationId,
    record: CaseRecord,
    held: Vec<Envelope>,
}

impl Side {
    fn origin(case: &Case) -> Self {
        let mut record = case.at_origin();
        record.apply_receipt(&xixi(), at(1)).unwrap();
        Self { station: luoyang(), record, held: vec![case.request.clone()] }
    }

    fn target(case: &Case) -> Self {
        Self { station: xixi(), record: case.at_target(&xixi(), at(1)), held: vec![case.request.clone()] }
    }

    fn party(&self) -> Party {
        if self.station == luoyang() { Party::Origin } else { Party::Target }
    }

    /// Acts on what this side holds: signs (here: builds) the envelope and applies it.
    fn act(&mut self, case: &Case, at: OffsetDateTime, body: Body) -> Envelope {
        let to = if self.party() == Party::Origin { vec![xixi()] } else { vec![luoyang()] };
        let (seq, seen) = self.record.causal_context(&self.station, &to);
        let envelope = Envelope { seq, seen, ..case.envelope(&self.station, &to, at, body) };
        self.receive(&envelope).expect("an officer's own action applies");
        envelope
    }

    fn receive(&mut self, envelope: &Envelope) -> Result<Vec<Transition>, ApplyError> {
        let held = self.held.clone();
        let result = self.record.apply(envelope, || Ok::<_, ApplyError>(held));
        if result.is_ok() {
            self.held.push(envelope.clone());
        }
        result
    }

    fn own(&self) -> &TargetRecord {
        self.record.target(&xixi()).unwrap()
    }
}

/// Both sides of a fresh case to 犀溪, delivered.
fn sides() -> (Case, Side, Side) {
    let case = Case::to(&[xixi()]);
    let (origin, target) = (Side::origin(&case), Side::target(&case));
    (case, origin, target)
}

fn declined() -> Body {
    decline(DeclineReason::NotOurArea, "不属本辖区", None)
}

/// Delivers each side's envelope to the other, and checks they now agree.
fn cross(origin: &mut Side, target: &mut Side, from_origin: &Envelope, from_target: &Envelope) {
    origin.receive(from_target).expect("the origin accepts the crossing envelope");
    target.receive(from_origin).expect("the target accepts the crossing envelope");
    assert_eq!(origin.own(), target.own(), "both sides agree after crossing");
}

#[test]
fn a_withdrawal_crossing_an_earlier_decline_is_superseded_at_both_sides() {
    let (case, mut origin, mut target) = sides();
    let decline = target.act(&case, at(17), declined());
    let withdraw = origin.act(&case, at(18), withdraw());
    assert_eq!(origin.own().state, TargetState::Withdrawn, "the origin sees its withdrawal at first");
    cross(&mut origin, &mut target, &withdraw, &decline);
    let record = origin.own();
    assert_eq!(record.state, TargetState::Declined);
    assert_eq!(record.decline_reason, Some(DeclineReason::NotOurArea));
    assert_eq!(record.ended_at, Some(at(17)));
    assert_eq!(record.superseded, vec![withdraw.id]);
}

#[test]
fn a_decline_crossing_an_earlier_withdrawal_is_superseded_at_both_sides() {
    let (case, mut origin, mut target) = sides();
    let withdraw = origin.act(&case, at(16), withdraw());
    let decline = target.act(&case, at(17), declined());
    cross(&mut origin, &mut target, &withdraw, &decline);
    let record = target.own();
    assert_eq!((record.state, record.decline_reason), (TargetState::Withdrawn, None));
    assert_eq!(record.superseded, vec![decline.id]);
}

#[test]
fn of_two_crossing_actions_at_the_same_moment_the_targets_goes_first() {
    let (case, mut origin, mut target) = sides();
    let withdraw = origin.act(&case, at(20), withdraw());
    let outcome = {
        target.act(&case, at(5), ack(None));
        target.act(&case, at(20), outcome(Outcome::PersonFound, 1))
    };
    // Both the ack and the outcome crossed the withdrawal.
    origin.receive(&target.held[1]).unwrap();
    cross(&mut origin, &mut target, &withdraw, &outcome);
    let record = origin.own();
    assert_eq!(record.state, TargetState::Withdrawn, "the outcome goes first, then the withdrawal");
    assert_eq!((record.outcome, record.outcome_count), (Some(Outcome::PersonFound), 1));
    assert!(record.superseded.is_empty());
}

#[test]
fn a_reminder_crossing_an_outcome_counts_only_if_it_came_first() {
    for (reminded, reported, counted) in [(at(10), at(11), 1), (at(12), at(11), 0)] {
        let (case, mut origin, mut target) = sides();
        let ack = target.act(&case, at(5), ack(None));
        origin.receive(&ack).unwrap();
        let reminder = origin.act(&case, reminded, reminder());
        let outcome = target.act(&case, reported, outcome(Outcome::NoTrace, 0));
        cross(&mut origin, &mut target, &reminder, &outcome);
        let record = origin.own();
        assert_eq!(record.state, TargetState::Resolved);
        assert_eq!(record.reminders, counted, "reminder at {reminded}");
        assert_eq!(record.superseded.len(), 1 - counted as usize);
    }
}

#[test]
fn a_note_crossing_the_close_counts_only_if_it_came_first() {
    for (noted, closed, counted) in [(at(30), at(31), 1), (at(32), at(31), 0)] {
        let (case, mut origin, mut target) = sides();
        for envelope in [target.act(&case, at(5), ack(None)), target.act(&case, at(20), outcome(Outcome::NoTrace, 0))] {
            origin.receive(&envelope).unwrap();
        }
        let close = origin.act(&case, closed, close(5));
        let note = target.act(&case, noted, note("又发现一条线索"));
        cross(&mut origin, &mut target, &close, &note);
        assert_eq!(origin.own().state, TargetState::Closed);
        assert_eq!(origin.own().notes, counted);
    }
}

#[test]
fn envelopes_arriving_out_of_order_give_the_record_of_in_order_arrival() {
    let (case, mut origin, target) = sides();
    let mut in_order = Side::target(&case);
    let mut reversed = target;
    let first = origin.act(&case, at(5), note("第一条"));
    let second = origin.act(&case, at(6), reminder());
    let third = origin.act(&case, at(7), withdraw());
    for envelope in [&first, &second, &third] {
        in_order.receive(envelope).unwrap();
    }
    for envelope in [&third, &second, &first] {
        reversed.receive(envelope).unwrap();
    }
    assert_eq!(in_order.own(), reversed.own());
    assert_eq!(reversed.own().state, TargetState::Withdrawn);
    assert_eq!((reversed.own().notes, reversed.own().reminders), (1, 1));
    assert_eq!(origin.own(), reversed.own());
}

#[test]
fn a_crossing_envelope_its_sender_could_not_have_sent_is_refused() {
    let (case, mut origin, target) = sides();
    origin.act(&case, at(5), note("补充"));
    // 犀溪 reports an outcome without ever acknowledging, not having seen the note either.
    let (seq, seen) = target.record.causal_context(&xixi(), &[luoyang()]);
    let outcome = Envelope { seq, seen, ..case.by_target(&xixi(), at(6), outcome(Outcome::NoTrace, 0)) };
    let before = origin.record.clone();
    let error = origin.receive(&outcome).unwrap_err();
    assert_eq!(error.code(), "illegal_transition");
    assert!(!error.is_transient());
    assert_eq!(origin.record, before);
}

#[test]
fn an_envelope_that_saw_more_than_this_side_holds_waits_for_the_missing_history() {
    let (case, mut origin, _) = sides();
    let ack = Envelope { seq: 0, seen: [(luoyang(), 3)].into(), ..case.by_target(&xixi(), at(5), ack(None)) };
    let before = origin.record.clone();
    let error = origin.receive(&ack).unwrap_err();
    assert_eq!(error, ApplyError::HistoryMissing { seen: 3, held: 1 });
    assert_eq!(error.code(), "history_missing");
    assert!(error.is_transient());
    assert_eq!(origin.record, before);
}

/// What one step of a random run does.
#[derive(Debug, Clone)]
enum Move {
    /// The origin's officer takes the `n`-th step allowed to them, `minutes` later.
    Origin { n: u8, minutes: u8 },
    /// The target's duty officer does likewise.
    Target { n: u8, minutes: u8 },
    /// The next envelope on the wire to the origin (true) or to the target arrives.
    Deliver(bool),
}

fn moves() -> impl Strategy<Value = Vec<Move>> {
    let one = prop_oneof![
        (any::<u8>(), 0u8..3).prop_map(|(n, minutes)| Move::Origin { n, minutes }),
        (any::<u8>(), 0u8..3).prop_map(|(n, minutes)| Move::Target { n, minutes }),
        any::<bool>().prop_map(Move::Deliver),
    ];
    proptest::collection::vec(one, 0..40)
}

/// The steps `side` may take now, with their bodies.
fn choices(side: &Side) -> Vec<Body> {
    let candidates: Vec<(Step, Body)> = match side.party() {
        Party::Origin => vec![
            (Step::Note, note("补充")),
            (Step::Reminder, reminder()),
            (Step::Close, close(4)),
            (Step::Withdraw, withdraw()),
        ],
        Party::Target => vec![
            (Step::Ack, ack(None)),
            (Step::Decline, declined()),
            (Step::Note, note("进展")),
            (Step::Outcome, outcome(Outcome::PersonFound, 1)),
        ],
    };
    let state = side.own().state;
    candidates.into_iter().filter(|(step, _)| transition(state, side.party(), *step).is_ok()).map(|(_, b)| b).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Officers on both sides act whenever their own screen allows, envelopes arrive late (in
    /// order per direction, as federation delivers them), and at the end both sides agree.
    #[test]
    fn both_sides_agree_however_their_actions_cross(moves in moves()) {
        let (case, mut origin, mut target) = sides();
        let (mut to_origin, mut to_target) = (std::collections::VecDeque::new(), std::collections::VecDeque::new());
        let mut now = at(2);
        for step in moves {
            match step {
                Move::Origin { n, minutes } | Move::Target { n, minutes } => {
                    let is_origin = matches!(step, Move::Origin { .. });
                    let side = if is_origin { &mut origin } else { &mut target };
                    let options = choices(side);
                    if options.is_empty() {
                        continue;
                    }
                    now += Duration::minutes(i64::from(minutes));
                    let body = options[usize::from(n) % options.len()].clone();
                    let envelope = side.act(&case, now, body);
                    if is_origin { to_target.push_back(envelope) } else { to_origin.push_back(envelope) }
                }
                Move::Deliver(to_the_origin) => {
                    let (queue, side) =
                        if to_the_origin { (&mut to_origin, &mut origin) } else { (&mut to_target, &mut target) };
                    if let Some(envelope) = queue.pop_front() {
                        prop_assert!(side.receive(&envelope).is_ok(), "an honest crossing was refused");
                    }
                }
            }
        }
        for envelope in to_origin {
            prop_assert!(origin.receive(&envelope).is_ok(), "an honest crossing was refused");
        }
        for envelope in to_target {
            prop_assert!(target.receive(&envelope).is_ok(), "an honest crossing was refused");
        }
        prop_assert_eq!(origin.own(), target.own());
    }
}
