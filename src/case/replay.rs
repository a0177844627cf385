//! One target's story replayed from every envelope both sides sent about it, in the one order
//! both nodes compute alike. See the module documentation of [`crate::case`].

use super::{Party, RequestBody, TargetRecord, TargetState, record_effects, step_of, transition};
use crate::envelope::{Envelope, Kind};
use crate::ids::StationId;

/// The envelopes of one target's story, each side's in its own `seq` order.
#[derive(Debug, Clone)]
pub(super) struct Story<'a> {
    origin: &'a StationId,
    base: TargetRecord,
    from_origin: Vec<&'a Envelope>,
    from_target: Vec<&'a Envelope>,
}

impl<'a> Story<'a> {
    /// The story of `target` told by `history` (the case's envelopes, in any order).
    pub fn of(
        origin: &'a StationId,
        sent_at: time::OffsetDateTime,
        target: &TargetRecord,
        request: &RequestBody,
        history: &'a [Envelope],
    ) -> Self {
        // The request, delivered or not, is where every story starts.
        let initial = if target.delivered_at.is_some() { TargetState::Delivered } else { TargetState::Sent };
        let mut base = TargetRecord::new(target.station.clone(), initial, request);
        if let Some(at) = target.delivered_at {
            base.delivered(at, sent_at);
        }
        let mut story = Self { origin, base, from_origin: Vec::new(), from_target: Vec::new() };
        for envelope in history {
            story.add(envelope);
        }
        story
    }

    /// The same story with `envelope` in it.
    pub fn with(mut self, envelope: &'a Envelope) -> Self {
        self.add(envelope);
        self
    }

    /// The story as the sender of `envelope` knew it when it acted: its own earlier envelopes,
    /// and as many of the other side's as its `seen` says.
    pub fn as_seen_by(&self, envelope: &Envelope, by: Party) -> Self {
        let station = &self.base.station;
        let earlier = |side: &[&'a Envelope]| side.iter().copied().filter(|e| e.seq < envelope.seq).collect();
        let first = |side: &[&'a Envelope], n: usize| side.iter().copied().take(n).collect();
        let (from_origin, from_target) = match by {
            Party::Origin => (earlier(&self.from_origin), first(&self.from_target, seen(envelope, station))),
            // The origin's count includes the request, which every story starts from.
            Party::Target => {
                (first(&self.from_origin, seen(envelope, self.origin).saturating_sub(1)), earlier(&self.from_target))
            }
        };
        Self { origin: self.origin, base: self.base.clone(), from_origin, from_target }
    }

    /// The target's record after every envelope of the story.
    ///
    /// Both sides' envelopes are merged: an envelope goes no earlier than everything its
    /// sender had seen, and of two that crossed (neither had seen the other), the origin's goes
    /// first: the requesting station decides about its own request, and a withdrawal or close
    /// it signed is not undone by an action that crossed it. Neither side's clock or envelope
    /// id takes part, so neither can steer the order by choosing them. Each envelope is then
    /// applied as the lifecycle allows; one it no longer allows is superseded.
    pub fn replay(&self) -> TargetRecord {
        let station = &self.base.station;
        let mut record = self.base.clone();
        let (mut i, mut j) = (0, 0);
        loop {
            let (next_origin, next_target) = (self.from_origin.get(i), self.from_target.get(j));
            // The request is always held, so a target's envelope has seen one more than `i`.
            let origin_ready = next_origin.filter(|e| seen(e, station) <= j);
            let target_ready = next_target.filter(|e| seen(e, self.origin) <= i + 1);
            let origin_first = match (origin_ready, target_ready, next_origin, next_target) {
                (Some(_), _, _, _) => true,
                (None, Some(_), _, _) => false,
                // Only `seen` counts that contradict each other get here: the same precedence.
                (None, None, Some(_), _) => true,
                (None, None, None, Some(_)) => false,
                (None, None, None, None) => break,
            };
            let (envelope, by) = if origin_first {
                i += 1;
                (self.from_origin[i - 1], Party::Origin)
            } else {
                j += 1;
                (self.from_target[j - 1], Party::Target)
            };
            play(&mut record, envelope, by);
        }
        record
    }

    fn add(&mut self, envelope: &'a Envelope) {
        let station = &self.base.station;
        let side = if &envelope.from == self.origin && envelope.to.contains(station) && envelope.kind() != Kind::Request
        {
            &mut self.from_origin
        } else if &envelope.from == station {
            &mut self.from_target
        } else {
            return;
        };
        // One party never holds two envelopes with one `seq` here (a second is refused as
        // equivocation), so the id never decides.
        let at = side.partition_point(|e| (e.seq, e.id) < (envelope.seq, envelope.id));
        side.insert(at, envelope);
    }
}

/// How many of `counterpart`'s envelopes the sender of `envelope` held.
fn seen(envelope: &Envelope, counterpart: &StationId) -> usize {
    envelope.seen.get(counterpart).map_or(0, |n| usize::try_from(*n).unwrap_or(usize::MAX))
}

pub(super) fn play(record: &mut TargetRecord, envelope: &Envelope, by: Party) {
    let allowed = step_of(envelope.kind()).ok().and_then(|step| transition(record.state, by, step).ok());
    match allowed {
        Some(after) => {
            record_effects(record, &envelope.body, by, envelope.at);
            record.state = after;
        }
        None => record.superseded.push(envelope.id),
    }
    record.exchange.count(by, envelope.seq);
}
