//! The chief's dashboard: the joint record in the 铁盟 style, the monthly trend and per-peer
//! bars, a per-peer table, and the overdue list (未闭环) for the daily review.

use axum::extract::Query;
use maud::{Markup, html};

use super::charts::{self, Group};
use super::layout::{self, Section};
use super::lists::duration_words;
use super::{ErrorPage, Page};
use crate::i18n::{Label, Lang};
use crate::node::StatsParams;
use crate::node::StatsReport;
use crate::stats::report::GLOSSARY;
use crate::stats::{Direction, Figures};

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{:.0}%", v * 100.0))
}

/// Whole minutes from [`Figures`] (already rounded there, once for every reader) in words.
fn minutes(value: Option<i64>, lang: Lang) -> String {
    value.map_or_else(|| "—".into(), |m| duration_words(m, lang))
}

fn average(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{v:.1}"))
}

/// The joint record sentence.
pub fn joint_record_line(report: &StatsReport, lang: Lang) -> String {
    let r = report.joint_record;
    match lang {
        Lang::Zh => format!(
            "协查失踪人员 {}人，拦截在逃人员 {}人，破获案件 {}起，调处矛盾纠纷 {}起",
            r.persons_found, r.fugitives_intercepted, r.cases_solved, r.disputes_resolved
        ),
        Lang::En => format!(
            "{} missing persons found, {} fugitives intercepted, {} cases solved, {} disputes resolved",
            r.persons_found, r.fugitives_intercepted, r.cases_solved, r.disputes_resolved
        ),
    }
}

/// `GET /console/dashboard`.
pub async fn show(page: Page, Query(params): Query<StatsParams>) -> Result<Markup, ErrorPage> {
    let lang = page.lang;
    let today = page.node.clock().now().to_offset(crate::clock::BEIJING).date();
    let query = params.resolve(today).map_err(|wrong| {
        let detail = lang.pick(&wrong.zh, &wrong.en).to_owned();
        ErrorPage::new(axum::http::StatusCode::BAD_REQUEST, lang, ("查询参数有误", "invalid query"), detail)
    })?;
    let report = page.node.stats(&page.officer, &query).map_err(|e| ErrorPage::from_node(&e, lang))?;
    let title = lang.pick("联合协作统计", "Joint statistics");
    let series = charts::sent_received(lang.pick("发出", "sent"), lang.pick("收到", "received"));
    let months: Vec<Group> = report
        .by_month
        .iter()
        .map(|m| Group { label: m.month.clone(), values: vec![m.figures.sent.requests, m.figures.received.requests] })
        .collect();
    let peers: Vec<Group> = report
        .by_peer
        .iter()
        .map(|p| Group { label: p.name.clone(), values: vec![p.figures.sent.requests, p.figures.received.requests] })
        .collect();
    let csv = format!(
        "/api/v1/stats.csv?from={}&to={}&lang={}",
        report.from,
        report.to,
        if lang == Lang::En { "en" } else { "zh" }
    );
    let content = html! {
        h1 { (title) }
        form.filters method="get" action="/console/dashboard" {
            div { label for="from" { (lang.pick("起始日期", "From")) } input type="date" id="from" name="from" value=(report.from); }
            div { label for="to" { (lang.pick("截止日期", "To")) } input type="date" id="to" name="to" value=(report.to); }
            button type="submit" { (lang.pick("查询", "Show")) }
            a.no-print href=(csv) { (lang.pick("导出 CSV（Excel）", "Export CSV (Excel)")) }
        }
        p.muted { (page.node.config().station.name) " · " (report.from) " — " (report.to) }
        div.box { p.record { (joint_record_line(&report, lang)) } (totals(&report, lang)) }
        h2 { (lang.pick("月度趋势", "Monthly trend")) }
        div.chart { (charts::columns(lang.pick("每月协查数", "requests per month"), &months, &series)) }
        h2 { (lang.pick("各协作单位", "By partner station")) }
        div.chart { (charts::bars(lang.pick("各单位协查数", "requests per partner"), &peers, &series)) }
        (peer_table(&report, lang))
        h2 { (lang.pick("未闭环（超期）", "Overdue and open")) }
        (overdue_table(&page, &report, lang))
        h2 { (lang.pick("省际协作", "Between provinces")) }
        (province_tables(&page, &report, lang))
        (glossary(lang))
        // Shown by live.js, which also does the printing: the console's scripts must come from
        // the node itself, so no inline handler. Without scripts it stays hidden; the browser's
        // own print command prints the page as well.
        p.no-print { button.print type="button" data-print hidden { (lang.pick("打印本页", "Print this page")) } }
    };
    Ok(layout::page(&page, title, Section::Dashboard, content))
}

/// Requests across a provincial border, by direction; work within this station's own province
/// on a line of its own, since there a request sent and one received share a pair.
fn province_tables(page: &Page, report: &StatsReport, lang: Lang) -> Markup {
    let row = |label: String, f: &Figures| {
        html! { tr {
            td { (label) } td { (f.requests) } td { (percent(f.ack_in_time_share)) } td { (percent(f.resolved_share)) }
        } }
    };
    let own = page.node.config().station.division.province();
    let within = &report.within_province;
    let own_name = lang.pick(own.name_zh(), own.name_en());
    html! {
        @if report.by_province_pair.is_empty() {
            p.muted { (lang.pick("没有跨省协查。", "No requests crossed a provincial border.")) }
        } @else {
            table {
                thead { tr { th { (lang.pick("方向", "Direction")) } th { (lang.pick("协查数", "Requests")) } th { (lang.pick("按时签收率", "Acked in time")) } th { (lang.pick("办结率", "Resolved")) } } }
                tbody { @for pair in &report.by_province_pair {
                    (row(format!("{} → {}", province(&pair.from_province, lang), province(&pair.to_province, lang)), &pair.figures))
                } }
            }
        }
        h3 { (lang.pick("省内协作", "Within the province")) " · " (own_name) }
        @if within.sent.requests + within.received.requests == 0 {
            p.muted { (lang.pick("没有省内协查。", "No requests within the province.")) }
        } @else {
            table {
                thead { tr { th {} th { (lang.pick("协查数", "Requests")) } th { (lang.pick("按时签收率", "Acked in time")) } th { (lang.pick("办结率", "Resolved")) } } }
                tbody {
                    (row(lang.pick("发出", "Sent").to_owned(), &within.sent))
                    (row(lang.pick("收到", "Received").to_owned(), &within.received))
                }
            }
        }
    }
}

/// 指标说明: how each figure is counted, from the one glossary the CSV prints too.
fn glossary(lang: Lang) -> Markup {
    html! {
        section.glossary {
            h2 { (lang.pick("指标说明", "How figures are counted")) }
            dl.facts { @for ((term_zh, term_en), (zh, en)) in GLOSSARY {
                dt { (lang.pick(term_zh, term_en)) } dd { (lang.pick(zh, en)) }
            } }
        }
    }
}

fn province(code: &str, lang: Lang) -> String {
    code.parse::<crate::ids::Province>()
        .map(|p| lang.pick(p.name_zh(), p.name_en()).to_owned())
        .unwrap_or_else(|_| code.to_owned())
}

fn totals(report: &StatsReport, lang: Lang) -> Markup {
    let row = |label: &str, f: &Figures| {
        html! { tr {
            th { (label) } td { (f.requests) } td { (percent(f.ack_in_time_share)) } td { (minutes(f.ack_median_minutes, lang)) }
            td { (percent(f.resolved_share)) } td { (average(f.evaluation_average)) } td { (f.declined) } td { (f.ack_late + f.report_late) } td { (f.reminders) }
        } }
    };
    html! {
        table {
            thead { tr {
                th {} th { (lang.pick("协查数", "Requests")) } th { (lang.pick("按时签收率", "Acked in time")) } th { (lang.pick("签收用时中位数", "Median ack")) }
                th { (lang.pick("办结率", "Resolved")) } th { (lang.pick("满意度", "Evaluation")) } th { (lang.pick("退回", "Declined")) }
                th { (lang.pick("超期签收或反馈", "Late")) } th { (lang.pick("催办", "Reminders")) }
            } }
            tbody { (row(lang.pick("发出", "Sent"), &report.totals.sent)) (row(lang.pick("收到", "Received"), &report.totals.received)) }
        }
    }
}

fn peer_table(report: &StatsReport, lang: Lang) -> Markup {
    html! {
        table {
            thead { tr {
                th { (lang.pick("协作单位", "Partner")) } th { (lang.pick("发出/收到", "Sent/received")) }
                th { (lang.pick("对方按时签收率", "They acked in time")) } th { (lang.pick("对方签收用时中位数", "Their median ack")) }
                th { (lang.pick("对方办结率", "They resolved")) } th { (lang.pick("我方评价满意度", "Our evaluation")) }
                th { (lang.pick("我方按时签收率", "We acked in time")) } th { (lang.pick("超期未闭环", "Overdue open")) }
            } }
            tbody { @for p in &report.by_peer { tr {
                td { (p.name) }
                td { (p.figures.sent.requests) " / " (p.figures.received.requests) }
                td { (percent(p.figures.sent.ack_in_time_share)) }
                td { (minutes(p.figures.sent.ack_median_minutes, lang)) }
                td { (percent(p.figures.sent.resolved_share)) }
                td { (average(p.figures.sent.evaluation_average)) }
                td { (percent(p.figures.received.ack_in_time_share)) }
                td { @if p.overdue_open > 0 { span.badge.overdue { (p.overdue_open) } } @else { "0" } }
            } } }
        }
    }
}

fn overdue_table(page: &Page, report: &StatsReport, lang: Lang) -> Markup {
    let name = |id: &crate::ids::StationId| {
        page.node.config().peer(id).map_or_else(|| page.node.config().station.name.clone(), |p| p.name.clone())
    };
    html! {
        @if report.overdue.is_empty() {
            p.muted { (lang.pick("没有超期未闭环的协查。", "Nothing is overdue.")) }
        } @else {
            @if report.overdue_total > report.overdue.len() {
                p {
                    (lang.pick(
                        &format!("共 {} 条超期，下表列出超期最久的 {} 条；全部见", report.overdue_total, report.overdue.len()),
                        &format!("{} overdue in all; the {} longest overdue are below. All of them: ", report.overdue_total, report.overdue.len()),
                    ))
                    a href="/console/inbox?overdue=1" { (lang.pick("收到的协查", "inbox")) }
                    (lang.pick("、", ", "))
                    a href="/console/outbox?overdue=1" { (lang.pick("发出的协查", "outbox")) }
                    (lang.pick("（只看超期）。", " (overdue only)."))
                }
            }
            table {
                thead { tr {
                    th { (lang.pick("协查", "Case")) } th { (lang.pick("方向", "Direction")) } th { (lang.pick("单位", "Station")) }
                    th { (lang.pick("超期环节", "Deadline")) } th { (lang.pick("已超期", "Overdue by")) }
                } }
                tbody { @for o in &report.overdue { tr.overdue {
                    td {
                        a href={ "/console/cases/" (o.case) } { (o.title) } br;
                        span.muted { @if let Some(refno) = &o.refno { (refno) " · " } (o.kind.label(lang)) }
                    }
                    td { @if o.direction == Direction::Sent { (lang.pick("发出", "sent")) } @else { (lang.pick("收到", "received")) } }
                    td { (name(&o.target)) }
                    td { @if o.deadline == "ack" { (lang.pick("签收", "acknowledge")) } @else { (lang.pick("首次反馈", "first report")) } }
                    td { (duration_words(o.minutes_overdue, lang)) }
                } } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::TwoWay;
    use crate::stats::tally::DURATION_BOUNDS;
    use crate::stats::{JointRecord, Tally};

    /// A report whose requests sent were both acknowledged within the first minute, so the
    /// median acknowledgement falls at 30 seconds: half a minute.
    fn report() -> StatsReport {
        let mut ack_times = vec![0; DURATION_BOUNDS.len()];
        ack_times[0] = 2;
        let tally = Tally { requests: 2, acknowledged: 2, ack_times, ..Tally::default() };
        let now = time::macros::datetime!(2026-11-23 08:00 UTC);
        StatsReport {
            station: "zj-taishun-luoyang".parse().unwrap_or_else(|_| unreachable!("a valid station id")),
            from: now.date(),
            to: now.date(),
            totals: TwoWay { sent: Figures::of(&tally, now), received: Figures::default() },
            joint_record: JointRecord::default(),
            by_peer: Vec::new(),
            by_province_pair: Vec::new(),
            within_province: TwoWay::default(),
            by_kind: Vec::new(),
            by_month: Vec::new(),
            overdue_total: 0,
            overdue: Vec::new(),
        }
    }

    #[test]
    fn the_console_the_command_line_and_the_csv_read_the_same_median() {
        let report = report();
        assert_eq!(report.totals.sent.ack_median_minutes, Some(1), "half a minute rounds up to one");
        let console = totals(&report, Lang::Zh).into_string();
        assert!(console.contains("<td>1分钟</td>"), "{console}");
        let cli = crate::cli::stats::summary(&report, Lang::Zh);
        assert!(cli.contains("签收用时中位数 1分钟"), "{cli}");
        let csv = crate::api::stats::to_csv(&report, Lang::Zh);
        let header = csv.lines().find(|l| l.starts_with("分组,")).unwrap_or_default();
        let column = header.split(',').position(|h| h == "签收用时中位数(分钟)");
        let sent = csv.lines().find(|l| l.starts_with("合计,合计,发出")).unwrap_or_default();
        assert_eq!(column.and_then(|c| sent.split(',').nth(c)), Some("1"), "{csv}");
    }

    #[test]
    fn the_csv_opens_with_the_glossary_as_single_cells_then_the_table() {
        let csv = crate::api::stats::to_csv(&report(), Lang::En);
        assert!(csv.starts_with("\u{feff}# How figures are counted\n"), "{csv}");
        let (block, table) = csv.split_once("\n\n").unwrap_or_default();
        assert_eq!(block.lines().count(), 1 + GLOSSARY.len());
        for line in block.lines() {
            assert!(line.trim_start_matches('\u{feff}').starts_with("# "), "{line}");
            assert!(!line.contains([',', '"']), "a glossary line is one unquoted cell: {line}");
        }
        assert!(block.contains("Acked in time: acknowledged or declined by the deadline"), "{block}");
        assert!(table.starts_with("group,name,direction,requests"), "{table}");
        let zh = crate::api::stats::to_csv(&report(), Lang::Zh);
        assert!(zh.contains("# 按时签收率: 在签收期限前签收或退回的 ÷ 应签收"), "{zh}");
    }

    #[test]
    fn the_glossary_is_on_the_dashboard_in_both_languages() {
        let zh = glossary(Lang::Zh).into_string();
        assert!(zh.contains("指标说明") && zh.contains("<dt>按时签收率</dt>"), "{zh}");
        let en = glossary(Lang::En).into_string();
        assert!(en.contains("How figures are counted") && en.contains("<dt>Resolved</dt>"), "{en}");
    }
}
