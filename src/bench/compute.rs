//! Scenario 2: compute efficiency. The node runs in a process of its own pinned to CPU 0 with
//! one runtime worker and flushing off; the clients run in this process pinned to CPU 1. Its
//! intake rate is compared with 1 / (verify + sign + store insert), those three timed in this
//! run, on CPU 0, before the node starts, in a process as fresh as the node's: how much of one
//! core's time goes to the work that must be done, and how much to everything around it.

use std::time::{Duration, Instant};

use super::child::NodeProcess;
use super::load::{self, Samples};
use super::net::{BenchNet, WorkDir, bench_settings};
use super::report::{ms, percent, rate};
use super::{BenchResult, Row, Scale, Scenario, Section, ctx};
use crate::clock::Clock;
use crate::node::{Node, request_envelope};

/// The node's CPU.
const NODE_CPU: usize = 0;
/// The clients' CPU.
const CLIENT_CPU: usize = 1;

/// The three reference operations, each timed alone.
#[derive(Debug, Clone, Copy)]
pub struct Reference {
    /// ed25519 strict verification of a request's signature.
    pub verify: Duration,
    /// ed25519 signature of a request's payload.
    pub sign: Duration,
    /// Storing one signed request: its case, indexes, tallies, outbox entry and audit entry in
    /// one transaction, without a flush.
    pub insert: Duration,
    /// The same, 32 requests to a transaction (what group commit of transactions would give).
    pub insert_grouped: Duration,
}

impl Reference {
    /// The four times in nanoseconds, as a `bench-node --reference` process prints them.
    pub fn to_line(&self) -> String {
        let [a, b, c, d] = [self.verify, self.sign, self.insert, self.insert_grouped].map(|t| t.as_nanos());
        format!("reference {a} {b} {c} {d}")
    }

    /// Reads what [`Reference::to_line`] printed.
    pub fn from_line(line: &str) -> Option<Self> {
        let mut parts = line.strip_prefix("reference ")?.split(' ').map(|n| n.parse().ok().map(Duration::from_nanos));
        let mut next = || parts.next().flatten();
        let reference = Self { verify: next()?, sign: next()?, insert: next()?, insert_grouped: next()? };
        parts.next().is_none().then_some(reference)
    }

    /// Requests per second one core could take if it did only these three.
    pub fn ceiling(&self) -> f64 {
        1.0 / (self.verify + self.sign + self.insert).as_secs_f64().max(1e-12)
    }
}

/// Runs the scenario.
pub async fn run(work: &WorkDir, scale: &Scale) -> BenchResult<Section> {
    if std::thread::available_parallelism().map_or(1, usize::from) < 2 {
        return Err("needs two CPUs: one for the node, one for its clients".into());
    }
    let dir = work.fresh("compute").map_err(ctx("work folder"))?;
    let mut net = BenchNet::prepare(dir.clone(), 2, &bench_settings(64)).await?;
    let (a, b) = (net.id(0).to_owned(), net.id(1).to_owned());
    net.close_port(&b);
    // In a process of its own, like the node: a process that has run other scenarios has freed
    // memory to reuse, and on a machine whose host backs a page only when it is first touched,
    // writing into reused memory is many times faster than into fresh (docs/PERFORMANCE.md).
    let reference = {
        let (config, store) = (net.config_path(&a)?, dir.join("reference-store"));
        let samples = reference_samples(scale);
        tokio::task::spawn_blocking(move || NodeProcess::reference(&config, &store, samples, NODE_CPU))
            .await
            .map_err(ctx("reference"))??
    };
    // The node's port was reserved by this process; the child binds it itself.
    drop(net.listener(&a).await?);
    let child = NodeProcess::bench_node(&net.config_path(&a)?, true, Some(NODE_CPU))?;
    let clients =
        (0..scale.clients).map(|_| net.client(&a, crate::pki::ROLE_LIAISON)).collect::<BenchResult<Vec<_>>>()?;
    let url = format!("{}/api/v1/cases", net.url(&a));
    let target: crate::ids::StationId = b.parse().map_err(ctx("station id"))?;
    let (warmup, measure) = (scale.warmup, scale.measure);
    let pid = child.pid();
    let samples = tokio::task::spawn_blocking(move || pinned_load(clients, url, target, warmup, measure, &pid))
        .await
        .map_err(ctx("load"))??;
    child.stop();
    net.shutdown().await;
    let (samples, node_cpu) = samples;
    Ok(section(scale, &reference, &samples, node_cpu))
}

/// How many requests the reference times each operation over.
pub fn reference_samples(scale: &Scale) -> usize {
    if scale.quick { 300 } else { 3_000 }
}

fn section(scale: &Scale, reference: &Reference, samples: &Samples, node_cpu: f64) -> Section {
    let mut section = Section::new(Scenario::Compute, "Compute efficiency: no-flush intake on one core");
    let ceiling = reference.ceiling();
    let ratio = samples.throughput() / ceiling;
    section.rows.push(Row::relative(
        "no-flush intake on one core vs 1/(verify+sign+insert)",
        rate(samples.throughput(), "cases"),
        format!(
            "{} (1/{:.0} µs)",
            rate(ceiling, "cases"),
            (reference.verify + reference.sign + reference.insert).as_secs_f64() * 1e6
        ),
        ratio,
        "≥ 85%",
        ratio >= 0.85,
    ));
    section.details.push(format!(
        "The node is a `tiemeng bench-node --no-flush --cpu {NODE_CPU}` process: every thread of it (runtime worker, \
         blocking pool, flusher, sled) pinned to CPU {NODE_CPU}, one runtime worker. {} clients in this process, \
         pinned to CPU {CLIENT_CPU}, post new requests over mTLS keep-alive; {:.0} s warm-up, {:.0} s measured: {}; \
         {} errors. The node's CPU was busy {:.0}% of the window.\n\n\
         Reference, timed before the node started in a `tiemeng bench-node --reference` process of its own on \
         CPU {NODE_CPU}, as fresh as the node's (mean of many):\n\n\
         | operation | time |\n|---|---|\n| verify (ed25519 `verify_strict` of a request) | {:.1} µs |\n\
         | sign (ed25519 over a request's payload) | {:.1} µs |\n\
         | store insert (one request's unit: envelope, case, indexes, tallies, outbox, audit; no flush) | {:.1} µs |\n\
         | sum | {:.1} µs |\n\n\
         For comparison, not part of the reference: the store insert with 32 requests to a transaction costs {:.1} µs per request.",
        scale.clients,
        scale.warmup.as_secs_f64(),
        scale.measure.as_secs_f64(),
        samples.summary(),
        samples.errors,
        node_cpu * 100.0,
        reference.verify.as_secs_f64() * 1e6,
        reference.sign.as_secs_f64() * 1e6,
        reference.insert.as_secs_f64() * 1e6,
        (reference.verify + reference.sign + reference.insert).as_secs_f64() * 1e6,
        reference.insert_grouped.as_secs_f64() * 1e6,
    ));
    let grouped = (reference.verify + reference.sign + reference.insert_grouped).as_secs_f64();
    section.details.push(format!(
        "Per request the node spends {:.1} µs of its core; the three reference operations are {} of that. \
         Nothing in a request's path verifies a signature (the officer is authenticated by TLS), so the \
         reference counts one verification the path does not make. The node stores the requests that wait \
         together in one unit (up to 32; `src/node/combine.rs`), so under this load its store insert costs \
         less than the reference's one-request unit: against verify + sign + the insert at 32 to a unit \
         ({:.1} µs), the node reaches {}.",
        1e6 / samples.throughput().max(1e-9),
        percent(ratio),
        grouped * 1e6,
        percent(samples.throughput() * grouped),
    ));
    if let Some(error) = &samples.first_error {
        section.details.push(format!("First error: `{}`", error.replace('`', "'")));
    }
    section.analysis.push(ANALYSIS.to_owned());
    let _ = ms;
    section
}

/// What profiling found, shown when the target is missed.
const ANALYSIS: &str = "The reference's insert runs with sled's I/O threads on the same core (its process is pinned before any thread \
starts, and every thread inherits the mask), so its time includes their writing of the log, as the node's does. \
Both write their log into memory the kernel has just taken for its page cache: where the host backs a page only \
when it is first touched (this machine, see \"Memory\" under How it was run), that write can take over a quarter \
of the node's CPU, which is why the reference runs in a fresh process as the node does. The gap is the \
request's path around the three operations: the TLS record layer, HTTP/1.1 parsing, JSON decoding and validation \
of the request, the response's JSON (the whole case), rate limiting, routing, and the runtime's scheduling; the \
requests waiting together share a store unit, which pays for part of it. A profile is in docs/PERFORMANCE.md.";

/// Times the reference operations on `samples` requests, on the calling thread (which
/// `bench-node --cpu` has pinned, with every thread the store starts).
pub fn time_reference(config: crate::config::Config, samples: usize) -> BenchResult<Reference> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(ctx("runtime"))?;
    let target = config.peers.first().map(|p| p.id.clone()).ok_or("no peer")?;
    let node = Node::open(config, Clock::system()).map_err(ctx("open node"))?;
    node.store().set_flush_for_bench(false);
    let officer = node
        .config()
        .officers
        .iter()
        .find(|o| o.roles.contains(&crate::config::Role::Liaison))
        .map(|o| crate::ids::OfficerId { station: node.station().clone(), badge: o.badge.clone() })
        .ok_or("no liaison officer")?;
    let officer = node.officer(&officer).map_err(ctx("officer"))?;
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(2);
    let now = time::OffsetDateTime::now_utc();
    let sealed: Vec<_> = (0..samples)
        .map(|_| {
            let new = super::workload::new_case(&mut rng, vec![target.clone()], now);
            request_envelope(node.config(), &officer, new, now).and_then(|e| Ok(e.seal(node.signer())?))
        })
        .collect::<Result<_, _>>()
        .map_err(ctx("seal"))?;
    let context = crate::envelope::ENVELOPE_CONTEXT;
    let messages: Vec<Vec<u8>> = sealed.iter().map(|s| [context, s.signed.payload()].concat()).collect();
    let key = node.signer().verifying_key();
    let mut i = 0;
    let sign = load::mean_of(samples, || {
        i = (i + 1) % samples;
        node.signer().sign(context, sealed[i].signed.payload())
    });
    let signatures: Vec<_> = sealed.iter().map(|s| node.signer().sign(context, s.signed.payload())).collect();
    let mut i = 0;
    let verify = load::mean_of(samples, || {
        i = (i + 1) % samples;
        key.verify_strict(&messages[i], &signatures[i]).is_ok()
    });
    let started = Instant::now();
    for one in &sealed {
        runtime.block_on(node.store_requests(&officer, std::slice::from_ref(one))).map_err(ctx("insert"))?;
    }
    let insert = started.elapsed() / u32::try_from(samples).unwrap_or(u32::MAX);
    let fresh: Vec<_> = (0..samples)
        .map(|_| {
            let new = super::workload::new_case(&mut rng, vec![target.clone()], now);
            request_envelope(node.config(), &officer, new, now).and_then(|e| Ok(e.seal(node.signer())?))
        })
        .collect::<Result<_, _>>()
        .map_err(ctx("seal"))?;
    let started = Instant::now();
    for group in fresh.chunks(32) {
        runtime.block_on(node.store_requests(&officer, group)).map_err(ctx("insert"))?;
    }
    let insert_grouped = started.elapsed() / u32::try_from(samples).unwrap_or(u32::MAX);
    Ok(Reference { verify, sign, insert, insert_grouped })
}

/// Runs the clients on a runtime whose one worker is pinned to the clients' CPU; returns the
/// samples and the share of the window the node process was busy.
fn pinned_load(
    clients: Vec<crate::client::ApiClient>,
    url: String,
    target: crate::ids::StationId,
    warmup: Duration,
    measure: Duration,
    node_pid: &str,
) -> BenchResult<(Samples, f64)> {
    super::sys::pin_current_thread(CLIENT_CPU).map_err(ctx("pin"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .on_thread_start(|| {
            let _ = super::sys::pin_current_thread(CLIENT_CPU);
        })
        .build()
        .map_err(ctx("runtime"))?;
    let node_pid = node_pid.to_owned();
    runtime.block_on(async move {
        let mut ops = Vec::new();
        for (i, client) in clients.into_iter().enumerate() {
            let http = client.http().clone();
            let mut bodies =
                super::workload::Bodies::new(i as u64, std::slice::from_ref(&target), time::OffsetDateTime::now_utc());
            let url = url.clone();
            ops.push(move || {
                let request =
                    http.post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(bodies.next_body());
                load::expect(request, 201)
            });
        }
        let pid = node_pid.clone();
        let probe = tokio::spawn(async move {
            tokio::time::sleep(warmup).await;
            let before = super::sys::cpu_time(&pid);
            tokio::time::sleep(measure).await;
            (before, super::sys::cpu_time(&pid))
        });
        let samples = load::closed_loop(ops, warmup, measure).await;
        let busy = match probe.await {
            Ok((Some(before), Some(after))) => after.saturating_sub(before).as_secs_f64() / measure.as_secs_f64(),
            _ => 0.0,
        };
        Ok((samples, busy))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_crosses_the_process_boundary_unchanged() {
        let reference = Reference {
            verify: Duration::from_nanos(52_801),
            sign: Duration::from_nanos(23_100),
            insert: Duration::from_nanos(254_200),
            insert_grouped: Duration::from_nanos(193_700),
        };
        let read = Reference::from_line(&reference.to_line()).expect("reads its own line");
        assert_eq!(read.to_line(), reference.to_line());
        assert!(Reference::from_line("reference 1 2 3").is_none(), "a time missing");
        assert!(Reference::from_line("reference 1 2 3 4 5").is_none(), "a time too many");
        assert!(Reference::from_line("ready 127.0.0.1:1").is_none());
    }
}
