//! `GET /api/v1/events`: the station's events (see [`crate::events`]) as Server-Sent Events,
//! for the live console, `tiemeng watch` and scripts. Events come from the store (through the
//! node's [`crate::node::feed::EventFeed`], which renders each once for every stream), never
//! from a buffer per client: a client that reconnects with `Last-Event-ID` gets every event it
//! missed, and a client that stops reading costs the node nothing but its connection, which the
//! server closes once it has been idle too long. What is ready goes out in one write, and a
//! stream writes at most once per [`GAP`]: under heavy intake each stream carries a few writes
//! a second, not one per request.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::time::Instant;
use utoipa::IntoParams;

use super::extract::{AuthOfficer, QueryParams};
use crate::events::Event;
use crate::node::{Node, Officer, READERS};

/// Events read at a time.
const PAGE: usize = 1000;
/// The least time between two writes of a stream: an event that finds the stream idle goes at
/// once; those that come while it waits go together.
const GAP: Duration = Duration::from_millis(50);
/// The least time between two writes of a stream that is busy (its last write carried
/// [`BUSY`] events or more): under heavy intake a stream writes a few times a second.
const BUSY_GAP: Duration = Duration::from_millis(250);
/// Events in one write from which a stream counts as busy.
const BUSY: usize = 64;
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
/// kind (`request_received`, `request_sent`, `case_updated`, `deadline`, `handed_over`, `partner`); `data` the
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
) -> Response {
    let resumed = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    let after = resumed.or(params.after).unwrap_or_else(|| node.store().published_event());
    let changes = node.store().subscribe_events();
    let follower = Follower { node, reads_cases: reads_cases(&officer), last: after, next_write: None, changes };
    let stream = futures_util::stream::unfold(follower, |mut follower| async move {
        let chunk = follower.next_chunk().await?;
        Some((Ok::<_, std::convert::Infallible>(chunk), follower))
    });
    let headers = [(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")];
    (headers, Body::from_stream(stream)).into_response()
}

fn reads_cases(officer: &Officer) -> bool {
    officer.require(READERS).is_ok()
}

/// One client's place in the station's events.
struct Follower {
    node: Arc<Node>,
    reads_cases: bool,
    /// The last event sent (or passed over, being of no concern to this officer).
    last: u64,
    /// When the stream may write next.
    next_write: Option<Instant>,
    changes: tokio::sync::watch::Receiver<u64>,
}

impl Follower {
    /// The next bytes to write: every event ready for this officer, or a keep-alive comment
    /// after a quiet spell; `None` ends the stream.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if let Some(next_write) = self.next_write {
            tokio::time::sleep_until(next_write).await;
        }
        loop {
            // Marked seen before reading, so a publication after the read still wakes us.
            self.changes.borrow_and_update();
            let ready = match self.node.event_feed().after(self.node.store(), self.last, PAGE) {
                Ok(ready) => ready,
                Err(e) => {
                    tracing::error!(error = %e, "events could not be read; closing the stream");
                    return None;
                }
            };
            let Some(newest) = ready.last() else {
                match tokio::time::timeout(KEEP_ALIVE, self.changes.changed()).await {
                    Ok(Ok(())) => continue,
                    // The node is closing.
                    Ok(Err(_)) => return None,
                    Err(_) => return Some(self.wrote(Bytes::from_static(b":\n\n"), 0)),
                }
            };
            self.last = newest.id;
            let mut chunk = Vec::new();
            let mut events = 0;
            for event in ready.iter().filter(|e| self.reads_cases || !e.about_a_case) {
                chunk.extend_from_slice(&event.text);
                events += 1;
            }
            if events > 0 {
                return Some(self.wrote(Bytes::from(chunk), events));
            }
        }
    }

    fn wrote(&mut self, chunk: Bytes, events: usize) -> Bytes {
        let gap = if events >= BUSY { BUSY_GAP } else { GAP };
        self.next_write = Some(Instant::now() + gap);
        chunk
    }
}
