//! The patched sled (vendor/sled/PATCHES.md) splits leaves by count and by size. These tests
//! hold it to what the store relies on: every entry written is read back, in key order, after
//! leaves of small and of large values have split and merged and the store has been reopened.

use std::collections::BTreeMap;

/// A deterministic shuffle, so a failure names the same order again.
fn scrambled(count: u64) -> Vec<u64> {
    let mut order: Vec<u64> = (0..count).collect();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for i in (1..order.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    order
}

fn value(key: u64, len: usize) -> Vec<u8> {
    (0..len).map(|i| (key as usize + i) as u8).collect()
}

fn assert_holds(tree: &sled::Tree, model: &BTreeMap<Vec<u8>, Vec<u8>>) {
    let stored: Vec<(Vec<u8>, Vec<u8>)> =
        tree.iter().map(|entry| entry.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap()).collect();
    let expected: Vec<(Vec<u8>, Vec<u8>)> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(stored.len(), expected.len());
    assert!(stored == expected, "tree differs from what was written");
    let from = 1_000u64.to_be_bytes();
    let upto = 1_500u64.to_be_bytes();
    let ranged = tree.range(from..upto).count();
    assert_eq!(ranged, model.range(from.to_vec()..upto.to_vec()).count());
}

#[test]
fn leaves_of_small_and_large_values_split_merge_and_reopen_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut small = BTreeMap::new();
    let mut large = BTreeMap::new();
    {
        let db = super::open_sled(&sled::Config::new().path(dir.path())).unwrap();
        let small_tree = db.open_tree("small").unwrap();
        let large_tree = db.open_tree("large").unwrap();
        // Time-ordered index keys: appended at the right, far past 128 to a leaf.
        for key in 0..20_000u64 {
            let v = value(key, 20);
            small_tree.insert(key.to_be_bytes(), v.clone()).unwrap();
            small.insert(key.to_be_bytes().to_vec(), v);
        }
        // Envelope-sized values in random order, a few past a leaf's byte limit and a few past
        // the size sled writes apart as a blob.
        for key in scrambled(2_000) {
            let len = match key % 500 {
                0 => 140 * 1024,
                1..=4 => 70 * 1024,
                _ => 3 * 1024,
            };
            let v = value(key, len);
            large_tree.insert(key.to_be_bytes(), v.clone()).unwrap();
            large.insert(key.to_be_bytes().to_vec(), v);
        }
        // Whole runs deleted empty leaves, so sled merges them away; elsewhere two of every
        // three entries go, thinning leaves that stay.
        for key in scrambled(20_000).into_iter().filter(|k| (k / 300) % 2 == 0 || k % 3 != 0) {
            small_tree.remove(key.to_be_bytes()).unwrap();
            small.remove(key.to_be_bytes().as_slice());
        }
        for key in (0..2_000u64).filter(|k| (k / 100) % 2 == 0 || k % 3 != 1) {
            large_tree.remove(key.to_be_bytes()).unwrap();
            large.remove(key.to_be_bytes().as_slice());
        }
        assert_holds(&small_tree, &small);
        assert_holds(&large_tree, &large);
        db.flush().unwrap();
    }
    for round in 0..2u64 {
        let db = super::open_sled(&sled::Config::new().path(dir.path())).unwrap();
        let small_tree = db.open_tree("small").unwrap();
        let large_tree = db.open_tree("large").unwrap();
        assert_holds(&small_tree, &small);
        assert_holds(&large_tree, &large);
        // Writes after a reopen land in the leaves recovered from the log and the snapshot.
        for key in (0..3_000u64).map(|k| k * 7 + round) {
            let v = value(key, 40);
            small_tree.insert(key.to_be_bytes(), v.clone()).unwrap();
            small.insert(key.to_be_bytes().to_vec(), v);
        }
        db.flush().unwrap();
    }
    let db = super::open_sled(&sled::Config::new().path(dir.path())).unwrap();
    assert_holds(&db.open_tree("small").unwrap(), &small);
}
