//! The case page's part in handovers (交接): who handles the case, the form that hands it to
//! another officer of the station, and each handover as an entry of the timeline. Posting
//! goes through the case page's action route, like every other form on it.

use maud::{Markup, html};

use super::Page;
use super::forms::Posted;
use super::layout::{self, multiline};
use crate::clock::local_minute;
use crate::envelope::Signatory;
use crate::i18n::Lang;
use crate::node::{CaseDetail, HandoverInput, HandoverView};

/// The path segment the form posts to.
pub const ACTION: &str = "handover";

/// An officer as people name them: 郑丽娟（350924002）.
pub fn officer_words(officer: &Signatory, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}（{}）", officer.name, officer.badge.as_str()),
        Lang::En => format!("{} ({})", officer.name, officer.badge.as_str()),
    }
}

/// Who handles the case, for the case's facts.
pub fn handler_fact(detail: &CaseDetail, lang: Lang) -> Markup {
    html! {
        dt { (lang.pick("承办人", "Handler")) }
        dd {
            @match &detail.case.handler {
                Some(handler) => { (officer_words(handler, lang)) },
                None => span.badge.flag { (lang.pick("无人承办", "unassigned")) },
            }
        }
    }
}

/// The form handing the case over, if this officer may: a choice of the station's officers
/// who can work it, and a note.
pub fn form(page: &Page, detail: &CaseDetail) -> Markup {
    let lang = page.lang;
    if detail.handover_to.is_empty() {
        return html! {};
    }
    html! {
        form method="post" action={ "/console/cases/" (detail.case.id) "/" (ACTION) } {
            (layout::token_field(page))
            strong { (lang.pick("交接", "Hand over")) }
            label for="handover-to" { (lang.pick("移交给", "Hand to")) }
            select id="handover-to" name="to" required {
                @for officer in &detail.handover_to {
                    option value=(officer.badge.as_str()) { (officer_words(officer, lang)) }
                }
            }
            label for="handover-note" { (lang.pick("交接说明（可选）", "Note (optional)")) }
            textarea id="handover-note" name="note" {}
            p { label.inline { input type="checkbox" name="confirm" value="yes" required; (lang.pick("确认无误", "I confirm")) } }
            button type="submit" { (lang.pick("提交", "Submit")) }
        }
    }
}

/// The handover a posted form asks for; a message in the page's language when the badge is
/// not one.
pub fn input_of(posted: &Posted, lang: Lang) -> Result<HandoverInput, String> {
    let field = |name: &str| posted.get(name).and_then(|v| v.first()).map(|s| s.trim().to_owned()).unwrap_or_default();
    let to =
        field("to").parse().map_err(|_| lang.pick("请选择移交给哪位民警", "choose who to hand it to").to_owned())?;
    let note = Some(field("note")).filter(|n| !n.is_empty());
    Ok(HandoverInput { to, note })
}

/// A handover in the timeline: 交接：张三 → 李四, the note, the time and the signature.
pub fn timeline_entry(handover: &HandoverView, lang: Lang) -> Markup {
    let name = |officer: &Option<Signatory>| match officer {
        Some(officer) => officer_words(officer, lang),
        None => lang.pick("无人承办", "no one").to_owned(),
    };
    html! {
        li.handover {
            strong { (lang.pick("交接", "Handover")) }
            (lang.pick("：", ": ")) (name(&handover.from)) " → " (name(&handover.to))
            @if handover.by != handover.from {
                " · " span.muted { (lang.pick("经办：", "by ")) (name(&handover.by)) }
            }
            @if let Some(note) = &handover.note { div { (multiline(note)) } }
            div.meta {
                (local_minute(handover.at)) " · "
                @if handover.verified {
                    span.badge.ok { "✓ " (lang.pick("签名已验证", "signature verified")) }
                } @else {
                    span.badge.bad { "✗ " (lang.pick("签名无效", "signature invalid")) " " (handover.problem.clone().unwrap_or_default()) }
                }
                " " span.muted { (handover.key) } " · " span.muted { (lang.pick("本站记录，不发送给协作单位", "kept at this station, not sent to partners")) }
            }
        }
    }
}
