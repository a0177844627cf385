//! The case's handler (承办人) and handovers between officers of a station (交接): the sender
//! handles a case at the origin, the duty officer who acknowledges it at the target; the
//! handler or the chief hands it on, locally, signed by the station and audited; the lists
//! filter what is mine and what no one has taken on.

use std::time::Duration;

use super::support::{As, LUOYANG, Net, XIXI, eventually};
use tiemeng::case::CaseRecord;
use tiemeng::client::{ApiClient, ClientError};
use tiemeng::domain::details::CaseKind;
use tiemeng::ids::{CaseId, StationId};
use tiemeng::node::{AckInput, Action, HandoverInput};
use tiemeng::samples;
use tiemeng::store::Mailbox;

const PATIENCE: Duration = Duration::from_secs(20);

/// 犀溪's officers as the dev PKI registers them.
const ZHENG: &str = "350924002";
const YE: &str = "350924004";
const HUANG_LIAISON: &str = "350924001";
const CHEN_LIAISON: &str = "330329001";

fn handler(case: &CaseRecord) -> Option<&str> {
    case.handler.as_ref().map(|h| h.badge.as_str())
}

fn to(badge: &str, note: Option<&str>) -> HandoverInput {
    HandoverInput { to: badge.parse().unwrap(), note: note.map(str::to_owned) }
}

fn ok(output: std::process::Output) -> String {
    let (out, err) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{out}{err}");
    out.into_owned()
}

/// Whether `id` is on the first page of `client`'s inbox or outbox with `query`.
async fn listed(client: &ApiClient, mailbox: Mailbox, query: &str, id: CaseId) -> bool {
    client.list(mailbox, query).await.unwrap().cases.iter().any(|c| c.case.id == id)
}

/// 罗阳 sends a request to 犀溪 and 犀溪 holds it.
async fn sent(net: &Net, title: &str) -> CaseRecord {
    let xixi: StationId = XIXI.parse().unwrap();
    let mut new = samples::sample(CaseKind::General, vec![xixi], net.clocks[LUOYANG].now());
    new.title = title.into();
    let case = net.officer(LUOYANG, As::Liaison).create_case(&new).await.unwrap();
    let arrived = eventually(PATIENCE, || async { net.node(XIXI).store().case(&case.id).unwrap().is_some() }).await;
    assert!(arrived, "the request reached 犀溪");
    case
}

/// The `case.handover` entries of a station's audit chain.
fn handover_audits(net: &Net, station: &str) -> Vec<tiemeng::store::AuditEntry> {
    let entries = net.node(station).store().audit_entries(0, 10_000).unwrap();
    entries.into_iter().filter(|e| e.action == "case.handover").collect()
}

#[tokio::test]
async fn the_sender_handles_a_case_at_the_origin_and_the_acknowledging_duty_officer_at_the_target() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let case = sent(&net, "协查承办人").await;
    assert_eq!(handler(&case), Some(CHEN_LIAISON), "the liaison who sent it handles it at the origin");

    let duty = net.officer(XIXI, As::Duty);
    let other = net.officer(XIXI, As::OtherDuty);
    let received = duty.case(&case.id).await.unwrap();
    assert_eq!(received.case.handler, None, "no one at 犀溪 has taken it on yet");
    assert!(listed(&duty, Mailbox::Inbox, "unassigned=true", case.id).await, "the desk sees it unassigned");
    assert!(!listed(&duty, Mailbox::Inbox, "mine=true", case.id).await);

    let acked = duty.act(&case.id, &Action::Ack(AckInput::default())).await.unwrap();
    assert_eq!(handler(&acked), Some(ZHENG), "the duty officer who acknowledged it handles it");
    assert!(!listed(&duty, Mailbox::Inbox, "unassigned=true", case.id).await);
    assert!(listed(&duty, Mailbox::Inbox, "mine=true", case.id).await);
    assert!(!listed(&other, Mailbox::Inbox, "mine=true", case.id).await, "not the other duty officer's");
    assert!(listed(&other, Mailbox::Inbox, "", case.id).await, "and still in everyone's inbox");

    let luoyang = net.node(LUOYANG);
    let seen = eventually(PATIENCE, || async {
        luoyang.store().case(&case.id).unwrap().is_some_and(|c| c.targets[0].acked_at.is_some())
    })
    .await;
    assert!(seen, "the acknowledgement reached 罗阳");
    let origin = luoyang.store().case(&case.id).unwrap().unwrap();
    assert_eq!(handler(&origin), Some(CHEN_LIAISON), "a partner's officer never handles the case here");
    let liaison = net.officer(LUOYANG, As::Liaison);
    assert!(listed(&liaison, Mailbox::Outbox, "mine=true", case.id).await);

    let both = duty.list(Mailbox::Inbox, "mine=true&unassigned=true").await;
    assert!(matches!(both, Err(ClientError::Problem(p)) if p.status == 400), "mine and unassigned exclude each other");

    let mine = ok(net.cli(XIXI, As::Duty, "case", &["list", "--mine"]).await);
    assert!(mine.contains("协查承办人") && mine.contains("承办人：郑丽娟（350924002）"), "{mine}");
    let theirs = ok(net.cli(XIXI, As::OtherDuty, "case", &["list", "--mine"]).await);
    assert!(!theirs.contains("协查承办人"), "{theirs}");
    let shown = ok(net.cli(LUOYANG, As::Liaison, "case", &["show", &case.id.to_string()]).await);
    assert!(shown.contains("承办人：陈志强（330329001）"), "{shown}");
    net.shutdown().await;
}

#[tokio::test]
async fn a_handover_changes_the_handler_signed_and_audited_here_and_is_shown_in_the_timeline() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let case = sent(&net, "协查交接").await;
    let duty = net.officer(XIXI, As::Duty);
    let other = net.officer(XIXI, As::OtherDuty);
    duty.act(&case.id, &Action::Ack(AckInput::default())).await.unwrap();

    let before = duty.case(&case.id).await.unwrap();
    let choices: Vec<&str> = before.handover_to.iter().map(|o| o.badge.as_str()).collect();
    assert_eq!(choices, [YE], "the handler may hand it to the station's other duty officer only");
    assert!(other.case(&case.id).await.unwrap().handover_to.is_empty(), "someone else's case is not theirs to give");

    let handed = duty.hand_over(&case.id, &to(YE, Some("交班，嫌疑人线索见补充说明"))).await.unwrap();
    assert_eq!(handler(&handed), Some(YE));
    let detail = other.case(&case.id).await.unwrap();
    assert_eq!(handler(&detail.case), Some(YE), "the handover is on disk");
    let [handover] = detail.handovers.as_slice() else { panic!("one handover: {:?}", detail.handovers) };
    assert!(handover.verified, "signed by 犀溪 and verified when read: {:?}", handover.problem);
    assert!(handover.key.starts_with("fj-shouning-xixi#"), "{}", handover.key);
    let badge = |o: &Option<tiemeng::envelope::Signatory>| o.as_ref().map(|o| o.badge.as_str().to_owned());
    assert_eq!(
        (badge(&handover.from), badge(&handover.to), badge(&handover.by)),
        (Some(ZHENG.into()), Some(YE.into()), Some(ZHENG.into()))
    );
    assert_eq!(handover.note.as_deref(), Some("交班，嫌疑人线索见补充说明"));
    assert!(listed(&other, Mailbox::Inbox, "mine=true", case.id).await);
    assert!(!listed(&duty, Mailbox::Inbox, "mine=true", case.id).await);

    let audits = handover_audits(&net, XIXI);
    let [audit] = audits.as_slice() else { panic!("one audit entry: {audits:?}") };
    assert_eq!(audit.case, Some(case.id));
    assert!(audit.actor.ends_with(ZHENG), "{}", audit.actor);
    assert!(audit.detail.as_deref().is_some_and(|d| d.contains(ZHENG) && d.contains(YE)), "{audit:?}");

    let shown = ok(net.cli(XIXI, As::OtherDuty, "case", &["show", &case.id.to_string()]).await);
    assert!(shown.contains("承办人：叶志勇（350924004）"), "{shown}");
    assert!(shown.contains("交接：郑丽娟（350924002） → 叶志勇（350924004）  [签名有效]"), "{shown}");
    assert!(shown.contains("交班，嫌疑人线索见补充说明"), "{shown}");

    // Handed back from the command line, and on by the chief, who handles nothing himself.
    let back = ok(net.cli(XIXI, As::OtherDuty, "case", &["handover", &case.id.to_string(), "--to", ZHENG]).await);
    assert!(back.contains("已移交") && back.contains("郑丽娟（350924002）"), "{back}");
    let by_chief = net.officer(XIXI, As::Chief).hand_over(&case.id, &to(YE, None)).await.unwrap();
    assert_eq!(handler(&by_chief), Some(YE));
    let detail = duty.case(&case.id).await.unwrap();
    assert_eq!(detail.handovers.len(), 3);
    assert!(detail.handovers.iter().all(|h| h.verified));
    assert_eq!(handover_audits(&net, XIXI).len(), 3);
    let english = ok(net.cli(XIXI, As::Duty, "case", &["--lang", "en", "show", &case.id.to_string()]).await);
    assert!(english.contains("handover: 郑丽娟 (350924002) → 叶志勇 (350924004)"), "{english}");

    // Each handover is an event for the desk, naming who it went to; the watch tells it in words.
    let events = net.node(XIXI).store().events_after(0, 10_000).unwrap();
    let handed: Vec<_> = events
        .iter()
        .filter_map(|(_, e)| match &e.what {
            tiemeng::events::What::HandedOver { case: c, to, by, .. } if *c == case.id => {
                Some((to.badge.as_str().to_owned(), by.badge.as_str().to_owned()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(handed, [(YE.into(), ZHENG.into()), (ZHENG.into(), YE.into()), (YE.into(), "350924003".into())]);
    let names = std::collections::BTreeMap::from([(XIXI.to_owned(), "犀溪".to_owned())]);
    let last = events.iter().rev().find(|(_, e)| e.kind() == tiemeng::events::EventKind::HandedOver).unwrap();
    let words = tiemeng::events::words::describe(&last.1, &names, tiemeng::i18n::Lang::Zh);
    assert!(words.contains("交接「协查"), "{words}");
    assert!(words.contains("郑丽娟（350924002） → 叶志勇（350924004）"), "{words}");
    assert!(
        !net.node(LUOYANG)
            .store()
            .events_after(0, 10_000)
            .unwrap()
            .iter()
            .any(|(_, e)| { e.kind() == tiemeng::events::EventKind::HandedOver }),
        "nothing of it at the partner"
    );

    // Who handled it when is evidence: the bundle carries the three handovers, verified.
    let bundle = net.officer(XIXI, As::Chief).bundle(&case.id).await.unwrap();
    let verified = tiemeng::evidence::verify(&bundle).unwrap();
    assert!(verified.findings.is_empty(), "{:?}", verified.findings);
    let handed: Vec<_> = verified.handovers.iter().map(|h| h.to.badge.as_str()).collect();
    assert_eq!(handed, [YE, ZHENG, YE]);
    let told = tiemeng::evidence::narrate(&verified, tiemeng::i18n::Lang::Zh);
    assert!(told.contains("交接给 叶志勇（350924004）；附言：交班，嫌疑人线索见补充说明。"), "{told}");
    assert!(told.contains("3 条交接记录签名有效"), "{told}");

    // Nothing crossed the border: 罗阳 still has its own handler and no handovers.
    let origin = net.officer(LUOYANG, As::Liaison).case(&case.id).await.unwrap();
    assert_eq!(handler(&origin.case), Some(CHEN_LIAISON));
    assert!(origin.handovers.is_empty() && handover_audits(&net, LUOYANG).is_empty());
    net.shutdown().await;
}

#[tokio::test]
async fn a_handover_not_allowed_is_refused_with_its_code_and_changes_nothing() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let case = sent(&net, "协查拒绝交接").await;
    let duty = net.officer(XIXI, As::Duty);
    let other = net.officer(XIXI, As::OtherDuty);

    let refusal = |result: Result<CaseRecord, ClientError>| match result {
        Err(ClientError::Problem(p)) => (p.status, p.code),
        other => panic!("not refused: {other:?}"),
    };
    // Before the ack no one handles it, and only the chief could give it to someone.
    assert_eq!(refusal(duty.hand_over(&case.id, &to(YE, None)).await), (403, "not_handler".into()));
    duty.act(&case.id, &Action::Ack(AckInput::default())).await.unwrap();
    assert_eq!(refusal(other.hand_over(&case.id, &to(YE, None)).await), (403, "not_handler".into()));
    assert_eq!(refusal(duty.hand_over(&case.id, &to("350924099", None)).await), (422, "unknown_badge".into()));
    assert_eq!(
        refusal(duty.hand_over(&case.id, &to(HUANG_LIAISON, None)).await),
        (422, "cannot_handle".into()),
        "a liaison officer does not work received requests"
    );
    assert_eq!(refusal(duty.hand_over(&case.id, &to(ZHENG, None)).await), (409, "already_handler".into()));
    let long = "很".repeat(501);
    assert_eq!(refusal(duty.hand_over(&case.id, &to(YE, Some(&long))).await), (422, "validation_failed".into()));
    let admin = net.officer(XIXI, As::Admin);
    assert_eq!(refusal(admin.hand_over(&case.id, &to(YE, None)).await), (403, "forbidden".into()));
    let words = net.cli(XIXI, As::OtherDuty, "case", &["handover", &case.id.to_string(), "--to", YE]).await;
    assert!(!words.status.success());
    let said = String::from_utf8_lossy(&words.stderr);
    assert!(said.contains("只有该协查的承办人或本站所长才能移交"), "{said}");

    let detail = duty.case(&case.id).await.unwrap();
    assert_eq!(handler(&detail.case), Some(ZHENG), "the handler is unchanged");
    assert!(detail.handovers.is_empty() && handover_audits(&net, XIXI).is_empty(), "nothing recorded");

    // At the origin a case is worked by liaison officers, not by the duty desk.
    let liaison = net.officer(LUOYANG, As::Liaison);
    assert_eq!(refusal(liaison.hand_over(&case.id, &to("330329002", None)).await), (422, "cannot_handle".into()));
    net.shutdown().await;
}
