//! A development network: the dev PKI plus one config file per station, every station a peer
//! of every other. `tiemeng demo`, the example configs in `config/` and the integration tests
//! all come from here, so they cannot drift apart.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::pki::{self, DevLayout, OfficerSpec, Overwrite, PkiError, StationSpec};

/// Where a rendered config points for its files.
#[derive(Debug, Clone)]
pub struct Paths {
    /// Prefix for PKI files (the dev PKI folder, absolute or relative to the config file).
    pub certs: String,
    /// Prefix for data folders.
    pub data: String,
}

/// One station of the network: where it listens and how others reach it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The station.
    pub spec: StationSpec,
    /// Listen address.
    pub listen: SocketAddr,
    /// Public URL peers and officers use.
    pub url: String,
}

impl Endpoint {
    /// A station reached at `https://localhost:<port>` (dev certificates name `localhost`).
    pub fn local(spec: StationSpec, listen: SocketAddr) -> Self {
        let url = format!("https://localhost:{}", listen.port());
        Self { spec, listen, url }
    }
}

/// Renders the TOML config of `me`, with every other endpoint as a peer.
pub fn render_config(
    me: &Endpoint,
    all: &[Endpoint],
    authorities: &[String],
    officers: &[OfficerSpec],
    paths: &Paths,
) -> String {
    let id = &me.spec.id;
    let mut out = String::new();
    let quote = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let file = |rel: &str| quote(&format!("{}/{rel}", paths.certs));
    let _ = writeln!(out, "# 铁盟 tiemeng — {} ({id})", me.spec.name_zh);
    let _ = writeln!(
        out,
        "\n[station]\nid = {}\nname = {}\ndivision = {}",
        quote(id),
        quote(&me.spec.name_zh),
        quote(&me.spec.division)
    );
    let _ = writeln!(out, "\n[server]\nlisten = {}\npublic_url = {}", quote(&me.listen.to_string()), quote(&me.url));
    let _ = writeln!(out, "\n[storage]\ndata_dir = {}\ncache_mb = 64", quote(&format!("{}/{id}", paths.data)));
    let crls: Vec<String> = authorities.iter().map(|province| file(&format!("ca/{province}.crl.pem"))).collect();
    // The dev PKI has one CA per province; a station's province is its division's first two digits.
    let ca_of = |spec: &pki::StationSpec| file(&format!("ca/{}-ca.pem", spec.province().unwrap_or_default()));
    let _ = writeln!(
        out,
        "\n[tls]\nhome_ca = {}\ncrls = [{}]\ncert = {}\nkey = {}",
        ca_of(&me.spec),
        crls.join(", "),
        file(&format!("stations/{id}/tls.pem")),
        file(&format!("stations/{id}/tls.key")),
    );
    let key_id = pki::DEV_SIGNING_KEY_ID;
    let _ = writeln!(
        out,
        "\n[[signing_keys]]\nid = {}\nfile = {}",
        quote(key_id),
        file(&format!("stations/{id}/signing-{key_id}.key"))
    );
    for peer in all.iter().filter(|e| &e.spec.id != id) {
        let peer_id = &peer.spec.id;
        let _ = writeln!(
            out,
            "\n[[peers]]\nid = {}\nname = {}\ndivision = {}\nurl = {}\nca = {}\nkeys = [{{ id = {}, public_file = {} }}]",
            quote(peer_id),
            quote(&peer.spec.name_zh),
            quote(&peer.spec.division),
            quote(&peer.url),
            ca_of(&peer.spec),
            quote(key_id),
            file(&format!("stations/{peer_id}/signing-{key_id}.pub")),
        );
    }
    for officer in officers.iter().filter(|o| &o.station == id) {
        let _ = writeln!(
            out,
            "\n[[officers]]\nbadge = {}\nname = {}\nroles = [{}]",
            quote(&officer.badge),
            quote(&officer.name),
            quote(officer.role)
        );
    }
    out.push_str(ALERTS_EXAMPLE);
    out
}

/// How to add the station's SMS or paging gateway, left commented out: a new admin finds it
/// where they edit.
const ALERTS_EXAMPLE: &str = r#"
# Alerts to the station's SMS or paging gateway (optional): each event a hook wants is POSTed
# to it as JSON, signed with HMAC-SHA256 over a shared secret (docs/ALERTS.md).
# [[alerts.hooks]]
# name = "duty-sms"
# url = "http://10.0.0.20:8080/tiemeng"     # or https:// with ca = "gateway-ca.pem"
# secret_file = "duty-sms.secret"           # openssl rand -hex 32 > duty-sms.secret; chmod 600
# events = ["request_received", "deadline", "partner"]
# min_priority = "high"                     # urgent | high | routine
"#;

/// A prepared network: its PKI and each station's config file.
#[derive(Debug, Clone)]
pub struct DevNet {
    /// The PKI files.
    pub layout: DevLayout,
    /// Config file per station, in the order given.
    pub configs: Vec<(String, PathBuf)>,
    /// The endpoints.
    pub endpoints: Vec<Endpoint>,
}

impl DevNet {
    /// The config file of `station`.
    pub fn config(&self, station: &str) -> Option<&Path> {
        self.configs.iter().find(|(id, _)| id == station).map(|(_, p)| p.as_path())
    }

    /// The certificate and key of an officer.
    pub fn officer(&self, station: &str, badge: &str) -> Option<(&Path, &Path)> {
        self.layout
            .officers
            .iter()
            .find(|o| o.spec.station == station && o.spec.badge == badge)
            .map(|o| (o.cert.as_path(), o.key.as_path()))
    }
}

/// Writes a dev PKI under `dir/certs`, and configs under `dir/config` whose data folders are
/// under `dir/data`.
pub fn prepare(dir: &Path, endpoints: Vec<Endpoint>, officers: &[OfficerSpec]) -> Result<DevNet, PkiError> {
    let specs: Vec<StationSpec> = endpoints.iter().map(|e| e.spec.clone()).collect();
    let layout = pki::dev::init(&dir.join("certs"), &specs, officers, Overwrite::Never)?;
    let config_dir = dir.join("config");
    std::fs::create_dir_all(&config_dir).map_err(|e| PkiError::Io { path: config_dir.clone(), source: e })?;
    let paths = Paths { certs: "../certs".into(), data: "../data".into() };
    let provinces: Vec<String> = layout.authorities.iter().map(|a| a.province.clone()).collect();
    let mut configs = Vec::new();
    for endpoint in &endpoints {
        let text = render_config(endpoint, &endpoints, &provinces, officers, &paths);
        let path = config_dir.join(format!("{}.toml", endpoint.spec.id));
        std::fs::write(&path, text).map_err(|e| PkiError::Io { path: path.clone(), source: e })?;
        configs.push((endpoint.spec.id.clone(), path));
    }
    Ok(DevNet { layout, configs, endpoints })
}

/// The example configs of the three example stations, as kept in `config/`: ports 7443–7445
/// on loopback, certificates from `tiemeng pki init` in `certs/dev`, data in `data/`.
pub fn example_configs() -> Vec<(String, String)> {
    let endpoints: Vec<Endpoint> = pki::example_stations()
        .into_iter()
        .zip(7443u16..)
        .map(|(spec, port)| Endpoint::local(spec, SocketAddr::from(([127, 0, 0, 1], port))))
        .collect();
    let provinces = vec!["33".to_owned(), "35".to_owned()];
    let paths = Paths { certs: "../certs/dev".into(), data: "../data".into() };
    let officers = pki::example_officers();
    endpoints
        .iter()
        .map(|e| (format!("{}.toml", e.spec.id), render_config(e, &endpoints, &provinces, &officers, &paths)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files in `config/` are what [`example_configs`] renders; run with `TIEMENG_BLESS=1`
    /// to rewrite them after changing the renderer.
    #[test]
    fn example_configs_in_the_config_folder_are_current() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        for (name, text) in example_configs() {
            let path = dir.join(&name);
            if std::env::var_os("TIEMENG_BLESS").is_some() {
                std::fs::write(&path, &text).unwrap();
            }
            let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
            assert_eq!(on_disk, text, "config/{name} is out of date; rerun with TIEMENG_BLESS=1");
        }
    }

    #[test]
    fn rendered_configs_parse() {
        for (name, text) in example_configs() {
            let config = crate::config::Config::parse(&text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(config.peers.len(), 2, "{name}");
            assert!(config.officers.len() >= 3, "{name}");
        }
    }
}
