//! Every problem the checks find, said in Chinese and in English, and every place a problem
//! is made reached by one of them.

use super::*;

/// The signing key table of the minimal config.
const SIGNING_KEY: &str = "[[signing_keys]]\nid = \"k1\"\nfile = \"signing-k1.key\"\n";

/// 32 bytes that are no point of the curve.
fn not_a_point() -> String {
    let bytes = (0..=u8::MAX)
        .map(|b| [b; 32])
        .find(|bytes| ed25519_dalek::VerifyingKey::from_bytes(bytes).is_err())
        .expect("some repeated byte is off the curve");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Each config refused by one check of the config's own, with the key it is refused at.
fn refused_by_each_check(station: &Station) -> Vec<(String, &'static str)> {
    let dir = station.dir.path();
    fs::create_dir(dir.join("folder")).unwrap();
    fs::write(dir.join("short.secret"), "short\n").unwrap();
    fs::write(dir.join("long.secret"), "0123456789abcdef0123").unwrap();
    let hook = |more: &str| {
        minimal_plus(&format!(
            "[[alerts.hooks]]\nname = \"duty-sms\"\nurl = \"http://10.0.0.20/t\"\nsecret_file = \"long.secret\"\n{more}"
        ))
    };
    let peer_key = |key: &str| minimal_with(r#"{ id = "k1", public = "{XIXI_KEY}" }"#, key);
    let without_signing_keys = format!("signing_keys = []\n{}", minimal_with(SIGNING_KEY, ""));
    vec![
        (minimal_with(r#"public = "{XIXI_KEY}""#, r#"public_file = "gone.pub""#), "peers[0].keys[0].public_file"),
        (
            minimal_with(r#"public = "{XIXI_KEY}""#, r#"public = "{XIXI_KEY}", public_file = "x.pub""#),
            "peers[0].keys[0]",
        ),
        (minimal_with(r#", public = "{XIXI_KEY}""#, ""), "peers[0].keys[0]"),
        (minimal_with(r#"name = "泰顺县公安局罗阳派出所""#, r#"name = " ""#), "station.name"),
        (
            minimal_with(
                r#"name = "泰顺县公安局罗阳派出所""#,
                "name = \"泰顺县公安局罗阳派出所\"\nrefno_format = \"{short}-{n}\"",
            ),
            "station.refno_format",
        ),
        (
            minimal_with(
                r#"name = "泰顺县公安局罗阳派出所""#,
                "name = \"泰顺县公安局罗阳派出所\"\nrefno_format = \"{year}-{n}\"",
            ),
            "station.refno_format",
        ),
        (minimal_with(r#"public_url = "https://"#, r#"public_url = "http://"#), "server.public_url"),
        (minimal_with("[server]\n", "[server]\nhandshake_timeout_secs = 0\n"), "server.handshake_timeout_secs"),
        (minimal_with("[server]\n", "[server]\nidle_timeout_secs = 0\n"), "server.idle_timeout_secs"),
        (
            minimal_with("[server]\n", "[server]\nmax_connections_per_identity = 0\n"),
            "server.max_connections_per_identity",
        ),
        (minimal_with("[server]\n", "[server]\nmax_handshakes_per_source = 0\n"), "server.max_handshakes_per_source"),
        (minimal_with("[storage]\n", "[storage]\ncache_mb = 4\n"), "storage.cache_mb"),
        (minimal_with("[tls]\n", "[tls]\nca_bundle = \"33-ca.pem\"\n"), "tls.ca_bundle"),
        (minimal_with(r#"home_ca = "33-ca.pem""#, r#"home_ca = "folder""#), "tls.home_ca"),
        (minimal_with(r#"key = "tls.key""#, r#"key = "gone.key""#), "tls.key"),
        (minimal_plus("[deadlines.urgent]\nack = \"8h\"\nreport = \"8h\"\n"), "deadlines.urgent"),
        (minimal_plus("[federation]\nclock_skew_secs = 3601\n"), "federation.clock_skew_secs"),
        (minimal_plus("[limits]\npeer_requests_per_minute = 0\n"), "limits"),
        (minimal_plus("[federation]\nbatch_size = 0\n"), "federation.batch_size"),
        (minimal_plus("[federation]\nmax_backoff_secs = 0\n"), "federation.max_backoff_secs"),
        (without_signing_keys, "signing_keys"),
        (minimal_with("id = \"k1\"\nfile", "id = \"k 1\"\nfile"), "signing_keys[0].id"),
        (minimal_plus(SIGNING_KEY), "signing_keys[1].id"),
        (
            minimal_with(
                "file = \"signing-k1.key\"\n",
                "file = \"signing-k1.key\"\nvalid_from = \"2027-01-01T00:00:00Z\"\nvalid_until = \"2026-01-01T00:00:00Z\"\n",
            ),
            "signing_keys[0].valid_until",
        ),
        (minimal_with(r#"id = "fj-shouning-xixi""#, r#"id = "zj-taishun-luoyang""#), "peers[0].id"),
        (minimal_plus(&SECOND_PEER.replace("zj-cangnan-mazhan", "fj-shouning-xixi")), "peers[1].id"),
        (minimal_with(r#"url = "https://localhost:7444""#, r#"url = "http://localhost:7444""#), "peers[0].url"),
        (minimal_with(r#"ca = "35-ca.pem""#, r#"ca = "gone.pem""#), "peers[0].ca"),
        (peer_key("[]").replace("keys = [[]]", "keys = []"), "peers[0].keys"),
        (peer_key(r#"{ id = "k/1", public = "{XIXI_KEY}" }"#), "peers[0].keys[0].id"),
        (
            peer_key(r#"{ id = "k1", public = "{XIXI_KEY}" }, { id = "k1", public = "{MAZHAN_KEY}" }"#),
            "peers[0].keys[1].id",
        ),
        (
            peer_key(
                r#"{ id = "k1", public = "{XIXI_KEY}", valid_from = "2026-01-01T00:00:00Z", valid_until = "2036-01-01T00:00:00Z" }"#,
            ),
            "peers[0].keys[0].valid_until",
        ),
        (minimal_with("{XIXI_KEY}", "not-a-key"), "peers[0].keys[0].public"),
        (minimal_with("{XIXI_KEY}", &weak_key()), "peers[0].keys[0].public"),
        (minimal_with("{XIXI_KEY}", &not_a_point()), "peers[0].keys[0].public"),
        (
            minimal_plus("[[officers]]\nbadge = \"330329001\"\nname = \"林晓燕\"\nroles = [\"duty\"]\n"),
            "officers[1].badge",
        ),
        (minimal_with(r#"roles = ["liaison"]"#, "roles = []"), "officers[0].roles"),
        (minimal_with(r#"name = "陈志强""#, r#"name = """#), "officers[0].name"),
        (hook("").replace("long.secret", "gone.secret"), "alerts.hooks[0].secret_file"),
        (hook("").replace("long.secret", "short.secret"), "alerts.hooks[0].secret_file"),
        (minimal_plus("[alerts]\nmax_backoff_secs = 0\n"), "alerts.max_backoff_secs"),
        (hook("").replace("duty-sms", "Duty SMS"), "alerts.hooks[0].name"),
        (format!("{}{}", hook(""), hook("").replace(MINIMAL, "")), "alerts.hooks[1].name"),
        (hook("").replace("http://10.0.0.20/t", "not a url"), "alerts.hooks[0].url"),
        (hook("").replace("http://", "https://"), "alerts.hooks[0].ca"),
        (hook("ca = \"33-ca.pem\"\n"), "alerts.hooks[0].ca"),
        (hook("").replace("http://", "ftp://"), "alerts.hooks[0].url"),
        (minimal_plus("[attachments]\nmax_file_mb = 0\n"), "attachments"),
        (minimal_plus("[attachments]\nmax_file_mb = 50\nmax_total_mb = 40\n"), "attachments.max_total_mb"),
    ]
}

/// Every message of the config's own checks is in Chinese and in English, each with none of
/// the other language but what it quotes. The walk must reach every place a problem is made,
/// so a new check fails here until a config refused by it is added above.
#[test]
fn every_problem_the_checks_find_is_said_in_chinese_and_in_english() {
    REACHED.with(|r| r.borrow_mut().clear());
    let station = Station::new();
    for (text, key) in refused_by_each_check(&station) {
        let error = station.load(&text).expect_err(key);
        assert_eq!(error.key, key, "{error}");
        speaks_both_languages(&error);
    }
    // The URL parser gives every http:// and https:// URL a host; the check stays in case it
    // ever does not.
    let unreachable = ["\"names no host\""];
    let sources = [
        ("src/config.rs", include_str!("../../config.rs")),
        ("src/config/check.rs", include_str!("../check.rs")),
        ("src/config/alerts.rs", include_str!("../alerts.rs")),
    ];
    let reached = REACHED.with(|r| r.borrow().clone());
    for (file, source) in sources {
        for (i, line) in source.lines().enumerate() {
            let makes = line.contains("Problem::new(") || line.contains("Problem::unreadable(");
            let exempt = source.lines().skip(i).take(6).any(|l| unreachable.iter().any(|u| l.contains(u)));
            let at = (file.to_owned(), u32::try_from(i + 1).unwrap());
            if makes && !exempt {
                assert!(reached.contains(&at), "no config above is refused at {file}:{}: {line}", i + 1);
            }
        }
    }
}

#[test]
fn a_refusal_reads_in_chinese_by_file_key_and_what_to_do() {
    let text = minimal_with(r#"public_url = "https://"#, r#"public_url = "http://"#);
    let error = Station::new().refuses(&text, "server.public_url", "https://");
    let file = error.file.display();
    assert_eq!(error.describe(Lang::Zh), format!("{file}：配置项 server.public_url：必须以 https:// 开头"));
    assert_eq!(error.describe(Lang::En), format!("{file}: key `server.public_url`: must start with https://"));
}

#[test]
fn an_unreadable_config_file_is_said_in_chinese() {
    let station = Station::new();
    let error = Config::load(&station.config_file()).unwrap_err();
    assert_eq!(error.describe(Lang::Zh), format!("{}：无法读取：文件或目录不存在", station.config_file().display()));
    speaks_both_languages(&error);
}
