//! Scenario 5: statistics and listings with the large store. The chiefs' statistics query is
//! timed over mTLS, and set beside a full scan of every stored case computing the same totals
//! (what the query would cost without incremental tallies), timed in the same run; the scan's
//! totals are checked against the query's. Then inbox listings with filters.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::dataset::{self, Cache, Dataset};
use super::load::Samples;
use super::report::{mib, ms, thousands};
use super::{BenchResult, Row, Scale, Scenario, Section, ctx};
use crate::clock::Clock;
use crate::node::Node;
use crate::stats::{Direction, Tally};

/// The inbox filters timed, as an officer's console sends them.
fn filters(partner: &str) -> Vec<(&'static str, String)> {
    vec![
        ("no filter", String::new()),
        ("status", "status=acknowledged".into()),
        ("kind", "kind=fugitive".into()),
        ("partner", format!("peer={partner}")),
        ("overdue", "overdue=true".into()),
        ("status + kind", "status=resolved&kind=missing_person".into()),
        ("kind + partner", format!("kind=dispute&peer={partner}")),
        ("rare: declined + serial theft", "status=declined&kind=serial_theft".into()),
    ]
}

/// Runs the scenario.
pub async fn run(cache: &mut Cache, scale: &Scale) -> BenchResult<Section> {
    let data = cache.get(scale).await?;
    let node = Arc::new(Node::open(data.load_config()?, Clock::system()).map_err(ctx("open A"))?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(ctx("bind"))?;
    let url = format!("https://localhost:{}", listener.local_addr().map_err(ctx("addr"))?.port());
    let running = crate::server::start(node.clone(), listener).map_err(ctx("serve"))?;
    let result = measure(&data, &node, &url, scale).await;
    running.stop().await;
    drop(node);
    result
}

async fn measure(data: &Dataset, node: &Arc<Node>, url: &str, scale: &Scale) -> BenchResult<Section> {
    let chief = data.client(url, crate::pki::ROLE_CHIEF)?;
    let duty = data.client(url, crate::pki::ROLE_DUTY)?;
    let first = &data.first_day;
    let last = &data.last_day;
    let whole = format!("{url}/api/v1/stats?from={first}&to={last}");
    let default = format!("{url}/api/v1/stats");
    // Warm the cache the way a running node's would be, then time.
    for _ in 0..5 {
        get(&chief, &whole).await?;
        get(&chief, &default).await?;
    }
    let stats_whole = timed(&chief, &whole, scale.query_samples).await?;
    let stats_default = timed(&chief, &default, scale.query_samples).await?;
    let scan_node = node.clone();
    let (from, to) = (parse_date(first)?, parse_date(last)?);
    let scan = tokio::task::spawn_blocking(move || full_scan(&scan_node, from, to)).await.map_err(ctx("scan"))??;
    let officer = {
        let role = crate::config::Role::Chief;
        let o = node.config().officers.iter().find(|o| o.roles.contains(&role)).ok_or("no chief")?;
        node.officer(&crate::ids::OfficerId { station: node.station().clone(), badge: o.badge.clone() })
            .map_err(ctx("chief"))?
    };
    let report =
        node.stats(&officer, &crate::node::StatsQuery { from, to, peer: None, kind: None }).map_err(ctx("stats"))?;
    let agrees = report.totals.sent.requests == scan.sent.requests
        && report.totals.received.requests == scan.received.requests
        && report.totals.sent.resolved == scan.sent.resolved
        && report.totals.received.resolved == scan.received.resolved;
    let mut listings = BTreeMap::new();
    let mut all = Vec::new();
    for (name, query) in filters(&data.partner) {
        let path = format!("{url}/api/v1/inbox{}{query}", if query.is_empty() { "" } else { "?" });
        for _ in 0..3 {
            get(&duty, &path).await?;
        }
        let samples = timed(&duty, &path, scale.query_samples).await?;
        all.extend(samples.latencies.iter().copied());
        listings.insert(name, (query, samples));
    }
    let all = Samples::new(all, Duration::from_secs(1));
    let mut section =
        Section::new(Scenario::Stats, format!("Statistics at scale: {} cases stored", thousands(data.stored as u64)));
    let ratio = stats_whole.p99().as_secs_f64() / scan.elapsed.as_secs_f64().max(1e-9);
    section.rows.push(
        Row::absolute(
            "stats query, all ten years, p99",
            ms(stats_whole.p99()),
            "≤ 5 ms",
            stats_whole.p99() <= Duration::from_millis(5),
        )
        .with_baseline(format!("{} (full scan)", ms(scan.elapsed))),
    );
    section.rows.push(Row::relative(
        "stats query p99 vs a full scan",
        ms(stats_whole.p99()),
        format!("{} (full scan)", ms(scan.elapsed)),
        ratio,
        "≤ 2%",
        ratio <= 0.02,
    ));
    section.rows.push(Row::absolute(
        "stats query, default last 12 months, p99",
        ms(stats_default.p99()),
        "≤ 5 ms",
        stats_default.p99() <= Duration::from_millis(5),
    ));
    section.rows.push(Row::absolute(
        "inbox listing with filters, p99 (all filters)",
        ms(all.p99()),
        "≤ 20 ms",
        all.p99() <= Duration::from_millis(20),
    ));
    section.details.push(format!(
        "The store: {} cases at station A over {} days ({} to {}), {} envelopes; built in {:.0} s by the bulk loader \
         described at the end. The node serves it in this process; queries go over mTLS keep-alive as a chief \
         (statistics) and a duty officer (listings), {} timed per query after a short warm-up.\n\n\
         | query | p50 | p99 | max |\n|---|---|---|---|\n\
         | `GET /api/v1/stats?from={first}&to={last}` | {} | {} | {} |\n\
         | `GET /api/v1/stats` (last 12 months) | {} | {} | {} |\n\
         | full scan: read and decode every case, sum its tallies over the same range (in process, once) | {} | | |\n\n\
         The full scan found {} requests sent and {} received, {} and {} resolved; the statistics query reports \
         {} and {}, {} and {}: {}. The report lists {} overdue open targets.",
        thousands(data.stored as u64),
        data.days,
        first,
        last,
        thousands(data.trees.iter().find(|(n, _)| n == "envelopeid_envelope").map_or(0, |(_, c)| *c as u64)),
        data.build_secs,
        scale.query_samples,
        ms(stats_whole.p50()),
        ms(stats_whole.p99()),
        ms(stats_whole.max()),
        ms(stats_default.p50()),
        ms(stats_default.p99()),
        ms(stats_default.max()),
        ms(scan.elapsed),
        scan.sent.requests,
        scan.received.requests,
        scan.sent.resolved,
        scan.received.resolved,
        report.totals.sent.requests,
        report.totals.received.requests,
        report.totals.sent.resolved,
        report.totals.received.resolved,
        if agrees { "they agree" } else { "THEY DISAGREE" },
        report.overdue.len(),
    ));
    let mut table =
        String::from("| inbox filter | query | p50 | p99 | max | cases on the page |\n|---|---|---|---|---|---|\n");
    for (name, (query, samples)) in &listings {
        let count =
            count_cases(&duty, &format!("{url}/api/v1/inbox{}{query}", if query.is_empty() { "" } else { "?" }))
                .await?;
        table.push_str(&format!(
            "| {name} | `{}` | {} | {} | {} | {count} |\n",
            if query.is_empty() { "/api/v1/inbox" } else { query },
            ms(samples.p50()),
            ms(samples.p99()),
            ms(samples.max())
        ));
    }
    section.details.push(table);
    let mut trees = String::from("Entries per tree:\n\n| tree | entries |\n|---|---|\n");
    for (name, count) in &data.trees {
        trees.push_str(&format!("| `{name}` | {} |\n", thousands(*count as u64)));
    }
    let dir = data.data_dir()?;
    let bytes = dataset::disk_bytes(&dir);
    trees.push_str(&format!(
        "\nOn disk: {} ({} bytes per case).",
        mib(bytes),
        thousands(bytes / data.stored.max(1) as u64)
    ));
    section.details.push(trees);
    section.analysis.push(ANALYSIS.to_owned());
    Ok(section)
}

/// What profiling found, shown when a target is missed.
const ANALYSIS: &str = "The statistics sum month and day tallies (varint-encoded; a ten-year query reads every \
month's tallies, because the report breaks the figures down by month, summed where the cache holds them) and \
count the late targets from counts kept per deadline day and per deadline minute, walking only the current \
minute's deadlines; the 100 longest overdue are named from the deadline index, whose entries keep a summary \
of their case, so no case is decoded.";

fn parse_date(text: &str) -> BenchResult<time::Date> {
    time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).map_err(ctx("date"))
}

async fn get(client: &crate::client::ApiClient, url: &str) -> BenchResult<()> {
    super::load::expect(client.http().get(url), 200).await
}

async fn count_cases(client: &crate::client::ApiClient, url: &str) -> BenchResult<usize> {
    let response = client.http().get(url).send().await.map_err(ctx("list"))?;
    let list: crate::api::cases::CaseList = response.json().await.map_err(ctx("list json"))?;
    Ok(list.cases.len())
}

async fn timed(client: &crate::client::ApiClient, url: &str, n: usize) -> BenchResult<Samples> {
    let mut latencies = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        get(client, url).await?;
        latencies.push(started.elapsed());
    }
    Ok(Samples::new(latencies, Duration::from_secs(1)))
}

/// Totals of a full scan.
pub struct Scan {
    /// Time it took.
    pub elapsed: Duration,
    /// Sent totals.
    pub sent: crate::stats::Figures,
    /// Received totals.
    pub received: crate::stats::Figures,
}

/// Reads every case and sums its contributions for requests made from `from` to `to`.
fn full_scan(node: &Node, from: time::Date, to: time::Date) -> BenchResult<Scan> {
    let started = Instant::now();
    let (first, last) = (crate::stats::day_of_date(from), crate::stats::day_of_date(to));
    let me = node.station().clone();
    let (mut sent, mut received) = (Tally::default(), Tally::default());
    node.store()
        .for_each_case(|case| {
            for (dims, tally) in crate::stats::contributions(&case, &me) {
                if (first..=last).contains(&dims.day) {
                    match dims.direction {
                        Direction::Sent => sent.add(&tally, 1),
                        Direction::Received => received.add(&tally, 1),
                    }
                }
            }
        })
        .map_err(ctx("scan"))?;
    Ok(Scan {
        elapsed: started.elapsed(),
        sent: crate::stats::Figures::of(&sent, node.clock().now()),
        received: crate::stats::Figures::of(&received, node.clock().now()),
    })
}
