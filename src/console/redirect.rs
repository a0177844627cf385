//! 改发 in the console: a declined request's "改发" button opens the new-request form filled
//! in from it (kind, fields, subjects), with the station the decline suggested ticked; the
//! officer reviews, may choose another station, and sends as any new request. Two hidden
//! fields carry which declined request it replaces.

use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::form_read::{Posted, first};
use super::forms::{Field, Input, Item, items};
use super::{ErrorPage, Page};
use crate::case::CaseRecord;
use crate::domain::details::CaseKind;
use crate::domain::lifecycle::TargetState;
use crate::ids::{CaseId, StationId};
use crate::node::{CaseDetail, RedirectOf};

/// The hidden field naming the declined case.
const CASE_FIELD: &str = "redirect_case";
/// The hidden field naming the station that declined it.
const STATION_FIELD: &str = "redirect_station";

/// `?redirect=<case>&station=<declining station>` on `GET /console/new/{kind}`.
#[derive(Debug, Default, Deserialize)]
pub struct RedirectQuery {
    redirect: Option<String>,
    station: Option<String>,
}

/// The link of the "改发" button of a declined target.
pub(super) fn link(case: &CaseRecord, station: &StationId) -> String {
    format!("/console/new/{}?redirect={}&station={station}", case.kind.as_str(), case.id)
}

/// The form's values for a request sent in place of `declined`'s request to `station`: its
/// own fields, the suggested station ticked, the hidden fields, and a fresh idempotency key.
pub(super) async fn prefilled(page: &Page, query: &RedirectQuery) -> Result<Option<(CaseKind, Posted)>, ErrorPage> {
    let lang = page.lang;
    let (Some(case), Some(station)) = (&query.redirect, &query.station) else { return Ok(None) };
    let bad = || {
        ErrorPage::new(
            axum::http::StatusCode::NOT_FOUND,
            lang,
            ("没有这份被退回的协查", "no such declined request"),
            lang.pick(
                "改发链接不完整或有误，请从协查页面的“改发”按钮进入。",
                "The redirect link is incomplete; use the case page's Redirect button.",
            )
            .to_owned(),
        )
    };
    let case: CaseId = case.parse().map_err(|_| bad())?;
    let station: StationId = station.parse().map_err(|_| bad())?;
    let detail = page.node.read_case(&page.officer, case).await.map_err(|e| ErrorPage::from_node(&e, lang))?;
    let kind = detail.case.kind;
    let mut posted = from_request(kind, &detail.request);
    let suggested = detail.case.targets.iter().find(|t| t.station == station).and_then(|t| t.suggested_station.clone());
    posted.insert("targets".into(), suggested.into_iter().map(|s| s.to_string()).collect());
    posted.insert(CASE_FIELD.into(), vec![case.to_string()]);
    posted.insert(STATION_FIELD.into(), vec![station.to_string()]);
    // The declined request's photos and documents go with it again (they are kept here).
    let attachments: Vec<crate::domain::attachment::AttachmentRef> =
        serde_json::from_value(detail.request["attachments"].clone()).unwrap_or_default();
    super::attach_form::carry(&mut posted, &attachments);
    Ok(Some((kind, posted)))
}

/// Which declined request a posted form replaces, if any.
pub(super) fn of_posted(posted: &Posted) -> Option<RedirectOf> {
    let case = first(posted, CASE_FIELD).parse().ok()?;
    let station = first(posted, STATION_FIELD).parse().ok()?;
    Some(RedirectOf { case, station })
}

/// The hidden fields and a line saying what the form replaces, when it replaces a request.
pub(super) fn form_part(page: &Page, posted: &Posted) -> Markup {
    let lang = page.lang;
    let Some(of) = of_posted(posted) else { return html! {} };
    let name = super::station_name(&page.node, &of.station);
    html! {
        input type="hidden" name=(CASE_FIELD) value=(of.case);
        input type="hidden" name=(STATION_FIELD) value=(of.station);
        div.box role="status" {
            strong { (lang.pick("改发", "Redirect")) } " "
            (lang.pick("本请求将代替被", "This request replaces the one "))
            (name)
            (lang.pick("退回的协查 ", " declined: "))
            a href={ "/console/cases/" (of.case) } { (of.case) }
            (lang.pick("。内容已按原请求填好，请核对、选择发往单位后签名发送。", ". It is filled in from that request: check it, choose where to send it, then sign and send."))
        }
    }
}

/// The "改发" buttons of a case page: one per declined target, at the origin, for an
/// officer who may send requests.
pub(super) fn buttons(page: &Page, detail: &CaseDetail) -> Markup {
    let lang = page.lang;
    let case = &detail.case;
    let mine = &case.origin == page.node.station();
    let may = page.officer.require(crate::node::LIAISON).is_ok();
    html! {
        @if mine && may {
            @for target in case.targets.iter().filter(|t| t.state == TargetState::Declined) {
                p {
                    a.button href=(link(case, &target.station)) {
                        (lang.pick("改发", "Redirect")) " · " (super::station_name(&page.node, &target.station)) (lang.pick("退回的", " declined"))
                    }
                    @if let Some(s) = &target.suggested_station {
                        " " span.muted { (lang.pick("建议改发：", "suggested: ")) (super::station_name(&page.node, s)) }
                    }
                }
            }
        }
    }
}

/// What the case page says of redirects: the request this one replaces, and those sent in
/// place of this one.
pub(super) fn facts(page: &Page, detail: &CaseDetail) -> Markup {
    let lang = page.lang;
    let name = |s: &StationId| super::station_name(&page.node, s);
    html! {
        @if let Some(from) = detail.request["redirected_from"].as_object() {
            dt { (lang.pick("改发自", "Redirected from")) }
            dd {
                @if let Some(case) = from.get("case").and_then(Value::as_str) {
                    a href={ "/console/cases/" (case) } { (super::letter::redirected_words(from, &name, lang)) }
                }
            }
        }
        @for redirect in &detail.redirects {
            dt { (lang.pick("已改发", "Redirected")) }
            dd {
                a href={ "/console/cases/" (redirect.case) } { (redirect.refno.clone().unwrap_or_else(|| redirect.case.to_string())) }
                (lang.pick(" 至 ", " to "))
                (redirect.to.iter().map(name).collect::<Vec<_>>().join(lang.pick("、", ", ")))
                (lang.pick("（因", " (as "))
                (name(&redirect.declined_by))
                (lang.pick("退回）", " declined)"))
            }
        }
    }
}

/// A request's fields as the form's values (the reverse of reading a posted form).
fn from_request(kind: CaseKind, request: &Value) -> Posted {
    let mut posted = Posted::new();
    for item in items(kind) {
        match item {
            Item::Field(f) => {
                let values = form_values(f, at(request, f.path));
                if !values.is_empty() {
                    posted.insert(f.path.to_owned(), values);
                }
            }
            Item::Rows { path, fields, .. } => {
                for (i, row) in at(request, path).as_array().into_iter().flatten().enumerate() {
                    for f in *fields {
                        let values = form_values(f, at(row, f.path));
                        if !values.is_empty() {
                            posted.insert(format!("{path}[{i}].{}", f.path), values);
                        }
                    }
                }
            }
        }
    }
    posted
}

fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(value, |v, key| &v[key])
}

fn form_values(field: &Field, value: &Value) -> Vec<String> {
    match (field.input, value) {
        (Input::Checks(_), Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        (Input::Lines, Value::Array(items)) => {
            vec![items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n")]
        }
        (Input::DateTime, Value::String(raw)) => {
            let Ok(at) = time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339) else {
                return vec![raw.clone()];
            };
            let local = at.checked_to_offset(crate::clock::BEIJING).unwrap_or(at);
            vec![format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}",
                local.year(),
                u8::from(local.month()),
                local.day(),
                local.hour(),
                local.minute()
            )]
        }
        (_, Value::String(s)) => vec![s.clone()],
        (_, Value::Number(n)) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples;

    /// Every kind's sample, put into the form and read back, is the same request: a redirect
    /// loses nothing of what the declined request said.
    #[test]
    fn a_request_put_into_the_form_reads_back_the_same() {
        let now = time::macros::datetime!(2026-12-07 02:30 UTC);
        for kind in CaseKind::ALL {
            let new = samples::sample(kind, vec!["fj-shouning-xixi".parse().expect("id")], now);
            let json = serde_json::to_value(&new).expect("json");
            let mut posted = from_request(kind, &json);
            posted.insert("targets".into(), vec!["fj-shouning-xixi".into()]);
            let mut errors = Vec::new();
            let read = super::super::forms::request_json(kind, &posted, now, &mut errors);
            assert_eq!(errors, Vec::new(), "{kind:?}");
            let again = super::super::forms::parse_request(read).expect("a request");
            assert_eq!(serde_json::to_value(&again).expect("json"), json, "{kind:?}");
        }
    }

    #[test]
    fn the_hidden_fields_name_the_declined_request() {
        let mut posted = Posted::new();
        assert_eq!(of_posted(&posted), None);
        posted.insert(CASE_FIELD.into(), vec!["01a24dd6-448b-75a3-8294-9c9ceb9d08b5".into()]);
        posted.insert(STATION_FIELD.into(), vec!["fj-shouning-xixi".into()]);
        let of = of_posted(&posted).expect("a redirect");
        assert_eq!(of.station.as_str(), "fj-shouning-xixi");
    }
}
