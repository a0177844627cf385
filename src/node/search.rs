//! Search: the cases of this station whose requests hold an officer's words (a name, the last
//! digits of a resident ID, a plate, a case or warrant number, the reference number, words of
//! the title or narrative), narrowed by kind, partner, state and creation dates. A station
//! stores only the cases it is party to, so that is all a search can find. Each search is
//! recorded in the audit chain with what was asked, like a read, before it is answered.

use time::{Date, OffsetDateTime};

use super::auth::READERS;
use super::{Node, NodeError, Officer};
use crate::case::CaseRecord;
use crate::clock::BEIJING;
use crate::domain::details::CaseKind;
use crate::domain::lifecycle::TargetState;
use crate::domain::validate::FieldError;
use crate::domain::words;
use crate::ids::StationId;
use crate::store::{AuditDraft, CURSOR_MAX, SearchField, SearchQuery};

/// What an officer may type at most, in characters.
pub const QUERY_MAX_CHARS: usize = 100;
/// Largest page.
pub const SEARCH_LIMIT_MAX: usize = 200;

/// A day as officers write it, `2026-12-01`.
pub fn parse_day(raw: &str) -> Option<Date> {
    Date::parse(raw.trim(), time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// A search as asked.
#[derive(Debug, Clone, Default)]
pub struct SearchInput {
    /// The words, as typed; empty lists by the filters alone.
    pub q: String,
    /// Only this kind.
    pub kind: Option<CaseKind>,
    /// Only cases with this partner station.
    pub peer: Option<StationId>,
    /// Only cases with a target in this state.
    pub state: Option<TargetState>,
    /// Only cases created on or after this day (Beijing time).
    pub from: Option<Date>,
    /// Only cases created on or before this day (Beijing time).
    pub to: Option<Date>,
    /// Page size.
    pub limit: usize,
    /// Where to continue (a previous page's `next`).
    pub cursor: Option<Vec<u8>>,
}

impl SearchInput {
    /// What is wrong with the search, every problem at once; nothing when it may run.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        if self.q.chars().count() > QUERY_MAX_CHARS {
            out.push(FieldError::new(
                "q",
                "too_long",
                format!("搜索内容最多 {QUERY_MAX_CHARS} 个字"),
                format!("the search may be at most {QUERY_MAX_CHARS} characters"),
            ));
        }
        if self.q.chars().any(char::is_control) {
            out.push(FieldError::new(
                "q",
                "control_character",
                "搜索内容含有控制字符，请删去后重试",
                "the search holds a control character: remove it and try again",
            ));
        }
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            out.push(FieldError::new(
                "from",
                "dates_reversed",
                format!("起始日期 {from} 晚于截止日期 {to}，请对调"),
                format!("the first day {from} is after the last day {to}: swap them"),
            ));
        }
        if self.cursor.as_ref().is_some_and(|c| c.len() > CURSOR_MAX) {
            out.push(FieldError::new(
                "cursor",
                "invalid_cursor",
                "翻页位置（cursor）无效，请从第一页重新查询",
                "the cursor is not valid: start again from the first page",
            ));
        }
        out
    }

    /// Words for the audit chain: what was asked, filters included.
    fn audit_detail(&self) -> String {
        let mut detail = format!("q={}", self.q);
        let filters = [
            self.kind.map(|k| format!("kind={}", k.as_str())),
            self.peer.as_ref().map(|p| format!("peer={p}")),
            self.state.map(|s| format!("state={}", s.as_str())),
            self.from.map(|d| format!("from={d}")),
            self.to.map(|d| format!("to={d}")),
        ];
        for filter in filters.into_iter().flatten() {
            detail.push(' ');
            detail.push_str(&filter);
        }
        detail
    }

    /// The store's query for this search: its words as terms, its days as Beijing days.
    pub fn query(&self) -> SearchQuery {
        // The first and last days representable have no Beijing midnight in UTC: unbounded.
        let start_of = |day: Date| day.midnight().assume_offset(BEIJING).checked_to_offset(time::UtcOffset::UTC);
        SearchQuery {
            terms: words::query_terms(&self.q),
            kind: self.kind,
            peer: self.peer.clone(),
            state: self.state,
            from: self.from.and_then(start_of),
            to: self.to.and_then(|day| day.next_day()).and_then(start_of),
            limit: self.limit.clamp(1, SEARCH_LIMIT_MAX),
            cursor: self.cursor.clone(),
        }
    }
}

/// A case found.
#[derive(Debug, Clone)]
pub struct Found {
    /// The case as it is now.
    pub case: CaseRecord,
    /// Where its request holds the words (empty for a search by filters alone).
    pub matched: Vec<SearchField>,
}

/// A page of cases found, newest first.
#[derive(Debug, Clone)]
pub struct Results {
    /// The cases.
    pub found: Vec<Found>,
    /// Where the next page starts, if there may be more.
    pub next: Option<Vec<u8>>,
    /// When the search ran.
    pub at: OffsetDateTime,
}

impl Node {
    /// Searches this station's cases, recording the search in the audit chain (durably)
    /// before answering. Readers only.
    pub async fn search(&self, officer: &Officer, input: &SearchInput) -> Result<Results, NodeError> {
        officer.require(READERS)?;
        let problems = input.problems();
        if !problems.is_empty() {
            return Err(NodeError::Validation(problems));
        }
        let now = self.now();
        self.store.write(now, |unit| {
            unit.audit(AuditDraft::new(officer.actor(), "case.search").detail(input.audit_detail()));
            Ok::<_, NodeError>(())
        })?;
        self.store.durable().await?;
        let page = self.store.search(&input.query())?;
        Ok(Results {
            found: page.hits.into_iter().map(|hit| Found { case: hit.case, matched: hit.fields }).collect(),
            next: page.next,
            at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_a_beijing_day() {
        let input = SearchInput {
            from: Some(time::macros::date!(2026 - 12 - 01)),
            to: Some(time::macros::date!(2026 - 12 - 01)),
            ..SearchInput::default()
        };
        let query = input.query();
        assert_eq!(query.from, Some(time::macros::datetime!(2026-11-30 16:00 UTC)));
        assert_eq!(query.to, Some(time::macros::datetime!(2026-12-01 16:00 UTC)));
        assert!(input.problems().is_empty());
        let extremes = SearchInput { from: Some(Date::MIN), to: Some(Date::MAX), ..SearchInput::default() };
        assert_eq!((extremes.query().from, extremes.query().to), (None, None), "no panic at the ends of time");
    }

    #[test]
    fn reversed_dates_and_long_queries_are_refused_in_words() {
        let input = SearchInput {
            q: "张".repeat(QUERY_MAX_CHARS + 1),
            from: Some(time::macros::date!(2026 - 12 - 02)),
            to: Some(time::macros::date!(2026 - 12 - 01)),
            ..SearchInput::default()
        };
        let codes: Vec<&str> = input.problems().iter().map(|p| p.code).collect();
        assert_eq!(codes, ["too_long", "dates_reversed"]);
    }
}
