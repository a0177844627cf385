#![allow(clippy::unwrap_used)]

use super::check::full_years;
use super::*;
use serde_json::{Value, json};
use time::macros::{date, datetime};

const NOW: OffsetDateTime = datetime!(2024-05-02 12:00 +8);

fn parse(value: Value) -> Result<CaseDetails, serde_json::Error> {
    serde_json::from_value(value)
}

fn codes_at(details: &CaseDetails) -> Vec<(String, &'static str)> {
    details.validate(NOW).into_iter().map(|e| (e.field, e.code)).collect()
}

fn has(details: &CaseDetails, field: &str, code: &str) -> bool {
    codes_at(details).iter().any(|(f, c)| f == field && *c == code)
}

fn missing_person_json() -> Value {
    json!({
        "kind": "missing_person",
        "name": "王某某",
        "sex": "male",
        "age": 78,
        "description": "身高约165厘米，穿蓝色中山装，患阿尔茨海默病",
        "last_seen_place": "泰顺县罗阳镇",
        "last_seen_at": "2024-05-01T08:30:00+08:00"
    })
}

fn fugitive_json() -> Value {
    json!({
        "kind": "fugitive",
        "name": "张某",
        "id_number": "11010519491231002x",
        "warrant_number": "t 3303 2920 24 ",
        "offence": "抢劫罪",
        "danger": ["violent", "armed", "armed"],
        "vehicles": [{ "plate": "闽J·D12345", "description": "白色轿车" }],
        "last_known_location": "寿宁县犀溪镇",
        "action": "arrest"
    })
}

fn serial_theft_json() -> Value {
    json!({
        "kind": "serial_theft",
        "linked_case_numbers": ["A3303290500002024050001", "a3303290500002024050002"],
        "modus_operandi": "夜间撬锁入室",
        "stolen_items": ["电动车电瓶"],
        "suspects": [{ "description": "男，30岁左右，戴黑色头盔" }],
        "vehicles": [{ "plate": "浙C12345" }],
        "incidents": [
            { "at": "2024-04-20T02:00:00+08:00", "place": "罗阳镇新城路" },
            { "at": "2024-04-22T03:00:00+08:00", "place": "犀溪镇仙都村", "summary": "盗走电瓶两块" }
        ]
    })
}

fn dispute_json() -> Value {
    json!({
        "kind": "dispute",
        "parties": [{ "name": "李某", "role": "泰顺县村民" }, { "name": "陈某", "contact": "138****0000" }],
        "place": "两县交界茶山",
        "summary": "茶山承包边界纠纷",
        "disputed_since": "2024-03-01"
    })
}

fn general_json() -> Value {
    json!({ "kind": "general", "subject": "核查一辆可疑车辆", "request": "请协助核查该车近期行驶轨迹" })
}

fn all_valid_json() -> [Value; 5] {
    [missing_person_json(), fugitive_json(), serial_theft_json(), dispute_json(), general_json()]
}

/// `json` with `key` set to `value`.
fn with(mut json: Value, key: &str, value: Value) -> CaseDetails {
    json[key] = value;
    parse(json).unwrap()
}

#[test]
fn every_valid_example_parses_validates_and_round_trips() {
    for json in all_valid_json() {
        let details = parse(json.clone()).unwrap();
        assert_eq!(details.validate(NOW), vec![], "{json}");
        let again: CaseDetails = serde_json::from_str(&serde_json::to_string(&details).unwrap()).unwrap();
        assert_eq!(again, details);
        assert_eq!(serde_json::to_value(details.kind()).unwrap(), json["kind"]);
    }
}

#[test]
fn unknown_fields_are_rejected_inside_every_kind() {
    for mut json in all_valid_json() {
        json["nmae"] = json!("typo");
        let err = parse(json.clone()).unwrap_err();
        assert!(err.to_string().contains("unknown field `nmae`"), "{json}: {err}");
    }
}

#[test]
fn unknown_fields_are_rejected_in_nested_objects() {
    let mut json = serial_theft_json();
    json["incidents"][0]["where"] = json!("x");
    assert!(parse(json).unwrap_err().to_string().contains("unknown field `where`"));
    let mut json = fugitive_json();
    json["vehicles"][0]["colour"] = json!("white");
    assert!(parse(json).unwrap_err().to_string().contains("unknown field `colour`"));
}

#[test]
fn unknown_kind_and_missing_kind_are_rejected() {
    assert!(parse(json!({ "kind": "burglary", "subject": "x", "request": "y" })).is_err());
    assert!(parse(json!({ "subject": "x", "request": "y" })).is_err());
}

#[test]
fn malformed_ids_plates_and_dates_are_rejected_by_deserialisation() {
    let mut json = fugitive_json();
    json["id_number"] = json!("110105194912310021");
    assert!(parse(json).is_err());
    let mut json = fugitive_json();
    json["vehicles"][0]["plate"] = json!("浙C1234");
    assert!(parse(json).is_err());
    let mut json = dispute_json();
    json["disputed_since"] = json!("2024-02-30");
    assert!(parse(json).is_err());
    let mut json = missing_person_json();
    json["last_seen_at"] = json!("2024-05-01 08:30");
    assert!(parse(json).is_err());
}

#[test]
fn optional_fields_are_omitted_when_serialised() {
    let details = parse(general_json()).unwrap();
    let value = serde_json::to_value(&details).unwrap();
    assert_eq!(value, general_json());
    let value = serde_json::to_value(parse(missing_person_json()).unwrap()).unwrap();
    assert!(value.get("birth_date").is_none() && value.get("id_number").is_none());
}

#[test]
fn dates_use_year_month_day() {
    let details = with(missing_person_json(), "birth_date", json!("1946-02-03"));
    assert_eq!(serde_json::to_value(&details).unwrap()["birth_date"], json!("1946-02-03"));
}

#[test]
fn blank_required_texts_are_reported_in_chinese_first() {
    let details = with(missing_person_json(), "name", json!("  "));
    let errors = details.validate(NOW);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "details.name");
    assert_eq!(errors[0].code, "required");
    assert_eq!(errors[0].zh, "请填写失踪人员姓名");
}

#[test]
fn over_long_texts_are_too_long() {
    assert!(has(&with(missing_person_json(), "name", json!("王".repeat(65))), "details.name", "too_long"));
    assert!(!has(&with(missing_person_json(), "name", json!("王".repeat(64))), "details.name", "too_long"));
    assert!(has(&with(general_json(), "request", json!("字".repeat(4001))), "details.request", "too_long"));
    assert!(has(&with(dispute_json(), "place", json!("地".repeat(201))), "details.place", "too_long"));
}

#[test]
fn last_seen_in_the_future_is_refused_beyond_clock_skew() {
    let soon = with(missing_person_json(), "last_seen_at", json!("2024-05-02T12:04:00+08:00"));
    assert!(!has(&soon, "details.last_seen_at", "in_future"));
    let later = with(missing_person_json(), "last_seen_at", json!("2024-05-02T04:06:00Z"));
    assert!(has(&later, "details.last_seen_at", "in_future"));
}

#[test]
fn missing_person_needs_age_birth_date_or_id() {
    let mut json = missing_person_json();
    json.as_object_mut().unwrap().remove("age");
    assert!(has(&parse(json.clone()).unwrap(), "details.age", "required"));
    json["id_number"] = json!("11010519491231002X");
    json["sex"] = json!("female");
    assert_eq!(parse(json).unwrap().validate(NOW), vec![]);
}

#[test]
fn impossible_age_is_out_of_range() {
    assert!(has(&with(missing_person_json(), "age", json!(131)), "details.age", "out_of_range"));
    let mut json = missing_person_json();
    json["age"] = json!(300);
    assert!(parse(json).is_err(), "u8 refuses it before validation");
}

#[test]
fn age_must_roughly_match_birth_date() {
    let mut json = missing_person_json();
    json["birth_date"] = json!("1946-02-03");
    // 78 full years on 2024-05-01; 虚岁 79 or 80 is accepted too.
    for age in [77, 78, 79, 80] {
        assert!(!has(&with(json.clone(), "age", json!(age)), "details.age", "inconsistent_age"), "{age}");
    }
    for age in [76, 81, 30] {
        assert!(has(&with(json.clone(), "age", json!(age)), "details.age", "inconsistent_age"), "{age}");
    }
}

#[test]
fn birth_date_must_match_the_resident_id() {
    let mut json = missing_person_json();
    json["sex"] = json!("female");
    json["age"] = json!(74);
    json["id_number"] = json!("11010519491231002X");
    json["birth_date"] = json!("1949-12-30");
    assert!(has(&parse(json.clone()).unwrap(), "details.birth_date", "inconsistent_birth_date"));
    json["birth_date"] = json!("1949-12-31");
    assert_eq!(parse(json).unwrap().validate(NOW), vec![]);
}

#[test]
fn sex_must_match_the_resident_id() {
    let mut json = missing_person_json();
    json["id_number"] = json!("11010519491231002X");
    json["age"] = json!(74);
    assert!(has(&parse(json.clone()).unwrap(), "details.sex", "inconsistent_sex"));
    json["sex"] = json!("unknown");
    assert!(!has(&parse(json).unwrap(), "details.sex", "inconsistent_sex"));
}

#[test]
fn birth_date_after_last_seen_or_in_future_is_refused() {
    let mut json = missing_person_json();
    json.as_object_mut().unwrap().remove("age");
    json["last_seen_at"] = json!("2020-01-01T00:00:00+08:00");
    let details = with(json.clone(), "birth_date", json!("2021-06-01"));
    assert!(has(&details, "details.birth_date", "out_of_order"));
    let details = with(json, "birth_date", json!("2024-05-03"));
    assert!(has(&details, "details.birth_date", "in_future"));
}

#[test]
fn resident_id_born_in_the_future_is_refused() {
    let first17 = "33032920300101123";
    let id = format!("{first17}{}", super::super::resident_id::check_char(first17).unwrap());
    assert!(has(&with(fugitive_json(), "id_number", json!(id)), "details.id_number", "in_future"));
}

#[test]
fn other_danger_needs_an_explanation() {
    let details = with(fugitive_json(), "danger", json!(["other"]));
    assert!(has(&details, "details.danger_notes", "required"));
    let mut json = fugitive_json();
    json["danger"] = json!(["other"]);
    json["danger_notes"] = json!("随身携带汽油");
    assert_eq!(parse(json).unwrap().validate(NOW), vec![]);
}

#[test]
fn danger_flags_are_a_set_in_fixed_order() {
    let value = serde_json::to_value(parse(fugitive_json()).unwrap()).unwrap();
    assert_eq!(value["danger"], json!(["armed", "violent"]));
}

#[test]
fn vehicle_needs_plate_or_description() {
    let details = with(fugitive_json(), "vehicles", json!([{ "description": " " }]));
    assert!(has(&details, "details.vehicles[0].description", "required"));
    assert_eq!(with(fugitive_json(), "vehicles", json!([{ "plate": "浙C12345" }])).validate(NOW), vec![]);
}

#[test]
fn serial_theft_needs_a_case_number_and_an_incident() {
    let details = with(serial_theft_json(), "linked_case_numbers", json!([]));
    assert!(has(&details, "details.linked_case_numbers", "too_few"));
    let details = with(serial_theft_json(), "incidents", json!([]));
    assert!(has(&details, "details.incidents", "too_few"));
}

#[test]
fn duplicate_and_blank_case_numbers_are_reported() {
    let details = with(serial_theft_json(), "linked_case_numbers", json!(["A1", " a 1", ""]));
    assert!(has(&details, "details.linked_case_numbers[1]", "duplicate"));
    assert!(has(&details, "details.linked_case_numbers[2]", "required"));
}

#[test]
fn incident_in_the_future_is_reported_at_its_index() {
    let mut json = serial_theft_json();
    json["incidents"][1]["at"] = json!("2024-05-03T00:00:00+08:00");
    let details = parse(json).unwrap();
    assert_eq!(codes_at(&details), vec![("details.incidents[1].at".to_owned(), "in_future")]);
}

#[test]
fn incidents_may_be_listed_in_any_order() {
    let mut json = serial_theft_json();
    json["incidents"].as_array_mut().unwrap().reverse();
    assert_eq!(parse(json).unwrap().validate(NOW), vec![]);
}

#[test]
fn lists_are_capped() {
    let items: Vec<String> = (0..51).map(|i| format!("物品{i}")).collect();
    assert!(has(&with(serial_theft_json(), "stolen_items", json!(items)), "details.stolen_items", "too_many"));
    let blank = with(serial_theft_json(), "stolen_items", json!(["电瓶", ""]));
    assert!(has(&blank, "details.stolen_items[1]", "required"));
}

#[test]
fn suspect_must_be_described_somehow() {
    let details = with(serial_theft_json(), "suspects", json!([{ "name": " " }]));
    assert!(has(&details, "details.suspects[0].description", "required"));
}

#[test]
fn dispute_needs_two_parties_with_names() {
    let details = with(dispute_json(), "parties", json!([{ "name": "李某" }]));
    assert!(has(&details, "details.parties", "too_few"));
    let details = with(dispute_json(), "parties", json!([{ "name": "李某" }, { "name": "" }]));
    assert!(has(&details, "details.parties[1].name", "required"));
}

#[test]
fn dispute_cannot_start_in_the_future() {
    assert!(has(&with(dispute_json(), "disputed_since", json!("2024-05-03")), "details.disputed_since", "in_future"));
    assert!(!has(&with(dispute_json(), "disputed_since", json!("2024-05-02")), "details.disputed_since", "in_future"));
}

#[test]
fn general_needs_subject_and_request() {
    let details = parse(json!({ "kind": "general", "subject": "", "request": "\n" })).unwrap();
    let fields: Vec<_> = codes_at(&details).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["details.subject", "details.request"]);
}

#[test]
fn subject_keys_are_normalised_deduplicated_and_sorted() {
    let keys = parse(fugitive_json()).unwrap().subject_keys();
    assert_eq!(
        keys,
        vec![
            SubjectKey::ResidentId("11010519491231002X".to_owned()),
            SubjectKey::Plate("闽JD12345".to_owned()),
            SubjectKey::CaseNumber("T3303292024".to_owned()),
        ]
    );
    let mut json = serial_theft_json();
    json["linked_case_numbers"] = json!(["a 1", "A1", "b2"]);
    json["suspects"] = json!([{ "id_number": "11010519491231002X" }, { "id_number": "11010519491231002x" }]);
    json["vehicles"] = json!([{ "plate": "浙C12345" }, { "plate": "浙C·12345" }]);
    let keys = parse(json).unwrap().subject_keys();
    assert_eq!(
        keys,
        vec![
            SubjectKey::ResidentId("11010519491231002X".to_owned()),
            SubjectKey::Plate("浙C12345".to_owned()),
            SubjectKey::CaseNumber("A1".to_owned()),
            SubjectKey::CaseNumber("B2".to_owned()),
        ]
    );
    assert!(parse(dispute_json()).unwrap().subject_keys().is_empty());
}

#[test]
fn index_keys_are_tagged_and_distinct_per_kind() {
    assert_eq!(SubjectKey::Plate("浙C12345".to_owned()).index_key(), [b"P".as_slice(), "浙C12345".as_bytes()].concat());
    assert_ne!(SubjectKey::CaseNumber("X".to_owned()).index_key(), SubjectKey::Plate("X".to_owned()).index_key());
}

#[test]
fn case_kind_names_match_serde_and_parse_back() {
    for kind in CaseKind::ALL {
        assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        assert_eq!(kind.as_str().parse::<CaseKind>(), Ok(kind));
        assert!(!kind.zh().is_empty() && !kind.en().is_empty());
    }
    assert_eq!("theft".parse::<CaseKind>(), Err(UnknownCaseKind("theft".to_owned())));
}

#[test]
fn summaries_read_as_one_line() {
    let [missing, fugitive, theft, dispute, general] = all_valid_json().map(|j| parse(j).unwrap().summary_zh());
    assert_eq!(missing, "失踪人员 王某某（男，78岁），最后出现于 泰顺县罗阳镇，2024-05-01 08:30");
    assert_eq!(
        fugitive,
        "在逃人员 张某（涉嫌抢劫罪，编号 t 3303 2920 24），最后位于 寿宁县犀溪镇；请求抓捕；危险：持枪持械、有暴力倾向"
    );
    assert_eq!(theft, "系列盗窃 2 起（关联案件 A3303290500002024050001 等 2 起），作案手法：夜间撬锁入室");
    assert_eq!(dispute, "矛盾纠纷 李某 与 陈某，地点 两县交界茶山：茶山承包边界纠纷");
    assert_eq!(general, "其他协查：核查一辆可疑车辆");
    let long = with(general_json(), "subject", json!(format!("第一行\n{}", "长".repeat(100)))).summary_zh();
    assert!(!long.contains('\n') && long.ends_with('…') && long.chars().count() <= 65, "{long}");
}

#[test]
fn missing_person_summary_derives_age_from_the_id() {
    let mut json = missing_person_json();
    json.as_object_mut().unwrap().remove("age");
    json["sex"] = json!("female");
    json["id_number"] = json!("11010519491231002X");
    assert!(parse(json).unwrap().summary_zh().starts_with("失踪人员 王某某（女，74岁）"));
}

#[test]
fn openapi_components_accept_the_kind_tag() {
    use utoipa::openapi::schema::Schema;
    use utoipa::openapi::{ComponentsBuilder, OpenApiBuilder, RefOr};
    use utoipa::{Modify, ToSchema};

    let mut schemas = Vec::new();
    CaseDetails::schemas(&mut schemas);
    let components = ComponentsBuilder::new().schemas_from_iter(schemas).build();
    let mut openapi = OpenApiBuilder::new().components(Some(components)).build();
    KindTagInSchemas.modify(&mut openapi);
    let schemas = &openapi.components.unwrap().schemas;
    for kind in CaseKind::ALL {
        let Some(RefOr::T(Schema::Object(object))) = schemas.get(kind.schema_name()) else {
            panic!("no component for {kind}");
        };
        assert!(object.additional_properties.is_some(), "{kind} stays closed to unknown fields");
        let tag = serde_json::to_value(&object.properties["kind"]).unwrap();
        assert_eq!(tag["enum"], json!([kind.as_str()]));
        assert_eq!(object.required[0], "kind");
    }
}

#[test]
fn full_years_turn_on_the_birthday() {
    assert_eq!(full_years(date!(1946 - 02 - 03), date!(2024 - 02 - 02)), 77);
    assert_eq!(full_years(date!(1946 - 02 - 03), date!(2024 - 02 - 03)), 78);
}
