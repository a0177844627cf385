//! Inbox and outbox listings. A query walks the most selective index for its filters, newest
//! first (or, for overdue, most overdue first), and checks the remaining filters on each case.
//! A page stops after a bounded number of index entries, so a rare filter over ten years of
//! cases costs a few milliseconds per page, never a full scan.

use time::OffsetDateTime;

use super::keys::{self, DueSummary, Mailbox, kind_tag, station_segment, time_key};
use super::{Store, StoreError};
use crate::case::CaseRecord;
use crate::domain::details::CaseKind;
use crate::domain::lifecycle::TargetState;
use crate::ids::{CaseId, StationId};

/// Index entries examined per page at most.
const SCAN_BUDGET: usize = 5_000;

/// What to list.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Inbox or outbox.
    pub mailbox: Mailbox,
    /// Only cases with a target in this state.
    pub state: Option<TargetState>,
    /// Only this kind.
    pub kind: Option<CaseKind>,
    /// Only cases with this partner station.
    pub peer: Option<StationId>,
    /// Only cases with a target past a deadline at `now`.
    pub overdue: bool,
    /// Only cases handled by one officer, or by no one.
    pub handled: Handled,
    /// The time overdue is judged at.
    pub now: OffsetDateTime,
    /// Page size.
    pub limit: usize,
    /// Continue after this index key (from a previous page's `next`).
    pub cursor: Option<Vec<u8>>,
}

/// Whose cases a listing keeps. Checked on each case the walked index yields, like the other
/// filters after the first: a station's cases are spread over a handful of officers, so a page
/// of one officer's cases costs a few pages' worth of entries, within the scan budget.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Handled {
    /// Anyone's or no one's.
    #[default]
    Any,
    /// Those this officer handles.
    By(crate::ids::Badge),
    /// Those no one handles yet: received requests not yet taken on.
    Nobody,
}

impl Handled {
    fn keeps(&self, case: &CaseRecord) -> bool {
        match self {
            Self::Any => true,
            Self::By(badge) => case.handler.as_ref().is_some_and(|h| &h.badge == badge),
            Self::Nobody => case.handler.is_none(),
        }
    }
}

/// Deadline index entries [`Store::overdue_targets`] examines at most.
pub const OVERDUE_LIMIT: usize = 10_000;

/// An open target past its deadline, as the deadline index has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateTarget {
    /// When it was due (to the millisecond).
    pub due: OffsetDateTime,
    /// The case.
    pub case: CaseId,
    /// The target station that is late.
    pub target: StationId,
    /// What the index keeps of the case.
    pub summary: DueSummary,
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page {
    /// The cases.
    pub cases: Vec<CaseRecord>,
    /// Where the next page starts, if there may be more.
    pub next: Option<Vec<u8>>,
}

impl Store {
    /// Lists cases at this node.
    pub fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        if query.overdue {
            return self.list_overdue(query);
        }
        let m = query.mailbox.tag();
        let inner = self.inner()?;
        let (tree, prefix) = match (&query.peer, query.state, query.kind) {
            (Some(peer), _, _) => (&inner.trees.boxpeertime_case, [&[m][..], &station_segment(peer)].concat()),
            (None, Some(state), _) => (&inner.trees.boxstatetime_case, vec![m, state.tag()]),
            (None, None, Some(kind)) => (&inner.trees.boxkindtime_case, vec![m, kind_tag(kind)]),
            (None, None, None) => (&inner.trees.boxtime_case, vec![m]),
        };
        let end = match &query.cursor {
            Some(cursor) if cursor.starts_with(&prefix) => cursor.clone(),
            _ => prefix_end(&prefix),
        };
        let mut page = Page { cases: Vec::new(), next: None };
        let mut last_key = None;
        for (scanned, item) in tree.range(prefix.clone()..end).rev().enumerate() {
            let (key, _) = item?;
            if scanned >= SCAN_BUDGET || page.cases.len() == query.limit {
                page.next = last_key;
                return Ok(page);
            }
            last_key = Some(key.to_vec());
            let Some(case) = keys::case_of_index_key(&key).map(|id| self.case(&id)).transpose()?.flatten() else {
                continue;
            };
            if matches(&case, query) {
                page.cases.push(case);
            }
        }
        Ok(page)
    }

    /// Open targets past a deadline at `now` that `wanted` keeps, most overdue first, at most
    /// `limit` of them, and never more than [`OVERDUE_LIMIT`] index entries examined: read
    /// from the deadline index alone, so thousands of late targets cost a range scan, not a
    /// case decode each (entries written before the index kept summaries fall back to their
    /// case). [`Store::late_counts`] counts them all.
    pub fn overdue_targets(
        &self,
        now: OffsetDateTime,
        limit: usize,
        mut wanted: impl FnMut(&LateTarget) -> bool,
    ) -> Result<Vec<LateTarget>, StoreError> {
        let inner = self.inner()?;
        let mut out = Vec::new();
        for item in inner.trees.due_target.range(..time_key(now).to_vec()).take(OVERDUE_LIMIT) {
            if out.len() >= limit {
                break;
            }
            let (key, value) = item?;
            if let Some(late) = self.late_target(&key, &value)?.filter(|late| wanted(late)) {
                out.push(late);
            }
        }
        Ok(out)
    }

    fn list_overdue(&self, query: &ListQuery) -> Result<Page, StoreError> {
        let start = query.cursor.clone().map_or_else(Vec::new, |mut c| {
            c.push(0);
            c
        });
        let end = time_key(query.now).to_vec();
        let mut page = Page { cases: Vec::new(), next: None };
        let inner = self.inner()?;
        for (scanned, item) in inner.trees.due_target.range(start..end).enumerate() {
            let (key, _) = item?;
            if scanned >= SCAN_BUDGET || page.cases.len() == query.limit {
                page.next = Some(key.to_vec());
                return Ok(page);
            }
            let Some(case) = keys::case_of_due_key(&key).map(|id| self.case(&id)).transpose()?.flatten() else {
                continue;
            };
            let mine = Mailbox::of(&case, self.station()) == query.mailbox;
            if mine && matches(&case, query) && !page.cases.iter().any(|c| c.id == case.id) {
                page.cases.push(case);
            }
        }
        Ok(page)
    }
}

fn matches(case: &CaseRecord, query: &ListQuery) -> bool {
    query.kind.is_none_or(|kind| case.kind == kind)
        && query.state.is_none_or(|state| case.targets.iter().any(|t| t.state == state))
        && query.peer.as_ref().is_none_or(|peer| &case.origin == peer || case.parties.contains(peer))
        && (!query.overdue || case.targets.iter().any(|t| t.overdue_at(query.now).is_some()))
        && query.handled.keeps(case)
}

/// The smallest key greater than every key starting with `prefix`.
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return end;
        }
    }
    vec![u8::MAX; prefix.len() + 1]
}
