//! Randomised deliveries to a real node: 犀溪's node, opened on a fresh dev PKI in a temporary
//! folder (no server), receives batches from 罗阳 and 马站 mixing valid envelopes (in any
//! order, repeated), mutated ones, envelopes re-signed after an edit, envelopes signed by the
//! wrong station or arriving over the wrong connection, envelopes dated in the future or
//! addressed elsewhere, and arbitrary bytes.
//!
//! What must hold: the node never panics; every envelope it accepts is, byte for byte after
//! canonical re-encoding, one that the test produced with the real key of the station that
//! sent it; nothing else is ever stored; a repeat gets the first receipt again; every receipt
//! is signed by 犀溪 and vouches for exactly the accepted bytes; and once the fuzzing is over,
//! the valid envelopes sent again in order are all accepted.
//!
//! `PROPTEST_CASES` sets the number of rounds (default 400) and of arbitrary batches (256).

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use tempfile::TempDir;
use time::{Duration, OffsetDateTime};

use super::{InboundOutcome, Node};
use crate::clock::Clock;
use crate::config::Config;
use crate::devnet::{self, Endpoint};
use crate::envelope::body::{NoteBody, ReminderBody};
use crate::envelope::mutate::{self, Mutation, PayloadEdit, runner_cases};
use crate::envelope::{Body, ENVELOPE_CONTEXT, Envelope, SealedEnvelope, SealedReceipt, Signatory, Signed};
use crate::ids::{CaseId, EnvelopeId, KeyRef, StationId};
use crate::keys::Signer;

const LUOYANG: &str = "zj-taishun-luoyang";
const XIXI: &str = "fj-shouning-xixi";
const MAZHAN: &str = "zj-cangnan-mazhan";

fn station(id: &str) -> StationId {
    id.parse().unwrap()
}

/// 犀溪's node with the dev PKI of the three example stations, and the real signing keys of
/// its two peers.
struct Fixture {
    node: Node,
    luoyang: Signer,
    mazhan: Signer,
    /// 马站's private key under 罗阳's key reference: a signature that names the wrong key.
    impostor: Signer,
    runtime: tokio::runtime::Runtime,
    _dir: TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let endpoints: Vec<Endpoint> = crate::pki::example_stations()
            .into_iter()
            .zip(17443u16..)
            .map(|(spec, port)| Endpoint::local(spec, SocketAddr::from(([127, 0, 0, 1], port))))
            .collect();
        let net = devnet::prepare(dir.path(), endpoints, &crate::pki::example_officers()).unwrap();
        let config = Config::load(net.config(XIXI).unwrap()).unwrap();
        let node = Node::open(config, Clock::system()).unwrap();
        let key_of = |id: &str| {
            let files = &net.layout.station(id).unwrap().signing;
            let key = crate::keys::load_signing_key(&files.private_key).unwrap();
            (KeyRef::new(station(id), &files.key_id).unwrap(), key)
        };
        let ((luoyang_ref, luoyang_key), (mazhan_ref, mazhan_key)) = (key_of(LUOYANG), key_of(MAZHAN));
        let impostor = Signer::new(luoyang_ref.clone(), mazhan_key.clone());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Self {
            luoyang: Signer::new(luoyang_ref, luoyang_key),
            mazhan: Signer::new(mazhan_ref, mazhan_key),
            impostor,
            node,
            runtime,
            _dir: dir,
        }
    }

    fn now(&self) -> OffsetDateTime {
        self.node.clock().now()
    }

    fn receive(&self, peer: &str, wires: &[Vec<u8>]) -> Vec<Result<InboundOutcome, super::InboundError>> {
        let wires: Vec<&[u8]> = wires.iter().map(Vec::as_slice).collect();
        self.runtime.block_on(self.node.receive_batch(&station(peer), &wires))
    }
}

fn officer() -> Signatory {
    Signatory { badge: "330329001".parse().unwrap(), name: "陈志强".into() }
}

/// A request from `from` to `to`, as an officer's node builds it, naming one of 16 resident
/// IDs (odd sequence numbers: the man is male) or none. A new case naming an ID is flagged against, and rewrites, every open case
/// naming it (一人多次), so one shared ID would make the rounds quadratic.
fn request(from: &StationId, to: Vec<StationId>, at: OffsetDateTime, subject: Option<u8>) -> Envelope {
    let mut new = crate::samples::missing_elderly_man(to.clone(), at);
    if let crate::domain::details::CaseDetails::MissingPerson(person) = &mut new.details {
        person.id_number =
            subject.and_then(|n| crate::samples::resident_id(&format!("33032919480312{:03}", 2 * u16::from(n) + 1)));
    }
    let body = new.into_request(officer(), at, crate::domain::deadline::DeadlinePolicy::default().urgent).1;
    Envelope {
        id: EnvelopeId::new(),
        case: CaseId::new(),
        from: from.clone(),
        seen: to.iter().map(|t| (t.clone(), 0)).collect(),
        to,
        at,
        seq: 0,
        body: Body::Request(Box::new(body)),
    }
}

/// Another envelope of `case`, the sender's `seq`-th on it, having seen nothing from the addressees
/// (the node under test never writes back).
fn follow_up(
    case: &Envelope,
    from: &StationId,
    to: Vec<StationId>,
    at: OffsetDateTime,
    seq: u32,
    body: Body,
) -> Envelope {
    let seen = to.iter().map(|t| (t.clone(), 0)).collect();
    Envelope { id: EnvelopeId::new(), case: case.case, from: from.clone(), to, at, seq, seen, body }
}

fn note(text: &str) -> Body {
    Body::Note(NoteBody { officer: officer(), text: text.into(), attachments: Vec::new() })
}

/// One delivery in a round.
#[derive(Debug, Clone)]
enum Item {
    /// A valid envelope of the round, by its index, over the right connection.
    Valid(usize),
    /// A valid envelope mutated at levels (a)–(c).
    Mutated(usize, Vec<Mutation>),
    /// A valid envelope's payload edited and re-signed by its sender's real key (level d).
    Resigned(usize, Vec<PayloadEdit>),
    /// A valid envelope of 罗阳's delivered over 马站's connection.
    WrongConnection(usize),
    /// 罗阳's payload signed by 马站 with 马站's key reference (signer ≠ `from`).
    SignedByAnother(usize),
    /// 罗阳's payload signed by 马站's key but naming 罗阳's key.
    ImpersonatedKey(usize),
    /// 马站's own note on 罗阳's case, to 犀溪, over 马站's connection.
    StrangerNote,
    /// The same note over 罗阳's connection.
    StrangerNoteOverLuoyang,
    /// 罗阳's note on the case addressed to 马站 only.
    NotForUs,
    /// 罗阳's note dated an hour ahead.
    FromTheFuture,
    /// Arbitrary bytes.
    Garbage(Vec<u8>),
}

fn item() -> impl Strategy<Value = Item> {
    let index = any::<usize>;
    prop_oneof![
        4 => index().prop_map(Item::Valid),
        6 => (index(), mutate::mutations()).prop_map(|(i, m)| Item::Mutated(i, m)),
        2 => (index(), proptest::collection::vec(mutate::payload_edit(), 1..3)).prop_map(|(i, e)| Item::Resigned(i, e)),
        1 => index().prop_map(Item::WrongConnection),
        1 => index().prop_map(Item::SignedByAnother),
        1 => index().prop_map(Item::ImpersonatedKey),
        1 => Just(Item::StrangerNote),
        1 => Just(Item::StrangerNoteOverLuoyang),
        1 => Just(Item::NotForUs),
        1 => Just(Item::FromTheFuture),
        1 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Item::Garbage),
    ]
}

/// One round: a new case from 罗阳 (to 犀溪, or to 犀溪 and 马站), its follow-ups, maybe a
/// request of 马站's own, and a shuffled, batched mix of deliveries.
#[derive(Debug, Clone)]
struct Round {
    subject: Option<u8>,
    also_to_mazhan: bool,
    notes: usize,
    reminder: bool,
    mazhan_request: bool,
    items: Vec<(Item, bool)>,
}

fn round() -> impl Strategy<Value = Round> {
    let shape = (
        any::<bool>(),
        0usize..3,
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec((item(), any::<bool>()), 1..14),
    );
    (proptest::option::weighted(0.2, 0u8..16), shape).prop_map(
        |(subject, (also_to_mazhan, notes, reminder, mazhan_request, items))| Round {
            subject,
            also_to_mazhan,
            notes,
            reminder,
            mazhan_request,
            items,
        },
    )
}

/// A valid envelope of the round, with the connection it is delivered over.
struct Valid {
    peer: &'static str,
    sealed: SealedEnvelope,
}

/// What the round has produced and seen.
#[derive(Default)]
struct Ledger {
    /// Canonical wires produced by a real signer and sent over its own connection, with that
    /// connection: the only things the node may accept.
    legitimate: BTreeMap<Vec<u8>, &'static str>,
    /// The canonical wires of the valid envelopes built by the rounds (not re-signed edits).
    valid: BTreeSet<Vec<u8>>,
    /// Every envelope id the rounds used, accepted or not.
    ids: BTreeSet<EnvelopeId>,
    /// The ids used by the current round, checked against the store at its end.
    this_round: BTreeSet<EnvelopeId>,
    /// Accepted envelopes: id → (canonical wire, first receipt).
    accepted: BTreeMap<EnvelopeId, (Vec<u8>, Vec<u8>)>,
}

impl Ledger {
    fn note_id(&mut self, id: EnvelopeId) {
        self.ids.insert(id);
        self.this_round.insert(id);
    }
}

impl Fixture {
    fn valid_envelopes(&self, round: &Round) -> Vec<Valid> {
        let (luoyang, xixi, mazhan) = (station(LUOYANG), station(XIXI), station(MAZHAN));
        let at = self.now() - Duration::minutes(30);
        let to = if round.also_to_mazhan { vec![xixi.clone(), mazhan.clone()] } else { vec![xixi.clone()] };
        let first = request(&luoyang, to, at, round.subject);
        let mut envelopes = vec![first.clone()];
        for n in 0..round.notes {
            let text = format!("补充情况第{}条：老人可能在犀溪车站附近", n + 1);
            let seq = u32::try_from(n).unwrap() + 1;
            envelopes.push(follow_up(
                &first,
                &luoyang,
                vec![xixi.clone()],
                at + Duration::minutes(1),
                seq,
                note(&text),
            ));
        }
        if round.reminder {
            let body = Body::Reminder(ReminderBody { officer: officer(), message: Some("请尽快签收".into()) });
            let seq = u32::try_from(round.notes).unwrap() + 1;
            envelopes.push(follow_up(&first, &luoyang, vec![xixi.clone()], at + Duration::minutes(2), seq, body));
        }
        let mut valid: Vec<Valid> =
            envelopes.into_iter().map(|e| Valid { peer: LUOYANG, sealed: e.seal(&self.luoyang).unwrap() }).collect();
        if round.mazhan_request {
            let own = request(&mazhan, vec![xixi], at, None);
            valid.push(Valid { peer: MAZHAN, sealed: own.seal(&self.mazhan).unwrap() });
        }
        valid
    }

    /// The wire an item delivers and the connection it arrives over; legitimate wires are
    /// entered in the ledger.
    fn deliver(&self, item: &Item, valid: &[Valid], ledger: &mut Ledger) -> (&'static str, Vec<u8>) {
        let pick = |i: &usize| &valid[i % valid.len()];
        let luoyang_pick = |i: &usize| {
            let from_luoyang: Vec<&Valid> = valid.iter().filter(|v| v.peer == LUOYANG).collect();
            from_luoyang[i % from_luoyang.len()]
        };
        let request = &valid[0].sealed.envelope;
        let now = self.now();
        match item {
            Item::Valid(i) => (pick(i).peer, pick(i).sealed.wire()),
            Item::Mutated(i, mutations) => {
                let donor = pick(&(i / 7)).sealed.wire();
                (pick(i).peer, mutate::apply_all(&pick(i).sealed.wire(), &donor, mutations))
            }
            Item::Resigned(i, edits) => {
                let valid = pick(i);
                let payload = edits.iter().fold(valid.sealed.signed.payload().to_vec(), |p, e| e.apply(&p));
                let signer = if valid.peer == LUOYANG { &self.luoyang } else { &self.mazhan };
                let signed = Signed::sign(ENVELOPE_CONTEXT, payload, signer);
                // Whatever a real key signs is legitimate to its owner's connection; the node
                // must still refuse it unless it is a valid envelope.
                if let Ok(opened) = SealedEnvelope::open(&signed.encode(), self.node.keys()) {
                    ledger.legitimate.insert(opened.wire(), valid.peer);
                    ledger.note_id(opened.envelope.id);
                }
                (valid.peer, signed.encode())
            }
            Item::WrongConnection(i) => (MAZHAN, luoyang_pick(i).sealed.wire()),
            Item::SignedByAnother(i) => {
                let payload = luoyang_pick(i).sealed.signed.payload().to_vec();
                (MAZHAN, Signed::sign(ENVELOPE_CONTEXT, payload, &self.mazhan).encode())
            }
            Item::ImpersonatedKey(i) => {
                let payload = luoyang_pick(i).sealed.signed.payload().to_vec();
                (LUOYANG, Signed::sign(ENVELOPE_CONTEXT, payload, &self.impostor).encode())
            }
            Item::StrangerNote | Item::StrangerNoteOverLuoyang => {
                let mazhan = station(MAZHAN);
                let envelope = follow_up(request, &mazhan, vec![station(XIXI)], now, 1, note("马站补充"));
                ledger.note_id(envelope.id);
                let peer = if matches!(item, Item::StrangerNote) { MAZHAN } else { LUOYANG };
                (peer, envelope.seal(&self.mazhan).unwrap().wire())
            }
            Item::NotForUs | Item::FromTheFuture => {
                let (to, at) = match item {
                    Item::NotForUs => (vec![station(MAZHAN)], now),
                    _ => (vec![station(XIXI)], now + Duration::hours(1)),
                };
                let envelope = follow_up(request, &station(LUOYANG), to, at, 1, note("不该收下"));
                ledger.note_id(envelope.id);
                (LUOYANG, envelope.seal(&self.luoyang).unwrap().wire())
            }
            Item::Garbage(bytes) => (LUOYANG, bytes.clone()),
        }
    }

    /// Sends the round, batch by batch, and checks every answer.
    /// The ledger lives as long as the node: ids from one round (a fixed id written by an
    /// edit, say) may come back in another.
    fn play(&self, round: &Round, ledger: &mut Ledger, stats: &Stats) -> Result<(), TestCaseError> {
        let valid = self.valid_envelopes(round);
        ledger.this_round.clear();
        for v in &valid {
            ledger.legitimate.insert(v.sealed.wire(), v.peer);
            ledger.valid.insert(v.sealed.wire());
            ledger.note_id(v.sealed.envelope.id);
        }
        let edits_before = stats.edits_accepted.get();
        let deliveries: Vec<(&'static str, Vec<u8>, bool)> = round
            .items
            .iter()
            .map(|(item, cut)| {
                let (peer, wire) = self.deliver(item, &valid, ledger);
                (peer, wire, *cut)
            })
            .collect();
        let mut batch: Vec<Vec<u8>> = Vec::new();
        for (i, (peer, wire, cut)) in deliveries.iter().enumerate() {
            batch.push(wire.clone());
            let last = deliveries.get(i + 1).is_none_or(|(next, _, _)| next != peer);
            if *cut || last {
                let answers = self.receive(peer, &batch);
                prop_assert_eq!(answers.len(), batch.len());
                for (wire, answer) in batch.iter().zip(answers) {
                    self.check_answer(peer, wire, answer, ledger, stats)?;
                }
                batch.clear();
            }
        }
        self.check_store(ledger, &ledger.this_round)?;
        // Once the noise is over, the valid envelopes sent in order are all taken (unless an
        // accepted re-signed edit took one's id or changed the case first). One the noise
        // delivered ahead of its turn (a donor's signed bytes) is taken then, and the sender's
        // earlier ones are refused as out of order: a sender's envelopes count in its order.
        if stats.edits_accepted.get() == edits_before {
            for v in &valid {
                let answer = self.receive(v.peer, &[v.sealed.wire()]).remove(0);
                let overtaken = |seq: u32| {
                    valid.iter().any(|later| {
                        let e = &later.sealed.envelope;
                        e.case == v.sealed.envelope.case
                            && e.from == v.sealed.envelope.from
                            && e.seq >= seq
                            && self.node.store().envelope(&e.id).ok().flatten().is_some()
                    })
                };
                if let Err(super::InboundError::Apply(crate::case::ApplyError::OutOfOrder { next, .. })) = &answer {
                    prop_assert!(overtaken(*next - 1), "out of order, yet nothing overtook it");
                    continue;
                }
                prop_assert!(answer.is_ok(), "valid envelope refused after the fuzz: {:?}", answer);
                self.check_answer(v.peer, &v.sealed.wire(), answer, ledger, stats)?;
            }
            self.check_store(ledger, &ledger.this_round)?;
        }
        Ok(())
    }

    fn check_answer(
        &self,
        peer: &'static str,
        wire: &[u8],
        answer: Result<InboundOutcome, super::InboundError>,
        ledger: &mut Ledger,
        stats: &Stats,
    ) -> Result<(), TestCaseError> {
        let outcome = match answer {
            Err(error) => {
                stats.refused.set(stats.refused.get() + 1);
                prop_assert!(!error.code().is_empty());
                return Ok(());
            }
            Ok(outcome) => outcome,
        };
        let opened = SealedEnvelope::open(wire, self.node.keys()).unwrap();
        let canonical = opened.wire();
        prop_assert_eq!(
            ledger.legitimate.get(&canonical).copied(),
            Some(peer),
            "accepted something no real signer sent over this connection: {}",
            String::from_utf8_lossy(wire)
        );
        let receipt = SealedReceipt::open(outcome.receipt(), self.node.keys()).unwrap();
        prop_assert!(receipt.matches(&opened), "the receipt vouches for other bytes");
        prop_assert_eq!(&receipt.statement.from, &station(XIXI));
        prop_assert_eq!(&receipt.statement.to, &opened.envelope.from);
        let id = opened.envelope.id;
        match (&outcome, ledger.accepted.get(&id)) {
            (InboundOutcome::Accepted(r), None) => {
                stats.accepted.set(stats.accepted.get() + 1);
                if !ledger.valid.contains(&canonical) {
                    stats.edits_accepted.set(stats.edits_accepted.get() + 1);
                }
                ledger.accepted.insert(id, (canonical, r.clone()));
            }
            (InboundOutcome::Duplicate(r), Some((first_wire, first_receipt))) => {
                stats.duplicates.set(stats.duplicates.get() + 1);
                prop_assert_eq!(first_wire, &canonical, "a duplicate with other bytes");
                prop_assert_eq!(first_receipt, r, "a duplicate got another receipt");
            }
            (outcome, before) => {
                prop_assert!(false, "{outcome:?} contradicts the ledger (accepted before: {})", before.is_some());
            }
        }
        Ok(())
    }

    /// The store holds exactly the accepted envelopes, with their accepted bytes and receipts.
    fn check_store(&self, ledger: &Ledger, ids: &BTreeSet<EnvelopeId>) -> Result<(), TestCaseError> {
        for id in ids {
            let stored = self.node.store().envelope(id).unwrap();
            match ledger.accepted.get(id) {
                None => prop_assert!(stored.is_none(), "refused envelope {id} is stored"),
                Some((wire, receipt)) => {
                    prop_assert_eq!(stored.map(|s| s.wire), Some(wire.clone()));
                    let stored_receipt = self.node.store().receipt(id, &station(XIXI)).unwrap();
                    prop_assert_eq!(stored_receipt.as_ref(), Some(receipt));
                }
            }
        }
        Ok(())
    }
}

/// Counts over a whole run, to show the properties were exercised.
#[derive(Default)]
struct Stats {
    accepted: Cell<usize>,
    edits_accepted: Cell<usize>,
    duplicates: Cell<usize>,
    refused: Cell<usize>,
}

#[test]
fn a_node_stores_only_what_real_signers_sent_and_repeats_its_receipts() {
    let fixture = Fixture::new();
    let stats = Stats::default();
    let ledger = std::cell::RefCell::new(Ledger::default());
    let mut runner = TestRunner::new(runner_cases(400));
    runner.run(&round(), |round| fixture.play(&round, &mut ledger.borrow_mut(), &stats)).unwrap();
    // Later rounds must not have disturbed what earlier ones left.
    let ledger = ledger.into_inner();
    fixture.check_store(&ledger, &ledger.ids).unwrap();
    println!(
        "inbound: {} envelopes accepted ({} of them re-signed edits), {} duplicates answered with the first \
         receipt, {} refused",
        stats.accepted.get(),
        stats.edits_accepted.get(),
        stats.duplicates.get(),
        stats.refused.get()
    );
    assert!(stats.accepted.get() > 0 && stats.duplicates.get() > 0 && stats.refused.get() > 0);
}

#[test]
fn arbitrary_bytes_from_any_peer_are_refused_and_store_nothing() {
    let fixture = Fixture::new();
    let audit_before = fixture.node.store().verify_audit().unwrap();
    let mut runner = TestRunner::new(runner_cases(256));
    let strategy = (
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..600), 1..8),
        proptest::sample::select(vec![LUOYANG, MAZHAN, "fj-fuding-qianqi"]),
    );
    runner
        .run(&strategy, |(wires, peer)| {
            let answers = fixture.receive(peer, &wires);
            prop_assert_eq!(answers.len(), wires.len());
            prop_assert!(answers.iter().all(Result::is_err));
            Ok(())
        })
        .unwrap();
    assert_eq!(fixture.node.store().verify_audit().unwrap(), audit_before, "refusals wrote audit entries");
}

/// 罗阳 may sign any deadline after the sending time; the node stores it, and the console's
/// case page and `tiemeng case show` print it with `local_minute`, which converts to Beijing
/// time with the panicking `to_offset`.
#[test]
fn a_request_with_deadlines_beyond_a_year_is_refused_and_any_time_can_be_shown() {
    let fixture = Fixture::new();
    let mut envelope = request(&station(LUOYANG), vec![station(XIXI)], fixture.now() - Duration::minutes(1), None);
    if let Body::Request(body) = &mut envelope.body {
        body.ack_by = time::macros::datetime!(9999-12-31 20:00 UTC);
        body.report_by = time::macros::datetime!(9999-12-31 21:00 UTC);
    }
    let wire = envelope.clone().seal(&fixture.luoyang).unwrap().wire();
    let answer = fixture.receive(LUOYANG, &[wire]).remove(0);
    assert!(matches!(&answer, Err(e) if e.code() == "invalid_body"), "{answer:?}");
    assert!(fixture.node.store().case(&envelope.case).unwrap().is_none(), "nothing stored");
    for at in [time::macros::datetime!(9999-12-31 20:00 UTC), time::macros::datetime!(-9999-01-01 00:00 UTC)] {
        let shown = std::panic::catch_unwind(|| crate::clock::local_minute(at));
        assert!(shown.is_ok(), "local_minute panics on {at}");
    }
}
