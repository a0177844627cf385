//! Text that would act instead of being read: terminal escapes, bidirectional overrides, values
//! that look filled in but show nothing. Refused at the officer API with the field named,
//! refused in a partner's signed envelope, and escaped by the command line when older data
//! holds it. Also: bad input anywhere in the officer API is a 4xx that changes nothing.

use serde_json::{Value, json};

use super::*;

/// A valid request as JSON, to be spoiled one field at a time.
fn valid_request(kind: CaseKind) -> Value {
    let case = samples::sample(kind, vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
    serde_json::to_value(case).unwrap()
}

/// `body` with the member at `pointer` set to `value` (added if the request left it out).
fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = body.pointer_mut(parent).and_then(Value::as_object_mut);
    parent.unwrap_or_else(|| panic!("no {pointer} in the request")).insert(key.to_owned(), value);
    body
}

async fn post_json(net: &Net, role: As, path: &str, body: &Value) -> (u16, Value) {
    let client = net.officer(LUOYANG, role);
    let response = client.http().post(format!("{}{path}", net.url(LUOYANG))).json(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// What 罗阳 holds: every tree's size and the audit chain's length. `meta` and the events are
/// left out: the delivery task writes a partner's health and reachability whenever it tries
/// to deliver.
fn holdings(net: &Net) -> (Vec<(&'static str, usize)>, u64) {
    let store = net.node(LUOYANG).store();
    let trees =
        store.tree_sizes().unwrap().into_iter().filter(|(tree, _)| !["meta", "seq_event"].contains(tree)).collect();
    (trees, store.verify_audit().unwrap())
}

#[tokio::test]
async fn hostile_text_is_refused_at_the_api_with_the_field_named_and_nothing_stored() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let missing = valid_request(CaseKind::MissingPerson);
    let fugitive = valid_request(CaseKind::Fugitive);
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "erase the screen",
            with(missing.clone(), "/title", json!("\u{1b}[2J\u{1b}[H已找到")),
            "title",
            "control_character",
        ),
        (
            "set the terminal title",
            with(missing.clone(), "/title", json!("\u{1b}]0;pwned\u{7}走失")),
            "title",
            "control_character",
        ),
        ("NUL", with(missing.clone(), "/contact", json!("陈志强\u{0}")), "contact", "control_character"),
        (
            "C1 CSI",
            with(missing.clone(), "/details/name", json!("吴\u{9b}31m德福")),
            "details.name",
            "control_character",
        ),
        (
            "carriage return",
            with(missing.clone(), "/narrative", json!("第一行\r第二行")),
            "narrative",
            "control_character",
        ),
        (
            "line break in a name",
            with(missing.clone(), "/details/name", json!("吴德福\n王五")),
            "details.name",
            "control_character",
        ),
        (
            "right-to-left override",
            with(fugitive.clone(), "/details/offence", json!("抢劫\u{202e}罪")),
            "details.offence",
            "bidi_control",
        ),
        (
            "isolate",
            with(missing.clone(), "/details/last_seen_place", json!("\u{2067}罗阳镇\u{2069}")),
            "details.last_seen_place",
            "bidi_control",
        ),
        ("only zero-width", with(missing.clone(), "/title", json!("\u{200b}\u{200d}\u{feff}")), "title", "required"),
        (
            "only ideographic space",
            with(missing.clone(), "/details/name", json!("\u{3000}\u{3000}")),
            "details.name",
            "required",
        ),
        (
            "born before 1900",
            with(with(missing.clone(), "/details/birth_date", json!("1899-12-31")), "/details/id_number", Value::Null),
            "details.birth_date",
            "too_early",
        ),
        (
            "seen before 1900",
            with(missing.clone(), "/details/last_seen_at", json!("1899-06-01T00:00:00Z")),
            "details.last_seen_at",
            "too_early",
        ),
    ];
    let before = holdings(&net);
    for (label, body, field, code) in cases {
        let (status, problem) = post_json(&net, As::Liaison, "/api/v1/cases", &body).await;
        assert_eq!(status, 422, "{label}: {problem}");
        let errors = problem["errors"].as_array().unwrap_or_else(|| panic!("{label}: {problem}"));
        assert!(
            errors.iter().any(|e| e["field"] == field && e["code"] == code),
            "{label}: expected {field} {code} in {problem}"
        );
    }
    assert_eq!(holdings(&net), before, "nothing was signed or stored");

    // Line breaks and tabs are fine where a field runs over several lines.
    let several_lines =
        with(missing, "/narrative", json!("家属反映：\n\t一、老人有阿尔茨海默病；\n\t二、随身无手机。"));
    let (status, created) = post_json(&net, As::Liaison, "/api/v1/cases", &several_lines).await;
    assert_eq!(status, 201, "{created}");
    net.shutdown().await;
}

/// Every route of the officer API answers bad input with a 4xx and a stable code, never a
/// 5xx, and changes nothing. Among them the one that used to answer 500: a station named twice.
#[tokio::test]
async fn bad_input_to_every_officer_route_is_a_4xx_that_changes_nothing() {
    let net = Net::partial(&[LUOYANG, XIXI, MAZHAN], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let sent =
        liaison.create_case(&samples::sample(CaseKind::General, vec![XIXI.parse().unwrap()], now)).await.unwrap();
    let case = format!("/api/v1/cases/{}", sent.id);
    let request = valid_request(CaseKind::General);
    let bad: Vec<(&str, As, String, Value)> = vec![
        (
            "a station twice",
            As::Liaison,
            "/api/v1/cases".into(),
            with(request.clone(), "/targets", json!([XIXI, XIXI])),
        ),
        ("itself", As::Liaison, "/api/v1/cases".into(), with(request.clone(), "/targets", json!([LUOYANG]))),
        ("no station", As::Liaison, "/api/v1/cases".into(), with(request.clone(), "/targets", json!([]))),
        ("a stranger", As::Liaison, "/api/v1/cases".into(), with(request.clone(), "/targets", json!(["gd-nowhere-x"]))),
        ("not a station id", As::Liaison, "/api/v1/cases".into(), with(request.clone(), "/targets", json!(["罗阳"]))),
        ("targets not a list", As::Liaison, "/api/v1/cases".into(), with(request.clone(), "/targets", json!(XIXI))),
        ("unknown kind", As::Liaison, "/api/v1/cases".into(), with(request.clone(), "/details/kind", json!("bomb"))),
        ("a number for text", As::Liaison, "/api/v1/cases".into(), with(request.clone(), "/title", json!(7))),
        (
            "a note to a station twice",
            As::Liaison,
            format!("{case}/notes"),
            json!({"text": "补充", "targets": [XIXI, XIXI]}),
        ),
        ("a reminder to a stranger", As::Liaison, format!("{case}/reminders"), json!({"targets": [MAZHAN]})),
        (
            "a withdrawal twice over",
            As::Liaison,
            format!("{case}/withdraw"),
            json!({"reason": "resolved_elsewhere", "targets": [XIXI, XIXI]}),
        ),
        ("a close of nothing resolved", As::Liaison, format!("{case}/close"), json!({"evaluation": 5})),
        ("an evaluation of 9", As::Liaison, format!("{case}/close"), json!({"evaluation": 9, "targets": [XIXI]})),
        ("ack of our own request", As::Duty, format!("{case}/ack"), json!({})),
        ("a note with a control character", As::Liaison, format!("{case}/notes"), json!({"text": "补充\u{1b}[2J"})),
        ("a note of zero-width", As::Liaison, format!("{case}/notes"), json!({"text": "\u{200b}"})),
        (
            "a note naming a file never uploaded",
            As::Liaison,
            format!("{case}/notes"),
            json!({"text": "补充", "attachments": [{"sha256": "cd".repeat(32), "size": 9, "media_type": "png", "name": "a.png"}]}),
        ),
        (
            "a note naming a file with folders",
            As::Liaison,
            format!("{case}/notes"),
            json!({"text": "补充", "attachments": [{"sha256": "cd".repeat(32), "size": 9, "media_type": "png", "name": "../a.png"}]}),
        ),
        ("a withdrawal for no reason", As::Liaison, format!("{case}/withdraw"), json!({"reason": "bored"})),
        (
            "a stand-down with nothing decisive",
            As::Liaison,
            format!("{case}/stand-down"),
            json!({"reason": "in_custody"}),
        ),
        ("a stand-down for no reason", As::Liaison, format!("{case}/stand-down"), json!({"reason": "bored"})),
        ("a stand-down by the duty desk", As::Duty, format!("{case}/stand-down"), json!({"reason": "in_custody"})),
        (
            "a stand-down with an unknown field",
            As::Liaison,
            format!("{case}/stand-down"),
            json!({"reason": "in_custody", "targets": [XIXI]}),
        ),
        ("an unknown field", As::Liaison, format!("{case}/reminders"), json!({"urgent": true})),
        ("a case that is not one", As::Liaison, "/api/v1/cases/not-a-case/notes".into(), json!({"text": "补充"})),
        (
            "a case that does not exist",
            As::Liaison,
            format!("/api/v1/cases/{}/notes", tiemeng::ids::CaseId::new()),
            json!({"text": "补充"}),
        ),
        ("forward our own request", As::Duty, format!("{case}/forward"), json!({"to": MAZHAN, "message": "转"})),
        ("a handover to no one registered", As::Liaison, format!("{case}/handover"), json!({"to": "330329099"})),
        ("a handover to the duty desk", As::Liaison, format!("{case}/handover"), json!({"to": "330329002"})),
        ("a handover by someone else", As::Duty, format!("{case}/handover"), json!({"to": "330329001"})),
        ("a handover to a name", As::Liaison, format!("{case}/handover"), json!({"to": "陈志强"})),
        (
            "a handover note with a control character",
            As::Liaison,
            format!("{case}/handover"),
            json!({"to": "330329003", "note": "交班\u{1b}[2J"}),
        ),
        ("a handover with an unknown field", As::Liaison, format!("{case}/handover"), json!({"to": "1", "now": 1})),
        (
            "an attachment never uploaded",
            As::Liaison,
            "/api/v1/cases".into(),
            with(
                request.clone(),
                "/attachments",
                json!([{"sha256": "ab".repeat(32), "size": 10, "media_type": "jpeg", "name": "照片.jpg"}]),
            ),
        ),
        (
            "an attachment hash that is not one",
            As::Liaison,
            "/api/v1/cases".into(),
            with(
                request.clone(),
                "/attachments",
                json!([{"sha256": "x", "size": 1, "media_type": "jpeg", "name": "a"}]),
            ),
        ),
        (
            "an attachment of an unknown type",
            As::Liaison,
            "/api/v1/cases".into(),
            with(
                request.clone(),
                "/attachments",
                json!([{"sha256": "ab".repeat(32), "size": 1, "media_type": "exe", "name": "a"}]),
            ),
        ),
        ("a web page as an upload", As::Liaison, "/api/v1/attachments".into(), json!({"html": "<script>"})),
        (
            "a redirect of a request no one declined",
            As::Liaison,
            "/api/v1/cases".into(),
            with(request.clone(), "/redirect_of", json!({"case": sent.id, "station": XIXI})),
        ),
        (
            "a redirect of a case that does not exist",
            As::Liaison,
            "/api/v1/cases".into(),
            with(request.clone(), "/redirect_of", json!({"case": tiemeng::ids::CaseId::new(), "station": XIXI})),
        ),
        ("a letter code that is a link", As::Duty, "/api/v1/letters/verify".into(), json!({"code": "https://x.cn/"})),
        ("a letter code that is a number", As::Duty, "/api/v1/letters/verify".into(), json!({"code": 7})),
        ("a letter code and more", As::Duty, "/api/v1/letters/verify".into(), json!({"code": "x", "scan": 1})),
    ];
    let before = holdings(&net);
    for (label, role, path, body) in bad {
        let (status, problem) = post_json(&net, role, &path, &body).await;
        assert!((400..500).contains(&status), "{label}: {status} {problem}");
        assert!(problem["code"].as_str().is_some_and(|c| !c.is_empty()), "{label}: a stable code: {problem}");
    }
    // A search with a bad filter is refused in words, and not even recorded as a search.
    let searcher = net.officer(LUOYANG, As::Liaison);
    for query in [
        "kind=bomb",
        "state=lost",
        "peer=%E7%BD%97%E9%98%B3",
        "from=yesterday",
        "from=2026-12-02&to=2026-12-01",
        "cursor=zz",
        "limit=many",
        "q=%1B%5B2J",
        "urgent=1",
    ] {
        let url = format!("{}/api/v1/search?{query}", net.url(LUOYANG));
        let response = searcher.http().get(url).send().await.unwrap();
        let status = response.status().as_u16();
        let problem: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!((status, problem["code"].as_str()), (400, Some("invalid_query")), "search {query}: {problem}");
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()), "search {query}: in words: {problem}");
    }
    assert_eq!(holdings(&net), before, "nothing changed");
    let (status, problem) =
        post_json(&net, As::Liaison, "/api/v1/cases", &with(request, "/targets", json!([XIXI, XIXI]))).await;
    assert_eq!((status, problem["code"].as_str()), (422, Some("validation_failed")), "{problem}");
    assert_eq!(problem["errors"][0]["field"], "targets[1]", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "duplicate", "{problem}");
    // The schema says so too, so that API clients and conformance tools know it.
    let client = net.officer(LUOYANG, As::Liaison);
    let doc = support::get_json(client.http(), &format!("{}/api/v1/openapi.json", net.url(LUOYANG))).await;
    for schema in ["NewCase", "NoteInput", "ReminderInput", "CloseInput", "WithdrawInput"] {
        let targets = &doc["components"]["schemas"][schema]["properties"]["targets"];
        assert_eq!(targets["uniqueItems"], true, "{schema}: {targets}");
    }
    net.shutdown().await;
}

/// Text stored before these rules, or sent by a partner running an older release, may hold
/// anything. The command line never writes a control character from it to the terminal.
#[tokio::test]
async fn the_command_line_escapes_what_older_data_holds() {
    let net = Net::partial(&[LUOYANG, XIXI], &[LUOYANG]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let sent =
        liaison.create_case(&samples::sample(CaseKind::General, vec![XIXI.parse().unwrap()], now)).await.unwrap();
    // What an older release let through, written straight into the store.
    let store = net.node(LUOYANG).store();
    let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J已拦截\u{202e}\r";
    store
        .write(now, |unit| {
            let mut case = unit.case(&sent.id)?.unwrap();
            case.title = hostile.to_owned();
            case.summary = hostile.to_owned();
            unit.put_case(&case)?;
            Ok::<_, tiemeng::store::StoreError>(())
        })
        .unwrap();
    store.durable().await.unwrap();
    let id = sent.id.to_string();
    for args in [vec!["list", "--outbox"], vec!["show", id.as_str()], vec!["--json", "show", id.as_str()]] {
        let output = net.cli(LUOYANG, As::Liaison, "case", &args).await;
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        let printed = String::from_utf8(output.stdout).unwrap();
        assert!(printed.contains("\\u001b]0;pwned"), "{args:?} shows the text, escaped: {printed}");
        let acting = printed.chars().find(|c| (c.is_control() && *c != '\n') || ('\u{202a}'..='\u{202e}').contains(c));
        assert_eq!(acting, None, "{args:?} wrote a character that acts on the terminal: {printed:?}");
        if args[0] == "--json" {
            let parsed: Value = serde_json::from_str(&printed).unwrap();
            assert_eq!(parsed["case"]["title"], hostile, "the JSON still reads back as stored");
        }
    }
    net.shutdown().await;
}
