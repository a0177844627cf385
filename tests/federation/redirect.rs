//! 改发: a partner declines and suggests another station; the origin sends the request again
//! there (from the command line, or from the console's form filled in from the declined one),
//! as a new numbered request that names the declined one, signed, and both cases show the link.

use std::time::Duration;

use super::support::{As, LUOYANG, MAZHAN, Net, QIANQI, XIXI, eventually};
use tiemeng::client::ClientError;
use tiemeng::domain::case::DeclineReason;
use tiemeng::domain::details::CaseKind;
use tiemeng::domain::lifecycle::TargetState;
use tiemeng::ids::{CaseId, StationId};
use tiemeng::node::{Action, DeclineInput, RedirectOf};
use tiemeng::samples;

const PATIENCE: Duration = Duration::from_secs(20);

fn station(id: &str) -> StationId {
    id.parse().unwrap()
}

async fn get(net: &Net, at: &str, role: As, path: &str) -> (u16, String) {
    let client = net.officer(at, role);
    let response = client.http().get(format!("{}{path}", net.url(at))).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn token(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a form token") + "name=\"csrf\" value=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn a_declined_request_is_sent_to_the_suggested_station_and_both_cases_show_the_link() {
    let net = Net::start(&[LUOYANG, XIXI, MAZHAN, QIANQI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = net.clocks[LUOYANG].now();
    let declined = liaison.create_case(&samples::sample(CaseKind::General, vec![station(XIXI)], now)).await.unwrap();
    let kept = liaison.create_case(&samples::sample(CaseKind::Dispute, vec![station(XIXI)], now)).await.unwrap();
    let refno = declined.refno.clone().unwrap().label;
    let xixi_duty = net.officer(XIXI, As::Duty);
    assert!(eventually(PATIENCE, || async { xixi_duty.case(&declined.id).await.is_ok() }).await);
    let decline = DeclineInput {
        reason: DeclineReason::NotOurArea,
        message: "该地属马站辖区".into(),
        suggested_station: Some(station(MAZHAN)),
    };
    xixi_duty.act(&declined.id, &Action::Decline(decline)).await.unwrap();
    let heard = eventually(PATIENCE, || async {
        let case = liaison.case(&declined.id).await.unwrap().case;
        case.targets[0].state == TargetState::Declined
    })
    .await;
    assert!(heard, "罗阳 did not hear of the decline");
    let names = |id: &str| net.config(id).station.name;

    // The suggestion is shown: case page (with the 改发 button), outbox list, command line.
    let (_, page) = get(&net, LUOYANG, As::Liaison, &format!("/console/cases/{}", declined.id)).await;
    let link = format!("/console/new/general?redirect={}&amp;station={XIXI}", declined.id);
    assert!(page.contains("建议改发") && page.contains(&names(MAZHAN)) && page.contains(&link), "{page}");
    let (_, outbox) = get(&net, LUOYANG, As::Liaison, "/console/outbox?all=1").await;
    assert!(outbox.contains("建议改发"), "{outbox}");
    let shown = net.cli(LUOYANG, As::Liaison, "case", &["show", &refno]).await;
    assert!(stdout(&shown).contains(&format!("建议改发：{}", names(MAZHAN))), "{}", stdout(&shown));
    // A duty officer, who may not send requests, gets no button.
    let (_, page) = get(&net, LUOYANG, As::Duty, &format!("/console/cases/{}", declined.id)).await;
    assert!(!page.contains(&link));

    // Only a target that declined can be redirected: refused with a stable code, nothing sent.
    let sent_before = liaison.list(tiemeng::store::Mailbox::Outbox, "").await.unwrap().cases.len();
    let mut not_declined = samples::sample(CaseKind::General, vec![station(MAZHAN)], now);
    not_declined.redirect_of = Some(RedirectOf { case: kept.id, station: station(XIXI) });
    match liaison.create_case(&not_declined).await {
        Err(ClientError::Problem(problem)) => {
            assert_eq!((problem.status, problem.code.as_str()), (409, "not_declined"), "{problem:?}");
            assert!(problem.detail.contains("退回"), "{}", problem.detail);
        }
        other => panic!("a redirect of a request no one declined: {other:?}"),
    }
    let refused = net.cli(LUOYANG, As::Liaison, "case", &["redirect", &kept.id.to_string(), "--yes"]).await;
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("not_declined"));
    // Without --yes the command shows what it would send, and sends nothing.
    let preview = net.cli(LUOYANG, As::Liaison, "case", &["redirect", &refno]).await;
    assert!(preview.status.success());
    assert!(stdout(&preview).contains("--yes") && stdout(&preview).contains(&names(MAZHAN)), "{}", stdout(&preview));
    assert_eq!(liaison.list(tiemeng::store::Mailbox::Outbox, "").await.unwrap().cases.len(), sent_before);

    // 改发 from the command line, to the station the decline suggested; run twice, sent once.
    for _ in 0..2 {
        let sent = net.cli(LUOYANG, As::Liaison, "case", &["redirect", &refno, "--yes"]).await;
        assert!(sent.status.success(), "{}", String::from_utf8_lossy(&sent.stderr));
    }
    let redirects = liaison.case(&declined.id).await.unwrap().redirects;
    assert_eq!(redirects.len(), 1, "{redirects:?}");
    assert_eq!((redirects[0].to.clone(), redirects[0].declined_by.as_str()), (vec![station(MAZHAN)], XIXI));
    let first: CaseId = redirects[0].case;

    // 马站 gets it as a request of its own, saying which declined request it replaces.
    let mazhan_duty = net.officer(MAZHAN, As::Duty);
    assert!(eventually(PATIENCE, || async { mazhan_duty.case(&first).await.is_ok() }).await);
    let received = mazhan_duty.case(&first).await.unwrap();
    let from = &received.request["redirected_from"];
    assert_eq!(from["case"], declined.id.to_string());
    assert_eq!((from["refno"].as_str(), from["station"].as_str()), (Some(refno.as_str()), Some(XIXI)));
    assert_eq!(received.request["title"], declined.title);
    let (_, page) = get(&net, MAZHAN, As::Duty, &format!("/console/cases/{first}")).await;
    assert!(page.contains("改发自") && page.contains(&refno) && page.contains(&names(XIXI)), "{page}");

    // 改发 from the console: the form comes filled in from the declined request, with the
    // suggested station ticked; the officer sends it elsewhere (千秋).
    let (status, form) =
        get(&net, LUOYANG, As::Liaison, &format!("/console/new/general?redirect={}&station={XIXI}", declined.id)).await;
    assert_eq!(status, 200);
    assert!(form.contains(&format!("value=\"{}\"", declined.title)), "the title is filled in: {form}");
    assert!(form.contains(&format!("name=\"targets\" value=\"{MAZHAN}\" checked")), "the suggestion is ticked");
    assert!(form.contains("name=\"redirect_case\"") && form.contains("本请求将代替"));
    let general = serde_json::to_value(samples::sample(CaseKind::General, vec![], now)).unwrap();
    let csrf = token(&form);
    let declined_id = declined.id.to_string();
    let fields = [
        ("csrf", csrf.as_str()),
        ("targets", QIANQI),
        ("priority", "routine"),
        ("title", declined.title.as_str()),
        ("details.subject", general["details"]["subject"].as_str().unwrap()),
        ("details.request", general["details"]["request"].as_str().unwrap()),
        ("contact", "陈志强 0577-67580110"),
        ("redirect_case", declined_id.as_str()),
        ("redirect_station", XIXI),
    ];
    let client = net.officer(LUOYANG, As::Liaison);
    let response =
        client.http().post(format!("{}/console/new/general", net.url(LUOYANG))).form(&fields).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let second: CaseId = response.url().path().trim_start_matches("/console/cases/").parse().unwrap();
    let redirects = liaison.case(&declined.id).await.unwrap().redirects;
    assert_eq!(redirects.iter().map(|r| r.case).collect::<Vec<_>>(), [first, second]);
    assert!(eventually(PATIENCE, || async { net.officer(QIANQI, As::Duty).case(&second).await.is_ok() }).await);

    // At 罗阳 both ways read: the declined case names where it went, the new ones what they replace.
    let (_, page) = get(&net, LUOYANG, As::Liaison, &format!("/console/cases/{}", declined.id)).await;
    let first_refno = liaison.case(&first).await.unwrap().case.refno.unwrap().label;
    assert!(page.contains("已改发") && page.contains(&first_refno) && page.contains(&names(QIANQI)), "{page}");
    let (_, page) = get(&net, LUOYANG, As::Liaison, &format!("/console/cases/{second}")).await;
    assert!(page.contains("改发自") && page.contains(&refno), "{page}");
    let shown = stdout(&net.cli(LUOYANG, As::Liaison, "case", &["show", &refno]).await);
    assert!(shown.contains("已改发") && shown.contains(&first_refno), "{shown}");
    // A request no one redirected carries no such field: its signed bytes are as before.
    let kept_detail = liaison.case(&kept.id).await.unwrap();
    assert!(kept_detail.request.get("redirected_from").is_none() && kept_detail.redirects.is_empty());
    net.shutdown().await;
}
