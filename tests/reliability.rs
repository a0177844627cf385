//! Reliability with real processes and real disks: backups taken while serving and restored,
//! crashes, full disks. (Network faults are in `faults.rs`, the multi-node simulation in
//! `simulation.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[path = "reliability/power_cut.rs"]
mod power_cut;

use std::process::Command;
use std::time::Duration;

use support::{As, LUOYANG, Net, XIXI, eventually};
use tiemeng::domain::details::CaseKind;
use tiemeng::domain::lifecycle::TargetState;
use tiemeng::ids::CaseId;
use tiemeng::node::{AckInput, Action};
use tiemeng::samples;

const PATIENCE: Duration = Duration::from_secs(20);

fn tiemeng(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tiemeng")).args(args).output().unwrap()
}

async fn state(net: &Net, station: &str, case: &CaseId) -> Option<TargetState> {
    net.node(station).store().case(case).unwrap().map(|c| c.targets[0].state)
}

/// This binary's tests run side by side; the one that reads this process's resident memory
/// runs alone, so the growth it sees is its own node's and not another test's nodes.
mod process_memory {
    use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

    static MEMORY: RwLock<()> = RwLock::const_new(());

    /// Held for the whole of a test that runs nodes in this process.
    pub async fn shared() -> RwLockReadGuard<'static, ()> {
        MEMORY.read().await
    }

    /// Held for the whole of a test that measures this process's memory.
    pub async fn alone() -> RwLockWriteGuard<'static, ()> {
        MEMORY.write().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restored_from_an_older_backup_gets_back_what_its_peer_holds() {
    let _memory = process_memory::shared().await;
    let mut net = Net::start(&[LUOYANG, XIXI]).await;
    let a_liaison = net.officer(LUOYANG, As::Liaison);
    let b_duty = net.officer(XIXI, As::Duty);
    let now = time::OffsetDateTime::now_utc();
    let xixi: tiemeng::ids::StationId = XIXI.parse().unwrap();
    let luoyang: tiemeng::ids::StationId = LUOYANG.parse().unwrap();

    let before = a_liaison.create_case(&samples::sample(CaseKind::General, vec![xixi.clone()], now)).await.unwrap();
    assert!(
        eventually(PATIENCE, || async { state(&net, LUOYANG, &before.id).await == Some(TargetState::Delivered) }).await
    );

    // The admin takes a backup while the node serves.
    let backup = net.dir.path().join("luoyang.tiemeng-backup");
    let (cert, key) = net.officer_files(LUOYANG, As::Admin);
    let url = net.url(LUOYANG);
    let output = tiemeng(&[
        "backup".as_ref(),
        "--url".as_ref(),
        url.as_ref(),
        "--ca".as_ref(),
        net.devnet.layout.ca_bundle.as_os_str(),
        "--cert".as_ref(),
        cert.as_os_str(),
        "--key".as_ref(),
        key.as_os_str(),
        "--out".as_ref(),
        backup.as_os_str(),
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    // Afterwards: a request each way, each acknowledged by the other side. 犀溪's clock runs
    // four minutes behind (inside the allowed skew), so its ack is dated before the request it
    // answers, and time order is not the order in which they can be taken back.
    net.clocks[XIXI].advance(time::Duration::minutes(-4));
    let sent_after = a_liaison.create_case(&samples::sample(CaseKind::Dispute, vec![xixi.clone()], now)).await.unwrap();
    assert!(eventually(PATIENCE, || async { state(&net, XIXI, &sent_after.id).await.is_some() }).await);
    b_duty.act(&sent_after.id, &Action::Ack(AckInput::default())).await.unwrap();
    let received_after = net
        .officer(XIXI, As::Liaison)
        .create_case(&samples::sample(CaseKind::SerialTheft, vec![luoyang.clone()], now))
        .await
        .unwrap();
    assert!(eventually(PATIENCE, || async { state(&net, LUOYANG, &received_after.id).await.is_some() }).await);
    net.officer(LUOYANG, As::Duty).act(&received_after.id, &Action::Ack(AckInput::default())).await.unwrap();
    let settled = eventually(PATIENCE, || async {
        state(&net, LUOYANG, &sent_after.id).await == Some(TargetState::Acknowledged)
            && state(&net, XIXI, &received_after.id).await == Some(TargetState::Acknowledged)
    })
    .await;
    assert!(settled);
    let wires = |net: &Net, station: &str, case: &CaseId| {
        net.node(station).store().timeline(case).unwrap().into_iter().map(|e| e.wire).collect::<Vec<_>>()
    };
    let expected: Vec<(CaseId, Vec<Vec<u8>>)> =
        [before.id, sent_after.id, received_after.id].iter().map(|id| (*id, wires(&net, XIXI, id))).collect();
    let b_receives = net
        .node(XIXI)
        .store()
        .audit_entries(0, 1000)
        .unwrap()
        .iter()
        .filter(|e| e.action == "envelope.receive")
        .count();

    // 罗阳's disk is lost; the backup is restored into an empty folder.
    net.stop(LUOYANG).await;
    let data = net.data_dir(LUOYANG);
    std::fs::remove_dir_all(&data).unwrap();
    let output =
        tiemeng(&["restore".as_ref(), "--backup".as_ref(), backup.as_os_str(), "--data".as_ref(), data.as_os_str()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("已恢复"));
    net.restart(LUOYANG).await;

    let a = net.node(LUOYANG).clone();
    let recovered = eventually(PATIENCE, || async {
        expected.iter().all(|(id, wires)| {
            a.store().timeline(id).unwrap().into_iter().map(|e| e.wire).collect::<Vec<_>>() == *wires
        })
    })
    .await;
    assert!(recovered, "罗阳 did not get back what 犀溪 holds");
    for (id, _) in &expected {
        let at_a = a.store().case(id).unwrap().unwrap();
        let at_b = net.node(XIXI).store().case(id).unwrap().unwrap();
        assert_eq!(at_a.targets, at_b.targets, "both sides agree on case {id}");
    }
    // Search finds them all: the request in the backup, and those taken back from 犀溪.
    let searcher = net.officer(LUOYANG, As::Duty);
    for (kind, id) in [("general", before.id), ("dispute", sent_after.id), ("serial_theft", received_after.id)] {
        let found = searcher.search(&[("kind", kind)]).await.unwrap();
        assert_eq!(found.results.iter().map(|r| r.case.id).collect::<Vec<_>>(), [id], "{kind} found after the restore");
    }
    assert!(a.store().verify_audit().unwrap() > 0);
    let b_receives_after = net
        .node(XIXI)
        .store()
        .audit_entries(0, 1000)
        .unwrap()
        .iter()
        .filter(|e| e.action == "envelope.receive")
        .count();
    assert_eq!(b_receives_after, b_receives, "nothing was applied twice at 犀溪");
    assert_eq!(a.store().reconciliation_due(&xixi).unwrap(), None, "reconciliation finished");
    net.shutdown().await;
}

mod kill9 {
    use super::*;
    use std::collections::BTreeSet;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    use rand::{Rng, SeedableRng};
    use tiemeng::store::Store;

    fn kills() -> usize {
        std::env::var("TIEMENG_KILLS").ok().and_then(|k| k.parse().ok()).unwrap_or(50)
    }

    pub(super) fn audit_verify(data: &std::path::Path) -> Result<String, String> {
        let output = Command::new(env!("CARGO_BIN_EXE_tiemeng"))
            .args(["--lang", "en", "audit", "verify", "--data"])
            .arg(data)
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        if output.status.success() { Ok(text) } else { Err(text) }
    }

    /// Sends requests from 罗阳 as fast as one officer can, remembering every one that got a
    /// success answer: those are the ones that must survive.
    pub(super) async fn load(
        client: tiemeng::client::ApiClient,
        acknowledged: Arc<Mutex<Vec<CaseId>>>,
        stop: Arc<AtomicBool>,
    ) {
        let xixi: tiemeng::ids::StationId = XIXI.parse().unwrap();
        while !stop.load(Ordering::Relaxed) {
            let request = samples::sample(CaseKind::General, vec![xixi.clone()], time::OffsetDateTime::now_utc());
            match client.create_case(&request).await {
                Ok(case) => acknowledged.lock().unwrap().push(case.id),
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// 犀溪 works what arrives: acknowledges requests and sends some of its own to 罗阳.
    pub(super) async fn partner(
        duty: tiemeng::client::ApiClient,
        liaison: tiemeng::client::ApiClient,
        stop: Arc<AtomicBool>,
    ) {
        let luoyang: tiemeng::ids::StationId = LUOYANG.parse().unwrap();
        let mut round = 0u32;
        while !stop.load(Ordering::Relaxed) {
            if let Ok(inbox) = duty.list(tiemeng::store::Mailbox::Inbox, "status=delivered&limit=20").await {
                for item in inbox.cases {
                    let _ = duty.act(&item.case.id, &Action::Ack(AckInput::default())).await;
                }
            }
            if round.is_multiple_of(5) {
                let request =
                    samples::sample(CaseKind::Dispute, vec![luoyang.clone()], time::OffsetDateTime::now_utc());
                let _ = liaison.create_case(&request).await;
            }
            round += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sigkill_under_load_loses_nothing_acknowledged_and_doubles_nothing() {
        let _memory = super::process_memory::shared().await;
        let net = Net::partial(&[LUOYANG, XIXI], &[XIXI]).await;
        let data = net.data_dir(LUOYANG);
        let mut rng = rand::rngs::StdRng::seed_from_u64(20261123);
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let mut a = net.spawn_process(LUOYANG).await;
        let loaders: Vec<_> = (0..3)
            .map(|_| tokio::spawn(load(net.officer(LUOYANG, As::Liaison), acknowledged.clone(), stop.clone())))
            .collect();
        let partner = tokio::spawn(partner(net.officer(XIXI, As::Duty), net.officer(XIXI, As::Liaison), stop.clone()));
        let total = kills();
        for kill in 0..total {
            // The kills' schedule: a while under load, at a random point of a delivery.
            tokio::time::sleep(Duration::from_millis(rng.gen_range(150..700))).await;
            a.kill().unwrap();
            a.wait().unwrap();
            // After every crash the audit chain is whole.
            if let Err(report) = tokio::task::block_in_place(|| audit_verify(&data)) {
                panic!("after kill {kill}: {report}");
            }
            a = net.spawn_process(LUOYANG).await;
        }
        stop.store(true, Ordering::Relaxed);
        for loader in loaders {
            loader.await.unwrap();
        }
        partner.await.unwrap();

        // Let both outboxes drain, then stop 罗阳 and look at both stores.
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
        assert!(drained, "outboxes did not drain after the kills");
        a.kill().unwrap();
        a.wait().unwrap();
        tokio::task::block_in_place(|| audit_verify(&data)).unwrap();
        let a_store = tokio::task::block_in_place(|| Store::open_existing(&data)).unwrap();

        let acknowledged = acknowledged.lock().unwrap().clone();
        let mut lost = 0;
        for id in &acknowledged {
            let Some(case) = a_store.case(id).unwrap() else {
                lost += 1;
                continue;
            };
            let ours = a_store.envelope(&case.request).unwrap().unwrap().wire;
            let theirs = b.store().envelope(&case.request).unwrap().map(|e| e.wire);
            assert_eq!(Some(ours), theirs, "case {id}: the partner holds other bytes or nothing");
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
        // Every receipt 罗阳 signed is backed by what it stored.
        let luoyang: tiemeng::ids::StationId = LUOYANG.parse().unwrap();
        let mut unbacked = 0;
        for entry in b.store().audit_entries(0, 1_000_000).unwrap().iter().filter(|e| e.action == "case.create") {
            let case = b.store().case(&entry.case.unwrap()).unwrap().unwrap();
            if b.store().receipt(&case.request, &luoyang).unwrap().is_some()
                && a_store.envelope(&case.request).unwrap().is_none()
            {
                unbacked += 1;
            }
        }
        println!(
            "{total} kills, {} acknowledged, {lost} acknowledged lost, {doubled} doubled, {unbacked} receipts without data",
            acknowledged.len()
        );
        assert_eq!((lost, doubled, unbacked), (0, 0, 0));
        assert!(acknowledged.len() > total, "the load kept going between kills");
        drop(a_store);
        net.shutdown().await;
    }
}

mod full_disk {
    use super::*;

    /// A small tmpfs for one station's data folder, unmounted on drop.
    pub(super) struct SmallDisk {
        dir: tempfile::TempDir,
    }

    impl SmallDisk {
        pub(super) fn mount(size: &str) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let status = Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
                .arg(dir.path())
                .status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "cannot mount a tmpfs (the disk-full test needs root, as CI has)"
            );
            Self { dir }
        }

        pub(super) fn path(&self) -> &std::path::Path {
            self.dir.path()
        }

        /// Fills the disk but for about `spare` bytes, with a ballast file of its own each time.
        pub(super) fn fill(&self, spare: u64) {
            let filled = std::fs::read_dir(self.path()).unwrap().count();
            let ballast = self.path().join(format!("ballast.{filled}"));
            let free = fs_free(self.path());
            let size = free.saturating_sub(spare);
            std::fs::write(&ballast, vec![0u8; usize::try_from(size).unwrap()]).ok();
        }

        pub(super) fn make_room(&self) {
            for entry in std::fs::read_dir(self.path()).unwrap().flatten() {
                if entry.file_name().to_string_lossy().starts_with("ballast.") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }

    impl Drop for SmallDisk {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
        }
    }

    fn fs_free(path: &std::path::Path) -> u64 {
        let output = Command::new("df").args(["--output=avail", "-B1"]).arg(path).output().unwrap();
        String::from_utf8_lossy(&output.stdout).lines().nth(1).and_then(|l| l.trim().parse().ok()).unwrap_or(0)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_disk_never_yields_success_keeps_reads_and_recovers_when_space_returns() {
        let _memory = super::process_memory::shared().await;
        let disk = SmallDisk::mount("8m");
        let data = disk.path().join("luoyang");
        let data_text = data.display().to_string();
        let net = Net::start_with(&[LUOYANG, XIXI], &[LUOYANG, XIXI], move |id, text| {
            support::quick_retries(id, text);
            if id == LUOYANG {
                *text =
                    text.replace("data_dir = \"../data/zj-taishun-luoyang\"", &format!("data_dir = \"{data_text}\""));
            }
        })
        .await;
        let liaison = net.officer(LUOYANG, As::Liaison);
        let chief = net.officer(LUOYANG, As::Chief);
        let xixi: tiemeng::ids::StationId = XIXI.parse().unwrap();
        let request = samples::sample(CaseKind::MissingPerson, vec![xixi.clone()], time::OffsetDateTime::now_utc());
        let before = liaison.create_case(&request).await.unwrap();
        disk.fill(64 * 1024);

        let mut acknowledged = Vec::new();
        let mut refused = None;
        for _ in 0..400 {
            match liaison.create_case(&request).await {
                Ok(case) => acknowledged.push(case.id),
                Err(tiemeng::client::ClientError::Problem(problem)) => {
                    refused = Some(problem);
                    break;
                }
                Err(other) => panic!("an answer other than success or a problem: {other}"),
            }
        }
        let problem = refused.expect("the disk never filled up");
        assert_eq!((problem.status, problem.code.as_str()), (503, "storage_unavailable"), "{problem:?}");
        assert!(problem.detail.contains("未写入磁盘"), "{}", problem.detail);
        // Reads that need no writing go on.
        assert!(chief.list(tiemeng::store::Mailbox::Outbox, "").await.is_ok(), "listings still work");
        let health = chief.http().get(format!("{}/healthz", net.url(LUOYANG))).send().await.unwrap();
        assert_eq!(health.status(), 503, "health reports the condition");
        let health: serde_json::Value = health.json().await.unwrap();
        assert_eq!(health["code"], "storage_failed");

        // Space returns: writing works again without a restart, and nothing acknowledged is lost.
        disk.make_room();
        let recovered = eventually(PATIENCE, || async { liaison.create_case(&request).await.is_ok() }).await;
        assert!(recovered, "the node did not recover when space returned");
        for id in acknowledged.iter().chain([&before.id]) {
            assert!(net.node(LUOYANG).store().case(id).unwrap().is_some(), "acknowledged case {id} is gone");
        }
        net.shutdown().await;
    }
}

/// Starting again after trouble: on a full disk, after a crash in the middle of a start.
mod start_up {
    use super::*;
    use std::process::{Child, Stdio};

    use full_disk::SmallDisk;
    use rustix::process::{Pid, Signal, kill_process};
    use tiemeng::store::Store;

    /// `tiemeng serve` for a configured, stopped station, logging to the file `log` (a pipe
    /// nobody reads while it runs could fill up and stop it).
    fn serve(net: &Net, id: &str, log: &std::path::Path) -> Child {
        Command::new(env!("CARGO_BIN_EXE_tiemeng"))
            .args(["serve", "--config"])
            .arg(net.devnet.config(id).unwrap())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap()
    }

    async fn serving(net: &Net, id: &str) -> bool {
        let addr = net.addrs[id];
        eventually(PATIENCE, || async move { tokio::net::TcpStream::connect(addr).await.is_ok() }).await
    }

    /// Stops a node as its service manager would (SIGTERM).
    fn stop(mut child: Child) {
        kill_process(Pid::from_child(&child), Signal::TERM).unwrap();
        child.wait().unwrap();
    }

    fn unfinished_snapshots(data: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(data)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".generating"))
            .collect()
    }

    fn audit_verify(data: &std::path::Path) {
        if let Err(report) = super::kill9::audit_verify(data) {
            panic!("{report}");
        }
    }

    /// Requests 罗阳's liaison sends to 犀溪 until `count` are acknowledged or the node refuses.
    async fn send(net: &Net, count: usize) -> Vec<CaseId> {
        let liaison = net.officer(LUOYANG, As::Liaison);
        let xixi: tiemeng::ids::StationId = XIXI.parse().unwrap();
        let mut acknowledged = Vec::new();
        while acknowledged.len() < count {
            let request = samples::sample(CaseKind::MissingPerson, vec![xixi.clone()], time::OffsetDateTime::now_utc());
            match liaison.create_case(&request).await {
                Ok(case) => acknowledged.push(case.id),
                Err(tiemeng::client::ClientError::Problem(p)) if p.status == 503 => break,
                Err(other) => panic!("an answer other than success or 503: {other}"),
            }
        }
        acknowledged
    }

    fn assert_all_there(data: &std::path::Path, acknowledged: &[CaseId]) {
        let store = Store::open_existing(data).unwrap();
        let missing = acknowledged.iter().filter(|id| store.case(id).unwrap().is_none()).count();
        assert_eq!(missing, 0, "{missing} of {} acknowledged cases are gone", acknowledged.len());
    }

    /// A station stopped with its disk full is started on the full disk, then again once space
    /// is freed. The first start says the disk is full, not that data is damaged, and leaves
    /// nothing behind that stops the next; an unfinished snapshot an earlier start left is set
    /// aside with a line in the log; the second start has every acknowledged case, and the
    /// audit chain is whole.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_start_on_a_full_disk_says_so_and_the_next_has_everything() {
        let _memory = super::process_memory::shared().await;
        let disk = SmallDisk::mount("20m");
        let data = disk.path().join("luoyang");
        let data_text = data.display().to_string();
        let net = Net::start_with(&[LUOYANG, XIXI], &[XIXI], move |id, text| {
            support::quick_retries(id, text);
            if id == LUOYANG {
                *text =
                    text.replace("data_dir = \"../data/zj-taishun-luoyang\"", &format!("data_dir = \"{data_text}\""));
            }
        })
        .await;
        let logs = tempfile::tempdir().unwrap();
        let log = logs.path().join("serve.log");
        let a = serve(&net, LUOYANG, &log);
        assert!(serving(&net, LUOYANG).await, "罗阳 did not start");
        let mut acknowledged = send(&net, 100).await;
        disk.fill(64 * 1024);
        acknowledged.extend(send(&net, 2_000).await);
        stop(a);
        // What a start on a full disk left behind before: an empty snapshot that never got a name.
        std::fs::write(data.join("snap.0000000000FFFFFF.generating"), b"").unwrap();
        disk.fill(0);

        let mut on_full = serve(&net, LUOYANG, &log);
        let exited = eventually(PATIENCE, || {
            let exited = on_full.try_wait().unwrap().is_some();
            async move { exited }
        })
        .await;
        let said = std::fs::read_to_string(&log).unwrap();
        if !exited {
            stop(on_full);
            panic!("it started on a full disk: {said}");
        }
        assert!(!on_full.wait().unwrap().success(), "it started on a full disk: {said}");
        assert!(said.contains("磁盘已满"), "the refusal does not say the disk is full: {said}");
        assert!(!said.contains("restore"), "a full disk is no reason to restore a backup: {said}");
        assert_eq!(unfinished_snapshots(&data), Vec::<String>::new(), "the start left a half-written snapshot");
        std::fs::write(data.join("snap.0000000000FFFFFF.generating"), b"").unwrap();

        disk.make_room();
        let a = serve(&net, LUOYANG, &log);
        assert!(serving(&net, LUOYANG).await, "罗阳 did not start once space was freed");
        stop(a);
        let said = std::fs::read_to_string(&log).unwrap();
        assert!(said.contains("snap.0000000000FFFFFF.generating"), "no line in the log for what was set aside: {said}");
        assert!(!said.contains('\u{1b}'), "a log written to a file carries terminal colour codes: {said:?}");
        assert_eq!(unfinished_snapshots(&data), Vec::<String>::new());
        audit_verify(&data);
        assert_all_there(&data, &acknowledged);
        println!(
            "{} acknowledged before the disk filled up: all there after a start on the full disk",
            acknowledged.len()
        );
        net.shutdown().await;
    }

    /// Killed at any moment of its start (2 to 60 ms in: opening the store, writing its
    /// snapshot, planning deliveries), the station starts next time with everything it
    /// acknowledged and a whole audit chain.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_kill_at_any_moment_of_a_start_loses_nothing() {
        use rand::{Rng, SeedableRng};
        let _memory = super::process_memory::shared().await;
        let net = Net::partial(&[LUOYANG, XIXI], &[XIXI]).await;
        let data = net.data_dir(LUOYANG);
        let log = net.dir.path().join("serve.log");
        let a = serve(&net, LUOYANG, &log);
        assert!(serving(&net, LUOYANG).await, "罗阳 did not start");
        let acknowledged = send(&net, 50).await;
        stop(a);
        let mut rng = rand::rngs::StdRng::seed_from_u64(20261206);
        let kills = 30;
        for _ in 0..kills {
            let mut starting = serve(&net, LUOYANG, &log);
            std::thread::sleep(Duration::from_millis(rng.gen_range(2..=60)));
            starting.kill().unwrap();
            starting.wait().unwrap();
            audit_verify(&data);
        }
        let a = serve(&net, LUOYANG, &log);
        assert!(serving(&net, LUOYANG).await, "罗阳 did not start after {kills} kills in its start");
        stop(a);
        assert_all_there(&data, &acknowledged);
        net.shutdown().await;
    }
}

mod outage {
    use super::*;
    use std::collections::BTreeSet;

    fn env(name: &str, default: u64) -> u64 {
        std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    /// A peer down while the others keep sending: the backlog waits on disk and arrives in
    /// order, once, when it is back. `TIEMENG_OUTAGE_SECS` and `TIEMENG_OUTAGE_CASES` set the
    /// length and the load (CI: 10 s, 2,000 cases; documented run: 600 s, 30,000).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_long_outage_delivers_the_whole_backlog_in_order_once() {
        let _memory = super::process_memory::shared().await;
        let outage = Duration::from_secs(env("TIEMENG_OUTAGE_SECS", 10));
        let cases = env("TIEMENG_OUTAGE_CASES", 2000) as usize;
        let mut net = Net::start_with(&[LUOYANG, XIXI, support::MAZHAN], &[LUOYANG, support::MAZHAN], |id, text| {
            support::quick_retries(id, text);
        })
        .await;
        let started = std::time::Instant::now();
        let xixi: tiemeng::ids::StationId = XIXI.parse().unwrap();
        let mazhan: tiemeng::ids::StationId = support::MAZHAN.parse().unwrap();
        let mut sent = Vec::new();
        let loaders: Vec<_> = (0..2)
            .map(|_| {
                let client = net.officer(LUOYANG, As::Liaison);
                let (xixi, mazhan) = (xixi.clone(), mazhan.clone());
                tokio::spawn(async move {
                    let mut ids = Vec::new();
                    for i in 0..cases / 2 {
                        // Every tenth case also goes to 马站, which is up: it must not wait.
                        let targets = if i % 10 == 0 { vec![xixi.clone(), mazhan.clone()] } else { vec![xixi.clone()] };
                        let request = samples::sample(CaseKind::General, targets, time::OffsetDateTime::now_utc());
                        ids.push(client.create_case(&request).await.unwrap().id);
                    }
                    ids
                })
            })
            .collect();
        for loader in loaders {
            sent.extend(loader.await.unwrap());
        }
        let a = net.node(LUOYANG).clone();
        assert_eq!(a.store().outbox_len(&xixi), cases, "the backlog is on disk");
        let mazhan_node = net.node(support::MAZHAN).clone();
        assert!(
            eventually(PATIENCE, || async { a.store().outbox_len(&mazhan) == 0 }).await,
            "马站 was kept waiting by 犀溪's outage"
        );
        let _ = mazhan_node;
        if let Some(rest) = outage.checked_sub(started.elapsed()) {
            tokio::time::sleep(rest).await;
        }
        net.restart(XIXI).await;
        let drained = eventually(Duration::from_secs(600), || async { a.store().outbox_len(&xixi) == 0 }).await;
        assert!(drained, "{} still queued", a.store().outbox_len(&xixi));
        let received: Vec<CaseId> = net
            .node(XIXI)
            .store()
            .audit_entries(0, 10_000_000)
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "envelope.receive")
            .map(|e| e.case.unwrap())
            .collect();
        let sent_set: BTreeSet<CaseId> = sent.iter().copied().collect();
        assert_eq!(received.len(), cases, "each delivered once");
        assert!(received.iter().copied().collect::<BTreeSet<_>>() == sent_set, "something was lost");
        // The queue order is the order the requests were committed at 罗阳: its audit chain.
        let queued: Vec<CaseId> = a
            .store()
            .audit_entries(0, 10_000_000)
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "case.create")
            .map(|e| e.case.unwrap())
            .collect();
        let first_difference = queued.iter().zip(&received).position(|(q, r)| q != r);
        assert_eq!(first_difference, None, "delivered out of the order queued");
        println!("outage {:?}, {cases} envelopes queued, 0 lost, 0 duplicates", started.elapsed());
        net.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_envelope_created_days_before_delivery_is_accepted() {
        let _memory = super::process_memory::shared().await;
        let net = Net::start(&[LUOYANG, XIXI]).await;
        let at = tiemeng::clock::Clock::system().now() - time::Duration::days(3);
        let envelope = net
            .request(LUOYANG, vec![XIXI.parse().unwrap()], "三天前签发的协查", at)
            .seal(&net.signer(LUOYANG))
            .unwrap();
        let answer = net.post_to_inbox(LUOYANG, XIXI, &[envelope.wire()]).await;
        assert_eq!(answer["results"][0]["status"], "accepted", "{answer}");
        let case = net.node(XIXI).store().case(&envelope.envelope.case).unwrap().unwrap();
        let now = tiemeng::clock::Clock::system().now();
        assert_eq!(
            case.targets[0].overdue_at(now),
            None,
            "deadlines run from delivery: a request 犀溪 could not see for three days is not overdue on arrival"
        );
        assert!(case.targets[0].ack_by > now, "its acknowledgement is due one window after it arrived");
        net.shutdown().await;
    }
}

mod long_outage {
    use super::*;

    fn rss_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap()
    }

    /// Three days of a dead peer in tokio's paused time: the retries stay at the cap (with
    /// jitter), the queue stays on disk, memory stays flat.
    #[tokio::test]
    async fn a_72_hour_outage_keeps_backoff_capped_and_memory_bounded() {
        let _memory = super::process_memory::alone().await;
        let net = Net::start_with(&[LUOYANG, XIXI], &[LUOYANG], |_, text| {
            text.push_str("\n[limits]\nofficer_requests_per_minute = 1000000\n");
        })
        .await;
        let liaison = net.officer(LUOYANG, As::Liaison);
        for _ in 0..50 {
            let request =
                samples::sample(CaseKind::General, vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
            liaison.create_case(&request).await.unwrap();
        }
        let node = net.node(LUOYANG).clone();
        let health = || node.health().peer(&XIXI.parse().unwrap()).unwrap().status();
        // From here on tokio's clock jumps ahead whenever nothing is running.
        tokio::time::pause();
        tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
        let (retries_after_warmup, rss_after_warmup) = (health().retries, rss_kib());
        tokio::time::sleep(Duration::from_secs(48 * 3600)).await;
        let retries = health().retries - retries_after_warmup;
        let grown = rss_kib().saturating_sub(rss_after_warmup);
        println!("hours 24 to 72 of the outage: {retries} retries, RSS grew {grown} KiB");
        // Waits of 150 to 300 s (the cap, with up to half taken off by jitter), plus up to a
        // minute for each attempt's connection timeouts: 48 h hold 480 to 1,152 attempts.
        assert!((480..=1_160).contains(&retries), "{retries} retries in 48 hours");
        assert!(grown < 16 * 1024, "memory grew by {grown} KiB over a simulated outage");
        assert_eq!(node.store().outbox_len(&XIXI.parse().unwrap()), 50, "the queue waits on disk, whole");
        net.shutdown().await;
    }

    /// A partner back after hours down gets its backlog at once, not at the sender's next retry
    /// (up to the backoff's cap, five minutes): it says hello when it starts, and the sender's
    /// delivery task, waiting out the cap, tries at once.
    #[tokio::test]
    async fn a_partner_back_after_hours_gets_its_backlog_within_a_second_whatever_the_backoff() {
        let _memory = super::process_memory::shared().await;
        let mut net = Net::start_with(&[LUOYANG, XIXI], &[LUOYANG], |_, text| {
            text.push_str("\n[limits]\nofficer_requests_per_minute = 1000000\n");
        })
        .await;
        let liaison = net.officer(LUOYANG, As::Liaison);
        let xixi: tiemeng::ids::StationId = XIXI.parse().unwrap();
        let mut sent = Vec::new();
        for _ in 0..20 {
            let request = samples::sample(CaseKind::General, vec![xixi.clone()], time::OffsetDateTime::now_utc());
            sent.push(liaison.create_case(&request).await.unwrap().id);
        }
        let a = net.node(LUOYANG).clone();
        // Three hours of outage in tokio's paused time bring the backoff to its cap.
        tokio::time::pause();
        tokio::time::sleep(Duration::from_secs(3 * 3600)).await;
        tokio::time::resume();
        let waiting = a.health().peer(&xixi).unwrap().status();
        let next_retry_in = waiting.next_retry.expect("a retry is due") - time::OffsetDateTime::now_utc();
        assert!(waiting.failures_in_row >= 10, "{} failures: the backoff is not at its cap", waiting.failures_in_row);
        assert!(next_retry_in > time::Duration::minutes(1), "the next retry is only {next_retry_in} away");

        net.restart(XIXI).await;
        let back = std::time::Instant::now();
        let b = net.node(XIXI).clone();
        let arrived = || sent.iter().filter(|id| b.store().case(id).unwrap().is_some()).count();
        assert!(eventually(Duration::from_secs(1), || async { arrived() > 0 }).await, "nothing arrived within 1 s");
        let first = back.elapsed();
        assert!(eventually(PATIENCE, || async { arrived() == sent.len() }).await, "the backlog did not all arrive");
        println!(
            "backoff at {} failures, next retry {} s away: first request at the partner {} ms after its return, \
             all {} after {} ms",
            waiting.failures_in_row,
            next_retry_in.whole_seconds(),
            first.as_millis(),
            sent.len(),
            back.elapsed().as_millis()
        );
        net.shutdown().await;
    }

    /// Twenty peers failing together do not retry together: jitter spreads their retries over
    /// half the cap.
    #[test]
    fn twenty_peers_recovering_together_do_not_retry_in_lockstep() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let cap = Duration::from_secs(300);
        let mut next_tries: Vec<f64> = Vec::new();
        for _ in 0..20 {
            let mut backoff = tiemeng::federation::Backoff::new(cap);
            let elapsed: f64 = (0..12).map(|_| backoff.next_delay(rng.r#gen::<f64>()).as_secs_f64()).sum();
            next_tries.push(elapsed);
        }
        next_tries.sort_by(f64::total_cmp);
        let spread = next_tries[19] - next_tries[0];
        let mut gaps: Vec<f64> = next_tries.windows(2).map(|w| w[1] - w[0]).collect();
        gaps.sort_by(f64::total_cmp);
        let same_second = next_tries.windows(2).filter(|w| w[1] - w[0] < 1.0).count();
        println!(
            "20 peers after 12 failures: retries spread over {spread:.0} s, median gap {:.1} s, {same_second} pairs within 1 s",
            gaps[9]
        );
        assert!(spread > 300.0, "retries bunched into {spread:.0} s");
        assert!(same_second <= 3, "{same_second} pairs of peers retry within the same second");
    }
}

mod soak {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use rand::{Rng, SeedableRng};
    use tiemeng::envelope::Kind;
    use tiemeng::node::{CloseInput, OutcomeInput};
    use tiemeng::store::Store;

    const STATIONS: [&str; 3] = [LUOYANG, XIXI, support::MAZHAN];

    fn rss_kib(pid: u32) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// Runs one case from request to close between two stations; the case once closed, or
    /// `None` on any failure.
    async fn story(net: &Net, origin: &str, target: &str) -> Option<CaseId> {
        let liaison = net.officer(origin, As::Liaison);
        let duty = net.officer(target, As::Duty);
        let request =
            samples::sample(CaseKind::General, vec![target.parse().unwrap()], time::OffsetDateTime::now_utc());
        let case = liaison.create_case(&request).await.ok()?;
        if !eventually(PATIENCE, || async { duty.case(&case.id).await.is_ok() }).await {
            return None;
        }
        if duty.act(&case.id, &Action::Ack(AckInput::default())).await.is_err() {
            return None;
        }
        let outcome =
            OutcomeInput {
                outcome: tiemeng::domain::case::Outcome::Completed, count: 1, narrative: "已核查".into()
            };
        if duty.act(&case.id, &Action::Outcome(outcome)).await.is_err() {
            return None;
        }
        let resolved = eventually(PATIENCE, || async {
            liaison.case(&case.id).await.is_ok_and(|d| d.case.targets[0].state == TargetState::Resolved)
        })
        .await;
        let close = Action::Close(CloseInput { evaluation: 5, comment: None, targets: vec![] });
        (resolved && liaison.act(&case.id, &close).await.is_ok()).then_some(case.id)
    }

    /// True once the node `officer` works at holds `partner`'s receipt for its envelope of
    /// `kind` on `case`: a node records a receipt as it takes the envelope off its queue.
    async fn receipted(officer: &tiemeng::client::ApiClient, case: &CaseId, kind: Kind, partner: &str) -> bool {
        officer.case(case).await.is_ok_and(|detail| {
            detail.timeline.iter().any(|e| e.kind == kind && e.receipts.iter().any(|r| r.station == partner))
        })
    }

    /// A bounded mixed workload across three nodes running as processes: no errors, memory
    /// flat within 10 % after warm-up, outboxes drained at the end. `TIEMENG_SOAK_SECS` sets
    /// the length (CI: 60 s).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_soak_across_three_nodes_has_no_errors_flat_memory_and_drained_outboxes() {
        let _memory = super::process_memory::shared().await;
        let seconds: u64 = std::env::var("TIEMENG_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
        // A small page cache: it fills within the warm-up, so what is measured after that is
        // the node's own memory, not sled caching a growing store (which is capped by cache_mb).
        let net = Arc::new(
            Net::start_with(&STATIONS, &[], |id, text| {
                support::quick_retries(id, text);
                *text = text.replace("cache_mb = 64", "cache_mb = 8");
            })
            .await,
        );
        let mut children = Vec::new();
        for station in STATIONS {
            children.push(net.spawn_process(station).await);
        }
        // `serve` restarts itself with two malloc arenas (src/cli/arenas.rs), without which
        // resident memory grows in steps as threads come and go; a value set outside is kept.
        let arenas = format!("MALLOC_ARENA_MAX={}", std::env::var("MALLOC_ARENA_MAX").unwrap_or_else(|_| "2".into()));
        for child in &children {
            let environ = std::fs::read(format!("/proc/{}/environ", child.id())).unwrap();
            assert!(environ.split(|b| *b == 0).any(|v| v == arenas.as_bytes()), "serve runs with {arenas}");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let (closed, failed) = (Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicU64::new(0)));
        let workers: Vec<_> = (0..3u64)
            .map(|seed| {
                let (net, stop, closed, failed) = (net.clone(), stop.clone(), closed.clone(), failed.clone());
                tokio::spawn(async move {
                    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
                    while !stop.load(Ordering::Relaxed) {
                        let origin = rng.gen_range(0..3);
                        let target = (origin + rng.gen_range(1..3)) % 3;
                        match story(&net, STATIONS[origin], STATIONS[target]).await {
                            Some(case) => closed.lock().unwrap().push((STATIONS[origin], STATIONS[target], case)),
                            None => _ = failed.fetch_add(1, Ordering::Relaxed),
                        }
                    }
                })
            })
            .collect();
        // RSS sampled every second; "after warm-up" is the highest sample between a quarter and
        // 40 % of the run, "at the end" the highest of the last tenth, so a burst of requests in
        // flight at one instant does not decide the result.
        let mut samples: Vec<(f64, Vec<u64>)> = Vec::new();
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_secs(seconds) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let share = started.elapsed().as_secs_f64() / seconds as f64;
            samples.push((share, children.iter().map(|c| rss_kib(c.id())).collect()));
        }
        let highest = |from: f64, to: f64| -> Vec<u64> {
            (0..children.len())
                .map(|i| {
                    samples
                        .iter()
                        .filter(|(share, _)| (from..=to).contains(share))
                        .map(|(_, rss)| rss[i])
                        .max()
                        .unwrap_or(0)
                })
                .collect()
        };
        let warm = highest(0.25, 0.40);
        let end = highest(0.90, 1.10);
        stop.store(true, Ordering::Relaxed);
        for worker in workers {
            worker.await.unwrap();
        }
        // Wait for the last deliveries, then stop the nodes and let their stores decide. A
        // story's last envelope each way is its close (origin to target) and its outcome (back).
        // A node sends a partner its queue in order and takes an envelope off once it holds the
        // receipt, so once the newest envelope each way is receipted, the queue is empty. The
        // workers record stories as they finish, which can differ from the order their
        // envelopes were queued in only among a pair's last three (one per worker); the newest
        // envelope each way is in one of those.
        let closed = closed.lock().unwrap().clone();
        let officers: BTreeMap<&str, _> =
            STATIONS.iter().map(|s| (*s, (net.officer(s, As::Liaison), net.officer(s, As::Duty)))).collect();
        let mut last: BTreeMap<(&str, &str), Vec<CaseId>> = BTreeMap::new();
        for (origin, target, case) in closed.iter().rev() {
            let newest = last.entry((*origin, *target)).or_default();
            if newest.len() < 3 {
                newest.push(*case);
            }
        }
        let waited = std::time::Instant::now();
        let mut unreceipted = Vec::new();
        for ((origin, target), cases) in &last {
            let (liaison, duty) = (&officers[origin].0, &officers[target].1);
            for case in cases {
                let both = eventually(PATIENCE, || async {
                    receipted(liaison, case, Kind::Close, target).await
                        && receipted(duty, case, Kind::Outcome, origin).await
                })
                .await;
                if !both {
                    unreceipted.push(*case);
                }
            }
        }
        let waited = waited.elapsed();
        for mut child in children {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            child.wait().unwrap();
        }
        let mut queued = 0;
        for station in STATIONS {
            let store = Store::open_existing(&net.data_dir(station)).unwrap();
            for peer in STATIONS.iter().filter(|p| **p != station) {
                queued += store.outbox_len(&peer.parse().unwrap());
            }
            store.verify_audit().unwrap();
        }
        let (done, failed) = (closed.len(), failed.load(Ordering::Relaxed));
        println!(
            "soak {seconds} s: {done} cases from request to close, {failed} failures; RSS KiB after warm-up {warm:?}, at the end {end:?}; {queued} envelopes left queued; waited {waited:?} for the last receipts"
        );
        assert_eq!(failed, 0);
        assert!(done > 10, "the workload ran");
        for (w, e) in warm.iter().zip(&end) {
            assert!(*e <= w + w / 10, "memory grew from {w} KiB to {e} KiB");
        }
        assert_eq!(unreceipted, [], "the last stories' closes and outcomes were receipted");
        assert_eq!(queued, 0, "outboxes drained");
    }
}
