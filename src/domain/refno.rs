//! Reference numbers (协查文号): the short name people use for a case instead of its UUID,
//! e.g. `泰罗阳协〔2026〕12号`. The origin numbers its requests 1, 2, 3… per calendar year in
//! Beijing time and signs the number into the request, so every station shows the same one.
//!
//! A number names a case of its own origin: the label carries the origin's short name, and the
//! ASCII form `2026-12` names this station's own number 12 of 2026 (`<station id>:2026-12`
//! another origin's), for typing in a terminal or a URL without Chinese characters.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::validate::FieldError;
use crate::ids::{CaseId, StationId};

/// The placeholders of a reference number's format.
pub const SHORT: &str = "{short}";
/// See [`SHORT`].
pub const YEAR: &str = "{year}";
/// See [`SHORT`].
pub const NUMBER: &str = "{n}";

/// The format a station uses unless its config names another (公文发文字号 style).
pub const DEFAULT_FORMAT: &str = "{short}协〔{year}〕{n}号";

/// Longest label accepted in a signed request: a label is shown in every list row.
pub const LABEL_MAX: usize = 40;

/// A request's reference number, as the origin signed it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefNo {
    /// The calendar year (Beijing time) the number belongs to.
    pub year: u16,
    /// The number within the year at the origin, from 1.
    pub number: u32,
    /// The number as people read it, e.g. `泰罗阳协〔2026〕12号`.
    pub label: String,
}

impl RefNo {
    /// What is wrong with a number a request carries, as field errors.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if !(2000..=9999).contains(&self.year) || self.number == 0 {
            errors.push(FieldError::new(
                "refno",
                "out_of_range",
                "协查文号的年份或序号无效",
                "the reference number's year or number is invalid",
            ));
        }
        let label = self.label.as_str();
        if label.trim().is_empty()
            || label.trim() != label
            || label.chars().count() > LABEL_MAX
            || crate::domain::text::fault(label, crate::domain::text::Layout::OneLine).is_some()
            || label.parse::<CaseId>().is_ok()
            || ascii_form(label).is_some()
        {
            errors.push(FieldError::new(
                "refno.label",
                "invalid_label",
                "协查文号的写法无效",
                "the reference number's label is not valid",
            ));
        }
        errors
    }
}

/// The label of number `number` of `year` in `format`, with `short` for the station.
pub fn label(format: &str, short: &str, year: u16, number: u32) -> String {
    format.replace(SHORT, short).replace(YEAR, &year.to_string()).replace(NUMBER, &number.to_string())
}

/// Why a configured format and short name cannot be used, if they cannot: the format must say
/// the year and the number, or two cases would share a label, and a label must pass as one
/// in a signed request.
pub fn format_problem(format: &str, short: &str) -> Option<(&'static str, &'static str)> {
    if !format.contains(YEAR) || !format.contains(NUMBER) {
        return Some(("须含 “{year}” 和 “{n}”", "must contain {year} and {n}"));
    }
    let sample = RefNo { year: 2026, number: 12, label: label(format, short, 2026, 12) };
    if !sample.problems().is_empty() {
        return Some((
            "生成的文号无效：过长、含控制字符或首尾空白，或与 2026-12 这样的简写相混",
            "makes invalid labels: too long, with control characters or edge spaces, or like the short form 2026-12",
        ));
    }
    None
}

/// The short name a station is known by in its numbers when its config names none: for
/// `泰顺县公安局罗阳派出所`, the first character of the county before 公安局 and the station's
/// own name between 公安局 and 派出所: `泰罗阳`. A name not of that shape gives itself without
/// a trailing 派出所/分局/公安局, so a number is never left without a name.
pub fn derived_short_name(name: &str) -> String {
    let name = name.trim();
    let own = |part: &str| {
        let mut part = part;
        for suffix in ["派出所", "公安分局", "分局", "公安局", "所"] {
            if let Some(stripped) = part.strip_suffix(suffix)
                && !stripped.is_empty()
            {
                part = stripped;
                break;
            }
        }
        part.to_owned()
    };
    match name.split_once("公安局") {
        Some((county, station)) if !station.is_empty() => {
            county.chars().next().map(String::from).unwrap_or_default() + &own(station)
        }
        _ => own(name),
    }
}

/// What a string typed where a case is expected names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseQuery {
    /// A case id.
    Id(CaseId),
    /// Number `number` of `year` of `origin`; `None` for this station.
    Number {
        /// The origin, when named.
        origin: Option<StationId>,
        /// The year.
        year: u16,
        /// The number.
        number: u32,
    },
    /// A label as shown, e.g. `泰罗阳协〔2026〕12号`.
    Label(String),
}

impl CaseQuery {
    /// Reads what `raw` names: a case id, the ASCII form `2026-12` (`<station>:2026-12`), or
    /// else a label.
    pub fn parse(raw: &str) -> Self {
        let raw = raw.trim();
        if let Ok(id) = raw.parse() {
            return Self::Id(id);
        }
        if let Some((year, number)) = ascii_form(raw) {
            return Self::Number { origin: None, year, number };
        }
        if let Some((station, rest)) = raw.split_once(':')
            && let Ok(origin) = station.parse()
            && let Some((year, number)) = ascii_form(rest)
        {
            return Self::Number { origin: Some(origin), year, number };
        }
        Self::Label(raw.to_owned())
    }
}

/// `raw` as typed where a case is expected, if it could name one: a case id, an ASCII form, or
/// text that could be a label. Lets the command line refuse a slip before asking the node.
pub fn case_ref(raw: &str) -> Result<String, crate::ids::IdError> {
    let plausible = match CaseQuery::parse(raw) {
        CaseQuery::Label(label) => {
            !label.is_empty() && label.chars().count() <= LABEL_MAX && !label.chars().any(char::is_control)
        }
        CaseQuery::Id(_) | CaseQuery::Number { .. } => true,
    };
    if plausible { Ok(raw.trim().to_owned()) } else { Err(crate::ids::IdError::CaseRef(raw.to_owned())) }
}

/// `2026-12` as (2026, 12).
fn ascii_form(raw: &str) -> Option<(u16, u32)> {
    let (year, number) = raw.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if year.len() != 4 || !digits(year) || !digits(number) {
        return None;
    }
    let number: u32 = number.parse().ok()?;
    (number > 0).then_some((year.parse().ok()?, number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_come_from_the_county_and_the_station() {
        assert_eq!(derived_short_name("泰顺县公安局罗阳派出所"), "泰罗阳");
        assert_eq!(derived_short_name("寿宁县公安局犀溪派出所"), "寿犀溪");
        assert_eq!(derived_short_name("苍南县公安局马站派出所"), "苍马站");
        assert_eq!(derived_short_name("罗阳派出所"), "罗阳");
        assert_eq!(derived_short_name("边境检查站"), "边境检查站");
    }

    #[test]
    fn the_default_format_reads_like_a_document_number() {
        assert_eq!(label(DEFAULT_FORMAT, "泰罗阳", 2026, 12), "泰罗阳协〔2026〕12号");
        assert!(format_problem(DEFAULT_FORMAT, "泰罗阳").is_none());
        assert!(format_problem("{short}-{n}", "泰罗阳").is_some());
        assert!(format_problem(DEFAULT_FORMAT, "泰\n罗阳").is_some());
        assert!(format_problem("{year}-{n}", "泰罗阳").is_some());
    }

    #[test]
    fn queries_name_ids_ascii_numbers_and_labels() {
        assert_eq!(CaseQuery::parse("2026-12"), CaseQuery::Number { origin: None, year: 2026, number: 12 });
        assert_eq!(
            CaseQuery::parse("zj-taishun-luoyang:2026-3"),
            CaseQuery::Number { origin: Some("zj-taishun-luoyang".parse().unwrap()), year: 2026, number: 3 }
        );
        assert_eq!(CaseQuery::parse(" 泰罗阳协〔2026〕12号 "), CaseQuery::Label("泰罗阳协〔2026〕12号".into()));
        assert_eq!(CaseQuery::parse("2026-0"), CaseQuery::Label("2026-0".into()));
        let id = CaseId::new();
        assert_eq!(CaseQuery::parse(&id.to_string()), CaseQuery::Id(id));
    }

    #[test]
    fn a_signed_label_must_not_pass_for_an_id_or_an_ascii_form() {
        let good = RefNo { year: 2026, number: 1, label: "泰罗阳协〔2026〕1号".into() };
        assert!(good.problems().is_empty());
        for label in ["2026-1", " x", "", "a\nb", "泰\u{202e}罗阳协〔2026〕1号"] {
            assert!(!RefNo { label: label.into(), ..good.clone() }.problems().is_empty(), "{label:?}");
        }
        assert!(!RefNo { number: 0, ..good }.problems().is_empty());
    }
}
