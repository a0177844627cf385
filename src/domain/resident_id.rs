//! The 18-character PRC resident identity number (居民身份证号码), GB 11643-1999.
//!
//! Layout: six digits of administrative region (地址码), eight of birth date (出生日期码,
//! `YYYYMMDD`), three of sequence (顺序码, odd for men, even for women), and one check character
//! (校验码) computed with ISO 7064 MOD 11-2, where the value ten is written `X`.
//!
//! A number that reaches the domain has passed every check here, so matching two cases on the
//! same person (一人多次) can compare strings, and a typo caught at the form costs nothing while a
//! typo that slips through silently breaks that match.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// Number of characters in a resident ID.
const LEN: usize = 18;

/// ISO 7064 MOD 11-2 weights for the first 17 digits: 2^(17-i) mod 11.
const WEIGHTS: [usize; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check character indexed by the weighted sum of the first 17 digits mod 11, i.e.
/// `(12 - sum % 11) % 11` with ten written as `X` (the table printed in the standard).
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// First two digits of the region code that GB/T 2260 assigns, one per province-level division.
///
/// 11–15 North China, 21–23 Northeast, 31–37 East, 41–46 Central South, 50–54 Southwest,
/// 61–65 Northwest; 71 Taiwan, 81 Hong Kong and 82 Macao (used on residence permits for
/// residents of those regions); 83 is the code for Taiwan residents' residence permits
/// (台湾居民居住证). Codes in between (16, 24, …) have never been assigned.
pub const PROVINCE_CODES: [u8; 35] = [
    11, 12, 13, 14, 15, // 京 津 冀 晋 蒙
    21, 22, 23, // 辽 吉 黑
    31, 32, 33, 34, 35, 36, 37, // 沪 苏 浙 皖 闽 赣 鲁
    41, 42, 43, 44, 45, 46, // 豫 鄂 湘 粤 桂 琼
    50, 51, 52, 53, 54, // 渝 川 贵 云 藏
    61, 62, 63, 64, 65, // 陕 甘 青 宁 新
    71, 81, 82, 83, // 台 港 澳 台湾居民居住证
];

/// Earliest birth year accepted; nobody born before it can be the subject of a live case, and
/// the bound catches a mistyped century (`0949` for `1949`).
pub const MIN_BIRTH_YEAR: i32 = 1880;

/// Why a text is not a valid resident ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    /// The number does not have exactly 18 characters (after trimming surrounding spaces).
    #[error("a resident ID has 18 characters, this one has {found}")]
    WrongLength {
        /// How many characters were given.
        found: usize,
    },
    /// A character other than a digit appears in the first 17 places, or the last character is
    /// neither a digit nor `X`.
    #[error("character {position} of the resident ID ('{found}') is not allowed")]
    BadCharacter {
        /// 1-based position of the first offending character.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// The check character does not match the first 17 digits: some digit was mistyped.
    ///
    /// The expected character is deliberately not reported, so that an officer fixes the
    /// mistyped digit rather than "correcting" the check character to make a wrong number pass.
    #[error("the resident ID's check character does not match its digits; a digit is probably mistyped")]
    BadChecksum,
    /// Digits 7–14 are not a real calendar date, lie before [`MIN_BIRTH_YEAR`], or (when
    /// checked against a date) lie in the future.
    #[error("the birth date inside the resident ID is not a possible date of birth")]
    BadBirthDate,
    /// The first two digits are not a province-level code listed in [`PROVINCE_CODES`].
    #[error("the resident ID does not start with a known province code")]
    BadRegion,
}

impl ResidentIdError {
    /// The refusal as the error of form field `field`, in both languages.
    pub fn field_error(&self, field: impl Into<String>) -> super::validate::FieldError {
        super::validate::FieldError::new(
            field,
            self.code(),
            format!("公民身份号码有误：{}", self.zh()),
            self.to_string(),
        )
    }

    /// Stable machine-readable code, for field errors and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongLength { .. } => "wrong_length",
            Self::BadCharacter { .. } => "bad_character",
            Self::BadChecksum => "bad_checksum",
            Self::BadBirthDate => "bad_birth_date",
            Self::BadRegion => "bad_region",
        }
    }

    /// The same message in Chinese, worded for the officer filling in the form.
    pub fn zh(&self) -> String {
        match self {
            Self::WrongLength { found } => format!("身份证号码应为 18 位，当前为 {found} 位"),
            Self::BadCharacter { position, found } => {
                format!("身份证号码第 {position} 位“{found}”无效：前 17 位应为数字，末位为数字或 X")
            }
            Self::BadChecksum => "身份证号码校验位不符，请核对是否有数字输错".to_owned(),
            Self::BadBirthDate => "身份证号码中的出生日期无效".to_owned(),
            Self::BadRegion => "身份证号码前两位不是有效的省级行政区划代码".to_owned(),
        }
    }
}

/// A validated resident ID in canonical form: 18 characters, check character `X` uppercase.
///
/// Besides the text it keeps the embedded birth date, decoded once on parse, so that
/// [`ResidentId::birth_date`] cannot fail. Serialised as the plain string; deserialised through
/// [`ResidentId::parse`], so a malformed number never enters the domain from a form or a peer.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResidentId {
    /// Canonical text; compared and ordered first, so ordering is by the number itself.
    text: String,
    /// Birth date decoded from `text`; a function of it, so it never disagrees in comparisons.
    birth_date: Date,
}

impl ResidentId {
    /// Parses and validates a resident ID. Surrounding whitespace is ignored and a lowercase
    /// check character `x` is accepted and stored as `X`.
    ///
    /// Checks run from the most specific message to the least: length, characters, region,
    /// birth date, then checksum. A birth date in the future is not detected here (there is no
    /// clock in the domain); use [`ResidentId::parse_as_of`] for that.
    pub fn parse(input: &str) -> Result<Self, ResidentIdError> {
        let text = canonical(input)?;
        let digits = digit_values(&text);
        check_region(&digits)?;
        let birth_date = decode_birth_date(&digits)?;
        if check_char_for_digits(&digits) != last_char(&text) {
            return Err(ResidentIdError::BadChecksum);
        }
        Ok(Self { text, birth_date })
    }

    /// Like [`ResidentId::parse`], and also rejects a birth date after `today`.
    pub fn parse_as_of(input: &str, today: Date) -> Result<Self, ResidentIdError> {
        let id = Self::parse(input)?;
        if id.birth_date > today {
            return Err(ResidentIdError::BadBirthDate);
        }
        Ok(id)
    }

    /// The canonical 18-character text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The birth date encoded in digits 7–14.
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// The two-digit province-level code at the start of the number.
    pub fn province_code(&self) -> u8 {
        let digits = digit_values(&self.text);
        digits[0] * 10 + digits[1]
    }

    /// True when the sequence code (digit 17) is odd, which GB 11643 assigns to men.
    pub fn is_male(&self) -> bool {
        digit_values(&self.text)[16] % 2 == 1
    }
}

/// Computes the GB 11643 check character for the first 17 digits of a resident ID.
///
/// Returns `None` unless `first17` is exactly 17 ASCII digits. Useful to build valid numbers
/// in fixtures without hard-coding real people's IDs.
pub fn check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != LEN - 1 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut digits = [0u8; LEN - 1];
    for (slot, byte) in digits.iter_mut().zip(bytes) {
        *slot = byte - b'0';
    }
    Some(check_char_for_digits(&digits))
}

/// Trims, checks length and characters, and upper-cases the check character.
fn canonical(input: &str) -> Result<String, ResidentIdError> {
    let trimmed = input.trim();
    let found = trimmed.chars().count();
    if found != LEN {
        return Err(ResidentIdError::WrongLength { found });
    }
    for (index, c) in trimmed.chars().enumerate() {
        let allowed = c.is_ascii_digit() || (index == LEN - 1 && matches!(c, 'x' | 'X'));
        if !allowed {
            return Err(ResidentIdError::BadCharacter { position: index + 1, found: c });
        }
    }
    // Only the last character can be a letter by now, so this upper-cases exactly `x`.
    Ok(trimmed.to_ascii_uppercase())
}

/// Numeric values of the first 17 characters of a text that [`canonical`] accepted.
fn digit_values(text: &str) -> [u8; LEN - 1] {
    let mut digits = [0u8; LEN - 1];
    for (slot, byte) in digits.iter_mut().zip(text.as_bytes()) {
        *slot = byte.wrapping_sub(b'0');
    }
    digits
}

/// The last character of a text that [`canonical`] accepted.
fn last_char(text: &str) -> char {
    text.chars().last().unwrap_or_default()
}

fn check_region(digits: &[u8; LEN - 1]) -> Result<(), ResidentIdError> {
    let code = digits[0] * 10 + digits[1];
    if PROVINCE_CODES.contains(&code) { Ok(()) } else { Err(ResidentIdError::BadRegion) }
}

fn decode_birth_date(digits: &[u8; LEN - 1]) -> Result<Date, ResidentIdError> {
    let number = |range: std::ops::Range<usize>| digits[range].iter().fold(0u32, |acc, d| acc * 10 + u32::from(*d));
    let year = i32::try_from(number(6..10)).map_err(|_| ResidentIdError::BadBirthDate)?;
    let month = u8::try_from(number(10..12)).map_err(|_| ResidentIdError::BadBirthDate)?;
    let day = u8::try_from(number(12..14)).map_err(|_| ResidentIdError::BadBirthDate)?;
    if year < MIN_BIRTH_YEAR {
        return Err(ResidentIdError::BadBirthDate);
    }
    let month = Month::try_from(month).map_err(|_| ResidentIdError::BadBirthDate)?;
    Date::from_calendar_date(year, month, day).map_err(|_| ResidentIdError::BadBirthDate)
}

/// ISO 7064 MOD 11-2: the check value makes the whole weighted sum ≡ 1 (mod 11).
fn check_char_for_digits(digits: &[u8; LEN - 1]) -> char {
    let sum: usize = digits.iter().zip(WEIGHTS).map(|(d, w)| usize::from(*d) * w).sum();
    CHECK_CHARS[sum % 11]
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Shows only the number: the cached birth date would be noise in test failures and logs.
impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResidentId").field(&self.text).finish()
    }
}

impl FromStr for ResidentId {
    type Err = ResidentIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ResidentId {
    type Error = ResidentIdError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ResidentId> for String {
    fn from(id: ResidentId) -> Self {
        id.text
    }
}

impl AsRef<str> for ResidentId {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    /// The example printed in GB 11643-1999 itself.
    const STANDARD_EXAMPLE: &str = "11010519491231002X";

    /// Builds a valid ID from its first 17 digits.
    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_char(first17).unwrap())
    }

    #[test]
    fn standard_example_is_valid() {
        let id = ResidentId::parse(STANDARD_EXAMPLE).unwrap();
        assert_eq!(id.as_str(), STANDARD_EXAMPLE);
        assert_eq!(id.birth_date(), date!(1949 - 12 - 31));
        assert_eq!(id.province_code(), 11);
        assert!(!id.is_male(), "sequence 002 is even: a woman");
    }

    #[test]
    fn other_known_valid_numbers_parse() {
        // Weighted sum 195 ≡ 8 (mod 11) → '4'.
        assert!(ResidentId::parse("440524188001010014").is_ok());
        // Computed by hand: weighted sum 210 ≡ 1 (mod 11) → '0'.
        assert_eq!(check_char("33032919800101123"), Some('0'));
        assert!(ResidentId::parse("330329198001011230").is_ok());
    }

    #[test]
    fn lowercase_x_and_surrounding_spaces_are_normalised() {
        let id = ResidentId::parse("  11010519491231002x ").unwrap();
        assert_eq!(id.as_str(), STANDARD_EXAMPLE);
    }

    #[test]
    fn wrong_length_is_reported_with_the_count() {
        assert_eq!(ResidentId::parse("1101051949123100"), Err(ResidentIdError::WrongLength { found: 16 }));
        assert_eq!(ResidentId::parse(""), Err(ResidentIdError::WrongLength { found: 0 }));
        // 15-digit first-generation numbers are not accepted: they carry no check character.
        assert_eq!(ResidentId::parse("110105491231002"), Err(ResidentIdError::WrongLength { found: 15 }));
    }

    #[test]
    fn letters_other_than_a_final_x_are_bad_characters() {
        assert_eq!(
            ResidentId::parse("1101051949123100XX"),
            Err(ResidentIdError::BadCharacter { position: 17, found: 'X' })
        );
        assert_eq!(
            ResidentId::parse("11010519491231002Y"),
            Err(ResidentIdError::BadCharacter { position: 18, found: 'Y' })
        );
        // Full-width digits look right on screen but are not ASCII digits.
        assert_eq!(
            ResidentId::parse("１1010519491231002X"),
            Err(ResidentIdError::BadCharacter { position: 1, found: '１' })
        );
    }

    #[test]
    fn wrong_check_character_is_bad_checksum() {
        assert_eq!(ResidentId::parse("110105194912310021"), Err(ResidentIdError::BadChecksum));
    }

    #[test]
    fn impossible_birth_dates_are_rejected() {
        for first17 in ["11010519490230002", "11010519491301002", "11010508800101002", "11010519000229002"] {
            assert_eq!(ResidentId::parse(&with_check(first17)), Err(ResidentIdError::BadBirthDate), "{first17}");
        }
        // 2000 was a leap year.
        assert!(ResidentId::parse(&with_check("11010520000229002")).is_ok());
    }

    #[test]
    fn future_birth_date_is_rejected_only_against_a_date() {
        let id = with_check("33032920300101123");
        assert!(ResidentId::parse(&id).is_ok());
        assert_eq!(ResidentId::parse_as_of(&id, date!(2025 - 06 - 01)), Err(ResidentIdError::BadBirthDate));
        assert!(ResidentId::parse_as_of(&id, date!(2030 - 01 - 01)).is_ok());
    }

    #[test]
    fn unknown_province_codes_are_rejected() {
        for first17 in ["16010519491231002", "00010519491231002", "91010519491231002", "24010519491231002"] {
            assert_eq!(ResidentId::parse(&with_check(first17)), Err(ResidentIdError::BadRegion), "{first17}");
        }
        for code in PROVINCE_CODES {
            assert!(ResidentId::parse(&with_check(&format!("{code:02}010519491231002"))).is_ok(), "{code}");
        }
    }

    #[test]
    fn sequence_parity_gives_registered_sex() {
        assert!(ResidentId::parse(&with_check("33032919800101123")).unwrap().is_male());
    }

    #[test]
    fn check_char_rejects_malformed_input() {
        assert_eq!(check_char("1101051949123100"), None);
        assert_eq!(check_char("1101051949123100A"), None);
    }

    #[test]
    fn serde_round_trips_as_a_plain_string_and_validates() {
        let id: ResidentId = serde_json::from_str("\"11010519491231002x\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{STANDARD_EXAMPLE}\""));
        let err = serde_json::from_str::<ResidentId>("\"110105194912310021\"").unwrap_err();
        assert!(err.to_string().contains("check character"), "{err}");
    }

    #[test]
    fn every_error_has_a_distinct_code_and_chinese_message() {
        let errors = [
            ResidentIdError::WrongLength { found: 3 },
            ResidentIdError::BadCharacter { position: 1, found: 'a' },
            ResidentIdError::BadChecksum,
            ResidentIdError::BadBirthDate,
            ResidentIdError::BadRegion,
        ];
        let mut codes: Vec<_> = errors.iter().map(ResidentIdError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
        assert!(errors.iter().all(|e| e.zh().contains("身份证号码")));
    }

    /// The first 17 digits of a structurally valid ID: a listed province, a real birth date.
    fn valid_first17() -> impl Strategy<Value = String> {
        (
            proptest::sample::select(PROVINCE_CODES.to_vec()),
            0u32..10_000,
            MIN_BIRTH_YEAR..2025,
            1u8..=12,
            1u8..=28,
            0u32..1000,
        )
            .prop_map(|(province, county, year, month, day, sequence)| {
                format!("{province:02}{county:04}{year:04}{month:02}{day:02}{sequence:03}")
            })
    }

    proptest! {
        #[test]
        fn any_structurally_valid_number_with_its_check_char_parses(first17 in valid_first17()) {
            let text = with_check(&first17);
            let id = ResidentId::parse(&text).unwrap();
            prop_assert_eq!(id.as_str(), text.as_str());
        }

        #[test]
        fn changing_any_one_digit_is_detected(first17 in valid_first17(), position in 0usize..LEN, delta in 1u8..10) {
            let text = with_check(&first17);
            let mut chars: Vec<char> = text.chars().collect();
            let original = chars[position];
            let value = original.to_digit(10).map_or(10, |d| d as u8);
            // Cycle through the 11 possible values of a place (0–9 and X); the last place is the
            // only one where X is legal, elsewhere it is a bad character, which is also an error.
            let changed = (value + delta) % 11;
            chars[position] = if changed == 10 { 'X' } else { char::from(b'0' + changed) };
            let mutated: String = chars.into_iter().collect();
            prop_assert!(ResidentId::parse(&mutated).is_err(), "{} -> {} parsed", text, mutated);
        }
    }
}
