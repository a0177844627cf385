//! What the officer commands print, built from the crate's own records: the words and
//! figures people act on, in Chinese and in English.

use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::api::cases::{ListedCase, StationView};
use crate::client::{RemoteFieldError, RemoteProblem};
use crate::domain::case::{Priority, Restriction};
use crate::domain::details::CaseKind;
use crate::domain::lifecycle::{ActionKind, TargetState};
use crate::domain::text::terminal_safe;
use crate::envelope::{Body, Envelope, Kind, Signatory};
use crate::ids::{CaseId, EnvelopeId, StationId};
use crate::node::{CaseDetail, LinkedCase, OverdueTarget, ReceiptView, TimelineEntry};

/// When 罗阳 sends the request: 08:00 in Beijing.
const T0: OffsetDateTime = datetime!(2026-11-23 00:00 UTC);
const LUOYANG: &str = "zj-taishun-luoyang";
const XIXI: &str = "fj-shouning-xixi";
const MAZHAN: &str = "zj-cangnan-mazhan";
const TITLE: &str = "协查在逃人员郑某（涉嫌故意伤害）";
const SUMMARY: &str = "在逃人员 郑某（涉嫌故意伤害罪），最后位于 罗阳镇汽车站；请求拦截";

fn station(id: &str) -> StationId {
    id.parse().unwrap()
}

fn chen() -> Signatory {
    Signatory { badge: "330329001".parse().unwrap(), name: "陈志强".into() }
}

/// An urgent fugitive request from 罗阳 to `targets` titled `title`, as 罗阳 records it:
/// every target sent, to acknowledge by 08:10 and report by 16:00.
fn case(title: &str, targets: &[&str]) -> CaseRecord {
    let to: Vec<StationId> = targets.iter().map(|t| station(t)).collect();
    let mut new = crate::samples::sample(CaseKind::Fugitive, to.clone(), T0);
    (new.title, new.priority) = (title.into(), Priority::Urgent);
    let (_, body) = new.into_request(chen(), T0, crate::domain::deadline::DeadlinePolicy::default().urgent);
    let request = Envelope {
        id: EnvelopeId::new(),
        case: CaseId::new(),
        from: station(LUOYANG),
        seen: to.iter().map(|t| (t.clone(), 0)).collect(),
        to,
        at: T0,
        seq: 0,
        body: Body::Request(Box::new(body)),
    };
    let mut case = CaseRecord::open(&request, &station(LUOYANG), T0).unwrap();
    case.take_on(&request, &station(LUOYANG));
    case.summary = SUMMARY.into();
    case
}

fn entry(kind: Kind, from: &str, officer: Option<Signatory>, at: OffsetDateTime, verified: bool) -> TimelineEntry {
    TimelineEntry {
        id: EnvelopeId::new().to_string(),
        kind,
        from: station(from),
        to: vec![station(if from == LUOYANG { XIXI } else { LUOYANG })],
        at,
        stored_at: at,
        officer,
        body: serde_json::Value::Null,
        key: format!("{from}#k1"),
        sha256: "00".repeat(32),
        verified,
        problem: (!verified).then(|| "bad_signature".into()),
        receipts: Vec::new(),
        superseded_for: Vec::new(),
        relayed: None,
    }
}

/// 罗阳's view of a case to 犀溪 and 马站: overdue at 犀溪, refused twice by 马站, naming
/// the same person as another case, with two envelopes in its timeline.
fn detail(title: &str) -> CaseDetail {
    let mut case = case(title, &[XIXI, MAZHAN]);
    case.restrictions = vec![Restriction::NoOnward];
    let linked = CaseId::new();
    let mut request = entry(Kind::Request, LUOYANG, Some(chen()), T0, true);
    request.receipts = vec![
        ReceiptView { station: XIXI.into(), stored_at: Some("2026-11-23T00:01:00Z".into()), verified: true },
        ReceiptView { station: MAZHAN.into(), stored_at: None, verified: true },
    ];
    let huang = Signatory { badge: "350924002".parse().unwrap(), name: "黄立新".into() };
    let note = entry(Kind::Note, XIXI, Some(huang), T0 + Duration::minutes(30), false);
    let refused = |kind: &str, code: &str, message: &str| {
        serde_json::json!({
            "station": MAZHAN, "seq": 1, "envelope": EnvelopeId::new(), "case": case.id,
            "kind": kind, "code": code, "message": message, "at": "2026-11-23T00:00:05Z",
        })
    };
    CaseDetail {
        mailbox: Mailbox::Outbox,
        attachments: Vec::new(),
        request: serde_json::Value::Null,
        overdue: vec![OverdueTarget {
            station: station(XIXI),
            deadline: "ack".into(),
            due: T0 + Duration::minutes(10),
            minutes_overdue: 25,
        }],
        timeline: vec![request, note],
        same_subject: vec![LinkedCase { id: linked, title: "协查在逃人员郑某".into(), origin: station(XIXI) }],
        actions: vec![ActionKind::Reminder, ActionKind::Withdraw, ActionKind::Note],
        refused: serde_json::from_value(serde_json::json!([
            refused("request", "unknown_key", "未登记的签名公钥"),
            refused("reminder", "bad_signature", "签名无法验证"),
        ]))
        .unwrap(),
        unreachable: vec![crate::node::UnreachablePartner {
            station: station(MAZHAN),
            since: T0 + Duration::minutes(1),
            code: "unreachable".into(),
            queued: 3,
        }],
        handovers: Vec::new(),
        handover_to: Vec::new(),
        redirects: Vec::new(),
        decisive: None,
        stand_down: None,
        case,
    }
}

fn listing() -> (CaseList, CaseRecord, CaseRecord) {
    let mut first = case(TITLE, &[XIXI, MAZHAN]);
    first.targets[0].state = TargetState::Acknowledged;
    first.same_subject = vec![CaseId::new()];
    let mut second = case("协查走失老人吴德福", &[XIXI]);
    second.priority = Priority::High;
    let overdue = OverdueTarget {
        station: station(MAZHAN),
        deadline: "ack".into(),
        due: T0 + Duration::minutes(10),
        minutes_overdue: 5,
    };
    let cases = vec![
        ListedCase { case: first.clone(), overdue: vec![overdue] },
        ListedCase { case: second.clone(), overdue: Vec::new() },
    ];
    (CaseList { cases, next: Some("0a1b2c".into()) }, first, second)
}

#[test]
fn me_names_the_officer_the_station_and_every_role() {
    let officer = Me {
        identity: "urn:tiemeng:officer:zj-taishun-luoyang:330329001".into(),
        badge: "330329001".into(),
        name: "陈志强".into(),
        roles: vec![Role::Liaison, Role::Duty],
        station: StationView {
            id: LUOYANG.into(), name: "泰顺县公安局罗阳派出所".into(), division: "330329".into()
        },
    };
    assert_eq!(me(&officer, Lang::Zh), "陈志强（警号 330329001），泰顺县公安局罗阳派出所，角色：联络员、值班民警");
    assert_eq!(
        me(&officer, Lang::En),
        "陈志强 (badge 330329001), 泰顺县公安局罗阳派出所, roles: liaison officer, duty officer"
    );
}

#[test]
fn sent_names_every_target_and_the_acknowledgement_deadline() {
    let case = case(TITLE, &[XIXI, MAZHAN]);
    assert_eq!(
        sent(&case, Lang::Zh),
        format!(
            "已发出协查 {}\n  {TITLE}\n  发往：fj-shouning-xixi、zj-cangnan-mazhan\n  签收时限：2026-11-23 08:10",
            case.id
        )
    );
    assert_eq!(
        sent(&case, Lang::En),
        format!(
            "request sent: {}\n  {TITLE}\n  to: fj-shouning-xixi, zj-cangnan-mazhan\n  acknowledge by: 2026-11-23 08:10",
            case.id
        )
    );
}

#[test]
fn updated_gives_each_targets_state() {
    let mut case = case(TITLE, &[XIXI, MAZHAN]);
    case.targets[0].state = TargetState::Acknowledged;
    assert_eq!(
        updated(&case, Lang::Zh),
        format!("已更新协查 {}：{TITLE}\n  fj-shouning-xixi 已签收\n  zj-cangnan-mazhan 待送达", case.id)
    );
    assert_eq!(
        updated(&case, Lang::En),
        format!(
            "case {} updated: {TITLE}\n  fj-shouning-xixi acknowledged\n  zj-cangnan-mazhan awaiting delivery",
            case.id
        )
    );
}

#[test]
fn a_sent_list_gives_each_targets_state_the_flags_and_the_next_page() {
    let (list, first, second) = listing();
    assert_eq!(
        super::list(&list, Mailbox::Outbox, &Names::default(), Lang::Zh),
        format!(
            "发出的协查（2）\n\
             {}  特急 在逃人员协查  {TITLE} [超期] [一人多次]\n\
             \x20   2026-11-23 08:00  fj-shouning-xixi 已签收；zj-cangnan-mazhan 待送达  承办人：陈志强（330329001）\n\
             {}  紧急 在逃人员协查  协查走失老人吴德福\n\
             \x20   2026-11-23 08:00  fj-shouning-xixi 待送达  承办人：陈志强（330329001）\n\
             下一页：--cursor 0a1b2c",
            first.id, second.id
        )
    );
    let en = super::list(&list, Mailbox::Outbox, &Names::default(), Lang::En);
    assert!(en.starts_with("sent requests"), "{en}");
    assert!(en.contains(&format!("{}  urgent Fugitive  {TITLE} [OVERDUE] [same subject]\n", first.id)), "{en}");
    assert!(
        en.contains(
            "  2026-11-23 08:00  fj-shouning-xixi acknowledged; zj-cangnan-mazhan awaiting delivery  handler: 陈志强 (330329001)\n"
        ),
        "{en}"
    );
    assert!(en.contains(&format!("{}  high Fugitive  协查走失老人吴德福\n", second.id)), "{en}");
    assert!(en.ends_with("\nnext page: --cursor 0a1b2c"), "{en}");
}

#[test]
fn search_results_give_the_number_kind_title_partners_and_what_matched() {
    let mut first = case(TITLE, &[XIXI]);
    first.refno =
        Some(crate::domain::refno::RefNo { year: 2026, number: 12, label: "泰罗阳协〔2026〕12号".into() });
    let second = case("协查走失老人吴德福", &[XIXI]);
    let found = SearchResults {
        results: vec![
            crate::api::search::SearchResult {
                case: first,
                matched: vec![crate::store::SearchField::Name, crate::store::SearchField::Title],
                overdue: Vec::new(),
            },
            crate::api::search::SearchResult { case: second.clone(), matched: Vec::new(), overdue: Vec::new() },
        ],
        next: Some("ff".into()),
    };
    let me = Me {
        identity: String::new(),
        badge: "330329001".into(),
        name: "陈志强".into(),
        roles: vec![Role::Liaison],
        station: crate::api::cases::StationView { id: LUOYANG.into(), name: "罗阳".into(), division: String::new() },
    };
    let names = Names::new(&me, &[]);
    assert_eq!(
        super::search(&found, "郑某", &names, Lang::Zh),
        format!(
            "搜索“郑某”：2 件\n\
             泰罗阳协〔2026〕12号  在逃人员协查  {TITLE}\n\
             \x20   2026-11-23 08:00  fj-shouning-xixi 待送达  匹配：姓名、标题\n\
             {}  在逃人员协查  协查走失老人吴德福\n\
             \x20   2026-11-23 08:00  fj-shouning-xixi 待送达\n\
             下一页：--cursor ff",
            second.id
        )
    );
    let en = super::search(&found, "郑某", &names, Lang::En);
    assert!(en.starts_with("search “郑某”: 2 case(s)\n") && en.contains("  matched: name, title\n"), "{en}");
    let none = SearchResults { results: Vec::new(), next: None };
    assert_eq!(super::search(&none, "x", &names, Lang::Zh), "搜索“x”：0 件\n  （无）");
}

#[test]
fn a_received_list_names_the_origin_instead_of_the_targets() {
    let (list, first, _) = listing();
    let zh = super::list(&list, Mailbox::Inbox, &Names::default(), Lang::Zh);
    assert!(zh.starts_with("收到的协查（2）\n"), "{zh}");
    assert!(zh.contains(&format!("{}  特急 在逃人员协查  {TITLE} [超期] [一人多次]\n", first.id)), "{zh}");
    assert!(zh.contains("\n    2026-11-23 08:00  来自 zj-taishun-luoyang  承办人：陈志强（330329001）\n"), "{zh}");
    assert!(!zh.contains("待送达"), "no target states in the inbox: {zh}");
    let en = super::list(&list, Mailbox::Inbox, &Names::default(), Lang::En);
    assert!(en.starts_with("received requests") && en.contains("  from zj-taishun-luoyang"), "{en}");
}

/// At 马站: 犀溪 intercepted him at 14:05, as 罗阳 relayed it. `case show` leads with it and
/// lists 犀溪 among the others; `case list` flags the row; at 罗阳 `case show` names the
/// stand-down command.
#[test]
fn a_decisive_outcome_elsewhere_leads_show_and_flags_the_list() {
    use crate::domain::case::{Outcome, WithdrawReason};
    let at = datetime!(2026-11-23 06:05 UTC);
    let mut record = case(TITLE, &[XIXI, MAZHAN]);
    let mut xixi = record.targets.remove(0);
    (xixi.state, xixi.outcome, xixi.outcome_count, xixi.resolved_at) =
        (TargetState::Resolved, Some(Outcome::Intercepted), 1, Some(at));
    record.co_targets = vec![xixi];
    let mut shown = detail(TITLE);
    shown.case = record.clone();
    shown.decisive = Some(crate::node::DecisiveView { station: station(XIXI), outcome: Outcome::Intercepted, at });
    let station_view = |id: &str, name: &str| StationView { id: id.into(), name: name.into(), division: String::new() };
    let me = Me {
        identity: String::new(),
        badge: "330327002".into(),
        name: "林海".into(),
        roles: vec![Role::Duty],
        station: station_view(MAZHAN, "苍南县公安局马站派出所"),
    };
    let names = Names::new(&me, &[station_view(XIXI, "寿宁县公安局犀溪派出所")]);
    let zh = super::detail(&shown, &names, Lang::Zh);
    assert!(zh.contains(&format!("{SUMMARY}\n>> 寿宁县公安局犀溪派出所 已拦截 · 2026-11-23 14:05")), "{zh}");
    assert!(zh.contains("\n  （转告）寿宁县公安局犀溪派出所 已反馈  已拦截"), "{zh}");
    let en = super::detail(&shown, &names, Lang::En);
    assert!(en.contains(">> 寿宁县公安局犀溪派出所 intercepted · 2026-11-23 14:05"), "{en}");
    assert!(en.contains("(relayed) 寿宁县公安局犀溪派出所 outcome reported  intercepted"), "{en}");
    let list = CaseList { cases: vec![ListedCase { case: record, overdue: Vec::new() }], next: None };
    let listed = super::list(&list, Mailbox::Inbox, &names, Lang::Zh);
    assert!(listed.contains(&format!("{TITLE} [寿宁县公安局犀溪派出所 已拦截 · 2026-11-23 14:05]")), "{listed}");

    shown.stand_down =
        Some(crate::node::StandDownOffer { reason: WithdrawReason::InCustody, targets: vec![station(MAZHAN)] });
    let at_origin = super::detail(&shown, &names, Lang::Zh);
    let id = shown.case.id;
    assert!(
        at_origin.contains(&format!(
            ">> 可一并撤回其余单位：苍南县公安局马站派出所（tiemeng case stand-down {id} --reason in_custody）"
        )),
        "{at_origin}"
    );
}

#[test]
fn stations_go_by_their_names_and_the_inbox_gives_this_stations_state() {
    let (list, _, _) = listing();
    let station = |id: &str, name: &str| crate::api::cases::StationView {
        id: id.into(),
        name: name.into(),
        division: String::new(),
    };
    let me = Me {
        identity: String::new(),
        badge: "350924002".into(),
        name: "郑丽娟".into(),
        roles: vec![Role::Duty],
        station: station(XIXI, "寿宁县公安局犀溪派出所"),
    };
    let names = Names::new(&me, &[station(LUOYANG, "泰顺县公安局罗阳派出所")]);
    let zh = super::list(&list, Mailbox::Inbox, &names, Lang::Zh);
    assert!(
        zh.contains("\n    2026-11-23 08:00  来自 泰顺县公安局罗阳派出所  已签收  承办人：陈志强（330329001）\n"),
        "{zh}"
    );
    let en = super::list(&list, Mailbox::Inbox, &names, Lang::En);
    assert!(en.contains("  from 泰顺县公安局罗阳派出所  acknowledged  handler: 陈志强 (330329001)\n"), "{en}");
    let sent = super::list(&list, Mailbox::Outbox, &names, Lang::Zh);
    assert!(
        sent.contains("寿宁县公安局犀溪派出所 已签收；zj-cangnan-mazhan 待送达"),
        "a partner not known stays an id: {sent}"
    );
    let shown = super::detail(&detail(TITLE), &names, Lang::Zh);
    assert!(shown.contains("发起单位：泰顺县公安局罗阳派出所"), "{shown}");
    assert!(shown.contains("回执：寿宁县公安局犀溪派出所 2026-11-23 08:01"), "{shown}");
}

#[test]
fn an_empty_list_says_so() {
    let empty = CaseList { cases: Vec::new(), next: None };
    assert_eq!(super::list(&empty, Mailbox::Inbox, &Names::default(), Lang::Zh), "收到的协查（0）\n  （无）");
    let en = super::list(&empty, Mailbox::Outbox, &Names::default(), Lang::En);
    assert!(en.starts_with("sent requests") && en.ends_with("\n  (none)"), "{en}");
}

#[test]
fn a_detail_gives_targets_refusals_overdue_links_timeline_and_actions_in_chinese() {
    let detail = detail(TITLE);
    let (id, linked) = (detail.case.id, detail.same_subject[0].id);
    assert_eq!(
        super::detail(&detail, &Names::default(), Lang::Zh),
        format!(
            "{TITLE}\n\
             特急 在逃人员协查 | {id}\n\
             发起单位：zj-taishun-luoyang\n\
             承办人：陈志强（330329001）\n\
             摘要：{SUMMARY}\n\
             处置限制：不得转发\n\
             \x20 fj-shouning-xixi 待送达  签收时限 2026-11-23 08:10  反馈时限 2026-11-23 16:00\n\
             \x20 zj-cangnan-mazhan 待送达  签收时限 2026-11-23 08:10  反馈时限 2026-11-23 16:00\n\
             \x20 zj-cangnan-mazhan 节点不可达（自 2026-11-23 08:01），本站队列中待投递 3 份；恢复后按序送达\n\
             \x20 对方拒收：发起协查 → zj-cangnan-mazhan：对方没有本站的签名公钥：请对方管理员在其配置中加入本站的公钥（unknown_key 未登记的签名公钥） ——请联系本站系统管理员处理后重新投递\n\
             \x20 对方拒收：催办 → zj-cangnan-mazhan：对方验证本站签名不通过：对方配置中的本站公钥可能有误（bad_signature 签名无法验证） ——请联系本站系统管理员处理后重新投递\n\
             \x20 超期：fj-shouning-xixi 25分钟\n\
             \x20 一人多次：{linked} 协查在逃人员郑某\n\
             时间线：\n\
             \x20 2026-11-23 08:00  zj-taishun-luoyang 陈志强（330329001） 发起协查  [签名有效]\n\
             \x20   回执：fj-shouning-xixi 2026-11-23 08:01\n\
             \x20   回执：zj-cangnan-mazhan ?\n\
             \x20 2026-11-23 08:30  fj-shouning-xixi 黄立新（350924002） 补充说明  [签名无效]\n\
             可进行的操作：催办（remind）、撤回（withdraw）、补充说明（note）"
        )
    );
}

#[test]
fn a_detail_in_english_uses_english_labels_throughout() {
    let detail = detail(TITLE);
    let en = super::detail(&detail, &Names::default(), Lang::En);
    let lines: Vec<&str> = en.lines().collect();
    assert_eq!(lines[1], format!("urgent Fugitive | {}", detail.case.id));
    for line in [
        "origin: zj-taishun-luoyang",
        "restrictions: no onward transmission",
        "  fj-shouning-xixi awaiting delivery  ack by 2026-11-23 08:10  report by 2026-11-23 16:00",
        "  zj-cangnan-mazhan awaiting delivery  ack by 2026-11-23 08:10  report by 2026-11-23 16:00",
        "  overdue: fj-shouning-xixi 25 min",
        "  zj-cangnan-mazhan cannot be reached (since 2026-11-23 08:01); 3 envelopes wait here and go in order once it is back",
        "timeline:",
        "  2026-11-23 08:00  zj-taishun-luoyang 陈志强 (330329001) assist request  [signature valid]",
        "    receipt: fj-shouning-xixi 2026-11-23 08:01",
        "  2026-11-23 08:30  fj-shouning-xixi 黄立新 (350924002) supplementary note  [SIGNATURE INVALID]",
    ] {
        assert!(lines.contains(&line), "no line {line:?} in:\n{en}");
    }
    let refusals: Vec<&&str> = lines.iter().filter(|l| l.starts_with("  refused: ")).collect();
    assert_eq!(refusals.len(), 2, "{en}");
    assert!(
        refusals[0].starts_with("  refused: assist request → zj-cangnan-mazhan") && refusals[0].contains("unknown_key")
    );
    assert!(
        refusals[1].starts_with("  refused: reminder → zj-cangnan-mazhan") && refusals[1].contains("bad_signature")
    );
    assert!(refusals.iter().all(|l| l.ends_with("— ask this station's admin to send it again")), "{en}");
    let actions = lines.last().unwrap();
    assert!(actions.starts_with("available actions"), "{en}");
    for (label, command) in [("remind", "remind"), ("withdraw", "withdraw"), ("add a note", "note")] {
        assert!(actions.contains(&format!("{label} ({command})")), "{actions}");
    }
    for chinese in ["时间线", "回执", "超期", "对方拒收", "签名有效", "可进行的操作"] {
        assert!(!en.contains(chinese), "{chinese} left in the English: {en}");
    }
    // Chinese punctuation only where the data has it (the title, the summary).
    for line in lines.iter().filter(|l| !l.contains(TITLE) && !l.contains(SUMMARY) && !l.contains("协查")) {
        assert!(!line.contains(['（', '）', '：', '；', '、']), "Chinese punctuation in English: {line:?}");
    }
}

#[test]
fn a_detail_without_actions_or_problems_prints_only_what_there_is() {
    let mut detail = detail(TITLE);
    (detail.refused, detail.overdue, detail.same_subject, detail.actions) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    detail.case.restrictions.clear();
    let zh = super::detail(&detail, &Names::default(), Lang::Zh);
    for absent in ["处置限制", "对方拒收", "超期", "一人多次", "可进行的操作"] {
        assert!(!zh.contains(absent), "{absent} printed for nothing: {zh}");
    }
    assert!(zh.ends_with("补充说明  [签名无效]"), "{zh}");
}

#[test]
fn hostile_text_is_kept_by_render_and_escaped_when_printed() {
    // Such text is refused now; a record may hold it from before, or from an older partner.
    let title = "走失儿童\u{1b}[2J\u{202e}";
    let mut detail = detail(TITLE);
    detail.case.title = title.into();
    detail.same_subject[0].title = "郑某\u{7}".into();
    let rendered = super::detail(&detail, &Names::default(), Lang::Zh);
    assert!(rendered.starts_with(&format!("{title}\n")), "render keeps the data as stored");
    assert!(rendered.contains("郑某\u{7}"));
    let printed = terminal_safe(&rendered);
    assert!(!printed.contains(['\u{1b}', '\u{202e}', '\u{7}']), "{printed}");
    assert!(printed.starts_with("走失儿童\\u001b[2J\\u202e\n"), "{printed}");
    assert!(printed.contains("郑某\\u0007"), "{printed}");
    assert_eq!(printed.lines().count(), rendered.lines().count(), "line breaks stay line breaks");

    let (mut list, ..) = listing();
    list.cases[0].case.title = title.into();
    let printed = terminal_safe(&super::list(&list, Mailbox::Outbox, &Names::default(), Lang::Zh)).into_owned();
    assert!(printed.contains("  走失儿童\\u001b[2J\\u202e [超期]"), "{printed}");
}

#[test]
fn a_problem_report_gives_title_code_detail_and_each_field_in_the_readers_language() {
    let problem = ClientError::Problem(RemoteProblem {
        status: 422,
        code: "validation_failed".into(),
        title: "请求内容有误".into(),
        detail: "有 2 处填写有误".into(),
        errors: vec![
            RemoteFieldError {
                field: "details.name".into(),
                code: "required".into(),
                zh: "请填写在逃人员姓名".into(),
                en: "give the fugitive's name".into(),
            },
            RemoteFieldError {
                field: "targets".into(),
                code: "required".into(),
                zh: "请选择协查单位".into(),
                en: "choose the stations to ask".into(),
            },
        ],
        duplicates: Box::default(),
    });
    assert_eq!(
        client_error(&problem, Lang::Zh),
        "请求内容有误（validation_failed）：有 2 处填写有误\n  - details.name：请填写在逃人员姓名\n  - targets：请选择协查单位"
    );
    let en = client_error(&problem, Lang::En);
    // The node's own words (it answers in the language asked for), set out the English way.
    assert!(en.starts_with("请求内容有误 (validation_failed): 有 2 处填写有误\n"), "{en}");
    assert!(en.contains("details.name") && en.contains("give the fugitive's name"), "{en}");
    assert!(en.contains("targets") && en.contains("choose the stations to ask"), "{en}");
    assert!(!en.contains("请填写在逃人员姓名"), "{en}");
}

#[test]
fn transport_certificate_and_answer_errors_say_what_to_check() {
    let url = "https://localhost:7443";
    let source = reqwest::Client::builder().use_preconfigured_tls(0u8).build().unwrap_err();
    let connect = ClientError::Connect { url: url.into(), source };
    let ClientError::Connect { source, .. } = &connect else { unreachable!() };
    assert_eq!(
        client_error(&connect, Lang::Zh),
        format!("无法连接 {url}：{source}。请检查地址，以及证书是否由对方信任的 CA 签发且未过期、未吊销。")
    );
    assert_eq!(
        client_error(&connect, Lang::En),
        format!(
            "no answer from {url}: {source}. Check the URL and that your certificate is trusted, current and not revoked."
        )
    );

    let tls = ClientError::Tls(crate::tls::TlsError::Pem {
        path: "/etc/tiemeng/officer.pem".into(),
        reason: "no certificate in the file".into(),
    });
    assert_eq!(client_error(&tls, Lang::Zh), "证书文件有误：/etc/tiemeng/officer.pem: no certificate in the file");
    assert_eq!(client_error(&tls, Lang::En), "certificate files: /etc/tiemeng/officer.pem: no certificate in the file");

    let decode = ClientError::Decode { url: format!("{url}/api/v1/me"), reason: "expected value".into() };
    assert_eq!(client_error(&decode, Lang::Zh), format!("无法读取 {url}/api/v1/me 的内容：expected value"));
    assert_eq!(client_error(&decode, Lang::En), format!("cannot read {url}/api/v1/me: expected value"));
}
