//! Handovers of cases between this station's officers (`casetime_handover`): the signed bytes
//! of each, under its case and time, so a case's handovers read in order with one range scan.
//! The record itself is in the case's value (its handler); these are the evidence of how it
//! came to be.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::keys::time_key;
use super::{Store, StoreError, TreeId, Unit};
use crate::ids::CaseId;

/// The version byte before a handover's signed bytes.
const SIGNED_V1: u8 = 1;

/// The key of a handover: case, time, then the start of its digest, so two handovers of a
/// case in the same millisecond both stay.
fn key(case: &CaseId, at: OffsetDateTime, wire: &[u8]) -> Vec<u8> {
    let digest = Sha256::digest(wire);
    [case.as_bytes().as_slice(), &time_key(at), &digest[..8]].concat()
}

impl Unit<'_> {
    /// Keeps the signed bytes of a handover of `case` made at `at`.
    pub fn put_handover(&mut self, case: &CaseId, at: OffsetDateTime, wire: &[u8]) {
        let value = [&[SIGNED_V1][..], wire].concat();
        self.put(TreeId::CasetimeHandover, key(case, at, wire), value);
    }
}

impl Store {
    /// The signed bytes of every handover of `case`, oldest first.
    pub fn handovers(&self, case: &CaseId) -> Result<Vec<Vec<u8>>, StoreError> {
        let inner = self.inner()?;
        let mut out = Vec::new();
        for item in inner.trees.casetime_handover.scan_prefix(case.as_bytes()) {
            let (_, value) = item?;
            match value.split_first() {
                Some((&SIGNED_V1, wire)) => out.push(wire.to_vec()),
                Some((version, _)) => {
                    return Err(StoreError::Corrupt(format!("a handover has unknown format version {version}")));
                }
                None => return Err(StoreError::Corrupt("a handover is empty".into())),
            }
        }
        Ok(out)
    }
}
