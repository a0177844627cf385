//! Sending once from the console: the form's key makes a double click or a resubmitted POST
//! land on the first case, and a repeat of an open request is listed before it is sent.

use super::*;

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// A filled-in missing-person form of `csrf` and `key`.
fn missing_person<'a>(csrf: &'a str, key: &'a str, id_number: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("idempotency_key", key),
        ("targets", XIXI),
        ("priority", "urgent"),
        ("title", "协查走失老人"),
        ("details.name", "吴德福"),
        ("details.sex", "male"),
        ("details.age", "78"),
        ("details.id_number", id_number),
        ("details.description", "身高约165厘米，穿深蓝色中山装"),
        ("details.last_seen_place", "罗阳镇洲岭村村口"),
        ("details.last_seen_at", "2026-11-23T06:30"),
        ("contact", "陈志强 0577-67580110"),
    ]
}

#[tokio::test]
async fn the_form_posted_twice_with_its_key_makes_one_case() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let path = "/console/new/missing_person";
    let (_, form) = get(&net, LUOYANG, As::Liaison, path).await;
    let (csrf, key) = (token(&form), hidden(&form, "idempotency_key"));
    assert!(key.len() >= 16, "a fresh key with the form: {key}");
    let (_, other) = get(&net, LUOYANG, As::Liaison, path).await;
    assert_ne!(hidden(&other, "idempotency_key"), key, "each form its own key");

    let id_number = samples::resident_id("33032919480312001").unwrap().as_str().to_owned();
    let fields = missing_person(&csrf, &key, &id_number);
    // Shown again with an error, the form keeps its key.
    let mut wrong = fields.clone();
    wrong.retain(|(name, _)| *name != "details.name");
    let (status, _, html) = post(&net, LUOYANG, As::Liaison, path, &wrong, None).await;
    assert_eq!(status, 422);
    assert_eq!(hidden(&html, "idempotency_key"), key);

    let (status, first, _) = post(&net, LUOYANG, As::Liaison, path, &fields, None).await;
    assert_eq!(status, 200);
    assert!(first.starts_with("/console/cases/"), "{first}");
    let (status, second, html) = post(&net, LUOYANG, As::Liaison, path, &fields, None).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(second, first, "the second post lands on the first case");
    let liaison = net.officer(LUOYANG, As::Liaison);
    assert_eq!(liaison.list(Mailbox::Outbox, "").await.unwrap().cases.len(), 1, "one case");
    assert_eq!(net.node(LUOYANG).store().outbox_len(&XIXI.parse().unwrap()), 1, "one envelope queued");

    // Back in the browser, the officer changes the sent form: it says what it sent, and comes
    // with a fresh key, so sending it again sends the changed request.
    let mut changed = fields.clone();
    changed.retain(|(name, _)| *name != "title");
    changed.extend([("title", "协查走失老人（补充）"), ("confirm_duplicate", "yes")]);
    let (status, _, html) = post(&net, LUOYANG, As::Liaison, path, &changed, None).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains(&format!("href=\"{first}\"")) && html.contains("本次未发送"), "{html}");
    let fresh = hidden(&html, "idempotency_key");
    assert_ne!(fresh, key);
    changed.retain(|(name, _)| *name != "idempotency_key");
    changed.push(("idempotency_key", &fresh));
    let (status, third, _) = post(&net, LUOYANG, As::Liaison, path, &changed, None).await;
    assert_eq!(status, 200);
    assert!(third.starts_with("/console/cases/") && third != first, "{third}");
    assert_eq!(liaison.list(Mailbox::Outbox, "").await.unwrap().cases.len(), 2);
    net.shutdown().await;
}

#[tokio::test]
async fn a_repeat_of_an_open_request_is_listed_and_sent_only_when_confirmed() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let path = "/console/new/missing_person";
    let id_number = samples::resident_id("33032919480312001").unwrap().as_str().to_owned();
    let (_, form) = get(&net, LUOYANG, As::Liaison, path).await;
    let (csrf, key) = (token(&form), hidden(&form, "idempotency_key"));
    let (_, first, _) = post(&net, LUOYANG, As::Liaison, path, &missing_person(&csrf, &key, &id_number), None).await;
    let first_id = first.trim_start_matches("/console/cases/").to_owned();

    // A new form about the same person to the same partner.
    let (_, form) = get(&net, LUOYANG, As::Liaison, path).await;
    let (csrf, key) = (token(&form), hidden(&form, "idempotency_key"));
    let fields = missing_person(&csrf, &key, &id_number);
    let (status, _, html) = post(&net, LUOYANG, As::Liaison, path, &fields, None).await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains(&format!("href=\"/console/cases/{first_id}\"")), "the open request is linked: {html}");
    assert!(html.contains("仍然发送") && html.contains("name=\"confirm_duplicate\""), "{html}");
    assert_eq!(hidden(&html, "idempotency_key"), key, "the form keeps its key");
    let liaison = net.officer(LUOYANG, As::Liaison);
    assert_eq!(liaison.list(Mailbox::Outbox, "").await.unwrap().cases.len(), 1, "nothing sent yet");

    let mut confirmed = fields.clone();
    confirmed.push(("confirm_duplicate", "yes"));
    let (status, second, _) = post(&net, LUOYANG, As::Liaison, path, &confirmed, None).await;
    assert_eq!(status, 200);
    assert!(second.starts_with("/console/cases/") && second != first, "{second}");
    assert_eq!(liaison.list(Mailbox::Outbox, "").await.unwrap().cases.len(), 2);
    net.shutdown().await;
}
