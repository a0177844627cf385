//! A verified bundle told in plain words: who asked what, who received it when, who answered
//! what — and, at the end, whether everything held.

use std::fmt::Write as _;

use super::verify::{Finding, Verified};
use crate::clock::local_minute;
use time::OffsetDateTime;

use crate::envelope::{Body, Handover};
use crate::i18n::{Label, Lang};

fn name<'a>(verified: &'a Verified, station: &'a str) -> &'a str {
    verified.content.stations.iter().find(|s| s.id == station).map_or(station, |s| s.name.as_str())
}

fn action(body: &Body, verified: &Verified, lang: Lang) -> String {
    match body {
        Body::Request(r) => match lang {
            Lang::Zh => format!("发起{}「{}」（{}）", r.details.kind().label(lang), r.title, r.priority.label(lang)),
            Lang::En => {
                format!("sent a {} request “{}” ({})", r.details.kind().label(lang), r.title, r.priority.label(lang))
            }
        },
        Body::Ack(a) => match (a.report_by, lang) {
            (Some(by), Lang::Zh) => format!("签收，承诺 {} 前首次反馈", local_minute(by)),
            (Some(by), Lang::En) => format!("acknowledged, promising a first report by {}", local_minute(by)),
            (None, _) => lang.pick("签收", "acknowledged").to_owned(),
        },
        Body::Decline(d) => {
            let suggested = d.suggested_station.as_ref().map(|s| name(verified, s.as_str()).to_owned());
            match lang {
                Lang::Zh => format!(
                    "退回（{}）：{}{}",
                    d.reason.label(lang),
                    d.message,
                    suggested.map(|s| format!("；建议改发{s}")).unwrap_or_default()
                ),
                Lang::En => format!(
                    "declined ({}): {}{}",
                    d.reason.label(lang),
                    d.message,
                    suggested.map(|s| format!("; suggests {s}")).unwrap_or_default()
                ),
            }
        }
        Body::Note(n) => format!("{}{}", lang.pick("补充说明：", "added a note: "), n.text),
        Body::Reminder(_) => lang.pick("催办", "sent a reminder").to_owned(),
        Body::Outcome(o) => match lang {
            Lang::Zh => format!("反馈结果：{}（{}）：{}", o.outcome.label(lang), o.count, o.narrative),
            Lang::En => format!("reported: {} ({}): {}", o.outcome.label(lang), o.count, o.narrative),
        },
        Body::Close(c) => match lang {
            Lang::Zh => format!("办结并评价，满意度 {}/5", c.evaluation),
            Lang::En => format!("closed and evaluated {}/5", c.evaluation),
        },
        Body::Withdraw(w) => format!("{}（{}）", lang.pick("撤回", "withdrew"), w.reason.label(lang)),
        Body::Relay(r) => {
            // What it carries, told from the envelope the origin passed on (taken as it reads;
            // its own signature is the relayed station's and is not checked here).
            let told = crate::envelope::Envelope::from_stored(&r.inner_wire())
                .map(|inner| action(&inner.body, verified, lang))
                .unwrap_or_else(|_| lang.pick("（无法读取）", "(unreadable)").to_owned());
            let from = name(verified, r.station.as_str());
            match lang {
                Lang::Zh => format!("转告{from}：{told}"),
                Lang::En => format!("relayed from {from}: {told}"),
            }
        }
    }
}

/// One envelope with its receipts, as a paragraph.
fn envelope_text(checked: &super::verify::CheckedEnvelope, verified: &Verified, lang: Lang) -> String {
    let mut out = String::new();
    let Some(envelope) = &checked.envelope else {
        let _ = writeln!(
            out,
            "\n{}",
            lang.pick(
                &format!("第 {} 个信封：签名无法验证，内容不可采信。", checked.index),
                &format!("Envelope {}: the signature does not verify; its content cannot be relied on.", checked.index)
            )
        );
        return out;
    };
    let officer = envelope.body.officer();
    let to: Vec<&str> = envelope.to.iter().map(|s| name(verified, s.as_str())).collect();
    let _ = writeln!(
        out,
        "\n{} {} {}（{}）{}{}",
        local_minute(envelope.at),
        name(verified, envelope.from.as_str()),
        officer.name,
        officer.badge,
        action(&envelope.body, verified, lang),
        match lang {
            Lang::Zh => format!("，发往 {}。", to.join("、")),
            Lang::En => format!(", to {}.", to.join(", ")),
        }
    );
    let _ = writeln!(out, "  {}", lang.pick("签名有效。", "Signature valid."));
    for good in &checked.receipts {
        let stored = local_minute(good.receipt.stored_at);
        let _ = writeln!(
            out,
            "  {}",
            match lang {
                Lang::Zh => format!(
                    "{} 于 {stored} 存储并签发回执（回执签名有效）。",
                    name(verified, good.receipt.from.as_str())
                ),
                Lang::En => format!(
                    "{} stored it at {stored} and signed a receipt (valid).",
                    name(verified, good.receipt.from.as_str())
                ),
            }
        );
    }
    out
}

/// One handover, as a paragraph.
fn handover_text(handover: &Handover, verified: &Verified, lang: Lang) -> String {
    let station = name(verified, handover.station.as_str());
    let who = |s: &crate::envelope::Signatory| format!("{}（{}）", s.name, s.badge);
    let who_en = |s: &crate::envelope::Signatory| format!("{} ({})", s.name, s.badge);
    let note = handover.note.as_deref().map(|n| match lang {
        Lang::Zh => format!("；附言：{n}"),
        Lang::En => format!("; note: {n}"),
    });
    let line = match (lang, &handover.from) {
        (Lang::Zh, Some(from)) => {
            format!("{station} {} 将本协查的承办人由 {} 交接给 {}", who(&handover.by), who(from), who(&handover.to))
        }
        (Lang::Zh, None) => format!("{station} {} 指定 {} 承办本协查", who(&handover.by), who(&handover.to)),
        (Lang::En, Some(from)) => format!(
            "{station}: {} handed the case from {} to {}",
            who_en(&handover.by),
            who_en(from),
            who_en(&handover.to)
        ),
        (Lang::En, None) => {
            format!("{station}: {} assigned the case to {}", who_en(&handover.by), who_en(&handover.to))
        }
    };
    format!(
        "\n{} {line}{}{}\n  {}\n",
        local_minute(handover.at),
        note.unwrap_or_default(),
        lang.pick("。", "."),
        lang.pick("交接记录签名有效。", "Signature valid.")
    )
}

fn finding_text(finding: &Finding, lang: Lang) -> String {
    match (finding, lang) {
        (_, Lang::En) => finding.to_string(),
        (Finding::Unreadable(reason), Lang::Zh) => format!("文件无法作为证据包读取：{reason}"),
        (Finding::BundleSignature(reason), Lang::Zh) => format!("证据包整体签名不符（{reason}）：导出后内容被改动"),
        (Finding::Key { key, reason }, Lang::Zh) => format!("公钥 {key} 无法使用：{reason}"),
        (Finding::Envelope { index, code }, Lang::Zh) => {
            format!("第 {index} 个信封签名无法验证（{code}）：该信封被改动，内容不可采信")
        }
        (Finding::ForeignEnvelope { index }, Lang::Zh) => format!("第 {index} 个信封属于其他协查"),
        (Finding::Handover { index, reason }, Lang::Zh) => {
            format!("第 {index} 条承办交接记录不成立（{reason}）：该记录被改动或不属于本证据包，内容不可采信")
        }
        (Finding::Receipt { envelope, station, reason }, Lang::Zh) => {
            format!("{station} 对信封 {envelope} 的回执不成立：{reason}")
        }
        (Finding::Equivocation { kept, reason }, Lang::Zh) => {
            format!("针对信封 {kept} 的“同一序号两份信封”证据不成立：{reason}")
        }
    }
}

/// The bundle told in `lang`.
pub fn narrate(verified: &Verified, lang: Lang) -> String {
    let content = &verified.content;
    let mut out = String::new();
    let exporter = name(verified, &content.exported_by.station);
    let _ = writeln!(
        out,
        "{}",
        match lang {
            Lang::Zh => format!(
                "协查 {} 的证据包，由 {exporter}（{}）于 {} 导出。",
                content.case, content.exported_by.officer, content.exported_at
            ),
            Lang::En => format!(
                "Evidence bundle of case {}, exported by {exporter} ({}) at {}.",
                content.case, content.exported_by.officer, content.exported_at
            ),
        }
    );
    // Envelopes and handovers in the order they happened; an envelope that does not verify
    // has no time to trust and goes first.
    let mut told: Vec<(Option<OffsetDateTime>, String)> = verified
        .envelopes
        .iter()
        .map(|checked| (checked.envelope.as_ref().map(|e| e.at), envelope_text(checked, verified, lang)))
        .chain(verified.handovers.iter().map(|h| (Some(h.at), handover_text(h, verified, lang))))
        .collect();
    told.sort_by_key(|(at, _)| *at);
    for (_, text) in told {
        out.push_str(&text);
    }
    for proven in &verified.equivocations {
        let (kept, refused) = (&proven.kept, &proven.refused);
        let from = name(verified, kept.from.as_str());
        let taken = format!("{} {}", local_minute(kept.at), action(&kept.body, verified, lang));
        let second = format!("{} {}", local_minute(refused.at), action(&refused.body, verified, lang));
        let (seq, when) = (kept.seq, &proven.refused_at);
        let _ = writeln!(
            out,
            "\n{}",
            match lang {
                Lang::Zh => format!(
                    "注意：{from} 在本协查中以同一序号 {seq} 签署了两份不同的信封（均签名有效）：\n  已采用：{taken}\n  被拒收并留存为证据（{when}）：{second}"
                ),
                Lang::En => format!(
                    "Note: {from} signed two different envelopes with one seq {seq} on this case (both signatures valid):\n  taken: {taken}\n  refused and kept as evidence ({when}): {second}"
                ),
            }
        );
    }
    let _ = writeln!(
        out,
        "\n{}",
        lang.pick("签名公钥（请与各单位公布的公钥核对）：", "Signing keys (compare with those the stations publish):")
    );
    for key in &content.keys {
        let _ = writeln!(out, "  {} = {}", key.key, key.public);
    }
    let receipts: usize = verified.envelopes.iter().map(|e| e.receipts.len()).sum();
    let handovers = Some(verified.handovers.len()).filter(|&n| n > 0);
    if verified.findings.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            match lang {
                Lang::Zh => format!(
                    "结论：全部 {} 个信封及 {receipts} 份回执{}签名有效，证据包未被改动。",
                    verified.envelopes.len(),
                    handovers.map(|n| format!("、{n} 条交接记录")).unwrap_or_default()
                ),
                Lang::En => format!(
                    "Result: all {} envelopes and {receipts} receipts{} verify; the bundle is unaltered.",
                    verified.envelopes.len(),
                    handovers.map(|n| format!(" and {n} handovers")).unwrap_or_default()
                ),
            }
        );
    } else {
        let _ = writeln!(
            out,
            "\n{}",
            lang.pick(
                &format!("结论：发现 {} 处问题：", verified.findings.len()),
                &format!("Result: {} problem(s):", verified.findings.len())
            )
        );
        for finding in &verified.findings {
            let _ = writeln!(out, "  - {}", finding_text(finding, lang));
        }
    }
    out
}

/// The reason a file could not be read, in `lang`.
pub fn unreadable(finding: &Finding, lang: Lang) -> String {
    finding_text(finding, lang)
}
