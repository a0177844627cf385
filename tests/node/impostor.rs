//! Certificates built the way an attacker would build them, outside the node's own PKI code:
//! a genuine certificate from the neighbouring province's CA, dressed up with made-up
//! "intermediates" whose names point at this station's own CA. Which CA vouches for a caller
//! must come from the path that verification built, never from the names of the extra
//! certificates a client chooses to send. Every route family is tried, and nothing may change.

use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, IsCa, Issuer, KeyPair};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::*;

/// A certificate and its key as the attacker holds them.
struct Leaf {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

/// The CA certificate of `province` as every node holds it (public).
fn ca_cert(net: &Net, province: &str) -> CertificateDer<'static> {
    let path = &net.devnet.layout.authority(province).unwrap().cert;
    tiemeng::tls::load_certs(path).unwrap().remove(0)
}

fn subject(cert: &CertificateDer<'_>) -> Vec<u8> {
    X509Certificate::from_der(cert.as_ref()).unwrap().1.subject().as_raw().to_vec()
}

fn issuer(cert: &CertificateDer<'_>) -> Vec<u8> {
    X509Certificate::from_der(cert.as_ref()).unwrap().1.issuer().as_raw().to_vec()
}

/// A genuine leaf that `province`'s CA issued (the attacker obtained it honestly, as an
/// officer or station of that province, or stole it).
fn issued_by(net: &Net, province: &str, spec: &LeafSpec) -> Leaf {
    let authority = pki::load_ca(net.devnet.layout.authority(province).unwrap()).unwrap();
    leaf_of(&authority, spec)
}

fn leaf_of(authority: &Authority, spec: &LeafSpec) -> Leaf {
    let leaf = authority.issue(spec).unwrap();
    Leaf { cert: leaf.cert_der.clone(), key: leaf.key_der() }
}

/// The subject name of `cert`, attribute by attribute, so that rcgen writes it out again byte
/// for byte.
fn name_of(cert: &CertificateDer<'_>) -> DistinguishedName {
    let (_, parsed) = X509Certificate::from_der(cert.as_ref()).unwrap();
    let mut name = DistinguishedName::new();
    for attribute in parsed.subject().iter_attributes() {
        let oid: Vec<u64> = attribute.attr_type().iter().unwrap().collect();
        let text = attribute.as_str().unwrap().to_owned();
        let value = match attribute.attr_value().header.tag() {
            x509_parser::der_parser::asn1_rs::Tag::PrintableString => {
                DnValue::PrintableString(text.try_into().unwrap())
            }
            _ => DnValue::Utf8String(text),
        };
        name.push(DnType::from_oid(&oid), value);
    }
    name
}

/// Parameters of a CA certificate named like `cert`.
fn ca_named_like(cert: &CertificateDer<'_>) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name_of(cert);
    params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
}

/// A made-up CA certificate, signed by the attacker's own key, whose subject is the name of
/// `subject_ca` and whose issuer is the name of `issuer_ca`: it chains the two by names only.
fn bridge(subject_ca: &CertificateDer<'_>, issuer_ca: &CertificateDer<'_>) -> CertificateDer<'static> {
    let own_key = KeyPair::generate().unwrap();
    let signer = Issuer::new(ca_named_like(issuer_ca), KeyPair::generate().unwrap());
    let fake = ca_named_like(subject_ca).signed_by(&own_key, &signer).unwrap().der().clone();
    assert_eq!(subject(&fake), subject(subject_ca), "the fake carries the real subject name, byte for byte");
    assert_eq!(issuer(&fake), subject(issuer_ca), "and the real issuer name");
    fake
}

/// A made-up, self-signed root carrying the name of `ca`.
fn self_signed_like(ca: &CertificateDer<'_>) -> CertificateDer<'static> {
    let fake = ca_named_like(ca).self_signed(&KeyPair::generate().unwrap()).unwrap().der().clone();
    assert_eq!(subject(&fake), subject(ca));
    fake
}

/// An HTTP client presenting `chain` (leaf first) with the leaf's key.
fn presenting(net: &Net, chain: Vec<CertificateDer<'static>>, key: &PrivateKeyDer<'static>) -> reqwest::Client {
    let roots = tiemeng::tls::load_roots(&net.devnet.layout.ca_bundle).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(tiemeng::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key.clone_key())
        .unwrap();
    reqwest::Client::builder().use_preconfigured_tls(config).build().unwrap()
}

/// What a request got: no HTTP answer at all (TLS refused the certificate), or a status and
/// the problem's code.
#[derive(Debug)]
enum Answer {
    NoResponse,
    Status(u16, String),
}

impl Answer {
    fn refused(&self) -> bool {
        match self {
            Self::NoResponse => true,
            Self::Status(status, _) => (400..500).contains(status),
        }
    }
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    match request.send().await {
        Err(_) => Answer::NoResponse,
        Ok(response) => {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            // The console answers with a page, the API with a problem report and its code.
            let code = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["code"].as_str().map(str::to_owned))
                .unwrap_or_else(|| if text.contains("仅限民警使用") { "console_refusal".into() } else { text });
            Answer::Status(status, code)
        }
    }
}

/// Every officer route family: the API, a case sent in our name, the console, the admin
/// pages, metrics and a full backup.
async fn officer_routes(net: &Net, client: &reqwest::Client) -> Vec<(&'static str, Answer)> {
    let base = net.url(LUOYANG);
    let case = samples::sample(CaseKind::MissingPerson, vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
    vec![
        ("GET /api/v1/me", send(client.get(format!("{base}/api/v1/me"))).await),
        ("POST /api/v1/cases", send(client.post(format!("{base}/api/v1/cases")).json(&case)).await),
        ("GET /api/v1/inbox", send(client.get(format!("{base}/api/v1/inbox"))).await),
        ("GET /console", send(client.get(format!("{base}/console"))).await),
        ("GET /console/peers", send(client.get(format!("{base}/console/peers"))).await),
        ("GET /api/v1/peers", send(client.get(format!("{base}/api/v1/peers"))).await),
        ("GET /metrics", send(client.get(format!("{base}/metrics"))).await),
        ("POST /api/v1/admin/backup", send(client.post(format!("{base}/api/v1/admin/backup"))).await),
    ]
}

/// Every federation route, with a request that 马站 really signed: if the certificate were
/// taken for 马站's, the envelope would be stored.
async fn federation_routes(net: &Net, client: &reqwest::Client) -> Vec<(&'static str, Answer)> {
    let base = net.url(LUOYANG);
    let now = time::OffsetDateTime::now_utc();
    let request = net.request(MAZHAN, vec![LUOYANG.parse().unwrap()], "冒名递送", now);
    let wire = request.seal(&net.signer(MAZHAN)).unwrap().wire();
    let mut batch = b"{\"envelopes\":[".to_vec();
    batch.extend_from_slice(&wire);
    batch.extend_from_slice(b"]}");
    let ask = tiemeng::envelope::ReconcileAsk {
        v: tiemeng::envelope::VERSION,
        from: MAZHAN.parse().unwrap(),
        to: LUOYANG.parse().unwrap(),
        since: now - time::Duration::hours(1),
        at: now,
    };
    let ask = ask.seal(&net.signer(MAZHAN)).unwrap().wire();
    let json = |r: reqwest::RequestBuilder| r.header(reqwest::header::CONTENT_TYPE, "application/json");
    vec![
        ("GET /fed/v1/keys", send(client.get(format!("{base}/fed/v1/keys"))).await),
        ("POST /fed/v1/hello", send(client.post(format!("{base}/fed/v1/hello"))).await),
        ("POST /fed/v1/inbox", send(json(client.post(format!("{base}/fed/v1/inbox"))).body(batch)).await),
        ("POST /fed/v1/reconcile", send(json(client.post(format!("{base}/fed/v1/reconcile"))).body(ask)).await),
    ]
}

/// What 罗阳 holds: the size of every tree, and the length of the audit chain.
fn holdings(net: &Net) -> (Vec<(&'static str, usize)>, u64) {
    let store = net.node(LUOYANG).store();
    (store.tree_sizes().unwrap(), store.verify_audit().unwrap())
}

fn assert_all_refused(label: &str, answers: &[(&str, Answer)]) {
    for (route, answer) in answers {
        assert!(answer.refused(), "{label}: {route} answered {answer:?}");
        if let Answer::Status(status, code) = answer {
            let expected = if route.contains("/console") { "console_refusal" } else { "foreign_issuer" };
            assert_eq!((*status, code.as_str()), (403, expected), "{label}: {route}");
        }
    }
}

#[tokio::test]
async fn a_neighbouring_ca_cannot_pass_as_ours_however_the_chain_is_dressed() {
    let net = Net::partial(&[LUOYANG, XIXI, MAZHAN], &[LUOYANG]).await;
    let (zhejiang, fujian) = (ca_cert(&net, "33"), ca_cert(&net, "35"));
    // 罗阳's admin, as Fujian's CA would issue it.
    let admin = LeafSpec::officer(LUOYANG, "330329090", "周文博");
    let impostor = issued_by(&net, "35", &admin);
    let fake = bridge(&fujian, &zhejiang);
    let fujian_intermediate =
        pki::load_ca(net.devnet.layout.authority("35").unwrap()).unwrap().issue_intermediate("福建 二级CA").unwrap();
    let via_intermediate = leaf_of(&fujian_intermediate, &admin);
    let chains: Vec<(&str, Vec<CertificateDer<'static>>, &PrivateKeyDer<'static>)> = vec![
        ("Fujian-issued, alone", vec![impostor.cert.clone()], &impostor.key),
        ("with a fake bridge to Zhejiang", vec![impostor.cert.clone(), fake.clone()], &impostor.key),
        ("with the fake bridge twice", vec![impostor.cert.clone(), fake.clone(), fake.clone()], &impostor.key),
        ("fake bridge before the real root", vec![impostor.cert.clone(), fake.clone(), fujian.clone()], &impostor.key),
        (
            "with a self-signed root named like Zhejiang's",
            vec![impostor.cert.clone(), fake.clone(), self_signed_like(&zhejiang)],
            &impostor.key,
        ),
        (
            "from a real Fujian intermediate",
            vec![via_intermediate.cert.clone(), fujian_intermediate.cert_der().clone()],
            &via_intermediate.key,
        ),
        (
            "from a real Fujian intermediate, bridged by name",
            vec![
                via_intermediate.cert.clone(),
                fujian_intermediate.cert_der().clone(),
                bridge(fujian_intermediate.cert_der(), &zhejiang),
            ],
            &via_intermediate.key,
        ),
    ];
    let before = holdings(&net);
    for (label, chain, key) in chains {
        let answers = officer_routes(&net, &presenting(&net, chain, key)).await;
        assert_all_refused(label, &answers);
    }
    assert_eq!(holdings(&net), before, "nothing was stored, read or audited for an impostor");

    // The real admin still gets in, and her certificate is Zhejiang's.
    let (cert, key) = net.officer_files(LUOYANG, As::Admin);
    let real = presenting(&net, tiemeng::tls::load_certs(&cert).unwrap(), &tiemeng::tls::load_key(&key).unwrap());
    let answers = officer_routes(&net, &real).await;
    let peers = answers.iter().find(|(route, _)| *route == "GET /api/v1/peers").unwrap();
    assert!(matches!(peers.1, Answer::Status(200, _)), "{:?}", peers.1);
    net.shutdown().await;
}

#[tokio::test]
async fn a_station_certificate_counts_only_from_the_ca_configured_for_that_peer() {
    let net = Net::partial(&[LUOYANG, XIXI, MAZHAN], &[LUOYANG]).await;
    let (zhejiang, fujian) = (ca_cert(&net, "33"), ca_cert(&net, "35"));
    let mazhan = LeafSpec::station(MAZHAN, &["localhost".to_owned()]);
    let from_fujian = issued_by(&net, "35", &mazhan);
    let xixi_from_zhejiang = issued_by(&net, "33", &LeafSpec::station(XIXI, &["localhost".to_owned()]));
    let chains: Vec<(&str, Vec<CertificateDer<'static>>, &PrivateKeyDer<'static>)> = vec![
        ("Zhejiang's 马站, issued by Fujian", vec![from_fujian.cert.clone()], &from_fujian.key),
        (
            "Zhejiang's 马站, issued by Fujian, bridged by name",
            vec![from_fujian.cert.clone(), bridge(&fujian, &zhejiang)],
            &from_fujian.key,
        ),
        ("Fujian's 犀溪, issued by Zhejiang", vec![xixi_from_zhejiang.cert.clone()], &xixi_from_zhejiang.key),
    ];
    let before = holdings(&net);
    for (label, chain, key) in chains {
        let answers = federation_routes(&net, &presenting(&net, chain, key)).await;
        assert_all_refused(label, &answers);
    }
    assert_eq!(holdings(&net), before, "nothing was stored for an impostor");

    // 马站's own certificate, from Zhejiang's CA, delivers the same envelope.
    let files = net.devnet.layout.station(MAZHAN).unwrap();
    let key = tiemeng::tls::load_key(&files.tls_key).unwrap();
    let real = presenting(&net, tiemeng::tls::load_certs(&files.tls_cert).unwrap(), &key);
    let answers = federation_routes(&net, &real).await;
    for (route, answer) in &answers {
        assert!(matches!(answer, Answer::Status(200..=299, _)), "{route}: {answer:?}");
    }
    assert_ne!(holdings(&net), before, "the real 马站's request is stored");
    net.shutdown().await;
}
