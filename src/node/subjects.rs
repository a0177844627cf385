//! Same-subject flags (一人多次): when a new case names a resident ID, plate or case number
//! that another open case at this node names, both are flagged so the officers involved see
//! the link — the start of joint work (串并案) across cases.

use crate::case::CaseRecord;
use crate::store::{StoreError, Unit};

/// Most recent cases a new case is linked with per subject. Linking rewrites each linked case,
/// so without a bound a subject named in hundreds of open cases (a peer's bulk alerts) would
/// make every new case cost hundreds of writes.
const MAX_LINKS: usize = 20;
/// Most open cases remembered per subject.
const MAX_INDEXED: usize = 200;

/// Flags `case` and every open case that shares a subject with it, and indexes `case` under
/// its subjects. The caller stores `case` itself.
pub fn flag_same_subject(unit: &mut Unit<'_>, case: &mut CaseRecord) -> Result<(), StoreError> {
    for subject in case.subjects.clone() {
        let mut indexed = unit.subject_cases(&subject)?;
        indexed.retain(|id| id != &case.id);
        let recent = indexed.len().saturating_sub(MAX_LINKS);
        let mut linked = 0;
        for other_id in indexed[recent..].iter().rev() {
            let Some(mut other) = unit.case(other_id)? else { continue };
            if !other.is_open() || linked == MAX_LINKS {
                continue;
            }
            if !other.same_subject.contains(&case.id) {
                other.same_subject.push(case.id);
                unit.put_case(&other)?;
            }
            if !case.same_subject.contains(&other.id) {
                case.same_subject.push(other.id);
            }
            linked += 1;
        }
        indexed.push(case.id);
        let keep = indexed.len().saturating_sub(MAX_INDEXED);
        unit.set_subject_cases(&subject, indexed.split_off(keep))?;
    }
    Ok(())
}

/// Removes a case that is no longer open from the subject index, so a closed case does not
/// flag new ones.
pub fn release_if_closed(unit: &mut Unit<'_>, case: &CaseRecord) -> Result<(), StoreError> {
    if case.is_open() {
        return Ok(());
    }
    for subject in &case.subjects {
        let remaining: Vec<_> = unit.subject_cases(subject)?.into_iter().filter(|id| id != &case.id).collect();
        unit.set_subject_cases(subject, remaining)?;
    }
    Ok(())
}
