//! `tiemeng case …`: what an officer does from a terminal, over mTLS with their own
//! certificate.

mod redirect;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use time::OffsetDateTime;

use super::connection::Connection;
use super::{fail, render};
use crate::client::{ApiClient, ClientError};
use crate::domain::case::{DeclineReason, Outcome, WithdrawReason};
use crate::domain::details::CaseKind;
use crate::i18n::Lang;
use crate::ids::StationId;
use crate::node::{
    AckInput, Action, CloseInput, DeclineInput, IdempotencyKey, NoteInput, OutcomeInput, ReminderInput, WithdrawInput,
};
use crate::store::Mailbox;
use redirect::redirect_plan;

/// Connection settings and the command.
#[derive(Debug, Args)]
pub struct CaseArgs {
    #[command(flatten)]
    connection: Connection,
    /// Print the node's JSON answer instead of a summary.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: CaseCommand,
}

/// Officer commands.
#[derive(Debug, Subcommand)]
enum CaseCommand {
    /// 当前身份 (who am I at this node).
    Whoami,
    /// 打印某类协查的空白模板，字段说明另行列出 (print an empty request to fill in; each field's
    /// meaning and format go to standard error).
    Template {
        /// missing_person, fugitive, serial_theft, dispute or general.
        kind: CaseKind,
        /// Target station(s).
        #[arg(long = "to")]
        to: Vec<StationId>,
        /// A filled-in example (invented people) instead of an empty request.
        #[arg(long)]
        example: bool,
    },
    /// 发起协查 (send a request from a JSON file; `-` reads standard input). The same file sent
    /// again within 24 hours gives the first case back and sends nothing.
    Send {
        /// The request, as printed by `template` and filled in.
        #[arg(long)]
        file: PathBuf,
        /// 再次发送: send it even if this file was sent within 24 hours.
        #[arg(long)]
        again: bool,
        /// 仍然发送: send it even though an open request to the same partner names the same
        /// person, vehicle or case.
        #[arg(long)]
        confirm_duplicate: bool,
        /// 附件: a photo (JPEG, PNG, WebP) or document (PDF) to send with it; repeat for more.
        /// Each is uploaded first, then the request names it, signed.
        #[arg(long = "attach", value_name = "FILE")]
        attach: Vec<PathBuf>,
        /// 附件说明: a caption for the attachment in the same place (the first --caption goes
        /// with the first --attach); "" for none.
        #[arg(long = "caption", value_name = "TEXT")]
        caption: Vec<String>,
    },
    /// 列出协查 (list the inbox or outbox).
    List {
        /// List the outbox (sent) instead of the inbox (received).
        #[arg(long)]
        outbox: bool,
        /// sent, delivered, acknowledged, declined, resolved, closed, withdrawn.
        #[arg(long)]
        status: Option<String>,
        /// Kind of request.
        #[arg(long)]
        kind: Option<String>,
        /// Partner station.
        #[arg(long)]
        peer: Option<String>,
        /// Only overdue (超期).
        #[arg(long)]
        overdue: bool,
        /// Only the cases you handle (我承办的).
        #[arg(long, conflicts_with = "unassigned")]
        mine: bool,
        /// Only received requests no one has taken on yet (无人承办).
        #[arg(long)]
        unassigned: bool,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Continue from a previous page.
        #[arg(long)]
        cursor: Option<String>,
    },
    /// 搜索协查 (search this station's cases: a name, a resident ID or 尾号1234, a plate, a case or
    /// warrant number, a reference number, words of the title or narrative; all words must match).
    Search {
        /// The words; none lists by the filters alone.
        words: Vec<String>,
        /// Kind of request.
        #[arg(long)]
        kind: Option<String>,
        /// Partner station.
        #[arg(long)]
        partner: Option<String>,
        /// sent, delivered, acknowledged, declined, resolved, closed, withdrawn.
        #[arg(long)]
        state: Option<String>,
        /// Sent on or after this day (2026-12-01, Beijing time).
        #[arg(long)]
        from: Option<String>,
        /// Sent on or before this day (2026-12-31, Beijing time).
        #[arg(long)]
        to: Option<String>,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Continue from a previous page.
        #[arg(long)]
        cursor: Option<String>,
    },
    /// 查看协查详情 (show one case with its signed timeline).
    Show {
        /// Case id or reference number (泰罗阳协〔2026〕12号, or 2026-12 for this station's own).
        #[arg(value_parser = crate::domain::refno::case_ref)]
        id: String,
    },
    /// 打印协查函 (write the request as a formal A4 letter with its check code, as HTML to print).
    Letter {
        /// Case id or reference number (泰罗阳协〔2026〕12号, or 2026-12 for this station's own).
        #[arg(value_parser = crate::domain::refno::case_ref)]
        id: String,
        /// The HTML file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// 改发 (send a request a partner declined to another station: the one the decline
    /// suggested, or --to; shows what it will send, and sends with --yes).
    Redirect {
        /// Case id or reference number of the declined request (this station's own).
        #[arg(value_parser = crate::domain::refno::case_ref)]
        id: String,
        /// The station that declined it (needed when more than one did).
        #[arg(long)]
        from: Option<StationId>,
        /// Where to send it instead (default: the station the decline suggested).
        #[arg(long = "to")]
        to: Vec<StationId>,
        /// Send it: without this, only show what would be sent.
        #[arg(long)]
        yes: bool,
    },
    /// 转发 (pass a received request on to another partner station).
    Forward {
        /// Case id or reference number (泰罗阳协〔2026〕12号, or 2026-12 for this station's own).
        #[arg(value_parser = crate::domain::refno::case_ref)]
        id: String,
        /// The station to pass it to.
        #[arg(long = "to")]
        to: StationId,
        /// Why.
        #[arg(long)]
        message: String,
    },
    /// 其余单位撤回 (stand the remaining targets down after one reported the subject found or
    /// in custody).
    StandDown {
        /// Case id or reference number (泰罗阳协〔2026〕12号, or 2026-12 for this station's own).
        #[arg(value_parser = crate::domain::refno::case_ref)]
        id: String,
        /// in_custody (已到案), person_found (已找到), resolved_elsewhere, other, …
        #[arg(long)]
        reason: WithdrawReason,
        /// Explanation for the targets.
        #[arg(long)]
        message: Option<String>,
    },
    /// 交接 (hand the case to another officer of this station: its handler or the chief).
    Handover {
        /// Case id or reference number (泰罗阳协〔2026〕12号, or 2026-12 for this station's own).
        #[arg(value_parser = crate::domain::refno::case_ref)]
        id: String,
        /// Badge number (警号) of the officer who takes it on.
        #[arg(long = "to")]
        to: crate::ids::Badge,
        /// What they should know.
        #[arg(long)]
        note: Option<String>,
    },
    /// 导出证据包 (export the case as a signed evidence bundle).
    Export {
        /// Case id or reference number (泰罗阳协〔2026〕12号, or 2026-12 for this station's own).
        #[arg(value_parser = crate::domain::refno::case_ref)]
        id: String,
        /// Where to write the bundle.
        #[arg(long)]
        out: PathBuf,
    },
    /// Actions on a case.
    #[command(flatten)]
    Act(ActCommand),
}

/// Officer actions on one case.
#[derive(Debug, Subcommand)]
enum ActCommand {
    /// 签收 (acknowledge).
    Ack {
        /// Case id or reference number (泰罗阳协〔2026〕12号, or 2026-12 for this station's own).
        #[arg(value_parser = crate::domain::refno::case_ref)]
        id: String,
        /// When you will report (RFC 3339), if not by the requested deadline.
        #[arg(long, value_parser = parse_time, conflicts_with = "report_in")]
        report_by: Option<OffsetDateTime>,
        /// Or how long from now you will report in: 30m, 8h, 2d.
        #[arg(long)]
        report_in: Option<crate::domain::deadline::Span>,
        /// Message for the requesting station.
        #[arg(long)]
        message: Option<String>,
    },
    /// 退回 (decline).
    Decline {
        /// Case id or reference number (泰罗阳协〔2026〕12号, or 2026-12 for this station's own).
        #[arg(value_parser = crate::domain::refno::case_ref)]
        id: String,
        /// not_our_area, insufficient_information, duplicate, other.
        #[arg(long)]
        reason: DeclineReason,
        /// Explanation.
        #[arg(long)]
        message: String,
        /// Station that should take it instead.
        #[arg(long)]
        suggest: Option<StationId>,
    },
    /// 补充说明 (add a note).
    Note {
        /// Case id or reference number (泰罗阳协〔2026〕12号, or 2026-12 for this station's own).
        #[arg(value_parser = crate::domain::refno::case_ref)]
        id: String,
        /// The note (`--text` is the older name).
        #[arg(long, alias = "text")]
        message: String,
        /// Target station(s) to tell (requesting side only; default all open).
        #[arg(long = "to")]
        to: Vec<StationId>,
        /// 附件: a photo or document to send with the note (the person found, a scanned
        /// reply); repeat for more.
        #[arg(long = "attach", value_name = "FILE")]
        attach: Vec<PathBuf>,
        /// 附件说明: a caption for the --attach in the same place; "" for none.
        #[arg(long = "caption", value_name = "TEXT")]
        caption: Vec<String>,
    },
    /// 催办 (remind overdue targets).
    Remind {
        /// Case id or reference number (泰罗阳协〔2026〕12号, or 2026-12 for this station's own).
        #[arg(value_parser = crate::domain::refno::case_ref)]
        id: String,
        /// Message.
        #[arg(long)]
        message: Option<String>,
        /// Target station(s) (default all that still owe an answer).
        #[arg(long = "to")]
        to: Vec<StationId>,
    },
    /// 反馈结果 (report the outcome).
    Outcome {
        /// Case id or reference number (泰罗阳协〔2026〕12号, or 2026-12 for this station's own).
        #[arg(value_parser = crate::domain::refno::case_ref)]
        id: String,
        /// person_found, located, intercepted, arrested, case_solved, suspect_identified, dispute_resolved, completed, no_trace.
        #[arg(long)]
        outcome: Outcome,
        /// How many (0 for no_trace).
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// What was done and found.
        #[arg(long)]
        narrative: String,
    },
    /// 办结评价 (close and evaluate).
    Close {
        /// Case id or reference number (泰罗阳协〔2026〕12号, or 2026-12 for this station's own).
        #[arg(value_parser = crate::domain::refno::case_ref)]
        id: String,
        /// 满意度 1–5.
        #[arg(long)]
        evaluation: u8,
        /// Comment.
        #[arg(long)]
        comment: Option<String>,
        /// Target station(s) (default all resolved).
        #[arg(long = "to")]
        to: Vec<StationId>,
    },
    /// 撤回 (withdraw).
    Withdraw {
        /// Case id or reference number (泰罗阳协〔2026〕12号, or 2026-12 for this station's own).
        #[arg(value_parser = crate::domain::refno::case_ref)]
        id: String,
        /// resolved_elsewhere, lapsed, in_custody, person_found, entered_in_error, other.
        #[arg(long)]
        reason: WithdrawReason,
        /// Explanation.
        #[arg(long)]
        message: Option<String>,
        /// Target station(s) (default all open).
        #[arg(long = "to")]
        to: Vec<StationId>,
    },
}

fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| format!("{s:?} is not an RFC 3339 time such as 2026-11-23T18:00:00+08:00"))
}

/// Runs an officer command.
pub fn run(args: CaseArgs, lang: Lang) -> ExitCode {
    if let CaseCommand::Template { kind, to, example } = &args.command {
        let json = if *example {
            serde_json::to_value(crate::samples::sample(*kind, to.clone(), OffsetDateTime::now_utc()))
        } else {
            Ok(super::template::skeleton(*kind, to))
        };
        return match json.and_then(|json| serde_json::to_string_pretty(&json)) {
            Ok(json) => {
                super::print(&json);
                let said = if *example {
                    lang.pick(
                        "以上为虚构的示例，人员、证件号码均非真实，请勿直接发送。",
                        "An invented example: send none of it as it is.",
                    )
                    .to_owned()
                } else {
                    super::template::hints(*kind, lang)
                };
                use std::io::Write as _;
                let _ = writeln!(std::io::stderr(), "{said}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e.to_string()),
        };
    }
    let (client, runtime) = match args.connection.open(lang) {
        Ok(opened) => opened,
        Err(message) => return fail(&message),
    };
    match runtime.block_on(execute(&client, args.command, args.json, lang)) {
        Ok(output) => {
            super::print(&output);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&render::client_error(&e, lang)),
    }
}

/// This station's name and its partners', to show in place of station ids.
async fn names(client: &ApiClient) -> Result<render::Names, ClientError> {
    let (me, partners) = tokio::try_join!(client.me(), client.stations())?;
    Ok(render::Names::new(&me, &partners))
}

async fn execute(client: &ApiClient, command: CaseCommand, json: bool, lang: Lang) -> Result<String, ClientError> {
    match command {
        CaseCommand::Template { .. } => Ok(String::new()),
        CaseCommand::Whoami => {
            let me = client.me().await?;
            Ok(if json { to_json(&me) } else { render::me(&me, lang) })
        }
        CaseCommand::Send { file, again, confirm_duplicate, attach, caption } => {
            let unreadable = |reason| ClientError::Decode { url: file.display().to_string(), reason };
            let text = read_text(&file).map_err(unreadable)?;
            let mut new = super::template::read(&text, lang).map_err(unreadable)?;
            new.confirm_duplicate |= confirm_duplicate;
            new.attachments.extend(super::attach::upload_all(client, &attach, &caption, lang).await?);
            // The same file with other attachments is another request, not a repeat.
            let text = super::attach::keyed_text(&text, &new.attachments);
            let key = if again { IdempotencyKey::fresh().as_str().to_owned() } else { file_key(client, &text).await? };
            let sent = client.send_case(&new, Some(&key)).await?;
            Ok(match (json, sent.repeated) {
                (true, _) => to_json(&sent.case),
                (false, false) => render::sent(&sent.case, lang),
                (false, true) => render::sent_before(&sent.case, lang),
            })
        }
        CaseCommand::List { outbox, status, kind, peer, overdue, mine, unassigned, limit, cursor } => {
            let mut query = vec![format!("limit={limit}")];
            query.extend(status.map(|s| format!("status={s}")));
            query.extend(kind.map(|k| format!("kind={k}")));
            query.extend(peer.map(|p| format!("peer={p}")));
            query.extend(cursor.map(|c| format!("cursor={c}")));
            if overdue {
                query.push("overdue=true".into());
            }
            if mine {
                query.push("mine=true".into());
            }
            if unassigned {
                query.push("unassigned=true".into());
            }
            let mailbox = if outbox { Mailbox::Outbox } else { Mailbox::Inbox };
            let list = client.list(mailbox, &query.join("&")).await?;
            Ok(if json { to_json(&list) } else { render::list(&list, mailbox, &names(client).await?, lang) })
        }
        CaseCommand::Search { words, kind, partner, state, from, to, limit, cursor } => {
            let (q, limit) = (words.join(" "), limit.to_string());
            let mut params: Vec<(&str, &str)> = vec![("q", q.as_str()), ("limit", limit.as_str())];
            let filters = [("kind", &kind), ("peer", &partner), ("state", &state), ("from", &from), ("to", &to)];
            params.extend(filters.iter().filter_map(|(name, value)| Some((*name, value.as_deref()?))));
            params.extend(cursor.as_deref().map(|c| ("cursor", c)));
            let found = client.search(&params).await?;
            Ok(if json { to_json(&found) } else { render::search(&found, &q, &names(client).await?, lang) })
        }
        CaseCommand::Show { id } => {
            let detail = client.case(&id).await?;
            Ok(if json { to_json(&detail) } else { render::detail(&detail, &names(client).await?, lang) })
        }
        CaseCommand::Letter { id, out } => {
            let detail = client.case(&id).await?;
            let names = names(client).await?;
            let name = |station: &StationId| names.of(station.as_str()).to_owned();
            let html =
                crate::console::letter::document(&detail, &name, lang, crate::console::letter::Style::Standalone);
            std::fs::write(&out, html.into_string())
                .map_err(|e| ClientError::Decode { url: out.display().to_string(), reason: e.to_string() })?;
            let code = crate::node::LetterCode::of(&detail).map(|c| c.to_string()).unwrap_or_default();
            Ok(match lang {
                Lang::Zh => format!("协查函已保存：{}（用浏览器打开后打印，A4）\n核验码：{code}", out.display()),
                Lang::En => format!(
                    "letter saved to {} (open it in a browser and print on A4)\ncheck code: {code}",
                    out.display()
                ),
            })
        }
        CaseCommand::Redirect { id, from, to, yes } => {
            let detail = client.case(&id).await?;
            let names = names(client).await?;
            let plan = redirect_plan(&detail, from, to, &names, lang)?;
            if !yes {
                return Ok(plan.preview);
            }
            let text = serde_json::to_string(&plan.new).unwrap_or_default();
            let key = file_key(client, &text).await?;
            let sent = client.send_case(&plan.new, Some(&key)).await?;
            Ok(match (json, sent.repeated) {
                (true, _) => to_json(&sent.case),
                (false, false) => render::sent(&sent.case, lang),
                (false, true) => render::sent_before(&sent.case, lang),
            })
        }
        CaseCommand::Forward { id, to, message } => {
            let case = client.forward(&id, &crate::node::ForwardInput { to, message }).await?;
            Ok(if json { to_json(&case) } else { render::sent(&case, lang) })
        }
        CaseCommand::StandDown { id, reason, message } => {
            let case = client.stand_down(&id, &crate::node::StandDownInput { reason, message }).await?;
            Ok(if json { to_json(&case) } else { render::updated(&case, lang) })
        }
        CaseCommand::Handover { id, to, note } => {
            let case = client.hand_over(&id, &crate::node::HandoverInput { to, note }).await?;
            Ok(if json { to_json(&case) } else { render::handed_over(&case, lang) })
        }
        CaseCommand::Export { id, out } => {
            let bytes = client.bundle(&id).await?;
            std::fs::write(&out, bytes)
                .map_err(|e| ClientError::Decode { url: out.display().to_string(), reason: e.to_string() })?;
            // The bundle was exported (no_export allowed it): the files go beside it.
            let files = super::attach::export_files(client, &id, &out).await?;
            let saved = lang
                .pick(
                    &format!("证据包已保存：{}（可用 tiemeng verify 离线核验）", out.display()),
                    &format!("bundle saved to {} (check it offline with tiemeng verify)", out.display()),
                )
                .to_owned();
            Ok(match files {
                Some((count, dir)) => format!(
                    "{saved}\n{}",
                    lang.pick(
                        &format!("附件 {count} 个已保存到 {}", dir.display()),
                        &format!("{count} attachment files saved in {}", dir.display())
                    )
                ),
                None => saved,
            })
        }
        CaseCommand::Act(act) => {
            let files = match &act {
                ActCommand::Note { attach, caption, .. } => Some((attach.clone(), caption.clone())),
                _ => None,
            };
            let (id, mut action) = action_of(act);
            if let (Action::Note(note), Some((paths, captions))) = (&mut action, files) {
                note.attachments = super::attach::upload_all(client, &paths, &captions, lang).await?;
            }
            let case = client.act(&id, &action).await?;
            Ok(if json { to_json(&case) } else { render::updated(&case, lang) })
        }
    }
}

fn action_of(command: ActCommand) -> (String, Action) {
    match command {
        ActCommand::Ack { id, report_by, report_in, message } => {
            let report_by = report_by.or_else(|| report_in.map(|span| OffsetDateTime::now_utc() + span.0));
            (id, Action::Ack(AckInput { report_by, message }))
        }
        ActCommand::Decline { id, reason, message, suggest } => {
            (id, Action::Decline(DeclineInput { reason, message, suggested_station: suggest }))
        }
        ActCommand::Note { id, message, to, .. } => {
            (id, Action::Note(NoteInput { text: message, targets: to, attachments: Vec::new() }))
        }
        ActCommand::Remind { id, message, to } => (id, Action::Reminder(ReminderInput { message, targets: to })),
        ActCommand::Outcome { id, outcome, count, narrative } => {
            (id, Action::Outcome(OutcomeInput { outcome, count, narrative }))
        }
        ActCommand::Close { id, evaluation, comment, to } => {
            (id, Action::Close(CloseInput { evaluation, comment, targets: to }))
        }
        ActCommand::Withdraw { id, reason, message, to } => {
            (id, Action::Withdraw(WithdrawInput { reason, message, targets: to }))
        }
    }
}

fn read_text(file: &std::path::Path) -> Result<String, String> {
    if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| e.to_string())
    } else {
        std::fs::read_to_string(file).map_err(|e| e.to_string())
    }
}

/// The idempotency key of sending `text` as the connected officer: the same file sent again
/// by the same officer is the same send, whoever's terminal it comes from.
async fn file_key(client: &ApiClient, text: &str) -> Result<String, ClientError> {
    use sha2::{Digest, Sha256};
    let me = client.me().await?;
    let digest = Sha256::new().chain_update(me.identity.as_bytes()).chain_update([0]).chain_update(text.as_bytes());
    Ok(hex::encode(digest.finalize()))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
