//! What a target knows of the other targets of its case (co-targets), from the origin's relays.
//!
//! The origin passes on every envelope that moves a target (see [`crate::envelope::relay`]).
//! A target applies the relayed envelope to its co-target view with the same lifecycle and
//! the same effects as the origin applied it to its own view of that target, in the order the
//! origin relayed them (one outbox per partner, first in first out), so the co-target view
//! follows the origin's. It is a view only: statistics, deadlines and the actions offered at
//! this station read `targets`, never `co_targets`.

use super::replay::play;
use super::{ApplyError, CaseRecord, RequestBody, TargetRecord, Transition};
use crate::domain::lifecycle::{Party, TargetState};
use crate::envelope::relay::RELAYED_KINDS;
use crate::envelope::{Body, Envelope, EnvelopeError};
use crate::i18n::{Label, Lang};
use crate::ids::StationId;

/// Why a relay is refused. Each has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelayFault {
    /// Only the case's origin relays.
    #[error("only the origin of the case relays; this relay comes from {0}")]
    NotFromOrigin(StationId),
    /// The relayed envelope does not open (its encoding, its signature when the key is held
    /// here, or its payload).
    #[error("the relayed envelope does not open: {0}")]
    Inner(String),
    /// The relayed envelope belongs to another case.
    #[error("the relayed envelope belongs to another case")]
    WrongCase,
    /// The body names another signer than the relayed envelope's.
    #[error("the relay names {named} but the relayed envelope was signed by {signer}")]
    StationMismatch {
        /// The station the body names.
        named: StationId,
        /// The relayed envelope's signer.
        signer: StationId,
    },
    /// The relayed envelope's signer is not a party of the case.
    #[error("{0} is not a party of this case")]
    SignerNotParty(StationId),
    /// The relayed envelope is this station's own, or addressed to it: it needs no relay.
    #[error("the relayed envelope is this station's own business, not another target's")]
    AboutUs,
    /// A kind that is never relayed (a request, a note, a reminder, a relay).
    #[error("a {0} is not relayed")]
    KindNotRelayed(crate::envelope::Kind),
}

impl RelayFault {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFromOrigin(_) => "relay_not_from_origin",
            Self::Inner(_) => "relay_inner_invalid",
            Self::WrongCase => "relay_wrong_case",
            Self::StationMismatch { .. } => "relay_station_mismatch",
            Self::SignerNotParty(_) => "relay_signer_not_party",
            Self::AboutUs => "relay_about_us",
            Self::KindNotRelayed(_) => "relay_kind_not_relayed",
        }
    }

    /// What was refused, in `lang`.
    pub fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::NotFromOrigin(from), Lang::Zh) => format!("只有协查发起单位可以转告；该转告来自 {from}"),
            (Self::Inner(_), Lang::Zh) => "转告所附报文无法核验或内容不正确".to_owned(),
            (Self::WrongCase, Lang::Zh) => "转告所附报文属于另一协查".to_owned(),
            (Self::StationMismatch { named, signer }, Lang::Zh) => {
                format!("转告称报文来自 {named}，所附报文却由 {signer} 签署")
            }
            (Self::SignerNotParty(station), Lang::Zh) => format!("{station} 不是该协查的参与单位"),
            (Self::AboutUs, Lang::Zh) => "转告所附报文是本站自己的往来报文，无需转告".to_owned(),
            (Self::KindNotRelayed(kind), Lang::Zh) => format!("“{}”不属于转告的报文", kind.zh()),
            (_, Lang::En) => self.to_string(),
        }
    }
}

impl From<RelayFault> for ApplyError {
    fn from(fault: RelayFault) -> Self {
        Self::Relay(fault)
    }
}

impl From<EnvelopeError> for RelayFault {
    fn from(e: EnvelopeError) -> Self {
        Self::Inner(e.to_string())
    }
}

impl CaseRecord {
    /// Takes the relay `relay` (already verified as the origin's), carrying `inner`, at the
    /// target `me`: checks that it may be relayed here and applies it to the co-target view.
    /// `request` gives a co-target heard of for the first time its deadlines. Nothing changes
    /// unless every check holds. The relay's own place in the exchange with the origin is
    /// [`CaseRecord::apply`]'s business.
    pub fn apply_relay(
        &mut self,
        relay: &Envelope,
        inner: &Envelope,
        me: &StationId,
        request: &RequestBody,
    ) -> Result<Vec<Transition>, ApplyError> {
        let Body::Relay(body) = &relay.body else {
            return Err(RelayFault::KindNotRelayed(relay.kind()).into());
        };
        if relay.from != self.origin {
            return Err(RelayFault::NotFromOrigin(relay.from.clone()).into());
        }
        if body.station != inner.from {
            return Err(RelayFault::StationMismatch { named: body.station.clone(), signer: inner.from.clone() }.into());
        }
        self.apply_co_target(inner, me, request)
    }

    /// Applies `inner`, an envelope about other targets than `me`, to the co-target view: a
    /// relayed one, or an origin's close or withdrawal addressed to `me` and others at once
    /// (then only the others are co-targets).
    pub fn apply_co_target(
        &mut self,
        inner: &Envelope,
        me: &StationId,
        request: &RequestBody,
    ) -> Result<Vec<Transition>, ApplyError> {
        if inner.case != self.id {
            return Err(RelayFault::WrongCase.into());
        }
        if !RELAYED_KINDS.contains(&inner.kind()) {
            return Err(RelayFault::KindNotRelayed(inner.kind()).into());
        }
        if &inner.from == me {
            return Err(RelayFault::AboutUs.into());
        }
        let by = self.party_of(&inner.from).ok_or_else(|| RelayFault::SignerNotParty(inner.from.clone()))?;
        let concerned: Vec<StationId> = match by {
            Party::Target => {
                if inner.to != [self.origin.clone()] {
                    return Err(ApplyError::BadAddressing("a target addresses the origin only".into()));
                }
                vec![inner.from.clone()]
            }
            Party::Origin => {
                if let Some(stranger) = inner.to.iter().find(|s| !self.parties.contains(s)) {
                    return Err(RelayFault::SignerNotParty((*stranger).clone()).into());
                }
                inner.to.iter().filter(|s| *s != me).cloned().collect()
            }
        };
        if concerned.is_empty() {
            return Err(RelayFault::AboutUs.into());
        }
        super::rules::validate_body(&inner.body, self.kind, inner.at)?;
        let mut transitions = Vec::new();
        for station in concerned {
            let at = match self.co_targets.iter().position(|t| t.station == station) {
                Some(at) => at,
                None => {
                    // Heard of for the first time: it holds the request (it answered, or the
                    // origin acted on its part), with the deadlines the request set.
                    let due = TargetRecord::due(station, TargetState::Delivered, request.ack_by, request.report_by);
                    self.co_targets.push(due);
                    self.co_targets.len() - 1
                }
            };
            let record = &mut self.co_targets[at];
            let before = record.state;
            play(record, inner, by);
            transitions.push(Transition { target: record.station.clone(), before, after: record.state });
        }
        self.co_targets.sort_by(|a, b| a.station.cmp(&b.station));
        Ok(transitions)
    }

    /// The first outcome that ends the search reported by a target other than `me`, as this
    /// station knows it: at the origin from its targets, at a target from its co-targets.
    pub fn decisive_elsewhere(&self, me: &StationId) -> Option<&TargetRecord> {
        self.targets
            .iter()
            .chain(&self.co_targets)
            .filter(|t| &t.station != me)
            .filter(|t| matches!(t.state, TargetState::Resolved | TargetState::Closed))
            .filter(|t| t.outcome.is_some_and(|o| o.is_decisive()))
            .min_by_key(|t| t.resolved_at)
    }
}
