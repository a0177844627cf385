//! Reliability with real processes and real disks: backups taken while serving and restored,
//! crashes, full disks. (Network faults are in `faults.rs`, the multi-node simulation in
//! `simulation.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restored_from_an_older_backup_gets_back_what_its_peer_holds() {
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

    // Afterwards: a request each way, each acknowledged by the other side.
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

    fn audit_verify(data: &std::path::Path) -> Result<String, String> {
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
    async fn load(
        net_url: String,
        client: tiemeng::client::ApiClient,
        acknowledged: Arc<Mutex<Vec<CaseId>>>,
        stop: Arc<AtomicBool>,
    ) {
        let xixi: tiemeng::ids::StationId = XIXI.parse().unwrap();
        let _ = net_url;
        while !stop.load(Ordering::Relaxed) {
            let request = samples::sample(CaseKind::General, vec![xixi.clone()], time::OffsetDateTime::now_utc());
            match client.create_case(&request).await {
                Ok(case) => acknowledged.lock().unwrap().push(case.id),
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// 犀溪 works what arrives: acknowledges requests and sends some of its own to 罗阳.
    async fn partner(duty: tiemeng::client::ApiClient, liaison: tiemeng::client::ApiClient, stop: Arc<AtomicBool>) {
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
        let net = Net::partial(&[LUOYANG, XIXI], &[XIXI]).await;
        let data = net.data_dir(LUOYANG);
        let mut rng = rand::rngs::StdRng::seed_from_u64(20261123);
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let mut a = net.spawn_process(LUOYANG).await;
        let loaders: Vec<_> = (0..3)
            .map(|_| {
                tokio::spawn(load(
                    net.url(LUOYANG),
                    net.officer(LUOYANG, As::Liaison),
                    acknowledged.clone(),
                    stop.clone(),
                ))
            })
            .collect();
        let partner = tokio::spawn(partner(net.officer(XIXI, As::Duty), net.officer(XIXI, As::Liaison), stop.clone()));
        let total = kills();
        for kill in 0..total {
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
    struct SmallDisk {
        dir: tempfile::TempDir,
    }

    impl SmallDisk {
        fn mount(size: &str) -> Self {
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

        fn path(&self) -> &std::path::Path {
            self.dir.path()
        }

        /// Fills the disk but for about `spare` bytes.
        fn fill(&self, spare: u64) {
            let ballast = self.path().join("ballast");
            let free = fs_free(self.path());
            let size = free.saturating_sub(spare);
            std::fs::write(&ballast, vec![0u8; usize::try_from(size).unwrap()]).ok();
        }

        fn make_room(&self) {
            let _ = std::fs::remove_file(self.path().join("ballast"));
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
