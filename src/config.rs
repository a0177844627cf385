//! Station configuration (TOML). Unknown keys are refused, relative paths are read from the
//! config file's folder, and every error names the file, the key and what is wrong, because
//! the person reading it is an admin at a border station with nobody to ask.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::domain::deadline::DeadlinePolicy;
use crate::i18n::{Lang, io_error};
use crate::ids::{Badge, Division, StationId};

pub mod alerts;
mod check;
mod error;

use error::parser_words;
pub use error::{ConfigError, Problem};

/// Roles an officer may hold; they come from this registry, never from the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 联络员: sends requests, closes, withdraws, reminds.
    Liaison,
    /// 值班民警: acknowledges, declines and reports on requests received.
    Duty,
    /// 所长/领导: reads everything of the station and the statistics.
    Chief,
    /// 系统管理员: runs the node (peers, dead letters, metrics); reads no case content.
    Admin,
}

impl crate::i18n::Label for Role {
    fn zh(&self) -> &'static str {
        match self {
            Self::Liaison => "联络员",
            Self::Duty => "值班民警",
            Self::Chief => "所领导",
            Self::Admin => "系统管理员",
        }
    }
    fn en(&self) -> &'static str {
        match self {
            Self::Liaison => "liaison officer",
            Self::Duty => "duty officer",
            Self::Chief => "station chief",
            Self::Admin => "administrator",
        }
    }
}

/// The whole configuration of one station's node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Who this station is.
    pub station: StationConfig,
    /// Where the node listens.
    pub server: ServerConfig,
    /// Where the node keeps its data.
    pub storage: StorageConfig,
    /// Certificates and trust.
    pub tls: TlsConfig,
    /// Ed25519 keys this station signs envelopes with (several during a rotation).
    pub signing_keys: Vec<SigningKeyConfig>,
    /// Partner stations across the border.
    #[serde(default)]
    pub peers: Vec<PeerConfig>,
    /// Officers of this station and their roles.
    #[serde(default)]
    pub officers: Vec<OfficerConfig>,
    /// Deadlines per priority and kind.
    #[serde(default)]
    pub deadlines: DeadlinePolicy,
    /// Federation behaviour.
    #[serde(default)]
    pub federation: FederationConfig,
    /// Request limits per caller.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// The 24-hour desk: when a deadline counts as near.
    #[serde(default)]
    pub desk: DeskConfig,
    /// Alerts beyond the browser: the station's SMS or paging gateways.
    #[serde(default)]
    pub alerts: alerts::AlertsConfig,
    /// How much may be attached to a request or a note.
    #[serde(default)]
    pub attachments: AttachmentsConfig,
}

/// `[attachments]`: the limits on photos and documents, in MB (MiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentsConfig {
    /// Largest file (default 20).
    #[serde(default = "default_file_mb")]
    pub max_file_mb: u64,
    /// Most files on one request or note (default 10).
    #[serde(default = "default_files")]
    pub max_files: usize,
    /// Largest sum on one request or note (default 100).
    #[serde(default = "default_total_mb")]
    pub max_total_mb: u64,
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        Self { max_file_mb: default_file_mb(), max_files: default_files(), max_total_mb: default_total_mb() }
    }
}

impl AttachmentsConfig {
    /// The limits in bytes.
    pub fn limits(&self) -> crate::domain::attachment::Limits {
        crate::domain::attachment::Limits {
            file_bytes: self.max_file_mb << 20,
            files: self.max_files,
            total_bytes: self.max_total_mb << 20,
        }
    }
}

fn default_file_mb() -> u64 {
    20
}
fn default_files() -> usize {
    10
}
fn default_total_mb() -> u64 {
    100
}

/// `[desk]`: how long before a deadline the desk is warned, by priority (`"2m"`, `"1h"`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskConfig {
    /// 特急 (default 2 minutes: the acknowledgement is due 10 minutes after sending).
    #[serde(default = "default_warn_urgent")]
    pub warn_urgent: crate::domain::deadline::Span,
    /// 紧急 (default 15 minutes).
    #[serde(default = "default_warn_high")]
    pub warn_high: crate::domain::deadline::Span,
    /// 一般 (default 2 hours).
    #[serde(default = "default_warn_routine")]
    pub warn_routine: crate::domain::deadline::Span,
}

impl Default for DeskConfig {
    fn default() -> Self {
        Self {
            warn_urgent: default_warn_urgent(),
            warn_high: default_warn_high(),
            warn_routine: default_warn_routine(),
        }
    }
}

impl DeskConfig {
    /// How long before a deadline of a case of `priority` the desk is warned.
    pub fn warning(&self, priority: crate::domain::case::Priority) -> Duration {
        use crate::domain::case::Priority;
        match priority {
            Priority::Urgent => self.warn_urgent.0,
            Priority::High => self.warn_high.0,
            Priority::Routine => self.warn_routine.0,
        }
    }
}

fn default_warn_urgent() -> crate::domain::deadline::Span {
    crate::domain::deadline::Span(Duration::minutes(2))
}
fn default_warn_high() -> crate::domain::deadline::Span {
    crate::domain::deadline::Span(Duration::minutes(15))
}
fn default_warn_routine() -> crate::domain::deadline::Span {
    crate::domain::deadline::Span(Duration::hours(2))
}

/// `[limits]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Requests an officer may make per minute (bursts of a quarter of that are fine).
    #[serde(default = "default_officer_rate")]
    pub officer_requests_per_minute: u32,
    /// Requests a peer station may make per minute.
    #[serde(default = "default_peer_rate")]
    pub peer_requests_per_minute: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self { officer_requests_per_minute: default_officer_rate(), peer_requests_per_minute: default_peer_rate() }
    }
}

fn default_officer_rate() -> u32 {
    600
}
fn default_peer_rate() -> u32 {
    6000
}

/// `[station]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationConfig {
    /// Station id, e.g. `zj-taishun-luoyang`.
    pub id: StationId,
    /// Display name in Chinese, e.g. 泰顺县公安局罗阳派出所.
    pub name: String,
    /// GB/T 2260 division code, e.g. `330329`.
    pub division: Division,
    /// The station's short name in its reference numbers, e.g. 泰罗阳; when absent, derived
    /// from `name` ([`crate::domain::refno::derived_short_name`]).
    #[serde(default)]
    pub short_name: Option<String>,
    /// How reference numbers read: `{short}`, `{year}` and `{n}` are replaced.
    #[serde(default = "default_refno_format")]
    pub refno_format: String,
}

fn default_refno_format() -> String {
    crate::domain::refno::DEFAULT_FORMAT.to_owned()
}

impl StationConfig {
    /// The short name used in reference numbers.
    pub fn short_name(&self) -> String {
        match &self.short_name {
            Some(short) if !short.trim().is_empty() => short.trim().to_owned(),
            _ => crate::domain::refno::derived_short_name(&self.name),
        }
    }

    /// The label of this station's number `number` of `year`.
    pub fn refno_label(&self, year: u16, number: u32) -> String {
        crate::domain::refno::label(&self.refno_format, &self.short_name(), year, number)
    }
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on, e.g. `0.0.0.0:7443`.
    pub listen: SocketAddr,
    /// The URL peers and officers use to reach this node.
    pub public_url: String,
    /// Seconds a client gets to finish the TLS handshake before it is dropped.
    #[serde(default = "default_handshake_timeout")]
    pub handshake_timeout_secs: u64,
    /// Seconds a connection may sit without moving a byte before it is closed.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout_secs: u64,
    /// Most connections served at once; more wait in the kernel's backlog.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Most connections one certificate identity may hold open at once (never more than
    /// `max_connections`); a request on a connection beyond that is answered 429
    /// `too_many_connections` and the connection closed.
    #[serde(default = "default_max_connections_per_identity")]
    pub max_connections_per_identity: usize,
    /// Most TLS handshakes one source (an IPv4 address, an IPv6 /64) may have in progress at
    /// once (never more than `max_connections`); a connection beyond that is closed at once.
    #[serde(default = "default_max_handshakes_per_source")]
    pub max_handshakes_per_source: usize,
}

/// `[storage]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// The sled data folder.
    pub data_dir: PathBuf,
    /// sled page cache in MiB; explicit because sled's default lets memory grow to ~1 GB.
    #[serde(default = "default_cache_mb")]
    pub cache_mb: u64,
}

/// `[tls]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file of the CA certificate(s) of this station's own province: the only CAs whose
    /// certificates count for this station's officers. Partner stations' CAs are named per
    /// peer (`peers[].ca`); together they are everything this node trusts, never system roots.
    pub home_ca: PathBuf,
    /// The single bundle of earlier releases, which let any trusted CA vouch for anyone. Read
    /// only to tell an admin upgrading what replaced it.
    #[serde(default)]
    ca_bundle: Option<PathBuf>,
    /// PEM CRL files, one per CA; reloaded when they change.
    #[serde(default)]
    pub crls: Vec<PathBuf>,
    /// This node's certificate chain (PEM).
    pub cert: PathBuf,
    /// This node's private key (PEM).
    pub key: PathBuf,
}

/// `[[signing_keys]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKeyConfig {
    /// Key id, published as `<station>#<id>`.
    pub id: String,
    /// PKCS#8 PEM private key file.
    pub file: PathBuf,
    /// First moment the key may sign (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub valid_from: Option<OffsetDateTime>,
    /// Moment the key stops signing (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub valid_until: Option<OffsetDateTime>,
}

/// `[[peers]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// The peer's station id.
    pub id: StationId,
    /// Its display name.
    pub name: String,
    /// Its GB/T 2260 division code.
    pub division: Division,
    /// Its base URL, `https://…`.
    pub url: String,
    /// PEM file of the CA certificate(s) that issue this partner's station certificate: a
    /// certificate naming this partner counts only if one of these verified it, both when it
    /// calls this node and when this node calls it.
    pub ca: PathBuf,
    /// Its ed25519 public keys.
    pub keys: Vec<PeerKeyConfig>,
}

/// `[[peers.keys]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerKeyConfig {
    /// Key id as the peer publishes it.
    pub id: String,
    /// base64url (no padding) of the 32-byte public key.
    #[serde(default)]
    pub public: Option<String>,
    /// Or: a file holding it (the peer's `signing-<id>.pub`); read at load.
    #[serde(default)]
    pub public_file: Option<PathBuf>,
    /// Signatures dated before this are refused.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub valid_from: Option<OffsetDateTime>,
    /// Signatures dated at or after this are refused.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub valid_until: Option<OffsetDateTime>,
    /// The key is compromised from this moment: later signatures are refused.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoked_from: Option<OffsetDateTime>,
}

/// `[[officers]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficerConfig {
    /// Badge number, as in the certificate's `urn:tiemeng:officer:<station>:<badge>`.
    pub badge: Badge,
    /// Name shown on everything the officer signs.
    pub name: String,
    /// What the officer may do.
    pub roles: Vec<Role>,
}

/// `[federation]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationConfig {
    /// How far in the future an envelope's time may be (seconds). Old times are always fine.
    #[serde(default = "default_clock_skew")]
    pub clock_skew_secs: u64,
    /// Longest wait between delivery attempts to a peer that is down (seconds).
    #[serde(default = "default_max_backoff")]
    pub max_backoff_secs: u64,
    /// Most envelopes sent to a peer in one batch.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Longest a key may be valid, in days: a key listed with `valid_from` but no
    /// `valid_until` is taken to expire after this long, and a longer stated validity is refused.
    #[serde(default = "default_key_validity")]
    pub max_key_validity_days: u32,
}

impl Default for FederationConfig {
    fn default() -> Self {
        Self {
            clock_skew_secs: default_clock_skew(),
            max_backoff_secs: default_max_backoff(),
            batch_size: default_batch(),
            max_key_validity_days: default_key_validity(),
        }
    }
}

fn default_handshake_timeout() -> u64 {
    10
}
fn default_idle_timeout() -> u64 {
    120
}
fn default_max_connections() -> usize {
    1024
}
fn default_max_connections_per_identity() -> usize {
    64
}
fn default_max_handshakes_per_source() -> usize {
    64
}
fn default_cache_mb() -> u64 {
    64
}
fn default_clock_skew() -> u64 {
    300
}
fn default_max_backoff() -> u64 {
    300
}
fn default_batch() -> usize {
    64
}
fn default_key_validity() -> u32 {
    1095
}

impl Config {
    /// Reads, parses and checks a config file; relative paths become relative to its folder.
    pub fn load(file: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(file).map_err(|e| ConfigError {
            file: file.to_owned(),
            key: String::new(),
            message: format!("cannot read: {e}"),
            zh: format!("无法读取：{}", io_error(&e, Lang::Zh)),
        })?;
        let mut config = Self::parse(&text).map_err(|(key, message)| ConfigError {
            file: file.to_owned(),
            key,
            zh: parser_words(&message),
            message,
        })?;
        let base = file.parent().unwrap_or(Path::new("."));
        config.resolve_paths(base);
        let at = |problem| ConfigError::at(file, problem);
        config.read_key_files().map_err(at)?;
        config.alerts.read_secrets().map_err(at)?;
        config.check().map_err(at)?;
        Ok(config)
    }

    /// Parses TOML text; on failure returns the key path and the message.
    pub fn parse(text: &str) -> Result<Self, (String, String)> {
        let deserializer = toml::Deserializer::parse(text).map_err(|e| (String::new(), e.to_string()))?;
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            let key = if key == "." { String::new() } else { key };
            (key, e.into_inner().to_string().trim_end().to_owned())
        })
    }

    fn resolve_paths(&mut self, base: &Path) {
        let join = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        join(&mut self.storage.data_dir);
        join(&mut self.tls.home_ca);
        join(&mut self.tls.cert);
        join(&mut self.tls.key);
        self.tls.crls.iter_mut().for_each(join);
        self.signing_keys.iter_mut().for_each(|k| join(&mut k.file));
        self.peers.iter_mut().for_each(|p| join(&mut p.ca));
        self.alerts.resolve_paths(base);
        for key in self.peers.iter_mut().flat_map(|p| p.keys.iter_mut()) {
            if let Some(file) = key.public_file.as_mut() {
                join(file);
            }
        }
    }

    /// Reads peer keys given as files into their `public` field.
    fn read_key_files(&mut self) -> Result<(), Problem> {
        for (i, peer) in self.peers.iter_mut().enumerate() {
            for (k, key) in peer.keys.iter_mut().enumerate() {
                let at = format!("peers[{i}].keys[{k}]");
                match (&key.public, &key.public_file) {
                    (Some(_), Some(_)) => {
                        return Err(Problem::new(
                            at,
                            "`public` 与 `public_file` 只能给出一个",
                            "give either `public` or `public_file`, not both",
                        ));
                    }
                    (None, None) => {
                        return Err(Problem::new(
                            at,
                            "请用 `public` 或 `public_file` 给出公钥",
                            "give the key as `public` or `public_file`",
                        ));
                    }
                    (None, Some(file)) => {
                        let text = std::fs::read_to_string(file)
                            .map_err(|e| Problem::unreadable(format!("{at}.public_file"), file, &e))?;
                        key.public = Some(text.trim().to_owned());
                    }
                    (Some(_), None) => {}
                }
            }
        }
        Ok(())
    }

    /// The longest validity of a key.
    pub fn max_key_validity(&self) -> Duration {
        Duration::days(i64::from(self.federation.max_key_validity_days))
    }

    /// The end of a key's validity: as stated, or `valid_from` plus the cap.
    pub fn key_valid_until(
        &self,
        valid_from: Option<OffsetDateTime>,
        valid_until: Option<OffsetDateTime>,
    ) -> Option<OffsetDateTime> {
        valid_until.or_else(|| valid_from.map(|from| from + self.max_key_validity()))
    }

    /// The allowed clock skew.
    pub fn clock_skew(&self) -> Duration {
        Duration::seconds(i64::try_from(self.federation.clock_skew_secs).unwrap_or(3600))
    }

    /// The public key text of a peer key (inline or read from its file at load).
    pub fn public_text(key: &PeerKeyConfig) -> &str {
        key.public.as_deref().unwrap_or_default()
    }

    /// Looks up a peer by station id.
    pub fn peer(&self, id: &StationId) -> Option<&PeerConfig> {
        self.peers.iter().find(|p| &p.id == id)
    }

    /// Looks up an officer of this station by badge.
    pub fn officer(&self, badge: &Badge) -> Option<&OfficerConfig> {
        self.officers.iter().find(|o| &o.badge == badge)
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz_tests;
