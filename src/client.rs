//! A typed client of the officer API over mTLS, used by the `tiemeng case` commands, the demo
//! and the tests. It trusts only the given CA bundle and presents the officer's certificate.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::api::cases::{CaseList, Me, StationView};
use crate::api::search::SearchResults;
use crate::case::CaseRecord;
use crate::ids::CaseId;
use crate::node::{Action, CaseDetail, NewCase};
use crate::store::Mailbox;
use crate::tls::{self, TlsError};

/// A problem report as received from a node.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct RemoteProblem {
    /// HTTP status.
    pub status: u16,
    /// Stable code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Detail.
    #[serde(default)]
    pub detail: String,
    /// Field errors.
    #[serde(default)]
    pub errors: Vec<RemoteFieldError>,
    /// The open requests a new one may repeat (`possible_duplicate`). A boxed slice, not a
    /// vector: every client call returns this error, and its size is what they all carry.
    #[serde(default)]
    pub duplicates: Box<[crate::node::Duplicate]>,
}

/// A field error as received.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct RemoteFieldError {
    /// JSON path of the field.
    pub field: String,
    /// Stable code.
    pub code: String,
    /// Chinese message.
    pub zh: String,
    /// English message.
    pub en: String,
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The TLS files could not be loaded.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// No HTTP answer: the node is unreachable or refused the certificate.
    #[error("no answer from {url}: {source}")]
    Connect {
        /// The URL called.
        url: String,
        /// The transport error.
        source: reqwest::Error,
    },
    /// The node answered with a problem report.
    #[error("{} ({}): {}", .0.title, .0.code, .0.detail)]
    Problem(RemoteProblem),
    /// A file to upload could not be read.
    #[error("cannot read {path}: {source}")]
    ReadFile {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The answer could not be read.
    #[error("unexpected answer from {url}: {reason}")]
    Decode {
        /// The URL called.
        url: String,
        /// What was wrong.
        reason: String,
    },
}

/// A request as the node answered a send of it.
#[derive(Debug, Clone)]
pub struct SentCase {
    /// The case.
    pub case: CaseRecord,
    /// True when the idempotency key had sent it before: nothing was sent now.
    pub repeated: bool,
}

/// Files an officer connects with.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// CA bundle the node's certificate must chain to.
    pub ca_bundle: PathBuf,
    /// CRLs to check the node's certificate against.
    pub crls: Vec<PathBuf>,
    /// The officer's certificate.
    pub cert: PathBuf,
    /// The officer's private key.
    pub key: PathBuf,
}

/// A connection to one node's officer API.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    /// For the event stream, which answers for as long as one listens: no limit on the whole
    /// exchange, only on a silence longer than the node's keep-alive.
    streaming: reqwest::Client,
    base: String,
    lang: &'static str,
}

impl ApiClient {
    /// A client for the node at `base_url` (e.g. `https://localhost:7443`).
    pub fn new(base_url: &str, credentials: &Credentials) -> Result<Self, ClientError> {
        Self::with_tls(
            base_url,
            tls::client_config(&credentials.ca_bundle, &credentials.crls, &credentials.cert, &credentials.key)?,
        )
    }

    /// A client with a ready TLS configuration (tests use this for deliberately broken ones).
    pub fn with_tls(base_url: &str, config: rustls::ClientConfig) -> Result<Self, ClientError> {
        let failed = |source| ClientError::Connect { url: base_url.to_owned(), source };
        let streaming = reqwest::Client::builder()
            .use_preconfigured_tls(config.clone())
            .connect_timeout(std::time::Duration::from_secs(30))
            .read_timeout(std::time::Duration::from_secs(45))
            .build()
            .map_err(failed)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(config)
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(failed)?;
        Ok(Self { http, streaming, base: base_url.trim_end_matches('/').to_owned(), lang: "zh" })
    }

    /// Asks for English problem texts.
    pub fn english(mut self) -> Self {
        self.lang = "en";
        self
    }

    /// Connects with the files of an officer.
    pub fn for_officer(
        base_url: &str,
        ca_bundle: &Path,
        crls: &[PathBuf],
        cert: &Path,
        key: &Path,
    ) -> Result<Self, ClientError> {
        Self::new(
            base_url,
            &Credentials {
                ca_bundle: ca_bundle.to_owned(),
                crls: crls.to_vec(),
                cert: cert.to_owned(),
                key: key.to_owned(),
            },
        )
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The underlying HTTP client, for calls this type does not wrap.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder, url: &str) -> Result<T, ClientError> {
        Ok(self.send_for_status(request, url).await?.1)
    }

    /// [`ApiClient::send`], with the status of a successful answer.
    async fn send_for_status<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<(reqwest::StatusCode, T), ClientError> {
        let response = request
            .header(reqwest::header::ACCEPT_LANGUAGE, self.lang)
            .send()
            .await
            .map_err(|source| ClientError::Connect { url: url.to_owned(), source })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|source| ClientError::Connect { url: url.to_owned(), source })?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<RemoteProblem>(&bytes) {
                Ok(problem) => ClientError::Problem(problem),
                Err(_) => ClientError::Decode {
                    url: url.to_owned(),
                    reason: format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)),
                },
            });
        }
        let value = serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::Decode { url: url.to_owned(), reason: e.to_string() })?;
        Ok((status, value))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        self.send(self.http.get(&url), &url).await
    }

    async fn post<T: DeserializeOwned, B: serde::Serialize>(&self, path: &str, body: &B) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        self.send(self.http.post(&url).json(body), &url).await
    }

    /// `GET /api/v1/me`.
    pub async fn me(&self) -> Result<Me, ClientError> {
        self.get("/api/v1/me").await
    }

    /// `GET /api/v1/stations`.
    pub async fn stations(&self) -> Result<Vec<StationView>, ClientError> {
        self.get("/api/v1/stations").await
    }

    /// `POST /api/v1/cases` for tools that send on purpose (the demo, tests): a possible
    /// duplicate is confirmed and no idempotency key is sent. Officers' sends go through
    /// [`ApiClient::send_case`].
    pub async fn create_case(&self, case: &NewCase) -> Result<CaseRecord, ClientError> {
        let confirmed = NewCase { confirm_duplicate: true, ..case.clone() };
        self.post("/api/v1/cases", &confirmed).await
    }

    /// `POST /api/v1/cases` as `case` says (its `confirm_duplicate` included), with `key` as
    /// the `Idempotency-Key`; tells whether the key had sent it before.
    pub async fn send_case(&self, case: &NewCase, key: Option<&str>) -> Result<SentCase, ClientError> {
        let url = format!("{}/api/v1/cases", self.base);
        let mut request = self.http.post(&url).json(case);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let (status, case) = self.send_for_status(request, &url).await?;
        Ok(SentCase { case, repeated: status == reqwest::StatusCode::OK })
    }

    /// `POST /api/v1/attachments` with `bytes` as the file.
    pub async fn upload(&self, bytes: Vec<u8>) -> Result<crate::node::Uploaded, ClientError> {
        let url = format!("{}/api/v1/attachments", self.base);
        let request =
            self.http.post(&url).header(reqwest::header::CONTENT_TYPE, "application/octet-stream").body(bytes);
        self.send(request, &url).await
    }

    /// `POST /api/v1/attachments` with the file at `path`, streamed: a large scan is never read
    /// into memory whole.
    pub async fn upload_file(&self, path: &std::path::Path) -> Result<crate::node::Uploaded, ClientError> {
        let url = format!("{}/api/v1/attachments", self.base);
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|source| ClientError::ReadFile { path: path.to_owned(), source })?;
        let len = file.metadata().await.map(|m| m.len()).ok();
        let mut request = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file)));
        if let Some(len) = len {
            request = request.header(reqwest::header::CONTENT_LENGTH, len);
        }
        self.send(request, &url).await
    }

    /// `GET /api/v1/cases/{id}`; `id` is a case id or a reference number.
    pub async fn case(&self, id: &impl std::fmt::Display) -> Result<CaseDetail, ClientError> {
        self.get(&format!("/api/v1/cases/{}", segment(id))).await
    }

    /// `POST /api/v1/letters/verify`: whether the station holds the request a 协查函's code names.
    pub async fn verify_letter(&self, code: &str) -> Result<crate::node::LetterCheck, ClientError> {
        self.post("/api/v1/letters/verify", &crate::api::letters::LetterText { code: code.to_owned() }).await
    }

    /// `GET /api/v1/inbox` or `/outbox` with a query string (`status=…&kind=…`).
    pub async fn list(&self, mailbox: Mailbox, query: &str) -> Result<CaseList, ClientError> {
        let which = match mailbox {
            Mailbox::Inbox => "inbox",
            Mailbox::Outbox => "outbox",
        };
        let separator = if query.is_empty() { "" } else { "?" };
        self.get(&format!("/api/v1/{which}{separator}{query}")).await
    }

    /// `GET /api/v1/search` with these parameters (`q`, `kind`, `peer`, `state`, `from`, `to`,
    /// `limit`, `cursor`), each percent-encoded here.
    pub async fn search(&self, params: &[(&str, &str)]) -> Result<SearchResults, ClientError> {
        let query: Vec<String> = params.iter().map(|(name, value)| format!("{name}={}", segment(value))).collect();
        let separator = if query.is_empty() { "" } else { "?" };
        self.get(&format!("/api/v1/search{separator}{}", query.join("&"))).await
    }

    /// `GET /api/v1/cases/{id}/bundle`: the evidence bundle's bytes.
    pub async fn bundle(&self, id: &impl std::fmt::Display) -> Result<Vec<u8>, ClientError> {
        let url = format!("{}/api/v1/cases/{}/bundle", self.base, segment(id));
        let response = self
            .http
            .get(&url)
            .header(reqwest::header::ACCEPT_LANGUAGE, self.lang)
            .send()
            .await
            .map_err(|source| ClientError::Connect { url: url.clone(), source })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|source| ClientError::Connect { url: url.clone(), source })?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(match serde_json::from_slice::<RemoteProblem>(&bytes) {
            Ok(problem) => ClientError::Problem(problem),
            Err(_) => ClientError::Decode { url, reason: format!("HTTP {status}") },
        })
    }

    /// `GET /api/v1/cases/{id}/attachments/{sha256}` into the file at `path`, streamed, written
    /// beside it first and moved into place once whole.
    pub async fn download_attachment(
        &self,
        id: &impl std::fmt::Display,
        sha256: &crate::domain::attachment::Sha256,
        path: &Path,
    ) -> Result<u64, ClientError> {
        use futures_util::StreamExt as _;
        use tokio::io::AsyncWriteExt as _;
        let url = format!("{}/api/v1/cases/{}/attachments/{sha256}", self.base, segment(id));
        let response = self
            .http
            .get(&url)
            .header(reqwest::header::ACCEPT_LANGUAGE, self.lang)
            .send()
            .await
            .map_err(|source| ClientError::Connect { url: url.clone(), source })?;
        let status = response.status();
        if !status.is_success() {
            let bytes = response.bytes().await.map_err(|source| ClientError::Connect { url: url.clone(), source })?;
            return Err(match serde_json::from_slice::<RemoteProblem>(&bytes) {
                Ok(problem) => ClientError::Problem(problem),
                Err(_) => ClientError::Decode { url, reason: format!("HTTP {status}") },
            });
        }
        let write = |source| ClientError::ReadFile { path: path.to_owned(), source };
        let part = path.with_extension("part");
        let mut file = tokio::fs::File::create(&part).await.map_err(write)?;
        let mut body = response.bytes_stream();
        let mut written = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|source| ClientError::Connect { url: url.clone(), source })?;
            file.write_all(&chunk).await.map_err(write)?;
            written += chunk.len() as u64;
        }
        file.sync_all().await.map_err(write)?;
        tokio::fs::rename(&part, path).await.map_err(write)?;
        Ok(written)
    }

    /// `GET /api/v1/peers`: delivery to every partner station (admins).
    pub async fn peers(&self) -> Result<Vec<crate::api::admin::PeerView>, ClientError> {
        self.get("/api/v1/peers").await
    }

    /// `GET /api/v1/peers/{id}/dead-letters` (admins).
    pub async fn dead_letters(&self, peer: &str) -> Result<Vec<crate::store::DeadLetter>, ClientError> {
        self.get(&format!("/api/v1/peers/{peer}/dead-letters")).await
    }

    /// `GET /api/v1/events`, resuming after `last_id` (every event kept, from 0; only new ones
    /// when `None`): the open stream, to be read with [`crate::client::EventReader`].
    pub async fn events(&self, last_id: Option<u64>) -> Result<reqwest::Response, ClientError> {
        let url = format!("{}/api/v1/events", self.base);
        let mut request = self.streaming.get(&url).header("accept", "text/event-stream");
        if let Some(id) = last_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.map_err(|source| ClientError::Connect { url: url.clone(), source })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        Err(serde_json::from_str(&text)
            .map(ClientError::Problem)
            .unwrap_or(ClientError::Decode { url, reason: "not a problem report".into() }))
    }

    /// `GET /api/v1/peers/{id}/equivocations` (admins).
    pub async fn equivocations(&self, peer: &str) -> Result<Vec<crate::node::EquivocationView>, ClientError> {
        self.get(&format!("/api/v1/peers/{peer}/equivocations")).await
    }

    /// `POST /api/v1/peers/{id}/dead-letters/resend` (admins), all of the peer's or only
    /// `case`'s: the envelopes queued again.
    pub async fn resend_dead_letters(
        &self,
        peer: &str,
        case: Option<&CaseId>,
    ) -> Result<crate::api::admin::Resent, ClientError> {
        let only = case.map(|case| format!("?case={case}")).unwrap_or_default();
        self.post(&format!("/api/v1/peers/{peer}/dead-letters/resend{only}"), &()).await
    }

    /// `GET /api/v1/alerts` (admins): every alert hook and where it stands.
    pub async fn alert_hooks(&self) -> Result<Vec<crate::node::HookStatus>, ClientError> {
        self.get("/api/v1/alerts").await
    }

    /// `POST /api/v1/alerts/{name}/test` (admins): sends a test alert through the hook now.
    pub async fn test_alert(&self, hook: &str) -> Result<crate::node::HookTest, ClientError> {
        self.post(&format!("/api/v1/alerts/{hook}/test"), &()).await
    }

    /// `POST /api/v1/cases/{id}/forward`: the new case.
    pub async fn forward(
        &self,
        id: &impl std::fmt::Display,
        input: &crate::node::ForwardInput,
    ) -> Result<CaseRecord, ClientError> {
        self.post(&format!("/api/v1/cases/{}/forward", segment(id)), input).await
    }

    /// `POST /api/v1/cases/{id}/handover`: hand the case to another officer of the station.
    pub async fn hand_over(
        &self,
        id: &impl std::fmt::Display,
        input: &crate::node::HandoverInput,
    ) -> Result<CaseRecord, ClientError> {
        self.post(&format!("/api/v1/cases/{}/handover", segment(id)), input).await
    }

    /// 其余单位撤回: stands down every target of the case still working it.
    pub async fn stand_down(
        &self,
        id: &impl std::fmt::Display,
        input: &crate::node::StandDownInput,
    ) -> Result<CaseRecord, ClientError> {
        self.post(&format!("/api/v1/cases/{}/stand-down", segment(id)), input).await
    }

    /// One of the case actions.
    pub async fn act(&self, id: &impl std::fmt::Display, action: &Action) -> Result<CaseRecord, ClientError> {
        let id = segment(id);
        let path = |tail: &str| format!("/api/v1/cases/{id}/{tail}");
        match action {
            Action::Ack(input) => self.post(&path("ack"), input).await,
            Action::Decline(input) => self.post(&path("decline"), input).await,
            Action::Note(input) => self.post(&path("notes"), input).await,
            Action::Reminder(input) => self.post(&path("reminders"), input).await,
            Action::Outcome(input) => self.post(&path("outcome"), input).await,
            Action::Close(input) => self.post(&path("close"), input).await,
            Action::Withdraw(input) => self.post(&path("withdraw"), input).await,
        }
    }
}

/// Reads Server-Sent Events from a response: `id`, `event` and `data` lines, an empty line
/// ending each event.
#[derive(Debug)]
pub struct EventReader {
    response: reqwest::Response,
    pending: String,
}

impl EventReader {
    /// Reads `response`.
    pub fn new(response: reqwest::Response) -> Self {
        Self { response, pending: String::new() }
    }

    /// The next event as (id, event), or `None` when the stream ended or broke.
    pub async fn next(&mut self) -> Option<(u64, crate::events::Event)> {
        loop {
            if let Some(end) = self.pending.find("\n\n") {
                let block: String = self.pending.drain(..end + 2).collect();
                let (mut id, mut data) = (None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                // Keep-alive comments carry no id.
                if let (Some(id), Ok(event)) = (id, serde_json::from_str(&data)) {
                    return Some((id, event));
                }
                continue;
            }
            let chunk = self.response.chunk().await.ok()??;
            self.pending.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// `id` as one path segment: a reference number has Chinese characters and brackets, which a
/// URL carries percent-encoded (UTF-8); a case id passes through unchanged.
fn segment(id: &impl std::fmt::Display) -> String {
    let mut out = String::new();
    for byte in id.to_string().bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte) {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = std::fmt::Write::write_fmt(&mut out, format_args!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod segment_tests {
    #[test]
    fn a_reference_number_is_percent_encoded_and_an_id_is_not() {
        assert_eq!(super::segment(&"2026-12"), "2026-12");
        assert_eq!(super::segment(&"泰协〔2026〕1号"), "%E6%B3%B0%E5%8D%8F%E3%80%942026%E3%80%951%E5%8F%B7");
        assert_eq!(super::segment(&"a/b c"), "a%2Fb%20c");
    }
}
