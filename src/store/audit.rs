//! The audit chain: an append-only hash chain of every action, reads of cases included.
//! Each entry's hash covers the previous entry's hash and its own content, so changing,
//! removing or reordering any entry breaks every hash after it, and `audit verify` can name
//! the first entry that no longer fits.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::ids::{CaseId, EnvelopeId};

/// The hash the first entry chains from.
pub const GENESIS: [u8; 32] = [0; 32];

/// What a caller records; the store assigns sequence, time and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditDraft {
    /// Who acted: a certificate identity (`urn:tiemeng:…`) or `system`.
    pub actor: String,
    /// What was done, e.g. `case.create`, `case.read`, `envelope.receive`.
    pub action: &'static str,
    /// The case concerned.
    pub case: Option<CaseId>,
    /// The envelope concerned.
    pub envelope: Option<EnvelopeId>,
    /// Hex SHA-256 of the envelope's signed bytes.
    pub sha256: Option<String>,
    /// Anything else worth keeping (a filter, a rejection code).
    pub detail: Option<String>,
}

impl AuditDraft {
    /// A draft for `action` by `actor`, to be completed with the builder methods.
    pub fn new(actor: impl Into<String>, action: &'static str) -> Self {
        Self { actor: actor.into(), action, case: None, envelope: None, sha256: None, detail: None }
    }

    /// Names the case.
    pub fn case(mut self, case: CaseId) -> Self {
        self.case = Some(case);
        self
    }

    /// Names the envelope and its digest.
    pub fn envelope(mut self, envelope: EnvelopeId, digest: [u8; 32]) -> Self {
        self.envelope = Some(envelope);
        self.sha256 = Some(hex::encode(digest));
        self
    }

    /// Adds a detail.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// One entry of the chain as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1, without gaps.
    pub seq: u64,
    /// When it was recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who acted.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// The case concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<CaseId>,
    /// The envelope concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<EnvelopeId>,
    /// Hex SHA-256 of the envelope's signed bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Hex hash of the previous entry.
    pub prev: String,
    /// Hex hash of this entry: SHA-256 over `prev` and every field above.
    pub hash: String,
}

impl AuditEntry {
    /// Completes a draft as entry `seq` chained to `prev`.
    pub fn chain(draft: AuditDraft, seq: u64, at: OffsetDateTime, prev: [u8; 32]) -> Self {
        let mut entry = Self {
            seq,
            at,
            actor: draft.actor,
            action: draft.action.to_owned(),
            case: draft.case,
            envelope: draft.envelope,
            sha256: draft.sha256,
            detail: draft.detail,
            prev: hex::encode(prev),
            hash: String::new(),
        };
        entry.hash = hex::encode(entry.compute_hash());
        entry
    }

    /// The hash this entry's content implies (its `hash` field excluded).
    pub fn compute_hash(&self) -> [u8; 32] {
        let content = Self { hash: String::new(), ..self.clone() };
        // Serialising plain fields cannot fail; an empty buffer would still break the chain
        // visibly rather than silently.
        let bytes = serde_json::to_vec(&content).unwrap_or_default();
        let mut hasher = Sha256::new();
        hasher.update(b"tiemeng/audit/v1\n");
        hasher.update(&bytes);
        hasher.finalize().into()
    }

    /// The entry's hash as bytes, if the stored hex is well-formed.
    pub fn hash_bytes(&self) -> Option<[u8; 32]> {
        hex::decode(&self.hash).ok().and_then(|b| b.try_into().ok())
    }
}

/// The first place a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// An entry's content does not match its hash: it was altered.
    #[error("entry {seq} was altered: its content no longer matches its hash")]
    Altered {
        /// The entry.
        seq: u64,
    },
    /// An entry does not chain from the one before: one was removed, inserted or reordered.
    #[error("entry {seq} does not follow entry {previous}: an entry was removed, inserted or replaced")]
    Unlinked {
        /// The entry.
        seq: u64,
        /// The entry before it.
        previous: u64,
    },
    /// An entry cannot be read at all.
    #[error("entry at key {key} cannot be read: {reason}")]
    Unreadable {
        /// The storage key, hex.
        key: String,
        /// Why.
        reason: String,
    },
    /// The chain ends before the recorded head: entries were cut off the end.
    #[error("the chain ends at entry {last} but the head records entry {head}: entries were removed from the end")]
    Truncated {
        /// Last entry found.
        last: u64,
        /// Entry the head names.
        head: u64,
    },
}

impl ChainBreak {
    /// The break described in Chinese.
    pub fn zh(&self) -> String {
        match self {
            Self::Altered { seq } => format!("第 {seq} 条记录被篡改：内容与其哈希不符"),
            Self::Unlinked { seq, previous } => {
                format!("第 {seq} 条记录与第 {previous} 条记录不衔接：有记录被删除、插入或替换")
            }
            Self::Unreadable { key, reason } => format!("键 {key} 处的记录无法读取：{reason}"),
            Self::Truncated { last, head } => {
                format!("审计链止于第 {last} 条，但链头记录为第 {head} 条：末尾记录被删除")
            }
        }
    }
}

/// Checks entries in order; returns the number checked, or the first break.
pub fn verify<I>(entries: I, head: Option<(u64, [u8; 32])>) -> Result<u64, ChainBreak>
where
    I: IntoIterator<Item = Result<AuditEntry, ChainBreak>>,
{
    let mut previous_seq = 0;
    let mut previous_hash = GENESIS;
    for entry in entries {
        let entry = entry?;
        if entry.seq != previous_seq + 1 || entry.prev != hex::encode(previous_hash) {
            return Err(ChainBreak::Unlinked { seq: entry.seq, previous: previous_seq });
        }
        let hash = entry.compute_hash();
        if entry.hash_bytes() != Some(hash) {
            return Err(ChainBreak::Altered { seq: entry.seq });
        }
        previous_seq = entry.seq;
        previous_hash = hash;
    }
    if let Some((head_seq, head_hash)) = head
        && (head_seq != previous_seq || head_hash != previous_hash)
    {
        return Err(ChainBreak::Truncated { last: previous_seq, head: head_seq });
    }
    Ok(previous_seq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let entry = AuditEntry::chain(
                    AuditDraft::new("urn:tiemeng:officer:zj-taishun-luoyang:330329001", "case.read"),
                    seq,
                    datetime!(2026-11-23 08:00 UTC),
                    prev,
                );
                prev = entry.hash_bytes().unwrap();
                entry
            })
            .collect()
    }

    fn head(entries: &[AuditEntry]) -> Option<(u64, [u8; 32])> {
        entries.last().map(|e| (e.seq, e.hash_bytes().unwrap()))
    }

    #[test]
    fn an_intact_chain_verifies() {
        let entries = chain(5);
        assert_eq!(verify(entries.clone().into_iter().map(Ok), head(&entries)), Ok(5));
    }

    #[test]
    fn an_altered_entry_is_named() {
        let mut entries = chain(5);
        let head = head(&entries);
        entries[2].actor = "urn:tiemeng:officer:zj-taishun-luoyang:999".into();
        assert_eq!(verify(entries.into_iter().map(Ok), head), Err(ChainBreak::Altered { seq: 3 }));
    }

    #[test]
    fn a_removed_entry_is_named() {
        let mut entries = chain(5);
        let head = head(&entries);
        entries.remove(1);
        assert_eq!(verify(entries.into_iter().map(Ok), head), Err(ChainBreak::Unlinked { seq: 3, previous: 1 }));
    }

    #[test]
    fn a_cut_off_end_is_noticed() {
        let mut entries = chain(5);
        let head = head(&entries);
        entries.truncate(3);
        assert_eq!(verify(entries.into_iter().map(Ok), head), Err(ChainBreak::Truncated { last: 3, head: 5 }));
    }
}
