//! Photos and documents on the console's new-request form, posted as a browser without
//! JavaScript posts a form with files (`multipart/form-data`), and shown on the case pages and
//! the inbox of both stations.

use std::time::Duration;

use super::support::{As, LUOYANG, Net, XIXI, eventually};
use super::{get, token};
use tiemeng::domain::attachment::Sha256;

/// A JPEG photo of `width`×`height`.
fn photo(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 90]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&image).unwrap();
    out
}

/// A one-page PDF as a scanner writes one, enough for the check.
fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// A file a form posts: its field, its name as the officer's computer has it, its bytes.
struct Upload<'a> {
    field: &'a str,
    name: &'a str,
    bytes: &'a [u8],
}

/// A `multipart/form-data` body as a browser sends it: the fields in order, then the files.
fn multipart(fields: &[(&str, String)], files: &[Upload<'_>]) -> (String, Vec<u8>) {
    let boundary = "----tiemeng-test-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for file in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                file.field, file.name
            )
            .as_bytes(),
        );
        body.extend_from_slice(file.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_multipart(
    net: &Net,
    path: &str,
    fields: &[(&str, String)],
    files: &[Upload<'_>],
) -> (u16, String, String) {
    let (content_type, body) = multipart(fields, files);
    let response = net
        .officer(LUOYANG, As::Liaison)
        .http()
        .post(format!("{}{path}", net.url(LUOYANG)))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response.url().path().to_owned();
    (status, location, response.text().await.unwrap())
}

/// The fields of a missing-person request, as an officer fills them in.
fn request_fields(csrf: &str) -> Vec<(&'static str, String)> {
    let id_number = tiemeng::samples::resident_id("33032919480312001").unwrap().as_str().to_owned();
    [
        ("csrf", csrf.to_owned()),
        ("targets", XIXI.to_owned()),
        ("priority", "urgent".to_owned()),
        ("title", "协查走失老人吴德福".to_owned()),
        ("details.name", "吴德福".to_owned()),
        ("details.sex", "male".to_owned()),
        ("details.age", "78".to_owned()),
        ("details.id_number", id_number),
        ("details.description", "身高约165厘米，穿深蓝色中山装".to_owned()),
        ("details.last_seen_place", "罗阳镇洲岭村村口".to_owned()),
        ("details.last_seen_at", "2026-11-23T06:30".to_owned()),
        ("contact", "陈志强 0577-67580110".to_owned()),
        ("attachments[0].caption", "2026年10月摄".to_owned()),
    ]
    .to_vec()
}

#[tokio::test]
async fn a_request_with_a_photo_and_a_letter_from_the_form_shows_them_at_both_stations() {
    // 犀溪 is down at first: 罗阳's page says the files wait for it.
    let mut net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let (_, form) = get(&net, LUOYANG, As::Liaison, "/console/new/missing_person").await;
    assert!(
        form.contains("enctype=\"multipart/form-data\"") && form.contains("type=\"file\""),
        "a form that takes files"
    );
    let (face, letter) = (photo(900, 1200), pdf());
    let files = [
        Upload { field: "attachments[0].file", name: "照片/吴德福近照.jpg", bytes: &face },
        Upload { field: "attachments[1].file", name: "协查函.pdf", bytes: &letter },
        // A chooser left empty sends an empty part without a name.
        Upload { field: "attachments[2].file", name: "", bytes: b"" },
    ];
    let (status, path, html) =
        post_multipart(&net, "/console/new/missing_person", &request_fields(&token(&form)), &files).await;
    assert_eq!(status, 200, "{html}");
    assert!(path.starts_with("/console/cases/"), "redirected to the new case: {path}");
    let id: tiemeng::ids::CaseId = path.trim_start_matches("/console/cases/").parse().unwrap();
    let liaison = net.officer(LUOYANG, As::Liaison);
    let sent = liaison.case(&id).await.unwrap();
    let named: Vec<_> = sent.attachments.iter().map(|a| &a.attachment).collect();
    assert_eq!(named.len(), 2);
    assert_eq!(
        (named[0].sha256, named[0].name.as_str()),
        (Sha256::of(&face), "吴德福近照.jpg"),
        "the name without folders"
    );
    assert_eq!(named[0].caption.as_deref(), Some("2026年10月摄"));
    assert_eq!((named[1].sha256, named[1].caption.as_deref()), (Sha256::of(&letter), None));
    assert!(html.contains("待对方接收"), "the sender's page: the partner has not signed for them yet");

    net.restart(XIXI).await;
    let duty = net.officer(XIXI, As::Duty);
    let arrived = eventually(Duration::from_secs(30), || async {
        duty.case(&id).await.is_ok_and(|d| d.attachments.len() == 2 && d.attachments.iter().all(|a| a.here))
    })
    .await;
    assert!(arrived, "both files reach 犀溪");
    let original = format!("/api/v1/cases/{id}/attachments/{}", Sha256::of(&face));
    let (status, page) = get(&net, XIXI, As::Duty, &format!("/console/cases/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("<a href=\"{original}\"")), "a click opens the original");
    assert!(page.contains(&format!("<img class=\"thumb\" src=\"{original}?preview=1\"")), "a thumbnail");
    assert!(page.contains("2026年10月摄"), "with its caption");
    let letter_link = format!("/api/v1/cases/{id}/attachments/{}", Sha256::of(&letter));
    assert!(page.contains(&format!("href=\"{letter_link}\">协查函.pdf</a>")), "the letter as a link");
    assert!(page.contains("PDF 文档 · 1 KB"), "with its type and size");
    let (_, inbox) = get(&net, XIXI, As::Duty, "/console/inbox").await;
    assert!(inbox.contains(&format!("<img class=\"row-thumb\" src=\"{original}?preview=1\"")), "the inbox row's photo");
    // The thumbnail the page asks for is served to the browser, as an image, inline.
    let response = duty.http().get(format!("{}{original}?preview=1", net.url(XIXI))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let preview = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
    assert!(preview.width() <= 1280 && preview.height() <= 1280);
    // The page's policy lets it show images from the node itself, and nothing else.
    let response = duty.http().get(format!("{}/console/cases/{id}", net.url(XIXI))).send().await.unwrap();
    let policy = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("img-src 'self'") && policy.contains("default-src 'none'"), "{policy}");

    // Back at 罗阳, 犀溪's receipts came back.
    let signed = eventually(Duration::from_secs(20), || async {
        get(&net, LUOYANG, As::Liaison, &format!("/console/cases/{id}")).await.1.matches("已接收</span>").count() == 2
    })
    .await;
    assert!(signed, "犀溪 signed for both");
    net.shutdown().await;
}

#[tokio::test]
async fn a_file_the_station_does_not_take_is_the_forms_error_and_nothing_is_sent() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let (_, form) = get(&net, LUOYANG, As::Liaison, "/console/new/missing_person").await;
    let csrf = token(&form);
    let fields = request_fields(&csrf);
    let face = photo(64, 64);
    let page_as_photo = b"<!doctype html><script>alert(document.cookie)</script>".to_vec();
    let files = [
        Upload { field: "attachments[0].file", name: "近照.jpg", bytes: &face },
        Upload { field: "attachments[1].file", name: "现场.jpg", bytes: &page_as_photo },
    ];
    let (status, _, html) = post_multipart(&net, "/console/new/missing_person", &fields, &files).await;
    assert_eq!(status, 415, "the refusal's status");
    assert!(html.contains("“现场.jpg”：只接受 JPEG、PNG、WebP"), "the file named, in Chinese");
    assert!(html.contains("value=\"吴德福\""), "what the officer typed is kept");
    assert!(html.contains(&format!("value=\"{}\"", Sha256::of(&face))), "the good photo is carried, not chosen again");
    let liaison = net.officer(LUOYANG, As::Liaison);
    assert!(liaison.list(tiemeng::store::Mailbox::Outbox, "").await.unwrap().cases.is_empty(), "nothing sent");
    let node = net.node(LUOYANG);
    assert_eq!(node.store().file_info(&Sha256::of(&page_as_photo)).unwrap(), None, "nothing of it kept");

    // In English, the same refusal; a cut photo is refused with its own words.
    let cut = &face[..face.len() / 2];
    let files = [Upload { field: "attachments[0].file", name: "cut.jpg", bytes: cut }];
    let (status, _, html) = post_multipart(&net, "/console/new/missing_person?lang=en", &fields, &files).await;
    assert_eq!(status, 422);
    assert!(html.contains("“cut.jpg”: ") && html.contains("nothing was kept"), "in English");

    // A form without its token takes no file at all.
    let forged: Vec<(&str, String)> = fields.iter().filter(|(k, _)| *k != "csrf").cloned().collect();
    let other = photo(70, 70);
    let files = [Upload { field: "attachments[0].file", name: "a.jpg", bytes: &other }];
    let (status, _, _) = post_multipart(&net, "/console/new/missing_person", &forged, &files).await;
    assert_eq!(status, 403);
    assert_eq!(node.store().file_info(&Sha256::of(&other)).unwrap(), None, "no file taken from a forged form");

    // The carried photo is sent with the form posted again, without choosing it again.
    let mut again = fields.clone();
    again.extend([
        ("attachments[0].sha256", Sha256::of(&face).hex()),
        ("attachments[0].size", face.len().to_string()),
        ("attachments[0].media_type", "jpeg".to_owned()),
        ("attachments[0].name", "近照.jpg".to_owned()),
    ]);
    let (status, path, html) = post_multipart(&net, "/console/new/missing_person", &again, &[]).await;
    assert_eq!(status, 200, "{html}");
    let id: tiemeng::ids::CaseId = path.trim_start_matches("/console/cases/").parse().unwrap();
    let sent = liaison.case(&id).await.unwrap();
    assert_eq!(sent.attachments.len(), 1);
    assert_eq!(sent.attachments[0].attachment.sha256, Sha256::of(&face));
    net.shutdown().await;
}

#[tokio::test]
async fn a_target_answers_with_a_note_and_a_photo_from_the_case_page() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let case =
        liaison.create_case(&tiemeng::samples::missing_elderly_man(vec![XIXI.parse().unwrap()], now)).await.unwrap();
    let duty = net.officer(XIXI, As::Duty);
    assert!(eventually(Duration::from_secs(20), || async { duty.case(&case.id).await.is_ok() }).await);
    let (_, page) = get(&net, XIXI, As::Duty, &format!("/console/cases/{}", case.id)).await;
    let note_form = format!("action=\"/console/cases/{}/note\" enctype=\"multipart/form-data\"", case.id);
    assert!(page.contains(&note_form), "the note form takes files");
    let found = photo(300, 200);
    let fields = [
        ("csrf", token(&page)),
        ("text", "已在犀溪车站找到老人".to_owned()),
        ("attachments[0].caption", "找到时".to_owned()),
        ("confirm", "yes".to_owned()),
    ];
    let files = [Upload { field: "attachments[0].file", name: "找到时.jpg", bytes: &found }];
    let (content_type, body) = multipart(&fields, &files);
    let response = duty
        .http()
        .post(format!("{}/console/cases/{}/note", net.url(XIXI), case.id))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.url().query().is_some_and(|q| q.contains("done=note")), "{:?}", response.url());

    // At 罗阳 the photo of the man found shows on the case page once it arrived.
    let thumb = format!("src=\"/api/v1/cases/{}/attachments/{}?preview=1\"", case.id, Sha256::of(&found));
    let shown = eventually(Duration::from_secs(30), || async {
        get(&net, LUOYANG, As::Liaison, &format!("/console/cases/{}", case.id)).await.1.contains(&thumb)
    })
    .await;
    assert!(shown, "罗阳 shows the photo 犀溪 sent with its note");

    // A note with a file the station does not take: the case page with the refusal, nothing sent.
    let fields = [("csrf", token(&page)), ("text", "再补充".to_owned()), ("confirm", "yes".to_owned())];
    let files = [Upload { field: "attachments[0].file", name: "x.pdf", bytes: b"%PDF-1.4 but not really a document" }];
    let (content_type, body) = multipart(&fields, &files);
    let response = duty
        .http()
        .post(format!("{}/console/cases/{}/note", net.url(XIXI), case.id))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("“x.pdf”："), "the file named in the refusal");
    let notes = duty.case(&case.id).await.unwrap().timeline.iter().filter(|e| e.body["text"] == "再补充").count();
    assert_eq!(notes, 0, "nothing sent");
    net.shutdown().await;
}

#[tokio::test]
async fn a_declined_request_sent_elsewhere_from_the_form_takes_its_photo_along() {
    use super::support::MAZHAN;
    use tiemeng::node::{Action, DeclineInput};
    let net = Net::partial(&[LUOYANG, XIXI, MAZHAN], &[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let face = photo(200, 260);
    let up = liaison.upload(face.clone()).await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    let mut new = tiemeng::samples::missing_elderly_man(vec![XIXI.parse().unwrap()], now);
    new.attachments = vec![tiemeng::domain::attachment::AttachmentRef {
        sha256: up.sha256,
        size: up.size,
        media_type: up.media_type,
        name: "近照.jpg".into(),
        caption: Some("近照".into()),
    }];
    let case = liaison.create_case(&new).await.unwrap();
    let duty = net.officer(XIXI, As::Duty);
    assert!(eventually(Duration::from_secs(20), || async { duty.case(&case.id).await.is_ok() }).await);
    let decline = DeclineInput {
        reason: tiemeng::domain::case::DeclineReason::NotOurArea,
        message: "不在本辖区，请发马站".into(),
        suggested_station: Some(MAZHAN.parse().unwrap()),
    };
    duty.act(&case.id, &Action::Decline(decline)).await.unwrap();
    let declined = eventually(Duration::from_secs(20), || async {
        liaison.case(&case.id).await.is_ok_and(|d| d.case.targets[0].suggested_station.is_some())
    })
    .await;
    assert!(declined);

    let path = format!("/console/new/missing_person?redirect={}&station={XIXI}", case.id);
    let (_, form) = get(&net, LUOYANG, As::Liaison, &path).await;
    assert!(form.contains(&format!("value=\"{}\"", up.sha256)), "the photo is on the form, carried");
    assert!(form.contains("近照.jpg") && form.contains("value=\"近照\""), "with its name and caption");
    // The form as the browser posts it, carried fields and all.
    let fields: Vec<(String, String)> = hidden_and_filled(&form);
    let fields: Vec<(&str, String)> = fields.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let (status, path, html) = post_multipart(&net, "/console/new/missing_person", &fields, &[]).await;
    assert_eq!(status, 200, "{html}");
    let id: tiemeng::ids::CaseId = path.trim_start_matches("/console/cases/").parse().unwrap();
    let sent = liaison.case(&id).await.unwrap();
    assert_eq!(sent.attachments.len(), 1);
    assert_eq!(
        (sent.attachments[0].attachment.sha256, sent.attachments[0].attachment.caption.as_deref()),
        (up.sha256, Some("近照"))
    );
    assert_eq!(sent.case.targets[0].station.as_str(), MAZHAN);
    net.shutdown().await;
}

/// The fields a browser would post from `form`: every input with a value (text, hidden, the
/// checked boxes), the selected options and the text areas.
fn hidden_and_filled(form: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = tag[start..].find('"')? + start;
        Some(tag[start..end].replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    };
    let mut out = Vec::new();
    for piece in form.split('<').skip(1) {
        let tag = piece.split('>').next().unwrap_or_default();
        if let Some(rest) = tag.strip_prefix("input") {
            let kind = attribute(rest, "type").unwrap_or_default();
            if kind == "checkbox" && !rest.contains(" checked") || kind == "file" || kind == "submit" {
                continue;
            }
            if let (Some(name), Some(value)) = (attribute(rest, "name"), attribute(rest, "value")) {
                out.push((name, value));
            }
        } else if let Some(rest) = tag.strip_prefix("textarea")
            && let Some(name) = attribute(rest, "name")
        {
            let text = piece.split_once('>').map(|(_, t)| t).unwrap_or_default();
            out.push((name, text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")));
        }
    }
    for select in form.split("<select ").skip(1) {
        let name = attribute(select.split('>').next().unwrap_or_default(), "name");
        let body = select.split("</select>").next().unwrap_or_default();
        let chosen =
            body.split("<option ").skip(1).find(|o| o.split('>').next().unwrap_or_default().contains(" selected"));
        if let (Some(name), Some(option)) = (name, chosen)
            && let Some(value) = attribute(&format!(" {}", option.split('>').next().unwrap_or_default()), "value")
        {
            out.push((name, value));
        }
    }
    out
}
