//! Events in words, for people who read them one line at a time: `tiemeng watch` in a
//! terminal and the text of an alert a paging gateway forwards as an SMS.

use std::collections::BTreeMap;

use super::{Event, Owed, What};
use crate::clock::local_minute;
use crate::i18n::{Label as _, Lang};

/// One event in words.
pub fn describe(event: &Event, names: &BTreeMap<String, String>, lang: Lang) -> String {
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let when = local_minute(event.at);
    let text = match &event.what {
        What::RequestReceived { case, from, kind, priority, title } => match lang {
            Lang::Zh => format!("新协查 [{}] {}：{}「{title}」 {case}", priority.zh(), name(from.as_str()), kind.zh()),
            Lang::En => {
                format!("new request [{}] from {}: {} “{title}” {case}", priority.en(), name(from.as_str()), kind.en())
            }
        },
        What::RequestSent { case, to, priority, title, .. } => {
            let to: Vec<String> = to.iter().map(|s| name(s.as_str())).collect();
            match lang {
                Lang::Zh => format!("已发出 [{}]「{title}」→ {} {case}", priority.zh(), to.join("、")),
                Lang::En => format!("sent [{}] “{title}” → {} {case}", priority.en(), to.join(", ")),
            }
        }
        What::CaseUpdated { case, by, action, target, state, .. } => {
            let did = action.map_or_else(|| lang.pick("已送达", "delivered").to_owned(), |a| a.label(lang).to_owned());
            match lang {
                Lang::Zh => {
                    format!("{} {did}（{} 现为{}） {case}", name(by.as_str()), name(target.as_str()), state.zh())
                }
                Lang::En => {
                    format!("{} {did} ({} now {}) {case}", name(by.as_str()), name(target.as_str()), state.en())
                }
            }
        }
        What::Deadline { case, target, owed, due, passed, .. } => {
            let owed = match (owed, lang) {
                (Owed::Ack, Lang::Zh) => "签收",
                (Owed::Report, Lang::Zh) => "反馈",
                (Owed::Ack, Lang::En) => "acknowledgement",
                (Owed::Report, Lang::En) => "report",
            };
            match (passed, lang) {
                (true, Lang::Zh) => {
                    format!("超期：{} 的{owed}期限 {} 已过 {case}", name(target.as_str()), local_minute(*due))
                }
                (false, Lang::Zh) => {
                    format!("即将超期：{} 的{owed}期限 {} {case}", name(target.as_str()), local_minute(*due))
                }
                (true, Lang::En) => {
                    format!("overdue: {}'s {owed} was due {} {case}", name(target.as_str()), local_minute(*due))
                }
                (false, Lang::En) => {
                    format!("due soon: {}'s {owed} by {} {case}", name(target.as_str()), local_minute(*due))
                }
            }
        }
        What::HandedOver { case, title, from, to, by, .. } => match lang {
            Lang::Zh => format!(
                "交接「{title}」：{} → {}（{}），{}办理 {case}",
                from.as_ref().map_or_else(|| "无人承办".to_owned(), |f| format!("{}（{}）", f.name, f.badge)),
                to.name,
                to.badge,
                by.name
            ),
            Lang::En => format!(
                "handover of “{title}”: {} → {} ({}), by {} {case}",
                from.as_ref().map_or_else(|| "no one".to_owned(), |f| format!("{} ({})", f.name, f.badge)),
                to.name,
                to.badge,
                by.name
            ),
        },
        What::Partner { station, reachable: true, .. } => lang
            .pick(
                &format!("{} 节点已恢复连通", name(station.as_str())),
                &format!("{} can be reached again", name(station.as_str())),
            )
            .to_owned(),
        What::Partner { station, code, .. } => {
            let code = code.as_deref().unwrap_or("unreachable");
            lang.pick(
                &format!("{} 节点不可达（{code}），报文在本站排队", name(station.as_str())),
                &format!("{} cannot be reached ({code}); envelopes wait here", name(station.as_str())),
            )
            .to_owned()
        }
    };
    format!("{when}  {text}")
}
