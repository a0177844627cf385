//! Scenario 9: a backup of the large store while officers keep sending requests. The store's
//! write lock is taken only to start and to end the backup's journal, never for the copy, so a
//! write should wait no longer than it does without a backup. Writers are timed in the same run
//! without a backup, then during one; the time the copy takes is what every write would have
//! waited had the lock been held for the whole copy.
//!
//! Each officer pauses [`PAUSE`] between requests: a back-to-back load grows a 1,000,000-case
//! store's log by gigabytes during an hour-long copy and fills the disk before the copy ends,
//! and its waits are mostly queueing behind the other officers. A write every 50 ms on
//! average still meets any hold of the lock longer than the target several times. Beside the
//! officers, a probe writes 4 KiB and syncs it on the store's disk every 50 ms: the disk's own
//! stalls, which no store can wait less than.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::dataset::{Cache, Dataset};
use super::load::{self, Samples};
use super::report::{mib, ms, thousands};
use super::{BenchResult, Row, Scale, Scenario, Section, ctx};
use crate::clock::Clock;
use crate::node::Node;

/// Officers sending requests at once while the backup runs.
const WRITERS: usize = 4;
/// The longest a write may wait during a backup.
const STALL_TARGET: Duration = Duration::from_millis(100);
/// How long each officer waits after an answer before the next request.
const PAUSE: Duration = Duration::from_millis(200);
/// How often the disk probe writes and syncs.
const PROBE_EVERY: Duration = Duration::from_millis(50);

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

/// One writer's loop: sends requests one after another until `stop`, keeping each one's time.
fn writers(
    data: &Dataset,
    url: &str,
    stop: Arc<tokio::sync::Notify>,
) -> BenchResult<Vec<tokio::task::JoinHandle<Vec<Duration>>>> {
    let target: crate::ids::StationId = data.partner.parse().map_err(ctx("partner"))?;
    let mut tasks = Vec::new();
    for i in 0..WRITERS {
        let client = data.client(url, crate::pki::ROLE_LIAISON)?.http().clone();
        let mut bodies = super::workload::Bodies::new(
            900 + i as u64,
            std::slice::from_ref(&target),
            time::OffsetDateTime::now_utc(),
        );
        let url = format!("{url}/api/v1/cases");
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let stopped = stop.notified();
            tokio::pin!(stopped);
            loop {
                let request = client
                    .post(&url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(bodies.next_body());
                let began = Instant::now();
                tokio::select! {
                    answered = load::expect(request, 201) => {
                        if answered.is_ok() {
                            times.push(began.elapsed());
                        }
                    }
                    () = &mut stopped => break,
                }
                tokio::select! {
                    () = tokio::time::sleep(PAUSE) => {}
                    () = &mut stopped => break,
                }
            }
            times
        }));
    }
    Ok(tasks)
}

/// Writes 4 KiB and syncs it every [`PROBE_EVERY`] in a file of `dir` until `stop`, keeping
/// each write-and-sync's time.
fn disk_probe(dir: &std::path::Path, stop: Arc<AtomicBool>) -> BenchResult<std::thread::JoinHandle<Vec<Duration>>> {
    let path = dir.join("bench-disk-probe");
    let mut file = std::fs::File::create(&path).map_err(ctx("disk probe"))?;
    Ok(std::thread::spawn(move || {
        let page = [0x5a_u8; 4096];
        let mut times = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let began = Instant::now();
            if file.write_all(&page).and_then(|()| file.sync_data()).is_ok() {
                times.push(began.elapsed());
            }
            std::thread::sleep(PROBE_EVERY);
        }
        drop(file);
        let _ = std::fs::remove_file(&path);
        times
    }))
}

/// The officers' writes, the disk probe's syncs and the store's longest flush (with sled's
/// part of it) and longest write (writer lock and commit) over one window.
struct Window {
    writes: Samples,
    disk: Samples,
    peaks: crate::store::Peaks,
}

async fn timed_writes(
    data: &Dataset,
    node: &Node,
    url: &str,
    during: impl std::future::Future<Output = BenchResult<()>>,
) -> BenchResult<Window> {
    node.store().take_peaks();
    let stop = Arc::new(tokio::sync::Notify::new());
    let tasks = writers(data, url, stop.clone())?;
    let probe_stop = Arc::new(AtomicBool::new(false));
    let probe = disk_probe(&data.dir, probe_stop.clone())?;
    let started = Instant::now();
    let outcome = during.await;
    let window = started.elapsed();
    stop.notify_waiters();
    probe_stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.map_err(ctx("writer"))?);
    }
    let syncs = tokio::task::spawn_blocking(move || probe.join())
        .await
        .map_err(ctx("disk probe"))?
        .map_err(|_| ctx("disk probe")("the probe thread panicked"))?;
    outcome?;
    let peaks = node.store().take_peaks();
    Ok(Window { writes: Samples::new(all, window), disk: Samples::new(syncs, window), peaks })
}

async fn measure(data: &Dataset, node: &Arc<Node>, url: &str, scale: &Scale) -> BenchResult<Section> {
    // Warm up, then writes during a backup, then writes without one for as long as the backup
    // took: a write's worst wait grows with the length of the window it is the worst of, so
    // the two windows are of one length.
    timed_writes(data, node, url, async {
        tokio::time::sleep(scale.measure / 4).await;
        Ok(())
    })
    .await?;
    let file = data.dir.join("bench.tiemeng-backup");
    let _ = std::fs::remove_file(&file);
    let backing_up = node.clone();
    let path = file.clone();
    let mut copy = Duration::ZERO;
    let mut entries = 0;
    let Window { writes: during, disk: disk_during, peaks: peaks_during } = timed_writes(data, node, url, async {
        let began = Instant::now();
        let info =
            tokio::task::spawn_blocking(move || backing_up.store().backup(&path, time::OffsetDateTime::now_utc()))
                .await
                .map_err(ctx("backup task"))?
                .map_err(ctx("backup"))?;
        copy = began.elapsed();
        entries = info.entries;
        Ok(())
    })
    .await?;
    let Window { writes: without, disk: disk_without, peaks: peaks_without } = timed_writes(data, node, url, async {
        tokio::time::sleep(copy.max(scale.measure / 4)).await;
        Ok(())
    })
    .await?;
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let checked = tokio::task::spawn_blocking({
        let file = file.clone();
        move || crate::store::backup::check(&file)
    })
    .await
    .map_err(ctx("check task"))?;
    let _ = std::fs::remove_file(&file);
    checked.map_err(ctx("the backup does not check"))?;
    let mut section = Section::new(
        Scenario::Backup,
        format!("A backup of {} cases while officers send requests", thousands(data.stored as u64)),
    );
    section.rows.push(
        Row::absolute(
            "longest a write waited during the backup",
            ms(during.max()),
            format!("≤ {}", ms(STALL_TARGET)),
            during.max() <= STALL_TARGET,
        )
        .with_baseline(format!("{} (no backup)", ms(without.max()))),
    );
    section.rows.push(
        Row::info("write p99 during the backup", ms(during.p99()))
            .with_baseline(format!("{} (no backup)", ms(without.p99()))),
    );
    section.rows.push(
        Row::info(format!("writes waiting over {}", ms(STALL_TARGET)), slow(&during).to_string())
            .with_baseline(format!("{} (no backup)", slow(&without))),
    );
    section.rows.push(
        Row::info("longest a bare 4 KiB write and sync took on the same disk during the backup", ms(disk_during.max()))
            .with_baseline(format!("{} (no backup)", ms(disk_without.max()))),
    );
    let flush_words =
        |peaks: crate::store::Peaks| format!("{} (sled's flush {})", ms(peaks.flush), ms(peaks.sled_flush));
    section.rows.push(
        Row::info("longest flush of the store during the backup", flush_words(peaks_during))
            .with_baseline(format!("{} (no backup)", flush_words(peaks_without))),
    );
    section.rows.push(
        Row::info("longest store write (writer lock and commit) during the backup", ms(peaks_during.write))
            .with_baseline(format!("{} (no backup)", ms(peaks_without.write))),
    );
    section.rows.push(Row::info("time to copy the store", format!("{:.1} s", copy.as_secs_f64())));
    section.details.push(format!(
        "{WRITERS} liaison officers send requests over mTLS, each pausing {} after every answer, to a node serving the large store: \
         first while `Store::backup` copies the store ({}), then for as long again without a backup ({}). The backup \
         took {:.1} s for {} entries ({} on disk) and passed its checksum. Had the write lock been held for the whole copy, as \
         before this release, every write in that window would have waited up to {:.1} s. A probe wrote 4 KiB and synced it \
         every {} on the same disk: during the backup {}; without {}.",
        ms(PAUSE),
        during.summary(),
        without.summary(),
        copy.as_secs_f64(),
        thousands(entries),
        mib(size),
        copy.as_secs_f64(),
        ms(PROBE_EVERY),
        disk_during.summary(),
        disk_without.summary(),
    ));
    Ok(section)
}

/// Writes that waited longer than the target.
fn slow(samples: &Samples) -> usize {
    samples.latencies.iter().filter(|&&took| took > STALL_TARGET).count()
}
