//! Search: the index finds exactly what reading every case finds, a received request is
//! found at the station it was sent to, a station finds only its own cases, and every search
//! is in the audit chain.

use std::time::Duration;

use rand::SeedableRng;
use tiemeng::domain::details::{CaseDetails, CaseKind};
use tiemeng::domain::lifecycle::TargetState;
use tiemeng::ids::{CaseId, OfficerId, StationId};
use tiemeng::node::{Action, NewCase, Node, Officer, SearchInput, WithdrawInput};
use tiemeng::store::SearchField;

use super::support::{As, LUOYANG, MAZHAN, Net, XIXI, eventually};

fn officer(node: &Node, badge: &str) -> Officer {
    node.officer(&OfficerId { station: node.station().clone(), badge: badge.parse().unwrap() }).unwrap()
}

/// Every page of a search through the node, in order, with the fields each case matched.
async fn all_pages(node: &Node, officer: &Officer, mut input: SearchInput) -> Vec<(CaseId, Vec<SearchField>)> {
    input.limit = 7;
    let mut out = Vec::new();
    loop {
        let page = node.search(officer, &input).await.unwrap();
        out.extend(page.found.into_iter().map(|f| (f.case.id, f.matched)));
        match page.next {
            Some(next) => input.cursor = Some(next),
            None => return out,
        }
    }
}

/// What an officer would type to find a generated request, by each thing it names.
fn queries_for(new: &NewCase) -> Vec<String> {
    let mut out = Vec::new();
    match &new.details {
        CaseDetails::MissingPerson(d) => {
            out.push(d.name.clone());
            if let Some(id) = &d.id_number {
                out.push(format!("尾号{}", &id.as_str()[14..]));
                out.push(id.as_str().to_owned());
            }
        }
        CaseDetails::Fugitive(d) => {
            out.push(d.name.clone());
            out.push(d.warrant_number.clone());
            if let Some(plate) = d.vehicles.iter().find_map(|v| v.plate.as_ref()) {
                out.push(plate.formatted());
            }
            if let Some(id) = &d.id_number {
                out.push(format!("身份证尾号 {}", &id.as_str()[12..]));
            }
        }
        CaseDetails::SerialTheft(d) => {
            out.extend(d.linked_case_numbers.first().cloned());
            out.extend(d.suspects.first().and_then(|s| s.name.clone()));
            if let Some(plate) = d.vehicles.iter().find_map(|v| v.plate.as_ref()) {
                out.push(plate.as_str().to_lowercase());
            }
        }
        CaseDetails::General(d) => out.push(d.subject.clone()),
        CaseDetails::Dispute(_) => {}
    }
    out
}

#[tokio::test]
async fn the_index_finds_exactly_what_a_full_scan_finds() {
    let net = Net::partial(&[LUOYANG, XIXI, MAZHAN], &[LUOYANG]).await;
    let node = net.node(LUOYANG).clone();
    let liaison = officer(&node, "330329001");
    let (xixi, mazhan): (StationId, StationId) = (XIXI.parse().unwrap(), MAZHAN.parse().unwrap());
    let mut rng = rand::rngs::StdRng::seed_from_u64(23);
    let now = net.clocks[LUOYANG].now();
    let start = now - time::Duration::days(60);
    let requests: Vec<(NewCase, time::OffsetDateTime)> = (0..300)
        .map(|i| {
            let at = start + time::Duration::hours(4 * i);
            let targets = match i % 3 {
                0 => vec![xixi.clone()],
                1 => vec![mazhan.clone()],
                _ => vec![xixi.clone(), mazhan.clone()],
            };
            (tiemeng::bench::workload::new_case(&mut rng, targets, at), at)
        })
        .collect();
    let created = node.create_cases(&liaison, requests.clone()).await.unwrap();
    let withdrawals = created
        .iter()
        .step_by(5)
        .map(|case| {
            let input = WithdrawInput {
                reason: tiemeng::domain::case::WithdrawReason::EnteredInError,
                message: None,
                targets: vec![],
            };
            (case.id, Action::Withdraw(input), now)
        })
        .collect();
    node.act_many(&liaison, withdrawals).await.unwrap();

    // Each of these names a stored case, so each must find at least that one.
    let mut named: Vec<String> = requests.iter().step_by(13).flat_map(|(new, _)| queries_for(new)).collect();
    named.extend(created.iter().step_by(41).filter_map(|c| c.refno.as_ref()).map(|r| r.label.clone()));
    let mut queries = named.clone();
    queries.extend(["王", "罗阳镇", "罗阳镇 王", "马站镇 浙", "ＴＨＥ", "不存在的词", "暂住人员"].map(String::from));
    let mut inputs: Vec<SearchInput> =
        queries.iter().map(|q| SearchInput { q: q.clone(), ..SearchInput::default() }).collect();
    let day = |days: i64| (start + time::Duration::days(days)).to_offset(tiemeng::clock::BEIJING).date();
    inputs.extend([
        SearchInput { q: "罗阳镇".into(), kind: Some(CaseKind::Fugitive), ..SearchInput::default() },
        SearchInput { q: String::new(), peer: Some(mazhan.clone()), ..SearchInput::default() },
        SearchInput { q: "镇".into(), state: Some(TargetState::Withdrawn), ..SearchInput::default() },
        SearchInput { q: String::new(), from: Some(day(10)), to: Some(day(12)), ..SearchInput::default() },
        SearchInput { q: "王".into(), from: Some(day(20)), ..SearchInput::default() },
        SearchInput { q: "李".into(), to: Some(day(30)), peer: Some(xixi.clone()), ..SearchInput::default() },
    ]);
    let mut found_some = 0;
    for input in inputs {
        let by_index = all_pages(&node, &liaison, input.clone()).await;
        let by_scan: Vec<(CaseId, Vec<SearchField>)> = node
            .store()
            .search_by_scan(&input.query())
            .unwrap()
            .into_iter()
            .map(|hit| (hit.case.id, hit.fields))
            .collect();
        assert_eq!(by_index, by_scan, "{input:?}");
        let must_find = named.contains(&input.q) && input.kind.is_none() && input.state.is_none();
        assert!(!must_find || !by_index.is_empty(), "{:?} names a stored case", input.q);
        found_some += usize::from(must_find);
    }
    assert!(found_some > 20, "the generated names, numbers, plates and reference numbers were asked for");

    // What an officer relies on, spelled out: the last digits of an ID find its case, and say
    // where they matched; a withdrawn case is still found; the newest comes first.
    let (missing, missing_case) = requests
        .iter()
        .zip(&created)
        .step_by(5)
        .find(|((new, _), _)| new.details.kind() == CaseKind::MissingPerson)
        .map(|((new, _), case)| (new, case))
        .unwrap();
    let CaseDetails::MissingPerson(person) = &missing.details else { unreachable!() };
    let id = person.id_number.as_ref().unwrap().as_str();
    let last4 = SearchInput { q: format!("尾号{}", &id[14..]), ..SearchInput::default() };
    let found = all_pages(&node, &liaison, last4).await;
    let hit = found.iter().find(|(case, _)| *case == missing_case.id).expect("found by the last 4 digits");
    assert_eq!(hit.1, [SearchField::ResidentId]);
    let by_name = all_pages(&node, &liaison, SearchInput { q: person.name.clone(), ..SearchInput::default() }).await;
    assert!(by_name.iter().any(|(case, fields)| *case == missing_case.id && fields.contains(&SearchField::Name)));
    let everything = all_pages(&node, &liaison, SearchInput::default()).await;
    let newest_first: Vec<CaseId> = created.iter().rev().map(|c| c.id).collect();
    assert_eq!(everything.iter().map(|(id, _)| *id).collect::<Vec<_>>(), newest_first);

    // A store written before the index (its entries and marker gone) has it built on opening.
    let dir = net.data_dir(LUOYANG);
    let mut net = net;
    drop(node);
    net.stop(LUOYANG).await;
    {
        let store = tiemeng::store::Store::open_existing(&dir).unwrap();
        store.forget_search_index_for_tests().unwrap();
    }
    net.restart(LUOYANG).await;
    let node = net.node(LUOYANG).clone();
    let again = all_pages(
        &node,
        &officer(&node, "330329001"),
        SearchInput { q: person.name.clone(), ..SearchInput::default() },
    )
    .await;
    assert_eq!(again, by_name, "rebuilt on opening");
    net.shutdown().await;
}

#[tokio::test]
async fn a_received_request_is_found_at_its_target_and_only_there_and_each_search_is_audited() {
    let net = Net::start(&[LUOYANG, XIXI, MAZHAN]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let mut to_xixi = tiemeng::samples::sample(CaseKind::Fugitive, vec![XIXI.parse().unwrap()], now);
    if let CaseDetails::Fugitive(d) = &mut to_xixi.details {
        d.name = "欧阳铁柱".into();
    }
    let mut to_mazhan = tiemeng::samples::sample(CaseKind::MissingPerson, vec![MAZHAN.parse().unwrap()], now);
    if let CaseDetails::MissingPerson(d) = &mut to_mazhan.details {
        d.name = "司马翠花".into();
    }
    let sent = liaison.create_case(&to_xixi).await.unwrap();
    let other = liaison.create_case(&to_mazhan).await.unwrap();
    let xixi_node = net.node(XIXI).clone();
    assert!(
        eventually(Duration::from_secs(20), || async { xixi_node.store().case(&sent.id).unwrap().is_some() }).await,
        "西溪 received the request"
    );
    let duty = net.officer(XIXI, As::Duty);
    let found = duty.search(&[("q", "欧阳铁柱")]).await.unwrap();
    assert_eq!(found.results.iter().map(|r| r.case.id).collect::<Vec<_>>(), [sent.id]);
    assert_eq!(found.results[0].matched, [SearchField::Name]);
    let plate = duty.search(&[("q", "浙C·7K2X9"), ("kind", "fugitive")]).await.unwrap();
    assert_eq!(plate.results.iter().map(|r| r.case.id).collect::<Vec<_>>(), [sent.id], "by its plate");
    assert!(duty.search(&[("q", "司马翠花")]).await.unwrap().results.is_empty(), "马站's case is not 西溪's");
    assert!(duty.search(&[("q", "欧阳铁柱"), ("state", "closed")]).await.unwrap().results.is_empty());
    let listed = duty.search(&[]).await.unwrap();
    assert_eq!(listed.results.iter().map(|r| r.case.id).collect::<Vec<_>>(), [sent.id], "西溪 holds one case");
    let at_origin = liaison.search(&[("q", "司马翠花")]).await.unwrap();
    assert_eq!(at_origin.results.iter().map(|r| r.case.id).collect::<Vec<_>>(), [other.id]);
    let refno = sent.refno.clone().unwrap().label;
    let by_refno = duty.search(&[("q", &refno)]).await.unwrap();
    assert_eq!(by_refno.results[0].case.id, sent.id);
    assert!(by_refno.results[0].matched.contains(&SearchField::Refno), "{:?}", by_refno.results[0].matched);

    // The command line: a table in Chinese with the number, kind, title and what matched.
    let output = net.cli(XIXI, As::Duty, "case", &["search", "欧阳", "铁柱", "--state", "delivered"]).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8(output.stdout).unwrap();
    assert!(printed.starts_with("搜索“欧阳 铁柱”：1 件"), "{printed}");
    assert!(printed.contains(&refno) && printed.contains("在逃人员") && printed.contains("匹配：姓名"), "{printed}");
    let output = net.cli(XIXI, As::Duty, "case", &["--json", "search", "司马翠花"]).await;
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(parsed["results"].as_array().map(Vec::len), Some(0), "{parsed}");
    let output = net.cli(XIXI, As::Duty, "case", &["search", "x", "--from", "tomorrow"]).await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("2026-12-01"), "says what a day looks like");

    let audit = xixi_node.store().audit_entries(0, 1000).unwrap();
    let searches: Vec<&str> =
        audit.iter().filter(|e| e.action == "case.search").filter_map(|e| e.detail.as_deref()).collect();
    assert!(searches.contains(&"q=欧阳铁柱"), "{searches:?}");
    assert!(searches.contains(&"q=浙C·7K2X9 kind=fugitive"), "{searches:?}");
    net.shutdown().await;
}
