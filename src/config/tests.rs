//! Loading a station's config: a minimal valid one, and for each mistake an admin can make,
//! an error that names the file, the exact key and what is wrong.

use std::collections::BTreeSet;
use std::fs;

use base64::Engine;
use ed25519_dalek::SigningKey;
use tempfile::TempDir;

use super::*;
use crate::i18n::Lang;

/// 犀溪's public signing key, as its admin would paste it.
fn xixi_public_key() -> String {
    crate::keys::format_public_key(&SigningKey::from_bytes(&[2; 32]).verifying_key())
}

/// 马站's public signing key.
fn mazhan_public_key() -> String {
    crate::keys::format_public_key(&SigningKey::from_bytes(&[3; 32]).verifying_key())
}

/// The identity point (bytes 1, 0, 0, …): a small-order key under which every signature verifies.
fn weak_key() -> String {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(identity)
}

/// A minimal valid config; `{XIXI_KEY}` stands for 犀溪's public key, filled in when written.
const MINIMAL: &str = r#"
[station]
id = "zj-taishun-luoyang"
name = "泰顺县公安局罗阳派出所"
division = "330329"

[server]
listen = "127.0.0.1:7443"
public_url = "https://localhost:7443"

[storage]
data_dir = "data"

[tls]
home_ca = "33-ca.pem"
cert = "tls.pem"
key = "tls.key"

[[signing_keys]]
id = "k1"
file = "signing-k1.key"

[[peers]]
id = "fj-shouning-xixi"
name = "寿宁县公安局犀溪派出所"
division = "350924"
url = "https://localhost:7444"
ca = "35-ca.pem"
keys = [{ id = "k1", public = "{XIXI_KEY}" }]

[[officers]]
badge = "330329001"
name = "陈志强"
roles = ["liaison"]
"#;

/// A station folder holding the files the minimal config names.
struct Station {
    dir: TempDir,
}

impl Station {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // `load` only checks that these exist; their contents are the TLS layer's business.
        for file in ["33-ca.pem", "35-ca.pem", "tls.pem", "tls.key", "signing-k1.key"] {
            fs::write(dir.path().join(file), b"dummy").unwrap();
        }
        Self { dir }
    }

    fn config_file(&self) -> PathBuf {
        self.dir.path().join("tiemeng.toml")
    }

    fn load(&self, text: &str) -> Result<Config, ConfigError> {
        let text = text.replace("{XIXI_KEY}", &xixi_public_key()).replace("{MAZHAN_KEY}", &mazhan_public_key());
        fs::write(self.config_file(), text).unwrap();
        Config::load(&self.config_file())
    }

    /// Loads `text` expecting a refusal at `key` whose message contains `says`.
    fn refuses(&self, text: &str, key: &str, says: &str) -> ConfigError {
        let error = self.load(text).expect_err("the config must be refused");
        assert_eq!(error.file, self.config_file(), "{error}");
        assert_eq!(error.key, key, "{error}");
        assert!(error.message.contains(says), "expected {says:?} in: {error}");
        let shown = error.to_string();
        assert!(shown.contains(&self.config_file().display().to_string()), "{shown}");
        if !key.is_empty() {
            assert!(shown.contains(&format!("`{key}`")), "{shown}");
        }
        speaks_both_languages(&error);
        error
    }
}

/// Chinese characters and the full-width punctuation written with them.
fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}')
}

/// `text` without what it quotes from the file or the system: the file's path, the key,
/// whatever stands in "double quotes", “Chinese quotes” or `backticks` (values, commands), and
/// the list of names that may be written instead (after 可选： or 可填写的项：).
fn own_words(text: &str, error: &ConfigError) -> String {
    let mut text = text.replace(&error.file.display().to_string(), " ");
    for list in ["可选：", "可填写的项："] {
        if let Some(at) = text.find(list) {
            text.truncate(at);
        }
    }
    if !error.key.is_empty() {
        text = text.replace(&error.key, " ");
    }
    for (open, close) in [('"', '"'), ('`', '`'), ('“', '”')] {
        let mut kept = String::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find(open) {
            kept.push_str(&rest[..start]);
            kept.push(' ');
            let after = &rest[start + open.len_utf8()..];
            rest = after.find(close).map_or("", |end| &after[end + close.len_utf8()..]);
        }
        kept.push_str(rest);
        text = kept;
    }
    text
}

/// The English words in `text`: runs of three or more lowercase ASCII letters. Key names
/// (`valid_from`), URLs and numbers are not words here.
fn english_words(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || is_cjk(c) || "()（），,;；:：'".contains(c))
        .filter(|word| word.len() >= 3 && word.bytes().all(|b| b.is_ascii_lowercase()))
        .filter(|word| !["http", "https"].contains(word))
        .collect()
}

/// The Chinese description is Chinese with no English sentence; the English one has no Chinese
/// but what it quotes from the file.
fn speaks_both_languages(error: &ConfigError) {
    let zh = error.describe(Lang::Zh);
    let en = error.describe(Lang::En);
    assert_eq!(en, error.to_string());
    assert!(zh.contains(&error.file.display().to_string()), "{zh}");
    assert!(zh.contains(&error.zh), "{zh}");
    if !error.key.is_empty() {
        assert!(zh.contains(&format!("配置项 {}：", error.key)), "{zh}");
    }
    assert!(own_words(&error.zh, error).chars().any(is_cjk), "no Chinese in: {zh}");
    let words = english_words(&own_words(&zh, error)).join(" ");
    assert!(words.is_empty(), "English ({words}) in: {zh}");
    assert!(!own_words(&en, error).chars().any(is_cjk), "Chinese in: {en}");
}

thread_local! {
    /// Where in the source the problems made on this test's thread were made.
    static REACHED: std::cell::RefCell<BTreeSet<(String, u32)>> = const { std::cell::RefCell::new(BTreeSet::new()) };
}

/// Called by [`Problem::new`] with its caller.
pub(super) fn reached(at: &std::panic::Location<'_>) {
    REACHED.with(|r| r.borrow_mut().insert((at.file().to_owned(), at.line())));
}

/// The minimal config with `from` replaced by `to`, insisting that `from` is there.
fn minimal_with(from: &str, to: &str) -> String {
    assert!(MINIMAL.contains(from), "{from:?} is not in the minimal config");
    MINIMAL.replacen(from, to, 1)
}

/// The minimal config with more tables at its end.
fn minimal_plus(more: &str) -> String {
    format!("{MINIMAL}\n{more}")
}

const SECOND_PEER: &str = r#"
[[peers]]
id = "zj-cangnan-mazhan"
name = "苍南县公安局马站派出所"
division = "330327"
url = "https://localhost:7445"
ca = "33-ca.pem"
keys = [{ id = "k1", public = "{MAZHAN_KEY}" }]
"#;

// --- what loads --------------------------------------------------------------------------

#[test]
fn a_minimal_config_loads_with_defaults_filled_in() {
    let station = Station::new();
    let config = station.load(MINIMAL).unwrap();
    assert_eq!(config.station.id.as_str(), "zj-taishun-luoyang");
    assert_eq!(config.station.division.province().as_str(), "33");
    assert_eq!(config.server.handshake_timeout_secs, 10);
    assert_eq!(config.storage.cache_mb, 64);
    assert_eq!(config.federation.clock_skew_secs, 300);
    assert_eq!(config.clock_skew(), Duration::minutes(5));
    assert_eq!(config.deadlines, DeadlinePolicy::default());
    let xixi: StationId = "fj-shouning-xixi".parse().unwrap();
    let peer = config.peer(&xixi).unwrap();
    assert_eq!(Config::public_text(&peer.keys[0]), xixi_public_key());
    let officer = config.officer(&"330329001".parse().unwrap()).unwrap();
    assert_eq!(officer.roles, vec![Role::Liaison]);
}

#[test]
fn relative_paths_are_read_from_the_config_files_folder() {
    let station = Station::new();
    let config = station.load(MINIMAL).unwrap();
    let folder = station.dir.path();
    assert_eq!(config.storage.data_dir, folder.join("data"));
    assert_eq!(config.tls.home_ca, folder.join("33-ca.pem"));
    assert_eq!(config.peers[0].ca, folder.join("35-ca.pem"));
    assert_eq!(config.tls.cert, folder.join("tls.pem"));
    assert_eq!(config.tls.key, folder.join("tls.key"));
    assert_eq!(config.signing_keys[0].file, folder.join("signing-k1.key"));
}

#[test]
fn paths_may_climb_out_of_the_config_folder_and_absolute_paths_stay_as_written() {
    let station = Station::new();
    let etc = station.dir.path().join("etc");
    fs::create_dir(&etc).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let ca = elsewhere.path().join("provincial-root.pem");
    fs::write(&ca, b"dummy").unwrap();
    let mut text = minimal_with(r#"home_ca = "33-ca.pem""#, &format!("home_ca = {:?}", ca.display().to_string()));
    for file in ["tls.pem", "tls.key", "signing-k1.key", "35-ca.pem"] {
        text = text.replacen(&format!("\"{file}\""), &format!("\"../{file}\""), 1);
    }
    fs::write(etc.join("tiemeng.toml"), text.replace("{XIXI_KEY}", &xixi_public_key())).unwrap();
    let config = Config::load(&etc.join("tiemeng.toml")).unwrap();
    assert_eq!(config.tls.home_ca, ca);
    assert_eq!(config.peers[0].ca, etc.join("../35-ca.pem"));
    assert_eq!(config.tls.cert, etc.join("../tls.pem"));
    assert_eq!(config.tls.key, etc.join("../tls.key"));
    assert_eq!(config.signing_keys[0].file, etc.join("../signing-k1.key"));
    assert_eq!(config.storage.data_dir, etc.join("data"));
}

#[test]
fn a_public_key_file_is_read_into_public() {
    let station = Station::new();
    fs::create_dir(station.dir.path().join("peers")).unwrap();
    fs::write(station.dir.path().join("peers/xixi-k1.pub"), format!("{}\n", xixi_public_key())).unwrap();
    let text = minimal_with(r#"public = "{XIXI_KEY}""#, r#"public_file = "peers/xixi-k1.pub""#);
    let config = station.load(&text).unwrap();
    let key = &config.peers[0].keys[0];
    assert_eq!(key.public.as_deref(), Some(xixi_public_key().as_str()), "read and trimmed");
    assert_eq!(key.public_file.as_deref(), Some(station.dir.path().join("peers/xixi-k1.pub").as_path()));
}

#[test]
fn every_config_in_the_repository_parses() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut seen = 0;
    for entry in fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = fs::read_to_string(&path).unwrap();
            if let Err((key, message)) = Config::parse(&text) {
                panic!("{}: `{key}`: {message}", path.display());
            }
            seen += 1;
        }
    }
    assert!(seen >= 3, "only {seen} configs found in {}", folder.display());
}

// --- mistakes the parser catches ---------------------------------------------------------

#[test]
fn an_unknown_top_level_key_is_refused() {
    let text = format!("colour = \"red\"\n{MINIMAL}");
    Station::new().refuses(&text, "colour", "unknown field `colour`");
}

#[test]
fn a_misspelt_nested_key_is_refused() {
    let text = minimal_with("listen = ", "lisen = ");
    Station::new().refuses(&text, "server.lisen", "unknown field `lisen`");
}

#[test]
fn a_value_of_the_wrong_type_is_refused() {
    let text = minimal_with(r#"data_dir = "data""#, "data_dir = \"data\"\ncache_mb = \"64\"");
    Station::new().refuses(&text, "storage.cache_mb", "invalid type");
}

#[test]
fn a_malformed_station_id_is_refused() {
    let text = minimal_with(r#"id = "zj-taishun-luoyang""#, r#"id = "ZJ Taishun""#);
    Station::new().refuses(&text, "station.id", "invalid station id");
}

#[test]
fn a_malformed_division_code_is_refused() {
    let text = minimal_with(r#"division = "330329""#, r#"division = "33032""#);
    Station::new().refuses(&text, "station.division", "six digits");
}

#[test]
fn an_unknown_role_is_refused() {
    let text = minimal_with(r#"roles = ["liaison"]"#, r#"roles = ["liaison", "sheriff"]"#);
    Station::new().refuses(&text, "officers[0].roles[1]", "unknown variant `sheriff`");
}

#[test]
fn a_syntax_error_names_the_file() {
    let error = Station::new().refuses(&minimal_with("[server]", "[server"), "", "");
    assert!(error.message.contains("line"), "{error}");
}

#[test]
fn a_missing_config_file_is_named() {
    let station = Station::new();
    let error = Config::load(&station.config_file()).unwrap_err();
    assert_eq!(error.file, station.config_file());
    assert!(error.message.starts_with("cannot read"), "{error}");
}

// --- mistakes the checks catch -----------------------------------------------------------

#[test]
fn a_station_cannot_list_itself_as_a_peer() {
    let text = minimal_with(r#"id = "fj-shouning-xixi""#, r#"id = "zj-taishun-luoyang""#);
    Station::new().refuses(&text, "peers[0].id", "its own peer");
}

#[test]
fn a_connection_or_handshake_share_of_none_is_refused() {
    let share = |n: &str| minimal_with("[server]\n", &format!("[server]\nmax_connections_per_identity = {n}\n"));
    Station::new().refuses(&share("0"), "server.max_connections_per_identity", "at least 1");
    assert_eq!(Station::new().load(&share("8")).unwrap().server.max_connections_per_identity, 8);
    assert_eq!(Station::new().load(MINIMAL).unwrap().server.max_connections_per_identity, 64);
    let share = |n: &str| minimal_with("[server]\n", &format!("[server]\nmax_handshakes_per_source = {n}\n"));
    Station::new().refuses(&share("0"), "server.max_handshakes_per_source", "at least 1");
    assert_eq!(Station::new().load(&share("4")).unwrap().server.max_handshakes_per_source, 4);
    assert_eq!(Station::new().load(MINIMAL).unwrap().server.max_handshakes_per_source, 64);
}

#[test]
fn a_peer_listed_twice_is_refused() {
    let text = minimal_plus(&SECOND_PEER.replace("zj-cangnan-mazhan", "fj-shouning-xixi"));
    Station::new().refuses(&text, "peers[1].id", "appears twice");
}

#[test]
fn a_peer_url_without_tls_is_refused() {
    let text = minimal_with(r#"url = "https://localhost:7444""#, r#"url = "http://localhost:7444""#);
    Station::new().refuses(&text, "peers[0].url", "https://");
}

#[test]
fn a_peer_without_keys_is_refused() {
    let text = minimal_with(r#"keys = [{ id = "k1", public = "{XIXI_KEY}" }]"#, "keys = []");
    Station::new().refuses(&text, "peers[0].keys", "at least one public key");
}

#[test]
fn a_weak_peer_key_is_refused() {
    let text = minimal_plus(&SECOND_PEER.replace("{MAZHAN_KEY}", &weak_key()));
    Station::new().refuses(&text, "peers[1].keys[0].public", "weak (small-order)");
}

#[test]
fn a_peer_key_that_is_not_a_key_is_refused() {
    let text = minimal_with("{XIXI_KEY}", "not-a-key");
    Station::new().refuses(&text, "peers[0].keys[0].public", "neither base64url");
}

#[test]
fn a_peer_key_given_both_inline_and_as_a_file_is_refused() {
    let text = minimal_with(r#"public = "{XIXI_KEY}""#, r#"public = "{XIXI_KEY}", public_file = "xixi.pub""#);
    Station::new().refuses(&text, "peers[0].keys[0]", "not both");
}

#[test]
fn a_peer_key_given_neither_inline_nor_as_a_file_is_refused() {
    let text = minimal_with(r#", public = "{XIXI_KEY}""#, "");
    Station::new().refuses(&text, "peers[0].keys[0]", "give the key as `public` or `public_file`");
}

#[test]
fn a_missing_public_key_file_is_refused() {
    let text = minimal_with(r#"public = "{XIXI_KEY}""#, r#"public_file = "xixi-k1.pub""#);
    let error = Station::new().refuses(&text, "peers[0].keys[0].public_file", "cannot read");
    assert!(error.message.contains("xixi-k1.pub"), "{error}");
}

#[test]
fn a_badge_listed_twice_is_refused() {
    let text = minimal_plus("[[officers]]\nbadge = \"330329001\"\nname = \"林晓燕\"\nroles = [\"duty\"]\n");
    Station::new().refuses(&text, "officers[1].badge", "appears twice");
}

#[test]
fn an_officer_without_roles_is_refused() {
    let text = minimal_with(r#"roles = ["liaison"]"#, "roles = []");
    Station::new().refuses(&text, "officers[0].roles", "at least one role");
}

#[test]
fn a_missing_tls_certificate_is_refused() {
    let text = minimal_with(r#"cert = "tls.pem""#, r#"cert = "luoyang.pem""#);
    let error = Station::new().refuses(&text, "tls.cert", "cannot read");
    assert!(error.message.contains("luoyang.pem"), "{error}");
}

#[test]
fn a_missing_home_or_partner_ca_is_refused() {
    let text = minimal_with(r#"home_ca = "33-ca.pem""#, r#"home_ca = "zhejiang.pem""#);
    Station::new().refuses(&text, "tls.home_ca", "zhejiang.pem");
    let text = minimal_with(r#"ca = "35-ca.pem""#, r#"ca = "fujian.pem""#);
    Station::new().refuses(&text, "peers[0].ca", "fujian.pem");
    let text = minimal_with("ca = \"35-ca.pem\"\n", "");
    Station::new().refuses(&text, "peers[0]", "missing field `ca`");
}

/// An admin upgrading from the single CA bundle is told what replaced it, not only that the
/// key is unknown: the bundle let any trusted CA vouch for anyone.
#[test]
fn the_old_single_ca_bundle_is_refused_with_what_replaced_it() {
    let text = minimal_with(r#"home_ca = "33-ca.pem""#, "home_ca = \"33-ca.pem\"\nca_bundle = \"33-ca.pem\"");
    let error = Station::new().refuses(&text, "tls.ca_bundle", "tls.home_ca");
    assert!(error.message.contains("peers[].ca"), "{error}");
}

#[test]
fn a_missing_signing_key_file_is_refused() {
    let text = minimal_with(r#"file = "signing-k1.key""#, r#"file = "signing-k2.key""#);
    Station::new().refuses(&text, "signing_keys[0].file", "signing-k2.key");
}

#[test]
fn an_ack_window_as_long_as_the_report_window_is_refused() {
    let text = minimal_plus("[deadlines.urgent]\nack = \"8h\"\nreport = \"8h\"\n");
    Station::new().refuses(&text, "deadlines.urgent", "shorter than the report window");
    let text = minimal_plus("[deadlines.kinds.missing_person.high]\nack = \"4d\"\nreport = \"3d\"\n");
    Station::new().refuses(&text, "deadlines.kinds.missing_person.high", "shorter than the report window");
}

#[test]
fn a_clock_skew_over_an_hour_is_refused() {
    let station = Station::new();
    station.refuses(&minimal_plus("[federation]\nclock_skew_secs = 3601\n"), "federation.clock_skew_secs", "NTP");
    let config = station.load(&minimal_plus("[federation]\nclock_skew_secs = 3600\n")).unwrap();
    assert_eq!(config.clock_skew(), Duration::hours(1));
}

// --- known gaps --------------------------------------------------------------------------

#[test]
fn a_peer_key_id_listed_twice_is_refused() {
    // The old k1 entry with its revocation would silently give way to the second k1.
    let keys = r#"keys = [
    { id = "k1", public = "{XIXI_KEY}", revoked_from = "2026-11-01T00:00:00Z" },
    { id = "k1", public = "{MAZHAN_KEY}" },
]"#;
    let text = minimal_with(r#"keys = [{ id = "k1", public = "{XIXI_KEY}" }]"#, keys);
    Station::new().refuses(&text, "peers[0].keys[1].id", "appears twice");
}

#[test]
fn a_weak_key_in_a_public_key_file_is_reported_at_public_file() {
    let station = Station::new();
    fs::write(station.dir.path().join("xixi-k1.pub"), weak_key()).unwrap();
    let text = minimal_with(r#"public = "{XIXI_KEY}""#, r#"public_file = "xixi-k1.pub""#);
    station.refuses(&text, "peers[0].keys[0].public_file", "weak (small-order)");
}

#[test]
fn a_peer_key_valid_until_before_valid_from_is_refused() {
    let key = r#"{ id = "k1", public = "{XIXI_KEY}", valid_from = "2027-01-01T00:00:00Z", valid_until = "2026-01-01T00:00:00Z" }"#;
    let text = minimal_with(r#"{ id = "k1", public = "{XIXI_KEY}" }"#, key);
    Station::new().refuses(&text, "peers[0].keys[0].valid_until", "after valid_from");
}

#[test]
fn a_key_valid_for_longer_than_the_cap_is_refused() {
    let key = r#"{ id = "k1", public = "{XIXI_KEY}", valid_from = "2026-01-01T00:00:00Z", valid_until = "2036-01-01T00:00:00Z" }"#;
    let text = minimal_with(r#"{ id = "k1", public = "{XIXI_KEY}" }"#, key);
    Station::new().refuses(&text, "peers[0].keys[0].valid_until", "more than 1095 days");
}

#[test]
fn a_key_with_only_a_start_expires_after_the_cap() {
    let station = Station::new();
    let config = station
        .load(&minimal_with(
            r#"{ id = "k1", public = "{XIXI_KEY}" }"#,
            r#"{ id = "k1", public = "{XIXI_KEY}", valid_from = "2026-01-01T00:00:00Z" }"#,
        ))
        .unwrap();
    let from = config.peers[0].keys[0].valid_from;
    assert_eq!(config.key_valid_until(from, None), from.map(|f| f + Duration::days(1095)));
}

// --- alert hooks -------------------------------------------------------------------------

const HOOK: &str = r#"
[[alerts.hooks]]
name = "duty-sms"
url = "http://10.0.0.20:8080/tiemeng"
secret_file = "duty-sms.secret"
events = ["request_received", "deadline"]
min_priority = "high"
"#;

#[test]
fn an_alert_hook_loads_with_its_secret_and_filters_by_kind_and_priority() {
    use crate::domain::case::Priority;
    use crate::events::{Event, What};
    let station = Station::new();
    fs::write(station.dir.path().join("duty-sms.secret"), "0123456789abcdef0123456789abcdef\n").unwrap();
    let config = station.load(&minimal_plus(HOOK)).unwrap();
    let hook = &config.alerts.hooks[0];
    assert_eq!(hook.secret, b"0123456789abcdef0123456789abcdef", "read, without the line end");
    assert!(!format!("{hook:?}").contains("0123456789"), "the secret is never in debug output");
    let received = |priority| Event {
        at: time::OffsetDateTime::UNIX_EPOCH,
        what: What::RequestReceived {
            case: crate::ids::CaseId::from_bytes([1; 16]),
            from: "fj-shouning-xixi".parse().unwrap(),
            kind: crate::domain::details::CaseKind::MissingPerson,
            priority,
            title: "走失老人".into(),
        },
    };
    assert!(hook.wants(&received(Priority::Urgent)));
    assert!(hook.wants(&received(Priority::High)));
    assert!(!hook.wants(&received(Priority::Routine)), "below the hook's priority");
    let partner = Event {
        at: time::OffsetDateTime::UNIX_EPOCH,
        what: What::Partner { station: "fj-shouning-xixi".parse().unwrap(), reachable: false, code: None },
    };
    assert!(!hook.wants(&partner), "a kind the hook does not take");
}

#[test]
fn alert_hooks_are_refused_with_what_to_put_right() {
    let station = Station::new();
    station.refuses(&minimal_plus(HOOK), "alerts.hooks[0].secret_file", "cannot read");
    fs::write(station.dir.path().join("duty-sms.secret"), "short\n").unwrap();
    station.refuses(&minimal_plus(HOOK), "alerts.hooks[0].secret_file", "at least 16");
    fs::write(station.dir.path().join("duty-sms.secret"), "0123456789abcdef0123").unwrap();
    let https = HOOK.replace("http://10.0.0.20:8080", "https://gateway.example");
    station.refuses(&minimal_plus(&https), "alerts.hooks[0].ca", "CA certificate");
    let ftp = HOOK.replace("http://", "ftp://");
    station.refuses(&minimal_plus(&ftp), "alerts.hooks[0].url", "http:// or https://");
    station.refuses(&minimal_plus(&format!("{HOOK}{HOOK}")), "alerts.hooks[1].name", "twice");
    let named = HOOK.replace("duty-sms\"", "值班 短信\"");
    station.refuses(&minimal_plus(&named), "alerts.hooks[0].name", "lowercase ASCII");
    let kind = HOOK.replace("\"deadline\"", "\"deadlines\"");
    station.refuses(&minimal_plus(&kind), "alerts.hooks[0].events[1]", "unknown variant");
}

mod languages;
