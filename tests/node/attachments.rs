//! Attachments (附件) uploaded to a real node over mTLS: kept once by their hash, synced, with
//! a preview for images; refused by content (never by name) with a code and words when they
//! are not what a station accepts; unused uploads swept.

use std::io::Cursor;
use std::time::Duration;

use futures_util::StreamExt as _;
use serde_json::Value;
use tiemeng::client::ClientError;
use tiemeng::domain::attachment::{AttachmentRef, MediaType, Sha256};
use tiemeng::samples;

use super::support::{As, LUOYANG, MAZHAN, Net, XIXI, eventually};

/// A JPEG photo of `width`×`height`.
fn photo(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 120]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&image).unwrap();
    out
}

/// A photo of noise: nothing for JPEG to squeeze, so it is megabytes, not kilobytes.
fn noisy_photo(width: u32, height: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let image = image::RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&image).unwrap();
    out
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(width, height, image::Rgb([10, 20, 30]));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// POSTs `body` to the upload route as an officer of 罗阳: status and answer.
async fn upload(net: &Net, role: As, body: Vec<u8>) -> (u16, Value) {
    let client = net.officer(LUOYANG, role);
    let response = client
        .http()
        .post(format!("{}/api/v1/attachments", net.url(LUOYANG)))
        .header("content-type", "image/jpeg")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// The files under the data folder's `attachments/incoming`: what an upload left behind.
fn left_incoming(net: &Net) -> usize {
    std::fs::read_dir(net.data_dir(LUOYANG).join("attachments/incoming")).map_or(0, |dir| dir.count())
}

#[tokio::test]
async fn a_photo_is_kept_once_by_its_hash_synced_audited_and_with_a_clean_preview() {
    let net = Net::start(&[LUOYANG]).await;
    let node = net.node(LUOYANG).clone();
    let bytes = photo(1600, 1200);
    let uploaded = net.officer(LUOYANG, As::Liaison).upload(bytes.clone()).await.unwrap();
    assert_eq!(uploaded.sha256, Sha256::of(&bytes));
    assert_eq!((uploaded.size, uploaded.media_type), (bytes.len() as u64, MediaType::Jpeg));
    assert_eq!(uploaded.dimensions, Some((1600, 1200)));
    let kept = std::fs::read(node.store().file_path(&uploaded.sha256)).unwrap();
    assert_eq!(kept, bytes, "the original, byte for byte");
    let preview = std::fs::read(node.store().preview_path(&uploaded.sha256)).unwrap();
    let shown = image::load_from_memory(&preview).unwrap();
    assert!(shown.width() <= 1280 && shown.height() <= 1280);
    let audited: Vec<_> =
        node.store().audit_entries(0, 1_000).unwrap().into_iter().filter(|e| e.action == "attachment.upload").collect();
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].sha256.as_deref(), Some(uploaded.sha256.hex().as_str()));

    // The same photo from the desk across the room: one file, the same answer.
    let path = net.data_dir(LUOYANG).with_extension("photo.jpg");
    std::fs::write(&path, &bytes).unwrap();
    let again = net.officer(LUOYANG, As::Duty).upload_file(&path).await.unwrap();
    assert_eq!(again.sha256, uploaded.sha256);
    assert_eq!(left_incoming(&net), 0);
    net.shutdown().await;
}

#[tokio::test]
async fn what_a_station_does_not_accept_is_refused_by_content_with_a_code_and_nothing_kept() {
    let net = Net::start(&[LUOYANG]).await;
    // A web page named and sent as a photo.
    let (status, problem) = upload(&net, As::Liaison, b"<!doctype html><script>alert(1)</script>".to_vec()).await;
    assert_eq!((status, problem["code"].as_str()), (415, Some("unsupported_media_type")), "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("JPEG、PNG、WebP"), "{problem}");
    // A photo cut short, a real photo with a page hidden after it, an image bomb.
    let whole = photo(400, 300);
    let (status, problem) = upload(&net, As::Liaison, whole[..whole.len() * 2 / 3].to_vec()).await;
    assert_eq!((status, problem["code"].as_str()), (422, Some("file_truncated")), "{problem}");
    let mut polyglot = photo(64, 64);
    polyglot.extend_from_slice(b"<html><body onload=alert(document.cookie)>");
    let (status, problem) = upload(&net, As::Liaison, polyglot).await;
    assert_eq!((status, problem["code"].as_str()), (422, Some("hidden_markup")), "{problem}");
    let mut bomb = png(1, 1);
    bomb[16..24].copy_from_slice(&[0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0]);
    let (status, problem) = upload(&net, As::Liaison, bomb).await;
    assert_eq!(status, 422, "{problem}");
    // Over the limit: refused from the announced length, and from the bytes when the length
    // is not announced.
    let mut big = photo(8, 8);
    big.resize(21 << 20, 0);
    let (status, problem) = upload(&net, As::Liaison, big.clone()).await;
    assert_eq!((status, problem["code"].as_str()), (413, Some("attachment_too_large")), "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("20.0 MB"), "the limit named: {problem}");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big.chunks(1 << 20).map(|c| Ok(c.to_vec())).collect();
    let response = net
        .officer(LUOYANG, As::Liaison)
        .http()
        .post(format!("{}/api/v1/attachments", net.url(LUOYANG)))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    // An administrator runs the node, not cases.
    let refused = net.officer(LUOYANG, As::Admin).upload(photo(8, 8)).await;
    assert!(matches!(refused, Err(ClientError::Problem(p)) if p.status == 403));

    let node = net.node(LUOYANG);
    let kept = node.store().tree_sizes().unwrap().into_iter().find(|(t, _)| *t == "sha_file").map(|(_, n)| n);
    assert_eq!(kept, Some(0), "nothing kept");
    assert_eq!(left_incoming(&net), 0, "nothing half-written left behind");
    net.shutdown().await;
}

#[tokio::test]
async fn an_upload_no_request_names_is_swept_after_a_day() {
    let net = Net::start(&[LUOYANG]).await;
    let node = net.node(LUOYANG).clone();
    let uploaded = net.officer(LUOYANG, As::Liaison).upload(photo(32, 32)).await.unwrap();
    assert_eq!(node.sweep_attachments().await.unwrap(), 0, "not yet a day old");
    net.clocks[LUOYANG].advance(time::Duration::hours(25));
    assert_eq!(node.sweep_attachments().await.unwrap(), 1);
    assert!(!node.store().file_path(&uploaded.sha256).exists());
    assert!(!node.store().preview_path(&uploaded.sha256).exists());
    assert_eq!(node.store().file_info(&uploaded.sha256).unwrap(), None);

    // What arrived of partners' files: of one kept here meanwhile, and of one whose sender
    // went quiet; both go, the quiet one once a week has passed.
    let kept = net.officer(LUOYANG, As::Liaison).upload(photo(40, 40)).await.unwrap();
    let partial = |sha: &Sha256| partial_file(&net, LUOYANG, XIXI, sha);
    let quiet = Sha256::of(b"a file whose sender went quiet");
    for sha in [kept.sha256, quiet] {
        std::fs::create_dir_all(partial(&sha).parent().unwrap()).unwrap();
        std::fs::write(partial(&sha), b"the first bytes").unwrap();
    }
    node.sweep_attachments().await.unwrap();
    assert!(!partial(&kept.sha256).exists(), "the file is kept: what arrived of it goes");
    assert!(partial(&quiet).exists(), "not a week yet");
    net.clocks[LUOYANG].advance(time::Duration::days(8));
    node.sweep_attachments().await.unwrap();
    assert!(!partial(&quiet).exists(), "a week untouched: it goes");
    net.shutdown().await;
}

/// A one-page PDF as a scanner writes one, enough for the check: header, body, end.
fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

#[tokio::test]
async fn a_request_names_its_photos_and_letter_signed_and_the_origin_serves_them_to_its_officers() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let (face, scene, letter) = (photo(900, 1200), png(640, 480), pdf());
    let mut named = Vec::new();
    for (bytes, name, caption) in [
        (&face, "吴德福近照.jpg", Some("2026年10月摄")),
        (&scene, "监控截图.png", None),
        (&letter, "协查函.pdf", Some("盖章扫描件")),
    ] {
        let up = liaison.upload(bytes.clone()).await.unwrap();
        named.push(AttachmentRef {
            sha256: up.sha256,
            size: up.size,
            media_type: up.media_type,
            name: name.into(),
            caption: caption.map(Into::into),
        });
    }
    let mut new = samples::missing_elderly_man(vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
    new.attachments = named.clone();
    let case = liaison.create_case(&new).await.unwrap();

    let detail = liaison.case(&case.id).await.unwrap();
    let shown: Vec<_> = detail.attachments.iter().map(|a| (&a.attachment, a.here)).collect();
    assert_eq!(shown, named.iter().map(|a| (a, true)).collect::<Vec<_>>(), "in order, all here");
    assert_eq!(detail.request["attachments"][0]["sha256"], named[0].sha256.hex(), "in the signed request");

    // The original, byte for byte, as a download; a preview of a photo, re-encoded.
    let base = format!("{}/api/v1/cases/{}/attachments", net.url(LUOYANG), case.id);
    let response = liaison.http().get(format!("{base}/{}", named[0].sha256)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;") && disposition.contains("UTF-8''%E5%90%B4"), "{disposition}");
    assert_eq!(response.bytes().await.unwrap().as_ref(), face.as_slice());
    let preview = liaison.http().get(format!("{base}/{}?preview=1", named[1].sha256)).send().await.unwrap();
    assert_eq!(preview.status(), 200);
    assert!(preview.headers()["content-disposition"].to_str().unwrap().starts_with("inline;"));
    let preview = image::load_from_memory(&preview.bytes().await.unwrap()).unwrap();
    assert_eq!((preview.width(), preview.height()), (640, 480));
    let pdf_served = liaison.http().get(format!("{base}/{}", named[2].sha256)).send().await.unwrap();
    assert_eq!(pdf_served.headers()["content-type"], "application/pdf");
    let no_preview = liaison.http().get(format!("{base}/{}?preview=1", named[2].sha256)).send().await.unwrap();
    assert_eq!(no_preview.status(), 404, "a document has no preview");
    let reads: Vec<_> = net
        .node(LUOYANG)
        .store()
        .audit_entries(0, 1_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "attachment.read")
        .collect();
    assert_eq!(reads.len(), 3, "every download and preview read is audited");

    // A file the case does not name is not served through it, even when it is kept here.
    let other = liaison.upload(photo(10, 10)).await.unwrap();
    let response = liaison.http().get(format!("{base}/{}", other.sha256)).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let admin = net.officer(LUOYANG, As::Admin).http().get(format!("{base}/{}", named[0].sha256)).send().await.unwrap();
    assert_eq!(admin.status(), 403);

    // The target sees what the request names, not yet the files: they follow on their own.
    let duty = net.officer(XIXI, As::Duty);
    assert!(eventually(Duration::from_secs(20), || async { duty.case(&case.id).await.is_ok() }).await);
    let there = duty.case(&case.id).await.unwrap();
    assert_eq!(there.attachments.len(), 3);
    net.shutdown().await;
}

#[tokio::test]
async fn a_request_naming_a_file_not_uploaded_or_misdescribed_is_refused_and_sends_nothing() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let mut new = samples::missing_elderly_man(vec![XIXI.parse().unwrap()], now);
    let bytes = photo(20, 20);
    new.attachments = vec![AttachmentRef {
        sha256: Sha256::of(&bytes),
        size: bytes.len() as u64,
        media_type: MediaType::Jpeg,
        name: "照片.jpg".into(),
        caption: None,
    }];
    let refused = liaison.create_case(&new).await.unwrap_err();
    assert!(matches!(&refused, ClientError::Problem(p) if p.code == "attachment_not_uploaded"), "{refused}");
    liaison.upload(bytes.clone()).await.unwrap();
    new.attachments[0].media_type = MediaType::Png;
    let refused = liaison.create_case(&new).await.unwrap_err();
    let ClientError::Problem(problem) = refused else { panic!("{refused}") };
    assert_eq!((problem.code.as_str(), problem.errors[0].code.as_str()), ("validation_failed", "mismatch"));
    assert!(problem.errors[0].zh.contains("JPEG 照片"), "{:?}", problem.errors[0]);
    new.attachments[0].media_type = MediaType::Jpeg;
    new.attachments[0].name = "../../etc/passwd".into();
    let refused = liaison.create_case(&new).await.unwrap_err();
    assert!(matches!(&refused, ClientError::Problem(p) if p.errors[0].code == "folder_in_name"), "{refused}");
    let outbox = liaison.list(tiemeng::store::Mailbox::Outbox, "").await.unwrap();
    assert!(outbox.cases.is_empty(), "nothing sent");
    net.shutdown().await;
}

#[tokio::test]
async fn the_files_follow_their_request_to_the_partner_byte_for_byte_checked_and_signed_for() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    // A photo larger than one piece, so it travels in several.
    let (face, letter) = (noisy_photo(1200, 900), pdf());
    assert!(face.len() > 1 << 20, "{} bytes", face.len());
    let mut new = samples::missing_elderly_man(vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
    for (bytes, name) in [(&face, "近照.jpg"), (&letter, "协查函.pdf")] {
        let up = liaison.upload(bytes.clone()).await.unwrap();
        new.attachments.push(named_ref(&up, name));
    }
    let case = liaison.create_case(&new).await.unwrap();
    let duty = net.officer(XIXI, As::Duty);
    let arrived = eventually(Duration::from_secs(30), || async {
        duty.case(&case.id).await.is_ok_and(|d| d.attachments.iter().all(|a| a.here) && d.attachments.len() == 2)
    })
    .await;
    assert!(arrived, "both files reach 犀溪");
    let xixi = net.node(XIXI);
    for (bytes, named) in [(&face, &new.attachments[0]), (&letter, &new.attachments[1])] {
        assert_eq!(&std::fs::read(xixi.store().file_path(&named.sha256)).unwrap(), bytes, "byte for byte");
    }
    // 犀溪's duty officer opens the photo there.
    let url = format!("{}/api/v1/cases/{}/attachments/{}", net.url(XIXI), case.id, new.attachments[0].sha256);
    let served = duty.http().get(&url).send().await.unwrap();
    assert_eq!(served.bytes().await.unwrap().as_ref(), face.as_slice());
    // 罗阳 holds 犀溪's signed receipt for each, and nothing is left to send.
    let luoyang = net.node(LUOYANG);
    let signed = eventually(Duration::from_secs(10), || async {
        new.attachments
            .iter()
            .all(|a| luoyang.store().file_receipt(&a.sha256, &XIXI.parse().unwrap()).unwrap().is_some())
    })
    .await;
    assert!(signed);
    assert!(luoyang.store().files_to_send(&XIXI.parse().unwrap()).unwrap().is_empty());
    net.shutdown().await;
}

/// `PUT /fed/v1/files/{sha256}` as station `from` would send a piece of a file: the status and
/// the answer.
async fn put_piece(
    net: &Net,
    from: &str,
    to: &str,
    sha256: &Sha256,
    offset: u64,
    total: u64,
    piece: &[u8],
) -> (u16, Value) {
    let (status, answer, _) = put_body(net, from, to, sha256, (offset, total), piece.to_vec().into()).await;
    (status, answer.unwrap())
}

/// The same with any body: the status, the answer if one came, and the piece size the
/// receiver says it takes.
async fn put_body(
    net: &Net,
    from: &str,
    to: &str,
    sha256: &Sha256,
    (offset, total): (u64, u64),
    body: reqwest::Body,
) -> (u16, Option<Value>, Option<u64>) {
    let sent = net
        .station_client(from)
        .put(format!("{}/fed/v1/files/{sha256}", net.url(to)))
        .header(tiemeng::protocol::OFFSET_HEADER, offset)
        .header(tiemeng::protocol::TOTAL_HEADER, total)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await;
    let Ok(response) = sent else { return (0, None, None) };
    let header = response.headers().get(tiemeng::protocol::PIECE_MAX_HEADER);
    let piece_max = header.and_then(|v| v.to_str().ok()?.parse().ok());
    (response.status().as_u16(), response.json().await.ok(), piece_max)
}

/// Delivers the envelope `wire` from station `from` to `to` as `from`'s delivery task would,
/// and checks that `to` accepted it.
async fn deliver_by_hand(net: &Net, from: &str, to: &str, wire: Vec<u8>) {
    let answer = net.post_to_inbox(from, to, &[wire]).await;
    assert_eq!(answer["results"][0]["status"], "accepted", "{answer}");
}

/// How a request names an uploaded file, without a caption.
fn named_ref(up: &tiemeng::node::Uploaded, name: &str) -> AttachmentRef {
    AttachmentRef { sha256: up.sha256, size: up.size, media_type: up.media_type, name: name.into(), caption: None }
}

/// What arrived of a file from `from` at `at`, in the partial folder.
fn partial_file(net: &Net, at: &str, from: &str, sha256: &Sha256) -> std::path::PathBuf {
    net.data_dir(at).join("attachments/partial").join(from).join(sha256.hex())
}

#[tokio::test]
async fn pieces_from_a_stranger_or_of_an_altered_file_are_refused_and_a_cut_transfer_resumes_with_what_is_missing() {
    const PIECE: usize = tiemeng::protocol::FILE_PIECE;
    // 犀溪 is down while 罗阳 sends: the request and its files wait in 罗阳's queues.
    let mut net = Net::partial(&[LUOYANG, XIXI, MAZHAN], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let (face, letter) = (noisy_photo(1800, 1400), pdf());
    assert!(face.len() > 4 * PIECE, "{} bytes: more than four pieces", face.len());
    let mut new = samples::missing_elderly_man(vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
    for (bytes, name) in [(&face, "近照.jpg"), (&letter, "协查函.pdf")] {
        let up = liaison.upload(bytes.clone()).await.unwrap();
        new.attachments.push(named_ref(&up, name));
    }
    let case = liaison.create_case(&new).await.unwrap();
    let waiting = liaison.case(&case.id).await.unwrap();
    let delivery = &waiting.attachments[0].deliveries;
    assert_eq!(delivery.len(), 1);
    assert!(!delivery[0].delivered && delivery[0].confirmed == 0, "the sender's view: waiting for 犀溪");
    // (Borrowed, not kept: a held node would hold its store open past the stop.)
    let store = net.node(LUOYANG).store();
    let wire = store.envelope(&store.case(&case.id).unwrap().unwrap().request).unwrap().unwrap().wire;

    // 罗阳 goes down before it sends anything; 犀溪 comes up and gets the request by hand, as
    // 罗阳 would deliver it.
    net.stop(LUOYANG).await;
    net.restart(XIXI).await;
    deliver_by_hand(&net, LUOYANG, XIXI, wire).await;
    let (photo_sha, pdf_sha) = (Sha256::of(&face), Sha256::of(&letter));
    let (size, xixi) = (face.len() as u64, net.node(XIXI).clone());

    // 马站 is a partner of 犀溪 but no party of the case: its pieces are not taken.
    let (status, problem) = put_piece(&net, MAZHAN, XIXI, &photo_sha, 0, size, &face[..PIECE]).await;
    assert_eq!((status, problem["code"].as_str()), (404, Some("file_not_expected")), "{problem}");
    assert!(!partial_file(&net, XIXI, MAZHAN, &photo_sha).exists(), "nothing of it written");
    assert_eq!(xixi.file_bytes_received(&MAZHAN.parse().unwrap()), 0, "not even read");

    // The letter, altered on the way (one byte), whole: it does not hash to what was signed.
    let mut altered = letter.clone();
    altered[20] ^= 0x20;
    let (status, problem) = put_piece(&net, LUOYANG, XIXI, &pdf_sha, 0, letter.len() as u64, &altered).await;
    assert_eq!((status, problem["code"].as_str()), (422, Some("file_hash_mismatch")), "{problem}");
    assert_eq!(xixi.store().file_info(&pdf_sha).unwrap(), None, "not kept");
    assert!(!partial_file(&net, XIXI, LUOYANG, &pdf_sha).exists(), "and nothing of it left");

    // Three pieces of the photo arrive, each synced before it is answered; then the link is cut.
    for i in 0..3 {
        let at = (i * PIECE) as u64;
        let (status, ack) =
            put_piece(&net, LUOYANG, XIXI, &photo_sha, at, size, &face[i * PIECE..(i + 1) * PIECE]).await;
        assert_eq!((status, ack["have"].as_u64()), (200, Some(at + PIECE as u64)), "{ack}");
    }
    let held = 3 * PIECE as u64;
    let duty = net.officer(XIXI, As::Duty);
    let there = duty.case(&case.id).await.unwrap();
    assert_eq!((there.attachments[0].here, there.attachments[0].received), (false, Some(held)));
    let page = duty.http().get(format!("{}/console/cases/{}", net.url(XIXI), case.id)).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains(&format!("照片传输中 3.0/{:.1} MB", size as f64 / PIECE as f64)), "the receiver's progress");
    // A piece that does not start where the file ends is answered with where it ends, and
    // with the piece size 犀溪 takes (a sender of this release then sends 4 MiB at a time).
    let (status, ack, piece_max) =
        put_body(&net, LUOYANG, XIXI, &photo_sha, (0, size), face[..PIECE].to_vec().into()).await;
    let ack = ack.unwrap();
    assert_eq!((status, ack["have"].as_u64()), (409, Some(held)), "{ack}");
    assert_eq!(piece_max, Some(tiemeng::protocol::FILE_PIECE_MAX));
    // A piece running past the file's end is refused and leaves the file as it was.
    let past = [&face[held as usize..], b"!".as_slice()].concat();
    let (status, problem) = put_piece(&net, LUOYANG, XIXI, &photo_sha, held, size, &past).await;
    assert_eq!((status, problem["code"].as_str()), (413, Some("file_piece_too_large")), "{problem}");
    assert_eq!(std::fs::metadata(partial_file(&net, XIXI, LUOYANG, &photo_sha)).unwrap().len(), held);
    // A piece that hangs half-way, then breaks off: what arrived of it stays, synced, and
    // counts. While it hangs, the letter comes whole: a stalled piece holds up no other file.
    let half = PIECE / 2;
    let first = face[held as usize..held as usize + half].to_vec();
    let (cut, cut_now) = tokio::sync::oneshot::channel::<()>();
    let breaking = futures_util::stream::iter([Ok(first)]).chain(futures_util::stream::once(async move {
        let _ = cut_now.await;
        Err(std::io::Error::other("the link went down"))
    }));
    let read_before = xixi.file_bytes_received(&LUOYANG.parse().unwrap());
    let hanging = put_body(&net, LUOYANG, XIXI, &photo_sha, (held, size), reqwest::Body::wrap_stream(breaking));
    let beside = async {
        let reading = eventually(Duration::from_secs(10), || async {
            xixi.file_bytes_received(&LUOYANG.parse().unwrap()) >= read_before + half as u64
        })
        .await;
        let letter_sent = put_piece(&net, LUOYANG, XIXI, &pdf_sha, 0, letter.len() as u64, &letter);
        let answered = tokio::time::timeout(Duration::from_secs(10), letter_sent).await;
        let _ = cut.send(());
        (reading, answered)
    };
    let ((status, ..), (reading, answered)) = tokio::join!(hanging, beside);
    assert!(reading, "the hanging piece's first half was read");
    let (letter_status, ack) = answered.expect("the letter waited for the photo's stalled piece");
    assert_eq!((letter_status, ack["have"].as_u64()), (200, Some(letter.len() as u64)), "{ack}");
    assert_ne!(status, 200, "a broken piece is not answered as taken");
    let held = held + half as u64;
    let kept_of_it = eventually(Duration::from_secs(10), || async {
        std::fs::metadata(partial_file(&net, XIXI, LUOYANG, &photo_sha)).is_ok_and(|m| m.len() == held)
    })
    .await;
    assert!(kept_of_it, "the half that arrived is kept");

    // 罗阳 comes back; it never heard those answers, so it asks first and goes on from there.
    let before = xixi.file_bytes_received(&LUOYANG.parse().unwrap());
    net.restart(LUOYANG).await;
    let arrived = eventually(Duration::from_secs(60), || async {
        duty.case(&case.id).await.is_ok_and(|d| d.attachments.iter().all(|a| a.here))
    })
    .await;
    assert!(arrived, "both files reach 犀溪");
    assert_eq!(std::fs::read(xixi.store().file_path(&photo_sha)).unwrap(), face, "byte for byte");
    assert_eq!(std::fs::read(xixi.store().file_path(&pdf_sha)).unwrap(), letter);
    let resent = xixi.file_bytes_received(&LUOYANG.parse().unwrap()) - before;
    let missing = size - held;
    println!("{size} bytes, {held} held before the cut, {resent} read after it ({missing} missing)");
    assert_eq!(resent, missing, "only what was missing of the photo: 罗阳 asked first how much 犀溪 held");
    let luoyang = net.node(LUOYANG).clone();
    let signed = eventually(Duration::from_secs(20), || async {
        [photo_sha, pdf_sha].iter().all(|s| luoyang.store().file_receipt(s, &XIXI.parse().unwrap()).unwrap().is_some())
    })
    .await;
    assert!(signed, "犀溪's receipts are kept at 罗阳");
    net.shutdown().await;
}

#[tokio::test]
async fn a_forwarded_request_takes_its_photo_on_as_soon_as_the_photo_reaches_the_forwarding_station() {
    // Only 罗阳 is up when it sends: the request and its photo wait in its queues.
    let mut net = Net::partial(&[LUOYANG, XIXI, MAZHAN], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let face = noisy_photo(900, 700);
    let up = liaison.upload(face.clone()).await.unwrap();
    let mut new = samples::missing_elderly_man(vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
    new.attachments.push(named_ref(&up, "近照.jpg"));
    let case = liaison.create_case(&new).await.unwrap();
    let store = net.node(LUOYANG).store();
    let wire = store.envelope(&store.case(&case.id).unwrap().unwrap().request).unwrap().unwrap().wire;

    // 罗阳 goes down; 犀溪 gets the request by hand, as 罗阳 would deliver it, but not the photo.
    net.stop(LUOYANG).await;
    net.restart(XIXI).await;
    net.restart(MAZHAN).await;
    deliver_by_hand(&net, LUOYANG, XIXI, wire).await;

    // 犀溪 is the wrong station and passes the request on to 马站; it names the photo, which
    // 犀溪 does not hold yet.
    let input =
        tiemeng::node::ForwardInput { to: MAZHAN.parse().unwrap(), message: "当事人现居马站辖区".into() };
    let forwarded = net.officer(XIXI, As::Duty).forward(&case.id, &input).await.unwrap();
    let mazhan = net.officer(MAZHAN, As::Duty);
    let waiting = eventually(Duration::from_secs(20), || async {
        mazhan.case(&forwarded.id).await.is_ok_and(|d| d.attachments.len() == 1 && !d.attachments[0].here)
    })
    .await;
    assert!(waiting, "马站 holds the forwarded request, its photo still to come");

    // 罗阳 comes back and sends the photo to 犀溪, which passes it on at once: not after its
    // file task's idle wait (30 s), and without the photo holding anything else back.
    net.restart(LUOYANG).await;
    let xixi = net.node(XIXI).clone();
    let at_xixi =
        eventually(Duration::from_secs(30), || async { xixi.store().file_info(&up.sha256).unwrap().is_some() }).await;
    assert!(at_xixi, "the photo reaches 犀溪");
    let onward = eventually(Duration::from_secs(10), || async {
        mazhan.case(&forwarded.id).await.is_ok_and(|d| d.attachments.iter().all(|a| a.here))
    })
    .await;
    assert!(onward, "犀溪 sends the photo on to 马站 as soon as it holds it");
    let mazhan_store = net.node(MAZHAN).store();
    assert_eq!(std::fs::read(mazhan_store.file_path(&up.sha256)).unwrap(), face, "byte for byte");
    net.shutdown().await;
}

#[tokio::test]
async fn the_command_line_sends_a_request_with_its_files_and_shows_where_they_stand() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let now = time::OffsetDateTime::now_utc();
    let request = samples::missing_elderly_man(vec![XIXI.parse().unwrap()], now);
    let dir = net.dir.path();
    let file = dir.join("request.json");
    std::fs::write(&file, serde_json::to_string_pretty(&request).unwrap()).unwrap();
    let (face, letter) = (photo(640, 480), pdf());
    std::fs::write(dir.join("近照.jpg"), &face).unwrap();
    std::fs::write(dir.join("协查函.pdf"), &letter).unwrap();
    std::fs::write(dir.join("page.jpg"), b"<!doctype html><script>alert(1)</script>").unwrap();
    let path = |name: &str| dir.join(name).display().to_string();
    let (file, face_path, letter_path, page_path) =
        (file.display().to_string(), path("近照.jpg"), path("协查函.pdf"), path("page.jpg"));

    // A file the station does not take stops the send, named, with the node's words.
    let args = ["send", "--file", &file, "--attach", &page_path];
    let refused = net.cli(LUOYANG, As::Liaison, "case", &args).await;
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("page.jpg") && said.contains("unsupported_media_type"), "{said}");
    // More captions than files is a mistake of the command.
    let args = ["send", "--file", &file, "--caption", "a", "--caption", "b", "--attach", &face_path];
    assert!(!net.cli(LUOYANG, As::Liaison, "case", &args).await.status.success());
    let liaison = net.officer(LUOYANG, As::Liaison);
    assert!(liaison.list(tiemeng::store::Mailbox::Outbox, "").await.unwrap().cases.is_empty(), "nothing sent");

    let args = ["send", "--file", &file, "--attach", &face_path, "--caption", "2026年10月摄", "--attach", &letter_path];
    let sent = net.cli(LUOYANG, As::Liaison, "case", &args).await;
    assert!(sent.status.success(), "{}", String::from_utf8_lossy(&sent.stderr));
    let outbox = liaison.list(tiemeng::store::Mailbox::Outbox, "").await.unwrap();
    assert_eq!(outbox.cases.len(), 1);
    let id = outbox.cases[0].case.id;
    let detail = liaison.case(&id).await.unwrap();
    let named: Vec<_> = detail.attachments.iter().map(|a| &a.attachment).collect();
    assert_eq!((named[0].name.as_str(), named[0].caption.as_deref()), ("近照.jpg", Some("2026年10月摄")));
    assert_eq!((named[1].name.as_str(), named[1].sha256), ("协查函.pdf", Sha256::of(&letter)));

    let duty = net.officer(XIXI, As::Duty);
    let arrived = eventually(Duration::from_secs(30), || async {
        duty.case(&id).await.is_ok_and(|d| d.attachments.len() == 2 && d.attachments.iter().all(|a| a.here))
    })
    .await;
    assert!(arrived);
    let shown = net.cli(XIXI, As::Duty, "case", &["show", &id.to_string()]).await;
    let shown = String::from_utf8(shown.stdout).unwrap();
    assert!(shown.contains("附件：近照.jpg  JPEG 照片") && shown.contains("已在本站  （2026年10月摄）"), "{shown}");
    assert!(shown.contains("附件：协查函.pdf  PDF 文档  1 KB  已在本站"), "{shown}");
    let signed = eventually(Duration::from_secs(20), || async {
        let shown = net.cli(LUOYANG, As::Liaison, "case", &["--lang", "en", "show", &id.to_string()]).await;
        String::from_utf8(shown.stdout).unwrap().matches("received it").count() == 2
    })
    .await;
    assert!(signed, "罗阳 shows 犀溪's receipt for each, in English");

    // 犀溪 answers with a note and the photo of the man found: it comes back to 罗阳 the same way.
    let found = photo(320, 240);
    std::fs::write(dir.join("找到时.jpg"), &found).unwrap();
    let found_path = path("找到时.jpg");
    let args =
        ["note", &id.to_string(), "--message", "已在犀溪车站找到老人", "--attach", &found_path, "--caption", "找到时"];
    let noted = net.cli(XIXI, As::Duty, "case", &args).await;
    assert!(noted.status.success(), "{}", String::from_utf8_lossy(&noted.stderr));
    let back = eventually(Duration::from_secs(30), || async {
        liaison
            .case(&id)
            .await
            .is_ok_and(|d| d.attachments.iter().any(|a| a.attachment.sha256 == Sha256::of(&found) && a.here))
    })
    .await;
    assert!(back, "the note's photo reaches 罗阳");
    let detail = liaison.case(&id).await.unwrap();
    let from_xixi = detail.attachments.iter().find(|a| a.attachment.sha256 == Sha256::of(&found)).unwrap();
    assert_eq!((from_xixi.from.as_str(), from_xixi.attachment.caption.as_deref()), (XIXI, Some("找到时")));
    let note = detail.timeline.iter().find(|e| e.body["text"] == "已在犀溪车站找到老人").unwrap();
    assert_eq!(note.body["attachments"][0]["sha256"], Sha256::of(&found).hex(), "named in the signed note");
    let served = liaison
        .http()
        .get(format!("{}/api/v1/cases/{id}/attachments/{}", net.url(LUOYANG), Sha256::of(&found)))
        .send()
        .await
        .unwrap();
    assert_eq!(served.bytes().await.unwrap().as_ref(), found.as_slice());
    net.shutdown().await;
}

#[tokio::test]
async fn a_backup_carries_the_files_and_a_restore_puts_them_back_checked() {
    let mut net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let (face, letter) = (photo(800, 600), pdf());
    let mut new = samples::missing_elderly_man(vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
    for (bytes, name) in [(&face, "近照.jpg"), (&letter, "协查函.pdf")] {
        let up = liaison.upload(bytes.clone()).await.unwrap();
        new.attachments.push(named_ref(&up, name));
    }
    let case = liaison.create_case(&new).await.unwrap();
    let backup = net.dir.path().join("luoyang.tiemeng-backup");
    let info = net.node(LUOYANG).store().backup(&backup, time::OffsetDateTime::now_utc()).unwrap();
    assert_eq!(info.files, 2);

    // 罗阳's disk is lost; the backup is restored into an empty folder.
    net.stop(LUOYANG).await;
    let data = net.data_dir(LUOYANG);
    std::fs::remove_dir_all(&data).unwrap();
    let restored = tiemeng::store::backup::restore(&backup, &data).unwrap();
    assert_eq!(restored.files, 2);
    net.restart(LUOYANG).await;
    let node = net.node(LUOYANG).clone();
    for (bytes, named) in [(&face, &new.attachments[0]), (&letter, &new.attachments[1])] {
        assert_eq!(&std::fs::read(node.store().file_path(&named.sha256)).unwrap(), bytes, "byte for byte");
    }
    let detail = liaison.case(&case.id).await.unwrap();
    assert!(detail.attachments.iter().all(|a| a.here), "the case's files are here again");
    let base = format!("{}/api/v1/cases/{}/attachments", net.url(LUOYANG), case.id);
    let preview = liaison.http().get(format!("{base}/{}?preview=1", new.attachments[0].sha256)).send().await.unwrap();
    assert_eq!(preview.status(), 200, "the preview is made again from the restored original");
    assert!(image::load_from_memory(&preview.bytes().await.unwrap()).is_ok());
    // Still queued for 犀溪: once it is up, the files follow from the restored store.
    net.restart(XIXI).await;
    let duty = net.officer(XIXI, As::Duty);
    let arrived = eventually(Duration::from_secs(30), || async {
        duty.case(&case.id).await.is_ok_and(|d| d.attachments.len() == 2 && d.attachments.iter().all(|a| a.here))
    })
    .await;
    assert!(arrived, "both files reach 犀溪 from the restored 罗阳");

    // A backup whose file bytes were altered fails its check and restores nothing.
    let mut bytes = std::fs::read(&backup).unwrap();
    let at = bytes.windows(letter.len()).position(|w| w == letter.as_slice()).unwrap();
    bytes[at + 10] ^= 1;
    let altered = net.dir.path().join("altered.tiemeng-backup");
    std::fs::write(&altered, bytes).unwrap();
    let elsewhere = net.dir.path().join("elsewhere");
    assert!(tiemeng::store::backup::restore(&altered, &elsewhere).is_err());
    assert!(!elsewhere.join("attachments").exists());
    net.shutdown().await;
}

#[tokio::test]
async fn a_station_restored_from_an_older_backup_gets_back_the_files_it_lost_its_own_among_them() {
    let mut net = Net::start(&[LUOYANG, XIXI]).await;
    // 犀溪's backup, taken before any of this.
    let backup = net.dir.path().join("xixi.tiemeng-backup");
    net.node(XIXI).store().backup(&backup, time::OffsetDateTime::now_utc()).unwrap();

    let liaison = net.officer(LUOYANG, As::Liaison);
    let face = photo(600, 800);
    let up = liaison.upload(face.clone()).await.unwrap();
    let mut new = samples::missing_elderly_man(vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
    new.attachments.push(named_ref(&up, "近照.jpg"));
    let case = liaison.create_case(&new).await.unwrap();
    let duty = net.officer(XIXI, As::Duty);
    let all_here = |want: usize| {
        let duty = &duty;
        let id = case.id;
        async move {
            duty.case(&id).await.is_ok_and(|d| d.attachments.len() == want && d.attachments.iter().all(|a| a.here))
        }
    };
    assert!(eventually(Duration::from_secs(30), || all_here(1)).await, "the photo reaches 犀溪");
    // 犀溪 answers with a photo of its own, which reaches 罗阳.
    let found = photo(300, 200);
    let mine = duty.upload(found.clone()).await.unwrap();
    let note = tiemeng::node::Action::Note(tiemeng::node::NoteInput {
        text: "已找到".into(),
        targets: Vec::new(),
        attachments: vec![named_ref(&mine, "找到时.jpg")],
    });
    duty.act(&case.id, &note).await.unwrap();
    let luoyang_has = eventually(Duration::from_secs(30), || async {
        net.node(LUOYANG).store().file_info(&mine.sha256).unwrap().is_some()
    })
    .await;
    assert!(luoyang_has);
    let signed = eventually(Duration::from_secs(20), || async {
        net.node(LUOYANG).store().file_receipt(&up.sha256, &XIXI.parse().unwrap()).unwrap().is_some()
    })
    .await;
    assert!(signed, "罗阳 holds 犀溪's receipt, so it would not send the photo again by itself");

    // 犀溪's disk is lost and the older backup restored: the case, its photo and 犀溪's own
    // photo come back from 罗阳.
    net.stop(XIXI).await;
    let data = net.data_dir(XIXI);
    std::fs::remove_dir_all(&data).unwrap();
    tiemeng::store::backup::restore(&backup, &data).unwrap();
    net.restart(XIXI).await;
    assert!(eventually(Duration::from_secs(60), || all_here(2)).await, "both files are back at 犀溪");
    let xixi = net.node(XIXI);
    assert_eq!(std::fs::read(xixi.store().file_path(&up.sha256)).unwrap(), face);
    assert_eq!(std::fs::read(xixi.store().file_path(&mine.sha256)).unwrap(), found, "its own photo too");
    net.shutdown().await;
}

#[tokio::test]
async fn an_exported_case_carries_its_files_beside_the_bundle_and_verify_checks_them_against_the_signed_hashes() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let (face, letter) = (photo(400, 300), pdf());
    let now = time::OffsetDateTime::now_utc();
    let mut named = Vec::new();
    for (bytes, name) in [(&face, "近照.jpg"), (&letter, "协查函.pdf")] {
        let up = liaison.upload(bytes.clone()).await.unwrap();
        named.push(named_ref(&up, name));
    }
    let mut new = samples::missing_elderly_man(vec![XIXI.parse().unwrap()], now);
    new.attachments = named.clone();
    let case = liaison.create_case(&new).await.unwrap();
    let dir = net.dir.path();
    let bundle = dir.join("case.json").display().to_string();
    let exported = net.cli(LUOYANG, As::Liaison, "case", &["export", &case.id.to_string(), "--out", &bundle]).await;
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    assert!(String::from_utf8_lossy(&exported.stdout).contains("附件 2 个已保存到"));
    let files = dir.join("case.json.files");
    let face_file = files.join(format!("{}.jpg", named[0].sha256));
    assert_eq!(std::fs::read(&face_file).unwrap(), face);

    let verified = net.cli(LUOYANG, As::Liaison, "verify", &[&bundle]).await;
    let said = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{said}{}", String::from_utf8_lossy(&verified.stderr));
    assert_eq!(said.matches("与签名哈希一致").count(), 2, "{said}");
    // A photo changed after export is named as altered, and the check fails.
    let mut changed = face.clone();
    let last = changed.len() - 3;
    changed[last] ^= 1;
    std::fs::write(&face_file, changed).unwrap();
    let verified = net.cli(LUOYANG, As::Liaison, "verify", &["--lang", "en", &bundle]).await;
    assert!(!verified.status.success());
    let said = String::from_utf8_lossy(&verified.stdout);
    assert!(said.contains("近照.jpg") && said.contains("does NOT match its signed hash"), "{said}");

    // A case marked 不得导出 exports for a chief only, and its files with it.
    let mut restricted = samples::missing_elderly_man(vec![XIXI.parse().unwrap()], now);
    restricted.title = "不得导出的协查".into();
    restricted.restrictions = vec![tiemeng::domain::case::Restriction::NoExport];
    restricted.attachments = named[..1].to_vec();
    let secret = liaison.create_case(&restricted).await.unwrap();
    let out = dir.join("secret.json").display().to_string();
    let refused = net.cli(LUOYANG, As::Liaison, "case", &["export", &secret.id.to_string(), "--out", &out]).await;
    assert!(!refused.status.success());
    assert!(!dir.join("secret.json.files").exists(), "no file leaves with a refused export");
    let chief = net.cli(LUOYANG, As::Chief, "case", &["export", &secret.id.to_string(), "--out", &out]).await;
    assert!(chief.status.success(), "{}", String::from_utf8_lossy(&chief.stderr));
    assert!(dir.join("secret.json.files").join(format!("{}.jpg", named[0].sha256)).exists());
    net.shutdown().await;
}

#[tokio::test]
async fn kill_9_during_an_upload_or_a_transfer_loses_nothing_acknowledged_and_leaves_no_orphan() {
    const PIECE: u64 = tiemeng::protocol::FILE_PIECE as u64;
    let mut net = Net::partial(&[LUOYANG, XIXI], &[]).await;
    let mut luoyang = net.spawn_process(LUOYANG).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let face = noisy_photo(1800, 1400);
    let kept = liaison.upload(face.clone()).await.unwrap();

    // An upload under way, its bytes trickling in, when the node is killed.
    let slow = noisy_photo(1200, 900);
    let chunks: Vec<Vec<u8>> = slow.chunks(64 * 1024).map(<[u8]>::to_vec).collect();
    let trickle = futures_util::stream::unfold(chunks.into_iter(), |mut rest| async move {
        let chunk = rest.next()?;
        tokio::time::sleep(Duration::from_millis(50)).await;
        Some((Ok::<_, std::io::Error>(chunk), rest))
    });
    let url = format!("{}/api/v1/attachments", net.url(LUOYANG));
    let upload = tokio::spawn(liaison.http().post(url).body(reqwest::Body::wrap_stream(trickle)).send());
    let incoming = net.data_dir(LUOYANG).join("attachments/incoming");
    let started = eventually(Duration::from_secs(20), || async {
        std::fs::read_dir(&incoming)
            .is_ok_and(|d| d.filter_map(Result::ok).any(|e| e.metadata().is_ok_and(|m| m.len() > 0)))
    })
    .await;
    assert!(started, "the upload is under way");
    luoyang.kill().unwrap();
    luoyang.wait().unwrap();
    // The client sees the connection go; nothing was acknowledged to it.
    let _ = upload.await;
    net.restart(LUOYANG).await;
    assert_eq!(std::fs::read_dir(&incoming).map_or(0, |d| d.count()), 0, "no half-written upload left");
    let node = net.node(LUOYANG).clone();
    assert_eq!(node.store().file_info(&Sha256::of(&slow)).unwrap(), None, "the unfinished one is not kept");
    assert_eq!(std::fs::read(node.store().file_path(&kept.sha256)).unwrap(), face, "the acknowledged one is");
    drop(node);

    // A transfer under way when the receiving node is killed: it resumes once it is back.
    let mut xixi = net.spawn_process(XIXI).await;
    let mut new = samples::missing_elderly_man(vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
    new.attachments.push(named_ref(&kept, "近照.jpg"));
    let case = liaison.create_case(&new).await.unwrap();
    let partial = partial_file(&net, XIXI, LUOYANG, &kept.sha256);
    let mut caught = 0;
    for _ in 0..20_000 {
        let len = std::fs::metadata(&partial).map_or(0, |m| m.len());
        if len >= PIECE {
            caught = len;
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    xixi.kill().unwrap();
    xixi.wait().unwrap();
    println!("犀溪 killed holding {caught} of {} bytes", kept.size);
    assert!(caught >= PIECE && caught < kept.size, "killed mid-transfer ({caught} of {} bytes)", kept.size);
    net.restart(XIXI).await;
    let duty = net.officer(XIXI, As::Duty);
    let arrived = eventually(Duration::from_secs(60), || async {
        duty.case(&case.id).await.is_ok_and(|d| d.attachments.iter().all(|a| a.here))
    })
    .await;
    assert!(arrived, "the photo arrives after the restart");
    assert_eq!(std::fs::read(net.node(XIXI).store().file_path(&kept.sha256)).unwrap(), face, "byte for byte");
    assert!(!partial.exists(), "nothing left half-received");
    net.shutdown().await;
}
