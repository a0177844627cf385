//! Certificates and CRLs as the node's TLS layer sees them (rustls + webpki).

use rustls::{CertificateError, Error};

use super::{verifier, verify_client};
use crate::pki::*;

fn cert_error(result: Result<(), Error>) -> CertificateError {
    match result {
        Err(Error::InvalidCertificate(e)) => e,
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

#[test]
fn issued_officer_certificate_verifies_against_its_ca() {
    let ca = Authority::for_province("33").unwrap();
    let leaf = ca.issue(&LeafSpec::officer("zj-x", "1", "甲")).unwrap();
    let v = verifier(&[ca.cert_der()], Vec::new(), false);
    verify_client(v.as_ref(), &leaf.cert_der, &[]).unwrap();
}

#[test]
fn ca_saved_and_loaded_issues_certificates_the_original_root_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("33-ca.pem"), dir.path().join("33-ca.key"));
    let original = Authority::for_province("33").unwrap();
    original.save(&cert, &key, Overwrite::Never).unwrap();

    let loaded = Authority::load(&cert, &key).unwrap();
    assert_eq!(loaded.cert_der(), original.cert_der());
    assert_eq!(loaded.common_name(), "浙江省公安厅 铁盟测试根CA");
    assert_eq!(loaded.serial(), original.serial());

    let leaf = loaded.issue(&LeafSpec::station("zj-x", &[])).unwrap();
    let revoked = loaded.issue(&LeafSpec::officer("zj-x", "2", "乙")).unwrap();
    // A CRL from the loaded CA must be accepted as the original CA's CRL too.
    let crl = loaded.crl(&CrlSpec::with_default_validity(1).revoke(revoked.serial.clone())).unwrap();
    let v = verifier(&[original.cert_der()], vec![crl.der], true);
    verify_client(v.as_ref(), &leaf.cert_der, &[]).unwrap();
    assert_eq!(cert_error(verify_client(v.as_ref(), &revoked.cert_der, &[])), CertificateError::Revoked);
}

#[test]
fn certificate_of_another_province_is_unknown() {
    let zj = Authority::for_province("33").unwrap();
    let fj = Authority::for_province("35").unwrap();
    let leaf = fj.issue(&LeafSpec::officer("fj-x", "1", "丙")).unwrap();
    let v = verifier(&[zj.cert_der()], Vec::new(), false);
    assert_eq!(cert_error(verify_client(v.as_ref(), &leaf.cert_der, &[])), CertificateError::UnknownIssuer);
}

#[test]
fn loading_with_the_wrong_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("33-ca.pem"), dir.path().join("other.key"));
    let ca = Authority::for_province("33").unwrap();
    let other = Authority::for_province("35").unwrap();
    ca.save(&cert, &dir.path().join("33-ca.key"), Overwrite::Never).unwrap();
    write_secret(&key, other.key_pem().as_bytes(), Overwrite::Never).unwrap();
    let err = Authority::load(&cert, &key).unwrap_err();
    assert!(matches!(err, PkiError::KeyMismatch { .. }), "{err}");
}

#[test]
fn leaf_certificate_cannot_be_loaded_as_a_ca() {
    let ca = Authority::for_province("33").unwrap();
    let leaf = ca.issue(&LeafSpec::new("x")).unwrap();
    let err = Authority::from_pem(&leaf.cert_pem, &leaf.key_pem).unwrap_err();
    assert!(matches!(err, PkiError::NotACa { .. }), "{err}");
}

#[test]
fn expired_and_not_yet_valid_certificates_are_refused() {
    let ca = Authority::for_province("33").unwrap();
    let v = verifier(&[ca.cert_der()], Vec::new(), false);
    let expired = ca.issue(&LeafSpec::new("x").expired()).unwrap();
    assert!(matches!(
        cert_error(verify_client(v.as_ref(), &expired.cert_der, &[])),
        CertificateError::Expired | CertificateError::ExpiredContext { .. }
    ));
    let future = ca.issue(&LeafSpec::new("x").not_yet_valid()).unwrap();
    assert!(matches!(
        cert_error(verify_client(v.as_ref(), &future.cert_der, &[])),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }
    ));
}

#[test]
fn server_only_certificate_is_refused_as_a_client() {
    let ca = Authority::for_province("33").unwrap();
    let leaf = ca.issue(&LeafSpec::station("zj-x", &[]).eku(Eku::ServerOnly)).unwrap();
    let v = verifier(&[ca.cert_der()], Vec::new(), false);
    assert!(matches!(
        cert_error(verify_client(v.as_ref(), &leaf.cert_der, &[])),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. }
    ));
}

#[test]
fn expired_crl_is_refused_when_expiry_is_enforced() {
    let ca = Authority::for_province("33").unwrap();
    let leaf = ca.issue(&LeafSpec::new("x")).unwrap();
    let crl = ca.crl(&CrlSpec::expired(1)).unwrap();
    let lax = verifier(&[ca.cert_der()], vec![crl.der.clone()], false);
    verify_client(lax.as_ref(), &leaf.cert_der, &[]).unwrap();
    let strict = verifier(&[ca.cert_der()], vec![crl.der], true);
    assert!(matches!(
        cert_error(verify_client(strict.as_ref(), &leaf.cert_der, &[])),
        CertificateError::ExpiredRevocationList | CertificateError::ExpiredRevocationListContext { .. }
    ));
}

#[test]
fn revoking_an_intermediate_cuts_off_its_leaves() {
    let root = Authority::for_province("35").unwrap();
    let intermediate = root.issue_intermediate("福建省 中间CA").unwrap();
    let leaf = intermediate.issue(&LeafSpec::officer("fj-x", "1", "丁")).unwrap();
    let chain = [intermediate.cert_der().clone()];

    let v = verifier(&[root.cert_der()], Vec::new(), false);
    verify_client(v.as_ref(), &leaf.cert_der, &chain).unwrap();

    let root_crl = root.crl(&CrlSpec::with_default_validity(2).revoke(intermediate.serial().to_vec())).unwrap();
    let int_crl = intermediate.crl(&CrlSpec::with_default_validity(1)).unwrap();
    let v = verifier(&[root.cert_der()], vec![root_crl.der, int_crl.der], true);
    assert_eq!(cert_error(verify_client(v.as_ref(), &leaf.cert_der, &chain)), CertificateError::Revoked);
}
