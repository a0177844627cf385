//! A complete dev PKI in one call: province CAs, station certificates and signing
//! keys, officer certificates (see [`super::layout`] for the file layout).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use time::Duration;

use super::authority::Authority;
use super::ca_files::{self, ca_file_list};
use super::crl::DEFAULT_CRL_DAYS;
use super::error::Words;
use super::files::{self, Overwrite};
use super::layout::{self, CaPaths, DevLayout, OfficerFiles, StationFiles};
use super::leaf::LeafSpec;
use super::signing::{self, signing_key_paths};
use super::{PkiError, names};

/// Role name of a liaison officer (联络员), who sends and works assist requests.
pub const ROLE_LIAISON: &str = "liaison";
/// Role name of the duty officer (值班民警), who signs for incoming requests.
pub const ROLE_DUTY: &str = "duty";
/// Role name of a chief (所长), who evaluates and reviews statistics.
pub const ROLE_CHIEF: &str = "chief";
/// Role name of a node administrator.
pub const ROLE_ADMIN: &str = "admin";

/// The signing key id every dev station starts with.
pub const DEV_SIGNING_KEY_ID: &str = "k1";

/// A station to create certificates for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationSpec {
    /// Station id, e.g. `zj-taishun-luoyang`.
    pub id: String,
    /// Display name, e.g. 泰顺县公安局罗阳派出所.
    pub name_zh: String,
    /// Six-digit GB/T 2260 division; its first two digits pick the province CA.
    pub division: String,
    /// DNS names the station serves on (`localhost`/127.0.0.1 are always added).
    pub dns: Vec<String>,
}

impl StationSpec {
    /// The two-digit province code of the station's division.
    pub fn province(&self) -> Result<&str, PkiError> {
        names::division_province(&self.division)
    }
}

/// An officer to create a client certificate for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerSpec {
    /// Station id the officer belongs to.
    pub station: String,
    /// Badge number (警号), e.g. `330329001`.
    pub badge: String,
    /// Display name, the certificate's CN.
    pub name: String,
    /// Role for the node's registry (one of the `ROLE_*` names). Not put in the
    /// certificate: roles change without reissuing.
    pub role: &'static str,
}

/// Writes a dev PKI under `dir` and returns where everything went.
///
/// With [`Overwrite::Never`] nothing at all is written if any target file exists,
/// and the error names it (the first province CA key, on a second run), so an
/// existing CA is never silently replaced.
pub fn init(
    dir: &Path,
    stations: &[StationSpec],
    officers: &[OfficerSpec],
    overwrite: Overwrite,
) -> Result<DevLayout, PkiError> {
    validate(stations, officers)?;
    let ca_paths = province_cas(dir, stations)?;
    if overwrite == Overwrite::Never {
        let targets = planned_files(dir, &ca_paths, stations, officers);
        files::ensure_absent(targets.iter().map(PathBuf::as_path))?;
    }
    let mut authorities = BTreeMap::new();
    for (province, paths) in &ca_paths {
        let name = names::default_ca_name(province)?;
        let crl_days = Duration::days(DEFAULT_CRL_DAYS);
        let authority = ca_files::create_ca(paths, &name, crl_days, overwrite)?;
        authorities.insert(province.clone(), authority);
    }
    let bundle = authorities.values().map(Authority::cert_pem).collect::<String>();
    files::write_public(&layout::ca_bundle(dir), bundle.as_bytes(), overwrite)?;

    let station_files =
        stations.iter().map(|s| write_station(dir, s, &authorities, overwrite)).collect::<Result<Vec<_>, _>>()?;
    let officer_files = officers
        .iter()
        .map(|o| write_officer(dir, o, stations, &authorities, overwrite))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DevLayout {
        dir: dir.to_path_buf(),
        ca_bundle: layout::ca_bundle(dir),
        authorities: ca_paths.into_values().collect(),
        stations: station_files,
        officers: officer_files,
    })
}

fn validate(stations: &[StationSpec], officers: &[OfficerSpec]) -> Result<(), PkiError> {
    let mut ids = HashSet::new();
    for station in stations {
        names::validate_station_id(&station.id)?;
        station.province()?;
        if !ids.insert(station.id.as_str()) {
            return Err(invalid(("派出所标识", "station id"), &station.id, ("重复", "listed twice")));
        }
    }
    let mut badges = HashSet::new();
    for officer in officers {
        names::validate_badge(&officer.badge)?;
        if !ids.contains(officer.station.as_str()) {
            return Err(invalid(
                ("民警所属派出所", "officer's station"),
                &officer.station,
                ("不在派出所列表中", "not among the stations"),
            ));
        }
        if officer.name.trim().is_empty() {
            return Err(invalid(("民警姓名", "officer's name"), &officer.name, ("不能为空", "must not be empty")));
        }
        if !badges.insert((officer.station.as_str(), officer.badge.as_str())) {
            return Err(invalid(
                ("警号", "badge number"),
                &officer.badge,
                ("同一派出所内重复", "twice at one station"),
            ));
        }
    }
    Ok(())
}

fn invalid(field: Words, value: &str, reason: Words) -> PkiError {
    PkiError::invalid(field, value, reason)
}

/// One CA per province that has a station, keyed (and so sorted) by province code.
fn province_cas(dir: &Path, stations: &[StationSpec]) -> Result<BTreeMap<String, CaPaths>, PkiError> {
    let ca_dir = layout::ca_dir(dir);
    let mut cas = BTreeMap::new();
    for station in stations {
        let province = station.province()?;
        cas.entry(province.to_owned()).or_insert_with(|| CaPaths::in_dir(&ca_dir, province));
    }
    Ok(cas)
}

/// Every file `init` will write, CA keys first.
fn planned_files(
    dir: &Path,
    cas: &BTreeMap<String, CaPaths>,
    stations: &[StationSpec],
    officers: &[OfficerSpec],
) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = cas.values().flat_map(|ca| ca_file_list(ca).map(Path::to_path_buf)).collect();
    paths.push(layout::ca_bundle(dir));
    for station in stations {
        let station_dir = layout::station_dir(dir, &station.id);
        let (signing_key, signing_pub) = signing_key_paths(&station_dir, DEV_SIGNING_KEY_ID);
        paths.extend([station_dir.join("tls.key"), station_dir.join("tls.pem"), signing_key, signing_pub]);
    }
    for officer in officers {
        let (cert, key) = layout::officer_paths(dir, &officer.station, &officer.badge);
        paths.extend([key, cert]);
    }
    paths
}

fn authority_for<'a>(
    authorities: &'a BTreeMap<String, Authority>,
    station: &StationSpec,
) -> Result<&'a Authority, PkiError> {
    let province = station.province()?;
    // `province_cas` made one CA for every station's province, so this only
    // fails if the two drift apart; report it rather than panic.
    authorities
        .get(province)
        .ok_or_else(|| invalid(("省级代码", "province code"), province, ("没有对应的CA", "no CA for it")))
}

fn write_station(
    dir: &Path,
    station: &StationSpec,
    authorities: &BTreeMap<String, Authority>,
    overwrite: Overwrite,
) -> Result<StationFiles, PkiError> {
    let station_dir = layout::station_dir(dir, &station.id);
    let (tls_cert, tls_key) = (station_dir.join("tls.pem"), station_dir.join("tls.key"));
    let leaf = authority_for(authorities, station)?.issue(&LeafSpec::station(&station.id, &station.dns))?;
    leaf.write(&tls_cert, &tls_key, overwrite)?;
    let signing_key = signing::generate_signing_key();
    let signing = signing::write_signing_key(&station_dir, DEV_SIGNING_KEY_ID, &signing_key, overwrite)?;
    Ok(StationFiles {
        spec: station.clone(),
        province: station.province()?.to_owned(),
        uri: names::station_uri(&station.id),
        tls_cert,
        tls_key,
        tls_serial: leaf.serial,
        signing,
    })
}

fn write_officer(
    dir: &Path,
    officer: &OfficerSpec,
    stations: &[StationSpec],
    authorities: &BTreeMap<String, Authority>,
    overwrite: Overwrite,
) -> Result<OfficerFiles, PkiError> {
    let station = stations.iter().find(|s| s.id == officer.station).ok_or_else(|| {
        invalid(
            ("民警所属派出所", "officer's station"),
            &officer.station,
            ("不在派出所列表中", "not among the stations"),
        )
    })?;
    let spec = LeafSpec::officer(&officer.station, &officer.badge, &officer.name);
    let leaf = authority_for(authorities, station)?.issue(&spec)?;
    let (cert, key) = layout::officer_paths(dir, &officer.station, &officer.badge);
    leaf.write(&cert, &key, overwrite)?;
    Ok(OfficerFiles {
        spec: officer.clone(),
        uri: names::officer_uri(&officer.station, &officer.badge),
        cert,
        key,
        serial: leaf.serial,
    })
}
