//! The admin's page: how delivery to each partner station goes, what a partner refused for
//! good, and a button that sends that again once the cause is put right; the alert hooks
//! follow ([`super::alerts`]).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, Section, notice, page, token_field};
use super::{ErrorPage, Page};
use crate::clock::local_minute;
use crate::config::PeerConfig;
use crate::i18n::Label as _;
use crate::ids::StationId;
use crate::node::{ADMIN, Node};

/// Refused envelopes listed per partner; the button under the list sends all of them, listed
/// or not, the one on a row those of its case.
const SHOWN: usize = 200;

/// What the page was asked to say after a resend.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    resent: Option<usize>,
    peer: Option<String>,
}

/// `GET /console/peers`.
pub async fn show(page: Page, Query(done): Query<Done>) -> Result<Markup, ErrorPage> {
    page.officer.require(ADMIN).map_err(|e| ErrorPage::from_node(&e, page.lang))?;
    render(&page, &done, None)
}

/// `POST /console/peers/{id}/resend`.
pub async fn resend(
    page: Page,
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    let lang = page.lang;
    let token = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or_default();
    page.check_form(&headers, token)?;
    let peer: StationId = id.parse().map_err(|_| {
        ErrorPage::new(StatusCode::NOT_FOUND, lang, ("不是本站的协作单位", "not a partner station"), id.clone())
    })?;
    // An empty case field names no case, as in the API: it never means "all of them".
    let case = pairs
        .iter()
        .find(|(k, _)| k == "case")
        .map(|(_, raw)| super::case_page::case_id(&node, raw, lang))
        .transpose()?;
    let resent =
        node.resend_dead_letters(&page.officer, &peer, case).await.map_err(|e| ErrorPage::from_node(&e, lang))?;
    Ok(Redirect::to(&format!("/console/peers?resent={}&peer={peer}", resent.len())).into_response())
}

/// The page, with `said` (the outcome of an action) at the top.
pub fn render(ctx: &Page, done: &Done, said: Option<Markup>) -> Result<Markup, ErrorPage> {
    let lang = ctx.lang;
    let mut sections = Vec::new();
    for peer in &ctx.node.config().peers {
        sections.push(peer_section(ctx, peer)?);
    }
    let alerts = super::alerts::section(ctx)?;
    let title = lang.pick("协作单位", "Partner stations");
    Ok(page(
        ctx,
        title,
        Section::Peers,
        html! {
            h1 { (title) }
            @if let Some(said) = said { (said) }
            @if let (Some(n), Some(peer)) = (done.resent, &done.peer) {
                (notice("notice", lang.pick(
                    &format!("已将 {n} 份拒收报文重新排入发往 {peer} 的队列，按原顺序投递；对方将重新审核。"),
                    &format!("{n} refused envelopes queued again for {peer}, in their first order; the partner judges each afresh."),
                )))
            }
            p.muted { (lang.pick(
                "各协作单位的投递情况。报文被对方拒收后不会自动重发：查明原因（如对方未更新本站公钥）并处理后，可在此重新投递。",
                "Delivery to each partner station. Envelopes a partner refused are not sent again by themselves: once the cause is found and put right (the partner holding an outdated key of this station, say), send them again here.",
            )) }
            @for section in sections { (section) }
            (alerts)
        },
    ))
}

fn peer_section(ctx: &Page, peer: &PeerConfig) -> Result<Markup, ErrorPage> {
    let lang = ctx.lang;
    let store = ctx.node.store();
    let letters = store.dead_letters(&peer.id, SHOWN).map_err(|e| ErrorPage::from_node(&e.into(), lang))?;
    let equivocations = ctx.node.equivocations(&ctx.officer, &peer.id).map_err(|e| ErrorPage::from_node(&e, lang))?;
    let status = ctx.node.health().peer(&peer.id).map(|h| h.status());
    Ok(html! {
        section.box {
            h2 { (peer.name) " " span.muted { (peer.id) } }
            p {
                (lang.pick("待投递", "queued")) " " strong { (store.outbox_len(&peer.id)) }
                " · " (lang.pick("拒收", "refused")) " " strong { (store.dead_letter_count(&peer.id)) }
                @if !equivocations.is_empty() {
                    " · " span.badge.bad { (lang.pick("签名冲突 ", "equivocations ")) (equivocations.len()) }
                }
                @if let Some(status) = &status {
                    @if let Some(at) = status.last_success { " · " (lang.pick("上次成功 ", "last success ")) (local_minute(at)) }
                    @if let Some(at) = status.next_retry { " · " (lang.pick("下次重试 ", "next retry ")) (local_minute(at)) }
                }
            }
            @if let Some(error) = status.as_ref().and_then(|s| s.last_error.as_ref()) {
                p { span.badge.bad { (lang.pick("上次错误", "last error")) } " " (local_minute(error.at)) " · " (layout::trouble(&error.code, &error.message, lang)) }
            }
            @if !letters.is_empty() {
                table {
                    thead { tr {
                        th { (lang.pick("拒收时间", "Refused")) } th { (lang.pick("协查", "Case")) }
                        th { (lang.pick("报文", "Envelope")) } th { (lang.pick("原因", "Reason")) } th {}
                    } }
                    tbody { @for letter in &letters { tr {
                        td { (local_minute(letter.at)) }
                        td { (letter.case) }
                        td { (letter.kind.label(lang)) }
                        td { (layout::trouble(&letter.code, &letter.message, lang)) }
                        td {
                            form method="post" action={ "/console/peers/" (peer.id) "/resend" } {
                                (token_field(ctx))
                                input type="hidden" name="case" value=(letter.case);
                                button type="submit" { (lang.pick("重新投递此协查的报文", "Send this case's again")) }
                            }
                        }
                    } } }
                }
                form method="post" action={ "/console/peers/" (peer.id) "/resend" } {
                    (token_field(ctx))
                    button type="submit" { (lang.pick("重新投递全部拒收报文", "Send all refused envelopes again")) }
                }
            }
            @if !equivocations.is_empty() {
                h3 { span.badge.bad { (lang.pick("签名冲突", "Equivocation")) } " "
                    (lang.pick("对方在同一协查中以同一序号签署了两份不同的报文", "the partner signed two different envelopes with one seq on a case")) }
                p.muted { (lang.pick(
                    "第二份已拒收，未产生任何效果，并与第一份一同留存为证据；两份报文的完整内容在该协查的证据包中。请与对方单位核实。",
                    "The second was refused and changed nothing; both are kept as evidence, in full in the case's evidence bundle. Take it up with the partner station.",
                )) }
                table {
                    thead { tr {
                        th { (lang.pick("协查", "Case")) } th { (lang.pick("序号", "Seq")) }
                        th { (lang.pick("已采用的报文", "Envelope taken")) } th { (lang.pick("被拒收的报文", "Envelope refused")) }
                    } }
                    tbody { @for e in &equivocations { tr {
                        td { (e.case) }
                        td { (e.seq) }
                        td { (e.kept.kind.label(lang)) " · " (local_minute(e.kept.at)) br; code { (e.kept.id) } br; code.muted { "sha256 " (e.kept.sha256) } }
                        td { (e.refused.kind.label(lang)) " · " (local_minute(e.refused.at)) br; code { (e.refused.id) } br; code.muted { "sha256 " (e.refused.sha256) }
                            br; span.muted { (lang.pick("拒收于 ", "refused at ")) (local_minute(e.refused_at)) } }
                    } } }
                }
            }
        }
    })
}
