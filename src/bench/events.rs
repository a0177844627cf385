//! Scenario 10: the desk's live events. How soon an event reaches a console left open at the
//! desk, and what open consoles cost intake: the durable intake of scenario 1 with no event
//! stream open, and again with 200 open, side by side in one run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::intake::{self, Mode};
use super::load::Samples;
use super::net::{BenchNet, WorkDir, bench_settings};
use super::report::{ms, rate};
use super::{BenchResult, Row, Scale, Scenario, Section, ctx};
use crate::client::EventReader;
use crate::events::What;

/// Consoles open in the intake comparison.
const STREAMS: usize = 200;
/// Pause between requests of the latency part, so each one meets idle nodes.
const PAUSE: Duration = Duration::from_millis(5);
/// Pairs of intake measurements (none open, 200 open). One measurement of intake varies by
/// ±15% on a shared two-core machine, as much as the cost looked for; the median of several
/// pairs, taken in alternating order so a drift of the machine falls on both sides, does not.
const ROUNDS: usize = 3;

/// Event streams held open at a node, each read by a task of its own, as consoles would.
pub struct Consoles {
    readers: Vec<tokio::task::JoinHandle<()>>,
    bytes: Arc<AtomicU64>,
}

impl Consoles {
    /// Closes the streams; returns the bytes they read.
    pub fn close(self) -> u64 {
        for reader in &self.readers {
            reader.abort();
        }
        self.bytes.load(Ordering::Relaxed)
    }
}

/// Opens `n` event streams at station `id` as its duty officer, each on its own connection.
pub async fn open_streams(net: &BenchNet, id: &str, n: usize) -> BenchResult<Consoles> {
    let bytes = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::with_capacity(n);
    for _ in 0..n {
        let client = net.client(id, crate::pki::ROLE_DUTY)?;
        let mut response = client.events(None).await.map_err(ctx("open an event stream"))?;
        let bytes = bytes.clone();
        readers.push(tokio::spawn(async move {
            while let Ok(Some(chunk)) = response.chunk().await {
                bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        }));
    }
    Ok(Consoles { readers, bytes })
}

/// Runs the scenario.
pub async fn run(work: &WorkDir, scale: &Scale) -> BenchResult<Section> {
    let latency = measure_latency(work, scale).await?;
    let rounds = if scale.quick { 1 } else { ROUNDS };
    let mut pairs = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let (alone, watched) = if round % 2 == 0 {
            let alone = intake::measure(work, scale, Mode::Durable, 0).await?;
            (alone, intake::measure(work, scale, Mode::Durable, STREAMS).await?)
        } else {
            let watched = intake::measure(work, scale, Mode::Durable, STREAMS).await?;
            (intake::measure(work, scale, Mode::Durable, 0).await?, watched)
        };
        let ratio = watched.samples.throughput() / alone.samples.throughput().max(1e-9);
        eprintln!("   round {}: {:.1}% of intake with {STREAMS} streams", round + 1, ratio * 100.0);
        pairs.push((ratio, alone, watched));
    }
    pairs.sort_by(|x, y| x.0.total_cmp(&y.0));
    let ratios: Vec<String> = pairs.iter().map(|(r, _, _)| format!("{:.1}%", r * 100.0)).collect();
    let (ratio, alone, watched) = pairs.swap_remove(pairs.len() / 2);
    let mut section = Section::new(Scenario::Events, "The desk's live events");
    section.rows.push(Row::absolute(
        "request stored at B to its event on an open stream at B, p50",
        ms(latency.stored.p50()),
        "≤ 100 ms",
        latency.stored.p50() <= Duration::from_millis(100),
    ));
    section.rows.push(Row::absolute(
        "request stored at B to its event on an open stream at B, p99",
        ms(latency.stored.p99()),
        "≤ 1 s",
        latency.stored.p99() <= Duration::from_secs(1),
    ));
    let (a, w) = (alone.samples.throughput(), watched.samples.throughput());
    section.rows.push(Row::relative(
        format!("durable intake with {STREAMS} open event streams vs none (median of {rounds} pairs)"),
        rate(w, "cases"),
        format!("{} (no stream)", rate(a, "cases")),
        ratio,
        "≥ 90% (costs < 10%)",
        ratio >= 0.9,
    ));
    section.rows.push(
        Row::info(format!("durable intake p99 latency with {STREAMS} open event streams"), ms(watched.samples.p99()))
            .with_baseline(format!("{} (no stream)", ms(alone.samples.p99()))),
    );
    let events = watched.samples.latencies.len() as f64 / watched.samples.window.as_secs_f64().max(1e-9);
    section.details.push(format!(
        "**Latency.** Two nodes in this process over loopback mTLS; B's duty officer holds `GET /api/v1/events` \
         open. A's liaison sends {} requests to B one at a time, {} ms apart, after {} unmeasured; each is timed \
         from the moment B stored it (the event's own time, taken in the store transaction at B, before B's flush) \
         until the stream's reader at B has parsed the event: B's flush, publishing after it, reading the event \
         from the store, and the stream's TLS and HTTP. A stream writes at most every 50 ms, all that is ready in \
         one piece, so at this pace (a request about every 8 ms) an event mostly waits for the stream's next \
         write. From A's POST to the event at B: p50 {}, p99 {}.\n\n\
         **Intake cost.** Scenario 1's durable intake ({} clients, {:.0} s measured), once with no stream open and \
         once with {STREAMS} duty officers' streams open at the same node, each on its own connection and read by a \
         task of its own; {rounds} such pairs, in alternating order, and the pair with the median ratio is shown \
         (all ratios: {}). Every new request is an event each stream receives: about {:.0} events a second went to \
         each stream, {:.1} MB to all of them together.",
        scale.latency_samples,
        PAUSE.as_millis(),
        scale.latency_samples / 10,
        ms(latency.posted.p50()),
        ms(latency.posted.p99()),
        scale.clients,
        scale.measure.as_secs_f64(),
        ratios.join(", "),
        events,
        watched.streamed as f64 / 1e6,
    ));
    section.analysis.push(ANALYSIS.to_owned());
    Ok(section)
}

/// What profiling found, shown when a target is missed.
const ANALYSIS: &str = "Each event is read from the store and rendered once for all streams; a stream \
writes what is ready in one piece, at most every 50 ms (every 250 ms while busy). What is left grows with \
streams × intake rate: every event's bytes are encrypted once per stream by the node and decrypted by the \
stream's reader, both in this process, on the same two cores as the intake.";

struct Latency {
    /// Stored at B → event parsed from the stream at B.
    stored: Samples,
    /// A's POST → event parsed from the stream at B.
    posted: Samples,
}

async fn measure_latency(work: &WorkDir, scale: &Scale) -> BenchResult<Latency> {
    let dir = work.fresh("events-latency").map_err(ctx("work folder"))?;
    let mut net = BenchNet::prepare(dir, 2, &bench_settings(64)).await?;
    let (a, b) = (net.id(0).to_owned(), net.id(1).to_owned());
    let node_a = net.start(&a).await?;
    let node_b = net.start(&b).await?;
    let client = net.client(&a, crate::pki::ROLE_LIAISON)?;
    let duty = net.client(&b, crate::pki::ROLE_DUTY)?;
    let mut stream = EventReader::new(duty.events(None).await.map_err(ctx("open the event stream"))?);
    let target: crate::ids::StationId = b.parse().map_err(ctx("station id"))?;
    let mut bodies = super::workload::Bodies::new(10, std::slice::from_ref(&target), time::OffsetDateTime::now_utc());
    let url = format!("{}/api/v1/cases", net.url(&a));
    let warmup = scale.latency_samples / 10;
    let (mut stored, mut posted) = (Vec::new(), Vec::new());
    for i in 0..warmup + scale.latency_samples {
        tokio::time::sleep(PAUSE).await;
        let started = Instant::now();
        let request =
            client.http().post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(bodies.next_body());
        super::load::expect(request, 201).await?;
        let heard = loop {
            let next = tokio::time::timeout(Duration::from_secs(10), stream.next())
                .await
                .map_err(|_| format!("request {i} was not heard at B within 10 s"))?
                .ok_or("B's event stream ended")?;
            if let (_, event @ crate::events::Event { what: What::RequestReceived { .. }, .. }) = next {
                break event;
            }
        };
        let now = time::OffsetDateTime::now_utc();
        if i >= warmup {
            let since_stored = (now - heard.at).max(time::Duration::ZERO);
            stored.push(Duration::try_from(since_stored).unwrap_or_default());
            posted.push(started.elapsed());
        }
    }
    drop((node_a, node_b));
    net.shutdown().await;
    let window = Duration::from_secs(1);
    Ok(Latency { stored: Samples::new(stored, window), posted: Samples::new(posted, window) })
}
