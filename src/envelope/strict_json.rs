//! A strict pre-parse of JSON text received from outside.
//!
//! serde's derived structs already refuse unknown and duplicate *fields*, but values buffered
//! on the way (tagged enums, maps) accept duplicate keys and the last one silently wins. Two
//! parsers reading the same signed bytes differently is how ActivityPub and Matrix servers
//! were forged, so before any typed parse the whole document is walked once and refused if
//! anything in it could be read two ways.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Deepest nesting accepted; tiemeng's own documents stay under 8.
pub const MAX_DEPTH: usize = 32;

/// Why a JSON document was refused by the strict pre-parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StrictJsonError {
    /// Not valid JSON text (including invalid UTF-8 and a byte-order mark).
    #[error("not valid JSON")]
    Syntax,
    /// The top level must be an object that starts at the first byte and ends at the last.
    #[error("expected exactly one JSON object with nothing before or after it")]
    NotAnObject,
    /// An object names the same key twice.
    #[error("an object repeats a key")]
    DuplicateKey,
    /// A number with a fraction or exponent, or too large for 64 bits: no field takes one.
    #[error("a number is not a 64-bit integer")]
    NotAnInteger,
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// Checks `bytes` is one JSON object, free of duplicate keys, non-integers and deep nesting.
pub fn check(bytes: &[u8]) -> Result<(), StrictJsonError> {
    // Leading or trailing bytes of any kind (whitespace, a BOM, a second document) would let
    // two parsers disagree about where the document is.
    if bytes.first() != Some(&b'{') || bytes.last() != Some(&b'}') {
        return Err(StrictJsonError::NotAnObject);
    }
    let reason = Cell::new(None);
    // serde_json's own recursion limit (128) stays on; MAX_DEPTH is lower and fires first.
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let walked = Walk { depth: 0, reason: &reason }.deserialize(&mut de).and_then(|()| de.end());
    match (walked, reason.get()) {
        (Ok(()), _) => Ok(()),
        (Err(_), Some(reason)) => Err(reason),
        (Err(_), None) => Err(StrictJsonError::Syntax),
    }
}

struct Walk<'a> {
    depth: usize,
    reason: &'a Cell<Option<StrictJsonError>>,
}

impl Walk<'_> {
    fn fail<E: serde::de::Error>(&self, reason: StrictJsonError) -> E {
        self.reason.set(Some(reason));
        E::custom(reason)
    }

    fn child<E: serde::de::Error>(&self) -> Result<Self, E> {
        if self.depth + 1 > MAX_DEPTH {
            return Err(self.fail(StrictJsonError::TooDeep));
        }
        Ok(Walk { depth: self.depth + 1, reason: self.reason })
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.fail(StrictJsonError::NotAnInteger))
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self.child()?)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys = BTreeSet::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if !keys.insert(key) {
                return Err(self.fail(StrictJsonError::DuplicateKey));
            }
            map.next_value_seed(self.child()?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_objects() {
        assert_eq!(check(br#"{"a":1,"b":[true,null,"x"],"c":{"d":-3}}"#), Ok(()));
    }

    #[test]
    fn refuses_duplicate_keys_at_any_depth() {
        assert_eq!(check(br#"{"a":1,"a":2}"#), Err(StrictJsonError::DuplicateKey));
        assert_eq!(check(br#"{"a":{"b":1,"b":1}}"#), Err(StrictJsonError::DuplicateKey));
        assert_eq!(check(br#"{"a":[{"k":1,"\u006b":2}]}"#), Err(StrictJsonError::DuplicateKey));
    }

    #[test]
    fn refuses_floats_and_huge_integers() {
        assert_eq!(check(br#"{"a":1.0}"#), Err(StrictJsonError::NotAnInteger));
        assert_eq!(check(br#"{"a":1e3}"#), Err(StrictJsonError::NotAnInteger));
        assert_eq!(check(br#"{"a":184467440737095516160}"#), Err(StrictJsonError::NotAnInteger));
    }

    #[test]
    fn refuses_anything_around_the_object() {
        assert_eq!(check(b" {}"), Err(StrictJsonError::NotAnObject));
        assert_eq!(check(b"{} "), Err(StrictJsonError::NotAnObject));
        assert_eq!(check(b"\xEF\xBB\xBF{}"), Err(StrictJsonError::NotAnObject));
        assert_eq!(check(b"{}{}"), Err(StrictJsonError::Syntax));
        assert_eq!(check(b"[1]"), Err(StrictJsonError::NotAnObject));
    }

    #[test]
    fn refuses_invalid_utf8_and_deep_nesting() {
        assert_eq!(check(b"{\"a\":\"\xff\"}"), Err(StrictJsonError::Syntax));
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(check(deep.as_bytes()), Err(StrictJsonError::TooDeep));
        let fine = format!("{{\"a\":{}1{}}}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert_eq!(check(fine.as_bytes()), Ok(()));
    }
}
