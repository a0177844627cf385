//! Counted runs from one seed, so a failure replays: mutations open nothing new, re-signed edits stay honest.

use std::collections::BTreeMap;

use super::*;
use crate::envelope::mutate::{Sampler, apply_all, count_from_env, mutations, payload_edit};

/// The seed of the counted runs unless `TIEMENG_MUTATION_SEED` names another.
const DEFAULT_SEED: u64 = 0x2026_1123_0800;

fn seed() -> u64 {
    std::env::var("TIEMENG_MUTATION_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_SEED)
}

#[test]
fn seeded_mutations_of_valid_envelopes_open_nothing_new() {
    let tries = count_from_env("TIEMENG_MUTATIONS", 10_000);
    let seed = seed();
    let mut sampler = Sampler::seeded(seed);
    let strategy = mutations();
    let (mut accepted, mut same, mut donor_whole) = (0usize, 0usize, 0usize);
    let mut refusals: BTreeMap<&'static str, usize> = BTreeMap::new();
    for i in 0..tries {
        let original = &ORIGINALS[sampler.below(ORIGINALS.len())];
        let donor = &ORIGINALS[sampler.below(ORIGINALS.len())];
        let edits = sampler.draw(&strategy);
        let wire = apply_all(&original.wire(), &donor.wire(), &edits);
        match SealedEnvelope::open(&wire, &KEYS) {
            Ok(opened) if opened.envelope == original.envelope && opened.wire() == original.wire() => same += 1,
            Ok(opened) if real_original(&opened).is_some() => donor_whole += 1,
            Ok(_) => {
                accepted += 1;
                eprintln!("mutation {i} accepted: {edits:?}\n{}", String::from_utf8_lossy(&wire));
            }
            Err(error) => *refusals.entry(error.code()).or_default() += 1,
        }
    }
    println!("tried {tries}, accepted {accepted}");
    println!(
        "  seed {seed}; unchanged or equivalent spellings that reopened to the original's exact bytes: {same}; \
         the donor envelope re-assembled whole from its own fields: {donor_whole}; refusals by code: {refusals:?}"
    );
    assert_eq!(accepted, 0);
}

#[test]
fn seeded_resigned_payload_edits_open_only_to_what_was_signed() {
    let tries = count_from_env("TIEMENG_RESIGNED", 1_000);
    let mut sampler = Sampler::seeded(seed() ^ 0xd);
    let strategy = proptest::collection::vec(payload_edit(), 1..3);
    let mut opened = 0;
    for _ in 0..tries {
        let original = &ORIGINALS[sampler.below(ORIGINALS.len())];
        let edits = sampler.draw(&strategy);
        let payload = edits.iter().fold(original.signed.payload().to_vec(), |p, e| e.apply(&p));
        let wire = Signed::sign(ENVELOPE_CONTEXT, payload.clone(), &signer_of(&original.envelope.from)).encode();
        match open_resigned(&payload, &wire) {
            Ok(true) => opened += 1,
            Ok(false) => {}
            Err(failure) => panic!("{failure}\nedits: {edits:?}\npayload: {}", String::from_utf8_lossy(&payload)),
        }
    }
    println!("re-signed: tried {tries}, opened {opened}, every one consistent with what was signed");
    assert!(opened > 0, "no re-signed edit opened: the property was never exercised");
}
