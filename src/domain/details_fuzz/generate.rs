//! The generators: details JSON of every kind, request bodies, and the clocks they are judged at.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};
use time::macros::datetime;
use time::{Date, Duration, OffsetDateTime, UtcOffset};

use super::{BEIJING, beijing_date};
use crate::domain::case::{Priority, Restriction};
use crate::domain::details::{CASE_NUMBER_MAX, CLOCK_SKEW, LIST_MAX, LONG_TEXT_MAX, NAME_MAX, SHORT_TEXT_MAX};
use crate::domain::resident_id::{PROVINCE_CODES, check_char};
use crate::envelope::Signatory;
use crate::envelope::body::RequestBody;

/// Clocks the details are judged against: ordinary days, a day boundary in Beijing, and the
/// ends of the representable range.
fn clocks() -> Vec<OffsetDateTime> {
    vec![
        datetime!(2024-05-02 12:00 +8),
        datetime!(2026-11-23 08:00 UTC),
        datetime!(2026-11-23 15:58 UTC),
        datetime!(1999-12-31 23:59:59 UTC),
        Date::MAX.midnight().assume_utc(),
        Date::MIN.midnight().assume_utc(),
    ]
}

pub(super) fn clock() -> impl Strategy<Value = OffsetDateTime> {
    prop_oneof![8 => select(clocks()[..4].to_vec()), 1 => select(clocks()[4..].to_vec())]
}

fn offset() -> impl Strategy<Value = UtcOffset> {
    select(vec![
        UtcOffset::UTC,
        BEIJING,
        time::macros::offset!(-5),
        time::macros::offset!(+14),
        time::macros::offset!(-23:59),
    ])
}

/// A time near one of the clocks (seconds either side of the skew edge, or years away), or
/// at the ends of the range, in any offset.
fn instant() -> BoxedStrategy<OffsetDateTime> {
    let skew = CLOCK_SKEW.whole_seconds();
    let delta = prop_oneof![
        3 => -400_000_000i64..400_000,
        2 => (skew - 3)..(skew + 3),
        1 => -90_000i64..90_000,
    ];
    let near = (select(clocks()), delta, offset(), 0u32..1_000_000_000).prop_map(|(base, delta, offset, nanos)| {
        let at = base.checked_add(Duration::seconds(delta)).unwrap_or(base);
        let at = at.replace_nanosecond(if delta % 3 == 0 { nanos } else { 0 }).unwrap_or(at);
        at.checked_to_offset(offset).unwrap_or(at)
    });
    prop_oneof![9 => near, 1 => select(clocks())].boxed()
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

fn time_value() -> BoxedStrategy<Value> {
    prop_oneof![
        12 => instant().prop_map(|at| Value::from(rfc3339(at))),
        1 => select(vec![
            "2024-02-30T00:00:00Z",
            "2024-05-01 08:30",
            "",
            "9999-12-31T23:59:59-23:59",
            "0000-01-01T00:00:00+23:59",
        ])
        .prop_map(Value::from),
    ]
    .boxed()
}

fn date_value() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => instant().prop_map(|at| Value::from(at.date().to_string())),
        1 => (0i32..10_000, 0u8..14, 0u8..33).prop_map(|(y, m, d)| Value::from(format!("{y:04}-{m:02}-{d:02}"))),
        1 => select(vec!["2024-2-3", "20240203", "", "+2024-01-01"]).prop_map(Value::from),
    ]
    .boxed()
}

/// Texts that exercise every rule a text field has, sized around `max`.
fn text(max: usize) -> BoxedStrategy<String> {
    let realistic = select(vec![
        "吴德福",
        "泰顺县罗阳镇洲岭村村口公交站",
        "身高约165厘米，偏瘦，白发",
        "A3509245200002026110003",
        "Zhang San",
        "故意伤害",
    ])
    .prop_map(str::to_owned);
    let blank = select(vec!["", " ", "\n\t", "\u{3000}", "\u{a0}\u{2028}"]).prop_map(str::to_owned);
    let near_limit = (max.saturating_sub(1)..=max + 1, select(vec!["王", "a", "😀", "e\u{301}"]))
        .prop_map(|(n, unit)| unit.repeat(if unit == "e\u{301}" { n / 2 } else { n }));
    prop_oneof![
        16 => realistic,
        2 => blank,
        3 => "\\PC{1,30}",
        2 => any::<String>(),
        2 => near_limit,
        1 => (0usize..6000).prop_map(|n| "长".repeat(n)),
    ]
    .boxed()
}

/// A resident ID: valid (birth dates up to the 2040s, so some lie in the future), in lower
/// case, padded, or broken.
fn resident_id() -> BoxedStrategy<Value> {
    let first17 = (select(PROVINCE_CODES.to_vec()), 0u32..10_000, 1870i32..2045, 1u8..=12, 1u8..=31, 0u32..1000)
        .prop_map(|(p, county, y, m, d, seq)| format!("{p:02}{county:04}{y:04}{m:02}{d:02}{seq:03}"));
    let valid = first17.prop_filter_map("impossible date", |f| check_char(&f).map(|c| format!("{f}{c}")));
    prop_oneof![
        12 => valid.clone().prop_map(Value::from),
        1 => valid.clone().prop_map(|id| Value::from(format!(" {} ", id.to_lowercase()))),
        1 => (valid, 0usize..18, 1u8..10).prop_map(|(id, at, d)| {
            let mut bytes = id.into_bytes();
            bytes[at] = if bytes[at].is_ascii_digit() { b'0' + (bytes[at] - b'0' + d) % 10 } else { b'0' + d };
            Value::from(String::from_utf8(bytes).unwrap())
        }),
        1 => "[0-9Xx]{16,19}".prop_map(Value::from),
        1 => Just(Value::from(1234)),
    ]
    .boxed()
}

fn plate() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => select(vec![
            "浙C12345", "闽J·D12345", "浙A12345D", "京A1234警", "粤Z1234港", "浙AFK1234", "闽JD1234", " 浙c 12345 ",
        ]),
        1 => select(vec!["浙C1234", "ABC", "", "浙I12345", "港A12345"]),
    ]
    .prop_map(Value::from)
    .boxed()
}

fn list(item: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Value> {
    let item = item.boxed();
    prop_oneof![
        9 => proptest::collection::vec(item.clone(), 0..4),
        1 => proptest::collection::vec(item, LIST_MAX - 1..LIST_MAX + 2),
    ]
    .prop_map(Value::Array)
    .boxed()
}

/// Builds an object from fields that may be absent (`None`), with sometimes an unknown one.
fn object(fields: Vec<(&'static str, Option<Value>)>, extra: bool) -> Value {
    let mut map: Map<String, Value> = fields.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v))).collect();
    if extra {
        map.insert("nmae".into(), Value::from("typo"));
    }
    Value::Object(map)
}

/// Usually present; sometimes absent or `null`.
fn usually<S: Strategy<Value = Value>>(s: S) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![40 => s.prop_map(Some), 1 => Just(None), 1 => Just(Some(Value::Null))]
}

/// Present or absent, evenly.
fn maybe<S: Strategy<Value = Value>>(s: S) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![s.prop_map(Some), Just(None)]
}

fn text_value(max: usize) -> BoxedStrategy<Value> {
    text(max).prop_map(Value::from).boxed()
}

fn rare_extra() -> impl Strategy<Value = bool> {
    proptest::bool::weighted(0.05)
}

fn vehicle() -> BoxedStrategy<Value> {
    (maybe(plate()), maybe(text_value(SHORT_TEXT_MAX)), rare_extra())
        .prop_map(|(plate, description, extra)| object(vec![("plate", plate), ("description", description)], extra))
        .boxed()
}

fn missing_person() -> BoxedStrategy<Value> {
    (
        (
            usually(text_value(NAME_MAX)),
            usually(
                select(vec!["male", "female", "unknown", "male", "female", "unknown", "other"]).prop_map(Value::from),
            ),
        ),
        maybe(prop_oneof![20 => 0u16..140, 1 => Just(300)].prop_map(Value::from)),
        maybe(date_value()),
        maybe(resident_id()),
        (usually(text_value(LONG_TEXT_MAX)), usually(text_value(SHORT_TEXT_MAX)), usually(time_value())),
        (maybe(text_value(SHORT_TEXT_MAX)), maybe(text_value(LONG_TEXT_MAX))),
        rare_extra(),
    )
        .prop_map(|((name, sex), age, birth, id, (description, place, seen_at), (contact, risk), extra)| {
            object(
                vec![
                    ("kind", Some(Value::from("missing_person"))),
                    ("name", name),
                    ("sex", sex),
                    ("age", age),
                    ("birth_date", birth),
                    ("id_number", id),
                    ("description", description),
                    ("last_seen_place", place),
                    ("last_seen_at", seen_at),
                    ("contact", contact),
                    ("risk_notes", risk),
                ],
                extra,
            )
        })
        .boxed()
}

fn fugitive() -> BoxedStrategy<Value> {
    let flags =
        select(vec!["armed", "violent", "self_harm", "contagious", "other", "other", "armed", "violent", "bomb"])
            .prop_map(Value::from);
    (
        (usually(text_value(NAME_MAX)), maybe(resident_id())),
        (usually(text_value(CASE_NUMBER_MAX)), usually(text_value(SHORT_TEXT_MAX))),
        (maybe(proptest::collection::vec(flags, 0..4).prop_map(Value::Array)), maybe(text_value(LONG_TEXT_MAX))),
        maybe(list(vehicle())),
        (usually(text_value(SHORT_TEXT_MAX)), maybe(time_value())),
        usually(
            select(vec!["locate", "intercept", "arrest", "locate", "intercept", "arrest", "shoot"])
                .prop_map(Value::from),
        ),
        rare_extra(),
    )
        .prop_map(|((name, id), (warrant, offence), (danger, notes), vehicles, (location, at), action, extra)| {
            object(
                vec![
                    ("kind", Some(Value::from("fugitive"))),
                    ("name", name),
                    ("id_number", id),
                    ("warrant_number", warrant),
                    ("offence", offence),
                    ("danger", danger),
                    ("danger_notes", notes),
                    ("vehicles", vehicles),
                    ("last_known_location", location),
                    ("last_known_at", at),
                    ("action", action),
                ],
                extra,
            )
        })
        .boxed()
}

fn case_number() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => select(vec!["A1", " a 1", "a1\u{3000}", "B2", "", "A3509245200002026110003"]).prop_map(Value::from),
        2 => text_value(CASE_NUMBER_MAX),
    ]
    .boxed()
}

fn serial_theft() -> BoxedStrategy<Value> {
    let suspect = (maybe(text_value(NAME_MAX)), maybe(resident_id()), maybe(text_value(LONG_TEXT_MAX)), rare_extra())
        .prop_map(|(name, id, description, extra)| {
            object(vec![("name", name), ("id_number", id), ("description", description)], extra)
        });
    let incident = (usually(time_value()), usually(text_value(SHORT_TEXT_MAX)), maybe(text_value(LONG_TEXT_MAX)))
        .prop_map(|(at, place, summary)| object(vec![("at", at), ("place", place), ("summary", summary)], false));
    (
        usually(list(case_number())),
        usually(text_value(LONG_TEXT_MAX)),
        maybe(list(text_value(SHORT_TEXT_MAX))),
        maybe(list(suspect)),
        maybe(list(vehicle())),
        usually(list(incident)),
        rare_extra(),
    )
        .prop_map(|(numbers, modus, items, suspects, vehicles, incidents, extra)| {
            object(
                vec![
                    ("kind", Some(Value::from("serial_theft"))),
                    ("linked_case_numbers", numbers),
                    ("modus_operandi", modus),
                    ("stolen_items", items),
                    ("suspects", suspects),
                    ("vehicles", vehicles),
                    ("incidents", incidents),
                ],
                extra,
            )
        })
        .boxed()
}

fn dispute() -> BoxedStrategy<Value> {
    let party = (usually(text_value(NAME_MAX)), maybe(text_value(SHORT_TEXT_MAX)), maybe(text_value(SHORT_TEXT_MAX)))
        .prop_map(|(name, role, contact)| object(vec![("name", name), ("role", role), ("contact", contact)], false));
    (
        usually(list(party)),
        usually(text_value(SHORT_TEXT_MAX)),
        usually(text_value(LONG_TEXT_MAX)),
        maybe(date_value()),
        rare_extra(),
    )
        .prop_map(|(parties, place, summary, since, extra)| {
            object(
                vec![
                    ("kind", Some(Value::from("dispute"))),
                    ("parties", parties),
                    ("place", place),
                    ("summary", summary),
                    ("disputed_since", since),
                ],
                extra,
            )
        })
        .boxed()
}

fn general() -> BoxedStrategy<Value> {
    (usually(text_value(SHORT_TEXT_MAX)), usually(text_value(LONG_TEXT_MAX)), rare_extra())
        .prop_map(|(subject, request, extra)| {
            object(vec![("kind", Some(Value::from("general"))), ("subject", subject), ("request", request)], extra)
        })
        .boxed()
}

/// Details of any kind, or of a kind that does not exist.
pub(super) fn details_json() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => missing_person(),
        3 => fugitive(),
        3 => serial_theft(),
        2 => dispute(),
        2 => general(),
        1 => general().prop_map(|mut v| {
            v["kind"] = Value::from("burglary");
            v
        }),
    ]
    .boxed()
}

pub(super) fn request_body() -> impl Strategy<Value = (RequestBody, OffsetDateTime)> {
    let minutes = prop_oneof![-90i64..600, Just(0), Just(1)];
    (
        (details_json(), text(120), text(8000), text(200), maybe(text(64).prop_map(Value::from))),
        (select(clocks()[..4].to_vec()), minutes.clone(), minutes, -3i64..3),
        (select(Priority::ALL.to_vec()), proptest::collection::vec(select(Restriction::ALL.to_vec()), 0..4)),
    )
        .prop_map(
            |((details, title, narrative, contact, reference), (at, ack, report, review), (priority, restrictions))| {
                let details = serde_json::from_value(details)
                    .unwrap_or_else(|_| crate::samples::general_check(Vec::new(), at).details);
                let body = RequestBody {
                    officer: Signatory { badge: "330329001".parse().unwrap(), name: "陈志强".into() },
                    priority,
                    title,
                    details,
                    narrative,
                    contact,
                    reference: reference.and_then(|r| r.as_str().map(str::to_owned)),
                    restrictions,
                    review_by: (review != 0).then(|| beijing_date(at) + Duration::days(review)),
                    ack_by: at + Duration::minutes(ack),
                    report_by: at + Duration::minutes(ack + report),
                    forwarded_from: None,
                    redirected_from: None,
                    refno: None,
                    attachments: Vec::new(),
                };
                (body, at)
            },
        )
}
