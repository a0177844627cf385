//! Field-level validation errors, shared by every body that officers or peers submit.
//!
//! A rejected form must tell the officer which field is wrong and why, in Chinese first, so
//! every error carries the JSON path of the field, a stable code for programs, and a message
//! in both languages.

use serde::Serialize;

use super::text::{self, Layout, TextFault};

/// One problem with one field of a submitted body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON path of the field, e.g. `details.id_number` or `details.incidents[1].at`.
    pub field: String,
    /// Stable machine-readable code, e.g. `invalid_resident_id`.
    pub code: &'static str,
    /// Message for people, in Simplified Chinese.
    pub zh: String,
    /// Message for people, in English.
    pub en: String,
}

impl FieldError {
    /// Builds an error for `field` with a stable `code` and messages in both languages.
    pub fn new(field: impl Into<String>, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { field: field.into(), code, zh: zh.into(), en: en.into() }
    }
}

/// Collects field errors so a form reports every problem at once, not one per round trip.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    /// Records one error.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Records a `required` error when a text field has nothing a person can see: empty,
    /// blank, or only zero-width characters ([`text::has_visible`]).
    pub fn require_text(&mut self, field: &str, value: &str, zh_label: &str, en_label: &str) {
        if !text::has_visible(value) {
            self.push(FieldError::new(
                field,
                "required",
                format!("请填写{zh_label}"),
                format!("{en_label} is required"),
            ));
        }
    }

    /// Records what is wrong with a text field laid out as `layout`: more than `max`
    /// characters (`too_long`), or a character that acts instead of being read
    /// (`control_character`, `bidi_control`; see [`text`]).
    pub fn text(&mut self, field: &str, value: &str, max: usize, layout: Layout) {
        if value.chars().count() > max {
            self.push(FieldError::new(
                field,
                "too_long",
                format!("内容过长，最多 {max} 个字"),
                format!("too long: at most {max} characters"),
            ));
        }
        match text::fault(value, layout) {
            None => {}
            Some(fault @ TextFault::Control('\n' | '\t')) => self.push(FieldError::new(
                field,
                fault.code(),
                "此项只能填写一行，请删除换行或制表符",
                "this field takes one line: remove the line break or tab",
            )),
            Some(fault @ TextFault::Control(_)) => self.push(FieldError::new(
                field,
                fault.code(),
                format!("含有控制字符 {}，请删除后重新填写", fault.codepoint()),
                format!("contains the control character {}; remove it", fault.codepoint()),
            )),
            Some(fault @ TextFault::Reordering(_)) => self.push(FieldError::new(
                field,
                fault.code(),
                format!("含有改变文字显示顺序的字符 {}，请删除后重新填写", fault.codepoint()),
                format!("contains {}, which reorders how text is shown; remove it", fault.codepoint()),
            )),
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Finishes validation: `Ok` when nothing was recorded, otherwise every error.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() { Ok(()) } else { Err(self.0) }
    }

    /// The errors recorded so far.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}
