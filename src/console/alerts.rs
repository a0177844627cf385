//! The alert hooks on the admin's page: where each stands, and a button that sends a test
//! alert through it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use maud::{Markup, html};

use super::layout::{notice, token_field};
use super::{ErrorPage, Page};
use crate::clock::local_minute;
use crate::i18n::Label as _;
use crate::node::Node;

/// The hooks, under the partner stations.
pub fn section(ctx: &Page) -> Result<Markup, ErrorPage> {
    let lang = ctx.lang;
    let hooks = ctx.node.alert_hooks(&ctx.officer).map_err(|e| ErrorPage::from_node(&e, lang))?;
    Ok(html! {
        section.box {
            h2 { (lang.pick("告警推送", "Alert hooks")) }
            @if hooks.is_empty() {
                p.muted { (lang.pick(
                    "未配置。在站点配置的 [[alerts.hooks]] 中加入短信或寻呼网关，新协查与期限提醒即可推送到值班民警手机。",
                    "None configured. Add the station's SMS or paging gateway under [[alerts.hooks]] in the config to carry new requests and deadline warnings to the duty officer's phone.",
                )) }
            }
            @for hook in &hooks {
                div.hook {
                    h3 { (hook.name) " " span.muted { (hook.url) } }
                    p {
                        (lang.pick("推送 ", "sends ")) strong {
                            @if hook.events.is_empty() { (lang.pick("全部事件", "every event")) }
                            @else { (hook.events.iter().map(|e| e.name()).collect::<Vec<_>>().join(", ")) }
                        }
                        " · " (hook.min_priority.label(lang)) (lang.pick("及以上", " and above"))
                        " · " (lang.pick("已送达 ", "sent ")) strong { (hook.sent) }
                        " · " (lang.pick("待处理事件 ", "events waiting ")) strong { (hook.behind) }
                        @if let Some(at) = hook.last_success { " · " (lang.pick("上次成功 ", "last success ")) (local_minute(at)) }
                        @if let Some(at) = hook.next_retry {
                            " · " span.badge.bad { (lang.pick("下次重试 ", "next retry ")) (local_minute(at)) }
                        }
                    }
                    @if let Some(error) = &hook.last_error {
                        p { span.badge.bad { (lang.pick("上次错误", "last error")) } " " (local_minute(error.at))
                            " · " (error.words(lang)) " " span.muted { (error.message) } }
                    }
                    form method="post" action={ "/console/alerts/" (hook.name) "/test" } {
                        (token_field(ctx))
                        button type="submit" { (lang.pick("发送测试告警", "Send a test alert")) }
                    }
                }
            }
        }
    })
}

/// `POST /console/alerts/{name}/test`: the admin's page again, saying whether the gateway
/// took the test alert.
pub async fn test(
    page: Page,
    State(node): State<Arc<Node>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Markup, ErrorPage> {
    let lang = page.lang;
    let token = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or_default();
    page.check_form(&headers, token)?;
    let tested = node.test_alert(&page.officer, &name).await.map_err(|e| ErrorPage::from_node(&e, lang))?;
    let said = match &tested.error {
        None => notice(
            "notice",
            lang.pick(
                &format!("测试告警已送达 {} 的网关。", tested.hook),
                &format!("{}'s gateway took the test alert.", tested.hook),
            ),
        ),
        Some(error) => notice(
            "error",
            &format!("{} · {}{}{}", tested.hook, error.words(lang), lang.pick("：", ": "), error.message),
        ),
    };
    super::peers::render(&page, &super::peers::Done::default(), Some(said))
}
