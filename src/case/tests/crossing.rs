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
        self.act_signed(case, at, body, &|envelope| envelope)
    }

    /// Like [`Side::act`], with `sign` choosing the envelope's date and id as its sender could.
    fn act_signed(
        &mut self,
        case: &Case,
        at: OffsetDateTime,
        body: Body,
        sign: &dyn Fn(Envelope) -> Envelope,
    ) -> Envelope {
        let to = if self.party() == Party::Origin { vec![xixi()] } else { vec![luoyang()] };
        let (seq, seen) = self.record.causal_context(&self.station, &to);
        let envelope = sign(Envelope { seq, seen, ..case.envelope(&self.station, &to, at, body) });
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

/// The report: 犀溪's decline that crossed 罗阳's withdrawal won because it was dated
/// earlier. Dates are the sender's to choose; the origin's withdrawal stands however either
/// side dates its envelope.
#[test]
fn a_withdrawal_and_a_decline_that_crossed_end_withdrawn_however_either_is_dated() {
    for (declined_at, withdrawn_at) in [(at(17), at(18)), (at(18), at(17)), (at(1), at(60)), (at(60), at(1))] {
        let (case, mut origin, mut target) = sides();
        let decline = target.act(&case, declined_at, declined());
        let withdraw = origin.act(&case, withdrawn_at, withdraw());
        cross(&mut origin, &mut target, &withdraw, &decline);
        let record = origin.own();
        assert_eq!(
            (record.state, record.decline_reason),
            (TargetState::Withdrawn, None),
            "{declined_at} {withdrawn_at}"
        );
        assert_eq!(record.ended_at, Some(withdrawn_at));
        assert_eq!(record.superseded, vec![decline.id], "the decline is kept, signed, without effect");
    }
}

#[test]
fn of_two_crossing_actions_the_origins_goes_first() {
    let (case, mut origin, mut target) = sides();
    let withdraw = origin.act(&case, at(20), withdraw());
    let ack = target.act(&case, at(5), ack(None));
    let outcome = target.act(&case, at(19), outcome(Outcome::PersonFound, 1));
    // Both the ack and the outcome crossed the withdrawal.
    origin.receive(&ack).unwrap();
    cross(&mut origin, &mut target, &withdraw, &outcome);
    let record = origin.own();
    assert_eq!(record.state, TargetState::Withdrawn, "the withdrawal goes first");
    assert_eq!((record.outcome, record.outcome_count), (None, 0));
    assert_eq!(record.superseded, vec![ack.id, outcome.id]);
}

#[test]
fn a_reminder_crossing_an_outcome_counts_however_either_is_dated() {
    for (reminded, reported) in [(at(10), at(11)), (at(12), at(11))] {
        let (case, mut origin, mut target) = sides();
        let ack = target.act(&case, at(5), ack(None));
        origin.receive(&ack).unwrap();
        let reminder = origin.act(&case, reminded, reminder());
        let outcome = target.act(&case, reported, outcome(Outcome::NoTrace, 0));
        cross(&mut origin, &mut target, &reminder, &outcome);
        let record = origin.own();
        assert_eq!(record.state, TargetState::Resolved);
        assert_eq!(record.reminders, 1, "reminder at {reminded}");
        assert!(record.superseded.is_empty());
    }
}

#[test]
fn a_note_crossing_the_close_is_kept_without_effect_however_either_is_dated() {
    for (noted, closed) in [(at(30), at(31)), (at(32), at(31))] {
        let (case, mut origin, mut target) = sides();
        for envelope in [target.act(&case, at(5), ack(None)), target.act(&case, at(20), outcome(Outcome::NoTrace, 0))] {
            origin.receive(&envelope).unwrap();
        }
        let close = origin.act(&case, closed, close(5));
        let note = target.act(&case, noted, note("又发现一条线索"));
        cross(&mut origin, &mut target, &close, &note);
        assert_eq!(origin.own().state, TargetState::Closed);
        assert_eq!((origin.own().notes, origin.own().superseded.clone()), (0, vec![note.id]));
    }
}

/// Federation delivers one party's envelopes in the order it signed them. One that arrives
/// after a later one of the same sender was applied would rewrite what came after it.
#[test]
fn an_envelope_behind_one_of_its_senders_already_applied_is_refused() {
    let (case, mut origin, mut target) = sides();
    let first = origin.act(&case, at(5), note("第一条"));
    let second = origin.act(&case, at(6), reminder());
    target.receive(&second).unwrap();
    let before = target.record.clone();
    let error = target.receive(&first).unwrap_err();
    assert_eq!(error, ApplyError::OutOfOrder { seq: first.seq, next: second.seq + 1 });
    assert_eq!((error.code(), error.is_transient()), ("out_of_order", false));
    assert_eq!(target.record, before, "nothing changed");
}

/// The report: a target acked (seq 0) and reported (seq 1), the origin closed; the
/// target then signed a decline with seq 0 again, claiming to have seen only the request.
#[test]
fn a_target_reusing_a_seq_cannot_rewrite_a_closed_case() {
    let (case, mut origin, mut target) = sides();
    let ack = target.act(&case, at(5), ack(None));
    let reported = target.act(&case, at(20), outcome(Outcome::PersonFound, 1));
    for envelope in [&ack, &reported] {
        origin.receive(envelope).unwrap();
    }
    let close = origin.act(&case, at(30), close(5));
    target.receive(&close).unwrap();
    // An id that sorts before the ack, and one after it.
    for id in [EnvelopeId::from_bytes([0; 16]), EnvelopeId::new()] {
        let forged =
            Envelope { id, seq: 0, seen: [(luoyang(), 1)].into(), ..case.by_target(&xixi(), at(1), declined()) };
        let before = origin.record.clone();
        let error = origin.receive(&forged).unwrap_err();
        assert_eq!(error, ApplyError::Equivocation { seq: 0, kept: ack.id });
        assert_eq!((error.code(), error.is_transient()), ("equivocation", false));
        assert_eq!(origin.record, before, "closed, evaluated, with its outcome");
    }
    assert_eq!(origin.own().state, TargetState::Closed);
}

#[test]
fn an_origin_reusing_a_seq_is_refused_at_the_target() {
    let (case, mut origin, mut target) = sides();
    let first = origin.act(&case, at(5), note("请核查"));
    target.receive(&first).unwrap();
    let forged = Envelope { seq: first.seq, ..case.envelope(&luoyang(), &[xixi()], at(6), withdraw()) };
    let before = target.record.clone();
    let error = target.receive(&forged).unwrap_err();
    assert_eq!(error, ApplyError::Equivocation { seq: first.seq, kept: first.id });
    // The request is the origin's seq 0.
    let forged = Envelope { seq: 0, ..case.envelope(&luoyang(), &[xixi()], at(6), withdraw()) };
    assert_eq!(target.receive(&forged).unwrap_err(), ApplyError::Equivocation { seq: 0, kept: case.request.id });
    assert_eq!(target.record, before);
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
            // A relay of another target's news crosses this target's actions like any origin
            // envelope, in any state; both sides must still agree.
            (Step::Relay, relayed()),
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

/// A relay, as the pure record sees it: its place in the exchange, no effect on the target.
fn relayed() -> Body {
    use crate::envelope::body::{RelayBody, RelayedWire};
    let envelope = RelayedWire { signed: String::new(), key: String::new(), sig: String::new() };
    Body::Relay(RelayBody { officer: officer(), station: mazhan(), envelope })
}

/// What a random run left: both sides, and every envelope sent, in the order they were signed.
struct Run {
    origin: Side,
    target: Side,
    sent: Vec<Envelope>,
}

/// Plays `moves`: officers on both sides act whenever their own screen allows, and envelopes
/// arrive late, in order per direction, as federation delivers them. `sign` may change an
/// envelope's date and id before it is applied and sent, as its sender could. Every envelope
/// is delivered by the end. Returns `Err` naming the first honest envelope that was refused.
fn run(moves: &[Move], sign: &dyn Fn(usize, Envelope) -> Envelope) -> Result<Run, String> {
    let (case, mut origin, mut target) = sides();
    let (mut to_origin, mut to_target) = (std::collections::VecDeque::new(), std::collections::VecDeque::new());
    let mut sent = Vec::new();
    let mut now = at(2);
    for step in moves {
        match *step {
            Move::Origin { n, minutes } | Move::Target { n, minutes } => {
                let is_origin = matches!(step, Move::Origin { .. });
                let side = if is_origin { &mut origin } else { &mut target };
                let options = choices(side);
                if options.is_empty() {
                    continue;
                }
                now += Duration::minutes(i64::from(minutes));
                let body = options[usize::from(n) % options.len()].clone();
                let envelope = side.act_signed(&case, now, body, &|e| sign(sent.len(), e));
                sent.push(envelope.clone());
                if is_origin { to_target.push_back(envelope) } else { to_origin.push_back(envelope) }
            }
            Move::Deliver(to_the_origin) => {
                let (queue, side) =
                    if to_the_origin { (&mut to_origin, &mut origin) } else { (&mut to_target, &mut target) };
                if let Some(envelope) = queue.pop_front() {
                    side.receive(&envelope).map_err(|e| format!("an honest crossing was refused: {e}"))?;
                }
            }
        }
    }
    for envelope in to_origin {
        origin.receive(&envelope).map_err(|e| format!("an honest crossing was refused: {e}"))?;
    }
    for envelope in to_target {
        target.receive(&envelope).map_err(|e| format!("an honest crossing was refused: {e}"))?;
    }
    Ok(Run { origin, target, sent })
}

/// What a target's record says, apart from the times and ids its envelopes carried: the
/// superseded envelopes by their place in the run.
fn outcome_of(record: &TargetRecord, sent: &[Envelope]) -> impl PartialEq + std::fmt::Debug {
    let place = |id: &EnvelopeId| sent.iter().position(|e| &e.id == id);
    let mut superseded: Vec<_> = record.superseded.iter().map(place).collect();
    superseded.sort();
    (
        record.state,
        record.outcome,
        record.outcome_count,
        record.evaluation,
        record.decline_reason,
        (record.reminders, record.notes),
        superseded,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Officers on both sides act whenever their own screen allows, envelopes arrive late (in
    /// order per direction, as federation delivers them), and at the end both sides agree.
    #[test]
    fn both_sides_agree_however_their_actions_cross(moves in moves()) {
        let run = run(&moves, &|_, envelope| envelope).map_err(TestCaseError::fail)?;
        prop_assert_eq!(run.origin.own(), run.target.own());
    }

    /// Each sender dates its envelopes anywhere from the request to the edge of the clock
    /// window, and picks any id: the outcome of every crossing is the same, and both sides
    /// still agree.
    #[test]
    fn neither_dates_nor_ids_steer_a_crossing(
        moves in moves(),
        dates in proptest::collection::vec(0i64..=6 * 60, 40),
        ids in proptest::collection::vec(any::<[u8; 16]>(), 40),
    ) {
        let honest = run(&moves, &|_, envelope| envelope).map_err(TestCaseError::fail)?;
        let steered = run(&moves, &|k, envelope| Envelope {
            at: at(dates[k % dates.len()]),
            id: EnvelopeId::from_bytes(ids[k % ids.len()]),
            ..envelope
        });
        // A date the content rules refuse (before an ack's promised time, say) is refused
        // alike on both sides; only runs where every envelope went through are compared.
        if let Ok(steered) = steered {
            prop_assume!(steered.sent.iter().map(|e| e.id).collect::<std::collections::BTreeSet<_>>().len() == steered.sent.len());
            prop_assert_eq!(steered.origin.own(), steered.target.own());
            prop_assert_eq!(outcome_of(steered.origin.own(), &steered.sent), outcome_of(honest.origin.own(), &honest.sent));
        }
    }

    /// Whatever happened, an envelope that takes a `seq` its sender already used, with any
    /// body and any claim of what it had seen, is refused as equivocation at either side and
    /// changes nothing there.
    #[test]
    fn an_envelope_reusing_a_seq_changes_nothing_on_either_side(
        moves in moves(),
        pick in any::<proptest::sample::Index>(),
        body in 0usize..8,
        seen in 0u32..4,
    ) {
        let mut run = run(&moves, &|_, envelope| envelope).map_err(TestCaseError::fail)?;
        let case = Case { request: run.origin.held[0].clone() };
        // Every envelope of the story, the request included, is a place a forger could reuse.
        let story: Vec<Envelope> = std::iter::once(case.request.clone()).chain(run.sent.iter().cloned()).collect();
        let used = &story[pick.index(story.len())];
        let bodies = [ack(None), declined(), note("伪造"), outcome(Outcome::PersonFound, 3), reminder(), close(1), withdraw(), note("再伪造")];
        let (receiver, to) = if used.from == luoyang() { (&mut run.target, vec![xixi()]) } else { (&mut run.origin, vec![luoyang()]) };
        let forged = Envelope {
            seq: used.seq,
            seen: to.iter().map(|t| (t.clone(), seen)).collect(),
            ..case.envelope(&used.from, &to, at(1), bodies[body].clone())
        };
        let (before, held) = (receiver.record.clone(), receiver.held.len());
        let refused = receiver.receive(&forged);
        prop_assert!(matches!(refused, Err(ApplyError::Equivocation { kept, .. }) if kept == used.id), "{:?}", refused);
        prop_assert_eq!(&receiver.record, &before);
        prop_assert_eq!(receiver.held.len(), held);
        prop_assert_eq!(run.origin.own(), run.target.own());
    }
}
