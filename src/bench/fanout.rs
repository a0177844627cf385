//! Scenario 8: federation at scale. N+1 nodes, every one a peer of every other, all in this
//! process but one, which runs alone so that what a node costs can be read from `/proc`. One
//! station broadcasts a fugitive alert to its N peers, timed from the liaison's POST until
//! the origin holds every target's signed receipt on disk. Repeated for N from 5 to 29, with
//! what each node costs as its peers grow.

use std::time::{Duration, Instant};

use super::child::NodeProcess;
use super::load::Samples;
use super::net::{BenchNet, WorkDir, bench_settings};
use super::report::{mib, ms};
use super::{BenchResult, Row, Scale, Scenario, Section, ctx};
use crate::domain::details::CaseKind;
use crate::ids::StationId;

/// What one network size measured.
#[derive(Debug)]
pub struct Measured {
    /// Peers of each node.
    pub peers: usize,
    /// Broadcast times.
    pub broadcasts: Samples,
    /// CPU of the whole process (all nodes) per broadcast.
    pub cpu_per_broadcast: Duration,
    /// Resident memory of one node (a target, in a process of its own).
    pub rss_per_node: u64,
    /// Its open files.
    pub files_per_node: f64,
    /// Its threads.
    pub threads_per_node: f64,
    /// Its idle CPU, as a share of one core.
    pub idle_cpu_per_node: f64,
}

/// Runs the scenario.
pub async fn run(work: &WorkDir, scale: &Scale) -> BenchResult<Section> {
    let mut measured = Vec::new();
    for &peers in &scale.fanout_peers {
        measured.push(measure(work, scale, peers).await?);
    }
    let largest = measured.last().ok_or("no network size")?;
    let mut section =
        Section::new(Scenario::Fanout, format!("Federation at scale: {} nodes, broadcast alerts", largest.peers + 1));
    section.rows.push(
        Row::absolute(
            format!("broadcast to {} peers, all durable with receipts back, worst", largest.peers),
            ms(largest.broadcasts.max()),
            "≤ 1 s",
            largest.broadcasts.max() <= Duration::from_secs(1),
        )
        .with_baseline(format!("{} (median)", ms(largest.broadcasts.p50()))),
    );
    let mut table = String::from(
        "| peers | nodes | broadcast p50 | broadcast worst | CPU per broadcast (all nodes) | per target | RSS of one node | its open files | its threads | its idle CPU |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for m in &measured {
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.2}% |\n",
            m.peers,
            m.peers + 1,
            ms(m.broadcasts.p50()),
            ms(m.broadcasts.max()),
            ms(m.cpu_per_broadcast),
            ms(m.cpu_per_broadcast / u32::try_from(m.peers).unwrap_or(1)),
            mib(m.rss_per_node),
            m.files_per_node,
            m.threads_per_node,
            m.idle_cpu_per_node * 100.0,
        ));
    }
    section.details.push(format!(
        "For each size, a fresh network of N+1 stations (each with its own sled store, port, delivery tasks \
         and flusher), every station a peer of every other. All run in this process but the last, which runs as a \
         `tiemeng bench-node` process of its own: the per-node figures (memory, open files, threads, idle CPU) are \
         read from its /proc entry. After the nodes settle, station 0's liaison posts {} fugitive alerts one after \
         another, each to all N peers, and each is timed until station 0's delivery tasks have recorded every \
         target's receipt on disk (a target signs its receipt only after its own flush). CPU per broadcast covers \
         the origin and every target in both processes (HTTPS, verification, storage, receipts).\n\n{table}",
        scale.broadcasts
    ));
    section.analysis.push(ANALYSIS.to_owned());
    Ok(section)
}

/// What profiling found, shown when a target is missed.
const ANALYSIS: &str = "A broadcast costs the origin one signature and one flush, then N deliveries in parallel, \
each a request, a verification, a transaction and a flush at the target, and a receipt check and a flush back \
at the origin.";

async fn measure(work: &WorkDir, scale: &Scale, peers: usize) -> BenchResult<Measured> {
    let dir = work.fresh(&format!("fanout-{peers}")).map_err(ctx("work folder"))?;
    let mut net = BenchNet::prepare(dir, peers + 1, &bench_settings(64)).await?;
    let mut nodes = Vec::new();
    for i in 0..peers {
        let id = net.id(i).to_owned();
        nodes.push(net.start(&id).await?);
    }
    // The last target runs alone in a process of its own, so that what one node holds and
    // spends is read from its own /proc entry, not inferred from this shared process.
    let measured_id = net.id(peers).to_owned();
    net.close_port(&measured_id);
    let measured = NodeProcess::bench_node(&net.config_path(&measured_id)?, false, None)?;
    let pid = measured.pid();
    let origin = nodes[0].clone();
    let client = net.client(net.id(0), crate::pki::ROLE_LIAISON)?;
    let targets: Vec<StationId> =
        (1..=peers).map(|i| net.id(i).parse()).collect::<Result<_, _>>().map_err(ctx("station id"))?;
    // One warm-up broadcast opens every connection; then let the nodes settle.
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(8);
    broadcast(&client, &net.url(net.id(0)), &origin, &targets, &mut rng).await?;
    tokio::time::sleep(Duration::from_secs(if scale.quick { 1 } else { 3 })).await;
    let rss_per_node = super::sys::rss(&pid).ok_or("cannot read the measured node's memory")?;
    let files_per_node = super::sys::open_files(&pid).unwrap_or(0) as f64;
    let threads_per_node = super::sys::threads(&pid).unwrap_or(0) as f64;
    let idle_window = Duration::from_secs(if scale.quick { 1 } else { 5 });
    let idle_before = super::sys::cpu_time(&pid).unwrap_or_default();
    tokio::time::sleep(idle_window).await;
    let idle_cpu = super::sys::cpu_time(&pid).unwrap_or_default().saturating_sub(idle_before);
    let idle_cpu_per_node = idle_cpu.as_secs_f64() / idle_window.as_secs_f64();
    let cpu_now = || super::sys::cpu_time("self").unwrap_or_default() + super::sys::cpu_time(&pid).unwrap_or_default();
    let cpu_before = cpu_now();
    let mut times = Vec::new();
    for _ in 0..scale.broadcasts {
        tokio::time::sleep(Duration::from_millis(50)).await;
        times.push(broadcast(&client, &net.url(net.id(0)), &origin, &targets, &mut rng).await?);
    }
    let cpu = cpu_now().saturating_sub(cpu_before);
    let cpu_per_broadcast = cpu / u32::try_from(scale.broadcasts.max(1)).unwrap_or(1);
    measured.stop();
    drop((nodes, origin));
    net.shutdown().await;
    let broadcasts = Samples::new(times, Duration::from_secs(1));
    eprintln!("   {peers} peers: {}", broadcasts.summary());
    Ok(Measured {
        peers,
        broadcasts,
        cpu_per_broadcast,
        rss_per_node,
        files_per_node,
        threads_per_node,
        idle_cpu_per_node,
    })
}

/// Sends one fugitive alert to every target and waits for every receipt; returns the time.
async fn broadcast(
    client: &crate::client::ApiClient,
    url: &str,
    origin: &crate::node::Node,
    targets: &[StationId],
    rng: &mut rand::rngs::StdRng,
) -> BenchResult<Duration> {
    let before: Vec<u64> =
        targets.iter().map(|t| origin.health().peer(t).map_or(0, |h| h.status().delivered)).collect();
    let new = super::workload::new_case_of(rng, CaseKind::Fugitive, targets.to_vec(), time::OffsetDateTime::now_utc());
    let started = Instant::now();
    let request = client.http().post(format!("{url}/api/v1/cases")).json(&new);
    super::load::expect(request, 201).await?;
    for (target, before) in targets.iter().zip(before) {
        let health = origin.health().peer(target).ok_or("no health record")?;
        tokio::time::timeout(Duration::from_secs(30), health.wait_delivered(before + 1))
            .await
            .map_err(|_| format!("{target} did not answer within 30 s"))?;
    }
    Ok(started.elapsed())
}
