//! `tiemeng bench`: the performance scenarios of the benchmark issue, each measured beside a
//! baseline taken in the same run (absolute times drift on shared machines), printed as a
//! table and written with the machine's facts and the exact command to `docs/BENCHMARKS.md`.
//!
//! Nodes run in this process on a fresh dev PKI in a temporary folder, exactly as the
//! integration tests start them, except where a scenario needs a process of its own: pinned to
//! one core (compute efficiency), started cold (start-up) or measured alone (memory). Those
//! re-run this binary (`tiemeng serve`, or the hidden `tiemeng bench-node`).
//!
//! # Layout
//! - [`net`]: a network of stations in a work folder; [`load`]: closed-loop load and
//!   latency samples; [`workload`]: varied valid requests; [`dataset`]: the million-case history.
//! - One module per scenario: [`intake`], [`compute`], [`latency`], [`drain`], [`stats`],
//!   [`startup`], [`memory`], [`fanout`], [`backup`], [`events`], [`search`], [`attachments`].
//! - [`report`]: the result model, the terminal table and the markdown writer.

pub mod attachments;
pub mod backup;
pub mod child;
pub mod compute;
pub mod dataset;
pub mod drain;
pub mod events;
pub mod fanout;
pub mod intake;
pub mod latency;
pub mod load;
pub mod memory;
pub mod net;
pub mod report;
pub mod search;
pub mod startup;
pub mod stats;
pub mod sys;
pub mod workload;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};

pub use report::{Moment, Report, Row, Section};

/// `tiemeng bench …`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Scenarios to run (repeatable); all of them when none is given.
    #[arg(long = "scenario", value_enum)]
    pub scenarios: Vec<Scenario>,
    /// Every scenario at a small scale, to check the harness in seconds, not to measure.
    #[arg(long)]
    pub quick: bool,
    /// Cases in the large store of the statistics, start-up and memory scenarios
    /// (default 1,000,000; 5,000 with --quick).
    #[arg(long)]
    pub cases: Option<usize>,
    /// Length of the memory soak in seconds (default 600; 5 with --quick).
    #[arg(long)]
    pub soak_secs: Option<u64>,
    /// Length of each intake measurement in seconds (default 20; 2 with --quick).
    #[arg(long)]
    pub secs: Option<f64>,
    /// Envelopes queued in the backlog drain (default 100,000; 2,000 with --quick).
    #[arg(long)]
    pub backlog: Option<usize>,
    /// Where to write the results as markdown.
    #[arg(long, default_value = "docs/BENCHMARKS.md")]
    pub out: PathBuf,
    /// Work folder for certificates and data (default: a new folder under the system's temp
    /// folder, removed afterwards).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Keep the work folder, e.g. to reuse the large store with --reuse-dataset.
    #[arg(long)]
    pub keep: bool,
    /// Reuse the large store a previous run left in --work-dir (built again when absent).
    #[arg(long)]
    pub reuse_dataset: bool,
}

/// The scenarios of the issue, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Scenario {
    /// 1. Durable signed intake over mTLS keep-alive, 32 clients.
    Intake,
    /// 2. No-flush intake pinned to one core against verify + sign + store insert.
    Compute,
    /// 3. Federation latency A→B at light load.
    Latency,
    /// 4. Backlog drain after a peer's outage.
    Drain,
    /// 5. Statistics and listings with a million cases stored.
    Stats,
    /// 6. Start-up with a million cases.
    Startup,
    /// 7. Memory idle, under load with a million cases, and over a soak.
    Memory,
    /// 8. Federation at scale: 30 nodes, broadcast alerts.
    Fanout,
    /// 9. A backup of the large store while officers write.
    Backup,
    /// 10. The desk's live events: latency to an open stream, and the intake cost of 200.
    Events,
    /// 11. Search with a million cases stored, beside a full scan.
    Search,
    /// 12. An attachment of 20 MB moved A→B: against a plain upload, memory, and a cut.
    Attachments,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 12] = [
        Self::Intake,
        Self::Compute,
        Self::Latency,
        Self::Drain,
        Self::Stats,
        Self::Startup,
        Self::Memory,
        Self::Fanout,
        Self::Backup,
        Self::Events,
        Self::Search,
        Self::Attachments,
    ];
}

/// How big each scenario runs.
#[derive(Debug, Clone)]
pub struct Scale {
    /// `--quick`.
    pub quick: bool,
    /// Concurrent clients of the intake scenarios.
    pub clients: usize,
    /// Warm-up before each intake measurement.
    pub warmup: Duration,
    /// Length of each intake measurement.
    pub measure: Duration,
    /// Requests timed one at a time in the latency scenario.
    pub latency_samples: usize,
    /// Envelopes queued for the drain.
    pub backlog: usize,
    /// Cases in the large store.
    pub cases: usize,
    /// Days of history the large store spans.
    pub days: u32,
    /// Queries timed per query shape.
    pub query_samples: usize,
    /// Memory soak length.
    pub soak: Duration,
    /// Peer counts of the federation-at-scale table.
    pub fanout_peers: Vec<usize>,
    /// Broadcasts timed per peer count.
    pub broadcasts: usize,
}

impl Scale {
    /// The scale `args` ask for.
    pub fn of(args: &BenchArgs) -> Self {
        let quick = args.quick;
        let cases = args.cases.unwrap_or(if quick { 5_000 } else { 1_000_000 });
        Self {
            quick,
            clients: 32,
            warmup: Duration::from_secs_f64(if quick { 0.5 } else { 3.0 }),
            measure: Duration::from_secs_f64(args.secs.unwrap_or(if quick { 2.0 } else { 20.0 })),
            latency_samples: if quick { 50 } else { 1_000 },
            backlog: args.backlog.unwrap_or(if quick { 2_000 } else { 100_000 }),
            cases,
            // Ten years for the full million (≈ 274 cases a day); proportionally fewer days
            // for smaller stores, so every store has a station's daily rhythm.
            days: u32::try_from((cases / 274).clamp(30, 3_650)).unwrap_or(3_650),
            query_samples: if quick { 30 } else { 500 },
            soak: Duration::from_secs(args.soak_secs.unwrap_or(if quick { 5 } else { 600 })),
            fanout_peers: if quick { vec![5, 29] } else { vec![5, 10, 20, 29] },
            broadcasts: if quick { 3 } else { 20 },
        }
    }
}

/// How long memory freed before the run (an earlier run's folders, the memory probe) is left to
/// the host before the first measurement.
const SETTLE: Duration = Duration::from_secs(15);
/// MiB the memory probe writes, twice.
const PROBE_MIB: usize = 512;

/// Runs the benchmark as the command line asks; writes the report even when a scenario fails.
pub fn run(args: BenchArgs) -> ExitCode {
    // Delivery to a station that is down on purpose is expected here, not worth a warning.
    crate::cli::init_tracing("warn,tiemeng::federation::worker=error");
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return crate::cli::fail(&format!("cannot start the async runtime: {e}")),
    };
    let report = runtime.block_on(run_async(&args));
    runtime.shutdown_timeout(Duration::from_secs(5));
    print!("{}", report.table());
    let markdown = report.markdown();
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(parent);
    }
    match std::fs::write(&args.out, markdown) {
        Ok(()) => {
            eprintln!("results written to {}", args.out.display());
            if report.failed() { ExitCode::FAILURE } else { ExitCode::SUCCESS }
        }
        Err(e) => crate::cli::fail(&format!("cannot write {}: {e}", args.out.display())),
    }
}

async fn run_async(args: &BenchArgs) -> Report {
    let scale = Scale::of(args);
    let mut report = Report::new(&scale);
    let work = match net::WorkDir::new(args.work_dir.clone(), args.keep) {
        Ok(work) => work,
        Err(e) => {
            report.error(format!("cannot create the work folder: {e}"));
            return report;
        }
    };
    let removed = match net::remove_earlier_runs(work.path()) {
        Ok(removed) => removed,
        Err(e) => {
            report.error(format!("cannot remove an earlier run's folders: {e}"));
            return report;
        }
    };
    // A smoke run measures nothing, so it neither probes first nor waits.
    if !scale.quick {
        probe_memory(&mut report, work.path(), PROBE_MIB, Moment::Start).await;
        // Memory freed a moment ago (by the probe, or with an earlier run's folders) is memory
        // the host still backs. On a machine whose host backs a page only at its first touch,
        // a scenario writing into it runs several times faster than one writing into memory the
        // host took back; the host takes freed memory back within seconds, so the first
        // scenario waits (docs/PERFORMANCE.md).
        let what = if removed { "the probe and an earlier run's folders" } else { "the probe" };
        eprintln!("letting the memory freed by {what} settle for {SETTLE:?}");
        tokio::time::sleep(SETTLE).await;
    }
    let scenarios: Vec<Scenario> =
        if args.scenarios.is_empty() { Scenario::ALL.to_vec() } else { dedup(args.scenarios.clone()) };
    let mut large = dataset::Cache::new(work.path().join("large"), args.reuse_dataset);
    for scenario in scenarios {
        eprintln!("== {scenario:?}");
        let started = std::time::Instant::now();
        let section = match scenario {
            Scenario::Intake => intake::run(&work, &scale).await,
            Scenario::Compute => compute::run(&work, &scale).await,
            Scenario::Latency => latency::run(&work, &scale).await,
            Scenario::Drain => drain::run(&work, &scale).await,
            Scenario::Stats => stats::run(&mut large, &scale).await,
            Scenario::Startup => startup::run(&mut large, &scale).await,
            Scenario::Memory => memory::run(&work, &mut large, &scale).await,
            Scenario::Fanout => fanout::run(&work, &scale).await,
            Scenario::Backup => backup::run(&mut large, &scale).await,
            Scenario::Events => events::run(&work, &scale).await,
            Scenario::Search => search::run(&mut large, &scale).await,
            Scenario::Attachments => attachments::run(&work, &scale).await,
        };
        let section = section.unwrap_or_else(|e| Section::failed(scenario, e));
        eprintln!("   done in {:.1} s", started.elapsed().as_secs_f64());
        report.push(section);
    }
    // Again at the end: the host may treat memory differently by then.
    probe_memory(&mut report, work.path(), if scale.quick { 64 } else { PROBE_MIB }, Moment::End).await;
    report
}

/// Takes the memory probe ([`sys::first_touch`]) off the runtime's threads and records it.
async fn probe_memory(report: &mut Report, dir: &std::path::Path, mib: usize, moment: Moment) {
    let dir = dir.to_path_buf();
    match tokio::task::spawn_blocking(move || sys::first_touch(&dir, mib)).await {
        Ok(Ok(probe)) => report.set_first_touch(moment, probe),
        Ok(Err(e)) => report.error(format!("memory probe: {e}")),
        Err(e) => report.error(format!("memory probe: {e}")),
    }
}

fn dedup(mut scenarios: Vec<Scenario>) -> Vec<Scenario> {
    scenarios.sort();
    scenarios.dedup();
    scenarios
}

/// A scenario's failure to run (not a missed target: that is a result).
pub type BenchResult<T> = Result<T, String>;

/// Turns any displayable error into a scenario failure with context.
pub fn ctx<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> String {
    move |e| format!("{what}: {e}")
}
