//! `tiemeng case show`: one case with its targets, the request as signed, links and timeline.

use std::fmt::Write as _;

use super::{Names, decisive_words, handler_words, handover_lines, in_brackets, suggestion};
use crate::clock::local_minute;
use crate::console::case_page::{body_text, people_time};
use crate::console::forms::detail_lines;
use crate::domain::lifecycle::ActionKind;
use crate::i18n::{Label, Lang};
use crate::node::CaseDetail;
use crate::node::peer_words::{peer_trouble, unreachable_cause};

/// One case with its timeline.
pub fn detail(detail: &CaseDetail, names: &Names, lang: Lang) -> String {
    let case = &detail.case;
    let number = case.refno.as_ref().map(|r| format!("{} | ", r.label)).unwrap_or_default();
    let mut out = format!(
        "{}\n{} {} | {number}{}\n{}{}\n{}{}\n{}{}",
        case.title,
        case.priority.label(lang),
        case.kind.label(lang),
        case.id,
        lang.pick("发起单位：", "origin: "),
        names.of(case.origin.as_str()),
        lang.pick("承办人：", "handler: "),
        handler_words(case, lang),
        lang.pick("摘要：", "summary: "),
        case.summary,
    );
    if let Some(decisive) = &detail.decisive {
        let _ = write!(
            out,
            "\n>> {}",
            decisive_words(names.of(decisive.station.as_str()), decisive.outcome, decisive.at, lang)
        );
    }
    if let Some(offer) = &detail.stand_down {
        let stations: Vec<&str> = offer.targets.iter().map(|t| names.of(t.as_str())).collect();
        let _ = write!(
            out,
            "\n>> {}{}{}",
            lang.pick("可一并撤回其余单位：", "the rest can be stood down: "),
            stations.join(lang.pick("、", ", ")),
            lang.pick(
                &format!("（tiemeng case stand-down {} --reason {}）", case.id, offer.reason),
                &format!(" (tiemeng case stand-down {} --reason {})", case.id, offer.reason),
            ),
        );
    }
    if !case.restrictions.is_empty() {
        let labels: Vec<&str> = case.restrictions.iter().map(|r| r.label(lang)).collect();
        let _ = write!(out, "\n{}{}", lang.pick("处置限制：", "restrictions: "), labels.join(lang.pick("、", ", ")));
    }
    // The request as the console shows it: the kind's facts, the background, whom to call.
    let colon = lang.pick("：", ": ");
    for (label, lines) in detail_lines(case.kind, &detail.request["details"], lang) {
        let _ = write!(out, "\n{label}{colon}{}", lines.join(lang.pick("；", "; ")));
    }
    let facts = [
        (lang.pick("情况说明", "background"), &detail.request["narrative"]),
        (lang.pick("联系人", "contact"), &detail.request["contact"]),
        (lang.pick("本地案件编号", "their case number"), &detail.request["reference"]),
    ];
    for (label, value) in facts {
        if let Some(text) = value.as_str().filter(|t| !t.trim().is_empty()) {
            let _ = write!(out, "\n{label}{colon}{text}");
        }
    }
    let name = |s: &crate::ids::StationId| names.of(s.as_str()).to_owned();
    if let Some(from) = detail.request["redirected_from"].as_object() {
        let words = crate::console::letter::redirected_words(from, &name, lang);
        let _ = write!(out, "\n{}{colon}{words}", lang.pick("改发自", "redirected from"));
    }
    for redirect in &detail.redirects {
        let to: Vec<String> = redirect.to.iter().map(name).collect();
        let number = redirect.refno.clone().unwrap_or_else(|| redirect.case.to_string());
        let _ = write!(
            out,
            "\n{}{colon}{number} {} {}{}",
            lang.pick("已改发", "redirected"),
            lang.pick("至", "to"),
            to.join(lang.pick("、", ", ")),
            in_brackets(&format!("{}{}", name(&redirect.declined_by), lang.pick("退回", " declined")), lang),
        );
    }
    for target in &case.targets {
        let _ = write!(
            out,
            "\n  {} {}{}  {} {}  {} {}",
            names.of(target.station.as_str()),
            target.state.label(lang),
            suggestion(target, names, lang),
            lang.pick("签收时限", "ack by"),
            local_minute(target.ack_by),
            lang.pick("反馈时限", "report by"),
            local_minute(target.report_by),
        );
    }
    out.push_str(&super::super::attach::lines(detail, names, lang));
    for target in &case.co_targets {
        let outcome = target.outcome.map(|o| format!("  {}", o.label(lang))).unwrap_or_default();
        let _ = write!(
            out,
            "\n  {}{} {}{outcome}",
            lang.pick("（转告）", "(relayed) "),
            names.of(target.station.as_str()),
            target.state.label(lang),
        );
    }
    for partner in &detail.unreachable {
        let _ = write!(
            out,
            "\n  {}",
            match lang {
                Lang::Zh => format!(
                    "{} 节点不可达（自 {}{}），本站队列中待投递 {} 份；恢复后按序送达",
                    names.of(partner.station.as_str()),
                    local_minute(partner.since),
                    unreachable_cause(&partner.code, lang).map(|c| format!("，{c}")).unwrap_or_default(),
                    partner.queued
                ),
                Lang::En => format!(
                    "{} cannot be reached (since {}{}); {} envelopes wait here and go in order once it is back",
                    names.of(partner.station.as_str()),
                    local_minute(partner.since),
                    unreachable_cause(&partner.code, lang).map(|c| format!(": {c}")).unwrap_or_default(),
                    partner.queued
                ),
            }
        );
    }
    for refused in &detail.refused {
        let _ = write!(
            out,
            "\n  {}{} → {}{}{}{} {}",
            lang.pick("对方拒收：", "refused: "),
            refused.letter.kind.label(lang),
            names.of(refused.station.as_str()),
            lang.pick("：", ": "),
            peer_trouble(&refused.letter.code, "", lang),
            in_brackets(&format!("{} {}", refused.letter.code, refused.letter.message), lang),
            lang.pick("——请联系本站系统管理员处理后重新投递", "— ask this station's admin to send it again"),
        );
    }
    for overdue in &detail.overdue {
        let _ = write!(
            out,
            "\n  {}{} {}",
            lang.pick("超期：", "overdue: "),
            names.of(overdue.station.as_str()),
            crate::console::lists::duration_words(overdue.minutes_overdue, lang)
        );
    }
    for linked in &detail.same_subject {
        let _ = write!(out, "\n  {}{} {}", lang.pick("一人多次：", "same subject: "), linked.id, linked.title);
    }
    out.push_str(lang.pick("\n时间线：", "\ntimeline:"));
    for item in detail.timeline_items() {
        let entry = match item {
            crate::node::TimelineItem::Envelope(entry) => entry,
            crate::node::TimelineItem::Handover(handover) => {
                out.push_str(&handover_lines(handover, lang));
                continue;
            }
        };
        let who = entry
            .officer
            .as_ref()
            .map(|o| format!("{}{}", o.name, in_brackets(o.badge.as_str(), lang)))
            .unwrap_or_default();
        let check = if entry.verified {
            lang.pick("签名有效", "signature valid")
        } else {
            lang.pick("签名无效", "SIGNATURE INVALID")
        };
        let _ = write!(
            out,
            "\n  {}  {} {} {}  [{}]",
            local_minute(entry.at),
            names.of(entry.from.as_str()),
            who,
            entry.kind.label(lang),
            check
        );
        let said = body_text(entry, lang);
        if !said.trim().is_empty() {
            let _ = write!(out, "\n    {said}");
        }
        for receipt in &entry.receipts {
            let _ = write!(
                out,
                "\n    {}{} {}",
                lang.pick("回执：", "receipt: "),
                names.of(&receipt.station),
                receipt.stored_at.as_deref().map_or_else(|| "?".to_owned(), people_time)
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
                format!("{}{}", action.label(lang), in_brackets(command, lang))
            })
            .collect();
        let _ = write!(
            out,
            "\n{}{}",
            lang.pick("可进行的操作：", "available actions: "),
            actions.join(lang.pick("、", ", "))
        );
    }
    out
}
