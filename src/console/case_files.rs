//! The photos and documents of a case in the console: photos as thumbnails (the re-encoded
//! preview, whose click opens the original), documents as links with name, type and size, and
//! where a file has not arrived yet, how far it is. The files themselves are served by the API
//! route, over the same mTLS and to the same officers, so the page's `img-src 'self'` holds.

use maud::{Markup, html};

use super::Page;
use crate::domain::attachment::{Sha256, progress_words, size_words};
use crate::i18n::{Label as _, Lang};
use crate::ids::CaseId;
use crate::node::{AttachmentView, CaseDetail, FileDelivery};

/// Where the original of a file of a case is served.
pub(super) fn original_url(case: &CaseId, sha256: &Sha256) -> String {
    format!("/api/v1/cases/{case}/attachments/{sha256}")
}

/// Where the preview of a photo of a case is served.
pub(super) fn preview_url(case: &CaseId, sha256: &Sha256) -> String {
    format!("{}?preview=1", original_url(case, sha256))
}

/// The case's attachments section; nothing when the case has none.
pub(super) fn section(page: &Page, detail: &CaseDetail) -> Markup {
    let lang = page.lang;
    if detail.attachments.is_empty() {
        return html! {};
    }
    let (photos, documents): (Vec<&AttachmentView>, Vec<&AttachmentView>) =
        detail.attachments.iter().partition(|a| a.attachment.media_type.is_image());
    html! {
        h2 id="attachments" { (lang.pick("附件", "Attachments")) }
        @if !photos.is_empty() {
            div.thumbs {
                @for view in &photos { (photo(page, &detail.case.id, view)) }
            }
        }
        @if !documents.is_empty() {
            ul.documents {
                @for view in &documents { li { (document(page, &detail.case.id, view)) } }
            }
        }
    }
}

fn photo(page: &Page, case: &CaseId, view: &AttachmentView) -> Markup {
    let lang = page.lang;
    let a = &view.attachment;
    html! {
        figure.attachment {
            @if view.here {
                a href=(original_url(case, &a.sha256)) title=(lang.pick("打开原图", "open the original")) {
                    img.thumb src=(preview_url(case, &a.sha256)) alt=(a.name);
                }
            } @else {
                div.thumb.pending { (arriving(lang, view, ("照片传输中", "photo arriving"))) }
            }
            figcaption {
                span.file-name { (a.name) }
                @if let Some(caption) = &a.caption { br; (caption) }
                br; span.muted { (a.media_type.label(lang)) " · " (size_words(a.size)) " · " (super::station_name(&page.node, &view.from)) }
                (deliveries(page, view))
            }
        }
    }
}

fn document(page: &Page, case: &CaseId, view: &AttachmentView) -> Markup {
    let lang = page.lang;
    let a = &view.attachment;
    html! {
        @if view.here {
            a.file-name href=(original_url(case, &a.sha256)) { (a.name) }
        } @else {
            span.file-name { (a.name) } " · " span.badge.flag { (arriving(lang, view, ("文件传输中", "file arriving"))) }
        }
        " · " (a.media_type.label(lang)) " · " (size_words(a.size))
        @if let Some(caption) = &a.caption { " · " (caption) }
        " · " span.muted { (super::station_name(&page.node, &view.from)) }
        (deliveries(page, view))
    }
}

/// "照片传输中 3.0/5.0 MB" while a file comes from the partner.
fn arriving(lang: Lang, view: &AttachmentView, words: (&str, &str)) -> String {
    let have = view.received.unwrap_or(0);
    format!("{} {}", lang.pick(words.0, words.1), progress_words(have, view.attachment.size))
}

/// At the sending station: each partner's state of the file, until its receipt came back.
fn deliveries(page: &Page, view: &AttachmentView) -> Markup {
    let lang = page.lang;
    let size = view.attachment.size;
    let word = |d: &FileDelivery| -> (String, &'static str) {
        let name = super::station_name(&page.node, &d.station);
        if d.delivered {
            (format!("{name} {}", lang.pick("已接收", "received it")), "badge state")
        } else if let Some(code) = &d.refused {
            (format!("{name} {} ({code})", lang.pick("拒收", "refused it")), "badge overdue")
        } else {
            let progress = progress_words(d.confirmed, size);
            (format!("{} · {name} {progress}", lang.pick("待对方接收", "waiting for the partner")), "badge flag")
        }
    };
    html! {
        @for d in &view.deliveries {
            @let (text, class) = word(d);
            " " span class=(class) { (text) }
        }
    }
}

/// The small photo of the subject on an inbox row, when its request names one that is here.
pub(super) fn row_thumb(page: &Page, case: &crate::case::CaseRecord) -> Markup {
    match page.node.first_photo(case) {
        Ok(Some(sha256)) => html! {
            a href={ "/console/cases/" (case.id) } { img.row-thumb src=(preview_url(&case.id, &sha256)) alt=""; }
        },
        _ => html! {},
    }
}
