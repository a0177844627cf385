//! Scenario 4: backlog drain. Station B is down while A queues requests for it; then B comes
//! back and A's delivery task drains the outbox. Measured twice in the same run: with the
//! configured batch size, and with batches of one envelope (every envelope its own request,
//! transaction, flushes and receipt check), the one-at-a-time durable rate. Afterwards every
//! envelope is checked: none lost, none stored or applied twice, and B received them in A's
//! order.

use std::time::{Duration, Instant};

use super::net::{BenchNet, WorkDir, bench_settings};
use super::report::{ms, rate, thousands};
use super::{BenchResult, Row, Scale, Scenario, Section, ctx};
use crate::ids::{CaseId, StationId};
use crate::node::Node;
use crate::store::FlushStats;

/// What one drain measured and found.
#[derive(Debug)]
pub struct Drained {
    /// Envelopes queued.
    pub queued: usize,
    /// Batch size.
    pub batch: usize,
    /// Envelopes per second from the first receipt to the last.
    pub rate: f64,
    /// From B's return to the first receipt (A's backoff).
    pub first_after: Duration,
    /// From B's return to the last receipt.
    pub total: Duration,
    /// Envelopes B does not hold.
    pub lost: usize,
    /// Envelopes B stored or applied more than once.
    pub duplicates: usize,
    /// Whether B received them in the order A queued them.
    pub in_order: bool,
    /// Left in A's outbox or dead letters.
    pub left: usize,
    /// This process's CPU per envelope during the drain (both nodes).
    pub cpu_per_envelope: Duration,
    /// Flushes at A and at B during the drain.
    pub flushes: (u64, u64),
}

/// Runs the scenario.
pub async fn run(work: &WorkDir, scale: &Scale) -> BenchResult<Section> {
    let batch = crate::config::FederationConfig::default().batch_size;
    // The baseline drains as many envelopes as the batched run, so that both write to stores
    // of the same size: sled's cost per write grows with the store.
    let single = drain(work, scale.backlog, 1).await?;
    let batched = drain(work, scale.backlog, batch).await?;
    let mut section = Section::new(Scenario::Drain, "Backlog drain after an outage");
    let ratio = batched.rate / single.rate.max(1e-9);
    section.rows.push(Row::relative(
        format!("drain of {} queued envelopes", thousands(batched.queued as u64)),
        rate(batched.rate, "env"),
        format!("{} (one at a time)", rate(single.rate, "env")),
        ratio,
        "≥ 300%",
        ratio >= 3.0,
    ));
    let clean = |d: &Drained| d.lost == 0 && d.duplicates == 0 && d.left == 0 && d.in_order;
    section.rows.push(Row::absolute(
        "lost / duplicated / out of order after the drain",
        format!(
            "{} / {} / {}",
            batched.lost,
            batched.duplicates,
            if batched.in_order { "in order" } else { "OUT OF ORDER" }
        ),
        "0 lost, 0 duplicates",
        clean(&batched) && clean(&single),
    ));
    let mut table = String::from(
        "| run | queued | batch | rate | first receipt after B's return | drain total | lost | duplicates | order | left | CPU per envelope | flushes A / B |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for d in [&single, &batched] {
        table.push_str(&format!(
            "| {} | {} | {} | {:.0}/s | {} | {} | {} | {} | {} | {} | {:.0} µs | {} / {} |\n",
            if d.batch == 1 { "one at a time" } else { "batched" },
            d.queued,
            d.batch,
            d.rate,
            ms(d.first_after),
            ms(d.total),
            d.lost,
            d.duplicates,
            if d.in_order { "kept" } else { "broken" },
            d.left,
            d.cpu_per_envelope.as_secs_f64() * 1e6,
            d.flushes.0,
            d.flushes.1,
        ));
    }
    section.details.push(format!(
        "A queues requests for B while B is down (bulk creation, {} per transaction), then B starts. A's delivery task, \
         backing off at most 1 s, finds B back; the rate is counted from the first receipt to the last, so the wait \
         for A's next retry is left out of both runs. Both nodes run in this process. The batched run uses the \
         configured `federation.batch_size`; the baseline sets it to 1 and drains as many envelopes, so that both \
         write to stores of the same size.\n\n{table}\n\
         Checked afterwards: B holds every envelope exactly once (its envelope tree and its audit chain's \
         `envelope.receive` entries, by id), in the order A queued them; A's outbox and dead letters are empty.",
        QUEUE_CHUNK
    ));
    section.analysis.push(ANALYSIS.to_owned());
    Ok(section)
}

/// What profiling found, shown when a target is missed.
const ANALYSIS: &str = "The CPU column shows the work per envelope on both sides (B: verify, store, sign the \
receipt; A: check the receipt, record it); the flush columns show how batches share flushes.";

/// Requests queued per transaction while B is down.
const QUEUE_CHUNK: usize = 1_000;

async fn drain(work: &WorkDir, queued: usize, batch: usize) -> BenchResult<Drained> {
    let dir = work.fresh(&format!("drain-{batch}")).map_err(ctx("work folder"))?;
    let mut net = BenchNet::prepare(dir, 2, &bench_settings(batch)).await?;
    let (a, b) = (net.id(0).to_owned(), net.id(1).to_owned());
    net.close_port(&b);
    let node_a = net.start(&a).await?;
    let officer = net.officer(&node_a, crate::pki::ROLE_LIAISON)?;
    let target: StationId = b.parse().map_err(ctx("station id"))?;
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(4);
    let mut order: Vec<CaseId> = Vec::with_capacity(queued);
    while order.len() < queued {
        let n = QUEUE_CHUNK.min(queued - order.len());
        let now = node_a.clock().now();
        let chunk = (0..n).map(|_| (super::workload::new_case(&mut rng, vec![target.clone()], now), now)).collect();
        let cases = node_a.create_cases(&officer, chunk).await.map_err(ctx("queue"))?;
        order.extend(cases.iter().map(|c| c.id));
    }
    eprintln!("   queued {queued} for {b} (batch {batch})");
    let health = node_a.health().peer(&target).ok_or("no health record")?;
    let delivered_before = health.status().delivered;
    let flushes_a = node_a.store().flush_stats();
    let cpu_before = super::sys::cpu_time("self");
    let returned = Instant::now();
    let node_b = net.start(&b).await?;
    let flushes_b = node_b.store().flush_stats();
    let limit = Duration::from_secs(3_600);
    tokio::time::timeout(limit, health.wait_delivered(delivered_before + 1))
        .await
        .map_err(|_| "no delivery within an hour")?;
    let first = Instant::now();
    let first_count = health.status().delivered - delivered_before;
    tokio::time::timeout(limit, health.wait_delivered(delivered_before + queued as u64))
        .await
        .map_err(|_| "drain did not finish within an hour")?;
    let done = Instant::now();
    let cpu_after = super::sys::cpu_time("self");
    let since = |before: FlushStats, after: FlushStats| after.flushes - before.flushes;
    let flushes = (since(flushes_a, node_a.store().flush_stats()), since(flushes_b, node_b.store().flush_stats()));
    let drained = (queued as u64).saturating_sub(first_count) as f64;
    let cpu_per_envelope = match (cpu_before, cpu_after) {
        (Some(before), Some(after)) => after.saturating_sub(before) / u32::try_from(queued.max(1)).unwrap_or(u32::MAX),
        _ => Duration::ZERO,
    };
    let check = check(&node_a, &node_b, &target, &order)?;
    drop((node_a, node_b));
    net.shutdown().await;
    Ok(Drained {
        queued,
        batch,
        rate: if drained > 0.0 {
            drained / (done - first).as_secs_f64().max(1e-9)
        } else {
            queued as f64 / (done - returned).as_secs_f64()
        },
        first_after: first - returned,
        total: done - returned,
        lost: check.lost,
        duplicates: check.duplicates,
        in_order: check.in_order,
        left: check.left,
        cpu_per_envelope,
        flushes,
    })
}

struct Check {
    lost: usize,
    duplicates: usize,
    in_order: bool,
    left: usize,
}

/// Compares what B holds with what A queued.
fn check(node_a: &Node, node_b: &Node, b: &StationId, order: &[CaseId]) -> BenchResult<Check> {
    let sizes: std::collections::BTreeMap<_, _> =
        node_b.store().tree_sizes().map_err(ctx("sizes"))?.into_iter().collect();
    let stored = sizes.get("envelopeid_envelope").copied().unwrap_or(0);
    let cases = sizes.get("caseid_case").copied().unwrap_or(0);
    let mut received: Vec<CaseId> = Vec::with_capacity(order.len());
    let mut seen = std::collections::BTreeSet::new();
    let mut duplicates = 0;
    let mut after = 0;
    loop {
        let page = node_b.store().audit_entries(after, 10_000).map_err(ctx("audit"))?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in page.into_iter().filter(|e| e.action == "envelope.receive") {
            if !entry.envelope.is_some_and(|id| seen.insert(id)) {
                duplicates += 1;
            }
            received.extend(entry.case);
        }
    }
    let holds: std::collections::BTreeSet<CaseId> = received.iter().copied().collect();
    let lost = order.iter().filter(|c| !holds.contains(c)).count();
    duplicates += stored.saturating_sub(order.len()) + cases.saturating_sub(order.len());
    let left = node_a.store().outbox_len(b) + node_a.store().dead_letter_count(b);
    Ok(Check { lost: lost.max(order.len().saturating_sub(stored)), duplicates, in_order: received == order, left })
}
