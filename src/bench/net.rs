//! A network of stations for one scenario: a fresh dev PKI and configs in a folder of the work
//! folder, nodes served in this process on 127.0.0.1 ports chosen by the kernel, as the
//! integration tests start them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use super::{BenchResult, ctx};
use crate::client::ApiClient;
use crate::clock::Clock;
use crate::config::Config;
use crate::devnet::{self, DevNet, Endpoint};
use crate::node::{Node, Officer};
use crate::pki::{self, OfficerSpec, StationSpec};
use crate::server::{self, Running};

/// The benchmark's work folder: given, or made under the temp folder and removed at the end.
#[derive(Debug)]
pub struct WorkDir {
    path: PathBuf,
    remove: bool,
    next: std::sync::atomic::AtomicUsize,
}

impl WorkDir {
    /// Uses `given`, or makes a fresh folder; `keep` leaves it in place afterwards.
    pub fn new(given: Option<PathBuf>, keep: bool) -> std::io::Result<Self> {
        let (path, made) = match given {
            Some(path) => (path, false),
            None => {
                let stamp = crate::clock::unix_ms(time::OffsetDateTime::now_utc());
                (std::env::temp_dir().join(format!("tiemeng-bench-{}-{stamp}", std::process::id())), true)
            }
        };
        std::fs::create_dir_all(&path)?;
        let path = path.canonicalize()?;
        if keep || !made {
            eprintln!("work folder: {}", path.display());
        }
        Ok(Self { path, remove: made && !keep, next: Default::default() })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new, empty subfolder named after `what`, numbered in the order they are asked for.
    pub fn fresh(&self, what: &str) -> std::io::Result<PathBuf> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = self.path.join(format!("{n:02}-{what}"));
        if dir.exists() {
            if !made_by_bench(&dir) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("{} exists and was not made by tiemeng bench; choose another --work-dir", dir.display()),
                ));
            }
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(MARKER), "made by tiemeng bench, which removes it at its next run in this folder\n")?;
        Ok(dir)
    }
}

/// The file that marks a scenario folder as the benchmark's own: `--work-dir` may name a folder
/// that holds other things, and only what a run made may be removed by the next.
const MARKER: &str = ".tiemeng-bench";

fn made_by_bench(dir: &Path) -> bool {
    dir.join(MARKER).is_file()
}

/// Removes the scenario folders (`00-intake`, …) an earlier run left in `dir`, those that carry
/// the benchmark's mark; the large store stays for `--reuse-dataset`. True when something was
/// removed.
pub fn remove_earlier_runs(dir: &Path) -> std::io::Result<bool> {
    let mut removed = false;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() && made_by_bench(&entry.path()) {
            std::fs::remove_dir_all(entry.path())?;
            removed = true;
        }
    }
    Ok(removed)
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Station `i` of a bench network: alternately on the Zhejiang and the Fujian side.
pub fn station(i: usize) -> StationSpec {
    let (side, province, name) = if i.is_multiple_of(2) { ("zj", "33", "浙江") } else { ("fj", "35", "福建") };
    let id = format!("{side}-bench-{i:02}");
    StationSpec {
        dns: vec![pki::example_dns(&id)],
        name_zh: format!("{name}边界测试{i:02}派出所"),
        division: format!("{province}{:04}", 100 + i),
        id,
    }
}

/// The officers of station `i`: a liaison, a duty officer, a chief and an admin.
pub fn officers(i: usize) -> Vec<OfficerSpec> {
    let spec = station(i);
    [
        ("01", "联络员", pki::ROLE_LIAISON),
        ("02", "值班员", pki::ROLE_DUTY),
        ("03", "所长", pki::ROLE_CHIEF),
        ("90", "管理员", pki::ROLE_ADMIN),
    ]
    .into_iter()
    .map(|(suffix, title, role)| OfficerSpec {
        station: spec.id.clone(),
        badge: format!("{}{suffix}", spec.division),
        name: format!("{title}{i:02}"),
        role,
    })
    .collect()
}

/// Settings appended to every station's config: no rate limits (the load is the point), and
/// retries at most a second apart so a returning peer is noticed at once.
pub fn bench_settings(batch_size: usize) -> String {
    format!(
        "\n[federation]\nmax_backoff_secs = 1\nbatch_size = {batch_size}\n\n[limits]\n\
         officer_requests_per_minute = 1000000000\npeer_requests_per_minute = 1000000000\n"
    )
}

/// A network of `n` stations, every one a peer of every other.
pub struct BenchNet {
    /// Its folder.
    pub dir: PathBuf,
    /// PKI and configs.
    pub devnet: DevNet,
    /// Station ids, in order.
    pub ids: Vec<String>,
    addrs: BTreeMap<String, SocketAddr>,
    listeners: BTreeMap<String, TcpListener>,
    running: BTreeMap<String, Running>,
}

impl BenchNet {
    /// Prepares `n` stations in `dir` with `settings` appended to each config; starts none.
    pub async fn prepare(dir: PathBuf, n: usize, settings: &str) -> BenchResult<Self> {
        let mut endpoints = Vec::new();
        let mut listeners = BTreeMap::new();
        let mut officer_specs = Vec::new();
        for i in 0..n {
            let listener = TcpListener::bind("127.0.0.1:0").await.map_err(ctx("bind"))?;
            let spec = station(i);
            endpoints.push(Endpoint::local(spec.clone(), listener.local_addr().map_err(ctx("address"))?));
            listeners.insert(spec.id.clone(), listener);
            officer_specs.extend(officers(i));
        }
        let devnet = devnet::prepare(&dir, endpoints, &officer_specs).map_err(ctx("dev PKI"))?;
        for (_, path) in &devnet.configs {
            let mut text = std::fs::read_to_string(path).map_err(ctx("read config"))?;
            text.push_str(settings);
            std::fs::write(path, text).map_err(ctx("write config"))?;
        }
        let ids: Vec<String> = devnet.endpoints.iter().map(|e| e.spec.id.clone()).collect();
        let addrs = devnet.endpoints.iter().map(|e| (e.spec.id.clone(), e.listen)).collect();
        Ok(Self { dir, devnet, ids, addrs, listeners, running: BTreeMap::new() })
    }

    /// Id of station `i`.
    pub fn id(&self, i: usize) -> &str {
        &self.ids[i]
    }

    /// The config of `id`.
    pub fn config(&self, id: &str) -> BenchResult<Config> {
        let path = self.devnet.config(id).ok_or_else(|| format!("no station {id}"))?;
        Config::load(path).map_err(ctx("config"))
    }

    /// The config file of `id`.
    pub fn config_path(&self, id: &str) -> BenchResult<PathBuf> {
        self.devnet.config(id).map(Path::to_path_buf).ok_or_else(|| format!("no station {id}"))
    }

    /// Rewrites the config file of `id` (before it starts) with `edit`.
    pub fn edit_config(&self, id: &str, edit: impl FnOnce(&str) -> String) -> BenchResult<()> {
        let path = self.config_path(id)?;
        let text = std::fs::read_to_string(&path).map_err(ctx("read config"))?;
        std::fs::write(&path, edit(&text)).map_err(ctx("write config"))
    }

    /// Frees the port of `id` so that connecting to it is refused at once (a node that is down),
    /// rather than accepted by a listener no one serves.
    pub fn close_port(&mut self, id: &str) {
        self.listeners.remove(id);
    }

    /// Opens and serves `id` with `clock`; `setup` may adjust the node before it serves.
    pub async fn start_with(&mut self, id: &str, clock: Clock, setup: impl FnOnce(&Node)) -> BenchResult<Arc<Node>> {
        let node = Node::open(self.config(id)?, clock).map_err(ctx("open node"))?;
        setup(&node);
        let node = Arc::new(node);
        let listener = self.listener(id).await?;
        let running = server::start(node.clone(), listener).map_err(ctx("serve"))?;
        self.running.insert(id.to_owned(), running);
        Ok(node)
    }

    /// Opens and serves `id` on the system clock.
    pub async fn start(&mut self, id: &str) -> BenchResult<Arc<Node>> {
        self.start_with(id, Clock::system(), |_| {}).await
    }

    /// Serves `app` on `id`'s port with `id`'s TLS settings instead of its routes.
    pub async fn start_app(&mut self, id: &str, app: axum::Router) -> BenchResult<()> {
        let node = Arc::new(Node::open(self.config(id)?, Clock::system()).map_err(ctx("open node"))?);
        let listener = self.listener(id).await?;
        let running = server::start_with_app(node, listener, app).map_err(ctx("serve"))?;
        self.running.insert(id.to_owned(), running);
        Ok(())
    }

    /// The listener reserved for `id`, or a new one on its port.
    pub async fn listener(&mut self, id: &str) -> BenchResult<TcpListener> {
        if let Some(listener) = self.listeners.remove(id) {
            return Ok(listener);
        }
        let addr = self.addrs[id];
        for _ in 0..100 {
            if let Ok(listener) = TcpListener::bind(addr).await {
                return Ok(listener);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("cannot bind {addr} again"))
    }

    /// Stops `id` and releases its store.
    pub async fn stop(&mut self, id: &str) {
        if let Some(running) = self.running.remove(id) {
            running.stop().await;
        }
    }

    /// Stops every node.
    pub async fn shutdown(mut self) {
        let ids: Vec<String> = self.running.keys().cloned().collect();
        for id in ids {
            self.stop(&id).await;
        }
    }

    /// The base URL of `id`.
    pub fn url(&self, id: &str) -> String {
        format!("https://localhost:{}", self.addrs[id].port())
    }

    /// The port of `id`.
    pub fn addr(&self, id: &str) -> SocketAddr {
        self.addrs[id]
    }

    /// An API client of `id`'s officer with `role`, with a connection of its own.
    pub fn client(&self, id: &str, role: &str) -> BenchResult<ApiClient> {
        let officer = self
            .devnet
            .layout
            .officers
            .iter()
            .find(|o| o.spec.station == id && o.spec.role == role)
            .ok_or_else(|| format!("no {role} at {id}"))?;
        ApiClient::for_officer(&self.url(id), &self.devnet.layout.ca_bundle, &[], &officer.cert, &officer.key)
            .map_err(ctx("client"))
    }

    /// `id`'s officer with `role`, as the node knows them.
    pub fn officer(&self, node: &Node, role: &str) -> BenchResult<Officer> {
        let spec = self
            .devnet
            .layout
            .officers
            .iter()
            .find(|o| o.spec.station == node.station().as_str() && o.spec.role == role)
            .ok_or_else(|| format!("no {role} at {}", node.station()))?;
        let id = crate::ids::OfficerId {
            station: spec.spec.station.parse().map_err(ctx("station id"))?,
            badge: spec.spec.badge.parse().map_err(ctx("badge"))?,
        };
        node.officer(&id).map_err(ctx("officer"))
    }

    /// The data folder of `id`.
    pub fn data_dir(&self, id: &str) -> BenchResult<PathBuf> {
        Ok(self.config(id)?.storage.data_dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_scenario_folders_a_run_made_are_removed_by_the_next() {
        let dir = tempfile::tempdir().expect("temp dir");
        let work = WorkDir::new(Some(dir.path().to_path_buf()), true).expect("work folder");
        let made = [work.fresh("intake-durable").expect("fresh"), work.fresh("compute").expect("fresh")];
        std::fs::write(made[0].join("store"), "data").expect("file");
        // What the benchmark did not make stays, whatever its name: the large store, and a
        // folder of someone else's that looks like a scenario's.
        for folder in ["large/db", "2026-photos", "00-intake-durable-copy"] {
            std::fs::create_dir_all(dir.path().join(folder)).expect("folder");
        }
        assert!(remove_earlier_runs(dir.path()).expect("removes"));
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["00-intake-durable-copy", "2026-photos", "large"]);
        assert!(!remove_earlier_runs(dir.path()).expect("removes"), "nothing left to remove");

        // A folder of the same name as a scenario's, not made by the benchmark, is refused.
        std::fs::create_dir_all(dir.path().join("00-intake-durable")).expect("folder");
        let again = WorkDir::new(Some(dir.path().to_path_buf()), true).expect("work folder");
        let refused = again.fresh("intake-durable").expect_err("not ours to remove");
        assert_eq!(refused.kind(), std::io::ErrorKind::AlreadyExists);
        assert!(dir.path().join("00-intake-durable").exists());
    }
}
