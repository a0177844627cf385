//! `GET /api/v1/events`: the station's events (see [`crate::events`]) as Server-Sent Events,
//! for the live console, `tiemeng watch` and scripts. Events are read from the store, never
//! buffered per client: a client that reconnects with `Last-Event-ID` gets every event it
//! missed, and a client that stops reading costs the node nothing but its connection, which
//! the server closes once it has been idle too long.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{AuthOfficer, QueryParams};
use crate::events::Event;
use crate::node::{Node, Officer, READERS};

/// Events read from the store at a time.
const PAGE: usize = 200;
/// How often an idle stream says it is alive (a comment line), well inside the server's idle
/// timeout, so a quiet desk keeps its stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Where to start.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventsParams {
    /// Events after this id (`0`: every event kept). Without it, and without a
    /// `Last-Event-ID` header, only events from now on.
    pub after: Option<u64>,
}

/// `GET /api/v1/events` — Server-Sent Events: `id` a durable, increasing event id; `event` the
/// kind (`request_received`, `request_sent`, `case_updated`, `deadline`, `partner`); `data` the
/// event as JSON. Reconnect with `Last-Event-ID` to get every event missed, across restarts of
/// the node too. Officers who read cases (liaison, duty, chief) get every event; others (an
/// admin) only partner stations' reachability.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventsParams,
        ("Last-Event-ID" = Option<String>, Header, description = "the id of the last event received")),
    responses((status = 200, content_type = "text/event-stream", body = Event,
        description = "a stream of events; each `data:` line holds one Event"),
        (status = 403, body = super::problem::Problem)))]
pub async fn events(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    headers: HeaderMap,
    QueryParams(params): QueryParams<EventsParams>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let resumed = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    let after = resumed.or(params.after).unwrap_or_else(|| node.store().published_event());
    let reader = Reader { node: node.clone(), reads_cases: reads_cases(&officer), last: after, ready: VecDeque::new() };
    let changes = node.store().subscribe_events();
    let stream = futures_util::stream::unfold((reader, changes), |(mut reader, mut changes)| async move {
        loop {
            if let Some(event) = reader.ready.pop_front() {
                return Some((Ok(event), (reader, changes)));
            }
            // Marked seen before reading, so a publication after the read still wakes us.
            changes.borrow_and_update();
            match reader.read() {
                Ok(true) => continue,
                Ok(false) => changes.changed().await.ok()?,
                Err(e) => {
                    tracing::error!(error = %e, "events could not be read; closing the stream");
                    return None;
                }
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

fn reads_cases(officer: &Officer) -> bool {
    officer.require(READERS).is_ok()
}

/// One client's position in the station's events.
struct Reader {
    node: Arc<Node>,
    reads_cases: bool,
    last: u64,
    ready: VecDeque<SseEvent>,
}

impl Reader {
    /// Reads the next page of published events after the last one sent; true if there were any
    /// (some may be of no concern to this officer).
    fn read(&mut self) -> Result<bool, crate::store::StoreError> {
        let page = self.node.store().events_after(self.last, PAGE)?;
        let any = !page.is_empty();
        for (id, event) in page {
            self.last = id;
            if event.about_a_case() && !self.reads_cases {
                continue;
            }
            if let Ok(data) = serde_json::to_string(&event) {
                self.ready.push_back(SseEvent::default().id(id.to_string()).event(event.name()).data(data));
            }
        }
        Ok(any)
    }
}
