//! The admin's view of the alert hooks, and a test alert on demand.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::auth::ADMIN;
use super::{Node, NodeError, Officer};
use crate::alerts::deliver::Sender;
use crate::alerts::{HookError, test_body};
use crate::domain::case::Priority;
use crate::events::EventKind;

/// One alert hook, as its admin sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HookStatus {
    /// Its name in the config.
    pub name: String,
    /// Where it posts (without any query string, which may hold a token).
    pub url: String,
    /// The kinds of event it sends (all when empty).
    pub events: Vec<EventKind>,
    /// The least priority of case it sends events of.
    pub min_priority: Priority,
    /// Alerts the gateway took (since the hook was added).
    pub sent: u64,
    /// Events of this station not yet dealt with by the hook (sent, or not wanted).
    pub behind: u64,
    /// When the gateway last took an alert.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_success: Option<OffsetDateTime>,
    /// The last failure.
    pub last_error: Option<HookError>,
    /// While failing: when it tries again.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_retry: Option<OffsetDateTime>,
    /// Failures in a row (0 while it works).
    pub failures: u32,
}

/// What a test alert did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HookTest {
    /// The hook.
    pub hook: String,
    /// True when the gateway took it.
    pub delivered: bool,
    /// Why not.
    pub error: Option<HookError>,
}

impl Node {
    /// Every configured hook and where it stands. Admins only.
    pub fn alert_hooks(&self, officer: &Officer) -> Result<Vec<HookStatus>, NodeError> {
        officer.require(ADMIN)?;
        let published = self.store.published_event();
        self.config
            .alerts
            .hooks
            .iter()
            .map(|hook| {
                let state = self.store.hook_state(&hook.name)?.unwrap_or_default();
                let retry = self.alerts.retry(&hook.name);
                let mut url = hook.url.clone();
                url.truncate(url.find('?').unwrap_or(url.len()));
                Ok(HookStatus {
                    name: hook.name.clone(),
                    url,
                    events: hook.events.clone(),
                    min_priority: hook.min_priority,
                    sent: state.sent,
                    behind: published.saturating_sub(state.cursor),
                    last_success: state.last_success,
                    last_error: state.last_error,
                    next_retry: retry.map(|r| r.at),
                    failures: retry.map_or(0, |r| r.failures),
                })
            })
            .collect()
    }

    /// Sends a test alert through hook `name` now, outside its queue, and says whether the
    /// gateway took it. Admins only.
    pub async fn test_alert(&self, officer: &Officer, name: &str) -> Result<HookTest, NodeError> {
        officer.require(ADMIN)?;
        let hook = self
            .config
            .alerts
            .hooks
            .iter()
            .find(|h| h.name == name)
            .ok_or_else(|| NodeError::UnknownHook(name.to_owned()))?;
        let now = self.now();
        let station = &self.config.station;
        let body = test_body((station.id.as_str(), &station.name), now, hook.lang);
        let outcome = match Sender::new(hook) {
            Ok(sender) => sender.post(0, body, now).await,
            Err(e) => Err(HookError { at: now, code: "unreachable".into(), message: e.to_string() }),
        };
        Ok(HookTest { hook: hook.name.clone(), delivered: outcome.is_ok(), error: outcome.err() })
    }

    /// What the alert tasks know of failing hooks.
    pub fn alert_board(&self) -> &crate::alerts::deliver::Board {
        &self.alerts
    }
}
