//! The formal 协查函: a request printed as an A4 letter in the usual order (letterhead, 文号,
//! 主送, the request's fields, contact, 发函单位 and date), with a QR code carrying the
//! letter's check code (see [`LetterCode`]) so the receiving station can check the paper against
//! the signed request it holds. The console serves it at `/console/cases/{id}/letter`;
//! `tiemeng case letter` writes the same document to a file.

use axum::extract::Path;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::Value;

use super::forms::detail_lines;
use super::layout::{self, multiline};
use super::{ErrorPage, Page};
use crate::clock::beijing_date;
use crate::console::case_page::people_time;
use crate::envelope::Kind;
use crate::i18n::{Label, Lang};
use crate::ids::StationId;
use crate::node::{CaseDetail, LetterCode};

/// How the document gets its stylesheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Linked from the console (its Content-Security-Policy allows no inline style), with a
    /// way back to the case that does not print.
    Console,
    /// Embedded, for a file opened without the console.
    Standalone,
}

/// The QR code of `text` as an inline SVG element (without the XML declaration); `None` if the
/// text is too long for a QR code, which a letter code never is.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .module_dimensions(4, 4)
        .quiet_zone(true)
        .dark_color(qrcode::render::svg::Color("#000"))
        .light_color(qrcode::render::svg::Color("#fff"))
        .build();
    let start = svg.find("<svg")?;
    Some(svg[start..].to_owned())
}

/// A date as a letter writes it: `2026年12月7日`, `7 December 2026`.
fn letter_date(date: time::Date, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}年{}月{}日", date.year(), u8::from(date.month()), date.day()),
        Lang::En => format!("{} {} {}", date.day(), date.month(), date.year()),
    }
}

/// The whole letter document of a case; `name` gives a station's name for its id.
pub fn document(detail: &CaseDetail, name: &dyn Fn(&StationId) -> String, lang: Lang, style: Style) -> Markup {
    let case = &detail.case;
    let request = &detail.request;
    let entry = detail.timeline.iter().find(|e| e.kind == Kind::Request);
    let addressees: Vec<String> = entry.map(|e| e.to.iter().map(name).collect()).unwrap_or_default();
    let code = LetterCode::of(detail).map(|c| c.to_string());
    let qr = code.as_deref().and_then(qr_svg);
    let sender = name(&case.origin);
    let text = |key: &str| request[key].as_str().unwrap_or_default().to_owned();
    let title = lang.pick("协查函", "Request for assistance");
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                title { (title) @if let Some(refno) = &case.refno { " · " (refno.label) } }
                @match style {
                    Style::Console => link rel="stylesheet" href="/console/static/console.css";,
                    Style::Standalone => style { (PreEscaped(layout::CSS)) },
                }
            }
            body.print {
                @if style == Style::Console {
                    p.no-print {
                        a href={ "/console/cases/" (case.id) } { "← " (lang.pick("返回协查", "Back to the case")) }
                        " · " (lang.pick("使用浏览器的“打印”（Ctrl+P）打印本函，纸张 A4。", "Print with the browser's Print (Ctrl+P), on A4."))
                    }
                }
                article.letter {
                    header.letterhead {
                        p.sender { (sender) }
                        h1 { (title) }
                        @if let Some(refno) = &case.refno { p.refno { (refno.label) } }
                    }
                    p.addressee { (addressees.join(lang.pick("、", ", "))) (lang.pick("：", ":")) }
                    p {
                        (lang.pick("因工作需要，请贵单位协助开展以下协查事项（", "We ask your station's assistance with the following ("))
                        (case.kind.label(lang)) (lang.pick("，", ", ")) (case.priority.label(lang))
                        (lang.pick("）：", "):"))
                    }
                    dl.letter-facts {
                        dt { (lang.pick("事由", "Subject")) } dd { (case.title) }
                        @for (label, lines) in detail_lines(case.kind, &request["details"], lang) {
                            dt { (label) }
                            dd { @for line in lines { div { (line) } } }
                        }
                        dt { (lang.pick("情况说明", "Background")) } dd { (multiline(&text("narrative"))) }
                        @if let Some(reference) = request["reference"].as_str() {
                            dt { (lang.pick("本地案件编号", "Our case number")) } dd { (reference) }
                        }
                        @if !case.restrictions.is_empty() {
                            dt { (lang.pick("处置限制", "Restrictions")) }
                            dd { @for (i, r) in case.restrictions.iter().enumerate() { @if i > 0 { (lang.pick("、", ", ")) } (r.label(lang)) } }
                        }
                        @if let Some(from) = request["redirected_from"].as_object() {
                            dt { (lang.pick("改发自", "Redirected from")) }
                            dd { (redirected_words(from, name, lang)) }
                        }
                        dt { (lang.pick("签收时限", "Acknowledge by")) } dd { (people_time(&text("ack_by"))) }
                        dt { (lang.pick("反馈时限", "Report by")) } dd { (people_time(&text("report_by"))) }
                    }
                    p { (lang.pick("请予协助为盼。", "Thank you for your assistance.")) }
                    dl.letter-contact {
                        dt { (lang.pick("联系人", "Contact officer")) }
                        dd {
                            (request["officer"]["name"].as_str().unwrap_or_default())
                            (lang.pick("（警号 ", " (badge "))
                            (request["officer"]["badge"].as_str().unwrap_or_default())
                            (lang.pick("）", ")"))
                        }
                        dt { (lang.pick("联系方式", "Telephone")) } dd { (text("contact")) }
                    }
                    div.letter-sign {
                        p { (lang.pick("发函单位：", "From: ")) (sender) }
                        p { (letter_date(beijing_date(case.created_at), lang)) }
                    }
                    @if let Some(code) = &code {
                        figure.letter-qr {
                            @if let Some(svg) = &qr { (PreEscaped(svg)) }
                            figcaption {
                                (lang.pick("核验码（收函单位可在铁盟“核验”页扫描或粘贴核验）：", "Check code (the receiving station checks it on tiemeng's Verify page):"))
                                br;
                                code { (code) }
                            }
                        }
                    } @else {
                        p.letter-unverified { (lang.pick("该协查请求的签名未通过验证，本函无核验码。", "The request's signature did not verify: this letter has no check code.")) }
                    }
                }
            }
        }
    }
}

/// `redirected_from` of a request in words: the declined case's number, and who declined it.
pub(crate) fn redirected_words(
    from: &serde_json::Map<String, Value>,
    name: &dyn Fn(&StationId) -> String,
    lang: Lang,
) -> String {
    let station = from.get("station").and_then(Value::as_str).unwrap_or_default();
    let station = station.parse().map_or_else(|_: crate::ids::IdError| station.to_owned(), |s| name(&s));
    let number = from
        .get("refno")
        .and_then(Value::as_str)
        .or_else(|| from.get("case").and_then(Value::as_str))
        .unwrap_or_default();
    match lang {
        Lang::Zh => format!("{number}（{station}退回）"),
        Lang::En => format!("{number} (declined by {station})"),
    }
}

/// `GET /console/cases/{id}/letter`: the printable 协查函 of a case this officer may read (the
/// read is audited like the case page).
pub async fn show(page: Page, Path(id): Path<String>) -> Result<Markup, ErrorPage> {
    let id = super::case_page::case_id(&page.node, &id, page.lang)?;
    let detail = page.node.read_case(&page.officer, id).await.map_err(|e| ErrorPage::from_node(&e, page.lang))?;
    let node = &page.node;
    let name = |id: &StationId| -> String {
        if id == node.station() {
            return node.config().station.name.clone();
        }
        node.config().peer(id).map_or_else(|| id.to_string(), |p| p.name.clone())
    };
    Ok(document(&detail, &name, page.lang, Style::Console))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SVG's dark rectangles, read back into modules, are exactly the QR code of the text:
    /// what a phone decodes from the printed code is the text printed under it.
    #[test]
    fn the_svg_draws_the_qr_code_of_the_text() {
        let text = "TIEMENG1:zj-taishun-luoyang:01a24dd6-448b-75a3-8294-9c9ceb9d08b5:\
                    abababababababababababababababababababababababababababababababab";
        let svg = qr_svg(text).expect("a QR code");
        assert!(svg.starts_with("<svg"), "{svg}");
        let expected = qrcode::QrCode::new(text.as_bytes()).expect("a QR code");
        let width = expected.width();
        let mut drawn = vec![false; width * width];
        let path = svg.split(r#"d=""#).nth(1).and_then(|p| p.split('"').next()).expect("a path");
        for rect in path.split('M').filter(|r| !r.is_empty()) {
            // M{left} {top}h{width}v{height}H{left}V{top}
            let numbers: Vec<usize> = rect
                .split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .filter_map(|n| n.parse().ok())
                .collect();
            let [left, top, w, h, ..] = numbers[..] else { panic!("rect {rect}") };
            // Four pixels a module, behind a quiet zone of four modules.
            for y in (top / 4 - 4)..((top + h) / 4 - 4) {
                for x in (left / 4 - 4)..((left + w) / 4 - 4) {
                    drawn[y * width + x] = true;
                }
            }
        }
        let dark: Vec<bool> = expected.to_colors().iter().map(|c| *c == qrcode::Color::Dark).collect();
        assert_eq!(drawn, dark);
    }

    #[test]
    fn a_letter_is_dated_as_letters_are() {
        let date = time::macros::date!(2026 - 12 - 07);
        assert_eq!(letter_date(date, Lang::Zh), "2026年12月7日");
        assert_eq!(letter_date(date, Lang::En), "7 December 2026");
    }
}
