//! The shared integration-test harness: real nodes on 127.0.0.1 ephemeral ports, a fresh dev
//! PKI made with rcgen, sled in temporary folders, real mTLS between them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod events;
pub mod gateway;
pub mod power_cut;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;
use tiemeng::client::ApiClient;
use tiemeng::clock::Clock;
use tiemeng::config::Config;
use tiemeng::devnet::{self, DevNet, Endpoint};
use tiemeng::node::Node;
use tiemeng::pki::{self, ROLE_ADMIN, ROLE_CHIEF, ROLE_DUTY, ROLE_LIAISON};
use tiemeng::server::{self, Running};
use tokio::net::{TcpListener, TcpSocket};

pub const LUOYANG: &str = "zj-taishun-luoyang";
pub const XIXI: &str = "fj-shouning-xixi";
pub const MAZHAN: &str = "zj-cangnan-mazhan";
/// A fourth station, on the Fujian side, for cases with three targets.
pub const QIANQI: &str = "fj-fuding-qianqi";

fn station_spec(id: &str) -> pki::StationSpec {
    if id == QIANQI {
        return pki::StationSpec {
            id: QIANQI.into(),
            name_zh: "福鼎市公安局前岐派出所".into(),
            division: "350982".into(),
            dns: vec![pki::example_dns(QIANQI)],
        };
    }
    pki::example_stations().into_iter().find(|s| s.id == id).expect("example station")
}

fn officers_of(ids: &[&str]) -> Vec<pki::OfficerSpec> {
    let mut officers: Vec<_> =
        pki::example_officers().into_iter().filter(|o| ids.contains(&o.station.as_str())).collect();
    if ids.contains(&QIANQI) {
        for (badge, name, role) in [
            ("350982001", "郭文斌", ROLE_LIAISON),
            ("350982002", "许美玲", ROLE_DUTY),
            ("350982003", "潘志远", ROLE_CHIEF),
        ] {
            officers.push(pki::OfficerSpec { station: QIANQI.into(), badge: badge.into(), name: name.into(), role });
        }
    }
    officers
}

/// Writes a dev PKI and one config per station of `ids` under `dir`, every station a peer of
/// every other, and starts nothing: for simulations that open each [`Node`] in-process and
/// carry envelopes themselves. The configured ports are never bound.
pub fn prepare_offline(dir: &Path, ids: &[&str]) -> DevNet {
    let endpoints = ids
        .iter()
        .zip(1u16..)
        .map(|(id, port)| Endpoint::local(station_spec(id), SocketAddr::from(([127, 0, 0, 1], port))))
        .collect();
    devnet::prepare(dir, endpoints, &officers_of(ids)).unwrap()
}

/// Appends settings that make tests quick: retries back off at most two seconds, and tests
/// that send hundreds of requests are not rate-limited.
pub fn quick_retries(_station: &str, text: &mut String) {
    text.push_str("\n[federation]\nmax_backoff_secs = 2\n\n[limits]\nofficer_requests_per_minute = 1000000\n");
}

/// A role to pick an example officer by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum As {
    Liaison,
    Duty,
    /// The station's second duty officer, who takes over at shift change.
    #[allow(dead_code)]
    OtherDuty,
    Chief,
    Admin,
}

impl As {
    fn role(self) -> &'static str {
        match self {
            Self::Liaison => ROLE_LIAISON,
            Self::Duty | Self::OtherDuty => ROLE_DUTY,
            Self::Chief => ROLE_CHIEF,
            Self::Admin => ROLE_ADMIN,
        }
    }
}

/// A network of example stations, each served by a real node.
pub struct Net {
    pub dir: TempDir,
    pub devnet: DevNet,
    pub addrs: BTreeMap<String, SocketAddr>,
    pub clocks: BTreeMap<String, Clock>,
    nodes: BTreeMap<String, Running>,
    /// Each station's port, held for as long as the net lives (see [`Reservation`]).
    ports: BTreeMap<String, Reservation>,
}

/// A station's port, held by the harness whether or not the station is being served, so that
/// a stopped station comes back on the port its partners' configs name, and nothing else (a
/// test running alongside, an outgoing connection) can take it meanwhile.
///
/// It is a socket bound to the port with `SO_REUSEADDR` that never listens. Linux lets
/// sockets that all set `SO_REUSEADDR` share an address as long as at most one of them
/// listens, so the node's listener, or a `tiemeng serve` child's (std and tokio bind with
/// `SO_REUSEADDR`), binds beside it; and it never gives a port held this way to a `bind` to
/// port 0 or to an outgoing connection. While nothing listens, connections to the port are
/// refused, as they are for a station that is down.
struct Reservation {
    socket: TcpSocket,
}

impl Reservation {
    /// Holds a free port on 127.0.0.1.
    fn new() -> Reservation {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        Reservation { socket }
    }

    fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    /// A listener on the held port. Fails only while something else listens on it: the
    /// station's previous listener (closed before [`Running::stop`] returns) or a child
    /// process still serving it.
    fn listen(&self) -> TcpListener {
        let addr = self.addr();
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(addr).unwrap_or_else(|e| panic!("{addr} is still being served: {e}"));
        // The backlog tokio's TcpListener::bind uses.
        socket.listen(1024).unwrap()
    }
}

impl Net {
    /// Starts the named example stations, every one a peer of every other.
    pub async fn start(ids: &[&str]) -> Net {
        Self::start_with(ids, ids, quick_retries).await
    }

    /// Configures every station in `ids` but starts only those in `running`.
    pub async fn partial(ids: &[&str], running: &[&str]) -> Net {
        Self::start_with(ids, running, quick_retries).await
    }

    /// Like [`Net::partial`], letting the test edit each station's config text before it is loaded.
    pub async fn start_with(ids: &[&str], running: &[&str], edit: impl Fn(&str, &mut String)) -> Net {
        let dir = tempfile::tempdir().unwrap();
        let mut ports = BTreeMap::new();
        let mut endpoints = Vec::new();
        for id in ids {
            let port = Reservation::new();
            endpoints.push(Endpoint::local(station_spec(id), port.addr()));
            ports.insert((*id).to_owned(), port);
        }
        let officers = officers_of(ids);
        let devnet = devnet::prepare(dir.path(), endpoints, &officers).unwrap();
        for (id, path) in &devnet.configs {
            let mut text = std::fs::read_to_string(path).unwrap();
            edit(id, &mut text);
            std::fs::write(path, text).unwrap();
        }
        let addrs = ports.iter().map(|(id, port)| (id.clone(), port.addr())).collect();
        let clocks = ids.iter().map(|id| ((*id).to_owned(), Clock::system())).collect();
        let mut net = Net { dir, devnet, addrs, clocks, nodes: BTreeMap::new(), ports };
        for id in ids.iter().filter(|id| running.contains(id)) {
            net.start_node(id);
        }
        net
    }

    /// The loaded config of a station.
    pub fn config(&self, id: &str) -> Config {
        Config::load(self.devnet.config(id).unwrap()).unwrap()
    }

    /// The signing key station `id` signs its envelopes with.
    #[allow(dead_code)]
    pub fn signer(&self, id: &str) -> tiemeng::keys::Signer {
        let files = self.devnet.layout.station(id).unwrap();
        let key = pki::load_signing_key(&files.signing.private_key).unwrap();
        let key_ref = tiemeng::ids::KeyRef::new(id.parse().unwrap(), &files.signing.key_id).unwrap();
        tiemeng::keys::Signer::new(key_ref, key)
    }

    /// The unsigned request titled `title` that `from`'s liaison officer sends to `to` at `at`,
    /// made by the node's own code: for tests that sign, alter or deliver envelopes by hand.
    #[allow(dead_code)]
    pub fn request(
        &self,
        from: &str,
        to: Vec<tiemeng::ids::StationId>,
        title: &str,
        at: time::OffsetDateTime,
    ) -> tiemeng::envelope::Envelope {
        let config = self.config(from);
        let liaison = config.officers.iter().find(|o| o.roles.contains(&tiemeng::config::Role::Liaison)).unwrap();
        let officer = tiemeng::node::Officer {
            id: tiemeng::ids::OfficerId { station: config.station.id.clone(), badge: liaison.badge.clone() },
            name: liaison.name.clone(),
            roles: liaison.roles.clone(),
        };
        let mut new = tiemeng::samples::sample(tiemeng::domain::details::CaseKind::General, to, at);
        new.title = title.into();
        tiemeng::node::request_envelope(&config, &officer, new, at).unwrap()
    }

    /// The running node of a station.
    pub fn node(&self, id: &str) -> &Arc<Node> {
        &self.nodes[id].node
    }

    /// True while the station is being served.
    pub fn is_running(&self, id: &str) -> bool {
        self.nodes.contains_key(id)
    }

    /// Stops a station's node and releases its store.
    pub async fn stop(&mut self, id: &str) {
        if let Some(running) = self.nodes.remove(id) {
            running.stop().await;
        }
    }

    /// Starts a station again (or for the first time) on its port and data folder; the port
    /// was held all along, so no retry is needed and no one else can be listening there.
    pub async fn restart(&mut self, id: &str) {
        self.stop(id).await;
        self.start_node(id);
    }

    /// Runs a configured (and stopped) station as a `tiemeng serve` child process, so a test
    /// can kill it with SIGKILL; returns once it answers on its port. The child binds the
    /// station's port beside the harness's [`Reservation`], which keeps it once the child is
    /// gone.
    pub async fn spawn_process(&self, id: &str) -> std::process::Child {
        assert!(!self.is_running(id), "{id} is served in-process");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng"))
            .args(["serve", "--config"])
            .arg(self.devnet.config(id).unwrap())
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let addr = self.addrs[id];
        let up =
            eventually(Duration::from_secs(20), || async move { tokio::net::TcpStream::connect(addr).await.is_ok() })
                .await;
        assert!(up, "{id} did not start");
        child
    }

    fn start_node(&mut self, id: &str) {
        let listener = self.ports[id].listen();
        let node = Node::open(self.config(id), self.clocks[id].clone()).unwrap();
        let running = server::start(Arc::new(node), listener).unwrap();
        self.nodes.insert(id.to_owned(), running);
    }

    /// The base URL of a station.
    pub fn url(&self, id: &str) -> String {
        format!("https://localhost:{}", self.addrs[id].port())
    }

    /// The example officer of `station` with `role`.
    pub fn officer_files(&self, station: &str, role: As) -> (PathBuf, PathBuf) {
        let officer = self
            .devnet
            .layout
            .officers
            .iter()
            .filter(|o| o.spec.station == station && o.spec.role == role.role())
            .nth(usize::from(role == As::OtherDuty))
            .expect("example officer");
        (officer.cert.clone(), officer.key.clone())
    }

    /// An API client for the example officer of `station` with `role`.
    pub fn officer(&self, station: &str, role: As) -> ApiClient {
        let (cert, key) = self.officer_files(station, role);
        ApiClient::for_officer(&self.url(station), &self.devnet.layout.ca_bundle, &[], &cert, &key).unwrap()
    }

    /// Posts raw envelopes to `to`'s federation inbox over `from`'s TLS identity, as `from`'s
    /// delivery task would: the answer, after checking it is 200.
    pub async fn post_to_inbox(&self, from: &str, to: &str, wires: &[Vec<u8>]) -> serde_json::Value {
        let mut body = b"{\"envelopes\":[".to_vec();
        body.extend_from_slice(&wires.join(&b","[..]));
        body.extend_from_slice(b"]}");
        let response = self
            .station_client(from)
            .post(format!("{}/fed/v1/inbox", self.url(to)))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// An HTTP client presenting `station`'s own certificate, as a peer would.
    pub fn station_client(&self, station: &str) -> reqwest::Client {
        let files = self.devnet.layout.station(station).unwrap();
        let config =
            tiemeng::tls::client_config(&self.devnet.layout.ca_bundle, &[], &files.tls_cert, &files.tls_key).unwrap();
        reqwest::Client::builder().use_preconfigured_tls(config).build().unwrap()
    }

    /// Runs `tiemeng <command> --url … --ca … --cert … --key … <args>` as `station`'s officer
    /// with `role`, off the test's runtime (which serves the node the command talks to).
    pub async fn cli(&self, station: &str, role: As, command: &str, args: &[&str]) -> std::process::Output {
        let (cert, key) = self.officer_files(station, role);
        let mut cli = std::process::Command::new(env!("CARGO_BIN_EXE_tiemeng"));
        cli.args([command, "--url", &self.url(station), "--ca"]).arg(&self.devnet.layout.ca_bundle);
        cli.arg("--cert").arg(cert).arg("--key").arg(key).args(args);
        tokio::task::spawn_blocking(move || cli.output().unwrap()).await.unwrap()
    }

    /// The data folder of a station.
    pub fn data_dir(&self, id: &str) -> PathBuf {
        self.config(id).storage.data_dir
    }

    /// The dev PKI folder.
    pub fn certs(&self) -> &Path {
        &self.devnet.layout.dir
    }

    /// Stops every node.
    pub async fn shutdown(mut self) {
        let ids: Vec<String> = self.nodes.keys().cloned().collect();
        for id in ids {
            self.stop(&id).await;
        }
    }
}

/// Records at `node` (the origin) that `target` stored each of `cases` the moment it was sent,
/// as its receipt would: deadlines run from delivery, so tests of overdue targets at an origin
/// whose partner is not running deliver their cases this way.
pub async fn delivered_at_once(node: &Node, cases: &[tiemeng::ids::CaseId], target: &str) {
    let target: tiemeng::ids::StationId = target.parse().unwrap();
    for id in cases {
        let case = node.store().case(id).unwrap().unwrap();
        node.store()
            .write(case.created_at, |unit| {
                let mut case = unit.case(id)?.unwrap();
                case.apply_receipt(&target, case.created_at).unwrap();
                unit.put_case(&case)?;
                Ok::<_, tiemeng::store::StoreError>(())
            })
            .unwrap();
    }
    node.store().durable().await.unwrap();
}

/// GETs `url` and reads the answer as JSON, whatever its status.
pub async fn get_json(client: &reqwest::Client, url: &str) -> serde_json::Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

/// Polls `check` every 50 ms until it holds or `within` passes; returns whether it held.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check().await
}

/// A partner's public key entered wrongly in a station's config, and put right later: every
/// envelope of that partner is refused with `bad_signature` until then.
#[allow(dead_code)]
#[derive(Default)]
pub struct WrongKey {
    right: std::sync::Mutex<String>,
}

#[allow(dead_code)]
impl WrongKey {
    /// The wrong key, in the config's form.
    fn public() -> String {
        let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
        format!("public = \"{}\"", tiemeng::keys::format_public_key(&key))
    }

    /// 罗阳 and 犀溪, with 犀溪 holding this wrong key for 罗阳.
    pub async fn net(&self) -> Net {
        Net::start_with(&[LUOYANG, XIXI], &[LUOYANG, XIXI], |id, text| {
            quick_retries(id, text);
            if id == XIXI {
                self.enter(text);
            }
        })
        .await
    }

    /// Replaces the first partner key of `text` (a station's config) with the wrong one.
    pub fn enter(&self, text: &mut String) {
        let start = text.find("public_file").expect("a partner key");
        let end = start + text[start..].find(" }").expect("end of the key entry");
        *self.right.lock().unwrap() = text[start..end].to_owned();
        text.replace_range(start..end, &Self::public());
    }

    /// Puts the right key back into `station`'s config file (the node reads it when restarted).
    pub fn put_right(&self, net: &Net, station: &str) {
        let config = net.devnet.config(station).unwrap();
        let text = std::fs::read_to_string(config).unwrap();
        let fixed = text.replacen(&Self::public(), &self.right.lock().unwrap(), 1);
        assert_ne!(fixed, text, "no wrong key in {station}'s config");
        std::fs::write(config, fixed).unwrap();
    }
}
