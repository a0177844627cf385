//! What goes into certificates, checked by parsing them back.

use time::{Duration, OffsetDateTime};

use super::{ekus, parse, sans};
use crate::pki::*;

fn zj() -> Authority {
    Authority::for_province("33").unwrap()
}

#[test]
fn station_certificate_names_the_station_and_serves_loopback() {
    let leaf = zj().issue(&LeafSpec::station("zj-taishun-luoyang", &["luoyang.tiemeng.test".into()])).unwrap();
    let cert = parse(&leaf.cert_der);
    let (dns, uris, ips) = sans(&cert);
    assert_eq!(dns, ["luoyang.tiemeng.test", "localhost"]);
    assert_eq!(uris, ["urn:tiemeng:station:zj-taishun-luoyang"]);
    assert_eq!(ips, ["127.0.0.1"]);
    assert_eq!(ekus(&cert), Some((true, true)));
    assert!(!cert.is_ca());
}

#[test]
fn officer_certificate_is_client_only_with_unicode_name() {
    let leaf = zj().issue(&LeafSpec::officer("zj-taishun-luoyang", "330329001", "陈志强")).unwrap();
    let cert = parse(&leaf.cert_der);
    assert_eq!(ekus(&cert), Some((false, true)));
    let (dns, uris, ips) = sans(&cert);
    assert!(dns.is_empty() && ips.is_empty());
    assert_eq!(uris, ["urn:tiemeng:officer:zj-taishun-luoyang:330329001"]);
    let cn = cert.subject().iter_common_name().next().unwrap();
    assert_eq!(cn.as_str().unwrap(), "陈志强");
    let o = cert.subject().iter_organization().next().unwrap();
    assert_eq!(o.as_str().unwrap(), DEV_ORGANIZATION);
}

#[test]
fn no_eku_variant_has_no_eku_extension() {
    let spec = LeafSpec::officer("zj-x", "1", "无EKU").eku(Eku::None);
    let leaf = zj().issue(&spec).unwrap();
    assert_eq!(ekus(&parse(&leaf.cert_der)), None);
}

#[test]
fn server_only_variant_lacks_client_auth() {
    let leaf = zj().issue(&LeafSpec::station("zj-x", &[]).eku(Eku::ServerOnly)).unwrap();
    assert_eq!(ekus(&parse(&leaf.cert_der)), Some((true, false)));
}

#[test]
fn explicit_serial_is_the_certificates_serial() {
    let serial = vec![0x12, 0x34, 0x56];
    let leaf = zj().issue(&LeafSpec::new("x").serial(serial.clone())).unwrap();
    assert_eq!(leaf.serial, serial);
    assert_eq!(parse(&leaf.cert_der).raw_serial(), serial.as_slice());
}

#[test]
fn random_serial_is_readable_back() {
    let leaf = zj().issue(&LeafSpec::new("x")).unwrap();
    assert_eq!(leaf.serial.len(), 16);
    assert_eq!(parse(&leaf.cert_der).raw_serial(), leaf.serial.as_slice());
}

#[test]
fn default_validity_is_an_hour_back_and_397_days_ahead() {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let leaf = zj().issue(&LeafSpec::new("x")).unwrap();
    let validity = parse(&leaf.cert_der).validity().clone();
    let before = validity.not_before.timestamp();
    let after = validity.not_after.timestamp();
    assert!((before - (now - 3600)).abs() < 60);
    assert!((after - (now + 397 * 86400)).abs() < 60);
}

#[test]
fn expired_and_future_specs_are_outside_validity() {
    let ca = zj();
    let expired = parse(&ca.issue(&LeafSpec::new("x").expired()).unwrap().cert_der).validity().clone();
    assert!(!expired.is_valid());
    assert!(expired.not_after.timestamp() < OffsetDateTime::now_utc().unix_timestamp());
    let future = parse(&ca.issue(&LeafSpec::new("x").not_yet_valid()).unwrap().cert_der).validity().clone();
    assert!(future.not_before.timestamp() > OffsetDateTime::now_utc().unix_timestamp());
}

#[test]
fn root_and_intermediate_are_cas_with_the_right_path_length() {
    let root = zj();
    let root_cert = parse(root.cert_der());
    let bc = root_cert.basic_constraints().unwrap().unwrap().value;
    assert!(bc.ca && bc.path_len_constraint.is_none());
    assert_eq!(root_cert.subject().iter_common_name().next().unwrap().as_str().unwrap(), "浙江省公安厅 铁盟测试根CA");
    let intermediate = root.issue_intermediate("浙江省 中间CA").unwrap();
    let int_cert = parse(intermediate.cert_der());
    let bc = int_cert.basic_constraints().unwrap().unwrap().value;
    assert!(bc.ca && bc.path_len_constraint == Some(0));
    assert_eq!(int_cert.issuer().as_raw(), root_cert.subject().as_raw());
    assert_eq!(int_cert.raw_serial(), intermediate.serial());
}

#[test]
fn crl_lists_revoked_serials_with_number_and_next_update() {
    let ca = zj();
    let leaf = ca.issue(&LeafSpec::officer("zj-x", "1", "甲")).unwrap();
    let spec = CrlSpec::new(7, Duration::days(3)).revoke(leaf.serial.clone());
    let crl = ca.crl(&spec).unwrap();
    assert!(crl.pem.starts_with("-----BEGIN X509 CRL-----"));
    let (_, parsed) = x509_parser::parse_x509_crl(&crl.der).unwrap();
    let serials: Vec<&[u8]> = parsed.iter_revoked_certificates().map(|r| r.raw_serial()).collect();
    assert_eq!(serials, [leaf.serial.as_slice()]);
    assert_eq!(parsed.crl_number().unwrap().to_u64_digits(), [7]);
    assert_eq!(parsed.next_update().unwrap().timestamp(), spec.next_update.unix_timestamp());
    assert_eq!(parsed.issuer().as_raw(), parse(ca.cert_der()).subject().as_raw());
}

#[test]
fn expired_crl_has_next_update_in_the_past() {
    let crl = zj().crl(&CrlSpec::expired(2)).unwrap();
    let (_, parsed) = x509_parser::parse_x509_crl(&crl.der).unwrap();
    let next = parsed.next_update().unwrap().timestamp();
    assert!(next < OffsetDateTime::now_utc().unix_timestamp());
}

#[test]
fn debug_output_never_shows_private_keys() {
    let ca = zj();
    let leaf = ca.issue(&LeafSpec::new("x")).unwrap();
    assert!(!format!("{leaf:?}").contains("PRIVATE KEY"));
    assert!(!format!("{ca:?}").contains(&ca.key_pem()));
}

#[test]
fn leaves_name_where_their_crl_is_published() {
    let leaf = zj().issue(&LeafSpec::new("x")).unwrap();
    let cert = parse(&leaf.cert_der);
    let has_crl_point =
        cert.extensions().iter().any(|e| e.oid == x509_parser::oid_registry::OID_X509_EXT_CRL_DISTRIBUTION_POINTS);
    assert!(has_crl_point);
}
