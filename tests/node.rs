//! One station's node through its real mTLS API: who gets in, who may do what, what is
//! refused and what survives a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[path = "node/attachments.rs"]
mod attachments;
#[path = "node/hostile_text.rs"]
mod hostile_text;
#[path = "node/impostor.rs"]
mod impostor;
#[path = "node/once.rs"]
mod once;
#[path = "node/search.rs"]
mod search;

use std::time::Duration;

use support::{As, LUOYANG, MAZHAN, Net, XIXI, eventually};
use tiemeng::client::{ApiClient, ClientError};
use tiemeng::domain::details::CaseKind;
use tiemeng::envelope::Statement as _;
use tiemeng::node::{Action, CloseInput};
use tiemeng::pki::{self, Authority, Eku, LeafSpec, Overwrite};
use tiemeng::samples;
use tiemeng::store::{Mailbox, Store};

fn rustls_client(net: &Net, cert: Option<(&std::path::Path, &std::path::Path)>) -> rustls::ClientConfig {
    let roots = tiemeng::tls::load_roots(&net.devnet.layout.ca_bundle).unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(tiemeng::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    match cert {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder
            .with_client_auth_cert(tiemeng::tls::load_certs(cert).unwrap(), tiemeng::tls::load_key(key).unwrap())
            .unwrap(),
    }
}

/// Issues a certificate for `spec` from `authority` into the test folder and returns a client using it.
fn client_with(net: &Net, authority: &Authority, spec: &LeafSpec, name: &str) -> ApiClient {
    let leaf = authority.issue(spec).unwrap();
    let cert = net.dir.path().join(format!("{name}.pem"));
    let key = net.dir.path().join(format!("{name}.key"));
    leaf.write(&cert, &key, Overwrite::Never).unwrap();
    ApiClient::with_tls(&net.url(LUOYANG), rustls_client(net, Some((&cert, &key)))).unwrap()
}

fn zhejiang_ca(net: &Net) -> Authority {
    let paths = net.devnet.layout.authority("33").unwrap();
    pki::load_ca(paths).unwrap()
}

async fn refused(client: &ApiClient) -> bool {
    matches!(client.me().await, Err(ClientError::Connect { .. }))
}

#[tokio::test]
async fn only_valid_client_certificates_get_an_http_response() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    assert_eq!(liaison.me().await.unwrap().name, "陈志强", "a valid officer certificate is served");

    let anonymous = ApiClient::with_tls(&net.url(LUOYANG), rustls_client(&net, None)).unwrap();
    assert!(refused(&anonymous).await, "no client certificate");

    let stranger_ca = Authority::for_province("33").unwrap();
    let officer = LeafSpec::officer(LUOYANG, "330329001", "陈志强");
    assert!(refused(&client_with(&net, &stranger_ca, &officer, "other-ca")).await, "certificate from another CA");

    let ca = zhejiang_ca(&net);
    assert!(refused(&client_with(&net, &ca, &officer.clone().expired(), "expired")).await, "expired certificate");
    assert!(refused(&client_with(&net, &ca, &officer.clone().not_yet_valid(), "future")).await, "not yet valid");
    let server_only = officer.clone().eku(Eku::ServerOnly);
    assert!(refused(&client_with(&net, &ca, &server_only, "server-only")).await, "no clientAuth EKU");
    let no_eku = officer.clone().eku(Eku::None);
    assert!(refused(&client_with(&net, &ca, &no_eku, "no-eku")).await, "no EKU at all");
    let anonymous_leaf = LeafSpec::new("no identity").eku(Eku::ClientOnly);
    assert!(refused(&client_with(&net, &ca, &anonymous_leaf, "no-san")).await, "no urn:tiemeng identity");

    net.shutdown().await;
}

#[tokio::test]
async fn a_certificate_revoked_while_the_node_runs_is_refused_without_restart() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let ca = zhejiang_ca(&net);
    let officer = LeafSpec::officer(LUOYANG, "330329001", "陈志强");
    let client = client_with(&net, &ca, &officer, "soon-revoked");
    assert!(client.me().await.is_ok(), "valid before revocation");

    let paths = net.devnet.layout.authority("33").unwrap();
    pki::revoke(&ca, paths, &net.dir.path().join("soon-revoked.pem"), &paths.crl, time::Duration::days(30)).unwrap();
    // A fresh client: connections are kept alive, and revocation applies to new handshakes.
    let (cert, key) = (net.dir.path().join("soon-revoked.pem"), net.dir.path().join("soon-revoked.key"));
    let fresh = || ApiClient::with_tls(&net.url(LUOYANG), rustls_client(&net, Some((&cert, &key)))).unwrap();
    assert!(
        eventually(Duration::from_secs(10), || async { refused(&fresh()).await }).await,
        "revoked certificate still accepted"
    );
    assert!(net.officer(LUOYANG, As::Liaison).me().await.is_ok(), "other certificates of the CA still work");
    net.shutdown().await;
}

#[tokio::test]
async fn a_known_certificate_without_the_role_gets_403_and_changes_nothing() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let now = time::OffsetDateTime::now_utc();
    let request = samples::sample(CaseKind::MissingPerson, vec![XIXI.parse().unwrap()], now);

    let duty = net.officer(LUOYANG, As::Duty);
    let Err(ClientError::Problem(problem)) = duty.create_case(&request).await else {
        panic!("duty officer created a case")
    };
    assert_eq!((problem.status, problem.code.as_str()), (403, "forbidden"));
    assert!(problem.detail.contains("联络员"), "the message names the role needed: {}", problem.detail);

    let chief = net.officer(LUOYANG, As::Chief);
    let Err(ClientError::Problem(problem)) = chief.create_case(&request).await else { panic!("chief created a case") };
    assert_eq!(problem.code, "forbidden");

    // A certificate from this station's own CA for a badge the registry does not list.
    let unregistered = LeafSpec::officer(LUOYANG, "330329777", "赵某");
    let stranger = client_with(&net, &zhejiang_ca(&net), &unregistered, "unregistered");
    let Err(ClientError::Problem(problem)) = stranger.create_case(&request).await else {
        panic!("unregistered officer created a case")
    };
    assert_eq!((problem.status, problem.code.as_str()), (403, "unknown_officer"));

    let outbox = net.officer(LUOYANG, As::Chief).list(Mailbox::Outbox, "").await.unwrap();
    assert!(outbox.cases.is_empty(), "nothing was stored");
    assert_eq!(net.node(LUOYANG).store().outbox_len(&XIXI.parse().unwrap()), 0, "nothing was queued");

    // And the other way round: the requesting station's liaison cannot acknowledge its own request.
    let liaison = net.officer(LUOYANG, As::Liaison);
    let case = liaison.create_case(&request).await.unwrap();
    let Err(ClientError::Problem(problem)) = liaison.act(&case.id, &Action::Ack(Default::default())).await else {
        panic!("liaison acked")
    };
    assert_eq!((problem.status, problem.code.as_str()), (403, "forbidden"));
    net.shutdown().await;
}

#[tokio::test]
async fn every_validation_error_is_a_4xx_with_its_code_and_stores_nothing() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let valid =
        serde_json::to_value(samples::sample(CaseKind::MissingPerson, vec![XIXI.parse().unwrap()], now)).unwrap();
    let with = |path: &[&str], value: serde_json::Value| {
        let mut body = valid.clone();
        let mut at = &mut body;
        for key in &path[..path.len() - 1] {
            at = &mut at[*key];
        }
        at[path[path.len() - 1]] = value;
        body
    };
    let future = tiemeng::clock::rfc3339(now + time::Duration::days(2));
    let cases: Vec<(serde_json::Value, u16, &str, Option<&str>)> = vec![
        (with(&["title"], "  ".into()), 422, "validation_failed", Some("title")),
        (with(&["contact"], "".into()), 422, "validation_failed", Some("contact")),
        (with(&["targets"], serde_json::json!([])), 422, "validation_failed", Some("targets")),
        (with(&["targets"], serde_json::json!(["zj-nowhere"])), 422, "unknown_station", None),
        (with(&["targets"], serde_json::json!(["NOT A STATION"])), 422, "invalid_field", Some("targets[0]")),
        (with(&["details", "id_number"], "330329194803120018".into()), 422, "invalid_field", Some("details.id_number")),
        (with(&["details", "last_seen_at"], future.into()), 422, "validation_failed", Some("details.last_seen_at")),
        (with(&["details", "name"], "".into()), 422, "validation_failed", Some("details.name")),
        (with(&["details", "nickname"], "老吴".into()), 422, "invalid_field", Some("details.nickname")),
        (with(&["priority"], "whenever".into()), 422, "invalid_field", Some("priority")),
        (with(&["review_by"], "2001-01-01".into()), 422, "validation_failed", Some("review_by")),
        (with(&["title"], "标".repeat(121).into()), 422, "validation_failed", Some("title")),
    ];
    for (body, status, code, field) in cases {
        let response =
            liaison.http().post(format!("{}/api/v1/cases", net.url(LUOYANG))).json(&body).send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert_eq!(response.headers()["content-type"], "application/problem+json", "problems are problem+json");
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(problem["code"], code, "{problem}");
        if let Some(field) = field {
            let fields: Vec<&str> =
                problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
            assert!(fields.contains(&field), "{field} not named in {problem}");
        }
        // Chinese by default, every word of it: nothing of serde's or the parsers' English.
        let said = format!("{} {} {}", problem["title"], problem["detail"], problem["errors"][0]["zh"]);
        assert!(said.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{said}");
        for english in ["expected", "variant", "invalid type", "check character", "unknown field", "station id"] {
            assert!(!said.contains(english), "English {english:?} in {said}");
        }
    }
    let url = format!("{}/api/v1/cases", net.url(LUOYANG));
    let malformed =
        liaison.http().post(&url).header("content-type", "application/json").body("{\"title\":").send().await.unwrap();
    assert_eq!(malformed.status().as_u16(), 400);
    let not_json = liaison.http().post(&url).body("title=x").send().await.unwrap();
    assert_eq!(not_json.status().as_u16(), 415);

    let outbox = liaison.list(Mailbox::Outbox, "").await.unwrap();
    assert!(outbox.cases.is_empty(), "no refused request was stored");
    let node = net.node(LUOYANG).clone();
    assert_eq!(node.store().outbox_len(&XIXI.parse().unwrap()), 0);
    assert_eq!(node.store().verify_audit().unwrap(), 0, "no audit entry for refused requests");
    net.shutdown().await;
}

/// The API judges a request in one pass too: no target and an empty title are both reported.
#[tokio::test]
async fn a_request_without_targets_or_title_is_refused_with_both_named() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let mut body =
        serde_json::to_value(samples::sample(CaseKind::General, vec![], time::OffsetDateTime::now_utc())).unwrap();
    body["title"] = "".into();
    body["targets"] = serde_json::json!([]);
    let response = liaison.http().post(format!("{}/api/v1/cases", net.url(LUOYANG))).json(&body).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "validation_failed", "{problem}");
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"targets") && fields.contains(&"title"), "{problem}");
    assert!(liaison.list(Mailbox::Outbox, "").await.unwrap().cases.is_empty(), "nothing stored");
    net.shutdown().await;
}

#[tokio::test]
async fn a_created_case_survives_closing_and_reopening_the_store() {
    let mut net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    // The partner is not running: the request waits in the outbox, durable.
    let request = samples::sample(CaseKind::Fugitive, vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
    let config_text = std::fs::read_to_string(net.devnet.config(LUOYANG).unwrap()).unwrap();
    assert!(config_text.contains(XIXI), "the partner is configured even if not started");
    let case = liaison.create_case(&request).await.unwrap();
    let before = liaison.case(&case.id).await.unwrap();
    let node = net.node(LUOYANG).clone();
    let wire_before = node.store().envelope(&before.case.request).unwrap().unwrap().wire;
    let audit_before = node.store().audit_entries(0, 100).unwrap();
    drop(node);
    net.stop(LUOYANG).await;

    let data = net.data_dir(LUOYANG);
    {
        let store = Store::open_existing(&data).unwrap();
        assert_eq!(store.case(&case.id).unwrap().as_ref(), Some(&before.case), "same case state");
        assert_eq!(store.envelope(&before.case.request).unwrap().unwrap().wire, wire_before, "same signed bytes");
        assert_eq!(store.audit_entries(0, 100).unwrap(), audit_before, "same audit entries");
        assert_eq!(store.verify_audit().unwrap(), audit_before.len() as u64);
        assert_eq!(store.outbox_len(&XIXI.parse().unwrap()), 1, "still queued for the partner");
    }
    net.restart(LUOYANG).await;
    let after = net.officer(LUOYANG, As::Liaison).case(&case.id).await.unwrap();
    assert_eq!(after.case, before.case);
    assert_eq!(after.timeline[0].sha256, before.timeline[0].sha256);
    assert!(after.timeline[0].verified);
    net.shutdown().await;
}

/// The delivery task records each answer once: an answer for an entry recorded before (or twice
/// in one list) changes nothing, and a batch with an answer for an envelope other than the one queued at its position
/// is refused whole.
#[tokio::test]
async fn an_answer_is_recorded_once_and_only_for_the_envelope_it_answers() {
    use tiemeng::node::{Answer, Pending};
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let xixi: tiemeng::ids::StationId = XIXI.parse().unwrap();
    for kind in [CaseKind::Fugitive, CaseKind::MissingPerson] {
        let request = samples::sample(kind, vec![xixi.clone()], time::OffsetDateTime::now_utc());
        liaison.create_case(&request).await.unwrap();
    }
    let node = net.node(LUOYANG).clone();
    let pending = node.pending(&xixi, 10).unwrap();
    assert_eq!(pending.len(), 2, "the partner is down: both requests wait");
    let refused =
        |p: &Pending| (p.clone(), Answer::Refused { code: "unknown_case".into(), message: "无此案件".into() });
    let state = || {
        let store = node.store();
        (store.outbox_len(&xixi), store.dead_letter_count(&xixi), store.audit_entries(0, 1000).unwrap().len())
    };
    let before = state();

    let crossed = Pending { seq: pending[0].seq, stored: pending[1].stored.clone() };
    let error = node.record_answers(&xixi, vec![refused(&pending[1]), refused(&crossed)]).await.unwrap_err();
    assert!(error.to_string().contains("not the answered"), "{error}");
    assert_eq!(state(), before, "nothing of the batch is recorded");

    let now = node.record_answers(&xixi, vec![refused(&pending[0]), refused(&pending[0])]).await.unwrap();
    assert_eq!(now, [true, false], "recorded once");
    let recorded = state();
    assert_eq!(recorded, (1, 1, before.2 + 1), "dequeued, one dead letter, one audit entry");
    assert_eq!(node.record_answers(&xixi, vec![refused(&pending[0])]).await.unwrap(), [false]);
    assert_eq!(state(), recorded, "the same answer again changes nothing");
    net.shutdown().await;
}

/// Requests that arrive together are stored in shared units (`node::combine`); each must still
/// be stored once, whole, with its audit entry, its outbox entry and its same-subject links.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_sent_at_the_same_moment_are_each_stored_once_and_delivered() {
    const AT_ONCE: usize = 24;
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let node = net.node(LUOYANG).clone();
    let now = time::OffsetDateTime::now_utc();
    let sends: Vec<_> = (0..AT_ONCE)
        .map(|_| {
            let liaison = liaison.clone();
            // One missing person in every request, so each links to those stored before it.
            let request = samples::sample(CaseKind::MissingPerson, vec![XIXI.parse().unwrap()], now);
            tokio::spawn(async move { liaison.create_case(&request).await })
        })
        .collect();
    let mut cases = Vec::new();
    for send in sends {
        cases.push(send.await.unwrap().unwrap());
    }
    let ids: std::collections::BTreeSet<_> = cases.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), AT_ONCE, "every request got a case of its own");
    // Requests stored together in one unit still take one number each, with none skipped.
    let mut numbers: Vec<u32> = cases.iter().map(|c| c.refno.as_ref().unwrap().number).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=AT_ONCE as u32).collect::<Vec<_>>());
    for case in &cases {
        // Delivery and later requests' links change it from here on; what it is stays.
        let stored = node.store().case(&case.id).unwrap().unwrap();
        assert_eq!((&stored.request, stored.created_at, &stored.title), (&case.request, case.created_at, &case.title));
        assert!(case.same_subject.iter().all(|id| stored.same_subject.contains(id)), "{stored:?}");
        assert!(node.store().envelope(&case.request).unwrap().is_some(), "its signed request is stored");
    }
    let chained = node.store().verify_audit().unwrap();
    let created: std::collections::BTreeSet<_> = node
        .store()
        .audit_entries(0, chained as usize + 1)
        .unwrap()
        .into_iter()
        .filter(|entry| entry.action == "case.create")
        .filter_map(|entry| entry.case)
        .collect();
    assert_eq!(created, ids, "one audit entry each, in an unbroken chain");
    // Links point only at other requests of the burst, and the one stored last sees the 20
    // most recent before it.
    let last = cases.iter().max_by_key(|c| (c.created_at, c.same_subject.len())).unwrap();
    assert_eq!(last.same_subject.len(), 20, "{:?}", last.same_subject);
    assert!(cases.iter().flat_map(|c| &c.same_subject).all(|id| ids.contains(id)));

    let partner = net.node(XIXI).clone();
    let all_there = eventually(Duration::from_secs(20), || async {
        ids.iter().all(|id| partner.store().case(id).unwrap().is_some())
    })
    .await;
    assert!(all_there, "every request reached the partner");
    // The partner holds them before the origin has recorded the last receipts.
    let xixi = XIXI.parse().unwrap();
    let drained = eventually(Duration::from_secs(10), || async { node.store().outbox_len(&xixi) == 0 }).await;
    assert!(drained, "and left the outbox");
    net.shutdown().await;
}

#[tokio::test]
async fn tampering_with_one_audit_entry_is_named_by_audit_verify() {
    let mut net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let request = samples::sample(CaseKind::General, vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
    let case = liaison.create_case(&request).await.unwrap();
    liaison.case(&case.id).await.unwrap();
    liaison.case(&case.id).await.unwrap();
    net.stop(LUOYANG).await;
    let data = net.data_dir(LUOYANG);

    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng"))
            .args(["audit", "verify", "--data"])
            .arg(&data)
            .output()
            .unwrap()
    };
    let intact = verify();
    assert!(intact.status.success(), "{}", String::from_utf8_lossy(&intact.stderr));
    assert!(
        String::from_utf8_lossy(&intact.stdout).contains("共 3 条记录"),
        "{}",
        String::from_utf8_lossy(&intact.stdout)
    );

    {
        // Someone with access to the disk rewrites who read the case in entry 2.
        let db = tiemeng::store::open_sled(&sled::Config::new().path(&data)).unwrap();
        let audit = db.open_tree("seq_audit").unwrap();
        let key = 2u64.to_be_bytes();
        let value = audit.get(key).unwrap().unwrap();
        let text = String::from_utf8(value[1..].to_vec()).unwrap().replace("330329001", "330329999");
        let mut forged = vec![value[0]];
        forged.extend_from_slice(text.as_bytes());
        audit.insert(key, forged).unwrap();
        db.flush().unwrap();
    }
    let broken = verify();
    assert!(!broken.status.success());
    let message = String::from_utf8_lossy(&broken.stderr);
    assert!(message.contains("第 2 条记录被篡改"), "{message}");
    let english = std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng"))
        .args(["--lang", "en", "audit", "verify", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&english.stderr).contains("entry 2 was altered"));
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_every_listed_route_exists() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let admin = net.officer(LUOYANG, As::Admin);
    let doc: serde_json::Value = admin
        .http()
        .get(format!("{}/api/v1/openapi.json", net.url(LUOYANG)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/stations"),
        ("post", "/api/v1/cases"),
        ("get", "/api/v1/cases/{id}"),
        ("get", "/api/v1/cases/{id}/bundle"),
        ("get", "/api/v1/inbox"),
        ("get", "/api/v1/outbox"),
        ("get", "/api/v1/search"),
        ("post", "/api/v1/cases/{id}/ack"),
        ("post", "/api/v1/cases/{id}/decline"),
        ("post", "/api/v1/cases/{id}/notes"),
        ("post", "/api/v1/cases/{id}/reminders"),
        ("post", "/api/v1/cases/{id}/outcome"),
        ("post", "/api/v1/cases/{id}/close"),
        ("post", "/api/v1/cases/{id}/withdraw"),
        ("post", "/api/v1/cases/{id}/stand-down"),
        ("post", "/api/v1/cases/{id}/forward"),
        ("post", "/api/v1/cases/{id}/handover"),
        ("post", "/api/v1/attachments"),
        ("get", "/api/v1/cases/{id}/attachments/{sha256}"),
        ("post", "/api/v1/letters/verify"),
        ("get", "/api/v1/stats"),
        ("get", "/api/v1/stats.csv"),
        ("get", "/api/v1/peers"),
        ("get", "/api/v1/peers/{id}/dead-letters"),
        ("get", "/api/v1/peers/{id}/equivocations"),
        ("get", "/api/v1/events"),
        ("get", "/api/v1/desk"),
        ("post", "/api/v1/peers/{id}/dead-letters/resend"),
        ("get", "/metrics"),
        ("post", "/api/v1/admin/backup"),
        ("get", "/api/v1/alerts"),
        ("post", "/api/v1/alerts/{name}/test"),
        ("get", "/healthz"),
        ("post", "/fed/v1/inbox"),
        ("post", "/fed/v1/hello"),
        ("get", "/fed/v1/keys"),
        ("post", "/fed/v1/reconcile"),
        ("put", "/fed/v1/files/{sha256}"),
    ];
    for (method, path) in expected {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} missing from the document");
    }
    // The handler and handovers are documented where clients meet them.
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["CaseRecord"]["properties"].get("handler").is_some(), "{}", schemas["CaseRecord"]);
    assert!(schemas["CaseDetail"]["properties"].get("handovers").is_some());
    assert!(schemas["HandoverInput"]["properties"].get("to").is_some() && schemas.get("HandoverView").is_some());
    let params: Vec<&str> = doc["paths"]["/api/v1/inbox"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(params.contains(&"mine") && params.contains(&"unassigned"), "{params:?}");
    // Every documented operation is served: a call gets an answer from its handler (a 2xx or
    // a problem report), never the router's bare 404/405.
    let id = tiemeng::ids::CaseId::new();
    for (path, operations) in paths {
        for method in operations.as_object().unwrap().keys() {
            let path = path.replace("{id}", &id.to_string()).replace("{sha256}", &"ab".repeat(32));
            let url = format!("{}{path}", net.url(LUOYANG));
            let request = match method.as_str() {
                "get" => admin.http().get(&url),
                "post" => admin.http().post(&url).json(&serde_json::json!({})),
                "put" => admin.http().put(&url).body(Vec::new()),
                other => panic!("unexpected method {other}"),
            };
            let response = request.send().await.unwrap();
            let status = response.status();
            let problem = response.headers().get("content-type").is_some_and(|v| v == "application/problem+json");
            assert!(status.is_success() || problem, "{method} {path}: {status} without a problem report");
        }
    }
    assert_eq!(
        paths.len(),
        expected.iter().map(|(_, p)| *p).collect::<std::collections::BTreeSet<_>>().len(),
        "the document lists routes this test does not know"
    );
    net.shutdown().await;
}

#[tokio::test]
async fn listings_filter_and_page_and_the_case_page_shows_the_signed_timeline() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let xixi: tiemeng::ids::StationId = XIXI.parse().unwrap();
    let mazhan: tiemeng::ids::StationId = support::MAZHAN.parse().unwrap();
    let _ = mazhan;
    let mut ids = Vec::new();
    for kind in
        [CaseKind::MissingPerson, CaseKind::Fugitive, CaseKind::SerialTheft, CaseKind::Dispute, CaseKind::General]
    {
        ids.push(liaison.create_case(&samples::sample(kind, vec![xixi.clone()], now)).await.unwrap().id);
    }
    let all = liaison.list(Mailbox::Outbox, "").await.unwrap();
    assert_eq!(
        all.cases.iter().map(|c| c.case.id).collect::<Vec<_>>(),
        ids.iter().rev().copied().collect::<Vec<_>>(),
        "newest first"
    );
    let fugitives = liaison.list(Mailbox::Outbox, "kind=fugitive").await.unwrap();
    assert_eq!(fugitives.cases.len(), 1);
    assert_eq!(fugitives.cases[0].case.kind, CaseKind::Fugitive);
    let sent = liaison.list(Mailbox::Outbox, "status=sent&peer=fj-shouning-xixi").await.unwrap();
    assert_eq!(sent.cases.len(), 5);
    assert!(liaison.list(Mailbox::Outbox, "status=closed").await.unwrap().cases.is_empty());
    assert!(liaison.list(Mailbox::Inbox, "").await.unwrap().cases.is_empty(), "nothing received");

    let first = liaison.list(Mailbox::Outbox, "limit=2").await.unwrap();
    assert_eq!(first.cases.len(), 2);
    let second =
        liaison.list(Mailbox::Outbox, &format!("limit=2&cursor={}", first.next.clone().unwrap())).await.unwrap();
    let third =
        liaison.list(Mailbox::Outbox, &format!("limit=2&cursor={}", second.next.clone().unwrap())).await.unwrap();
    let paged: Vec<_> = [first, second, third].iter().flat_map(|p| p.cases.iter().map(|c| c.case.id)).collect();
    assert_eq!(paged, ids.iter().rev().copied().collect::<Vec<_>>(), "pages cover everything once");

    let bad = liaison.list(Mailbox::Outbox, "status=lost").await;
    assert!(matches!(bad, Err(ClientError::Problem(p)) if p.status == 400 && p.code == "invalid_query"));

    let detail = liaison.case(&ids[0]).await.unwrap();
    assert_eq!(detail.timeline.len(), 1);
    let entry = &detail.timeline[0];
    assert!(entry.verified, "own signature verifies");
    assert_eq!(entry.from.as_str(), LUOYANG);
    assert_eq!(entry.officer.as_ref().unwrap().name, "陈志强");
    assert_eq!(entry.key, format!("{LUOYANG}#k1"));
    assert_eq!(detail.request["details"]["name"], "吴德福");
    use tiemeng::domain::lifecycle::ActionKind;
    assert_eq!(detail.actions, [ActionKind::Reminder, ActionKind::Withdraw, ActionKind::Note]);

    // Same subject: a second request naming the same resident ID is flagged, both ways.
    let again = liaison.create_case(&samples::sample(CaseKind::MissingPerson, vec![xixi.clone()], now)).await.unwrap();
    assert_eq!(again.same_subject, vec![ids[0]]);
    let first_case = liaison.case(&ids[0]).await.unwrap();
    assert_eq!(first_case.case.same_subject, vec![again.id]);
    assert_eq!(first_case.same_subject[0].title, again.title);

    // Withdrawing releases the flag for later cases.
    let close =
        liaison.act(&again.id, &Action::Close(CloseInput { evaluation: 5, comment: None, targets: vec![] })).await;
    assert!(matches!(close, Err(ClientError::Problem(p)) if p.code == "no_eligible_target"), "nothing to close yet");
    net.shutdown().await;
}

#[tokio::test]
async fn overdue_requests_are_listed_with_how_long_overdue() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let xixi: tiemeng::ids::StationId = XIXI.parse().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let urgent = liaison.create_case(&samples::sample(CaseKind::MissingPerson, vec![xixi.clone()], now)).await.unwrap();
    let routine = liaison.create_case(&samples::sample(CaseKind::General, vec![xixi], now)).await.unwrap();
    assert!(liaison.list(Mailbox::Outbox, "overdue=true").await.unwrap().cases.is_empty());
    // Undelivered, nothing is overdue: deadlines run from delivery.
    net.clocks[LUOYANG].advance(time::Duration::minutes(11));
    assert!(liaison.list(Mailbox::Outbox, "overdue=true").await.unwrap().cases.is_empty());
    net.clocks[LUOYANG].advance(-time::Duration::minutes(11));
    support::delivered_at_once(net.node(LUOYANG), &[urgent.id, routine.id], XIXI).await;

    // Eleven minutes later the urgent request (10-minute ack deadline) is overdue, the routine one not.
    net.clocks[LUOYANG].advance(time::Duration::minutes(11));
    let overdue = liaison.list(Mailbox::Outbox, "overdue=true").await.unwrap();
    assert_eq!(overdue.cases.iter().map(|c| c.case.id).collect::<Vec<_>>(), vec![urgent.id]);
    assert_eq!(overdue.cases[0].overdue[0].deadline, "ack");
    assert!(overdue.cases[0].overdue[0].minutes_overdue >= 1);
    let detail = liaison.case(&routine.id).await.unwrap();
    assert!(detail.overdue.is_empty());
    net.shutdown().await;
}

#[tokio::test]
async fn the_statistics_count_every_overdue_target_and_name_the_longest_overdue() {
    use tiemeng::ids::OfficerId;
    use tiemeng::node::{OVERDUE_SHOWN, StatsQuery};

    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let node = net.node(LUOYANG).clone();
    let officer = |badge: &str| {
        node.officer(&OfficerId { station: LUOYANG.parse().unwrap(), badge: badge.parse().unwrap() }).unwrap()
    };
    let (liaison, chief) = (officer("330329001"), officer("330329003"));
    let xixi: tiemeng::ids::StationId = XIXI.parse().unwrap();
    let start = net.clocks[LUOYANG].now();
    let count = OVERDUE_SHOWN + 5;
    let batch = (0..count)
        .map(|i| {
            let at = start + time::Duration::seconds(i as i64);
            (samples::sample(CaseKind::MissingPerson, vec![xixi.clone()], at), at)
        })
        .collect();
    let created = node.create_cases(&liaison, batch).await.unwrap();
    support::delivered_at_once(&node, &created.iter().map(|c| c.id).collect::<Vec<_>>(), XIXI).await;
    net.clocks[LUOYANG].advance(time::Duration::days(1));

    let (from, to) = (start.date().previous_day().unwrap(), start.date().next_day().unwrap());
    let report = node.stats(&chief, &StatsQuery { from, to, peer: None, kind: None }).unwrap();
    assert_eq!(report.overdue_total, count, "every late target counted");
    assert_eq!(report.overdue.len(), OVERDUE_SHOWN, "only the longest overdue named");
    assert_eq!(report.overdue[0].case, created[0].id, "longest overdue first");
    let numbers: Vec<_> = report.overdue.iter().map(|o| o.refno.clone()).collect();
    let sent: Vec<_> = created[..OVERDUE_SHOWN].iter().map(|c| c.refno.as_ref().map(|r| r.label.clone())).collect();
    assert!(numbers.iter().all(Option::is_some), "each named with its reference number: {numbers:?}");
    assert_eq!(numbers, sent, "the number each was sent with");
    assert!(report.overdue.windows(2).all(|w| w[0].due <= w[1].due));
    assert_eq!(report.by_peer.iter().map(|p| p.overdue_open).sum::<usize>(), count, "per partner, all of them");
    net.shutdown().await;
}

/// A store written before late targets were counted, or counted only per deadline day, gets
/// its counts built when it opens, equal to what keeping them all along gives.
#[tokio::test]
async fn late_counts_missing_from_an_older_store_are_built_when_it_opens() {
    use tiemeng::clock::Clock;
    use tiemeng::ids::OfficerId;
    use tiemeng::node::Node;

    let net = Net::partial(&[LUOYANG, XIXI, support::MAZHAN], &[]).await;
    let start = time::macros::datetime!(2026-03-02 08:00 UTC);
    let mut config = net.config(LUOYANG);
    let dir = net.dir.path().join("older");
    config.storage.data_dir = dir.clone();
    let node = Node::open(config, Clock::manual(start)).unwrap();
    let liaison =
        node.officer(&OfficerId { station: LUOYANG.parse().unwrap(), badge: "330329001".parse().unwrap() }).unwrap();
    let targets = [vec![XIXI.parse().unwrap()], vec![XIXI.parse().unwrap(), support::MAZHAN.parse().unwrap()]];
    let kinds = [CaseKind::MissingPerson, CaseKind::Fugitive, CaseKind::Dispute];
    let requests = (0..30i64)
        .map(|i| {
            let at = start + time::Duration::hours(7 * i) + time::Duration::seconds(97 * i);
            (samples::sample(kinds[i as usize % 3], targets[i as usize % 2].clone(), at), at)
        })
        .collect();
    let created = node.create_cases(&liaison, requests).await.unwrap();
    for target in [XIXI, support::MAZHAN] {
        let theirs: Vec<_> =
            created.iter().filter(|c| c.target(&target.parse().unwrap()).is_some()).map(|c| c.id).collect();
        support::delivered_at_once(&node, &theirs, target).await;
    }
    // Whole hours, and moments inside a minute, of the day of a deadline and of the days after.
    let moments = [(0, 0), (20, 0), (22, 1_234), (100, 0), (100, 3_599), (250, 61), (2000, 0)]
        .map(|(hours, seconds)| start + time::Duration::hours(hours) + time::Duration::seconds(seconds));
    let kept: Vec<_> = moments.iter().map(|at| node.store().late_counts(*at).unwrap()).collect();
    assert!(kept[3].values().sum::<u64>() > 0, "some targets are late by then");
    drop(node);

    let older = |keep: &dyn Fn(&[u8]) -> bool, marker: Option<&[u8]>| {
        let db = tiemeng::store::open_sled(&sled::Config::new().path(&dir)).unwrap();
        let meta = db.open_tree("meta").unwrap();
        let counts: Vec<_> = meta.scan_prefix(b"late").map(|item| item.unwrap().0).collect();
        assert!(counts.len() > 2, "counts are kept in meta");
        for key in counts.into_iter().filter(|key| !keep(key)) {
            meta.remove(key).unwrap();
        }
        if let Some(marker) = marker {
            meta.insert(marker, &[1u8][..]).unwrap();
        }
        db.flush().unwrap();
    };
    // The release before kept counts per deadline day only.
    older(&|key| key.starts_with(b"late\0"), Some(b"late_counts_built"));
    let store = Store::open(&dir, &LUOYANG.parse().unwrap(), 8 << 20).unwrap();
    let built: Vec<_> = moments.iter().map(|at| store.late_counts(*at).unwrap()).collect();
    assert_eq!(built, kept, "built from counts by day only");
    drop(store);
    // The one before that kept none.
    older(&|_| false, None);
    let store = Store::open(&dir, &LUOYANG.parse().unwrap(), 8 << 20).unwrap();
    let built: Vec<_> = moments.iter().map(|at| store.late_counts(*at).unwrap()).collect();
    assert_eq!(built, kept, "built from no counts");
    drop(store);
    net.shutdown().await;
}

/// Timelines kept in the index of earlier releases still read, in order, and a case changed
/// since has its older entries and its new ones in one timeline; this release writes no index
/// entry.
#[tokio::test]
async fn timelines_an_older_release_indexed_still_read_and_grow() {
    use tiemeng::clock::Clock;
    use tiemeng::ids::{CaseId, OfficerId};
    use tiemeng::node::{Node, ReminderInput, WithdrawInput};

    let net = Net::partial(&[LUOYANG, XIXI], &[]).await;
    let start = time::macros::datetime!(2026-03-02 08:00 UTC);
    let dir = net.dir.path().join("older-timelines");
    let open = |at: time::OffsetDateTime| {
        let mut config = net.config(LUOYANG);
        config.storage.data_dir = dir.clone();
        Node::open(config, Clock::manual(at)).unwrap()
    };
    let liaison = |node: &Node| {
        node.officer(&OfficerId { station: LUOYANG.parse().unwrap(), badge: "330329001".parse().unwrap() }).unwrap()
    };
    let timeline = |node: &Node, case: &CaseId| -> Vec<_> {
        node.store().timeline(case).unwrap().into_iter().map(|e| (e.meta.at, e.meta.id)).collect()
    };
    let reminder = || Action::Reminder(ReminderInput { message: Some("请尽快签收".into()), targets: Vec::new() });

    let node = open(start);
    let requests = (0..3i64)
        .map(|i| {
            let at = start + time::Duration::minutes(i);
            (samples::sample(CaseKind::MissingPerson, vec![XIXI.parse().unwrap()], at), at)
        })
        .collect();
    let cases: Vec<CaseId> =
        node.create_cases(&liaison(&node), requests).await.unwrap().into_iter().map(|c| c.id).collect();
    let reminders = cases.iter().map(|id| (*id, reminder(), start + time::Duration::hours(1))).collect();
    node.act_many(&liaison(&node), reminders).await.unwrap();
    let before: Vec<_> = cases.iter().map(|id| timeline(&node, id)).collect();
    assert!(before.iter().all(|t| t.len() == 2 && t[0].0 < t[1].0), "request, then reminder: {before:?}");
    let records: Vec<_> = cases.iter().map(|id| node.store().case(id).unwrap()).collect();
    let index = |node: &Node| {
        node.store().tree_sizes().unwrap().into_iter().find(|(name, _)| *name == "caseevent_envelopeid").unwrap().1
    };
    assert_eq!(index(&node), 0, "no timeline index entries written");
    drop(node);

    // Rewrite the store as the earlier release left it: each case value the record's JSON
    // alone (version 1), its timeline as index entries (case id, then the entry).
    {
        let db = tiemeng::store::open_sled(&sled::Config::new().path(&dir)).unwrap();
        let values = db.open_tree("caseid_case").unwrap();
        let events = db.open_tree("caseevent_envelopeid").unwrap();
        for item in values.iter() {
            let (id, value) = item.unwrap();
            assert_eq!(value[0], 2, "a case's value carries its timeline");
            let len = u32::from_be_bytes(value[1..5].try_into().unwrap()) as usize;
            let (json, entries) = value[5..].split_at(len);
            values.insert(&id, [&[1u8][..], json].concat()).unwrap();
            for entry in entries.chunks(24) {
                events.insert([&id[..], entry].concat(), &[][..]).unwrap();
            }
        }
        db.flush().unwrap();
    }

    let later = start + time::Duration::hours(2);
    let node = open(later);
    assert_eq!(index(&node), 6, "the older release's entries are there");
    assert_eq!(cases.iter().map(|id| timeline(&node, id)).collect::<Vec<_>>(), before, "read from the old index");
    assert_eq!(cases.iter().map(|id| node.store().case(id).unwrap()).collect::<Vec<_>>(), records);

    let withdraw = Action::Withdraw(WithdrawInput {
        reason: tiemeng::domain::case::WithdrawReason::ResolvedElsewhere,
        message: None,
        targets: Vec::new(),
    });
    node.act(&liaison(&node), cases[0], withdraw).await.unwrap();
    let grown = timeline(&node, &cases[0]);
    assert_eq!(grown.len(), 3, "{grown:?}");
    assert_eq!(grown[..2], before[0][..], "the older entries first");
    assert_eq!(grown[2].0, later, "then the new one");
    assert_eq!(index(&node), 6, "the new entry is in the case's value");
    assert_eq!(timeline(&node, &cases[1]), before[1], "other cases unchanged");
    drop(node);
    net.shutdown().await;
}

/// The statistics keep what they read of unchanged days and months between queries; a change
/// to an old case must still show in the next query, equal to a recount of every case.
#[tokio::test]
async fn statistics_after_changes_to_old_cases_equal_a_recount() {
    use tiemeng::clock::Clock;
    use tiemeng::ids::OfficerId;
    use tiemeng::node::{Node, StatsQuery, WithdrawInput};
    use tiemeng::stats::{Direction, Figures, Tally, contributions, date_of_day};

    let net = Net::partial(&[LUOYANG, XIXI], &[]).await;
    let start = time::macros::datetime!(2026-01-10 08:00 UTC);
    let mut config = net.config(LUOYANG);
    config.storage.data_dir = net.dir.path().join("recount");
    let clock = Clock::manual(start);
    let node = Node::open(config, clock.clone()).unwrap();
    let officer = |badge: &str| {
        node.officer(&OfficerId { station: LUOYANG.parse().unwrap(), badge: badge.parse().unwrap() }).unwrap()
    };
    let (liaison, chief) = (officer("330329001"), officer("330329003"));
    let requests: Vec<_> = (0..40i64)
        .map(|i| {
            let at = start + time::Duration::days(2 * i);
            (samples::sample(CaseKind::SerialTheft, vec![XIXI.parse().unwrap()], at), at)
        })
        .collect();
    let cases = node.create_cases(&liaison, requests).await.unwrap();
    let query = StatsQuery {
        from: time::macros::date!(2025 - 12 - 15),
        to: time::macros::date!(2026 - 04 - 20),
        peer: None,
        kind: None,
    };
    let recount = |node: &Node| {
        let mut sum = Tally::default();
        node.store()
            .for_each_case(|case| {
                for (dims, tally) in contributions(&case, node.station()) {
                    let day = date_of_day(dims.day);
                    if dims.direction == Direction::Sent && query.from <= day && day <= query.to {
                        sum.add(&tally, 1);
                    }
                }
            })
            .unwrap();
        Figures::of(&sum, node.clock().now())
    };
    let before = node.stats(&chief, &query).unwrap();
    assert_eq!(before.totals.sent, recount(&node));
    node.stats(&chief, &query).unwrap();

    // Withdraw January's and February's requests in March.
    let later = start + time::Duration::days(60);
    let withdraw = || {
        tiemeng::node::Action::Withdraw(WithdrawInput {
            reason: tiemeng::domain::case::WithdrawReason::ResolvedElsewhere,
            message: None,
            targets: Vec::new(),
        })
    };
    let changes = cases.iter().filter(|c| c.created_at < later).map(|c| (c.id, withdraw(), later)).collect();
    clock.advance(later - clock.now());
    node.act_many(&liaison, changes).await.unwrap();

    let after = node.stats(&chief, &query).unwrap();
    assert!(after.totals.sent.withdrawn > before.totals.sent.withdrawn);
    assert_eq!(after.totals.sent, recount(&node));
    drop(node);
    net.shutdown().await;
}

/// Tallies written by a release that did not count what is due by a deadline are recounted
/// from the cases when the store opens: the figures then equal those of a store that kept the
/// new counts all along, requests long unanswered counting as misses.
#[tokio::test]
async fn statistics_an_older_release_tallied_are_recounted_when_the_store_opens() {
    use tiemeng::clock::Clock;
    use tiemeng::ids::OfficerId;
    use tiemeng::node::{Node, StatsQuery};

    let net = Net::partial(&[LUOYANG, XIXI], &[]).await;
    let start = time::macros::datetime!(2026-03-02 08:00 UTC);
    let later = start + time::Duration::days(2);
    let dir = net.dir.path().join("older-tallies");
    let open = |at: time::OffsetDateTime| {
        let mut config = net.config(LUOYANG);
        config.storage.data_dir = dir.clone();
        Node::open(config, Clock::manual(at)).unwrap()
    };
    let officer = |node: &Node, badge: &str| {
        node.officer(&OfficerId { station: LUOYANG.parse().unwrap(), badge: badge.parse().unwrap() }).unwrap()
    };
    let query = StatsQuery { from: start.date(), to: start.date(), peer: None, kind: None };

    let node = open(start);
    let requests = (0..4i64)
        .map(|i| {
            let at = start + time::Duration::minutes(i);
            (samples::sample(CaseKind::MissingPerson, vec![XIXI.parse().unwrap()], at), at)
        })
        .collect();
    let cases = node.create_cases(&officer(&node, "330329001"), requests).await.unwrap();
    support::delivered_at_once(&node, &[cases[0].id, cases[1].id], XIXI).await;
    drop(node);
    let node = open(later);
    let kept = node.stats(&officer(&node, "330329003"), &query).unwrap();
    assert_eq!(kept.totals.sent.ack_due, 2, "the two delivered and never answered are misses");
    assert_eq!(kept.totals.sent.ack_in_time_share, Some(0.0));
    drop(node);

    // As the earlier release left it: tallies as JSON without the counts of what is due.
    {
        let db = tiemeng::store::open_sled(&sled::Config::new().path(&dir)).unwrap();
        for name in ["daydims_tally", "monthdims_tally"] {
            let tree = db.open_tree(name).unwrap();
            let keys: Vec<_> = tree.iter().map(|item| item.unwrap().0).collect();
            assert!(!keys.is_empty());
            for key in keys {
                let old = serde_json::json!({
                    "requests": 1, "acknowledged": 0, "ack_in_time": 0, "ack_late": 0, "reported": 0,
                    "report_late": 0, "resolved": 0, "closed": 0, "declined": 0, "withdrawn": 0,
                    "reminders": 0, "evaluation_sum": 0, "evaluations": 0, "outcomes": [], "declines": [],
                    "ack_times": [], "report_times": [],
                });
                tree.insert(key, [&[1u8][..], &serde_json::to_vec(&old).unwrap()].concat()).unwrap();
            }
        }
        db.open_tree("meta").unwrap().remove(b"tallies_due_built_v3").unwrap();
        db.flush().unwrap();
    }
    let node = open(later);
    let recounted = node.stats(&officer(&node, "330329003"), &query).unwrap();
    assert_eq!(recounted, kept);
    drop(node);
    net.shutdown().await;
}

/// `tiemeng pki init` makes a local trial complete: every example station has an
/// administrator, and every officer's certificate is also a `.p12` a browser imports with the
/// documented password.
#[test]
fn pki_init_writes_a_browser_file_for_every_officer_and_an_admin_for_every_station() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng"))
        .args(["pki", "init", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let officers: Vec<_> =
        walk(&dir.path().join("officers")).into_iter().filter(|p| p.extension() == Some("pem".as_ref())).collect();
    assert!(officers.len() >= 12, "{officers:?}");
    for cert in &officers {
        let p12 = cert.with_extension("p12");
        let read = std::process::Command::new("openssl")
            .args(["pkcs12", "-info", "-nokeys", "-passin", "pass:tiemeng", "-in"])
            .arg(&p12)
            .output()
            .unwrap();
        assert!(read.status.success(), "{}: {}", p12.display(), String::from_utf8_lossy(&read.stderr));
    }
    let said = String::from_utf8_lossy(&output.stdout);
    for station in ["zj-taishun-luoyang", "fj-shouning-xixi", "zj-cangnan-mazhan"] {
        let admin = tiemeng::devnet::example_configs()
            .into_iter()
            .find(|(name, _)| name.contains(station))
            .map(|(_, text)| text.contains("roles = [\"admin\"]"));
        assert_eq!(admin, Some(true), "{station} has no administrator in its example config");
    }
    assert!(said.contains("浏览器导入文件（密码 tiemeng）"), "{said}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() { found.extend(walk(&path)) } else { found.push(path) }
    }
    found
}

/// Every `tiemeng` command in the README's code blocks parses with the command line as it is
/// built, so the front door cannot drift from the binary. Placeholders (`<case-id>`) stand
/// for a real value; a comment, a redirection or a pipe ends the command.
#[test]
fn every_command_in_the_readme_parses_with_the_current_command_line() {
    use clap::Parser;
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let (mut in_block, mut line_so_far, mut commands) = (false, String::new(), Vec::new());
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(continued) = line.strip_suffix('\\') {
            line_so_far.push_str(continued);
            continue;
        }
        line_so_far.push_str(line);
        let words = shell_words(&std::mem::take(&mut line_so_far));
        let args: Vec<String> = match words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["tiemeng", ..] => words.clone(),
            ["cargo", "run", "--release", "--", rest @ ..] => {
                std::iter::once("tiemeng").chain(rest.iter().copied()).map(str::to_owned).collect()
            }
            _ => continue,
        };
        let args: Vec<String> =
            args.into_iter().map(|a| a.replace("<case-id>", "01a24dd6-448b-75a3-8294-9c9ceb9d08b5")).collect();
        commands.push(args);
    }
    assert!(commands.len() >= 10, "only {} commands found in the README's code blocks", commands.len());
    let broken: Vec<String> = commands
        .iter()
        .filter_map(|args| tiemeng::cli::Cli::try_parse_from(args).err().map(|e| format!("{}: {e}", args.join(" "))))
        .collect();
    assert!(broken.is_empty(), "README commands the command line refuses:\n{}", broken.join("\n"));
}

/// A shell line's words, quotes taken off, up to a comment, a redirection or a pipe.
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quote, mut started) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (None, '#' | '>' | '|') if !started => break,
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

#[test]
fn config_check_names_the_file_the_key_and_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/zj-taishun-luoyang.toml");
    let text = std::fs::read_to_string(good).unwrap().replace("[server]\n", "[server]\nlisten_port = 7443\n");
    let file = dir.path().join("station.toml");
    std::fs::write(&file, text).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng"))
        .args(["config", "check"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains(&file.display().to_string()), "{message}");
    assert!(message.contains("server.listen_port"), "{message}");
    assert!(message.contains("没有名为“listen_port”的项（是否拼写有误？）"), "{message}");
    let english = std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng"))
        .args(["--lang", "en", "config", "check"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&english.stderr).contains("unknown field"));
    let serve = std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng"))
        .args(["serve", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!serve.status.success(), "a bad config stops start-up");
    assert!(String::from_utf8_lossy(&serve.stderr).contains("server.listen_port"));
}

#[tokio::test]
async fn an_officer_certificate_from_the_other_province_is_not_one_of_ours() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    // Fujian's CA is trusted here for Fujian's stations, not to vouch for 罗阳's officers.
    let fujian = pki::load_ca(net.devnet.layout.authority("35").unwrap()).unwrap();
    let impostor = client_with(&net, &fujian, &LeafSpec::officer(LUOYANG, "330329001", "陈志强"), "fujian-issued");
    let Err(ClientError::Problem(problem)) = impostor.me().await else {
        panic!("a foreign-issued officer certificate was accepted")
    };
    assert_eq!((problem.status, problem.code.as_str()), (403, "foreign_issuer"));
    assert!(net.officer(LUOYANG, As::Liaison).me().await.is_ok());
    net.shutdown().await;
}

/// The CA configured for a peer could mint a second certificate naming that peer. What the two
/// stations exchanged is returned only to a reconciliation request signed with the peer's own
/// key, for this station, lately: a certificate is not enough.
#[tokio::test]
async fn a_certificate_naming_a_peer_reads_nothing_without_the_peers_signing_key() {
    use ed25519_dalek::SigningKey;
    use tiemeng::envelope::{ReconcileAsk, VERSION};
    use tiemeng::ids::KeyRef;
    use tiemeng::keys::Signer;
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let now = time::OffsetDateTime::now_utc();
    let liaison = net.officer(LUOYANG, As::Liaison);
    liaison.create_case(&samples::sample(CaseKind::MissingPerson, vec![XIXI.parse().unwrap()], now)).await.unwrap();
    let url = format!("{}/fed/v1/reconcile", net.url(LUOYANG));
    let post = |client: reqwest::Client, body: Vec<u8>| {
        let request = client.post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let ask = |to: &str, at: time::OffsetDateTime| ReconcileAsk {
        v: VERSION,
        from: XIXI.parse().unwrap(),
        to: to.parse().unwrap(),
        since: now - time::Duration::hours(1),
        at,
    };

    // Fujian's CA, trusted here for 犀溪, issues a second certificate naming 犀溪.
    let fujian = pki::load_ca(net.devnet.layout.authority("35").unwrap()).unwrap();
    let impostor = client_with(&net, &fujian, &LeafSpec::station(XIXI, &[]), "second-xixi").http().clone();
    let (status, problem) = post(impostor.clone(), br#"{"since":"2026-01-01T00:00:00Z"}"#.to_vec()).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("malformed_envelope")),
        "an unsigned question: {problem}"
    );
    let made_up = Signer::new(KeyRef::new(XIXI.parse().unwrap(), "k9").unwrap(), SigningKey::from_bytes(&[9; 32]));
    let (status, problem) = post(impostor, ask(LUOYANG, now).seal(&made_up).unwrap().wire()).await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("unknown_key")), "{problem}");

    // 犀溪 itself, signing with its key, is answered with the request 罗阳 sent it.
    let xixi = net.signer(XIXI);
    let (status, answer) = post(net.station_client(XIXI), ask(LUOYANG, now).seal(&xixi).unwrap().wire()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["envelopes"].as_array().unwrap().len(), 1, "{answer}");
    // Even from 犀溪, a request it signed for another station, or long ago, is refused.
    let (status, problem) = post(net.station_client(XIXI), ask(MAZHAN, now).seal(&xixi).unwrap().wire()).await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("bad_addressing")), "{problem}");
    let long_ago = now - time::Duration::hours(2);
    let (status, problem) = post(net.station_client(XIXI), ask(LUOYANG, long_ago).seal(&xixi).unwrap().wire()).await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("stale_request")), "{problem}");
    net.shutdown().await;
}

#[tokio::test]
async fn a_caller_over_its_rate_limit_gets_429_with_retry_after() {
    let net = Net::start_with(&[LUOYANG, XIXI], &[LUOYANG], |_, text| {
        text.push_str("\n[limits]\nofficer_requests_per_minute = 60\n");
    })
    .await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let url = format!("{}/api/v1/me", net.url(LUOYANG));
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..30 {
        let response = liaison.http().get(&url).send().await.unwrap();
        if response.status() == 429 {
            retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 15, "the burst is served: {statuses:?}");
    assert!(statuses[15..].iter().all(|s| *s == 429), "then refused: {statuses:?}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    // Another officer is not affected.
    assert!(net.officer(LUOYANG, As::Chief).me().await.is_ok());
    net.shutdown().await;
}

mod tls_matrix {
    use super::*;
    use std::path::PathBuf;
    use tiemeng::pki::CrlSpec;

    fn write(net: &Net, name: &str, text: &str) -> PathBuf {
        let path = net.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[tokio::test]
    async fn an_officer_under_a_revoked_intermediate_is_refused() {
        let mut net = Net::partial(&[LUOYANG, XIXI], &[]).await;
        let root = zhejiang_ca(&net);
        let intermediate = root.issue_intermediate("泰顺县公安局 铁盟测试中间CA").unwrap();
        let intermediate_pem = write(&net, "intermediate.pem", intermediate.cert_pem());
        // The intermediate publishes its own CRL; the node checks the whole chain.
        let intermediate_crl = intermediate.crl(&CrlSpec::with_default_validity(1)).unwrap();
        let crl_path = write(&net, "intermediate.crl.pem", &intermediate_crl.pem);
        let config = net.devnet.config(LUOYANG).unwrap().to_owned();
        let text = std::fs::read_to_string(&config).unwrap();
        let text = text.replacen("crls = [", &format!("crls = [\"{}\", ", crl_path.display()), 1);
        std::fs::write(&config, text).unwrap();
        net.restart(LUOYANG).await;

        let leaf = intermediate.issue(&LeafSpec::officer(LUOYANG, "330329001", "陈志强")).unwrap();
        let chain = write(&net, "chained-officer.pem", &format!("{}{}", leaf.cert_pem, intermediate.cert_pem()));
        let key = write(&net, "chained-officer.key", &leaf.key_pem);
        let client = || ApiClient::with_tls(&net.url(LUOYANG), rustls_client(&net, Some((&chain, &key)))).unwrap();
        assert_eq!(client().me().await.unwrap().name, "陈志强", "a chain through a good intermediate works");

        let paths = net.devnet.layout.authority("33").unwrap();
        pki::revoke(&root, paths, &intermediate_pem, &paths.crl, time::Duration::days(30)).unwrap();
        assert!(
            eventually(Duration::from_secs(10), || async { refused(&client()).await }).await,
            "revoked intermediate still accepted"
        );
        assert!(
            net.officer(LUOYANG, As::Liaison).me().await.is_ok(),
            "certificates issued by the root directly still work"
        );
        net.shutdown().await;
    }

    #[tokio::test]
    async fn an_expired_crl_locks_out_that_ca_until_a_fresh_one_arrives() {
        let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
        let paths = net.devnet.layout.authority("33").unwrap();
        let root = zhejiang_ca(&net);
        let fresh_crl = std::fs::read_to_string(&paths.crl).unwrap();
        std::fs::write(&paths.crl, root.crl(&CrlSpec::expired(90)).unwrap().pem).unwrap();
        let officer = net.officer(LUOYANG, As::Liaison);
        assert!(
            eventually(Duration::from_secs(10), || async { refused(&net.officer(LUOYANG, As::Liaison)).await }).await,
            "an expired CRL was trusted"
        );
        // A peer of the other province is judged against its own (still valid) CRL.
        let keys = net.station_client(XIXI).get(format!("{}/fed/v1/keys", net.url(LUOYANG))).send().await;
        assert!(keys.is_ok_and(|r| r.status() == 200));
        std::fs::write(&paths.crl, fresh_crl).unwrap();
        assert!(
            eventually(Duration::from_secs(10), || async { officer.me().await.is_ok() }).await,
            "a fresh CRL takes effect without restart"
        );
        net.shutdown().await;
    }

    #[test]
    fn a_missing_crl_stops_start_up_with_the_key_named() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let net = runtime.block_on(Net::partial(&[LUOYANG, XIXI], &[]));
        let paths = net.devnet.layout.authority("35").unwrap();
        std::fs::remove_file(&paths.crl).unwrap();
        let error = tiemeng::config::Config::load(net.devnet.config(LUOYANG).unwrap()).unwrap_err();
        assert_eq!(error.key, "tls.crls[1]");
        assert!(error.message.contains("cannot read"), "{error}");
    }

    #[tokio::test]
    async fn a_resumed_session_does_not_skip_a_revocation() {
        let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
        let ca = zhejiang_ca(&net);
        let leaf = ca.issue(&LeafSpec::officer(LUOYANG, "330329001", "陈志强")).unwrap();
        let cert = write(&net, "resume.pem", &leaf.cert_pem);
        let key = write(&net, "resume.key", &leaf.key_pem);
        // One client configuration, so its session cache carries over between connections.
        let config = rustls_client(&net, Some((&cert, &key)));
        let first = ApiClient::with_tls(&net.url(LUOYANG), config.clone()).unwrap();
        assert!(first.me().await.is_ok());
        drop(first);
        let paths = net.devnet.layout.authority("33").unwrap();
        pki::revoke(&ca, paths, &cert, &paths.crl, time::Duration::days(30)).unwrap();
        let again = || ApiClient::with_tls(&net.url(LUOYANG), config.clone()).unwrap();
        assert!(
            eventually(Duration::from_secs(10), || async { refused(&again()).await }).await,
            "the old session let a revoked certificate in"
        );
        net.shutdown().await;
    }

    #[tokio::test]
    async fn a_station_certificate_that_is_not_a_peer_gets_403_and_may_not_deliver() {
        let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
        let fujian = pki::load_ca(net.devnet.layout.authority("35").unwrap()).unwrap();
        let stranger = fujian.issue(&LeafSpec::station("fj-fuding-qianqi", &["localhost".into()])).unwrap();
        let cert = write(&net, "qianqi.pem", &stranger.cert_pem);
        let key = write(&net, "qianqi.key", &stranger.key_pem);
        let config = tiemeng::tls::client_config(&net.devnet.layout.ca_bundle, &[], &cert, &key).unwrap();
        let client = reqwest::Client::builder().use_preconfigured_tls(config).build().unwrap();
        let response = client
            .post(format!("{}/fed/v1/inbox", net.url(LUOYANG)))
            .header("content-type", "application/json")
            .body("{\"envelopes\":[]}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "unknown_station");
        net.shutdown().await;
    }

    #[tokio::test]
    async fn a_client_that_never_finishes_the_handshake_is_dropped_after_the_timeout() {
        let net = Net::start_with(&[LUOYANG, XIXI], &[LUOYANG], |_, text| {
            *text = text.replace("[server]\n", "[server]\nhandshake_timeout_secs = 1\n");
        })
        .await;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stalled = tokio::net::TcpStream::connect(net.addrs[LUOYANG]).await.unwrap();
        // Half a ClientHello, then silence.
        stalled.write_all(&[0x16, 0x03, 0x01, 0x00, 0xc8, 0x01]).await.unwrap();
        let started = std::time::Instant::now();
        let mut buffer = [0u8; 64];
        let closed = tokio::time::timeout(Duration::from_secs(10), stalled.read(&mut buffer)).await;
        assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "the stalled connection was kept open");
        assert!(started.elapsed() < Duration::from_secs(5));
        // Meanwhile others are served.
        assert!(net.officer(LUOYANG, As::Liaison).me().await.is_ok());
        net.shutdown().await;
    }

    /// A TCP connection to 罗阳 from `source` (another loopback address than the node's own
    /// clients use).
    async fn connect_from(net: &Net, source: &str) -> tokio::net::TcpStream {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
        socket.connect(net.addrs[LUOYANG]).await.unwrap()
    }

    /// An mTLS handshake with 罗阳 as its liaison from `source`.
    async fn handshake_from(
        net: &Net,
        source: &str,
    ) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
        let (cert, key) = net.officer_files(LUOYANG, As::Liaison);
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(rustls_client(net, Some((&cert, &key)))));
        let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
        let tcp = connect_from(net, source).await;
        tokio::time::timeout(Duration::from_secs(10), connector.connect(name, tcp)).await.unwrap()
    }

    #[tokio::test]
    async fn handshakes_over_a_sources_share_are_closed_and_other_sources_still_get_in() {
        let net = Net::start_with(&[LUOYANG, XIXI], &[LUOYANG], |_, text| {
            *text =
                text.replace("[server]\n", "[server]\nmax_handshakes_per_source = 3\nhandshake_timeout_secs = 60\n");
        })
        .await;
        use tokio::io::AsyncWriteExt;
        // Three handshakes from one address begun and never finished: its share.
        let mut stalled = Vec::new();
        for _ in 0..3 {
            let mut tcp = connect_from(&net, "127.0.0.2").await;
            tcp.write_all(&[0x16, 0x03, 0x01, 0x00, 0xc8, 0x01]).await.unwrap();
            stalled.push(tcp);
        }
        // A fourth from that address is closed before TLS begins, long before the timeout.
        assert!(handshake_from(&net, "127.0.0.2").await.is_err(), "a handshake over the share was taken");
        // Another address is served.
        assert!(handshake_from(&net, "127.0.0.3").await.is_ok());
        assert!(net.officer(LUOYANG, As::Liaison).me().await.is_ok());
        // Once one of the stalled handshakes gives up, the address gets in again.
        drop(stalled.pop());
        assert!(
            eventually(Duration::from_secs(5), || async { handshake_from(&net, "127.0.0.2").await.is_ok() }).await,
            "the abandoned handshake's slot was not freed"
        );
        // A stop does not wait out the handshakes still stalled (a minute here).
        let stopping = tokio::time::timeout(Duration::from_secs(20), net.shutdown()).await;
        assert!(stopping.is_ok(), "the node waited for handshakes that never finish before it stopped");
        drop(stalled);
    }

    /// `n` mTLS connections to 罗阳 as its liaison that send nothing after the handshake.
    async fn silent_connections(net: &Net, n: usize) -> Vec<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
        let (cert, key) = net.officer_files(LUOYANG, As::Liaison);
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(rustls_client(net, Some((&cert, &key)))));
        let mut connections = Vec::new();
        for _ in 0..n {
            let tcp = tokio::net::TcpStream::connect(net.addrs[LUOYANG]).await.unwrap();
            let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
            connections.push(connector.connect(name, tcp).await.unwrap());
        }
        connections
    }

    #[tokio::test]
    async fn an_idle_connection_is_closed_so_it_cannot_hold_a_slot() {
        let net = Net::start_with(&[LUOYANG, XIXI], &[LUOYANG], |_, text| {
            *text = text.replace("[server]\n", "[server]\nidle_timeout_secs = 1\nmax_connections = 2\n");
        })
        .await;
        use tokio::io::AsyncReadExt;
        let mut idle = silent_connections(&net, 2).await;
        // Both slots are taken by connections that say nothing; the server frees them.
        for stream in &mut idle {
            let mut buffer = [0u8; 16];
            let closed = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer)).await;
            assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "an idle connection stayed open");
        }
        assert!(net.officer(LUOYANG, As::Liaison).me().await.is_ok(), "the slots are free again");
        net.shutdown().await;
    }

    #[tokio::test]
    async fn connections_over_an_identitys_share_are_answered_429_and_others_still_get_in() {
        let net = Net::start_with(&[LUOYANG, XIXI], &[LUOYANG], |_, text| {
            *text = text.replace("[server]\n", "[server]\nmax_connections_per_identity = 2\n");
        })
        .await;
        let mut held = silent_connections(&net, 2).await;
        // The liaison's two connections are its share: a third is answered, and says why.
        let liaison = net.officer(LUOYANG, As::Liaison);
        let url = format!("{}/api/v1/me", net.url(LUOYANG));
        let over = |lang: &'static str| {
            let request = liaison.http().get(&url).header("accept-language", lang);
            async move { request.send().await.unwrap() }
        };
        let response = over("zh-CN").await;
        assert_eq!(response.status(), 429);
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "too_many_connections");
        assert!(problem["title"].as_str().unwrap().contains("连接过多"), "{problem}");
        let problem: serde_json::Value = over("en").await.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains("max_connections_per_identity"), "{problem}");
        // Another officer of the station is not affected.
        assert!(net.officer(LUOYANG, As::Chief).me().await.is_ok());
        // Once one of the two closes, the liaison gets in again.
        drop(held.pop());
        assert!(
            eventually(Duration::from_secs(5), || async { liaison.me().await.is_ok() }).await,
            "the closed connection's slot was not freed"
        );
        net.shutdown().await;
    }

    /// A request refused before its body is read (here: an officer posting to the peers'
    /// inbox) still reaches its client whole: the server reads the rest of the body before it
    /// lets the socket go, since closing on unread bytes resets the connection and can throw
    /// the answer away before the client reads it.
    #[tokio::test]
    async fn a_request_refused_before_its_body_is_read_gets_its_answer_and_a_clean_close() {
        let net = Net::start(&[LUOYANG, XIXI]).await;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (cert, key) = net.officer_files(LUOYANG, As::Liaison);
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(rustls_client(&net, Some((&cert, &key)))));
        let body = vec![b'a'; 16 * 1024 * 1024];
        for attempt in 0..3 {
            let tcp = tokio::net::TcpStream::connect(net.addrs[LUOYANG]).await.unwrap();
            let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
            let stream = connector.connect(name, tcp).await.unwrap();
            let (mut reader, mut writer) = tokio::io::split(stream);
            let head = format!(
                "POST /fed/v1/inbox HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            let body = body.clone();
            let sent = tokio::spawn(async move {
                writer.write_all(head.as_bytes()).await?;
                writer.write_all(&body).await?;
                writer.flush().await
            });
            let mut answer = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(20), reader.read_to_end(&mut answer)).await.unwrap();
            let answer = String::from_utf8_lossy(&answer);
            assert!(answer.starts_with("HTTP/1.1 403"), "attempt {attempt}: answer {answer:?}");
            assert!(read.is_ok(), "attempt {attempt}: the connection was not closed cleanly: {read:?}");
            let sent = sent.await.unwrap();
            assert!(sent.is_ok(), "attempt {attempt}: the body could not be sent: {sent:?}");
        }
        net.shutdown().await;
    }

    #[tokio::test]
    async fn oversized_bodies_and_batches_are_refused_with_413() {
        let net = Net::start(&[LUOYANG, XIXI]).await;
        let liaison = net.officer(LUOYANG, As::Liaison);
        let huge = "字".repeat(100_000);
        let response = liaison
            .http()
            .post(format!("{}/api/v1/cases", net.url(LUOYANG)))
            .header("content-type", "application/json")
            .body(format!("{{\"title\":\"{huge}\"}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413);
        let peer = net.station_client(XIXI);
        let batch = format!("{{\"envelopes\":[{}]}}", vec!["{}"; 1001].join(","));
        let response = peer
            .post(format!("{}/fed/v1/inbox", net.url(LUOYANG)))
            .header("content-type", "application/json")
            .body(batch)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413);
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "batch_too_large");
        let enormous = format!("{{\"envelopes\":[\"{}\"]}}", "a".repeat(9 * 1024 * 1024));
        let response = peer
            .post(format!("{}/fed/v1/inbox", net.url(LUOYANG)))
            .header("content-type", "application/json")
            .body(enormous)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413);
        net.shutdown().await;
    }
}

#[tokio::test]
async fn same_subject_links_are_bounded_so_bulk_alerts_stay_cheap() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let mut ids = Vec::new();
    for _ in 0..25 {
        ids.push(
            liaison
                .create_case(&samples::sample(CaseKind::MissingPerson, vec![XIXI.parse().unwrap()], now))
                .await
                .unwrap()
                .id,
        );
    }
    let newest = liaison.case(ids.last().unwrap()).await.unwrap();
    assert_eq!(newest.case.same_subject.len(), 20, "a new case links with the 20 most recent");
    assert_eq!(newest.case.same_subject[0], ids[23], "most recent first");
    let oldest = liaison.case(&ids[0]).await.unwrap();
    assert_eq!(oldest.case.same_subject.len(), 20, "an old case stops collecting links once it is no longer recent");
    net.shutdown().await;
}

/// The bulk loader (`Node::create_cases`, `Node::act_many`) must leave exactly what one call
/// per request and per action leaves at the same times: the benchmark's million-case store is
/// built with it and stands for a store written case by case.
#[tokio::test]
async fn a_bulk_loaded_store_equals_one_written_case_by_case() {
    use tiemeng::clock::Clock;
    use tiemeng::ids::OfficerId;
    use tiemeng::node::{Node, ReminderInput, StatsQuery, WithdrawInput};
    use tiemeng::store::ListQuery;

    let net = Net::partial(&[LUOYANG, XIXI, support::MAZHAN], &[]).await;
    let start = time::macros::datetime!(2026-03-02 08:00 UTC);
    let open = |name: &str| {
        let mut config = net.config(LUOYANG);
        config.storage.data_dir = net.dir.path().join(name);
        let clock = Clock::manual(start);
        (Node::open(config, clock.clone()).unwrap(), clock)
    };
    let (single, single_clock) = open("one-by-one");
    let (bulk, bulk_clock) = open("bulk");
    let officer = |node: &Node, badge: &str| {
        node.officer(&OfficerId { station: LUOYANG.parse().unwrap(), badge: badge.parse().unwrap() }).unwrap()
    };
    let (liaison, chief) = (officer(&single, "330329001"), officer(&single, "330329003"));
    let (xixi, mazhan): (tiemeng::ids::StationId, tiemeng::ids::StationId) =
        (XIXI.parse().unwrap(), support::MAZHAN.parse().unwrap());
    // Every kind, one or two targets, and the same missing person twice, so that cases link.
    let kinds =
        [CaseKind::MissingPerson, CaseKind::Fugitive, CaseKind::SerialTheft, CaseKind::Dispute, CaseKind::General];
    let requests: Vec<_> = (0..12)
        .map(|i| {
            let at = start + time::Duration::minutes(i);
            let targets = if i % 3 == 0 { vec![xixi.clone(), mazhan.clone()] } else { vec![xixi.clone()] };
            (samples::sample(kinds[i as usize % kinds.len()], targets, at), at)
        })
        .collect();
    let mut by_one = Vec::new();
    for (new, at) in requests.clone() {
        single_clock.advance(at - single_clock.now());
        by_one.push(single.create_case(&liaison, new).await.unwrap());
    }
    let in_bulk = bulk.create_cases(&liaison, requests).await.unwrap();
    // Reminders and withdrawals on some of them, an hour later.
    let actions = |cases: &[tiemeng::case::CaseRecord]| -> Vec<_> {
        (0..cases.len())
            .step_by(2)
            .map(|i| {
                let at = start + time::Duration::hours(1) + time::Duration::minutes(i as i64);
                let action = if i % 4 == 0 {
                    Action::Reminder(ReminderInput { message: Some("请尽快签收".into()), targets: Vec::new() })
                } else {
                    Action::Withdraw(WithdrawInput {
                        reason: tiemeng::domain::case::WithdrawReason::ResolvedElsewhere,
                        message: None,
                        targets: Vec::new(),
                    })
                };
                (cases[i].id, action, at)
            })
            .collect()
    };
    for (case, action, at) in actions(&by_one) {
        single_clock.advance(at - single_clock.now());
        single.act(&liaison, case, action).await.unwrap();
    }
    bulk.act_many(&liaison, actions(&in_bulk)).await.unwrap();
    bulk_clock.advance(single_clock.now() - bulk_clock.now());

    assert_eq!(single.store().tree_sizes().unwrap(), bulk.store().tree_sizes().unwrap(), "entries per tree");
    let query = StatsQuery { from: start.date(), to: start.date(), peer: None, kind: None };
    // Case ids differ between the two stores; everything else in the report must not.
    let report = |node: &Node| {
        let mut report = node.stats(&chief, &query).unwrap();
        let overdue: Vec<_> =
            report.overdue.drain(..).map(|o| (o.title, o.target, o.deadline, o.due, o.minutes_overdue)).collect();
        (report, overdue)
    };
    assert_eq!(report(&single), report(&bulk), "statistics");
    let shape = |node: &Node| {
        let query = ListQuery {
            mailbox: Mailbox::Outbox,
            state: None,
            kind: None,
            peer: None,
            overdue: false,
            handled: tiemeng::store::Handled::Any,
            now: node.clock().now(),
            limit: 100,
            cursor: None,
        };
        let page = node.list(&chief, &query).unwrap();
        page.cases
            .iter()
            .map(|c| {
                let states: Vec<_> = c.targets.iter().map(|t| (t.station.clone(), t.state)).collect();
                (c.title.clone(), c.created_at, states, c.same_subject.len(), c.updated_at, c.refno.clone())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&single), shape(&bulk), "the cases, their targets' states and links");
    assert!(shape(&single).iter().any(|c| c.3 > 0), "some cases are linked by subject");
    let entries = |node: &Node| {
        node.store().audit_entries(0, 1000).unwrap().into_iter().map(|e| (e.at, e.actor, e.action)).collect::<Vec<_>>()
    };
    assert_eq!(entries(&single), entries(&bulk), "audit entries: same actions by the same people at the same times");
    assert_eq!(single.store().verify_audit().unwrap(), bulk.store().verify_audit().unwrap());
}
