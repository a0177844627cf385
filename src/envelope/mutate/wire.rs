//! The wire object as an ordered list of raw fields, so a wire edit changes only what it names.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::spelling::{change_case, escape_one, recode};
use super::{Field, WireEdit};

/// The wire object as an ordered list of raw JSON fields, so edits keep what they do not touch.
#[derive(Debug, Clone)]
pub(super) struct WireDoc {
    /// Raw JSON name and raw JSON value of each field, in order.
    fields: Vec<(String, String)>,
    /// Whitespace to insert at token boundaries: (boundary index, text).
    spaces: Vec<(usize, String)>,
    /// How to wrap the rendered object, if at all.
    wrap: Option<usize>,
}

impl WireDoc {
    pub(super) fn parse(wire: &[u8]) -> Option<Self> {
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

    pub(super) fn decoded(&self, field: Field) -> Option<Vec<u8>> {
        self.string(field).and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
    }

    fn set_raw(&mut self, field: Field, raw: String) {
        match self.position(field) {
            Some(i) => self.fields[i].1 = raw,
            None => self.fields.push((Value::String(field.name().to_owned()).to_string(), raw)),
        }
    }

    pub(super) fn set_string(&mut self, field: Field, text: &str) {
        self.set_raw(field, Value::String(text.to_owned()).to_string());
    }

    pub(super) fn edit(mut self, edit: &WireEdit, donor: &[u8]) -> Vec<u8> {
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

    pub(super) fn render(&self) -> Vec<u8> {
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
