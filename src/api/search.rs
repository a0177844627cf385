//! `GET /api/v1/search`: this station's cases by the words their requests hold, with the
//! listing filters; each search is audited.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};

use super::extract::{AuthOfficer, QueryParams, ReqLang};
use super::problem::Problem;
use crate::case::CaseRecord;
use crate::domain::details::CaseKind;
use crate::domain::lifecycle::TargetState;
use crate::i18n::Lang;
use crate::ids::StationId;
use crate::node::{Node, NodeError, OverdueTarget, SearchInput, parse_day};
use crate::store::SearchField;

/// What to search for. Every word must match; filters narrow further; without words the
/// filters alone list cases.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Words: a name, a resident ID or its last digits (`尾号1234`), a plate, a case or
    /// warrant number, a reference number, words of the title or narrative. At most 100
    /// characters.
    pub q: Option<String>,
    /// Only this kind.
    pub kind: Option<CaseKind>,
    /// Only cases with this partner station.
    #[param(value_type = Option<String>)]
    pub peer: Option<StationId>,
    /// Only cases with a target in this state.
    pub state: Option<TargetState>,
    /// Only cases sent on or after this day (`2026-12-01`, Beijing time).
    pub from: Option<String>,
    /// Only cases sent on or before this day (`2026-12-31`, Beijing time).
    pub to: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<usize>,
    /// Where to continue, from the previous page's `next`.
    pub cursor: Option<String>,
    /// Language of error messages (`zh` or `en`).
    pub lang: Option<String>,
}

/// One case found.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchResult {
    /// The case as it is now.
    pub case: CaseRecord,
    /// Where its request holds the words: `name`, `resident_id`, `plate`, `case_number`,
    /// `refno`, `title`, `narrative` (empty when searching by filters alone).
    pub matched: Vec<SearchField>,
    /// Targets past a deadline now.
    pub overdue: Vec<OverdueTarget>,
}

/// A page of cases found, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchResults {
    /// The cases.
    pub results: Vec<SearchResult>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next: Option<String>,
}

fn bad_query(lang: Lang, zh: &str, en: &str) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        lang.pick("查询参数有误", "invalid query parameters"),
        lang.pick(zh, en),
    )
}

impl SearchParams {
    /// The search these parameters ask for, or why they do not make one.
    pub fn input(&self, lang: Lang) -> Result<SearchInput, Problem> {
        let day = |raw: &Option<String>, name: &str| -> Result<Option<Date>, Problem> {
            match raw.as_deref().filter(|r| !r.trim().is_empty()) {
                None => Ok(None),
                Some(raw) => parse_day(raw).map(Some).ok_or_else(|| {
                    bad_query(
                        lang,
                        &format!(
                            "{name} 应为日期，如 2026-12-01，而不是 “{}”",
                            crate::domain::text::terminal_safe(raw)
                        ),
                        &format!(
                            "{name} must be a day such as 2026-12-01, not “{}”",
                            crate::domain::text::terminal_safe(raw)
                        ),
                    )
                }),
            }
        };
        let cursor = self.cursor.as_deref().map(hex::decode).transpose().map_err(|_| {
            bad_query(
                lang,
                "翻页位置（cursor）无效，请从第一页重新查询。",
                "the cursor is not valid: start again from the first page",
            )
        })?;
        let input = SearchInput {
            q: self.q.clone().unwrap_or_default(),
            kind: self.kind,
            peer: self.peer.clone(),
            state: self.state,
            from: day(&self.from, "from")?,
            to: day(&self.to, "to")?,
            limit: self.limit.unwrap_or(50),
            cursor,
        };
        let problems = input.problems();
        if !problems.is_empty() {
            let said: Vec<String> = problems.iter().map(|p| lang.pick(&p.zh, &p.en).to_owned()).collect();
            let mut problem = bad_query(lang, &said.join("；"), &said.join("; "));
            problem.errors = problems;
            return Err(problem);
        }
        Ok(input)
    }
}

/// `GET /api/v1/search` — cases of this station by name, resident ID (or its last 4 or 6
/// digits), plate, case or warrant number, reference number, or words of the title and
/// narrative; all words must match; newest first. Recorded in the audit chain.
#[utoipa::path(get, path = "/api/v1/search", tag = "cases", params(SearchParams),
    responses((status = 200, body = SearchResults), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn search(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    QueryParams(params): QueryParams<SearchParams>,
) -> Result<Json<SearchResults>, Problem> {
    let input = params.input(lang)?;
    let found = node.search(&officer, &input).await.map_err(|e: NodeError| Problem::from_node(&e, lang))?;
    Ok(Json(SearchResults {
        results: found
            .found
            .into_iter()
            .map(|f| SearchResult {
                overdue: crate::node::overdue_targets(&f.case, found.at),
                case: f.case,
                matched: f.matched,
            })
            .collect(),
        next: found.next.map(hex::encode),
    }))
}
