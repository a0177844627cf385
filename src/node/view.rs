//! What an officer sees of one case: its state, the full request, and the signed timeline with
//! each signature checked again at reading time.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::auth::{READERS, roles_for};
use super::{Node, NodeError, Officer};
use crate::case::CaseRecord;
use crate::domain::attachment::{AttachmentRef, Sha256};
use crate::domain::case::Restriction;
use crate::domain::deadline::Overdue;
use crate::domain::lifecycle::{ActionKind, Party};
use crate::envelope::{Kind, SealedEnvelope, SealedReceipt, Signatory};
use crate::ids::{CaseId, StationId};
use crate::store::{AuditDraft, DeadLetter, Mailbox, StoreError, StoredEnvelope, Transfer};

/// A case as an officer reads it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseDetail {
    /// The materialised state.
    pub case: CaseRecord,
    /// Inbox or outbox, seen from this station.
    pub mailbox: Mailbox,
    /// The request body as signed (details, narrative, contact, deadlines).
    #[schema(value_type = Object)]
    pub request: serde_json::Value,
    /// Targets past a deadline now.
    pub overdue: Vec<OverdueTarget>,
    /// Every signed envelope of the case, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Open cases at this node naming the same person, plate or case number.
    pub same_subject: Vec<LinkedCase>,
    /// Actions this officer may take now (`ack`, `close`, …).
    pub actions: Vec<ActionKind>,
    /// Envelopes of this case a partner refused for good: not delivered, and not sent again
    /// until this station's admin does so.
    #[serde(default)]
    pub refused: Vec<RefusedEnvelope>,
    /// Partner stations this case waits on that cannot be reached now: their envelopes wait in
    /// this station's queue while their deadlines run.
    #[serde(default)]
    pub unreachable: Vec<UnreachablePartner>,
    /// Handovers of the case between this station's officers (交接), oldest first: local
    /// entries of the timeline, signed by this station, each signature checked just now.
    #[serde(default)]
    pub handovers: Vec<super::HandoverView>,
    /// The officers this officer may hand the case to now; empty when they may not hand it
    /// over (only its handler and the station chief may).
    #[serde(default)]
    pub handover_to: Vec<Signatory>,
    /// Requests this station sent in place of this one where a partner declined it (改发).
    #[serde(default)]
    pub redirects: Vec<super::RedirectView>,
    /// An outcome another target reported that ends the search (intercepted, arrested,
    /// located, person found): shown first, at the origin and at every other target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decisive: Option<DecisiveView>,
    /// At the origin, after such an outcome while other targets are still open: the one action
    /// that stands them down (其余单位撤回), with the reason that fits, for officers who may
    /// withdraw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stand_down: Option<super::StandDownOffer>,
    /// The photos and documents the case's envelopes name, oldest first.
    #[serde(default)]
    pub attachments: Vec<AttachmentView>,
}

/// An attachment of the case as an officer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentView {
    /// What the signed envelope says of it.
    pub attachment: AttachmentRef,
    /// The station whose envelope named it.
    #[schema(value_type = String)]
    pub from: StationId,
    /// That envelope's time.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// True when the file is here, whole and checked; false while it is on its way.
    pub here: bool,
    /// While it comes from the partner that named it: how many of its bytes are here so far
    /// (照片传输中 3.0/5.0 MB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<u64>,
    /// At the station that named it: where it stands with each partner it goes to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deliveries: Vec<FileDelivery>,
}

/// A file on its way to one partner, at the station that sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FileDelivery {
    /// The partner.
    #[schema(value_type = String)]
    pub station: StationId,
    /// How many bytes of it the partner confirmed holding.
    pub confirmed: u64,
    /// True once the partner signed for the whole file (its file receipt is kept here).
    pub delivered: bool,
    /// The partner's refusal for good (its code): the file is not sent again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// A decisive outcome at another target: "犀溪 已拦截 · 14:05".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DecisiveView {
    /// The station that reported it.
    #[schema(value_type = String)]
    pub station: StationId,
    /// What it reported.
    pub outcome: crate::domain::case::Outcome,
    /// When it reported it (the outcome envelope's time).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

impl DecisiveView {
    /// The decisive outcome of `case` reported by a target other than `me`, if any.
    pub fn of(case: &CaseRecord, me: &StationId) -> Option<Self> {
        let target = case.decisive_elsewhere(me)?;
        Some(Self { station: target.station.clone(), outcome: target.outcome?, at: target.resolved_at? })
    }
}

/// What a relay (转告) carries, as read here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RelayedView {
    /// The relayed envelope's id.
    pub id: String,
    /// Its kind.
    pub kind: Kind,
    /// The station that signed it.
    #[schema(value_type = String)]
    pub from: StationId,
    /// Whether its own signature verified here just now; false when this station does not
    /// hold that station's key and takes it on the origin's word.
    pub verified: bool,
}

/// A partner station of the case that cannot be reached now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnreachablePartner {
    /// The station.
    #[schema(value_type = String)]
    pub station: StationId,
    /// Since when (the first failed delivery of this outage).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub since: OffsetDateTime,
    /// Why (`unreachable`, `peer_certificate`).
    pub code: String,
    /// Envelopes waiting for it, of every case.
    pub queued: usize,
}

/// An envelope of the case a partner station refused for good.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RefusedEnvelope {
    /// The station that refused it.
    #[schema(value_type = String)]
    pub station: StationId,
    /// The envelope, its kind, the station's code and explanation, and when.
    #[serde(flatten)]
    pub letter: DeadLetter,
}

/// A target past its deadline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OverdueTarget {
    /// The target station.
    #[schema(value_type = String)]
    pub station: StationId,
    /// `ack` or `report`.
    pub deadline: String,
    /// When it was due.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub due: OffsetDateTime,
    /// Whole minutes past the deadline.
    pub minutes_overdue: i64,
}

/// Another case linked by a shared subject.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkedCase {
    /// Its id.
    #[schema(value_type = String)]
    pub id: CaseId,
    /// Its title.
    pub title: String,
    /// Who sent it.
    #[schema(value_type = String)]
    pub origin: StationId,
}

/// One signed envelope of a case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    /// Envelope id.
    pub id: String,
    /// Kind.
    pub kind: Kind,
    /// Signing station.
    #[schema(value_type = String)]
    pub from: StationId,
    /// Addressees.
    #[schema(value_type = Vec<String>)]
    pub to: Vec<StationId>,
    /// The envelope's time.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// When this node stored it.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub stored_at: OffsetDateTime,
    /// The officer who acted.
    pub officer: Option<Signatory>,
    /// The body as signed.
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    /// The signing key, `<station>#<key-id>`.
    pub key: String,
    /// Hex SHA-256 of the signed payload.
    pub sha256: String,
    /// Whether the signature verified just now.
    pub verified: bool,
    /// Why it did not verify, as a stable code.
    pub problem: Option<String>,
    /// Receipts for this envelope.
    pub receipts: Vec<ReceiptView>,
    /// Targets on which this envelope had no effect: it crossed an action of the other side
    /// that, in the order both nodes agree on, came first (a withdrawal after a decline).
    #[schema(value_type = Vec<String>)]
    pub superseded_for: Vec<StationId>,
    /// For a relay: the envelope it carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relayed: Option<RelayedView>,
}

/// A signed receipt for an envelope.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReceiptView {
    /// The station that signed the receipt.
    pub station: String,
    /// When it says it stored the envelope.
    pub stored_at: Option<String>,
    /// Whether the receipt's signature verified and it names these exact bytes.
    pub verified: bool,
}

impl Node {
    /// Reads a case, recording the read in the audit chain before answering.
    pub async fn read_case(&self, officer: &Officer, id: CaseId) -> Result<CaseDetail, NodeError> {
        officer.require(READERS)?;
        let case = self.store.case(&id)?.ok_or_else(|| NodeError::CaseNotFound(id.to_string()))?;
        let now = self.now();
        self.store.write(now, |unit| {
            unit.audit(AuditDraft::new(officer.actor(), "case.read").case(id));
            Ok::<_, NodeError>(())
        })?;
        self.store.durable().await?;
        self.case_detail(officer, case, now)
    }

    fn case_detail(&self, officer: &Officer, case: CaseRecord, now: OffsetDateTime) -> Result<CaseDetail, NodeError> {
        let timeline: Vec<TimelineEntry> = self
            .store
            .timeline(&case.id)?
            .into_iter()
            .map(|stored| self.timeline_entry(stored, &case))
            .collect::<Result<_, _>>()?;
        let request = timeline.iter().find(|e| e.kind == Kind::Request).map(|e| e.body.clone()).unwrap_or_default();
        let same_subject = case
            .same_subject
            .iter()
            .filter_map(|id| self.store.case(id).ok().flatten())
            .map(|c| LinkedCase { id: c.id, title: c.title, origin: c.origin })
            .collect();
        let mut refused = Vec::new();
        for party in case.targets.iter().map(|t| &t.station).chain([&case.origin]) {
            if party == self.station() {
                continue;
            }
            let letters = self.store.dead_letters_of_case(party, &case.id)?;
            refused.extend(letters.into_iter().map(|letter| RefusedEnvelope { station: party.clone(), letter }));
        }
        let unreachable = self.unreachable_partners(&case);
        let attachments = self.attachment_views(&case, &timeline)?;
        let may_withdraw = officer.require(roles_for(ActionKind::Withdraw)).is_ok();
        Ok(CaseDetail {
            attachments,
            redirects: self.redirect_views(&case.id)?,
            decisive: DecisiveView::of(&case, self.station()),
            stand_down: super::stand_down::offer(&case, self.station()).filter(|_| may_withdraw),
            handovers: self.handover_views(&case.id)?,
            handover_to: super::handover_choices(&self.config, &case, officer),
            refused,
            unreachable,
            mailbox: Mailbox::of(&case, self.station()),
            request,
            overdue: overdue_targets(&case, now),
            actions: allowed_actions(&case, self.station(), officer),
            timeline,
            same_subject,
            case,
        })
    }

    /// The attachments the verified envelopes of a timeline name, each once.
    fn attachment_views(
        &self,
        case: &CaseRecord,
        timeline: &[TimelineEntry],
    ) -> Result<Vec<AttachmentView>, NodeError> {
        let mut views: Vec<AttachmentView> = Vec::new();
        for entry in timeline.iter().filter(|e| e.verified) {
            let named: Vec<AttachmentRef> = entry
                .body
                .get("attachments")
                .map(|list| serde_json::from_value(list.clone()))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("the attachments of envelope {}: {e}", entry.id)))?
                .unwrap_or_default();
            for attachment in named {
                if views.iter().any(|v| v.attachment.sha256 == attachment.sha256) {
                    continue;
                }
                let here = self.store.file_info(&attachment.sha256)?.is_some();
                let received = (!here && &entry.from != self.station())
                    .then(|| self.store.received_of(&entry.from, &attachment.sha256));
                let deliveries = if &entry.from == self.station() {
                    self.file_deliveries(case, &attachment.sha256)?
                } else {
                    Vec::new()
                };
                views.push(AttachmentView {
                    attachment,
                    from: entry.from.clone(),
                    at: entry.at,
                    here,
                    received,
                    deliveries,
                });
            }
        }
        Ok(views)
    }

    /// Where a file this station sent stands with each other party of `case` it was queued for.
    fn file_deliveries(&self, case: &CaseRecord, sha256: &Sha256) -> Result<Vec<FileDelivery>, NodeError> {
        let mut out = Vec::new();
        let parties = case.targets.iter().map(|t| &t.station).chain([&case.origin]);
        for party in parties.filter(|p| *p != self.station()) {
            let (confirmed, delivered, refused) = match self.store.file_transfer(party, sha256)? {
                Transfer::None => continue,
                Transfer::Queued(o) => (o.confirmed, false, o.refused),
                Transfer::Delivered => (0, true, None),
            };
            if out.iter().any(|d: &FileDelivery| &d.station == party) {
                continue;
            }
            out.push(FileDelivery { station: party.clone(), confirmed, delivered, refused });
        }
        Ok(out)
    }

    /// The partners of `case` that cannot be reached now (the other parties of an open case).
    pub fn unreachable_partners(&self, case: &CaseRecord) -> Vec<UnreachablePartner> {
        let others = case.targets.iter().filter(|t| t.state.is_open()).map(|t| &t.station).chain([&case.origin]);
        others
            .filter(|party| *party != self.station())
            .filter_map(|party| {
                let status = self.health.peer(party)?.status();
                let since = status.unreachable_since?;
                let code = status.last_error.map_or_else(|| "unreachable".to_owned(), |e| e.code);
                Some(UnreachablePartner { station: party.clone(), since, code, queued: self.store.outbox_len(party) })
            })
            .collect()
    }

    fn timeline_entry(&self, stored: StoredEnvelope, case: &CaseRecord) -> Result<TimelineEntry, NodeError> {
        let meta = stored.meta;
        let superseded_for =
            case.targets.iter().filter(|t| t.superseded.contains(&meta.id)).map(|t| t.station.clone()).collect();
        let (verified, problem, parsed) = match SealedEnvelope::open(&stored.wire, &self.keys) {
            Ok(sealed) => (true, None, Some(sealed)),
            Err(e) => (false, Some(e.code().to_owned()), None),
        };
        let receipts = match &parsed {
            Some(sealed) => self.receipt_views(sealed)?,
            None => Vec::new(),
        };
        let (body, officer, to, key, sha256) = match &parsed {
            Some(sealed) => (
                serde_json::to_value(&sealed.envelope.body).unwrap_or_default(),
                Some(sealed.envelope.body.officer().clone()),
                sealed.envelope.to.clone(),
                sealed.key().to_string(),
                hex::encode(sealed.digest()),
            ),
            None => (serde_json::Value::Null, None, Vec::new(), String::new(), String::new()),
        };
        let relayed = match parsed.as_ref().map(|s| &s.envelope.body) {
            Some(crate::envelope::Body::Relay(relay)) => relay.open(&self.keys).ok().map(|inner| RelayedView {
                id: inner.envelope.id.to_string(),
                kind: inner.envelope.kind(),
                from: inner.envelope.from,
                verified: inner.verified,
            }),
            _ => None,
        };
        Ok(TimelineEntry {
            id: parsed.as_ref().map(|s| s.envelope.id.to_string()).unwrap_or_default(),
            kind: meta.kind,
            from: meta.from,
            to,
            at: meta.at,
            stored_at: meta.stored_at,
            officer,
            body,
            key,
            sha256,
            verified,
            problem,
            receipts,
            superseded_for,
            relayed,
        })
    }

    fn receipt_views(&self, sealed: &SealedEnvelope) -> Result<Vec<ReceiptView>, NodeError> {
        Ok(self
            .store
            .receipts(&sealed.envelope.id)?
            .into_iter()
            .map(|(station, wire)| match SealedReceipt::open(&wire, &self.keys) {
                Ok(receipt) => ReceiptView {
                    station,
                    stored_at: Some(crate::clock::rfc3339(receipt.statement.stored_at)),
                    verified: receipt.matches(sealed),
                },
                Err(_) => ReceiptView { station, stored_at: None, verified: false },
            })
            .collect())
    }
}

/// Targets past a deadline at `now`.
pub fn overdue_targets(case: &CaseRecord, now: OffsetDateTime) -> Vec<OverdueTarget> {
    case.targets
        .iter()
        .filter_map(|t| {
            let overdue = t.overdue_at(now)?;
            let deadline = match overdue {
                Overdue::Ack { .. } => "ack",
                Overdue::Report { .. } => "report",
            };
            Some(OverdueTarget {
                station: t.station.clone(),
                deadline: deadline.to_owned(),
                due: overdue.due(),
                minutes_overdue: (now - overdue.due()).whole_minutes(),
            })
        })
        .collect()
}

/// The actions `officer` may take on `case` now, for buttons in the console and the CLI:
/// those of this station's side, for the officer's roles, that the lifecycle allows for at
/// least one target (forwarding also needs the case not to forbid it).
pub fn allowed_actions(case: &CaseRecord, me: &StationId, officer: &Officer) -> Vec<ActionKind> {
    let side = if &case.origin == me { Party::Origin } else { Party::Target };
    ActionKind::ALL
        .iter()
        .copied()
        .filter(|action| action.party().is_none_or(|party| party == side))
        .filter(|action| officer.require(roles_for(*action)).is_ok())
        .filter(|action| case.targets.iter().any(|t| action.applies(t.state, side)))
        .filter(|action| *action != ActionKind::Forward || !case.restricted(Restriction::NoOnward))
        .collect()
}
