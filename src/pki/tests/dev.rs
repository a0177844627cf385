//! The dev layout and the CLI, on real temp directories.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rustls_pki_types::pem::PemObject;

use super::{parse, sans, verifier, verify_client};
use crate::pki::*;

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn init_examples(dir: &Path) -> DevLayout {
    dev::init(dir, &example_stations(), &example_officers(), Overwrite::Never).unwrap()
}

#[test]
fn init_writes_the_documented_layout_with_private_keys_owner_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let layout = init_examples(dir);

    let provinces: Vec<_> = layout.authorities.iter().map(|a| a.province.as_str()).collect();
    assert_eq!(provinces, ["33", "35"]);
    for name in ["33-ca.pem", "33.crl.pem", "35-ca.pem", "35.crl.pem", "33.revoked.json"] {
        assert_eq!(mode(&dir.join("ca").join(name)), PUBLIC_MODE, "{name}");
    }
    for name in ["33-ca.key", "35-ca.key"] {
        assert_eq!(mode(&dir.join("ca").join(name)), SECRET_MODE, "{name}");
    }
    let luoyang = dir.join("stations/zj-taishun-luoyang");
    assert_eq!(mode(&luoyang.join("tls.key")), SECRET_MODE);
    assert_eq!(mode(&luoyang.join("signing-k1.key")), SECRET_MODE);
    assert_eq!(mode(&luoyang.join("tls.pem")), PUBLIC_MODE);
    assert_eq!(mode(&luoyang.join("signing-k1.pub")), PUBLIC_MODE);
    assert_eq!(mode(&dir.join("officers/fj-shouning-xixi/350924001.key")), SECRET_MODE);
    assert_eq!(mode(&dir.join("officers/fj-shouning-xixi/350924001.pem")), PUBLIC_MODE);

    let station = layout.station("zj-taishun-luoyang").unwrap();
    assert_eq!(station.tls_cert, luoyang.join("tls.pem"));
    assert_eq!(station.province, "33");
    let public = load_public_key(&station.signing.public_key).unwrap();
    assert_eq!(public_key_b64(&public), station.signing.public_b64);
    assert_eq!(layout.officers.len(), 15);
    assert_eq!(layout.officers_of("fj-shouning-xixi").count(), 5);
}

#[test]
fn every_dev_certificate_verifies_against_the_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = init_examples(tmp.path());
    let bundle = fs::read(&layout.ca_bundle).unwrap();
    let roots: Vec<_> = rustls_pki_types::CertificateDer::pem_slice_iter(&bundle).collect::<Result<_, _>>().unwrap();
    assert_eq!(roots.len(), 2);
    let crls = layout
        .crls()
        .iter()
        .map(|p| rustls_pki_types::CertificateRevocationListDer::from_pem_file(p).unwrap())
        .collect();
    let v = verifier(&roots.iter().collect::<Vec<_>>(), crls, true);
    let certs = layout.stations.iter().map(|s| &s.tls_cert);
    for path in certs.chain(layout.officers.iter().map(|o| &o.cert)) {
        let der = rustls_pki_types::CertificateDer::from_pem_file(path).unwrap();
        verify_client(v.as_ref(), &der, &[]).unwrap();
    }
    let xixi = layout.station("fj-shouning-xixi").unwrap();
    let der = rustls_pki_types::CertificateDer::from_pem_file(&xixi.tls_cert).unwrap();
    let (dns, uris, _) = sans(&parse(&der));
    assert_eq!(dns, ["fj-shouning-xixi.tiemeng.test", "localhost"]);
    assert_eq!(uris, [xixi.uri.as_str()]);
}

#[test]
fn init_refuses_to_clobber_an_existing_ca_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = init_examples(tmp.path());
    let ca_key = &layout.authority("33").unwrap().key;
    let before = fs::read(ca_key).unwrap();
    // Remove a station file: the refused run must not recreate it either.
    fs::remove_file(&layout.station("zj-cangnan-mazhan").unwrap().tls_cert).unwrap();

    let err = dev::init(tmp.path(), &example_stations(), &example_officers(), Overwrite::Never).unwrap_err();
    assert!(matches!(&err, PkiError::AlreadyExists { path } if path == ca_key), "{err}");
    assert!(err.to_string().contains("33-ca.key"));
    assert_eq!(fs::read(ca_key).unwrap(), before);
    assert!(!layout.station("zj-cangnan-mazhan").unwrap().tls_cert.exists());

    dev::init(tmp.path(), &example_stations(), &example_officers(), Overwrite::Replace).unwrap();
    assert_ne!(fs::read(ca_key).unwrap(), before);
    assert_eq!(mode(ca_key), SECRET_MODE);
}

#[test]
fn init_rejects_path_like_badges_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut officers = example_officers();
    officers[0].badge = "../../ca/33-ca".into();
    let err = dev::init(tmp.path(), &example_stations(), &officers, Overwrite::Never).unwrap_err();
    assert!(matches!(err, PkiError::InvalidInput { .. }));
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn cli_revocations_accumulate_in_the_province_crl() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = init_examples(tmp.path());
    let ca = layout.authority("33").unwrap().clone();
    let first = &layout.officers[0];
    let second = &layout.officers[1];
    for officer in [first, second, first] {
        let cmd = PkiCommand::Revoke { ca: ca.cert.clone(), cert: officer.cert.clone(), crl_out: None, days: 30 };
        execute(cmd).unwrap();
    }
    let der = rustls_pki_types::CertificateRevocationListDer::from_pem_file(&ca.crl).unwrap();
    let (_, crl) = x509_parser::parse_x509_crl(&der).unwrap();
    let serials: Vec<&[u8]> = crl.iter_revoked_certificates().map(|r| r.raw_serial()).collect();
    assert_eq!(serials, [first.serial.as_slice(), second.serial.as_slice()]);
    // init issued CRL 1; three revoke runs issued 2, 3 and 4.
    assert_eq!(crl.crl_number().unwrap().to_u64_digits(), [4]);

    let record = RevocationList::load_or_empty(&ca.revocations).unwrap();
    assert_eq!(record.revoked.len(), 2);
    assert_eq!(record.revoked[0].subject, first.spec.name);
}

#[test]
fn cli_refuses_to_revoke_another_provinces_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = init_examples(tmp.path());
    let cmd = PkiCommand::Revoke {
        ca: layout.authority("33").unwrap().cert.clone(),
        cert: layout.station("fj-shouning-xixi").unwrap().tls_cert.clone(),
        crl_out: None,
        days: 30,
    };
    assert!(matches!(execute(cmd).unwrap_err(), PkiError::NotIssuedBy { .. }));
}

#[test]
fn cli_issues_with_a_ca_created_earlier() {
    let tmp = tempfile::tempdir().unwrap();
    let ca_dir = tmp.path().join("ca");
    let lines =
        execute(PkiCommand::Ca { province: "35".into(), name: None, dir: ca_dir.clone(), force: false }).unwrap();
    assert!(lines[0].starts_with("已生成 福建省 测试根CA"), "{lines:?}");

    let ca_cert = ca_dir.join("35-ca.pem");
    execute(PkiCommand::Station {
        ca: ca_cert.clone(),
        id: "fj-fuding-qinyu".into(),
        dns: vec!["qinyu.tiemeng.test".into()],
        out: None,
        force: false,
    })
    .unwrap();
    execute(PkiCommand::Officer {
        ca: ca_cert.clone(),
        station: "fj-fuding-qinyu".into(),
        badge: "350982001".into(),
        name: "许明辉".into(),
        out: None,
        force: false,
    })
    .unwrap();
    let root = rustls_pki_types::CertificateDer::from_pem_file(&ca_cert).unwrap();
    let v = verifier(&[&root], Vec::new(), false);
    for path in ["stations/fj-fuding-qinyu/tls.pem", "officers/fj-fuding-qinyu/350982001.pem"] {
        let der = rustls_pki_types::CertificateDer::from_pem_file(tmp.path().join(path)).unwrap();
        verify_client(v.as_ref(), &der, &[]).unwrap();
    }
    assert_eq!(mode(&tmp.path().join("stations/fj-fuding-qinyu/tls.key")), SECRET_MODE);

    let again = PkiCommand::Ca { province: "35".into(), name: None, dir: ca_dir, force: false };
    assert!(matches!(execute(again).unwrap_err(), PkiError::AlreadyExists { .. }));
}

#[test]
fn cli_signing_key_and_crl_reissue() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("stations/zj-x");
    let lines = execute(PkiCommand::SigningKey { out: out.clone(), key_id: "k2".into(), force: false }).unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(mode(&out.join("signing-k2.key")), SECRET_MODE);
    load_signing_key(&out.join("signing-k2.key")).unwrap();

    let layout = init_examples(&tmp.path().join("pki"));
    let ca = layout.authority("35").unwrap();
    let lines = execute(PkiCommand::Crl { ca: ca.cert.clone(), days: 7, out: None }).unwrap();
    assert!(lines[0].contains("第 2 号"), "{lines:?}");
    let bad = PkiCommand::Crl { ca: ca.cert.clone(), days: 0, out: None };
    assert!(matches!(execute(bad).unwrap_err(), PkiError::InvalidInput { .. }));
}

/// Chinese characters and the full-width punctuation written with them.
fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| matches!(c, '\u{3000}'..='\u{303f}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}'))
}

#[test]
fn pki_init_reports_in_english_with_only_names_in_chinese() {
    let tmp = tempfile::tempdir().unwrap();
    let lines =
        execute_in(PkiCommand::Init { dir: tmp.path().to_owned(), force: false }, crate::i18n::Lang::En).unwrap();
    let names: Vec<String> = ["33", "35"]
        .iter()
        .filter_map(|p| province_name(p).map(str::to_owned))
        .chain(example_stations().into_iter().map(|s| s.name_zh))
        .chain(example_officers().into_iter().map(|o| o.name))
        .collect();
    assert!(lines.iter().any(|l| l.contains("罗阳")), "names stay as they are: {lines:?}");
    for line in &lines {
        let without_names = names.iter().fold(line.clone(), |l, name| l.replace(name.as_str(), ""));
        assert!(!has_cjk(&without_names), "Chinese beyond names in: {line}");
    }
    assert!(lines.iter().any(|l| l.contains("(330329001, liaison officer)")), "{lines:?}");
    let chinese = execute(PkiCommand::Init { dir: tmp.path().join("zh"), force: false }).unwrap();
    assert!(chinese.iter().any(|l| l.contains("（330329001，联络员）")), "{chinese:?}");
    assert!(chinese.iter().all(|l| has_cjk(l)), "{chinese:?}");
}

#[test]
fn a_pki_error_reads_in_the_chosen_language() {
    use crate::i18n::Lang;
    let tmp = tempfile::tempdir().unwrap();
    let ca = tmp.path().join("ca/33-ca.pem");
    let station = || PkiCommand::Station {
        ca: ca.clone(),
        id: "zj-taishun-luoyang".into(),
        dns: Vec::new(),
        out: None,
        force: false,
    };
    let err = execute_in(station(), Lang::En).unwrap_err();
    let english = err.describe(Lang::En);
    assert!(english.starts_with("cannot read or write"), "{english}");
    assert!(!has_cjk(&english), "{english}");
    let chinese = err.describe(Lang::Zh);
    // What is said around the path the error names.
    let parts: Vec<&str> = chinese.split('：').collect();
    assert_eq!(parts.len(), 3, "{chinese}");
    assert_eq!(parts[0], "读写文件失败");
    assert!(parts[1].starts_with(&tmp.path().display().to_string()), "{chinese}");
    assert_eq!(parts[2], "文件或目录不存在", "{chinese}");

    let invalid = PkiError::invalid(("吊销列表有效天数", "days the CRL is valid"), "0", ("1–3650", "1–3650"));
    assert_eq!(invalid.describe(Lang::En), "invalid days the CRL is valid: \"0\" (1–3650)");
    assert_eq!(invalid.describe(Lang::Zh), "吊销列表有效天数 无效：\"0\"（1–3650）");
}
