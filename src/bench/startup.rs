//! Scenario 6: start-up with the large store. The production `tiemeng serve` is started as a
//! process on the large store, and timed until it answers an officer's mTLS request; beside
//! it, the same start on an empty store, in the same run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::child::NodeProcess;
use super::dataset::{Cache, Dataset};
use super::report::{ms, thousands};
use super::{BenchResult, Row, Scale, Scenario, Section, ctx};

/// Starts timed per store.
const STARTS: usize = 3;

/// Runs the scenario.
pub async fn run(cache: &mut Cache, scale: &Scale) -> BenchResult<Section> {
    let data = cache.get(scale).await?;
    let (large_config, large_port) = data.config_on_free_port("startup-large")?;
    let (empty_config, empty_port) = empty_store_config(&data, "startup-empty")?;
    let mut large = Vec::new();
    let mut empty = Vec::new();
    for _ in 0..STARTS {
        empty.push(time_start(&data, &empty_config, empty_port).await?);
        large.push(time_start(&data, &large_config, large_port).await?);
    }
    large.sort();
    empty.sort();
    let (large_median, empty_median) = (large[STARTS / 2], empty[STARTS / 2]);
    let worst = large[STARTS - 1];
    let mut section = Section::new(Scenario::Startup, format!("Start-up with {} cases", thousands(data.stored as u64)));
    section.rows.push(
        Row::absolute(
            "start until serving mTLS, worst of 3",
            ms(worst),
            "≤ 500 ms",
            worst <= Duration::from_millis(500),
        )
        .with_baseline(format!("{} (empty store)", ms(empty[STARTS - 1]))),
    );
    section.details.push(format!(
        "`tiemeng serve --config …` started as a process {STARTS} times on the large store and {STARTS} times on an empty \
         store, alternately, each timed from spawning the process until an officer's `GET /healthz` over mTLS is \
         answered 200 (polled every 2 ms). Large store: {} (median {}); empty store: {} (median {}). The files were in \
         the page cache, as after a restart of the service (this run does not drop the machine's caches).",
        large.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", "),
        ms(large_median),
        empty.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", "),
        ms(empty_median),
    ));
    section.analysis.push(ANALYSIS.to_owned());
    Ok(section)
}

/// What profiling found, shown when the target is missed.
const ANALYSIS: &str = "Opening the store is the only work that grows with the number of cases, and all of it \
is sled's recovery: a profile of a start (docs/PERFORMANCE.md) has 94 % of the time in `PageCache::start`, \
reading the snapshot of its page table (an entry per page; vendor/sled/PATCHES.md lets a leaf hold 128 \
small entries or 64 KiB where published sled splits it past 16), building each page's fragment list, and \
reading the header of every 512 KiB segment of the log. The first start after the bulk load also replays \
the log written since the last snapshot, hence its longer time.";

/// A copy of the large store's config pointing at a new, empty data folder on a free port.
pub fn empty_store_config(data: &Dataset, name: &str) -> BenchResult<(PathBuf, u16)> {
    let (config, port) = data.config_on_free_port(name)?;
    let text = std::fs::read_to_string(&config).map_err(ctx("config"))?;
    let dir = data.dir.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(ctx("empty store"))?;
    }
    let text: String = text
        .lines()
        .map(|line| {
            if line.starts_with("data_dir = ") {
                format!("data_dir = {:?}", dir.display().to_string())
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&config, text).map_err(ctx("write config"))?;
    Ok((config, port))
}

/// Starts `tiemeng serve` with `config` and returns how long until it answered; stops it.
async fn time_start(data: &Dataset, config: &Path, port: u16) -> BenchResult<Duration> {
    let (process, elapsed) = start_and_wait(data, config, port).await?;
    process.stop();
    Ok(elapsed)
}

/// Starts `tiemeng serve` and waits until it answers an officer over mTLS.
pub async fn start_and_wait(data: &Dataset, config: &Path, port: u16) -> BenchResult<(NodeProcess, Duration)> {
    let url = format!("https://localhost:{port}");
    let client = data.client(&url, crate::pki::ROLE_DUTY)?;
    let health = format!("{url}/healthz");
    let started = Instant::now();
    let process = NodeProcess::serve(config)?;
    loop {
        if let Ok(response) = client.http().get(&health).send().await
            && response.status().is_success()
        {
            return Ok((process, started.elapsed()));
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err("the node did not answer within two minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
