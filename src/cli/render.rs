//! Human output of the officer commands: Chinese first, English with `--lang en`.

mod detail;

use std::fmt::Write as _;

pub use detail::detail;

use crate::api::cases::{CaseList, Me};
use crate::api::search::SearchResults;
use crate::case::{CaseRecord, TargetRecord};
use crate::client::ClientError;
use crate::clock::local_minute;
use crate::config::Role;
use crate::i18n::{Label, Lang};
use crate::store::Mailbox;

/// Station names to show for station ids, and which station is this one. Without them (the
/// default) ids are shown as they are.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// This station's id.
    pub home: Option<String>,
    names: std::collections::BTreeMap<String, String>,
}

impl Names {
    /// This station (`me`) and its partners.
    pub fn new(me: &Me, partners: &[crate::api::cases::StationView]) -> Self {
        let names = std::iter::once(&me.station).chain(partners).map(|s| (s.id.clone(), s.name.clone())).collect();
        Self { home: Some(me.station.id.clone()), names }
    }

    /// The name of station `id`, or the id of a station not known here.
    pub fn of<'a>(&'a self, id: &'a str) -> &'a str {
        self.names.get(id).map_or(id, String::as_str)
    }
}

/// `text` in brackets as each language writes them: （…） in Chinese, " (…)" in English.
pub(super) fn in_brackets(text: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("（{text}）"),
        Lang::En => format!(" ({text})"),
    }
}

/// A client error in words an officer can act on.
pub fn client_error(error: &ClientError, lang: Lang) -> String {
    match error {
        ClientError::Problem(problem) => {
            let mut out = match lang {
                Lang::Zh => format!("{}（{}）：{}", problem.title, problem.code, problem.detail),
                Lang::En => format!("{} ({}): {}", problem.title, problem.code, problem.detail),
            };
            for field in &problem.errors {
                let _ = write!(out, "\n  - {}{}{}", field.field, lang.pick("：", ": "), lang.pick(&field.zh, &field.en));
            }
            if !problem.duplicates.is_empty() {
                for found in &problem.duplicates {
                    let _ = write!(out, "\n  - {} {}", found.case, found.title);
                }
                out.push('\n');
                out.push_str(lang.pick(
                    "如确需再次发送，请加 --confirm-duplicate 重新执行。",
                    "To send it anyway, run the command again with --confirm-duplicate.",
                ));
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
        ClientError::ReadFile { path, source } => match lang {
            Lang::Zh => format!("无法读取文件 {}：{}", path.display(), crate::i18n::io_error(source, lang)),
            Lang::En => format!("cannot read {}: {source}", path.display()),
        },
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

/// After sending a file that was sent before under the same key: nothing went out now.
pub fn sent_before(case: &CaseRecord, lang: Lang) -> String {
    let when = crate::clock::local_minute(case.created_at);
    let said = match lang {
        Lang::Zh => format!("该协查已于 {when} 发出，未重复发送（如确需再次发送，请加 --again）。"),
        Lang::En => format!(
            "this request was already sent at {when} (Beijing time) and was not sent again (add --again to send it anyway)."
        ),
    };
    format!("{said}\n{}", sent(case, lang))
}

/// A case as officers name it: its reference number, with its id for the record.
fn named(case: &CaseRecord, lang: Lang) -> String {
    match &case.refno {
        Some(refno) => match lang {
            Lang::Zh => format!("{}（{}）", refno.label, case.id),
            Lang::En => format!("{} ({})", refno.label, case.id),
        },
        None => case.id.to_string(),
    }
}

/// After sending a request.
pub fn sent(case: &CaseRecord, lang: Lang) -> String {
    let targets: Vec<&str> = case.targets.iter().map(|t| t.station.as_str()).collect();
    match lang {
        Lang::Zh => format!(
            "已发出协查 {}\n  {}\n  发往：{}\n  签收时限：{}",
            named(case, lang),
            case.title,
            targets.join("、"),
            deadline(case, |t| t.ack_by)
        ),
        Lang::En => format!(
            "request sent: {}\n  {}\n  to: {}\n  acknowledge by: {}",
            named(case, lang),
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
        .pick(
            &format!("已更新协查 {}：{}", named(case, lang), case.title),
            &format!("case {} updated: {}", named(case, lang), case.title),
        )
        .to_owned();
    for target in &case.targets {
        let _ = write!(out, "\n  {} {}", target.station, target.state.label(lang));
    }
    out
}

/// A decisive outcome elsewhere: "犀溪派出所 已拦截 · 2026-12-07 14:05".
fn decisive_words(
    station: &str,
    outcome: crate::domain::case::Outcome,
    at: time::OffsetDateTime,
    lang: Lang,
) -> String {
    format!("{station} {} · {}", outcome.label(lang), local_minute(at))
}

/// After a handover.
pub fn handed_over(case: &CaseRecord, lang: Lang) -> String {
    lang.pick(
        &format!("已移交协查 {}：{}\n  承办人：{}", named(case, lang), case.title, handler_words(case, lang)),
        &format!("case {} handed over: {}\n  handler: {}", named(case, lang), case.title, handler_words(case, lang)),
    )
    .to_owned()
}

/// Who handles a case: 郑丽娟（350924002）, or that no one does.
fn handler_words(case: &CaseRecord, lang: Lang) -> String {
    officer_words(case.handler.as_ref(), lang)
}

fn officer_words(officer: Option<&crate::envelope::Signatory>, lang: Lang) -> String {
    match officer {
        Some(o) => format!("{}{}", o.name, in_brackets(o.badge.as_str(), lang)),
        None => lang.pick("无人承办", "unassigned").to_owned(),
    }
}

/// A handover in the timeline: 交接：张三 → 李四, who did it if someone else, and the note.
fn handover_lines(handover: &crate::node::HandoverView, lang: Lang) -> String {
    let check = if handover.verified {
        lang.pick("签名有效", "signature valid")
    } else {
        lang.pick("签名无效", "SIGNATURE INVALID")
    };
    let mut out = format!(
        "\n  {}  {}{}{} → {}  [{check}]",
        local_minute(handover.at),
        lang.pick("交接", "handover"),
        lang.pick("：", ": "),
        officer_words(handover.from.as_ref(), lang),
        officer_words(handover.to.as_ref(), lang),
    );
    if handover.by != handover.from {
        let _ = write!(out, "\n    {}{}", lang.pick("经办：", "by "), officer_words(handover.by.as_ref(), lang));
    }
    if let Some(note) = &handover.note {
        let _ = write!(out, "\n    {note}");
    }
    out
}

/// A listing as a table.
pub fn list(list: &CaseList, mailbox: Mailbox, names: &Names, lang: Lang) -> String {
    let heading = match (mailbox, lang) {
        (Mailbox::Inbox, Lang::Zh) => "收到的协查",
        (Mailbox::Outbox, Lang::Zh) => "发出的协查",
        (Mailbox::Inbox, Lang::En) => "received requests",
        (Mailbox::Outbox, Lang::En) => "sent requests",
    };
    let mut out = match lang {
        Lang::Zh => format!("{heading}（{}）", list.cases.len()),
        Lang::En => format!("{heading} ({})", list.cases.len()),
    };
    if list.cases.is_empty() {
        out.push_str(lang.pick("\n  （无）", "\n  (none)"));
    }
    for item in &list.cases {
        let case = &item.case;
        let states: Vec<String> = case
            .targets
            .iter()
            .map(|t| format!("{} {}{}", names.of(t.station.as_str()), t.state.label(lang), suggestion(t, names, lang)))
            .collect();
        let overdue = if item.overdue.is_empty() { "" } else { lang.pick(" [超期]", " [OVERDUE]") };
        let flag = if case.same_subject.is_empty() { "" } else { lang.pick(" [一人多次]", " [same subject]") };
        let decisive = names
            .home
            .as_deref()
            .and_then(|home| home.parse().ok())
            .and_then(|home| case.decisive_elsewhere(&home))
            .and_then(|t| Some(decisive_words(names.of(t.station.as_str()), t.outcome?, t.resolved_at?, lang)))
            .map(|words| format!(" [{words}]"))
            .unwrap_or_default();
        let flag = format!("{decisive}{flag}");
        let number = case.refno.as_ref().map(|r| format!("{}  ", r.label)).unwrap_or_default();
        let _ = write!(
            out,
            "\n{number}{}  {} {}  {}{overdue}{flag}\n    {}  {}  {}{}",
            case.id,
            case.priority.label(lang),
            case.kind.label(lang),
            case.title,
            local_minute(case.created_at),
            if mailbox == Mailbox::Inbox {
                // This station's own state of the request, the one it acts on.
                let ours = case.targets.iter().find(|t| names.home.as_deref() == Some(t.station.as_str()));
                let state = ours.map(|t| format!("  {}", t.state.label(lang))).unwrap_or_default();
                format!("{} {}{state}", lang.pick("来自", "from"), names.of(case.origin.as_str()))
            } else {
                states.join(lang.pick("；", "; "))
            },
            lang.pick("承办人：", "handler: "),
            handler_words(case, lang),
        );
    }
    if let Some(next) = &list.next {
        let _ = write!(out, "\n{}{next}", lang.pick("下一页：--cursor ", "next page: --cursor "));
    }
    out
}

/// Cases found by `case search`: one line a case with its reference number, kind, title,
/// partner, state and where the words matched.
pub fn search(found: &SearchResults, words: &str, names: &Names, lang: Lang) -> String {
    let mut out = match lang {
        Lang::Zh => format!("搜索“{words}”：{} 件", found.results.len()),
        Lang::En => format!("search “{words}”: {} case(s)", found.results.len()),
    };
    if found.results.is_empty() {
        out.push_str(lang.pick("\n  （无）", "\n  (none)"));
    }
    for result in &found.results {
        let case = &result.case;
        let number = case.refno.as_ref().map_or_else(|| case.id.to_string(), |r| r.label.clone());
        let home = names.home.as_deref();
        let partners: Vec<String> = if home == Some(case.origin.as_str()) {
            case.targets.iter().map(|t| format!("{} {}", names.of(t.station.as_str()), t.state.label(lang))).collect()
        } else {
            let ours = case.targets.iter().find(|t| home == Some(t.station.as_str()));
            let state = ours.map(|t| format!(" {}", t.state.label(lang))).unwrap_or_default();
            vec![format!("{} {}{state}", lang.pick("来自", "from"), names.of(case.origin.as_str()))]
        };
        let matched: Vec<&str> = result.matched.iter().map(|f| f.label(lang)).collect();
        let matched = if matched.is_empty() {
            String::new()
        } else {
            format!("  {}{}", lang.pick("匹配：", "matched: "), matched.join(lang.pick("、", ", ")))
        };
        let overdue = if result.overdue.is_empty() { "" } else { lang.pick(" [超期]", " [OVERDUE]") };
        let _ = write!(
            out,
            "\n{number}  {}  {}{overdue}\n    {}  {}{matched}",
            case.kind.label(lang),
            case.title,
            local_minute(case.created_at),
            partners.join(lang.pick("；", "; ")),
        );
    }
    if let Some(next) = &found.next {
        let _ = write!(out, "\n{}{next}", lang.pick("下一页：--cursor ", "next page: --cursor "));
    }
    out
}

/// The station a declined target suggested instead, in brackets; empty otherwise.
fn suggestion(target: &TargetRecord, names: &Names, lang: Lang) -> String {
    match &target.suggested_station {
        Some(s) if target.state == crate::domain::lifecycle::TargetState::Declined => {
            in_brackets(&format!("{}{}", lang.pick("建议改发：", "suggested: "), names.of(s.as_str())), lang)
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests;
