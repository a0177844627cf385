//! `tiemeng case template`: an empty request to fill in, with each field's meaning and format,
//! from the same description as the console's form; and reading a filled-in one back, where a
//! field left empty counts as not given. A template filled with sample data invited sending
//! someone else's resident ID and warrant number with only the name changed; sample data now
//! comes only with `--example`.

use serde_json::{Map, Value};

use crate::console::forms::{self, Field, Input, Item};
use crate::domain::details::CaseKind;
use crate::i18n::Lang;
use crate::ids::StationId;
use crate::node::NewCase;

/// The empty request of `kind` to `targets`.
pub fn skeleton(kind: CaseKind, targets: &[StationId]) -> Value {
    let mut root = Map::new();
    root.insert("targets".into(), targets.iter().map(|t| Value::String(t.to_string())).collect());
    forms::insert(&mut root, "details.kind", Value::String(kind.as_str().into()));
    for item in forms::items(kind) {
        match item {
            Item::Field(field) => forms::insert(&mut root, field.path, blank(field.input)),
            Item::Rows { path, fields, .. } => {
                let row: Map<String, Value> = fields.iter().map(|f| (f.path.to_owned(), blank(f.input))).collect();
                forms::insert(&mut root, path, Value::Array(vec![Value::Object(row)]));
            }
        }
    }
    Value::Object(root)
}

fn blank(input: Input) -> Value {
    match input {
        Input::Number => Value::Null,
        Input::Lines | Input::Checks(_) => Value::Array(Vec::new()),
        Input::Text | Input::Area | Input::Date | Input::DateTime | Input::Select(_) => Value::String(String::new()),
    }
}

/// Each field of the request of `kind`: its path, whether it must be filled in, what it is and
/// how to write it.
pub fn hints(kind: CaseKind, lang: Lang) -> String {
    let mut lines = vec![
        lang.pick(
            "逐项填写后用 tiemeng case send --file 发送；* 为必填，不填的项留空即可：",
            "Fill it in and send it with tiemeng case send --file; * marks what must be filled in, leave the rest empty:",
        )
        .to_owned(),
    ];
    for item in forms::items(kind) {
        match item {
            Item::Field(field) => lines.push(hint(field.path, field, lang)),
            Item::Rows { path, zh, en, .. } => {
                lines.push(format!(
                    "  {path}[]  {}",
                    lang.pick(
                        &format!("{zh}：每项一个对象，可增删"),
                        &format!("{en}: one object each, add or remove as needed"),
                    )
                ));
                if let Item::Rows { fields, .. } = item {
                    for field in *fields {
                        lines.push(format!("  {}", hint(field.path, field, lang)));
                    }
                }
            }
        }
    }
    lines.join("\n")
}

fn hint(path: &str, field: &Field, lang: Lang) -> String {
    let star = if field.required { " *" } else { "" };
    let label = lang.pick(field.zh, field.en);
    let format = match field.input {
        Input::Text | Input::Area => String::new(),
        Input::Number => lang.pick("整数", "a whole number").to_owned(),
        Input::Date => lang.pick("日期，如 2026-12-07", "a date, e.g. 2026-12-07").to_owned(),
        Input::DateTime => lang
            .pick(
                "时间，如 2026-12-07T08:30:00+08:00（北京时间）",
                "a time, e.g. 2026-12-07T08:30:00+08:00 (Beijing time)",
            )
            .to_owned(),
        Input::Lines => lang.pick("文字列表，如 [\"…\", \"…\"]", "a list of texts, e.g. [\"…\", \"…\"]").to_owned(),
        Input::Select(choices) => {
            let choices: Vec<String> =
                choices().iter().map(|(wire, zh, en)| format!("{wire}（{}）", lang.pick(zh, en))).collect();
            format!("{}{}", lang.pick("其一：", "one of: "), choices.join(" | "))
        }
        Input::Checks(choices) => {
            let choices: Vec<String> =
                choices().iter().map(|(wire, zh, en)| format!("{wire}（{}）", lang.pick(zh, en))).collect();
            format!("{}{}", lang.pick("列表，可多选：", "a list of any of: "), choices.join(" | "))
        }
    };
    if format.is_empty() {
        format!("  {path}{star}  {label}")
    } else {
        format!("  {path}{star}  {label}{}{format}", lang.pick("；", "; "))
    }
}

/// Reads a filled-in request. Fields left empty (`""`, `null`, `[]`, a row with nothing in it)
/// count as not given, as on the console's form; what does not fit is named by its path.
pub fn read(text: &str, lang: Lang) -> Result<NewCase, String> {
    let mut json: Value = serde_json::from_str(text)
        .map_err(|e| crate::domain::decode::DecodeError::Syntax { line: e.line(), column: e.column() }.words(lang))?;
    prune(&mut json);
    forms::parse_request(json).map_err(|e| format!("{}：{}", e.field, lang.pick(&e.zh, &e.en)))
}

/// Removes what was left empty; true when nothing is left of `value`.
fn prune(value: &mut Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.trim().is_empty(),
        // A list stays, if empty: rows and lines left empty are dropped from it.
        Value::Array(items) => {
            items.retain_mut(|item| !prune(item));
            false
        }
        Value::Object(fields) => {
            fields.retain(|_, field| !prune(field));
            fields.is_empty()
        }
        Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn xixi() -> Vec<StationId> {
        vec!["fj-shouning-xixi".parse().unwrap()]
    }

    #[test]
    fn a_skeleton_holds_no_data_of_anyone() {
        for kind in CaseKind::ALL {
            let text = serde_json::to_string(&skeleton(kind, &xixi())).unwrap();
            let sample = crate::samples::sample(kind, xixi(), time::OffsetDateTime::now_utc());
            assert!(!text.contains(&sample.title) && !text.contains(&sample.contact), "{kind:?}: {text}");
            assert!(!text.chars().any(|c| c.is_ascii_digit()), "no number, ID or date in the skeleton: {text}");
        }
    }

    #[test]
    fn a_skeleton_filled_in_reads_back_and_what_is_left_empty_is_not_given() {
        let mut json = skeleton(CaseKind::MissingPerson, &xixi());
        json["priority"] = "urgent".into();
        json["title"] = "协查走失老人".into();
        json["contact"] = "值班室 0577-1234567".into();
        json["details"]["name"] = "张某".into();
        json["details"]["sex"] = "female".into();
        json["details"]["description"] = "身高约160厘米".into();
        json["details"]["last_seen_place"] = "罗阳镇车站".into();
        json["details"]["last_seen_at"] = "2026-12-07T08:30:00+08:00".into();
        let new = read(&json.to_string(), Lang::Zh).unwrap();
        let crate::domain::details::CaseDetails::MissingPerson(person) = &new.details else { panic!("{new:?}") };
        assert_eq!((person.name.as_str(), person.id_number.is_none(), person.age), ("张某", true, None));
        assert!(new.restrictions.is_empty() && new.reference.is_none());
    }

    #[test]
    fn a_skeleton_sent_as_it_is_names_what_is_missing() {
        let text = skeleton(CaseKind::Fugitive, &xixi()).to_string();
        let zh = read(&text, Lang::Zh).unwrap_err();
        assert!(zh.contains("priority") || zh.contains("details"), "{zh}");
        assert_eq!(read("{", Lang::En).unwrap_err(), "malformed JSON near line 1, column 1");
        assert_eq!(read("{", Lang::Zh).unwrap_err(), "JSON 格式错误：第 1 行第 1 列附近");
    }

    #[test]
    fn hints_name_each_field_its_format_and_choices() {
        let zh = hints(CaseKind::SerialTheft, Lang::Zh);
        assert!(zh.contains("  priority *  紧急程度；其一：urgent（特急）"), "{zh}");
        assert!(zh.contains("  details.suspects[]  嫌疑人"), "{zh}");
        assert!(zh.contains("    at *  时间；时间，如 2026-12-07T08:30:00+08:00"), "{zh}");
        let en = hints(CaseKind::MissingPerson, Lang::En);
        assert!(en.contains("\n  details.birth_date  Date of birth; a date, e.g. 2026-12-07\n"), "{en}");
        assert!(en.contains("\n  details.sex *  Sex; one of: male"), "{en}");
    }
}
