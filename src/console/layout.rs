//! The page shell: top bar with station, navigation, who is signed in and the language switch;
//! and small helpers every page uses.

use maud::{DOCTYPE, Markup, html};

use super::Page;
use crate::config::Role;
use crate::i18n::{Label, Lang};

/// The console's only stylesheet, served from `/console/static/console.css`.
pub const CSS: &str = include_str!("console.css");
/// The console's only script, served from `/console/static/live.js`: live updates and alerts.
/// Every page works without it.
pub const LIVE_JS: &str = include_str!("live.js");
/// The alert an urgent request rings with, served from `/console/static/alert.wav`.
pub const ALERT_WAV: &[u8] = include_bytes!("alert.wav");

/// Which navigation entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Received requests.
    Inbox,
    /// Sent requests.
    Outbox,
    /// A new request.
    New,
    /// Statistics.
    Dashboard,
    /// Partner stations (admins).
    Peers,
    /// One case's page.
    Case(crate::ids::CaseId),
    /// Search results.
    Search,
    /// Checking a letter's code (核验).
    Verify,
}

impl Section {
    /// The page's name for the live script (`data-page`).
    fn name(self) -> &'static str {
        match self {
            Self::Inbox => "inbox",
            Self::Outbox => "outbox",
            Self::New => "new",
            Self::Dashboard => "dashboard",
            Self::Peers => "peers",
            Self::Case(_) => "case",
            Self::Search => "search",
            Self::Verify => "verify",
        }
    }
}

/// Wraps `content` in the page shell.
pub fn page(ctx: &Page, title: &str, section: Section, content: Markup) -> Markup {
    let lang = ctx.lang;
    let station = &ctx.node.config().station;
    let roles: Vec<&str> = ctx.officer.roles.iter().map(|r| r.label(lang)).collect();
    let nav = |href: &str, here: Section, zh: &str, en: &str| {
        html! { a href=(href) class=[(section == here).then_some("current")] { (lang.pick(zh, en)) } }
    };
    let other = if lang == Lang::Zh { ("en", "English") } else { ("zh", "中文") };
    // Officers who read cases see what needs the desk on every page; an admin does not.
    let counts = ctx.node.desk_counts(&ctx.officer).ok();
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.pick("铁盟", "tiemeng")) }
                link rel="stylesheet" href="/console/static/console.css";
                script src="/console/static/live.js" defer {}
            }
            body data-page=(section.name()) data-case=[case_of(section)] data-station=(station.id)
                data-badge=(ctx.officer.id.badge.as_str()) {
                header.top {
                    a.brand href="/console" { (lang.pick("铁盟", "tiemeng")) " · " (station.name) }
                    nav {
                        (nav("/console/inbox", Section::Inbox, "收到的协查", "Inbox"))
                        (nav("/console/outbox", Section::Outbox, "发出的协查", "Outbox"))
                        @if ctx.officer.has(Role::Liaison) {
                            (nav("/console/new", Section::New, "发起协查", "New request"))
                        }
                        (nav("/console/dashboard", Section::Dashboard, "统计", "Statistics"))
                        @if counts.is_some() {
                            (nav("/console/verify", Section::Verify, "核验", "Verify"))
                        }
                        @if ctx.officer.has(Role::Admin) {
                            (nav("/console/peers", Section::Peers, "协作单位", "Partners"))
                        }
                    }
                    @if counts.is_some() {
                        form.open method="get" action="/console/search" role="search" {
                            input type="search" name="q" required
                                placeholder=(lang.pick("姓名、身份证尾号、车牌、文号…", "Name, ID digits, plate, reference…"))
                                aria-label=(lang.pick("搜索协查：文号或编号直接打开", "Search cases; a reference number or case id opens it"));
                            button type="submit" { (lang.pick("搜索", "Search")) }
                        }
                    }
                    span.who {
                        (ctx.officer.name) " · " (ctx.officer.id.badge) " · " (roles.join("、"))
                        " · "
                        a href={ "/console/lang/" (other.0) "?back=" (url_encode(&ctx.path)) } lang=(other.0) { (other.1) }
                    }
                }
                @if let Some(counts) = counts {
                    (desk_bar(counts, lang))
                    @if ctx.officer.has(Role::Chief) { (overdue_banner(counts, lang)) }
                }
                main { (content) }
                footer { (lang.pick("铁盟跨省警务协作节点 · 每条跨省消息均经数字签名并留存为证据", "tiemeng cross-border police node · every message crossing the border is signed and kept as evidence")) }
            }
        }
    }
}

fn case_of(section: Section) -> Option<String> {
    match section {
        Section::Case(id) => Some(id.to_string()),
        _ => None,
    }
}

/// What needs the desk now, on every page: each count links to the list it counts.
fn desk_bar(counts: crate::node::DeskCounts, lang: Lang) -> Markup {
    let count = |name: &str, value: usize, href: &str, zh: &str, en: &str, kind: &str| {
        html! {
            a.count class={ (kind) @if value == 0 { " zero" } } href=(href) {
                (lang.pick(zh, en)) " " strong data-count=(name) { (value) }
            }
        }
    };
    html! {
        div.desk role="status" aria-live="polite" {
            (count("to_acknowledge", counts.to_acknowledge, "/console/inbox?status=delivered", "待签收", "to acknowledge", "act"))
            (count("to_report", counts.to_report, "/console/inbox?status=acknowledged", "待反馈", "to report", "act"))
            (count("overdue", counts.overdue, "/console/inbox?overdue=1", "超期", "overdue", "late"))
        }
    }
}

/// A chief sees what is overdue, either way, from every page (hidden while nothing is; the
/// live script shows it when something becomes overdue).
fn overdue_banner(counts: crate::node::DeskCounts, lang: Lang) -> Markup {
    html! {
        div.banner.late role="alert" hidden[counts.overdue == 0] data-banner="overdue" {
            strong { (lang.pick("超期提醒", "Overdue")) }
            " "
            a href="/console/inbox?overdue=1" {
                (lang.pick("收到的协查超期 ", "requests received, overdue: "))
                strong data-count="overdue_received" { (counts.overdue_received) }
                (lang.pick(" 项", ""))
            }
            (lang.pick("，", "; "))
            a href="/console/outbox?overdue=1" {
                (lang.pick("发出的协查对方超期 ", "requests sent, partner overdue: "))
                strong data-count="overdue_sent" { (counts.overdue_sent) }
                (lang.pick(" 项", ""))
            }
        }
    }
}

/// A small error or notice box.
pub fn notice(kind: &str, text: &str) -> Markup {
    html! { div class={ "box " (kind) } role="status" { (text) } }
}

/// The hidden form-token field.
/// Trouble with a partner in words, with the raw code and message folded away for whoever
/// digs further.
pub fn trouble(code: &str, message: &str, lang: Lang) -> Markup {
    html! {
        (crate::node::peer_words::peer_trouble(code, message, lang))
        " "
        details.raw { summary { (lang.pick("详情", "detail")) } code { (code) } " " (message) }
    }
}

pub fn token_field(ctx: &Page) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf); }
}

/// Text with line breaks kept, escaped.
pub fn multiline(text: &str) -> Markup {
    html! {
        @for (i, line) in text.lines().enumerate() {
            @if i > 0 { br; }
            (line)
        }
    }
}

/// Percent-encodes a value for use inside a query string.
pub fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
