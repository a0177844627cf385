//! Names that end up in certificates and file paths, and their validation.
//!
//! Station ids, badges and key ids become path components (`stations/<id>/`,
//! `officers/<station>/<badge>.pem`), so they are checked before any file is
//! written: a badge like `../../ca/33-ca` must never reach `open(2)`.

use super::PkiError;
use super::error::Words;

/// GB/T 2260 province-level codes and names, as used in CA names and messages.
const PROVINCES: &[(&str, &str)] = &[
    ("11", "北京市"),
    ("12", "天津市"),
    ("13", "河北省"),
    ("14", "山西省"),
    ("15", "内蒙古自治区"),
    ("21", "辽宁省"),
    ("22", "吉林省"),
    ("23", "黑龙江省"),
    ("31", "上海市"),
    ("32", "江苏省"),
    ("33", "浙江省"),
    ("34", "安徽省"),
    ("35", "福建省"),
    ("36", "江西省"),
    ("37", "山东省"),
    ("41", "河南省"),
    ("42", "湖北省"),
    ("43", "湖南省"),
    ("44", "广东省"),
    ("45", "广西壮族自治区"),
    ("46", "海南省"),
    ("50", "重庆市"),
    ("51", "四川省"),
    ("52", "贵州省"),
    ("53", "云南省"),
    ("54", "西藏自治区"),
    ("61", "陕西省"),
    ("62", "甘肃省"),
    ("63", "青海省"),
    ("64", "宁夏回族自治区"),
    ("65", "新疆维吾尔自治区"),
];

/// The organisation (O) of every dev certificate, so nobody mistakes one for production.
pub const DEV_ORGANIZATION: &str = "铁盟 tiemeng dev";

/// The Chinese name of a province-level division ("33" → "浙江省").
pub fn province_name(code: &str) -> Option<&'static str> {
    PROVINCES.iter().find(|(c, _)| *c == code).map(|(_, name)| *name)
}

/// Checks a two-digit province code against the GB/T 2260 table.
pub fn validate_province(code: &str) -> Result<&'static str, PkiError> {
    province_name(code).ok_or_else(|| {
        invalid(
            ("省级代码", "province code"),
            code,
            ("GB/T 2260 省级代码，如 33、35", "a GB/T 2260 province code such as 33 or 35"),
        )
    })
}

/// The default CA common name for a province: "浙江省公安厅 铁盟测试根CA".
pub fn default_ca_name(province: &str) -> Result<String, PkiError> {
    let name = validate_province(province)?;
    // Municipalities have a 公安局, not a 公安厅.
    let bureau = if name.ends_with('市') { "公安局" } else { "公安厅" };
    Ok(format!("{name}{bureau} 铁盟测试根CA"))
}

/// Checks a station id: `^[a-z0-9][a-z0-9-]{1,62}$`, as [`crate::ids::StationId`] does.
pub fn validate_station_id(id: &str) -> Result<(), PkiError> {
    let mut chars = id.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if first_ok && rest_ok && (2..=63).contains(&id.len()) {
        Ok(())
    } else {
        Err(invalid(
            ("派出所标识", "station id"),
            id,
            ("小写字母、数字和连字符，2–63位", "2–63 lowercase letters, digits and hyphens"),
        ))
    }
}

/// Checks a six-digit GB/T 2260 division code and returns its province code.
pub fn division_province(division: &str) -> Result<&str, PkiError> {
    if division.len() != 6 || !division.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            ("行政区划代码", "division code"),
            division,
            ("6位数字，如 330329", "6 digits, such as 330329"),
        ));
    }
    let province = &division[..2];
    validate_province(province)?;
    Ok(province)
}

/// Checks a badge number (警号): ASCII letters and digits, 1–32 characters.
pub fn validate_badge(badge: &str) -> Result<(), PkiError> {
    if (1..=32).contains(&badge.len()) && badge.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(invalid(("警号", "badge number"), badge, ("字母和数字，1–32位", "1–32 letters and digits")))
    }
}

/// Checks a signing key id such as `k1`: lowercase letters, digits and `-`, 1–32 characters.
pub fn validate_key_id(key_id: &str) -> Result<(), PkiError> {
    let ok = (1..=32).contains(&key_id.len())
        && key_id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            ("签名密钥编号", "signing key id"),
            key_id,
            ("小写字母、数字和连字符，如 k1", "lowercase letters, digits and hyphens, such as k1"),
        ))
    }
}

/// The SAN URI identifying a station: `urn:tiemeng:station:<id>`.
pub fn station_uri(station_id: &str) -> String {
    format!("urn:tiemeng:station:{station_id}")
}

/// The SAN URI identifying an officer: `urn:tiemeng:officer:<station>:<badge>`.
pub fn officer_uri(station_id: &str, badge: &str) -> String {
    format!("urn:tiemeng:officer:{station_id}:{badge}")
}

fn invalid(field: Words, value: &str, reason: Words) -> PkiError {
    PkiError::invalid(field, value, reason)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn province_ca_names_are_readable() {
        assert_eq!(default_ca_name("33").unwrap(), "浙江省公安厅 铁盟测试根CA");
        assert_eq!(default_ca_name("31").unwrap(), "上海市公安局 铁盟测试根CA");
        assert!(default_ca_name("99").is_err());
    }

    #[test]
    fn path_like_identifiers_are_rejected() {
        assert!(validate_station_id("zj-taishun-luoyang").is_ok());
        assert!(validate_station_id("../ca").is_err());
        assert!(validate_station_id("-x").is_err());
        assert!(validate_station_id("Zj").is_err());
        assert!(validate_badge("330329001").is_ok());
        assert!(validate_badge("../33-ca").is_err());
        assert!(validate_badge("").is_err());
        assert!(validate_key_id("k1").is_ok());
        assert!(validate_key_id("k/1").is_err());
    }

    #[test]
    fn division_yields_province() {
        assert_eq!(division_province("350924").unwrap(), "35");
        assert!(division_province("3509").is_err());
        assert!(division_province("990000").is_err());
    }
}
