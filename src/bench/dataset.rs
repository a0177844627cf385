//! The large store: ten years of a border station's cooperation (a million cases at full
//! scale), written by the node's own code. Built once per run and shared by the statistics,
//! start-up and memory scenarios; `--keep --reuse-dataset` keeps it for later runs.
//!
//! Station A is the node under test, with three partner stations. Day by day, A sends
//! requests (60 %) and receives them (40 %); each target acknowledges (or, 3 %, declines),
//! reports an outcome, and the origin closes with an evaluation. Recent days are left in
//! progress, and a few old cases (0.05 %) are left unreported, so the overdue lists hold what
//! a real station's would. A writes everything through its real paths:
//! [`Node::create_cases`] and [`Node::act_many`] (the code of `create_case` and `act`, many
//! per transaction), and for what the partners send, [`Node::receive_batch`] and
//! [`Node::record_answers`] exactly as the federation routes and delivery tasks call them. The
//! partners are simulated by their signing keys: they sign the envelopes and receipts their
//! nodes would, and HTTP is the only thing skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::net::{BenchNet, bench_settings};
use super::{BenchResult, Scale, ctx};
use crate::client::ApiClient;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::case::{DeclineReason, Outcome};
use crate::domain::details::CaseKind;
use crate::envelope::Statement as _;
use crate::envelope::{Envelope, Receipt, SealedEnvelope};
use crate::ids::{CaseId, EnvelopeId, OfficerId, StationId};
use crate::keys::Signer;
use crate::node::{AckInput, Action, Answer, CloseInput, DeclineInput, Node, Officer, OutcomeInput, action_body};

/// Why the bulk-loaded store is the store the node would have written, for BENCHMARKS.md.
pub const EQUIVALENCE: &str = "The statistics, start-up and memory scenarios share one store of ten years of a \
station's work, built by `src/bench/dataset.rs` at the start of the run (its time is reported in scenario 5). \
Station A sends 60 % of the cases and receives 40 % from three partner stations; targets acknowledge (3 % \
decline), report outcomes of every kind, and origins close with an evaluation; the last week is left in progress \
and 0.05 % of old cases are left unreported, so overdue lists hold what a real station's would.\n\n\
Everything is written by A's own code. A's requests and actions go through `Node::create_cases` and \
`Node::act_many`, which run, for each request or action, the very functions `create_case` and `act` run \
(`record_request`, `apply_action`: sign, apply, same-subject links, indexes, tallies, outbox entry, audit entry) \
at that request's own time; they only put a day's worth into one transaction and one flush instead of one each. \
Nothing stored records how changes were grouped into transactions, so the state is the same. The search index is \
left for last and built when the store is next opened, its entries sorted first, as for a store written by a \
release without search: the same entries, each leaf of the index written once, where ten years of cases loaded in \
an hour would otherwise leave sled's log holding old copies of the index's leaves faster than it reclaims them. What the partners \
send goes through `Node::receive_batch` and `Node::record_answers`, the functions the federation route and the \
delivery task call; the partners are simulated by their signing keys, so only HTTP is skipped. \
`tests/node.rs::a_bulk_loaded_store_equals_one_written_case_by_case` proves the equivalence: the same requests \
and actions at the same times, once one call at a time and once in bulk, leave the same number of entries in \
every tree, the same statistics, the same listings and a valid audit chain of the same length.";

/// Share of cases A sends (the rest it receives), in percent.
const SENT_PERCENT: u32 = 60;
/// Share of targets that decline, in percent.
const DECLINE_PERCENT: u32 = 3;
/// Old cases left unreported, per ten thousand.
const STRAGGLERS_PER_10K: u32 = 5;
/// Envelopes per federation batch, as a delivery task would send them.
const BATCH: usize = 1_000;

/// A built large store, described in `dataset.json` beside it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dataset {
    /// The network folder (PKI, configs, data).
    pub dir: PathBuf,
    /// Station A.
    pub station: String,
    /// A's config file.
    pub config: PathBuf,
    /// The CA bundle.
    pub ca_bundle: PathBuf,
    /// Certificate and key of A's officers by role.
    pub officers: BTreeMap<String, (PathBuf, PathBuf)>,
    /// A partner station, for filters.
    pub partner: String,
    /// Cases requested.
    pub cases: usize,
    /// Days of history.
    pub days: u32,
    /// Cases stored at A.
    pub stored: usize,
    /// Entries per tree after the build.
    pub trees: Vec<(String, usize)>,
    /// Seconds the build took.
    pub build_secs: f64,
    /// First and last request day.
    pub first_day: String,
    /// Last request day.
    pub last_day: String,
}

/// The run's large store: built on first use, then shared.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    reuse: bool,
    built: Option<Dataset>,
}

impl Cache {
    /// A cache that builds in `dir`, or reuses what is there when `reuse` is set.
    pub fn new(dir: PathBuf, reuse: bool) -> Self {
        Self { dir, reuse, built: None }
    }

    /// The store, built now if needed.
    pub async fn get(&mut self, scale: &Scale) -> BenchResult<Dataset> {
        if let Some(built) = &self.built {
            return Ok(built.clone());
        }
        let marker = self.dir.join("dataset.json");
        if self.reuse
            && let Some(found) = std::fs::read(&marker).ok().and_then(|b| serde_json::from_slice::<Dataset>(&b).ok())
            && found.cases == scale.cases
        {
            eprintln!("   reusing the store of {} cases in {}", found.stored, found.dir.display());
            self.built = Some(found.clone());
            return Ok(found);
        }
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir).map_err(ctx("clear the store folder"))?;
        }
        std::fs::create_dir_all(&self.dir).map_err(ctx("store folder"))?;
        let built = build(self.dir.clone(), scale).await?;
        std::fs::write(&marker, serde_json::to_vec_pretty(&built).unwrap_or_default()).map_err(ctx("dataset.json"))?;
        self.built = Some(built.clone());
        Ok(built)
    }
}

impl Dataset {
    /// A's config with `listen` and `public_url` on a port free now, written beside the
    /// original as `<name>.toml` (relative paths in it stay valid); for running A as a process.
    pub fn config_on_free_port(&self, name: &str) -> BenchResult<(PathBuf, u16)> {
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(ctx("free port"))?.port();
        let text = std::fs::read_to_string(&self.config).map_err(ctx("config"))?;
        let text: String = text
            .lines()
            .map(|line| {
                if line.starts_with("listen = ") {
                    format!("listen = \"127.0.0.1:{port}\"")
                } else if line.starts_with("public_url = ") {
                    format!("public_url = \"https://localhost:{port}\"")
                } else {
                    line.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let path = self.config.with_file_name(format!("{name}.toml"));
        std::fs::write(&path, text).map_err(ctx("write config"))?;
        Ok((path, port))
    }

    /// A's loaded config.
    pub fn load_config(&self) -> BenchResult<Config> {
        Config::load(&self.config).map_err(ctx("config"))
    }

    /// A client of A's officer with `role` at `url`.
    pub fn client(&self, url: &str, role: &str) -> BenchResult<ApiClient> {
        let (cert, key) = self.officers.get(role).ok_or_else(|| format!("no {role}"))?;
        ApiClient::for_officer(url, &self.ca_bundle, &[], cert, key).map_err(ctx("client"))
    }

    /// A's data folder.
    pub fn data_dir(&self) -> BenchResult<PathBuf> {
        Ok(self.load_config()?.storage.data_dir)
    }
}

/// A partner station, simulated by its signing key and officers.
struct Partner {
    id: StationId,
    config: Config,
    signer: Signer,
    liaison: Officer,
    duty: Officer,
}

impl Partner {
    fn load(net: &BenchNet, id: &str) -> BenchResult<Self> {
        let config = net.config(id)?;
        let entry = config.signing_keys.first().ok_or("no signing key")?;
        let key = crate::keys::load_signing_key(&entry.file).map_err(ctx("signing key"))?;
        let key_ref = crate::ids::KeyRef::new(config.station.id.clone(), &entry.id).map_err(ctx("key id"))?;
        let officer = |role: crate::config::Role| -> BenchResult<Officer> {
            let o = config.officers.iter().find(|o| o.roles.contains(&role)).ok_or("no officer")?;
            Ok(Officer {
                id: OfficerId { station: config.station.id.clone(), badge: o.badge.clone() },
                name: o.name.clone(),
                roles: o.roles.clone(),
            })
        };
        Ok(Self {
            id: config.station.id.clone(),
            signer: Signer::new(key_ref, key),
            liaison: officer(crate::config::Role::Liaison)?,
            duty: officer(crate::config::Role::Duty)?,
            config,
        })
    }

    /// An envelope from this partner to A about `case`, carrying `action` by `officer`. The
    /// partner has seen exactly what A holds of their exchange (the loader never lets actions
    /// cross), so A's record gives the envelope's place in it.
    fn envelope(
        &self,
        a: &Node,
        case: CaseId,
        action: Action,
        officer: &Officer,
        at: OffsetDateTime,
    ) -> BenchResult<Vec<u8>> {
        let record = a.store().case(&case).map_err(ctx("case"))?.ok_or("a planned case A does not hold")?;
        let to = vec![a.station().clone()];
        let (seq, seen) = record.causal_context(&self.id, &to);
        let envelope = Envelope {
            id: EnvelopeId::new(),
            case,
            from: self.id.clone(),
            to,
            at,
            seq,
            seen,
            body: action_body(action, officer),
        };
        Ok(envelope.seal(&self.signer).map_err(ctx("seal"))?.wire())
    }
}

/// One case of the day being written, as the loader tracks it.
struct Planned {
    case: CaseId,
    kind: CaseKind,
    /// A sent it (to these partners), or a partner sent it to A.
    sent: bool,
    targets: Vec<usize>,
    origin: usize,
    /// How far its life goes: 0 requested, 1 acknowledged, 2 reported, 3 closed.
    reach: u8,
    declined: Vec<bool>,
}

async fn build(dir: PathBuf, scale: &Scale) -> BenchResult<Dataset> {
    let started = Instant::now();
    let mut net = BenchNet::prepare(dir.clone(), 4, &bench_settings(64)).await?;
    for i in 0..4 {
        let id = net.id(i).to_owned();
        net.close_port(&id);
    }
    let a = net.id(0).to_owned();
    let partners = (1..4).map(|i| Partner::load(&net, net.id(i))).collect::<BenchResult<Vec<_>>>()?;
    let now = OffsetDateTime::now_utc();
    let first = (now - time::Duration::days(i64::from(scale.days))).date().midnight().assume_utc();
    let clock = Clock::manual(first);
    let node = Node::open(net.config(&a)?, clock.clone()).map_err(ctx("open A"))?;
    // Ten years of cases in an hour would leave the search index's entries spread over sled's
    // log faster than it reclaims their old copies: the index is built once, sorted, when the
    // store is next opened, as for a store of a release without search.
    node.store().defer_search_index_for_bench().map_err(ctx("defer the search index"))?;
    let liaison = net.officer(&node, crate::pki::ROLE_LIAISON)?;
    let duty = net.officer(&node, crate::pki::ROLE_DUTY)?;
    let mut loader = Loader {
        node: &node,
        clock: &clock,
        partners: &partners,
        liaison,
        duty,
        rng: rand::SeedableRng::seed_from_u64(1),
    };
    let per_day = scale.cases as f64 / f64::from(scale.days);
    let mut made = 0usize;
    let mut report_at = scale.cases / 20;
    for day in 0..scale.days {
        let due = ((f64::from(day + 1) * per_day).round() as usize).min(scale.cases);
        let today = due - made;
        let age = scale.days - day;
        let day_start = first + time::Duration::days(i64::from(day));
        loader.day(day_start, today, age).await?;
        made = due;
        if made >= report_at {
            eprintln!("   large store: {made} of {} cases ({:.0} s)", scale.cases, started.elapsed().as_secs_f64());
            report_at += scale.cases / 20;
        }
    }
    let (data_dir, station) = (node.config().storage.data_dir.clone(), node.station().clone());
    drop(node);
    let indexing = Instant::now();
    let store = crate::store::Store::open(&data_dir, &station, 256 << 20).map_err(ctx("build the search index"))?;
    eprintln!("   large store: search index built in {:.0} s", indexing.elapsed().as_secs_f64());
    let trees: Vec<(String, usize)> =
        store.tree_sizes().map_err(ctx("sizes"))?.into_iter().map(|(n, c)| (n.to_owned(), c)).collect();
    let stored = trees.iter().find(|(n, _)| n == "caseid_case").map_or(0, |(_, c)| *c);
    drop(store);
    let officers = net
        .devnet
        .layout
        .officers
        .iter()
        .filter(|o| o.spec.station == a)
        .map(|o| (o.spec.role.to_owned(), (o.cert.clone(), o.key.clone())))
        .collect();
    let dataset = Dataset {
        dir: dir.clone(),
        station: a.clone(),
        config: net.config_path(&a)?,
        ca_bundle: net.devnet.layout.ca_bundle.clone(),
        officers,
        partner: net.id(1).to_owned(),
        cases: scale.cases,
        days: scale.days,
        stored,
        trees,
        build_secs: started.elapsed().as_secs_f64(),
        first_day: first.date().to_string(),
        last_day: (first + time::Duration::days(i64::from(scale.days) - 1)).date().to_string(),
    };
    net.shutdown().await;
    Ok(dataset)
}

struct Loader<'a> {
    node: &'a Node,
    clock: &'a Clock,
    partners: &'a [Partner],
    liaison: Officer,
    duty: Officer,
    rng: StdRng,
}

impl Loader<'_> {
    fn set_clock(&self, at: OffsetDateTime) {
        let now = self.clock.now();
        if at > now {
            self.clock.advance(at - now);
        }
    }

    /// Writes one day: `count` new cases, each carried as far as `age` (days before the end)
    /// allows, at the times a station's day would see.
    async fn day(&mut self, start: OffsetDateTime, count: usize, age: u32) -> BenchResult<()> {
        let hours = |h: i64| start + time::Duration::hours(h);
        let reach_of = |rng: &mut StdRng| match age {
            1 => 0,
            2 => 1,
            3..=7 => 2,
            _ if rng.gen_range(0..10_000) < STRAGGLERS_PER_10K => 1,
            _ => 3,
        };
        let mut plans = Vec::new();
        let (mut outgoing, mut incoming): (Vec<_>, BTreeMap<usize, Vec<Vec<u8>>>) = (Vec::new(), BTreeMap::new());
        let spread =
            |i: usize, n: usize| hours(8) + time::Duration::milliseconds((4 * 3_600_000 * i as i64) / n.max(1) as i64);
        let me = self.node.station().clone();
        for i in 0..count {
            let at = spread(i, count);
            let reach = reach_of(&mut self.rng);
            if self.rng.gen_range(0..100) < SENT_PERCENT {
                let n = match self.rng.gen_range(0..10) {
                    0..=6 => 1,
                    7..=8 => 2,
                    _ => 3,
                };
                let mut targets: Vec<usize> = (0..self.partners.len()).collect();
                while targets.len() > n {
                    targets.remove(self.rng.gen_range(0..targets.len()));
                }
                let ids = targets.iter().map(|t| self.partners[*t].id.clone()).collect();
                let new = super::workload::new_case(&mut self.rng, ids, at);
                let kind = new.details.kind();
                let declined = targets.iter().map(|_| self.rng.gen_range(0..100) < DECLINE_PERCENT).collect();
                outgoing.push((new, at));
                plans.push(Planned {
                    case: CaseId::new(),
                    kind,
                    sent: true,
                    targets,
                    origin: usize::MAX,
                    reach,
                    declined,
                });
            } else {
                let origin = self.rng.gen_range(0..self.partners.len());
                let partner = &self.partners[origin];
                let mut to = vec![me.clone()];
                if self.rng.gen_range(0..10) == 0 {
                    to.push(self.partners[(origin + 1) % self.partners.len()].id.clone());
                }
                let new = super::workload::new_case(&mut self.rng, to, at);
                let kind = new.details.kind();
                let envelope = crate::node::request_envelope(&partner.config, &partner.liaison, new, at)
                    .map_err(ctx("request"))?;
                let case = envelope.case;
                incoming.entry(origin).or_default().push(envelope.seal(&partner.signer).map_err(ctx("seal"))?.wire());
                let declined = vec![self.rng.gen_range(0..100) < DECLINE_PERCENT];
                plans.push(Planned { case, kind, sent: false, targets: Vec::new(), origin, reach, declined });
            }
        }
        // Morning: A sends its requests; the partners' arrive; receipts come back.
        self.set_clock(hours(12));
        let created = self.node.create_cases(&self.liaison, outgoing).await.map_err(ctx("create"))?;
        let mut ids = created.into_iter().map(|c| c.id);
        for plan in plans.iter_mut().filter(|p| p.sent) {
            plan.case = ids.next().ok_or("fewer cases created than planned")?;
        }
        self.receive(incoming, hours(12) + time::Duration::minutes(5)).await?;
        self.receipts(hours(12) + time::Duration::minutes(10)).await?;
        // Then each step of the lifecycle, for the cases old enough to have taken it.
        for (step, hour) in [(1u8, 13), (2, 17), (3, 20)] {
            self.step(&plans, step, hours(hour)).await?;
            self.receipts(hours(hour + 1)).await?;
        }
        Ok(())
    }

    /// Takes lifecycle step `step` (1 ack or decline, 2 outcome, 3 close) for every planned
    /// case that reaches it, from `at` on, second by second.
    async fn step(&mut self, plans: &[Planned], step: u8, at: OffsetDateTime) -> BenchResult<()> {
        let mut mine: Vec<(CaseId, Action, OffsetDateTime)> = Vec::new();
        let mut theirs: BTreeMap<usize, Vec<Vec<u8>>> = BTreeMap::new();
        let mut tick = 0i64;
        let mut next = || {
            tick += 1;
            at + time::Duration::seconds(tick)
        };
        for plan in plans.iter().filter(|p| p.reach >= step) {
            if plan.sent {
                // Targets act (steps 1, 2); A closes what was resolved (3).
                let open: Vec<usize> =
                    plan.targets.iter().zip(&plan.declined).filter(|(_, d)| !**d).map(|(t, _)| *t).collect();
                match step {
                    1 => {
                        for (t, declined) in plan.targets.iter().zip(&plan.declined) {
                            let partner = &self.partners[*t];
                            let action = if *declined { decline() } else { Action::Ack(AckInput::default()) };
                            let wire = partner.envelope(self.node, plan.case, action, &partner.duty, next())?;
                            theirs.entry(*t).or_default().push(wire);
                        }
                    }
                    2 => {
                        for t in &open {
                            let partner = &self.partners[*t];
                            let action = outcome(&mut self.rng, plan.kind);
                            let wire = partner.envelope(self.node, plan.case, action, &partner.duty, next())?;
                            theirs.entry(*t).or_default().push(wire);
                        }
                    }
                    _ if !open.is_empty() => mine.push((plan.case, close(&mut self.rng), next())),
                    _ => {}
                }
            } else if plan.declined[0] {
                if step == 1 {
                    mine.push((plan.case, decline(), next()));
                }
            } else {
                match step {
                    1 => mine.push((plan.case, Action::Ack(AckInput::default()), next())),
                    2 => mine.push((plan.case, outcome(&mut self.rng, plan.kind), next())),
                    _ => {
                        let partner = &self.partners[plan.origin];
                        let wire =
                            partner.envelope(self.node, plan.case, close(&mut self.rng), &partner.liaison, next())?;
                        theirs.entry(plan.origin).or_default().push(wire);
                    }
                }
            }
        }
        let officer = if step == 3 { self.liaison.clone() } else { self.duty.clone() };
        if !mine.is_empty() {
            self.node.act_many(&officer, mine).await.map_err(ctx("act"))?;
        }
        self.receive(theirs, next() + time::Duration::seconds(1)).await
    }

    /// Delivers the partners' envelopes to A at `at`, in batches, and checks each was taken.
    async fn receive(&self, envelopes: BTreeMap<usize, Vec<Vec<u8>>>, at: OffsetDateTime) -> BenchResult<()> {
        self.set_clock(at);
        for (partner, wires) in envelopes {
            let peer = &self.partners[partner].id;
            for chunk in wires.chunks(BATCH) {
                let refs: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
                for result in self.node.receive_batch(peer, &refs).await {
                    if let Err(e) = result {
                        return Err(format!("A refused an envelope of {peer}: {e}"));
                    }
                }
            }
        }
        Ok(())
    }

    /// The partners receive everything waiting in A's outboxes and sign receipts stored at
    /// `at`; A checks and records them as its delivery tasks would.
    async fn receipts(&self, at: OffsetDateTime) -> BenchResult<()> {
        self.set_clock(at);
        for partner in self.partners {
            loop {
                let pending = self.node.pending(&partner.id, BATCH).map_err(ctx("pending"))?;
                if pending.is_empty() {
                    break;
                }
                let mut answers = Vec::with_capacity(pending.len());
                for item in pending {
                    let sealed = SealedEnvelope::open(&item.stored.wire, self.node.keys()).map_err(ctx("open"))?;
                    let receipt = Receipt::for_envelope(&sealed, partner.id.clone(), at)
                        .seal(&partner.signer)
                        .map_err(ctx("receipt"))?;
                    let checked =
                        self.node.check_receipt(&partner.id, &item.stored, &receipt.wire()).map_err(ctx("check"))?;
                    answers.push((item, Answer::Receipt(Box::new(checked))));
                }
                self.node.record_answers(&partner.id, answers).await.map_err(ctx("record"))?;
            }
        }
        Ok(())
    }
}

fn decline() -> Action {
    Action::Decline(DeclineInput {
        reason: DeclineReason::NotOurArea,
        message: "经核查不属本辖区，建议转交属地派出所。".into(),
        suggested_station: None,
    })
}

fn outcome(rng: &mut StdRng, kind: CaseKind) -> Action {
    let allowed = Outcome::allowed_for(kind);
    let outcome = allowed[rng.gen_range(0..allowed.len())];
    let count = if outcome == Outcome::NoTrace { 0 } else { rng.gen_range(1..4) };
    Action::Outcome(OutcomeInput {
        outcome, count, narrative: "已按协查要求开展工作，情况如上，特此反馈。".into()
    })
}

fn close(rng: &mut StdRng) -> Action {
    Action::Close(CloseInput { evaluation: rng.gen_range(3..=5), comment: None, targets: Vec::new() })
}

/// Bytes of `dir` on disk.
pub fn disk_bytes(dir: &Path) -> u64 {
    super::sys::dir_bytes(dir)
}

/// How long building took, for the report.
pub fn build_time(dataset: &Dataset) -> Duration {
    Duration::from_secs_f64(dataset.build_secs)
}
