//! Tests that look at the generated certificates from outside: parsed with
//! x509-parser, verified with rustls' own client verifier (the one nodes use).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod certs;
mod dev;
mod verify;

use std::sync::Arc;

use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, UnixTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

/// Parses a DER certificate, failing the test on trailing data.
fn parse(der: &[u8]) -> X509Certificate<'_> {
    let (rest, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    assert!(rest.is_empty());
    cert
}

/// SAN entries as (dns names, uris, ips as text).
fn sans(cert: &X509Certificate<'_>) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut dns, mut uris, mut ips) = (Vec::new(), Vec::new(), Vec::new());
    let san = cert.subject_alternative_name().unwrap().unwrap().value;
    for name in &san.general_names {
        match name {
            GeneralName::DNSName(d) => dns.push((*d).to_owned()),
            GeneralName::URI(u) => uris.push((*u).to_owned()),
            GeneralName::IPAddress(b) => {
                let octets: [u8; 4] = (*b).try_into().unwrap();
                ips.push(std::net::Ipv4Addr::from(octets).to_string());
            }
            other => panic!("unexpected SAN {other:?}"),
        }
    }
    (dns, uris, ips)
}

/// (serverAuth, clientAuth), or `None` when there is no EKU extension at all.
fn ekus(cert: &X509Certificate<'_>) -> Option<(bool, bool)> {
    let eku = cert.extended_key_usage().unwrap()?;
    Some((eku.value.server_auth, eku.value.client_auth))
}

/// The rustls client-certificate verifier a node builds: only the given roots,
/// the given CRLs, and (optionally) stale CRLs refused.
fn verifier(
    roots: &[&CertificateDer<'static>],
    crls: Vec<CertificateRevocationListDer<'static>>,
    enforce_crl_expiry: bool,
) -> Arc<dyn ClientCertVerifier> {
    let mut store = RootCertStore::empty();
    for root in roots {
        store.add((*root).clone()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut builder = WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider).with_crls(crls);
    if enforce_crl_expiry {
        builder = builder.enforce_revocation_expiration();
    }
    builder.build().unwrap()
}

/// Runs the verifier on a client chain, now.
fn verify_client(
    verifier: &dyn ClientCertVerifier,
    leaf: &CertificateDer<'static>,
    intermediates: &[CertificateDer<'static>],
) -> Result<(), rustls::Error> {
    verifier.verify_client_cert(leaf, intermediates, UnixTime::now()).map(|_| ())
}
