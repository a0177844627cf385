//! Other spellings of one field's value: base64 variants and trailing bits, ASCII case, `\u` escapes.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::Value;

use super::Recode;

/// The raw JSON string of `text` re-encoded as `how` says.
pub(super) fn recode(text: &str, how: Recode) -> String {
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
pub(super) fn with_trailing_bits(text: &str, len: usize, bits: u8) -> String {
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

pub(super) fn change_case(text: &str, at: Option<usize>) -> String {
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
