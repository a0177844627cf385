//! Scenario 7: memory. The production `tiemeng serve` runs as a process of its own and its
//! resident memory is read from `/proc`: idle on an empty store, then on the large store
//! under a steady mixed load (new requests, listings, statistics, case pages) for the soak,
//! sampled every second. Disk bytes per case come from the large store's folder.

use std::time::{Duration, Instant};

use super::dataset::{self, Cache};
use super::load::{self, Samples};
use super::net::WorkDir;
use super::report::{mib, percent, thousands};
use super::startup::{empty_store_config, start_and_wait};
use super::{BenchResult, Row, Scale, Scenario, Section, ctx};

/// Clients of the soak.
const CLIENTS: usize = 8;
/// Each client's pause between operations: about 250 operations a second in all.
const PAUSE: Duration = Duration::from_millis(30);

/// Runs the scenario.
pub async fn run(_work: &WorkDir, cache: &mut Cache, scale: &Scale) -> BenchResult<Section> {
    let data = cache.get(scale).await?;
    // Idle: a node on an empty store, left alone after start.
    let (empty_config, empty_port) = empty_store_config(&data, "memory-empty")?;
    let (idle_node, _) = start_and_wait(&data, &empty_config, empty_port).await?;
    tokio::time::sleep(if scale.quick { Duration::from_secs(1) } else { Duration::from_secs(10) }).await;
    let idle = super::sys::rss(&idle_node.pid()).ok_or("cannot read the idle node's memory")?;
    idle_node.stop();
    // Loaded: the large store under the mixed load.
    let (config, port) = data.config_on_free_port("memory-large")?;
    let (node, _) = start_and_wait(&data, &config, port).await?;
    let pid = node.pid();
    let at_start = super::sys::rss(&pid).unwrap_or(0);
    let url = format!("https://localhost:{port}");
    let partner: crate::ids::StationId = data.partner.parse().map_err(ctx("station"))?;
    let mut ops = Vec::new();
    for i in 0..CLIENTS {
        let liaison = data.client(&url, crate::pki::ROLE_LIAISON)?.http().clone();
        let duty = data.client(&url, crate::pki::ROLE_DUTY)?.http().clone();
        let chief = data.client(&url, crate::pki::ROLE_CHIEF)?.http().clone();
        let mut bodies = super::workload::Bodies::new(
            100 + i as u64,
            std::slice::from_ref(&partner),
            time::OffsetDateTime::now_utc(),
        );
        let url = url.clone();
        let partner = partner.clone();
        let mut turn = 0usize;
        ops.push(move || {
            turn += 1;
            let (liaison, duty, chief, url, partner) =
                (liaison.clone(), duty.clone(), chief.clone(), url.clone(), partner.clone());
            let body = bodies.next_body();
            let which = turn % 4;
            async move {
                tokio::time::sleep(PAUSE).await;
                match which {
                    0 => {
                        let response = liaison
                            .post(format!("{url}/api/v1/cases"))
                            .header(reqwest::header::CONTENT_TYPE, "application/json")
                            .body(body)
                            .send()
                            .await
                            .map_err(|e| e.to_string())?;
                        let case: crate::case::CaseRecord = response.json().await.map_err(|e| e.to_string())?;
                        load::expect(duty.get(format!("{url}/api/v1/cases/{}", case.id)), 200).await
                    }
                    1 => load::expect(duty.get(format!("{url}/api/v1/inbox?status=acknowledged")), 200).await,
                    2 => load::expect(duty.get(format!("{url}/api/v1/inbox?peer={partner}&kind=fugitive")), 200).await,
                    _ => load::expect(chief.get(format!("{url}/api/v1/stats")), 200).await,
                }
            }
        });
    }
    let sampler_pid = pid.clone();
    let soak = scale.soak;
    let sampler = tokio::spawn(async move {
        let started = Instant::now();
        let mut samples = Vec::new();
        while started.elapsed() < soak {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if let Some(rss) = super::sys::rss(&sampler_pid) {
                samples.push((started.elapsed(), rss));
            }
        }
        samples
    });
    let load_samples = load::closed_loop(ops, Duration::ZERO, scale.soak).await;
    let rss = sampler.await.map_err(ctx("sampler"))?;
    node.stop();
    let bytes = dataset::disk_bytes(&data.data_dir()?);
    let entries = data.trees.iter().map(|(_, count)| *count).sum();
    Ok(section(scale, idle, at_start, &rss, &load_samples, (bytes, entries), data.stored))
}

fn section(
    scale: &Scale,
    idle: u64,
    at_start: u64,
    rss: &[(Duration, u64)],
    load: &Samples,
    (bytes, entries): (u64, usize),
    stored: usize,
) -> Section {
    let mut section = Section::new(Scenario::Memory, "Memory and disk");
    let max = rss.iter().map(|(_, r)| *r).max().unwrap_or(0);
    // Flatness is judged after the first tenth of the soak, once caches have filled.
    let settled: Vec<u64> = rss.iter().filter(|(t, _)| *t >= scale.soak / 10).map(|(_, r)| *r).collect();
    let (low, high) = (settled.iter().copied().min().unwrap_or(0), settled.iter().copied().max().unwrap_or(0));
    let spread = if low == 0 { 0.0 } else { (high - low) as f64 / low as f64 };
    section.rows.push(Row::absolute("RSS idle (empty store)", mib(idle), "≤ 40 MB", idle <= 40 * 1_000_000));
    section.rows.push(Row::absolute(
        format!("RSS with {} cases under load, max", thousands(stored as u64)),
        mib(max),
        "≤ 250 MB",
        max <= 250 * 1_000_000,
    ));
    section.rows.push(
        Row::absolute(
            format!("RSS spread over a {} s soak", scale.soak.as_secs()),
            percent(spread),
            "≤ 10%",
            spread <= 0.10,
        )
        .with_baseline(format!("{} – {}", mib(low), mib(high))),
    );
    section.rows.push(Row::info("disk bytes per case", format!("{} B", thousands(bytes / stored.max(1) as u64))));
    let curve: Vec<String> = rss
        .iter()
        .filter(|(t, _)| t.as_secs() % (scale.soak.as_secs() / 20).max(1) == 0)
        .map(|(t, r)| format!("{} s: {}", t.as_secs(), mib(*r)))
        .collect();
    section.details.push(format!(
        "`tiemeng serve` as a process (`storage.cache_mb = 64`, the default), resident memory (`VmRSS`) from `/proc`. \
         Idle: an empty store, {} after start. Under load: the large store, {CLIENTS} officers each repeating new \
         request + case page, inbox by status, inbox by partner and kind, statistics, with {} ms between \
         operations ({}; {} errors); RSS {} right after start. Samples: {}. Disk: {} for {} cases.",
        if scale.quick { "1 s" } else { "10 s" },
        PAUSE.as_millis(),
        load.summary(),
        load.errors,
        mib(at_start),
        curve.join(", "),
        mib(bytes),
        thousands(stored as u64),
    ));
    if let Some(error) = &load.first_error {
        section.details.push(format!("First error: `{}`", error.replace('`', "'")));
    }
    section.analysis.push(analysis(entries, stored));
    section
}

/// What profiling found, shown when a target is missed, with the large store's entries.
fn analysis(entries: usize, stored: usize) -> String {
    format!(
        "Resident memory is sled's page cache (capped by `cache_mb`) and its in-memory page table, which \
         grows with the number of pages in the store. This store holds {} entries, {:.1} per case. Published \
         sled splits a leaf past 16 entries, about one page for every 11 entries, and a heap profile of a \
         start on a million-case store of that build found 600 MB in the page table alone (2.9 million \
         pages, each with its fragment list allocated for four; docs/PERFORMANCE.md). The sled tiemeng \
         builds with (vendor/sled/PATCHES.md) lets a leaf hold 128 small entries or 64 KiB and sizes \
         each fragment list exactly.",
        thousands(entries as u64),
        entries as f64 / stored.max(1) as f64,
    )
}
