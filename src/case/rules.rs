//! Content rules of envelope bodies, judged at the envelope's own time so that every node
//! judges an envelope the same, whenever it arrives.

use time::OffsetDateTime;

use super::ApplyError;
use crate::domain::case::{EVALUATION_RANGE, Outcome};
use crate::domain::details::CaseKind;
use crate::domain::details::NAME_MAX;
use crate::domain::text::Layout::{Lines, OneLine};
use crate::domain::validate::{Errors, FieldError};
use crate::envelope::body::{
    AckBody, CloseBody, DeclineBody, NoteBody, OutcomeBody, ReminderBody, RequestBody, WithdrawBody,
};
use crate::envelope::{Body, Signatory};

const TITLE_MAX: usize = 120;
const TEXT_MAX: usize = 8000;
const SHORT_MAX: usize = 200;

/// The most any station may attach, whatever its own limits: what a receiver accepts from any
/// sender (the largest limits a config allows).
const PROTOCOL_LIMITS: crate::domain::attachment::Limits =
    crate::domain::attachment::Limits { file_bytes: 1 << 30, files: 100, total_bytes: 10 << 30 };

/// Content rules of a request, judged at its own time so every node judges it the same.
pub fn validate_request(request: &RequestBody, at: OffsetDateTime) -> Result<(), ApplyError> {
    let mut errors = Errors::default();
    signed_by(&mut errors, &request.officer);
    errors.require_text("title", &request.title, "标题", "title");
    errors.text("title", &request.title, TITLE_MAX, OneLine);
    errors.text("narrative", &request.narrative, TEXT_MAX, Lines);
    errors.require_text("contact", &request.contact, "联系人及电话", "contact");
    errors.text("contact", &request.contact, SHORT_MAX, OneLine);
    if let Some(reference) = &request.reference {
        errors.text("reference", reference, 64, OneLine);
    }
    // The declined request's number as the origin shows it: text from a partner like any other.
    if let Some(refno) = request.redirected_from.as_ref().and_then(|from| from.refno.as_ref()) {
        errors.text("redirected_from.refno", refno, 64, OneLine);
    }
    if let Some(refno) = &request.refno {
        for problem in refno.problems() {
            errors.push(problem);
        }
    }
    crate::domain::attachment::check("attachments", &request.attachments, PROTOCOL_LIMITS, &mut errors);
    if let Some(review_by) = request.review_by
        && review_by < crate::clock::beijing_date(at)
    {
        errors.push(FieldError::new("review_by", "in_past", "复核日期不能早于今天", "the review date is in the past"));
    }
    let latest = at.checked_add(time::Duration::seconds(crate::domain::deadline::MAX_SPAN_SECONDS));
    if latest.is_none_or(|latest| request.report_by > latest) {
        errors.push(FieldError::new(
            "report_by",
            "out_of_range",
            "反馈时限不得晚于发送后一年",
            "the report deadline may be at most a year after sending",
        ));
    }
    if request.ack_by <= at || request.report_by <= request.ack_by {
        errors.push(FieldError::new(
            "ack_by",
            "out_of_order",
            "签收时限须晚于发送时间，反馈时限须晚于签收时限",
            "the ack deadline must follow the sending time, and the report deadline the ack deadline",
        ));
    }
    for error in request.details.validate(at) {
        errors.push(error);
    }
    errors.finish().map_err(ApplyError::InvalidBody)
}

pub(super) fn validate_body(body: &Body, kind: CaseKind, at: OffsetDateTime) -> Result<(), ApplyError> {
    let mut errors = Errors::default();
    match body {
        Body::Request(_) => {}
        Body::Ack(AckBody { report_by, message, .. }) => {
            let latest = at.checked_add(time::Duration::seconds(crate::domain::deadline::MAX_SPAN_SECONDS));
            if report_by.is_some_and(|by| latest.is_none_or(|latest| by > latest)) {
                errors.push(FieldError::new(
                    "report_by",
                    "out_of_range",
                    "承诺反馈时间不得晚于一年以后",
                    "the promised report time may be at most a year ahead",
                ));
            }
            if report_by.is_some_and(|by| by <= at) {
                errors.push(FieldError::new(
                    "report_by",
                    "in_past",
                    "承诺反馈时间须晚于当前时间",
                    "the promised report time must be in the future",
                ));
            }
            if let Some(message) = message {
                errors.text("message", message, TEXT_MAX, Lines);
            }
        }
        Body::Decline(DeclineBody { message, .. }) => {
            errors.require_text("message", message, "退回说明", "an explanation");
            errors.text("message", message, TEXT_MAX, Lines);
        }
        Body::Note(NoteBody { text, attachments, .. }) => {
            errors.require_text("text", text, "补充内容", "the note");
            errors.text("text", text, TEXT_MAX, Lines);
            crate::domain::attachment::check("attachments", attachments, PROTOCOL_LIMITS, &mut errors);
        }
        Body::Reminder(ReminderBody { message, .. }) => {
            if let Some(message) = message {
                errors.text("message", message, TEXT_MAX, Lines);
            }
        }
        Body::Outcome(OutcomeBody { outcome, count, narrative, .. }) => {
            validate_outcome(&mut errors, kind, *outcome, *count);
            errors.require_text("narrative", narrative, "反馈情况", "an account of what was done");
            errors.text("narrative", narrative, TEXT_MAX, Lines);
        }
        Body::Close(CloseBody { evaluation, comment, .. }) => {
            if !EVALUATION_RANGE.contains(evaluation) {
                errors.push(FieldError::new(
                    "evaluation",
                    "out_of_range",
                    "满意度评价须为 1 至 5 分",
                    "the evaluation must be 1 to 5",
                ));
            }
            if let Some(comment) = comment {
                errors.text("comment", comment, TEXT_MAX, Lines);
            }
        }
        Body::Withdraw(WithdrawBody { message, .. }) => {
            if let Some(message) = message {
                errors.text("message", message, TEXT_MAX, Lines);
            }
        }
        // What it carries is opened and judged on its own when the relay is taken.
        Body::Relay(_) => {}
    }
    // A request's signatory is checked with the request.
    if !matches!(body, Body::Request(_)) {
        signed_by(&mut errors, body.officer());
    }
    errors.finish().map_err(ApplyError::InvalidBody)
}

/// The officer an envelope names as its signatory: a name a person can read, on one line.
fn signed_by(errors: &mut Errors, officer: &Signatory) {
    errors.require_text("officer.name", &officer.name, "签发民警姓名", "the signing officer's name");
    errors.text("officer.name", &officer.name, NAME_MAX, OneLine);
}

fn validate_outcome(errors: &mut Errors, kind: CaseKind, outcome: Outcome, count: u32) {
    use crate::i18n::Label;
    if !Outcome::allowed_for(kind).contains(&outcome) {
        errors.push(FieldError::new(
            "outcome",
            "outcome_not_for_kind",
            format!("“{}”不适用于{}", outcome.zh(), kind.zh()),
            format!("{} does not fit a {} request", outcome.en(), kind.en()),
        ));
    }
    let count_ok = if outcome == Outcome::NoTrace { count == 0 } else { (1..=1000).contains(&count) };
    if !count_ok {
        errors.push(FieldError::new(
            "count",
            "out_of_range",
            "数量须为 1 至 1000（“未发现”时为 0）",
            "count must be 1 to 1000 (0 for no trace)",
        ));
    }
}
