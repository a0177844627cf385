//! 铁盟 tiemeng — a cross-jurisdiction collaboration node for border police stations.
//!
//! Every station on a provincial border runs one node. Liaison officers send signed assist
//! requests (协查请求) to partner stations; the partners acknowledge, work the case and report
//! outcomes; the origin closes and evaluates. Nodes exchange ed25519-signed envelopes over
//! mutually authenticated TLS and keep everything, evidence first, in sled.
//!
//! # Layout
//! - [`ids`], [`domain`]: identifiers and the vocabulary of cases (kinds, bodies, lifecycle,
//!   deadlines). Pure.
//! - [`envelope`], [`keys`]: signed envelopes and receipts; verify first, parse second.
//! - [`case`]: a case's state materialised from its envelopes, by one pure `apply`.
//! - [`store`]: the only module touching sled: each state change whole in one transaction,
//!   group-committed flushes, the audit chain, listings.
//! - [`node`]: the station's operations (create, act, read, receive), authorisation included.
//! - [`tls`], [`server`], [`api`]: rustls, the per-connection accept loop, and the axum routes.
//! - [`config`], [`pki`], [`cli`]: configuration, the dev PKI and the `tiemeng` command line.
//! - [`bench`]: `tiemeng bench`, the performance scenarios and `docs/BENCHMARKS.md`.

pub mod api;
pub mod bench;
pub mod case;
pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod console;
pub mod demo;
pub mod devnet;
pub mod domain;
pub mod envelope;
pub mod evidence;
pub mod federation;
pub mod i18n;
pub mod idle;
pub mod ids;
pub mod keys;
pub mod linger;
pub mod node;
pub mod pki;
pub mod protocol;
pub mod samples;
pub mod server;
pub mod slots;
pub mod stats;
pub mod store;
pub mod tls;
