//! JSON-aware edits of a payload: values set, removed, added or repeated at a path, and re-serialised.

use serde_json::Value;

use super::JsonEdit;

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
pub(super) fn pointers(doc: &Value) -> Vec<String> {
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
