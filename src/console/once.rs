//! Sending a request once from the console: the form carries an idempotency key made when it
//! is first shown and kept while it is shown again, so a double click or a resubmitted POST
//! lands on the first case; a request repeating an open one comes back with those listed and a
//! box to tick to send it anyway.

use maud::{Markup, html};

use crate::i18n::Lang;
use crate::ids::CaseId;
use crate::node::{Duplicate, IdempotencyKey};

/// The form field holding the key.
pub const KEY_FIELD: &str = "idempotency_key";
/// The form field an officer ticks to send a possible duplicate anyway.
pub const CONFIRM_FIELD: &str = "confirm_duplicate";

/// A key for a form shown for the first time.
pub fn fresh_key() -> String {
    IdempotencyKey::fresh().as_str().to_owned()
}

/// The hidden field carrying the form's key; none for a form posted without one (a page
/// loaded before keys existed), which is then sent as before.
pub fn key_field(key: &str) -> Markup {
    html! { @if !key.is_empty() { input type="hidden" name=(KEY_FIELD) value=(key); } }
}

/// What the form says above its send button about sending once.
#[derive(Debug, Default)]
pub enum Notice {
    /// Nothing.
    #[default]
    None,
    /// Open requests this one may repeat: listed, with the box to send it anyway.
    Duplicates(Vec<Duplicate>),
    /// This form already sent another request (the officer went back and changed it): linked,
    /// and the form given a fresh key so that sending again sends the changed request.
    SentBefore(CaseId),
}

/// The notice, if any.
pub fn notice_box(notice: &Notice, lang: Lang) -> Markup {
    match notice {
        Notice::None => html! {},
        Notice::Duplicates(found) => duplicates_box(found, lang),
        Notice::SentBefore(case) => html! {
            div.box.refused role="alert" {
                (lang.pick("此表单已发出过一份内容不同的协查：", "This form already sent a different request: "))
                a href={ "/console/cases/" (case) } { (case) }
                br;
                (lang.pick(
                    "本次未发送。如确需另行发送修改后的内容，请核对后再次点击发送。",
                    "Nothing was sent now. To send the changed request as a new one, check it and send again.",
                ))
            }
        },
    }
}

/// The open requests this one may repeat, each linked, and the box to send it anyway.
fn duplicates_box(found: &[Duplicate], lang: Lang) -> Markup {
    html! {
        div.box.refused role="alert" {
            p { (lang.pick(
                "本站发往同一协作单位、尚未办结的协查中已有同一对象，请先核对，避免重复发送：",
                "Open requests from this station to the same partner name the same subject; check them first so as not to send it twice:",
            )) }
            ul {
                @for d in found {
                    li { a href={ "/console/cases/" (d.case) } { (d.title) } }
                }
            }
            label.inline {
                input type="checkbox" name=(CONFIRM_FIELD) value="yes";
                (lang.pick("仍然发送", "Send anyway"))
            }
        }
    }
}
