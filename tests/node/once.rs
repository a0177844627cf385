//! Sending once: an idempotency key makes a retried send give back the first case, and a
//! request repeating an open one to the same partner waits for the officer's confirmation.

use std::time::Duration;

use serde_json::Value;
use tiemeng::client::{ApiClient, ClientError};
use tiemeng::domain::details::CaseKind;
use tiemeng::node::NewCase;
use tiemeng::samples;
use tiemeng::store::Mailbox;

use super::support::{As, LUOYANG, MAZHAN, Net, XIXI, eventually};

fn request(kind: CaseKind, to: &str) -> NewCase {
    samples::sample(kind, vec![to.parse().unwrap()], time::OffsetDateTime::now_utc())
}

/// POSTs `body` with `key` as the `Idempotency-Key`: the status and the JSON answer.
async fn post_keyed(client: &ApiClient, base: &str, body: &NewCase, key: &str) -> (u16, Value) {
    let response = client
        .http()
        .post(format!("{base}/api/v1/cases"))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn sent_keys(net: &Net) -> usize {
    let sizes = net.node(LUOYANG).store().tree_sizes().unwrap();
    sizes.into_iter().find(|(tree, _)| *tree == "officerkey_sent").map_or(0, |(_, n)| n)
}

#[tokio::test]
async fn the_same_key_twice_makes_one_case_at_the_origin_and_at_the_partner() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let new = request(CaseKind::MissingPerson, XIXI);
    let (first_status, first) = post_keyed(&liaison, &net.url(LUOYANG), &new, "desk-7f3a").await;
    assert_eq!(first_status, 201, "{first}");
    let (again_status, again) = post_keyed(&liaison, &net.url(LUOYANG), &new, "desk-7f3a").await;
    assert_eq!(again_status, 200, "a repeat answers 200 with the first case: {again}");
    assert_eq!(again["id"], first["id"]);

    let duty = net.officer(XIXI, As::Duty);
    let arrived = eventually(Duration::from_secs(10), || async {
        duty.list(Mailbox::Inbox, "").await.is_ok_and(|inbox| !inbox.cases.is_empty())
    })
    .await;
    assert!(arrived, "the request reached the partner");
    let outbox = liaison.list(Mailbox::Outbox, "").await.unwrap();
    assert_eq!(outbox.cases.len(), 1, "one case at the origin");
    // The partner holds the request before the origin has recorded its receipt: wait for it.
    let origin = net.node(LUOYANG).clone();
    let xixi = XIXI.parse().unwrap();
    let drained = eventually(Duration::from_secs(10), || async { origin.store().outbox_len(&xixi) == 0 }).await;
    assert!(drained, "nothing else queued");
    let inbox = duty.list(Mailbox::Inbox, "").await.unwrap();
    assert_eq!(inbox.cases.len(), 1, "one case at the partner");
    assert_eq!(inbox.cases[0].case.id.to_string(), first["id"].as_str().unwrap());
    net.shutdown().await;
}

#[tokio::test]
async fn another_request_under_a_used_key_is_refused_and_nothing_is_stored() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let new = request(CaseKind::Fugitive, XIXI);
    let (status, first) = post_keyed(&liaison, &net.url(LUOYANG), &new, "k-1").await;
    assert_eq!(status, 201, "{first}");
    let audit = net.node(LUOYANG).store().verify_audit().unwrap();

    let changed = NewCase { title: "另一名在逃人员".into(), confirm_duplicate: true, ..new.clone() };
    let (status, problem) = post_keyed(&liaison, &net.url(LUOYANG), &changed, "k-1").await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "idempotency_key_reused");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("本次未发送") && detail.contains(first["id"].as_str().unwrap()), "{detail}");
    let english = liaison
        .http()
        .post(format!("{}/api/v1/cases", net.url(LUOYANG)))
        .header("Idempotency-Key", "k-1")
        .header("Accept-Language", "en")
        .json(&changed)
        .send()
        .await
        .unwrap();
    let problem: Value = english.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("nothing was sent"), "{problem}");

    // The key is the officer's own: another officer's key of the same text is another key.
    let (status, _) = post_keyed(&net.officer(LUOYANG, As::Chief), &net.url(LUOYANG), &changed, "k-1").await;
    assert_eq!(status, 403, "a chief sends no request, key or not");

    assert_eq!(liaison.list(Mailbox::Outbox, "").await.unwrap().cases.len(), 1, "nothing stored");
    assert_eq!(net.node(LUOYANG).store().verify_audit().unwrap(), audit, "no audit entry");
    assert_eq!(sent_keys(&net), 1);

    for bad in ["", "with space", &"k".repeat(101), "键"] {
        let response = liaison
            .http()
            .post(format!("{}/api/v1/cases", net.url(LUOYANG)))
            .header("Idempotency-Key", reqwest::header::HeaderValue::from_bytes(bad.as_bytes()).unwrap())
            .json(&new)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{bad:?}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "invalid_idempotency_key", "{problem}");
    }
    assert_eq!(liaison.list(Mailbox::Outbox, "").await.unwrap().cases.len(), 1);
    net.shutdown().await;
}

#[tokio::test]
async fn two_simultaneous_posts_with_one_key_make_one_case() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let base = net.url(LUOYANG);
    // Several rounds, each key sent twice at once: the pair meets in one unit or in two.
    let rounds = 6;
    for round in 0..rounds {
        let new = NewCase { title: format!("协查第 {round} 轮"), ..request(CaseKind::General, XIXI) };
        let key = format!("race-{round}");
        let (a, b) = tokio::join!(post_keyed(&liaison, &base, &new, &key), post_keyed(&liaison, &base, &new, &key));
        assert_eq!(a.1["id"], b.1["id"], "round {round}: {a:?} {b:?}");
        let mut statuses = [a.0, b.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 201], "round {round}: one made it, the other got it back");
    }
    let outbox = liaison.list(Mailbox::Outbox, "").await.unwrap();
    assert_eq!(outbox.cases.len(), rounds, "one case per key");
    assert_eq!(net.node(LUOYANG).store().outbox_len(&XIXI.parse().unwrap()), rounds, "one envelope queued per key");
    net.shutdown().await;
}

#[tokio::test]
async fn a_request_repeating_an_open_one_to_the_same_partner_waits_for_confirmation() {
    let net = Net::partial(&[LUOYANG, XIXI, MAZHAN], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let new = request(CaseKind::MissingPerson, XIXI);
    let first = liaison.send_case(&new, None).await.unwrap().case;

    let Err(ClientError::Problem(problem)) = liaison.send_case(&new, None).await else {
        panic!("a same-subject request to the same partner went out unasked")
    };
    assert_eq!((problem.status, problem.code.as_str()), (409, "possible_duplicate"), "{problem:?}");
    assert_eq!(problem.duplicates.len(), 1, "{problem:?}");
    assert_eq!(problem.duplicates[0].case, first.id);
    assert_eq!(problem.duplicates[0].title, first.title);
    assert!(problem.detail.contains(&first.id.to_string()), "{}", problem.detail);
    assert_eq!(liaison.list(Mailbox::Outbox, "").await.unwrap().cases.len(), 1, "nothing sent");

    // To another partner it is no repeat.
    let elsewhere = NewCase { targets: vec![MAZHAN.parse().unwrap()], ..new.clone() };
    let other = liaison.send_case(&elsewhere, None).await.unwrap();
    assert!(!other.repeated);

    let confirmed = NewCase { confirm_duplicate: true, ..new.clone() };
    let again = liaison.send_case(&confirmed, None).await.unwrap().case;
    assert_ne!(again.id, first.id);
    assert!(again.same_subject.contains(&first.id), "linked as 一人多次: {:?}", again.same_subject);
    assert_eq!(liaison.list(Mailbox::Outbox, "").await.unwrap().cases.len(), 3);

    // A retry of the first under its key is not taken for a repeat of the subject.
    let keyed = request(CaseKind::Fugitive, XIXI);
    let sent = liaison.send_case(&keyed, Some("fugitive-1")).await.unwrap();
    let retried = liaison.send_case(&keyed, Some("fugitive-1")).await.unwrap();
    assert!(retried.repeated && retried.case.id == sent.case.id);
    net.shutdown().await;
}

#[tokio::test]
async fn keys_are_forgotten_after_a_day() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let new = request(CaseKind::Dispute, XIXI);
    let first = liaison.send_case(&new, Some("day-1")).await.unwrap().case;
    assert_eq!(sent_keys(&net), 1);

    net.clocks[LUOYANG].advance(time::Duration::hours(23));
    assert!(liaison.send_case(&new, Some("day-1")).await.unwrap().repeated, "still remembered within the day");
    assert_eq!(sent_keys(&net), 1);

    net.clocks[LUOYANG].advance(time::Duration::hours(2));
    let swept = eventually(Duration::from_secs(15), || async { sent_keys(&net) == 0 }).await;
    assert!(swept, "the node's watch forgets keys older than a day");
    let later = NewCase { title: "次日再次协调".into(), confirm_duplicate: true, ..new };
    let sent = liaison.send_case(&later, Some("day-1")).await.unwrap();
    assert!(!sent.repeated && sent.case.id != first.id, "the key is free again");
    assert_eq!(sent_keys(&net), 1);
    net.shutdown().await;
}

#[tokio::test]
async fn the_openapi_document_says_how_to_send_once() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let url = format!("{}/api/v1/openapi.json", net.url(LUOYANG));
    let doc: Value = net.officer(LUOYANG, As::Admin).http().get(url).send().await.unwrap().json().await.unwrap();
    let post = &doc["paths"]["/api/v1/cases"]["post"];
    let params = post["parameters"].as_array().unwrap();
    assert!(params.iter().any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"), "{post}");
    for status in ["200", "201", "400", "409", "422"] {
        assert!(post["responses"].get(status).is_some(), "{status} missing: {post}");
    }
    assert!(post["description"].as_str().unwrap().contains("idempotency_key_reused"), "{post}");
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["Problem"]["properties"].get("duplicates").is_some(), "{}", schemas["Problem"]);
    assert!(schemas["NewCase"]["properties"].get("confirm_duplicate").is_some(), "{}", schemas["NewCase"]);
    net.shutdown().await;
}
