//! The console in a real browser: headless Chromium presenting each officer's client
//! certificate. A case is sent from 罗阳's console, worked in 犀溪's console, and seen to change
//! on 罗阳's case page and dashboard. Screenshots go to `target/browser-artifacts/`.
//! Needs chromium, chromium-driver, libnss3-tools and openssl (installed by `.ci/run`);
//! without them these tests fail rather than skip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/browser.rs"]
mod browser;
mod support;

use std::path::PathBuf;
use std::time::Duration;

use browser::{Browser, Credentials, require_chromium};
use support::{As, LUOYANG, MAZHAN, Net, XIXI, eventually};
use tiemeng::domain::lifecycle::TargetState;

fn credentials(net: &Net, station: &str, role: As) -> Credentials {
    let (cert, key) = net.officer_files(station, role);
    Credentials { ca_bundle: net.devnet.layout.ca_bundle.clone(), cert, key }
}

/// Where screenshots go: `<target>/browser-artifacts/`, kept after the run for people to see.
fn artifact(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("browser-artifacts").join(name)
}

#[tokio::test]
async fn a_case_sent_in_one_console_is_worked_in_the_other_and_shows_up_on_the_dashboard() {
    require_chromium().unwrap();
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let luoyang = net.url(LUOYANG);
    let xixi = net.url(XIXI);

    let liaison = Browser::launch(&credentials(&net, LUOYANG, As::Liaison)).await.unwrap();
    // A row group grows without scripts; Enter in a field still sends the form, not a row.
    liaison.goto(&format!("{luoyang}/console/new/fugitive")).await.unwrap();
    liaison.fill("[id='details.name']", "郑国华").await.unwrap();
    liaison.click("button[name=add_row][value='details.vehicles']").await.unwrap();
    liaison.wait_for("[id='details.vehicles[2].plate']", Duration::from_secs(10)).await.unwrap();
    liaison.fill("#title", "拦截在逃人员\u{E007}").await.unwrap();
    liaison.wait_for_text(".box.error", "请修改以下标出的内容", Duration::from_secs(10)).await.unwrap();
    liaison.wait_for("[id='details.offence'].invalid", Duration::from_secs(5)).await.unwrap();
    liaison.wait_for("[id='details.vehicles[2].plate']", Duration::from_secs(5)).await.unwrap();
    let source = liaison.page_source().await.unwrap();
    assert!(source.contains("value=\"郑国华\""), "typed values survive both round trips");

    // 罗阳's liaison officer fills in the missing-person form, first with a mistyped ID and
    // no title: the ID's check digit (read from the form) and the missing title (the node's
    // rule) are marked together.
    liaison.goto(&format!("{luoyang}/console/new/missing_person")).await.unwrap();
    let id_number = tiemeng::samples::resident_id("33032919480312001").unwrap();
    let last = if id_number.as_str().ends_with('0') { '1' } else { '0' };
    let wrong_id = format!("{}{last}", &id_number.as_str()[..17]);
    liaison.click("input[name=targets][value=fj-shouning-xixi]").await.unwrap();
    liaison.select("#priority", "urgent").await.unwrap();
    liaison.fill("[id='details.name']", "吴德福").await.unwrap();
    liaison.select("[id='details.sex']", "male").await.unwrap();
    liaison.fill("[id='details.age']", "78").await.unwrap();
    liaison.fill("[id='details.id_number']", &wrong_id).await.unwrap();
    liaison.fill("[id='details.description']", "身高约165厘米，穿深蓝色中山装，说泰顺方言").await.unwrap();
    liaison.fill("[id='details.last_seen_place']", "罗阳镇洲岭村村口公交站").await.unwrap();
    let seen = tiemeng::clock::Clock::system().now().to_offset(tiemeng::clock::BEIJING) - time::Duration::hours(3);
    let seen = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        seen.year(),
        u8::from(seen.month()),
        seen.day(),
        seen.hour(),
        seen.minute()
    );
    liaison
        .execute("document.getElementById('details.last_seen_at').value = arguments[0];", &[seen.into()])
        .await
        .unwrap();
    liaison.fill("#contact", "陈志强 0577-67580110").await.unwrap();
    liaison.click("form[action='/console/new/missing_person'] button[type=submit]").await.unwrap();
    liaison.wait_for_text(".box.error", "请修改以下标出的内容", Duration::from_secs(10)).await.unwrap();
    liaison.wait_for("#title.invalid", Duration::from_secs(5)).await.unwrap();
    liaison.wait_for("[id='details.id_number'].invalid", Duration::from_secs(5)).await.unwrap();
    assert!(liaison.text_of("#title-error").await.unwrap().contains("请填写标题"));
    assert!(liaison.text_of("[id='details.id_number-error']").await.unwrap().contains("公民身份号码有误"));
    liaison.screenshot(&artifact("1-luoyang-form-errors.png")).await.unwrap();
    liaison.fill("#title", "协查走失老人吴德福（78岁）").await.unwrap();
    liaison.fill("[id='details.id_number']", id_number.as_str()).await.unwrap();
    liaison.screenshot(&artifact("1-luoyang-form.png")).await.unwrap();
    liaison.click("form[action='/console/new/missing_person'] button[type=submit]").await.unwrap();
    liaison.wait_for_text(".box.notice", "协查请求已签名并发出", Duration::from_secs(10)).await.unwrap();
    let url = liaison.current_url().await.unwrap();
    let case_id: tiemeng::ids::CaseId = url.rsplit('/').next().unwrap().split('?').next().unwrap().parse().unwrap();
    liaison.screenshot(&artifact("2-luoyang-sent.png")).await.unwrap();

    // 犀溪's duty officer sees it in the inbox, acknowledges it and reports the outcome.
    let node = net.node(XIXI).clone();
    assert!(eventually(Duration::from_secs(20), || async { node.store().case(&case_id).unwrap().is_some() }).await);
    let duty = Browser::launch(&credentials(&net, XIXI, As::Duty)).await.unwrap();
    duty.goto(&format!("{xixi}/console/inbox")).await.unwrap();
    assert!(duty.text_of("main").await.unwrap().contains("协查走失老人吴德福"));
    duty.screenshot(&artifact("3-xixi-inbox.png")).await.unwrap();
    duty.click(&format!("a[href='/console/cases/{case_id}']")).await.unwrap();
    duty.wait_for("form[action$='/ack']", Duration::from_secs(10)).await.unwrap();
    duty.fill("#ack-message", "已安排警力在犀溪车站查找").await.unwrap();
    duty.click("form[action$='/ack'] input[name=confirm]").await.unwrap();
    duty.click("form[action$='/ack'] button[type=submit]").await.unwrap();
    duty.wait_for("form[action$='/outcome']", Duration::from_secs(10)).await.unwrap();
    duty.wait_for_text("main", "已签收", Duration::from_secs(10)).await.unwrap();
    duty.select("#outcome-outcome", "person_found").await.unwrap();
    duty.fill("#outcome-narrative", "在犀溪镇集市找到老人，已通知家属接回").await.unwrap();
    duty.click("form[action$='/outcome'] input[name=confirm]").await.unwrap();
    duty.click("form[action$='/outcome'] button[type=submit]").await.unwrap();
    // The acknowledgement's notice is still on the page while the post is under way, so wait
    // for the outcome's own.
    duty.wait_for_text(".box.notice", "反馈已发送", Duration::from_secs(10)).await.unwrap();
    duty.screenshot(&artifact("4-xixi-reported.png")).await.unwrap();

    // Back at 罗阳 the case page shows the outcome and the signed timeline.
    let origin = net.node(LUOYANG).clone();
    let resolved = eventually(Duration::from_secs(20), || async {
        origin.store().case(&case_id).unwrap().is_some_and(|c| c.targets[0].state == TargetState::Resolved)
    })
    .await;
    assert!(resolved);
    liaison.goto(&format!("{luoyang}/console/cases/{case_id}")).await.unwrap();
    let page = liaison.text_of("main").await.unwrap();
    assert!(page.contains("已反馈") && page.contains("已找到失踪人员"), "{page}");
    assert!(page.contains("郑丽娟") && page.matches("签名已验证").count() >= 3, "{page}");
    liaison.screenshot(&artifact("5-luoyang-case.png")).await.unwrap();
    // The search box in the top bar: the last digits of the ID find the case and say where
    // they matched; its reference number opens it.
    liaison.fill("form.open input[name=q]", &format!("尾号{}", &id_number.as_str()[14..])).await.unwrap();
    liaison.submit_form("form.open").await.unwrap();
    liaison.wait_for_text("h1", "搜索协查", Duration::from_secs(10)).await.unwrap();
    let row = liaison.text_of(&format!("tr[data-case='{case_id}']")).await.unwrap();
    assert!(row.contains("协查走失老人吴德福") && row.contains("身份证号") && row.contains("已反馈"), "{row}");
    liaison.screenshot(&artifact("5-luoyang-search.png")).await.unwrap();
    let label = origin.store().case(&case_id).unwrap().unwrap().refno.unwrap().label;
    liaison.fill("form.open input[name=q]", &label).await.unwrap();
    liaison.submit_form("form.open").await.unwrap();
    liaison.wait_for("form[action$='/close']", Duration::from_secs(10)).await.unwrap();
    assert!(liaison.current_url().await.unwrap().ends_with(&format!("/console/cases/{case_id}")));
    // In English every value is a label and the timeline punctuates the English way.
    liaison.goto(&format!("{luoyang}/console/cases/{case_id}?lang=en")).await.unwrap();
    let english = liaison.text_of("main").await.unwrap();
    for label in ["outcome reported", "person found (1): ", "assist request", "acknowledgement", "male"] {
        assert!(english.contains(label), "{label:?} not in {english}");
    }
    assert!(!english.lines().any(|l| l.trim() == "resolved") && !english.contains("（1）"), "{english}");
    liaison.screenshot(&artifact("5-luoyang-case-en.png")).await.unwrap();

    // The chief's dashboard counts the person found.
    let chief = Browser::launch(&credentials(&net, LUOYANG, As::Chief)).await.unwrap();
    chief.goto(&format!("{luoyang}/console")).await.unwrap();
    let dashboard = chief.text_of("main").await.unwrap();
    assert!(dashboard.contains("协查失踪人员 1人，拦截在逃人员 0人"), "{dashboard}");
    chief.screenshot(&artifact("6-luoyang-dashboard.png")).await.unwrap();
    chief.click("header a[lang=en]").await.unwrap();
    assert!(chief.text_of("main").await.unwrap().contains("1 missing persons found"), "the English switch works");

    for browser in [liaison, duty, chief] {
        browser.quit().await.unwrap();
    }
    net.shutdown().await;
}

/// A fugitive alert to 犀溪 and 马站: 犀溪 intercepts him; 马站's duty officer sees it on the
/// inbox row and on top of the case page, and 罗阳's liaison stands 马站 down from the page.
#[tokio::test]
async fn an_interception_at_one_target_shows_at_the_other_and_the_origin_stands_it_down_in_the_browser() {
    use tiemeng::domain::case::Outcome;
    use tiemeng::node::{AckInput, Action, OutcomeInput};
    require_chromium().unwrap();
    let net = Net::start(&[LUOYANG, XIXI, MAZHAN]).await;
    let origin = net.officer(LUOYANG, As::Liaison);
    let targets = vec![XIXI.parse().unwrap(), MAZHAN.parse().unwrap()];
    let mut alert = tiemeng::samples::sample(
        tiemeng::domain::details::CaseKind::Fugitive,
        targets,
        time::OffsetDateTime::now_utc(),
    );
    alert.title = "拦截持刀在逃人员郑国平".into();
    let case = origin.create_case(&alert).await.unwrap();
    let delivered = eventually(Duration::from_secs(20), || async {
        origin.case(&case.id).await.unwrap().case.targets.iter().all(|t| t.state == TargetState::Delivered)
    })
    .await;
    assert!(delivered);
    let xixi = net.officer(XIXI, As::Duty);
    xixi.act(&case.id, &Action::Ack(AckInput::default())).await.unwrap();
    let outcome =
        OutcomeInput { outcome: Outcome::Intercepted, count: 1, narrative: "在犀溪收费站拦截".into() };
    xixi.act(&case.id, &Action::Outcome(outcome)).await.unwrap();
    let mazhan_node = net.node(MAZHAN).clone();
    let heard = eventually(Duration::from_secs(20), || async {
        mazhan_node
            .store()
            .case(&case.id)
            .unwrap()
            .is_some_and(|c| c.decisive_elsewhere(mazhan_node.station()).is_some())
    })
    .await;
    assert!(heard, "马站 never heard of the interception");

    // 马站's duty officer: the inbox row and the top of the case page say it.
    let mazhan = net.url(MAZHAN);
    let duty = Browser::launch(&credentials(&net, MAZHAN, As::Duty)).await.unwrap();
    duty.goto(&format!("{mazhan}/console/inbox")).await.unwrap();
    let row = duty.text_of(&format!("tr:has(a[href='/console/cases/{}'])", case.id)).await.unwrap();
    assert!(row.contains("拦截持刀在逃人员郑国平") && row.contains("犀溪派出所 已拦截"), "{row}");
    duty.goto(&format!("{mazhan}/console/cases/{}", case.id)).await.unwrap();
    let line = duty.text_of(".box.decisive").await.unwrap();
    assert!(line.contains("犀溪派出所 已拦截") && line.contains("本站可停止查找"), "{line}");
    duty.screenshot(&artifact("8-mazhan-decisive.png")).await.unwrap();

    // 罗阳's liaison: the stand-down form, 已到案 chosen, confirmed and sent.
    let luoyang = net.url(LUOYANG);
    let liaison = Browser::launch(&credentials(&net, LUOYANG, As::Liaison)).await.unwrap();
    liaison.goto(&format!("{luoyang}/console/cases/{}", case.id)).await.unwrap();
    liaison.wait_for("form.stand-down", Duration::from_secs(10)).await.unwrap();
    let form = liaison.text_of("form.stand-down").await.unwrap();
    assert!(form.contains("将撤回：苍南县公安局马站派出所"), "{form}");
    let chosen = liaison.execute("return document.getElementById('stand-down-reason').value;", &[]).await.unwrap();
    assert_eq!(chosen, "in_custody", "已到案 is chosen for an interception");
    liaison.fill("form.stand-down input[name=message]", "嫌疑人已在犀溪落网").await.unwrap();
    liaison.click("form.stand-down input[name=confirm]").await.unwrap();
    liaison.screenshot(&artifact("8-luoyang-stand-down.png")).await.unwrap();
    liaison.click("form.stand-down button[type=submit]").await.unwrap();
    liaison.wait_for_text(".box.notice", "其余单位已撤回", Duration::from_secs(10)).await.unwrap();
    assert!(
        liaison.page_source().await.unwrap().find("form class=\"stand-down\"").is_none(),
        "nothing left to stand down"
    );

    // At 马站 the case is withdrawn, with the reason, once the withdrawal arrives.
    let withdrawn = eventually(Duration::from_secs(20), || async {
        mazhan_node.store().case(&case.id).unwrap().is_some_and(|c| c.targets[0].state == TargetState::Withdrawn)
    })
    .await;
    assert!(withdrawn, "马站 was not stood down");
    duty.goto(&format!("{mazhan}/console/cases/{}", case.id)).await.unwrap();
    let page = duty.text_of("main").await.unwrap();
    assert!(page.contains("已撤回") && page.contains("已到案") && page.contains("嫌疑人已在犀溪落网"), "{page}");
    duty.screenshot(&artifact("8-mazhan-withdrawn.png")).await.unwrap();
    for browser in [duty, liaison] {
        browser.quit().await.unwrap();
    }
    net.shutdown().await;
}

#[tokio::test]
async fn a_photo_chosen_in_one_console_shows_as_a_thumbnail_in_the_other() {
    require_chromium().unwrap();
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let (luoyang, xixi) = (net.url(LUOYANG), net.url(XIXI));
    let image = image::RgbImage::from_fn(900, 1200, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 140]));
    let mut photo = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut photo, 85).encode_image(&image).unwrap();
    let path = net.dir.path().join("吴德福近照.jpg");
    std::fs::write(&path, &photo).unwrap();

    let liaison = Browser::launch(&credentials(&net, LUOYANG, As::Liaison)).await.unwrap();
    liaison.goto(&format!("{luoyang}/console/new/general")).await.unwrap();
    liaison.click("input[name=targets][value=fj-shouning-xixi]").await.unwrap();
    liaison.fill("#title", "请协助辨认照片中人员").await.unwrap();
    for (css, value) in [
        ("[id='details.subject']", "照片中人员身份"),
        ("[id='details.request']", "请协助辨认照片中人员，是否为辖区居民"),
        ("#contact", "陈志强 0577-67580110"),
    ] {
        if liaison.wait_for(css, Duration::from_millis(200)).await.is_ok() {
            liaison.fill(css, value).await.unwrap();
        }
    }
    liaison.choose_file("[id='attachments[0].file']", &path).await.unwrap();
    liaison.fill("[id='attachments[0].caption']", "监控截图").await.unwrap();
    liaison.screenshot(&artifact("9-luoyang-form-with-photo.png")).await.unwrap();
    liaison.click("form[action='/console/new/general'] button[type=submit]:not([hidden])").await.unwrap();
    let sent = liaison.wait_for_text(".box.notice", "协查请求已签名并发出", Duration::from_secs(20)).await;
    if sent.is_err() {
        panic!("not sent: {}", liaison.text_of("main").await.unwrap_or_default());
    }
    let url = liaison.current_url().await.unwrap();
    let case_id: tiemeng::ids::CaseId = url.rsplit('/').next().unwrap().split('?').next().unwrap().parse().unwrap();
    liaison.wait_for("img.thumb", Duration::from_secs(10)).await.unwrap();

    let duty = net.officer(XIXI, As::Duty);
    let arrived = eventually(Duration::from_secs(30), || async {
        duty.case(&case_id).await.is_ok_and(|d| d.attachments.len() == 1 && d.attachments[0].here)
    })
    .await;
    assert!(arrived, "the photo reaches 犀溪");
    let browser = Browser::launch(&credentials(&net, XIXI, As::Duty)).await.unwrap();
    browser.goto(&format!("{xixi}/console/cases/{case_id}")).await.unwrap();
    browser.wait_for("img.thumb", Duration::from_secs(10)).await.unwrap();
    // The browser fetched and drew the preview: same origin, its certificate, the page's policy.
    let drawn = "const img = document.querySelector('img.thumb'); \
        return img.complete ? [img.naturalWidth, img.naturalHeight] : null;";
    let mut size = serde_json::Value::Null;
    for _ in 0..50 {
        size = browser.execute(drawn, &[]).await.unwrap();
        if size.is_array() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(size, serde_json::json!([900, 1200]), "the preview is drawn");
    assert!(browser.text_of("main").await.unwrap().contains("监控截图"));
    browser.execute("document.getElementById('attachments').scrollIntoView();", &[]).await.unwrap();
    browser.screenshot(&artifact("10-xixi-case-with-photo.png")).await.unwrap();
    browser.goto(&format!("{xixi}/console/inbox")).await.unwrap();
    browser.wait_for("img.row-thumb", Duration::from_secs(10)).await.unwrap();
    browser.screenshot(&artifact("10-xixi-inbox-with-photo.png")).await.unwrap();
    for browser in [liaison, browser] {
        browser.quit().await.unwrap();
    }
    net.shutdown().await;
}

#[tokio::test]
async fn a_browser_trusts_only_its_ca_and_a_node_refuses_a_stranger() {
    require_chromium().unwrap();
    // Two networks, two unrelated dev PKIs.
    let ours = Net::start(&[LUOYANG]).await;
    let theirs = Net::start(&[LUOYANG]).await;
    let console = format!("{}/console", ours.url(LUOYANG));
    let untrusting =
        Credentials { ca_bundle: theirs.devnet.layout.ca_bundle.clone(), ..credentials(&ours, LUOYANG, As::Liaison) };
    let browser = Browser::launch(&untrusting).await.unwrap();
    let refused = browser.goto(&console).await.unwrap_err().to_string();
    assert!(refused.contains("ERR_CERT_AUTHORITY_INVALID"), "{refused}");
    drop(browser);
    let stranger =
        Credentials { ca_bundle: ours.devnet.layout.ca_bundle.clone(), ..credentials(&theirs, LUOYANG, As::Liaison) };
    let browser = Browser::launch(&stranger).await.unwrap();
    let refused = browser.goto(&console).await.unwrap_err().to_string();
    // Under TLS 1.3 the node judges the client certificate after the client finished its side of
    // the handshake, so Chromium reports the alert or just a closed socket, depending on timing.
    assert!(refused.contains("ERR_"), "{refused}");
    drop(browser);
    ours.shutdown().await;
    theirs.shutdown().await;
}

/// The 24-hour desk: with 犀溪's inbox open, an urgent request created at 罗阳 appears in the
/// page, and the counter of requests to acknowledge changes, without a reload; the tab's title
/// flashes. With scripts switched off the same inbox still lists it on a reload.
#[tokio::test]
async fn an_urgent_request_appears_in_an_open_inbox_without_a_reload() {
    require_chromium().unwrap();
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let xixi = net.url(XIXI);
    let duty = Browser::launch(&credentials(&net, XIXI, As::Duty)).await.unwrap();
    duty.goto(&format!("{xixi}/console/inbox")).await.unwrap();
    duty.wait_for("body[data-live=on]", Duration::from_secs(10)).await.unwrap();
    assert_eq!(duty.text_of("[data-count=to_acknowledge]").await.unwrap(), "0");
    duty.execute("window.notReloaded = true;", &[]).await.unwrap();

    let liaison = net.officer(LUOYANG, As::Liaison);
    let mut case = tiemeng::samples::sample(
        tiemeng::domain::details::CaseKind::Fugitive,
        vec![XIXI.parse().unwrap()],
        time::OffsetDateTime::now_utc(),
    );
    case.title = "特急：拦截持刀在逃人员".into();
    case.priority = tiemeng::domain::case::Priority::Urgent;
    let sent = std::time::Instant::now();
    liaison.create_case(&case).await.unwrap();
    duty.wait_for_text("main", "特急：拦截持刀在逃人员", Duration::from_secs(10)).await.unwrap();
    let shown = sent.elapsed();
    duty.wait_for_text("[data-count=to_acknowledge]", "1", Duration::from_secs(5)).await.unwrap();
    assert_eq!(duty.execute("return window.notReloaded === true;", &[]).await.unwrap(), true, "no reload");
    let flashing = eventually(Duration::from_secs(5), || async {
        duty.execute("return document.title;", &[]).await.unwrap().as_str().unwrap_or_default().contains("新协查")
    })
    .await;
    assert!(flashing, "the title flashes with the new request");
    assert!(shown <= Duration::from_secs(2), "shown {shown:?} after it was sent");
    duty.screenshot(&artifact("7-xixi-live-inbox.png")).await.unwrap();
    duty.quit().await.unwrap();

    let no_scripts = Browser::launch_without_scripts(&credentials(&net, XIXI, As::Duty)).await.unwrap();
    no_scripts.goto(&format!("{xixi}/console/inbox")).await.unwrap();
    let page = no_scripts.text_of("body").await.unwrap();
    assert!(page.contains("特急：拦截持刀在逃人员") && page.contains("需要本站处理"), "{page}");
    assert_eq!(no_scripts.text_of("[data-count=to_acknowledge]").await.unwrap(), "1");
    let source = no_scripts.page_source().await.unwrap();
    assert!(source.contains("data-page=\"inbox\"") && !source.contains("data-live"), "the script did not run");
    no_scripts.quit().await.unwrap();
    net.shutdown().await;
}
