//! Reading JSON that people wrote (an API body, a form turned into JSON, a request file for the
//! CLI) into domain types, and saying what is wrong in words, in both languages.
//!
//! serde stops at the first problem and words it in English for programmers ("unknown variant
//! `duplicate`, expected one of …"). Here that problem becomes a [`FieldError`]: the path of
//! the field, a stable code, and a sentence in Chinese and in English. serde's own wording is
//! recognised by its fixed shapes; a value refused by one of our own types (a resident ID with a
//! wrong check digit, a plate, a station id) is parsed again by that type so its own words,
//! which exist in both languages, are used.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::details::{self as kinds, CaseKind};
use super::plate::Plate;
use super::resident_id::ResidentId;
use super::validate::FieldError;
use crate::ids::{IdError, StationId};

/// Why JSON bytes could not be read as the expected body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not JSON at all: where the syntax breaks.
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// JSON, but a field is missing, unknown, or of the wrong kind.
    Field(FieldError),
}

impl DecodeError {
    /// The sentence for people.
    pub fn words(&self, lang: crate::i18n::Lang) -> String {
        match self {
            Self::Syntax { line, column } => match lang {
                crate::i18n::Lang::Zh => format!("JSON 格式错误：第 {line} 行第 {column} 列附近"),
                crate::i18n::Lang::En => format!("malformed JSON near line {line}, column {column}"),
            },
            Self::Field(e) => lang.pick(&e.zh, &e.en).to_owned(),
        }
    }
}

/// Reads JSON bytes as `T`. The common case costs one parse; only a refusal is parsed again to
/// find the field at fault.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    match serde_json::from_slice::<T>(bytes) {
        Ok(value) => Ok(value),
        Err(e) if e.is_data() => match serde_json::from_slice::<Value>(bytes) {
            Ok(value) => from_value(&value).map_err(DecodeError::Field),
            Err(e) => Err(DecodeError::Syntax { line: e.line(), column: e.column() }),
        },
        Err(e) => Err(DecodeError::Syntax { line: e.line(), column: e.column() }),
    }
}

/// Reads a JSON value as `T`, naming the field at fault.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let found = lookup(value, &path);
        if let Some(inner) = found.and_then(|details| within_details(&path, details)) {
            return inner;
        }
        field_error(if path == "." { String::new() } else { path }, &message, found)
    })
}

/// The field at fault inside a request's `details`. serde reads an object tagged by `kind` in
/// one piece and loses the path inside it, so the kind's own struct is read again on its own.
fn within_details(path: &str, details: &Value) -> Option<FieldError> {
    if path != "details" && !path.ends_with(".details") {
        return None;
    }
    let mut fields = details.as_object()?.clone();
    let kind: CaseKind = fields.remove("kind")?.as_str()?.parse().ok()?;
    let fields = Value::Object(fields);
    let inner = match kind {
        CaseKind::MissingPerson => from_value::<kinds::MissingPerson>(&fields).err(),
        CaseKind::Fugitive => from_value::<kinds::Fugitive>(&fields).err(),
        CaseKind::SerialTheft => from_value::<kinds::SerialTheft>(&fields).err(),
        CaseKind::Dispute => from_value::<kinds::Dispute>(&fields).err(),
        CaseKind::General => from_value::<kinds::General>(&fields).err(),
    }?;
    let field = if inner.field.is_empty() { path.to_owned() } else { format!("{path}.{}", inner.field) };
    Some(FieldError { field, ..inner })
}

/// What a serde message says, as a field error of `field`; `found` is the value at the field
/// when it is known, so a value our own types refused is described by those types.
pub fn field_error(field: String, message: &str, found: Option<&Value>) -> FieldError {
    if let Some(Value::String(text)) = found
        && let Some(error) = own_words(&field, text, message)
    {
        return error;
    }
    let said = serde_words(message);
    FieldError::new(field, said.code, said.zh, said.en)
}

/// A serde message in words for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    /// Stable code.
    pub code: &'static str,
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

/// Words for a message in one of serde's fixed shapes; anything else is kept as it is, after
/// a Chinese lead saying what kind of problem it is.
pub fn serde_words(message: &str) -> Said {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (given, expected) = split_expected(rest);
        let choices = names(expected);
        return Said {
            code: "unknown_value",
            zh: format!("“{given}”不是可选的值；可选：{}", choices.join("、")),
            en: format!("\"{given}\" is not one of the choices: {}", choices.join(", ")),
        };
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (given, expected) = split_expected(rest);
        let choices = names(expected);
        let (zh_known, en_known) = if choices.is_empty() {
            (String::new(), String::new())
        } else {
            (format!("；可填写的项：{}", choices.join("、")), format!("; the known ones are {}", choices.join(", ")))
        };
        return Said {
            code: "unknown_field",
            zh: format!("没有名为“{given}”的项（是否拼写有误？）{zh_known}"),
            en: format!("there is no field \"{given}\" (a misspelling?){en_known}"),
        };
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let name = unquote(rest);
        return Said {
            code: "missing_field",
            zh: format!("缺少必填项“{name}”"),
            en: format!("the field \"{name}\" is required"),
        };
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        let name = unquote(rest);
        return Said {
            code: "duplicate_field",
            zh: format!("“{name}”填写了两次，只能有一个"),
            en: format!("\"{name}\" is given twice; give it once"),
        };
    }
    for (prefix, code) in [("invalid type: ", "wrong_type"), ("invalid value: ", "invalid_value")] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((found, expected)) = rest.rsplit_once(", expected ")
        {
            return Said {
                code,
                zh: format!("应为{}，实际为{}", kind_zh(expected), kind_zh(found)),
                en: format!("expected {}, found {}", kind_en(expected), kind_en(found)),
            };
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return Said {
            code: "invalid_length",
            zh: format!("数量不对：应为{expected}，实际为 {found} 个"),
            en: format!("wrong number of items: expected {expected}, found {found}"),
        };
    }
    Said { code: "invalid_value", zh: format!("内容不符合要求（{message}）"), en: message.to_owned() }
}

/// The words of our own types for a value they refused, when `message` is theirs.
fn own_words(field: &str, text: &str, message: &str) -> Option<FieldError> {
    let leaf = field.rsplit('.').next().unwrap_or(field);
    let refused = if leaf.ends_with("id_number") {
        ResidentId::parse(text).err().filter(|e| e.to_string() == message).map(|e| e.field_error(field))
    } else if leaf.ends_with("plate") {
        Plate::parse(text).err().filter(|e| e.to_string() == message).map(|e| e.field_error(field))
    } else {
        None
    };
    refused.or_else(|| match text.parse::<StationId>() {
        Err(e @ IdError::Station(_)) if e.to_string() == message => {
            Some(FieldError::new(field, "invalid_station", e.zh(), e.to_string()))
        }
        _ => None,
    })
}

/// Splits "`x`, expected …" into the given name and what was expected.
fn split_expected(rest: &str) -> (String, &str) {
    match rest.split_once(", expected ").or_else(|| rest.split_once(", there are no ")) {
        Some((given, expected)) => (unquote(given), expected),
        None => (unquote(rest), ""),
    }
}

/// The back-quoted names of serde's "one of `a`, `b`" or "`a` or `b`".
fn names(expected: &str) -> Vec<String> {
    expected.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

fn unquote(text: &str) -> String {
    text.trim().trim_matches('`').to_owned()
}

/// serde's name of a kind of value, in Chinese (`a string` → 文本, `integer \`5\`` → 整数 5).
fn kind_zh(kind: &str) -> String {
    let kind = kind.trim();
    if let Some(v) = kind.strip_prefix("string ") {
        return format!("文本 {v}");
    }
    for (prefix, zh) in [("integer ", "整数 "), ("floating point ", "小数 "), ("boolean ", "是/否值 ")] {
        if let Some(v) = kind.strip_prefix(prefix) {
            return format!("{zh}{}", v.trim_matches('`'));
        }
    }
    let zh = match kind {
        "a string" | "string" | "a borrowed string" | "a character" | "char" => "文本",
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "usize" | "an integer" => "整数",
        "f32" | "f64" | "a number" => "数字",
        "a boolean" | "bool" => "是/否值（true 或 false）",
        "a sequence" | "sequence" => "列表",
        "a map" | "map" => "对象",
        "null" | "unit" | "unit value" => "空值（null）",
        other if other.starts_with("struct ") || other.starts_with("enum ") => "对象",
        other if other.starts_with("an array of length ") => "定长列表",
        other => return format!("“{other}”"),
    };
    zh.to_owned()
}

/// serde's name of a kind of value, for people who do not read Rust (`u16` → a whole number).
fn kind_en(kind: &str) -> String {
    let kind = kind.trim();
    let en = match kind {
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "usize" => "a whole number",
        "f32" | "f64" => "a number",
        "bool" => "true or false",
        "unit" | "unit value" => "null",
        other if other.starts_with("struct ") || other.starts_with("enum ") => "an object",
        other => return other.to_owned(),
    };
    en.to_owned()
}

/// The value at a path written as `details.incidents[1].at`.
fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut here = root;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (name, indexes) = segment.split_once('[').map_or((segment, ""), |(n, rest)| (n, rest));
        if !name.is_empty() {
            here = here.get(name)?;
        }
        for index in indexes.split('[').filter(|i| !i.is_empty()) {
            here = here.get(index.trim_end_matches(']').parse::<usize>().ok()?)?;
        }
    }
    Some(here)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::NewCase;
    use serde_json::json;

    fn has_cjk(text: &str) -> bool {
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    #[test]
    fn an_unknown_choice_lists_the_choices_in_both_languages() {
        let error = from_value::<crate::node::WithdrawInput>(&json!({"reason": "duplicate"})).unwrap_err();
        assert_eq!(error.field, "reason");
        assert_eq!(error.code, "unknown_value");
        assert!(error.zh.starts_with("“duplicate”不是可选的值；可选：resolved_elsewhere、"), "{}", error.zh);
        assert!(error.en.contains("\"duplicate\" is not one of the choices: resolved_elsewhere, "), "{}", error.en);
    }

    #[test]
    fn a_resident_id_refused_inside_a_request_is_described_by_the_id_itself() {
        let targets = vec!["fj-shouning-xixi".parse().unwrap()];
        let sample = crate::samples::missing_elderly_man(targets, time::OffsetDateTime::now_utc());
        let mut body = serde_json::to_value(sample).unwrap();
        body["details"]["id_number"] = json!("330329198507160031");
        let error = from_value::<NewCase>(&body).unwrap_err();
        assert_eq!(error.field, "details.id_number");
        assert_eq!(error.code, "bad_checksum");
        assert!(error.zh.contains("校验位不符"), "{}", error.zh);
        assert!(!error.zh.contains("check character"), "{}", error.zh);
    }

    #[test]
    fn serdes_shapes_become_sentences_without_rust_words() {
        let cases = [
            ("missing field `title`", "missing_field", "缺少必填项“title”", "the field \"title\" is required"),
            (
                "unknown field `nmae`, expected `name` or `age`",
                "unknown_field",
                "没有名为“nmae”的项（是否拼写有误？）；可填写的项：name、age",
                "there is no field \"nmae\" (a misspelling?); the known ones are name, age",
            ),
            (
                "invalid type: string \"abc\", expected u16",
                "wrong_type",
                "应为整数，实际为文本 \"abc\"",
                "expected a whole number, found string \"abc\"",
            ),
            (
                "invalid type: integer `5`, expected a string",
                "wrong_type",
                "应为文本，实际为整数 5",
                "expected a string, found integer `5`",
            ),
        ];
        for (message, code, zh, en) in cases {
            let said = serde_words(message);
            assert_eq!((said.code, said.zh.as_str(), said.en.as_str()), (code, zh, en), "{message}");
        }
    }

    #[test]
    fn broken_json_says_where() {
        let error = from_slice::<crate::node::WithdrawInput>(b"{\n  \"reason\": }").unwrap_err();
        assert_eq!(error, DecodeError::Syntax { line: 2, column: 13 });
        assert!(has_cjk(&error.words(crate::i18n::Lang::Zh)));
        assert!(!has_cjk(&error.words(crate::i18n::Lang::En)));
    }

    #[test]
    fn a_path_finds_its_value() {
        let root = json!({"details": {"incidents": [{"at": 1}, {"at": "x"}]}});
        assert_eq!(lookup(&root, "details.incidents[1].at"), Some(&json!("x")));
        assert_eq!(lookup(&root, "details.incidents[7].at"), None);
    }
}
