//! Power cuts, not only kill -9: 罗阳's data folder lives on a FUSE file system that forgets,
//! at a simulated cut, every write and every name not made durable (`support::power_cut`). The
//! first tests hold that file system to its model, the last runs the kill loop over it.
use super::kill9::{audit_verify, load, partner};
use super::*;
use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rand::{Rng, SeedableRng};
use support::power_cut::PowerCutFs;
use tiemeng::store::Store;

/// A power-cut file system over a fresh backing folder.
struct Disk {
    power: PowerCutFs,
    mountpoint: PathBuf,
    _dir: tempfile::TempDir,
}

impl Disk {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (backing, mountpoint) = (dir.path().join("backing"), dir.path().join("mnt"));
        fs::create_dir(&backing).unwrap();
        fs::create_dir(&mountpoint).unwrap();
        Self { power: PowerCutFs::mount(&backing, &mountpoint), mountpoint, _dir: dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.mountpoint.join(name)
    }

    /// Writes a file through the mount and makes it durable, name and all.
    fn durable(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, bytes).unwrap();
        sync(&path);
        sync(path.parent().unwrap());
        path
    }
}

/// `fsync` of a file or a folder, through a descriptor opened to read, as `src/store/sync.rs` does.
fn sync(path: &Path) {
    File::open(path).unwrap().sync_all().unwrap();
}

#[test]
fn writes_and_truncations_never_synced_are_gone_after_a_cut() {
    let disk = Disk::new();
    let log = disk.durable("log", b"durable");
    let file = OpenOptions::new().write(true).open(&log).unwrap();
    file.write_all_at(b" and more", 7).unwrap();
    assert_eq!(fs::read(&log).unwrap(), b"durable and more", "reads see what is not yet durable");
    drop(file);
    disk.power.cut_power();
    assert_eq!(fs::read(&log).unwrap(), b"durable", "the unsynced write went with the power");

    OpenOptions::new().write(true).open(&log).unwrap().set_len(3).unwrap();
    assert_eq!(fs::read(&log).unwrap(), b"dur");
    disk.power.cut_power();
    assert_eq!(fs::read(&log).unwrap(), b"durable", "the unsynced truncation went too");
    let stats = disk.power.stats();
    assert_eq!((stats.cuts, stats.bytes_dropped), (2, 9));
}

#[test]
fn synced_writes_survive_a_cut() {
    let disk = Disk::new();
    let log = disk.durable("log", b"durable");
    let file = OpenOptions::new().write(true).open(&log).unwrap();
    file.write_all_at(b", synced", 7).unwrap();
    file.write_all_at(&[7u8; 10_000], 20_000).unwrap();
    // Written through one descriptor, synced through another, as sled's log is.
    File::open(&log).unwrap().sync_data().unwrap();
    drop(file);
    disk.power.cut_power();
    let read = fs::read(&log).unwrap();
    assert_eq!(read.len(), 30_000);
    assert_eq!(&read[..15], b"durable, synced");
    assert!(read[15..20_000].iter().all(|b| *b == 0) && read[20_000..].iter().all(|b| *b == 7));
}

#[test]
fn a_new_file_synced_in_a_folder_never_synced_is_gone_after_a_cut() {
    let disk = Disk::new();
    fs::create_dir(disk.path("kept")).unwrap();
    sync(&disk.mountpoint);
    disk.durable("kept/named", b"synced, folder synced");
    let orphan = disk.path("kept/orphan");
    fs::write(&orphan, b"synced, folder not").unwrap();
    sync(&orphan);
    // A folder made and synced inside a folder never synced: gone with all it holds.
    fs::create_dir(disk.path("lost")).unwrap();
    disk.durable("lost/file", b"synced all the way up but one");
    disk.power.cut_power();
    assert_eq!(fs::read(disk.path("kept/named")).unwrap(), b"synced, folder synced");
    assert!(!orphan.exists(), "its name was never made durable");
    assert!(!disk.path("lost").exists(), "the folder's own name was never made durable");
    assert_eq!(disk.power.stats().names_undone, 2);
}

#[test]
fn renames_and_removals_are_taken_back_until_their_folder_is_synced() {
    let disk = Disk::new();
    let removed = disk.durable("removed", b"still here");
    // sled's snapshot: written to a temporary name, synced, renamed over the last one.
    let snapshot = disk.durable("snap", b"old");
    let generating = disk.path("snap.generating");
    fs::write(&generating, b"new").unwrap();
    sync(&generating);
    fs::rename(&generating, &snapshot).unwrap();
    fs::remove_file(&removed).unwrap();
    assert_eq!(fs::read(&snapshot).unwrap(), b"new");
    assert!(!removed.exists());
    disk.power.cut_power();
    assert_eq!(fs::read(&snapshot).unwrap(), b"old", "the rename was never made durable");
    assert!(!generating.exists(), "nor was the temporary name");
    assert_eq!(fs::read(&removed).unwrap(), b"still here", "nor the removal");

    fs::write(&generating, b"new").unwrap();
    sync(&generating);
    fs::rename(&generating, &snapshot).unwrap();
    fs::remove_file(&removed).unwrap();
    sync(&disk.mountpoint);
    disk.power.cut_power();
    assert_eq!(fs::read(&snapshot).unwrap(), b"new", "the folder was synced after the rename");
    assert!(!generating.exists() && !removed.exists());
}

#[test]
fn a_rename_between_folders_is_kept_once_both_are_synced() {
    let disk = Disk::new();
    for folder in ["from", "to"] {
        fs::create_dir(disk.path(folder)).unwrap();
    }
    sync(&disk.mountpoint);
    let (from, to) = (disk.durable("from/file", b"moving"), disk.path("to/file"));
    fs::rename(&from, &to).unwrap();
    sync(&disk.path("to"));
    disk.power.cut_power();
    assert!(from.exists() && !to.exists(), "only one of the two folders was synced");

    fs::rename(&from, &to).unwrap();
    sync(&disk.path("to"));
    sync(&disk.path("from"));
    disk.power.cut_power();
    assert_eq!((from.exists(), fs::read(&to).unwrap()), (false, b"moving".to_vec()));
}

#[test]
fn inode_numbers_outlive_a_cut() {
    let disk = Disk::new();
    let file = disk.durable("file", b"x");
    let before = fs::metadata(&file).unwrap().ino();
    fs::write(disk.path("other"), b"y").unwrap();
    disk.power.cut_power();
    assert_eq!(fs::metadata(&file).unwrap().ino(), before);
}

fn cuts() -> usize {
    std::env::var("TIEMENG_CUTS").ok().and_then(|k| k.parse().ok()).unwrap_or(50)
}

/// 罗阳 as a `tiemeng serve` child, killed when dropped too, so that a failing test leaves
/// nothing holding the mount.
struct Serving(std::process::Child);

impl Serving {
    /// Starts 罗阳 and waits until it answers.
    async fn start(net: &Net) -> Self {
        Self(net.spawn_process(LUOYANG).await)
    }

    /// Starts 罗阳 without waiting: for a cut in the middle of a start.
    fn starting(net: &Net) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_tiemeng"))
            .args(["serve", "--config"])
            .arg(net.devnet.config(LUOYANG).unwrap())
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        Self(child)
    }

    /// SIGKILL, and wait until the process is gone: by then every request it made of the file
    /// system has been answered or dropped, so the cut that follows races nothing.
    fn kill(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The kill loop of `kill9` with the power cut after every kill: 罗阳 under load from three
/// clients, 犀溪 in-process acknowledging and sending its own; at random moments 罗阳 is
/// killed, the power is cut, the audit chain is verified and 罗阳 starts again; one time in
/// four its next start is cut short as well, at a random step of its writing. At the end,
/// after a last cut: every acknowledged request is in 罗阳's store and 犀溪 holds the same
/// signed bytes, nothing was applied twice, every receipt 罗阳 signed is backed by what it
/// stored, and both sides agree on every case. `TIEMENG_CUTS` sets the number of cuts under load
/// (CI: 50).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn power_cuts_under_load_lose_nothing_acknowledged_and_double_nothing() {
    let _memory = crate::process_memory::shared().await;
    let started = std::time::Instant::now();
    let disk = Disk::new();
    let data = disk.path("luoyang");
    let data_text = data.display().to_string();
    let net = Net::start_with(&[LUOYANG, XIXI], &[XIXI], move |id, text| {
        support::quick_retries(id, text);
        if id == LUOYANG {
            *text = text.replace("data_dir = \"../data/zj-taishun-luoyang\"", &format!("data_dir = \"{data_text}\""));
        }
    })
    .await;
    assert_eq!(net.data_dir(LUOYANG), data, "罗阳's data folder is on the power-cut file system");
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261206);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut a = Serving::start(&net).await;
    let loaders: Vec<_> = (0..3)
        .map(|_| tokio::spawn(load(net.officer(LUOYANG, As::Liaison), acknowledged.clone(), stop.clone())))
        .collect();
    let partner = tokio::spawn(partner(net.officer(XIXI, As::Duty), net.officer(XIXI, As::Liaison), stop.clone()));
    let total = cuts();
    let mut while_starting = 0;
    for cut in 0..total {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(150..700))).await;
        a.kill();
        disk.power.cut_power();
        // One time in four the next start is cut short too, at a random step of its writing:
        // a start after a crash makes some 10 to 25 changes (sled's recovery, its snapshot
        // written and renamed into place, the store's syncs).
        if rng.gen_ratio(1, 4) {
            disk.power.fail_after(rng.gen_range(0..30));
            let mut starting = Serving::starting(&net);
            let failed = eventually(PATIENCE, || async { disk.power.failed() }).await;
            assert!(failed, "罗阳 neither started nor wrote");
            starting.kill();
            disk.power.cut_power();
            while_starting += 1;
        }
        if let Err(report) = tokio::task::block_in_place(|| audit_verify(&data)) {
            panic!("after cut {cut}: {report}\n{:?}", disk.power.stats());
        }
        a = Serving::start(&net).await;
    }
    stop.store(true, Ordering::Relaxed);
    for loader in loaders {
        loader.await.unwrap();
    }
    partner.await.unwrap();

    // Let both outboxes drain, then cut once more and look at both stores.
    let b = net.node(XIXI).clone();
    let admin = net.officer(LUOYANG, As::Admin);
    let url = format!("{}/api/v1/peers", net.url(LUOYANG));
    let drained = eventually(Duration::from_secs(60), || async {
        let peers: Option<serde_json::Value> =
            async { admin.http().get(&url).send().await.ok()?.json().await.ok() }.await;
        let a_empty = peers.is_some_and(|p| p[0]["queue_depth"] == 0);
        a_empty && b.store().outbox_len(&LUOYANG.parse().unwrap()) == 0
    })
    .await;
    assert!(drained, "outboxes did not drain after the cuts");
    a.kill();
    disk.power.cut_power();
    tokio::task::block_in_place(|| audit_verify(&data)).unwrap();
    let a_store = tokio::task::block_in_place(|| Store::open_existing(&data)).unwrap();

    let acknowledged = acknowledged.lock().unwrap().clone();
    let luoyang: tiemeng::ids::StationId = LUOYANG.parse().unwrap();
    let (mut lost, mut disagreeing) = (0, 0);
    for id in &acknowledged {
        let Some(case) = a_store.case(id).unwrap() else {
            lost += 1;
            continue;
        };
        let ours = a_store.envelope(&case.request).unwrap().unwrap().wire;
        let theirs = b.store().envelope(&case.request).unwrap().map(|e| e.wire);
        assert_eq!(Some(ours), theirs, "case {id}: the partner holds other bytes or nothing");
        if b.store().case(id).unwrap().is_none_or(|at_b| at_b.targets != case.targets) {
            disagreeing += 1;
        }
    }
    let doubled = |store: &Store| {
        let received: Vec<_> = store
            .audit_entries(0, 1_000_000)
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "envelope.receive")
            .filter_map(|e| e.envelope)
            .collect();
        received.len() - received.iter().collect::<BTreeSet<_>>().len()
    };
    let doubled = doubled(&a_store) + doubled(b.store());
    // Every receipt 罗阳 signed is backed by what it stored, and both sides hold the same case.
    let mut unbacked = 0;
    for entry in b.store().audit_entries(0, 1_000_000).unwrap().iter().filter(|e| e.action == "case.create") {
        let case = b.store().case(&entry.case.unwrap()).unwrap().unwrap();
        if b.store().receipt(&case.request, &luoyang).unwrap().is_none() {
            continue;
        }
        match a_store.case(&case.id).unwrap() {
            _ if a_store.envelope(&case.request).unwrap().is_none() => unbacked += 1,
            Some(at_a) if at_a.targets == case.targets => {}
            _ => disagreeing += 1,
        }
    }
    let stats = disk.power.stats();
    println!(
        "{} power cuts ({total} under load, {while_starting} during a start, 1 at the end), {} acknowledged, {lost} acknowledged lost, {doubled} doubled, {unbacked} receipts without data, {disagreeing} cases the two sides disagree on; file system: {} file syncs, {} folder syncs, {} unsynced bytes and {} unsynced names dropped; {:.0?}",
        stats.cuts,
        acknowledged.len(),
        stats.file_syncs,
        stats.dir_syncs,
        stats.bytes_dropped,
        stats.names_undone,
        started.elapsed()
    );
    assert_eq!((lost, doubled, unbacked, disagreeing), (0, 0, 0, 0));
    assert!(acknowledged.len() > total, "the load kept going between cuts");
    assert!(stats.file_syncs > total as u64, "the node's syncs reach the file system");
    drop(a_store);
    net.shutdown().await;
}
