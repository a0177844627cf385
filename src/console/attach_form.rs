//! Photos and documents on the new-request form (附件), without JavaScript: the form is posted
//! as `multipart/form-data`; each chosen file is uploaded through the node's upload path as its
//! part arrives (streamed, checked, kept by its hash), and the form carries what was uploaded as
//! hidden fields from then on, so a form shown again after an error keeps its files without the
//! officer choosing them again. A refused file is the form's error; nothing of it is kept, and
//! uploads no request ends up naming are swept by the node.

use axum::extract::{FromRequest as _, Multipart, Request};
use axum::http::{HeaderMap, StatusCode, header};
use maud::{Markup, html};

use super::form_read::{Posted, first};
use super::{ErrorPage, Page};
use crate::domain::attachment::{AttachmentRef, MediaType, Sha256, safe_name, size_words};
use crate::domain::validate::FieldError;
use crate::i18n::{Label as _, Lang};
use crate::node::NodeError;

/// The longest a form's text may be, all fields together: far more than any request, and the
/// bound on what a post without files is read into memory.
const TEXT_MAX: usize = 1 << 20;
/// Most parts in one posted form.
const PARTS_MAX: usize = 4_000;
/// Empty file choosers offered at once.
const SLOTS: usize = 3;
/// What the file chooser offers (the node decides by content, whatever a browser offers).
const ACCEPT: &str = "image/jpeg,image/png,image/webp,application/pdf,.jpg,.jpeg,.png,.webp,.pdf";

/// A posted new-request form: its text fields, with the files it carries (uploaded now or
/// before) as `attachments[i].…` fields, and any file refused on the way.
pub(super) struct PostedForm {
    /// The fields, files as hidden fields numbered from 0.
    pub posted: Posted,
    /// The files the request will name, in the form's order.
    pub attachments: Vec<AttachmentRef>,
    /// Files refused while uploading, as the form's errors; with the status to answer.
    pub refused: Vec<FieldError>,
    /// The refusal's status (413, 415, 422), when a file was refused.
    pub status: Option<StatusCode>,
}

fn too_much(lang: Lang) -> ErrorPage {
    ErrorPage::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        lang,
        ("表单内容过长", "the form is too long"),
        lang.pick(
            "提交的表单文字超出上限，未发送。请精简内容后重试。",
            "the form's text is over the limit; nothing was sent. Shorten it and try again.",
        )
        .to_owned(),
    )
}

fn unreadable(lang: Lang, why: &str) -> ErrorPage {
    ErrorPage::new(
        StatusCode::BAD_REQUEST,
        lang,
        ("无法读取表单", "the form could not be read"),
        format!(
            "{}（{why}）",
            lang.pick(
                "表单数据不完整或格式有误，未发送。请刷新页面后重试",
                "the form arrived broken; nothing was sent. Reload the page and try again"
            )
        ),
    )
}

/// Reads the posted form: a plain form as before, or a form with files, uploading each file
/// as it arrives, but only after the form's token checked (it comes first in the form).
pub(super) async fn read(page: &Page, headers: &HeaderMap, request: Request) -> Result<PostedForm, ErrorPage> {
    let lang = page.lang;
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, TEXT_MAX).await.map_err(|_| too_much(lang))?;
        let request = Request::from_parts(parts, axum::body::Body::from(bytes));
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(request, &())
            .await
            .map_err(|e| unreadable(lang, &e.body_text()))?;
        page.check_form(headers, first(&super::form_read::posted(pairs.clone()), "csrf"))?;
        return Ok(finish(super::form_read::posted(pairs), Vec::new(), Vec::new(), None));
    }
    let mut form = Multipart::from_request(request, &()).await.map_err(|e| unreadable(lang, &e.body_text()))?;
    let limits = page.node.config().attachments.limits();
    let (mut pairs, mut text_len, mut parts) = (Vec::new(), 0usize, 0usize);
    let mut checked = false;
    let mut uploaded: Vec<(usize, AttachmentRef)> = Vec::new();
    let (mut refused, mut status) = (Vec::new(), None);
    while let Some(mut field) = form.next_field().await.map_err(|e| unreadable(lang, &e.body_text()))? {
        parts += 1;
        if parts > PARTS_MAX {
            return Err(too_much(lang));
        }
        let name = field.name().unwrap_or_default().to_owned();
        let Some(file_name) = field.file_name().map(str::to_owned) else {
            let mut value = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| unreadable(lang, &e.body_text()))? {
                text_len += chunk.len();
                if text_len > TEXT_MAX {
                    return Err(too_much(lang));
                }
                value.extend_from_slice(&chunk);
            }
            let value = String::from_utf8(value).map_err(|_| unreadable(lang, "UTF-8"))?;
            if name == "csrf" && !checked {
                page.check_form(headers, value.trim())?;
                checked = true;
            }
            pairs.push((name, value));
            continue;
        };
        // An empty chooser still sends its part, without a name and without bytes.
        if file_name.is_empty() {
            continue;
        }
        if !checked {
            // No file is taken from a form whose token has not been seen.
            page.check_form(headers, "")?;
        }
        let Some(slot) = slot_of(&name) else { continue };
        if uploaded.len() >= limits.files {
            refused.push(FieldError::new(
                "attachments",
                "too_many",
                format!("附件最多 {} 个，“{}”未保存", limits.files, file_name),
                format!("at most {} attachments; “{}” was not kept", limits.files, file_name),
            ));
            status.get_or_insert(StatusCode::UNPROCESSABLE_ENTITY);
            continue;
        }
        match page.node.upload_attachment(&page.officer, None, &mut field).await {
            Ok(up) => {
                let name = safe_name(&file_name, &up.sha256, up.media_type);
                let attachment =
                    AttachmentRef { sha256: up.sha256, size: up.size, media_type: up.media_type, name, caption: None };
                uploaded.push((slot, attachment));
            }
            Err(error) => {
                status.get_or_insert(StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST));
                refused.push(refusal(&file_name, &error));
            }
        }
    }
    if !checked {
        page.check_form(headers, "")?;
    }
    Ok(finish(super::form_read::posted(pairs), uploaded, refused, status))
}

/// `attachments[3].file` → 3.
fn slot_of(name: &str) -> Option<usize> {
    name.strip_prefix("attachments[")?.strip_suffix("].file")?.parse().ok()
}

fn refusal(file_name: &str, error: &NodeError) -> FieldError {
    FieldError::new(
        "attachments",
        error.code(),
        format!("“{file_name}”：{}", error.detail(Lang::Zh)),
        format!("“{file_name}”: {}", error.detail(Lang::En)),
    )
}

/// The files of the form in its order: those carried from before (unless ticked for
/// removal) and those uploaded now, each with the caption typed beside it; written back into
/// the fields, numbered from 0, so the form shown again carries them and the node's errors
/// (`attachments[1].caption`) land beside the right file.
fn finish(
    mut posted: Posted,
    uploaded: Vec<(usize, AttachmentRef)>,
    mut refused: Vec<FieldError>,
    status: Option<StatusCode>,
) -> PostedForm {
    let field = |posted: &Posted, i: usize, name: &str| first(posted, &format!("attachments[{i}].{name}")).to_owned();
    let mut slots: Vec<(usize, AttachmentRef)> = Vec::new();
    let highest = posted.keys().filter_map(|k| k.strip_prefix("attachments[")?.split(']').next()?.parse().ok()).max();
    for i in 0..=highest.unwrap_or(0).min(PARTS_MAX) {
        if field(&posted, i, "remove") == "yes" {
            continue;
        }
        let carried = field(&posted, i, "sha256");
        if carried.is_empty() {
            continue;
        }
        let parsed = carried
            .parse::<Sha256>()
            .ok()
            .zip(field(&posted, i, "size").parse::<u64>().ok())
            .zip(field(&posted, i, "media_type").parse::<MediaType>().ok());
        let Some(((sha256, size), media_type)) = parsed else {
            refused.push(FieldError::new(
                "attachments",
                "malformed",
                "附件信息不完整，请重新选择该文件",
                "an attachment's details arrived broken; choose the file again",
            ));
            continue;
        };
        let name = safe_name(&field(&posted, i, "name"), &sha256, media_type);
        slots.push((i, AttachmentRef { sha256, size, media_type, name, caption: None }));
    }
    slots.extend(uploaded);
    slots.sort_by_key(|(i, _)| *i);
    let mut attachments = Vec::with_capacity(slots.len());
    for (i, mut attachment) in slots {
        let caption = field(&posted, i, "caption");
        attachment.caption = (!caption.is_empty()).then_some(caption);
        if !attachments.iter().any(|a: &AttachmentRef| a.sha256 == attachment.sha256) {
            attachments.push(attachment);
        }
    }
    carry(&mut posted, &attachments);
    PostedForm { posted, attachments, refused, status }
}

/// Writes `attachments` into the form's fields, numbered from 0, in place of any there: the
/// form carries them as hidden fields (and their captions as text) from then on.
pub(super) fn carry(posted: &mut Posted, attachments: &[AttachmentRef]) {
    posted.retain(|name, _| !name.starts_with("attachments["));
    for (i, a) in attachments.iter().enumerate() {
        let mut put = |name: &str, value: String| posted.insert(format!("attachments[{i}].{name}"), vec![value]);
        put("sha256", a.sha256.hex());
        put("size", a.size.to_string());
        put("media_type", a.media_type.as_str().to_owned());
        put("name", a.name.clone());
        if let Some(caption) = &a.caption {
            put("caption", caption.clone());
        }
    }
}

/// True for an error the attachments part of the form shows.
pub(super) fn is_attachment_error(error: &FieldError) -> bool {
    error.field.starts_with("attachments")
}

/// The attachments part of the form: the files it carries (name, type, size, a caption, a box
/// to remove it) and empty choosers for more, up to the station's limit.
pub(super) fn part(page: &Page, posted: &Posted, errors: &[FieldError]) -> Markup {
    let lang = page.lang;
    let limits = page.node.config().attachments.limits();
    let carried: Vec<usize> =
        (0..PARTS_MAX).take_while(|i| !first(posted, &format!("attachments[{i}].sha256")).is_empty()).collect();
    let free = limits.files.saturating_sub(carried.len()).min(SLOTS);
    let value = |i: usize, name: &str| first(posted, &format!("attachments[{i}].{name}")).to_owned();
    let general: Vec<&FieldError> = errors
        .iter()
        .filter(|e| {
            is_attachment_error(e) && !carried.iter().any(|i| e.field.starts_with(&format!("attachments[{i}]")))
        })
        .collect();
    html! {
        fieldset.attachments id="attachments" {
            legend { (lang.pick("附件（照片、文书）", "Attachments (photos, documents)")) }
            p.muted { (lang.pick(
                &format!("可附 JPEG、PNG、WebP 照片和 PDF 文档，每个不超过 {}，合计不超过 {}，最多 {} 个。文件随请求签名发送。", size_words(limits.file_bytes), size_words(limits.total_bytes), limits.files),
                &format!("JPEG, PNG and WebP photos and PDF documents, each at most {}, together at most {}, at most {} files. They are signed and sent with the request.", size_words(limits.file_bytes), size_words(limits.total_bytes), limits.files),
            )) }
            @for e in &general { div.field-error id="attachments-error" role="alert" { (lang.pick(&e.zh, &e.en)) } }
            @for i in &carried {
                @let i = *i;
                @let media_type = value(i, "media_type").parse::<MediaType>().ok();
                div.attachment {
                    input type="hidden" name={ "attachments[" (i) "].sha256" } value=(value(i, "sha256"));
                    input type="hidden" name={ "attachments[" (i) "].size" } value=(value(i, "size"));
                    input type="hidden" name={ "attachments[" (i) "].media_type" } value=(value(i, "media_type"));
                    input type="hidden" name={ "attachments[" (i) "].name" } value=(value(i, "name"));
                    span.file-name { (value(i, "name")) }
                    " · " (media_type.map(|m| m.label(lang)).unwrap_or_default())
                    " · " (value(i, "size").parse::<u64>().map(size_words).unwrap_or_default())
                    " · " span.muted { (lang.pick("已上传", "uploaded")) }
                    label for={ "attachments[" (i) "].caption" } { (lang.pick("说明", "Caption")) }
                    input type="text" id={ "attachments[" (i) "].caption" } name={ "attachments[" (i) "].caption" } value=(value(i, "caption"));
                    label.inline { input type="checkbox" name={ "attachments[" (i) "].remove" } value="yes"; (lang.pick("移除", "remove")) }
                    @for e in errors.iter().filter(|e| e.field.starts_with(&format!("attachments[{i}]"))) {
                        div.field-error { (lang.pick(&e.zh, &e.en)) }
                    }
                }
            }
            @for slot in 0..free {
                @let i = carried.len() + slot;
                div.attachment {
                    label for={ "attachments[" (i) "].file" } { (lang.pick("文件", "File")) }
                    input type="file" id={ "attachments[" (i) "].file" } name={ "attachments[" (i) "].file" } accept=(ACCEPT);
                    label for={ "attachments[" (i) "].caption" } { (lang.pick("说明（可选）", "Caption (optional)")) }
                    input type="text" id={ "attachments[" (i) "].caption" } name={ "attachments[" (i) "].caption" };
                }
            }
        }
    }
}

/// The file choosers of a note on the case page: a photo of the person found, a scanned reply.
pub(super) fn note_files(lang: Lang) -> Markup {
    html! {
        @for i in 0..2 {
            div.attachment {
                label for={ "note-file-" (i) } { (lang.pick("附件（可选）", "Attachment (optional)")) }
                input type="file" id={ "note-file-" (i) } name={ "attachments[" (i) "].file" } accept=(ACCEPT);
                input type="text" name={ "attachments[" (i) "].caption" } aria-label=(lang.pick("附件说明", "caption")) placeholder=(lang.pick("说明（可选）", "caption (optional)"));
            }
        }
    }
}
