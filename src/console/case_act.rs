//! `POST /console/cases/{id}/{action}`: reads an action form of the case page, takes the
//! action, and shows the case again, with what went wrong in the officer's language.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::case_page::{STAND_DOWN, case_id, render};
use super::forms::{Posted, beijing_time};
use super::{ErrorPage, Page};
use crate::domain::lifecycle::ActionKind;
use crate::i18n::Lang;
use crate::ids::StationId;
use crate::node::{
    AckInput, Action, CloseInput, DeclineInput, Node, NodeError, NoteInput, OutcomeInput, ReminderInput, WithdrawInput,
};

fn text(posted: &Posted, name: &str) -> String {
    posted.get(name).and_then(|v| v.first()).map(|s| s.trim().to_owned()).unwrap_or_default()
}

fn optional(posted: &Posted, name: &str) -> Option<String> {
    Some(text(posted, name)).filter(|s| !s.is_empty())
}

fn stations(posted: &Posted) -> Vec<StationId> {
    posted.get("targets").into_iter().flatten().filter_map(|s| s.parse().ok()).collect()
}

/// What a posted action form asks for.
enum Taken {
    Act(Action),
    Forward(crate::node::ForwardInput),
    Handover(crate::node::HandoverInput),
    StandDown(crate::node::StandDownInput),
}

/// Reads an action from a posted form; a message in the page's language when a value is malformed.
fn action_of(kind: ActionKind, posted: &Posted, lang: Lang) -> Result<Taken, String> {
    let bad = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
    Ok(Taken::Act(match kind {
        ActionKind::Ack => {
            let report_by = match optional(posted, "report_by") {
                Some(t) => Some(
                    beijing_time(&t).ok_or_else(|| bad("承诺反馈时间格式不正确", "the report time is not valid"))?,
                ),
                None => None,
            };
            Action::Ack(AckInput { report_by, message: optional(posted, "message") })
        }
        ActionKind::Decline => Action::Decline(DeclineInput {
            reason: text(posted, "reason").parse().map_err(|_| bad("请选择退回原因", "choose a reason"))?,
            message: text(posted, "message"),
            suggested_station: optional(posted, "suggested_station").and_then(|s| s.parse().ok()),
        }),
        ActionKind::Note => {
            Action::Note(NoteInput { text: text(posted, "text"), targets: stations(posted), attachments: Vec::new() })
        }
        ActionKind::Reminder => {
            Action::Reminder(ReminderInput { message: optional(posted, "message"), targets: stations(posted) })
        }
        ActionKind::Outcome => Action::Outcome(OutcomeInput {
            outcome: text(posted, "outcome").parse().map_err(|_| bad("请选择结果", "choose an outcome"))?,
            count: text(posted, "count")
                .parse()
                .map_err(|_| bad("数量应为整数", "the count must be a whole number"))?,
            narrative: text(posted, "narrative"),
        }),
        ActionKind::Close => Action::Close(CloseInput {
            evaluation: text(posted, "evaluation").parse().map_err(|_| bad("请选择满意度", "choose an evaluation"))?,
            comment: optional(posted, "comment"),
            targets: stations(posted),
        }),
        ActionKind::Withdraw => Action::Withdraw(WithdrawInput {
            reason: text(posted, "reason").parse().map_err(|_| bad("请选择撤回原因", "choose a reason"))?,
            message: optional(posted, "message"),
            targets: stations(posted),
        }),
        ActionKind::Forward => match text(posted, "to").parse() {
            Ok(to) => return Ok(Taken::Forward(crate::node::ForwardInput { to, message: text(posted, "message") })),
            Err(_) => return Err(bad("请选择转发单位", "choose a station")),
        },
    }))
}

/// `POST /console/cases/{id}/{action}`: checks the form token and the confirmation, takes the
/// action, and shows the case again.
pub async fn act(
    page: Page,
    State(node): State<Arc<Node>>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Result<Response, ErrorPage> {
    let lang = page.lang;
    let id = case_id(&node, &id, lang)?;
    // The token is checked as the form is read, before any file a note carries is taken.
    let form = super::attach_form::read(&page, &headers, request).await?;
    if let Some(status) = form.status {
        let refused: Vec<String> = form.refused.iter().map(|e| lang.pick(&e.zh, &e.en).to_owned()).collect();
        let detail = node.read_case(&page.officer, id).await.map_err(|e| ErrorPage::from_node(&e, lang))?;
        return Ok((status, render(&page, &detail, None, Some(&refused.join("；")))).into_response());
    }
    let posted = form.posted;
    let taken = match action.parse::<ActionKind>() {
        Ok(kind) => action_of(kind, &posted, lang).map(|taken| match taken {
            Taken::Act(Action::Note(note)) => {
                Taken::Act(Action::Note(NoteInput { attachments: form.attachments.clone(), ..note }))
            }
            other => other,
        }),
        Err(_) if action == super::handover::ACTION => super::handover::input_of(&posted, lang).map(Taken::Handover),
        Err(_) if action == STAND_DOWN => match text(&posted, "reason").parse() {
            Ok(reason) => {
                Ok(Taken::StandDown(crate::node::StandDownInput { reason, message: optional(&posted, "message") }))
            }
            Err(_) => Err(lang.pick("请选择撤回原因", "choose a reason").to_owned()),
        },
        Err(_) => Err(lang.pick("没有这项操作", "no such action").to_owned()),
    };
    let problem = if text(&posted, "confirm") != "yes" {
        Some(lang.pick("请勾选“确认无误”后再提交。", "Tick “I confirm” before submitting.").to_owned())
    } else {
        let outcome = match taken {
            Err(message) => Err(Err(message)),
            Ok(Taken::Act(taken)) => node.act(&page.officer, id, taken).await.map(drop).map_err(Ok),
            Ok(Taken::Forward(input)) => node.forward(&page.officer, id, input).await.map(drop).map_err(Ok),
            Ok(Taken::Handover(input)) => node.hand_over(&page.officer, id, input).await.map(drop).map_err(Ok),
            Ok(Taken::StandDown(input)) => node.stand_down(&page.officer, id, input).await.map(drop).map_err(Ok),
        };
        match outcome {
            Err(Err(message)) => Some(message),
            Ok(()) => return Ok(Redirect::to(&format!("/console/cases/{id}?done={action}")).into_response()),
            Err(Ok(NodeError::Validation(errors))) => {
                Some(errors.iter().map(|e| lang.pick(&e.zh, &e.en).to_owned()).collect::<Vec<_>>().join("；"))
            }
            Err(Ok(e @ (NodeError::Store(_) | NodeError::CaseNotFound(_) | NodeError::Envelope(_)))) => {
                return Err(ErrorPage::from_node(&e, lang));
            }
            Err(Ok(e)) => Some(e.detail(lang)),
        }
    };
    let detail = node.read_case(&page.officer, id).await.map_err(|e| ErrorPage::from_node(&e, lang))?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page, &detail, None, problem.as_deref())).into_response())
}
