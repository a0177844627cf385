//! Mutations of signed wire bytes, shared by the envelope and inbound fuzz tests.
//!
//! Three levels, as an attacker (or a broken relay) could change what crosses a border:
//! - [`ByteEdit`]: the raw wire bytes (flip, set, insert, delete, duplicate, swap, truncate);
//! - [`WireEdit`]: the JSON of the wire object — fields reordered, repeated, dropped, added,
//!   retyped or taken from another envelope, the key reference replaced, base64 re-encoded
//!   with padding, another alphabet, other case or non-canonical trailing bits, characters
//!   written as `\u` escapes, whitespace between tokens;
//! - [`PayloadEdit`]: the payload bytes inside `signed`, as bytes or as JSON, re-encoded but
//!   left with the old signature (the fuzz tests also re-sign them, which is level (d)).
//!
//! Every mutation is a plain value, so proptest prints and shrinks it and a seeded run replays
//! it. Positions are taken modulo the length of what they apply to, and an edit that does not
//! fit its input (a JSON edit of bytes that are no longer JSON) leaves the input unchanged, so
//! any list of mutations applies to any input.
//!
//! Their proptest strategies, and the knobs the fuzz tests share, are in [`strategy`].
//! How the edits apply: the wire object in [`wire`], the payload JSON in [`json`], and other
//! spellings of a field's value in [`spelling`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

mod json;
mod spelling;
mod strategy;
mod wire;

pub(crate) use spelling::{ALPHABET, escape_one, unused_bits};
pub(crate) use strategy::*;
use wire::WireDoc;

/// One of the three wire fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    /// The base64url payload.
    Signed,
    /// The key reference.
    Key,
    /// The base64url signature.
    Sig,
}

impl Field {
    const ALL: [Field; 3] = [Field::Signed, Field::Key, Field::Sig];

    fn name(self) -> &'static str {
        match self {
            Self::Signed => "signed",
            Self::Key => "key",
            Self::Sig => "sig",
        }
    }
}

/// A change to a byte string.
#[derive(Debug, Clone)]
pub(crate) enum ByteEdit {
    /// Flips one bit.
    FlipBit { at: usize, bit: u8 },
    /// Overwrites one byte.
    Set { at: usize, byte: u8 },
    /// Inserts bytes before `at` (or at the end).
    Insert { at: usize, bytes: Vec<u8> },
    /// Deletes up to `len` bytes from `at`.
    Delete { at: usize, len: usize },
    /// Repeats up to `len` bytes from `at` right after themselves.
    Duplicate { at: usize, len: usize },
    /// Exchanges two bytes.
    Swap { a: usize, b: usize },
    /// Keeps only the first `keep` bytes (modulo the length).
    Truncate { keep: usize },
}

impl ByteEdit {
    /// The edited copy of `input`.
    pub(crate) fn apply(&self, input: &[u8]) -> Vec<u8> {
        let mut out = input.to_vec();
        let len = out.len();
        if len == 0 {
            if let Self::Insert { bytes, .. } = self {
                out.extend_from_slice(bytes);
            }
            return out;
        }
        let span = |at: usize, n: usize| {
            let start = at % len;
            (start, (start + n.max(1)).min(len))
        };
        match self {
            Self::FlipBit { at, bit } => out[at % len] ^= 1 << (bit % 8),
            Self::Set { at, byte } => out[at % len] = *byte,
            Self::Insert { at, bytes } => {
                let at = at % (len + 1);
                out.splice(at..at, bytes.iter().copied());
            }
            Self::Delete { at, len: n } => {
                let (start, end) = span(*at, *n);
                out.drain(start..end);
            }
            Self::Duplicate { at, len: n } => {
                let (start, end) = span(*at, *n);
                let copy = out[start..end].to_vec();
                out.splice(end..end, copy);
            }
            Self::Swap { a, b } => out.swap(a % len, b % len),
            Self::Truncate { keep } => out.truncate(keep % len),
        }
        out
    }
}

/// How to re-encode a base64url field.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Recode {
    /// base64url with `=` padding.
    Padded,
    /// The standard alphabet (`+` and `/`), no padding.
    Standard,
    /// The standard alphabet with padding.
    StandardPadded,
    /// The same bits, but the unused low bits of the last character set (non-canonical).
    TrailingBits(u8),
    /// A line break (as JSON `\n`) inside the text, as MIME encoders write.
    LineBreak(usize),
    /// A space inside the text.
    Space(usize),
    /// One character dropped, so the length is impossible or the bytes differ.
    DropChar(usize),
}

/// A change to the JSON structure of the wire object.
#[derive(Debug, Clone)]
pub(crate) enum WireEdit {
    /// Lists the fields in another order (an index into their permutations).
    Reorder(usize),
    /// Repeats a field, with the same value or the donor's.
    Repeat { field: Field, from_donor: bool },
    /// Leaves a field out.
    Drop(Field),
    /// Adds a field that is not part of the wire form; `value` is raw JSON.
    Extra { name: String, value: String },
    /// Whitespace (JSON or not) at a boundary between tokens, or around the object.
    Space { at: usize, text: String },
    /// Replaces the key reference.
    Key(String),
    /// Takes a field's value from the donor envelope: mix and match payload, key and signature.
    FromDonor(Field),
    /// Re-encodes a base64url field.
    Base64 { field: Field, how: Recode },
    /// Toggles the ASCII case of one character of a field's value, or upper-cases all of it.
    Case { field: Field, at: Option<usize> },
    /// Writes one character of a field's value, or of its name, as a `\u` escape.
    Escape { field: Field, at: usize, in_name: bool },
    /// Gives a field a value of another JSON type; `value` is raw JSON, `$` stands for the
    /// field's own value as a JSON string.
    Retype { field: Field, value: String },
    /// Wraps the whole document: in an array, in another object, twice, behind a BOM.
    Wrap(usize),
}

/// A change to the payload bytes inside `signed`.
#[derive(Debug, Clone)]
pub(crate) enum PayloadEdit {
    /// Any byte edit.
    Bytes(ByteEdit),
    /// A JSON-aware edit.
    Json(JsonEdit),
}

/// A JSON-aware change to a payload. Paths index the document's values in a fixed order
/// (pre-order, object keys in their written order), modulo their number.
#[derive(Debug, Clone)]
pub(crate) enum JsonEdit {
    /// Replaces the value at a path.
    Set { path: usize, value: Value },
    /// Removes the value at a path from its object or array.
    Remove { path: usize },
    /// Adds a key to the object at (or containing) a path.
    Add { path: usize, key: String, value: Value },
    /// Repeats the first key of the object at (or containing) a path, textually, with `value`.
    RepeatKey { path: usize, value: Value },
    /// Re-serialises the document (keys sorted, whitespace gone).
    Reserialize,
    /// Re-serialises with indentation.
    Pretty,
}

/// One mutation at one of the three levels.
#[derive(Debug, Clone)]
pub(crate) enum Mutation {
    /// (a) the wire bytes.
    Bytes(ByteEdit),
    /// (b) the wire JSON.
    Wire(WireEdit),
    /// (c) the payload inside `signed`, not re-signed.
    Payload(PayloadEdit),
}

/// Applies `mutations` to `wire` in order; `donor` is another valid wire to take parts from.
pub(crate) fn apply_all(wire: &[u8], donor: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    mutations.iter().fold(wire.to_vec(), |current, m| apply(&current, donor, m))
}

/// Applies one mutation.
pub(crate) fn apply(wire: &[u8], donor: &[u8], mutation: &Mutation) -> Vec<u8> {
    match mutation {
        Mutation::Bytes(edit) => edit.apply(wire),
        Mutation::Wire(edit) => WireDoc::parse(wire).map_or_else(|| wire.to_vec(), |doc| doc.edit(edit, donor)),
        Mutation::Payload(edit) => {
            let Some(mut doc) = WireDoc::parse(wire) else { return wire.to_vec() };
            let Some(payload) = doc.decoded(Field::Signed) else { return wire.to_vec() };
            doc.set_string(Field::Signed, &URL_SAFE_NO_PAD.encode(edit.apply(&payload)));
            doc.render()
        }
    }
}

impl PayloadEdit {
    /// The edited copy of `payload`.
    pub(crate) fn apply(&self, payload: &[u8]) -> Vec<u8> {
        match self {
            Self::Bytes(edit) => edit.apply(payload),
            Self::Json(edit) => edit.apply(payload),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::json::pointers;
    use super::spelling::with_trailing_bits;
    use super::*;

    #[test]
    fn edits_apply_to_empty_input() {
        for edit in [
            ByteEdit::FlipBit { at: 3, bit: 1 },
            ByteEdit::Delete { at: 0, len: 4 },
            ByteEdit::Truncate { keep: 9 },
            ByteEdit::Duplicate { at: 1, len: 2 },
        ] {
            assert!(edit.apply(b"").is_empty());
        }
        assert_eq!(ByteEdit::Insert { at: 7, bytes: b"ab".to_vec() }.apply(b""), b"ab");
    }

    #[test]
    fn a_wire_document_renders_back_to_its_own_bytes() {
        let wire = br#"{"signed":"eyJ2IjoxfQ","key":"zj-taishun-luoyang#k1","sig":"AAAA"}"#;
        assert_eq!(WireDoc::parse(wire).unwrap().render(), wire);
    }

    #[test]
    fn escapes_and_trailing_bits_are_written_as_intended() {
        assert_eq!(escape_one("k1", 1), r#""k\u0031""#);
        assert_eq!(escape_one("键", 0), r#""\u952e""#);
        assert_eq!(escape_one("😀", 0), r#""\ud83d\ude00""#);
        // One byte encodes as two characters with four unused bits: "YQ" is "a", "YR" is not.
        assert_eq!(with_trailing_bits("YQ", 1, 1), "YR");
        assert_eq!(with_trailing_bits("YWJj", 3, 1), "YWJj");
    }

    #[test]
    fn payload_paths_cover_every_value() {
        let paths = pointers(&serde_json::json!({"a": [1, {"b/c": 2}], "d": null}));
        assert_eq!(paths, ["", "/a", "/a/0", "/a/1", "/a/1/b~1c", "/d"]);
        let edited = JsonEdit::RepeatKey { path: 0, value: Value::from(9) }.apply(br#"{"a":1,"b":2}"#);
        let text = String::from_utf8(edited).unwrap();
        assert_eq!((text.matches(r#""a":9"#).count(), text.matches(r#""a":1"#).count()), (1, 1), "{text}");
    }
}
