//! Randomised config files: arbitrary text, and the example configs mutated line by line,
//! value by value and byte by byte. Parsing must never panic, every refusal must say what is
//! wrong, and a mutated config that parses and passes [`Config::check`] must still satisfy the
//! invariants written out again here, independently of the checker.

use std::fs;
use std::path::Path;

use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use proptest::sample::select;
use tempfile::TempDir;
use time::macros::datetime;

use super::*;
use crate::envelope::mutate::{ByteEdit, Sampler, byte_edit, cases, runner_cases};

const STATIONS: [&str; 3] = ["zj-taishun-luoyang", "fj-shouning-xixi", "zj-cangnan-mazhan"];

/// A folder laid out like a repository checkout: `config/` for the files under test, and
/// every file the example configs name under `certs/dev/`, peer public keys real.
struct Checkout {
    dir: TempDir,
}

impl Checkout {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let certs = dir.path().join("certs/dev");
        fs::create_dir_all(certs.join("ca")).unwrap();
        fs::create_dir_all(dir.path().join("config")).unwrap();
        for file in ["ca/33-ca.pem", "ca/35-ca.pem", "ca/33.crl.pem", "ca/35.crl.pem"] {
            fs::write(certs.join(file), b"dummy").unwrap();
        }
        for (seed, station) in (1u8..).zip(STATIONS) {
            let folder = certs.join("stations").join(station);
            fs::create_dir_all(&folder).unwrap();
            for file in ["tls.pem", "tls.key", "signing-k1.key"] {
                fs::write(folder.join(file), b"dummy").unwrap();
            }
            let public = crate::keys::format_public_key(&SigningKey::from_bytes(&[seed; 32]).verifying_key());
            fs::write(folder.join("signing-k1.pub"), format!("{public}\n")).unwrap();
        }
        Self { dir }
    }

    fn config_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("config")
    }
}

/// What [`Config::load`] does after reading the file, without writing one.
fn load_text(text: &str, base: &Path) -> Result<Config, (String, String)> {
    let mut config = Config::parse(text)?;
    config.resolve_paths(base);
    let said = |problem: Problem| (problem.key, problem.en);
    config.read_key_files().map_err(said)?;
    config.check().map_err(said)?;
    Ok(config)
}

/// The three example configs, every one valid as it stands.
fn originals() -> Vec<String> {
    crate::devnet::example_configs().into_iter().map(|(_, text)| text).collect()
}

/// A change to a config text.
#[derive(Debug, Clone)]
enum TextEdit {
    /// Removes a line.
    DeleteLine(usize),
    /// Writes a line twice.
    DuplicateLine(usize),
    /// Exchanges two lines.
    SwapLines(usize, usize),
    /// Replaces the value of a `key = value` line.
    Value(usize, String),
    /// Inserts lines before a line.
    Insert(usize, String),
    /// A byte edit of the whole text (made valid UTF-8 again, lossily).
    Bytes(ByteEdit),
}

impl TextEdit {
    fn apply(&self, text: &str) -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let len = lines.len().max(1);
        match self {
            Self::DeleteLine(i) if !lines.is_empty() => {
                lines.remove(i % len);
            }
            Self::DuplicateLine(i) if !lines.is_empty() => {
                let line = lines[i % len].clone();
                lines.insert(i % len, line);
            }
            Self::SwapLines(a, b) if !lines.is_empty() => lines.swap(a % len, b % len),
            Self::Value(i, value) => {
                let assignments: Vec<usize> = (0..lines.len()).filter(|&n| lines[n].contains(" = ")).collect();
                if let Some(&n) = assignments.get(i % assignments.len().max(1)) {
                    let key = lines[n].split(" = ").next().unwrap_or_default().to_owned();
                    lines[n] = format!("{key} = {value}");
                }
            }
            Self::Insert(i, more) => lines.insert(i % (lines.len() + 1), more.clone()),
            Self::Bytes(edit) => return String::from_utf8_lossy(&edit.apply(text.as_bytes())).into_owned(),
            _ => {}
        }
        lines.join("\n")
    }
}

/// Values an admin might write, or mistype; deadline spans stay small enough not to overflow
/// (the overflow is pinned separately below).
fn toml_value() -> impl Strategy<Value = String> {
    select(vec![
        "0",
        "-1",
        "1",
        "7",
        "8",
        "120",
        "121",
        "300",
        "3600",
        "3601",
        "1000",
        "1001",
        "86400",
        "86401",
        "9223372036854775807",
        "18446744073709551616",
        "1.5",
        "inf",
        "nan",
        "true",
        "\"\"",
        "\" \"",
        "\"https://localhost:7443\"",
        "\"http://localhost:7443\"",
        "\"zj-taishun-luoyang\"",
        "\"fj-shouning-xixi\"",
        "\"ZJ-Taishun\"",
        "\"../certs/dev/ca/35-ca.pem\"",
        "\"missing.pem\"",
        "\"1.2.3.4:99999\"",
        "\"[::1]:7443\"",
        "\"10m\"",
        "\"8h\"",
        "\"0h\"",
        "\"3d\"",
        "\"1s\"",
        "\"999999d\"",
        "\"-5m\"",
        "\"10w\"",
        "\"2026-01-01T00:00:00Z\"",
        "2026-01-01T00:00:00Z",
        "\"330329\"",
        "\"33032\"",
        "\"k1\"",
        "\"k 1\"",
        "[]",
        "[\"liaison\"]",
        "[\"liaison\", \"liaison\"]",
        "[\"god\"]",
        "{}",
        "[{ id = \"k1\", public = \"AAAA\" }]",
        "[{ id = \"k1\" }]",
        "\"未知\"",
        "\"\\u0000\"",
    ])
    .prop_map(str::to_owned)
}

fn toml_lines() -> impl Strategy<Value = String> {
    select(vec![
        "[federation]",
        "[federation]\nclock_skew_secs = 3601",
        "[federation]\nbatch_size = 0",
        "[deadlines.urgent]\nack = \"10m\"\nreport = \"5m\"",
        "[deadlines.kinds.missing_person.urgent]\nack = \"1m\"\nreport = \"2m\"",
        "[deadlines.kinds.burglary.urgent]\nack = \"1m\"\nreport = \"2m\"",
        "[[officers]]\nbadge = \"330329001\"\nname = \"重复\"\nroles = [\"duty\"]",
        "[[officers]]\nbadge = \"999\"\nname = \" \"\nroles = [\"duty\"]",
        "[[peers]]\nid = \"zj-taishun-luoyang\"\nname = \"自己\"\ndivision = \"330329\"\nurl = \"https://x\"\nkeys = []",
        "[[signing_keys]]\nid = \"k1\"\nfile = \"x\"",
        "[station]",
        "unknown = 1",
        "[server]\nlisten = \"0.0.0.0:1\"",
        "# 注释",
        "",
        "\"",
        "[",
        "a.b.c = 1",
    ])
    .prop_map(str::to_owned)
}

fn text_edit() -> impl Strategy<Value = TextEdit> {
    prop_oneof![
        2 => any::<usize>().prop_map(TextEdit::DeleteLine),
        1 => any::<usize>().prop_map(TextEdit::DuplicateLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| TextEdit::SwapLines(a, b)),
        4 => (any::<usize>(), toml_value()).prop_map(|(i, v)| TextEdit::Value(i, v)),
        2 => (any::<usize>(), toml_lines()).prop_map(|(i, l)| TextEdit::Insert(i, l)),
        2 => byte_edit().prop_map(TextEdit::Bytes),
    ]
}

/// The invariants an accepted config promises, restated.
fn invariants(config: &Config) -> Result<(), TestCaseError> {
    prop_assert!(!config.station.name.trim().is_empty());
    prop_assert!(config.server.public_url.starts_with("https://"));
    prop_assert!((1..=120).contains(&config.server.handshake_timeout_secs));
    prop_assert!(config.storage.cache_mb >= 8);
    prop_assert!(!config.signing_keys.is_empty());
    let mut key_ids = std::collections::BTreeSet::new();
    for key in &config.signing_keys {
        prop_assert!(crate::ids::KeyRef::new(config.station.id.clone(), &key.id).is_ok());
        prop_assert!(key_ids.insert(&key.id), "signing key {} twice", key.id);
        prop_assert!(key.file.is_file());
        prop_assert!(!matches!((key.valid_from, key.valid_until), (Some(from), Some(until)) if from >= until));
    }
    let mut peers = std::collections::BTreeSet::new();
    for peer in &config.peers {
        prop_assert!(peer.id != config.station.id && peers.insert(&peer.id), "peer {} repeated or self", peer.id);
        prop_assert!(peer.url.starts_with("https://"));
        prop_assert!(!peer.keys.is_empty());
        let mut ids = std::collections::BTreeSet::new();
        for key in &peer.keys {
            prop_assert!(ids.insert(&key.id));
            let public = crate::keys::parse_public_key(Config::public_text(key));
            prop_assert!(public.is_ok_and(|k| !k.is_weak()), "peer key {} unusable", key.id);
        }
    }
    let mut badges = std::collections::BTreeSet::new();
    for officer in &config.officers {
        prop_assert!(badges.insert(&officer.badge) && !officer.roles.is_empty() && !officer.name.trim().is_empty());
    }
    for (label, windows) in config.deadlines.all() {
        prop_assert!(Duration::ZERO < windows.ack.0 && windows.ack.0 < windows.report.0, "{label}");
    }
    prop_assert!(config.federation.clock_skew_secs <= 3600);
    prop_assert_eq!(config.clock_skew(), Duration::seconds(config.federation.clock_skew_secs.try_into().unwrap()));
    prop_assert!((1..=1000).contains(&config.federation.batch_size));
    prop_assert!((1..=86_400).contains(&config.federation.max_backoff_secs));
    Ok(())
}

/// Parses and checks `text`; a refusal must say what is wrong, an acceptance must keep the
/// invariants.
fn judge(text: &str, base: &Path) -> Result<bool, TestCaseError> {
    match load_text(text, base) {
        Ok(config) => {
            invariants(&config)?;
            Ok(true)
        }
        Err((key, message)) => {
            prop_assert!(!message.trim().is_empty(), "an error without a message at key {key:?}");
            Ok(false)
        }
    }
}

#[test]
fn the_example_configs_pass_in_the_checkout_layout() {
    let checkout = Checkout::new();
    for text in originals() {
        let config = load_text(&text, &checkout.config_dir()).unwrap();
        invariants(&config).unwrap();
    }
}

/// Text made of the characters TOML is made of.
const TOMLISH: &str = "[\\[\\]a-z_.=\" \n0-9{},#]{0,200}";

proptest! {
    #![proptest_config(cases(2048))]

    #[test]
    fn arbitrary_text_never_panics_the_parser(text in prop_oneof![any::<String>(), TOMLISH]) {
        if let Err((_, message)) = Config::parse(&text) {
            prop_assert!(!message.trim().is_empty());
        }
    }
}

proptest! {
    #![proptest_config(cases(1024))]

    #[test]
    fn a_mutated_config_is_refused_with_a_message_or_keeps_every_invariant(
        which in 0usize..3,
        edits in proptest::collection::vec(text_edit(), 1..4),
    ) {
        let checkout = CHECKOUT.with(|c| c.config_dir());
        let text = edits.iter().fold(originals()[which].clone(), |t, e| e.apply(&t));
        judge(&text, &checkout)?;
    }
}

thread_local! {
    /// One checkout per test thread, shared by the cases of a property.
    static CHECKOUT: Checkout = Checkout::new();
}

#[test]
fn config_load_errors_name_the_file_and_say_what_is_wrong() {
    let checkout = Checkout::new();
    let file = checkout.config_dir().join("mutated.toml");
    let mut runner = proptest::test_runner::TestRunner::new(runner_cases(128));
    let strategy = (0usize..3, proptest::collection::vec(text_edit(), 1..4));
    runner
        .run(&strategy, |(which, edits)| {
            let text = edits.iter().fold(originals()[which].clone(), |t, e| e.apply(&t));
            fs::write(&file, &text).unwrap();
            if let Err(error) = Config::load(&file) {
                prop_assert_eq!(&error.file, &file);
                prop_assert!(!error.message.trim().is_empty());
                prop_assert!(error.to_string().contains(&file.display().to_string()));
            }
            Ok(())
        })
        .unwrap();
}

/// The mutations must reach both accepted and refused configs, or the property says nothing.
#[test]
fn the_mutations_reach_accepted_and_refused_configs() {
    let checkout = Checkout::new();
    let mut sampler = Sampler::seeded(11);
    let strategy = (0usize..3, proptest::collection::vec(text_edit(), 1..4));
    let accepted = (0..1000)
        .filter(|_| {
            let (which, edits) = sampler.draw(&strategy);
            let text = edits.iter().fold(originals()[which].clone(), |t, e| e.apply(&t));
            load_text(&text, &checkout.config_dir()).is_ok()
        })
        .count();
    println!("configs mutated 1000, accepted {accepted}");
    assert!((50..950).contains(&accepted), "{accepted} of 1000 mutated configs accepted");
}

// --- found by the fuzzing above, kept as failing tests -----------------------------------

/// A deadline window written with an enormous number overflows `time::Duration` while the
/// file is parsed: `Span::from_str` multiplies with `Duration::minutes/hours/days`, which
/// panic on overflow instead of returning an error.
#[test]
fn a_huge_deadline_span_is_refused_not_a_panic() {
    for span in ["200000000000000000m", "3000000000000000h", "200000000000000d"] {
        let text = format!("{}\n[deadlines.urgent]\nack = \"{span}\"\nreport = \"{span}\"\n", originals()[0]);
        let parsed = std::panic::catch_unwind(|| Config::parse(&text).map(|_| ()));
        assert!(parsed.is_ok(), "Config::parse panicked on ack = {span:?}");
        assert!(parsed.unwrap().is_err(), "{span} accepted");
    }
}

/// `check()` accepts windows so long that the deadline of a request sent now cannot be
/// represented, and `NewCase` sending computes `at + window` with `+`, which panics.
#[test]
fn every_accepted_deadline_window_gives_a_representable_deadline() {
    let checkout = Checkout::new();
    let text = format!("{}\n[deadlines.routine]\nack = \"1d\"\nreport = \"3000000d\"\n", originals()[0]);
    assert!(load_text(&text, &checkout.config_dir()).is_err(), "a window of 3,000,000 days is refused");
    let config = load_text(&originals()[0], &checkout.config_dir()).expect("the original is accepted");
    let now = datetime!(2026-11-23 08:00 UTC);
    for (label, windows) in config.deadlines.all() {
        assert!(
            now.checked_add(windows.report.0).is_some(),
            "deadlines.{label}: {} days",
            windows.report.0.whole_days()
        );
    }
}
