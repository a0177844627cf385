//! Scenario 1: durable signed intake. 32 officers' clients, each on its own mTLS keep-alive
//! connection, send new requests as fast as they are answered; every 201 means the case was
//! signed, stored in a transaction (shared with the requests waiting with it) and flushed.
//! Baselines in the same run: the same node with flushing switched off, and a plain axum hello
//! behind the same accept loop and mTLS.
//!
//! The target station is down throughout, so delivery waits in the outbox: this measures
//! intake alone (delivery is scenarios 3, 4 and 8).

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;

use super::child::NodeProcess;
use super::compute::Reference;
use super::load::{self, Samples};
use super::net::{BenchNet, WorkDir, bench_settings};
use super::report::{ms, percent, rate};
use super::{BenchResult, Row, Scale, Scenario, Section, ctx};
use crate::clock::Clock;
use crate::store::FlushStats;

/// How the node under load answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The real node, flushing before every 201.
    Durable,
    /// The real node with the bench-only switch that skips flushes.
    NoFlush,
    /// An axum handler that reads the body and answers 201 "hello".
    Hello,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Self::Durable => "durable",
            Self::NoFlush => "no-flush",
            Self::Hello => "hello",
        }
    }
}

/// What one intake run measured.
#[derive(Debug)]
pub struct Measured {
    /// Request durations.
    pub samples: Samples,
    /// The flusher's work during the run.
    pub flushes: FlushStats,
    /// CPU time of this process per answered request.
    pub cpu_per_request: Duration,
    /// Bytes the open event streams read during the run (none were open: 0).
    pub streamed: u64,
}

/// Runs the scenario.
pub async fn run(work: &WorkDir, scale: &Scale) -> BenchResult<Section> {
    let durable = measure(work, scale, Mode::Durable, 0).await?;
    let no_flush = measure(work, scale, Mode::NoFlush, 0).await?;
    let hello = measure(work, scale, Mode::Hello, 0).await?;
    let reference = time_reference(work, scale).await?;
    let mut section = Section::new(Scenario::Intake, "Durable signed intake over mTLS keep-alive, 32 clients");
    let (d, n, h) = (&durable.samples, &no_flush.samples, &hello.samples);
    let ratio = d.throughput() / n.throughput().max(1e-9);
    section.rows.push(Row::relative(
        "durable intake vs the same node without flushes",
        rate(d.throughput(), "cases"),
        format!("{} (no flush)", rate(n.throughput(), "cases")),
        ratio,
        "≥ 50%",
        ratio >= 0.5,
    ));
    section.rows.push(
        Row::absolute(
            "durable intake throughput",
            rate(d.throughput(), "cases"),
            "≥ 10,000 cases/s",
            d.throughput() >= 10_000.0,
        )
        .with_baseline(format!("{} (axum hello)", rate(h.throughput(), "req"))),
    );
    let floor = Floor::of(&reference, hello.cpu_per_request);
    section.rows.push(
        Row::info(
            "intake ceiling: all cores on signing, storing and hello's TLS + HTTP alone",
            rate(floor.ceiling(), "cases"),
        )
        .with_baseline(floor.parts()),
    );
    section.rows.push(Row::info("durable intake p50 latency", ms(d.p50())).with_baseline(format!(
        "{} (no flush), {} (hello)",
        ms(n.p50()),
        ms(h.p50())
    )));
    section.rows.push(
        Row::absolute("durable intake p99 latency", ms(d.p99()), "≤ 10 ms", d.p99() <= Duration::from_millis(10))
            .with_baseline(format!("{} (no flush), {} (hello)", ms(n.p99()), ms(h.p99()))),
    );
    section.details.push(format!(
        "Each of {} clients holds one mTLS keep-alive connection as a liaison officer and POSTs a new request \
         (`/api/v1/cases`, a realistic body of one of the five kinds with fresh resident IDs, plates and case numbers) \
         as soon as the previous one is answered; {:.0} s warm-up, then {:.0} s measured. The target station is down, \
         so deliveries wait in the outbox. Node and clients share this process and its two cores.",
        scale.clients,
        scale.warmup.as_secs_f64(),
        scale.measure.as_secs_f64()
    ));
    let mut table = String::from(
        "| run | cases/s | p50 | p90 | p99 | max | errors | CPU per request | requests per unit | flushes | writers per flush | mean flush |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (mode, m) in [(Mode::Durable, &durable), (Mode::NoFlush, &no_flush), (Mode::Hello, &hello)] {
        let s = &m.samples;
        let f = m.flushes;
        let per_flush = if f.flushes == 0 { 0.0 } else { f.writers as f64 / f.flushes as f64 };
        let per_unit = if f.commits == 0 { 0.0 } else { s.latencies.len() as f64 / f.commits as f64 };
        let mean_flush =
            if f.flushes == 0 { Duration::ZERO } else { f.busy / u32::try_from(f.flushes).unwrap_or(u32::MAX) };
        table.push_str(&format!(
            "| {} | {:.0} | {} | {} | {} | {} | {} | {:.0} µs | {:.1} | {} | {:.1} | {} |\n",
            mode.name(),
            s.throughput(),
            ms(s.p50()),
            ms(s.percentile(90.0)),
            ms(s.p99()),
            ms(s.max()),
            s.errors,
            m.cpu_per_request.as_secs_f64() * 1e6,
            per_unit,
            f.flushes,
            per_flush,
            ms(mean_flush),
        ));
        if let Some(error) = &s.first_error {
            table.push_str(&format!("\nFirst error ({}): `{}`\n", mode.name(), error.replace('`', "'")));
        }
    }
    section.details.push(table);
    section.details.push(format!(
        "CPU per request is this process's user + system time over the measured window divided by the answers, \
         clients included. Durable reaches {} of the no-flush rate; hello shows the ceiling of TLS + HTTP + the load \
         generator on this machine.",
        percent(ratio)
    ));
    section.details.push(format!(
        "What the machine could give at most: a case costs at least the signature, its share of a store unit and \
         what hello costs (TLS, HTTP and the load generator, both ends), so {} cores busy with nothing else take \
         at most {} ({}; sign and insert timed in a `tiemeng bench-node --reference` process pinned to one core, \
         {} requests, the insert with 32 requests to a unit as the busiest node shares them). The real path also \
         decodes and checks the form, routes, rate-limits, encodes the case in the answer and flushes, so it \
         stays below that. {}",
        floor.cores,
        rate(floor.ceiling(), "cases"),
        floor.parts(),
        super::compute::reference_samples(scale),
        if floor.ceiling() < 10_000.0 {
            "That is below the 10,000 cases/s asked: with sled storing what a case needs (its envelope, the \
             case, the indexes behind listings and statistics, its outbox and audit entries), this machine \
             cannot reach it however lean the rest of the path."
        } else {
            "That leaves room for the 10,000 cases/s asked, so the rest of the path is where it is lost."
        },
    ));
    section.analysis.push(ANALYSIS.to_owned());
    Ok(section)
}

/// The least CPU a case can cost, from operations timed in the same run.
struct Floor {
    sign: Duration,
    insert: Duration,
    hello: Duration,
    cores: usize,
}

impl Floor {
    fn of(reference: &Reference, hello: Duration) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self { sign: reference.sign, insert: reference.insert_grouped, hello, cores }
    }

    /// Cases a second with every core doing nothing but the floor's work.
    fn ceiling(&self) -> f64 {
        self.cores as f64 / (self.sign + self.insert + self.hello).as_secs_f64().max(1e-12)
    }

    fn parts(&self) -> String {
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        format!(
            "{} cores / ({:.1} µs sign + {:.1} µs insert + {:.1} µs hello)",
            self.cores,
            us(self.sign),
            us(self.insert),
            us(self.hello)
        )
    }
}

/// Times signing and the store insert in a process of its own pinned to one core, as the
/// compute scenario does, so its CPU is the time it takes.
async fn time_reference(work: &WorkDir, scale: &Scale) -> BenchResult<Reference> {
    let dir = work.fresh("intake-reference").map_err(ctx("work folder"))?;
    let net = BenchNet::prepare(dir.clone(), 2, &bench_settings(64)).await?;
    let config = net.config_path(net.id(0))?;
    let samples = super::compute::reference_samples(scale);
    let reference =
        tokio::task::spawn_blocking(move || NodeProcess::reference(&config, &dir.join("reference-store"), samples, 0))
            .await
            .map_err(ctx("reference"))?;
    net.shutdown().await;
    reference
}

/// What profiling found, shown when a target is missed.
const ANALYSIS: &str = "Flushing is not what limits intake: group commit shares each flush among the writers \
waiting (see the flush columns), so durable intake runs close to the no-flush rate, and the requests that \
wait together share a store unit (see requests per unit), which costs about 60 % of a unit each. A profile of the node \
(perf, in docs/PERFORMANCE.md) puts about a third of its CPU in sled's log writer threads (pwrite and a \
sync_file_range of every 512 KiB segment it fills, even with our flushes off; a new case's transaction holds \
about 5 KB in 17 writes), about a fifth in the store transaction itself (sled's transactional insert reads every key before it \
writes it), and the rest in TLS, HTTP, JSON and hand-offs between threads.";

/// One run of `mode` on a fresh node, with `streams` desk consoles following its events
/// (`GET /api/v1/events`) throughout.
pub async fn measure(work: &WorkDir, scale: &Scale, mode: Mode, streams: usize) -> BenchResult<Measured> {
    let dir = work.fresh(&format!("intake-{}-{streams}-streams", mode.name())).map_err(ctx("work folder"))?;
    let mut net = BenchNet::prepare(dir, 2, &bench_settings(64)).await?;
    let (a, b) = (net.id(0).to_owned(), net.id(1).to_owned());
    // The streams of one officer's certificate would fill its connection cap (64).
    net.edit_config(&a, |text| text.replacen("[server]\n", "[server]\nmax_connections_per_identity = 1024\n", 1))?;
    net.close_port(&b);
    let node = match mode {
        Mode::Hello => {
            net.start_app(&a, hello()).await?;
            None
        }
        Mode::Durable | Mode::NoFlush => Some(
            net.start_with(&a, Clock::system(), |node| {
                if mode == Mode::NoFlush {
                    node.store().set_flush_for_bench(false);
                }
            })
            .await?,
        ),
    };
    let target: crate::ids::StationId = b.parse().map_err(ctx("station id"))?;
    let url = format!("{}/api/v1/cases", net.url(&a));
    let mut ops = Vec::new();
    for i in 0..scale.clients {
        let client = net.client(&a, crate::pki::ROLE_LIAISON)?.http().clone();
        let mut bodies =
            super::workload::Bodies::new(i as u64, std::slice::from_ref(&target), time::OffsetDateTime::now_utc());
        let url = url.clone();
        ops.push(move || {
            let request =
                client.post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(bodies.next_body());
            load::expect(request, 201)
        });
    }
    let consoles = super::events::open_streams(&net, &a, streams).await?;
    let probe = node.clone();
    let warmup = scale.warmup;
    let sampler = tokio::spawn(async move {
        tokio::time::sleep(warmup).await;
        (super::sys::cpu_time("self"), probe.map(|n| n.store().flush_stats()).unwrap_or_default())
    });
    let samples = load::closed_loop(ops, scale.warmup, scale.measure).await;
    let cpu_after = super::sys::cpu_time("self");
    let (cpu_before, before) = sampler.await.unwrap_or_default();
    let answered = u32::try_from(samples.latencies.len().max(1)).unwrap_or(u32::MAX);
    let cpu_per_request = match (cpu_before, cpu_after) {
        (Some(before), Some(after)) => after.saturating_sub(before) / answered,
        _ => Duration::ZERO,
    };
    let after = node.as_ref().map(|n| n.store().flush_stats()).unwrap_or_default();
    let flushes = FlushStats {
        flushes: after.flushes - before.flushes,
        writers: after.writers - before.writers,
        busy: after.busy.saturating_sub(before.busy),
        commits: after.commits - before.commits,
    };
    let streamed = consoles.close();
    eprintln!("   {:<9} {streams:>3} streams  {}", mode.name(), samples.summary());
    drop(node);
    net.shutdown().await;
    Ok(Measured { samples, flushes, cpu_per_request, streamed })
}

/// The plain axum hello: reads the request body and answers 201.
fn hello() -> Router {
    Router::new().route(
        "/api/v1/cases",
        post(|body: Bytes| async move { (StatusCode::CREATED, if body.is_empty() { "" } else { "hello" }) }),
    )
}
