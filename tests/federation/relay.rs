//! Every party of a multi-target request sees every target (转告): the origin relays what one
//! target did to the others, a decisive outcome shows at once at the other targets, and the
//! origin stands the rest down in one action.

use std::time::Duration;

use serde_json::Value;

use super::support::{As, LUOYANG, MAZHAN, Net, QIANQI, XIXI, eventually};
use super::{station, wait_for_state};
use tiemeng::case::CaseRecord;
use tiemeng::domain::case::{Outcome, WithdrawReason};
use tiemeng::domain::details::CaseKind;
use tiemeng::domain::lifecycle::TargetState;
use tiemeng::envelope::body::{OutcomeBody, RelayBody};
use tiemeng::envelope::{Body, Envelope, Kind, Signatory};
use tiemeng::ids::EnvelopeId;
use tiemeng::node::{AckInput, Action, CaseDetail, OutcomeInput};
use tiemeng::samples;

const PATIENCE: Duration = Duration::from_secs(20);

fn co_target(detail: &CaseDetail, id: &str) -> Option<(TargetState, Option<Outcome>)> {
    detail.case.co_targets.iter().find(|t| t.station.as_str() == id).map(|t| (t.state, t.outcome))
}

/// The relays in a timeline: what each carries, and whether its signature verified here.
fn relays(detail: &CaseDetail) -> Vec<(Kind, String, bool)> {
    detail
        .timeline
        .iter()
        .filter(|e| e.kind == Kind::Relay)
        .map(|e| {
            let inner = e.relayed.as_ref().expect("a relay shows what it carries");
            assert!(e.verified, "the relay's own signature verifies");
            (inner.kind, inner.from.to_string(), inner.verified)
        })
        .collect()
}

/// A chief's statistics at `id`, for the pair with `peer`: (sent, received).
async fn pair_figures(net: &Net, id: &str, peer: &str) -> (Value, Value) {
    let chief = net.officer(id, As::Chief);
    let today = tiemeng::clock::Clock::system().now().to_offset(tiemeng::clock::BEIJING).date();
    let query = format!("from={}&to={}", today.previous_day().unwrap(), today.next_day().unwrap());
    let url = format!("{}/api/v1/stats?{query}", net.url(id));
    let report: Value = chief.http().get(url).send().await.unwrap().json().await.unwrap();
    let pair = report["by_peer"].as_array().unwrap().iter().find(|p| p["peer"] == peer).cloned().unwrap();
    (pair["sent"].clone(), pair["received"].clone())
}

#[tokio::test]
async fn an_interception_at_one_target_reaches_the_other_and_the_origin_stands_it_down() {
    let net = Net::start(&[LUOYANG, XIXI, MAZHAN]).await;
    let origin = net.officer(LUOYANG, As::Liaison);
    let xixi = net.officer(XIXI, As::Duty);
    let mazhan = net.officer(MAZHAN, As::Duty);
    let alert =
        samples::sample(CaseKind::Fugitive, vec![station(XIXI), station(MAZHAN)], time::OffsetDateTime::now_utc());
    let case = origin.create_case(&alert).await.unwrap();
    for target in [XIXI, MAZHAN] {
        wait_for_state(&origin, &case.id, target, TargetState::Delivered).await;
    }

    // 犀溪 takes it on and intercepts him.
    xixi.act(&case.id, &Action::Ack(AckInput::default())).await.unwrap();
    let outcome =
        OutcomeInput { outcome: Outcome::Intercepted, count: 1, narrative: "在犀溪收费站将其拦截".into() };
    xixi.act(&case.id, &Action::Outcome(outcome)).await.unwrap();
    wait_for_state(&origin, &case.id, XIXI, TargetState::Resolved).await;

    // 马站 sees 犀溪's acknowledgement and its outcome, relayed and verified, and the line on top.
    let heard = eventually(PATIENCE, || async {
        let detail = mazhan.case(&case.id).await.unwrap();
        co_target(&detail, XIXI) == Some((TargetState::Resolved, Some(Outcome::Intercepted)))
    })
    .await;
    assert!(heard, "马站 never heard of 犀溪's interception");
    let at_mazhan = mazhan.case(&case.id).await.unwrap();
    assert_eq!(
        relays(&at_mazhan),
        [(Kind::Ack, XIXI.to_owned(), true), (Kind::Outcome, XIXI.to_owned(), true)],
        "犀溪's ack and outcome, each relayed once, each signature checked here"
    );
    let decisive = at_mazhan.decisive.as_ref().expect("the decisive outcome shows at 马站");
    assert_eq!((decisive.station.as_str(), decisive.outcome), (XIXI, Outcome::Intercepted));
    assert_eq!(at_mazhan.case.targets.len(), 1, "马站's own part is still its own only");
    assert_eq!(at_mazhan.case.targets[0].state, TargetState::Delivered);
    assert!(at_mazhan.stand_down.is_none(), "only the origin stands targets down");
    let events = net.node(MAZHAN).store().events_after(0, 100).unwrap();
    let told = events.iter().any(|(_, e)| {
        matches!(&e.what, tiemeng::events::What::CaseUpdated { by, action: Some(Kind::Outcome), target, state: TargetState::Resolved, .. }
            if by.as_str() == XIXI && target.as_str() == XIXI)
    });
    assert!(told, "马站's desk hears of the interception at once: {events:?}");
    // 马站's evidence bundle carries the relays; checked offline, it holds and tells them.
    let bundle = mazhan.bundle(&case.id).await.unwrap();
    let verified = tiemeng::evidence::verify(&bundle).unwrap();
    assert!(verified.findings.is_empty(), "{:?}", verified.findings);
    let told = tiemeng::evidence::narrate(&verified, tiemeng::i18n::Lang::Zh);
    assert!(told.contains("转告寿宁县公安局犀溪派出所：反馈结果：已拦截（1）"), "{told}");

    // The origin is offered the stand-down, with 已到案 preselected, for 马站 only.
    let at_origin = origin.case(&case.id).await.unwrap();
    let offer = at_origin.stand_down.as_ref().expect("the origin is offered the stand-down");
    assert_eq!(offer.reason, WithdrawReason::InCustody);
    assert_eq!(offer.targets, [station(MAZHAN)]);
    // 马站's duty officer reads it at the top of `case show`; 罗阳's liaison stands 马站 down
    // from the command line, naming the case by its reference number.
    let shown = net.cli(MAZHAN, As::Duty, "case", &["show", &case.id.to_string()]).await;
    let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(shown.contains("犀溪派出所 已拦截"), "{shown}");
    let refno = case.refno.as_ref().expect("a reference number").label.clone();
    let stood_down = net
        .cli(
            LUOYANG,
            As::Liaison,
            "case",
            &["stand-down", &refno, "--reason", "in_custody", "--message", "嫌疑人已在犀溪落网"],
        )
        .await;
    let printed = String::from_utf8_lossy(&stood_down.stdout).into_owned();
    assert!(stood_down.status.success(), "{printed} {}", String::from_utf8_lossy(&stood_down.stderr));
    assert!(printed.contains("已更新协查") && printed.contains(&format!("{MAZHAN} 已撤回")), "{printed}");
    let after = origin.case(&case.id).await.unwrap().case;
    let states: Vec<_> = after.targets.iter().map(|t| (t.station.to_string(), t.state)).collect();
    assert_eq!(
        states,
        [(XIXI.to_owned(), TargetState::Resolved), (MAZHAN.to_owned(), TargetState::Withdrawn)],
        "the target that reported waits for its close; the other is stood down"
    );

    // 马站 is withdrawn with the reason 已到案; 犀溪 hears of it by relay.
    wait_for_state(&mazhan, &case.id, MAZHAN, TargetState::Withdrawn).await;
    let at_mazhan = mazhan.case(&case.id).await.unwrap();
    let withdrawal = at_mazhan.timeline.iter().find(|e| e.kind == Kind::Withdraw).unwrap();
    assert_eq!(withdrawal.body["reason"], "in_custody");
    let heard = eventually(PATIENCE, || async {
        co_target(&xixi.case(&case.id).await.unwrap(), MAZHAN).map(|(state, _)| state) == Some(TargetState::Withdrawn)
    })
    .await;
    assert!(heard, "犀溪 never heard of 马站's withdrawal");
    let at_xixi = xixi.case(&case.id).await.unwrap();
    assert_eq!(relays(&at_xixi), [(Kind::Withdraw, LUOYANG.to_owned(), true)]);
    assert!(at_xixi.decisive.is_none(), "犀溪's own outcome is not news to 犀溪");

    // Both sides of each pair count the same, the relays and co-targets changing nothing.
    let a = net.node(LUOYANG).clone();
    let drained = eventually(PATIENCE, || async {
        a.store().outbox_len(&station(XIXI)) == 0 && a.store().outbox_len(&station(MAZHAN)) == 0
    })
    .await;
    assert!(drained);
    for target in [XIXI, MAZHAN] {
        let (sent, _) = pair_figures(&net, LUOYANG, target).await;
        let (_, received) = pair_figures(&net, target, LUOYANG).await;
        assert_eq!(sent, received, "罗阳→{target} counted the same at both ends");
        assert_eq!(sent["requests"], 1);
    }
    let (_, at_mazhan) = pair_figures(&net, MAZHAN, LUOYANG).await;
    assert_eq!((at_mazhan["withdrawn"].clone(), at_mazhan["resolved"].clone()), (Value::from(1), Value::from(0)));
    net.shutdown().await;
}

/// The relays a case holds are refused when anyone but the origin sends one, or when what
/// it carries is signed by a station that is no party of the case: with a stable code, and
/// nothing stored. Each attacker signs with its own real key.
#[tokio::test]
async fn a_relay_from_a_target_or_about_a_stranger_is_refused_and_changes_nothing() {
    let net = Net::start(&[LUOYANG, XIXI, MAZHAN, QIANQI]).await;
    let origin = net.officer(LUOYANG, As::Liaison);
    let alert =
        samples::sample(CaseKind::Fugitive, vec![station(XIXI), station(MAZHAN)], time::OffsetDateTime::now_utc());
    let case = origin.create_case(&alert).await.unwrap();
    for target in [XIXI, MAZHAN] {
        wait_for_state(&origin, &case.id, target, TargetState::Delivered).await;
    }
    let now = tiemeng::clock::Clock::system().now();
    let officer = Signatory { badge: "330329001".parse().unwrap(), name: "伪造者".into() };
    let timeline = |node: &str| net.node(node).store().timeline(&case.id).unwrap().len();
    let before = timeline(MAZHAN);
    let held: CaseRecord = net.node(MAZHAN).store().case(&case.id).unwrap().unwrap();

    // 前岐, no party of the case, signs an outcome on it as if it had intercepted him.
    let stranger = Envelope {
        id: EnvelopeId::new(),
        case: case.id,
        from: station(QIANQI),
        to: vec![station(LUOYANG)],
        at: now,
        seq: 1,
        seen: [(station(LUOYANG), 1)].into(),
        body: Body::Outcome(OutcomeBody {
            officer: officer.clone(),
            outcome: Outcome::Intercepted,
            count: 1,
            narrative: "已拦截".into(),
        }),
    }
    .seal(&net.signer(QIANQI))
    .unwrap();

    // 犀溪 passes it on to 马站 itself, in a relay signed with 犀溪's own key.
    let by_target = Envelope {
        id: EnvelopeId::new(),
        case: case.id,
        from: station(XIXI),
        to: vec![station(MAZHAN)],
        at: now,
        seq: 1,
        seen: [(station(MAZHAN), 0)].into(),
        body: Body::Relay(RelayBody::wrap(officer.clone(), &stranger)),
    }
    .seal(&net.signer(XIXI))
    .unwrap();
    let answer = net.post_to_inbox(XIXI, MAZHAN, &[by_target.wire()]).await;
    assert_eq!(answer["results"][0]["status"], "rejected", "{answer}");
    assert_eq!(answer["results"][0]["code"], "relay_not_from_origin", "{answer}");

    // The origin relays it, properly placed in its exchange with 马站 and signed.
    let at_origin = net.node(LUOYANG).store().case(&case.id).unwrap().unwrap();
    let (seq, seen) = at_origin.causal_context(&station(LUOYANG), &[station(MAZHAN)]);
    let by_origin = Envelope {
        id: EnvelopeId::new(),
        case: case.id,
        from: station(LUOYANG),
        to: vec![station(MAZHAN)],
        at: now,
        seq,
        seen,
        body: Body::Relay(RelayBody::wrap(officer, &stranger)),
    }
    .seal(&net.signer(LUOYANG))
    .unwrap();
    let answer = net.post_to_inbox(LUOYANG, MAZHAN, &[by_origin.wire()]).await;
    assert_eq!(answer["results"][0]["status"], "rejected", "{answer}");
    assert_eq!(answer["results"][0]["code"], "relay_signer_not_party", "{answer}");
    assert!(answer["results"][0]["message"].as_str().is_some_and(|m| m.contains(QIANQI)), "{answer}");

    assert_eq!(timeline(MAZHAN), before, "nothing was stored");
    let after: CaseRecord = net.node(MAZHAN).store().case(&case.id).unwrap().unwrap();
    assert_eq!(after, held, "the case is as it was");
    assert!(after.co_targets.is_empty());
    net.shutdown().await;
}
