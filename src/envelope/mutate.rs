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

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;

mod strategy;
pub(crate) use strategy::*;

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

impl JsonEdit {
    /// The edited copy of `payload`, or `payload` itself when it is not a JSON document.
    pub(crate) fn apply(&self, payload: &[u8]) -> Vec<u8> {
        let Ok(mut doc) = serde_json::from_slice::<Value>(payload) else { return payload.to_vec() };
        let paths = pointers(&doc);
        let pick = |path: &usize| paths[path % paths.len()].clone();
        match self {
            Self::Set { path, value } => {
                if let Some(slot) = doc.pointer_mut(&pick(path)) {
                    *slot = value.clone();
                }
            }
            Self::Remove { path } => remove(&mut doc, &pick(path)),
            Self::Add { path, key, value } => {
                if let Some(object) = object_at(&mut doc, &pick(path)) {
                    object.insert(key.clone(), value.clone());
                }
            }
            Self::RepeatKey { path, value } => return repeat_key(payload, &doc, &pick(path), value),
            Self::Reserialize => {}
            Self::Pretty => return serde_json::to_vec_pretty(&doc).unwrap_or_default(),
        }
        serde_json::to_vec(&doc).unwrap_or_default()
    }
}

/// JSON pointers of every value in `doc`, the root first.
fn pointers(doc: &Value) -> Vec<String> {
    fn walk(value: &Value, here: String, out: &mut Vec<String>) {
        out.push(here.clone());
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    walk(child, format!("{here}/{}", key.replace('~', "~0").replace('/', "~1")), out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, format!("{here}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, String::new(), &mut out);
    out
}

fn parent_of(pointer: &str) -> (&str, &str) {
    pointer.rsplit_once('/').unwrap_or(("", ""))
}

fn remove(doc: &mut Value, pointer: &str) {
    let (parent, last) = parent_of(pointer);
    let last = last.replace("~1", "/").replace("~0", "~");
    match doc.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&last);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = last.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        _ => {}
    }
}

/// The object at `pointer`, or else the one that contains it.
fn object_at<'a>(doc: &'a mut Value, pointer: &str) -> Option<&'a mut serde_json::Map<String, Value>> {
    let target = if doc.pointer(pointer).is_some_and(Value::is_object) { pointer } else { parent_of(pointer).0 };
    doc.pointer_mut(target).and_then(Value::as_object_mut)
}

/// The document re-serialised with the first key of the chosen object written twice.
fn repeat_key(payload: &[u8], doc: &Value, pointer: &str, value: &Value) -> Vec<u8> {
    let mut doc = doc.clone();
    let Some(object) = object_at(&mut doc, pointer) else { return payload.to_vec() };
    let Some(key) = object.keys().next().cloned() else { return payload.to_vec() };
    // A marker key that serde_json keeps in place, replaced textually by the repeat.
    let marker = "\u{1}repeat\u{1}";
    object.insert(marker.to_owned(), value.clone());
    let text = serde_json::to_string(&doc).unwrap_or_default();
    let key_json = serde_json::to_string(&key).unwrap_or_default();
    let marker_json = serde_json::to_string(marker).unwrap_or_default();
    text.replacen(&marker_json, &key_json, 1).into_bytes()
}

/// The wire object as an ordered list of raw JSON fields, so edits keep what they do not touch.
#[derive(Debug, Clone)]
struct WireDoc {
    /// Raw JSON name and raw JSON value of each field, in order.
    fields: Vec<(String, String)>,
    /// Whitespace to insert at token boundaries: (boundary index, text).
    spaces: Vec<(usize, String)>,
    /// How to wrap the rendered object, if at all.
    wrap: Option<usize>,
}

impl WireDoc {
    fn parse(wire: &[u8]) -> Option<Self> {
        let mut de = serde_json::Deserializer::from_slice(wire);
        let fields = de.deserialize_map(OrderedFields).ok()?;
        de.end().ok()?;
        Some(Self { fields, spaces: Vec::new(), wrap: None })
    }

    fn position(&self, field: Field) -> Option<usize> {
        let name = Value::String(field.name().to_owned()).to_string();
        self.fields.iter().position(|(n, _)| *n == name)
    }

    fn raw(&self, field: Field) -> Option<&str> {
        self.position(field).map(|i| self.fields[i].1.as_str())
    }

    fn string(&self, field: Field) -> Option<String> {
        self.raw(field).and_then(|raw| serde_json::from_str::<String>(raw).ok())
    }

    fn decoded(&self, field: Field) -> Option<Vec<u8>> {
        self.string(field).and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
    }

    fn set_raw(&mut self, field: Field, raw: String) {
        match self.position(field) {
            Some(i) => self.fields[i].1 = raw,
            None => self.fields.push((Value::String(field.name().to_owned()).to_string(), raw)),
        }
    }

    fn set_string(&mut self, field: Field, text: &str) {
        self.set_raw(field, Value::String(text.to_owned()).to_string());
    }

    fn edit(mut self, edit: &WireEdit, donor: &[u8]) -> Vec<u8> {
        let donor = WireDoc::parse(donor);
        match edit {
            WireEdit::Reorder(n) => permute(&mut self.fields, *n),
            WireEdit::Repeat { field, from_donor } => {
                let source = if *from_donor { donor.as_ref() } else { Some(&self) };
                if let Some(raw) = source.and_then(|d| d.raw(*field)) {
                    self.fields.push((Value::String(field.name().to_owned()).to_string(), raw.to_owned()));
                }
            }
            WireEdit::Drop(field) => {
                let name = Value::String(field.name().to_owned()).to_string();
                self.fields.retain(|(n, _)| *n != name);
            }
            WireEdit::Extra { name, value } => {
                self.fields.push((Value::String(name.clone()).to_string(), value.clone()))
            }
            WireEdit::Space { at, text } => self.spaces.push((*at, text.clone())),
            WireEdit::Key(key) => self.set_string(Field::Key, key),
            WireEdit::FromDonor(field) => {
                if let Some(raw) = donor.as_ref().and_then(|d| d.raw(*field)) {
                    self.set_raw(*field, raw.to_owned());
                }
            }
            WireEdit::Base64 { field, how } => {
                if let Some(text) = self.string(*field) {
                    let raw = recode(&text, *how);
                    self.set_raw(*field, raw);
                }
            }
            WireEdit::Case { field, at } => {
                if let Some(text) = self.string(*field) {
                    self.set_string(*field, &change_case(&text, *at));
                }
            }
            WireEdit::Escape { field, at, in_name } => {
                if let Some(i) = self.position(*field) {
                    if *in_name {
                        self.fields[i].0 = escape_one(field.name(), *at);
                    } else if let Some(text) = self.string(*field) {
                        self.fields[i].1 = escape_one(&text, *at);
                    }
                }
            }
            WireEdit::Retype { field, value } => {
                let own = self.raw(*field).unwrap_or("\"\"").to_owned();
                self.set_raw(*field, value.replace('$', &own));
            }
            WireEdit::Wrap(n) => self.wrap = Some(*n),
        }
        self.render()
    }

    fn render(&self) -> Vec<u8> {
        let mut pieces: Vec<String> = vec!["{".into()];
        for (i, (name, value)) in self.fields.iter().enumerate() {
            if i > 0 {
                pieces.push(",".into());
            }
            pieces.extend([name.clone(), ":".into(), value.clone()]);
        }
        pieces.push("}".into());
        // Boundaries are the gaps between pieces, including before the first and after the last.
        let mut spaced = vec![String::new(); pieces.len() + 1];
        for (at, text) in &self.spaces {
            spaced[at % (pieces.len() + 1)].push_str(text);
        }
        let mut out = String::new();
        for (gap, piece) in spaced.iter().zip(&pieces) {
            out.push_str(gap);
            out.push_str(piece);
        }
        out.push_str(&spaced[pieces.len()]);
        let wrapped = match self.wrap.map(|n| n % 6) {
            None => out,
            Some(0) => format!("[{out}]"),
            Some(1) => format!("{{\"envelope\":{out}}}"),
            Some(2) => format!("{out}{out}"),
            Some(3) => format!("\u{feff}{out}"),
            Some(4) => format!("{out}\n"),
            _ => format!("{{\"signed\":{out}}}"),
        };
        wrapped.into_bytes()
    }
}

/// Collects an object's fields as raw JSON text, in order and with repeats.
struct OrderedFields;

impl<'de> Visitor<'de> for OrderedFields {
    type Value = Vec<(String, String)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            let value: Value = map.next_value()?;
            fields.push((Value::String(name).to_string(), value.to_string()));
        }
        Ok(fields)
    }
}

fn permute<T>(items: &mut [T], n: usize) {
    // Successive swaps walk through every order of a short list.
    let len = items.len();
    let mut n = n;
    for i in (1..len).rev() {
        items.swap(i, n % (i + 1));
        n /= i + 1;
    }
}

/// The raw JSON string of `text` re-encoded as `how` says.
fn recode(text: &str, how: Recode) -> String {
    let quoted = |s: &str| Value::String(s.to_owned()).to_string();
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(text) else { return quoted(text) };
    match how {
        Recode::Padded => quoted(&URL_SAFE.encode(&bytes)),
        Recode::Standard => quoted(&STANDARD_NO_PAD.encode(&bytes)),
        Recode::StandardPadded => quoted(&STANDARD.encode(&bytes)),
        Recode::TrailingBits(bits) => quoted(&with_trailing_bits(text, bytes.len(), bits)),
        Recode::LineBreak(at) => {
            let at = at % (text.len() + 1);
            let (head, tail) = text.split_at(at);
            format!("\"{head}\\n{tail}\"")
        }
        Recode::Space(at) => {
            let at = at % (text.len() + 1);
            quoted(&format!("{} {}", &text[..at], &text[at..]))
        }
        Recode::DropChar(at) => {
            let mut chars: Vec<char> = text.chars().collect();
            if !chars.is_empty() {
                let at = at % chars.len();
                chars.remove(at);
            }
            quoted(&chars.into_iter().collect::<String>())
        }
    }
}

/// The base64url alphabet in value order.
pub(crate) const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// How many low bits of the last character of unpadded base64 of `len` bytes carry nothing.
pub(crate) fn unused_bits(len: usize) -> u32 {
    match len % 3 {
        1 => 4,
        2 => 2,
        _ => 0,
    }
}

/// `text` (canonical base64url of `len` bytes) with the unused bits of its last character
/// set to `bits`; unchanged when there are none or `bits` leaves them zero.
fn with_trailing_bits(text: &str, len: usize, bits: u8) -> String {
    let unused = unused_bits(len);
    let mask = (1u8 << unused) - 1;
    let mut out = text.as_bytes().to_vec();
    if let Some(last) = out.last_mut()
        && let Some(value) = ALPHABET.iter().position(|c| c == last)
    {
        // `value` is below 64, so it fits a byte.
        let value = u8::try_from(value).unwrap_or(0);
        *last = ALPHABET[usize::from(value | (bits & mask))];
    }
    String::from_utf8(out).unwrap_or_default()
}

fn change_case(text: &str, at: Option<usize>) -> String {
    match at {
        None => text.to_ascii_uppercase(),
        Some(at) => {
            let mut bytes = text.as_bytes().to_vec();
            if !bytes.is_empty() {
                let i = at % bytes.len();
                if bytes[i].is_ascii_alphabetic() {
                    bytes[i] ^= 0x20;
                }
            }
            String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned())
        }
    }
}

/// `text` as a raw JSON string with its `at`-th character written as a `\u` escape.
pub(crate) fn escape_one(text: &str, at: usize) -> String {
    let count = text.chars().count().max(1);
    let mut out = String::from("\"");
    for (i, c) in text.chars().enumerate() {
        if i == at % count {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            let single = Value::String(c.to_string()).to_string();
            out.push_str(&single[1..single.len() - 1]);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
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
