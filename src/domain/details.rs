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
use time::{Date, Duration, OffsetDateTime};

use super::plate::Plate;
use super::resident_id::ResidentId;
use super::validate::{Errors, FieldError};

time::serde::format_description!(date_format, Date, "[year]-[month]-[day]");

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

/// Sex as reported (性别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 男.
    Male,
    /// 女.
    Female,
    /// 不详: not known to the reporting family or witness.
    Unknown,
}

impl Sex {
    /// The Chinese word.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Male => "男",
            Self::Female => "女",
            Self::Unknown => "性别不详",
        }
    }
}

/// 失踪人员: a person reported missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MissingPerson {
    /// 姓名.
    pub name: String,
    /// 性别.
    pub sex: Sex,
    /// 年龄 in years as reported (周岁 or 虚岁), when the birth date is not known exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<u8>,
    /// 出生日期.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "date_format::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub birth_date: Option<Date>,
    /// 公民身份号码, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "11010519491231002X")]
    pub id_number: Option<ResidentId>,
    /// 体貌特征: height, build, clothing, anything that helps recognise the person.
    pub description: String,
    /// 最后出现地点.
    pub last_seen_place: String,
    /// 最后出现时间.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_seen_at: OffsetDateTime,
    /// 联系方式 of the family or the reporting person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// 健康状况及风险提示: illness, medication, dementia, suicide risk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_notes: Option<String>,
}

/// A danger a fugitive poses to officers or the public (危险性).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DangerFlag {
    /// 持枪持械: may carry a firearm or weapon.
    Armed,
    /// 有暴力倾向.
    Violent,
    /// 有自伤自杀倾向.
    SelfHarm,
    /// 患传染病.
    Contagious,
    /// 其他危险, explained in `danger_notes`.
    Other,
}

impl DangerFlag {
    /// The Chinese wording.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Armed => "持枪持械",
            Self::Violent => "有暴力倾向",
            Self::SelfHarm => "有自伤自杀倾向",
            Self::Contagious => "患传染病",
            Self::Other => "其他危险",
        }
    }
}

/// What the requesting station asks the target to do about a fugitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestedAction {
    /// 查找下落: find where the person is, without acting.
    Locate,
    /// 拦截: stop the person, e.g. at a checkpoint.
    Intercept,
    /// 抓捕: arrest.
    Arrest,
}

impl RequestedAction {
    /// The Chinese wording.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Locate => "查找下落",
            Self::Intercept => "拦截",
            Self::Arrest => "抓捕",
        }
    }
}

/// A vehicle linked to a case; a plate, a description, or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Vehicle {
    /// 车牌号, normalised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "浙C12345")]
    pub plate: Option<Plate>,
    /// 车辆特征: make, colour, marks. May be empty when the plate is given.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// 在逃人员: a person wanted on a warrant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fugitive {
    /// 姓名.
    pub name: String,
    /// 公民身份号码. Optional because some fugitives are known only by name, but a request
    /// without it cannot be matched against other cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "11010519491231002X")]
    pub id_number: Option<ResidentId>,
    /// 网上追逃编号 or the case number behind the warrant.
    pub warrant_number: String,
    /// 涉嫌罪名.
    pub offence: String,
    /// 危险性 flags; a set, so the signed form has one order and no repeats.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub danger: BTreeSet<DangerFlag>,
    /// Explanation of the dangers, required when `danger` contains `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub danger_notes: Option<String>,
    /// 涉案车辆.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vehicles: Vec<Vehicle>,
    /// 最后已知位置.
    pub last_known_location: String,
    /// When the person was last known to be there.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_known_at: Option<OffsetDateTime>,
    /// 请求采取的措施.
    pub action: RequestedAction,
}

/// A suspect in a series of thefts; at least one of the fields must say something.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Suspect {
    /// 姓名, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 公民身份号码, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "11010519491231002X")]
    pub id_number: Option<ResidentId>,
    /// 体貌特征.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// One theft in a series (案发情况).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    /// 案发时间.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// 案发地点.
    pub place: String,
    /// 简要案情.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
}

/// 系列盗窃: thefts on both sides of the border that look like one series (串并案).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SerialTheft {
    /// 关联案件编号, at least one.
    pub linked_case_numbers: Vec<String>,
    /// 作案手法.
    pub modus_operandi: String,
    /// 被盗物品.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stolen_items: Vec<String>,
    /// 嫌疑人.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suspects: Vec<Suspect>,
    /// 涉案车辆.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vehicles: Vec<Vehicle>,
    /// 案发情况, at least one; any order.
    pub incidents: Vec<Incident>,
}

/// A party to a dispute (当事人): a person, family, village or company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// 姓名或单位名称.
    pub name: String,
    /// 身份或所属单位, e.g. "承包方" or "寿宁县犀溪镇某村村民".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// 联系方式.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// 矛盾纠纷: a dispute that needs mediation by stations on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Dispute {
    /// 当事人, at least two.
    pub parties: Vec<Party>,
    /// 纠纷发生地点.
    pub place: String,
    /// 纠纷简要情况.
    pub summary: String,
    /// 纠纷起始日期.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "date_format::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub disputed_since: Option<Date>,
}

/// 其他协查: anything that fits no other kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct General {
    /// 协查事项, a one-line subject.
    pub subject: String,
    /// 协查请求内容.
    pub request: String,
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

/// Collects field errors for one details object, with the clock it is judged against.
struct Check {
    errors: Errors,
    /// Latest acceptable instant for a reported time.
    latest: OffsetDateTime,
    /// Today's date in Beijing, the latest acceptable calendar date.
    today: Date,
}

impl Check {
    fn new(now: OffsetDateTime) -> Self {
        let latest = now.checked_add(CLOCK_SKEW).unwrap_or(now);
        Self { errors: Errors::default(), latest, today: beijing_date(latest) }
    }

    fn push(&mut self, field: &str, code: &'static str, zh: impl Into<String>, en: impl Into<String>) {
        self.errors.push(FieldError::new(format!("details.{field}"), code, zh, en));
    }

    /// A required text: not blank, at most `max` characters.
    fn text(&mut self, field: &str, value: &str, max: usize, zh_label: &str, en_label: &str) {
        let path = format!("details.{field}");
        self.errors.require_text(&path, value, zh_label, en_label);
        self.errors.limit_chars(&path, value, max);
    }

    /// An optional text: at most `max` characters.
    fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        self.errors.limit_chars(&format!("details.{field}"), value.unwrap_or_default(), max);
    }

    fn not_future(&mut self, field: &str, at: OffsetDateTime, zh_label: &str, en_label: &str) {
        if at > self.latest {
            self.push(
                field,
                "in_future",
                format!("{zh_label}不能晚于当前时间"),
                format!("{en_label} cannot be in the future"),
            );
        }
    }

    fn date_not_future(&mut self, field: &str, date: Date, zh_label: &str, en_label: &str) {
        if date > self.today {
            self.push(
                field,
                "in_future",
                format!("{zh_label}不能晚于今天"),
                format!("{en_label} cannot be in the future"),
            );
        }
    }

    /// A list that needs at least `min` items; `zh_few`/`en_few` say what is missing.
    fn at_least(&mut self, field: &str, len: usize, min: usize, zh_few: &str, en_few: &str) {
        if len < min {
            self.push(field, "too_few", zh_few, en_few);
        }
        self.at_most(field, len);
    }

    /// Any list: at most [`LIST_MAX`] items.
    fn at_most(&mut self, field: &str, len: usize) {
        if len > LIST_MAX {
            self.push(field, "too_many", format!("最多填写 {LIST_MAX} 项"), format!("at most {LIST_MAX} items"));
        }
    }

    /// A resident ID whose embedded birth date has not happened yet is a typo; parsing could
    /// not catch it because it has no clock.
    fn id_number(&mut self, field: &str, id: &ResidentId) {
        if id.birth_date() > self.today {
            self.push(
                field,
                "in_future",
                "身份证号码中的出生日期晚于今天，请核对",
                "the birth date in the resident ID is in the future",
            );
        }
    }

    fn vehicles(&mut self, vehicles: &[Vehicle]) {
        self.at_most("vehicles", vehicles.len());
        for (i, vehicle) in vehicles.iter().enumerate() {
            let field = format!("vehicles[{i}].description");
            if vehicle.plate.is_none() && vehicle.description.trim().is_empty() {
                self.push(
                    &field,
                    "required",
                    "请填写车牌号或车辆特征",
                    "give the plate or a description of the vehicle",
                );
            }
            self.optional_text(&field, Some(vehicle.description.as_str()), SHORT_TEXT_MAX);
        }
    }
}

impl MissingPerson {
    fn validate(&self, check: &mut Check) {
        check.text("name", &self.name, NAME_MAX, "失踪人员姓名", "missing person's name");
        check.text("description", &self.description, LONG_TEXT_MAX, "失踪人员体貌特征", "description");
        check.text("last_seen_place", &self.last_seen_place, SHORT_TEXT_MAX, "最后出现地点", "place last seen");
        check.not_future("last_seen_at", self.last_seen_at, "最后出现时间", "time last seen");
        check.optional_text("contact", self.contact.as_deref(), SHORT_TEXT_MAX);
        check.optional_text("risk_notes", self.risk_notes.as_deref(), LONG_TEXT_MAX);
        self.validate_identity(check);
    }

    /// Age, birth date, ID number and sex must be given in some form and agree with each other.
    fn validate_identity(&self, check: &mut Check) {
        if self.age.is_none() && self.birth_date.is_none() && self.id_number.is_none() {
            check.push(
                "age",
                "required",
                "请填写失踪人员的年龄、出生日期或身份证号码",
                "give the missing person's age, birth date or resident ID",
            );
        }
        if let Some(id) = &self.id_number {
            self.validate_id_number(check, id);
        }
        if let Some(birth) = self.birth_date {
            check.date_not_future("birth_date", birth, "出生日期", "birth date");
            if birth > beijing_date(self.last_seen_at) {
                check.push(
                    "birth_date",
                    "out_of_order",
                    "出生日期不能晚于最后出现时间",
                    "birth date is after the time last seen",
                );
            }
        }
        self.validate_age(check);
    }

    fn validate_id_number(&self, check: &mut Check, id: &ResidentId) {
        check.id_number("id_number", id);
        if self.birth_date.is_some_and(|birth| birth != id.birth_date()) {
            check.push(
                "birth_date",
                "inconsistent_birth_date",
                "出生日期与身份证号码不一致",
                "birth date does not match the resident ID",
            );
        }
        let id_sex = if id.is_male() { Sex::Male } else { Sex::Female };
        if self.sex != Sex::Unknown && self.sex != id_sex {
            check.push("sex", "inconsistent_sex", "性别与身份证号码不一致", "sex does not match the resident ID");
        }
    }

    /// The reported age may be the age when last seen or now, and families often give 虚岁
    /// (nominal age, one or two more than full years), so the check allows a year below the
    /// age when last seen and two above the age today.
    fn validate_age(&self, check: &mut Check) {
        let Some(age) = self.age else { return };
        if age > AGE_MAX {
            check.push(
                "age",
                "out_of_range",
                format!("年龄应在 0 至 {AGE_MAX} 岁之间"),
                format!("age must be 0 to {AGE_MAX}"),
            );
            return;
        }
        let Some(birth) = self.known_birth_date() else {
            return;
        };
        let lowest = full_years(birth, beijing_date(self.last_seen_at)) - 1;
        let highest = full_years(birth, check.today) + 2;
        if !(lowest..=highest).contains(&i32::from(age)) {
            check.push("age", "inconsistent_age", "年龄与出生日期不符", "age does not match the birth date");
        }
    }

    /// The birth date as given, or else as encoded in the resident ID.
    fn known_birth_date(&self) -> Option<Date> {
        self.birth_date.or_else(|| self.id_number.as_ref().map(ResidentId::birth_date))
    }

    fn summary_zh(&self) -> String {
        let mut traits = Vec::new();
        if self.sex != Sex::Unknown {
            traits.push(self.sex.zh().to_owned());
        }
        let age = self
            .age
            .map(i32::from)
            .or_else(|| self.known_birth_date().map(|birth| full_years(birth, beijing_date(self.last_seen_at))));
        if let Some(age) = age {
            traits.push(format!("{age}岁"));
        }
        let traits = if traits.is_empty() { String::new() } else { format!("（{}）", traits.join("，")) };
        format!(
            "失踪人员 {}{traits}，最后出现于 {}，{}",
            one_line(&self.name, 20),
            one_line(&self.last_seen_place, 40),
            crate::clock::local_minute(self.last_seen_at)
        )
    }
}

impl Fugitive {
    fn validate(&self, check: &mut Check) {
        check.text("name", &self.name, NAME_MAX, "在逃人员姓名", "fugitive's name");
        check.text(
            "warrant_number",
            &self.warrant_number,
            CASE_NUMBER_MAX,
            "网上追逃编号或案件编号",
            "warrant or case number",
        );
        check.text("offence", &self.offence, SHORT_TEXT_MAX, "涉嫌罪名", "offence");
        check.text(
            "last_known_location",
            &self.last_known_location,
            SHORT_TEXT_MAX,
            "最后已知位置",
            "last known location",
        );
        if let Some(at) = self.last_known_at {
            check.not_future("last_known_at", at, "最后出现时间", "time last known");
        }
        if let Some(id) = &self.id_number {
            check.id_number("id_number", id);
        }
        let notes = self.danger_notes.as_deref().unwrap_or_default();
        if self.danger.contains(&DangerFlag::Other) && notes.trim().is_empty() {
            check.push("danger_notes", "required", "请说明其他危险情况", "describe the other danger");
        }
        check.optional_text("danger_notes", Some(notes), LONG_TEXT_MAX);
        check.vehicles(&self.vehicles);
    }

    fn summary_zh(&self) -> String {
        let mut text = format!(
            "在逃人员 {}（涉嫌{}，编号 {}），最后位于 {}；请求{}",
            one_line(&self.name, 20),
            one_line(&self.offence, 20),
            one_line(&self.warrant_number, 30),
            one_line(&self.last_known_location, 40),
            self.action.zh()
        );
        if !self.danger.is_empty() {
            let dangers: Vec<&str> = self.danger.iter().map(|d| d.zh()).collect();
            text.push_str(&format!("；危险：{}", dangers.join("、")));
        }
        text
    }
}

impl SerialTheft {
    fn validate(&self, check: &mut Check) {
        check.at_least(
            "linked_case_numbers",
            self.linked_case_numbers.len(),
            1,
            "请至少填写一个关联案件编号",
            "give at least one linked case number",
        );
        self.validate_case_numbers(check);
        check.text("modus_operandi", &self.modus_operandi, LONG_TEXT_MAX, "作案手法", "modus operandi");
        check.at_most("stolen_items", self.stolen_items.len());
        for (i, item) in self.stolen_items.iter().enumerate() {
            check.text(&format!("stolen_items[{i}]"), item, SHORT_TEXT_MAX, "被盗物品名称", "stolen item");
        }
        check.at_most("suspects", self.suspects.len());
        for (i, suspect) in self.suspects.iter().enumerate() {
            suspect.validate(check, i);
        }
        check.vehicles(&self.vehicles);
        check.at_least("incidents", self.incidents.len(), 1, "请至少填写一起案发情况", "give at least one incident");
        for (i, incident) in self.incidents.iter().enumerate() {
            incident.validate(check, i);
        }
    }

    /// Each number present and short; a number listed twice (after normalisation) is flagged,
    /// since it would double-count the series.
    fn validate_case_numbers(&self, check: &mut Check) {
        let mut seen = BTreeSet::new();
        for (i, number) in self.linked_case_numbers.iter().enumerate() {
            let field = format!("linked_case_numbers[{i}]");
            check.text(&field, number, CASE_NUMBER_MAX, "关联案件编号", "linked case number");
            let normalised = normalise_case_number(number);
            if !normalised.is_empty() && !seen.insert(normalised) {
                check.push(&field, "duplicate", "关联案件编号重复", "linked case number is listed twice");
            }
        }
    }

    fn summary_zh(&self) -> String {
        let first = self.linked_case_numbers.first().map(|n| one_line(n, 30)).unwrap_or_default();
        let more = match self.linked_case_numbers.len() {
            0 | 1 => String::new(),
            n => format!(" 等 {n} 起"),
        };
        format!(
            "系列盗窃 {} 起（关联案件 {first}{more}），作案手法：{}",
            self.incidents.len(),
            one_line(&self.modus_operandi, 40)
        )
    }
}

impl Suspect {
    fn validate(&self, check: &mut Check, index: usize) {
        let name = self.name.as_deref().unwrap_or_default();
        if name.trim().is_empty() && self.id_number.is_none() && self.description.trim().is_empty() {
            check.push(
                &format!("suspects[{index}].description"),
                "required",
                "请至少填写嫌疑人姓名、身份证号码或体貌特征之一",
                "give the suspect's name, resident ID or description",
            );
        }
        check.optional_text(&format!("suspects[{index}].name"), Some(name), NAME_MAX);
        if let Some(id) = &self.id_number {
            check.id_number(&format!("suspects[{index}].id_number"), id);
        }
        check.optional_text(&format!("suspects[{index}].description"), Some(self.description.as_str()), LONG_TEXT_MAX);
    }
}

impl Incident {
    fn validate(&self, check: &mut Check, index: usize) {
        check.not_future(&format!("incidents[{index}].at"), self.at, "案发时间", "incident time");
        check.text(&format!("incidents[{index}].place"), &self.place, SHORT_TEXT_MAX, "案发地点", "incident place");
        check.optional_text(&format!("incidents[{index}].summary"), Some(self.summary.as_str()), LONG_TEXT_MAX);
    }
}

impl Dispute {
    fn validate(&self, check: &mut Check) {
        check.at_least("parties", self.parties.len(), 2, "请至少填写两方当事人", "give at least two parties");
        for (i, party) in self.parties.iter().enumerate() {
            check.text(&format!("parties[{i}].name"), &party.name, NAME_MAX, "当事人姓名或单位名称", "party's name");
            check.optional_text(&format!("parties[{i}].role"), party.role.as_deref(), SHORT_TEXT_MAX);
            check.optional_text(&format!("parties[{i}].contact"), party.contact.as_deref(), SHORT_TEXT_MAX);
        }
        check.text("place", &self.place, SHORT_TEXT_MAX, "纠纷发生地点", "place of the dispute");
        check.text("summary", &self.summary, LONG_TEXT_MAX, "纠纷简要情况", "summary of the dispute");
        if let Some(since) = self.disputed_since {
            check.date_not_future("disputed_since", since, "纠纷起始日期", "start of the dispute");
        }
    }

    fn summary_zh(&self) -> String {
        let names: Vec<String> = self.parties.iter().take(2).map(|p| one_line(&p.name, 20)).collect();
        let more = if self.parties.len() > 2 { format!(" 等 {} 方", self.parties.len()) } else { String::new() };
        format!(
            "矛盾纠纷 {}{more}，地点 {}：{}",
            names.join(" 与 "),
            one_line(&self.place, 40),
            one_line(&self.summary, 40)
        )
    }
}

impl General {
    fn validate(&self, check: &mut Check) {
        check.text("subject", &self.subject, SHORT_TEXT_MAX, "协查事项", "subject");
        check.text("request", &self.request, LONG_TEXT_MAX, "协查请求内容", "request");
    }
}

/// The calendar date of `at` in Beijing.
fn beijing_date(at: OffsetDateTime) -> Date {
    crate::clock::beijing_date(at)
}

/// Full years (周岁) from `birth` to `on`.
fn full_years(birth: Date, on: Date) -> i32 {
    let years = on.year() - birth.year();
    let before_birthday = (u8::from(on.month()), on.day()) < (u8::from(birth.month()), birth.day());
    if before_birthday { years - 1 } else { years }
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use time::macros::{date, datetime};

    const NOW: OffsetDateTime = datetime!(2024-05-02 12:00 +8);

    fn parse(value: Value) -> Result<CaseDetails, serde_json::Error> {
        serde_json::from_value(value)
    }

    fn codes_at(details: &CaseDetails) -> Vec<(String, &'static str)> {
        details.validate(NOW).into_iter().map(|e| (e.field, e.code)).collect()
    }

    fn has(details: &CaseDetails, field: &str, code: &str) -> bool {
        codes_at(details).iter().any(|(f, c)| f == field && *c == code)
    }

    fn missing_person_json() -> Value {
        json!({
            "kind": "missing_person",
            "name": "王某某",
            "sex": "male",
            "age": 78,
            "description": "身高约165厘米，穿蓝色中山装，患阿尔茨海默病",
            "last_seen_place": "泰顺县罗阳镇",
            "last_seen_at": "2024-05-01T08:30:00+08:00"
        })
    }

    fn fugitive_json() -> Value {
        json!({
            "kind": "fugitive",
            "name": "张某",
            "id_number": "11010519491231002x",
            "warrant_number": "t 3303 2920 24 ",
            "offence": "抢劫罪",
            "danger": ["violent", "armed", "armed"],
            "vehicles": [{ "plate": "闽J·D12345", "description": "白色轿车" }],
            "last_known_location": "寿宁县犀溪镇",
            "action": "arrest"
        })
    }

    fn serial_theft_json() -> Value {
        json!({
            "kind": "serial_theft",
            "linked_case_numbers": ["A3303290500002024050001", "a3303290500002024050002"],
            "modus_operandi": "夜间撬锁入室",
            "stolen_items": ["电动车电瓶"],
            "suspects": [{ "description": "男，30岁左右，戴黑色头盔" }],
            "vehicles": [{ "plate": "浙C12345" }],
            "incidents": [
                { "at": "2024-04-20T02:00:00+08:00", "place": "罗阳镇新城路" },
                { "at": "2024-04-22T03:00:00+08:00", "place": "犀溪镇仙都村", "summary": "盗走电瓶两块" }
            ]
        })
    }

    fn dispute_json() -> Value {
        json!({
            "kind": "dispute",
            "parties": [{ "name": "李某", "role": "泰顺县村民" }, { "name": "陈某", "contact": "138****0000" }],
            "place": "两县交界茶山",
            "summary": "茶山承包边界纠纷",
            "disputed_since": "2024-03-01"
        })
    }

    fn general_json() -> Value {
        json!({ "kind": "general", "subject": "核查一辆可疑车辆", "request": "请协助核查该车近期行驶轨迹" })
    }

    fn all_valid_json() -> [Value; 5] {
        [missing_person_json(), fugitive_json(), serial_theft_json(), dispute_json(), general_json()]
    }

    /// `json` with `key` set to `value`.
    fn with(mut json: Value, key: &str, value: Value) -> CaseDetails {
        json[key] = value;
        parse(json).unwrap()
    }

    #[test]
    fn every_valid_example_parses_validates_and_round_trips() {
        for json in all_valid_json() {
            let details = parse(json.clone()).unwrap();
            assert_eq!(details.validate(NOW), vec![], "{json}");
            let again: CaseDetails = serde_json::from_str(&serde_json::to_string(&details).unwrap()).unwrap();
            assert_eq!(again, details);
            assert_eq!(serde_json::to_value(details.kind()).unwrap(), json["kind"]);
        }
    }

    #[test]
    fn unknown_fields_are_rejected_inside_every_kind() {
        for mut json in all_valid_json() {
            json["nmae"] = json!("typo");
            let err = parse(json.clone()).unwrap_err();
            assert!(err.to_string().contains("unknown field `nmae`"), "{json}: {err}");
        }
    }

    #[test]
    fn unknown_fields_are_rejected_in_nested_objects() {
        let mut json = serial_theft_json();
        json["incidents"][0]["where"] = json!("x");
        assert!(parse(json).unwrap_err().to_string().contains("unknown field `where`"));
        let mut json = fugitive_json();
        json["vehicles"][0]["colour"] = json!("white");
        assert!(parse(json).unwrap_err().to_string().contains("unknown field `colour`"));
    }

    #[test]
    fn unknown_kind_and_missing_kind_are_rejected() {
        assert!(parse(json!({ "kind": "burglary", "subject": "x", "request": "y" })).is_err());
        assert!(parse(json!({ "subject": "x", "request": "y" })).is_err());
    }

    #[test]
    fn malformed_ids_plates_and_dates_are_rejected_by_deserialisation() {
        let mut json = fugitive_json();
        json["id_number"] = json!("110105194912310021");
        assert!(parse(json).is_err());
        let mut json = fugitive_json();
        json["vehicles"][0]["plate"] = json!("浙C1234");
        assert!(parse(json).is_err());
        let mut json = dispute_json();
        json["disputed_since"] = json!("2024-02-30");
        assert!(parse(json).is_err());
        let mut json = missing_person_json();
        json["last_seen_at"] = json!("2024-05-01 08:30");
        assert!(parse(json).is_err());
    }

    #[test]
    fn optional_fields_are_omitted_when_serialised() {
        let details = parse(general_json()).unwrap();
        let value = serde_json::to_value(&details).unwrap();
        assert_eq!(value, general_json());
        let value = serde_json::to_value(parse(missing_person_json()).unwrap()).unwrap();
        assert!(value.get("birth_date").is_none() && value.get("id_number").is_none());
    }

    #[test]
    fn dates_use_year_month_day() {
        let details = with(missing_person_json(), "birth_date", json!("1946-02-03"));
        assert_eq!(serde_json::to_value(&details).unwrap()["birth_date"], json!("1946-02-03"));
    }

    #[test]
    fn blank_required_texts_are_reported_in_chinese_first() {
        let details = with(missing_person_json(), "name", json!("  "));
        let errors = details.validate(NOW);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "details.name");
        assert_eq!(errors[0].code, "required");
        assert_eq!(errors[0].zh, "请填写失踪人员姓名");
    }

    #[test]
    fn over_long_texts_are_too_long() {
        assert!(has(&with(missing_person_json(), "name", json!("王".repeat(65))), "details.name", "too_long"));
        assert!(!has(&with(missing_person_json(), "name", json!("王".repeat(64))), "details.name", "too_long"));
        assert!(has(&with(general_json(), "request", json!("字".repeat(4001))), "details.request", "too_long"));
        assert!(has(&with(dispute_json(), "place", json!("地".repeat(201))), "details.place", "too_long"));
    }

    #[test]
    fn last_seen_in_the_future_is_refused_beyond_clock_skew() {
        let soon = with(missing_person_json(), "last_seen_at", json!("2024-05-02T12:04:00+08:00"));
        assert!(!has(&soon, "details.last_seen_at", "in_future"));
        let later = with(missing_person_json(), "last_seen_at", json!("2024-05-02T04:06:00Z"));
        assert!(has(&later, "details.last_seen_at", "in_future"));
    }

    #[test]
    fn missing_person_needs_age_birth_date_or_id() {
        let mut json = missing_person_json();
        json.as_object_mut().unwrap().remove("age");
        assert!(has(&parse(json.clone()).unwrap(), "details.age", "required"));
        json["id_number"] = json!("11010519491231002X");
        json["sex"] = json!("female");
        assert_eq!(parse(json).unwrap().validate(NOW), vec![]);
    }

    #[test]
    fn impossible_age_is_out_of_range() {
        assert!(has(&with(missing_person_json(), "age", json!(131)), "details.age", "out_of_range"));
        let mut json = missing_person_json();
        json["age"] = json!(300);
        assert!(parse(json).is_err(), "u8 refuses it before validation");
    }

    #[test]
    fn age_must_roughly_match_birth_date() {
        let mut json = missing_person_json();
        json["birth_date"] = json!("1946-02-03");
        // 78 full years on 2024-05-01; 虚岁 79 or 80 is accepted too.
        for age in [77, 78, 79, 80] {
            assert!(!has(&with(json.clone(), "age", json!(age)), "details.age", "inconsistent_age"), "{age}");
        }
        for age in [76, 81, 30] {
            assert!(has(&with(json.clone(), "age", json!(age)), "details.age", "inconsistent_age"), "{age}");
        }
    }

    #[test]
    fn birth_date_must_match_the_resident_id() {
        let mut json = missing_person_json();
        json["sex"] = json!("female");
        json["age"] = json!(74);
        json["id_number"] = json!("11010519491231002X");
        json["birth_date"] = json!("1949-12-30");
        assert!(has(&parse(json.clone()).unwrap(), "details.birth_date", "inconsistent_birth_date"));
        json["birth_date"] = json!("1949-12-31");
        assert_eq!(parse(json).unwrap().validate(NOW), vec![]);
    }

    #[test]
    fn sex_must_match_the_resident_id() {
        let mut json = missing_person_json();
        json["id_number"] = json!("11010519491231002X");
        json["age"] = json!(74);
        assert!(has(&parse(json.clone()).unwrap(), "details.sex", "inconsistent_sex"));
        json["sex"] = json!("unknown");
        assert!(!has(&parse(json).unwrap(), "details.sex", "inconsistent_sex"));
    }

    #[test]
    fn birth_date_after_last_seen_or_in_future_is_refused() {
        let mut json = missing_person_json();
        json.as_object_mut().unwrap().remove("age");
        json["last_seen_at"] = json!("2020-01-01T00:00:00+08:00");
        let details = with(json.clone(), "birth_date", json!("2021-06-01"));
        assert!(has(&details, "details.birth_date", "out_of_order"));
        let details = with(json, "birth_date", json!("2024-05-03"));
        assert!(has(&details, "details.birth_date", "in_future"));
    }

    #[test]
    fn resident_id_born_in_the_future_is_refused() {
        let first17 = "33032920300101123";
        let id = format!("{first17}{}", super::super::resident_id::check_char(first17).unwrap());
        assert!(has(&with(fugitive_json(), "id_number", json!(id)), "details.id_number", "in_future"));
    }

    #[test]
    fn other_danger_needs_an_explanation() {
        let details = with(fugitive_json(), "danger", json!(["other"]));
        assert!(has(&details, "details.danger_notes", "required"));
        let mut json = fugitive_json();
        json["danger"] = json!(["other"]);
        json["danger_notes"] = json!("随身携带汽油");
        assert_eq!(parse(json).unwrap().validate(NOW), vec![]);
    }

    #[test]
    fn danger_flags_are_a_set_in_fixed_order() {
        let value = serde_json::to_value(parse(fugitive_json()).unwrap()).unwrap();
        assert_eq!(value["danger"], json!(["armed", "violent"]));
    }

    #[test]
    fn vehicle_needs_plate_or_description() {
        let details = with(fugitive_json(), "vehicles", json!([{ "description": " " }]));
        assert!(has(&details, "details.vehicles[0].description", "required"));
        assert_eq!(with(fugitive_json(), "vehicles", json!([{ "plate": "浙C12345" }])).validate(NOW), vec![]);
    }

    #[test]
    fn serial_theft_needs_a_case_number_and_an_incident() {
        let details = with(serial_theft_json(), "linked_case_numbers", json!([]));
        assert!(has(&details, "details.linked_case_numbers", "too_few"));
        let details = with(serial_theft_json(), "incidents", json!([]));
        assert!(has(&details, "details.incidents", "too_few"));
    }

    #[test]
    fn duplicate_and_blank_case_numbers_are_reported() {
        let details = with(serial_theft_json(), "linked_case_numbers", json!(["A1", " a 1", ""]));
        assert!(has(&details, "details.linked_case_numbers[1]", "duplicate"));
        assert!(has(&details, "details.linked_case_numbers[2]", "required"));
    }

    #[test]
    fn incident_in_the_future_is_reported_at_its_index() {
        let mut json = serial_theft_json();
        json["incidents"][1]["at"] = json!("2024-05-03T00:00:00+08:00");
        let details = parse(json).unwrap();
        assert_eq!(codes_at(&details), vec![("details.incidents[1].at".to_owned(), "in_future")]);
    }

    #[test]
    fn incidents_may_be_listed_in_any_order() {
        let mut json = serial_theft_json();
        json["incidents"].as_array_mut().unwrap().reverse();
        assert_eq!(parse(json).unwrap().validate(NOW), vec![]);
    }

    #[test]
    fn lists_are_capped() {
        let items: Vec<String> = (0..51).map(|i| format!("物品{i}")).collect();
        assert!(has(&with(serial_theft_json(), "stolen_items", json!(items)), "details.stolen_items", "too_many"));
        let blank = with(serial_theft_json(), "stolen_items", json!(["电瓶", ""]));
        assert!(has(&blank, "details.stolen_items[1]", "required"));
    }

    #[test]
    fn suspect_must_be_described_somehow() {
        let details = with(serial_theft_json(), "suspects", json!([{ "name": " " }]));
        assert!(has(&details, "details.suspects[0].description", "required"));
    }

    #[test]
    fn dispute_needs_two_parties_with_names() {
        let details = with(dispute_json(), "parties", json!([{ "name": "李某" }]));
        assert!(has(&details, "details.parties", "too_few"));
        let details = with(dispute_json(), "parties", json!([{ "name": "李某" }, { "name": "" }]));
        assert!(has(&details, "details.parties[1].name", "required"));
    }

    #[test]
    fn dispute_cannot_start_in_the_future() {
        assert!(has(
            &with(dispute_json(), "disputed_since", json!("2024-05-03")),
            "details.disputed_since",
            "in_future"
        ));
        assert!(!has(
            &with(dispute_json(), "disputed_since", json!("2024-05-02")),
            "details.disputed_since",
            "in_future"
        ));
    }

    #[test]
    fn general_needs_subject_and_request() {
        let details = parse(json!({ "kind": "general", "subject": "", "request": "\n" })).unwrap();
        let fields: Vec<_> = codes_at(&details).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["details.subject", "details.request"]);
    }

    #[test]
    fn subject_keys_are_normalised_deduplicated_and_sorted() {
        let keys = parse(fugitive_json()).unwrap().subject_keys();
        assert_eq!(
            keys,
            vec![
                SubjectKey::ResidentId("11010519491231002X".to_owned()),
                SubjectKey::Plate("闽JD12345".to_owned()),
                SubjectKey::CaseNumber("T3303292024".to_owned()),
            ]
        );
        let mut json = serial_theft_json();
        json["linked_case_numbers"] = json!(["a 1", "A1", "b2"]);
        json["suspects"] = json!([{ "id_number": "11010519491231002X" }, { "id_number": "11010519491231002x" }]);
        json["vehicles"] = json!([{ "plate": "浙C12345" }, { "plate": "浙C·12345" }]);
        let keys = parse(json).unwrap().subject_keys();
        assert_eq!(
            keys,
            vec![
                SubjectKey::ResidentId("11010519491231002X".to_owned()),
                SubjectKey::Plate("浙C12345".to_owned()),
                SubjectKey::CaseNumber("A1".to_owned()),
                SubjectKey::CaseNumber("B2".to_owned()),
            ]
        );
        assert!(parse(dispute_json()).unwrap().subject_keys().is_empty());
    }

    #[test]
    fn index_keys_are_tagged_and_distinct_per_kind() {
        assert_eq!(
            SubjectKey::Plate("浙C12345".to_owned()).index_key(),
            [b"P".as_slice(), "浙C12345".as_bytes()].concat()
        );
        assert_ne!(SubjectKey::CaseNumber("X".to_owned()).index_key(), SubjectKey::Plate("X".to_owned()).index_key());
    }

    #[test]
    fn case_kind_names_match_serde_and_parse_back() {
        for kind in CaseKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
            assert_eq!(kind.as_str().parse::<CaseKind>(), Ok(kind));
            assert!(!kind.zh().is_empty() && !kind.en().is_empty());
        }
        assert_eq!("theft".parse::<CaseKind>(), Err(UnknownCaseKind("theft".to_owned())));
    }

    #[test]
    fn summaries_read_as_one_line() {
        let [missing, fugitive, theft, dispute, general] = all_valid_json().map(|j| parse(j).unwrap().summary_zh());
        assert_eq!(missing, "失踪人员 王某某（男，78岁），最后出现于 泰顺县罗阳镇，2024-05-01 08:30");
        assert_eq!(
            fugitive,
            "在逃人员 张某（涉嫌抢劫罪，编号 t 3303 2920 24），最后位于 寿宁县犀溪镇；请求抓捕；危险：持枪持械、有暴力倾向"
        );
        assert_eq!(theft, "系列盗窃 2 起（关联案件 A3303290500002024050001 等 2 起），作案手法：夜间撬锁入室");
        assert_eq!(dispute, "矛盾纠纷 李某 与 陈某，地点 两县交界茶山：茶山承包边界纠纷");
        assert_eq!(general, "其他协查：核查一辆可疑车辆");
        let long = with(general_json(), "subject", json!(format!("第一行\n{}", "长".repeat(100)))).summary_zh();
        assert!(!long.contains('\n') && long.ends_with('…') && long.chars().count() <= 65, "{long}");
    }

    #[test]
    fn missing_person_summary_derives_age_from_the_id() {
        let mut json = missing_person_json();
        json.as_object_mut().unwrap().remove("age");
        json["sex"] = json!("female");
        json["id_number"] = json!("11010519491231002X");
        assert!(parse(json).unwrap().summary_zh().starts_with("失踪人员 王某某（女，74岁）"));
    }

    #[test]
    fn openapi_components_accept_the_kind_tag() {
        use utoipa::openapi::schema::Schema;
        use utoipa::openapi::{ComponentsBuilder, OpenApiBuilder, RefOr};
        use utoipa::{Modify, ToSchema};

        let mut schemas = Vec::new();
        CaseDetails::schemas(&mut schemas);
        let components = ComponentsBuilder::new().schemas_from_iter(schemas).build();
        let mut openapi = OpenApiBuilder::new().components(Some(components)).build();
        KindTagInSchemas.modify(&mut openapi);
        let schemas = &openapi.components.unwrap().schemas;
        for kind in CaseKind::ALL {
            let Some(RefOr::T(Schema::Object(object))) = schemas.get(kind.schema_name()) else {
                panic!("no component for {kind}");
            };
            assert!(object.additional_properties.is_some(), "{kind} stays closed to unknown fields");
            let tag = serde_json::to_value(&object.properties["kind"]).unwrap();
            assert_eq!(tag["enum"], json!([kind.as_str()]));
            assert_eq!(object.required[0], "kind");
        }
    }

    #[test]
    fn full_years_turn_on_the_birthday() {
        assert_eq!(full_years(date!(1946 - 02 - 03), date!(2024 - 02 - 02)), 77);
        assert_eq!(full_years(date!(1946 - 02 - 03), date!(2024 - 02 - 03)), 78);
    }
}
