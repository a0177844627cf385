//! The request forms, one per kind. A form is described once as data ([`Item`]s whose names
//! are the JSON paths of the request); the same description renders the form, turns a posted
//! form into a request (`form_read`), puts each validation message next to its field, and
//! labels the fields on the case page.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::Value;

pub(crate) use super::form_read::insert;
pub use super::form_read::{Posted, beijing_time, parse_request, request_json};
use super::form_read::{first, merge, readable_request, rows_shown};
use super::layout::{self, Section};
use super::once::{self, CONFIRM_FIELD, KEY_FIELD, Notice};
use super::{ErrorPage, Page};
use crate::domain::case::{Priority, Restriction};
use crate::domain::details::{CaseKind, DangerFlag, RequestedAction, Sex};
use crate::domain::validate::FieldError;
use crate::i18n::{Choice, Choices, Label, Lang};
use crate::node::{IdempotencyKey, NewCase, Node, NodeError};

/// How a field is entered.
#[derive(Debug, Clone, Copy)]
pub enum Input {
    /// One line of text.
    Text,
    /// Several lines of text.
    Area,
    /// A whole number.
    Number,
    /// A date (`YYYY-MM-DD`).
    Date,
    /// A date and time, entered in Beijing time.
    DateTime,
    /// One item per line, sent as a list.
    Lines,
    /// One of a closed set's members, labelled as the domain labels them.
    Select(fn() -> Vec<Choice>),
    /// Any of a closed set's members, sent as a list.
    Checks(fn() -> Vec<Choice>),
}

/// One field of a form.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// JSON path (inside a row: relative to the row).
    pub path: &'static str,
    /// Label in Chinese.
    pub zh: &'static str,
    /// Label in English.
    pub en: &'static str,
    /// How it is entered.
    pub input: Input,
    /// Whether the form marks it as required.
    pub required: bool,
}

/// A form item: a field, or a repeated group of fields (suspects, incidents, …).
#[derive(Debug, Clone, Copy)]
pub enum Item {
    /// A single field.
    Field(Field),
    /// `count` rows of `fields` under the list at `path`, and more on request up to
    /// [`ROWS_MAX`].
    Rows {
        /// JSON path of the list.
        path: &'static str,
        /// Heading in Chinese.
        zh: &'static str,
        /// Heading in English.
        en: &'static str,
        /// Rows offered at first.
        count: usize,
        /// Fields of each row.
        fields: &'static [Field],
    },
}

const fn field(path: &'static str, zh: &'static str, en: &'static str, input: Input, required: bool) -> Item {
    Item::Field(Field { path, zh, en, input, required })
}

const fn cell(path: &'static str, zh: &'static str, en: &'static str, input: Input, required: bool) -> Field {
    Field { path, zh, en, input, required }
}

const VEHICLE: &[Field] = &[
    cell("plate", "号牌", "plate", Input::Text, false),
    cell("description", "车辆特征", "description", Input::Text, true),
];

const MISSING_PERSON: &[Item] = &[
    field("details.name", "姓名", "Name", Input::Text, true),
    field("details.sex", "性别", "Sex", Input::Select(Sex::choices), true),
    field("details.age", "年龄", "Age", Input::Number, false),
    field("details.birth_date", "出生日期", "Date of birth", Input::Date, false),
    field("details.id_number", "公民身份号码", "Resident ID number", Input::Text, false),
    field("details.description", "体貌特征", "Description", Input::Area, true),
    field("details.last_seen_place", "最后出现地点", "Last seen at (place)", Input::Text, true),
    field("details.last_seen_at", "最后出现时间", "Last seen (time)", Input::DateTime, true),
    field("details.contact", "家属联系方式", "Family contact", Input::Text, false),
    field("details.risk_notes", "健康状况及风险提示", "Health and risks", Input::Area, false),
];

const FUGITIVE: &[Item] = &[
    field("details.name", "姓名", "Name", Input::Text, true),
    field("details.id_number", "公民身份号码", "Resident ID number", Input::Text, false),
    field("details.warrant_number", "网上追逃编号／案件编号", "Warrant or case number", Input::Text, true),
    field("details.offence", "涉嫌罪名", "Offence", Input::Text, true),
    field("details.danger", "危险性", "Danger", Input::Checks(DangerFlag::choices), false),
    field("details.danger_notes", "危险性说明", "Danger notes", Input::Text, false),
    Item::Rows { path: "details.vehicles", zh: "涉案车辆", en: "Vehicles", count: 2, fields: VEHICLE },
    field("details.last_known_location", "最后已知位置", "Last known location", Input::Text, true),
    field("details.last_known_at", "最后已知时间", "Last known time", Input::DateTime, false),
    field("details.action", "请求措施", "Action asked", Input::Select(RequestedAction::choices), true),
];

const SERIAL_THEFT: &[Item] = &[
    field(
        "details.linked_case_numbers",
        "串并案件编号（每行一个）",
        "Linked case numbers (one per line)",
        Input::Lines,
        true,
    ),
    field("details.modus_operandi", "作案手法", "Modus operandi", Input::Area, true),
    field("details.stolen_items", "被盗物品（每行一项）", "Stolen items (one per line)", Input::Lines, false),
    Item::Rows {
        path: "details.suspects",
        zh: "嫌疑人",
        en: "Suspects",
        count: 4,
        fields: &[
            cell("name", "姓名", "name", Input::Text, false),
            cell("id_number", "公民身份号码", "resident ID", Input::Text, false),
            cell("description", "特征", "description", Input::Text, true),
        ],
    },
    Item::Rows { path: "details.vehicles", zh: "涉案车辆", en: "Vehicles", count: 2, fields: VEHICLE },
    Item::Rows {
        path: "details.incidents",
        zh: "案发情况",
        en: "Incidents",
        count: 3,
        fields: &[
            cell("at", "时间", "time", Input::DateTime, true),
            cell("place", "地点", "place", Input::Text, true),
            cell("summary", "简要案情", "summary", Input::Text, true),
        ],
    },
];

const DISPUTE: &[Item] = &[
    Item::Rows {
        path: "details.parties",
        zh: "当事方",
        en: "Parties",
        count: 3,
        fields: &[
            cell("name", "名称", "name", Input::Text, true),
            cell("role", "身份", "role", Input::Text, false),
            cell("contact", "联系方式", "contact", Input::Text, false),
        ],
    },
    field("details.place", "纠纷地点", "Place", Input::Text, true),
    field("details.summary", "纠纷概况", "Summary", Input::Area, true),
    field("details.disputed_since", "纠纷起始日期", "Disputed since", Input::Date, false),
];

const GENERAL: &[Item] = &[
    field("details.subject", "协查事项", "Subject", Input::Text, true),
    field("details.request", "具体请求", "What is asked", Input::Area, true),
];

/// Fields every request has, before the kind-specific ones.
pub(super) const COMMON_HEAD: &[Item] = &[
    field("priority", "紧急程度", "Priority", Input::Select(Priority::choices), true),
    field("title", "标题", "Title", Input::Text, true),
];

/// Fields every request has, after the kind-specific ones.
pub(super) const COMMON_TAIL: &[Item] = &[
    field("narrative", "情况说明及请求事项", "Background and what is asked", Input::Area, false),
    field("contact", "联系人及电话", "Contact", Input::Text, true),
    field("reference", "本地案件编号", "Our case number", Input::Text, false),
    field("restrictions", "处置限制", "Handling restrictions", Input::Checks(Restriction::choices), false),
    field("review_by", "复核日期（长期协查）", "Review by (standing alerts)", Input::Date, false),
];

/// The most rows a repeated group grows to. Well under the node's limit on a list, and more
/// than any one request has needed: a longer series belongs in an attachment or a second
/// request, not in a page of empty inputs.
pub const ROWS_MAX: usize = 20;

/// Every item of the form of `kind`, in the form's order.
pub fn items(kind: CaseKind) -> impl Iterator<Item = &'static Item> {
    COMMON_HEAD.iter().chain(details_spec(kind)).chain(COMMON_TAIL)
}

/// The kind-specific items of a form.
pub fn details_spec(kind: CaseKind) -> &'static [Item] {
    match kind {
        CaseKind::MissingPerson => MISSING_PERSON,
        CaseKind::Fugitive => FUGITIVE,
        CaseKind::SerialTheft => SERIAL_THEFT,
        CaseKind::Dispute => DISPUTE,
        CaseKind::General => GENERAL,
    }
}

/// `GET /console/new`: pick the kind of request.
pub async fn choose_kind(page: Page) -> Markup {
    let lang = page.lang;
    let content = html! {
        h1 { (lang.pick("发起协查", "New assist request")) }
        p { (lang.pick("请选择协查类型：", "Choose the kind of request:")) }
        ul {
            @for kind in CaseKind::ALL {
                li { a href={ "/console/new/" (kind.as_str()) } { (kind.label(lang)) } }
            }
        }
    };
    layout::page(&page, lang.pick("发起协查", "New request"), Section::New, content)
}

fn kind_of(raw: &str, lang: Lang) -> Result<CaseKind, ErrorPage> {
    raw.parse()
        .map_err(|_| ErrorPage::new(StatusCode::NOT_FOUND, lang, ("没有这类协查", "no such kind"), raw.to_owned()))
}

/// `GET /console/new/{kind}`: the empty form; with `?redirect=<case>&station=<station>`, the
/// form filled in from a declined request to send in its place (改发).
pub async fn new_case(
    page: Page,
    Path(kind): Path<String>,
    axum::extract::Query(redirect): axum::extract::Query<super::redirect::RedirectQuery>,
) -> Result<Markup, ErrorPage> {
    let kind = kind_of(&kind, page.lang)?;
    if let Some((kind, mut posted)) = super::redirect::prefilled(&page, &redirect).await? {
        posted.insert(KEY_FIELD.into(), vec![once::fresh_key()]);
        return Ok(form_page(&page, kind, &posted, &[], &Notice::None));
    }
    let mut defaults = Posted::new();
    defaults.insert("priority".into(), vec!["high".into()]);
    defaults.insert("contact".into(), vec![page.officer.name.clone()]);
    defaults.insert(KEY_FIELD.into(), vec![once::fresh_key()]);
    Ok(form_page(&page, kind, &defaults, &[], &Notice::None))
}

/// `POST /console/new/{kind}`: validate, send, and show the new case — or the form again with
/// every problem next to its field.
pub async fn submit_case(
    page: Page,
    State(node): State<std::sync::Arc<Node>>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Result<Response, ErrorPage> {
    let kind = kind_of(&kind, page.lang)?;
    // The token is checked as the form is read, before any file it carries is taken.
    let form = super::attach_form::read(&page, &headers, request).await?;
    let posted = form.posted;
    if let Some(status) = form.status {
        // A file was refused: the form again, with the files that were taken, and nothing sent.
        return Ok((status, form_page(&page, kind, &posted, &form.refused, &Notice::None)).into_response());
    }
    if !first(&posted, "add_row").is_empty() {
        // 增加一行: the same form again with one more row, nothing checked and nothing sent.
        return Ok(form_page(&page, kind, &posted, &[], &Notice::None).into_response());
    }
    let now = node.clock().now();
    let mut format = Vec::new();
    let json = request_json(kind, &posted, now, &mut format);
    let new = readable_request(kind, json, now, &mut format).map(|new| NewCase {
        redirect_of: super::redirect::of_posted(&posted),
        attachments: form.attachments,
        ..new
    });
    // The node judges what could be read even when the form has format errors, so the officer
    // sees every problem at once rather than one kind per send.
    let content = match &new {
        Some(new) => match node.check_case(&page.officer, new.clone()) {
            Ok(()) => Vec::new(),
            Err(NodeError::Validation(errors)) => errors,
            Err(e) => return Err(ErrorPage::from_node(&e, page.lang)),
        },
        None => Vec::new(),
    };
    let errors = merge(kind, &posted, format, content);
    let Some(mut new) = new.filter(|_| errors.is_empty()) else {
        return Ok(
            (StatusCode::UNPROCESSABLE_ENTITY, form_page(&page, kind, &posted, &errors, &Notice::None)).into_response()
        );
    };
    new.confirm_duplicate = first(&posted, CONFIRM_FIELD) == "yes";
    let key = match first(&posted, KEY_FIELD) {
        "" => None,
        key => Some(IdempotencyKey::parse(key).map_err(|e| ErrorPage::from_node(&e, page.lang))?),
    };
    // A repeat of the form's key lands on the first case, as the first send did.
    match node.send_case(&page.officer, new, key).await {
        Ok(sent) => Ok(Redirect::to(&format!("/console/cases/{}?done=sent", sent.case.id)).into_response()),
        Err(NodeError::Validation(errors)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, form_page(&page, kind, &posted, &errors, &Notice::None))
                .into_response())
        }
        Err(error @ NodeError::AttachmentNotUploaded(_)) => {
            // A file the form carried is gone (swept after a day unused): the officer chooses it again.
            let errors = [FieldError::new("attachments", error.code(), error.detail(Lang::Zh), error.detail(Lang::En))];
            Ok((StatusCode::UNPROCESSABLE_ENTITY, form_page(&page, kind, &posted, &errors, &Notice::None))
                .into_response())
        }
        Err(NodeError::PossibleDuplicate(found)) => {
            Ok((StatusCode::CONFLICT, form_page(&page, kind, &posted, &[], &Notice::Duplicates(found))).into_response())
        }
        Err(NodeError::IdempotencyKeyReused { case, .. }) => {
            let mut posted = posted;
            posted.insert(KEY_FIELD.into(), vec![once::fresh_key()]);
            let notice = Notice::SentBefore(case);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, form_page(&page, kind, &posted, &[], &notice)).into_response())
        }
        Err(e) => Err(ErrorPage::from_node(&e, page.lang)),
    }
}

fn form_page(page: &Page, kind: CaseKind, posted: &Posted, errors: &[FieldError], notice: &Notice) -> Markup {
    let lang = page.lang;
    let known: Vec<String> = all_field_names(kind, posted);
    let unplaced: Vec<&FieldError> =
        errors.iter().filter(|e| !known.contains(&e.field) && !super::attach_form::is_attachment_error(e)).collect();
    let title = format!("{}：{}", lang.pick("发起协查", "New request"), kind.label(lang));
    let content = html! {
        h1 { (title) }
        @if !errors.is_empty() {
            div.box.error role="alert" {
                (lang.pick("请修改以下标出的内容后再发送。", "Please correct the marked fields and send again."))
                @for e in &unplaced { br; (e.field) "：" (lang.pick(&e.zh, &e.en)) }
            }
        }
        form method="post" action={ "/console/new/" (kind.as_str()) } enctype="multipart/form-data" {
            (layout::token_field(page))
            (once::key_field(first(posted, KEY_FIELD)))
            (super::redirect::form_part(page, posted))
            @if details_spec(kind).iter().any(|i| matches!(i, Item::Rows { .. })) {
                // Enter in a field presses the form's first submit button: this one, so that
                // Enter sends the request as before instead of adding a row.
                button type="submit" hidden tabindex="-1" aria-hidden="true" {}
            }
            fieldset {
                legend { (lang.pick("发往", "Send to")) }
                @for peer in &page.node.config().peers {
                    label.inline {
                        input type="checkbox" name="targets" value=(peer.id) checked[posted.get("targets").is_some_and(|t| t.contains(&peer.id.to_string()))];
                        (peer.name)
                    }
                }
                (messages(errors, "targets", lang))
            }
            fieldset.grid { legend { (lang.pick("基本信息", "Request")) } @for item in COMMON_HEAD { (render_item(item, kind, posted, errors, lang)) } }
            fieldset {
                legend { (kind.label(lang)) }
                div.grid { @for item in details_spec(kind).iter().filter(|i| matches!(i, Item::Field(_))) { (render_item(item, kind, posted, errors, lang)) } }
                @for item in details_spec(kind).iter().filter(|i| matches!(i, Item::Rows { .. })) { (render_item(item, kind, posted, errors, lang)) }
            }
            fieldset.grid { legend { (lang.pick("说明与限制", "Details and handling")) } @for item in COMMON_TAIL { (render_item(item, kind, posted, errors, lang)) } }
            (super::attach_form::part(page, posted, errors))
            p.muted { (lang.pick("时间均按北京时间填写。签收和反馈时限由本站配置自动计算并随请求签名。", "Times are Beijing time. Deadlines are set from this station's configuration and signed with the request.")) }
            (once::notice_box(notice, lang))
            button type="submit" { (lang.pick("签名并发送", "Sign and send")) }
        }
    };
    layout::page(page, &title, Section::New, content)
}

pub(super) fn all_field_names(kind: CaseKind, posted: &Posted) -> Vec<String> {
    let mut names = vec!["targets".to_owned()];
    for item in COMMON_HEAD.iter().chain(details_spec(kind)).chain(COMMON_TAIL) {
        match item {
            Item::Field(f) => names.push(f.path.to_owned()),
            Item::Rows { path, count, fields, .. } => {
                names.push((*path).to_owned());
                for i in 0..rows_shown(path, *count, posted) {
                    names.extend(fields.iter().map(|f| format!("{path}[{i}].{}", f.path)));
                }
            }
        }
    }
    names
}

fn messages(errors: &[FieldError], name: &str, lang: Lang) -> Markup {
    html! {
        @for e in errors.iter().filter(|e| e.field == name) {
            div.field-error id={ (name) "-error" } { (lang.pick(&e.zh, &e.en)) }
        }
    }
}

fn render_item(item: &Item, kind: CaseKind, posted: &Posted, errors: &[FieldError], lang: Lang) -> Markup {
    match item {
        Item::Field(f) => render_field(f, f.path, posted, errors, lang),
        Item::Rows { path, zh, en, count, fields } => {
            let shown = rows_shown(path, *count, posted);
            html! {
                div id={ "rows-" (path) } {
                    label { (lang.pick(zh, en)) }
                    (messages(errors, path, lang))
                    table {
                        thead { tr { @for f in *fields { th { (lang.pick(f.zh, f.en)) } } } }
                        tbody {
                            @for i in 0..shown {
                                tr { @for f in *fields { td { (render_input(f, &format!("{path}[{i}].{}", f.path), posted, errors, lang)) } } }
                            }
                        }
                    }
                    @if shown < ROWS_MAX {
                        // Back at this group after the round trip, not at the top of the page.
                        button.secondary type="submit" name="add_row" value=(path) formnovalidate
                            formaction={ "/console/new/" (kind.as_str()) "#rows-" (path) } {
                            (lang.pick("增加一行", "Add a row"))
                        }
                    } @else {
                        p.muted { (lang.pick(&format!("已达上限：最多 {ROWS_MAX} 行。"), &format!("That is the most: {ROWS_MAX} rows."))) }
                    }
                }
            }
        }
    }
}

fn render_field(f: &Field, name: &str, posted: &Posted, errors: &[FieldError], lang: Lang) -> Markup {
    html! {
        div {
            label for=(name) { (lang.pick(f.zh, f.en)) @if f.required { " *" } }
            (render_input(f, name, posted, errors, lang))
        }
    }
}

fn render_input(f: &Field, name: &str, posted: &Posted, errors: &[FieldError], lang: Lang) -> Markup {
    let value = first(posted, name);
    let invalid = errors.iter().any(|e| e.field == name);
    let class = invalid.then_some("invalid");
    let described = invalid.then(|| format!("{name}-error"));
    let text_input = |kind: &str| html! { input type=(kind) id=(name) name=(name) value=(value) class=[class] aria-describedby=[described.as_deref()]; };
    html! {
        @match f.input {
            Input::Text => (text_input("text")),
            Input::Number => (text_input("number")),
            Input::Date => (text_input("date")),
            Input::DateTime => (text_input("datetime-local")),
            Input::Area | Input::Lines => textarea id=(name) name=(name) class=[class] aria-describedby=[described.as_deref()] { (value) },
            Input::Select(options) => select id=(name) name=(name) class=[class] {
                @if !f.required { option value="" { "—" } }
                @for (v, zh, en) in options() { option value=(v) selected[value == v] { (lang.pick(zh, en)) } }
            },
            Input::Checks(options) => span {
                @for (v, zh, en) in options() {
                    label.inline { input type="checkbox" name=(name) value=(v) checked[posted.get(name).is_some_and(|vals| vals.iter().any(|x| x == v))]; (lang.pick(zh, en)) }
                }
            },
        }
        (messages(errors, name, lang))
    }
}

/// A stored value as people read it: choices by their label, times in Beijing time.
pub fn display_value(input: Input, value: &Value, lang: Lang) -> String {
    let choice = |options: &[Choice], raw: &str| {
        options
            .iter()
            .find(|(v, _, _)| *v == raw)
            .map_or_else(|| raw.to_owned(), |(_, zh, en)| lang.pick(zh, en).to_owned())
    };
    match (input, value) {
        (Input::Select(options), Value::String(raw)) => choice(&options(), raw),
        (Input::Checks(options), Value::Array(items)) => {
            let options = options();
            items.iter().filter_map(Value::as_str).map(|raw| choice(&options, raw)).collect::<Vec<_>>().join("、")
        }
        (Input::DateTime, Value::String(raw)) => {
            time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
                .map_or_else(|_| raw.clone(), crate::clock::local_minute)
        }
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) => n.to_string(),
        (_, Value::Array(items)) => {
            items.iter().map(|v| display_value(Input::Text, v, lang)).collect::<Vec<_>>().join("；")
        }
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}

/// The kind-specific fields with their values, as people read them (for the case page): one
/// line per field, and one line per row of a list.
pub fn detail_lines(kind: CaseKind, details: &Value, lang: Lang) -> Vec<(&'static str, Vec<String>)> {
    let mut out = Vec::new();
    for item in details_spec(kind) {
        match item {
            Item::Field(f) => {
                let text = display_value(f.input, &details[f.path.trim_start_matches("details.")], lang);
                if !text.is_empty() {
                    out.push((lang.pick(f.zh, f.en), vec![text]));
                }
            }
            Item::Rows { path, zh, en, fields, .. } => {
                let rows: Vec<String> = details[path.trim_start_matches("details.")]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|row| {
                        fields
                            .iter()
                            .map(|f| display_value(f.input, &row[f.path], lang))
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join(" · ")
                    })
                    .collect();
                if !rows.is_empty() {
                    out.push((lang.pick(zh, en), rows));
                }
            }
        }
    }
    out
}
