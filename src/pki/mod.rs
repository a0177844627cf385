//! The dev/test PKI of tiemeng: province root CAs, station and officer
//! certificates, CRLs and Ed25519 envelope-signing keys, built with rcgen.
//!
//! Three users: the `tiemeng pki` CLI (admins setting up dev stations), integration
//! tests that need fresh or deliberately broken certificates in memory or in temp
//! dirs (the broken ones only with the `test-support` feature), and `tiemeng demo`,
//! which sets up the three example stations. Nothing here is meant for production
//! certificates (every subject says `O=铁盟 tiemeng dev`).
//!
//! ```no_run
//! # use tiemeng::pki::*;
//! # fn main() -> Result<(), PkiError> {
//! let zj = Authority::for_province("33")?;
//! let station = zj.issue(&LeafSpec::station("zj-taishun-luoyang", &[]))?;
//! let officer = zj.issue(&LeafSpec::officer("zj-taishun-luoyang", "330329001", "陈志强"))?;
//! let crl = zj.crl(&CrlSpec::with_default_validity(1).revoke(officer.serial.clone()))?;
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - `authority`: [`Authority`], a CA in memory: create, save/load, issue, sign CRLs.
//! - `leaf`: [`LeafSpec`] (what goes into a leaf certificate) and [`LeafCert`].
//! - `crl`: [`CrlSpec`] and the signed [`Crl`].
//! - `signing`: Ed25519 signing keys and their `.key`/`.pub` files.
//! - `files`: writing files with mode 0600/0644 from the start, atomic replacement.
//! - `layout`: where files live ([`CaPaths`], [`DevLayout`]).
//! - `ca_files`: CA operations on disk (create, revoke, re-sign the CRL).
//! - `revocations`: the `<province>.revoked.json` record CRLs are signed from.
//! - `dev`, `examples`: [`dev::init`] and the example stations and officers.
//! - `cli`: [`PkiCommand`] and [`run`].
//! - `names`, `parse`, `error`: validation, reading certificates back, [`PkiError`].

mod authority;
pub mod browser;
mod ca_files;
mod cli;
mod crl;
pub mod dev;
mod error;
mod examples;
mod files;
mod layout;
mod leaf;
mod names;
mod parse;
mod revocations;
mod signing;

#[cfg(test)]
mod tests;

pub use authority::{Authority, INTERMEDIATE_DAYS, ROOT_DAYS};
pub use ca_files::{Revocation, create_ca, load_ca, reissue_crl, revoke};
pub use cli::{PkiCommand, execute, execute_in, run};
pub use crl::{Crl, CrlSpec, DEFAULT_CRL_DAYS, RevokedCert};
pub use dev::{DEV_SIGNING_KEY_ID, OfficerSpec, ROLE_ADMIN, ROLE_CHIEF, ROLE_DUTY, ROLE_LIAISON, StationSpec};
pub use error::{PkiError, Words};
pub use examples::{example_dns, example_officers, example_stations};
pub use files::{Overwrite, PUBLIC_MODE, SECRET_MODE, write_public, write_secret};
pub use layout::{CaPaths, DevLayout, OfficerFiles, StationFiles};
pub use leaf::{CLOCK_SKEW, DEFAULT_LEAF_DAYS, Eku, LeafCert, LeafSpec};
pub use names::{DEV_ORGANIZATION, default_ca_name, division_province, officer_uri, province_name, station_uri};
pub use parse::{CertSummary, summarize};
pub use revocations::{RevocationEntry, RevocationList};
pub use signing::{
    SigningKeyFiles, generate_signing_key, load_public_key, load_signing_key, public_key_b64, signing_key_paths,
    write_signing_key,
};
