//! `/api/v1/stats`: the chiefs' statistics as JSON, and as CSV for Excel.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use time::Date;

use super::extract::{AuthOfficer, QueryParams, ReqLang};
use super::problem::Problem;
use crate::i18n::{Label, Lang};
use crate::node::{Node, StatsParams, StatsQuery, StatsReport};
use crate::stats::Figures;
use crate::stats::report::GLOSSARY;

/// The query `params` ask for, or a 400 `invalid_query` saying what is wrong.
fn query_of(params: &StatsParams, today: Date, lang: Lang) -> Result<StatsQuery, Problem> {
    params.resolve(today).map_err(|wrong| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            lang.pick("查询参数有误", "invalid query parameters"),
            lang.pick(&wrong.zh, &wrong.en),
        )
    })
}

fn report(
    node: &Node,
    officer: &crate::node::Officer,
    params: &StatsParams,
    lang: Lang,
) -> Result<StatsReport, Problem> {
    let today = node.clock().now().to_offset(crate::clock::BEIJING).date();
    let query = query_of(params, today, lang)?;
    node.stats(officer, &query).map_err(|e| Problem::from_node(&e, lang))
}

/// `GET /api/v1/stats` — joint statistics by partner, province pair, kind and month.
#[utoipa::path(get, path = "/api/v1/stats", tag = "statistics", params(StatsParams),
    responses((status = 200, body = StatsReport), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn stats(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    QueryParams(params): QueryParams<StatsParams>,
) -> Result<Json<StatsReport>, Problem> {
    report(&node, &officer, &params, lang).map(Json)
}

/// `GET /api/v1/stats.csv` — the same figures as CSV, UTF-8 with a byte-order mark so Excel
/// shows the Chinese correctly.
#[utoipa::path(get, path = "/api/v1/stats.csv", tag = "statistics", params(StatsParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem)))]
pub async fn stats_csv(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    QueryParams(params): QueryParams<StatsParams>,
) -> Result<impl IntoResponse, Problem> {
    let report = report(&node, &officer, &params, lang)?;
    let filename = format!("attachment; filename=\"tiemeng-stats-{}-{}.csv\"", report.from, report.to);
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, filename)],
        to_csv(&report, lang),
    ))
}

/// Renders a report as CSV: how the figures are counted, then one row per group and
/// direction. The glossary comes first as `#` lines, each a single unquoted cell: Excel shows
/// it above the table, and a program reading the file skips it as comments (pandas'
/// `comment="#"`). A blank line parts it from the table.
pub fn to_csv(report: &StatsReport, lang: Lang) -> String {
    let mut out = String::from("\u{feff}");
    let _ = writeln!(out, "# {}", lang.pick("指标说明", "How figures are counted"));
    for ((term_zh, term_en), (zh, en)) in GLOSSARY {
        let _ = writeln!(out, "# {}: {}", lang.pick(term_zh, term_en), lang.pick(zh, en));
    }
    out.push('\n');
    let headings: [(&str, &str); 23] = [
        ("分组", "group"),
        ("名称", "name"),
        ("方向", "direction"),
        ("协查数", "requests"),
        ("签收数", "acknowledged"),
        ("应签收", "due an answer"),
        ("按时签收或退回", "answered in time"),
        ("按时签收率", "ack in time share"),
        ("签收用时中位数(分钟)", "median ack minutes"),
        ("签收用时90分位(分钟)", "p90 ack minutes"),
        ("首次反馈用时中位数(分钟)", "median first report minutes"),
        ("首次反馈用时90分位(分钟)", "p90 first report minutes"),
        ("办结数", "resolved"),
        ("应办结", "due an outcome"),
        ("办结率", "resolved share"),
        ("找到失踪人员", "persons found"),
        ("拦截抓获在逃人员", "fugitives intercepted or arrested"),
        ("破获案件", "cases solved"),
        ("调处纠纷", "disputes resolved"),
        ("满意度", "average evaluation"),
        ("退回数", "declined"),
        ("超期签收或反馈", "deadlines missed"),
        ("催办数", "reminders"),
    ];
    let line: Vec<&str> = headings.iter().map(|(zh, en)| lang.pick(zh, en)).collect();
    let _ = writeln!(out, "{}", line.join(","));
    let direction = |sent: bool| if sent { lang.pick("发出", "sent") } else { lang.pick("收到", "received") };
    let mut row = |group: &str, name: &str, dir: &str, f: &Figures| {
        let opt = |v: Option<f64>| v.map(|v| format!("{}", (v * 1000.0).round() / 1000.0)).unwrap_or_default();
        // Minutes come rounded from the figures, as the console and the command line show them.
        let whole = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        let record = f.joint_record();
        let cells = [
            group.to_owned(),
            name.to_owned(),
            dir.to_owned(),
            f.requests.to_string(),
            f.acknowledged.to_string(),
            f.ack_due.to_string(),
            f.answered_in_time.to_string(),
            opt(f.ack_in_time_share),
            whole(f.ack_median_minutes),
            whole(f.ack_p90_minutes),
            whole(f.report_median_minutes),
            whole(f.report_p90_minutes),
            f.resolved.to_string(),
            f.outcome_due.to_string(),
            opt(f.resolved_share),
            record.persons_found.to_string(),
            record.fugitives_intercepted.to_string(),
            record.cases_solved.to_string(),
            record.disputes_resolved.to_string(),
            opt(f.evaluation_average),
            f.declined.to_string(),
            (f.ack_late + f.report_late).to_string(),
            f.reminders.to_string(),
        ];
        let escaped: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        let _ = writeln!(out, "{}", escaped.join(","));
    };
    let total = lang.pick("合计", "total");
    row(total, total, direction(true), &report.totals.sent);
    row(total, total, direction(false), &report.totals.received);
    for peer in &report.by_peer {
        let group = lang.pick("协作单位", "partner");
        row(group, &peer.name, direction(true), &peer.figures.sent);
        row(group, &peer.name, direction(false), &peer.figures.received);
    }
    for pair in &report.by_province_pair {
        let name = format!("{}→{}", province_label(&pair.from_province, lang), province_label(&pair.to_province, lang));
        row(lang.pick("省际", "province pair"), &name, "", &pair.figures);
    }
    let within = lang.pick("省内", "within the province");
    row(within, within, direction(true), &report.within_province.sent);
    row(within, within, direction(false), &report.within_province.received);
    for kind in &report.by_kind {
        let group = lang.pick("协查类型", "kind");
        row(group, kind.kind.label(lang), direction(true), &kind.figures.sent);
        row(group, kind.kind.label(lang), direction(false), &kind.figures.received);
    }
    for month in &report.by_month {
        let group = lang.pick("月份", "month");
        row(group, &month.month, direction(true), &month.figures.sent);
        row(group, &month.month, direction(false), &month.figures.received);
    }
    out
}

fn province_label(code: &str, lang: Lang) -> String {
    code.parse::<crate::ids::Province>()
        .map(|p| lang.pick(p.name_zh(), p.name_en()).to_owned())
        .unwrap_or_else(|_| code.to_owned())
}

/// Quotes a CSV cell when needed, and defuses cells a spreadsheet would run as a formula.
fn csv_cell(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@']) && text.parse::<f64>().is_err() {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) { format!("\"{}\"", defused.replace('"', "\"\"")) } else { defused }
}
