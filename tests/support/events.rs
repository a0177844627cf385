//! Reading `/api/v1/events` as a browser's EventSource does: `id`, `event` and `data` lines,
//! an empty line ending each event.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

/// One event as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub id: u64,
    pub name: String,
    pub data: serde_json::Value,
}

/// An open event stream.
pub struct EventStream {
    response: reqwest::Response,
    pending: String,
}

impl EventStream {
    /// Opens `url` (`…/api/v1/events`, with a query if wanted), resuming after `last_id` if given.
    pub async fn open(client: &reqwest::Client, url: &str, last_id: Option<u64>) -> EventStream {
        let mut request = client.get(url).header("accept", "text/event-stream");
        if let Some(id) = last_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        EventStream { response, pending: String::new() }
    }

    /// The next event, or `None` if none comes within `within`.
    pub async fn next(&mut self, within: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.pending.find("\n\n") {
                let block: String = self.pending.drain(..end + 2).collect();
                if let Some(event) = parse(&block) {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?.ok()??;
            self.pending.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Every event that comes within `within` of the one before.
    pub async fn drain(&mut self, within: Duration) -> Vec<Received> {
        let mut events = Vec::new();
        while let Some(event) = self.next(within).await {
            events.push(event);
        }
        events
    }
}

fn parse(block: &str) -> Option<Received> {
    let (mut id, mut name, mut data) = (None, None, String::new());
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("id:") {
            id = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("event:") {
            name = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim_start());
        }
    }
    Some(Received { id: id?, name: name?, data: serde_json::from_str(&data).ok()? })
}
