//! Searching from the console: the box in the top bar of every page finds cases by a name, the
//! last digits of an ID or a plate, opens a case named by its reference number, and shows the
//! filters as a form that works without JavaScript, in Chinese and English.

use super::*;

#[tokio::test]
async fn the_search_box_finds_cases_and_opens_one_named_by_its_reference_number() {
    let net = Net::start(&[LUOYANG, XIXI]).await;
    let liaison = net.officer(LUOYANG, As::Liaison);
    let now = time::OffsetDateTime::now_utc();
    let fugitive =
        liaison.create_case(&samples::sample(CaseKind::Fugitive, vec![XIXI.parse().unwrap()], now)).await.unwrap();
    let missing =
        liaison.create_case(&samples::sample(CaseKind::MissingPerson, vec![XIXI.parse().unwrap()], now)).await.unwrap();
    let label = fugitive.refno.clone().unwrap().label;

    // Every page carries the box.
    let (_, inbox) = get(&net, LUOYANG, As::Duty, "/console/inbox").await;
    assert!(inbox.contains(r#"action="/console/search""#), "{inbox}");

    let (status, html) = get(&net, LUOYANG, As::Liaison, "/console/search?q=%E9%83%91%E5%9B%BD%E5%B9%B3").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>搜索协查</h1>"), "{html}");
    let row = whole_row(&html, &fugitive.id.to_string());
    assert!(row.contains(&label) && row.contains("在逃人员") && row.contains("姓名"), "{row}");
    assert!(!html.contains(&format!("data-case=\"{}\"", missing.id)), "郑国平 is not 吴德福");

    // The plate, as printed, in English, narrowed to the kind.
    let plate = format!("/console/search?q={}&kind=fugitive&lang=en", layout_encode("浙C·7K2X9"));
    let (_, html) = get(&net, LUOYANG, As::Liaison, &plate).await;
    let row = whole_row(&html, &fugitive.id.to_string());
    assert!(html.contains("<h1>Search</h1>") && row.contains("plate"), "{html}");

    // A reference number opens its case.
    let client = net.officer(LUOYANG, As::Liaison);
    let url = format!("{}/console/search?q={}", net.url(LUOYANG), layout_encode(&label));
    let response = client.http().get(url).send().await.unwrap();
    assert_eq!(response.url().path(), format!("/console/cases/{}", fugitive.id));

    // A bad day is said in words, and nothing is searched.
    let (status, html) = get(&net, LUOYANG, As::Liaison, "/console/search?q=x&from=tomorrow").await;
    assert_eq!(status, 200);
    assert!(html.contains("起始日期应为日期，如 2026-12-01"), "{html}");

    let audit = net.node(LUOYANG).store().audit_entries(0, 1000).unwrap();
    let searched: Vec<_> =
        audit.iter().filter(|e| e.action == "case.search").filter_map(|e| e.detail.clone()).collect();
    assert_eq!(searched, ["q=郑国平", "q=浙C·7K2X9 kind=fugitive"], "each search audited, the refused one not");
    net.shutdown().await;
}

/// The whole `<tr>…</tr>` of case `id`.
fn whole_row<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("<tr data-case=\"{id}\"")).unwrap_or_else(|| panic!("no row for {id} in {html}"));
    &html[start..start + html[start..].find("</tr>").unwrap()]
}

fn layout_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}
