//! The web console over real mTLS, as a browser without JavaScript uses it: pages, forms,
//! validation next to fields, escaping, and protection against cross-site form posts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[path = "console/attachments.rs"]
mod attachments;
#[path = "console/once.rs"]
mod once;
#[path = "console/search.rs"]
mod search;
#[path = "console/stand_down.rs"]
mod stand_down;

use std::time::Duration;

use support::{As, LUOYANG, Net, XIXI, eventually};
use tiemeng::domain::details::CaseKind;
use tiemeng::domain::lifecycle::TargetState;
use tiemeng::samples;
use tiemeng::store::Mailbox;

async fn get(net: &Net, station: &str, role: As, path: &str) -> (u16, String) {
    let client = net.officer(station, role);
    let response = client.http().get(format!("{}{path}", net.url(station))).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn token(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").unwrap_or_else(|| panic!("no form token in {html}"))
        + "name=\"csrf\" value=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

async fn post(
    net: &Net,
    station: &str,
    role: As,
    path: &str,
    form: &[(&str, &str)],
    origin: Option<&str>,
) -> (u16, String, String) {
    let client = net.officer(station, role);
    let mut request = client.http().post(format!("{}{path}", net.url(station))).form(form);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let location = response.url().path().to_owned();
    (status, location, response.text().await.unwrap())
}

#[tokio::test]
async fn each_role_lands_on_its_page_in_chinese_or_english() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let (status, html) = get(&net, LUOYANG, As::Chief, "/console").await;
    assert_eq!(status, 200);
    assert!(html.contains("联合协作统计") && html.contains("协查失踪人员 0人"), "the chief lands on the dashboard");
    let (_, html) = get(&net, LUOYANG, As::Duty, "/console").await;
    assert!(html.contains("<h1>收到的协查</h1>"), "the duty officer lands on the inbox");
    let (_, html) = get(&net, LUOYANG, As::Liaison, "/console").await;
    assert!(html.contains("<h1>发出的协查</h1>") && html.contains("发起协查"), "the liaison lands on the outbox");
    let (_, html) = get(&net, LUOYANG, As::Duty, "/console/inbox?lang=en").await;
    assert!(html.contains("<h1>Received requests</h1>"));
    let (_, html) = get(&net, LUOYANG, As::Admin, "/console/inbox").await;
    assert!(html.contains("无此操作权限"), "admins read no case content: {html}");
    net.shutdown().await;
}

#[tokio::test]
async fn a_request_sent_from_the_console_reaches_the_partner_and_is_worked_there() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let (_, form) = get(&net, LUOYANG, As::Liaison, "/console/new/missing_person").await;
    assert!(form.contains("公民身份号码") && form.contains("最后出现时间"));
    let csrf = token(&form);
    let id_number = samples::resident_id("33032919480312001").unwrap().as_str().to_owned();
    let wrong_id = format!("{}{}", &id_number[..17], if id_number.ends_with('0') { '1' } else { '0' });
    let fields = [
        ("csrf", csrf.as_str()),
        ("targets", XIXI),
        ("priority", "urgent"),
        ("title", "协查走失老人<script>alert(1)</script>"),
        ("details.name", "吴德福"),
        ("details.sex", "male"),
        ("details.age", "78"),
        ("details.id_number", id_number.as_str()),
        ("details.description", "身高约165厘米，穿深蓝色中山装"),
        ("details.last_seen_place", "罗阳镇洲岭村村口"),
        ("details.last_seen_at", "2026-11-23T06:30"),
        ("contact", "陈志强 0577-67580110"),
    ];
    // A wrong check digit is shown next to the ID field, in Chinese, and nothing is sent.
    let mut wrong = fields.to_vec();
    wrong[7] = ("details.id_number", wrong_id.as_str());
    let (status, _, html) = post(&net, LUOYANG, As::Liaison, "/console/new/missing_person", &wrong, None).await;
    assert_eq!(status, 422);
    assert!(html.contains("公民身份号码有误"), "{html}");
    assert!(html.contains("id=\"details.id_number-error\""), "the message sits with its field");
    assert!(html.contains("value=\"吴德福\""), "what the officer typed is kept");
    let liaison = net.officer(LUOYANG, As::Liaison);
    assert!(liaison.list(Mailbox::Outbox, "").await.unwrap().cases.is_empty());

    let (status, path, html) = post(&net, LUOYANG, As::Liaison, "/console/new/missing_person", &fields, None).await;
    assert_eq!(status, 200, "{html}");
    assert!(path.starts_with("/console/cases/"), "redirected to the new case: {path}");
    assert!(html.contains("协查请求已签名并发出"));
    assert!(html.contains("&lt;script&gt;") && !html.contains("<script>alert"), "user text is escaped");
    let id: tiemeng::ids::CaseId = path.trim_start_matches("/console/cases/").parse().unwrap();

    // At 犀溪 the duty officer sees it in the inbox and acknowledges it from the case page.
    let duty = net.officer(XIXI, As::Duty);
    assert!(eventually(Duration::from_secs(20), || async { duty.case(&id).await.is_ok() }).await);
    let (_, inbox) = get(&net, XIXI, As::Duty, "/console/inbox").await;
    assert!(inbox.contains("协查走失老人&lt;script&gt;"), "{inbox}");
    let (_, page) = get(&net, XIXI, As::Duty, &format!("/console/cases/{id}")).await;
    assert!(page.contains("签名已验证") && page.contains("吴德福"));
    let csrf = token(&page);
    let unconfirmed = [("csrf", csrf.as_str()), ("message", "收到")];
    let (status, _, html) = post(&net, XIXI, As::Duty, &format!("/console/cases/{id}/ack"), &unconfirmed, None).await;
    assert_eq!(status, 422);
    assert!(html.contains("请勾选“确认无误”"));
    let confirmed = [("csrf", csrf.as_str()), ("message", "已安排警力查找"), ("confirm", "yes")];
    let (status, _, html) = post(&net, XIXI, As::Duty, &format!("/console/cases/{id}/ack"), &confirmed, None).await;
    assert_eq!(status, 200);
    assert!(html.contains("已签收。"));
    assert_eq!(duty.case(&id).await.unwrap().case.targets[0].state, TargetState::Acknowledged);
    net.shutdown().await;
}

/// A form's fields for one kind of request, filled in as an officer would (every required
/// field, and a few optional ones), with what the case page must show of them afterwards.
fn filled_in(kind: CaseKind) -> (Vec<(&'static str, String)>, Vec<&'static str>) {
    let id = |first17: &str| samples::resident_id(first17).unwrap().as_str().to_owned();
    let typed = |pairs: &[(&'static str, &str)]| pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    match kind {
        CaseKind::MissingPerson => (
            [
                typed(&[
                    ("details.name", "林秀英"),
                    ("details.sex", "female"),
                    ("details.description", "身高约130厘米，扎马尾，穿红色羽绒服"),
                    ("details.last_seen_place", "罗阳镇中心小学门口"),
                    ("details.last_seen_at", "2026-11-23T16:30"),
                    ("details.contact", "母亲林美华 13857700456"),
                ]),
                vec![("details.id_number", id("35092420150607002"))],
            ]
            .concat(),
            vec![
                "林秀英",
                "身高约130厘米，扎马尾，穿红色羽绒服",
                "罗阳镇中心小学门口",
                "2026-11-23 16:30",
                "母亲林美华 13857700456",
            ],
        ),
        CaseKind::Fugitive => (
            [
                typed(&[
                    ("details.name", "郑国华"),
                    ("details.warrant_number", "T3303292026110017"),
                    ("details.offence", "故意伤害罪"),
                    ("details.danger", "violent"),
                    ("details.vehicles[0].plate", "浙C12345"),
                    ("details.vehicles[0].description", "白色大众朗逸"),
                    ("details.last_known_location", "泰顺县罗阳镇汽车站"),
                    ("details.last_known_at", "2026-11-22T21:10"),
                    ("details.action", "intercept"),
                ]),
                vec![("details.id_number", id("33032919850214001"))],
            ]
            .concat(),
            vec![
                "郑国华",
                "T3303292026110017",
                "故意伤害罪",
                "有暴力倾向",
                "浙C12345 · 白色大众朗逸",
                "泰顺县罗阳镇汽车站",
                "2026-11-22 21:10",
                "拦截",
            ],
        ),
        CaseKind::SerialTheft => (
            [
                typed(&[
                    ("details.linked_case_numbers", "A3303292026110012\r\nA3509242026110007"),
                    ("details.modus_operandi", "夜间剪断电动车锁后推走，专挑停在村道旁的车辆"),
                    ("details.stolen_items", "雅迪电动车\r\n绿源电动车"),
                    ("details.suspects[0].name", "叶某"),
                    ("details.suspects[0].description", "男，约30岁，戴黑色头盔"),
                    ("details.vehicles[0].plate", "闽J56789"),
                    ("details.vehicles[0].description", "蓝色三轮货车"),
                    ("details.incidents[0].at", "2026-11-20T02:30"),
                    ("details.incidents[0].place", "寿宁县犀溪镇西浦村"),
                    ("details.incidents[0].summary", "电动车一辆被盗"),
                    ("details.incidents[1].at", "2026-11-21T03:15"),
                    ("details.incidents[1].place", "泰顺县罗阳镇洲岭村"),
                    ("details.incidents[1].summary", "电动车两辆被盗"),
                ]),
                vec![("details.suspects[0].id_number", id("33032919960318013"))],
            ]
            .concat(),
            vec![
                "A3303292026110012；A3509242026110007",
                "夜间剪断电动车锁后推走，专挑停在村道旁的车辆",
                "雅迪电动车；绿源电动车",
                "叶某",
                "男，约30岁，戴黑色头盔",
                "闽J56789 · 蓝色三轮货车",
                "2026-11-20 02:30 · 寿宁县犀溪镇西浦村 · 电动车一辆被盗",
                "2026-11-21 03:15 · 泰顺县罗阳镇洲岭村 · 电动车两辆被盗",
            ],
        ),
        CaseKind::Dispute => (
            typed(&[
                ("details.parties[0].name", "泰顺县罗阳镇洲岭村村民委员会"),
                ("details.parties[0].role", "承包方"),
                ("details.parties[0].contact", "0577-67581234"),
                ("details.parties[1].name", "寿宁县犀溪镇西浦村村民委员会"),
                ("details.parties[1].role", "发包方"),
                ("details.place", "洲岭村与西浦村交界处山林"),
                ("details.summary", "两村因交界处约二十亩山林的权属发生争执，已有村民阻拦砍伐"),
                ("details.disputed_since", "2026-10-01"),
            ]),
            vec![
                "泰顺县罗阳镇洲岭村村民委员会 · 承包方 · 0577-67581234",
                "寿宁县犀溪镇西浦村村民委员会 · 发包方",
                "洲岭村与西浦村交界处山林",
                "两村因交界处约二十亩山林的权属发生争执，已有村民阻拦砍伐",
                "2026-10-01",
            ],
        ),
        CaseKind::General => (
            typed(&[
                ("details.subject", "核查一辆外地牌照车辆的通行记录"),
                ("details.request", "请协助调取该车近三个月在犀溪镇卡口的通行记录"),
            ]),
            vec!["核查一辆外地牌照车辆的通行记录", "请协助调取该车近三个月在犀溪镇卡口的通行记录"],
        ),
    }
}

/// The names of the fields a form marks as required (`<label for="…">… *</label>`).
fn required_fields(form: &str) -> Vec<&str> {
    form.split("<label for=\"")
        .skip(1)
        .filter_map(|rest| {
            let (name, rest) = rest.split_once('"')?;
            let label = &rest[..rest.find("</label>")?];
            label.ends_with(" *").then_some(name)
        })
        .collect()
}

/// Every kind of request goes out from its form: filled in with every required field, it is
/// signed and sent, stored at the origin as its kind, and its page shows what was typed.
#[tokio::test]
async fn every_kind_of_request_is_sent_from_its_form_and_shown_as_typed() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let origin = net.node(LUOYANG).clone();
    for kind in CaseKind::ALL {
        let path = format!("/console/new/{}", kind.as_str());
        let (status, form) = get(&net, LUOYANG, As::Liaison, &path).await;
        assert_eq!(status, 200, "{path}");
        let (details, shown) = filled_in(kind);
        let title = format!("{}：浙闽边界联合协查", kind.zh());
        let mut fields: Vec<(&str, String)> = vec![
            ("csrf", token(&form)),
            ("targets", XIXI.to_owned()),
            ("priority", "high".to_owned()),
            ("title", title.clone()),
            ("contact", "陈志强 0577-67580110".to_owned()),
        ];
        let ids: Vec<String> =
            details.iter().filter(|(name, _)| name.ends_with("id_number")).map(|(_, id)| id.clone()).collect();
        fields.extend(details);
        for name in fields.iter().map(|(name, _)| *name).filter(|name| *name != "csrf") {
            assert!(form.contains(&format!("name=\"{name}\"")), "{path} has no field {name}");
        }
        let required = required_fields(&form);
        assert!(required.contains(&"title") && required.contains(&"contact"), "{path} marks its required fields");
        for name in required {
            assert!(fields.iter().any(|(filled, _)| *filled == name), "{path}: required {name} left empty");
        }
        let fields: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let (status, location, html) = post(&net, LUOYANG, As::Liaison, &path, &fields, None).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(html.contains("协查请求已签名并发出"), "{path}: {html}");
        let id: tiemeng::ids::CaseId = location
            .strip_prefix("/console/cases/")
            .unwrap_or_else(|| panic!("{path} led to {location}"))
            .parse()
            .unwrap();

        let case = origin.store().case(&id).unwrap().expect("the case is stored at the origin");
        assert_eq!((case.kind, case.title.as_str()), (kind, title.as_str()));
        assert_eq!(case.targets.iter().map(|t| t.station.as_str()).collect::<Vec<_>>(), [XIXI]);
        let (status, page) = get(&net, LUOYANG, As::Liaison, &format!("/console/cases/{id}")).await;
        assert_eq!(status, 200);
        for text in
            shown.into_iter().chain(ids.iter().map(String::as_str)).chain([title.as_str(), "陈志强 0577-67580110"])
        {
            assert!(page.contains(text), "{path}: the case page does not show {text}: {page}");
        }
    }
    net.shutdown().await;
}

/// A browser sends a text area's line breaks as CR LF: they arrive as line breaks. A title
/// with a terminal escape or a name of zero-width characters is shown again with the message
/// next to the field, and nothing is sent.
#[tokio::test]
async fn a_form_with_hostile_text_is_shown_again_with_the_field_named() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let (_, form) = get(&net, LUOYANG, As::Liaison, "/console/new/missing_person").await;
    let csrf = token(&form);
    let fields = |title: &'static str, name: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("targets", XIXI.to_owned()),
            ("priority", "high".to_owned()),
            ("title", title.to_owned()),
            ("details.name", name.to_owned()),
            ("details.sex", "female".to_owned()),
            ("details.age", "9".to_owned()),
            ("details.description", "身高约130厘米\r\n红色外套".to_owned()),
            ("details.last_seen_place", "罗阳镇小学门口".to_owned()),
            ("details.last_seen_at", "2026-11-23T16:30".to_owned()),
            ("contact", "陈志强 0577-67580110".to_owned()),
        ]
    };
    let as_pairs = |f: &[(&'static str, String)]| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let hostile = as_pairs(&fields("走失儿童\u{1b}[2J", "\u{200b}\u{200b}"));
    let hostile: Vec<(&str, &str)> = hostile.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = post(&net, LUOYANG, As::Liaison, "/console/new/missing_person", &hostile, None).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("含有控制字符 U+001B"), "{html}");
    assert!(html.contains("id=\"title-error\""), "the message sits with the title");
    assert!(html.contains("请填写失踪人员姓名"), "a name of zero-width characters is no name: {html}");
    let liaison = net.officer(LUOYANG, As::Liaison);
    assert!(liaison.list(Mailbox::Outbox, "").await.unwrap().cases.is_empty(), "nothing sent");

    let good = as_pairs(&fields("走失儿童", "林小雨"));
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, path, html) = post(&net, LUOYANG, As::Liaison, "/console/new/missing_person", &good, None).await;
    assert_eq!(status, 200, "{html}");
    let id: tiemeng::ids::CaseId = path.trim_start_matches("/console/cases/").parse().unwrap();
    let detail = liaison.case(&id).await.unwrap();
    let signed = serde_json::to_string(&detail).unwrap();
    assert!(signed.contains("身高约130厘米\\n红色外套"), "the line break is kept as LF: {signed}");
    net.shutdown().await;
}

/// A form is judged in one pass: a wrong check digit (caught while reading the form), an age
/// that does not fit the birth date and a time in the future (the node's rules) and no target
/// chosen all come back together, each next to its field, and nothing is sent.
#[tokio::test]
async fn a_form_with_format_and_content_errors_shows_them_all_at_once() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let (_, form) = get(&net, LUOYANG, As::Liaison, "/console/new/missing_person").await;
    let csrf = token(&form);
    let id_number = samples::resident_id("35092420150607002").unwrap().as_str().to_owned();
    let wrong_id = format!("{}{}", &id_number[..17], if id_number.ends_with('0') { '1' } else { '0' });
    let tomorrow = time::OffsetDateTime::now_utc().to_offset(tiemeng::clock::BEIJING) + time::Duration::days(2);
    let future = format!("{:04}-{:02}-{:02}T08:00", tomorrow.year(), u8::from(tomorrow.month()), tomorrow.day());
    let fields = [
        ("csrf", csrf.as_str()),
        ("priority", "high"),
        ("title", "协查走失儿童"),
        ("details.name", "林秀英"),
        ("details.sex", "female"),
        ("details.age", "78"),
        ("details.birth_date", "2015-06-07"),
        ("details.id_number", wrong_id.as_str()),
        ("details.description", "身高约130厘米，扎马尾"),
        ("details.last_seen_place", "罗阳镇中心小学门口"),
        ("details.last_seen_at", future.as_str()),
        ("contact", "陈志强 0577-67580110"),
    ];
    let (status, _, html) = post(&net, LUOYANG, As::Liaison, "/console/new/missing_person", &fields, None).await;
    assert_eq!(status, 422, "{html}");
    for (field, words) in [
        ("targets", "请至少选择一个协查单位"),
        ("details.age", "年龄与出生日期不符"),
        ("details.id_number", "公民身份号码有误"),
        ("details.last_seen_at", "最后出现时间不能晚于当前时间"),
    ] {
        assert!(html.contains(&format!("id=\"{field}-error\"")), "no message next to {field}: {html}");
        assert!(html.contains(words), "{words} missing: {html}");
    }
    assert!(!html.contains("请填写失踪人员的年龄、出生日期或身份证号码"), "the typed ID is not called missing");
    assert!(html.contains("value=\"林秀英\""), "what the officer typed is kept");
    let liaison = net.officer(LUOYANG, As::Liaison);
    assert!(liaison.list(Mailbox::Outbox, "").await.unwrap().cases.is_empty(), "nothing sent");

    // An ID typed but mistyped, with no age or birth date: the ID's own error, not a demand
    // for one of the three.
    let only_id: Vec<(&str, &str)> =
        fields.iter().copied().filter(|(name, _)| !["details.age", "details.birth_date"].contains(name)).collect();
    let (status, _, html) = post(&net, LUOYANG, As::Liaison, "/console/new/missing_person", &only_id, None).await;
    assert_eq!(status, 422);
    assert!(html.contains("公民身份号码有误") && !html.contains("id=\"details.age-error\""), "{html}");
    net.shutdown().await;
}

/// 增加一行 without JavaScript: the fugitive form comes back with a third vehicle row and
/// everything typed kept, nothing checked and nothing sent; three vehicles then go out. A group
/// stops growing at twenty rows and says so.
#[tokio::test]
async fn a_row_group_grows_on_request_and_every_row_is_sent() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let path = "/console/new/fugitive";
    let (_, form) = get(&net, LUOYANG, As::Liaison, path).await;
    assert!(form.contains("name=\"add_row\" value=\"details.vehicles\""), "{form}");
    assert!(form.contains("details.vehicles[1].plate") && !form.contains("details.vehicles[2].plate"));
    let csrf = token(&form);
    let (details, _) = filled_in(CaseKind::Fugitive);
    let mut fields: Vec<(&str, String)> = vec![
        ("csrf", csrf.clone()),
        ("targets", XIXI.to_owned()),
        ("priority", "high".to_owned()),
        ("title", "拦截在逃人员郑国华".to_owned()),
        ("contact", "陈志强 0577-67580110".to_owned()),
        ("details.vehicles[1].plate", "闽J56789".to_owned()),
        ("details.vehicles[1].description", "蓝色三轮货车".to_owned()),
    ];
    fields.extend(details);
    let pairs = |fields: &[(&'static str, String)]| fields.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();

    let mut grow = pairs(&fields);
    grow.push(("add_row", "details.vehicles".to_owned()));
    // A half-typed row is no error on this round trip.
    grow.push(("details.vehicles[0].plate", "浙C1234".to_owned()));
    grow.retain(|(k, v)| *k != "details.vehicles[0].plate" || v == "浙C1234");
    let grow: Vec<(&str, &str)> = grow.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = post(&net, LUOYANG, As::Liaison, path, &grow, None).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("name=\"details.vehicles[2].plate\"") && !html.contains("details.vehicles[3]"), "{html}");
    for typed in ["value=\"郑国华\"", "value=\"浙C1234\"", "value=\"闽J56789\"", "value=\"拦截在逃人员郑国华\""]
    {
        assert!(html.contains(typed), "{typed} not kept: {html}");
    }
    assert!(!html.contains("field-error") && !html.contains("role=\"alert\""), "nothing judged: {html}");
    let liaison = net.officer(LUOYANG, As::Liaison);
    assert!(liaison.list(Mailbox::Outbox, "").await.unwrap().cases.is_empty(), "nothing sent");

    let mut three = pairs(&fields);
    three.push(("details.vehicles[2].plate", "浙C88888".to_owned()));
    three.push(("details.vehicles[2].description", "黑色摩托车".to_owned()));
    let three: Vec<(&str, &str)> = three.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, location, html) = post(&net, LUOYANG, As::Liaison, path, &three, None).await;
    assert_eq!(status, 200, "{html}");
    let id: tiemeng::ids::CaseId = location.trim_start_matches("/console/cases/").parse().unwrap();
    let detail = serde_json::to_value(liaison.case(&id).await.unwrap()).unwrap();
    let signed = detail.to_string();
    for plate in ["浙C12345", "闽J56789", "浙C88888"] {
        assert!(signed.contains(plate), "{plate} not sent: {signed}");
    }
    let (_, page) = get(&net, LUOYANG, As::Liaison, &format!("/console/cases/{id}")).await;
    assert!(page.contains("浙C88888 · 黑色摩托车"), "{page}");

    // Twenty rows is the most.
    let mut full: Vec<(&str, String)> = vec![("csrf", csrf.clone()), ("add_row", "details.vehicles".to_owned())];
    let names: Vec<String> = (0..19).map(|i| format!("details.vehicles[{i}].plate")).collect();
    full.extend(names.iter().map(|name| (name.as_str(), String::new())));
    let full: Vec<(&str, &str)> = full.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = post(&net, LUOYANG, As::Liaison, path, &full, None).await;
    assert_eq!(status, 200);
    assert!(html.contains("details.vehicles[19].plate") && !html.contains("details.vehicles[20]"), "{html}");
    assert!(html.contains("已达上限：最多 20 行") && !html.contains("value=\"details.vehicles\""), "{html}");
    net.shutdown().await;
}

#[tokio::test]
async fn forms_without_the_token_or_from_another_site_are_refused_and_change_nothing() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let case = liaison
        .create_case(&samples::sample(CaseKind::General, vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc()))
        .await
        .unwrap();
    let path = format!("/console/cases/{}/withdraw", case.id);
    let form = [("reason", "entered_in_error"), ("confirm", "yes")];
    let (status, _, html) = post(&net, LUOYANG, As::Liaison, &path, &form, None).await;
    assert_eq!(status, 403, "no token");
    assert!(html.contains("表单已失效"));
    let (_, page) = get(&net, LUOYANG, As::Liaison, &format!("/console/cases/{}", case.id)).await;
    let csrf = token(&page);
    let with_token = [("csrf", csrf.as_str()), ("reason", "entered_in_error"), ("confirm", "yes")];
    let (status, _, _) = post(&net, LUOYANG, As::Liaison, &path, &with_token, Some("https://evil.example")).await;
    assert_eq!(status, 403, "a valid token from a page on another site");
    let (_, other) = get(&net, LUOYANG, As::Duty, &format!("/console/cases/{}", case.id)).await;
    let stolen = [("csrf", token(&other)), ("reason", "entered_in_error".into()), ("confirm", "yes".into())];
    let stolen: Vec<(&str, &str)> = stolen.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = post(&net, LUOYANG, As::Liaison, &path, &stolen, None).await;
    assert_eq!(status, 403, "another officer's token");
    assert!(liaison.case(&case.id).await.unwrap().case.targets[0].state.is_open(), "nothing changed");
    let (status, _, _) = post(&net, LUOYANG, As::Liaison, &path, &with_token, None).await;
    assert_eq!(status, 200);
    assert_eq!(liaison.case(&case.id).await.unwrap().case.targets[0].state, TargetState::Withdrawn);
    net.shutdown().await;
}

#[tokio::test]
async fn pages_escape_user_content_and_send_a_strict_content_security_policy() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let mut request =
        samples::sample(CaseKind::MissingPerson, vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
    let tiemeng::domain::details::CaseDetails::MissingPerson(person) = &mut request.details else { unreachable!() };
    person.name = "王<script>alert('x')</script>".into();
    request.title = "<img src=x onerror=alert(1)>走失".into();
    request.narrative = "\"><b>粗体</b>".into();
    let case = net.officer(LUOYANG, As::Liaison).create_case(&request).await.unwrap();
    for path in ["/console/outbox", &format!("/console/cases/{}", case.id)] {
        let client = net.officer(LUOYANG, As::Liaison);
        let response = client.http().get(format!("{}{path}", net.url(LUOYANG))).send().await.unwrap();
        let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"), "{csp}");
        let html = response.text().await.unwrap();
        assert!(
            !html.contains("<script>alert") && !html.contains("<img src=x") && !html.contains("<b>粗体"),
            "{path}: {html}"
        );
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;走失"), "{path}");
    }
    net.shutdown().await;
}

#[tokio::test]
async fn the_dashboard_shows_the_joint_record_charts_and_overdue_list() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let found =
        liaison.create_case(&samples::sample(CaseKind::MissingPerson, vec![XIXI.parse().unwrap()], now)).await.unwrap();
    let waiting =
        liaison.create_case(&samples::sample(CaseKind::Fugitive, vec![XIXI.parse().unwrap()], now)).await.unwrap();
    let duty = net.officer(XIXI, As::Duty);
    assert!(eventually(Duration::from_secs(20), || async { duty.case(&found.id).await.is_ok() }).await);
    duty.act(&found.id, &tiemeng::node::Action::Ack(Default::default())).await.unwrap();
    let outcome = tiemeng::node::OutcomeInput {
        outcome: tiemeng::domain::case::Outcome::PersonFound,
        count: 1,
        narrative: "已找到".into(),
    };
    duty.act(&found.id, &tiemeng::node::Action::Outcome(outcome)).await.unwrap();
    let chief = net.officer(LUOYANG, As::Chief);
    assert!(
        eventually(Duration::from_secs(20), || async {
            chief.case(&found.id).await.unwrap().case.targets[0].state == TargetState::Resolved
        })
        .await
    );
    for clock in net.clocks.values() {
        clock.advance(time::Duration::minutes(30));
    }
    let (status, html) = get(&net, LUOYANG, As::Chief, "/console/dashboard").await;
    assert_eq!(status, 200);
    assert!(html.contains("协查失踪人员 1人，拦截在逃人员 0人，破获案件 0起，调处矛盾纠纷 0起"), "{html}");
    assert!(html.contains("<svg") && html.contains("寿宁县公安局犀溪派出所"), "charts with the partner station");
    assert!(
        html.contains(&format!("/console/cases/{}", waiting.id)),
        "the unacknowledged alert is on the overdue list"
    );
    assert!(html.contains("签收") && html.contains("分钟"), "with how long overdue");
    let number = waiting.refno.as_ref().map(|r| r.label.clone()).expect("a numbered request");
    assert!(html.contains(&format!("{number} · 在逃人员")), "named by its reference number: {html}");
    let (_, english) = get(&net, LUOYANG, As::Chief, "/console/dashboard?lang=en").await;
    assert!(english.contains("1 missing persons found"));
    net.shutdown().await;
}

/// Rates count only what is due: a partner that answered everything in time reads 100%, not
/// a share diluted by requests still within their deadline. Work with a station of the same
/// province is shown apart from the province pairs. The page explains its figures and offers
/// a print button that only a script can show.
#[tokio::test]
async fn the_dashboard_counts_only_what_is_due_and_keeps_provinces_apart() {
    let net = Net::start(&[LUOYANG, XIXI, support::MAZHAN]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let mut answered = Vec::new();
    for target in [XIXI, support::MAZHAN] {
        let request = samples::sample(CaseKind::MissingPerson, vec![target.parse().unwrap()], now);
        answered.push((liaison.create_case(&request).await.unwrap().id, target));
    }
    let waiting = samples::sample(CaseKind::General, vec![XIXI.parse().unwrap()], now);
    let waiting = liaison.create_case(&waiting).await.unwrap().id;
    for (id, target) in &answered {
        let duty = net.officer(target, As::Duty);
        assert!(eventually(Duration::from_secs(20), || async { duty.case(id).await.is_ok() }).await);
        duty.act(id, &tiemeng::node::Action::Ack(Default::default())).await.unwrap();
    }
    let acked = eventually(Duration::from_secs(20), || async {
        let mut all = true;
        for (id, _) in &answered {
            all &= liaison.case(id).await.unwrap().case.targets[0].state == TargetState::Acknowledged;
        }
        all && liaison.case(&waiting).await.unwrap().case.targets[0].state == TargetState::Delivered
    })
    .await;
    assert!(acked, "both acknowledged, the third delivered");

    let (status, html) = get(&net, LUOYANG, As::Chief, "/console/dashboard").await;
    assert_eq!(status, 200);
    let sent = html.split("<th>发出</th>").nth(1).unwrap_or_default();
    let sent = &sent[..sent.find("</tr>").unwrap_or(sent.len())];
    assert!(sent.starts_with("<td>3</td><td>100%</td>"), "two answered in time, one not yet due: {sent}");
    assert!(!html.contains("67%"), "{html}");
    assert!(html.contains("浙江 → 福建") && !html.contains("浙江 → 浙江"), "{html}");
    assert!(html.contains("省内协作"), "same-province work on its own line: {html}");
    assert!(html.contains("指标说明") && html.contains("应签收"), "the figures are explained: {html}");
    let button = tag_with(&html, "data-print");
    assert!(button.starts_with("<button") && button.contains("hidden"), "shown by the script only: {button}");
    assert!(!html.contains("本页可直接打印"));
    assert!(html.contains("width=\"100%\""), "the monthly chart spans the page");
    let (_, english) = get(&net, LUOYANG, As::Chief, "/console/dashboard?lang=en").await;
    assert!(english.contains("How figures are counted") && english.contains("Within the province"), "{english}");
    assert!(english.contains("Print this page"));
    let (_, script) = get(&net, LUOYANG, As::Chief, "/console/static/live.js").await;
    assert!(script.contains("button[data-print]") && script.contains("window.print()"), "the node's own script prints");
    net.shutdown().await;
}

#[tokio::test]
async fn an_admin_sees_what_a_partner_refused_and_sends_it_again_from_the_console() {
    // 犀溪 holds a wrong public key for 罗阳 until its admin corrects it.
    let wrong = support::WrongKey::default();
    let mut net = wrong.net().await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let xixi: tiemeng::ids::StationId = XIXI.parse().unwrap();
    let request = samples::sample(CaseKind::MissingPerson, vec![xixi.clone()], time::OffsetDateTime::now_utc());
    let case = liaison.create_case(&request).await.unwrap();
    let a = net.node(LUOYANG).clone();
    assert!(eventually(Duration::from_secs(20), || async { a.store().dead_letter_count(&xixi) == 1 }).await);

    let (status, html) = get(&net, LUOYANG, As::Admin, "/console").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>协作单位</h1>"), "the admin lands on the partner stations");
    assert!(html.contains("拒收 <strong>1</strong>") && html.contains(&case.id.to_string()), "{html}");
    assert!(html.contains("bad_signature") && html.contains("重新投递全部拒收报文"), "{html}");
    assert!(html.contains("对方验证本站签名不通过：对方配置中的本站公钥可能有误"), "the cause in words: {html}");
    assert!(html.contains("重新投递此协查的报文"), "each row sends its case's again: {html}");
    let (status, _) = get(&net, LUOYANG, As::Liaison, "/console/peers").await;
    assert_eq!(status, 403, "the page is for admins");
    let path = format!("/console/peers/{XIXI}/resend");
    let (status, _, _) = post(&net, LUOYANG, As::Admin, &path, &[("csrf", "forged")], None).await;
    assert_eq!(status, 403, "a form without this admin's token is refused");
    let csrf = token(&html);
    let (status, _, _) = post(&net, LUOYANG, As::Liaison, &path, &[("csrf", &csrf)], None).await;
    assert_eq!(status, 403, "another officer's post is refused");
    assert_eq!(a.store().dead_letter_count(&xixi), 1, "refused posts changed nothing");

    // 犀溪's admin corrects the key and restarts; 罗阳's admin sends the letter again.
    wrong.put_right(&net, XIXI);
    net.restart(XIXI).await;
    let elsewhere = tiemeng::ids::CaseId::new().to_string();
    let (status, _, _) = post(&net, LUOYANG, As::Admin, &path, &[("csrf", &csrf), ("case", &elsewhere)], None).await;
    assert_eq!(status, 404, "a case this station does not hold");
    let (status, _, _) = post(&net, LUOYANG, As::Admin, &path, &[("csrf", &csrf), ("case", "")], None).await;
    assert_eq!(status, 404, "an empty case field names no case, and does not mean all");
    assert_eq!(a.store().dead_letter_count(&xixi), 1, "refused posts changed nothing");
    let only = [("csrf", csrf.as_str()), ("case", &case.id.to_string())];
    let (status, location, html) = post(&net, LUOYANG, As::Admin, &path, &only, None).await;
    assert_eq!((status, location.as_str()), (200, "/console/peers"));
    assert!(html.contains("已将 1 份拒收报文重新排入发往"), "{html}");
    let delivered = eventually(Duration::from_secs(20), || async {
        liaison.case(&case.id).await.unwrap().case.targets[0].state == TargetState::Delivered
    })
    .await;
    assert!(delivered, "the request sent again did not arrive");
    let (_, html) = get(&net, LUOYANG, As::Admin, "/console/peers?lang=en").await;
    assert!(html.contains("refused <strong>0</strong>") && !html.contains("Send all refused"), "{html}");
    net.shutdown().await;
}

/// The opening tag of the element carrying `marker` in `html`.
fn tag_with<'a>(html: &'a str, marker: &str) -> &'a str {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker} in {html}"));
    let start = html[..at].rfind('<').unwrap();
    &html[start..at + html[at..].find('>').unwrap()]
}

/// The `<tr>` tag of the row linking to case `id`.
fn row_of<'a>(html: &'a str, id: &str) -> &'a str {
    let link = html.find(&format!("href=\"/console/cases/{id}\"")).unwrap_or_else(|| panic!("no row for {id}"));
    let start = html[..link].rfind("<tr").unwrap();
    &html[start..start + html[start..].find('>').unwrap()]
}

/// An urgent request at 犀溪: two minutes before its acknowledgement is due, its row stands
/// out in the inbox; once the deadline has passed, each station's chief sees it on every page,
/// received at 犀溪 and sent at 罗阳.
#[tokio::test]
async fn a_near_deadline_stands_out_and_chiefs_see_what_is_overdue_on_every_page() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let mut request =
        samples::sample(CaseKind::MissingPerson, vec![XIXI.parse().unwrap()], time::OffsetDateTime::now_utc());
    request.priority = tiemeng::domain::case::Priority::Urgent;
    let case = liaison.create_case(&request).await.unwrap().id.to_string();
    let xixi = net.node(XIXI).clone();
    let id = case.parse().unwrap();
    assert!(eventually(Duration::from_secs(20), || async { xixi.store().case(&id).unwrap().is_some() }).await);
    let advance = |by| {
        for clock in net.clocks.values() {
            clock.advance(by);
        }
    };

    let (_, html) = get(&net, XIXI, As::Duty, "/console/inbox").await;
    assert!(!row_of(&html, &case).contains("near"), "ten minutes left is not near: {}", row_of(&html, &case));
    let (_, html) = get(&net, XIXI, As::Chief, "/console/outbox").await;
    assert!(tag_with(&html, "data-banner=\"overdue\"").contains("hidden"), "nothing overdue, no banner");
    advance(time::Duration::minutes(8) + time::Duration::seconds(30));
    let (_, html) = get(&net, XIXI, As::Duty, "/console/inbox").await;
    assert!(row_of(&html, &case).contains("near"), "within the 2 minutes of warning: {}", row_of(&html, &case));

    advance(time::Duration::minutes(2));
    let (_, html) = get(&net, XIXI, As::Chief, "/console/outbox").await;
    let banner = tag_with(&html, "data-banner=\"overdue\"");
    assert!(!banner.contains("hidden"), "the chief sees it from any page: {banner}");
    assert!(html.contains("收到的协查超期 <strong data-count=\"overdue_received\">1</strong>"), "{html}");
    assert!(html.contains("<strong data-count=\"overdue_sent\">0</strong>"));
    let (_, html) = get(&net, LUOYANG, As::Chief, "/console/dashboard?lang=en").await;
    assert!(!tag_with(&html, "data-banner=\"overdue\"").contains("hidden"));
    assert!(html.contains("requests sent, partner overdue: <strong data-count=\"overdue_sent\">1</strong>"), "{html}");
    let (_, html) = get(&net, XIXI, As::Duty, "/console/inbox").await;
    assert!(!html.contains("data-banner"), "the banner is the chiefs'; the desk has its counter");
    assert!(html.contains("超期 <strong data-count=\"overdue\">1</strong>"), "{html}");
    net.shutdown().await;
}

/// The admin sees the station's alert hook under the partner stations and sends a test alert
/// from the page: told at once whether the gateway took it.
#[tokio::test]
async fn an_admin_sees_each_alert_hook_and_sends_a_test_alert_from_the_console() {
    use support::gateway::{Gateway, with_hook};
    let secrets = tempfile::tempdir().unwrap();
    let gateway = Gateway::start().await;
    let net = Net::start_with(&[LUOYANG, XIXI], &[LUOYANG], with_hook(LUOYANG, &gateway.url(), secrets.path())).await;
    let (status, html) = get(&net, LUOYANG, As::Admin, "/console/peers").await;
    assert_eq!(status, 200);
    assert!(html.contains("告警推送") && html.contains("duty-sms") && html.contains("发送测试告警"), "{html}");
    assert!(html.contains(&gateway.url()), "{html}");
    let csrf = token(&html);
    let path = "/console/alerts/duty-sms/test";
    let (status, _, _) = post(&net, LUOYANG, As::Admin, path, &[("csrf", "forged")], None).await;
    assert_eq!(status, 403);
    let (status, _, _) = post(&net, LUOYANG, As::Liaison, path, &[("csrf", &csrf)], None).await;
    assert_eq!(status, 403, "the hooks are the admin's");
    assert!(gateway.taken().is_empty(), "refused posts sent nothing");

    let (status, _, html) = post(&net, LUOYANG, As::Admin, path, &[("csrf", &csrf)], None).await;
    assert_eq!(status, 200);
    assert!(html.contains("测试告警已送达 duty-sms 的网关"), "{html}");
    assert_eq!(gateway.taken().len(), 1);
    assert_eq!(gateway.taken()[0].json["test"], true);
    gateway.set_down(true);
    let (_, _, html) = post(&net, LUOYANG, As::Admin, path, &[("csrf", &csrf)], None).await;
    assert!(html.contains("网关拒收") && html.contains("503"), "{html}");
    let (status, _, _) = post(&net, LUOYANG, As::Admin, "/console/alerts/no-such/test", &[("csrf", &csrf)], None).await;
    assert_eq!(status, 404);
    net.shutdown().await;
}

/// The English console names every value in words, not by the code the wire carries, and
/// punctuates the English way; receipts name the station, not its id.
#[tokio::test]
async fn the_english_case_page_shows_labels_not_code_words() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let case = liaison.create_case(&samples::fugitive_alert(vec![XIXI.parse().unwrap()], now)).await.unwrap();
    let duty = net.officer(XIXI, As::Duty);
    assert!(eventually(Duration::from_secs(20), || async { duty.case(&case.id).await.is_ok() }).await);
    duty.act(&case.id, &tiemeng::node::Action::Ack(Default::default())).await.unwrap();
    let outcome = tiemeng::node::OutcomeInput {
        outcome: tiemeng::domain::case::Outcome::Intercepted,
        count: 1,
        narrative: "在犀溪卡口拦截".into(),
    };
    duty.act(&case.id, &tiemeng::node::Action::Outcome(outcome)).await.unwrap();
    assert!(
        eventually(Duration::from_secs(20), || async {
            liaison.case(&case.id).await.unwrap().case.targets[0].state == TargetState::Resolved
        })
        .await
    );
    let (_, html) = get(&net, LUOYANG, As::Liaison, &format!("/console/cases/{}?lang=en", case.id)).await;
    for label in ["intercept and hold", "prone to violence", "intercepted (1): 在犀溪卡口拦截", "outcome report"]
    {
        assert!(html.contains(label), "{label:?} missing from {html}");
    }
    for code in [">intercept<", ">violent<", ">outcome<", "（1）", "receipt: fj-"] {
        assert!(!html.contains(code), "{code:?} shown in {html}");
    }
    assert!(html.contains("receipt: 寿宁县公安局犀溪派出所"), "{html}");
    net.shutdown().await;
}

/// The handler (承办人) on the case page and in the inbox, the desk's filters for what is mine
/// and what no one has taken on, and a handover from the case page's form, shown in the
/// timeline with its signature checked.
#[tokio::test]
async fn the_case_page_names_the_handler_and_hands_the_case_over() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let mut new = samples::sample(CaseKind::General, vec![XIXI.parse().unwrap()], net.clocks[LUOYANG].now());
    new.title = "协查夜班交接".into();
    let case = net.officer(LUOYANG, As::Liaison).create_case(&new).await.unwrap();
    let xixi = net.node(XIXI);
    assert!(eventually(Duration::from_secs(20), || async { xixi.store().case(&case.id).unwrap().is_some() }).await);

    let (_, unassigned) = get(&net, XIXI, As::Duty, "/console/inbox?handler=unassigned").await;
    assert!(unassigned.contains("协查夜班交接") && unassigned.contains("无人承办"), "{unassigned}");
    net.officer(XIXI, As::Duty).act(&case.id, &tiemeng::node::Action::Ack(Default::default())).await.unwrap();
    let (_, unassigned) = get(&net, XIXI, As::Duty, "/console/inbox?handler=unassigned").await;
    assert!(!unassigned.contains("协查夜班交接"), "taken on, so no longer unassigned");
    let (_, mine) = get(&net, XIXI, As::Duty, "/console/inbox?handler=mine").await;
    assert!(mine.contains("协查夜班交接") && mine.contains("郑丽娟"), "{mine}");
    let (_, theirs) = get(&net, XIXI, As::OtherDuty, "/console/inbox?handler=mine").await;
    assert!(!theirs.contains("协查夜班交接"));

    let path = format!("/console/cases/{}", case.id);
    let (_, other_view) = get(&net, XIXI, As::OtherDuty, &path).await;
    assert!(other_view.contains("承办人") && other_view.contains("郑丽娟（350924002）"), "{other_view}");
    assert!(!other_view.contains("/handover\""), "only the handler or the chief may hand it over");
    let (_, page) = get(&net, XIXI, As::Duty, &path).await;
    assert!(page.contains(&format!("action=\"{path}/handover\"")), "{page}");
    assert!(page.contains("value=\"350924004\"") && !page.contains("value=\"350924001\""), "duty officers only");
    let form =
        [("csrf", token(&page)), ("to", "350924004".into()), ("note", "夜班接手".into()), ("confirm", "yes".into())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, location, html) = post(&net, XIXI, As::Duty, &format!("{path}/handover"), &form, None).await;
    assert_eq!((status, location.as_str()), (200, path.as_str()), "{html}");
    assert!(html.contains("已移交"), "{html}");
    assert!(html.contains("交接") && html.contains("郑丽娟（350924002） → 叶志勇（350924004）"), "{html}");
    assert!(html.contains("夜班接手") && html.contains("本站记录，不发送给协作单位"));
    let entry = &html[html.find("li class=\"handover\"").unwrap_or_else(|| panic!("{html}"))..];
    assert!(entry[..entry.find("</li>").unwrap()].contains("签名已验证"), "{entry}");
    let (_, mine) = get(&net, XIXI, As::OtherDuty, "/console/inbox?handler=mine").await;
    assert!(mine.contains("协查夜班交接") && mine.contains("叶志勇"), "{mine}");
    // The live script knows whose desk it is on, to ring there when a case is handed to them.
    assert!(mine.contains("data-badge=\"350924004\""), "{mine}");
    let (_, script) = get(&net, XIXI, As::OtherDuty, "/console/static/live.js").await;
    assert!(script.contains("\"handed_over\"") && script.contains("event.to.badge === badge"), "{script}");

    // Someone who neither handles it nor is chief is refused on the page, and nothing changes.
    let (_, page) = get(&net, XIXI, As::Duty, &path).await;
    let form = [("csrf", token(&page)), ("to", "350924002".into()), ("confirm", "yes".into())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = post(&net, XIXI, As::Duty, &format!("{path}/handover"), &form, None).await;
    assert_eq!(status, 422);
    assert!(html.contains("只有该协查的承办人或本站所长才能移交"), "{html}");
    assert_eq!(xixi.store().case(&case.id).unwrap().unwrap().handler.unwrap().badge.as_str(), "350924004");
    net.shutdown().await;
}
