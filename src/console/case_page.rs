//! The case page: per-target state and deadlines, the request as signed, the signed timeline
//! (who, which station, when, signature checked), same-subject links, and a form for each
//! action this officer may take now, each needing an explicit confirmation.

use axum::extract::{Path, Query};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::forms::detail_lines;
use super::layout::{self, Section, multiline};
use super::lists::duration_words;
use super::{ErrorPage, Page};
use crate::clock::local_minute;
use crate::domain::case::{DeclineReason, Outcome, WithdrawReason};
use crate::domain::lifecycle::ActionKind;
use crate::i18n::{Label, Lang};
use crate::ids::{CaseId, StationId};
use crate::node::{CaseDetail, Node, TimelineEntry, TimelineItem};

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The case named `raw` in a path or form: its id or its reference number (see
/// [`Node::resolve_case`]).
pub(super) fn case_id(node: &Node, raw: &str, lang: Lang) -> Result<CaseId, ErrorPage> {
    node.resolve_case(raw).map_err(|e| ErrorPage::from_node(&e, lang))
}

#[derive(Deserialize)]
pub struct Open {
    #[serde(default)]
    q: String,
}

/// `GET /console/open?q=…`: the top bar's box, where an officer types a reference number
/// (泰罗阳协〔2026〕12号, 2026-12) or a case id; goes to that case's page.
pub async fn open(page: Page, Query(open): Query<Open>) -> Result<Redirect, ErrorPage> {
    page.officer.require(crate::node::READERS).map_err(|e| ErrorPage::from_node(&e, page.lang))?;
    let id = case_id(&page.node, &open.q, page.lang)?;
    Ok(Redirect::to(&format!("/console/cases/{id}")))
}

/// `GET /console/cases/{id}` (the read is audited).
pub async fn show(page: Page, Path(id): Path<String>, Query(done): Query<Done>) -> Result<Markup, ErrorPage> {
    let id = case_id(&page.node, &id, page.lang)?;
    let detail = page.node.read_case(&page.officer, id).await.map_err(|e| ErrorPage::from_node(&e, page.lang))?;
    let notice = done.done.as_deref().map(|action| done_text(action, page.lang));
    Ok(render(&page, &detail, notice.as_deref(), None))
}

fn done_text(action: &str, lang: Lang) -> String {
    let what = match action.parse::<ActionKind>() {
        _ if action == "sent" => lang.pick("协查请求已签名并发出。", "The request was signed and sent."),
        _ if action == STAND_DOWN => {
            lang.pick("其余单位已撤回，并已转告各单位。", "The rest were stood down; every station is told.")
        }
        _ if action == super::handover::ACTION => {
            lang.pick("已移交，交接记录已签名。", "Handed over; the handover is signed.")
        }
        Ok(ActionKind::Ack) => lang.pick("已签收。", "Acknowledged."),
        Ok(ActionKind::Decline) => lang.pick("已退回。", "Declined."),
        Ok(ActionKind::Note) => lang.pick("补充说明已发送。", "Note sent."),
        Ok(ActionKind::Reminder) => lang.pick("已催办。", "Reminder sent."),
        Ok(ActionKind::Outcome) => lang.pick("反馈已发送。", "Outcome reported."),
        Ok(ActionKind::Close) => lang.pick("已办结并评价。", "Closed and evaluated."),
        Ok(ActionKind::Withdraw) => lang.pick("已撤回。", "Withdrawn."),
        Ok(ActionKind::Forward) => {
            lang.pick("已转发，并已告知发起单位。", "Forwarded; the requesting station was told.")
        }
        Err(_) => lang.pick("已完成。", "Done."),
    };
    what.to_owned()
}

fn station_name(page: &Page, id: &StationId) -> String {
    if id == page.node.station() {
        return page.node.config().station.name.clone();
    }
    page.node.config().peer(id).map_or_else(|| id.to_string(), |p| p.name.clone())
}

pub(super) fn render(page: &Page, detail: &CaseDetail, notice: Option<&str>, error: Option<&str>) -> Markup {
    let lang = page.lang;
    let case = &detail.case;
    let content = html! {
        h1 { (case.title) }
        @if let Some(refno) = &case.refno { p.refno { (lang.pick("协查文号 ", "Reference ")) strong { (refno.label) } } }
        p { a.letter-link href={ "/console/cases/" (case.id) "/letter" } { (lang.pick("打印协查函", "Print the letter (协查函)")) } }
        @if let Some(text) = notice { (layout::notice("notice", text)) }
        @if let Some(text) = error { div.box.error role="alert" { (text) } }
        @if let Some(decisive) = &detail.decisive {
            div.box.decisive role="status" {
                strong { (decisive_words(page, &decisive.station, decisive.outcome, decisive.at, page.node.clock().now())) }
                " " (lang.pick(
                    if case.origin == *page.node.station() { "：如无需其余单位继续查找，可一并撤回。" } else { "：本站可停止查找，等待发起单位撤回。" },
                    if case.origin == *page.node.station() { ": the other stations can be stood down at once." } else { ": this station can stop searching; the requesting station will stand it down." },
                ))
            }
        }
        @for partner in &detail.unreachable {
            div.box.error role="status" {
                strong { (station_name(page, &partner.station)) } " "
                (lang.pick("节点不可达", "cannot be reached"))
                " · " (lang.pick("自 ", "since ")) (local_minute(partner.since)) @if let Some(cause) = crate::node::peer_words::unreachable_cause(&partner.code, lang) { " · " (cause) } " · "
                (lang.pick(&format!("本站队列中待投递 {} 份，恢复后按序送达；期限自送达起计算。", partner.queued),
                    &format!("{} envelopes wait here and go in order once it is back; its deadlines run from delivery.", partner.queued)))
            }
        }
        div.box {
            dl.facts {
                dt { (lang.pick("类型", "Kind")) } dd { (case.kind.label(lang)) " · " (case.priority.label(lang)) }
                dt { (lang.pick("发起单位", "Requesting station")) } dd { (station_name(page, &case.origin)) }
                dt { (lang.pick("发起时间", "Sent")) } dd { (local_minute(case.created_at)) }
                (super::handover::handler_fact(detail, lang))
                dt { (lang.pick("摘要", "Summary")) } dd { (case.summary) }
                @if !case.restrictions.is_empty() {
                    dt { (lang.pick("处置限制", "Restrictions")) }
                    dd { @for r in &case.restrictions { span.badge.flag { (r.label(lang)) } " " } }
                }
                @if let Some(review) = case.review_by { dt { (lang.pick("复核日期", "Review by")) } dd { (review) } }
                @if let Some(from) = detail.request["forwarded_from"]["station"].as_str() {
                    dt { (lang.pick("转发自", "Forwarded from")) }
                    dd { (from.parse().map(|s| station_name(page, &s)).unwrap_or_else(|_: crate::ids::IdError| from.to_owned())) " · " (detail.request["forwarded_from"]["case"].as_str().unwrap_or_default()) }
                }
                (super::redirect::facts(page, detail))
                @if let Some(refno) = &case.refno { dt { (lang.pick("协查文号", "Reference")) } dd { (refno.label) } }
                dt { (lang.pick("编号", "Case id")) } dd.muted { (case.id) }
            }
        }
        h2 { (lang.pick("各协查单位状态", "Targets")) }
        table {
            thead { tr {
                th { (lang.pick("单位", "Station")) } th { (lang.pick("状态", "State")) }
                th { (lang.pick("签收时限", "Ack by")) } th.optional { (lang.pick("签收时间", "Acked")) }
                th { (lang.pick("反馈时限", "Report by")) } th.optional { (lang.pick("结果", "Outcome")) }
            } }
            tbody {
                @for target in &case.targets {
                    @let overdue = detail.overdue.iter().find(|o| o.station == target.station);
                    // After a decisive outcome elsewhere the deadline still stands (both ends
                    // count it alike) but is no alarm: the search is over.
                    @let alarm = overdue.filter(|_| detail.decisive.is_none());
                    tr class=[alarm.map(|_| "overdue")] {
                        td { (station_name(page, &target.station)) }
                        td {
                            span.badge.state { (target.state.label(lang)) }
                            @if let Some(o) = overdue { " " span class={ "badge " @if alarm.is_some() { "overdue" } @else { "flag" } } { (lang.pick("超期", "overdue")) " " (duration_words(o.minutes_overdue, lang)) } }
                            @if target.reminders > 0 { " " span.muted { (lang.pick("催办", "reminders")) " ×" (target.reminders) } }
                        }
                        td { (local_minute(target.ack_by)) }
                        td.optional { @if let Some(at) = target.acked_at { (local_minute(at)) } }
                        td { (local_minute(target.report_by)) }
                        td.optional {
                            @if let Some(outcome) = target.outcome { (outcome.label(lang)) " (" (target.outcome_count) ")" }
                            @if let Some(e) = target.evaluation { br; (lang.pick("满意度", "evaluation")) " " (e) "/5" }
                            @if let Some(reason) = target.decline_reason { (lang.pick("退回：", "declined: ")) (reason.label(lang)) }
                            @if let Some(s) = &target.suggested_station { br; (lang.pick("建议改发：", "suggested instead: ")) (station_name(page, s)) }
                        }
                    }
                }
            }
        }
        (super::redirect::buttons(page, detail))
        @if !case.co_targets.is_empty() {
            h2 { (lang.pick("其他协查单位（发起单位转告）", "Other stations asked (as the requesting station relays)")) }
            table.co-targets {
                thead { tr {
                    th { (lang.pick("单位", "Station")) } th { (lang.pick("状态", "State")) }
                    th.optional { (lang.pick("签收时间", "Acked")) } th { (lang.pick("结果", "Outcome")) }
                } }
                tbody {
                    @for target in &case.co_targets {
                        tr {
                            td { (station_name(page, &target.station)) }
                            td { span.badge.state { (target.state.label(lang)) } }
                            td.optional { @if let Some(at) = target.acked_at { (local_minute(at)) } }
                            td {
                                @if let Some(outcome) = target.outcome { (outcome.label(lang)) " (" (target.outcome_count) ")" }
                                @if let Some(at) = target.resolved_at { " · " (local_minute(at)) }
                                @if let Some(reason) = target.decline_reason { (lang.pick("退回：", "declined: ")) (reason.label(lang)) }
                            }
                        }
                    }
                }
            }
        }
        @if !detail.refused.is_empty() {
            div.box.refused {
                span.badge.overdue { (lang.pick("对方拒收", "refused")) }
                " " (lang.pick(
                    "以下报文被对方拒收，未送达。请联系本站系统管理员查明原因，处理后重新投递。",
                    "The partner refused these envelopes for good; they were not delivered. Ask this station's admin to find the cause and send them again.",
                ))
                ul { @for r in &detail.refused {
                    li { (r.letter.kind.label(lang)) " → " (station_name(page, &r.station)) " · " (local_minute(r.letter.at)) " · " (layout::trouble(&r.letter.code, &r.letter.message, lang)) }
                } }
            }
        }
        @if !detail.same_subject.is_empty() {
            div.box {
                span.badge.flag { (lang.pick("一人多次", "same subject")) }
                " " (lang.pick("以下未办结协查涉及同一人员、车辆或案件：", "these open cases name the same person, vehicle or case:"))
                ul { @for linked in &detail.same_subject { li { a href={ "/console/cases/" (linked.id) } { (linked.title) } " · " (station_name(page, &linked.origin)) } } }
            }
        }
        h2 { (lang.pick("协查内容", "The request")) }
        (request_facts(&detail.request, case.kind, lang))
        (super::case_files::section(page, detail))
        @if !detail.actions.is_empty() || !detail.handover_to.is_empty() || detail.stand_down.is_some() {
            h2 { (lang.pick("办理", "Actions")) }
            div.actions {
                @if let Some(offer) = &detail.stand_down { (stand_down_form(page, detail, offer)) }
                @for action in &detail.actions { (action_form(page, detail, *action)) }
                (super::handover::form(page, detail))
            }
        }
        h2 { (lang.pick("签名时间线", "Signed timeline")) }
        ol.timeline {
            @for item in detail.timeline_items() {
                @match item {
                    TimelineItem::Envelope(entry) => (timeline_entry(page, entry)),
                    TimelineItem::Handover(handover) => (super::handover::timeline_entry(handover, lang)),
                }
            }
        }
    };
    layout::page(page, &case.title, Section::Case(case.id), content)
}

fn request_facts(request: &Value, kind: crate::domain::details::CaseKind, lang: Lang) -> Markup {
    html! {
        div.box { dl.facts {
            @for (label, lines) in detail_lines(kind, &request["details"], lang) {
                dt { (label) }
                dd { @for line in lines { div { (line) } } }
            }
            dt { (lang.pick("情况说明", "Background")) } dd { (multiline(request["narrative"].as_str().unwrap_or_default())) }
            dt { (lang.pick("联系人", "Contact")) } dd { (request["contact"].as_str().unwrap_or_default()) }
            @if let Some(reference) = request["reference"].as_str() { dt { (lang.pick("本地案件编号", "Their case number")) } dd { (reference) } }
        } }
    }
}

/// A time as the node writes it (RFC 3339) as people read it: Beijing time, to the minute.
pub(crate) fn people_time(text: &str) -> String {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_or_else(|_| text.to_owned(), local_minute)
}

/// What an entry of the timeline says, in words: the console and `tiemeng case show` alike.
pub(crate) fn body_text(entry: &TimelineEntry, lang: Lang) -> String {
    let body = &entry.body;
    let text = |key: &str| body[key].as_str().unwrap_or_default().to_owned();
    match entry.kind.as_str() {
        "request" => text("title"),
        "ack" => [
            text("message"),
            body["report_by"]
                .as_str()
                .map(|t| format!("{}{}", lang.pick("承诺反馈时间：", "report by: "), people_time(t)))
                .unwrap_or_default(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · "),
        "decline" => {
            let reason = body["reason"]
                .as_str()
                .and_then(|r| r.parse::<DeclineReason>().ok())
                .map(|r| r.label(lang).to_owned())
                .unwrap_or_default();
            let suggested = body["suggested_station"]
                .as_str()
                .map(|station| format!("{}{station}", lang.pick("；建议改发：", "; suggested instead: ")))
                .unwrap_or_default();
            format!("{reason}{}{}{suggested}", lang.pick("：", ": "), text("message"))
        }
        "note" => text("text"),
        "reminder" => text("message"),
        "outcome" => {
            let outcome = body["outcome"]
                .as_str()
                .and_then(|o| o.parse::<Outcome>().ok())
                .map(|o| o.label(lang).to_owned())
                .unwrap_or_default();
            match lang {
                Lang::Zh => format!("{outcome}（{}）：{}", body["count"], text("narrative")),
                Lang::En => format!("{outcome} ({}): {}", body["count"], text("narrative")),
            }
        }
        "close" => format!("{}{}/5 {}", lang.pick("满意度 ", "evaluation "), body["evaluation"], text("comment")),
        "withdraw" => {
            let reason = body["reason"]
                .as_str()
                .and_then(|r| r.parse::<WithdrawReason>().ok())
                .map(|r| r.label(lang).to_owned())
                .unwrap_or_default();
            format!("{reason} {}", text("message"))
        }
        // What a relay carries is shown beside it (its signer, kind and signature); its words
        // are the relayed envelope's own.
        "relay" => {
            let inner = serde_json::from_value::<crate::envelope::body::RelayBody>(body.clone())
                .ok()
                .and_then(|relay| crate::envelope::Envelope::from_stored(&relay.inner_wire()).ok());
            match inner {
                Some(inner) => {
                    let shown = TimelineEntry {
                        kind: inner.kind(),
                        body: serde_json::to_value(&inner.body).unwrap_or_default(),
                        ..entry.clone()
                    };
                    body_text(&shown, lang)
                }
                None => String::new(),
            }
        }
        _ => String::new(),
    }
}

/// The line a decisive outcome elsewhere shows as: "犀溪派出所 已拦截 · 14:05" (the date too
/// when it was not today).
pub(crate) fn decisive_words(
    page: &Page,
    station: &StationId,
    outcome: Outcome,
    at: time::OffsetDateTime,
    now: time::OffsetDateTime,
) -> String {
    format!("{} {} · {}", station_name(page, station), outcome.label(page.lang), super::lists::short_time(at, now))
}

/// 其余单位撤回: one form, the reason that fits the outcome preselected.
fn stand_down_form(page: &Page, detail: &CaseDetail, offer: &crate::node::StandDownOffer) -> Markup {
    let lang = page.lang;
    let names: Vec<String> = offer.targets.iter().map(|t| station_name(page, t)).collect();
    html! {
        form.stand-down method="post" action={ "/console/cases/" (detail.case.id) "/" (STAND_DOWN) } {
            (layout::token_field(page))
            strong { (lang.pick("其余单位撤回", "Stand the rest down")) }
            p { (lang.pick("将撤回：", "Withdraws: ")) (names.join(lang.pick("、", ", "))) }
            label for="stand-down-reason" { (lang.pick("原因", "Reason")) }
            select id="stand-down-reason" name="reason" {
                @for r in WithdrawReason::ALL { option value=(r.as_str()) selected[*r == offer.reason] { (r.label(lang)) } }
            }
            input type="text" name="message" aria-label=(lang.pick("说明", "explanation")) placeholder=(lang.pick("说明（可选）", "explanation (optional)"));
            p { (confirm(lang)) }
            button type="submit" class="danger" { (lang.pick("撤回其余单位", "Withdraw the rest")) }
        }
    }
}

/// The path segment of the stand-down form.
pub(super) const STAND_DOWN: &str = "stand-down";

fn timeline_entry(page: &Page, entry: &TimelineEntry) -> Markup {
    let lang = page.lang;
    html! {
        li {
            strong { (entry.kind.label(lang)) }
            " · " (station_name(page, &entry.from))
            @if let Some(officer) = &entry.officer { " · " (officer.name) "（" (officer.badge) "）" }
            @if !entry.superseded_for.is_empty() {
                " " span.badge.flag title=(lang.pick(
                    "双方操作在传输中交叉；按双方一致的顺序，对方的操作在先，本条未生效",
                    "Both sides acted at once; in the order both nodes agree on, the other side's action came first",
                )) {
                    (lang.pick("未生效：", "no effect: "))
                    @for (i, station) in entry.superseded_for.iter().enumerate() {
                        @if i > 0 { "、" }
                        (station_name(page, station))
                    }
                }
            }
            @if let Some(relayed) = &entry.relayed {
                div {
                    (station_name(page, &relayed.from)) " · " (relayed.kind.label(lang)) " "
                    @if relayed.verified {
                        span.badge.ok { "✓ " (lang.pick("原报文签名已验证", "its own signature verified")) }
                    } @else {
                        span.badge.flag title=(lang.pick("本站未持有该单位公钥，以发起单位的签名为凭", "this station holds no key of that station; the requesting station's signature vouches for it")) {
                            (lang.pick("以发起单位签名为凭", "on the requesting station's word"))
                        }
                    }
                }
            }
            div { (multiline(&body_text(entry, lang))) }
            div.meta {
                (local_minute(entry.at)) " · "
                @if entry.verified {
                    span.badge.ok { "✓ " (lang.pick("签名已验证", "signature verified")) }
                } @else {
                    span.badge.bad { "✗ " (lang.pick("签名无效", "signature invalid")) " " (entry.problem.clone().unwrap_or_default()) }
                }
                " " span.muted { (entry.key) }
                @for receipt in &entry.receipts {
                    " · " (lang.pick("回执：", "receipt: ")) (receipt.station.parse().map(|s| station_name(page, &s)).unwrap_or_else(|_: crate::ids::IdError| receipt.station.clone()))
                    @if let Some(at) = receipt.stored_at.as_deref().and_then(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()) { " " (local_minute(at)) }
                    @if receipt.verified { " ✓" } @else { " ✗" }
                }
            }
        }
    }
}

fn confirm(lang: Lang) -> Markup {
    html! { label.inline { input type="checkbox" name="confirm" value="yes" required; (lang.pick("确认无误", "I confirm")) } }
}

fn targets_choice(page: &Page, detail: &CaseDetail) -> Markup {
    let lang = page.lang;
    html! {
        @if detail.case.origin == *page.node.station() && detail.case.targets.len() > 1 {
            div { (lang.pick("单位（不选则全部适用单位）：", "Stations (none ticked: all that apply):")) br;
                @for t in &detail.case.targets { label.inline { input type="checkbox" name="targets" value=(t.station); (station_name(page, &t.station)) } }
            }
        }
    }
}

fn action_form(page: &Page, detail: &CaseDetail, action: ActionKind) -> Markup {
    let lang = page.lang;
    let id = detail.case.id;
    let kind = detail.case.kind;
    html! {
        form method="post" action={ "/console/cases/" (id) "/" (action) } enctype=[(action == ActionKind::Note).then_some("multipart/form-data")] {
            (layout::token_field(page))
            @match action {
                ActionKind::Ack => {
                    strong { (lang.pick("签收", "Acknowledge")) }
                    label for="ack-report-by" { (lang.pick("承诺首次反馈时间（可选，北京时间）", "First report by (optional, Beijing time)")) }
                    input type="datetime-local" id="ack-report-by" name="report_by";
                    label for="ack-message" { (lang.pick("留言", "Message")) }
                    input type="text" id="ack-message" name="message";
                },
                ActionKind::Decline => {
                    strong { (lang.pick("退回", "Decline")) }
                    label for="decline-reason" { (lang.pick("原因", "Reason")) }
                    select id="decline-reason" name="reason" { @for r in DeclineReason::ALL { option value=(r.as_str()) { (r.label(lang)) } } }
                    label for="decline-message" { (lang.pick("说明", "Explanation")) }
                    textarea id="decline-message" name="message" required {}
                    label for="decline-suggest" { (lang.pick("建议改发单位", "Suggest instead")) }
                    select id="decline-suggest" name="suggested_station" {
                        option value="" { "—" }
                        @for p in &page.node.config().peers { option value=(p.id) { (p.name) } }
                    }
                },
                ActionKind::Note => {
                    strong { (lang.pick("补充说明", "Add a note")) }
                    textarea name="text" required aria-label=(lang.pick("补充说明", "note")) {}
                    (super::attach_form::note_files(lang))
                    (targets_choice(page, detail))
                },
                ActionKind::Reminder => {
                    strong { (lang.pick("催办", "Remind")) }
                    input type="text" name="message" aria-label=(lang.pick("留言", "message")) placeholder=(lang.pick("留言（可选）", "message (optional)"));
                    (targets_choice(page, detail))
                },
                ActionKind::Outcome => {
                    strong { (lang.pick("反馈结果", "Report the outcome")) }
                    label for="outcome-outcome" { (lang.pick("结果", "Outcome")) }
                    select id="outcome-outcome" name="outcome" { @for o in Outcome::allowed_for(kind) { option value=(o.as_str()) { (o.label(lang)) } } }
                    label for="outcome-count" { (lang.pick("数量（人数或起数，未发现填 0）", "Count (0 for no trace)")) }
                    input type="number" id="outcome-count" name="count" value="1" min="0" max="1000";
                    label for="outcome-narrative" { (lang.pick("办理情况", "What was done")) }
                    textarea id="outcome-narrative" name="narrative" required {}
                },
                ActionKind::Close => {
                    strong { (lang.pick("办结评价", "Close and evaluate")) }
                    label for="close-evaluation" { (lang.pick("满意度（1–5）", "Evaluation (1–5)")) }
                    select id="close-evaluation" name="evaluation" { @for e in (1..=5).rev() { option value=(e) { (e) } } }
                    label for="close-comment" { (lang.pick("评价意见", "Comment")) }
                    input type="text" id="close-comment" name="comment";
                    (targets_choice(page, detail))
                },
                ActionKind::Forward => {
                    strong { (lang.pick("转发", "Forward")) }
                    label for="forward-to" { (lang.pick("转发至", "Forward to")) }
                    select id="forward-to" name="to" {
                        @for p in page.node.config().peers.iter().filter(|p| p.id != detail.case.origin && !detail.case.parties.contains(&p.id)) {
                            option value=(p.id) { (p.name) }
                        }
                    }
                    label for="forward-message" { (lang.pick("转发原因", "Why")) }
                    textarea id="forward-message" name="message" required {}
                },
                ActionKind::Withdraw => {
                    strong { (lang.pick("撤回", "Withdraw")) }
                    label for="withdraw-reason" { (lang.pick("原因", "Reason")) }
                    select id="withdraw-reason" name="reason" { @for r in WithdrawReason::ALL { option value=(r.as_str()) { (r.label(lang)) } } }
                    input type="text" name="message" aria-label=(lang.pick("说明", "explanation")) placeholder=(lang.pick("说明（可选）", "explanation (optional)"));
                    (targets_choice(page, detail))
                },
            }
            p { (confirm(lang)) }
            button type="submit" class=[matches!(action, ActionKind::Withdraw | ActionKind::Decline).then_some("danger")] { (lang.pick("提交", "Submit")) }
        }
    }
}
