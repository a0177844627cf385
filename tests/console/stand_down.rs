//! A decisive outcome at one target on the other targets' pages and rows, and the origin's
//! stand-down form.

use std::time::Duration;

use super::support::{As, LUOYANG, MAZHAN, Net, QIANQI, XIXI, eventually};
use super::{get, post, token};
use tiemeng::domain::case::Outcome;
use tiemeng::domain::details::CaseKind;
use tiemeng::domain::lifecycle::TargetState;
use tiemeng::node::{AckInput, Action, OutcomeInput};
use tiemeng::samples;

#[tokio::test]
async fn an_interception_shows_at_the_other_targets_and_the_origin_stands_them_down_from_its_page() {
    let net = Net::start(&[LUOYANG, XIXI, MAZHAN, QIANQI]).await;
    let origin = net.officer(LUOYANG, As::Liaison);
    let targets = [XIXI, MAZHAN, QIANQI].map(|t| t.parse().unwrap()).to_vec();
    let case = origin
        .create_case(&samples::sample(CaseKind::Fugitive, targets, time::OffsetDateTime::now_utc()))
        .await
        .unwrap();
    let delivered = eventually(Duration::from_secs(20), || async {
        let at_origin = origin.case(&case.id).await.unwrap();
        at_origin.case.targets.iter().all(|t| t.state == TargetState::Delivered)
    })
    .await;
    assert!(delivered);
    let xixi = net.officer(XIXI, As::Duty);
    xixi.act(&case.id, &Action::Ack(AckInput::default())).await.unwrap();
    let outcome =
        OutcomeInput { outcome: Outcome::Intercepted, count: 1, narrative: "在犀溪收费站拦截".into() };
    xixi.act(&case.id, &Action::Outcome(outcome)).await.unwrap();
    let mazhan = net.officer(MAZHAN, As::Duty);
    let heard =
        eventually(Duration::from_secs(20), || async { mazhan.case(&case.id).await.unwrap().decisive.is_some() });
    assert!(heard.await, "马站 never heard of the interception");

    // 马站's page leads with it, in Chinese and in English; its inbox row says it too.
    let path = format!("/console/cases/{}", case.id);
    let (status, page) = get(&net, MAZHAN, As::Duty, &path).await;
    assert_eq!(status, 200);
    let line = page.find("class=\"box decisive\"").expect("the decisive line");
    assert!(line < page.find("各协查单位状态").unwrap(), "it comes before everything else about the case");
    assert!(
        page[line..].starts_with("class=\"box decisive\" role=\"status\"><strong>寿宁县公安局犀溪派出所 已拦截 · "),
        "{page}"
    );
    assert!(
        page.contains("其他协查单位") && page.contains("原报文签名已验证"),
        "the co-targets and the relays: {page}"
    );
    assert!(!page.contains("其余单位撤回"), "a target is not offered the stand-down");
    let (_, english) = get(&net, MAZHAN, As::Duty, &format!("{path}?lang=en")).await;
    assert!(english.contains("intercepted · ") && english.contains("this station can stop searching"), "{english}");
    let (_, inbox) = get(&net, MAZHAN, As::Duty, "/console/inbox").await;
    assert!(inbox.contains("class=\"badge decisive\">寿宁县公安局犀溪派出所 已拦截 · "), "{inbox}");

    // The origin's page offers the stand-down with 已到案 chosen; posting it withdraws both.
    let (_, page) = get(&net, LUOYANG, As::Liaison, &path).await;
    assert!(
        page.contains("其余单位撤回") && page.contains("<option value=\"in_custody\" selected>已到案</option>"),
        "{page}"
    );
    assert!(page.contains("将撤回：苍南县公安局马站派出所、福鼎市公安局前岐派出所"), "{page}");
    let (_, reader) = get(&net, LUOYANG, As::Duty, &path).await;
    assert!(!reader.contains("其余单位撤回"), "only officers who may withdraw are offered it");
    let csrf = token(&page);
    let form =
        [("csrf", csrf.as_str()), ("reason", "in_custody"), ("message", "嫌疑人已在犀溪落网"), ("confirm", "yes")];
    let (status, _, done) = post(&net, LUOYANG, As::Liaison, &format!("{path}/stand-down"), &form, None).await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("其余单位已撤回"), "{done}");
    let states: Vec<_> =
        origin.case(&case.id).await.unwrap().case.targets.iter().map(|t| (t.station.to_string(), t.state)).collect();
    assert_eq!(
        states,
        [
            (XIXI.to_owned(), TargetState::Resolved),
            (MAZHAN.to_owned(), TargetState::Withdrawn),
            (QIANQI.to_owned(), TargetState::Withdrawn)
        ]
    );
    for (station, officer) in [(MAZHAN, &mazhan), (QIANQI, &net.officer(QIANQI, As::Duty))] {
        let withdrawn = eventually(Duration::from_secs(20), || async {
            officer.case(&case.id).await.unwrap().case.targets[0].state == TargetState::Withdrawn
        });
        assert!(withdrawn.await, "{station} was not stood down");
    }
    let (_, after) = get(&net, LUOYANG, As::Liaison, &path).await;
    assert!(!after.contains("其余单位撤回"), "nothing is left to stand down");
    net.shutdown().await;
}
