//! Randomised request details: structured JSON of every kind with random texts (CJK, control
//! characters, blanks, lengths either side of each limit), resident IDs, plates, dates and
//! times around the clock-skew edge, lists either side of their bounds, missing and unknown
//! fields. Parsing and [`CaseDetails::validate`] must never panic, and whatever validation
//! passes must satisfy the rules written out again here, independently of the validator.
//! The same for whole request bodies through [`crate::case::validate_request`].

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};
use time::macros::datetime;
use time::{Date, Duration, OffsetDateTime, UtcOffset};

use super::case::{Priority, Restriction};
use super::details::{
    CASE_NUMBER_MAX, CLOCK_SKEW, CaseDetails, DangerFlag, LIST_MAX, LONG_TEXT_MAX, NAME_MAX, SHORT_TEXT_MAX, Sex,
    Vehicle, normalise_case_number,
};
use super::resident_id::{PROVINCE_CODES, ResidentId, check_char};
use crate::envelope::Signatory;
use crate::envelope::body::RequestBody;
use crate::envelope::mutate::cases;

const BEIJING: UtcOffset = time::macros::offset!(+8);

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

fn clock() -> impl Strategy<Value = OffsetDateTime> {
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
fn details_json() -> BoxedStrategy<Value> {
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

// --- the rules, written out again ---------------------------------------------------------

/// What the validator promises about details it accepts as of `now`.
struct Rules {
    latest: OffsetDateTime,
    today: Date,
}

impl Rules {
    fn at(now: OffsetDateTime) -> Self {
        let latest = now.checked_add(CLOCK_SKEW).unwrap_or(now);
        Self { latest, today: beijing_date(latest) }
    }

    fn required(&self, value: &str, max: usize) -> Result<(), TestCaseError> {
        prop_assert!(!value.trim().is_empty(), "blank required text accepted");
        self.limit(value, max)
    }

    fn limit(&self, value: &str, max: usize) -> Result<(), TestCaseError> {
        prop_assert!(value.chars().count() <= max, "{} characters accepted, limit {max}", value.chars().count());
        Ok(())
    }

    fn list(&self, len: usize, min: usize) -> Result<(), TestCaseError> {
        prop_assert!((min..=LIST_MAX).contains(&len), "a list of {len} accepted");
        Ok(())
    }

    fn not_future(&self, at: OffsetDateTime) -> Result<(), TestCaseError> {
        prop_assert!(at <= self.latest, "{at} accepted, later than {}", self.latest);
        Ok(())
    }

    fn id(&self, id: &ResidentId) -> Result<(), TestCaseError> {
        let text = id.as_str();
        prop_assert_eq!(text.len(), 18);
        prop_assert_eq!(check_char(&text[..17]), text.chars().last(), "bad check character in {}", text);
        let reparsed = ResidentId::parse(text).ok();
        prop_assert_eq!(reparsed.as_ref(), Some(id));
        prop_assert!(id.birth_date() <= self.today, "resident ID born after today: {}", text);
        Ok(())
    }

    fn vehicles(&self, vehicles: &[Vehicle]) -> Result<(), TestCaseError> {
        self.list(vehicles.len(), 0)?;
        for vehicle in vehicles {
            prop_assert!(vehicle.plate.is_some() || !vehicle.description.trim().is_empty(), "empty vehicle accepted");
            self.limit(&vehicle.description, SHORT_TEXT_MAX)?;
        }
        Ok(())
    }

    fn details(&self, details: &CaseDetails) -> Result<(), TestCaseError> {
        match details {
            CaseDetails::MissingPerson(p) => {
                self.required(&p.name, NAME_MAX)?;
                self.required(&p.description, LONG_TEXT_MAX)?;
                self.required(&p.last_seen_place, SHORT_TEXT_MAX)?;
                self.not_future(p.last_seen_at)?;
                self.limit(p.contact.as_deref().unwrap_or_default(), SHORT_TEXT_MAX)?;
                self.limit(p.risk_notes.as_deref().unwrap_or_default(), LONG_TEXT_MAX)?;
                prop_assert!(p.age.is_some() || p.birth_date.is_some() || p.id_number.is_some(), "no age given");
                prop_assert!(p.age.is_none_or(|age| age <= 130));
                if let Some(birth) = p.birth_date {
                    prop_assert!(birth <= self.today && birth <= beijing_date(p.last_seen_at));
                }
                if let Some(id) = &p.id_number {
                    self.id(id)?;
                    prop_assert!(p.birth_date.is_none_or(|birth| birth == id.birth_date()));
                    let id_sex = if id.is_male() { Sex::Male } else { Sex::Female };
                    prop_assert!(p.sex == Sex::Unknown || p.sex == id_sex, "sex contradicts the resident ID");
                }
            }
            CaseDetails::Fugitive(f) => {
                self.required(&f.name, NAME_MAX)?;
                self.required(&f.warrant_number, CASE_NUMBER_MAX)?;
                self.required(&f.offence, SHORT_TEXT_MAX)?;
                self.required(&f.last_known_location, SHORT_TEXT_MAX)?;
                if let Some(at) = f.last_known_at {
                    self.not_future(at)?;
                }
                if let Some(id) = &f.id_number {
                    self.id(id)?;
                }
                let notes = f.danger_notes.as_deref().unwrap_or_default();
                prop_assert!(!f.danger.contains(&DangerFlag::Other) || !notes.trim().is_empty());
                self.limit(notes, LONG_TEXT_MAX)?;
                self.vehicles(&f.vehicles)?;
            }
            CaseDetails::SerialTheft(s) => {
                self.list(s.linked_case_numbers.len(), 1)?;
                let mut seen = BTreeSet::new();
                for number in &s.linked_case_numbers {
                    self.required(number, CASE_NUMBER_MAX)?;
                    prop_assert!(seen.insert(normalise_case_number(number)), "repeated case number {number:?}");
                }
                self.required(&s.modus_operandi, LONG_TEXT_MAX)?;
                self.list(s.stolen_items.len(), 0)?;
                for item in &s.stolen_items {
                    self.required(item, SHORT_TEXT_MAX)?;
                }
                self.list(s.suspects.len(), 0)?;
                for suspect in &s.suspects {
                    let name = suspect.name.as_deref().unwrap_or_default();
                    let described = !name.trim().is_empty() || !suspect.description.trim().is_empty();
                    prop_assert!(described || suspect.id_number.is_some(), "an undescribed suspect accepted");
                    self.limit(name, NAME_MAX)?;
                    self.limit(&suspect.description, LONG_TEXT_MAX)?;
                    if let Some(id) = &suspect.id_number {
                        self.id(id)?;
                    }
                }
                self.vehicles(&s.vehicles)?;
                self.list(s.incidents.len(), 1)?;
                for incident in &s.incidents {
                    self.not_future(incident.at)?;
                    self.required(&incident.place, SHORT_TEXT_MAX)?;
                    self.limit(&incident.summary, LONG_TEXT_MAX)?;
                }
            }
            CaseDetails::Dispute(d) => {
                self.list(d.parties.len(), 2)?;
                for party in &d.parties {
                    self.required(&party.name, NAME_MAX)?;
                    self.limit(party.role.as_deref().unwrap_or_default(), SHORT_TEXT_MAX)?;
                    self.limit(party.contact.as_deref().unwrap_or_default(), SHORT_TEXT_MAX)?;
                }
                self.required(&d.place, SHORT_TEXT_MAX)?;
                self.required(&d.summary, LONG_TEXT_MAX)?;
                prop_assert!(d.disputed_since.is_none_or(|since| since <= self.today));
            }
            CaseDetails::General(g) => {
                self.required(&g.subject, SHORT_TEXT_MAX)?;
                self.required(&g.request, LONG_TEXT_MAX)?;
            }
        }
        Ok(())
    }
}

fn beijing_date(at: OffsetDateTime) -> Date {
    at.checked_to_offset(BEIJING).unwrap_or(at).date()
}

proptest! {
    #![proptest_config(cases(1024))]

    #[test]
    fn details_that_validate_keep_every_rule(json in details_json(), now in clock()) {
        let Ok(details) = serde_json::from_value::<CaseDetails>(json) else { return Ok(()) };
        let errors = details.validate(now);
        for error in &errors {
            prop_assert!(error.field.starts_with("details."), "{:?}", error);
            prop_assert!(!error.code.is_empty() && !error.zh.is_empty() && !error.en.is_empty(), "{:?}", error);
        }
        let _ = (details.summary_zh(), details.subject_keys());
        // What a receiver parses from the signed bytes is what the sender validated.
        let again: CaseDetails = serde_json::from_str(&serde_json::to_string(&details).unwrap()).unwrap();
        prop_assert_eq!(&again, &details);
        prop_assert_eq!(again.validate(now), errors.clone());
        if errors.is_empty() {
            Rules::at(now).details(&details)?;
        }
    }
}

fn request_body() -> impl Strategy<Value = (RequestBody, OffsetDateTime)> {
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
                };
                (body, at)
            },
        )
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn requests_that_validate_keep_every_rule((request, at) in request_body()) {
        if crate::case::validate_request(&request, at).is_ok() {
            let rules = Rules::at(at);
            rules.required(&request.title, 120)?;
            rules.limit(&request.narrative, 8000)?;
            rules.required(&request.contact, 200)?;
            rules.limit(request.reference.as_deref().unwrap_or_default(), 64)?;
            prop_assert!(request.ack_by > at && request.report_by > request.ack_by, "deadlines out of order");
            prop_assert!(request.review_by.is_none_or(|review| review >= beijing_date(at)));
            prop_assert!(request.details.validate(at).is_empty());
            rules.details(&request.details)?;
        }
    }
}

/// The generators above must reach both sides of every rule, or the properties say nothing.
#[test]
fn the_generators_reach_valid_and_invalid_details_of_every_kind() {
    let mut sampler = crate::envelope::mutate::Sampler::seeded(7);
    let strategy = (details_json(), clock());
    let mut seen: std::collections::BTreeMap<String, (usize, usize, usize)> = Default::default();
    for _ in 0..2000 {
        let (json, now) = sampler.draw(&strategy);
        let kind = json["kind"].as_str().unwrap_or_default().to_owned();
        let entry = seen.entry(kind).or_default();
        entry.0 += 1;
        if let Ok(details) = serde_json::from_value::<CaseDetails>(json) {
            entry.1 += 1;
            if details.validate(now).is_empty() {
                entry.2 += 1;
            }
        }
    }
    println!("details drawn, parsed, valid by kind: {seen:?}");
    for kind in ["missing_person", "fugitive", "serial_theft", "dispute", "general"] {
        let (drawn, parsed, valid) = seen[kind];
        assert!(
            parsed > drawn / 10 && valid > 0 && valid < parsed,
            "{kind}: {drawn} drawn, {parsed} parsed, {valid} valid"
        );
    }
    let requests = request_body();
    let valid = (0..1000)
        .filter(|_| {
            let (request, at) = sampler.draw(&requests);
            crate::case::validate_request(&request, at).is_ok()
        })
        .count();
    println!("requests drawn 1000, valid {valid}");
    assert!((10..990).contains(&valid), "{valid} of 1000 requests valid");
}
