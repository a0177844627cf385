//! Sending a request once from the console: the form carries an idempotency key made when it
//! is first shown and kept while it is shown again, so a double click or a resubmitted POST
//! lands on the first case; and a request repeating an open one comes back with those listed
//! and a box to tick to send it anyway.

use maud::{Markup, html};

use crate::i18n::Lang;
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

/// The open requests this one may repeat, each linked, and the box to send it anyway.
pub fn duplicates_box(found: &[Duplicate], lang: Lang) -> Markup {
    html! {
        @if !found.is_empty() {
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
}
