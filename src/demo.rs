//! `tiemeng demo`: three stations of the Zhejiang–Fujian border desk on loopback, each with
//! its own data folder and certificates, sample cases in Chinese flowing both ways, then
//! serving until stopped. `<dir>/demo.json` tells any HTTPS client (curl included) where each
//! station is and which certificate files its officers use.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::client::{ApiClient, ClientError};
use crate::clock::Clock;
use crate::config::Config;
use crate::devnet::{self, DevNet, Endpoint};
use crate::domain::case::{DeclineReason, Outcome};
use crate::domain::details::CaseKind;
use crate::domain::lifecycle::TargetState;
use crate::ids::{CaseId, StationId};
use crate::node::{AckInput, Action, CloseInput, DeclineInput, Node, NoteInput, OutcomeInput};
use crate::pki::{self, ROLE_ADMIN, ROLE_CHIEF, ROLE_DUTY, ROLE_LIAISON};
use crate::samples;
use crate::server::{self, Running};

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Setting up files failed.
    #[error("{0}")]
    Setup(String),
    /// A port is taken.
    #[error("port {port} is in use ({source}); choose another first port with --port")]
    Port {
        /// The port.
        port: u16,
        /// The error.
        source: std::io::Error,
    },
    /// A sample step failed.
    #[error("sample case step failed: {0}")]
    Step(#[from] ClientError),
}

/// Certificate files of one officer in `demo.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfficerEntry {
    /// Name.
    pub name: String,
    /// Badge number.
    pub badge: String,
    /// Certificate (PEM).
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
}

/// One station in `demo.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StationEntry {
    /// Station id.
    pub id: String,
    /// Chinese name.
    pub name: String,
    /// Base URL.
    pub url: String,
    /// CA bundle to trust.
    pub ca_bundle: PathBuf,
    /// The station's liaison officer.
    pub liaison: OfficerEntry,
    /// The station's duty officer.
    pub duty: OfficerEntry,
    /// The station's chief.
    pub chief: OfficerEntry,
    /// The admin, where the station has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<OfficerEntry>,
}

/// `demo.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoManifest {
    /// The stations.
    pub stations: Vec<StationEntry>,
}

/// A running demo.
pub struct Demo {
    /// The manifest written to `demo.json`.
    pub manifest: DemoManifest,
    /// The running nodes.
    pub running: Vec<Running>,
    /// Whether the sample cases were played out in this run.
    pub seeded: bool,
}

impl Demo {
    /// Stops every node.
    pub async fn stop(self) {
        for running in self.running {
            running.stop().await;
        }
    }
}

/// Sets up (or reuses) `dir`, starts the three stations from `first_port`, and plays the
/// sample cases the first time.
pub async fn start(dir: &Path, first_port: u16, fresh: bool) -> Result<Demo, DemoError> {
    let setup = |e: &dyn std::fmt::Display| DemoError::Setup(e.to_string());
    if fresh && dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| setup(&format!("cannot remove {}: {e}", dir.display())))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| setup(&format!("cannot create {}: {e}", dir.display())))?;
    let dir = dir.canonicalize().map_err(|e| setup(&e))?;
    let endpoints: Vec<Endpoint> = pki::example_stations()
        .into_iter()
        .zip(first_port..)
        .map(|(spec, port)| Endpoint::local(spec, SocketAddr::from(([127, 0, 0, 1], port))))
        .collect();
    let mut listeners = Vec::new();
    for endpoint in &endpoints {
        let listener = tokio::net::TcpListener::bind(endpoint.listen)
            .await
            .map_err(|source| DemoError::Port { port: endpoint.listen.port(), source })?;
        listeners.push(listener);
    }
    let manifest_path = dir.join("demo.json");
    let first_run = !manifest_path.exists();
    let manifest = if first_run {
        let net = devnet::prepare(&dir, endpoints.clone(), &pki::example_officers()).map_err(|e| setup(&e))?;
        manifest_of(&net)
    } else {
        let text = std::fs::read_to_string(&manifest_path).map_err(|e| setup(&e))?;
        serde_json::from_str(&text)
            .map_err(|e| setup(&format!("{}: {e}; use --fresh to start over", manifest_path.display())))?
    };
    let mut running = Vec::new();
    for (endpoint, listener) in endpoints.iter().zip(listeners) {
        let config_path = dir.join("config").join(format!("{}.toml", endpoint.spec.id));
        let config = Config::load(&config_path).map_err(|e| setup(&e))?;
        let node = Node::open(config, Clock::system()).map_err(|e| setup(&e))?;
        running.push(server::start(Arc::new(node), listener).map_err(|e| setup(&e))?);
    }
    let demo = Demo { manifest, running, seeded: first_run };
    if first_run {
        for station in &demo.manifest.stations {
            for officer in [&station.liaison, &station.duty, &station.chief].into_iter().chain(station.admin.as_ref()) {
                browser_bundle(officer);
            }
        }
        play(&demo.manifest).await?;
        let json = serde_json::to_string_pretty(&demo.manifest).map_err(|e| setup(&e))?;
        std::fs::write(&manifest_path, json).map_err(|e| setup(&e))?;
    }
    Ok(demo)
}

/// The password of the demo's browser certificate files.
pub const P12_PASSWORD: &str = crate::pki::browser::P12_PASSWORD;

/// Writes `<badge>.p12` next to an officer's certificate so it can be imported into a browser.
fn browser_bundle(officer: &OfficerEntry) {
    crate::pki::browser::write_p12(&officer.cert, &officer.key, &officer.name);
}

fn manifest_of(net: &DevNet) -> DemoManifest {
    let officer = |station: &str, role: &str| {
        net.layout.officers.iter().find(|o| o.spec.station == station && o.spec.role == role).map(|o| OfficerEntry {
            name: o.spec.name.clone(),
            badge: o.spec.badge.clone(),
            cert: o.cert.clone(),
            key: o.key.clone(),
        })
    };
    let stations = net
        .endpoints
        .iter()
        .filter_map(|e| {
            let id = e.spec.id.as_str();
            Some(StationEntry {
                id: id.to_owned(),
                name: e.spec.name_zh.clone(),
                url: e.url.clone(),
                ca_bundle: net.layout.ca_bundle.clone(),
                liaison: officer(id, ROLE_LIAISON)?,
                duty: officer(id, ROLE_DUTY)?,
                chief: officer(id, ROLE_CHIEF)?,
                admin: officer(id, ROLE_ADMIN),
            })
        })
        .collect();
    DemoManifest { stations }
}

/// The officers of one station as API clients.
struct Desk {
    id: StationId,
    liaison: ApiClient,
    duty: ApiClient,
}

fn desks(manifest: &DemoManifest) -> Result<Vec<Desk>, DemoError> {
    manifest
        .stations
        .iter()
        .map(|s| {
            let client = |o: &OfficerEntry| ApiClient::for_officer(&s.url, &s.ca_bundle, &[], &o.cert, &o.key);
            Ok(Desk {
                id: s.id.parse().map_err(|e: crate::ids::IdError| DemoError::Setup(e.to_string()))?,
                liaison: client(&s.liaison)?,
                duty: client(&s.duty)?,
            })
        })
        .collect()
}

/// Waits until the origin sees `target` in `state` (delivery takes a few milliseconds).
async fn until(origin: &ApiClient, case: &CaseId, target: &StationId, state: TargetState) -> Result<(), DemoError> {
    for _ in 0..200 {
        let detail = origin.case(case).await?;
        if detail.case.targets.iter().any(|t| &t.station == target && t.state == state) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(DemoError::Setup(format!("{target} did not reach {state} for case {case}")))
}

fn note(text: &str) -> Action {
    Action::Note(NoteInput { text: text.into(), targets: vec![], attachments: Vec::new() })
}

fn ack(message: &str, report_in: time::Duration) -> Action {
    Action::Ack(AckInput { report_by: Some(Clock::system().now() + report_in), message: Some(message.into()) })
}

fn outcome(outcome: Outcome, count: u32, narrative: &str) -> Action {
    Action::Outcome(OutcomeInput { outcome, count, narrative: narrative.into() })
}

fn close(evaluation: u8, comment: &str) -> Action {
    Action::Close(CloseInput { evaluation, comment: Some(comment.into()), targets: vec![] })
}

/// Plays the sample cases: requests both ways across the border, with receipts, acks, notes,
/// outcomes and closes, and some left open so the inboxes have work in them.
async fn play(manifest: &DemoManifest) -> Result<(), DemoError> {
    let desks = desks(manifest)?;
    let [luoyang, xixi, mazhan] = desks.as_slice() else {
        return Err(DemoError::Setup("the demo needs three stations".into()));
    };
    let now = Clock::system().now();

    // 罗阳 → 犀溪: a missing elderly man, found the same day, closed with thanks.
    let missing =
        luoyang.liaison.create_case(&samples::sample(CaseKind::MissingPerson, vec![xixi.id.clone()], now)).await?;
    until(&luoyang.liaison, &missing.id, &xixi.id, TargetState::Delivered).await?;
    xixi.duty.act(&missing.id, &ack("已安排警力在犀溪车站及集市查找", time::Duration::hours(2))).await?;
    luoyang.liaison.act(&missing.id, &note("家属补充：老人可能前往犀溪镇亲戚家（犀溪村 12 号）")).await?;
    xixi.duty
        .act(&missing.id, &outcome(Outcome::PersonFound, 1, "在犀溪镇集市找到吴德福，身体无恙，已由家属接回"))
        .await?;
    until(&luoyang.liaison, &missing.id, &xixi.id, TargetState::Resolved).await?;
    luoyang.liaison.act(&missing.id, &close(5, "响应迅速，感谢犀溪所")).await?;

    // 犀溪 → 罗阳: four suspects of car break-ins fleeing toward 罗阳; being worked on.
    let thefts =
        xixi.liaison.create_case(&samples::sample(CaseKind::SerialTheft, vec![luoyang.id.clone()], now)).await?;
    until(&xixi.liaison, &thefts.id, &luoyang.id, TargetState::Delivered).await?;
    luoyang.duty.act(&thefts.id, &ack("已布置罗阳各卡口比对嫌疑车辆", time::Duration::days(2))).await?;
    luoyang.duty.act(&thefts.id, &note("嫌疑车辆闽J3E8L6 于前日 22 时经罗阳收费站，正在排查落脚点")).await?;

    // 罗阳 → 犀溪 and 马站: a fugitive alert; 犀溪 intercepts, 马站 is still searching.
    let fugitive = luoyang
        .liaison
        .create_case(&samples::sample(CaseKind::Fugitive, vec![xixi.id.clone(), mazhan.id.clone()], now))
        .await?;
    until(&luoyang.liaison, &fugitive.id, &xixi.id, TargetState::Delivered).await?;
    until(&luoyang.liaison, &fugitive.id, &mazhan.id, TargetState::Delivered).await?;
    xixi.duty.act(&fugitive.id, &ack("已在县道 X221 犀溪段设卡", time::Duration::hours(6))).await?;
    mazhan.duty.act(&fugitive.id, &ack("已通知辖区加油站、旅馆留意", time::Duration::hours(8))).await?;
    xixi.duty
        .act(&fugitive.id, &outcome(Outcome::Intercepted, 1, "嫌疑人驾车途经犀溪卡点时被拦截，已移交罗阳所"))
        .await?;
    until(&luoyang.liaison, &fugitive.id, &xixi.id, TargetState::Resolved).await?;
    luoyang.liaison.act(&fugitive.id, &close(5, "拦截及时，配合默契")).await?;

    // 马站 → 犀溪: a land dispute across the line, mediated jointly.
    let dispute = mazhan.liaison.create_case(&samples::sample(CaseKind::Dispute, vec![xixi.id.clone()], now)).await?;
    until(&mazhan.liaison, &dispute.id, &xixi.id, TargetState::Delivered).await?;
    xixi.duty.act(&dispute.id, &ack("已联系前岐镇司法所，约定周四联合调处", time::Duration::days(3))).await?;
    xixi.duty.act(&dispute.id, &outcome(Outcome::DisputeResolved, 1, "两村签订山林采伐协议，界碑附近暂停采伐")).await?;
    until(&mazhan.liaison, &dispute.id, &xixi.id, TargetState::Resolved).await?;
    mazhan.liaison.act(&dispute.id, &close(4, "调处有效，建议定期回访")).await?;

    // 罗阳 → 犀溪: a routine check, waiting for 犀溪's duty officer to sign for it.
    let check = luoyang.liaison.create_case(&samples::sample(CaseKind::General, vec![xixi.id.clone()], now)).await?;
    until(&luoyang.liaison, &check.id, &xixi.id, TargetState::Delivered).await?;

    // 马站 → 罗阳: a request sent to the wrong station, declined with a suggestion.
    let wrong = mazhan.liaison.create_case(&samples::sample(CaseKind::General, vec![luoyang.id.clone()], now)).await?;
    until(&mazhan.liaison, &wrong.id, &luoyang.id, TargetState::Delivered).await?;
    let decline = DeclineInput {
        reason: DeclineReason::NotOurArea,
        message: "该地址属寿宁县犀溪镇，请转犀溪派出所".into(),
        suggested_station: Some(xixi.id.clone()),
    };
    luoyang.duty.act(&wrong.id, &Action::Decline(decline)).await?;
    Ok(())
}

/// What to print once the demo runs: per station its URL and how to use the CLI.
pub fn instructions(demo: &Demo, lang: crate::i18n::Lang) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "tiemeng".into());
    let _ = writeln!(
        out,
        "{}",
        lang.pick("铁盟演示已启动：三个派出所节点运行在本机。", "tiemeng demo: three station nodes on loopback.")
    );
    if demo.seeded {
        let _ = writeln!(
            out,
            "{}",
            lang.pick("已生成示例协查（双向往来，含签收、反馈、办结）。", "sample cases were sent both ways.")
        );
    }
    for station in &demo.manifest.stations {
        let _ = writeln!(out, "\n{}（{}）\n  {}", station.name, station.id, station.url);
        let _ = writeln!(
            out,
            "  {} {}/console  ({} {}, {} {P12_PASSWORD})",
            lang.pick("控制台：", "console:"),
            station.url,
            lang.pick("浏览器先导入", "import into the browser"),
            station.liaison.cert.with_extension("p12").display(),
            lang.pick("密码", "password"),
        );
        let _ = writeln!(
            out,
            "  {}\n    export TIEMENG_URL={} TIEMENG_CA={} TIEMENG_CERT={} TIEMENG_KEY={}\n    {exe} case list --outbox",
            lang.pick(
                &format!("以联络员{}身份使用命令行：", station.liaison.name),
                &format!("CLI as liaison officer {}:", station.liaison.name)
            ),
            station.url,
            station.ca_bundle.display(),
            station.liaison.cert.display(),
            station.liaison.key.display(),
        );
        let _ = writeln!(
            out,
            "  curl --cacert {} --cert {} --key {} {}/api/v1/inbox",
            station.ca_bundle.display(),
            station.duty.cert.display(),
            station.duty.key.display(),
            station.url
        );
    }
    let _ = writeln!(out, "\n{}", lang.pick("按 Ctrl-C 停止。", "Press Ctrl-C to stop."));
    out
}
