//! One shape per kind of request, and the small vocabularies they use. What each must
//! satisfy beyond its types is in `check.rs`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::domain::plate::Plate;
use crate::domain::resident_id::ResidentId;

time::serde::format_description!(date_format, Date, "[year]-[month]-[day]");

crate::labelled_enum! {
    /// Sex as reported (性别).
    pub enum Sex {
        /// 男.
        Male => ("male", "男", "male"),
        /// 女.
        Female => ("female", "女", "female"),
        /// 不详: not known to the reporting family or witness.
        Unknown => ("unknown", "不详", "unknown"),
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

crate::labelled_enum! {
    /// A danger a fugitive poses to officers or the public (危险性).
    pub enum DangerFlag {
        /// 持枪持械.
        Armed => ("armed", "持枪持械", "armed (guns or blades)"),
        /// 有暴力倾向.
        Violent => ("violent", "有暴力倾向", "prone to violence"),
        /// 有自伤自杀倾向.
        SelfHarm => ("self_harm", "有自伤自杀倾向", "risk of self-harm"),
        /// 患传染病.
        Contagious => ("contagious", "患传染病", "contagious disease"),
        /// 其他危险, explained in `danger_notes`.
        Other => ("other", "其他危险", "other danger"),
    }
}

crate::labelled_enum! {
    /// What the requesting station asks the target to do about a fugitive.
    pub enum RequestedAction {
        /// 查找下落: find where the person is, without acting.
        Locate => ("locate", "查找下落", "find whereabouts"),
        /// 拦截: stop the person, e.g. at a checkpoint.
        Intercept => ("intercept", "拦截", "intercept and hold"),
        /// 抓捕: arrest.
        Arrest => ("arrest", "抓捕", "arrest and detain"),
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
