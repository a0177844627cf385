//! The formal 协查函: the origin prints a request as an A4 letter whose QR code carries the
//! station, the case and the SHA-256 of the signed request; the partner's 核验 page, its API
//! and `tiemeng verify --letter` vouch for that code and refuse an altered one.

use std::time::Duration;

use super::support::{As, LUOYANG, MAZHAN, Net, XIXI, eventually};
use tiemeng::case::CaseRecord;
use tiemeng::client::{ApiClient, ClientError};
use tiemeng::domain::details::CaseKind;
use tiemeng::node::LetterCode;
use tiemeng::samples;

const PATIENCE: Duration = Duration::from_secs(20);

async fn send(client: &ApiClient, net: &Net, kind: CaseKind) -> CaseRecord {
    let now = net.clocks[LUOYANG].now();
    client.create_case(&samples::sample(kind, vec![XIXI.parse().unwrap(), MAZHAN.parse().unwrap()], now)).await.unwrap()
}

/// A console page as `role` at `station` reads it, in `lang`.
async fn page(net: &Net, station: &str, role: As, path: &str, lang: &str) -> (u16, String) {
    let client = net.officer(station, role);
    let separator = if path.contains('?') { '&' } else { '?' };
    let url = format!("{}{path}{separator}lang={lang}", net.url(station));
    let response = client.http().get(url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// `text` percent-encoded for a query string.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The refusal's status and code, as the API answers it.
async fn refused(client: &ApiClient, code: &str) -> (u16, String) {
    match client.verify_letter(code).await {
        Err(ClientError::Problem(problem)) => (problem.status, problem.code),
        other => panic!("{code}: {other:?}"),
    }
}

#[tokio::test]
async fn a_letter_prints_every_field_and_its_code_verifies_at_the_partner_while_an_altered_one_is_refused() {
    let net = Net::start(&[LUOYANG, XIXI, MAZHAN]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let case = send(&liaison, &net, CaseKind::MissingPerson).await;
    let other = send(&liaison, &net, CaseKind::General).await;
    let arrived = eventually(PATIENCE, || async {
        let held = |id| net.node(XIXI).store().case(id).unwrap().is_some();
        held(&case.id) && held(&other.id)
    })
    .await;
    assert!(arrived, "犀溪 did not get the requests");

    // The letter at the origin: letterhead, 文号, addressees, the request's fields, contact,
    // date, and the QR code with its text printed under it.
    let detail = liaison.case(&case.id).await.unwrap();
    let code = LetterCode::of(&detail).expect("a verified request has a code");
    let text = code.to_string();
    let request_entry = detail.timeline.iter().find(|e| e.kind.as_str() == "request").unwrap();
    assert_eq!(text, format!("TIEMENG1:{LUOYANG}:{}:{}", case.id, request_entry.sha256));
    let (status, letter) = page(&net, LUOYANG, As::Liaison, &format!("/console/cases/{}/letter", case.id), "zh").await;
    assert_eq!(status, 200);
    let refno = case.refno.as_ref().unwrap().label.clone();
    let names = [LUOYANG, XIXI, MAZHAN].map(|s| net.config(s).station.name);
    let date = tiemeng::clock::beijing_date(case.created_at);
    let date = format!("{}年{}月{}日", date.year(), u8::from(date.month()), date.day());
    let contact = detail.request["contact"].as_str().unwrap();
    let officer = detail.request["officer"]["name"].as_str().unwrap();
    for expected in ["协查函", &refno, &names[0], &names[1], &names[2], &case.title, contact, officer, &date, &text]
    {
        assert!(letter.contains(expected), "{expected} missing from the letter");
    }
    // The request's own fields, in the kind's words: every text the officer wrote.
    let details = &detail.request["details"];
    for key in ["name", "description", "last_seen_place", "contact", "risk_notes"] {
        let value = details[key].as_str().unwrap();
        assert!(letter.contains(value), "details.{key} missing from the letter");
    }
    assert!(letter.contains(detail.request["narrative"].as_str().unwrap()));
    assert!(letter.contains("<svg") && letter.contains("/console/static/console.css"), "{letter}");
    assert!(!letter.contains("<style") && !letter.contains("<script"), "the console's CSP allows neither");
    let (_, case_page) = page(&net, LUOYANG, As::Liaison, &format!("/console/cases/{}", case.id), "zh").await;
    assert!(case_page.contains(&format!("/console/cases/{}/letter", case.id)) && case_page.contains("打印协查函"));
    let (_, english) = page(&net, LUOYANG, As::Liaison, &format!("/console/cases/{}/letter", case.id), "en").await;
    assert!(english.contains("Request for assistance") && english.contains(&text));

    // The partner may print the letter it received too: the same letter, the same code.
    let (status, received) = page(&net, XIXI, As::Duty, &format!("/console/cases/{}/letter", case.id), "zh").await;
    assert_eq!(status, 200);
    assert!(received.contains(&text) && received.contains(&refno));

    // At 犀溪, the partner: the code verifies through the API and on the 核验 page.
    let duty = net.officer(XIXI, As::Duty);
    let check = duty.verify_letter(&format!(" {text}\n")).await.unwrap();
    assert_eq!((check.case, check.station.as_str()), (case.id, LUOYANG));
    assert_eq!(check.refno.as_deref(), Some(refno.as_str()));
    assert!(check.signature_verified);
    let (status, verified) =
        page(&net, XIXI, As::Duty, &format!("/console/verify?code={}", encoded(&text)), "zh").await;
    assert_eq!(status, 200);
    assert!(verified.contains("核验通过") && verified.contains(&refno) && verified.contains(&names[0]), "{verified}");
    let (_, verified) = page(&net, XIXI, As::Duty, &format!("/console/verify?code={}", encoded(&text)), "en").await;
    assert!(verified.contains("Verified"), "{verified}");

    // Altered codes are refused, each with its reason.
    let last = text.chars().last().unwrap();
    let one_digit = format!("{}{}", &text[..text.len() - 1], if last == '0' { '1' } else { '0' });
    let other_case = text.replace(&case.id.to_string(), &other.id.to_string());
    let unknown_case = text.replace(&case.id.to_string(), &tiemeng::ids::CaseId::new().to_string());
    let other_station = text.replace(LUOYANG, MAZHAN);
    let tampered = [
        (one_digit.as_str(), 422, "letter_hash_mismatch"),
        (other_case.as_str(), 422, "letter_hash_mismatch"),
        (unknown_case.as_str(), 404, "letter_unknown_case"),
        (other_station.as_str(), 422, "letter_wrong_station"),
        ("TIEMENG1:zj-taishun-luoyang", 422, "letter_malformed"),
    ];
    for (bad, status, reason) in tampered {
        assert_eq!(refused(&duty, bad).await, (status, reason.to_owned()), "{bad}");
        let (shown, words) = page(&net, XIXI, As::Duty, &format!("/console/verify?code={}", encoded(bad)), "zh").await;
        assert_eq!(shown, 200);
        assert!(
            words.contains("核验未通过") && words.contains(reason) && !words.contains("核验通过<"),
            "{bad}: {words}"
        );
    }

    // The command line: the letter to a file at the origin, the code checked at the partner.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("letter.html");
    let written = net.cli(LUOYANG, As::Liaison, "case", &["letter", &refno, "--out", out.to_str().unwrap()]).await;
    assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
    assert!(String::from_utf8_lossy(&written.stdout).contains(&text));
    let file = std::fs::read_to_string(&out).unwrap();
    assert!(file.contains("<svg") && file.contains(&text) && file.contains(&refno) && file.contains("@page"));
    let checked = net.cli(XIXI, As::Duty, "verify", &["--letter", &text]).await;
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
    assert!(String::from_utf8_lossy(&checked.stdout).contains("核验通过"));
    let refused_cli = net.cli(XIXI, As::Duty, "verify", &["--letter", &one_digit]).await;
    assert!(!refused_cli.status.success());
    assert!(String::from_utf8_lossy(&refused_cli.stderr).contains("letter_hash_mismatch"));
    net.shutdown().await;
}
