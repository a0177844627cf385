//! Events for the desk: what happened at this station that an officer at a console (or a
//! terminal, or a paging gateway) should hear of at once. Each event is written in the same
//! store unit as the change it reports, under a durable, increasing id, and published only
//! once that unit is on disk, so a client that reconnects with the last id it saw gets every
//! event it missed, across a restart of the node too. Pure: what an event says and who may
//! hear it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::domain::case::Priority;
use crate::domain::deadline::Overdue;
use crate::domain::details::CaseKind;
use crate::domain::lifecycle::TargetState;
use crate::envelope::{Kind, Signatory};
use crate::ids::{CaseId, StationId};

pub mod words;

/// One event, as stored and as sent to clients (the id travels beside it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    /// When it happened, at this station.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// What happened.
    #[serde(flatten)]
    pub what: What,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum What {
    /// A partner station's request arrived (新协查).
    RequestReceived {
        /// The case.
        #[schema(value_type = String)]
        case: CaseId,
        /// The requesting station.
        #[schema(value_type = String)]
        from: StationId,
        /// Its kind.
        kind: CaseKind,
        /// Its priority: 特急 and 紧急 ring at the desk.
        priority: Priority,
        /// Its title.
        title: String,
    },
    /// An officer of this station sent a request.
    RequestSent {
        /// The case.
        #[schema(value_type = String)]
        case: CaseId,
        /// The stations it went to.
        #[schema(value_type = Vec<String>)]
        to: Vec<StationId>,
        /// Its kind.
        kind: CaseKind,
        /// Its priority.
        priority: Priority,
        /// Its title.
        title: String,
    },
    /// A case this station is party to moved: an envelope of either side, or a partner's
    /// receipt.
    CaseUpdated {
        /// The case.
        #[schema(value_type = String)]
        case: CaseId,
        /// The station that acted.
        #[schema(value_type = String)]
        by: StationId,
        /// What it sent (`None`: its receipt, the request was delivered).
        action: Option<Kind>,
        /// The target concerned.
        #[schema(value_type = String)]
        target: StationId,
        /// That target's state now.
        state: TargetState,
        /// The case's priority.
        priority: Priority,
    },
    /// A deadline of a target is near (`passed` false) or has passed.
    Deadline {
        /// The case.
        #[schema(value_type = String)]
        case: CaseId,
        /// The target that owes it.
        #[schema(value_type = String)]
        target: StationId,
        /// Which deadline.
        owed: Owed,
        /// When it falls due.
        #[serde(with = "time::serde::rfc3339")]
        #[schema(value_type = String, format = DateTime)]
        due: OffsetDateTime,
        /// True once it has passed.
        passed: bool,
        /// The case's priority.
        priority: Priority,
    },
    /// A case was handed to another officer of this station (交接): the officer it went to
    /// should hear of it wherever they are.
    HandedOver {
        /// The case.
        #[schema(value_type = String)]
        case: CaseId,
        /// Its title.
        title: String,
        /// The case's priority.
        priority: Priority,
        /// Who handled it until now; none when no one had taken it on.
        from: Option<Signatory>,
        /// Who handles it from now on.
        to: Signatory,
        /// Who handed it over.
        by: Signatory,
    },
    /// Deliveries to a partner station fail (对方节点不可达) or work again.
    Partner {
        /// The partner.
        #[schema(value_type = String)]
        station: StationId,
        /// True when it can be reached again.
        reachable: bool,
        /// Why it could not be reached (`unreachable`, `peer_certificate`, …).
        code: Option<String>,
    },
}

/// The kinds of event, by their names on the wire: what an alert hook chooses to hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A partner station's request arrived.
    RequestReceived,
    /// An officer of this station sent a request.
    RequestSent,
    /// A case this station is party to moved.
    CaseUpdated,
    /// A deadline is near or has passed.
    Deadline,
    /// A case was handed to another officer of this station.
    HandedOver,
    /// A partner station cannot be reached, or can again.
    Partner,
}

impl EventKind {
    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Self::RequestReceived => "request_received",
            Self::RequestSent => "request_sent",
            Self::CaseUpdated => "case_updated",
            Self::Deadline => "deadline",
            Self::HandedOver => "handed_over",
            Self::Partner => "partner",
        }
    }
}

/// Which deadline a target owes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Owed {
    /// The acknowledgement (签收).
    Ack,
    /// The first report (反馈).
    Report,
}

impl Owed {
    /// Which deadline `overdue` is, and when it falls due.
    pub fn of(overdue: Overdue) -> (Self, OffsetDateTime) {
        match overdue {
            Overdue::Ack { due } => (Self::Ack, due),
            Overdue::Report { due } => (Self::Report, due),
        }
    }
}

impl Event {
    /// True when the event tells of a case: only officers who may read cases hear of it.
    /// Partner stations' reachability is for every officer (admins run the link, liaison
    /// officers wait on it).
    pub fn about_a_case(&self) -> bool {
        !matches!(self.what, What::Partner { .. })
    }

    /// The case it concerns, if any.
    pub fn case(&self) -> Option<CaseId> {
        match &self.what {
            What::RequestReceived { case, .. }
            | What::RequestSent { case, .. }
            | What::CaseUpdated { case, .. }
            | What::Deadline { case, .. }
            | What::HandedOver { case, .. } => Some(*case),
            What::Partner { .. } => None,
        }
    }

    /// The priority of the case it concerns, if any.
    pub fn priority(&self) -> Option<Priority> {
        match &self.what {
            What::RequestReceived { priority, .. }
            | What::RequestSent { priority, .. }
            | What::CaseUpdated { priority, .. }
            | What::Deadline { priority, .. }
            | What::HandedOver { priority, .. } => Some(*priority),
            What::Partner { .. } => None,
        }
    }

    /// The event's name on the wire (`request_received`, …), as SSE's `event:` field.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// What kind of event it is.
    pub fn kind(&self) -> EventKind {
        match self.what {
            What::RequestReceived { .. } => EventKind::RequestReceived,
            What::RequestSent { .. } => EventKind::RequestSent,
            What::CaseUpdated { .. } => EventKind::CaseUpdated,
            What::Deadline { .. } => EventKind::Deadline,
            What::HandedOver { .. } => EventKind::HandedOver,
            What::Partner { .. } => EventKind::Partner,
        }
    }
}
