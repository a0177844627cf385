//! The request forms, one per kind. A form is described once as data ([`Item`]s whose names
//! are the JSON paths of the request); the same description renders the form, turns a posted
//! form into a request, puts each validation message next to its field, and labels the fields
//! on the case page.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::layout::{self, Section};
use super::once::{self, CONFIRM_FIELD, KEY_FIELD, Notice};
use super::{ErrorPage, Page};
use crate::domain::case::{Priority, Restriction};
use crate::domain::details::{CaseKind, DangerFlag, RequestedAction, Sex};
use crate::domain::plate::Plate;
use crate::domain::resident_id::ResidentId;
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
const COMMON_HEAD: &[Item] = &[
    field("priority", "紧急程度", "Priority", Input::Select(Priority::choices), true),
    field("title", "标题", "Title", Input::Text, true),
];

/// Fields every request has, after the kind-specific ones.
const COMMON_TAIL: &[Item] = &[
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

/// The posted values of a form, by field name.
pub type Posted = BTreeMap<String, Vec<String>>;

/// Collects posted pairs; a name may repeat (check boxes). Browsers send a text area's line
/// breaks as CR LF; a line ends with LF alone in what is signed, so they are turned into that
/// (a lone CR is left, and refused as a control character with the field named).
pub fn posted(pairs: Vec<(String, String)>) -> Posted {
    let mut out = Posted::new();
    for (name, value) in pairs {
        out.entry(name).or_default().push(value.replace("\r\n", "\n"));
    }
    out
}

fn first<'a>(posted: &'a Posted, name: &str) -> &'a str {
    posted.get(name).and_then(|v| v.first()).map_or("", |s| s.trim())
}

/// Reads a Beijing date-time from a `datetime-local` input as RFC 3339 UTC.
pub fn beijing_time(text: &str) -> Option<time::OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let with_seconds = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let local = time::PrimitiveDateTime::parse(text, &format)
        .or_else(|_| time::PrimitiveDateTime::parse(text, &with_seconds))
        .ok()?;
    Some(local.assume_offset(crate::clock::BEIJING).to_offset(time::UtcOffset::UTC))
}

/// The value of one field as JSON, or a message for the officer.
fn value_of(field: &Field, name: &str, posted: &Posted, errors: &mut Vec<FieldError>) -> Option<Value> {
    let text = first(posted, name);
    let invalid = |zh: String, en: String| FieldError::new(name, "invalid_format", zh, en);
    match field.input {
        Input::Checks(_) => {
            Some(Value::Array(posted.get(name).into_iter().flatten().map(|v| Value::String(v.clone())).collect()))
        }
        Input::Lines => Some(Value::Array(
            text.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| Value::String(l.into())).collect(),
        )),
        _ if text.is_empty() => None,
        Input::Number => match text.parse::<i64>() {
            Ok(n) => Some(Value::from(n)),
            Err(_) => {
                errors
                    .push(invalid(format!("“{}”应填写数字", field.zh), format!("{} must be a whole number", field.en)));
                None
            }
        },
        Input::DateTime => match beijing_time(text) {
            Some(at) => Some(Value::String(crate::clock::rfc3339(at))),
            None => {
                errors.push(invalid(
                    format!("“{}”的时间格式不正确", field.zh),
                    format!("{} is not a valid time", field.en),
                ));
                None
            }
        },
        _ if name.ends_with("id_number") => match ResidentId::parse(text) {
            Ok(id) => Some(Value::String(id.as_str().to_owned())),
            Err(e) => {
                errors.push(e.field_error(name));
                None
            }
        },
        _ if name.ends_with("plate") => match Plate::parse(text) {
            Ok(plate) => Some(Value::String(plate.as_str().to_owned())),
            Err(e) => {
                errors.push(e.field_error(name));
                None
            }
        },
        _ => Some(Value::String(text.to_owned())),
    }
}

/// Sets `value` at a dotted `path` (`details.name`), making the objects on the way.
pub(crate) fn insert(root: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        Some((head, rest)) => {
            let child = root.entry(head).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = child {
                insert(map, rest, value);
            }
        }
        None => {
            root.insert(path.to_owned(), value);
        }
    }
}

/// Builds the JSON of a request from a posted form of `kind`, collecting format errors. A
/// field with a format error is left out, or, when the request cannot be read without it,
/// given a stand-in (see [`stand_in`]) so the node can still judge the rest; `now` is the
/// stand-in for a time.
pub fn request_json(kind: CaseKind, posted: &Posted, now: OffsetDateTime, errors: &mut Vec<FieldError>) -> Value {
    let mut root = Map::new();
    insert(&mut root, "details.kind", Value::String(kind.as_str().into()));
    let targets = posted.get("targets").into_iter().flatten().map(|t| Value::String(t.clone())).collect();
    root.insert("targets".into(), Value::Array(targets));
    for item in COMMON_HEAD.iter().chain(details_spec(kind)).chain(COMMON_TAIL) {
        match item {
            Item::Field(f) => {
                let value = value_of(f, f.path, posted, errors).or_else(|| blank_required(f, f.path, now, errors));
                if let Some(value) = value {
                    insert(&mut root, f.path, value);
                }
            }
            Item::Rows { path, count, fields, .. } => {
                if highest_row(path, posted).is_some_and(|i| i >= ROWS_MAX) {
                    errors.push(FieldError::new(
                        *path,
                        "too_many",
                        format!("最多填写 {ROWS_MAX} 行"),
                        format!("at most {ROWS_MAX} rows"),
                    ));
                }
                let mut rows = Vec::new();
                for i in 0..rows_posted(path, *count, posted) {
                    let mut row = Map::new();
                    let before = errors.len();
                    for f in *fields {
                        let name = format!("{path}[{i}].{}", f.path);
                        if let Some(value) = value_of(f, &name, posted, errors) {
                            row.insert(f.path.to_owned(), value);
                        }
                    }
                    // A row with something typed in it, even mistyped, is started: its blank
                    // required cells are named, rather than the whole row dropped unseen.
                    if !row.is_empty() || errors.len() > before {
                        for f in fields.iter().filter(|f| f.required) {
                            let name = format!("{path}[{i}].{}", f.path);
                            if !row.contains_key(f.path)
                                && let Some(value) = blank_required(f, &name, now, errors)
                            {
                                row.insert(f.path.to_owned(), value);
                            }
                        }
                        rows.push(Value::Object(row));
                    }
                }
                insert(&mut root, path, Value::Array(rows));
            }
        }
    }
    Value::Object(root)
}

/// What a required field left blank, or mistyped, is sent as. A blank text is sent empty, so
/// the node names it among the other content errors. Anything else cannot be sent empty: a
/// blank one is named here, and a stand-in sent so the request can still be read (the stand-in
/// is never stored: the form is refused while its field has an error).
fn blank_required(f: &Field, name: &str, now: OffsetDateTime, errors: &mut Vec<FieldError>) -> Option<Value> {
    if !f.required {
        return None;
    }
    let named = errors.iter().any(|e| e.field == name);
    if !matches!(f.input, Input::Text | Input::Area) && !named {
        errors.push(FieldError::new(
            name,
            "required",
            format!("请填写“{}”", f.zh),
            format!("{} is required", capitalised(f.en)),
        ));
    }
    stand_in(f.input, now)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// A value of the right type for a required field whose own value cannot be sent. `now` for a
/// time: a time last seen of now makes no other field wrong (a birth date before it, an age
/// within the widest range), and whatever the node says of this field itself is dropped,
/// since the field already has its own error.
fn stand_in(input: Input, now: OffsetDateTime) -> Option<Value> {
    match input {
        Input::Text | Input::Area => Some(Value::String(String::new())),
        Input::DateTime => Some(Value::String(crate::clock::rfc3339(now))),
        Input::Select(options) => options().first().map(|(v, _, _)| Value::String((*v).to_owned())),
        Input::Lines | Input::Checks(_) => Some(Value::Array(Vec::new())),
        Input::Number | Input::Date => None,
    }
}

/// The highest row index posted for the group at `path`.
fn highest_row(path: &str, posted: &Posted) -> Option<usize> {
    let prefix = format!("{path}[");
    posted.keys().filter_map(|name| name.strip_prefix(&prefix)?.split_once(']')?.0.parse::<usize>().ok()).max()
}

/// How many rows of the group at `path` the posted form holds: at least the `count` offered at
/// first, and up to the highest row posted, since a form grown with 增加一行 posts its rows,
/// blank ones too. Never more than [`ROWS_MAX`].
fn rows_posted(path: &str, count: usize, posted: &Posted) -> usize {
    highest_row(path, posted).map_or(count, |i| count.max(i.saturating_add(1))).min(ROWS_MAX)
}

/// How many rows the form shows: those posted, and one more in the group whose 增加一行
/// button was pressed.
fn rows_shown(path: &str, count: usize, posted: &Posted) -> usize {
    let grow = usize::from(first(posted, "add_row") == path);
    (rows_posted(path, count, posted) + grow).min(ROWS_MAX)
}

/// Parses the JSON into a request, turning a type error into a field error in words.
pub fn parse_request(json: Value) -> Result<NewCase, FieldError> {
    crate::domain::decode::from_value(&json)
}

/// Reads the request out of the form's JSON however it can. serde stops at the first value it
/// refuses (a choice not on the list, a date no browser checked, an age too large to be one):
/// that value is reported, set aside, and the rest read again, so the node still judges
/// everything else. `None` when a refusal is not at a field of the form.
fn readable_request(
    kind: CaseKind,
    mut json: Value,
    now: OffsetDateTime,
    errors: &mut Vec<FieldError>,
) -> Option<NewCase> {
    // Each round sets a field aside for good, so the rounds are bounded by the form's fields.
    for _ in 0..=all_field_names(kind, &Posted::new()).len() + ROWS_MAX {
        match parse_request(json.clone()) {
            Ok(new) => return Some(new),
            Err(error) => {
                let aside = set_aside(kind, &mut json, &error.field, now);
                if !errors.iter().any(|e| e.field == error.field) {
                    errors.push(error);
                }
                if !aside {
                    return None;
                }
            }
        }
    }
    None
}

/// Takes the refused value at `name` out of the JSON, or puts a stand-in in its place when
/// the request needs the field; false when `name` is not a field of the form.
fn set_aside(kind: CaseKind, json: &mut Value, name: &str, now: OffsetDateTime) -> bool {
    let Some(field) = field_named(kind, name) else { return false };
    let (parent, key) = name.rsplit_once('.').map_or(("", name), |(parent, key)| (parent, key));
    let Some(Value::Object(object)) = value_at(json, parent) else { return false };
    if !object.contains_key(key) {
        return false;
    }
    match field.required.then(|| stand_in(field.input, now)).flatten() {
        Some(value) => object.insert(key.to_owned(), value),
        None if field.required => return false,
        None => object.remove(key),
    };
    true
}

/// The field a form name (`details.age`, `details.vehicles[2].plate`) stands for.
fn field_named(kind: CaseKind, name: &str) -> Option<&'static Field> {
    items(kind).find_map(|item| match item {
        Item::Field(f) => (f.path == name).then_some(f),
        Item::Rows { path, fields, .. } => {
            let (index, leaf) = name.strip_prefix(path)?.strip_prefix('[')?.split_once("].")?;
            index.parse::<usize>().ok()?;
            fields.iter().find(|f| f.path == leaf)
        }
    })
}

/// The value at a form name's path in the request's JSON (`""` is the whole of it).
fn value_at<'a>(root: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    let mut here = root;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (key, index) = match segment.split_once('[') {
            Some((key, rest)) => (key, Some(rest.strip_suffix(']')?.parse::<usize>().ok()?)),
            None => (segment, None),
        };
        here = here.get_mut(key)?;
        if let Some(index) = index {
            here = here.get_mut(index)?;
        }
    }
    Some(here)
}

/// A `required` the node finds on a field the officer could have filled in another way, with
/// those ways (names within the same object). When one of them has a format error, it was
/// typed and left out of what the node saw, so that `required` would be wrong. These follow
/// the node's either-or rules (`domain::details::check`).
const EITHER_OF: &[(&str, &[&str])] = &[
    ("details.age", &["birth_date", "id_number"]),
    ("details.vehicles[].description", &["plate"]),
    ("details.suspects[].description", &["id_number"]),
];

/// Every problem of a form once: the format errors, and the node's content errors except those
/// on a field that already has a format error (the node judged it without the officer's
/// value, or with a stand-in), in the order of the form.
fn merge(kind: CaseKind, posted: &Posted, format: Vec<FieldError>, content: Vec<FieldError>) -> Vec<FieldError> {
    let has_format = |name: &str| format.iter().any(|e| e.field == name);
    let typed_otherwise = |e: &FieldError| {
        let general: String = unindexed(&e.field);
        let parent = e.field.rsplit_once('.').map_or("", |(parent, _)| parent);
        e.code == "required"
            && EITHER_OF
                .iter()
                .filter(|(field, _)| *field == general)
                .flat_map(|(_, others)| others.iter())
                .any(|other| has_format(&format!("{parent}.{other}")))
    };
    let content: Vec<FieldError> =
        content.into_iter().filter(|e| !has_format(&e.field) && !typed_otherwise(e)).collect();
    let order = all_field_names(kind, posted);
    let mut all: Vec<FieldError> = format.into_iter().chain(content).collect();
    // What has no place in the form (a deadline, a repeated target) is listed at the top, in
    // the box that holds such messages.
    all.sort_by_key(|e| order.iter().position(|name| *name == e.field).map_or(0, |i| i + 1));
    all
}

/// A name without its row numbers: `details.vehicles[2].plate` → `details.vehicles[].plate`.
fn unindexed(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_index = false;
    for c in name.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push(c);
            }
            ']' => {
                in_index = false;
                out.push(c);
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
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

/// `GET /console/new/{kind}`: the empty form.
pub async fn new_case(page: Page, Path(kind): Path<String>) -> Result<Markup, ErrorPage> {
    let kind = kind_of(&kind, page.lang)?;
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
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    let kind = kind_of(&kind, page.lang)?;
    let posted = posted(pairs);
    page.check_form(&headers, first(&posted, "csrf"))?;
    if !first(&posted, "add_row").is_empty() {
        // 增加一行: the same form again with one more row, nothing checked and nothing sent.
        return Ok(form_page(&page, kind, &posted, &[], &Notice::None).into_response());
    }
    let now = node.clock().now();
    let mut format = Vec::new();
    let json = request_json(kind, &posted, now, &mut format);
    let new = readable_request(kind, json, now, &mut format);
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
    let unplaced: Vec<&FieldError> = errors.iter().filter(|e| !known.contains(&e.field)).collect();
    let title = format!("{}：{}", lang.pick("发起协查", "New request"), kind.label(lang));
    let content = html! {
        h1 { (title) }
        @if !errors.is_empty() {
            div.box.error role="alert" {
                (lang.pick("请修改以下标出的内容后再发送。", "Please correct the marked fields and send again."))
                @for e in &unplaced { br; (e.field) "：" (lang.pick(&e.zh, &e.en)) }
            }
        }
        form method="post" action={ "/console/new/" (kind.as_str()) } {
            (layout::token_field(page))
            (once::key_field(first(posted, KEY_FIELD)))
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
            p.muted { (lang.pick("时间均按北京时间填写。签收和反馈时限由本站配置自动计算并随请求签名。", "Times are Beijing time. Deadlines are set from this station's configuration and signed with the request.")) }
            (once::notice_box(notice, lang))
            button type="submit" { (lang.pick("签名并发送", "Sign and send")) }
        }
    };
    layout::page(page, &title, Section::New, content)
}

fn all_field_names(kind: CaseKind, posted: &Posted) -> Vec<String> {
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
