//! The station's events (see [`crate::events`]): written by a unit beside the change they
//! report, numbered in the unit's transaction, and published to listeners only once a flush
//! has made them durable, so no client ever sees an id that a crash could take back.

use std::sync::atomic::Ordering;

use time::OffsetDateTime;

use super::keys::{station_segment, time_key};
use super::{LateTarget, Store, StoreError, TreeId, Unit, codec};
use crate::events::{Event, What};
use crate::ids::{CaseId, StationId};

/// `meta` key of the next event id.
pub(super) const META_EVENT_NEXT: &[u8] = b"event_next";

impl Unit<'_> {
    /// Records an event in this unit: it gets its id when the unit commits.
    pub fn event(&mut self, what: What) {
        self.events.push(Event { at: self.at(), what });
    }
}

impl Store {
    /// Numbers and writes a committing unit's events; returns the last id given, if any.
    pub(super) fn write_events(
        &self,
        events: Vec<Event>,
        put: &mut impl FnMut(TreeId, Vec<u8>, Vec<u8>),
    ) -> Result<Option<u64>, StoreError> {
        if events.is_empty() {
            return Ok(None);
        }
        let mut next = self.next_event_id()?;
        for event in events {
            put(TreeId::SeqEvent, next.to_be_bytes().to_vec(), codec::encode(&event)?);
            next += 1;
        }
        put(TreeId::Meta, META_EVENT_NEXT.to_vec(), next.to_be_bytes().to_vec());
        Ok(Some(next - 1))
    }

    fn next_event_id(&self) -> Result<u64, StoreError> {
        let stored = self.inner()?.trees.meta.get(META_EVENT_NEXT)?;
        let next = stored.and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok()).map(u64::from_be_bytes);
        // Ids start at 1, so that 0 can mean "from the beginning".
        Ok(next.unwrap_or(1))
    }

    /// Events after `after`, up to the last one published (durable), at most `limit`, oldest
    /// first.
    pub fn events_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Event)>, StoreError> {
        let published = self.published_event();
        if after >= published {
            return Ok(Vec::new());
        }
        let tree = &self.inner()?.trees.seq_event;
        let range = (after + 1).to_be_bytes()..=published.to_be_bytes();
        tree.range(range)
            .take(limit)
            .map(|item| {
                let (key, value) = item?;
                let id = <[u8; 8]>::try_from(key.as_ref())
                    .map(u64::from_be_bytes)
                    .map_err(|_| StoreError::Corrupt("an event key is not 8 bytes".into()))?;
                Ok((id, codec::decode(&value, "event")?))
            })
            .collect()
    }

    /// The id of the last event made durable: listeners may read up to it.
    pub fn published_event(&self) -> u64 {
        *self.events_published.borrow()
    }

    /// Wakes when a later event is published.
    pub fn subscribe_events(&self) -> tokio::sync::watch::Receiver<u64> {
        self.events_published.subscribe()
    }

    /// Called after a flush that began once event `committed` was committed: it is durable now.
    pub(super) fn publish_events(&self, committed: u64) {
        self.events_published.send_if_modified(|published| {
            let later = committed > *published;
            if later {
                *published = committed;
            }
            later
        });
    }

    /// The last event id committed (durable or not yet).
    pub(super) fn committed_event(&self) -> u64 {
        self.events_committed.load(Ordering::Acquire)
    }
}

/// A deadline the desk is told of: coming near, or passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Within the desk's warning before it.
    Near,
    /// Passed.
    Passed,
}

fn told_key(due: OffsetDateTime, case: &CaseId, target: &StationId, stage: Stage) -> Vec<u8> {
    let stage = match stage {
        Stage::Near => b'n',
        Stage::Passed => b'p',
    };
    [time_key(due).as_slice(), case.as_bytes(), &station_segment(target), &[stage]].concat()
}

impl Unit<'_> {
    /// Records that the desk was told of `target`'s deadline `due` on `case` at `stage`.
    pub fn told_deadline(&mut self, due: OffsetDateTime, case: &CaseId, target: &StationId, stage: Stage) {
        self.put(TreeId::DuecasetargetstageTold, told_key(due, case, target, stage), Vec::new());
    }
}

impl Store {
    /// Open targets whose next deadline falls in `[from, until)`, earliest first, at most `limit`.
    pub fn deadlines_between(
        &self,
        from: OffsetDateTime,
        until: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<LateTarget>, StoreError> {
        let inner = self.inner()?;
        let mut out = Vec::new();
        for item in inner.trees.due_target.range(time_key(from).to_vec()..time_key(until).to_vec()).take(limit) {
            let (key, value) = item?;
            out.extend(self.late_target(&key, &value)?);
        }
        Ok(out)
    }

    /// True when the desk was told of this deadline at this stage.
    pub fn deadline_told(
        &self,
        due: OffsetDateTime,
        case: &CaseId,
        target: &StationId,
        stage: Stage,
    ) -> Result<bool, StoreError> {
        Ok(self.inner()?.trees.duecasetargetstage_told.contains_key(told_key(due, case, target, stage))?)
    }

    /// Forgets what the desk was told of deadlines before `before`, which it no longer looks at.
    pub fn forget_deadlines_told(&self, before: OffsetDateTime) -> Result<usize, StoreError> {
        self.write(before, |unit| {
            let tree = &unit.inner.trees.duecasetargetstage_told;
            let old: Vec<Vec<u8>> = tree
                .range(..time_key(before).to_vec())
                .keys()
                .take(10_000)
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .map(|k| k.to_vec())
                .collect();
            let count = old.len();
            for key in old {
                unit.remove_key(TreeId::DuecasetargetstageTold, key);
            }
            Ok::<_, StoreError>(count)
        })
        .map(|(count, _)| count)
    }
}

impl Store {
    /// How many targets in `mailbox` are in `state` now (open states only keep few entries).
    pub fn count_in_state(
        &self,
        mailbox: super::Mailbox,
        state: crate::domain::lifecycle::TargetState,
    ) -> Result<usize, StoreError> {
        let prefix = [mailbox.tag(), state.tag()];
        Ok(self.inner()?.trees.boxstatetime_case.scan_prefix(prefix).count())
    }
}
