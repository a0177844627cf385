//! Validated identifiers. Every identifier that crosses a trust boundary is parsed once into a
//! newtype, so code further in never handles an unchecked string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;
use uuid::Uuid;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    /// Station ids are lowercase ASCII letters, digits and hyphens, 2–63 long.
    #[error("invalid station id {0:?}: use 2–63 characters a-z, 0-9 and '-', starting with a letter or digit")]
    Station(String),
    /// Case and envelope ids are UUID version 7.
    #[error("invalid id {0:?}: expected a UUID version 7")]
    Uuid(String),
    /// Badge numbers are ASCII letters and digits, 1–32 long.
    #[error("invalid badge number {0:?}: use 1–32 ASCII letters or digits")]
    Badge(String),
    /// Key references look like `<station>#<key-id>`.
    #[error("invalid key reference {0:?}: expected <station>#<key-id>")]
    KeyRef(String),
    /// Division codes are six digits (GB/T 2260).
    #[error("invalid division code {0:?}: expected six digits (GB/T 2260)")]
    Division(String),
    /// Certificate identities are `urn:tiemeng:station:<id>` or `urn:tiemeng:officer:<station>:<badge>`.
    #[error("invalid certificate identity {0:?}")]
    Urn(String),
    /// A case is named by its id or its reference number.
    #[error("invalid case {0:?}: expected a case id (UUID version 7) or a reference number such as 2026-12")]
    CaseRef(String),
}

impl IdError {
    /// The same message in Chinese.
    pub fn zh(&self) -> String {
        match self {
            Self::Station(raw) => {
                format!("单位编号“{raw}”无效：应为 2–63 个小写字母、数字或“-”，以字母或数字开头")
            }
            Self::Uuid(raw) => format!("编号“{raw}”无效：应为协查编号（UUID 第 7 版）"),
            Self::Badge(raw) => format!("警号“{raw}”无效：应为 1–32 个字母或数字"),
            Self::KeyRef(raw) => format!("密钥引用“{raw}”无效：应写成 <单位编号>#<密钥编号>"),
            Self::Division(raw) => format!("行政区划代码“{raw}”无效：应为 6 位数字（GB/T 2260）"),
            Self::Urn(raw) => format!("证书身份“{raw}”无效"),
            Self::CaseRef(raw) => {
                format!("“{raw}”无效：应为协查编号（UUID 第 7 版）或协查文号（如 泰罗阳协〔2026〕12号、2026-12）")
            }
        }
    }
}

macro_rules! string_serde {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                raw.parse().map_err(serde::de::Error::custom)
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A station id such as `zj-taishun-luoyang`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StationId(String);

impl StationId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for StationId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let bytes = s.as_bytes();
        let first_ok = bytes.first().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let rest_ok = bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if first_ok && rest_ok && (2..=63).contains(&bytes.len()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::Station(s.to_owned()))
        }
    }
}
string_serde!(StationId);

/// A badge number (警号), unique within one station.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Badge(String);

impl Badge {
    /// The badge number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Badge {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        if (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::Badge(s.to_owned()))
        }
    }
}
string_serde!(Badge);

/// A GB/T 2260 administrative division code such as `330329` (泰顺县).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Division([u8; 6]);

impl Division {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        // The bytes are ASCII digits by construction.
        std::str::from_utf8(&self.0).unwrap_or("000000")
    }

    /// The two-digit province part (`33` 浙江, `35` 福建) that statistics group by.
    pub fn province(&self) -> Province {
        Province([self.0[0], self.0[1]])
    }
}

impl FromStr for Division {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let bytes: [u8; 6] = s.as_bytes().try_into().map_err(|_| IdError::Division(s.to_owned()))?;
        if bytes.iter().all(u8::is_ascii_digit) { Ok(Self(bytes)) } else { Err(IdError::Division(s.to_owned())) }
    }
}
string_serde!(Division);

/// A province, identified by the first two digits of a division code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Province([u8; 2]);

impl Province {
    /// The two digits as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("00")
    }

    /// The province's short Chinese name, or its code when it is not a known province.
    pub fn name_zh(&self) -> &'static str {
        PROVINCES.iter().find(|(code, _, _)| *code == self.as_str()).map_or("未知省份", |p| p.1)
    }

    /// The province's English name.
    pub fn name_en(&self) -> &'static str {
        PROVINCES.iter().find(|(code, _, _)| *code == self.as_str()).map_or("unknown province", |p| p.2)
    }
}
string_serde!(Province);

impl FromStr for Province {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let bytes: [u8; 2] = s.as_bytes().try_into().map_err(|_| IdError::Division(s.to_owned()))?;
        if bytes.iter().all(u8::is_ascii_digit) { Ok(Self(bytes)) } else { Err(IdError::Division(s.to_owned())) }
    }
}

/// GB/T 2260 province-level codes with short Chinese and English names.
const PROVINCES: &[(&str, &str, &str)] = &[
    ("11", "北京", "Beijing"),
    ("12", "天津", "Tianjin"),
    ("13", "河北", "Hebei"),
    ("14", "山西", "Shanxi"),
    ("15", "内蒙古", "Inner Mongolia"),
    ("21", "辽宁", "Liaoning"),
    ("22", "吉林", "Jilin"),
    ("23", "黑龙江", "Heilongjiang"),
    ("31", "上海", "Shanghai"),
    ("32", "江苏", "Jiangsu"),
    ("33", "浙江", "Zhejiang"),
    ("34", "安徽", "Anhui"),
    ("35", "福建", "Fujian"),
    ("36", "江西", "Jiangxi"),
    ("37", "山东", "Shandong"),
    ("41", "河南", "Henan"),
    ("42", "湖北", "Hubei"),
    ("43", "湖南", "Hunan"),
    ("44", "广东", "Guangdong"),
    ("45", "广西", "Guangxi"),
    ("46", "海南", "Hainan"),
    ("50", "重庆", "Chongqing"),
    ("51", "四川", "Sichuan"),
    ("52", "贵州", "Guizhou"),
    ("53", "云南", "Yunnan"),
    ("54", "西藏", "Tibet"),
    ("61", "陕西", "Shaanxi"),
    ("62", "甘肃", "Gansu"),
    ("63", "青海", "Qinghai"),
    ("64", "宁夏", "Ningxia"),
    ("65", "新疆", "Xinjiang"),
];

macro_rules! uuid_v7_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh id; version 7 ids sort by creation time, which keeps storage keys ordered.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The 16 bytes, for storage keys.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }

            /// Rebuilds an id from storage key bytes.
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(Uuid::from_bytes(bytes))
            }

            /// The id as canonical hyphenated lowercase text.
            pub fn as_str(&self) -> String {
                self.0.hyphenated().to_string()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                // Only the canonical form is accepted so that one id has one spelling.
                let uuid = Uuid::try_parse(s).map_err(|_| IdError::Uuid(s.to_owned()))?;
                if uuid.get_version_num() == 7 && uuid.hyphenated().to_string() == s {
                    Ok(Self(uuid))
                } else {
                    Err(IdError::Uuid(s.to_owned()))
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                raw.parse().map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }
    };
}

uuid_v7_id!(
    /// A case (one assist request and everything that follows it), chosen by the origin station.
    CaseId
);
uuid_v7_id!(
    /// One signed envelope; remembered forever so a replay is recognised as a duplicate.
    EnvelopeId
);

/// Names one signing key: `<station>#<key-id>`, as carried in an envelope's `key` field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyRef {
    station: StationId,
    key_id: String,
    text: String,
}

impl KeyRef {
    /// Builds a reference from its parts.
    pub fn new(station: StationId, key_id: &str) -> Result<Self, IdError> {
        format!("{station}#{key_id}").parse()
    }

    /// The station that owns the key.
    pub fn station(&self) -> &StationId {
        &self.station
    }

    /// The key id within that station, e.g. `k1`.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The reference as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for KeyRef {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let bad = || IdError::KeyRef(s.to_owned());
        let (station, key_id) = s.split_once('#').ok_or_else(bad)?;
        let station: StationId = station.parse().map_err(|_| bad())?;
        let key_ok = (1..=32).contains(&key_id.len())
            && key_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !key_ok {
            return Err(bad());
        }
        Ok(Self { station, key_id: key_id.to_owned(), text: s.to_owned() })
    }
}
string_serde!(KeyRef);

/// Who a verified client certificate says it is, read from its SAN URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CertIdentity {
    /// `urn:tiemeng:station:<id>`: a peer node.
    Station(StationId),
    /// `urn:tiemeng:officer:<station>:<badge>`: a person.
    Officer(OfficerId),
}

/// An officer: the station that registered them and their badge number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OfficerId {
    /// The officer's station.
    pub station: StationId,
    /// The officer's badge number.
    pub badge: Badge,
}

impl fmt::Display for OfficerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "urn:tiemeng:officer:{}:{}", self.station, self.badge)
    }
}

impl FromStr for CertIdentity {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let bad = || IdError::Urn(s.to_owned());
        if let Some(station) = s.strip_prefix("urn:tiemeng:station:") {
            return Ok(Self::Station(station.parse().map_err(|_| bad())?));
        }
        let rest = s.strip_prefix("urn:tiemeng:officer:").ok_or_else(bad)?;
        let (station, badge) = rest.split_once(':').ok_or_else(bad)?;
        Ok(Self::Officer(OfficerId {
            station: station.parse().map_err(|_| bad())?,
            badge: badge.parse().map_err(|_| bad())?,
        }))
    }
}

impl fmt::Display for CertIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Station(id) => write!(f, "urn:tiemeng:station:{id}"),
            Self::Officer(officer) => officer.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn station_ids_follow_the_pattern() {
        assert!("zj-taishun-luoyang".parse::<StationId>().is_ok());
        assert!("a".parse::<StationId>().is_err());
        assert!("-abc".parse::<StationId>().is_err());
        assert!("ZJ-taishun".parse::<StationId>().is_err());
        assert!("zj_taishun".parse::<StationId>().is_err());
        assert!("罗阳".parse::<StationId>().is_err());
        assert!("a".repeat(64).parse::<StationId>().is_err());
    }

    #[test]
    fn uuid_ids_accept_only_canonical_v7() {
        let id = CaseId::new();
        assert_eq!(id.as_str().parse::<CaseId>(), Ok(id));
        assert!(id.as_str().to_uppercase().parse::<CaseId>().is_err());
        assert!("67e55044-10b1-426f-9247-bb680e5fe0c8".parse::<CaseId>().is_err(), "v4 refused");
    }

    #[test]
    fn certificate_identities_parse_both_forms() {
        let station: CertIdentity = "urn:tiemeng:station:fj-shouning-xixi".parse().unwrap();
        assert_eq!(station, CertIdentity::Station("fj-shouning-xixi".parse().unwrap()));
        let officer: CertIdentity = "urn:tiemeng:officer:zj-taishun-luoyang:330329001".parse().unwrap();
        assert_eq!(officer.to_string(), "urn:tiemeng:officer:zj-taishun-luoyang:330329001");
        assert!("urn:tiemeng:officer:zj-taishun-luoyang".parse::<CertIdentity>().is_err());
        assert!("urn:other:station:x1".parse::<CertIdentity>().is_err());
    }

    #[test]
    fn key_refs_split_station_and_key() {
        let key: KeyRef = "zj-taishun-luoyang#k1".parse().unwrap();
        assert_eq!(key.station().as_str(), "zj-taishun-luoyang");
        assert_eq!(key.key_id(), "k1");
        assert!("zj-taishun-luoyang#".parse::<KeyRef>().is_err());
        assert!("zj-taishun-luoyang".parse::<KeyRef>().is_err());
    }

    #[test]
    fn division_knows_its_province() {
        let division: Division = "350924".parse().unwrap();
        assert_eq!(division.province().as_str(), "35");
        assert_eq!(division.province().name_zh(), "福建");
        assert!("35092".parse::<Division>().is_err());
        assert!("35092x".parse::<Division>().is_err());
    }
}
