//! The station's operations: what officers do through the API and CLI, and what peers
//! deliver. This layer decides and authorises; `case` computes state, `envelope` signs, and
//! `store` persists. Every operation that changes anything runs whole in one store unit and
//! returns only after the change is on disk; officers' new requests that arrive together share
//! a unit (`combine`), each still all or nothing.

mod alerts;
mod attachments;
mod auth;
mod backup;
mod bulk;
mod combine;
mod delivery;
mod desk;
mod duplicates;
mod equivocation;
mod error;
mod export;
pub mod feed;
mod file_intake;
mod forward;
mod handover;
pub mod health;
mod inbound;
#[cfg(test)]
mod inbound_fuzz;
mod inputs;
mod keyed_lock;
mod letter;
mod officer;
mod once;
pub mod peer_words;
mod reconcile;
mod redirect;
mod refno;
mod relay;
mod search;
mod stand_down;
mod stats;
mod subjects;
mod view;

use std::collections::BTreeMap;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::Notify;

pub use alerts::{HookStatus, HookTest};
pub use attachments::{Served, UNUSED_FOR, Uploaded};
pub use auth::{ADMIN, Caller, DUTY, LIAISON, NOTE_WRITERS, Officer, READERS};
pub use delivery::{Answer, Pending, ReceiptError, Stop};
pub use desk::DeskCounts;
pub use duplicates::Duplicate;
pub use equivocation::{EQUIVOCATIONS_SHOWN, EquivocationView, SignedStatement};
pub use error::NodeError;
pub use file_intake::FileRefusal;
pub use forward::ForwardInput;
pub use handover::{HandoverInput, HandoverView, TimelineItem, handover_choices, may_hand_over, roles_to_handle};
pub use inbound::{InboundError, InboundOutcome};
pub use inputs::{
    AckInput, Action, CloseInput, DeclineInput, NewCase, NoteInput, OutcomeInput, ReminderInput, WithdrawInput,
    action_body,
};
pub use letter::{LetterCheck, LetterCode, LetterRefusal};
pub use officer::request_envelope;
pub use once::{IdempotencyKey, KEY_LIFE, Sent};
pub use reconcile::{RECONCILE_MARGIN, RECONCILE_PAGE, ReconcileRefusal, Returned, TakenBack};
pub use redirect::{RedirectOf, RedirectView, redirected_request};
pub use search::{Found, QUERY_MAX_CHARS, Results as SearchResults, SEARCH_LIMIT_MAX, SearchInput, parse_day};
pub use stand_down::{StandDownInput, StandDownOffer};
pub use stats::{
    KindStats, MonthStats, OVERDUE_SHOWN, OverdueEntry, PairStats, PeerStats, QueryError, StatsParams, StatsQuery,
    StatsReport, TwoWay,
};
pub use view::{
    AttachmentView, CaseDetail, DecisiveView, FileDelivery, LinkedCase, OverdueTarget, ReceiptView, RelayedView,
    TimelineEntry, UnreachablePartner, allowed_actions, overdue_targets,
};

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::attachment::Sha256;
use crate::envelope::Envelope;
use crate::i18n::Lang;
use crate::ids::{CertIdentity, KeyRef, OfficerId, StationId};
use crate::keys::{self, KeyError, KeyRing, PublicKey, Signer};
use crate::store::{Store, StoreError};
use health::{Health, Remembered};

/// Officers' new requests waiting to be stored together: each with its idempotency key, if it
/// came with one; answered with what was sent and the peers whose outbox grew.
type NewRequests = combine::Combiner<(Officer, Envelope, Option<once::Once>), (once::Sent, Vec<StationId>), NodeError>;

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A signing key could not be loaded.
    #[error("signing key: {0}")]
    Key(#[from] KeyError),
    /// No configured signing key is valid now.
    #[error("no signing key in signing_keys is valid at {0}; add a current key")]
    NoCurrentKey(String),
    /// The store could not be opened.
    #[error("{}", store_trouble(dir, source, Lang::En))]
    Store {
        /// The folder.
        dir: String,
        /// The error.
        source: StoreError,
    },
}

impl StartError {
    /// What went wrong and what to do, in `lang`.
    pub fn describe(&self, lang: Lang) -> String {
        match self {
            Self::Store { dir, source } => store_trouble(dir, source, lang),
            Self::Key(e) => lang.pick(&format!("签名密钥：{}", e.describe(lang)), &self.to_string()).to_owned(),
            Self::NoCurrentKey(at) => lang
                .pick(
                    &format!("signing_keys 中没有在 {at} 有效的签名密钥；请添加一个当前有效的密钥"),
                    &self.to_string(),
                )
                .to_owned(),
        }
    }
}

/// Why the data folder cannot be opened, with the way on: a restore only when stored data is
/// damaged, saying what it loses, since a restore on a full disk or a busy folder loses what
/// partners do not hold for nothing.
fn store_trouble(dir: &str, source: &StoreError, lang: Lang) -> String {
    if source.is_disk_full() {
        lang.pick(
            &format!("无法打开数据目录 {dir}：所在磁盘已满（{source}）。请在该磁盘上腾出空间后重新启动，已存储的数据没有丢失。"),
            &format!(
                "cannot open the data folder {dir}: the disk holding it is full ({source}). Free space on that \
                 disk and start again; nothing stored is lost."
            ),
        )
        .to_owned()
    } else if source.is_damage() {
        lang.pick(
            &format!(
                "无法打开数据目录 {dir}：存储的数据已损坏（{source}）。请先原样保留该目录的副本。用 `tiemeng restore` \
                 把最近的备份恢复到一个空目录可以重新运行，但该备份之后本站写入、且尚未送达任何协作单位的内容（如未送达的协查请求）\
                 会丢失；与协作单位往来的内容在恢复后由对方自动送回。"
            ),
            &format!(
                "cannot open the data folder {dir}: stored data is damaged ({source}). Keep a copy of the folder \
                 as it is. Restoring the latest backup (`tiemeng restore`, into an empty folder) gets the station \
                 going again, but loses what was written here after that backup and never reached a partner \
                 (requests not yet delivered, for one); what was exchanged with partners comes back from them by \
                 itself after the restore."
            ),
        )
        .to_owned()
    } else {
        lang.pick(&format!("无法打开数据目录 {dir}：{source}"), &format!("cannot open the data folder {dir}: {source}"))
            .to_owned()
    }
}

/// One station's node.
pub struct Node {
    config: Config,
    store: Store,
    signer: Signer,
    keys: KeyRing,
    clock: Clock,
    signals: BTreeMap<StationId, PeerSignals>,
    health: Health,
    /// Officers' new requests waiting to be stored together.
    requests: NewRequests,
    /// When failing alert hooks try again.
    alerts: crate::alerts::deliver::Board,
    /// The latest events, rendered for open streams.
    feed: feed::EventFeed,
    /// Taken, per file, while a piece of a partner's file is appended.
    file_intake: keyed_lock::KeyedLock<Sha256>,
    /// The hash so far of each file arriving from a partner, with how many bytes it covers.
    file_hashes: std::sync::Mutex<BTreeMap<(StationId, Sha256), (u64, sha2::Sha256)>>,
    /// Bytes of file pieces read from each partner since the start (`/metrics`): what a cut
    /// transfer costs again when it resumes.
    file_bytes_in: std::sync::Mutex<std::collections::BTreeMap<StationId, u64>>,
}

/// Signals to the delivery task of one peer.
#[derive(Debug, Clone, Default)]
pub struct PeerSignals {
    /// New envelopes are waiting.
    pub work: Arc<Notify>,
    /// The peer just spoke to us, so it is up: stop backing off.
    pub alive: Arc<Notify>,
    /// Files are waiting to be sent.
    pub files: Arc<Notify>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("station", &self.config.station.id).finish_non_exhaustive()
    }
}

impl Node {
    /// Loads keys and opens the store of a checked configuration.
    pub fn open(config: Config, clock: Clock) -> Result<Self, StartError> {
        let (signer, keys) = load_keys(&config, clock.now())?;
        let dir = config.storage.data_dir.clone();
        let cache = config.storage.cache_mb.saturating_mul(1024 * 1024);
        let store = Store::open(&dir, &config.station.id, cache)
            .map_err(|source| StartError::Store { dir: dir.display().to_string(), source })?;
        let signals = config.peers.iter().map(|p| (p.id.clone(), PeerSignals::default())).collect();
        let remembered = config
            .peers
            .iter()
            .map(|p| Ok((&p.id, store.peer_note(&p.id)?.and_then(|b| Remembered::decode(&b)).unwrap_or_default())))
            .collect::<Result<Vec<_>, StoreError>>()
            .map_err(|source| StartError::Store { dir: dir.display().to_string(), source })?;
        let health = Health::new(remembered);
        let feed = feed::EventFeed::new(store.published_event());
        let node = Self {
            config,
            store,
            signer,
            keys,
            clock,
            signals,
            health,
            requests: Default::default(),
            alerts: Default::default(),
            feed,
            file_intake: Default::default(),
            file_hashes: std::sync::Mutex::default(),
            file_bytes_in: Default::default(),
        };
        node.plan_reconciliation().map_err(|source| StartError::Store { dir: dir.display().to_string(), source })?;
        let cleared = node.store.clear_incoming();
        if cleared > 0 {
            tracing::info!(cleared, "half-written uploads from before the restart removed");
        }
        Ok(node)
    }

    /// This station's id.
    pub fn station(&self) -> &StationId {
        &self.config.station.id
    }

    /// The latest events, rendered for open streams.
    pub fn event_feed(&self) -> &feed::EventFeed {
        &self.feed
    }

    /// The configuration the node runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The key ring envelopes are verified against.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The signer of this station's envelopes.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The node's clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The signals of `peer`'s delivery task.
    pub fn signals(&self, peer: &StationId) -> Option<&PeerSignals> {
        self.signals.get(peer)
    }

    /// Delivery health of every peer.
    pub fn health(&self) -> &Health {
        &self.health
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Maps a verified certificate identity to a caller this node knows.
    pub fn caller(&self, identity: &CertIdentity) -> Result<Caller, NodeError> {
        match identity {
            CertIdentity::Officer(id) => self.officer(id).map(Caller::Officer),
            CertIdentity::Station(station) if self.config.peer(station).is_some() => Ok(Caller::Peer(station.clone())),
            CertIdentity::Station(station) => Err(NodeError::UnknownStation(station.clone())),
        }
    }

    /// An officer of this station, with roles from the registry.
    pub fn officer(&self, id: &OfficerId) -> Result<Officer, NodeError> {
        let registered = (id.station == self.config.station.id).then(|| self.config.officer(&id.badge)).flatten();
        let registered = registered.ok_or_else(|| NodeError::UnknownOfficer(id.to_string()))?;
        Ok(Officer { id: id.clone(), name: registered.name.clone(), roles: registered.roles.clone() })
    }

    /// Wakes the delivery tasks of `peers` after their outbox grew.
    fn wake(&self, peers: &[StationId]) {
        for peer in peers {
            if let Some(signals) = self.signals.get(peer) {
                signals.work.notify_one();
                signals.files.notify_one();
            }
        }
    }
}

/// Loads this station's signing keys and the peers' public keys; the current key of this
/// station is the valid one that became valid last.
fn load_keys(config: &Config, now: OffsetDateTime) -> Result<(Signer, KeyRing), StartError> {
    let mut ring = KeyRing::default();
    let mut current: Option<(Option<OffsetDateTime>, Signer)> = None;
    for entry in &config.signing_keys {
        let key = keys::load_signing_key(&entry.file)?;
        let key_ref = key_ref(&config.station.id, &entry.id)?;
        let public = PublicKey {
            key: key.verifying_key(),
            valid_from: entry.valid_from,
            valid_until: config.key_valid_until(entry.valid_from, entry.valid_until),
            revoked_from: None,
        };
        let usable = public.usable_at(now).is_ok();
        ring.insert(key_ref.clone(), public);
        if usable && current.as_ref().is_none_or(|(from, _)| entry.valid_from >= *from) {
            current = Some((entry.valid_from, Signer::new(key_ref, key)));
        }
    }
    for peer in &config.peers {
        for entry in &peer.keys {
            let key_ref = key_ref(&peer.id, &entry.id)?;
            ring.insert(
                key_ref,
                PublicKey {
                    key: keys::parse_public_key(Config::public_text(entry))?,
                    valid_from: entry.valid_from,
                    valid_until: config.key_valid_until(entry.valid_from, entry.valid_until),
                    revoked_from: entry.revoked_from,
                },
            );
        }
    }
    let (_, signer) = current.ok_or_else(|| StartError::NoCurrentKey(crate::clock::rfc3339(now)))?;
    Ok((signer, ring))
}

fn key_ref(station: &StationId, id: &str) -> Result<KeyRef, StartError> {
    // The config check already validated key ids; this only guards direct callers.
    KeyRef::new(station.clone(), id).map_err(|e| StartError::Key(KeyError::Encoding(e.to_string())))
}
