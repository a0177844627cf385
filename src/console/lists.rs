//! Inbox and outbox pages: filters, paging, overdue highlighted, same-subject flags shown.

use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, Section, url_encode};
use super::{ErrorPage, Page};
use crate::case::CaseRecord;
use crate::clock::local_minute;
use crate::domain::details::CaseKind;
use crate::domain::lifecycle::TargetState;
use crate::i18n::{Label, Lang};
use crate::node::overdue_targets;
use crate::store::{Handled, ListQuery, Mailbox};

/// Filters as they come from the filter form (empty strings mean "any").
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    peer: String,
    #[serde(default)]
    overdue: Option<String>,
    /// Whose cases: `mine`, `unassigned` (inbox), or empty for anyone's.
    #[serde(default)]
    handler: String,
    #[serde(default)]
    cursor: Option<String>,
    /// Show finished cases (closed, withdrawn, declined) too; they are folded away otherwise.
    #[serde(default)]
    all: Option<String>,
}

impl Filters {
    fn query_without_cursor(&self) -> String {
        let mut parts = Vec::new();
        for (name, value) in
            [("status", &self.status), ("kind", &self.kind), ("peer", &self.peer), ("handler", &self.handler)]
        {
            if !value.is_empty() {
                parts.push(format!("{name}={}", url_encode(value)));
            }
        }
        if self.overdue.is_some() {
            parts.push("overdue=1".into());
        }
        if self.all.is_some() {
            parts.push("all=1".into());
        }
        parts.join("&")
    }

    /// True for the plain first page, where what needs this station comes first.
    fn plain(&self) -> bool {
        self.status.is_empty()
            && self.kind.is_empty()
            && self.peer.is_empty()
            && self.overdue.is_none()
            && self.handler.is_empty()
            && self.cursor.is_none()
    }

    /// Whose cases the officer `badge` asked for; an unknown word asks for anyone's, as an
    /// unknown status does.
    fn handled(&self, badge: &crate::ids::Badge) -> Handled {
        match self.handler.as_str() {
            "mine" => Handled::By(badge.clone()),
            "unassigned" => Handled::Nobody,
            _ => Handled::Any,
        }
    }
}

/// What a target's state means for this station's desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    /// This station must act (acknowledge, report; or close, at the origin).
    Act,
    /// The partner must act.
    Wait,
    /// Nothing more will happen.
    Done,
}

fn meaning(mailbox: Mailbox, state: TargetState) -> Meaning {
    use TargetState::*;
    match (mailbox, state) {
        (_, Declined | Closed | Withdrawn) => Meaning::Done,
        (Mailbox::Inbox, Sent | Delivered | Acknowledged) | (Mailbox::Outbox, Resolved) => Meaning::Act,
        _ => Meaning::Wait,
    }
}

fn meaning_class(meaning: Meaning) -> &'static str {
    match meaning {
        Meaning::Act => "state act",
        Meaning::Wait => "state wait",
        Meaning::Done => "state done",
    }
}

/// The earliest deadline this station's desk is concerned with in `case`, if one runs.
fn next_due(case: &CaseRecord) -> Option<crate::domain::deadline::Overdue> {
    case.targets.iter().filter_map(crate::case::TargetRecord::next_deadline).min_by_key(|d| d.due())
}

/// Since when `station` cannot be reached, if it cannot.
fn unreachable_since(page: &Page, station: &crate::ids::StationId) -> Option<time::OffsetDateTime> {
    page.node.health().peer(station)?.status().unreachable_since
}

fn finished(case: &CaseRecord) -> bool {
    case.targets.iter().all(|t| !t.state.is_open())
}

/// `GET /console/inbox`.
pub async fn inbox(
    page: Page,
    axum::extract::Query(filters): axum::extract::Query<Filters>,
) -> Result<Markup, ErrorPage> {
    listing(page, Mailbox::Inbox, filters)
}

/// `GET /console/outbox`.
pub async fn outbox(
    page: Page,
    axum::extract::Query(filters): axum::extract::Query<Filters>,
) -> Result<Markup, ErrorPage> {
    listing(page, Mailbox::Outbox, filters)
}

fn listing(page: Page, mailbox: Mailbox, filters: Filters) -> Result<Markup, ErrorPage> {
    let lang = page.lang;
    let now = page.node.clock().now();
    let query = ListQuery {
        mailbox,
        state: filters.status.parse().ok(),
        kind: filters.kind.parse().ok(),
        peer: filters.peer.parse().ok(),
        overdue: filters.overdue.is_some(),
        handled: filters.handled(&page.officer.id.badge),
        now,
        limit: 30,
        cursor: filters.cursor.as_deref().and_then(|c| hex::decode(c).ok()),
    };
    let listed = page.node.list(&page.officer, &query).map_err(|e| ErrorPage::from_node(&e, lang))?;
    let (title, section, path) = match mailbox {
        Mailbox::Inbox => (lang.pick("收到的协查", "Received requests"), Section::Inbox, "/console/inbox"),
        Mailbox::Outbox => (lang.pick("发出的协查", "Sent requests"), Section::Outbox, "/console/outbox"),
    };
    // What needs this station comes first, soonest deadline first; then the rest, newest first.
    let needing = if filters.plain() { needs_action(&page, mailbox, now)? } else { Vec::new() };
    let show_all = filters.all.is_some() || !filters.status.is_empty();
    let folded = if show_all { 0 } else { listed.cases.iter().filter(|c| finished(c)).count() };
    let rest: Vec<CaseRecord> = listed
        .cases
        .into_iter()
        .filter(|case| !needing.iter().any(|n| n.id == case.id))
        .filter(|case| show_all || !finished(case))
        .collect();
    let content = html! {
        h1 { (title) }
        (filter_form(&page, &filters, path, mailbox))
        @if !needing.is_empty() {
            h2 { (lang.pick("需要本站处理", "Needs this station")) " (" (needing.len()) ")" }
            (table(&page, mailbox, &needing, now))
            @if !rest.is_empty() { h2 { (lang.pick("其他", "Others")) } }
        }
        @if rest.is_empty() && needing.is_empty() {
            p.muted { (lang.pick("没有符合条件的协查。", "No requests match.")) }
        } @else if !rest.is_empty() {
            (table(&page, mailbox, &rest, now))
        }
        @if folded > 0 {
            p.muted {
                a href={ (path) "?" (filters.query_without_cursor()) @if !filters.query_without_cursor().is_empty() { "&" } "all=1" } {
                    (lang.pick(&format!("显示已办结、已撤回、已退回的 {folded} 起", ), &format!("Show {folded} finished (closed, withdrawn, declined)")))
                }
            }
        }
        @if let Some(next) = &listed.next {
            p.pager { a href={ (path) "?" (filters.query_without_cursor()) "&cursor=" (hex::encode(next)) } { (lang.pick("下一页 →", "Next page →")) } }
        }
    };
    Ok(layout::page(&page, title, section, content))
}

/// Open cases whose target waits for this station: to acknowledge or report (inbox), to close
/// (outbox); soonest deadline first.
fn needs_action(page: &Page, mailbox: Mailbox, now: time::OffsetDateTime) -> Result<Vec<CaseRecord>, ErrorPage> {
    let states: &[TargetState] = match mailbox {
        Mailbox::Inbox => &[TargetState::Sent, TargetState::Delivered, TargetState::Acknowledged],
        Mailbox::Outbox => &[TargetState::Resolved],
    };
    let mut found: Vec<CaseRecord> = Vec::new();
    for state in states {
        let query = ListQuery {
            mailbox,
            state: Some(*state),
            kind: None,
            peer: None,
            overdue: false,
            handled: Handled::Any,
            now,
            limit: 50,
            cursor: None,
        };
        let listed = page.node.list(&page.officer, &query).map_err(|e| ErrorPage::from_node(&e, page.lang))?;
        for case in listed.cases {
            if !found.iter().any(|f| f.id == case.id) {
                found.push(case);
            }
        }
    }
    found.sort_by_key(|case| next_due(case).map(|d| d.due()));
    Ok(found)
}

/// The choice of a target state (`name`), "any" first, `chosen` selected.
pub(super) fn state_select(page: &Page, id: &str, name: &str, chosen: &str) -> Markup {
    let lang = page.lang;
    html! {
        select id=(id) name=(name) {
            option value="" { (lang.pick("全部", "any")) }
            @for state in TargetState::ALL {
                option value=(state.as_str()) selected[chosen == state.as_str()] { (state.label(lang)) }
            }
        }
    }
}

/// The choice of a request kind (`kind`), "any" first, `chosen` selected.
pub(super) fn kind_select(page: &Page, id: &str, chosen: &str) -> Markup {
    let lang = page.lang;
    html! {
        select id=(id) name="kind" {
            option value="" { (lang.pick("全部", "any")) }
            @for kind in CaseKind::ALL {
                option value=(kind.as_str()) selected[chosen == kind.as_str()] { (kind.label(lang)) }
            }
        }
    }
}

/// The choice of a partner station (`peer`), "any" first, `chosen` selected.
pub(super) fn peer_select(page: &Page, id: &str, chosen: &str) -> Markup {
    let lang = page.lang;
    html! {
        select id=(id) name="peer" {
            option value="" { (lang.pick("全部", "any")) }
            @for peer in &page.node.config().peers {
                option value=(peer.id) selected[chosen == peer.id.as_str()] { (peer.name) }
            }
        }
    }
}

fn filter_form(page: &Page, filters: &Filters, path: &str, mailbox: Mailbox) -> Markup {
    let lang = page.lang;
    html! {
        form.filters method="get" action=(path) {
            div {
                label for="status" { (lang.pick("状态", "Status")) }
                (state_select(page, "status", "status", &filters.status))
            }
            div {
                label for="kind" { (lang.pick("类型", "Kind")) }
                (kind_select(page, "kind", &filters.kind))
            }
            div {
                label for="peer" { (lang.pick("协作单位", "Partner station")) }
                (peer_select(page, "peer", &filters.peer))
            }
            div {
                label for="handler" { (lang.pick("承办人", "Handler")) }
                select id="handler" name="handler" {
                    option value="" { (lang.pick("全部", "anyone")) }
                    option value="mine" selected[filters.handler == "mine"] { (lang.pick("我承办的", "mine")) }
                    @if mailbox == Mailbox::Inbox {
                        option value="unassigned" selected[filters.handler == "unassigned"] { (lang.pick("无人承办", "unassigned")) }
                    }
                }
            }
            label.inline { input type="checkbox" name="overdue" value="1" checked[filters.overdue.is_some()]; (lang.pick("只看超期", "overdue only")) }
            button type="submit" { (lang.pick("筛选", "Filter")) }
        }
    }
}

/// Minutes as "3小时20分" / "3 h 20 min"; less than a minute as "不到1分钟", never "0分钟".
pub fn duration_words(minutes: i64, lang: Lang) -> String {
    // A deadline passed seconds ago is late, not "0 minutes" late.
    if minutes < 1 {
        return lang.pick("不到1分钟", "under 1 min").to_owned();
    }
    let (days, hours, mins) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    match lang {
        Lang::Zh if days > 0 => format!("{days}天{hours}小时"),
        Lang::Zh if hours > 0 => format!("{hours}小时{mins}分"),
        Lang::Zh => format!("{mins}分钟"),
        Lang::En if days > 0 => format!("{days} d {hours} h"),
        Lang::En if hours > 0 => format!("{hours} h {mins} min"),
        Lang::En => format!("{mins} min"),
    }
}

fn station_name(page: &Page, id: &crate::ids::StationId) -> String {
    if id == page.node.station() {
        return page.node.config().station.name.clone();
    }
    page.node.config().peer(id).map_or_else(|| id.to_string(), |p| p.name.clone())
}

/// A time as short as it can be read unambiguously: the time of day when it is today (Beijing),
/// else the month and day too.
pub(super) fn short_time(at: time::OffsetDateTime, now: time::OffsetDateTime) -> String {
    let full = crate::clock::local_minute(at);
    let same_day = crate::clock::beijing_date(at) == crate::clock::beijing_date(now);
    let from = if same_day { 11 } else { 5 };
    full.get(from..).unwrap_or(&full).to_owned()
}

/// True when `due` is no further off than the desk's warning for a case of `case`'s priority
/// (`[desk]`), and has not passed: the row escalates as the desk is warned.
fn near(
    page: &Page,
    case: &CaseRecord,
    due: Option<crate::domain::deadline::Overdue>,
    now: time::OffsetDateTime,
) -> bool {
    let warning = page.node.config().desk.warning(case.priority);
    due.is_some_and(|due| due.due() >= now && due.due() - now <= warning)
}

/// The next deadline and the time left (or past), on one line at any width.
fn due_cell(
    due: Option<crate::domain::deadline::Overdue>,
    near: bool,
    now: time::OffsetDateTime,
    lang: Lang,
) -> Markup {
    use crate::domain::deadline::Overdue;
    let Some(due) = due else { return html! { span.muted { "—" } } };
    let what = match due {
        Overdue::Ack { .. } => lang.pick("签收", "ack"),
        Overdue::Report { .. } => lang.pick("反馈", "report"),
    };
    let minutes = (due.due() - now).whole_minutes();
    html! {
        span.due {
            (what) " " (short_time(due.due(), now))
            br;
            @if minutes >= 0 {
                span class=[near.then_some("soon")] { (lang.pick("还剩 ", "")) (duration_words(minutes, lang)) (lang.pick("", " left")) }
            } @else {
                span.late { (lang.pick("已超 ", "")) (duration_words(-minutes, lang)) (lang.pick("", " late")) }
            }
        }
    }
}

fn table(page: &Page, mailbox: Mailbox, cases: &[CaseRecord], now: time::OffsetDateTime) -> Markup {
    let lang = page.lang;
    html! {
        table {
            thead { tr {
                th { (lang.pick("标题", "Title")) }
                th { (lang.pick("类型", "Kind")) }
                th.optional { (lang.pick("优先级", "Priority")) }
                th { @if mailbox == Mailbox::Inbox { (lang.pick("发起单位", "From")) } @else { (lang.pick("协查单位及状态", "Targets")) } }
                th { (lang.pick("期限", "Due")) }
                th { (lang.pick("承办人", "Handler")) }
                th.optional { (lang.pick("发起时间", "Sent")) }
                th { (lang.pick("提示", "Flags")) }
            } }
            tbody {
                @for case in cases {
                    @let overdue = overdue_targets(case, now);
                    @let due = next_due(case);
                    @let near = near(page, case, due, now);
                    // After another station reported the subject in hand, this station's own
                    // deadlines stand as they are (and count alike at both ends), but no longer
                    // colour the row: the search is over, the origin stands the rest down.
                    @let decisive = case.decisive_elsewhere(page.node.station());
                    tr class={ "priority-" (case.priority.as_str()) @if !overdue.is_empty() && decisive.is_none() { " overdue" } @if near && decisive.is_none() { " near" } @if finished(case) { " finished" } @if decisive.is_some() { " decisive" } } {
                        td {
                            @if mailbox == Mailbox::Inbox { (super::case_files::row_thumb(page, case)) }
                            @if let Some(refno) = &case.refno { span.refno { (refno.label) } br; }
                            a href={ "/console/cases/" (case.id) } { (case.title) } br; span.muted { (case.summary) }
                        }
                        td { (case.kind.label(lang)) }
                        td.optional { span class={ "badge priority " (case.priority.as_str()) } { (case.priority.label(lang)) } }
                        td {
                            @if mailbox == Mailbox::Inbox {
                                (station_name(page, &case.origin)) br;
                                @for target in &case.targets { span class={ "badge " (meaning_class(meaning(mailbox, target.state))) } { (target.state.label(lang)) } }
                            } @else {
                                @for target in &case.targets {
                                    div {
                                        (station_name(page, &target.station)) " " span class={ "badge " (meaning_class(meaning(mailbox, target.state))) } { (target.state.label(lang)) }
                                        @if let Some(since) = unreachable_since(page, &target.station).filter(|_| target.state == TargetState::Sent) {
                                            " " span.badge.bad { (lang.pick("对方节点不可达", "partner unreachable")) " " (short_time(since, now)) }
                                        }
                                        @if let Some(s) = target.suggested_station.as_ref().filter(|_| target.state == TargetState::Declined) {
                                            " " span.muted { (lang.pick("建议改发：", "suggested: ")) (station_name(page, s)) }
                                        }
                                    }
                                }
                            }
                        }
                        td { (due_cell(due, near, now, lang)) }
                        td {
                            @match &case.handler {
                                Some(h) => { (h.name) br; span.muted { (h.badge.as_str()) } },
                                None => span.badge.flag { (lang.pick("无人承办", "unassigned")) },
                            }
                        }
                        td.optional { (local_minute(case.created_at)) }
                        td {
                            @if let Some(t) = decisive {
                                @if let (Some(outcome), Some(at)) = (t.outcome, t.resolved_at) {
                                    span.badge.decisive { (super::case_page::decisive_words(page, &t.station, outcome, at, now)) }
                                    " "
                                }
                            }
                            @for o in &overdue {
                                span class={ "badge " @if decisive.is_some() { "flag" } @else { "overdue" } } {
                                    @if o.deadline == "ack" { (lang.pick("签收超期", "ack overdue")) } @else { (lang.pick("反馈超期", "report overdue")) }
                                    " " (duration_words(o.minutes_overdue, lang))
                                }
                                " "
                            }
                            @if !case.same_subject.is_empty() {
                                span.badge.flag title=(lang.pick("与其他未办结协查涉及同一人员、车辆或案件", "names the same person, vehicle or case as another open case")) {
                                    (lang.pick("一人多次", "same subject")) " ×" (case.same_subject.len())
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them_and_never_say_zero() {
        assert_eq!(duration_words(0, Lang::Zh), "不到1分钟");
        assert_eq!(duration_words(0, Lang::En), "under 1 min");
        assert_eq!(duration_words(7, Lang::Zh), "7分钟");
        assert_eq!(duration_words(200, Lang::Zh), "3小时20分");
        assert_eq!(duration_words(3 * 1440 + 60, Lang::En), "3 d 1 h");
    }
}
