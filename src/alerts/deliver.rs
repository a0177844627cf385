//! Sends alerts: one task per hook follows the event log from the hook's cursor, POSTs each
//! event the hook wants, and moves the cursor on (on disk) only once the gateway has taken
//! it. A gateway that does not answer is tried again with backoff, the same event first, so
//! alerts arrive in order however long the gateway is down. Nothing here is on an officer's
//! path: requests are stored and answered whether or not any gateway listens.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{HookError, HookState, ID_HEADER, Names, SIGNATURE_HEADER, body, signature};
use crate::config::alerts::HookConfig;
use crate::federation::Backoff;
use crate::node::Node;
use crate::tls::{self, TlsError};

/// Events read from the log at a time.
const PAGE: usize = 100;
/// How long a gateway has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What the tasks know now and the store does not keep: when each failing hook tries again.
#[derive(Debug, Default)]
pub struct Board {
    retries: Mutex<BTreeMap<String, Retry>>,
}

/// A failing hook's next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// When it tries again.
    pub at: OffsetDateTime,
    /// Failures in a row so far.
    pub failures: u32,
}

impl Board {
    /// The next attempt of `hook`, while it is failing.
    pub fn retry(&self, hook: &str) -> Option<Retry> {
        self.retries.lock().ok()?.get(hook).copied()
    }

    fn set(&self, hook: &str, retry: Option<Retry>) {
        if let Ok(mut retries) = self.retries.lock() {
            match retry {
                Some(retry) => retries.insert(hook.to_owned(), retry),
                None => retries.remove(hook),
            };
        }
    }
}

/// One hook's connection to its gateway.
pub struct Sender {
    hook: HookConfig,
    client: reqwest::Client,
}

impl Sender {
    /// A sender for `hook`: an `https://` gateway must present a certificate from the hook's CA.
    pub fn new(hook: &HookConfig) -> Result<Self, TlsError> {
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls::gateway_client_config(hook.ca.as_deref())?)
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .build()
            .map_err(|e| TlsError::Verifier(e.to_string()))?;
        Ok(Self { hook: hook.clone(), client })
    }

    /// The hook it sends for.
    pub fn hook(&self) -> &HookConfig {
        &self.hook
    }

    /// POSTs one alert, signed at `now`; the gateway has taken it when this returns `Ok`.
    pub async fn post(&self, id: u64, body: Vec<u8>, now: OffsetDateTime) -> Result<(), HookError> {
        let failed = |code: &str, message: String| HookError { at: now, code: code.to_owned(), message };
        let answer = self
            .client
            .post(&self.hook.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature(&self.hook.secret, now.unix_timestamp(), &body))
            .header(ID_HEADER, id.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| failed("unreachable", with_causes(&e)))?;
        let status = answer.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(failed("gateway_refused", format!("the gateway answered {status}")))
        }
    }
}

/// The error and every cause under it: "error sending request" alone tells the admin nothing.
fn with_causes(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Station ids and names this node knows, for the words of an alert.
pub fn names(node: &Node) -> Names {
    let config = node.config();
    std::iter::once((config.station.id.to_string(), config.station.name.clone()))
        .chain(config.peers.iter().map(|p| (p.id.to_string(), p.name.clone())))
        .collect()
}

/// Starts one task per configured hook. A hook new to this node starts from the events of
/// now on, fixed here, before the node serves anyone, so no event of the first moments slips
/// between the node starting and the task looking.
pub fn start(node: &Arc<Node>, tasks: &TaskTracker, shutdown: &CancellationToken) -> Result<(), TlsError> {
    for hook in &node.config().alerts.hooks {
        let sender = Sender::new(hook)?;
        let state = known_state(node, &hook.name);
        tasks.spawn(run(node.clone(), sender, state, shutdown.clone()));
    }
    Ok(())
}

async fn run(node: Arc<Node>, sender: Sender, state: Option<HookState>, shutdown: CancellationToken) {
    let name = sender.hook.name.clone();
    let mut state = match state {
        Some(state) => state,
        None => loop {
            if !pause(Duration::from_secs(5), &shutdown).await {
                return;
            }
            if let Some(state) = known_state(&node, &name) {
                break state;
            }
        },
    };
    let config = node.config();
    let station = (config.station.id.to_string(), config.station.name.clone());
    let names = names(&node);
    let mut backoff = Backoff::new(Duration::from_secs(config.alerts.max_backoff_secs));
    let mut changes = node.store().subscribe_events();
    loop {
        let batch = match node.store().events_after(state.cursor, PAGE) {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(hook = %name, error = %e, "cannot read the events to alert");
                if !pause(Duration::from_secs(5), &shutdown).await {
                    return;
                }
                continue;
            }
        };
        if batch.is_empty() {
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return },
                () = shutdown.cancelled() => return,
            }
            continue;
        }
        let mut passed_over = false;
        for (id, event) in batch {
            if !sender.hook.wants(&event) {
                state.cursor = id;
                passed_over = true;
                continue;
            }
            let body = body((&station.0, &station.1), id, &event, &names, sender.hook.lang);
            loop {
                let now = node.clock().now();
                // A gateway slow to answer does not hold up the node's stop.
                let outcome = tokio::select! {
                    outcome = sender.post(id, body.clone(), now) => outcome,
                    () = shutdown.cancelled() => return,
                };
                match outcome {
                    Ok(()) => {
                        state.cursor = id;
                        state.sent += 1;
                        state.last_success = Some(now);
                        backoff.reset();
                        node.alert_board().set(&name, None);
                        keep(&node, &name, &state);
                        passed_over = false;
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(hook = %name, code = %error.code, message = %error.message,
                            "an alert did not reach its gateway; trying again");
                        let delay = backoff.next_delay(rand::random());
                        let at = now + delay;
                        node.alert_board().set(&name, Some(Retry { at, failures: backoff.attempts() }));
                        state.last_error = Some(error);
                        keep(&node, &name, &state);
                        if !pause(delay, &shutdown).await {
                            return;
                        }
                    }
                }
            }
        }
        if passed_over {
            keep(&node, &name, &state);
        }
    }
}

/// Where `hook` stands: as kept, or (a hook new here) from the events of now on, kept at once.
fn known_state(node: &Node, hook: &str) -> Option<HookState> {
    match node.store().hook_state(hook) {
        Ok(Some(state)) => Some(state),
        Ok(None) => {
            let state = HookState { cursor: node.store().published_event(), ..HookState::default() };
            keep(node, hook, &state);
            Some(state)
        }
        Err(e) => {
            tracing::warn!(hook, error = %e, "cannot read where the alert hook stands");
            None
        }
    }
}

fn keep(node: &Node, hook: &str, state: &HookState) {
    if let Err(e) = node.store().keep_hook_state(hook, state) {
        // The cursor stays behind on disk: after a restart, alerts since are sent again.
        tracing::warn!(hook, error = %e, "cannot write down where the alert hook stands");
    }
}

/// Waits `delay`; false when the node is stopping.
async fn pause(delay: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        () = shutdown.cancelled() => false,
    }
}
