//! The desk's deadline watch: telling officers, once each, that a target's deadline is near
//! (within the `[desk]` warning for the case's priority) or has passed.

use time::Duration;

use super::{Node, NodeError};
use crate::domain::case::Priority;
use crate::events::{Owed, What};
use crate::store::Stage;

/// How far back the watch looks for deadlines that passed: a node down longer than this does
/// not tell of older ones afterwards (they are on the overdue list).
const LOOK_BACK: Duration = Duration::days(1);
/// Most deadlines looked at in one round.
const ROUND: usize = 2_000;

impl Node {
    /// Tells the desk of every deadline that came near or passed since the last round, each
    /// once; returns how many it told of.
    pub async fn watch_deadlines(&self) -> Result<usize, NodeError> {
        let now = self.now();
        let widest = [Priority::Urgent, Priority::High, Priority::Routine]
            .into_iter()
            .map(|p| self.config.desk.warning(p))
            .max()
            .unwrap_or(Duration::ZERO);
        let mut told = 0;
        for late in self.store.deadlines_between(now - LOOK_BACK, now + widest, ROUND)? {
            let stage = if late.due <= now { Stage::Passed } else { Stage::Near };
            if self.store.deadline_told(late.due, &late.case, &late.target, stage)? {
                continue;
            }
            let Some(case) = self.store.case(&late.case)? else { continue };
            if stage == Stage::Near && late.due - now > self.config.desk.warning(case.priority) {
                continue;
            }
            // The index may run a moment behind the case; only the deadline the target owes now.
            let Some((owed, due)) = case.target(&late.target).and_then(|t| t.next_deadline()).map(Owed::of) else {
                continue;
            };
            if due != late.due {
                continue;
            }
            self.store.write(now, |unit| {
                unit.told_deadline(due, &case.id, &late.target, stage);
                unit.event(What::Deadline {
                    case: case.id,
                    target: late.target.clone(),
                    owed,
                    due,
                    passed: stage == Stage::Passed,
                    priority: case.priority,
                });
                Ok::<_, NodeError>(())
            })?;
            told += 1;
        }
        if told > 0 {
            self.store.durable().await?;
        }
        self.store.forget_deadlines_told(now - LOOK_BACK - Duration::days(1))?;
        Ok(told)
    }
}

/// What needs this station's desk now, for the counters on every console page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DeskCounts {
    /// Requests received and not yet acknowledged (待签收).
    pub to_acknowledge: usize,
    /// Requests acknowledged, a report owed (待反馈).
    pub to_report: usize,
    /// Open targets past a deadline, either way (超期).
    pub overdue: usize,
    /// Of those, this station's own, in requests received.
    pub overdue_received: usize,
    /// Of those, partners', in requests this station sent.
    pub overdue_sent: usize,
}

impl Node {
    /// The desk's counters. Case readers only: an admin reads no case content.
    pub fn desk_counts(&self, officer: &super::Officer) -> Result<DeskCounts, NodeError> {
        use crate::domain::lifecycle::TargetState::{Acknowledged, Delivered, Sent};
        use crate::store::Mailbox::Inbox;
        officer.require(super::READERS)?;
        let to_acknowledge = self.store.count_in_state(Inbox, Sent)? + self.store.count_in_state(Inbox, Delivered)?;
        let to_report = self.store.count_in_state(Inbox, Acknowledged)?;
        let (mut received, mut sent) = (0u64, 0u64);
        for (group, count) in self.store.late_counts(self.now())? {
            match group.mailbox {
                Inbox => received += count,
                crate::store::Mailbox::Outbox => sent += count,
            }
        }
        let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Ok(DeskCounts {
            to_acknowledge,
            to_report,
            overdue: count(received + sent),
            overdue_received: count(received),
            overdue_sent: count(sent),
        })
    }
}
