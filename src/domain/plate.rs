//! Chinese motor vehicle plates (机动车号牌), GA 36-2018, validated and normalised.
//!
//! A plate is the province abbreviation (省份简称), the issuing authority letter (发牌机关代号)
//! and a serial (序号). What is accepted, by class:
//!
//! | class | serial | example |
//! | --- | --- | --- |
//! | ordinary (普通) | 5 of `[A-HJ-NP-Z0-9]` | 浙C12345, 闽JD1234 |
//! | small new-energy (小型新能源) | energy letter, then one of `[A-HJ-NP-Z0-9]`, then 4 digits | 闽JD12345, 浙AFK1234 |
//! | large new-energy (大型新能源) | 5 digits, then energy letter | 浙A12345D |
//! | trailer, coach, police, Hong Kong, Macao, consular | 4 of `[A-HJ-NP-Z0-9]` + 挂/学/警/港/澳/领 | 京A1234警, 粤Z1234港 |
//!
//! Energy letters: GA 36-2018 starts with `D` (battery electric) and `F` (other new-energy), and
//! reserves `A B C E` and `G H J K` for the same two groups once `D`/`F` run out; Shenzhen issues
//! `A` plates already, so all ten are accepted, in both the small and large layouts (a plate we
//! wrongly refuse cannot be circulated at all; one we wrongly accept merely matches nothing).
//! The letters `I` and `O` never occur in a serial, being too easily read as `1` and `0`.
//! Hong Kong and Macao plates (港/澳) are only issued under 粤Z.
//!
//! Not accepted: embassy plates (使), military (军) and armed-police (WJ) plates, and temporary
//! plates: they follow other standards and are not what these stations exchange.
//!
//! Officers copy plates from photos, radio and other systems, so the parser normalises first:
//! surrounding and inner spaces, the separator dot (`·`, `•`, `・`), hyphens and full stops are
//! dropped, full-width letters and digits (typed with a Chinese IME) become ASCII, and ASCII
//! letters are upper-cased. The stored form has no separator, so equal plates compare equal
//! for the same-subject (一人多次) check.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Province abbreviations that begin a civilian plate, one per province-level division of the
/// mainland (Hong Kong, Macao and Taiwan do not issue these plates).
pub const PROVINCES: [char; 31] = [
    '京', '津', '沪', '渝', '冀', '豫', '云', '辽', '黑', '湘', '皖', '鲁', '新', '苏', '浙', '赣', '鄂', '桂', '甘',
    '晋', '蒙', '陕', '吉', '闽', '贵', '粤', '青', '藏', '川', '宁', '琼',
];

/// Letters that mark a new-energy serial: `D A B C E` battery electric, `F G H J K` other.
const ENERGY_LETTERS: [char; 10] = ['D', 'A', 'B', 'C', 'E', 'F', 'G', 'H', 'J', 'K'];

/// Characters dropped during normalisation: separators people type or copy between parts.
const SEPARATORS: [char; 6] = ['·', '•', '・', '-', '－', '.'];

/// Length of an ordinary or suffixed plate, in characters.
const SHORT_LEN: usize = 7;

/// Length of a new-energy plate, in characters.
const NEW_ENERGY_LEN: usize = 8;

/// What kind of plate this is, read off its layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlateClass {
    /// Ordinary blue or yellow plate, five-character serial.
    Ordinary,
    /// Small new-energy (green) plate: energy letter first.
    NewEnergySmall,
    /// Large new-energy (yellow-green) plate: energy letter last.
    NewEnergyLarge,
    /// Trailer plate, suffix 挂.
    Trailer,
    /// Driving-school coach plate, suffix 学.
    Coach,
    /// Police vehicle plate, suffix 警; its own class because a police vehicle in a case is
    /// handled very differently from a civilian one.
    Police,
    /// Hong Kong cross-boundary vehicle, 粤Z…港.
    HongKong,
    /// Macao cross-boundary vehicle, 粤Z…澳.
    Macao,
    /// Consular vehicle, suffix 领.
    Consular,
}

impl PlateClass {
    /// The class marked by a trailing suffix character, if `c` is one.
    fn from_suffix(c: char) -> Option<Self> {
        match c {
            '挂' => Some(Self::Trailer),
            '学' => Some(Self::Coach),
            '警' => Some(Self::Police),
            '港' => Some(Self::HongKong),
            '澳' => Some(Self::Macao),
            '领' => Some(Self::Consular),
            _ => None,
        }
    }

    /// Chinese name of the class, for lists and forms.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Ordinary => "普通号牌",
            Self::NewEnergySmall => "小型新能源号牌",
            Self::NewEnergyLarge => "大型新能源号牌",
            Self::Trailer => "挂车号牌",
            Self::Coach => "教练车号牌",
            Self::Police => "警用号牌",
            Self::HongKong => "粤港入出境号牌",
            Self::Macao => "粤澳入出境号牌",
            Self::Consular => "领馆号牌",
        }
    }
}

/// Why a text is not a valid plate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlateError {
    /// Nothing is left after removing spaces and separators.
    #[error("the plate is empty")]
    Empty,
    /// The first character is not one of the 31 province abbreviations in [`PROVINCES`].
    #[error("a plate starts with a province abbreviation such as 浙 or 闽, not '{found}'")]
    UnknownProvince {
        /// The character found in first place.
        found: char,
    },
    /// The plate has neither 7 characters (ordinary or suffixed) nor 8 (new-energy).
    #[error("a plate has 7 characters, or 8 for a new-energy vehicle; this one has {found}")]
    WrongLength {
        /// Characters after normalisation.
        found: usize,
    },
    /// The second character, the issuing authority, is not a letter A–Z.
    #[error("the second character of a plate is the issuing authority letter A–Z, not '{found}'")]
    BadIssuer {
        /// The character found in second place.
        found: char,
    },
    /// A serial character is not a digit or a letter other than I and O, or a suffix such as
    /// 警 appears somewhere other than at the end.
    #[error("character {position} of the plate ('{found}') is not allowed")]
    BadCharacter {
        /// 1-based position in the normalised plate.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// An 8-character plate whose serial is neither `letter, any, 4 digits` (small new-energy)
    /// nor `5 digits, letter` (large new-energy), with an energy letter such as D or F.
    #[error(
        "a new-energy plate has D/F (or another energy letter) first followed by an alphanumeric and 4 digits, or 5 digits followed by D/F"
    )]
    BadNewEnergySerial,
    /// A 港 or 澳 suffix on a plate not issued under 粤Z, the only authority that issues them.
    #[error("'{suffix}' plates are only issued under 粤Z")]
    SuffixNotAllowed {
        /// The suffix found.
        suffix: char,
    },
}

impl PlateError {
    /// The refusal as the error of form field `field`, in both languages.
    pub fn field_error(&self, field: impl Into<String>) -> super::validate::FieldError {
        super::validate::FieldError::new(field, self.code(), format!("号牌有误：{}", self.zh()), self.to_string())
    }

    /// Stable machine-readable code, for field errors and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::UnknownProvince { .. } => "unknown_province",
            Self::WrongLength { .. } => "wrong_length",
            Self::BadIssuer { .. } => "bad_issuer",
            Self::BadCharacter { .. } => "bad_character",
            Self::BadNewEnergySerial => "bad_new_energy_serial",
            Self::SuffixNotAllowed { .. } => "suffix_not_allowed",
        }
    }

    /// The same message in Chinese, worded for the officer filling in the form.
    pub fn zh(&self) -> String {
        match self {
            Self::Empty => "请填写车牌号".to_owned(),
            Self::UnknownProvince { found } => format!("车牌号应以省份简称开头（如“浙”“闽”），而不是“{found}”"),
            Self::WrongLength { found } => format!("车牌号应为 7 位（新能源车 8 位），当前为 {found} 位"),
            Self::BadIssuer { found } => format!("车牌号第 2 位应为发牌机关字母 A–Z，而不是“{found}”"),
            Self::BadCharacter { position, found } => {
                format!("车牌号第 {position} 位“{found}”无效（序号只能是数字和除 I、O 以外的字母）")
            }
            Self::BadNewEnergySerial => {
                "新能源车牌序号格式不符：小型车首位为 D/F 等字母、末四位为数字；大型车前五位为数字、末位为 D/F"
                    .to_owned()
            }
            Self::SuffixNotAllowed { suffix } => format!("“{suffix}”字号牌只由粤Z核发"),
        }
    }
}

/// A validated plate in normalised form, e.g. `浙C12345`, `闽JD12345`, `京A1234警`.
///
/// Serialised as the plain string; deserialised through [`Plate::parse`], so a form or a peer
/// may send `闽J·D12345` and the domain only ever sees `闽JD12345`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Plate(String);

impl Plate {
    /// Normalises and validates a plate; see the module documentation for what is accepted.
    pub fn parse(input: &str) -> Result<Self, PlateError> {
        let chars = normalise(input);
        check_prefix(&chars)?;
        check_serial(&chars)?;
        Ok(Self(chars.into_iter().collect()))
    }

    /// The normalised plate, without separator.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The plate as printed, with the dot after the issuing letter: `浙C·12345`.
    pub fn formatted(&self) -> String {
        let mut chars = self.0.chars();
        let prefix: String = chars.by_ref().take(2).collect();
        format!("{prefix}·{}", chars.as_str())
    }

    /// The class of plate, read off its layout.
    pub fn class(&self) -> PlateClass {
        let chars: Vec<char> = self.0.chars().collect();
        classify(&chars)
    }
}

/// Drops spaces and separators, folds full-width ASCII to ASCII, upper-cases ASCII letters.
fn normalise(input: &str) -> Vec<char> {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && !SEPARATORS.contains(c))
        .map(|c| fold_full_width(c).to_ascii_uppercase())
        .collect()
}

/// Maps full-width forms U+FF01–U+FF5E (`Ａ`, `１`) to their ASCII counterparts.
fn fold_full_width(c: char) -> char {
    match u32::from(c) {
        code @ 0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Checks the province, the overall length and the issuing letter.
fn check_prefix(chars: &[char]) -> Result<(), PlateError> {
    let first = *chars.first().ok_or(PlateError::Empty)?;
    if !PROVINCES.contains(&first) {
        return Err(PlateError::UnknownProvince { found: first });
    }
    if !matches!(chars.len(), SHORT_LEN | NEW_ENERGY_LEN) {
        return Err(PlateError::WrongLength { found: chars.len() });
    }
    let issuer = chars[1];
    if !issuer.is_ascii_uppercase() {
        return Err(PlateError::BadIssuer { found: issuer });
    }
    Ok(())
}

/// Checks the serial (everything after the issuing letter) of a plate of valid length.
fn check_serial(chars: &[char]) -> Result<(), PlateError> {
    let last = chars[chars.len() - 1];
    let suffixed = PlateClass::from_suffix(last);
    let serial_end = if suffixed.is_some() { chars.len() - 1 } else { chars.len() };
    for (index, &c) in chars.iter().enumerate().take(serial_end).skip(2) {
        if !is_serial_char(c) {
            return Err(PlateError::BadCharacter { position: index + 1, found: c });
        }
    }
    match suffixed {
        Some(class) => check_suffix(chars, class, last),
        None if chars.len() == NEW_ENERGY_LEN => check_new_energy(&chars[2..]),
        None => Ok(()),
    }
}

/// A suffixed plate has a 4-character serial; 港 and 澳 only exist under 粤Z.
fn check_suffix(chars: &[char], class: PlateClass, suffix: char) -> Result<(), PlateError> {
    if chars.len() != SHORT_LEN {
        return Err(PlateError::WrongLength { found: chars.len() });
    }
    let cross_boundary = matches!(class, PlateClass::HongKong | PlateClass::Macao);
    if cross_boundary && chars[..2] != ['粤', 'Z'] {
        return Err(PlateError::SuffixNotAllowed { suffix });
    }
    Ok(())
}

/// A six-character serial must follow one of the two new-energy layouts.
fn check_new_energy(serial: &[char]) -> Result<(), PlateError> {
    if is_small_new_energy(serial) || is_large_new_energy(serial) {
        Ok(())
    } else {
        Err(PlateError::BadNewEnergySerial)
    }
}

/// Energy letter, one serial character, four digits.
fn is_small_new_energy(serial: &[char]) -> bool {
    ENERGY_LETTERS.contains(&serial[0]) && serial[2..].iter().all(char::is_ascii_digit)
}

/// Five digits, energy letter.
fn is_large_new_energy(serial: &[char]) -> bool {
    serial[..5].iter().all(char::is_ascii_digit) && ENERGY_LETTERS.contains(&serial[5])
}

/// Digits and upper-case letters except I and O.
fn is_serial_char(c: char) -> bool {
    c.is_ascii_digit() || (c.is_ascii_uppercase() && c != 'I' && c != 'O')
}

/// Classifies a plate that passed validation.
fn classify(chars: &[char]) -> PlateClass {
    let last = chars.last().copied().unwrap_or_default();
    if let Some(class) = PlateClass::from_suffix(last) {
        return class;
    }
    match chars.get(2..) {
        Some(serial) if serial.len() == 6 && is_small_new_energy(serial) => PlateClass::NewEnergySmall,
        Some(serial) if serial.len() == 6 => PlateClass::NewEnergyLarge,
        _ => PlateClass::Ordinary,
    }
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Plate {
    type Err = PlateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Plate {
    type Error = PlateError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Plate> for String {
    fn from(plate: Plate) -> Self {
        plate.0
    }
}

impl AsRef<str> for Plate {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn class_of(text: &str) -> PlateClass {
        Plate::parse(text).unwrap().class()
    }

    #[test]
    fn ordinary_plates_parse() {
        assert_eq!(Plate::parse("浙C12345").unwrap().as_str(), "浙C12345");
        assert_eq!(class_of("浙C12345"), PlateClass::Ordinary);
        assert_eq!(class_of("闽JD1234"), PlateClass::Ordinary, "D in a 5-character serial is just a letter");
        assert_eq!(class_of("京AB1C23"), PlateClass::Ordinary);
    }

    #[test]
    fn separators_spaces_and_case_are_normalised() {
        for input in ["闽J·D12345", " 闽J D12345 ", "闽J-D12345", "闽j•d12345", "闽Ｊ・Ｄ１２３４５", "闽J.D12345"]
        {
            assert_eq!(Plate::parse(input).unwrap().as_str(), "闽JD12345", "{input}");
        }
    }

    #[test]
    fn new_energy_plates_follow_ga_36_2018() {
        assert_eq!(class_of("闽JD12345"), PlateClass::NewEnergySmall);
        assert_eq!(class_of("浙AFK1234"), PlateClass::NewEnergySmall);
        assert_eq!(class_of("粤BA12345"), PlateClass::NewEnergySmall, "reserved battery-electric letter");
        assert_eq!(class_of("浙A12345D"), PlateClass::NewEnergyLarge);
        assert_eq!(class_of("浙A12345F"), PlateClass::NewEnergyLarge);
    }

    #[test]
    fn malformed_new_energy_serials_are_rejected() {
        for input in ["浙AD1234A", "浙AL12345", "浙A1234DD", "浙AD12K45", "浙A12345L"] {
            assert_eq!(Plate::parse(input), Err(PlateError::BadNewEnergySerial), "{input}");
        }
    }

    #[test]
    fn suffixed_plates_have_their_own_classes() {
        assert_eq!(class_of("京A1234警"), PlateClass::Police);
        assert_eq!(class_of("浙A1234挂"), PlateClass::Trailer);
        assert_eq!(class_of("浙C0123学"), PlateClass::Coach);
        assert_eq!(class_of("粤Z1234港"), PlateClass::HongKong);
        assert_eq!(class_of("粤ZA123澳"), PlateClass::Macao);
        assert_eq!(class_of("沪A1234领"), PlateClass::Consular);
    }

    #[test]
    fn suffix_with_a_five_character_serial_is_wrong_length() {
        assert_eq!(Plate::parse("京A12345警"), Err(PlateError::WrongLength { found: 8 }));
    }

    #[test]
    fn hong_kong_suffix_outside_yue_z_is_rejected() {
        assert_eq!(Plate::parse("浙A1234港"), Err(PlateError::SuffixNotAllowed { suffix: '港' }));
    }

    #[test]
    fn i_and_o_are_never_serial_characters() {
        assert_eq!(Plate::parse("浙C1234O"), Err(PlateError::BadCharacter { position: 7, found: 'O' }));
        assert_eq!(Plate::parse("浙CI2345"), Err(PlateError::BadCharacter { position: 3, found: 'I' }));
    }

    #[test]
    fn suffix_in_the_middle_is_a_bad_character() {
        assert_eq!(Plate::parse("京A警1234"), Err(PlateError::BadCharacter { position: 3, found: '警' }));
    }

    #[test]
    fn prefix_errors_are_reported() {
        assert_eq!(Plate::parse(" · "), Err(PlateError::Empty));
        assert_eq!(Plate::parse("台A12345"), Err(PlateError::UnknownProvince { found: '台' }));
        assert_eq!(Plate::parse("A12345"), Err(PlateError::UnknownProvince { found: 'A' }));
        assert_eq!(Plate::parse("浙C1234"), Err(PlateError::WrongLength { found: 6 }));
        assert_eq!(Plate::parse("浙C1234567"), Err(PlateError::WrongLength { found: 9 }));
        assert_eq!(Plate::parse("浙112345"), Err(PlateError::BadIssuer { found: '1' }));
    }

    #[test]
    fn formatted_inserts_the_separator_dot() {
        assert_eq!(Plate::parse("浙C12345").unwrap().formatted(), "浙C·12345");
        assert_eq!(Plate::parse("京A1234警").unwrap().formatted(), "京A·1234警");
    }

    #[test]
    fn serde_normalises_on_the_way_in_and_rejects_bad_plates() {
        let plate: Plate = serde_json::from_str("\"闽J·D12345\"").unwrap();
        assert_eq!(serde_json::to_string(&plate).unwrap(), "\"闽JD12345\"");
        assert!(serde_json::from_str::<Plate>("\"浙C1234\"").is_err());
    }

    #[test]
    fn every_error_has_a_distinct_code_and_chinese_message() {
        let errors = [
            PlateError::Empty,
            PlateError::UnknownProvince { found: 'A' },
            PlateError::WrongLength { found: 3 },
            PlateError::BadIssuer { found: '1' },
            PlateError::BadCharacter { position: 3, found: 'I' },
            PlateError::BadNewEnergySerial,
            PlateError::SuffixNotAllowed { suffix: '港' },
        ];
        let mut codes: Vec<_> = errors.iter().map(PlateError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
        assert!(errors.iter().all(|e| e.zh().contains("车牌") || e.zh().contains("号牌")));
    }
}
