//! Reference numbers in the store: the index from a number (and from its label) to its case,
//! and this station's counter per year.
//!
//! The index entries are a case's like its listing entries ([`super::keys::index_entries`]),
//! so they are written in the unit that stores the case, at the origin and at every target.
//! The counter is raised in that same unit past any number of this station's a case carries,
//! whether this unit gave it or a partner returned it when a restored node reconciles: a
//! number once given is never given again.

use super::keys::station_segment;
use super::{Store, StoreError, TreeId, Unit};
use crate::domain::refno::RefNo;
use crate::ids::{CaseId, StationId};

/// `refno_case` key of `origin`'s number `number` of `year`.
pub fn number_key(origin: &StationId, year: u16, number: u32) -> Vec<u8> {
    [b"n".as_slice(), &station_segment(origin), &year.to_be_bytes(), &number.to_be_bytes()].concat()
}

/// `refno_case` key of a label.
pub fn label_key(label: &str) -> Vec<u8> {
    [b"l".as_slice(), label.as_bytes()].concat()
}

/// The index entries of a case numbered `refno` by `origin`.
pub fn index_entries(origin: &StationId, refno: &RefNo) -> [Vec<u8>; 2] {
    [number_key(origin, refno.year, refno.number), label_key(&refno.label)]
}

/// `meta` key of this station's next number in `year`.
fn counter_key(year: u16) -> Vec<u8> {
    [b"refno_next\0".as_slice(), &year.to_be_bytes()].concat()
}

fn decode_case(value: &[u8]) -> Result<CaseId, StoreError> {
    <[u8; 16]>::try_from(value)
        .map(CaseId::from_bytes)
        .map_err(|_| StoreError::Corrupt("reference number index entry is not a case id".into()))
}

impl Store {
    /// The case `origin` numbered `number` in `year`, if this store holds it.
    pub fn case_by_number(&self, origin: &StationId, year: u16, number: u32) -> Result<Option<CaseId>, StoreError> {
        let value = self.inner()?.trees.refno_case.get(number_key(origin, year, number))?;
        value.map(|v| decode_case(&v)).transpose()
    }

    /// The case whose number reads `label`, if this store holds it.
    pub fn case_by_label(&self, label: &str) -> Result<Option<CaseId>, StoreError> {
        let value = self.inner()?.trees.refno_case.get(label_key(label))?;
        value.map(|v| decode_case(&v)).transpose()
    }
}

impl Unit<'_> {
    /// This station's next number in `year`, taken: the counter moves past it in this unit.
    /// A number the index already holds is passed over, so even a counter lost with the rest
    /// of a damaged store cannot hand one out twice.
    pub fn take_number(&mut self, year: u16) -> Result<u32, StoreError> {
        let me = self.station().clone();
        let mut number = self.next_number(year)?;
        while self.inner.trees.refno_case.contains_key(number_key(&me, year, number))? {
            number = number.saturating_add(1);
        }
        self.raise_counter(year, number)?;
        Ok(number)
    }

    /// Moves this station's counter for `year` past `number`, if it is not already.
    pub(super) fn raise_counter(&mut self, year: u16, number: u32) -> Result<(), StoreError> {
        let next = number.saturating_add(1);
        if self.next_number(year)? < next {
            self.refno_next.insert(year, next);
            self.put(TreeId::Meta, counter_key(year), next.to_be_bytes().to_vec());
        }
        Ok(())
    }

    fn next_number(&self, year: u16) -> Result<u32, StoreError> {
        if let Some(next) = self.refno_next.get(&year) {
            return Ok(*next);
        }
        let value = self.inner.trees.meta.get(counter_key(year))?;
        Ok(value.and_then(|v| <[u8; 4]>::try_from(v.as_ref()).ok()).map_or(1, u32::from_be_bytes).max(1))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn store(dir: &std::path::Path) -> (Store, StationId) {
        let me: StationId = "zj-taishun-luoyang".parse().unwrap();
        (Store::open(dir, &me, 1 << 20).unwrap(), me)
    }

    fn take(store: &Store, year: u16) -> u32 {
        let at = time::OffsetDateTime::UNIX_EPOCH;
        store.write(at, |unit| unit.take_number(year)).unwrap().0
    }

    #[test]
    fn numbers_follow_each_other_per_year_and_a_failed_unit_gives_none() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = store(dir.path());
        let at = time::OffsetDateTime::UNIX_EPOCH;
        let both = store.write(at, |unit| Ok::<_, StoreError>((unit.take_number(2026)?, unit.take_number(2026)?)));
        assert_eq!(both.unwrap().0, (1, 2));
        let failed = store.write(at, |unit| {
            unit.take_number(2026)?;
            Err::<(), _>(StoreError::Corrupt("refused".into()))
        });
        assert!(failed.is_err());
        assert_eq!(take(&store, 2026), 3);
        assert_eq!(take(&store, 2027), 1);
        drop(store);
        let (store, _) = self::store(dir.path());
        assert_eq!(take(&store, 2026), 4, "the counter outlives the process");
    }

    #[test]
    fn a_number_returned_by_a_partner_or_already_indexed_is_not_given_again() {
        let dir = tempfile::tempdir().unwrap();
        let (store, me) = store(dir.path());
        let at = time::OffsetDateTime::UNIX_EPOCH;
        // What reconciliation stores for a request of ours numbered 7 that the backup lacked.
        store.write(at, |unit| unit.raise_counter(2026, 7)).unwrap();
        assert_eq!(take(&store, 2026), 8);
        // A lower number changes nothing.
        store.write(at, |unit| unit.raise_counter(2026, 3)).unwrap();
        assert_eq!(take(&store, 2026), 9);
        // An index entry the counter does not know of is passed over.
        let case = CaseId::new();
        store
            .write(at, |unit| {
                unit.put(TreeId::RefnoCase, number_key(&me, 2026, 10), case.as_bytes().to_vec());
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(take(&store, 2026), 11);
        assert_eq!(store.case_by_number(&me, 2026, 10).unwrap(), Some(case));
        assert_eq!(store.case_by_number(&me, 2026, 12).unwrap(), None);
    }
}
