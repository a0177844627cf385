//! The strict JSON pre-parse against a model of what it must refuse, and against serde_json.

use proptest::sample::select;

use super::*;
use crate::envelope::mutate::{self, cases};
use crate::envelope::strict_json::{MAX_DEPTH, StrictJsonError};

/// A JSON document as generated, with what the strict pre-parse must say about it.
#[derive(Debug, Clone)]
enum Json {
    Scalar(String),
    Float(String),
    Array(Vec<Json>),
    /// Keys as raw JSON text (possibly escaped) with their decoded value, then the member.
    Object(Vec<(String, String, Json)>),
}

impl Json {
    fn render(&self, out: &mut String, spaced: bool) {
        let gap = if spaced { "\n " } else { "" };
        match self {
            Self::Scalar(text) | Self::Float(text) => out.push_str(text),
            Self::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i > 0 { "," } else { gap });
                    item.render(out, spaced);
                }
                out.push(']');
            }
            Self::Object(members) => {
                out.push('{');
                for (i, (raw, _, value)) in members.iter().enumerate() {
                    out.push_str(if i > 0 { "," } else { gap });
                    out.push_str(raw);
                    out.push_str(gap);
                    out.push(':');
                    value.render(out, spaced);
                }
                out.push_str(gap);
                out.push('}');
            }
        }
    }

    /// Every reason the walk can refuse this value at `depth`. The walk takes a level for an
    /// array's next element before it knows there is one, so an array (even an empty one)
    /// needs a level below it, while an object needs one only when it has a member.
    fn violations(&self, depth: usize, found: &mut Vec<StrictJsonError>) {
        match self {
            Self::Scalar(_) => {}
            Self::Float(_) => found.push(StrictJsonError::NotAnInteger),
            Self::Array(items) => {
                if depth + 1 > MAX_DEPTH {
                    found.push(StrictJsonError::TooDeep);
                    return;
                }
                items.iter().for_each(|item| item.violations(depth + 1, found));
            }
            Self::Object(members) => {
                let mut seen = std::collections::BTreeSet::new();
                if members.iter().any(|(_, key, _)| !seen.insert(key)) {
                    found.push(StrictJsonError::DuplicateKey);
                }
                if !members.is_empty() && depth + 1 > MAX_DEPTH {
                    found.push(StrictJsonError::TooDeep);
                    return;
                }
                members.iter().for_each(|(_, _, value)| value.violations(depth + 1, found));
            }
        }
    }
}

fn json_key() -> impl Strategy<Value = (String, String)> {
    (select(vec!["a", "b", "k", "键", "😀", "", "a\u{0}"]), any::<bool>(), any::<usize>()).prop_map(
        |(key, escape, at)| {
            let raw =
                if escape && !key.is_empty() { mutate::escape_one(key, at) } else { Value::from(key).to_string() };
            (raw, key.to_owned())
        },
    )
}

fn json_leaf() -> impl Strategy<Value = Json> {
    prop_oneof![
        select(vec!["null", "true", "false", "0", "\"\""]).prop_map(|s| Json::Scalar(s.to_owned())),
        any::<i64>().prop_map(|n| Json::Scalar(n.to_string())),
        any::<u64>().prop_map(|n| Json::Scalar(n.to_string())),
        any::<String>().prop_map(|s| Json::Scalar(Value::from(s).to_string())),
        // serde_json reads `-0` as the float -0.0, to keep its sign, so it is no integer either.
        select(vec!["1.0", "1e3", "-0.0", "-0", "0.5", "1E-2", "18446744073709551616", "-9223372036854775809"])
            .prop_map(|s| Json::Float(s.to_owned())),
    ]
}

fn json_value() -> impl Strategy<Value = Json> {
    let tree = json_leaf().prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            proptest::collection::vec((json_key(), inner), 0..4)
                .prop_map(|members| Json::Object(members.into_iter().map(|((raw, key), v)| (raw, key, v)).collect())),
        ]
    });
    // Chains of nesting either side of MAX_DEPTH, ending in any value.
    let deep = (tree.clone(), MAX_DEPTH - 4..MAX_DEPTH + 4, any::<bool>()).prop_map(|(mut value, levels, objects)| {
        for _ in 0..levels {
            value = if objects {
                Json::Object(vec![("\"d\"".to_owned(), "d".to_owned(), value)])
            } else {
                Json::Array(vec![value])
            };
        }
        value
    });
    prop_oneof![3 => tree, 1 => deep]
}

proptest! {
    #![proptest_config(cases(1024))]

    #[test]
    fn strict_json_refuses_exactly_what_the_model_refuses(
        members in proptest::collection::vec((json_key(), json_value()), 0..5),
        spaced in any::<bool>(),
    ) {
        let doc = Json::Object(members.into_iter().map(|((raw, key), v)| (raw, key, v)).collect());
        let mut text = String::new();
        doc.render(&mut text, spaced);
        let mut found = Vec::new();
        doc.violations(0, &mut found);
        match strict_json::check(text.as_bytes()) {
            Ok(()) => {
                prop_assert!(found.is_empty(), "accepted despite {found:?}: {text}");
                prop_assert!(serde_json::from_str::<Value>(&text).is_ok(), "accepted what serde_json cannot read");
            }
            Err(reason) => {
                prop_assert!(found.contains(&reason), "refused as {reason:?}, model found {found:?}: {text}");
            }
        }
    }

    #[test]
    fn strict_json_never_accepts_what_serde_json_refuses(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut framed = b"{\"a\":".to_vec();
        framed.extend_from_slice(&bytes);
        framed.push(b'}');
        for input in [&bytes, &framed] {
            if strict_json::check(input).is_ok() {
                prop_assert!(serde_json::from_slice::<Value>(input).is_ok());
            }
        }
    }
}
