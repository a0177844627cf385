//! Cases crossing the border between real nodes: store-and-forward delivery, signed receipts,
//! the full case loop, and everything a peer must refuse.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[path = "federation/alerts.rs"]
mod alerts;
#[path = "federation/events.rs"]
mod events;
#[path = "federation/handover.rs"]
mod handover;
#[path = "federation/letter.rs"]
mod letter;
#[path = "federation/once.rs"]
mod once;
#[path = "federation/redirect.rs"]
mod redirect;
#[path = "federation/refno.rs"]
mod refno;
#[path = "federation/relay.rs"]
mod relay;

use std::time::Duration;

use serde_json::json;
use support::{As, LUOYANG, MAZHAN, Net, QIANQI, XIXI, eventually};
use tiemeng::client::ApiClient;
use tiemeng::domain::case::{Outcome, WithdrawReason};
use tiemeng::domain::details::CaseKind;
use tiemeng::domain::lifecycle::TargetState;
use tiemeng::envelope::body::{CloseBody, NoteBody};
use tiemeng::envelope::{Body, Envelope, Signatory};
use tiemeng::ids::{CaseId, EnvelopeId, StationId};
use tiemeng::node::{AckInput, Action, CloseInput, NoteInput, OutcomeInput, WithdrawInput};
use tiemeng::samples;
use tiemeng::store::{Mailbox, Store};

const PATIENCE: Duration = Duration::from_secs(20);

fn station(id: &str) -> StationId {
    id.parse().unwrap()
}

/// The cases of the envelopes `node` received, in the order it stored them.
fn received_cases(node: &tiemeng::node::Node) -> Vec<CaseId> {
    let entries = node.store().audit_entries(0, 1000).unwrap();
    entries.into_iter().filter(|e| e.action == "envelope.receive").filter_map(|e| e.case).collect()
}

async fn state_at(client: &ApiClient, case: &CaseId, target: &str) -> Option<TargetState> {
    let detail = client.case(case).await.ok()?;
    detail.case.targets.iter().find(|t| t.station.as_str() == target).map(|t| t.state)
}

async fn wait_for_state(client: &ApiClient, case: &CaseId, target: &str, state: TargetState) {
    let reached = eventually(PATIENCE, || async { state_at(client, case, target).await == Some(state) }).await;
    assert!(reached, "{target} never reached {state} (now {:?})", state_at(client, case, target).await);
}

#[tokio::test]
async fn the_full_loop_leaves_both_nodes_agreeing_byte_for_byte() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let a_liaison = net.officer(LUOYANG, As::Liaison);
    let b_duty = net.officer(XIXI, As::Duty);
    let now = time::OffsetDateTime::now_utc();

    let case =
        a_liaison.create_case(&samples::sample(CaseKind::MissingPerson, vec![station(XIXI)], now)).await.unwrap();
    wait_for_state(&a_liaison, &case.id, XIXI, TargetState::Delivered).await;
    let inbox = b_duty.list(Mailbox::Inbox, "").await.unwrap();
    assert_eq!(inbox.cases.len(), 1);
    assert_eq!(inbox.cases[0].case.title, case.title);

    let promised = tiemeng::clock::Clock::system().now() + time::Duration::hours(4);
    let ack = AckInput { report_by: Some(promised), message: Some("已安排警力在犀溪车站查找".into()) };
    b_duty.act(&case.id, &Action::Ack(ack)).await.unwrap();
    wait_for_state(&a_liaison, &case.id, XIXI, TargetState::Acknowledged).await;

    let note = |text: &str| Action::Note(NoteInput { text: text.into(), targets: vec![], attachments: Vec::new() });
    a_liaison.act(&case.id, &note("家属补充：老人可能前往犀溪镇亲戚家")).await.unwrap();
    b_duty.act(&case.id, &note("已走访亲戚家，暂未发现，继续查找")).await.unwrap();
    let outcome =
        OutcomeInput {
            outcome: Outcome::PersonFound, count: 1, narrative: "在犀溪镇集市找到老人，身体无恙".into()
        };
    b_duty.act(&case.id, &Action::Outcome(outcome)).await.unwrap();
    wait_for_state(&a_liaison, &case.id, XIXI, TargetState::Resolved).await;
    let close = CloseInput { evaluation: 5, comment: Some("响应迅速，感谢犀溪所".into()), targets: vec![] };
    a_liaison.act(&case.id, &Action::Close(close)).await.unwrap();
    wait_for_state(&b_duty, &case.id, XIXI, TargetState::Closed).await;

    let at_a = a_liaison.case(&case.id).await.unwrap();
    let at_b = b_duty.case(&case.id).await.unwrap();
    assert_eq!(at_a.case.targets, at_b.case.targets, "both nodes agree on the target's state and times");
    let target = &at_a.case.targets[0];
    assert_eq!(target.report_by, promised, "the ack's promise became the report deadline");
    assert_eq!((target.outcome, target.evaluation, target.notes), (Some(Outcome::PersonFound), Some(5), 2));
    assert!(target.first_report_at.is_some());

    let a_store = net.node(LUOYANG).store();
    let b_store = net.node(XIXI).store();
    let wires = |store: &Store| store.timeline(&case.id).unwrap().into_iter().map(|e| e.wire).collect::<Vec<_>>();
    assert_eq!(wires(a_store).len(), 6, "request, ack, two notes, outcome, close");
    assert_eq!(wires(a_store), wires(b_store), "the signed timeline is byte for byte the same");
    assert!(at_a.timeline.iter().chain(&at_b.timeline).all(|e| e.verified), "every signature verifies at both nodes");
    // Every envelope A sent carries B's verified receipt, and the other way round.
    for entry in &at_a.timeline {
        if entry.from.as_str() == LUOYANG {
            assert!(
                entry.receipts.iter().any(|r| r.station == XIXI && r.verified),
                "{:?} lacks B's receipt",
                entry.kind
            );
        }
    }
    for entry in &at_b.timeline {
        if entry.from.as_str() == XIXI {
            assert!(
                entry.receipts.iter().any(|r| r.station == LUOYANG && r.verified),
                "{:?} lacks A's receipt",
                entry.kind
            );
        }
    }
    net.shutdown().await;
}

#[tokio::test]
async fn one_alert_to_three_stations_is_tracked_per_target_and_withdrawn_at_all() {
    let net = Net::start(&[LUOYANG, XIXI, MAZHAN, QIANQI]).await;
    let origin = net.officer(LUOYANG, As::Liaison);
    let targets = vec![station(XIXI), station(MAZHAN), station(QIANQI)];
    let alert = samples::sample(CaseKind::Fugitive, targets.clone(), time::OffsetDateTime::now_utc());
    let case = origin.create_case(&alert).await.unwrap();
    for target in [XIXI, MAZHAN, QIANQI] {
        wait_for_state(&origin, &case.id, target, TargetState::Delivered).await;
    }
    // One target acknowledges, one declines: each has its own state.
    net.officer(MAZHAN, As::Duty).act(&case.id, &Action::Ack(AckInput::default())).await.unwrap();
    let decline = tiemeng::node::DeclineInput {
        reason: tiemeng::domain::case::DeclineReason::NotOurArea,
        message: "前岐不在其逃跑路线上".into(),
        suggested_station: Some(station(XIXI)),
    };
    net.officer(QIANQI, As::Duty).act(&case.id, &Action::Decline(decline)).await.unwrap();
    wait_for_state(&origin, &case.id, MAZHAN, TargetState::Acknowledged).await;
    wait_for_state(&origin, &case.id, QIANQI, TargetState::Declined).await;
    assert_eq!(state_at(&origin, &case.id, XIXI).await, Some(TargetState::Delivered));

    // 犀溪 has not answered: the origin presses it, and only it.
    let remind = tiemeng::node::ReminderInput { message: Some("请尽快签收".into()), targets: vec![station(XIXI)] };
    origin.act(&case.id, &Action::Reminder(remind)).await.unwrap();
    let xixi_duty = net.officer(XIXI, As::Duty);
    assert!(
        eventually(PATIENCE, || async { xixi_duty.case(&case.id).await.unwrap().case.targets[0].reminders == 1 }).await
    );
    let at_origin = origin.case(&case.id).await.unwrap();
    let reminders: Vec<u32> = at_origin.case.targets.iter().map(|t| t.reminders).collect();
    assert_eq!(reminders, [1, 0, 0]);

    let withdraw = WithdrawInput {
        reason: WithdrawReason::ResolvedElsewhere,
        message: Some("嫌疑人已在温州落网".into()),
        targets: vec![],
    };
    let after = origin.act(&case.id, &Action::Withdraw(withdraw)).await.unwrap();
    let states: Vec<_> = after.targets.iter().map(|t| (t.station.to_string(), t.state)).collect();
    assert_eq!(
        states,
        [
            (XIXI.to_owned(), TargetState::Withdrawn),
            (MAZHAN.to_owned(), TargetState::Withdrawn),
            (QIANQI.to_owned(), TargetState::Declined)
        ],
        "withdraw concerns every open target, not the one that declined"
    );
    for target in [XIXI, MAZHAN] {
        wait_for_state(&net.officer(target, As::Duty), &case.id, target, TargetState::Withdrawn).await;
    }
    let qianqi = net.officer(QIANQI, As::Duty).case(&case.id).await.unwrap();
    assert_eq!(qianqi.case.targets[0].state, TargetState::Declined);
    let own: Vec<_> = qianqi.timeline.iter().filter(|e| e.kind != tiemeng::envelope::Kind::Relay).collect();
    assert_eq!(own.len(), 2, "the withdraw was not sent to the station that had declined");
    // It hears of it as a co-target, by the origin's relay, with 马站's acknowledgement.
    let told = eventually(PATIENCE, || async {
        let qianqi = net.officer(QIANQI, As::Duty).case(&case.id).await.unwrap();
        let co: Vec<_> = qianqi.case.co_targets.iter().map(|t| (t.station.to_string(), t.state)).collect();
        co == [(XIXI.to_owned(), TargetState::Withdrawn), (MAZHAN.to_owned(), TargetState::Withdrawn)]
    })
    .await;
    assert!(told, "前岐 hears how the others ended");
    net.shutdown().await;
}

#[tokio::test]
async fn a_withdrawal_and_a_decline_that_cross_leave_both_stations_agreeing() {
    let mut net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let case = liaison.create_case(&samples::sample(CaseKind::Dispute, vec![station(XIXI)], now)).await.unwrap();
    wait_for_state(&liaison, &case.id, XIXI, TargetState::Delivered).await;

    // 犀溪 declines while 罗阳 is down; then 罗阳, back up while 犀溪 is down, withdraws.
    // Neither has seen the other's action when it takes its own.
    net.stop(LUOYANG).await;
    let decline = tiemeng::node::DeclineInput {
        reason: tiemeng::domain::case::DeclineReason::NotOurArea,
        message: "纠纷发生地属平溪辖区".into(),
        suggested_station: None,
    };
    net.officer(XIXI, As::Duty).act(&case.id, &Action::Decline(decline)).await.unwrap();
    net.stop(XIXI).await;
    net.restart(LUOYANG).await;
    let withdraw = WithdrawInput {
        reason: WithdrawReason::ResolvedElsewhere,
        message: Some("双方已自行和解".into()),
        targets: vec![],
    };
    let withdrawn = liaison.act(&case.id, &Action::Withdraw(withdraw)).await.unwrap();
    assert_eq!(withdrawn.targets[0].state, TargetState::Withdrawn, "罗阳 sees its own withdrawal at first");
    net.restart(XIXI).await;

    // The two crossed: the requesting station's withdrawal goes first, whoever acted first by
    // the clock. Both stations settle on it, and both list the decline as having had no
    // effect. Nothing is refused, so nothing becomes a dead letter.
    let xixi_duty = net.officer(XIXI, As::Duty);
    wait_for_state(&xixi_duty, &case.id, XIXI, TargetState::Withdrawn).await;
    let settled = || async {
        let (a, b) = (liaison.case(&case.id).await.unwrap(), xixi_duty.case(&case.id).await.unwrap());
        (a.timeline.len() == 3 && b.timeline.len() == 3).then_some((a, b))
    };
    assert!(eventually(PATIENCE, || async { settled().await.is_some() }).await, "both hold all three envelopes");
    let (at_origin, at_target) = settled().await.unwrap();
    assert_eq!(at_origin.case.targets, at_target.case.targets, "the two stations agree on the target");
    let target = &at_origin.case.targets[0];
    assert_eq!((target.state, target.decline_reason), (TargetState::Withdrawn, None));
    let declined = at_origin.timeline.iter().find(|e| e.kind == tiemeng::envelope::Kind::Decline).unwrap();
    let superseded: Vec<String> = target.superseded.iter().map(ToString::to_string).collect();
    assert_eq!(superseded, std::slice::from_ref(&declined.id));
    assert_eq!(declined.superseded_for, [station(XIXI)]);
    for id in [LUOYANG, XIXI] {
        let peer = station(if id == LUOYANG { XIXI } else { LUOYANG });
        assert_eq!(net.node(id).store().dead_letter_count(&peer), 0, "{id} refused nothing");
    }
    net.shutdown().await;
}

#[tokio::test]
async fn five_hundred_cases_sent_while_the_peer_is_down_arrive_in_order_once_each() {
    let mut net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let mut sent = Vec::new();
    for i in 0..500 {
        let kind = [CaseKind::General, CaseKind::Dispute, CaseKind::SerialTheft][i % 3];
        sent.push(liaison.create_case(&samples::sample(kind, vec![station(XIXI)], now)).await.unwrap().id);
    }
    assert_eq!(net.node(LUOYANG).store().outbox_len(&station(XIXI)), 500, "all queued on disk");

    net.restart(XIXI).await;
    let a = net.node(LUOYANG).clone();
    let drained = eventually(Duration::from_secs(60), || async { a.store().outbox_len(&station(XIXI)) == 0 }).await;
    assert!(drained, "{} still queued", a.store().outbox_len(&station(XIXI)));
    drop(a);
    net.stop(XIXI).await;

    let b = Store::open_existing(&net.data_dir(XIXI)).unwrap();
    let received: Vec<CaseId> = b
        .audit_entries(0, 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "envelope.receive")
        .map(|e| e.case.unwrap())
        .collect();
    assert_eq!(received, sent, "every case applied exactly once, in the order sent");
    for id in &sent {
        assert_eq!(b.timeline(id).unwrap().len(), 1);
    }
    drop(b);
    let a_view = liaison.case(&sent[499]).await.unwrap();
    assert_eq!(a_view.case.targets[0].state, TargetState::Delivered);
    net.shutdown().await;
}

#[tokio::test]
async fn a_partners_last_success_and_last_error_outlive_a_restart() {
    // 犀溪 is down when 罗阳 sends, then comes up and receives it.
    let mut net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let admin = net.officer(LUOYANG, As::Admin);
    let now = time::OffsetDateTime::now_utc();
    let case = liaison.create_case(&samples::sample(CaseKind::MissingPerson, vec![station(XIXI)], now)).await.unwrap();
    let a = net.node(LUOYANG).clone();
    let failed = || a.health().peer(&station(XIXI)).is_some_and(|h| h.status().last_error.is_some());
    assert!(eventually(PATIENCE, || async { failed() }).await, "the failed attempt is recorded");
    drop(a);
    net.restart(XIXI).await;
    wait_for_state(&liaison, &case.id, XIXI, TargetState::Delivered).await;
    let xixi = |peers: Vec<tiemeng::api::admin::PeerView>| peers.into_iter().find(|p| p.id == XIXI).unwrap().status;
    let before = xixi(admin.peers().await.unwrap());
    assert!(before.last_success.is_some() && before.delivered == 1, "{before:?}");
    assert_eq!(before.last_error.as_ref().map(|e| e.code.as_str()), Some("unreachable"));

    // The admin restarts 罗阳 (an upgrade, say): the partner page does not start blank.
    net.restart(LUOYANG).await;
    let after = xixi(admin.peers().await.unwrap());
    assert_eq!(after.last_success, before.last_success, "when delivery last succeeded");
    assert_eq!(after.last_error, before.last_error, "what last failed, and when");
    assert_eq!((after.delivered, after.failures_in_row), (0, 0), "counters start again with the process");
    // Monitoring that alerts on a partner not reached for hours sees the same after a restart.
    let metrics = admin.http().get(format!("{}/metrics", net.url(LUOYANG))).send().await.unwrap().text().await.unwrap();
    let last = before.last_success.unwrap().unix_timestamp();
    let series = format!("tiemeng_last_delivery_timestamp_seconds{{station=\"{LUOYANG}\",peer=\"{XIXI}\"}} {last}");
    assert!(metrics.contains(&series), "{metrics}");
    net.shutdown().await;
}

/// 罗阳's request about `case` to `to`, made now.
/// The README's officer block, from the command line at two stations: 罗阳's liaison sends a
/// template, 犀溪's duty officer acknowledges with a report time given as a span
/// (`--report-in 8h`, good on any day), notes with `--message` as ack does, reports; 罗阳
/// closes. A reader that stops reading (`| head`) ends a command quietly, without a panic.
#[tokio::test]
async fn the_readme_flow_runs_from_the_command_line_and_a_closed_pipe_ends_it_quietly() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let ok = |output: std::process::Output| {
        let (out, err) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "{out}{err}");
        out.into_owned()
    };
    let template = net.cli(LUOYANG, As::Liaison, "case", &["template", "missing_person", "--to", XIXI]).await;
    let hints = String::from_utf8_lossy(&template.stderr);
    assert!(hints.contains("details.last_seen_at *  最后出现时间"), "each field is explained: {hints}");
    // The officer fills in what is asked and leaves the rest empty.
    let mut request: serde_json::Value = serde_json::from_str(&ok(template)).unwrap();
    assert_eq!((request["details"]["name"].as_str(), request["details"]["id_number"].as_str()), (Some(""), Some("")));
    request["priority"] = json!("urgent");
    request["title"] = json!("协查走失老人");
    request["contact"] = json!("罗阳派出所值班室 0577-59881234");
    request["details"]["name"] = json!("张桂英");
    request["details"]["sex"] = json!("female");
    request["details"]["age"] = json!(76);
    request["details"]["description"] = json!("身高约155厘米，白发");
    request["details"]["last_seen_place"] = json!("罗阳镇车站");
    request["details"]["last_seen_at"] =
        json!(time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap());
    let file = net.dir.path().join("request.json");
    std::fs::write(&file, request.to_string()).unwrap();
    let file = file.display().to_string();
    let sent = ok(net.cli(LUOYANG, As::Liaison, "case", &["--json", "send", "--file", &file]).await);
    let case: serde_json::Value = serde_json::from_str(&sent).unwrap();
    let id = case["id"].as_str().unwrap().to_owned();
    let duty = net.officer(XIXI, As::Duty);
    let case_id: CaseId = id.parse().unwrap();
    wait_for_state(&duty, &case_id, XIXI, TargetState::Delivered).await;
    let inbox = ok(net.cli(XIXI, As::Duty, "case", &["list"]).await);
    assert!(
        inbox.contains("来自 泰顺县公安局罗阳派出所  已送达"),
        "the inbox names the station and its state: {inbox}"
    );

    let acked_at = time::OffsetDateTime::now_utc();
    ok(net.cli(XIXI, As::Duty, "case", &["ack", &id, "--report-in", "8h"]).await);
    let at_xixi = net.node(XIXI).store().case(&case_id).unwrap().unwrap();
    let promised = at_xixi.targets[0].report_by - acked_at;
    assert!(at_xixi.targets[0].report_promised, "the time given is the promise");
    assert!(
        (time::Duration::hours(8)..time::Duration::hours(8) + time::Duration::minutes(1)).contains(&promised),
        "report promised {promised} after the ack"
    );
    ok(net.cli(XIXI, As::Duty, "case", &["note", &id, "--message", "已在犀溪车站布控"]).await);
    ok(net
        .cli(
            XIXI,
            As::Duty,
            "case",
            &["outcome", &id, "--outcome", "person_found", "--count", "1", "--narrative", "已找到"],
        )
        .await);
    wait_for_state(&net.officer(LUOYANG, As::Liaison), &case_id, XIXI, TargetState::Resolved).await;
    ok(net.cli(LUOYANG, As::Liaison, "case", &["close", &id, "--evaluation", "5"]).await);
    // `case show` gives what the console gives: the kind's facts, the background, every
    // entry's words (the promised report time in Beijing time), the state.
    let shown = ok(net.cli(LUOYANG, As::Liaison, "case", &["show", &id]).await);
    let promised = tiemeng::clock::local_minute(at_xixi.targets[0].report_by);
    for expected in
        ["姓名：张桂英", "联系人：罗阳派出所值班室", "已在犀溪车站布控", "已找到", "已办结", promised.as_str()]
    {
        assert!(shown.contains(expected), "{expected:?} missing from case show: {shown}");
    }

    // `tiemeng case show … | head` where head has gone: the write meets a closed pipe.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let (cert, key) = net.officer_files(LUOYANG, As::Liaison);
    let mut show = std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng"));
    show.args(["case", "--url", &net.url(LUOYANG), "--ca"]).arg(&net.devnet.layout.ca_bundle);
    show.arg("--cert").arg(cert).arg("--key").arg(key).args(["show", &id]).stdout(writer);
    let output = tokio::task::spawn_blocking(move || show.output().unwrap()).await.unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && err.is_empty(), "a closed pipe: {:?} {err}", output.status);
    net.shutdown().await;
}

/// A station whose signing key was made with openssl, as the README shows: the partner's config
/// names the PEM public key `openssl pkey -pubout` writes, and requests signed with it arrive.
/// A private key others may read is named, with the command that puts it right, by
/// `tiemeng config check` (and the node's log at start).
#[tokio::test]
async fn a_signing_key_made_with_openssl_signs_what_the_partner_accepts_and_a_loose_key_is_named() {
    let keys = tempfile::tempdir().unwrap();
    let (private, public) = (keys.path().join("signing-k1.key"), keys.path().join("signing-k1.pub"));
    let openssl = |args: &[&std::ffi::OsStr]| {
        let status = std::process::Command::new("openssl").args(args).status().expect("openssl is installed");
        assert!(status.success(), "openssl {args:?}");
    };
    openssl(&["genpkey".as_ref(), "-algorithm".as_ref(), "ed25519".as_ref(), "-out".as_ref(), private.as_os_str()]);
    openssl(&[
        "pkey".as_ref(),
        "-in".as_ref(),
        private.as_os_str(),
        "-pubout".as_ref(),
        "-out".as_ref(),
        public.as_os_str(),
    ]);
    assert!(std::fs::read_to_string(&public).unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
    let (private_text, public_text) = (private.display().to_string(), public.display().to_string());
    let net = Net::start_with(&[LUOYANG, XIXI], &[LUOYANG, XIXI], move |id, text| {
        support::quick_retries(id, text);
        let lines: Vec<String> = text
            .lines()
            .map(|line| match id {
                LUOYANG if line.starts_with("file = ") && line.ends_with("signing-k1.key\"") => {
                    format!("file = \"{private_text}\"")
                }
                XIXI if line.starts_with("keys = ") && line.contains("zj-taishun-luoyang/signing-k1.pub") => {
                    format!("keys = [{{ id = \"k1\", public_file = \"{public_text}\" }}]")
                }
                _ => line.to_owned(),
            })
            .collect();
        *text = lines.join("\n");
    })
    .await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let request = samples::sample(CaseKind::General, vec![station(XIXI)], time::OffsetDateTime::now_utc());
    let case = liaison.create_case(&request).await.unwrap().id;
    let xixi = net.node(XIXI).clone();
    let arrived = eventually(Duration::from_secs(20), || async { xixi.store().case(&case).unwrap().is_some() }).await;
    assert!(arrived, "犀溪 did not take a request signed with the openssl key");

    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o644)).unwrap();
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng"))
        .args(["config", "check"])
        .arg(net.devnet.config(LUOYANG).unwrap())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "{said}");
    assert!(said.contains(&format!("chmod 600 {}", private.display())), "{said}");
    assert!(said.contains("0644"), "{said}");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng"))
        .args(["config", "check"])
        .arg(net.devnet.config(LUOYANG).unwrap())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&check.stderr).contains("chmod"), "a key only its owner reads is not named");
    net.shutdown().await;
}

fn request_envelope(net: &Net, case: CaseId, to: Vec<StationId>, title: &str) -> Envelope {
    let mut envelope = net.request(LUOYANG, to, title, tiemeng::clock::Clock::system().now());
    envelope.case = case;
    envelope
}

/// A sender's envelopes are taken in its order: after one refused for a reason that may pass,
/// the rest of the batch waits (`held_back`) instead of overtaking it.
#[tokio::test]
async fn after_an_envelope_that_must_wait_the_rest_of_the_batch_waits_too() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let signer = net.signer(LUOYANG);
    let mut early = request_envelope(&net, CaseId::new(), vec![station(XIXI)], "时钟超前");
    early.at += time::Duration::hours(2);
    let early = early.seal(&signer).unwrap().wire();
    let valid =
        request_envelope(&net, CaseId::new(), vec![station(XIXI)], "核查暂住人员").seal(&signer).unwrap().wire();
    let answer = net.post_to_inbox(LUOYANG, XIXI, &[early, valid.clone()]).await;
    let codes: Vec<_> =
        answer["results"].as_array().unwrap().iter().map(|r| (r["code"].clone(), r["transient"].clone())).collect();
    assert_eq!(codes, [(json!("from_the_future"), json!(true)), (json!("held_back"), json!(true))], "{answer}");
    assert!(received_cases(net.node(XIXI)).is_empty(), "nothing overtook the waiting envelope");
    let answer = net.post_to_inbox(LUOYANG, XIXI, &[valid]).await;
    assert_eq!(answer["results"][0]["status"], "accepted", "{answer}");
    net.shutdown().await;
}

/// A partner's own signature does not make hostile text acceptable: an envelope whose text
/// would act on the reader's screen is refused with the field named, and nothing is stored.
#[tokio::test]
async fn a_partners_envelope_with_hostile_text_is_refused_with_the_field_named() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let signer = net.signer(LUOYANG);
    let spoiled = |edit: &dyn Fn(&mut tiemeng::envelope::body::RequestBody)| {
        let mut envelope = request_envelope(&net, CaseId::new(), vec![station(XIXI)], "核查暂住人员");
        let Body::Request(request) = &mut envelope.body else { unreachable!() };
        edit(request);
        envelope.seal(&signer).unwrap().wire()
    };
    let wires = [
        spoiled(&|r| r.title = "\u{1b}[2J\u{1b}]0;已拦截\u{7}".into()),
        spoiled(&|r| r.narrative = "正常\u{202e}反转".into()),
        spoiled(&|r| r.contact = "\u{200b}\u{200b}".into()),
        spoiled(&|r| r.officer.name = "陈志强\r\n伪造的一行".into()),
    ];
    let answer = net.post_to_inbox(LUOYANG, XIXI, &wires).await;
    for (result, field) in
        answer["results"].as_array().unwrap().iter().zip(["title", "narrative", "contact", "officer.name"])
    {
        assert_eq!(result["status"], "rejected", "{result}");
        assert_eq!(result["code"], "invalid_body", "{result}");
        assert_eq!(result["transient"], false, "{result}");
        assert!(result["message"].as_str().unwrap().contains(field), "the field is named: {result}");
    }
    assert!(received_cases(net.node(XIXI)).is_empty(), "nothing stored");
    net.shutdown().await;
}

#[tokio::test]
async fn the_same_batch_twice_is_applied_once_and_answered_with_the_same_receipts() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let signer = net.signer(LUOYANG);
    let case = CaseId::new();
    let request = request_envelope(&net, case, vec![station(XIXI)], "核查暂住人员").seal(&signer).unwrap();
    let note = Envelope {
        id: EnvelopeId::new(),
        case,
        from: station(LUOYANG),
        to: vec![station(XIXI)],
        at: request.envelope.at + time::Duration::seconds(1),
        seq: 1,
        seen: [(station(XIXI), 0)].into(),
        body: Body::Note(NoteBody {
            officer: Signatory { badge: "330329001".parse().unwrap(), name: "陈志强".into() },
            text: "补充：该户房东姓林".into(),
            attachments: Vec::new(),
        }),
    }
    .seal(&signer)
    .unwrap();
    let batch = vec![request.wire(), note.wire()];
    let first = net.post_to_inbox(LUOYANG, XIXI, &batch).await;
    let second = net.post_to_inbox(LUOYANG, XIXI, &batch).await;
    assert_eq!(first["results"][0]["status"], "accepted");
    assert_eq!(first["results"][1]["status"], "accepted");
    assert_eq!(second["results"][0]["status"], "duplicate");
    assert_eq!(second["results"][1]["status"], "duplicate");
    assert_eq!(first["results"][0]["receipt"], second["results"][0]["receipt"], "the same receipt again");
    assert_eq!(first["results"][1]["receipt"], second["results"][1]["receipt"]);
    // The same envelope twice within one batch: taken once, then answered as a duplicate.
    let again = request_envelope(&net, CaseId::new(), vec![station(XIXI)], "重复发送").seal(&signer).unwrap();
    let twice = net.post_to_inbox(LUOYANG, XIXI, &[again.wire(), again.wire()]).await;
    assert_eq!(twice["results"][0]["status"], "accepted");
    assert_eq!(twice["results"][1]["status"], "duplicate");
    assert_eq!(twice["results"][0]["receipt"], twice["results"][1]["receipt"]);

    let b = net.officer(XIXI, As::Duty).case(&case).await.unwrap();
    assert_eq!(b.timeline.len(), 2);
    assert_eq!(b.case.targets[0].notes, 1, "the note counted once");
    let receives =
        net.node(XIXI).store().audit_entries(0, 100).unwrap().iter().filter(|e| e.action == "envelope.receive").count();
    assert_eq!(receives, 3);
    net.shutdown().await;
}

/// The receipt a station issues is kept with the envelope it received, not as an entry of its
/// own; one that an earlier release kept as an entry still answers a duplicate, byte for byte.
#[tokio::test]
async fn a_receipt_an_older_release_kept_apart_still_answers_a_duplicate() {
    let mut net = Net::start(&[LUOYANG, XIXI]).await;
    let signer = net.signer(LUOYANG);
    let request = request_envelope(&net, CaseId::new(), vec![station(XIXI)], "核查暂住人员").seal(&signer).unwrap();
    let first = net.post_to_inbox(LUOYANG, XIXI, &[request.wire()]).await;
    assert_eq!(first["results"][0]["status"], "accepted");
    let id = request.envelope.id;
    let entries = |net: &Net| {
        let sizes = net.node(XIXI).store().tree_sizes().unwrap();
        sizes.into_iter().find(|(name, _)| *name == "envelopestation_receipt").unwrap().1
    };
    assert_eq!(entries(&net), 0, "kept with the envelope");
    let kept = net.node(XIXI).store().receipts(&id).unwrap();
    assert_eq!(kept.iter().map(|(issuer, _)| issuer.as_str()).collect::<Vec<_>>(), [XIXI]);
    assert_eq!(net.node(XIXI).store().receipt(&id, &station(XIXI)).unwrap().as_ref(), Some(&kept[0].1));

    // Rewrite the store as the earlier release left it: the envelope's value its metadata and
    // wire alone (version 1), the receipt an entry keyed by envelope and issuer.
    net.stop(XIXI).await;
    {
        let db = tiemeng::store::open_sled(&sled::Config::new().path(net.data_dir(XIXI))).unwrap();
        let envelopes = db.open_tree("envelopeid_envelope").unwrap();
        let receipts = db.open_tree("envelopestation_receipt").unwrap();
        for item in envelopes.iter() {
            let (key, value) = item.unwrap();
            assert_eq!(value[0], 3, "an envelope's value carries the receipt issued for it");
            let len = u32::from_be_bytes(value[1..5].try_into().unwrap()) as usize;
            let (json, raw) = value[5..].split_at(len);
            let wire_len = u32::from_be_bytes(raw[..4].try_into().unwrap()) as usize;
            let (wire, receipt) = raw[4..].split_at(wire_len);
            envelopes.insert(&key, [&[1u8][..], &value[1..5], json, wire].concat()).unwrap();
            receipts.insert([&key[..], XIXI.as_bytes()].concat(), receipt).unwrap();
        }
        db.flush().unwrap();
    }
    net.restart(XIXI).await;
    assert_eq!(entries(&net), 1, "the older release's entry is there");
    assert_eq!(net.node(XIXI).store().receipts(&id).unwrap(), kept);
    let again = net.post_to_inbox(LUOYANG, XIXI, &[request.wire()]).await;
    assert_eq!(again["results"][0]["status"], "duplicate");
    assert_eq!(again["results"][0]["receipt"], first["results"][0]["receipt"], "the same receipt again");
    net.shutdown().await;
}

#[tokio::test]
async fn a_sender_killed_mid_delivery_resumes_without_losing_or_doubling() {
    let mut net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let mut sent = Vec::new();
    for _ in 0..300 {
        sent.push(liaison.create_case(&samples::sample(CaseKind::General, vec![station(XIXI)], now)).await.unwrap().id);
    }
    net.stop(LUOYANG).await;
    net.restart(XIXI).await;

    // A runs as a real process and is killed with SIGKILL while it delivers.
    let mut a = net.spawn_process(LUOYANG).await;
    let b = net.node(XIXI).clone();
    let started = eventually(PATIENCE, || async { b.store().audit_entries(0, 1000).unwrap().len() >= 20 }).await;
    assert!(started, "delivery did not start");
    a.kill().unwrap();
    a.wait().unwrap();
    let before_restart = b.store().audit_entries(0, 1000).unwrap().len();
    assert!(before_restart < 300, "the kill came too late to interrupt delivery ({before_restart} delivered)");

    let mut a = net.spawn_process(LUOYANG).await;
    let done = eventually(Duration::from_secs(60), || async {
        b.store().audit_entries(0, 1000).unwrap().iter().filter(|e| e.action == "envelope.receive").count() == 300
    })
    .await;
    a.kill().unwrap();
    a.wait().unwrap();
    assert!(done, "not everything arrived");
    let received: Vec<CaseId> = b
        .store()
        .audit_entries(0, 1000)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "envelope.receive")
        .map(|e| e.case.unwrap())
        .collect();
    assert_eq!(received, sent, "nothing lost, nothing doubled, order kept");
    drop(b);
    // After the kill A may still hold receipts to record; a clean restart drains it.
    net.restart(LUOYANG).await;
    let a_node = net.node(LUOYANG).clone();
    assert!(eventually(PATIENCE, || async { a_node.store().outbox_len(&station(XIXI)) == 0 }).await);
    net.shutdown().await;
}

#[tokio::test]
async fn forged_misdirected_and_out_of_turn_envelopes_are_refused_and_nothing_is_stored() {
    let net = Net::start(&[LUOYANG, XIXI, MAZHAN]).await;
    let luoyang = net.signer(LUOYANG);
    let mazhan = net.signer(MAZHAN);
    let case = CaseId::new();
    let good = request_envelope(&net, case, vec![station(XIXI)], "核查暂住人员").seal(&luoyang).unwrap();
    let accepted = net.post_to_inbox(LUOYANG, XIXI, &[good.wire()]).await;
    assert_eq!(accepted["results"][0]["status"], "accepted");

    let mut forged = good.wire();
    let at = forged.len() - 5;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };

    let mut from_mazhan = request_envelope(&net, CaseId::new(), vec![station(XIXI)], "冒名");
    from_mazhan.from = station(MAZHAN);
    let from_mazhan = from_mazhan.seal(&mazhan).unwrap();

    let misaddressed = request_envelope(&net, CaseId::new(), vec![station(MAZHAN)], "发给马站").seal(&luoyang).unwrap();

    let officer = Signatory { badge: "330329001".parse().unwrap(), name: "陈志强".into() };
    let note_for = |case: CaseId| Envelope {
        id: EnvelopeId::new(),
        case,
        from: station(LUOYANG),
        to: vec![station(XIXI)],
        at: tiemeng::clock::Clock::system().now(),
        seq: 1,
        seen: [(station(XIXI), 0)].into(),
        body: Body::Note(NoteBody { officer: officer.clone(), text: "补充".into(), attachments: Vec::new() }),
    };
    let unknown_case = note_for(CaseId::new()).seal(&luoyang).unwrap();
    let mut early_close = note_for(case);
    early_close.body = Body::Close(CloseBody { officer: officer.clone(), evaluation: 5, comment: None });
    let early_close = early_close.seal(&luoyang).unwrap();
    let mut same_id = request_envelope(&net, case, vec![station(XIXI)], "同一编号不同内容");
    same_id.id = good.envelope.id;
    let same_id = same_id.seal(&luoyang).unwrap();

    let refused = [
        (forged, "bad_signature"),
        (from_mazhan.wire(), "sender_mismatch"),
        (misaddressed.wire(), "not_addressed_to_us"),
        (unknown_case.wire(), "unknown_case"),
        (early_close.wire(), "illegal_transition"),
        (same_id.wire(), "conflict"),
    ];
    // A good envelope in the same batch is taken all the same.
    let fresh = request_envelope(&net, CaseId::new(), vec![station(XIXI)], "同批次的正常请求").seal(&luoyang).unwrap();
    let mut wires: Vec<Vec<u8>> = refused.iter().map(|(w, _)| w.clone()).collect();
    wires.push(fresh.wire());
    let answer = net.post_to_inbox(LUOYANG, XIXI, &wires).await;
    assert_eq!(answer["results"][refused.len()]["status"], "accepted", "{answer}");
    for (i, (_, code)) in refused.iter().enumerate() {
        let result = &answer["results"][i];
        assert_eq!(result["status"], "rejected", "{code}: {result}");
        assert_eq!(result["code"], *code, "{result}");
        assert_eq!(result["status_code"], if *code == "conflict" { 409 } else { 422 }, "{result}");
        assert!(result["receipt"].is_null());
    }

    let b = net.node(XIXI).store();
    assert_eq!(b.timeline(&case).unwrap().len(), 1, "only the good request is stored for the case");
    assert_eq!(b.case(&case).unwrap().unwrap().targets[0].state, TargetState::Delivered, "the case did not move");
    for (sealed, what) in
        [(&from_mazhan, "impersonated"), (&misaddressed, "misaddressed"), (&unknown_case, "orphan note")]
    {
        assert!(b.envelope(&sealed.envelope.id).unwrap().is_none(), "{what} envelope stored");
        assert!(b.case(&sealed.envelope.case).unwrap().is_none() || sealed.envelope.case == case, "{what} case stored");
    }
    assert!(b.envelope(&fresh.envelope.id).unwrap().is_some());
    let receives = b.audit_entries(0, 100).unwrap().iter().filter(|e| e.action == "envelope.receive").count();
    assert_eq!(receives, 2, "the good request and the fresh one");
    net.shutdown().await;
}

#[tokio::test]
async fn a_permanent_refusal_becomes_a_dead_letter_that_admins_see() {
    // 犀溪 holds a wrong public key for 罗阳, so it refuses 罗阳's signatures for good.
    let wrong = support::WrongKey::default();
    let net = wrong.net().await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let case = liaison
        .create_case(&samples::sample(CaseKind::General, vec![station(XIXI)], time::OffsetDateTime::now_utc()))
        .await
        .unwrap();
    let a = net.node(LUOYANG).clone();
    assert!(eventually(PATIENCE, || async { a.store().dead_letter_count(&station(XIXI)) == 1 }).await);
    assert_eq!(a.store().outbox_len(&station(XIXI)), 0, "a dead letter does not block the queue");

    let admin = net.officer(LUOYANG, As::Admin);
    let peers: serde_json::Value =
        admin.http().get(format!("{}/api/v1/peers", net.url(LUOYANG))).send().await.unwrap().json().await.unwrap();
    let xixi = peers.as_array().unwrap().iter().find(|p| p["id"] == XIXI).unwrap();
    assert_eq!(xixi["dead_letters"], 1);
    assert_eq!(xixi["status"]["last_error"]["code"], "bad_signature");
    let letters: serde_json::Value = admin
        .http()
        .get(format!("{}/api/v1/peers/{XIXI}/dead-letters", net.url(LUOYANG)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(letters[0]["case"], case.id.to_string());
    assert_eq!(letters[0]["code"], "bad_signature");
    let forbidden = liaison.http().get(format!("{}/api/v1/peers", net.url(LUOYANG))).send().await.unwrap();
    assert_eq!(forbidden.status(), 403, "peer health is for admins");
    let metrics = admin.http().get(format!("{}/metrics", net.url(LUOYANG))).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(&format!("tiemeng_dead_letters{{station=\"{LUOYANG}\",peer=\"{XIXI}\"}} 1")), "{metrics}");
    assert!(
        metrics.contains(&format!("tiemeng_rejected_total{{station=\"{LUOYANG}\",peer=\"{XIXI}\"}} 1")),
        "{metrics}"
    );
    assert_eq!(state_at(&liaison, &case.id, XIXI).await, Some(TargetState::Sent), "never delivered");
    net.shutdown().await;
}

/// A station sends a partner's envelopes only to a server whose certificate comes from the CA
/// configured for that partner and names that partner: not to another province's certificate
/// for the same host, nor to another station of the partner's province.
#[tokio::test]
async fn envelopes_go_only_to_a_server_that_proves_to_be_the_partner() {
    // 罗阳's entry for 犀溪 points at 马站 (Zhejiang's CA) in one net, at 前岐 (Fujian's CA,
    // but another station) in the other.
    for (stand_in, code) in [(MAZHAN, "peer_certificate"), (QIANQI, "peer_certificate")] {
        let net = Net::start_with(&[LUOYANG, XIXI, stand_in], &[LUOYANG, stand_in], |id, text| {
            support::quick_retries(id, text);
            if id == LUOYANG {
                let url_of = |peer: &str| {
                    let block = &text[text.find(&format!("id = \"{peer}\"")).unwrap()..];
                    let start = block.find("url = ").unwrap();
                    block[start..start + block[start..].find('\n').unwrap()].to_owned()
                };
                let (real, fake) = (url_of(XIXI), url_of(stand_in));
                *text = text.replacen(&real, &fake, 1);
            }
        })
        .await;
        let liaison = net.officer(LUOYANG, As::Liaison);
        let now = time::OffsetDateTime::now_utc();
        let case = liaison.create_case(&samples::sample(CaseKind::Fugitive, vec![station(XIXI)], now)).await.unwrap();
        let health = net.node(LUOYANG).health().peer(&station(XIXI)).unwrap();
        let refused = eventually(PATIENCE, || async { health.status().last_error.is_some() }).await;
        assert!(refused, "{stand_in}: no delivery attempt was recorded");
        let error = health.status().last_error.unwrap();
        assert_eq!(error.code, code, "{stand_in}: {}", error.message);
        assert!(error.message.contains("certificate"), "the admin is told why: {}", error.message);
        assert_eq!(net.node(LUOYANG).store().outbox_len(&station(XIXI)), 1, "still waiting for the real 犀溪");
        assert_eq!(state_at(&liaison, &case.id, XIXI).await, Some(TargetState::Sent));
        assert!(received_cases(net.node(stand_in)).is_empty(), "{stand_in} received nothing");
        net.shutdown().await;
    }
}

#[tokio::test]
async fn delivery_metrics_count_and_time_successful_deliveries() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let case = liaison
        .create_case(&samples::sample(CaseKind::Dispute, vec![station(XIXI)], time::OffsetDateTime::now_utc()))
        .await
        .unwrap();
    wait_for_state(&liaison, &case.id, XIXI, TargetState::Delivered).await;
    let admin = net.officer(LUOYANG, As::Admin);
    let metrics = admin.http().get(format!("{}/metrics", net.url(LUOYANG))).send().await.unwrap().text().await.unwrap();
    let labels = format!("station=\"{LUOYANG}\",peer=\"{XIXI}\"");
    assert!(metrics.contains(&format!("tiemeng_delivered_total{{{labels}}} 1")), "{metrics}");
    assert!(metrics.contains(&format!("tiemeng_outbox_depth{{{labels}}} 0")), "{metrics}");
    assert!(metrics.contains(&format!("tiemeng_delivery_latency_seconds_count{{{labels}}} 1")), "{metrics}");
    let keys: serde_json::Value = net
        .station_client(XIXI)
        .get(format!("{}/fed/v1/keys", net.url(LUOYANG)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys["station"], LUOYANG);
    assert_eq!(keys["keys"][0]["id"], "k1");
    assert_eq!(keys["keys"][0]["public"], net.devnet.layout.station(LUOYANG).unwrap().signing.public_b64);
    net.shutdown().await;
}

#[tokio::test]
async fn after_a_key_rotation_old_envelopes_still_verify_and_new_ones_use_the_new_key() {
    let mut net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let old = liaison.create_case(&samples::sample(CaseKind::General, vec![station(XIXI)], now)).await.unwrap();
    wait_for_state(&liaison, &old.id, XIXI, TargetState::Delivered).await;
    net.stop(LUOYANG).await;
    net.stop(XIXI).await;

    // 罗阳 makes k2, valid from now; 犀溪 learns its public half. k1 stays listed.
    let files = net.devnet.layout.station(LUOYANG).unwrap().clone();
    let dir = files.signing.private_key.parent().unwrap();
    let k2 = tiemeng::pki::write_signing_key(
        dir,
        "k2",
        &tiemeng::pki::generate_signing_key(),
        tiemeng::pki::Overwrite::Never,
    )
    .unwrap();
    let from = tiemeng::clock::rfc3339(tiemeng::clock::Clock::system().now());
    let a_config = net.devnet.config(LUOYANG).unwrap().to_owned();
    let mut text = std::fs::read_to_string(&a_config).unwrap();
    text.push_str(&format!(
        "\n[[signing_keys]]\nid = \"k2\"\nfile = \"{}\"\nvalid_from = \"{from}\"\n",
        k2.private_key.display()
    ));
    std::fs::write(&a_config, text).unwrap();
    let b_config = net.devnet.config(XIXI).unwrap().to_owned();
    let text = std::fs::read_to_string(&b_config).unwrap();
    let k1_entry = format!("{{ id = \"k1\", public_file = \"../certs/stations/{LUOYANG}/signing-k1.pub\" }}");
    assert!(text.contains(&k1_entry), "{text}");
    let both = format!("{k1_entry}, {{ id = \"k2\", public = \"{}\", valid_from = \"{from}\" }}", k2.public_b64);
    std::fs::write(&b_config, text.replace(&k1_entry, &both)).unwrap();
    net.restart(LUOYANG).await;
    net.restart(XIXI).await;

    let liaison = net.officer(LUOYANG, As::Liaison);
    let new = liaison.create_case(&samples::sample(CaseKind::Dispute, vec![station(XIXI)], now)).await.unwrap();
    wait_for_state(&liaison, &new.id, XIXI, TargetState::Delivered).await;
    let duty = net.officer(XIXI, As::Duty);
    for (case, key) in [(&old, "k1"), (&new, "k2")] {
        for view in [liaison.case(&case.id).await.unwrap(), duty.case(&case.id).await.unwrap()] {
            let request = &view.timeline[0];
            assert_eq!(request.key, format!("{LUOYANG}#{key}"));
            assert!(request.verified, "{key} envelope no longer verifies");
        }
    }
    let keys: serde_json::Value = net
        .station_client(XIXI)
        .get(format!("{}/fed/v1/keys", net.url(LUOYANG)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = keys["keys"].as_array().unwrap().iter().map(|k| k["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["k1", "k2"]);
    net.shutdown().await;
}

#[tokio::test]
async fn dead_letters_are_sent_again_once_the_admin_has_put_the_cause_right() {
    // 犀溪 holds a wrong public key for 罗阳 until its admin corrects it.
    let wrong = support::WrongKey::default();
    let mut net = wrong.net().await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let first = liaison.create_case(&samples::sample(CaseKind::MissingPerson, vec![station(XIXI)], now)).await.unwrap();
    let second = liaison.create_case(&samples::sample(CaseKind::SerialTheft, vec![station(XIXI)], now)).await.unwrap();
    let a = net.node(LUOYANG).clone();
    assert!(eventually(PATIENCE, || async { a.store().dead_letter_count(&station(XIXI)) == 2 }).await);

    let admin = net.officer(LUOYANG, As::Admin);
    let base = net.url(LUOYANG);
    let resend = |client: &ApiClient, peer: &str| {
        client.http().post(format!("{base}/api/v1/peers/{peer}/dead-letters/resend")).send()
    };
    assert_eq!(resend(&liaison, XIXI).await.unwrap().status(), 403, "resending is for admins");
    let unknown = resend(&admin, "zj-nowhere-nowhere").await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.json::<serde_json::Value>().await.unwrap()["code"], "unknown_station");
    assert_eq!(a.store().dead_letter_count(&station(XIXI)), 2, "a refused request changed nothing");
    // The liaison officer sees on the case that it was not delivered, and why.
    let detail = liaison.case(&first.id).await.unwrap();
    let refused: Vec<_> =
        detail.refused.iter().map(|r| (r.station.as_str(), r.letter.kind, r.letter.code.as_str())).collect();
    assert_eq!(refused, [(XIXI, tiemeng::envelope::Kind::Request, "bad_signature")]);
    let page =
        liaison.http().get(format!("{base}/console/cases/{}", first.id)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("对方拒收") && page.contains("bad_signature"), "{page}");

    // 犀溪's admin corrects the key and restarts; 罗阳's admin sends the dead letters again.
    wrong.put_right(&net, XIXI);
    net.restart(XIXI).await;
    // The admin works from a terminal: sees the two dead letters, then sends them again.
    let ca = net.devnet.layout.ca_bundle.clone();
    let cli = |role: As, args: &[&str]| {
        let (cert, key) = net.officer_files(LUOYANG, role);
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng"));
        command.arg(args[0]).args(["--url", &base, "--cert"]).arg(cert).arg("--key").arg(key).arg("--ca").arg(&ca);
        command.args(&args[1..]);
        tokio::task::spawn_blocking(move || command.output().unwrap())
    };
    let shown = cli(As::Liaison, &["case", "show", &first.id.to_string()]).await.unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("对方拒收：发起协查 → 寿宁县公安局犀溪派出所：对方验证本站签名不通过：对方配置中的本站公钥可能有误（bad_signature"),
        "{shown}"
    );
    let listed = cli(As::Admin, &["peers", "list"]).await.unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains(&format!("{XIXI}  ")) && listed.contains("待投递 0，拒收 2"), "{listed}");
    let letters = cli(As::Admin, &["peers", "dead-letters", XIXI]).await.unwrap();
    let letters = String::from_utf8_lossy(&letters.stdout);
    assert!(letters.contains(&first.id.to_string()) && letters.contains("拒收（bad_signature）"), "{letters}");
    // First only the first case's: a case id that names no case changes nothing.
    let not_a_case = admin
        .http()
        .post(format!("{base}/api/v1/peers/{XIXI}/dead-letters/resend?case=not-a-case"))
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_case.status(), 404);
    assert_eq!(not_a_case.json::<serde_json::Value>().await.unwrap()["code"], "case_not_found");
    assert_eq!(a.store().dead_letter_count(&station(XIXI)), 2, "a refused request changed nothing");
    let resent_cases = |output: std::process::Output| {
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let resent: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert!(resent["resent"].as_array().unwrap().iter().all(|l| l["code"] == "bad_signature"), "{resent}");
        resent["resent"].as_array().unwrap().iter().map(|l| l["case"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let only_first = cli(As::Admin, &["peers", "--json", "resend", XIXI, "--case", &first.id.to_string()]);
    assert_eq!(resent_cases(only_first.await.unwrap()), [first.id.to_string()]);
    wait_for_state(&liaison, &first.id, XIXI, TargetState::Delivered).await;
    assert_eq!(a.store().dead_letter_count(&station(XIXI)), 1, "the other case's letter waits");
    let rest = cli(As::Admin, &["peers", "--json", "resend", XIXI]).await.unwrap();
    assert_eq!(resent_cases(rest), [second.id.to_string()]);
    wait_for_state(&liaison, &second.id, XIXI, TargetState::Delivered).await;
    assert_eq!(a.store().dead_letter_count(&station(XIXI)), 0);
    assert!(liaison.case(&first.id).await.unwrap().refused.is_empty(), "delivered: nothing shown as refused");
    let received = received_cases(net.node(XIXI));
    assert_eq!(received, [first.id, second.id], "in the order first sent");
    let resends: Vec<_> = a
        .store()
        .audit_entries(0, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "envelope.resend")
        .map(|e| (e.actor, e.case))
        .collect();
    let actor = format!("urn:tiemeng:officer:{LUOYANG}:");
    assert_eq!(resends.len(), 2);
    assert!(resends.iter().all(|(who, _)| who.starts_with(&actor)), "{resends:?}");
    assert_eq!(resends.iter().map(|(_, case)| *case).collect::<Vec<_>>(), [Some(first.id), Some(second.id)]);

    // Nothing left to send: an empty answer, nothing queued.
    let again: serde_json::Value = resend(&admin, XIXI).await.unwrap().json().await.unwrap();
    assert_eq!(again["resent"].as_array().map(Vec::len), Some(0));
    let nothing_left = cli(As::Admin, &["peers", "resend", XIXI]).await.unwrap();
    assert!(nothing_left.status.success());
    assert!(String::from_utf8_lossy(&nothing_left.stdout).contains("已将 0 份拒收报文重新排入"));
    net.shutdown().await;
}

#[tokio::test]
async fn a_key_the_partner_does_not_hold_yet_holds_the_queue_until_its_admin_adds_it() {
    // 犀溪's admin entered 罗阳's public key under another id than the one 罗阳 signs with.
    let misnamed = |text: &mut String| *text = text.replacen("keys = [{ id = \"k1\"", "keys = [{ id = \"k0\"", 1);
    let mut net = Net::start_with(&[LUOYANG, XIXI], &[LUOYANG, XIXI], |id, text| {
        support::quick_retries(id, text);
        if id == XIXI {
            misnamed(text);
        }
    })
    .await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let first = liaison.create_case(&samples::sample(CaseKind::MissingPerson, vec![station(XIXI)], now)).await.unwrap();
    let second = liaison.create_case(&samples::sample(CaseKind::Fugitive, vec![station(XIXI)], now)).await.unwrap();

    let admin = net.officer(LUOYANG, As::Admin);
    let url = format!("{}/api/v1/peers", net.url(LUOYANG));
    let surfaced = eventually(PATIENCE, || async {
        let peers: serde_json::Value = admin.http().get(&url).send().await.unwrap().json().await.unwrap();
        let error = &peers[0]["status"]["last_error"];
        error["code"] == "unknown_key"
            && error["message"].as_str().is_some_and(|m| m.contains("not among the public keys this station"))
    })
    .await;
    assert!(surfaced, "罗阳's admin does not see why delivery fails");
    let a = net.node(LUOYANG).clone();
    assert_eq!(a.store().dead_letter_count(&station(XIXI)), 0, "a key the partner lacks is not a dead letter");
    assert_eq!(a.store().outbox_len(&station(XIXI)), 2, "both requests wait");
    assert!(net.node(XIXI).store().case(&first.id).unwrap().is_none(), "nothing stored at 犀溪");

    // 犀溪's admin corrects the key's id and restarts the node: both requests arrive, in order.
    let config = net.devnet.config(XIXI).unwrap();
    let text = std::fs::read_to_string(config).unwrap();
    std::fs::write(config, text.replacen("keys = [{ id = \"k0\"", "keys = [{ id = \"k1\"", 1)).unwrap();
    net.restart(XIXI).await;
    wait_for_state(&liaison, &first.id, XIXI, TargetState::Delivered).await;
    wait_for_state(&liaison, &second.id, XIXI, TargetState::Delivered).await;
    let received = received_cases(net.node(XIXI));
    assert_eq!(received, [first.id, second.id]);
    assert_eq!(a.store().dead_letter_count(&station(XIXI)), 0);
    net.shutdown().await;
}

#[tokio::test]
async fn a_dead_peer_does_not_delay_the_others() {
    let net = Net::partial(&[LUOYANG, XIXI, MAZHAN], &[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    // 马站 is down: its queue grows and its task backs off.
    for _ in 0..5 {
        liaison.create_case(&samples::sample(CaseKind::General, vec![station(MAZHAN)], now)).await.unwrap();
    }
    let both = liaison
        .create_case(&samples::sample(CaseKind::Fugitive, vec![station(XIXI), station(MAZHAN)], now))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    wait_for_state(&liaison, &both.id, XIXI, TargetState::Delivered).await;
    assert!(started.elapsed() < Duration::from_secs(5), "犀溪 waited on 马站 ({:?})", started.elapsed());
    assert_eq!(state_at(&liaison, &both.id, MAZHAN).await, Some(TargetState::Sent));
    assert_eq!(net.node(LUOYANG).store().outbox_len(&station(MAZHAN)), 6);
    net.shutdown().await;
}

#[tokio::test]
async fn a_sender_clock_far_ahead_is_refused_and_surfaced_then_delivered_once_time_catches_up() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    // 罗阳's clock runs 20 minutes fast; the allowed skew is 5 minutes.
    net.clocks[LUOYANG].advance(time::Duration::minutes(20));
    let liaison = net.officer(LUOYANG, As::Liaison);
    let case = liaison
        .create_case(&samples::sample(CaseKind::General, vec![station(XIXI)], time::OffsetDateTime::now_utc()))
        .await
        .unwrap();
    let admin = net.officer(LUOYANG, As::Admin);
    let url = format!("{}/api/v1/peers", net.url(LUOYANG));
    let surfaced = eventually(PATIENCE, || async {
        let peers: serde_json::Value = admin.http().get(&url).send().await.unwrap().json().await.unwrap();
        peers[0]["status"]["last_error"]["code"] == "from_the_future"
    })
    .await;
    assert!(surfaced, "the admin does not see why delivery fails");
    assert!(net.node(XIXI).store().case(&case.id).unwrap().is_none(), "nothing stored at the receiver");
    assert_eq!(net.node(LUOYANG).store().dead_letter_count(&station(XIXI)), 0, "a clock problem is not a dead letter");

    // Time passes at 犀溪 (its clock catches up): the queued envelope goes through.
    net.clocks[XIXI].advance(time::Duration::minutes(20));
    wait_for_state(&liaison, &case.id, XIXI, TargetState::Delivered).await;
    net.shutdown().await;
}

mod joint_statistics {
    use super::*;
    use rand::{Rng, SeedableRng};
    use tiemeng::domain::case::DeclineReason;
    use tiemeng::envelope::SealedEnvelope;
    use tiemeng::node::{DeclineInput, ReminderInput, StatsReport};
    use tiemeng::stats::report::quantile_minutes;
    use tiemeng::stats::tally::DURATION_BOUNDS;

    /// Plays one case from `origin` to `target` along a path picked by `path`.
    async fn play(
        net: &Net,
        origin: &str,
        target: &str,
        kind: CaseKind,
        path: u32,
        rng: &mut rand::rngs::StdRng,
    ) -> CaseId {
        let liaison = net.officer(origin, As::Liaison);
        let duty = net.officer(target, As::Duty);
        let case = liaison
            .create_case(&samples::sample(kind, vec![station(target)], tiemeng::clock::Clock::system().now()))
            .await
            .unwrap();
        wait_for_state(&liaison, &case.id, target, TargetState::Delivered).await;
        let outcome = tiemeng::domain::case::Outcome::allowed_for(kind)[0];
        let count = rng.gen_range(1..4);
        let report = OutcomeInput { outcome, count, narrative: "已办结".into() };
        match path {
            0 => {}
            1 => {
                duty.act(&case.id, &Action::Ack(AckInput::default())).await.unwrap();
            }
            2 | 3 => {
                duty.act(&case.id, &Action::Ack(AckInput::default())).await.unwrap();
                duty.act(
                    &case.id,
                    &Action::Note(NoteInput { text: "正在核查".into(), targets: vec![], attachments: Vec::new() }),
                )
                .await
                .unwrap();
                duty.act(&case.id, &Action::Outcome(report)).await.unwrap();
                if path == 3 {
                    wait_for_state(&liaison, &case.id, target, TargetState::Resolved).await;
                    let evaluation = rng.gen_range(2..=5);
                    liaison
                        .act(&case.id, &Action::Close(CloseInput { evaluation, comment: None, targets: vec![] }))
                        .await
                        .unwrap();
                }
            }
            4 => {
                let reason = DeclineReason::ALL[rng.gen_range(0..DeclineReason::ALL.len())];
                duty.act(
                    &case.id,
                    &Action::Decline(DeclineInput {
                        reason, message: "不属本辖区".into(), suggested_station: None
                    }),
                )
                .await
                .unwrap();
            }
            5 => {
                liaison.act(&case.id, &Action::Reminder(ReminderInput::default())).await.unwrap();
            }
            _ => {
                let withdraw = WithdrawInput { reason: WithdrawReason::EnteredInError, message: None, targets: vec![] };
                liaison.act(&case.id, &Action::Withdraw(withdraw)).await.unwrap();
            }
        }
        case.id
    }

    /// The joint figures recounted from the envelopes `store` holds, for requests `from` → `to`.
    fn recount(
        store: &Store,
        keys: &tiemeng::keys::KeyRing,
        cases: &[CaseId],
        from: &str,
        to: &str,
    ) -> serde_json::Value {
        let (mut requests, mut acked, mut in_time, mut late, mut resolved, mut closed, mut declined, mut withdrawn) =
            (0, 0, 0, 0, 0, 0, 0, 0);
        let (mut reminders, mut evaluation_sum, mut evaluations, mut report_late) = (0, 0, 0, 0);
        let mut outcome_counts = std::collections::BTreeMap::<String, i64>::new();
        let (mut ack_hist, mut report_hist) = (vec![0i64; DURATION_BOUNDS.len()], vec![0i64; DURATION_BOUNDS.len()]);
        let bucket = |secs: i64| DURATION_BOUNDS.iter().position(|b| secs <= *b).unwrap();
        for id in cases {
            let envelopes: Vec<_> = store
                .timeline(id)
                .unwrap()
                .iter()
                .map(|e| SealedEnvelope::open(&e.wire, keys).unwrap().envelope)
                .collect();
            let Body::Request(request) = &envelopes[0].body else { panic!("first is not the request") };
            if envelopes[0].from.as_str() != from || envelopes[0].to != [station(to)] {
                continue;
            }
            requests += 1;
            // Times and deadlines run from delivery: the time the target's signed receipt says
            // it stored the request (under load, seconds after the request was signed).
            let created = envelopes[0].at;
            let receipt = store.receipt(&envelopes[0].id, &station(to)).unwrap().expect("the target's receipt");
            let delivered = tiemeng::envelope::SealedReceipt::open(&receipt, keys).unwrap().statement.stored_at;
            let waited = (delivered - created).max(time::Duration::ZERO);
            let ack_by = request.ack_by + waited;
            let mut acked_at = None;
            let mut declined_at = None;
            let mut first_report = None;
            let mut report_by = request.report_by + waited;
            for envelope in &envelopes[1..] {
                match &envelope.body {
                    Body::Ack(ack) => {
                        acked_at = Some(envelope.at);
                        report_by = ack.report_by.unwrap_or(report_by);
                    }
                    Body::Note(_) if envelope.from.as_str() == to && acked_at.is_some() => {
                        first_report.get_or_insert(envelope.at);
                    }
                    Body::Outcome(o) => {
                        first_report.get_or_insert(envelope.at);
                        resolved += 1;
                        *outcome_counts.entry(o.outcome.as_str().to_owned()).or_default() += i64::from(o.count);
                    }
                    Body::Close(c) => {
                        closed += 1;
                        evaluation_sum += i64::from(c.evaluation);
                        evaluations += 1;
                    }
                    Body::Decline(_) => {
                        declined += 1;
                        declined_at = Some(envelope.at);
                    }
                    Body::Withdraw(_) => withdrawn += 1,
                    Body::Reminder(_) => reminders += 1,
                    _ => {}
                }
            }
            let since_delivery = |at: time::OffsetDateTime| (at - delivered).whole_seconds().max(0);
            if let Some(at) = acked_at {
                acked += 1;
                if at <= ack_by {
                    in_time += 1
                } else {
                    late += 1
                }
                ack_hist[bucket(since_delivery(at))] += 1;
            } else if let Some(at) = declined_at {
                // A decline is an answer: in time when given by the acknowledgement deadline.
                in_time += i64::from(at <= ack_by);
            }
            if let Some(at) = first_report {
                report_late += i64::from(at > report_by);
                report_hist[bucket(since_delivery(at))] += 1;
            }
        }
        serde_json::json!({
            "requests": requests, "acknowledged": acked, "answered_in_time": in_time, "ack_late": late,
            "resolved": resolved, "closed": closed, "declined": declined, "withdrawn": withdrawn,
            "reminders": reminders, "evaluation_sum": evaluation_sum, "evaluations": evaluations,
            "report_late": report_late, "outcomes": outcome_counts,
            "ack_median": quantile_minutes(&ack_hist, 0.5), "ack_p90": quantile_minutes(&ack_hist, 0.9),
            "report_median": quantile_minutes(&report_hist, 0.5), "report_p90": quantile_minutes(&report_hist, 0.9),
        })
    }

    fn reported(figures: &tiemeng::stats::Figures) -> serde_json::Value {
        let outcomes: std::collections::BTreeMap<&String, &i64> =
            figures.outcomes.iter().filter(|(_, n)| **n > 0).collect();
        serde_json::json!({
            "requests": figures.requests, "acknowledged": figures.acknowledged,
            "answered_in_time": figures.answered_in_time,
            "ack_late": figures.ack_late, "resolved": figures.resolved, "closed": figures.closed,
            "declined": figures.declined, "withdrawn": figures.withdrawn, "reminders": figures.reminders,
            "evaluation_sum": figures.evaluation_average.map(|a| (a * figures.evaluations as f64).round() as i64).unwrap_or(0),
            "evaluations": figures.evaluations, "report_late": figures.report_late, "outcomes": outcomes,
            "ack_median": figures.ack_median_minutes, "ack_p90": figures.ack_p90_minutes,
            "report_median": figures.report_median_minutes, "report_p90": figures.report_p90_minutes,
        })
    }

    async fn stats(net: &Net, station_id: &str, query: &str) -> StatsReport {
        let chief = net.officer(station_id, As::Chief);
        chief
            .http()
            .get(format!("{}/api/v1/stats?{query}", net.url(station_id)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn both_nodes_report_the_same_joint_figures_and_they_match_a_recount_of_the_envelopes() {
        let net = Net::start(&[LUOYANG, XIXI]).await;
        let mut rng = rand::rngs::StdRng::seed_from_u64(20261123);
        let mut cases = Vec::new();
        let kinds = CaseKind::ALL;
        for i in 0..28u32 {
            let (origin, target) = if i % 3 == 0 { (XIXI, LUOYANG) } else { (LUOYANG, XIXI) };
            let kind = kinds[rng.gen_range(0..kinds.len())];
            cases.push(play(&net, origin, target, kind, i % 7, &mut rng).await);
        }
        // Two hours later, late acknowledgements: urgent and high deadlines have passed.
        for clock in net.clocks.values() {
            clock.advance(time::Duration::hours(2));
        }
        for (i, case) in cases.iter().enumerate() {
            if i % 7 == 0 {
                let target = if i % 3 == 0 { LUOYANG } else { XIXI };
                net.officer(target, As::Duty).act(case, &Action::Ack(AckInput::default())).await.unwrap();
            }
        }
        let a = net.node(LUOYANG).clone();
        let b = net.node(XIXI).clone();
        let settled = eventually(PATIENCE, || async {
            a.store().outbox_len(&station(XIXI)) == 0 && b.store().outbox_len(&station(LUOYANG)) == 0
        })
        .await;
        assert!(settled);

        let today = tiemeng::clock::Clock::system().now().to_offset(tiemeng::clock::BEIJING).date();
        let query = format!("from={}&to={}", today.previous_day().unwrap(), today.next_day().unwrap());
        let at_a = stats(&net, LUOYANG, &query).await;
        let at_b = stats(&net, XIXI, &query).await;
        let a_with_b = at_a.by_peer.iter().find(|p| p.peer.as_str() == XIXI).unwrap();
        let b_with_a = at_b.by_peer.iter().find(|p| p.peer.as_str() == LUOYANG).unwrap();
        assert_eq!(a_with_b.figures.sent, b_with_a.figures.received, "罗阳→犀溪 counted the same at both ends");
        assert_eq!(a_with_b.figures.received, b_with_a.figures.sent, "犀溪→罗阳 counted the same at both ends");
        assert_eq!(at_a.joint_record, at_b.joint_record);
        assert!(a_with_b.figures.sent.requests >= 18 && a_with_b.figures.received.requests >= 9);
        assert!(a_with_b.figures.sent.ack_late > 0, "the workload includes late acks");

        for (store, keys) in [(a.store(), a.keys()), (b.store(), b.keys())] {
            assert_eq!(reported(&a_with_b.figures.sent), recount(store, keys, &cases, LUOYANG, XIXI));
            assert_eq!(reported(&a_with_b.figures.received), recount(store, keys, &cases, XIXI, LUOYANG));
        }
        let pair = at_a.by_province_pair.iter().find(|p| p.from_province == "33" && p.to_province == "35").unwrap();
        assert_eq!(pair.figures, a_with_b.figures.sent, "浙江→福建 is all of 罗阳→犀溪 here");
        let months: i64 = at_a.by_month.iter().map(|m| m.figures.sent.requests).sum();
        assert_eq!(months, a_with_b.figures.sent.requests);
        let kinds: i64 = at_a.by_kind.iter().map(|k| k.figures.received.requests).sum();
        assert_eq!(kinds, a_with_b.figures.received.requests);
        // Cases left unacknowledged are overdue now, and listed with how long.
        assert!(at_a.overdue.iter().all(|o| o.minutes_overdue > 0));
        assert!(!at_a.overdue.is_empty());

        let csv = net
            .officer(LUOYANG, As::Chief)
            .http()
            .get(format!("{}/api/v1/stats.csv?{query}", net.url(LUOYANG)))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(csv.starts_with("\u{feff}".as_bytes()), "UTF-8 with BOM for Excel");
        let text = String::from_utf8(csv.to_vec()).unwrap();
        assert!(text.contains("协查数") && text.contains("寿宁县公安局犀溪派出所"), "{text}");
        net.shutdown().await;
    }
}

mod evidence {
    use super::*;

    fn verify(path: &std::path::Path) -> (bool, String, String) {
        let output =
            std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng")).arg("verify").arg(path).output().unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// The attack, signed by the partner's own key: after 罗阳 closed the case, 犀溪
    /// signs a decline with the seq of its ack, claiming to have seen only the request, with an
    /// id that sorts before the ack. Refused as equivocation, nothing changes, and the pair is
    /// kept: the admin sees it (API, console, command line) and the case's bundle proves it.
    #[tokio::test]
    async fn a_partner_reusing_a_seq_is_refused_and_the_pair_is_kept_as_evidence() {
        let net = Net::start(&[LUOYANG, XIXI]).await;
        let liaison = net.officer(LUOYANG, As::Liaison);
        let duty = net.officer(XIXI, As::Duty);
        let now = time::OffsetDateTime::now_utc();
        let case = liaison.create_case(&samples::sample(CaseKind::Fugitive, vec![station(XIXI)], now)).await.unwrap();
        wait_for_state(&liaison, &case.id, XIXI, TargetState::Delivered).await;
        duty.act(&case.id, &Action::Ack(AckInput::default())).await.unwrap();
        let outcome =
            OutcomeInput { outcome: Outcome::Intercepted, count: 1, narrative: "已在犀溪卡口拦截".into() };
        duty.act(&case.id, &Action::Outcome(outcome)).await.unwrap();
        wait_for_state(&liaison, &case.id, XIXI, TargetState::Resolved).await;
        let close = CloseInput { evaluation: 5, comment: None, targets: vec![] };
        liaison.act(&case.id, &Action::Close(close)).await.unwrap();
        wait_for_state(&duty, &case.id, XIXI, TargetState::Closed).await;
        let before = liaison.case(&case.id).await.unwrap();
        let ack = before.timeline.iter().find(|e| e.kind == tiemeng::envelope::Kind::Ack).unwrap().id.clone();

        let forge = |id: EnvelopeId, message: &str| {
            Envelope {
                id,
                case: case.id,
                from: station(XIXI),
                to: vec![station(LUOYANG)],
                at: now + time::Duration::milliseconds(1),
                seq: 0,
                seen: [(station(LUOYANG), 1)].into(),
                body: Body::Decline(tiemeng::envelope::body::DeclineBody {
                    officer: Signatory { badge: "350924002".parse().unwrap(), name: "林志明".into() },
                    reason: tiemeng::domain::case::DeclineReason::NotOurArea,
                    message: message.into(),
                    suggested_station: None,
                }),
            }
            .seal(&net.signer(XIXI))
            .unwrap()
            .wire()
        };
        // The earliest version-7 id there is: it sorts before the ack's.
        let first = EnvelopeId::from_bytes([0, 0, 0, 0, 0, 0, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, 0]);
        for (id, message) in [(first, "不属本辖区"), (EnvelopeId::new(), "再次退回")] {
            let answer = net.post_to_inbox(XIXI, LUOYANG, &[forge(id, message)]).await;
            let result = &answer["results"][0];
            assert_eq!(
                (result["status"].as_str(), result["code"].as_str(), result["status_code"].as_u64()),
                (Some("rejected"), Some("equivocation"), Some(422)),
                "{result}"
            );
            assert_eq!(result["transient"], false);
        }
        let after = liaison.case(&case.id).await.unwrap();
        assert_eq!(after.case.targets, before.case.targets, "closed, evaluated, intercepted: unchanged");
        assert_eq!(after.timeline.len(), before.timeline.len(), "the timeline is unchanged");
        let a = net.node(LUOYANG).store();
        assert_eq!(a.equivocation_count(&station(XIXI)), 1, "one record per seq: the first second statement");

        // The admin's view: the two envelopes by id, kind and hash.
        let admin = net.officer(LUOYANG, As::Admin);
        let base = net.url(LUOYANG);
        let listed = support::get_json(admin.http(), &format!("{base}/api/v1/peers/{XIXI}/equivocations")).await;
        assert_eq!(listed[0]["kept"]["id"], ack, "{listed}");
        assert_eq!(
            (listed[0]["refused"]["id"].as_str(), listed[0]["seq"].as_u64()),
            (Some(first.to_string().as_str()), Some(0))
        );
        assert_eq!(listed[0]["refused"]["kind"], "decline");
        let peers = support::get_json(admin.http(), &format!("{base}/api/v1/peers")).await;
        assert_eq!(peers[0]["equivocations"], 1, "{peers}");
        let page = admin.http().get(format!("{base}/console/peers")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("签名冲突") && page.contains(&first.to_string()), "{page}");
        let audit = a.audit_entries(0, 1000).unwrap();
        assert_eq!(audit.iter().filter(|e| e.action == "envelope.equivocation").count(), 1);
        let output = net.cli(LUOYANG, As::Admin, "peers", &["equivocations", XIXI]).await;
        let shown = String::from_utf8_lossy(&output.stdout);
        assert!(shown.contains("序号 0") && shown.contains("被拒收") && shown.contains(&first.to_string()), "{shown}");

        // The bundle carries both, and verifies offline, telling what happened.
        let bundle = liaison.bundle(&case.id).await.unwrap();
        let path = net.dir.path().join("equivocation.json");
        std::fs::write(&path, &bundle).unwrap();
        let (ok, told, errors) = tokio::task::spawn_blocking(move || verify(&path)).await.unwrap();
        assert!(ok, "{told}{errors}");
        assert!(told.contains("以同一序号 0 签署了两份不同的信封") && told.contains("不属本辖区"), "{told}");
        net.shutdown().await;
    }

    #[tokio::test]
    async fn an_exported_bundle_verifies_offline_and_names_any_altered_byte() {
        let net = Net::start(&[LUOYANG, XIXI]).await;
        let liaison = net.officer(LUOYANG, As::Liaison);
        let duty = net.officer(XIXI, As::Duty);
        let case = liaison
            .create_case(&samples::sample(
                CaseKind::MissingPerson,
                vec![station(XIXI)],
                time::OffsetDateTime::now_utc(),
            ))
            .await
            .unwrap();
        wait_for_state(&liaison, &case.id, XIXI, TargetState::Delivered).await;
        duty.act(&case.id, &Action::Ack(AckInput::default())).await.unwrap();
        let outcome = OutcomeInput {
            outcome: tiemeng::domain::case::Outcome::PersonFound,
            count: 1,
            narrative: "在集市找到老人".into(),
        };
        duty.act(&case.id, &Action::Outcome(outcome)).await.unwrap();
        wait_for_state(&liaison, &case.id, XIXI, TargetState::Resolved).await;
        let bundle = liaison.bundle(&case.id).await.unwrap();
        let path = net.dir.path().join("bundle.json");
        std::fs::write(&path, &bundle).unwrap();
        let (ok, story, _) = verify(&path);
        assert!(ok, "{story}");
        assert!(story.contains("泰顺县公安局罗阳派出所 陈志强（330329001）发起失踪人员协查"), "{story}");
        assert!(story.contains("寿宁县公安局犀溪派出所 于") && story.contains("存储并签发回执"), "{story}");
        assert!(story.contains("反馈结果：已找到失踪人员（1）：在集市找到老人"), "{story}");
        assert!(story.contains("全部 3 个信封"), "{story}");
        let audit = net.node(LUOYANG).store().audit_entries(0, 100).unwrap();
        assert!(audit.iter().any(|e| e.action == "case.export" && e.case == Some(case.id)), "the export is audited");

        let text = String::from_utf8(bundle.clone()).unwrap();
        let tamper = |from: &str, to: &str, nth: usize| {
            let at = text.match_indices(from).nth(nth).unwrap_or_else(|| panic!("{from} not in bundle")).0;
            let mut altered = text.clone();
            altered.replace_range(at..at + from.len(), to);
            let path = net.dir.path().join("altered.json");
            std::fs::write(&path, altered).unwrap();
            verify(&path)
        };
        // One character inside the second envelope's signed payload (past the prefix all
        // payloads share).
        let at = text.match_indices("{\"signed\":\"").nth(1).unwrap().0 + 200;
        let mut altered = text.clone().into_bytes();
        altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
        let altered_path = net.dir.path().join("altered-envelope.json");
        std::fs::write(&altered_path, altered).unwrap();
        let (ok, story, _) = verify(&altered_path);
        assert!(!ok);
        assert!(story.contains("第 2 个信封签名无法验证"), "{story}");
        assert!(
            !story.contains("第 1 个信封") && !story.contains("第 3 个信封"),
            "only the altered envelope is named: {story}"
        );
        // The export record.
        let (ok, story, _) = tamper("\"exported_at\":\"2", "\"exported_at\":\"1", 0);
        assert!(!ok && story.contains("证据包整体签名不符"), "{story}");
        // A byte that breaks the file.
        let (ok, _, error) = tamper("\"format\"", "\"form\"at\"", 0);
        assert!(!ok && error.contains("无法作为证据包读取") && error.contains("line"), "{error}");
        net.shutdown().await;
    }

    #[tokio::test]
    async fn no_export_cases_are_exported_only_by_chiefs() {
        let net = Net::start(&[LUOYANG, XIXI]).await;
        let mut request = samples::sample(CaseKind::Fugitive, vec![station(XIXI)], time::OffsetDateTime::now_utc());
        request.restrictions.push(tiemeng::domain::case::Restriction::NoExport);
        let case = net.officer(LUOYANG, As::Liaison).create_case(&request).await.unwrap();
        let refused = net.officer(LUOYANG, As::Liaison).bundle(&case.id).await;
        assert!(
            matches!(refused, Err(tiemeng::client::ClientError::Problem(p)) if p.status == 403 && p.code == "export_restricted")
        );
        assert!(net.officer(LUOYANG, As::Chief).bundle(&case.id).await.is_ok());
        let audit = net.node(LUOYANG).store().audit_entries(0, 100).unwrap();
        assert_eq!(audit.iter().filter(|e| e.action == "case.export").count(), 1, "only the chief's export happened");
        net.shutdown().await;
    }
}

#[tokio::test]
async fn a_target_forwards_with_the_origins_knowledge_unless_the_case_says_no_onward() {
    let net = Net::start(&[LUOYANG, XIXI, MAZHAN]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let case = liaison.create_case(&samples::sample(CaseKind::General, vec![station(XIXI)], now)).await.unwrap();
    wait_for_state(&liaison, &case.id, XIXI, TargetState::Delivered).await;
    let xixi = net.officer(XIXI, As::Duty);
    let input = tiemeng::node::ForwardInput { to: station(MAZHAN), message: "该出租屋实属马站辖区".into() };
    let forwarded = xixi.forward(&case.id, &input).await.unwrap();
    assert_eq!(forwarded.origin.as_str(), XIXI);
    assert!(forwarded.title.starts_with("转发："));
    // The forwarded request is 犀溪's own and carries 犀溪's number, not 罗阳's.
    let year = tiemeng::clock::beijing_date(forwarded.created_at).year();
    assert_eq!(forwarded.refno.as_ref().map(|r| r.label.as_str()), Some(format!("寿犀溪协〔{year}〕1号").as_str()));
    // 马站 receives a request marked as forwarded from 罗阳's case.
    let mazhan = net.officer(MAZHAN, As::Duty);
    assert!(eventually(PATIENCE, || async { mazhan.case(&forwarded.id).await.is_ok() }).await);
    let detail = mazhan.case(&forwarded.id).await.unwrap();
    assert_eq!(detail.request["forwarded_from"]["case"], case.id.to_string());
    assert_eq!(detail.request["forwarded_from"]["station"], LUOYANG);
    // 罗阳 learns of it through a signed note on its own case.
    let told = eventually(PATIENCE, || async {
        liaison.case(&case.id).await.unwrap().timeline.iter().any(|e| {
            e.body["text"]
                .as_str()
                .is_some_and(|t| t.contains(&forwarded.id.to_string()) && t.contains(&format!("寿犀溪协〔{year}〕1号")))
        })
    })
    .await;
    assert!(told, "the origin was not told");

    let mut restricted = samples::sample(CaseKind::Fugitive, vec![station(XIXI)], now);
    restricted.restrictions = vec![tiemeng::domain::case::Restriction::NoOnward];
    let kept = liaison.create_case(&restricted).await.unwrap();
    wait_for_state(&liaison, &kept.id, XIXI, TargetState::Delivered).await;
    let refused = xixi.forward(&kept.id, &input).await;
    assert!(
        matches!(refused, Err(tiemeng::client::ClientError::Problem(p)) if p.status == 403 && p.code == "onward_restricted")
    );
    let actions = xixi.case(&kept.id).await.unwrap().actions;
    assert!(!actions.contains(&tiemeng::domain::lifecycle::ActionKind::Forward), "no forward button either");
    assert_eq!(net.node(XIXI).store().outbox_len(&station(MAZHAN)), 0, "nothing went to 马站");
    assert_eq!(liaison.case(&kept.id).await.unwrap().timeline.len(), 1, "and no note went to 罗阳");
    net.shutdown().await;
}

#[tokio::test]
async fn a_key_revoked_from_a_stated_time_refuses_later_signatures_and_keeps_earlier_ones() {
    let revoked_from = tiemeng::clock::Clock::system().now() - time::Duration::minutes(1);
    let stamp = tiemeng::clock::rfc3339(revoked_from);
    let net = Net::start_with(&[LUOYANG, XIXI], &[LUOYANG, XIXI], |id, text| {
        support::quick_retries(id, text);
        if id == XIXI {
            // 罗阳's key k1 was compromised a minute ago: 犀溪 revokes it from that moment.
            *text = text.replacen(".pub\" }]", &format!(".pub\", revoked_from = \"{stamp}\" }}]"), 1);
        }
    })
    .await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let fresh = liaison
        .create_case(&samples::sample(CaseKind::General, vec![station(XIXI)], time::OffsetDateTime::now_utc()))
        .await
        .unwrap();
    let a = net.node(LUOYANG).clone();
    assert!(
        eventually(PATIENCE, || async { a.store().dead_letter_count(&station(XIXI)) == 1 }).await,
        "a signature made after the revocation was accepted"
    );
    let letters = a.store().dead_letters(&station(XIXI), 10).unwrap();
    assert_eq!((letters[0].case, letters[0].code.as_str()), (fresh.id, "key_revoked"));

    // An envelope signed before the revocation, delivered late, still holds.
    let signer = net.signer(LUOYANG);
    let mut old = request_envelope(&net, CaseId::new(), vec![station(XIXI)], "撤销前签发的协查");
    old.at = revoked_from - time::Duration::hours(2);
    if let Body::Request(request) = &mut old.body {
        request.ack_by = old.at + time::Duration::hours(1);
        request.report_by = old.at + time::Duration::days(1);
    }
    let old = old.seal(&signer).unwrap();
    let answer = net.post_to_inbox(LUOYANG, XIXI, &[old.wire()]).await;
    assert_eq!(answer["results"][0]["status"], "accepted", "{answer}");
    net.shutdown().await;
}
