//! Human output of the officer commands: Chinese first, English with `--lang en`.

use std::fmt::Write as _;

use crate::api::cases::{CaseList, Me};
use crate::api::search::SearchResults;
use crate::case::{CaseRecord, TargetRecord};
use crate::client::ClientError;
use crate::clock::local_minute;
use crate::config::Role;
use crate::console::case_page::{body_text, people_time};
use crate::console::forms::detail_lines;
use crate::domain::lifecycle::ActionKind;
use crate::i18n::{Label, Lang};
use crate::node::CaseDetail;
use crate::node::peer_words::{peer_trouble, unreachable_cause};
use crate::store::Mailbox;

/// Station names to show for station ids, and which station is this one. Without them (the
/// default) ids are shown as they are.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// This station's id.
    pub home: Option<String>,
    names: std::collections::BTreeMap<String, String>,
}

impl Names {
    /// This station (`me`) and its partners.
    pub fn new(me: &Me, partners: &[crate::api::cases::StationView]) -> Self {
        let names = std::iter::once(&me.station).chain(partners).map(|s| (s.id.clone(), s.name.clone())).collect();
        Self { home: Some(me.station.id.clone()), names }
    }

    /// The name of station `id`, or the id of a station not known here.
    pub fn of<'a>(&'a self, id: &'a str) -> &'a str {
        self.names.get(id).map_or(id, String::as_str)
    }
}

/// `text` in brackets as each language writes them: （…） in Chinese, " (…)" in English.
pub(super) fn in_brackets(text: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("（{text}）"),
        Lang::En => format!(" ({text})"),
    }
}

/// A client error in words an officer can act on.
pub fn client_error(error: &ClientError, lang: Lang) -> String {
    match error {
        ClientError::Problem(problem) => {
            let mut out = match lang {
                Lang::Zh => format!("{}（{}）：{}", problem.title, problem.code, problem.detail),
                Lang::En => format!("{} ({}): {}", problem.title, problem.code, problem.detail),
            };
            for field in &problem.errors {
                let _ = write!(out, "\n  - {}{}{}", field.field, lang.pick("：", ": "), lang.pick(&field.zh, &field.en));
            }
            if !problem.duplicates.is_empty() {
                for found in &problem.duplicates {
                    let _ = write!(out, "\n  - {} {}", found.case, found.title);
                }
                out.push('\n');
                out.push_str(lang.pick(
                    "如确需再次发送，请加 --confirm-duplicate 重新执行。",
                    "To send it anyway, run the command again with --confirm-duplicate.",
                ));
            }
            out
        }
        ClientError::Connect { url, source } => lang
            .pick(
                &format!("无法连接 {url}：{source}。请检查地址，以及证书是否由对方信任的 CA 签发且未过期、未吊销。"),
                &format!("no answer from {url}: {source}. Check the URL and that your certificate is trusted, current and not revoked."),
            )
            .to_owned(),
        ClientError::Tls(e) => lang.pick(&format!("证书文件有误：{e}"), &format!("certificate files: {e}")).to_owned(),
        ClientError::Decode { url, reason } => {
            lang.pick(&format!("无法读取 {url} 的内容：{reason}"), &format!("cannot read {url}: {reason}")).to_owned()
        }
        ClientError::ReadFile { path, source } => match lang {
            Lang::Zh => format!("无法读取文件 {}：{}", path.display(), crate::i18n::io_error(source, lang)),
            Lang::En => format!("cannot read {}: {source}", path.display()),
        },
    }
}

/// `whoami`.
pub fn me(me: &Me, lang: Lang) -> String {
    let roles: Vec<&str> = me.roles.iter().map(|r: &Role| r.label(lang)).collect();
    match lang {
        Lang::Zh => format!("{}（警号 {}），{}，角色：{}", me.name, me.badge, me.station.name, roles.join("、")),
        Lang::En => format!("{} (badge {}), {}, roles: {}", me.name, me.badge, me.station.name, roles.join(", ")),
    }
}

/// After sending a file that was sent before under the same key: nothing went out now.
pub fn sent_before(case: &CaseRecord, lang: Lang) -> String {
    let when = crate::clock::local_minute(case.created_at);
    let said = match lang {
        Lang::Zh => format!("该协查已于 {when} 发出，未重复发送（如确需再次发送，请加 --again）。"),
        Lang::En => format!(
            "this request was already sent at {when} (Beijing time) and was not sent again (add --again to send it anyway)."
        ),
    };
    format!("{said}\n{}", sent(case, lang))
}

/// A case as officers name it: its reference number, with its id for the record.
fn named(case: &CaseRecord, lang: Lang) -> String {
    match &case.refno {
        Some(refno) => match lang {
            Lang::Zh => format!("{}（{}）", refno.label, case.id),
            Lang::En => format!("{} ({})", refno.label, case.id),
        },
        None => case.id.to_string(),
    }
}

/// After sending a request.
pub fn sent(case: &CaseRecord, lang: Lang) -> String {
    let targets: Vec<&str> = case.targets.iter().map(|t| t.station.as_str()).collect();
    match lang {
        Lang::Zh => format!(
            "已发出协查 {}\n  {}\n  发往：{}\n  签收时限：{}",
            named(case, lang),
            case.title,
            targets.join("、"),
            deadline(case, |t| t.ack_by)
        ),
        Lang::En => format!(
            "request sent: {}\n  {}\n  to: {}\n  acknowledge by: {}",
            named(case, lang),
            case.title,
            targets.join(", "),
            deadline(case, |t| t.ack_by)
        ),
    }
}

fn deadline(case: &CaseRecord, pick: fn(&TargetRecord) -> time::OffsetDateTime) -> String {
    case.targets.first().map(|t| local_minute(pick(t))).unwrap_or_default()
}

/// After an action.
pub fn updated(case: &CaseRecord, lang: Lang) -> String {
    let mut out = lang
        .pick(
            &format!("已更新协查 {}：{}", named(case, lang), case.title),
            &format!("case {} updated: {}", named(case, lang), case.title),
        )
        .to_owned();
    for target in &case.targets {
        let _ = write!(out, "\n  {} {}", target.station, target.state.label(lang));
    }
    out
}

/// A decisive outcome elsewhere: "犀溪派出所 已拦截 · 2026-12-07 14:05".
fn decisive_words(
    station: &str,
    outcome: crate::domain::case::Outcome,
    at: time::OffsetDateTime,
    lang: Lang,
) -> String {
    format!("{station} {} · {}", outcome.label(lang), local_minute(at))
}

/// After a handover.
pub fn handed_over(case: &CaseRecord, lang: Lang) -> String {
    lang.pick(
        &format!("已移交协查 {}：{}\n  承办人：{}", named(case, lang), case.title, handler_words(case, lang)),
        &format!("case {} handed over: {}\n  handler: {}", named(case, lang), case.title, handler_words(case, lang)),
    )
    .to_owned()
}

/// Who handles a case: 郑丽娟（350924002）, or that no one does.
fn handler_words(case: &CaseRecord, lang: Lang) -> String {
    officer_words(case.handler.as_ref(), lang)
}

fn officer_words(officer: Option<&crate::envelope::Signatory>, lang: Lang) -> String {
    match officer {
        Some(o) => format!("{}{}", o.name, in_brackets(o.badge.as_str(), lang)),
        None => lang.pick("无人承办", "unassigned").to_owned(),
    }
}

/// A handover in the timeline: 交接：张三 → 李四, who did it if someone else, and the note.
fn handover_lines(handover: &crate::node::HandoverView, lang: Lang) -> String {
    let check = if handover.verified {
        lang.pick("签名有效", "signature valid")
    } else {
        lang.pick("签名无效", "SIGNATURE INVALID")
    };
    let mut out = format!(
        "\n  {}  {}{}{} → {}  [{check}]",
        local_minute(handover.at),
        lang.pick("交接", "handover"),
        lang.pick("：", ": "),
        officer_words(handover.from.as_ref(), lang),
        officer_words(handover.to.as_ref(), lang),
    );
    if handover.by != handover.from {
        let _ = write!(out, "\n    {}{}", lang.pick("经办：", "by "), officer_words(handover.by.as_ref(), lang));
    }
    if let Some(note) = &handover.note {
        let _ = write!(out, "\n    {note}");
    }
    out
}

/// A listing as a table.
pub fn list(list: &CaseList, mailbox: Mailbox, names: &Names, lang: Lang) -> String {
    let heading = match (mailbox, lang) {
        (Mailbox::Inbox, Lang::Zh) => "收到的协查",
        (Mailbox::Outbox, Lang::Zh) => "发出的协查",
        (Mailbox::Inbox, Lang::En) => "received requests",
        (Mailbox::Outbox, Lang::En) => "sent requests",
    };
    let mut out = match lang {
        Lang::Zh => format!("{heading}（{}）", list.cases.len()),
        Lang::En => format!("{heading} ({})", list.cases.len()),
    };
    if list.cases.is_empty() {
        out.push_str(lang.pick("\n  （无）", "\n  (none)"));
    }
    for item in &list.cases {
        let case = &item.case;
        let states: Vec<String> = case
            .targets
            .iter()
            .map(|t| format!("{} {}{}", names.of(t.station.as_str()), t.state.label(lang), suggestion(t, names, lang)))
            .collect();
        let overdue = if item.overdue.is_empty() { "" } else { lang.pick(" [超期]", " [OVERDUE]") };
        let flag = if case.same_subject.is_empty() { "" } else { lang.pick(" [一人多次]", " [same subject]") };
        let decisive = names
            .home
            .as_deref()
            .and_then(|home| home.parse().ok())
            .and_then(|home| case.decisive_elsewhere(&home))
            .and_then(|t| Some(decisive_words(names.of(t.station.as_str()), t.outcome?, t.resolved_at?, lang)))
            .map(|words| format!(" [{words}]"))
            .unwrap_or_default();
        let flag = format!("{decisive}{flag}");
        let number = case.refno.as_ref().map(|r| format!("{}  ", r.label)).unwrap_or_default();
        let _ = write!(
            out,
            "\n{number}{}  {} {}  {}{overdue}{flag}\n    {}  {}  {}{}",
            case.id,
            case.priority.label(lang),
            case.kind.label(lang),
            case.title,
            local_minute(case.created_at),
            if mailbox == Mailbox::Inbox {
                // This station's own state of the request, the one it acts on.
                let ours = case.targets.iter().find(|t| names.home.as_deref() == Some(t.station.as_str()));
                let state = ours.map(|t| format!("  {}", t.state.label(lang))).unwrap_or_default();
                format!("{} {}{state}", lang.pick("来自", "from"), names.of(case.origin.as_str()))
            } else {
                states.join(lang.pick("；", "; "))
            },
            lang.pick("承办人：", "handler: "),
            handler_words(case, lang),
        );
    }
    if let Some(next) = &list.next {
        let _ = write!(out, "\n{}{next}", lang.pick("下一页：--cursor ", "next page: --cursor "));
    }
    out
}

/// Cases found by `case search`: one line a case with its reference number, kind, title,
/// partner, state and where the words matched.
pub fn search(found: &SearchResults, words: &str, names: &Names, lang: Lang) -> String {
    let mut out = match lang {
        Lang::Zh => format!("搜索“{words}”：{} 件", found.results.len()),
        Lang::En => format!("search “{words}”: {} case(s)", found.results.len()),
    };
    if found.results.is_empty() {
        out.push_str(lang.pick("\n  （无）", "\n  (none)"));
    }
    for result in &found.results {
        let case = &result.case;
        let number = case.refno.as_ref().map_or_else(|| case.id.to_string(), |r| r.label.clone());
        let home = names.home.as_deref();
        let partners: Vec<String> = if home == Some(case.origin.as_str()) {
            case.targets.iter().map(|t| format!("{} {}", names.of(t.station.as_str()), t.state.label(lang))).collect()
        } else {
            let ours = case.targets.iter().find(|t| home == Some(t.station.as_str()));
            let state = ours.map(|t| format!(" {}", t.state.label(lang))).unwrap_or_default();
            vec![format!("{} {}{state}", lang.pick("来自", "from"), names.of(case.origin.as_str()))]
        };
        let matched: Vec<&str> = result.matched.iter().map(|f| f.label(lang)).collect();
        let matched = if matched.is_empty() {
            String::new()
        } else {
            format!("  {}{}", lang.pick("匹配：", "matched: "), matched.join(lang.pick("、", ", ")))
        };
        let overdue = if result.overdue.is_empty() { "" } else { lang.pick(" [超期]", " [OVERDUE]") };
        let _ = write!(
            out,
            "\n{number}  {}  {}{overdue}\n    {}  {}{matched}",
            case.kind.label(lang),
            case.title,
            local_minute(case.created_at),
            partners.join(lang.pick("；", "; ")),
        );
    }
    if let Some(next) = &found.next {
        let _ = write!(out, "\n{}{next}", lang.pick("下一页：--cursor ", "next page: --cursor "));
    }
    out
}

/// The station a declined target suggested instead, in brackets; empty otherwise.
fn suggestion(target: &TargetRecord, names: &Names, lang: Lang) -> String {
    match &target.suggested_station {
        Some(s) if target.state == crate::domain::lifecycle::TargetState::Declined => {
            in_brackets(&format!("{}{}", lang.pick("建议改发：", "suggested: "), names.of(s.as_str())), lang)
        }
        _ => String::new(),
    }
}

/// One case with its timeline.
pub fn detail(detail: &CaseDetail, names: &Names, lang: Lang) -> String {
    let case = &detail.case;
    let number = case.refno.as_ref().map(|r| format!("{} | ", r.label)).unwrap_or_default();
    let mut out = format!(
        "{}\n{} {} | {number}{}\n{}{}\n{}{}\n{}{}",
        case.title,
        case.priority.label(lang),
        case.kind.label(lang),
        case.id,
        lang.pick("发起单位：", "origin: "),
        names.of(case.origin.as_str()),
        lang.pick("承办人：", "handler: "),
        handler_words(case, lang),
        lang.pick("摘要：", "summary: "),
        case.summary,
    );
    if let Some(decisive) = &detail.decisive {
        let _ = write!(
            out,
            "\n>> {}",
            decisive_words(names.of(decisive.station.as_str()), decisive.outcome, decisive.at, lang)
        );
    }
    if let Some(offer) = &detail.stand_down {
        let stations: Vec<&str> = offer.targets.iter().map(|t| names.of(t.as_str())).collect();
        let _ = write!(
            out,
            "\n>> {}{}{}",
            lang.pick("可一并撤回其余单位：", "the rest can be stood down: "),
            stations.join(lang.pick("、", ", ")),
            lang.pick(
                &format!("（tiemeng case stand-down {} --reason {}）", case.id, offer.reason),
                &format!(" (tiemeng case stand-down {} --reason {})", case.id, offer.reason),
            ),
        );
    }
    if !case.restrictions.is_empty() {
        let labels: Vec<&str> = case.restrictions.iter().map(|r| r.label(lang)).collect();
        let _ = write!(out, "\n{}{}", lang.pick("处置限制：", "restrictions: "), labels.join(lang.pick("、", ", ")));
    }
    // The request as the console shows it: the kind's facts, the background, whom to call.
    let colon = lang.pick("：", ": ");
    for (label, lines) in detail_lines(case.kind, &detail.request["details"], lang) {
        let _ = write!(out, "\n{label}{colon}{}", lines.join(lang.pick("；", "; ")));
    }
    let facts = [
        (lang.pick("情况说明", "background"), &detail.request["narrative"]),
        (lang.pick("联系人", "contact"), &detail.request["contact"]),
        (lang.pick("本地案件编号", "their case number"), &detail.request["reference"]),
    ];
    for (label, value) in facts {
        if let Some(text) = value.as_str().filter(|t| !t.trim().is_empty()) {
            let _ = write!(out, "\n{label}{colon}{text}");
        }
    }
    let name = |s: &crate::ids::StationId| names.of(s.as_str()).to_owned();
    if let Some(from) = detail.request["redirected_from"].as_object() {
        let words = crate::console::letter::redirected_words(from, &name, lang);
        let _ = write!(out, "\n{}{colon}{words}", lang.pick("改发自", "redirected from"));
    }
    for redirect in &detail.redirects {
        let to: Vec<String> = redirect.to.iter().map(name).collect();
        let number = redirect.refno.clone().unwrap_or_else(|| redirect.case.to_string());
        let _ = write!(
            out,
            "\n{}{colon}{number} {} {}{}",
            lang.pick("已改发", "redirected"),
            lang.pick("至", "to"),
            to.join(lang.pick("、", ", ")),
            in_brackets(&format!("{}{}", name(&redirect.declined_by), lang.pick("退回", " declined")), lang),
        );
    }
    for target in &case.targets {
        let _ = write!(
            out,
            "\n  {} {}{}  {} {}  {} {}",
            names.of(target.station.as_str()),
            target.state.label(lang),
            suggestion(target, names, lang),
            lang.pick("签收时限", "ack by"),
            local_minute(target.ack_by),
            lang.pick("反馈时限", "report by"),
            local_minute(target.report_by),
        );
    }
    out.push_str(&super::attach::lines(detail, names, lang));
    for target in &case.co_targets {
        let outcome = target.outcome.map(|o| format!("  {}", o.label(lang))).unwrap_or_default();
        let _ = write!(
            out,
            "\n  {}{} {}{outcome}",
            lang.pick("（转告）", "(relayed) "),
            names.of(target.station.as_str()),
            target.state.label(lang),
        );
    }
    for partner in &detail.unreachable {
        let _ = write!(
            out,
            "\n  {}",
            match lang {
                Lang::Zh => format!(
                    "{} 节点不可达（自 {}{}），本站队列中待投递 {} 份；恢复后按序送达",
                    names.of(partner.station.as_str()),
                    local_minute(partner.since),
                    unreachable_cause(&partner.code, lang).map(|c| format!("，{c}")).unwrap_or_default(),
                    partner.queued
                ),
                Lang::En => format!(
                    "{} cannot be reached (since {}{}); {} envelopes wait here and go in order once it is back",
                    names.of(partner.station.as_str()),
                    local_minute(partner.since),
                    unreachable_cause(&partner.code, lang).map(|c| format!(": {c}")).unwrap_or_default(),
                    partner.queued
                ),
            }
        );
    }
    for refused in &detail.refused {
        let _ = write!(
            out,
            "\n  {}{} → {}{}{}{} {}",
            lang.pick("对方拒收：", "refused: "),
            refused.letter.kind.label(lang),
            names.of(refused.station.as_str()),
            lang.pick("：", ": "),
            peer_trouble(&refused.letter.code, "", lang),
            in_brackets(&format!("{} {}", refused.letter.code, refused.letter.message), lang),
            lang.pick("——请联系本站系统管理员处理后重新投递", "— ask this station's admin to send it again"),
        );
    }
    for overdue in &detail.overdue {
        let _ = write!(
            out,
            "\n  {}{} {}",
            lang.pick("超期：", "overdue: "),
            names.of(overdue.station.as_str()),
            crate::console::lists::duration_words(overdue.minutes_overdue, lang)
        );
    }
    for linked in &detail.same_subject {
        let _ = write!(out, "\n  {}{} {}", lang.pick("一人多次：", "same subject: "), linked.id, linked.title);
    }
    out.push_str(lang.pick("\n时间线：", "\ntimeline:"));
    for item in detail.timeline_items() {
        let entry = match item {
            crate::node::TimelineItem::Envelope(entry) => entry,
            crate::node::TimelineItem::Handover(handover) => {
                out.push_str(&handover_lines(handover, lang));
                continue;
            }
        };
        let who = entry
            .officer
            .as_ref()
            .map(|o| format!("{}{}", o.name, in_brackets(o.badge.as_str(), lang)))
            .unwrap_or_default();
        let check = if entry.verified {
            lang.pick("签名有效", "signature valid")
        } else {
            lang.pick("签名无效", "SIGNATURE INVALID")
        };
        let _ = write!(
            out,
            "\n  {}  {} {} {}  [{}]",
            local_minute(entry.at),
            names.of(entry.from.as_str()),
            who,
            entry.kind.label(lang),
            check
        );
        let said = body_text(entry, lang);
        if !said.trim().is_empty() {
            let _ = write!(out, "\n    {said}");
        }
        for receipt in &entry.receipts {
            let _ = write!(
                out,
                "\n    {}{} {}",
                lang.pick("回执：", "receipt: "),
                names.of(&receipt.station),
                receipt.stored_at.as_deref().map_or_else(|| "?".to_owned(), people_time)
            );
        }
    }
    if !detail.actions.is_empty() {
        // Each with the command that takes it: `tiemeng case remind` takes a reminder.
        let actions: Vec<String> = detail
            .actions
            .iter()
            .map(|action| {
                let command = if *action == ActionKind::Reminder { "remind" } else { action.as_str() };
                format!("{}{}", action.label(lang), in_brackets(command, lang))
            })
            .collect();
        let _ = write!(
            out,
            "\n{}{}",
            lang.pick("可进行的操作：", "available actions: "),
            actions.join(lang.pick("、", ", "))
        );
    }
    out
}

#[cfg(test)]
mod tests {
    //! What the officer commands print, built from the crate's own records: the words and
    //! figures people act on, in Chinese and in English.

    use time::macros::datetime;
    use time::{Duration, OffsetDateTime};

    use super::*;
    use crate::api::cases::{ListedCase, StationView};
    use crate::client::{RemoteFieldError, RemoteProblem};
    use crate::domain::case::{Priority, Restriction};
    use crate::domain::details::CaseKind;
    use crate::domain::lifecycle::TargetState;
    use crate::domain::text::terminal_safe;
    use crate::envelope::{Body, Envelope, Kind, Signatory};
    use crate::ids::{CaseId, EnvelopeId, StationId};
    use crate::node::{LinkedCase, OverdueTarget, ReceiptView, TimelineEntry};

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
            same_subject: vec![LinkedCase {
                id: linked, title: "协查在逃人员郑某".into(), origin: station(XIXI)
            }],
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
                id: LUOYANG.into(),
                name: "泰顺县公安局罗阳派出所".into(),
                division: "330329".into(),
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
            station: crate::api::cases::StationView {
                id: LUOYANG.into(),
                name: "罗阳".into(),
                division: String::new(),
            },
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
        let station_view =
            |id: &str, name: &str| StationView { id: id.into(), name: name.into(), division: String::new() };
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
            refusals[0].starts_with("  refused: assist request → zj-cangnan-mazhan")
                && refusals[0].contains("unknown_key")
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
        assert_eq!(
            client_error(&tls, Lang::En),
            "certificate files: /etc/tiemeng/officer.pem: no certificate in the file"
        );

        let decode = ClientError::Decode { url: format!("{url}/api/v1/me"), reason: "expected value".into() };
        assert_eq!(client_error(&decode, Lang::Zh), format!("无法读取 {url}/api/v1/me 的内容：expected value"));
        assert_eq!(client_error(&decode, Lang::En), format!("cannot read {url}/api/v1/me: expected value"));
    }
}
