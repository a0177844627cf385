//! Same-subject flags (一人多次): when a new case names a resident ID, plate or case number
//! that another open case at this node names, both are flagged so the officers involved see
//! the link — the start of joint work (串并案) across cases.

use crate::case::CaseRecord;
use crate::store::{StoreError, Unit};

/// Flags `case` and every open case that shares a subject with it, and indexes `case` under
/// its subjects. The caller stores `case` itself.
pub fn flag_same_subject(unit: &mut Unit<'_>, case: &mut CaseRecord) -> Result<(), StoreError> {
    for subject in case.subjects.clone() {
        let mut still_open = Vec::new();
        for other_id in unit.subject_cases(&subject)? {
            let Some(mut other) = unit.case(&other_id)? else { continue };
            if other.id == case.id || !other.is_open() {
                continue;
            }
            if !other.same_subject.contains(&case.id) {
                other.same_subject.push(case.id);
                unit.put_case(&other)?;
            }
            if !case.same_subject.contains(&other.id) {
                case.same_subject.push(other.id);
            }
            still_open.push(other.id);
        }
        still_open.push(case.id);
        unit.set_subject_cases(&subject, still_open)?;
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
