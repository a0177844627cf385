//! The web console: server-rendered pages on the node's mTLS port, Chinese first with an
//! English switch, fully usable without JavaScript, printable. Officers sign in by presenting
//! their client certificate, exactly as for the API; what they may do comes from their roles.
//! Every page escapes user content (maud does so by construction), and every form is
//! protected against cross-site request forgery (see [`csrf`]).

mod alerts;
mod attach_form;
mod case_act;
mod case_files;
pub(crate) mod case_page;
mod charts;
pub mod csrf;
mod dashboard;
mod form_read;
pub(crate) mod forms;
mod handover;
mod layout;
pub(crate) mod letter;
pub(crate) mod lists;
mod once;
mod peers;
mod redirect;
mod search;
mod verify;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use crate::config::Role;
use crate::i18n::Lang;
use crate::ids::CertIdentity;
use crate::node::{Node, Officer};
use crate::tls::Authenticated;
use csrf::Csrf;

/// The cookie that remembers the console language.
const LANG_COOKIE: &str = "tiemeng_lang";

/// Everything a console page needs about the request: the node, the signed-in officer,
/// the language, the form token and the current path.
pub struct Page {
    /// The node.
    pub node: Arc<Node>,
    /// The officer, with roles from the registry.
    pub officer: Officer,
    /// The language of the page.
    pub lang: Lang,
    /// The form token for this officer today.
    pub csrf: String,
    /// Path and query of this page, for the language switch to come back to.
    pub path: String,
}

fn console_lang(parts: &Parts) -> Lang {
    let from_query =
        parts.uri.query().and_then(|q| q.split('&').find_map(|p| p.strip_prefix("lang="))).and_then(|v| v.parse().ok());
    let from_cookie = || {
        parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| {
                c.trim().strip_prefix(LANG_COOKIE).and_then(|rest| rest.strip_prefix('=')).and_then(|v| v.parse().ok())
            })
    };
    // Chinese first: the browser's own language preference does not switch the console, only
    // the officer's explicit choice (the switch in the top bar) does.
    from_query.or_else(from_cookie).unwrap_or_default()
}

/// A console error page.
pub struct ErrorPage {
    status: StatusCode,
    title: String,
    detail: String,
    lang: Lang,
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        let body = html! {
            (maud::DOCTYPE)
            html lang=(self.lang.tag()) {
                head { meta charset="utf-8"; title { (self.title) } link rel="stylesheet" href="/console/static/console.css"; }
                body { main {
                    h1 { (self.title) }
                    div.box.error { (self.detail) }
                    p { a href="/console" { (self.lang.pick("返回首页", "Back to the console")) } }
                } }
            }
        };
        (self.status, body).into_response()
    }
}

impl ErrorPage {
    fn new(status: StatusCode, lang: Lang, title: (&str, &str), detail: String) -> Self {
        Self { status, title: lang.pick(title.0, title.1).to_owned(), detail, lang }
    }

    fn from_node(error: &crate::node::NodeError, lang: Lang) -> Self {
        Self {
            status: StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            title: error.title(lang).to_owned(),
            detail: error.detail(lang),
            lang,
        }
    }
}

impl FromRequestParts<Arc<Node>> for Page {
    type Rejection = ErrorPage;
    async fn from_request_parts(parts: &mut Parts, node: &Arc<Node>) -> Result<Self, ErrorPage> {
        let lang = console_lang(parts);
        let identity = parts.extensions.get::<Authenticated>().filter(|a| a.vouched).map(|a| a.identity.clone());
        let officer = match identity {
            Some(CertIdentity::Officer(id)) => node.officer(&id).map_err(|e| ErrorPage::from_node(&e, lang))?,
            _ => {
                return Err(ErrorPage::new(
                    StatusCode::FORBIDDEN,
                    lang,
                    ("仅限民警使用", "for officers only"),
                    lang.pick("请使用本站签发的民警证书访问。", "use an officer certificate issued for this station")
                        .into(),
                ));
            }
        };
        let secret = node.store().secret("console-csrf").map_err(|e| ErrorPage::from_node(&e.into(), lang))?;
        let day = crate::stats::day_of(node.clock().now()).into();
        let csrf = Csrf::new(secret).token(&officer.actor(), day);
        let path = parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/console".into());
        Ok(Page { node: node.clone(), officer, lang, csrf, path })
    }
}

impl Page {
    /// Refuses a form post that is cross-site or lacks this officer's token.
    fn check_form(&self, headers: &axum::http::HeaderMap, token: &str) -> Result<(), ErrorPage> {
        let secret =
            self.node.store().secret("console-csrf").map_err(|e| ErrorPage::from_node(&e.into(), self.lang))?;
        let day = crate::stats::day_of(self.node.clock().now()).into();
        if csrf::cross_site(headers) || !Csrf::new(secret).check(&self.officer.actor(), day, token) {
            return Err(ErrorPage::new(
                StatusCode::FORBIDDEN,
                self.lang,
                ("表单已失效", "form expired"),
                self.lang
                    .pick("该表单已过期或并非来自本站页面，操作未执行。请刷新页面后重试。", "the form has expired or did not come from this console; nothing was done. Reload the page and try again.")
                    .into(),
            ));
        }
        Ok(())
    }
}

/// A station's name as this station knows it, or its id.
fn station_name(node: &Node, id: &crate::ids::StationId) -> String {
    if id == node.station() {
        return node.config().station.name.clone();
    }
    node.config().peer(id).map_or_else(|| id.to_string(), |p| p.name.clone())
}

/// The console's routes.
pub fn router() -> Router<Arc<Node>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/console", get(home))
        .route("/console/", get(home))
        .route("/console/static/console.css", get(stylesheet))
        .route("/console/static/live.js", get(live_script))
        .route("/console/static/alert.wav", get(alert_sound))
        .route("/console/lang/{lang}", get(switch_language))
        .route("/console/inbox", get(lists::inbox))
        .route("/console/outbox", get(lists::outbox))
        .route("/console/new", get(forms::choose_kind))
        // Files are bounded one by one as they are uploaded, and the text as it is read
        // (`attach_form`), so the blanket body limit would only cut a request with photos.
        .route(
            "/console/new/{kind}",
            get(forms::new_case).post(forms::submit_case).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/console/open", get(case_page::open))
        .route("/console/search", get(search::search))
        .route("/console/cases/{id}", get(case_page::show))
        .route("/console/cases/{id}/letter", get(letter::show))
        .route("/console/verify", get(verify::show))
        // A note may carry files: bounded as they are read (`attach_form`), like a new request.
        .route("/console/cases/{id}/{action}", post(case_act::act).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/console/dashboard", get(dashboard::show))
        .route("/console/peers", get(peers::show))
        .route("/console/peers/{id}/resend", post(peers::resend))
        .route("/console/alerts/{name}/test", post(alerts::test))
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        "content-security-policy",
        "default-src 'none'; script-src 'self'; connect-src 'self'; media-src 'self'; style-src 'self'; img-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "same-origin");
    set(headers, "x-frame-options", "DENY");
    set(headers, "cache-control", "no-store");
    response
}

async fn home(page: Page) -> Redirect {
    let officer = &page.officer;
    let target = if officer.has(Role::Chief) {
        "/console/dashboard"
    } else if officer.has(Role::Duty) {
        "/console/inbox"
    } else if officer.has(Role::Admin) && !officer.has(Role::Liaison) {
        "/console/peers"
    } else {
        "/console/outbox"
    };
    Redirect::to(target)
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], layout::CSS)
}

async fn live_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")],
        layout::LIVE_JS,
    )
}

async fn alert_sound() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "audio/wav"), (header::CACHE_CONTROL, "max-age=86400")], layout::ALERT_WAV)
}

#[derive(Deserialize)]
struct Back {
    back: Option<String>,
}

async fn switch_language(Path(lang): Path<String>, Query(back): Query<Back>, _: State<Arc<Node>>) -> Response {
    let lang: Lang = lang.parse().unwrap_or_default();
    let tag = if lang == Lang::En { "en" } else { "zh" };
    // Only paths inside the console: an open redirect would help phishing.
    let back =
        back.back.filter(|b| b.starts_with("/console") && !b.starts_with("//")).unwrap_or_else(|| "/console".into());
    let cookie = format!("{LANG_COOKIE}={tag}; Path=/; Max-Age=31536000; Secure; HttpOnly; SameSite=Strict");
    let mut response = Redirect::to(&back).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
