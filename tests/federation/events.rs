//! The desk's live events (`/api/v1/events`): what a console left open hears, across a restart
//! of its node, filtered by what each officer may read, and never at the cost of intake.

use std::time::Duration;

use support::events::EventStream;

use super::*;

const SOON: Duration = Duration::from_secs(10);

fn events_url(net: &Net, station: &str, query: &str) -> String {
    format!("{}/api/v1/events{query}", net.url(station))
}

async fn send(net: &Net, title: &str) -> CaseId {
    let liaison = net.officer(LUOYANG, As::Liaison);
    let mut case = samples::sample(CaseKind::MissingPerson, vec![station(XIXI)], time::OffsetDateTime::now_utc());
    case.title = title.into();
    case.priority = tiemeng::domain::case::Priority::Urgent;
    liaison.create_case(&case).await.unwrap().id
}

/// A duty officer's console at 犀溪 hears each request as it arrives; after 犀溪's node was
/// down and restarted, reconnecting with the last id it saw brings every event it missed, in
/// order, once.
#[tokio::test]
async fn a_console_that_reconnects_with_its_last_event_id_misses_nothing_across_a_restart() {
    let mut net = Net::start(&[LUOYANG, XIXI]).await;
    let duty = net.officer(XIXI, As::Duty).http().clone();
    let mut stream = EventStream::open(&duty, &events_url(&net, XIXI, ""), None).await;
    let mut sent = Vec::new();
    for title in ["第一起", "第二起"] {
        sent.push(send(&net, title).await);
    }
    let mut heard = Vec::new();
    while heard.len() < 2 {
        let event = stream.next(SOON).await.expect("the request is heard while the page is open");
        if event.name == "request_received" {
            heard.push(event);
        }
    }
    assert_eq!(heard[0].data["title"], "第一起");
    assert_eq!(heard[0].data["priority"], "urgent");
    assert_eq!(heard[0].data["from"], LUOYANG);
    assert!(heard[0].id < heard[1].id, "ids increase");
    let last_seen = heard[1].id;
    drop(stream);

    // 犀溪 goes down; requests wait at 罗阳; 犀溪 comes back and receives them.
    net.stop(XIXI).await;
    for title in ["第三起", "第四起", "第五起"] {
        sent.push(send(&net, title).await);
    }
    net.restart(XIXI).await;
    let duty = net.officer(XIXI, As::Duty).http().clone();
    let xixi = net.node(XIXI).clone();
    let all_in = eventually(PATIENCE, || {
        let xixi = xixi.clone();
        let sent = sent.clone();
        async move { sent.iter().all(|id| xixi.store().case(id).unwrap().is_some()) }
    })
    .await;
    assert!(all_in, "犀溪 received everything");
    let mut resumed = EventStream::open(&duty, &events_url(&net, XIXI, ""), Some(last_seen)).await;
    let missed = resumed.drain(Duration::from_secs(2)).await;
    let titles: Vec<&str> =
        missed.iter().filter(|e| e.name == "request_received").filter_map(|e| e.data["title"].as_str()).collect();
    assert_eq!(titles, ["第三起", "第四起", "第五起"], "every missed request, in order, once");
    let ids: Vec<u64> = missed.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]) && ids[0] > last_seen, "{ids:?}");
    net.shutdown().await;
}

/// Officers who read cases hear of them; an admin, who reads no case content, hears only of
/// partner stations; an officer of another station cannot listen here at all.
#[tokio::test]
async fn each_officer_hears_only_what_their_role_may_read() {
    let mut net = Net::start(&[LUOYANG, XIXI]).await;
    let case = send(&net, "角色过滤").await;
    let xixi = net.node(LUOYANG).clone();
    let delivered = eventually(PATIENCE, || {
        let node = xixi.clone();
        async move { node.store().case(&case).unwrap().is_some_and(|c| c.targets[0].state == TargetState::Delivered) }
    })
    .await;
    assert!(delivered);
    // 犀溪 goes away: 罗阳's next delivery fails, and the desk hears the partner is unreachable.
    net.stop(XIXI).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    liaison
        .act(&case, &Action::Note(NoteInput { text: "补充".into(), targets: vec![], attachments: Vec::new() }))
        .await
        .unwrap();
    let node = net.node(LUOYANG).clone();
    let told = eventually(PATIENCE, || {
        let node = node.clone();
        async move { node.store().events_after(0, 1000).unwrap().iter().any(|(_, e)| e.name() == "partner") }
    })
    .await;
    assert!(told, "an unreachable partner is an event");

    let heard = |role: As| {
        let client = net.officer(LUOYANG, role).http().clone();
        let url = events_url(&net, LUOYANG, "?after=0");
        async move {
            let mut stream = EventStream::open(&client, &url, None).await;
            stream.drain(Duration::from_secs(1)).await.into_iter().map(|e| e.name).collect::<Vec<_>>()
        }
    };
    for role in [As::Liaison, As::Chief] {
        let names = heard(role).await;
        for name in ["request_sent", "case_updated", "partner"] {
            assert!(names.iter().any(|n| n == name), "{role:?} hears {name}: {names:?}");
        }
    }
    let admin = heard(As::Admin).await;
    assert!(!admin.is_empty() && admin.iter().all(|n| n == "partner"), "an admin hears only of partners: {admin:?}");

    let stranger = net.officer(XIXI, As::Duty);
    let refused = stranger.http().get(events_url(&net, LUOYANG, "")).send().await.unwrap();
    assert_eq!(refused.status(), 403, "犀溪's officer does not listen at 罗阳");
    net.shutdown().await;
}

/// A console that stops reading (a laptop asleep, a stuck browser) is not waited for: requests
/// are taken at the usual pace while its stream sits unread.
#[tokio::test]
async fn a_client_that_stops_reading_does_not_hold_up_intake() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let duty = net.officer(XIXI, As::Duty).http().clone();
    // Opened, then never read again.
    let _stuck: Vec<EventStream> = {
        let mut streams = Vec::new();
        for _ in 0..5 {
            streams.push(EventStream::open(&duty, &events_url(&net, XIXI, "?after=0"), None).await);
        }
        streams
    };
    let liaison = net.officer(LUOYANG, As::Liaison);
    let started = std::time::Instant::now();
    let mut sent = Vec::new();
    for i in 0..100 {
        let mut case = samples::sample(CaseKind::General, vec![station(XIXI)], time::OffsetDateTime::now_utc());
        case.title = format!("第{i}起");
        sent.push(liaison.create_case(&case).await.unwrap().id);
    }
    let xixi = net.node(XIXI).clone();
    let all_in = eventually(PATIENCE, || {
        let xixi = xixi.clone();
        let sent = sent.clone();
        async move { sent.iter().all(|id| xixi.store().case(id).unwrap().is_some()) }
    })
    .await;
    assert!(all_in, "犀溪 took every request while five streams sat unread ({:?})", started.elapsed());
    net.shutdown().await;
}

/// `tiemeng watch` at a terminal: each event a line (here `--json`, for a script); when the
/// node restarts under it, it reconnects by itself and picks up where it stopped.
#[tokio::test]
async fn watch_prints_events_and_picks_up_after_a_restart() {
    use std::io::BufRead;
    let mut net = Net::start(&[LUOYANG, XIXI]).await;
    let (cert, key) = net.officer_files(LUOYANG, As::Liaison);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng"))
        .args(["watch", "--json", "--after", "0", "--url", &net.url(LUOYANG), "--ca"])
        .arg(&net.devnet.layout.ca_bundle)
        .arg("--cert")
        .arg(cert)
        .arg("--key")
        .arg(key)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    send(&net, "开机前").await;
    let first = printed(&mut lines, "开机前").await.expect("watch prints the request");
    net.restart(LUOYANG).await;
    send(&net, "重启后").await;
    let second = printed(&mut lines, "重启后").await.expect("watch reconnects by itself and prints what came after");
    assert!(second > first);
    child.kill().unwrap();
    let _ = child.wait();
    net.shutdown().await;
}

/// The id of the `request_sent` event titled `title` among the lines `watch --json` prints.
async fn printed(lines: &mut tokio::sync::mpsc::UnboundedReceiver<String>, title: &str) -> Option<u64> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while let Ok(Some(line)) = tokio::time::timeout_at(deadline, lines.recv()).await {
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        if event["event"]["type"] == "request_sent" && event["event"]["title"] == title {
            return event["id"].as_u64();
        }
    }
    None
}

/// An urgent request's acknowledgement is due 10 minutes after sending: two minutes before, the
/// desk at 犀溪 is warned; when it passes, told; each once. 罗阳 hears the same of its target.
#[tokio::test]
async fn the_desk_is_warned_before_a_deadline_and_told_when_it_passes_once_each() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let duty = net.officer(XIXI, As::Duty).http().clone();
    let mut stream = EventStream::open(&duty, &events_url(&net, XIXI, ""), None).await;
    let case = send(&net, "特急签收").await;
    let deadline_of = |events: &[support::events::Received]| {
        events
            .iter()
            .filter(|e| e.name == "deadline" && e.data["case"] == case.to_string())
            .map(|e| (e.data["owed"].as_str().unwrap().to_owned(), e.data["passed"].as_bool().unwrap()))
            .collect::<Vec<_>>()
    };
    let advance = |by| {
        for clock in net.clocks.values() {
            clock.advance(by);
        }
    };
    // Deadlines run from delivery: wait until 犀溪 holds the request.
    let arrived = stream.next(SOON).await.expect("the request arrives");
    assert_eq!(arrived.name, "request_received");
    advance(time::Duration::minutes(8) + time::Duration::seconds(30));
    // The watch looks every 5 s: the first event within two rounds, and no second in the next.
    let mut heard = Vec::new();
    while deadline_of(&heard).is_empty() {
        heard.push(stream.next(Duration::from_secs(12)).await.expect("the desk is warned"));
    }
    heard.extend(stream.drain(Duration::from_secs(6)).await);
    assert_eq!(deadline_of(&heard), [("ack".to_owned(), false)], "warned once, 90 s before");
    advance(time::Duration::minutes(2));
    let mut heard = Vec::new();
    while deadline_of(&heard).is_empty() {
        heard.push(stream.next(Duration::from_secs(12)).await.expect("the desk is told"));
    }
    heard.extend(stream.drain(Duration::from_secs(6)).await);
    assert_eq!(deadline_of(&heard), [("ack".to_owned(), true)], "told once that it passed");
    let chief = net.officer(LUOYANG, As::Chief).http().clone();
    let mut at_origin = EventStream::open(&chief, &events_url(&net, LUOYANG, "?after=0"), None).await;
    let heard = at_origin.drain(Duration::from_secs(2)).await;
    assert_eq!(deadline_of(&heard), [("ack".to_owned(), false), ("ack".to_owned(), true)], "the origin too");
    net.shutdown().await;
}

/// The sender is told, where it looks, when a partner cannot be reached: on the case page, in
/// the outbox and by `tiemeng case show`; and it hears when the partner is back.
#[tokio::test]
async fn the_sender_sees_where_it_looks_that_a_partner_cannot_be_reached() {
    let mut net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let case = send(&net, "对方离线").await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let told = eventually(PATIENCE, || async { !liaison.case(&case).await.unwrap().unreachable.is_empty() }).await;
    assert!(told, "the case says its partner cannot be reached");
    let detail = liaison.case(&case).await.unwrap();
    assert_eq!(detail.unreachable[0].station.as_str(), XIXI);
    assert!(detail.unreachable[0].queued >= 1 && detail.unreachable[0].code == "unreachable");
    let base = net.url(LUOYANG);
    let page = liaison.http().get(format!("{base}/console/cases/{case}")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("节点不可达") && page.contains("待投递"), "{page}");
    let outbox = liaison.http().get(format!("{base}/console/outbox")).send().await.unwrap().text().await.unwrap();
    assert!(outbox.contains("对方节点不可达"), "{outbox}");
    let shown = net.cli(LUOYANG, As::Liaison, "case", &["show", &case.to_string()]).await;
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("寿宁县公安局犀溪派出所 节点不可达"), "{shown}");

    net.restart(XIXI).await;
    wait_for_state(&liaison, &case, XIXI, TargetState::Delivered).await;
    assert!(liaison.case(&case).await.unwrap().unreachable.is_empty(), "back: nothing to say");
    let node = net.node(LUOYANG).clone();
    let partner_events: Vec<bool> = node
        .store()
        .events_after(0, 1000)
        .unwrap()
        .into_iter()
        .filter_map(|(_, e)| match e.what {
            tiemeng::events::What::Partner { reachable, .. } => Some(reachable),
            _ => None,
        })
        .collect();
    assert_eq!(partner_events, [false, true], "the desk heard it go and come back");
    net.shutdown().await;
}
