//! Stored values carry a version byte first, so a later release can read old values and
//! migrate them instead of misreading them.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// The version byte of every JSON value this release writes.
const JSON_V1: u8 = 1;

/// Encodes a value as its version byte followed by JSON.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![JSON_V1];
    serde_json::to_writer(&mut out, value).map_err(|e| StoreError::Corrupt(format!("cannot encode value: {e}")))?;
    Ok(out)
}

/// Decodes a value written by [`encode`]; `what` names it in the error.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&JSON_V1, json)) => from_json(json, what),
        Some((version, _)) => Err(StoreError::Corrupt(format!("{what} has unknown format version {version}"))),
        None => Err(StoreError::Corrupt(format!("{what} is empty"))),
    }
}

/// The version byte of a case value that carries its timeline: framed like an envelope's,
/// the raw part the timeline's entries (see `case_value`).
pub const CASE_WITH_TIMELINE: u8 = 2;

/// The version byte of an envelope value that may carry the receipt this station issued for
/// it (see `envelope_value`).
pub const ENVELOPE_WITH_RECEIPT: u8 = 3;

/// Encodes JSON metadata and raw bytes side by side: version, metadata length, metadata, raw.
/// Envelope values were written so before they carried receipts; evidence of equivocation is
/// written so.
pub fn encode_with_raw<T: Serialize>(meta: &T, raw: &[u8]) -> Result<Vec<u8>, StoreError> {
    frame(JSON_V1, meta, raw)
}

/// Decodes what `encode_with_raw` wrote (an envelope value of an earlier release).
pub fn decode_with_raw<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<(T, Vec<u8>), StoreError> {
    let (json, raw) = unframe(bytes, JSON_V1, what)?;
    Ok((from_json(json, what)?, raw.to_vec()))
}

/// Writes `version`, the length of `meta`'s JSON, the JSON, then `raw`.
pub fn frame<T: Serialize>(version: u8, meta: &T, raw: &[u8]) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_vec(meta).map_err(|e| StoreError::Corrupt(format!("cannot encode value: {e}")))?;
    let len = u32::try_from(json.len()).map_err(|_| StoreError::Corrupt("metadata too large".into()))?;
    let mut out = Vec::with_capacity(5 + json.len() + raw.len());
    out.push(version);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(raw);
    Ok(out)
}

/// Splits what [`frame`] wrote with `version` into the JSON and the raw bytes.
pub fn unframe<'a>(bytes: &'a [u8], version: u8, what: &str) -> Result<(&'a [u8], &'a [u8]), StoreError> {
    let corrupt = || StoreError::Corrupt(format!("{what} is truncated"));
    let (&found, rest) = bytes.split_first().ok_or_else(corrupt)?;
    if found != version {
        return Err(StoreError::Corrupt(format!("{what} has unknown format version {found}")));
    }
    let len: [u8; 4] = rest.get(..4).and_then(|b| b.try_into().ok()).ok_or_else(corrupt)?;
    let len = usize::try_from(u32::from_be_bytes(len)).map_err(|_| corrupt())?;
    let json = rest.get(4..4 + len).ok_or_else(corrupt)?;
    let raw = rest.get(4 + len..).ok_or_else(corrupt)?;
    Ok((json, raw))
}

/// Decodes JSON that [`unframe`] split off; `what` names it in the error.
pub fn from_json<T: DeserializeOwned>(json: &[u8], what: &str) -> Result<T, StoreError> {
    serde_json::from_slice(json).map_err(|e| StoreError::Corrupt(format!("{what} does not decode: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_unknown_versions_are_refused() {
        let bytes = encode(&vec!["罗阳", "犀溪"]).unwrap();
        assert_eq!(bytes[0], JSON_V1);
        assert_eq!(decode::<Vec<String>>(&bytes, "test").unwrap(), vec!["罗阳", "犀溪"]);
        let mut future = bytes.clone();
        future[0] = 9;
        assert!(matches!(decode::<Vec<String>>(&future, "test"), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn raw_bytes_are_kept_exactly() {
        let raw = b"{\"signed\":\"x\"}\n\x00\xff";
        let bytes = encode_with_raw(&42u32, raw).unwrap();
        let (meta, back): (u32, Vec<u8>) = decode_with_raw(&bytes, "test").unwrap();
        assert_eq!(meta, 42);
        assert_eq!(back, raw);
        assert!(decode_with_raw::<u32>(&bytes[..3], "test").is_err());
    }
}
