//! The delivery task of one peer: take a batch from the head of its outbox, send it, record
//! the answers, repeat. Order is kept: a batch stops at the first envelope that could not be
//! delivered for a reason that may pass (the peer down, a storage error there, a clock ahead),
//! and that envelope is retried first. Envelopes the peer refuses for good go to the
//! dead-letter list so one bad envelope cannot block the queue.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use rand::Rng;
use tokio_util::sync::CancellationToken;

use super::backoff::Backoff;
use crate::config::PeerConfig;
use crate::domain::text::log_safe;
use crate::envelope::Statement as _;
use crate::ids::StationId;
use crate::node::health::PeerError;
use crate::node::{Answer, Node, Pending, Returned};
use crate::protocol::{BatchResult, EnvelopeResult, ReconcileAnswer};

/// How long an idle task sleeps before looking at its outbox anyway.
const IDLE_RECHECK: Duration = Duration::from_secs(30);
/// The earliest a backing-off task tries again when new work arrives.
const EARLY_RETRY: Duration = Duration::from_secs(5);
/// The pauses before each try of the hello a starting station sends its peer: a peer that
/// misses all of them is down, and says hello itself when it comes back.
const HELLO_PAUSES: [Duration; 3] = [Duration::ZERO, Duration::from_secs(1), Duration::from_secs(4)];
/// How long one hello may take: it is a handshake and an empty answer.
const HELLO_TIMEOUT: Duration = Duration::from_secs(5);

/// One peer's delivery task.
pub struct Worker {
    /// The node.
    pub node: Arc<Node>,
    /// The peer.
    pub peer: PeerConfig,
    /// The mTLS client with the station's identity.
    pub client: reqwest::Client,
    /// Stops the task.
    pub shutdown: CancellationToken,
}

/// How an attempt ended.
enum Attempt {
    /// Nothing was waiting.
    Idle,
    /// Everything sent was answered for good.
    Done,
    /// Something was not delivered and will be retried.
    Retry(PeerError),
}

impl Worker {
    /// Runs until shutdown, then writes down what of the peer's health changed since last time.
    pub async fn run(self) {
        tokio::join!(self.say_hello(), self.deliver_until_shutdown());
        self.keep_health(true).await;
    }

    /// Tells the peer this station has started, so that what the peer holds for it comes at
    /// once, not at the peer's next retry (after a long outage, up to the backoff's cap).
    async fn say_hello(&self) {
        let url = format!("{}/fed/v1/hello", self.peer.url.trim_end_matches('/'));
        for pause in HELLO_PAUSES {
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = self.shutdown.cancelled() => return,
            }
            let answer = tokio::select! {
                answer = self.client.post(&url).timeout(HELLO_TIMEOUT).send() => answer,
                () = self.shutdown.cancelled() => return,
            };
            match answer.map(|r| r.status()) {
                Ok(status) if status.is_success() => {
                    tracing::debug!(peer = %self.peer.id, "told the peer this station is back");
                    return;
                }
                // A peer that does not know the message yet (an older version) retries by its timer.
                Ok(status) if status == reqwest::StatusCode::NOT_FOUND => return,
                Ok(status) => tracing::debug!(peer = %self.peer.id, %status, "the peer did not take the hello"),
                Err(e) => tracing::debug!(peer = %self.peer.id, error = %e, "the peer did not hear the hello"),
            }
        }
    }

    async fn deliver_until_shutdown(&self) {
        let Some(signals) = self.node.signals(&self.peer.id).cloned() else { return };
        let Some(health) = self.node.health().peer(&self.peer.id) else { return };
        let cap = Duration::from_secs(self.node.config().federation.max_backoff_secs);
        let mut backoff = Backoff::new(cap);
        // Whether the desk was told the partner cannot be reached, and not yet that it can.
        let mut told_unreachable = false;
        loop {
            let wait = match self.attempt().await {
                Attempt::Idle => IDLE_RECHECK,
                Attempt::Done if self.shutdown.is_cancelled() => return,
                Attempt::Done => {
                    if told_unreachable {
                        told_unreachable = !self.tell_desk(true, None).await;
                    }
                    backoff.reset();
                    // A busy peer may never let the queue run idle.
                    self.keep_health(false).await;
                    continue;
                }
                Attempt::Retry(error) => {
                    let delay = backoff.next_delay(rand::thread_rng().r#gen::<f64>());
                    // The code and message come from the partner: on one line, nothing that acts.
                    let (code, message) = (log_safe(&error.code), log_safe(&error.message));
                    tracing::warn!(peer = %self.peer.id, %code, error = %message, retry_in = ?delay, "delivery failed");
                    if error.cut_off() && !told_unreachable {
                        told_unreachable = self.tell_desk(false, Some(error.code.clone())).await;
                    }
                    health.failed(error, self.node.clock().now() + delay);
                    delay
                }
            };
            self.keep_health(false).await;
            let retry_at = tokio::time::Instant::now() + wait;
            tokio::select! {
                () = tokio::time::sleep_until(retry_at) => {}
                () = signals.work.notified() => {
                    // New work cuts a backoff short, so an urgent alert does not sit out a
                    // five-minute wait after the peer came back; but at most one early try per
                    // EARLY_RETRY, so a burst of cases for a dead peer is not a burst of tries.
                    if backoff.attempts() > 0 {
                        let early = (tokio::time::Instant::now() + EARLY_RETRY).min(retry_at);
                        tokio::select! {
                            () = tokio::time::sleep_until(early) => {}
                            () = self.shutdown.cancelled() => return,
                        }
                    }
                }
                () = signals.alive.notified() => backoff.reset(),
                () = self.shutdown.cancelled() => return,
            }
        }
    }

    /// Sends batches until the outbox is empty or something must be retried. While one
    /// batch's answers are recorded, the next batch is already on its way: the peer answered
    /// every envelope of the previous one for good, so it holds them all and order is kept;
    /// recording them is this node's own business, and it overlaps the peer's work on the next
    /// batch. Batches are recorded one after another, in order. Should recording fail, what it
    /// left in the outbox is sent again and the peer answers those as duplicates.
    async fn attempt(&self) -> Attempt {
        if let Err(error) = self.reconcile_if_due().await {
            return Attempt::Retry(error);
        }
        let batch_size = self.node.config().federation.batch_size;
        let mut recording: Option<JoinHandle<Result<(), PeerError>>> = None;
        let mut from = 0;
        let outcome = loop {
            let batch = match self.node.pending_from(&self.peer.id, from, batch_size) {
                Ok(batch) if batch.is_empty() => break if from == 0 { Attempt::Idle } else { Attempt::Done },
                Ok(batch) => batch,
                Err(e) => break Attempt::Retry(self.error("storage", e.to_string())),
            };
            // Never hand a peer something this node could still lose.
            if let Err(e) = self.node.store().durable().await {
                break Attempt::Retry(self.error("storage", e.to_string()));
            }
            let results = match self.send(&batch).await {
                Ok(results) => results,
                Err(error) => break Attempt::Retry(error),
            };
            from = batch.last().map_or(from, |last| last.seq + 1);
            let (answers, stopped) = self.node.read_answers(&self.peer.id, batch, results);
            let stopped = stopped.map(|stop| self.error(&stop.code, stop.message));
            if let Some(previous) = recording.take()
                && let Err(error) = self.joined(previous).await
            {
                break Attempt::Retry(error);
            }
            recording = Some(tokio::spawn(record(self.node.clone(), self.peer.id.clone(), answers)));
            if let Some(error) = stopped {
                break Attempt::Retry(error);
            }
            if self.shutdown.is_cancelled() {
                break Attempt::Done;
            }
        };
        if let Some(last) = recording
            && let Err(error) = self.joined(last).await
        {
            return Attempt::Retry(error);
        }
        outcome
    }

    async fn joined(&self, recording: JoinHandle<Result<(), PeerError>>) -> Result<(), PeerError> {
        recording.await.unwrap_or_else(|e| Err(self.error("storage", format!("recording answers failed: {e}"))))
    }

    async fn send(&self, batch: &[Pending]) -> Result<Vec<EnvelopeResult>, PeerError> {
        let url = format!("{}/fed/v1/inbox", self.peer.url.trim_end_matches('/'));
        let body = crate::protocol::batch_body(batch.iter().map(|pending| pending.stored.wire.as_slice()));
        let started = Instant::now();
        let response = self
            .client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| self.error("unreachable", e.to_string()))?;
        if !status.is_success() {
            return Err(self.error("bad_answer", format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes))));
        }
        let answer: BatchResult =
            serde_json::from_slice(&bytes).map_err(|e| self.error("bad_answer", e.to_string()))?;
        if answer.results.len() != batch.len() {
            return Err(
                self.error("bad_answer", format!("{} answers for {} envelopes", answer.results.len(), batch.len()))
            );
        }
        tracing::debug!(peer = %self.peer.id, count = batch.len(), elapsed = ?started.elapsed(), "batch answered");
        Ok(answer.results)
    }

    /// After a restore: asks the peer for what the backup lacked, page by page, then records
    /// that it is done. Until it is, nothing else is sent, so what the peer re-sends and what
    /// this node sends afresh cannot cross.
    async fn reconcile_if_due(&self) -> Result<(), PeerError> {
        let due =
            self.node.store().reconciliation_due(&self.peer.id).map_err(|e| self.error("storage", e.to_string()))?;
        let Some(mut since) = due else { return Ok(()) };
        since -= crate::node::RECONCILE_MARGIN;
        let mut waiting = Vec::new();
        let url = format!("{}/fed/v1/reconcile", self.peer.url.trim_end_matches('/'));
        loop {
            // Signed afresh for every page: the peer refuses a request signed outside its clock skew.
            let ask = crate::envelope::ReconcileAsk {
                v: crate::envelope::VERSION,
                from: self.node.station().clone(),
                to: self.peer.id.clone(),
                since,
                at: self.node.clock().now(),
            }
            .seal(self.node.signer())
            .map_err(|e| self.error("signing", e.to_string()))?;
            let response = self
                .client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(ask.wire())
                .send()
                .await
                .map_err(|e| self.unreachable(&e))?;
            let status = response.status();
            if !status.is_success() {
                let problem: String = response.text().await.unwrap_or_default().chars().take(500).collect();
                return Err(self.error("bad_answer", format!("reconciliation answered HTTP {status}: {problem}")));
            }
            let answer: ReconcileAnswer = response.json().await.map_err(|e| self.error("bad_answer", e.to_string()))?;
            let page: Vec<Returned> = answer
                .envelopes
                .into_iter()
                .map(|r| Returned {
                    envelope: r.envelope.get().as_bytes().to_vec(),
                    receipt: r.receipt.map(|x| x.get().as_bytes().to_vec()),
                })
                .collect();
            let last = page
                .last()
                .and_then(|r| crate::envelope::SealedEnvelope::open(&r.envelope, self.node.keys()).ok())
                .map(|s| s.envelope.at);
            let returned = std::mem::take(&mut waiting).into_iter().chain(page).collect();
            let back =
                self.node.take_back(&self.peer.id, returned).await.map_err(|e| self.error("storage", e.to_string()))?;
            waiting = back.waiting;
            tracing::info!(peer = %self.peer.id, taken = back.taken, waiting = waiting.len(), "reconciled after restore");
            match (answer.complete, last) {
                (false, Some(last)) if last > since => since = last,
                _ => break,
            }
        }
        if !waiting.is_empty() {
            // Nothing returned opens their case or precedes them: the peer does not hold it either.
            tracing::warn!(peer = %self.peer.id, count = waiting.len(), "returned envelopes left out: what they follow was not returned");
        }
        self.node.store().reconciled(&self.peer.id).map_err(|e| self.error("storage", e.to_string()))
    }

    /// Writes down what of the peer's health should outlive the process, if enough changed
    /// ([`super::PeerHealth::to_keep`]). Failing to is no reason to stop delivering: it is logged.
    async fn keep_health(&self, closing: bool) {
        let Some(note) = self.node.health().peer(&self.peer.id).and_then(|h| h.to_keep(closing)) else { return };
        let (node, peer) = (self.node.clone(), self.peer.id.clone());
        let kept = tokio::task::spawn_blocking(move || node.store().keep_peer_note(&peer, &note.encode())).await;
        if let Err(error) = kept.map_err(|e| e.to_string()).and_then(|r| r.map_err(|e| e.to_string())) {
            tracing::warn!(peer = %self.peer.id, %error, "could not write down the peer's delivery health");
        }
    }

    /// Tells the desk (an event) that the partner cannot be reached, or can again; returns
    /// whether that was recorded.
    async fn tell_desk(&self, reachable: bool, code: Option<String>) -> bool {
        match self.node.partner_event(&self.peer.id, reachable, code).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(peer = %self.peer.id, error = %e, "could not record the partner's reachability");
                false
            }
        }
    }

    fn error(&self, code: &str, message: String) -> PeerError {
        PeerError { code: code.to_owned(), message, at: self.node.clock().now() }
    }

    /// A request that got no answer. The admin needs the cause, not reqwest's "error sending
    /// request": a refused connection, a timeout, or a partner whose certificate is not from
    /// the CA configured for it (`peer_certificate`).
    fn unreachable(&self, error: &reqwest::Error) -> PeerError {
        let mut message = error.to_string();
        let mut certificate = false;
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            certificate |= matches!(tls_error_in(cause), Some(rustls::Error::InvalidCertificate(_)));
            source = cause.source();
        }
        self.error(if certificate { "peer_certificate" } else { "unreachable" }, message)
    }
}

/// The TLS error behind a failed connection, however many I/O errors wrap it.
fn tls_error_in<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner: &(dyn std::error::Error + 'static) = cause.downcast_ref::<std::io::Error>()?.get_ref()?;
    tls_error_in(inner)
}

/// Records a batch's answers durably, then tells the peer's health what was delivered and what
/// was refused for good.
async fn record(node: Arc<Node>, peer: StationId, answers: Vec<(Pending, Answer)>) -> Result<(), PeerError> {
    let now = node.clock().now();
    let error = |code: &str, message: String| PeerError { code: code.to_owned(), message, at: now };
    let outcomes: Vec<Result<Duration, PeerError>> = answers
        .iter()
        .map(|(pending, answer)| match answer {
            Answer::Receipt(_) => Ok((now - pending.stored.meta.at).try_into().unwrap_or_default()),
            Answer::Refused { code, message } => Err(error(code, message.clone())),
        })
        .collect();
    let recorded = node.record_answers(&peer, answers).await.map_err(|e| error("storage", e.to_string()))?;
    // An answer recorded before (sent again after a failed recording) was counted then.
    let (mut latencies, mut refused) = (Vec::new(), Vec::new());
    for (outcome, _) in outcomes.into_iter().zip(recorded).filter(|(_, now)| *now) {
        match outcome {
            Ok(latency) => latencies.push(latency),
            Err(refusal) => refused.push(refusal),
        }
    }
    let Some(health) = node.health().peer(&peer) else { return Ok(()) };
    if !latencies.is_empty() {
        health.delivered(&latencies, now);
        // Files wait for the envelope that names them (the peer refuses a file no case of its
        // names yet): now it holds that envelope, the file task goes on without its backoff.
        if let Some(signals) = node.signals(&peer) {
            signals.files.notify_one();
        }
    }
    if let Some(last) = refused.last() {
        tracing::error!(peer = %peer, count = refused.len(), code = %log_safe(&last.code), "envelopes refused for good; see dead letters");
        health.rejected(refused.len(), last.clone());
    }
    Ok(())
}
