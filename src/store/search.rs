//! The search index (`term_case`): from each term a case's request names to the case, newest
//! first, so that an officer finds a case by a name, the last digits of a resident ID, a plate,
//! a case or warrant number, its reference number or the words of its title and narrative.
//!
//! Key: the term's UTF-8 bytes, a 0 byte, the case's creation time inverted (so newer sorts
//! first), the case id. Value: a version byte, then one bit per field the term was found in.
//! A query's terms all have to match: their posting lists are walked together, each jumping
//! to the next position any other list holds (a zigzag join), so a rare term (a resident ID)
//! costs a few reads however common the others are.
//!
//! Requests never change, so a case's entries are written once, in the unit that stores its
//! request envelope: at the origin when it is sent, at a target when it is received (and when
//! reconciliation brings it back). Withdrawn and closed cases stay searchable; the state is
//! a filter checked on the case. Besides text terms each case has three kinds of filter term,
//! which start with a 1 byte no text term can hold: every case (`ALL`), its kind and each of
//! its stations, so filters without words are a walk of one list too.
//!
//! Bounded: at most [`TERMS_MAX`] text terms a case (identifiers first, then names and title,
//! then the narrative's words), and a partner adds cases only by sending requests.
//! A store written by a release without the index has it built when it opens
//! ([`Store::ensure_search_index`]).

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::keys::{kind_tag, time_key};
use super::search_build::{self, SortedRuns};
use super::{Store, StoreError, TreeId, Unit};
use crate::case::CaseRecord;
use crate::domain::details::{CaseDetails, CaseKind};
use crate::domain::lifecycle::TargetState;
use crate::domain::words::{self, Grain};
use crate::envelope::Envelope;
use crate::envelope::body::{Body, RequestBody};
use crate::ids::{CaseId, StationId};

/// Text terms kept per case at most.
pub const TERMS_MAX: usize = 400;
/// Posting-list reads one page may make at most: a query of common terms that rarely meet
/// stops there and gives a cursor, like the listings.
const SEEK_BUDGET: usize = 20_000;
/// `meta` key present once every stored case has its search entries.
const BUILT: &[u8] = b"search_index_built_v1";
/// Version byte of an entry's value.
const VALUE_V1: u8 = 1;
/// First byte of filter terms: below every character a text term can start with.
const FILTER: u8 = 1;
/// Position in a posting list: inverted creation time, case id.
const POS_LEN: usize = 24;

crate::labelled_enum! {
    /// Where in a request a term was found.
    pub enum Field {
        Name => ("name", "姓名", "name"),
        ResidentId => ("resident_id", "身份证号", "resident ID"),
        Plate => ("plate", "车牌", "plate"),
        CaseNumber => ("case_number", "案件/通缉编号", "case or warrant number"),
        Refno => ("refno", "协查文号", "reference number"),
        Title => ("title", "标题", "title"),
        Narrative => ("narrative", "案情", "narrative"),
    }
}

impl Field {
    /// The bit of this field in an entry's value. On disk: never change one.
    fn bit(self) -> u8 {
        match self {
            Self::Name => 1,
            Self::ResidentId => 2,
            Self::Plate => 4,
            Self::CaseNumber => 8,
            Self::Refno => 16,
            Self::Title => 32,
            Self::Narrative => 64,
        }
    }

    fn of_bits(bits: u8) -> Vec<Self> {
        Self::ALL.iter().copied().filter(|f| bits & f.bit() != 0).collect()
    }
}

/// The text terms of a request and the fields each was found in, at most [`TERMS_MAX`].
pub fn request_terms(request: &RequestBody) -> BTreeMap<String, u8> {
    let mut out: BTreeMap<String, u8> = BTreeMap::new();
    let mut add = |field: Field, terms: Vec<String>| {
        for term in terms {
            if let Some(bits) = out.get_mut(&term) {
                *bits |= field.bit();
            } else if out.len() < TERMS_MAX {
                out.insert(term, field.bit());
            }
        }
    };
    let (mut names, mut ids, mut plates, mut numbers) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    match &request.details {
        CaseDetails::MissingPerson(d) => {
            names.push(d.name.as_str());
            ids.extend(d.id_number.iter().map(|id| id.as_str()));
        }
        CaseDetails::Fugitive(d) => {
            names.push(d.name.as_str());
            ids.extend(d.id_number.iter().map(|id| id.as_str()));
            numbers.push(d.warrant_number.as_str());
            plates.extend(d.vehicles.iter().filter_map(|v| v.plate.as_ref()).map(|p| p.as_str()));
        }
        CaseDetails::SerialTheft(d) => {
            numbers.extend(d.linked_case_numbers.iter().map(String::as_str));
            names.extend(d.suspects.iter().filter_map(|s| s.name.as_deref()));
            ids.extend(d.suspects.iter().filter_map(|s| s.id_number.as_ref()).map(|id| id.as_str()));
            plates.extend(d.vehicles.iter().filter_map(|v| v.plate.as_ref()).map(|p| p.as_str()));
        }
        CaseDetails::Dispute(d) => names.extend(d.parties.iter().map(|p| p.name.as_str())),
        CaseDetails::General(d) => names.push(d.subject.as_str()),
    }
    numbers.extend(request.reference.as_deref());
    for id in ids {
        add(Field::ResidentId, words::resident_id_terms(id));
    }
    for plate in plates {
        add(Field::Plate, vec![words::plate_term(plate)]);
        add(Field::Plate, words::terms(plate, Grain::Pairs));
    }
    for number in numbers {
        add(Field::CaseNumber, words::terms(number, Grain::Pairs));
    }
    if let Some(refno) = &request.refno {
        add(Field::Refno, words::terms(&refno.label, Grain::Pairs));
    }
    for name in names {
        add(Field::Name, words::terms(name, Grain::WithSingles));
    }
    add(Field::Title, words::terms(&request.title, Grain::Pairs));
    add(Field::Narrative, words::terms(&request.narrative, Grain::Pairs));
    out
}

/// The filter term every case has.
fn all_term() -> Vec<u8> {
    vec![FILTER, b'*']
}

fn kind_term(kind: CaseKind) -> Vec<u8> {
    vec![FILTER, b'k', kind_tag(kind)]
}

fn station_term(station: &StationId) -> Vec<u8> {
    [&[FILTER, b's'][..], station.as_str().as_bytes()].concat()
}

/// A position in the posting lists: newest first, then by case id.
fn position(created: OffsetDateTime, case: &CaseId) -> [u8; POS_LEN] {
    let mut pos = [0u8; POS_LEN];
    let time = time_key(created).map(|b| !b);
    pos[..8].copy_from_slice(&time);
    pos[8..].copy_from_slice(case.as_bytes());
    pos
}

fn entry_key(term: &[u8], pos: &[u8]) -> Vec<u8> {
    [term, &[0], pos].concat()
}

/// Every search entry of a case from its request envelope.
fn entries(envelope: &Envelope, request: &RequestBody) -> Vec<(Vec<u8>, Vec<u8>)> {
    let pos = position(envelope.at, &envelope.case);
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = request_terms(request)
        .into_iter()
        .map(|(term, bits)| (entry_key(term.as_bytes(), &pos), vec![VALUE_V1, bits]))
        .collect();
    let mut filters = vec![all_term(), kind_term(request.details.kind()), station_term(&envelope.from)];
    filters.extend(envelope.to.iter().map(station_term));
    filters.sort();
    filters.dedup();
    out.extend(filters.into_iter().map(|term| (entry_key(&term, &pos), vec![VALUE_V1, 0])));
    out
}

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Text terms, all required ([`words::query_terms`] of what was typed).
    pub terms: Vec<String>,
    /// Only this kind.
    pub kind: Option<CaseKind>,
    /// Only cases with this partner station (origin or addressee).
    pub peer: Option<StationId>,
    /// Only cases with a target in this state now.
    pub state: Option<TargetState>,
    /// Only cases created at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Only cases created before this time.
    pub to: Option<OffsetDateTime>,
    /// Page size.
    pub limit: usize,
    /// Continue from here (a previous page's `next`).
    pub cursor: Option<Vec<u8>>,
}

/// A cursor longer than this is not one this store gave.
pub const CURSOR_MAX: usize = POS_LEN + 1;

/// A case found, and where its request holds the query's words.
#[derive(Debug, Clone)]
pub struct SearchHit {
    /// The case as it is now.
    pub case: CaseRecord,
    /// The fields the words were found in (empty for a search by filters alone).
    pub fields: Vec<Field>,
}

/// One page of results, newest first.
#[derive(Debug, Clone)]
pub struct SearchPage {
    /// The cases.
    pub hits: Vec<SearchHit>,
    /// Where the next page starts, if there may be more.
    pub next: Option<Vec<u8>>,
}

impl SearchQuery {
    /// The posting lists to join: the text terms, then the filters the index holds.
    fn lists(&self) -> Vec<(Vec<u8>, bool)> {
        let mut lists: Vec<(Vec<u8>, bool)> = self.terms.iter().map(|t| (t.as_bytes().to_vec(), true)).collect();
        lists.extend(self.kind.map(|kind| (kind_term(kind), false)));
        lists.extend(self.peer.as_ref().map(|peer| (station_term(peer), false)));
        if lists.is_empty() {
            lists.push((all_term(), false));
        }
        lists
    }

    /// The first position of the page and the end of the date range.
    fn bounds(&self) -> (Vec<u8>, Vec<u8>) {
        // Newest first: the end of the date range (`to`, not included) is where the walk
        // starts, at the first case created a millisecond before it.
        let last = self.to.and_then(|to| to.checked_sub(time::Duration::milliseconds(1)));
        let mut start = match last {
            Some(last) => position(last, &CaseId::from_bytes([0; 16])).to_vec(),
            None => Vec::new(),
        };
        if let Some(cursor) = &self.cursor {
            start = start.max(cursor.clone());
        }
        let end = match self.from {
            Some(from) => after(&position(from, &CaseId::from_bytes([0xFF; 16]))),
            None => vec![0xFF; POS_LEN + 1],
        };
        (start, end)
    }

    fn keeps(&self, case: &CaseRecord) -> bool {
        self.state.is_none_or(|state| case.targets.iter().any(|t| t.state == state))
    }
}

/// The smallest key after a position.
fn after(pos: &[u8]) -> Vec<u8> {
    [pos, &[0]].concat()
}

/// The first position at or after `from` (and before `end`) in a term's posting list, with
/// the fields of its entry.
fn seek(tree: &sled::Tree, term: &[u8], from: &[u8], end: &[u8]) -> Result<Option<(Vec<u8>, u8)>, StoreError> {
    match tree.range(entry_key(term, from)..entry_key(term, end)).next().transpose()? {
        Some((key, value)) => {
            let pos = key.get(term.len() + 1..).unwrap_or_default().to_vec();
            Ok(Some((pos, value.get(1).copied().unwrap_or(0))))
        }
        None => Ok(None),
    }
}

impl Store {
    /// Cases whose requests hold every term of `query` and that pass its filters, newest
    /// first, a page at a time.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchPage, StoreError> {
        let tree = &self.inner()?.trees.term_case;
        let lists = query.lists();
        let (mut lower, end) = query.bounds();
        let mut page = SearchPage { hits: Vec::new(), next: None };
        let mut seeks = 0usize;
        'walk: loop {
            if page.hits.len() == query.limit {
                page.next = page.hits.last().map(|hit| after(&position(hit.case.created_at, &hit.case.id)));
                break;
            }
            if seeks >= SEEK_BUDGET {
                page.next = Some(lower.clone());
                break;
            }
            let (first, text) = &lists[0];
            seeks += 1;
            let Some((candidate, bits)) = seek(tree, first, &lower, &end)? else { break };
            let mut fields = if *text { bits } else { 0 };
            for (term, text) in &lists[1..] {
                seeks += 1;
                match seek(tree, term, &candidate, &end)? {
                    None => break 'walk,
                    Some((pos, bits)) if pos == candidate => fields |= if *text { bits } else { 0 },
                    Some((pos, _)) => {
                        lower = pos;
                        continue 'walk;
                    }
                }
            }
            lower = after(&candidate);
            let case_id = candidate.get(8..).and_then(|b| <[u8; 16]>::try_from(b).ok()).map(CaseId::from_bytes);
            let Some(case) = case_id.map(|id| self.case(&id)).transpose()?.flatten() else { continue };
            if query.keeps(&case) {
                page.hits.push(SearchHit { case, fields: Field::of_bits(fields) });
            }
        }
        Ok(page)
    }

    /// The same search by reading every case and its request: what the index must agree
    /// with (tests), and what it is measured against (the benchmark). All pages at once; the
    /// cursor and the limit are not used.
    pub fn search_by_scan(&self, query: &SearchQuery) -> Result<Vec<SearchHit>, StoreError> {
        let inner = self.inner()?;
        let mut hits = Vec::new();
        for item in inner.trees.caseid_case.iter() {
            let (_, value) = item?;
            let case = super::case_value::record(&value)?;
            let pos = position(case.created_at, &case.id).to_vec();
            // The days compared as times, not as the index's key bounds, so that a mistake in
            // those shows.
            let in_days =
                query.from.is_none_or(|from| case.created_at >= from) && query.to.is_none_or(|to| case.created_at < to);
            if !in_days || !query.keeps(&case) {
                continue;
            }
            let Some((envelope, request)) = self.request_of(&case)? else { continue };
            if query.kind.is_some_and(|kind| request.details.kind() != kind)
                || query.peer.as_ref().is_some_and(|p| &envelope.from != p && !envelope.to.contains(p))
            {
                continue;
            }
            let terms = request_terms(&request);
            let mut fields = 0;
            if query.terms.iter().all(|t| terms.get(t).inspect(|bits| fields |= **bits).is_some()) {
                hits.push((pos, SearchHit { case, fields: Field::of_bits(fields) }));
            }
        }
        hits.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(hits.into_iter().map(|(_, hit)| hit).collect())
    }

    /// The request of a stored case, parsed from its envelope (verified when it was stored).
    pub fn request(&self, case: &CaseRecord) -> Result<Option<RequestBody>, StoreError> {
        Ok(self.request_of(case)?.map(|(_, request)| request))
    }

    /// The request envelope of a stored case, parsed (it was verified when it was stored).
    fn request_of(&self, case: &CaseRecord) -> Result<Option<(Envelope, RequestBody)>, StoreError> {
        let Some(stored) = self.envelope(&case.request)? else { return Ok(None) };
        let envelope = Envelope::from_stored(&stored.wire)
            .map_err(|e| StoreError::Corrupt(format!("stored request {} does not parse: {e}", case.request)))?;
        match &envelope.body {
            Body::Request(request) => {
                let request = (**request).clone();
                Ok(Some((envelope, request)))
            }
            _ => Ok(None),
        }
    }

    /// Builds the search index for a store written by a release without one (or by a bulk
    /// load that left it for last), its entries sorted first so that each of the index's
    /// leaves is written once ([`super::search_build`]). A rerun after a crash writes the same
    /// entries again.
    pub(super) fn ensure_search_index(&self) -> Result<(), StoreError> {
        let _guard = self.lock()?;
        let inner = self.inner()?;
        if inner.trees.meta.get(BUILT)?.is_some() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let mut runs = SortedRuns::new(self.dir.join("search-build"), search_build::RUN_BYTES)?;
        let mut cases = 0usize;
        for item in inner.trees.caseid_case.iter() {
            let (_, value) = item?;
            let case = super::case_value::record(&value)?;
            let Some((envelope, request)) = self.request_of(&case)? else { continue };
            for (key, value) in entries(&envelope, &request) {
                runs.push(key, value)?;
            }
            cases += 1;
        }
        // One insert at a time: sled takes sorted single inserts twice as fast as batches of
        // them (11.7 s against 26.5 s for 1.67 million entries), and a crash before the marker
        // below only means the build runs again.
        let index = &inner.trees.term_case;
        let written = runs.finish(|key, value| {
            index.insert(key, value)?;
            Ok(())
        })?;
        inner.flush_now()?;
        inner.trees.meta.insert(BUILT, &[1u8][..])?;
        inner.flush_now()?;
        if cases > 0 {
            tracing::info!(
                cases,
                entries = written,
                secs = started.elapsed().as_secs_f64(),
                "built the search index of the stored cases"
            );
        }
        Ok(())
    }
}

impl Store {
    /// **Tests only.** Removes the search index and its marker, leaving the store as a
    /// release without search wrote it.
    #[cfg(feature = "test-support")]
    pub fn forget_search_index_for_tests(&self) -> Result<(), StoreError> {
        self.inner()?.trees.term_case.clear()?;
        self.forget_search_marker()
    }

    /// Marks the store as lacking the search index: the next open builds it.
    #[cfg(any(feature = "test-support", feature = "bench"))]
    pub(super) fn forget_search_marker(&self) -> Result<(), StoreError> {
        let inner = self.inner()?;
        inner.trees.meta.remove(BUILT)?;
        inner.flush_now()?;
        Ok(())
    }
}

impl Unit<'_> {
    /// Writes the search entries of a case from its request envelope, in this unit.
    pub(super) fn index_request(&mut self, envelope: &Envelope) {
        if let Body::Request(request) = &envelope.body {
            for (key, value) in entries(envelope, request) {
                self.put(TreeId::TermCase, key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_keeps_its_bit() {
        let bits: Vec<u8> = Field::ALL.iter().map(|f| f.bit()).collect();
        assert_eq!(bits, [1, 2, 4, 8, 16, 32, 64]);
        assert_eq!(Field::of_bits(2 | 64), [Field::ResidentId, Field::Narrative]);
    }

    #[test]
    fn newer_cases_sort_first_and_filter_terms_below_text() {
        let id = CaseId::new();
        let old = position(time::macros::datetime!(2020-01-01 00:00 UTC), &id);
        let new = position(time::macros::datetime!(2026-01-01 00:00 UTC), &id);
        assert!(new < old);
        assert!(all_term() < b"0".to_vec());
    }
}
