//! Bulk loading: many officer operations in one store unit and one flush, for loading years
//! of history (the benchmark's million cases, a migration). Each operation runs the very code
//! of its one-at-a-time form — [`Node::record_request`] for a new case, [`Node::apply_action`]
//! for an action — at its own time, so the stored state is what the one-at-a-time calls made
//! at those times would have left; only the grouping into transactions differs, which nothing
//! stored records. `tests/bulk.rs` checks that tree by tree.

use time::OffsetDateTime;

use super::auth::LIAISON;
use super::officer::request_envelope;
use super::{Action, NewCase, Node, NodeError, Officer};
use crate::case::CaseRecord;
use crate::envelope::{EnvelopeError, SealedEnvelope};
use crate::ids::CaseId;

impl Node {
    /// Sends every request of `batch`, each numbered, signed and recorded at its own time, in
    /// one unit with one flush. Times must be in order. All or nothing: one invalid request
    /// fails the batch and stores none of it.
    pub async fn create_cases(
        &self,
        officer: &Officer,
        batch: Vec<(NewCase, OffsetDateTime)>,
    ) -> Result<Vec<CaseRecord>, NodeError> {
        officer.require(LIAISON)?;
        let envelopes = batch
            .into_iter()
            .map(|(new, at)| request_envelope(&self.config, officer, new, at))
            .collect::<Result<Vec<_>, NodeError>>()?;
        let Some(first) = envelopes.first().map(|e| e.at) else { return Ok(Vec::new()) };
        let (cases, woken) =
            self.store.write(first, |unit| self.number_in_order(unit, envelopes.into_iter().map(|e| (officer, e))))?;
        self.store.durable().await?;
        self.wake(&woken);
        tracing::debug!(count = cases.len(), "requests sent in bulk");
        Ok(cases)
    }

    /// Stores requests this station already made and signed ([`request_envelope`] sealed with
    /// [`Node::signer`]), each at its own time, in one unit with one flush: the storing half of
    /// [`Node::create_cases`], which the benchmark also times on its own. They were signed
    /// before a unit could number them, so they keep whatever number they carry (none).
    pub async fn store_requests(
        &self,
        officer: &Officer,
        sealed: &[SealedEnvelope],
    ) -> Result<Vec<CaseRecord>, NodeError> {
        officer.require(LIAISON)?;
        if let Some(other) = sealed.iter().find(|s| s.signed.key().station() != self.station()) {
            return Err(EnvelopeError::SignerMismatch {
                key_owner: other.signed.key().station().clone(),
                from: self.station().clone(),
            }
            .into());
        }
        let Some(first) = sealed.first().map(|s| s.envelope.at) else { return Ok(Vec::new()) };
        let (cases, woken) =
            self.store.write(first, |unit| self.record_in_order(unit, sealed.iter().map(|s| (officer, s))))?;
        self.store.durable().await?;
        self.wake(&woken);
        tracing::debug!(count = cases.len(), "requests sent in bulk");
        Ok(cases)
    }

    /// Takes every action of `batch`, each at its own time, in one unit with one flush. Times
    /// must be in order. All or nothing, like [`Node::create_cases`].
    pub async fn act_many(
        &self,
        officer: &Officer,
        batch: Vec<(CaseId, Action, OffsetDateTime)>,
    ) -> Result<Vec<CaseRecord>, NodeError> {
        let Some(first) = batch.first().map(|(_, _, at)| *at) else { return Ok(Vec::new()) };
        for (_, action, _) in &batch {
            officer.require(super::auth::roles_for(action.kind()))?;
        }
        let (cases, woken) = self.store.write(first, |unit| {
            batch
                .into_iter()
                .map(|(case, action, at)| {
                    unit.set_at(at);
                    self.apply_action(unit, officer, case, action).map(|(case, _)| case)
                })
                .collect::<Result<Vec<_>, NodeError>>()
        })?;
        self.store.durable().await?;
        self.wake(&woken);
        tracing::debug!(count = cases.len(), "actions taken in bulk");
        Ok(cases)
    }
}
