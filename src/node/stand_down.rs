//! 其余单位撤回: once a target reported an outcome that ends the search (intercepted,
//! arrested, located, person found), the origin stands every other open target down at once.
//!
//! It is the withdrawal of the lifecycle, taken for each remaining target: the same step, the
//! same roles, the same envelope (one per target, each on that partner's outbox, each relayed
//! to the other targets like any withdrawal). All of them go in one store unit: the officer
//! asked for one thing, and either every remaining target is stood down or, on a failure,
//! none is and the officer can simply try again.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::inputs::{Action, WithdrawInput};
use super::{Node, NodeError, Officer};
use crate::case::{CaseRecord, TargetRecord};
use crate::domain::case::WithdrawReason;
use crate::domain::lifecycle::{ActionKind, Party, TargetState};
use crate::ids::{CaseId, StationId};

/// 其余单位撤回: what the origin's liaison says when standing the rest down.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StandDownInput {
    /// Why (`in_custody` 已到案, `person_found` 已找到, …).
    pub reason: WithdrawReason,
    /// Explanation for the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What the case offers its origin after a decisive outcome: the reason that fits it, and
/// the targets a stand-down would withdraw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StandDownOffer {
    /// The reason that fits the outcome, preselected.
    pub reason: WithdrawReason,
    /// The targets still open that a stand-down withdraws.
    #[schema(value_type = Vec<String>)]
    pub targets: Vec<StationId>,
}

/// The targets a stand-down withdraws: every target still working the case. One that has
/// reported its outcome waits for the origin's close and evaluation instead.
pub fn remaining(case: &CaseRecord) -> Vec<StationId> {
    case.targets
        .iter()
        .filter(|t| t.state.is_open() && t.state != TargetState::Resolved)
        .filter(|t| ActionKind::Withdraw.applies(t.state, Party::Origin))
        .map(|t| t.station.clone())
        .collect()
}

/// The offer at the origin `me`, when a target reported a decisive outcome and others are
/// still open.
pub fn offer(case: &CaseRecord, me: &StationId) -> Option<StandDownOffer> {
    if &case.origin != me {
        return None;
    }
    let decisive: &TargetRecord = case.decisive_elsewhere(me)?;
    let reason = decisive.outcome.and_then(|o| o.stand_down_reason())?;
    let targets = remaining(case);
    (!targets.is_empty()).then_some(StandDownOffer { reason, targets })
}

impl Node {
    /// Stands the remaining targets of `case_id` down: one withdrawal per open target that has
    /// not reported, all in one unit, durable before it returns.
    pub async fn stand_down(
        &self,
        officer: &Officer,
        case_id: CaseId,
        input: StandDownInput,
    ) -> Result<CaseRecord, NodeError> {
        officer.require(super::auth::roles_for(ActionKind::Withdraw))?;
        let at = self.now();
        let (case, woken) = self.store.write(at, |unit| {
            let case = unit.case(&case_id)?.ok_or_else(|| NodeError::CaseNotFound(case_id.to_string()))?;
            if &case.origin != self.station() {
                return Err(NodeError::WrongSide { needed: "origin" });
            }
            if case.decisive_elsewhere(self.station()).is_none() {
                return Err(NodeError::NothingDecisive);
            }
            let targets = remaining(&case);
            if targets.is_empty() {
                return Err(NodeError::NoEligibleTarget);
            }
            let mut last = case;
            for target in targets {
                let withdraw =
                    WithdrawInput { reason: input.reason, message: input.message.clone(), targets: vec![target] };
                last = self.apply_action(unit, officer, case_id, Action::Withdraw(withdraw))?.0;
            }
            Ok(last)
        })?;
        self.store.durable().await?;
        self.wake(&woken);
        tracing::info!(case = %case_id, "remaining targets stood down");
        Ok(case)
    }
}
