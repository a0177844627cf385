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
