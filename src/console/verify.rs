//! 核验: a duty officer scans or pastes the code printed on a paper 协查函 and reads, in plain
//! words, whether this station holds exactly that request from exactly that station.

use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, Section};
use super::{ErrorPage, Page};
use crate::node::NodeError;

#[derive(Deserialize)]
pub struct Scanned {
    #[serde(default)]
    code: String,
}

/// `GET /console/verify[?code=…]`: the form, and with a code the answer. A read, so a plain
/// GET form: a scanner that types into the box and presses Enter is all it needs.
pub async fn show(
    page: Page,
    axum::extract::Query(scanned): axum::extract::Query<Scanned>,
) -> Result<Markup, ErrorPage> {
    let lang = page.lang;
    page.officer.require(crate::node::READERS).map_err(|e| ErrorPage::from_node(&e, lang))?;
    let code = scanned.code.trim();
    let answer = if code.is_empty() { None } else { Some(page.node.verify_letter(&page.officer, code).await) };
    if let Some(Err(e @ (NodeError::Store(_) | NodeError::Forbidden { .. } | NodeError::UnknownOfficer(_)))) = &answer {
        return Err(ErrorPage::from_node(e, lang));
    }
    let name = |id: &crate::ids::StationId| -> String {
        if id == page.node.station() {
            return page.node.config().station.name.clone();
        }
        page.node.config().peer(id).map_or_else(|| id.to_string(), |p| p.name.clone())
    };
    let content = html! {
        h1 { (lang.pick("协查函核验", "Verify a letter")) }
        p { (lang.pick(
            "扫描或粘贴协查函上二维码的内容（以 TIEMENG1 开头），核对本站是否收到过同一份、由同一单位签名发出的协查请求。",
            "Scan or paste the text of the QR code on a 协查函 (it starts with TIEMENG1) to check that this station holds the same request, signed by the same station.",
        )) }
        form method="get" action="/console/verify" {
            label for="verify-code" { (lang.pick("核验码", "Check code")) }
            input type="text" id="verify-code" name="code" value=(code) required autofocus autocomplete="off" spellcheck="false";
            button type="submit" { (lang.pick("核验", "Verify")) }
        }
        @match &answer {
            None => {},
            Some(Ok(check)) => div.box.verify-result.ok role="status" {
                p { strong { "✓ " (lang.pick("核验通过", "Verified")) } }
                p { (lang.pick(
                    "本站收到的协查请求与该函一致：发函单位及签名内容均相符。",
                    "This station holds this very request: the sending station and the signed content match.",
                )) }
                dl.facts {
                    dt { (lang.pick("发函单位", "From")) } dd { (name(&check.station)) }
                    @if let Some(refno) = &check.refno { dt { (lang.pick("协查文号", "Reference")) } dd { (refno) } }
                    dt { (lang.pick("事由", "Subject")) } dd { a href={ "/console/cases/" (check.case) } { (check.title) } }
                    @if !check.signature_verified {
                        dt { (lang.pick("签名", "Signature")) }
                        dd { (lang.pick("以本站现有密钥未能再次验证（对方可能已更换密钥），内容与收到时一致。", "could not be checked again with the keys known now (the sender may have changed keys); the content is as received.")) }
                    }
                }
            },
            Some(Err(e)) => div.box.verify-result.bad role="alert" {
                p { strong { "✗ " (e.title(lang)) } " " span.muted { (e.code()) } }
                p { (e.detail(lang)) }
            },
        }
    };
    Ok(layout::page(&page, lang.pick("协查函核验", "Verify a letter"), Section::Verify, content))
}
