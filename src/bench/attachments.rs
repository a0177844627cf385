//! Scenario 12: an attachment of the largest size a station takes by default (20 MB) moved
//! from A to B, in one run: the transfer against a plain HTTPS upload of the same bytes over
//! the same mTLS, to B's own upload endpoint (what B does for a file given to it directly) and
//! to a bare handler that only reads them, this process's resident memory while the file
//! moves, and the bytes sent again to a receiver stopped half-way and started again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::net::{BenchNet, WorkDir, bench_settings};
use super::report::{mib, ms, percent};
use super::{BenchResult, Row, Scale, Scenario, Section, ctx};
use crate::domain::attachment::{AttachmentRef, Sha256};
use crate::node::Node;

/// The size moved: the default limit of one file.
const SIZE: usize = 20 << 20;
/// How often the receiver and the memory are looked at while the file moves.
const POLL: Duration = Duration::from_millis(2);

/// A PDF of `size` bytes whose body is noise, as a scan is to a compressor: header, body, end.
fn document(size: usize) -> Vec<u8> {
    let (head, tail) = (b"%PDF-1.4\n".as_slice(), b"\n%%EOF\n".as_slice());
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(head);
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    while out.len() < size - tail.len() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // Bytes that cannot spell markup: no '<'.
        out.extend(state.to_le_bytes().iter().map(|b| if *b == b'<' { b'.' } else { *b }));
    }
    out.truncate(size - tail.len());
    out.extend_from_slice(tail);
    out
}

/// A bare handler over the same TLS and HTTP stack: reads the body and answers its length.
fn sink() -> axum::Router {
    axum::Router::new()
        .route(
            "/sink",
            axum::routing::post(|body: axum::body::Body| async move {
                use futures_util::StreamExt as _;
                let mut stream = body.into_data_stream();
                let mut n = 0usize;
                while let Some(Ok(chunk)) = stream.next().await {
                    n += chunk.len();
                }
                n.to_string()
            }),
        )
        .layer(axum::extract::DefaultBodyLimit::disable())
}

/// Waits until `node` keeps the file, sampling this process's memory; the peak RSS seen.
async fn until_kept(node: &Node, sha: &Sha256, within: Duration) -> BenchResult<u64> {
    let started = Instant::now();
    let mut peak = 0;
    loop {
        peak = peak.max(super::sys::rss("self").unwrap_or(0));
        if node.store().file_info(sha).map_err(ctx("file info"))?.is_some() {
            return Ok(peak);
        }
        if started.elapsed() > within {
            return Err(format!("the file did not arrive within {within:?}"));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Runs the scenario.
pub async fn run(work: &WorkDir, scale: &Scale) -> BenchResult<Section> {
    let dir = work.fresh("attachments").map_err(ctx("work folder"))?;
    let mut net = BenchNet::prepare(dir, 4, &bench_settings(64)).await?;
    let (a, b, c, d) = (net.id(0).to_owned(), net.id(1).to_owned(), net.id(2).to_owned(), net.id(3).to_owned());
    let node_a = net.start(&a).await?;
    let node_b = net.start(&b).await?;
    net.start_app(&c, sink()).await?;
    let client = net.client(&a, crate::pki::ROLE_LIAISON)?;
    let size = if scale.quick { SIZE / 4 } else { SIZE };
    let bytes = document(size);

    // The baseline: the same bytes POSTed over the same mTLS to a handler that only reads them;
    // one upload warms the connection, then the median of several (one alone varies twofold).
    let url = format!("{}/sink", net.url(&c));
    let mut plains = Vec::new();
    for round in 0..=ROUNDS {
        let started = Instant::now();
        let answer = client.http().post(&url).body(bytes.clone()).send().await.map_err(ctx("plain upload"))?;
        let read = answer.text().await.map_err(ctx("plain upload"))?;
        if read != size.to_string() {
            return Err(format!("the sink read {read} bytes, not {size}"));
        }
        if round > 0 {
            plains.push(started.elapsed());
        }
    }
    let plain = median(&mut plains);

    // The same bytes uploaded to B by one of its officers over the same mTLS: what B does for a
    // file it is given directly (streamed to disk, hashed, synced, checked, kept, audited).
    let client_b = net.client(&b, crate::pki::ROLE_LIAISON)?;
    let mut direct = Vec::new();
    for round in 0..=ROUNDS {
        let mut bytes = bytes.clone();
        bytes[size / 3] ^= round as u8 + 1;
        let started = Instant::now();
        client_b.upload(bytes).await.map_err(ctx("upload to B"))?;
        if round > 0 {
            direct.push(started.elapsed());
        }
    }
    let upload = median(&mut direct);

    // Uploaded to A (checked and kept there), then named by a request to B: timed from the
    // request's 201 until B keeps the whole file, checked against its signed hash. Each round
    // a file of its own (one byte changed), the median taken.
    let target: crate::ids::StationId = b.parse().map_err(ctx("station id"))?;
    let rss_before = super::sys::rss("self").unwrap_or(0);
    // Memory while each file moves, from just before its request: the file must never be held
    // whole. (The upload to A before it is this process's client's doing, and not counted.)
    let (mut transfers, mut growths, mut peaks, mut first) = (Vec::new(), Vec::new(), Vec::new(), None);
    // One transfer first warms the file task's connection, as for the baselines.
    for round in 0..=ROUNDS {
        let mut bytes = bytes.clone();
        bytes[size / 2] ^= round as u8;
        let up = client.upload(bytes).await.map_err(ctx("upload"))?;
        let attachment = AttachmentRef {
            sha256: up.sha256,
            size: up.size,
            media_type: up.media_type,
            name: "协查函扫描件.pdf".into(),
            caption: None,
        };
        let mut new = crate::samples::missing_elderly_man(vec![target.clone()], time::OffsetDateTime::now_utc());
        new.attachments = vec![attachment.clone()];
        let at_start = super::sys::rss("self").unwrap_or(0);
        let started = Instant::now();
        client.create_case(&new).await.map_err(ctx("request"))?;
        let peak = until_kept(&node_b, &up.sha256, Duration::from_secs(120)).await?;
        if round == 0 {
            continue;
        }
        growths.push(peak.saturating_sub(at_start));
        peaks.push(peak);
        transfers.push(started.elapsed());
        first.get_or_insert((up, attachment));
    }
    let transfer = median(&mut transfers);
    let (up, attachment) = first.ok_or("no transfer was timed")?;

    // The same file to D, stopped once it holds half of it and started again: what A sends
    // after the restart, counted where D reads it.
    drop(node_b);
    let sender = a.parse().map_err(ctx("station id"))?;
    let node_d = net.start(&d).await?;
    let other: crate::ids::StationId = d.parse().map_err(ctx("station id"))?;
    let mut second = crate::samples::missing_elderly_man(vec![other], time::OffsetDateTime::now_utc());
    second.title = "第二份协查（同一附件）".into();
    second.attachments = vec![attachment];
    client.create_case(&second).await.map_err(ctx("second request"))?;
    let partial = net.data_dir(&d)?.join("attachments/partial").join(&a).join(up.sha256.hex());
    let half = size as u64 / 2;
    let waited = Instant::now();
    let held = loop {
        let len = std::fs::metadata(&partial).map_or(0, |m| m.len());
        if len >= half {
            break len;
        }
        if waited.elapsed() > Duration::from_secs(120) {
            return Err("D never held half the file".into());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    net.stop(&d).await;
    drop(node_d);
    let node_d: Arc<Node> = net.start(&d).await?;
    until_kept(&node_d, &up.sha256, Duration::from_secs(120)).await?;
    let resent = node_d.file_bytes_received(&sender);
    drop((node_a, node_d));
    net.shutdown().await;

    let rate = |d: Duration| size as f64 / (1 << 20) as f64 / d.as_secs_f64().max(1e-9);
    let ratio = upload.as_secs_f64() / transfer.as_secs_f64().max(1e-9);
    let of_sink = plain.as_secs_f64() / transfer.as_secs_f64().max(1e-9);
    let growth = growths.iter().copied().max().unwrap_or(0);
    let last_peak = peaks.last().copied().unwrap_or(rss_before);
    let piece = crate::protocol::FILE_PIECE_MAX;
    let missing = size as u64 - held;
    let mut section = Section::new(Scenario::Attachments, "An attachment of 20 MB moved A→B");
    section.rows.push(Row::relative(
        "A→B transfer of the file, against uploading the same bytes to B over the same mTLS",
        format!("{:.0} MiB/s", rate(transfer)),
        format!("{:.0} MiB/s", rate(upload)),
        ratio,
        "≥ 50 %",
        ratio >= 0.5,
    ));
    section.rows.push(
        Row::info(
            "A→B transfer of the file, against a bare handler that only reads the bytes",
            format!("{:.0} MiB/s ({})", rate(transfer), percent(of_sink)),
        )
        .with_baseline(format!("{:.0} MiB/s", rate(plain))),
    );
    section.rows.push(Row::absolute(
        "this process's RSS growth while a file moved (A and B both in it), the largest of the files",
        mib(growth),
        "≤ one piece (4 MiB)",
        growth <= piece,
    ));
    section.rows.push(Row::absolute(
        "bytes sent again after the receiver stopped half-way, beyond what it lacked",
        mib(resent.saturating_sub(missing)),
        "≤ one piece (4 MiB)",
        resent <= missing + piece,
    ));
    section.details.push(format!(
        "{} of PDF noise (incompressible, like a scan). Uploaded to B directly by one of its officers, median of \
         {ROUNDS} (each a file of its own): {} ({:.0} MiB/s) — streamed to disk and hashed as it arrives, synced, checked \
         like every upload, kept and audited. Plain upload to a bare handler over the same mTLS that only reads the \
         bytes, median of {ROUNDS}: {} ({:.0} MiB/s). Transfer, median of {ROUNDS} files after one that warms the \
         connection: from the request's 201 at A until B keeps the file — the request delivered first, then {} pieces of at most 4 MiB streamed from A's disk, \
         each written as it arrives and synced at B before it answers, hashed on the way, then checked like an upload, \
         moved in place and signed for — {} ({:.0} MiB/s, {} of the upload to B, {} of the bare handler). Resident memory \
         of this process (both nodes), from just before each request to the most while its file moved: {}; {} before \
         the warm-up, {} at the end of the last. Cut: a third station, D, was stopped \
         holding {} of the same file and started again; it then read {} from A ({} were missing: A asks first how much \
         D holds).",
        mib(size as u64),
        ms(upload),
        rate(upload),
        ms(plain),
        rate(plain),
        (size as u64).div_ceil(piece),
        ms(transfer),
        rate(transfer),
        percent(ratio),
        percent(of_sink),
        growths.iter().map(|g| mib(*g)).collect::<Vec<_>>().join(", "),
        mib(rss_before),
        mib(last_peak),
        mib(held),
        mib(resent),
        mib(missing),
    ));
    section.analysis.push(ANALYSIS.to_owned());
    Ok(section)
}

/// Timed uploads and transfers, each side's median compared.
const ROUNDS: usize = 5;

/// The median of `times`.
fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// What the figures come from, shown when a target is missed.
const ANALYSIS: &str = "Against the upload to B, the transfer adds the request's delivery before the first piece \
(B takes no file that none of its cases names), one round trip and one fsync per piece of 4 MiB instead of one of \
each for the file, the sender's record of how much B holds after each piece, and a signed receipt recorded and \
flushed at A. Against the bare handler, both the upload and the transfer pay for durability: the bytes written and \
synced, hashed and checked.";
