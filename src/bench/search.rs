//! Scenario 11: search with the large store. A mix of queries an officer types (a name, the
//! last four digits of a resident ID, a plate, a word of a title), taken from cases the store
//! holds, each timed over mTLS as a duty officer (`GET /api/v1/search`, audited and flushed
//! like every search), beside a full scan of every case and its request for the same query in
//! the same run; the scan's cases are checked against the index's first page.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::dataset::{Cache, Dataset};
use super::load::Samples;
use super::report::{ms, thousands};
use super::{BenchResult, Row, Scale, Scenario, Section, ctx};
use crate::clock::Clock;
use crate::domain::details::CaseDetails;
use crate::domain::words;
use crate::node::{Node, SearchInput};
use crate::store::SearchQuery;

/// Target for a search's p99 with a million cases stored.
const TARGET: Duration = Duration::from_millis(20);

/// Runs the scenario.
pub async fn run(cache: &mut Cache, scale: &Scale) -> BenchResult<Section> {
    let data = cache.get(scale).await?;
    let opened = Instant::now();
    // A store built by a release without search has its index built here, once.
    let node = Arc::new(Node::open(data.load_config()?, Clock::system()).map_err(ctx("open A"))?);
    let open_secs = opened.elapsed().as_secs_f64();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(ctx("bind"))?;
    let url = format!("https://localhost:{}", listener.local_addr().map_err(ctx("addr"))?.port());
    let running = crate::server::start(node.clone(), listener).map_err(ctx("serve"))?;
    let result = measure(&data, &node, &url, scale, open_secs).await;
    running.stop().await;
    drop(node);
    result
}

/// The queries timed, from cases among the newest `sample` the store holds: what each asks
/// for, and the words.
fn queries(node: &Node) -> BenchResult<Vec<(&'static str, String)>> {
    let store = node.store();
    let newest = store.search(&SearchQuery { limit: 200, ..SearchQuery::default() }).map_err(ctx("list"))?;
    let (mut name, mut id, mut plate, mut title) = (None, None, None, None);
    // Spread over the page, so not every query names the newest case.
    for hit in newest.hits.iter().rev() {
        let Some(request) = store.request(&hit.case).map_err(ctx("request"))? else { continue };
        match &request.details {
            CaseDetails::MissingPerson(d) => {
                name = name.or(Some(d.name.clone()));
                id = id.or(d.id_number.as_ref().map(|i| format!("尾号{}", &i.as_str()[14..])));
            }
            CaseDetails::Fugitive(d) => {
                plate = plate.or(d.vehicles.iter().find_map(|v| v.plate.as_ref()).map(|p| p.formatted()));
            }
            _ => {}
        }
        // A two-character word of the title, after its first (often 协查).
        title = title.or_else(|| {
            let chars: Vec<char> = request.title.chars().filter(|c| words::is_han(*c)).collect();
            chars.get(2..4).map(|pair| pair.iter().collect::<String>())
        });
    }
    let mut out = Vec::new();
    out.extend(name.map(|q| ("name", q)));
    out.extend(id.map(|q| ("last 4 digits of a resident ID", q)));
    out.extend(plate.map(|q| ("plate", q)));
    out.extend(title.map(|q| ("title word", q)));
    if out.is_empty() {
        return Err("the store holds no case to take queries from".into());
    }
    Ok(out)
}

async fn measure(data: &Dataset, node: &Arc<Node>, url: &str, scale: &Scale, open_secs: f64) -> BenchResult<Section> {
    let duty = data.client(url, crate::pki::ROLE_DUTY)?;
    let queries = queries(node)?;
    let mut rows = Vec::new();
    let mut all = Vec::new();
    let mut scans = Duration::ZERO;
    let mut agree = true;
    for (what, q) in &queries {
        let path = format!("{url}/api/v1/search?q={}", encode(q));
        for _ in 0..3 {
            super::load::expect(duty.http().get(&path), 200).await?;
        }
        let mut latencies = Vec::with_capacity(scale.query_samples);
        for _ in 0..scale.query_samples {
            let started = Instant::now();
            super::load::expect(duty.http().get(&path), 200).await?;
            latencies.push(started.elapsed());
        }
        let samples = Samples::new(latencies, Duration::from_secs(1));
        all.extend(samples.latencies.iter().copied());
        let input = SearchInput { q: q.clone(), limit: 50, ..SearchInput::default() };
        let query = input.query();
        let first_page = node.store().search(&query).map_err(ctx("search"))?;
        let scan_node = node.clone();
        let started = Instant::now();
        let scanned =
            tokio::task::spawn_blocking(move || scan_node.store().search_by_scan(&query)).await.map_err(ctx("scan"))?;
        let scan = started.elapsed();
        let scanned = scanned.map_err(ctx("scan"))?;
        scans += scan;
        let same = first_page.hits.iter().map(|h| h.case.id).eq(scanned.iter().take(50).map(|h| h.case.id));
        agree &= same;
        rows.push((*what, q.clone(), samples, scan, scanned.len(), first_page.hits.len()));
    }
    let all = Samples::new(all, Duration::from_secs(1));
    let scan_mean = scans / u32::try_from(queries.len()).unwrap_or(1).max(1);
    let mut section =
        Section::new(Scenario::Search, format!("Search with {} cases stored", thousands(data.stored as u64)));
    section.rows.push(
        Row::absolute("search p99 (all queries)", ms(all.p99()), "≤ 20 ms", all.p99() <= TARGET)
            .with_baseline(format!("{} (full scan, mean)", ms(scan_mean))),
    );
    let ratio = all.p99().as_secs_f64() / scan_mean.as_secs_f64().max(1e-9);
    section.rows.push(Row::relative(
        "search p99 vs a full scan",
        ms(all.p99()),
        format!("{} (full scan)", ms(scan_mean)),
        ratio,
        "≤ 1%",
        ratio <= 0.01,
    ));
    let mut table = String::from(
        "| query | words | p50 | p99 | max | full scan | cases found (scan) | on the first page |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for (what, q, samples, scan, found, page) in &rows {
        table.push_str(&format!(
            "| {what} | `{q}` | {} | {} | {} | {} | {} | {page} |\n",
            ms(samples.p50()),
            ms(samples.p99()),
            ms(samples.max()),
            ms(*scan),
            thousands(*found as u64),
        ));
    }
    section.details.push(format!(
        "The store of the statistics scenario ({} cases over {} days). Opening it took {open_secs:.1} s (the search \
         index is built then if the store was written by a release without it). Each query is taken from the newest \
         cases the store holds, sent {} times over mTLS keep-alive as a duty officer after a short warm-up; every \
         search is recorded in the audit chain and flushed before it is answered, as in service. The full scan reads \
         and decodes every case and its request, tokenises it and keeps those holding every term (in process, once \
         per query). The scan's newest 50 {} the index's first page.\n\n{table}",
        thousands(data.stored as u64),
        data.days,
        scale.query_samples,
        if agree { "equal" } else { "DIFFER FROM" },
    ));
    Ok(section)
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}
