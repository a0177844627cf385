//! `tiemeng stats`: the joint statistics of a station, for chiefs at a terminal.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::Args;

use super::connection::Connection;
use super::{fail, render};
use crate::i18n::{Label, Lang};
use crate::node::StatsReport;
use crate::stats::Figures;

/// Date range, filters and output form.
#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    connection: Connection,
    /// First request day, YYYY-MM-DD (default: twelve months back).
    #[arg(long)]
    from: Option<String>,
    /// Last request day, YYYY-MM-DD (default: today).
    #[arg(long)]
    to: Option<String>,
    /// Only this partner station.
    #[arg(long)]
    peer: Option<String>,
    /// Only this kind.
    #[arg(long)]
    kind: Option<String>,
    /// Print CSV (UTF-8 with BOM, for Excel) instead of a summary.
    #[arg(long)]
    csv: bool,
    /// Print the node's JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `tiemeng stats`.
pub fn run(args: StatsArgs, lang: Lang) -> ExitCode {
    let (client, runtime) = match args.connection.open(lang) {
        Ok(opened) => opened,
        Err(message) => return fail(&message),
    };
    let mut query: Vec<String> = vec![format!("lang={}", if lang == Lang::En { "en" } else { "zh" })];
    for (name, value) in [("from", &args.from), ("to", &args.to), ("peer", &args.peer), ("kind", &args.kind)] {
        if let Some(value) = value {
            query.push(format!("{name}={value}"));
        }
    }
    let path = if args.csv { "/api/v1/stats.csv" } else { "/api/v1/stats" };
    let url = format!("{}{path}?{}", client.base(), query.join("&"));
    let answer = runtime.block_on(async {
        let response = client
            .http()
            .get(&url)
            .send()
            .await
            .map_err(|source| crate::client::ClientError::Connect { url: url.clone(), source })?;
        let status = response.status();
        let text =
            response.text().await.map_err(|source| crate::client::ClientError::Connect { url: url.clone(), source })?;
        if !status.is_success() {
            let problem = serde_json::from_str(&text).map_err(|_| crate::client::ClientError::Decode {
                url: url.clone(),
                reason: format!("HTTP {status}"),
            })?;
            return Err(crate::client::ClientError::Problem(problem));
        }
        Ok(text)
    });
    let text = match answer {
        Ok(text) => text,
        Err(e) => return fail(&render::client_error(&e, lang)),
    };
    if args.csv || args.json {
        super::print(text.trim_end_matches('\n'));
        return ExitCode::SUCCESS;
    }
    match serde_json::from_str::<StatsReport>(&text) {
        Ok(report) => {
            super::print(&summary(&report, lang));
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

/// Whole minutes from [`Figures`] in the console's words, so both read the same.
fn minutes(value: Option<i64>, lang: Lang) -> String {
    value.map_or_else(|| "—".into(), |m| crate::console::lists::duration_words(m, lang))
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{:.0}%", v * 100.0))
}

fn line(out: &mut String, label: &str, f: &Figures, lang: Lang) {
    let _ = writeln!(
        out,
        "  {label}：{} {}，{} {}，{} {}，{} {}，{} {}",
        f.requests,
        lang.pick("起", "requests"),
        lang.pick("按时签收率", "acked in time"),
        percent(f.ack_in_time_share),
        lang.pick("签收用时中位数", "median ack"),
        minutes(f.ack_median_minutes, lang),
        lang.pick("办结率", "resolved"),
        percent(f.resolved_share),
        lang.pick("满意度", "evaluation"),
        f.evaluation_average.map_or_else(|| "—".into(), |e| format!("{e:.1}")),
    );
}

/// The report for people.
pub fn summary(report: &StatsReport, lang: Lang) -> String {
    let mut out = String::new();
    let record = report.joint_record;
    let _ = writeln!(out, "{}（{} — {}）", lang.pick("联合协作统计", "joint statistics"), report.from, report.to);
    let _ = writeln!(
        out,
        "{}",
        match lang {
            Lang::Zh => format!(
                "协查失踪人员 {}人，拦截在逃人员 {}人，破获案件 {}起，调处矛盾纠纷 {}起",
                record.persons_found, record.fugitives_intercepted, record.cases_solved, record.disputes_resolved
            ),
            Lang::En => format!(
                "persons found {}, fugitives intercepted {}, cases solved {}, disputes resolved {}",
                record.persons_found, record.fugitives_intercepted, record.cases_solved, record.disputes_resolved
            ),
        }
    );
    line(&mut out, lang.pick("发出", "sent"), &report.totals.sent, lang);
    line(&mut out, lang.pick("收到", "received"), &report.totals.received, lang);
    for peer in &report.by_peer {
        let _ = writeln!(out, "{}（{}）", peer.name, peer.peer);
        line(&mut out, lang.pick("发出", "sent"), &peer.figures.sent, lang);
        line(&mut out, lang.pick("收到", "received"), &peer.figures.received, lang);
    }
    if !report.overdue.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            lang.pick(
                &format!("未闭环（超期）：共 {} 条，列出最久的 {} 条", report.overdue_total, report.overdue.len()),
                &format!(
                    "overdue (open): {} in all, the {} longest listed",
                    report.overdue_total,
                    report.overdue.len()
                ),
            )
        );
        for o in &report.overdue {
            let _ = writeln!(
                out,
                "  {} {} {} {}",
                o.case,
                o.kind.label(lang),
                o.title,
                minutes(Some(o.minutes_overdue), lang)
            );
        }
    }
    out
}
