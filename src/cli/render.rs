//! Human output of the officer commands: Chinese first, English with `--lang en`.

use std::fmt::Write as _;

use crate::api::cases::{CaseList, Me};
use crate::case::{CaseRecord, TargetRecord};
use crate::client::ClientError;
use crate::clock::local_minute;
use crate::config::Role;
use crate::domain::lifecycle::ActionKind;
use crate::i18n::{Label, Lang};
use crate::node::CaseDetail;
use crate::store::Mailbox;

/// A client error in words an officer can act on.
pub fn client_error(error: &ClientError, lang: Lang) -> String {
    match error {
        ClientError::Problem(problem) => {
            let mut out = format!("{}（{}）：{}", problem.title, problem.code, problem.detail);
            for field in &problem.errors {
                let _ = write!(out, "\n  - {}：{}", field.field, lang.pick(&field.zh, &field.en));
            }
            out
        }
        ClientError::Connect { url, source } => lang
            .pick(
                &format!("无法连接 {url}：{source}。请检查地址，以及证书是否由对方信任的 CA 签发且未过期、未吊销。"),
                &format!("no answer from {url}: {source}. Check the URL and that your certificate is trusted, current and not revoked."),
            )
            .to_owned(),
        ClientError::Tls(e) => lang.pick(&format!("证书文件有误：{e}"), &format!("certificate files: {e}")).to_owned(),
        ClientError::Decode { url, reason } => {
            lang.pick(&format!("无法读取 {url} 的内容：{reason}"), &format!("cannot read {url}: {reason}")).to_owned()
        }
    }
}

/// `whoami`.
pub fn me(me: &Me, lang: Lang) -> String {
    let roles: Vec<&str> = me.roles.iter().map(|r: &Role| r.label(lang)).collect();
    match lang {
        Lang::Zh => format!("{}（警号 {}），{}，角色：{}", me.name, me.badge, me.station.name, roles.join("、")),
        Lang::En => format!("{} (badge {}), {}, roles: {}", me.name, me.badge, me.station.name, roles.join(", ")),
    }
}

/// After sending a request.
pub fn sent(case: &CaseRecord, lang: Lang) -> String {
    let targets: Vec<&str> = case.targets.iter().map(|t| t.station.as_str()).collect();
    match lang {
        Lang::Zh => format!(
            "已发出协查 {}\n  {}\n  发往：{}\n  签收时限：{}",
            case.id,
            case.title,
            targets.join("、"),
            deadline(case, |t| t.ack_by)
        ),
        Lang::En => format!(
            "request sent: {}\n  {}\n  to: {}\n  acknowledge by: {}",
            case.id,
            case.title,
            targets.join(", "),
            deadline(case, |t| t.ack_by)
        ),
    }
}

fn deadline(case: &CaseRecord, pick: fn(&TargetRecord) -> time::OffsetDateTime) -> String {
    case.targets.first().map(|t| local_minute(pick(t))).unwrap_or_default()
}

/// After an action.
pub fn updated(case: &CaseRecord, lang: Lang) -> String {
    let mut out = lang
        .pick(&format!("已更新协查 {}：{}", case.id, case.title), &format!("case {} updated: {}", case.id, case.title))
        .to_owned();
    for target in &case.targets {
        let _ = write!(out, "\n  {} {}", target.station, target.state.label(lang));
    }
    out
}

/// A listing as a table.
pub fn list(list: &CaseList, mailbox: Mailbox, lang: Lang) -> String {
    let heading = match (mailbox, lang) {
        (Mailbox::Inbox, Lang::Zh) => "收到的协查",
        (Mailbox::Outbox, Lang::Zh) => "发出的协查",
        (Mailbox::Inbox, Lang::En) => "received requests",
        (Mailbox::Outbox, Lang::En) => "sent requests",
    };
    let mut out = format!("{heading}（{}）", list.cases.len());
    if list.cases.is_empty() {
        out.push_str(lang.pick("\n  （无）", "\n  (none)"));
    }
    for item in &list.cases {
        let case = &item.case;
        let states: Vec<String> =
            case.targets.iter().map(|t| format!("{} {}", t.station, t.state.label(lang))).collect();
        let overdue = if item.overdue.is_empty() { "" } else { lang.pick(" [超期]", " [OVERDUE]") };
        let flag = if case.same_subject.is_empty() { "" } else { lang.pick(" [一人多次]", " [same subject]") };
        let _ = write!(
            out,
            "\n{}  {} {}  {}{overdue}{flag}\n    {}  {}",
            case.id,
            case.priority.label(lang),
            case.kind.label(lang),
            case.title,
            local_minute(case.created_at),
            if mailbox == Mailbox::Inbox {
                format!("{} {}", lang.pick("来自", "from"), case.origin)
            } else {
                states.join("；")
            },
        );
    }
    if let Some(next) = &list.next {
        let _ = write!(out, "\n{}{next}", lang.pick("下一页：--cursor ", "next page: --cursor "));
    }
    out
}

/// One case with its timeline.
pub fn detail(detail: &CaseDetail, lang: Lang) -> String {
    let case = &detail.case;
    let mut out = format!(
        "{}\n{} {} | {}\n{}：{}\n{}：{}",
        case.title,
        case.priority.label(lang),
        case.kind.label(lang),
        case.id,
        lang.pick("发起单位", "origin"),
        case.origin,
        lang.pick("摘要", "summary"),
        case.summary,
    );
    if !case.restrictions.is_empty() {
        let labels: Vec<&str> = case.restrictions.iter().map(|r| r.label(lang)).collect();
        let _ = write!(out, "\n{}：{}", lang.pick("处置限制", "restrictions"), labels.join("、"));
    }
    for target in &case.targets {
        let _ = write!(
            out,
            "\n  {} {}  {} {}  {} {}",
            target.station,
            target.state.label(lang),
            lang.pick("签收时限", "ack by"),
            local_minute(target.ack_by),
            lang.pick("反馈时限", "report by"),
            local_minute(target.report_by),
        );
    }
    for refused in &detail.refused {
        let _ = write!(
            out,
            "\n  {}{} → {}（{}）{} {}",
            lang.pick("对方拒收：", "refused: "),
            refused.letter.kind.label(lang),
            refused.station,
            refused.letter.code,
            refused.letter.message,
            lang.pick("——请联系本站系统管理员处理后重新投递", "— ask this station's admin to send it again"),
        );
    }
    for overdue in &detail.overdue {
        let _ = write!(
            out,
            "\n  {} {} {} {}",
            lang.pick("超期：", "overdue:"),
            overdue.station,
            overdue.minutes_overdue,
            lang.pick("分钟", "min")
        );
    }
    for linked in &detail.same_subject {
        let _ = write!(out, "\n  {} {} {}", lang.pick("一人多次：", "same subject:"), linked.id, linked.title);
    }
    out.push_str(lang.pick("\n时间线：", "\ntimeline:"));
    for entry in &detail.timeline {
        let who = entry.officer.as_ref().map(|o| format!("{}（{}）", o.name, o.badge)).unwrap_or_default();
        let check = if entry.verified {
            lang.pick("签名有效", "signature valid")
        } else {
            lang.pick("签名无效", "SIGNATURE INVALID")
        };
        let _ = write!(
            out,
            "\n  {}  {} {} {}  [{}]",
            local_minute(entry.at),
            entry.from,
            who,
            entry.kind.label(lang),
            check
        );
        for receipt in &entry.receipts {
            let _ = write!(
                out,
                "\n    {} {} {}",
                lang.pick("回执：", "receipt:"),
                receipt.station,
                receipt.stored_at.as_deref().unwrap_or("?")
            );
        }
    }
    if !detail.actions.is_empty() {
        // Each with the command that takes it: `tiemeng case remind` takes a reminder.
        let actions: Vec<String> = detail
            .actions
            .iter()
            .map(|action| {
                let command = if *action == ActionKind::Reminder { "remind" } else { action.as_str() };
                format!("{}（{command}）", action.label(lang))
            })
            .collect();
        let _ = write!(
            out,
            "\n{}：{}",
            lang.pick("可进行的操作", "available actions"),
            actions.join(lang.pick("、", ", "))
        );
    }
    out
}
