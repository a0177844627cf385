//! Sending once: an officer's new request carries an idempotency key, and the same key from
//! the same officer within [`KEY_LIFE`] gives back the case it first made, so a double click
//! or a retried connection makes no second case at the partner.

use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::{NewCase, Node, NodeError, Officer};
use crate::case::CaseRecord;
use crate::store::{SentKey, Unit};

/// How long a key is remembered: long enough for any retry, short enough that the keys a
/// station holds stay a day's worth.
pub const KEY_LIFE: Duration = Duration::hours(24);

/// Longest key accepted: room for a UUID or a hex SHA-256, not for a stored payload.
const KEY_MAX: usize = 100;

/// An idempotency key as a client sent it: 1–100 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks a key as received; refuses empty, overlong, or one with spaces or control or
    /// non-ASCII characters, which could not be told apart once logged or shown.
    pub fn parse(raw: &str) -> Result<Self, NodeError> {
        let visible = raw.bytes().all(|b| b.is_ascii_graphic());
        if raw.is_empty() || raw.len() > KEY_MAX || !visible {
            return Err(NodeError::InvalidIdempotencyKey);
        }
        Ok(Self(raw.to_owned()))
    }

    /// A fresh random key (128 bits, hex): what the console's form carries.
    pub fn fresh() -> Self {
        Self(hex::encode(rand::random::<[u8; 16]>()))
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A keyed request on its way into the store: whose key, which key, and the digest of what
/// was asked, to tell a retry from another request under the same key.
#[derive(Debug, Clone)]
pub(super) struct Once {
    officer: String,
    key: IdempotencyKey,
    body: String,
}

impl Once {
    pub(super) fn new(officer: &Officer, key: IdempotencyKey, new: &NewCase) -> Result<Self, NodeError> {
        // The confirmation is not part of what is asked: a retry that now confirms a duplicate
        // is still the same request.
        let asked = NewCase { confirm_duplicate: false, ..new.clone() };
        let json = serde_json::to_vec(&asked)
            .map_err(|e| NodeError::Store(crate::store::StoreError::Corrupt(format!("cannot encode request: {e}"))))?;
        Ok(Self { officer: officer.actor(), key, body: hex::encode(Sha256::digest(json)) })
    }

    /// What this key sent before, if it is still remembered at `now`: the case for a retry,
    /// a refusal for another request under the same key.
    fn first(&self, sent: Option<SentKey>, now: OffsetDateTime) -> Result<Option<SentKey>, NodeError> {
        match sent {
            Some(sent) if now - sent.at < KEY_LIFE => {
                if sent.body == self.body {
                    Ok(Some(sent))
                } else {
                    Err(NodeError::IdempotencyKeyReused { case: sent.case, at: sent.at })
                }
            }
            _ => Ok(None),
        }
    }

    /// What this key sent before, as `unit` sees it (see [`Once::first`]).
    pub(super) fn first_in(&self, unit: &Unit<'_>) -> Result<Option<SentKey>, NodeError> {
        self.first(unit.sent_key(&self.officer, self.key.as_str())?, unit.at())
    }

    /// Records in `unit` that this key sent `case`.
    pub(super) fn remember(&self, unit: &mut Unit<'_>, case: &CaseRecord) -> Result<(), NodeError> {
        let sent = SentKey { body: self.body.clone(), case: case.id, at: unit.at() };
        Ok(unit.remember_key(&self.officer, self.key.as_str(), sent)?)
    }
}

/// A request as sent: its case, and whether it was sent just now or by an earlier request
/// with the same key (then nothing was sent now).
#[derive(Debug, Clone)]
pub struct Sent {
    /// The case, as it stands now.
    pub case: CaseRecord,
    /// True when the key had sent it before: the case is the first one, not a new one.
    pub repeated: bool,
}

impl Node {
    /// What `once` sent before, as committed; checked before the duplicate warning, so a
    /// retry of a request is not taken for a second request about the same subject.
    pub(super) fn first_sent(&self, once: &Once) -> Result<Option<Sent>, NodeError> {
        let sent = self.store.sent_key(&once.officer, once.key.as_str())?;
        let Some(first) = once.first(sent, self.now())? else { return Ok(None) };
        let case = self.store.case(&first.case)?.ok_or_else(|| {
            NodeError::Store(crate::store::StoreError::Corrupt(format!(
                "an idempotency key names case {}, which is not stored",
                first.case
            )))
        })?;
        Ok(Some(Sent { case, repeated: true }))
    }

    /// Forgets idempotency keys older than [`KEY_LIFE`]; returns how many.
    pub fn forget_old_keys(&self) -> Result<usize, NodeError> {
        Ok(self.store.forget_keys(self.now() - KEY_LIFE)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_one_to_a_hundred_visible_ascii_characters() {
        for good in ["a", "0f3c-77", &"k".repeat(100), "~!@#$%^&*()_+{}|:\"<>?"] {
            assert_eq!(IdempotencyKey::parse(good).map(|k| k.as_str().to_owned()).ok().as_deref(), Some(good));
        }
        for bad in ["", &"k".repeat(101), "with space", "tab\there", "键", "new\nline", "\u{7f}"] {
            assert!(matches!(IdempotencyKey::parse(bad), Err(NodeError::InvalidIdempotencyKey)), "{bad:?}");
        }
        assert!(IdempotencyKey::parse(IdempotencyKey::fresh().as_str()).is_ok());
    }
}
