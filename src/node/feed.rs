//! The station's events as open streams send them, rendered once for all of them. Every open
//! console, `tiemeng watch` and script follows the same events; reading each from the store and
//! writing it out as Server-Sent Events once per stream made 200 open streams cost intake most
//! of its throughput. The feed keeps the latest events rendered (`id`, `event`, `data` lines),
//! so a stream takes the bytes it has not sent and writes them in one piece. A stream far
//! behind (reconnecting after a long gap) reads the store itself.

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::body::Bytes;

use crate::events::Event;
use crate::store::{Store, StoreError};

/// Events kept rendered: far more than streams fall behind between two sends.
const KEPT: usize = 4096;

/// One event as a stream sends it.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Its id.
    pub id: u64,
    /// Whether it concerns a case (officers who do not read cases do not get it).
    pub about_a_case: bool,
    /// Its lines on the stream, ending with the blank line.
    pub text: Bytes,
}

/// The latest events, rendered.
#[derive(Debug)]
pub struct EventFeed {
    kept: Mutex<Kept>,
}

#[derive(Debug)]
struct Kept {
    /// Every published event after this id, up to `last`, is in `events`.
    after: u64,
    /// The last event read from the store.
    last: u64,
    events: VecDeque<Rendered>,
}

impl EventFeed {
    /// A feed starting after event `published`.
    pub fn new(published: u64) -> Self {
        Self { kept: Mutex::new(Kept { after: published, last: published, events: VecDeque::new() }) }
    }

    /// Published events after `after`, at most `limit`, oldest first.
    pub fn after(&self, store: &Store, after: u64, limit: usize) -> Result<Vec<Rendered>, StoreError> {
        {
            let mut kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if kept.last < store.published_event() {
                let page = store.events_after(kept.last, KEPT.min(1024))?;
                for (id, event) in page {
                    kept.last = id;
                    kept.events.extend(render(id, &event));
                }
                while kept.events.len() > KEPT {
                    if let Some(dropped) = kept.events.pop_front() {
                        kept.after = dropped.id;
                    }
                }
            }
            if after >= kept.after {
                let start = kept.events.partition_point(|r| r.id <= after);
                return Ok(kept.events.range(start..).take(limit).cloned().collect());
            }
        }
        Ok(store.events_after(after, limit)?.iter().filter_map(|(id, event)| render(*id, event)).collect())
    }
}

/// An event's lines on the stream. serde_json writes no line break, so the data is one line.
fn render(id: u64, event: &Event) -> Option<Rendered> {
    let data = serde_json::to_string(event).ok()?;
    let text = format!("id: {id}\nevent: {}\ndata: {data}\n\n", event.name());
    Some(Rendered { id, about_a_case: event.about_a_case(), text: Bytes::from(text) })
}
