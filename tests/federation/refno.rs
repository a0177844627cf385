//! Reference numbers (协查文号): given 1, 2, 3… per year at the origin in the unit that stores
//! the case, the same at the partner, never given twice (not after a restart, not after a
//! restore from an older backup), and accepted wherever a case id is.

use std::time::Duration;

use super::support::{As, LUOYANG, Net, XIXI, eventually};
use tiemeng::case::CaseRecord;
use tiemeng::client::{ApiClient, ClientError};
use tiemeng::domain::details::CaseKind;
use tiemeng::domain::refno::RefNo;
use tiemeng::ids::StationId;
use tiemeng::samples;

const PATIENCE: Duration = Duration::from_secs(20);

fn xixi() -> StationId {
    XIXI.parse().unwrap()
}

/// The year in Beijing time at `at`.
fn year_of(at: time::OffsetDateTime) -> u16 {
    u16::try_from(tiemeng::clock::beijing_date(at).year()).unwrap()
}

async fn send(client: &ApiClient, net: &Net) -> CaseRecord {
    let now = net.clocks[LUOYANG].now();
    client.create_case(&samples::sample(CaseKind::General, vec![xixi()], now)).await.unwrap()
}

fn number(case: &CaseRecord) -> (u16, u32) {
    let refno = case.refno.as_ref().expect("a reference number");
    (refno.year, refno.number)
}

/// `s` percent-encoded as one path segment, as a browser sends a typed URL.
fn encoded(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn numbers_count_from_one_at_the_origin_and_are_the_same_at_the_partner() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let year = year_of(net.clocks[LUOYANG].now());
    let mut sent = Vec::new();
    for _ in 0..3 {
        sent.push(send(&liaison, &net).await);
    }
    let numbers: Vec<_> = sent.iter().map(number).collect();
    assert_eq!(numbers, [(year, 1), (year, 2), (year, 3)]);
    let label = |n: u32| format!("泰罗阳协〔{year}〕{n}号");
    assert_eq!(sent[1].refno, Some(RefNo { year, number: 2, label: label(2) }));

    // 犀溪 holds the number as 罗阳 signed it.
    let duty = net.officer(XIXI, As::Duty);
    let arrived = eventually(PATIENCE, || async {
        let mut all = true;
        for case in &sent {
            all &= net.node(XIXI).store().case(&case.id).unwrap().is_some_and(|c| c.refno == case.refno);
        }
        all
    })
    .await;
    assert!(arrived, "犀溪 did not get the numbered requests");

    // The API opens a case by its label (percent-encoded), by the ASCII form at the origin,
    // and by the origin's ASCII form at the partner.
    assert_eq!(duty.case(&label(2)).await.unwrap().case.id, sent[1].id);
    assert_eq!(liaison.case(&format!("{year}-3")).await.unwrap().case.id, sent[2].id);
    assert_eq!(duty.case(&format!("{LUOYANG}:{year}-1")).await.unwrap().case.id, sent[0].id);
    // At 犀溪, 2026-1 is 犀溪's own number 1, which it has not given.
    for unknown in [format!("{year}-1"), label(9), "泰罗阳协〔1999〕1号".to_owned()] {
        match duty.case(&unknown).await {
            Err(ClientError::Problem(problem)) => {
                assert_eq!((problem.status, problem.code.as_str()), (404, "case_not_found"), "{unknown}");
                assert_eq!(problem.title, "未找到该协查");
                assert!(problem.detail.contains(&unknown) && problem.detail.contains("本站没有"), "{}", problem.detail);
            }
            other => panic!("{unknown}: {other:?}"),
        }
    }

    // The console opens the case page by number and shows it in the header and the rows.
    let get = |station: &'static str, role: As, path: String| {
        let client = net.officer(station, role);
        let url = format!("{}{path}", net.url(station));
        async move {
            let response = client.http().get(url).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, page) = get(XIXI, As::Duty, format!("/console/cases/{}", encoded(&label(3)))).await;
    assert_eq!(status, 200);
    assert!(page.contains(&sent[2].id.to_string()) && page.contains(&label(3)), "{page}");
    let (status, _) = get(LUOYANG, As::Liaison, format!("/console/cases/{year}-2")).await;
    assert_eq!(status, 200);
    let (status, page) = get(XIXI, As::Duty, format!("/console/cases/{}", encoded(&label(8)))).await;
    assert_eq!(status, 404);
    assert!(page.contains("未找到该协查"), "{page}");
    // The box in the top bar takes a number as typed and goes to the case's page.
    let (status, page) = get(XIXI, As::Duty, format!("/console/open?q={}", encoded(&label(2)))).await;
    assert_eq!(status, 200);
    assert!(page.contains(&sent[1].id.to_string()), "{page}");
    let (status, page) = get(XIXI, As::Duty, "/console/open?q=2099-1".to_owned()).await;
    assert_eq!(status, 404);
    assert!(page.contains("未找到该协查"), "{page}");
    let (_, inbox) = get(XIXI, As::Duty, "/console/inbox".to_owned()).await;
    assert!((1..=3).all(|n| inbox.contains(&label(n))), "{inbox}");

    // The API document says so, and describes the number a case carries.
    let doc = super::support::get_json(liaison.http(), &format!("{}/api/v1/openapi.json", net.url(LUOYANG))).await;
    assert!(doc["info"]["description"].as_str().unwrap().contains("2026-12"));
    assert!(doc["components"]["schemas"]["RefNo"]["properties"]["label"].is_object(), "{}", doc["components"]);
    assert!(doc["components"]["schemas"]["CaseRecord"]["properties"]["refno"].is_object());

    // The command line shows and lists cases with their numbers and opens one by it.
    let shown = net.cli(XIXI, As::Duty, "case", &["show", &label(1)]).await;
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    assert!(text.contains(&label(1)) && text.contains(&sent[0].id.to_string()), "{text}");
    let listed = net.cli(LUOYANG, As::Liaison, "case", &["list", "--outbox"]).await;
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!((1..=3).all(|n| text.contains(&label(n))), "{text}");
    let missing = net.cli(LUOYANG, As::Liaison, "case", &["show", &format!("{year}-77")]).await;
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("未找到该协查"), "{missing:?}");
    net.shutdown().await;
}

#[tokio::test]
async fn numbers_are_not_given_again_after_a_restart_and_start_at_one_in_a_new_year() {
    let mut net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let year = year_of(net.clocks[LUOYANG].now());
    assert_eq!(number(&send(&liaison, &net).await), (year, 1));
    assert_eq!(number(&send(&liaison, &net).await), (year, 2));
    net.restart(LUOYANG).await;
    assert_eq!(number(&send(&liaison, &net).await), (year, 3));

    // To a minute past midnight, 1 January, Beijing time.
    let now = net.clocks[LUOYANG].now();
    let new_year = time::Date::from_calendar_date(i32::from(year) + 1, time::Month::January, 1)
        .unwrap()
        .midnight()
        .assume_offset(tiemeng::clock::BEIJING);
    net.clocks[LUOYANG].advance(new_year - now + time::Duration::minutes(1));
    assert_eq!(number(&send(&liaison, &net).await), (year + 1, 1));
    net.restart(LUOYANG).await;
    assert_eq!(number(&send(&liaison, &net).await), (year + 1, 2));
    // Last year's numbers still name their cases.
    assert_eq!(number(&liaison.case(&format!("{year}-3")).await.unwrap().case), (year, 3));
    net.shutdown().await;
}

#[tokio::test]
async fn after_a_restore_from_an_older_backup_no_number_a_partner_holds_is_given_again() {
    let mut net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let year = year_of(net.clocks[LUOYANG].now());
    assert_eq!(number(&send(&liaison, &net).await), (year, 1));
    let backup = net.dir.path().join("luoyang.tiemeng-backup");
    net.node(LUOYANG).store().backup(&backup, net.clocks[LUOYANG].now()).unwrap();

    // Sent after the backup, and held by 犀溪.
    let later = [send(&liaison, &net).await, send(&liaison, &net).await];
    let held = eventually(PATIENCE, || async {
        later.iter().all(|case| net.node(XIXI).store().case(&case.id).unwrap().is_some())
    })
    .await;
    assert!(held, "犀溪 did not get the later requests");

    net.stop(LUOYANG).await;
    let data = net.data_dir(LUOYANG);
    std::fs::remove_dir_all(&data).unwrap();
    tiemeng::store::backup::restore(&backup, &data).unwrap();
    net.restart(LUOYANG).await;
    let back = eventually(PATIENCE, || async { net.node(LUOYANG).store().case(&later[1].id).unwrap().is_some() }).await;
    assert!(back, "罗阳 did not get its requests back from 犀溪");
    assert_eq!(number(&send(&liaison, &net).await), (year, 4));
    // The numbers taken back name their cases again.
    assert_eq!(liaison.case(&format!("{year}-3")).await.unwrap().case.id, later[1].id);
    net.shutdown().await;
}
