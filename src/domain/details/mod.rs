//! The typed body of an assist request (协查请求), one shape per kind, and its validation.
//!
//! Validation happens in two layers. Deserialising refuses anything the types can rule out: an
//! unknown kind, an unknown or missing field, a malformed resident ID, plate or date. Then
//! [`CaseDetails::validate`] checks what types cannot — blank texts, lengths, list sizes, times
//! in the future, dates that contradict each other — and reports every problem at once as
//! [`FieldError`]s whose paths start with `details.`, so the form can mark each field.
//!
//! Times in the future are allowed up to [`CLOCK_SKEW`], because the officer's clock and the
//! node's need not agree to the second. Calendar dates (birth dates, "disputed since") are read
//! as dates in Beijing time, the time every station on this border keeps.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

mod check;
mod kinds;

pub use kinds::*;

use super::resident_id::ResidentId;
use super::validate::FieldError;
use check::Check;

/// Longest personal or party name, in characters.
pub const NAME_MAX: usize = 64;
/// Longest case or warrant number, in characters.
pub const CASE_NUMBER_MAX: usize = 64;
/// Longest short text (a place, an offence, a vehicle description), in characters.
pub const SHORT_TEXT_MAX: usize = 200;
/// Longest free text (a description, a summary, a request), in characters.
pub const LONG_TEXT_MAX: usize = 4000;
/// Most items in any list, so one request cannot grow without bound.
pub const LIST_MAX: usize = 50;
/// Oldest plausible age in years.
pub const AGE_MAX: u8 = 130;
/// How far in the future a reported time may lie before it is refused.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// The kinds of assist request (协查类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// 失踪人员协查: find a missing person.
    MissingPerson,
    /// 在逃人员协查: locate, intercept or arrest a fugitive.
    Fugitive,
    /// 系列盗窃协查: link a series of thefts across the border.
    SerialTheft,
    /// 矛盾纠纷联调: mediate a dispute between parties on both sides.
    Dispute,
    /// 其他协查: anything else.
    General,
}

impl CaseKind {
    /// Every kind, in the order forms list them.
    pub const ALL: [CaseKind; 5] =
        [Self::MissingPerson, Self::Fugitive, Self::SerialTheft, Self::Dispute, Self::General];

    /// The wire name, identical to the serde form: `missing_person`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingPerson => "missing_person",
            Self::Fugitive => "fugitive",
            Self::SerialTheft => "serial_theft",
            Self::Dispute => "dispute",
            Self::General => "general",
        }
    }

    /// The Chinese name officers use.
    pub fn zh(self) -> &'static str {
        match self {
            Self::MissingPerson => "失踪人员协查",
            Self::Fugitive => "在逃人员协查",
            Self::SerialTheft => "系列盗窃协查",
            Self::Dispute => "矛盾纠纷联调",
            Self::General => "其他协查",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            Self::MissingPerson => "Missing person",
            Self::Fugitive => "Fugitive",
            Self::SerialTheft => "Serial theft",
            Self::Dispute => "Dispute mediation",
            Self::General => "Other assistance",
        }
    }
}

impl fmt::Display for CaseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that is not the wire name of any [`CaseKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown case kind '{0}'")]
pub struct UnknownCaseKind(pub String);

impl FromStr for CaseKind {
    type Err = UnknownCaseKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == s).ok_or_else(|| UnknownCaseKind(s.to_owned()))
    }
}

/// The per-kind body of an assist request; `kind` on the wire selects the variant.
///
/// Every variant's struct carries `deny_unknown_fields`: serde hands the variant the object
/// without its `kind` tag, so a misspelt field is refused rather than silently dropped (the
/// tests prove it for each kind).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaseDetails {
    /// 失踪人员协查.
    MissingPerson(MissingPerson),
    /// 在逃人员协查.
    Fugitive(Fugitive),
    /// 系列盗窃协查.
    SerialTheft(SerialTheft),
    /// 矛盾纠纷联调.
    Dispute(Dispute),
    /// 其他协查.
    General(General),
}

impl CaseKind {
    /// Name of the OpenAPI component that describes this kind's details struct.
    fn schema_name(self) -> &'static str {
        match self {
            Self::MissingPerson => "MissingPerson",
            Self::Fugitive => "Fugitive",
            Self::SerialTheft => "SerialTheft",
            Self::Dispute => "Dispute",
            Self::General => "General",
        }
    }
}

/// OpenAPI modifier that lists the `kind` tag inside each details component.
///
/// utoipa turns `deny_unknown_fields` into `additionalProperties: false` on each details
/// struct and adds `kind` beside it in an `allOf`; under JSON Schema that combination rejects
/// every valid body, because `kind` is an additional property of the struct's schema. Adding
/// `kind` to each struct's own properties keeps the schema as strict as the server and makes
/// it accept what the server accepts. Use it as `#[openapi(modifiers(&KindTagInSchemas))]`.
pub struct KindTagInSchemas;

impl utoipa::Modify for KindTagInSchemas {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for kind in CaseKind::ALL {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(kind.schema_name()) {
                let tag = ObjectBuilder::new().schema_type(Type::String).enum_values(Some([kind.as_str()]));
                object.properties.insert("kind".to_owned(), RefOr::T(Schema::Object(tag.build())));
                if !object.required.iter().any(|field| field == "kind") {
                    object.required.insert(0, "kind".to_owned());
                }
            }
        }
    }
}

/// Something a case names that another case may name too: the basis of the same-subject
/// (一人多次) flag. Values are normalised, so equal subjects give equal keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKey {
    /// A resident ID in canonical form.
    ResidentId(String),
    /// A plate in normalised form.
    Plate(String),
    /// A case or warrant number, normalised by [`normalise_case_number`].
    CaseNumber(String),
}

impl SubjectKey {
    /// The normalised value.
    pub fn value(&self) -> &str {
        match self {
            Self::ResidentId(value) | Self::Plate(value) | Self::CaseNumber(value) => value,
        }
    }

    /// Storage key: one tag byte, then the UTF-8 value. The tags are stored on disk and must
    /// never change; they are printable so a dump of the index stays readable.
    pub fn index_key(&self) -> Vec<u8> {
        let tag = match self {
            Self::ResidentId(_) => b'I',
            Self::Plate(_) => b'P',
            Self::CaseNumber(_) => b'C',
        };
        let value = self.value().as_bytes();
        let mut key = Vec::with_capacity(1 + value.len());
        key.push(tag);
        key.extend_from_slice(value);
        key
    }
}

/// Normalises a case or warrant number for matching: trimmed, ASCII upper-cased, with every
/// whitespace character removed (numbers get copied with stray spaces from documents).
pub fn normalise_case_number(number: &str) -> String {
    number.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect()
}

impl CaseDetails {
    /// The kind of request these details belong to.
    pub fn kind(&self) -> CaseKind {
        match self {
            Self::MissingPerson(_) => CaseKind::MissingPerson,
            Self::Fugitive(_) => CaseKind::Fugitive,
            Self::SerialTheft(_) => CaseKind::SerialTheft,
            Self::Dispute(_) => CaseKind::Dispute,
            Self::General(_) => CaseKind::General,
        }
    }

    /// Checks everything the types cannot, as of `now`; empty when the details are acceptable.
    pub fn validate(&self, now: OffsetDateTime) -> Vec<FieldError> {
        let mut check = Check::new(now);
        match self {
            Self::MissingPerson(details) => details.validate(&mut check),
            Self::Fugitive(details) => details.validate(&mut check),
            Self::SerialTheft(details) => details.validate(&mut check),
            Self::Dispute(details) => details.validate(&mut check),
            Self::General(details) => details.validate(&mut check),
        }
        check.errors.into_vec()
    }

    /// Every resident ID, plate and case number these details name: normalised, without
    /// repeats, sorted.
    pub fn subject_keys(&self) -> Vec<SubjectKey> {
        let mut keys = BTreeSet::new();
        let ids = |id: &Option<ResidentId>| {
            id.iter().map(|id| SubjectKey::ResidentId(id.as_str().to_owned())).collect::<Vec<_>>()
        };
        match self {
            Self::MissingPerson(details) => keys.extend(ids(&details.id_number)),
            Self::Fugitive(details) => {
                keys.extend(ids(&details.id_number));
                keys.extend(case_number_key(&details.warrant_number));
                keys.extend(plate_keys(&details.vehicles));
            }
            Self::SerialTheft(details) => {
                keys.extend(details.linked_case_numbers.iter().filter_map(|n| case_number_key(n)));
                keys.extend(details.suspects.iter().flat_map(|s| ids(&s.id_number)));
                keys.extend(plate_keys(&details.vehicles));
            }
            Self::Dispute(_) | Self::General(_) => {}
        }
        keys.into_iter().collect()
    }

    /// A one-line Chinese summary for lists, e.g.
    /// `失踪人员 王某某（男，78岁），最后出现于 泰顺县罗阳镇，2024-05-01 08:30`.
    pub fn summary_zh(&self) -> String {
        match self {
            Self::MissingPerson(details) => details.summary_zh(),
            Self::Fugitive(details) => details.summary_zh(),
            Self::SerialTheft(details) => details.summary_zh(),
            Self::Dispute(details) => details.summary_zh(),
            Self::General(details) => format!("其他协查：{}", one_line(&details.subject, 60)),
        }
    }
}

fn case_number_key(number: &str) -> Option<SubjectKey> {
    let normalised = normalise_case_number(number);
    (!normalised.is_empty()).then_some(SubjectKey::CaseNumber(normalised))
}

fn plate_keys(vehicles: &[Vehicle]) -> impl Iterator<Item = SubjectKey> + '_ {
    vehicles.iter().filter_map(|v| v.plate.as_ref()).map(|p| SubjectKey::Plate(p.as_str().to_owned()))
}

/// Collapses whitespace (including line breaks) and cuts to `max` characters with an ellipsis,
/// so free text fits one line of a list.
fn one_line(text: &str, max: usize) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() <= max {
        return joined;
    }
    let mut cut: String = joined.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests;
