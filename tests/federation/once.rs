//! Sending once from the command line: the same file sent again gives the first case back and
//! says so, at the origin and at the partner one case; a repeat of an open request is refused
//! with the open ones listed until `--confirm-duplicate`.

use super::*;

#[tokio::test]
async fn a_file_sent_twice_makes_one_case_and_says_it_was_sent_before() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let request = samples::sample(CaseKind::MissingPerson, vec![station(XIXI)], time::OffsetDateTime::now_utc());
    let file = net.dir.path().join("once.json");
    std::fs::write(&file, serde_json::to_string_pretty(&request).unwrap()).unwrap();
    let file = file.display().to_string();
    let send = |args: &'static [&'static str]| {
        let mut all = vec!["send", "--file", file.as_str()];
        all.extend_from_slice(args);
        let net = &net;
        async move { net.cli(LUOYANG, As::Liaison, "case", &all).await }
    };
    let said = |output: &std::process::Output| {
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    };

    let first = send(&[]).await;
    assert!(first.status.success(), "{}", said(&first));
    assert!(said(&first).contains("已发出协查"), "{}", said(&first));
    let again = send(&[]).await;
    assert!(again.status.success(), "{}", said(&again));
    let text = said(&again);
    assert!(text.contains("该协查已于") && text.contains("发出，未重复发送"), "{text}");

    let liaison = net.officer(LUOYANG, As::Liaison);
    let outbox = liaison.list(Mailbox::Outbox, "").await.unwrap();
    assert_eq!(outbox.cases.len(), 1, "one case at the origin");
    let id = outbox.cases[0].case.id;
    assert!(text.contains(&id.to_string()), "the first case is named: {text}");
    let duty = net.officer(XIXI, As::Duty);
    wait_for_state(&duty, &id, XIXI, TargetState::Delivered).await;
    assert_eq!(duty.list(Mailbox::Inbox, "").await.unwrap().cases.len(), 1, "one case at the partner");

    // `--again` is a new send: about a person an open request names, it asks first.
    let refused = send(&["--again"]).await;
    assert!(!refused.status.success());
    let text = said(&refused);
    assert!(text.contains("possible_duplicate") && text.contains(&id.to_string()), "{text}");
    assert!(text.contains("--confirm-duplicate"), "the way on is named: {text}");
    let confirmed = send(&["--again", "--confirm-duplicate"]).await;
    assert!(confirmed.status.success(), "{}", said(&confirmed));
    assert_eq!(liaison.list(Mailbox::Outbox, "").await.unwrap().cases.len(), 2);
    net.shutdown().await;
}
