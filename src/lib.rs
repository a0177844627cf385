//! 铁盟 tiemeng — a cross-jurisdiction collaboration node for border police stations.
//!
//! Every station on a provincial border runs one node. Liaison officers send signed assist
//! requests (协查请求) to partner stations; the partners acknowledge, work the case and report
//! outcomes; the origin closes and evaluates. Nodes exchange ed25519-signed envelopes over
//! mutually authenticated TLS and keep everything, evidence first, in sled.
//!
//! # Layout
//! Lower layers first; each uses only those above it in this list.
//! - [`ids`], [`clock`], [`i18n`], [`domain`]: identifiers, time, the two languages, and the
//!   vocabulary of cases (kinds, bodies, lifecycle, deadlines, hostile text). Pure.
//! - [`envelope`], [`keys`], [`protocol`]: signed envelopes and receipts (verify first, parse
//!   second), the key ring, and the `/fed/v1` wire types with one reading of an answer.
//! - [`case`], [`stats`]: a case materialised from its envelopes by one pure `apply`, and the
//!   tallies behind the chiefs' statistics. Pure.
//! - [`store`]: the only module touching sled: each state change whole in one transaction,
//!   group-committed flushes, the audit chain, listings, the search index, backups.
//! - [`config`], [`tls`]: a station's configuration, and the only module touching rustls
//!   (which CA vouches for whom, and the identity a connection proved).
//! - [`node`]: the station's operations (create, act, read, search, receive, reconcile, export),
//!   authorisation included, and the health of each partner as delivery finds it.
//! - [`federation`]: one delivery task per partner, draining its durable outbox over mTLS.
//! - [`api`], [`console`], [`server`]: the officer and federation routes with their OpenAPI
//!   document, the web console, and the accept loop that serves both side by side.
//! - [`evidence`]: evidence bundles, written by the node and checked offline.
//! - [`events`]: what the desk hears of at once, written with the change it reports.
//! - [`alerts`]: the same events carried to the station's SMS or paging gateways, signed,
//!   from a durable cursor, in order.
//! - [`client`], [`cli`]: the typed API client and the `tiemeng` command line.
//! - [`pki`], [`devnet`], [`samples`], [`demo`]: the dev PKI, a development network of
//!   stations, sample requests, and `tiemeng demo`.
//! - `bench` (only with the `bench` feature): `tiemeng bench`, the performance scenarios and
//!   `docs/BENCHMARKS.md`.

pub mod alerts;
pub mod api;
#[cfg(feature = "bench")]
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
pub mod events;
pub mod evidence;
pub mod federation;
pub mod i18n;
pub mod ids;
pub mod images;
pub mod keys;
pub mod node;
pub mod pki;
pub mod protocol;
pub mod samples;
pub mod server;
pub mod stats;
pub mod store;
pub mod tls;
