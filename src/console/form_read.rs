//! Reading a posted new-request form into a request, in one pass: each field's format (a
//! resident ID's check digit, a plate, a time) checked as it is read, what cannot be read set
//! aside or stood in for so the node can still judge the rest, and both kinds of error merged
//! in the form's order.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::forms::{COMMON_HEAD, COMMON_TAIL, Field, Input, Item, ROWS_MAX, all_field_names, details_spec, items};
use crate::domain::details::CaseKind;
use crate::domain::plate::Plate;
use crate::domain::resident_id::ResidentId;
use crate::domain::validate::FieldError;
use crate::node::NewCase;

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

pub(super) fn first<'a>(posted: &'a Posted, name: &str) -> &'a str {
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
pub(super) fn value_of(field: &Field, name: &str, posted: &Posted, errors: &mut Vec<FieldError>) -> Option<Value> {
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
pub(super) fn blank_required(
    f: &Field,
    name: &str,
    now: OffsetDateTime,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
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

pub(super) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// A value of the right type for a required field whose own value cannot be sent. `now` for a
/// time: a time last seen of now makes no other field wrong (a birth date before it, an age
/// within the widest range), and whatever the node says of this field itself is dropped,
/// since the field already has its own error.
pub(super) fn stand_in(input: Input, now: OffsetDateTime) -> Option<Value> {
    match input {
        Input::Text | Input::Area => Some(Value::String(String::new())),
        Input::DateTime => Some(Value::String(crate::clock::rfc3339(now))),
        Input::Select(options) => options().first().map(|(v, _, _)| Value::String((*v).to_owned())),
        Input::Lines | Input::Checks(_) => Some(Value::Array(Vec::new())),
        Input::Number | Input::Date => None,
    }
}

/// The highest row index posted for the group at `path`.
pub(super) fn highest_row(path: &str, posted: &Posted) -> Option<usize> {
    let prefix = format!("{path}[");
    posted.keys().filter_map(|name| name.strip_prefix(&prefix)?.split_once(']')?.0.parse::<usize>().ok()).max()
}

/// How many rows of the group at `path` the posted form holds: at least the `count` offered at
/// first, and up to the highest row posted, since a form grown with 增加一行 posts its rows,
/// blank ones too. Never more than [`ROWS_MAX`].
pub(super) fn rows_posted(path: &str, count: usize, posted: &Posted) -> usize {
    highest_row(path, posted).map_or(count, |i| count.max(i.saturating_add(1))).min(ROWS_MAX)
}

/// How many rows the form shows: those posted, and one more in the group whose 增加一行
/// button was pressed.
pub(super) fn rows_shown(path: &str, count: usize, posted: &Posted) -> usize {
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
pub(super) fn readable_request(
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
pub(super) fn set_aside(kind: CaseKind, json: &mut Value, name: &str, now: OffsetDateTime) -> bool {
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
pub(super) fn field_named(kind: CaseKind, name: &str) -> Option<&'static Field> {
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
pub(super) fn value_at<'a>(root: &'a mut Value, path: &str) -> Option<&'a mut Value> {
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
pub(super) const EITHER_OF: &[(&str, &[&str])] = &[
    ("details.age", &["birth_date", "id_number"]),
    ("details.vehicles[].description", &["plate"]),
    ("details.suspects[].description", &["id_number"]),
];

/// Every problem of a form once: the format errors, and the node's content errors except those
/// on a field that already has a format error (the node judged it without the officer's
/// value, or with a stand-in), in the order of the form.
pub(super) fn merge(
    kind: CaseKind,
    posted: &Posted,
    format: Vec<FieldError>,
    content: Vec<FieldError>,
) -> Vec<FieldError> {
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
pub(super) fn unindexed(name: &str) -> String {
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
