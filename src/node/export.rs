//! Exporting a case as an evidence bundle, with the `no_export` restriction enforced.

use std::collections::BTreeSet;

use serde_json::value::RawValue;

use super::auth::READERS;
use super::{Node, NodeError, Officer};
use crate::config::Role;
use crate::domain::case::Restriction;
use crate::envelope::{SealedEnvelope, SealedHandover, SealedReceipt};
use crate::evidence::{self, Content, EquivocationEntry, Exporter, ReceiptEntry, StationEntry};
use crate::ids::{CaseId, KeyRef};
use crate::store::{AuditDraft, StoreError};

fn raw(bytes: Vec<u8>) -> Result<Box<RawValue>, NodeError> {
    let text = String::from_utf8(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    RawValue::from_string(text).map_err(|e| NodeError::Store(StoreError::Corrupt(e.to_string())))
}

impl Node {
    /// Exports a case as a signed evidence bundle, recording the export in the audit chain
    /// first. A `no_export` case may only be exported by a chief.
    pub async fn export_bundle(&self, officer: &Officer, id: CaseId) -> Result<Vec<u8>, NodeError> {
        officer.require(READERS)?;
        let case = self.store.case(&id)?.ok_or_else(|| NodeError::CaseNotFound(id.to_string()))?;
        if case.restricted(Restriction::NoExport) && !officer.has(Role::Chief) {
            return Err(NodeError::Restricted(Restriction::NoExport));
        }
        let mut envelopes = Vec::new();
        let mut receipts = Vec::new();
        let mut signers: BTreeSet<KeyRef> = BTreeSet::new();
        for stored in self.store.timeline(&id)? {
            if let Ok(sealed) = SealedEnvelope::open(&stored.wire, &self.keys) {
                signers.insert(sealed.key().clone());
            }
            for (station, wire) in self.store.receipts(&stored.meta.id)? {
                if let Ok(receipt) = SealedReceipt::open(&wire, &self.keys) {
                    signers.insert(receipt.signed.key().clone());
                }
                receipts.push(ReceiptEntry { envelope: stored.meta.id.to_string(), station, receipt: raw(wire)? });
            }
            envelopes.push(raw(stored.wire)?);
        }
        let parties: Vec<_> = std::iter::once(case.origin.clone()).chain(case.parties.iter().cloned()).collect();
        let mut equivocations = Vec::new();
        for evidence in self.store.equivocations_of_case(&id, &parties)? {
            if let Ok(sealed) = SealedEnvelope::open(&evidence.refused_wire, &self.keys) {
                signers.insert(sealed.key().clone());
            }
            equivocations.push(EquivocationEntry {
                kept: evidence.kept.to_string(),
                refused: raw(evidence.refused_wire)?,
                refused_at: crate::clock::rfc3339(evidence.received_at),
            });
        }
        let mut handovers = Vec::new();
        for wire in self.store.handovers(&id)? {
            if let Ok(sealed) = SealedHandover::open(&wire, &self.keys) {
                signers.insert(sealed.signed.key().clone());
            }
            handovers.push(raw(wire)?);
        }
        signers.insert(self.signer.key_ref().clone());
        let keys = signers.iter().filter_map(|k| self.keys.get(k).map(|key| evidence::key_entry(k, key))).collect();
        let mut stations =
            vec![StationEntry { id: self.station().to_string(), name: self.config.station.name.clone() }];
        for party in std::iter::once(&case.origin).chain(&case.parties) {
            if let Some(peer) = self.config.peer(party) {
                stations.push(StationEntry { id: peer.id.to_string(), name: peer.name.clone() });
            }
        }
        let now = self.now();
        let content = Content {
            format: evidence::FORMAT.to_owned(),
            case: id,
            exported_by: Exporter { station: self.station().to_string(), officer: officer.actor() },
            exported_at: crate::clock::rfc3339(now),
            stations,
            envelopes,
            receipts,
            keys,
            equivocations,
            handovers,
        };
        let bundle = evidence::seal(&content, &self.signer).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.store.write(now, |unit| {
            unit.audit(AuditDraft::new(officer.actor(), "case.export").case(id));
            Ok::<_, NodeError>(())
        })?;
        self.store.durable().await?;
        Ok(bundle)
    }
}
