//! Attachments at the command line: `tiemeng case send --attach a.jpg --caption … --attach
//! letter.pdf` uploads each file (streamed) before the request names them, and `case show`
//! lists a case's files with their type, size and where each stands.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::render::Names;
use crate::client::{ApiClient, ClientError};
use crate::domain::attachment::{AttachmentRef, progress_words, safe_name, size_words};
use crate::i18n::{Label as _, Lang};
use crate::node::{AttachmentView, CaseDetail};

/// Uploads each file in `paths`, in order, and names it as the request will: its file name
/// (without folders) and the caption given in the same place, if any. A refused file stops the
/// send with its name and the node's words; nothing is sent then.
pub async fn upload_all(
    client: &ApiClient,
    paths: &[PathBuf],
    captions: &[String],
    lang: Lang,
) -> Result<Vec<AttachmentRef>, ClientError> {
    if captions.len() > paths.len() {
        return Err(ClientError::Decode {
            url: "--caption".into(),
            reason: lang
                .pick(
                    &format!(
                        "说明有 {} 条，附件只有 {} 个：每条 --caption 对应同一位置的 --attach",
                        captions.len(),
                        paths.len()
                    ),
                    &format!(
                        "{} captions for {} attachments: each --caption goes with the --attach in the same place",
                        captions.len(),
                        paths.len()
                    ),
                )
                .to_owned(),
        });
    }
    let mut named = Vec::with_capacity(paths.len());
    for (i, path) in paths.iter().enumerate() {
        let uploaded = client.upload_file(path).await.map_err(|e| about(path, e))?;
        let given = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let caption = captions.get(i).map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
        named.push(AttachmentRef {
            sha256: uploaded.sha256,
            size: uploaded.size,
            media_type: uploaded.media_type,
            name: safe_name(&given, &uploaded.sha256, uploaded.media_type),
            caption,
        });
    }
    Ok(named)
}

/// A refusal of one upload, with the file it was about.
fn about(path: &std::path::Path, error: ClientError) -> ClientError {
    match error {
        ClientError::Problem(mut problem) => {
            problem.detail = format!("{}: {}", path.display(), problem.detail);
            ClientError::Problem(problem)
        }
        other => other,
    }
}

/// The request's text with what it attaches, for the key that makes a repeat send land on
/// the first case: the same file with other photos is another request.
pub fn keyed_text(text: &str, attachments: &[AttachmentRef]) -> String {
    let mut keyed = text.to_owned();
    for a in attachments {
        let _ = write!(keyed, "\n\0attachment {} {} {}", a.sha256, a.name, a.caption.as_deref().unwrap_or_default());
    }
    keyed
}

/// Saves the files of case `id` that are here beside the bundle at `bundle`, in its files
/// folder, each named by its hash: what `tiemeng verify` checks. `None` when the case has none.
pub async fn export_files(
    client: &ApiClient,
    id: &str,
    bundle: &std::path::Path,
) -> Result<Option<(usize, PathBuf)>, ClientError> {
    let detail = client.case(&id).await?;
    let here: Vec<&AttachmentRef> = detail.attachments.iter().filter(|a| a.here).map(|a| &a.attachment).collect();
    if here.is_empty() {
        return Ok(None);
    }
    let dir = crate::evidence::files::files_dir(bundle);
    std::fs::create_dir_all(&dir).map_err(|source| ClientError::ReadFile { path: dir.clone(), source })?;
    for attachment in &here {
        let path = dir.join(crate::evidence::files::file_name(attachment));
        client.download_attachment(&detail.case.id, &attachment.sha256, &path).await?;
    }
    Ok(Some((here.len(), dir)))
}

/// The case's files for `case show`, one line each: name, type, size, where it stands, caption.
pub fn lines(detail: &CaseDetail, names: &Names, lang: Lang) -> String {
    let mut out = String::new();
    for view in &detail.attachments {
        let a = &view.attachment;
        let _ = write!(
            out,
            "\n  {}{}  {}  {}  {}",
            lang.pick("附件：", "attachment: "),
            a.name,
            a.media_type.label(lang),
            size_words(a.size),
            state(view, names, lang)
        );
        if let Some(caption) = &a.caption {
            let _ = write!(out, "  {}{caption}{}", lang.pick("（", "("), lang.pick("）", ")"));
        }
    }
    out
}

/// Where a file stands: on its way here, here, or with each partner it goes to.
fn state(view: &AttachmentView, names: &Names, lang: Lang) -> String {
    let size = view.attachment.size;
    if !view.here {
        let have = progress_words(view.received.unwrap_or(0), size);
        return lang.pick(&format!("传输中 {have}"), &format!("arriving {have}")).to_owned();
    }
    if view.deliveries.is_empty() {
        return lang.pick("已在本站", "here").to_owned();
    }
    let each: Vec<String> = view
        .deliveries
        .iter()
        .map(|d| {
            let name = names.of(d.station.as_str());
            if d.delivered {
                lang.pick(&format!("{name}已接收"), &format!("{name} received it")).to_owned()
            } else if let Some(code) = &d.refused {
                lang.pick(&format!("{name}拒收（{code}）"), &format!("{name} refused it ({code})")).to_owned()
            } else {
                let sent = progress_words(d.confirmed, size);
                lang.pick(&format!("待{name}接收 {sent}"), &format!("waiting for {name} {sent}")).to_owned()
            }
        })
        .collect();
    each.join(lang.pick("，", ", "))
}
