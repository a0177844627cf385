//! External checks against a live node: schemathesis fuzzes the served OpenAPI document
//! (no server errors, every response conforms), and testssl.sh inspects the TLS endpoint
//! (TLS 1.2/1.3 only, strong suites, no high-severity finding). Both tools are installed by
//! `.ci/run`; without them these tests fail rather than skip. Reports are kept in
//! `target/external-artifacts/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{As, LUOYANG, Net, XIXI};

fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("external-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn require(tool: &str) -> PathBuf {
    let found = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).map(|dir| dir.join(tool)).find(|p| p.is_file()));
    found.unwrap_or_else(|| panic!("{tool} is not installed; .ci/run installs it (see the README's test section)"))
}

/// Runs schemathesis as one identity and returns (success, report).
fn schemathesis(net: &Net, cert: &Path, key: &Path, name: &str) -> (bool, String) {
    let output = Command::new(require("schemathesis"))
        .args(["run", &format!("{}/api/v1/openapi.json", net.url(LUOYANG))])
        .arg("--tls-verify")
        .arg(&net.devnet.layout.ca_bundle)
        .arg("--request-cert")
        .arg(cert)
        .arg("--request-cert-key")
        .arg(key)
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance",
            "--max-examples",
            "25",
            "--generation-deterministic",
            // One worker: with two, Hypothesis parses its strategies' lambdas from two threads
            // at once, and CPython 3.11 then sometimes raises a spurious "AST constructor
            // recursion depth mismatch" (python/cpython#106905) that reads as a failed run.
            "--workers",
            "1",
            // The event stream answers for as long as the client listens: it has its own tests.
            "--exclude-path",
            "/api/v1/events",
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    std::fs::write(artifacts().join(format!("schemathesis-{name}.txt")), &report).unwrap();
    (output.status.success(), report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_nonconforming_response() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    // Some cases to work on, so that case routes reach their handlers.
    let liaison = net.officer(LUOYANG, As::Liaison);
    for kind in tiemeng::domain::details::CaseKind::ALL {
        let request = tiemeng::samples::sample(kind, vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
        liaison.create_case(&request).await.unwrap();
    }
    for role in [As::Liaison, As::Duty, As::Chief, As::Admin] {
        let (cert, key) = net.officer_files(LUOYANG, role);
        let name = format!("{role:?}").to_lowercase();
        let (ok, report) = tokio::task::block_in_place(|| schemathesis(&net, &cert, &key, &name));
        assert!(ok, "schemathesis as {name} failed:\n{report}");
    }
    let station = net.devnet.layout.station(XIXI).unwrap();
    let (ok, report) = tokio::task::block_in_place(|| schemathesis(&net, &station.tls_cert, &station.tls_key, "peer"));
    assert!(ok, "schemathesis as a peer station failed:\n{report}");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn testssl_sees_only_modern_tls_and_no_high_severity_finding() {
    let net = Net::start(&[LUOYANG]).await;
    let json = artifacts().join("testssl.json");
    let _ = std::fs::remove_file(&json);
    let target = net.url(LUOYANG);
    let output = tokio::task::block_in_place(|| {
        Command::new(require("testssl"))
            .args(["--quiet", "--color", "0", "--warnings", "off", "--fast", "--add-ca"])
            .arg(&net.devnet.layout.ca_bundle)
            .arg("--jsonfile")
            .arg(&json)
            .arg(&target)
            .output()
            .unwrap()
    });
    std::fs::write(artifacts().join("testssl.txt"), &output.stdout).unwrap();
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let finding = |id: &str| {
        findings.iter().find(|f| f["id"] == id).map(|f| f["finding"].as_str().unwrap_or_default().to_owned())
    };
    for old in ["SSLv2", "SSLv3", "TLS1", "TLS1_1"] {
        assert_eq!(finding(old).as_deref(), Some("not offered"), "{old} must not be offered");
    }
    assert_eq!(finding("TLS1_2").as_deref(), Some("offered"));
    assert!(finding("TLS1_3").is_some_and(|f| f.starts_with("offered")));
    let serious: Vec<&serde_json::Value> =
        findings.iter().filter(|f| matches!(f["severity"].as_str(), Some("HIGH" | "CRITICAL" | "MEDIUM"))).collect();
    assert!(serious.is_empty(), "testssl found: {serious:#?}");
    net.shutdown().await;
}
