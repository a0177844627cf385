//! The stored form of a statistics [`Tally`]. A statistics query reads hundreds of tallies, and
//! decoding each as JSON (field names, some 400 bytes) was most of its time; so tallies are
//! written as a version byte and zigzag varints — a usual tally is well under 100 bytes and
//! decodes without allocating names. Tallies written as JSON by earlier releases still decode.

use super::{StoreError, codec};
use crate::stats::Tally;

/// The version byte of the varint form.
const VARINT_V2: u8 = 2;

/// Encodes `tally`: the scalars in declaration order, then each list as its length and items.
pub fn encode(tally: &Tally) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    out.push(VARINT_V2);
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
    let Some((&VARINT_V2, mut rest)) = bytes.split_first() else {
        return codec::decode(bytes, "statistics tally");
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
    for list in [&mut tally.outcomes, &mut tally.declines, &mut tally.ack_times, &mut tally.report_times] {
        let len = usize::try_from(take(&mut rest)?).map_err(|_| corrupt("a negative list length"))?;
        // Every item takes at least one byte, so a length beyond the bytes left is corrupt.
        if len > rest.len() {
            return Err(corrupt("a list longer than the value"));
        }
        *list = (0..len).map(|_| take(&mut rest)).collect::<Result<_, _>>()?;
    }
    if rest.is_empty() { Ok(tally) } else { Err(corrupt("trailing bytes")) }
}

fn scalars(t: &Tally) -> [i64; 13] {
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
    ]
}

fn lists(t: &Tally) -> [&[i64]; 4] {
    [&t.outcomes, &t.declines, &t.ack_times, &t.report_times]
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
        (proptest::array::uniform13(any::<i64>()), list(), list(), list(), list()).prop_map(|(s, o, d, a, r)| Tally {
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
            outcomes: o,
            declines: d,
            ack_times: a,
            report_times: r,
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
