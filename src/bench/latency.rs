//! Scenario 3: federation latency at light load. A liaison at station A sends one request at a
//! time to station B; the clock runs from the officer's POST until A holds B's signed receipt
//! on disk (B stored the request durably before signing it). Both nodes run in this process
//! over loopback mTLS.

use std::time::{Duration, Instant};

use super::load::Samples;
use super::net::{BenchNet, WorkDir, bench_settings};
use super::report::ms;
use super::{BenchResult, Row, Scale, Scenario, Section, ctx};
use crate::store::FlushStats;

/// Pause between requests, so each one meets idle nodes.
const PAUSE: Duration = Duration::from_millis(5);

/// Runs the scenario.
pub async fn run(work: &WorkDir, scale: &Scale) -> BenchResult<Section> {
    let dir = work.fresh("latency").map_err(ctx("work folder"))?;
    let mut net = BenchNet::prepare(dir, 2, &bench_settings(64)).await?;
    let (a, b) = (net.id(0).to_owned(), net.id(1).to_owned());
    let node_a = net.start(&a).await?;
    let node_b = net.start(&b).await?;
    let client = net.client(&a, crate::pki::ROLE_LIAISON)?;
    let target: crate::ids::StationId = b.parse().map_err(ctx("station id"))?;
    let health = node_a.health().peer(&target).ok_or("no health record")?;
    let mut bodies = super::workload::Bodies::new(9, std::slice::from_ref(&target), time::OffsetDateTime::now_utc());
    let url = format!("{}/api/v1/cases", net.url(&a));
    let warmup = scale.latency_samples / 10;
    let (mut total, mut create, mut deliver) = (Vec::new(), Vec::new(), Vec::new());
    let (flush_a, flush_b) = (node_a.store().flush_stats(), node_b.store().flush_stats());
    for i in 0..warmup + scale.latency_samples {
        tokio::time::sleep(PAUSE).await;
        let delivered = health.status().delivered;
        let started = Instant::now();
        let request =
            client.http().post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(bodies.next_body());
        super::load::expect(request, 201).await?;
        let created = Instant::now();
        tokio::time::timeout(Duration::from_secs(10), health.wait_delivered(delivered + 1))
            .await
            .map_err(|_| format!("request {i} was not delivered within 10 s"))?;
        let done = Instant::now();
        if i >= warmup {
            total.push(done - started);
            create.push(created - started);
            deliver.push(done - created);
        }
    }
    let flushes = |before: FlushStats, after: FlushStats| {
        let n = after.flushes - before.flushes;
        (n, after.busy.saturating_sub(before.busy) / u32::try_from(n.max(1)).unwrap_or(u32::MAX))
    };
    let (flushes_a, mean_a) = flushes(flush_a, node_a.store().flush_stats());
    let (flushes_b, mean_b) = flushes(flush_b, node_b.store().flush_stats());
    drop((node_a, node_b));
    net.shutdown().await;
    let window = Duration::from_secs(1);
    let (total, create, deliver) =
        (Samples::new(total, window), Samples::new(create, window), Samples::new(deliver, window));
    let mut section = Section::new(Scenario::Latency, "Federation latency A→B at light load");
    section.rows.push(Row::absolute(
        "A→B request to durable receipt, p50",
        ms(total.p50()),
        "≤ 2 ms",
        total.p50() <= Duration::from_millis(2),
    ));
    section.rows.push(Row::absolute(
        "A→B request to durable receipt, p99",
        ms(total.p99()),
        "≤ 10 ms",
        total.p99() <= Duration::from_millis(10),
    ));
    let n = total.latencies.len().max(1) as f64;
    section.details.push(format!(
        "{} requests one at a time, {} ms apart, after {warmup} unmeasured. Each is timed from the liaison's POST to A \
         until A's delivery task has recorded B's signed receipt and flushed it (A's health counter moves only then).\n\n\
         | part | p50 | p99 |\n|---|---|---|\n| POST at A until 201 (signed, stored, flushed at A) | {} | {} |\n\
         | 201 until A holds B's receipt on disk (delivery, B stores and flushes, A checks and flushes) | {} | {} |\n\
         | whole | {} | {} |\n\n\
         Flushes per request: A {:.2} (mean {}), B {:.2} (mean {}).",
        scale.latency_samples,
        PAUSE.as_millis(),
        ms(create.p50()),
        ms(create.p99()),
        ms(deliver.p50()),
        ms(deliver.p99()),
        ms(total.p50()),
        ms(total.p99()),
        flushes_a as f64 / n,
        ms(mean_a),
        flushes_b as f64 / n,
        ms(mean_b),
    ));
    section.analysis.push(ANALYSIS.to_owned());
    Ok(section)
}

/// What profiling found, shown when a target is missed.
const ANALYSIS: &str = "A request crosses three flushes in series — the request at A, the request at B, \
the receipt at A — whose mean cost on this machine's disk is in the table above; each is sled's flush (a \
write and `sync_file_range` on sled's I/O thread) and an `fdatasync` of sled's log, without which sled's \
flush does not survive a power cut. The rest is the CPU of each hop (TLS, HTTP, signing and verifying, one \
store transaction at each end) and the hand-offs between the runtime, the flusher thread and the delivery \
task; docs/PERFORMANCE.md has a timeline of one request.";
