//! The stored form of a statistics [`Tally`]. A statistics query reads hundreds of tallies, and
//! decoding each as JSON (field names, some 400 bytes) was most of its time; so tallies are
//! written as a version byte and zigzag varints — a usual tally is well under 100 bytes and
//! decodes without allocating names. Tallies written as JSON or as version 2 by earlier
//! releases still decode, without the counts added since (what is due by a deadline); a store
//! that holds such tallies has them recounted from its cases when it opens
//! (`Store::ensure_tallies`).

use super::{StoreError, codec};
use crate::stats::Tally;

/// The version byte of the varint form before the counts of what is due by a deadline.
const VARINT_V2: u8 = 2;
/// The version byte of the varint form with them.
const VARINT_V3: u8 = 3;

/// Encodes `tally`: the scalars in declaration order, then each list as its length and items.
pub fn encode(tally: &Tally) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    out.push(VARINT_V3);
    for value in scalars(tally) {
        put(&mut out, value);
    }
    for list in lists(tally) {
        put(&mut out, i64::try_from(list.len()).unwrap_or(i64::MAX));
        for value in list {
            put(&mut out, *value);
        }
    }
    out
}

/// Decodes what [`encode`] (or, for older stores, the JSON codec) wrote.
pub fn decode(bytes: &[u8]) -> Result<Tally, StoreError> {
    let (version, mut rest) = match bytes.split_first() {
        Some((&version, rest)) if version == VARINT_V2 || version == VARINT_V3 => (version, rest),
        _ => return codec::decode(bytes, "statistics tally"),
    };
    let mut next = || take(&mut rest);
    let mut tally = Tally {
        requests: next()?,
        acknowledged: next()?,
        ack_in_time: next()?,
        ack_late: next()?,
        reported: next()?,
        report_late: next()?,
        resolved: next()?,
        closed: next()?,
        declined: next()?,
        withdrawn: next()?,
        reminders: next()?,
        evaluation_sum: next()?,
        evaluations: next()?,
        ..Tally::default()
    };
    if version == VARINT_V3 {
        tally.ack_due = take(&mut rest)?;
        tally.answered_in_time = take(&mut rest)?;
        tally.outcome_due = take(&mut rest)?;
    }
    let mut lists: Vec<&mut Vec<i64>> =
        vec![&mut tally.outcomes, &mut tally.declines, &mut tally.ack_times, &mut tally.report_times];
    if version == VARINT_V3 {
        lists.extend([&mut tally.ack_waiting, &mut tally.outcome_waiting]);
    }
    for list in lists {
        let len = usize::try_from(take(&mut rest)?).map_err(|_| corrupt("a negative list length"))?;
        // Every item takes at least one byte, so a length beyond the bytes left is corrupt.
        if len > rest.len() {
            return Err(corrupt("a list longer than the value"));
        }
        *list = (0..len).map(|_| take(&mut rest)).collect::<Result<_, _>>()?;
    }
    if rest.is_empty() { Ok(tally) } else { Err(corrupt("trailing bytes")) }
}

fn scalars(t: &Tally) -> [i64; 16] {
    [
        t.requests,
        t.acknowledged,
        t.ack_in_time,
        t.ack_late,
        t.reported,
        t.report_late,
        t.resolved,
        t.closed,
        t.declined,
        t.withdrawn,
        t.reminders,
        t.evaluation_sum,
        t.evaluations,
        t.ack_due,
        t.answered_in_time,
        t.outcome_due,
    ]
}

fn lists(t: &Tally) -> [&[i64]; 6] {
    [&t.outcomes, &t.declines, &t.ack_times, &t.report_times, &t.ack_waiting, &t.outcome_waiting]
}

fn put(out: &mut Vec<u8>, value: i64) {
    let mut zigzag = ((value << 1) ^ (value >> 63)).cast_unsigned();
    while zigzag >= 0x80 {
        out.push((zigzag as u8) | 0x80);
        zigzag >>= 7;
    }
    out.push(zigzag as u8);
}

fn take(bytes: &mut &[u8]) -> Result<i64, StoreError> {
    let mut zigzag = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first().ok_or_else(|| corrupt("a truncated number"))?;
        *bytes = rest;
        zigzag |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((zigzag >> 1).cast_signed() ^ -((zigzag & 1).cast_signed()));
        }
    }
    Err(corrupt("a number longer than 64 bits"))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("statistics tally has {what}"))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn tally() -> impl Strategy<Value = Tally> {
        let list = || proptest::collection::vec(any::<i64>(), 0..40);
        let lists = (list(), list(), list(), list(), list(), list());
        (proptest::array::uniform16(any::<i64>()), lists).prop_map(|(s, (o, d, a, r, aw, ow))| Tally {
            requests: s[0],
            acknowledged: s[1],
            ack_in_time: s[2],
            ack_late: s[3],
            reported: s[4],
            report_late: s[5],
            resolved: s[6],
            closed: s[7],
            declined: s[8],
            withdrawn: s[9],
            reminders: s[10],
            evaluation_sum: s[11],
            evaluations: s[12],
            ack_due: s[13],
            answered_in_time: s[14],
            outcome_due: s[15],
            outcomes: o,
            declines: d,
            ack_times: a,
            report_times: r,
            ack_waiting: aw,
            outcome_waiting: ow,
        })
    }

    proptest! {
        #[test]
        fn every_tally_decodes_to_itself(tally in tally()) {
            prop_assert_eq!(decode(&encode(&tally)).unwrap(), tally);
        }

        #[test]
        fn a_cut_or_extended_value_is_refused(tally in tally(), cut in 1usize..8) {
            let bytes = encode(&tally);
            prop_assert!(decode(&bytes[..bytes.len().saturating_sub(cut).max(1)]).is_err());
            prop_assert!(decode(&[bytes.as_slice(), &[0]].concat()).is_err());
        }
    }

    #[test]
    fn a_tally_stored_as_json_by_an_earlier_release_still_reads() {
        let tally = Tally { requests: 3, ack_times: vec![0, 2, 1], ..Tally::default() };
        assert_eq!(decode(&codec::encode(&tally).unwrap()).unwrap(), tally);
    }

    #[test]
    fn a_tally_stored_as_version_2_still_reads_without_the_due_counts() {
        let tally = Tally { requests: 2, acknowledged: 1, ack_times: vec![0, 1], ..Tally::default() };
        // Version 2: the 13 scalars, then four lists, each its length and items.
        let mut bytes = vec![VARINT_V2];
        for value in &scalars(&tally)[..13] {
            put(&mut bytes, *value);
        }
        for list in &lists(&tally)[..4] {
            put(&mut bytes, list.len() as i64);
            for value in *list {
                put(&mut bytes, *value);
            }
        }
        assert_eq!(decode(&bytes).unwrap(), tally);
    }

    #[test]
    fn a_usual_tally_is_small() {
        let tally = Tally {
            requests: 1,
            acknowledged: 1,
            ack_times: vec![0; 32],
            report_times: vec![0; 32],
            ..Tally::default()
        };
        assert!(encode(&tally).len() < 90, "{} bytes", encode(&tally).len());
    }
}
