//! Proptest strategies for the mutations of [`super`], and the knobs the fuzz tests share:
//! case counts that honour `PROPTEST_CASES`, counts from the environment, and a seeded
//! sampler for counted runs that must replay from one number.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

use super::{ByteEdit, Field, JsonEdit, Mutation, PayloadEdit, Recode, WireEdit};

/// Bytes that matter to JSON and base64url, tried more often than the other 240.
const INTERESTING_BYTES: &[u8] = b"{}[]\":,\\ \n\t=+/-_0aAzZ#\x00\x7f\x80\xbf\xc3\xef\xff";

/// Key references to put in `key`: the other known station, an unknown key of a known
/// station, an unknown station, and spellings that must not be read as a known key.
pub(crate) const KEY_REFS: &[&str] = &[
    "zj-taishun-luoyang#k1",
    "fj-shouning-xixi#k1",
    "zj-cangnan-mazhan#k1",
    "zj-taishun-luoyang#k2",
    "fj-shouning-xixi#K1",
    "ZJ-TAISHUN-LUOYANG#k1",
    " zj-taishun-luoyang#k1",
    "zj-taishun-luoyang#k1 ",
    "zj-taishun-luoyang#k1\u{0}",
    "zj-taishun-luoyang#",
    "zj-taishun-luoyang",
    "#k1",
    "",
    "zj-taishun-luoyang#k1#k1",
    "zj-taishun-luoyang\u{ff03}k1",
    "zj-taishun-luoyang#k1/../k1",
];

fn any_byte() -> impl Strategy<Value = u8> {
    prop_oneof![any::<u8>(), select(INTERESTING_BYTES.to_vec())]
}

/// Any byte edit.
pub(crate) fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        4 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| ByteEdit::FlipBit { at, bit }),
        2 => (any::<usize>(), any_byte()).prop_map(|(at, byte)| ByteEdit::Set { at, byte }),
        2 => (any::<usize>(), proptest::collection::vec(any_byte(), 1..8))
            .prop_map(|(at, bytes)| ByteEdit::Insert { at, bytes }),
        2 => (any::<usize>(), 1usize..16).prop_map(|(at, len)| ByteEdit::Delete { at, len }),
        1 => (any::<usize>(), 1usize..16).prop_map(|(at, len)| ByteEdit::Duplicate { at, len }),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| ByteEdit::Swap { a, b }),
        1 => any::<usize>().prop_map(|keep| ByteEdit::Truncate { keep }),
    ]
}

fn field() -> impl Strategy<Value = Field> {
    select(Field::ALL.to_vec())
}

fn recode_strategy() -> impl Strategy<Value = Recode> {
    prop_oneof![
        Just(Recode::Padded),
        Just(Recode::Standard),
        Just(Recode::StandardPadded),
        (1u8..16).prop_map(Recode::TrailingBits),
        any::<usize>().prop_map(Recode::LineBreak),
        any::<usize>().prop_map(Recode::Space),
        any::<usize>().prop_map(Recode::DropChar),
    ]
}

fn whitespace() -> impl Strategy<Value = String> {
    select(vec![" ", "\n", "\t", "\r\n", "  \n  ", "\u{a0}", "\u{feff}", "\u{3000}", "\u{0}", "\u{b}"])
        .prop_map(str::to_owned)
}

/// Any wire JSON edit.
pub(crate) fn wire_edit() -> impl Strategy<Value = WireEdit> {
    let extra_names = select(vec!["relayed_by", "v", "payload", "signature", "Signed", "signed ", "kid", ""]);
    let extra_values = select(vec!["null", "1", "\"x\"", "[]", "{}", "\"zj-cangnan-mazhan\""]);
    let retyped = select(vec!["null", "1", "true", "[]", "{}", "[$]", "{\"value\":$}", "\"\"", "1e400"]);
    prop_oneof![
        any::<usize>().prop_map(WireEdit::Reorder),
        (field(), any::<bool>()).prop_map(|(field, from_donor)| WireEdit::Repeat { field, from_donor }),
        field().prop_map(WireEdit::Drop),
        (extra_names, extra_values)
            .prop_map(|(name, value)| WireEdit::Extra { name: name.to_owned(), value: value.to_owned() }),
        (any::<usize>(), whitespace()).prop_map(|(at, text)| WireEdit::Space { at, text }),
        select(KEY_REFS.to_vec()).prop_map(|k| WireEdit::Key(k.to_owned())),
        field().prop_map(WireEdit::FromDonor),
        (prop_oneof![Just(Field::Signed), Just(Field::Sig)], recode_strategy())
            .prop_map(|(field, how)| WireEdit::Base64 { field, how }),
        (field(), proptest::option::of(any::<usize>())).prop_map(|(field, at)| WireEdit::Case { field, at }),
        (field(), any::<usize>(), any::<bool>()).prop_map(|(field, at, in_name)| WireEdit::Escape {
            field,
            at,
            in_name
        }),
        (field(), retyped).prop_map(|(field, value)| WireEdit::Retype { field, value: value.to_owned() }),
        any::<usize>().prop_map(WireEdit::Wrap),
    ]
}

/// JSON values that mean something to a payload, or should not.
pub(crate) fn interesting_value() -> impl Strategy<Value = Value> {
    let strings = select(vec![
        "note",
        "ack",
        "request",
        "close",
        "forward",
        "NOTE",
        "zj-taishun-luoyang",
        "fj-shouning-xixi",
        "zj-cangnan-mazhan",
        "fj-fuding-qianqi",
        "ZJ-TAISHUN-LUOYANG",
        "2026-11-23T08:00:00Z",
        "2026-11-23T08:00:00.5Z",
        "2026-11-23T16:00:00+08:00",
        "2026-11-23 08:00:00Z",
        "2026-12-31T23:59:60Z",
        "2020-02-29T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2099-01-01T00:00:00Z",
        "01936b2e-9c40-7a00-8000-0000000000ff",
        "01936B2E-9C40-7A00-8000-0000000000FF",
        "6ba7b810-9dad-41d1-80b4-00c04fd430c8",
        "",
        " ",
        "\u{0}",
        "陈志强",
        "\u{202e}gnaoyul",
        "330329001",
        "11010519491231002X",
        "浙C12345",
    ])
    .prop_map(|s| Value::String(s.to_owned()));
    let numbers =
        select(vec!["0", "1", "2", "-1", "255", "256", "18446744073709551615", "-9223372036854775808", "1.5"])
            .prop_map(|n| serde_json::from_str::<Value>(n).unwrap_or(Value::Null));
    prop_oneof![
        6 => strings,
        3 => numbers,
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
        1 => Just(Value::Array(Vec::new())),
        1 => Just(Value::Object(serde_json::Map::new())),
        1 => Just(serde_json::json!(["fj-shouning-xixi", "zj-cangnan-mazhan"])),
        1 => "\\PC{0,40}".prop_map(Value::String),
        1 => (1usize..3000).prop_map(|n| Value::String("长".repeat(n))),
    ]
}

fn key_name() -> impl Strategy<Value = String> {
    select(vec![
        "v", "id", "case", "kind", "from", "to", "at", "body", "text", "officer", "relay", "Kind", "", "k\u{0}",
    ])
    .prop_map(str::to_owned)
}

/// Any JSON-aware payload edit.
pub(crate) fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        4 => (any::<usize>(), interesting_value()).prop_map(|(path, value)| JsonEdit::Set { path, value }),
        2 => any::<usize>().prop_map(|path| JsonEdit::Remove { path }),
        2 => (any::<usize>(), key_name(), interesting_value())
            .prop_map(|(path, key, value)| JsonEdit::Add { path, key, value }),
        1 => (any::<usize>(), interesting_value()).prop_map(|(path, value)| JsonEdit::RepeatKey { path, value }),
        1 => Just(JsonEdit::Reserialize),
        1 => Just(JsonEdit::Pretty),
    ]
}

/// Any payload edit.
pub(crate) fn payload_edit() -> impl Strategy<Value = PayloadEdit> {
    prop_oneof![byte_edit().prop_map(PayloadEdit::Bytes), json_edit().prop_map(PayloadEdit::Json)]
}

/// A mutation at any of the three levels.
pub(crate) fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        byte_edit().prop_map(Mutation::Bytes),
        wire_edit().prop_map(Mutation::Wire),
        payload_edit().prop_map(Mutation::Payload),
    ]
}

/// One to three stacked mutations.
pub(crate) fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    proptest::collection::vec(mutation(), 1..4)
}

/// Draws values from strategies with a seeded generator, for counted runs that must be
/// reproducible from a number.
pub(crate) struct Sampler {
    runner: TestRunner,
}

impl Sampler {
    /// A sampler whose draws depend only on `seed`.
    pub(crate) fn seeded(seed: u64) -> Self {
        let mut bytes = [0u8; 32];
        for (i, chunk) in bytes.chunks_mut(8).enumerate() {
            let word = seed.rotate_left(u32::try_from(i * 16).unwrap_or(0)) ^ (i as u64);
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
        Self { runner: TestRunner::new_with_rng(Config::default(), rng) }
    }

    /// One value of `strategy`.
    pub(crate) fn draw<S: Strategy>(&mut self, strategy: &S) -> S::Value {
        match strategy.new_tree(&mut self.runner) {
            Ok(tree) => tree.current(),
            Err(reason) => panic!("strategy refused to generate: {reason}"),
        }
    }

    /// A number below `bound` (which must not be zero).
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        self.draw(&(0..bound))
    }
}

/// The number of cases for a proptest: `PROPTEST_CASES` when set, else `default`.
pub(crate) fn cases(default: u32) -> proptest::test_runner::Config {
    let mut config = proptest::test_runner::Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = default;
    }
    config
}

/// [`cases`] for a hand-driven `TestRunner` (one that shares a fixture between cases), which
/// has no source file to persist failures next to.
pub(crate) fn runner_cases(default: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config { failure_persistence: None, ..cases(default) }
}

/// A count from environment variable `name`, else `default`.
pub(crate) fn count_from_env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}
