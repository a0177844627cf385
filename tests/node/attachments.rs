//! Attachments (附件) uploaded to a real node over mTLS: kept once by their hash, synced, with
//! a preview for images; refused by content (never by name) with a code and words when they
//! are not what a station accepts; unused uploads swept.

use std::io::Cursor;

use serde_json::Value;
use tiemeng::client::ClientError;
use tiemeng::domain::attachment::{MediaType, Sha256};

use super::support::{As, LUOYANG, Net};

/// A JPEG photo of `width`×`height`.
fn photo(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 120]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&image).unwrap();
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
    net.shutdown().await;
}
