use super::*;
use crate::store::TreeId;

fn station() -> StationId {
    "zj-taishun-luoyang".parse().unwrap()
}

/// A tree as a backup holds it: its name and its entries.
type Section = (&'static str, Vec<(Vec<u8>, Vec<u8>)>);

/// A backup file holding `trees`, as some release would write it.
fn backup_with(path: &Path, trees: &[Section]) {
    let mut out = Hashing { inner: Vec::new(), hash: Sha256::new() };
    let id = station();
    out.write_all(MAGIC).unwrap();
    out.write_all(&len_u16(id.as_str().as_bytes()).unwrap()).unwrap();
    out.write_all(id.as_str().as_bytes()).unwrap();
    out.write_all(&0i64.to_be_bytes()).unwrap();
    for (name, entries) in trees {
        out.write_all(&len_u16(name.as_bytes()).unwrap()).unwrap();
        out.write_all(name.as_bytes()).unwrap();
        out.write_all(&(entries.len() as u64).to_be_bytes()).unwrap();
        for (key, value) in entries {
            put_entry(&mut out, key, value).unwrap();
        }
    }
    let digest = out.hash.finalize();
    let mut bytes = out.inner;
    bytes.extend_from_slice(&digest);
    std::fs::write(path, bytes).unwrap();
}

fn meta() -> Section {
    ("meta", vec![(META_STATION.to_vec(), station().as_str().as_bytes().to_vec())])
}

/// A record of a file the backup does not carry (swept while it was taken) is not
/// restored: the store never says it holds a file it lacks.
#[test]
fn a_file_record_without_its_bytes_in_the_backup_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("swept");
    let sha = crate::domain::attachment::Sha256([7; 32]);
    backup_with(&file, &[meta(), ("sha_file", vec![(sha.0.to_vec(), vec![1; 18])])]);
    restore(&file, &dir.path().join("data")).unwrap();
    let store = Store::open_existing(&dir.path().join("data")).unwrap();
    assert_eq!(store.file_info(&sha).unwrap(), None);
}

#[test]
fn a_backup_restores_into_an_empty_folder_with_every_tree() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data"), &station(), 8 << 20).unwrap();
    let file = dir.path().join("backup");
    let info = store.backup(&file, OffsetDateTime::UNIX_EPOCH).unwrap();
    drop(store);
    check(&file).unwrap();
    let restored = restore(&file, &dir.path().join("restored")).unwrap();
    assert_eq!((restored.station, restored.entries), (info.station, info.entries));
}

/// A backup taken before a tree was added lacks it: the tree starts empty.
#[test]
fn a_backup_from_a_release_with_fewer_trees_restores() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("older");
    backup_with(&file, &[meta(), ("caseid_case", Vec::new())]);
    let restored = restore(&file, &dir.path().join("data")).unwrap();
    assert_eq!(restored.entries, 1);
    let store = Store::open_existing(&dir.path().join("data")).unwrap();
    assert_eq!(store.equivocation_count(&station()), 0);
}

/// A backup from a later release with a tree this one does not know is refused before
/// anything is written, rather than restored without that tree.
#[test]
fn a_backup_with_a_tree_this_release_does_not_know_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("newer");
    backup_with(&file, &[meta(), ("attachments_of_tomorrow", vec![(b"k".to_vec(), b"v".to_vec())])]);
    let target = dir.path().join("data");
    let error = restore(&file, &target).unwrap_err().to_string();
    assert!(error.contains("attachments_of_tomorrow") && error.contains("later one"), "{error}");
    assert!(!target.join("conf").exists(), "no store was started in {}", target.display());
}

fn put(store: &Store, writes: &[(TreeId, &str, Option<&str>)]) {
    store
        .write(OffsetDateTime::UNIX_EPOCH, |unit| {
            for (tree, key, value) in writes {
                match value {
                    Some(value) => unit.put(*tree, key.as_bytes().to_vec(), value.as_bytes().to_vec()),
                    None => unit.remove(*tree, key.as_bytes().to_vec()),
                }
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

fn get(store: &Store, tree: TreeId, key: &str) -> Option<String> {
    let inner = store.inner().unwrap();
    let value = inner.all_trees[tree as usize].get(key.as_bytes()).unwrap();
    value.map(|v| String::from_utf8(v.to_vec()).unwrap())
}

/// Writes go on while a backup copies the trees, into trees already copied and trees not
/// yet copied; the restored store is the store as it stood when the backup ended.
#[test]
fn what_is_written_while_a_backup_copies_is_in_it_as_it_ended() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data"), &station(), 8 << 20).unwrap();
    put(&store, &[(TreeId::SubjectCases, "k1", Some("v1")), (TreeId::SubjectCases, "k2", Some("v2"))]);
    put(&store, &[(TreeId::Meta, "a", Some("1"))]);
    let file = dir.path().join("backup");
    let mut second = None;
    store
        .backup_observed(&file, OffsetDateTime::UNIX_EPOCH, &mut |copied| match copied {
            // The first tree is copied: a case lands behind the copy, a key is removed ahead
            // of it, a value changes.
            "caseid_case" => put(
                &store,
                &[
                    (TreeId::CaseidCase, "new", Some("case")),
                    (TreeId::SubjectCases, "k1", None),
                    (TreeId::Meta, "a", Some("2")),
                ],
            ),
            // Meta is copied with "a" = 2; it changes again after.
            "meta" => {
                put(&store, &[(TreeId::Meta, "a", Some("3")), (TreeId::Meta, "b", Some("x"))]);
                second = Some(store.backup(&dir.path().join("second"), OffsetDateTime::UNIX_EPOCH));
            }
            _ => {}
        })
        .unwrap();
    let refused = second.unwrap().unwrap_err().to_string();
    assert!(refused.contains("another backup"), "{refused}");
    assert!(!dir.path().join("second").exists(), "the refused backup leaves no file");
    assert!(!dir.path().join("backup.journal").exists(), "the journal's file goes once it is in the backup");
    assert!(!dir.path().join("second.journal").exists());
    drop(store);
    restore(&file, &dir.path().join("restored")).unwrap();
    let restored = Store::open_existing(&dir.path().join("restored")).unwrap();
    assert_eq!(get(&restored, TreeId::CaseidCase, "new").as_deref(), Some("case"));
    assert_eq!(get(&restored, TreeId::SubjectCases, "k1"), None);
    assert_eq!(get(&restored, TreeId::SubjectCases, "k2").as_deref(), Some("v2"));
    assert_eq!(get(&restored, TreeId::Meta, "a").as_deref(), Some("3"));
    assert_eq!(get(&restored, TreeId::Meta, "b").as_deref(), Some("x"));
}

#[test]
fn a_damaged_or_cut_backup_fails_its_check() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup");
    backup_with(&file, &[meta()]);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[20] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    assert!(check(&file).unwrap_err().to_string().contains("checksum"));
    std::fs::write(&file, &bytes[..10]).unwrap();
    assert!(check(&file).unwrap_err().to_string().contains("truncated"));
}
