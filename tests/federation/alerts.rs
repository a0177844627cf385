//! Alerts beyond the browser: a paging gateway down for a while, and a node restarted in
//! between, still gets every alert its hook wants, in order, once each, signed.

use support::gateway::{Gateway, SECRET, with_hook};

use super::*;

async fn send(net: &Net, title: &str, priority: tiemeng::domain::case::Priority) -> CaseId {
    let liaison = net.officer(XIXI, As::Liaison);
    let mut case = samples::sample(CaseKind::MissingPerson, vec![station(LUOYANG)], time::OffsetDateTime::now_utc());
    case.title = title.into();
    case.priority = priority;
    liaison.create_case(&case).await.unwrap().id
}

async fn hook_status(net: &Net) -> serde_json::Value {
    let admin = net.officer(LUOYANG, As::Admin);
    let hooks = admin.alert_hooks().await.unwrap();
    serde_json::to_value(&hooks[0]).unwrap()
}

#[tokio::test]
async fn a_gateway_down_across_a_node_restart_gets_every_alert_afterwards_in_order_once() {
    use tiemeng::domain::case::Priority::{High, Routine, Urgent};
    let secrets = tempfile::tempdir().unwrap();
    let mut gateway = Gateway::start().await;
    gateway.set_down(true);
    let mut net =
        Net::start_with(&[LUOYANG, XIXI], &[LUOYANG, XIXI], with_hook(LUOYANG, &gateway.url(), secrets.path())).await;

    // The gateway answers 503: requests arrive at 罗阳 all the same, and the admin sees why
    // the alerts wait.
    let first = send(&net, "第一起", Urgent).await;
    let _routine = send(&net, "一般的一起", Routine).await;
    let luoyang = net.node(LUOYANG).clone();
    let arrived = eventually(PATIENCE, || async { luoyang.store().case(&first).unwrap().is_some() }).await;
    assert!(arrived, "the request arrives while the gateway is down");
    let failing =
        eventually(PATIENCE, || async { hook_status(&net).await["last_error"]["code"] == "gateway_refused" }).await;
    assert!(failing, "the admin sees the gateway refuse: {}", hook_status(&net).await);
    assert!(hook_status(&net).await["next_retry"].is_string());

    // 罗阳's node restarts while the gateway is still down (now not even listening).
    gateway.stop();
    drop(luoyang);
    net.restart(LUOYANG).await;
    let second = send(&net, "第二起", High).await;
    let luoyang = net.node(LUOYANG).clone();
    let arrived = eventually(PATIENCE, || async { luoyang.store().case(&second).unwrap().is_some() }).await;
    assert!(arrived);
    let unreachable =
        eventually(PATIENCE, || async { hook_status(&net).await["last_error"]["code"] == "unreachable" }).await;
    assert!(unreachable, "a gateway that does not listen is unreachable: {}", hook_status(&net).await);
    assert!(gateway.taken().is_empty());

    // The gateway comes back: both urgent-enough alerts, in order, and not the routine one.
    gateway.set_down(false);
    gateway.resume().await;
    let both = eventually(PATIENCE, || async { gateway.taken().len() >= 2 }).await;
    assert!(both, "the gateway gets the alerts once it is back");
    let taken = gateway.taken();
    let cases: Vec<String> = taken.iter().map(|t| t.json["event"]["case"].as_str().unwrap().to_owned()).collect();
    assert_eq!(cases, [first.to_string(), second.to_string()], "in the order they happened");
    assert!(taken[0].id < taken[1].id);
    for alert in &taken {
        assert_eq!(alert.json["id"], alert.id, "the id in the header is the event's");
        assert_eq!(alert.json["station"], LUOYANG);
        assert_eq!(alert.json["test"], false);
        assert!(alert.json["text"].as_str().unwrap().contains("新协查"), "{}", alert.json["text"]);
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        assert!(tiemeng::alerts::verify(SECRET.as_bytes(), &alert.signature, &alert.body, now, 300));
        assert!(!tiemeng::alerts::verify(
            b"a guess at the secret, 40 bytes long....",
            &alert.signature,
            &alert.body,
            now,
            300
        ));
    }
    let status = hook_status(&net).await;
    assert_eq!(status["sent"], 2);
    assert!(status["last_success"].is_string());

    // Once: after another restart, the next alert comes right after the two, with no repeat.
    drop(luoyang);
    net.restart(LUOYANG).await;
    let third = send(&net, "第三起", Urgent).await;
    let three = eventually(PATIENCE, || async { gateway.taken().len() >= 3 }).await;
    assert!(three);
    let taken = gateway.taken();
    assert_eq!(taken.len(), 3, "nothing sent twice");
    assert_eq!(taken[2].json["event"]["case"], third.to_string());
    net.shutdown().await;
}

/// `tiemeng alerts test` tells the admin at once whether the gateway takes alerts, in
/// Chinese, and fails (status 1) when it does not.
#[tokio::test]
async fn the_admin_tests_a_hook_from_the_command_line() {
    let secrets = tempfile::tempdir().unwrap();
    let gateway = Gateway::start().await;
    let net = Net::start_with(&[LUOYANG, XIXI], &[LUOYANG], with_hook(LUOYANG, &gateway.url(), secrets.path())).await;

    let output = net.cli(LUOYANG, As::Admin, "alerts", &["test"]).await;
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{said} {}", String::from_utf8_lossy(&output.stderr));
    assert!(said.contains("duty-sms") && said.contains("测试告警已送达"), "{said}");
    let taken = gateway.taken();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].json["test"], true);
    assert_eq!(taken[0].id, 0);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(tiemeng::alerts::verify(SECRET.as_bytes(), &taken[0].signature, &taken[0].body, now, 300));

    gateway.set_down(true);
    let output = net.cli(LUOYANG, As::Admin, "alerts", &["test", "duty-sms"]).await;
    let said = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("网关拒收") && said.contains("503"), "{said}");

    let output = net.cli(LUOYANG, As::Admin, "alerts", &["list"]).await;
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(said.contains("duty-sms") && said.contains("紧急及以上"), "{said}");

    let output = net.cli(LUOYANG, As::Duty, "alerts", &["list"]).await;
    assert!(!output.status.success(), "only admins see the hooks");
    let output = net.cli(LUOYANG, As::Admin, "alerts", &["test", "no-such-hook"]).await;
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("no-such-hook"), "{said}");
    net.shutdown().await;
}
