//! `GET /console/search`: the top bar's box on every page. A case id or a reference number
//! opens that case; anything else (a name, 尾号1234, a plate, a case number, words) lists the
//! cases found, with the filters as a form that works without JavaScript. Every search is in
//! the audit chain.

use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, Section, url_encode};
use super::{ErrorPage, Page};
use crate::clock::local_minute;
use crate::domain::details::CaseKind;
use crate::domain::lifecycle::TargetState;
use crate::i18n::{Label, Lang};
use crate::node::{Found, NodeError, SearchInput, parse_day};

/// The search form as it comes (empty strings mean "any").
#[derive(Debug, Default, Deserialize)]
pub struct Form {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    peer: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    cursor: Option<String>,
}

impl Form {
    fn filtered(&self) -> bool {
        [&self.kind, &self.peer, &self.state, &self.from, &self.to].iter().any(|v| !v.trim().is_empty())
    }

    fn query_without_cursor(&self) -> String {
        let fields = [
            ("q", &self.q),
            ("kind", &self.kind),
            ("peer", &self.peer),
            ("state", &self.state),
            ("from", &self.from),
            ("to", &self.to),
        ];
        fields
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(name, value)| format!("{name}={}", url_encode(value)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The search asked for, or what is wrong with the form, in the officer's language.
    fn input(&self, lang: Lang) -> Result<SearchInput, Vec<String>> {
        let mut wrong = Vec::new();
        let kind = choice::<CaseKind>(&self.kind, &mut wrong, lang, ("类型", "kind"));
        let state = choice::<TargetState>(&self.state, &mut wrong, lang, ("状态", "state"));
        let peer = choice(&self.peer, &mut wrong, lang, ("协作单位", "partner station"));
        let mut day = |value: &str, zh: &str, en: &str| {
            let value = value.trim();
            if value.is_empty() {
                return None;
            }
            let day = parse_day(value);
            if day.is_none() {
                wrong.push(
                    lang.pick(
                        &format!("{zh}应为日期，如 2026-12-01"),
                        &format!("{en} must be a day such as 2026-12-01"),
                    )
                    .to_owned(),
                );
            }
            day
        };
        let from = day(&self.from, "起始日期", "the first day");
        let to = day(&self.to, "截止日期", "the last day");
        let input = SearchInput {
            q: self.q.trim().to_owned(),
            kind,
            peer,
            state,
            from,
            to,
            limit: 30,
            cursor: self.cursor.as_deref().and_then(|c| hex::decode(c).ok()),
        };
        wrong.extend(input.problems().iter().map(|p| lang.pick(&p.zh, &p.en).to_owned()));
        if wrong.is_empty() { Ok(input) } else { Err(wrong) }
    }
}

/// A choice from a select box: empty for any; anything else must read as one.
fn choice<T: std::str::FromStr>(value: &str, wrong: &mut Vec<String>, lang: Lang, what: (&str, &str)) -> Option<T> {
    if value.is_empty() {
        return None;
    }
    let parsed = value.parse().ok();
    if parsed.is_none() {
        let shown = crate::domain::text::terminal_safe(value);
        wrong.push(
            lang.pick(&format!("{}“{shown}”无效", what.0), &format!("{} “{shown}” is not valid", what.1)).to_owned(),
        );
    }
    parsed
}

/// `GET /console/search?q=…`.
pub async fn search(page: Page, axum::extract::Query(form): axum::extract::Query<Form>) -> Result<Response, ErrorPage> {
    let lang = page.lang;
    page.officer.require(crate::node::READERS).map_err(|e| ErrorPage::from_node(&e, lang))?;
    // Exactly a case id or a reference number: that case, as the old 文号 box did.
    if !form.q.trim().is_empty() && !form.filtered() && form.cursor.is_none() {
        match page.node.resolve_case(&form.q) {
            Ok(id) => return Ok(Redirect::to(&format!("/console/cases/{id}")).into_response()),
            Err(NodeError::CaseNotFound(_)) => {}
            Err(e) => return Err(ErrorPage::from_node(&e, lang)),
        }
    }
    let (found, wrong) = match form.input(lang) {
        Ok(input) => {
            let found = page.node.search(&page.officer, &input).await.map_err(|e| ErrorPage::from_node(&e, lang))?;
            (Some(found), Vec::new())
        }
        Err(wrong) => (None, wrong),
    };
    let title = lang.pick("搜索协查", "Search");
    let content = html! {
        h1 { (title) }
        (search_form(&page, &form))
        @for problem in &wrong { (layout::notice("error", problem)) }
        @if let Some(found) = &found {
            @if found.found.is_empty() {
                p.muted { (lang.pick("没有找到符合条件的协查。", "No case matches.")) }
            } @else {
                (table(&page, &found.found))
            }
            @if let Some(next) = &found.next {
                p.pager { a href={ "/console/search?" (form.query_without_cursor()) "&cursor=" (hex::encode(next)) } { (lang.pick("下一页 →", "Next page →")) } }
            }
        }
    };
    Ok(layout::page(&page, title, Section::Search, content).into_response())
}

fn search_form(page: &Page, form: &Form) -> Markup {
    let lang = page.lang;
    html! {
        form.filters method="get" action="/console/search" role="search" {
            div {
                label for="search-q" { (lang.pick("姓名、身份证号或尾号、车牌、案件编号、文号、标题或案情中的词", "Name, resident ID or its last digits, plate, case number, reference, words")) }
                input type="search" id="search-q" name="q" value=(form.q);
            }
            div {
                label for="search-kind" { (lang.pick("类型", "Kind")) }
                (super::lists::kind_select(page, "search-kind", &form.kind))
            }
            div {
                label for="search-peer" { (lang.pick("协作单位", "Partner station")) }
                (super::lists::peer_select(page, "search-peer", &form.peer))
            }
            div {
                label for="search-state" { (lang.pick("状态", "State")) }
                (super::lists::state_select(page, "search-state", "state", &form.state))
            }
            div {
                label for="search-from" { (lang.pick("发出日期自", "Sent from")) }
                input type="date" id="search-from" name="from" value=(form.from);
            }
            div {
                label for="search-to" { (lang.pick("至", "to")) }
                input type="date" id="search-to" name="to" value=(form.to);
            }
            button type="submit" { (lang.pick("搜索", "Search")) }
        }
    }
}

fn table(page: &Page, found: &[Found]) -> Markup {
    let lang = page.lang;
    let me = page.node.station();
    let name =
        |id: &crate::ids::StationId| page.node.config().peer(id).map_or_else(|| id.to_string(), |p| p.name.clone());
    html! {
        table.cases {
            thead { tr {
                th { (lang.pick("文号", "Reference")) }
                th { (lang.pick("类型", "Kind")) }
                th { (lang.pick("标题", "Title")) }
                th { (lang.pick("协作单位", "Partner")) }
                th { (lang.pick("状态", "State")) }
                th { (lang.pick("匹配", "Matched")) }
                th { (lang.pick("发出时间", "Sent")) }
            } }
            tbody {
                @for item in found {
                    @let case = &item.case;
                    tr data-case=(case.id) {
                        td { a href={ "/console/cases/" (case.id) } { (case.refno.as_ref().map_or_else(|| case.id.to_string(), |r| r.label.clone())) } }
                        td { (case.kind.label(lang)) }
                        td { a href={ "/console/cases/" (case.id) } { (case.title) } }
                        @if &case.origin == me {
                            td { @for (i, t) in case.targets.iter().enumerate() { @if i > 0 { br; } (name(&t.station)) } }
                            td { @for (i, t) in case.targets.iter().enumerate() { @if i > 0 { br; } (t.state.label(lang)) } }
                        } @else {
                            td { (lang.pick("来自 ", "from ")) (name(&case.origin)) }
                            td { @for t in case.targets.iter().filter(|t| &t.station == me) { (t.state.label(lang)) } }
                        }
                        td.matched { (item.matched.iter().map(|f| f.label(lang)).collect::<Vec<_>>().join(lang.pick("、", ", "))) }
                        td { (local_minute(case.created_at)) }
                    }
                }
            }
        }
    }
}
