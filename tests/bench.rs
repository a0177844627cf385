//! `tiemeng bench` itself: every scenario runs to the end at the smallest scale and reports
//! what it checked. The figures mean nothing at this scale and are not asserted (speed is
//! measured by the benchmark, not timed in tests); what is asserted is that the harness still
//! runs real nodes, moves real data and writes its report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn every_scenario_runs_and_reports_what_it_checked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("BENCHMARKS.md");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng"))
        .args(["bench", "--quick", "--cases", "300", "--secs", "0.5", "--soak-secs", "2", "--out"])
        .arg(&out)
        .arg("--work-dir")
        .arg(dir.path().join("work"))
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "a scenario failed to run:\n{table}\n{}", String::from_utf8_lossy(&run.stderr));

    let report = std::fs::read_to_string(&out).unwrap();
    for section in [
        "## 1. Durable signed intake",
        "## 2. Compute efficiency",
        "## 3. Federation latency",
        "## 4. Backlog drain",
        "## 5. Statistics at scale",
        "## 6. Start-up",
        "## 7. Memory",
        "## 8. Federation at scale",
        "## 9. A backup of",
        "## 10. The desk's live events",
        "## 11. Search with",
        "## 12. An attachment of 20 MB",
    ] {
        assert!(report.contains(section), "{section} missing from the report");
    }
    assert!(report.contains("- Command: `"), "the report names the command that reproduces it");
    assert!(
        report.contains("- Memory: a new file written, then the same pages written again: ")
            && report.contains("MB/s after them"),
        "the report says how this machine wrote into fresh memory after the scenarios"
    );
    assert!(
        report.contains("`tiemeng bench-node --reference` process of its own"),
        "the compute reference was timed in a process of its own"
    );
    assert!(
        report.contains("intake ceiling: all cores on signing, storing") && report.contains(" µs insert + "),
        "the intake section shows the most this machine could take, from operations timed in the same run"
    );
    assert!(table.contains("0 / 0 / in order"), "the drain lost, doubled or reordered nothing:\n{table}");
    assert!(report.contains("they agree"), "the statistics equal a recount from the stored cases");
    assert!(report.contains("The scan's newest 50 equal the index's first page"), "search finds what a scan finds");
    assert!(!report.contains("FAILED"), "{report}");
}
