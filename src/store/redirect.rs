//! Redirects (改发) at the origin (`declinedcase_redirect`): a declined request and the new
//! request sent in its place, so the declined case shows where it went. The new request says
//! where it came from itself, signed (`redirected_from`); this is the way back.

use super::{Store, StoreError, TreeId, Unit};
use crate::ids::{CaseId, StationId};

/// The version byte before the declining station.
const V1: u8 = 1;

impl Unit<'_> {
    /// Records that `new` was sent in place of `declined`, which `station` declined. Written
    /// in the unit that stores `new`.
    pub fn put_redirect(&mut self, declined: &CaseId, new: &CaseId, station: &StationId) {
        let key = [declined.as_bytes().as_slice(), new.as_bytes()].concat();
        let value = [&[V1][..], station.as_str().as_bytes()].concat();
        self.put(TreeId::DeclinedcaseRedirect, key, value);
    }
}

impl Store {
    /// The requests sent in place of `declined`, each with the station whose decline it
    /// answers, oldest first (case ids sort by time).
    pub fn redirects_of(&self, declined: &CaseId) -> Result<Vec<(CaseId, StationId)>, StoreError> {
        let inner = self.inner()?;
        let mut out = Vec::new();
        for item in inner.trees.declinedcase_redirect.scan_prefix(declined.as_bytes()) {
            let (key, value) = item?;
            let new: [u8; 16] = key
                .get(16..)
                .and_then(|k| k.try_into().ok())
                .ok_or_else(|| StoreError::Corrupt("a redirect's key is not two case ids".into()))?;
            let station = match value.split_first() {
                Some((&V1, station)) => std::str::from_utf8(station).ok().and_then(|s| s.parse().ok()),
                Some((version, _)) => {
                    return Err(StoreError::Corrupt(format!("a redirect has unknown format version {version}")));
                }
                None => None,
            }
            .ok_or_else(|| StoreError::Corrupt("a redirect names no station".into()))?;
            out.push((CaseId::from_bytes(new), station));
        }
        Ok(out)
    }
}
