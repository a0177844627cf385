//! Delivery between two real nodes over a link that misbehaves: 罗阳's deliveries to 犀溪 go
//! through a fault-injecting proxy (tests/support/proxy.rs) that slows, hangs, resets, cuts
//! the answer and partitions. Whatever the link does, every case reaches 犀溪 exactly once,
//! in the order 罗阳 sent it, 罗阳's outbox drains, and both nodes agree on each target.
//!
//! Each test takes a few seconds, except the hang that outlasts the sender's 30 s request
//! timeout. `TIEMENG_PARTITION_SECS` sets how long the partition lasts (default 5 s, for CI);
//! set it to minutes to run that scenario at full length.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/proxy.rs"]
mod proxy;
mod support;

use std::time::{Duration, Instant};

use proxy::{Connection, Ending, Proxy};
use support::{As, LUOYANG, Net, XIXI, eventually};
use tiemeng::client::ApiClient;
use tiemeng::domain::details::CaseKind;
use tiemeng::domain::lifecycle::TargetState;
use tiemeng::ids::{CaseId, StationId};
use tiemeng::node::health::PeerStatus;
use tiemeng::samples;
use tiemeng::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PATIENCE: Duration = Duration::from_secs(20);

/// Retries at most a second apart, so a healed link is used within a second; no rate limit
/// on the officer who sends dozens of cases.
const QUICK: &str = "\n[federation]\nmax_backoff_secs = 1\n\n[limits]\nofficer_requests_per_minute = 1000000\n";

const KINDS: [CaseKind; 5] =
    [CaseKind::General, CaseKind::Dispute, CaseKind::SerialTheft, CaseKind::MissingPerson, CaseKind::Fugitive];

fn station(id: &str) -> StationId {
    id.parse().unwrap()
}

fn partition_secs() -> u64 {
    std::env::var("TIEMENG_PARTITION_SECS").ok().map_or(5, |s| s.parse().expect("TIEMENG_PARTITION_SECS: seconds"))
}

/// Points `peer`'s URL in a station's config at the proxy; the certificate still names
/// `localhost`, so TLS through the proxy verifies as it would directly.
fn redirect_peer(text: &mut String, peer: &str, port: u16) {
    let block = text.find(&format!("id = \"{peer}\"")).expect("the peer's block");
    let url = block + text[block..].find("\nurl = ").expect("the peer's url") + 1;
    let end = url + text[url..].find('\n').unwrap();
    text.replace_range(url..end, &format!("url = \"https://localhost:{port}\""));
}

/// Which cases a store recorded `action` for, in the order of its audit chain.
fn audited(store: &Store, action: &str) -> Vec<CaseId> {
    store.audit_entries(0, 100_000).unwrap().into_iter().filter(|e| e.action == action).filter_map(|e| e.case).collect()
}

/// 罗阳 and 犀溪, with 罗阳's deliveries to 犀溪 going through the proxy; the cases sent so far.
struct Link {
    net: Net,
    proxy: Proxy,
    liaison: ApiClient,
    sent: Vec<CaseId>,
}

impl Link {
    async fn start() -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let net = Net::start_with(&[LUOYANG, XIXI], &[LUOYANG, XIXI], move |id, text| {
            if id == LUOYANG {
                redirect_peer(text, XIXI, port);
            }
            text.push_str(QUICK);
        })
        .await;
        let proxy = Proxy::on(listener, net.addrs[XIXI]);
        let liaison = net.officer(LUOYANG, As::Liaison);
        let link = Link { net, proxy, liaison, sent: Vec::new() };
        // 罗阳 says hello to 犀溪 as it starts; the exchanges the tests measure begin after it,
        // each on a connection of its own.
        let heard = eventually(PATIENCE, || async { link.proxy.connections().iter().any(|c| c.down > 0) }).await;
        assert!(heard, "罗阳's hello did not reach 犀溪: {:?}", link.proxy.connections());
        link.fresh_connections().await;
        link.proxy.forget();
        link
    }

    /// 罗阳's liaison sends a case of `kind` to 犀溪.
    async fn send(&mut self, kind: CaseKind) -> CaseId {
        let new = samples::sample(kind, vec![station(XIXI)], time::OffsetDateTime::now_utc());
        let id = self.liaison.create_case(&new).await.unwrap().id;
        self.sent.push(id);
        id
    }

    fn origin(&self) -> &Store {
        self.net.node(LUOYANG).store()
    }

    fn target(&self) -> &Store {
        self.net.node(XIXI).store()
    }

    /// The cases 犀溪 has applied, in order.
    fn received(&self) -> Vec<CaseId> {
        audited(self.target(), "envelope.receive")
    }

    /// Envelopes waiting in 罗阳's outbox for 犀溪.
    fn queued(&self) -> usize {
        self.origin().outbox_len(&station(XIXI))
    }

    fn health(&self) -> PeerStatus {
        self.net.node(LUOYANG).health().peer(&station(XIXI)).unwrap().status()
    }

    /// Waits until every case sent is delivered and counted (the counter follows the flush
    /// that follows the outbox commit, so it is the later of the two to settle).
    async fn wait_drained(&self, within: Duration) {
        let all = self.sent.len() as u64;
        let drained = eventually(within, || async { self.queued() == 0 && self.health().delivered == all }).await;
        assert!(drained, "{} still queued; last error {:?}", self.queued(), self.health().last_error);
    }

    /// The one connection of a clean exchange, to place byte thresholds by.
    fn only_connection(&self) -> Connection {
        let connections = self.proxy.connections();
        assert_eq!(connections.len(), 1, "one pooled connection carried the first delivery: {connections:?}");
        connections[0]
    }

    /// Makes the next request open a fresh connection, with its handshake where a threshold
    /// measured on the first connection expects it.
    async fn fresh_connections(&self) {
        self.proxy.sever();
        // Once the proxy has reset every connection it carried, the sender's sockets have the
        // reset and its pool drops them. A request that still found one there would fail
        // before a byte reached the proxy and go out again on a fresh connection, so no
        // connection the tests measure starts anywhere but at its handshake.
        let severed = eventually(PATIENCE, || async { self.proxy.count(Ending::Open) == 0 }).await;
        assert!(severed, "connections still open: {:?}", self.proxy.connections());
    }

    /// What every test promises: 犀溪 applied each case once, in the order sent; 罗阳 recorded
    /// each delivery once, holds the receipt 犀溪 issued for it, and agrees with 犀溪 on the
    /// target's state and times; nothing is left queued or dead-lettered.
    fn assert_delivered_once_in_order(&self) {
        let (origin, target, xixi) = (self.origin(), self.target(), station(XIXI));
        assert_eq!(self.received(), self.sent, "犀溪 applied every case exactly once, in the order sent");
        assert_eq!(audited(origin, "envelope.delivered"), self.sent, "罗阳 recorded each delivery once, in order");
        assert_eq!((origin.outbox_len(&xixi), origin.dead_letter_count(&xixi)), (0, 0));
        assert_eq!(self.health().delivered, self.sent.len() as u64);
        for id in &self.sent {
            assert_eq!(target.timeline(id).unwrap().len(), 1, "one envelope in 犀溪's timeline of {id}");
            let at_origin = origin.case(id).unwrap().unwrap();
            let at_target = target.case(id).unwrap().unwrap();
            assert_eq!(at_origin.targets[0].state, TargetState::Delivered);
            assert_eq!(at_origin.targets, at_target.targets, "both nodes agree on {id}");
            let request = at_origin.request;
            let held = origin.receipt(&request, &xixi).unwrap();
            assert!(held.is_some(), "罗阳 holds a receipt for {id}");
            assert_eq!(held, target.receipt(&request, &xixi).unwrap(), "the receipt 犀溪 issued for {id}");
        }
    }
}

#[tokio::test]
async fn the_proxy_forwards_both_ways_counts_and_stops_when_dropped() {
    let echo = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = echo.local_addr().unwrap();
    let echo = tokio::spawn(async move {
        loop {
            let (mut socket, _) = echo.accept().await.unwrap();
            tokio::spawn(async move {
                let (mut read, mut write) = socket.split();
                let _ = tokio::io::copy(&mut read, &mut write).await;
            });
        }
    });
    let proxy = Proxy::start(upstream).await;
    let addr = proxy.addr();
    let mut client = TcpStream::connect(addr).await.unwrap();
    client.write_all(b"ping").await.unwrap();
    let mut answer = [0; 4];
    client.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"ping");
    assert_eq!(proxy.bytes(), (4, 4));

    drop(proxy);
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the live connection closes with the proxy");
    let gone = eventually(Duration::from_secs(5), || async { TcpStream::connect(addr).await.is_err() }).await;
    assert!(gone, "nothing listens any more");
    echo.abort();
}

#[tokio::test]
async fn a_slow_link_still_delivers_in_order_once() {
    let mut link = Link::start().await;
    link.proxy.latency(Duration::from_millis(200));
    let started = Instant::now();
    for kind in KINDS {
        link.send(kind).await;
    }
    link.wait_drained(PATIENCE).await;
    // A first delivery needs at least four chunks in turn (hello, server flight, request,
    // answer), each held 200 ms.
    assert!(started.elapsed() >= Duration::from_millis(800), "the latency applied: {:?}", started.elapsed());
    assert_eq!(link.health().retries, 0, "a slow link is not a failed one");
    link.assert_delivered_once_in_order();
    link.net.shutdown().await;
}

#[tokio::test]
async fn a_hung_link_delivers_as_soon_as_the_hang_lifts() {
    let mut link = Link::start().await;
    link.send(CaseKind::General).await;
    link.wait_drained(PATIENCE).await;

    // Hung with a request in flight on the pooled connection.
    link.proxy.hang();
    for kind in [CaseKind::Dispute, CaseKind::SerialTheft, CaseKind::Fugitive] {
        link.send(kind).await;
    }
    // How long the hang lasts is not what this test is about (the one timer a hang can trip,
    // the sender's 30 s request timeout, is the last test's); that a request is caught in it
    // when it lifts is.
    let caught = eventually(PATIENCE, || async { link.proxy.held() > 0 }).await;
    assert!(caught, "a request is caught in the hang: {:?}", link.proxy.connections());
    assert_eq!(link.received().len(), 1, "nothing crosses a hung link");
    assert_eq!(link.queued(), 3);
    let lifted = Instant::now();
    link.proxy.heal();
    link.wait_drained(PATIENCE).await;
    assert!(lifted.elapsed() < Duration::from_secs(5), "the stalled request completed instead of timing out");
    assert_eq!(link.health().retries, 0, "the stall resumed; the sender saw no error");

    // Hung in the TLS handshake of a fresh connection (short of 犀溪's 10 s handshake timeout).
    link.fresh_connections().await;
    let severed = link.proxy.connections().len();
    link.proxy.hang();
    link.send(CaseKind::MissingPerson).await;
    let opened = || link.proxy.connections().get(severed..).and_then(|new| new.last().copied());
    let caught = eventually(PATIENCE, || async { opened().is_some_and(|c| c.held > 0) }).await;
    assert!(caught, "a fresh connection's first bytes are held: {:?}", link.proxy.connections());
    let stalled = opened().unwrap();
    assert!(stalled.down == 0, "the client's hello is held, nothing came back: {stalled:?}");
    assert_eq!((link.received().len(), link.queued()), (4, 1));
    let lifted = Instant::now();
    link.proxy.heal();
    link.wait_drained(PATIENCE).await;
    assert!(lifted.elapsed() < Duration::from_secs(5), "the stalled handshake completed instead of timing out");

    link.assert_delivered_once_in_order();
    link.net.shutdown().await;
}

#[tokio::test]
async fn a_link_reset_mid_request_is_retried_and_applied_once() {
    let mut link = Link::start().await;
    let first = link.send(CaseKind::General).await;
    link.wait_drained(PATIENCE).await;
    let clean = link.only_connection();
    let request = link.origin().case(&first).unwrap().unwrap().request;
    let envelope = link.origin().envelope(&request).unwrap().unwrap().wire.len() as u64;

    // The same handshake, then half of an envelope like the first: the body is cut mid-way.
    let threshold = clean.up - envelope / 2;
    link.fresh_connections().await;
    link.proxy.reset_requests_after(threshold);
    for _ in 0..3 {
        link.send(CaseKind::General).await;
    }
    let retried = eventually(PATIENCE, || async { link.proxy.count(Ending::Reset) >= 3 }).await;
    assert!(retried, "罗阳 kept retrying: {:?}", link.proxy.connections());
    let resets: Vec<Connection> = link.proxy.connections().into_iter().filter(|c| c.ending == Ending::Reset).collect();
    assert!(resets.iter().all(|c| c.up == threshold), "each reset came mid-body: {resets:?}");
    assert_eq!((link.received().len(), link.queued()), (1, 3), "a cut request stores nothing");

    link.proxy.heal();
    link.wait_drained(PATIENCE).await;
    assert!(link.health().retries >= 3);
    link.assert_delivered_once_in_order();
    link.net.shutdown().await;
}

#[tokio::test]
async fn an_answer_lost_after_commit_is_asked_again_and_repeated_not_reapplied() {
    let mut link = Link::start().await;
    link.send(CaseKind::General).await;
    link.wait_drained(PATIENCE).await;
    let clean = link.only_connection();

    // 64 bytes short of an answer like the first: 犀溪 has stored the envelope and written its
    // receipt; 罗阳 never reads it whole.
    link.fresh_connections().await;
    link.proxy.cut_responses_after(clean.down - 64);
    let case = link.send(CaseKind::General).await;
    let asked_again = eventually(PATIENCE, || async { link.proxy.count(Ending::Cut) >= 2 }).await;
    assert!(asked_again, "{:?}", link.proxy.connections());
    assert_eq!(link.received(), link.sent, "犀溪 committed the envelope once");
    assert_eq!(link.queued(), 1, "罗阳 has no receipt and keeps the envelope");
    assert_eq!(link.origin().case(&case).unwrap().unwrap().targets[0].state, TargetState::Sent);

    let healed = time::OffsetDateTime::now_utc();
    link.proxy.heal();
    link.wait_drained(PATIENCE).await;
    assert!(link.health().retries >= 2);
    link.assert_delivered_once_in_order();
    let delivered_at = link.origin().case(&case).unwrap().unwrap().targets[0].delivered_at.unwrap();
    assert!(delivered_at < healed, "the receipt 罗阳 finally got is the one 犀溪 signed on first storing it");
    link.net.shutdown().await;
}

#[tokio::test]
async fn cases_sent_through_a_partition_arrive_in_order_once_after_it_heals() {
    let secs = partition_secs();
    let mut link = Link::start().await;
    for kind in KINDS.iter().cycle().take(6) {
        link.send(*kind).await;
    }
    link.wait_drained(PATIENCE).await;

    link.proxy.partition();
    let during = 24;
    // The partition lasts `secs`, with cases sent into it at an even pace: the pause is the
    // fault's length, not a wait for anything to happen.
    let pause = Duration::from_secs(secs) / during;
    for kind in KINDS.iter().cycle().take(during as usize) {
        link.send(*kind).await;
        tokio::time::sleep(pause).await;
    }
    assert_eq!((link.received().len(), link.queued()), (6, 24), "nothing crossed the partition");
    let tried = eventually(PATIENCE, || async { link.proxy.count(Ending::Refused) >= 1 }).await;
    assert!(tried, "罗阳 kept trying: {:?}", link.health());

    link.proxy.heal();
    for kind in KINDS.iter().cycle().take(6) {
        link.send(*kind).await;
    }
    link.wait_drained(PATIENCE).await;
    link.assert_delivered_once_in_order();
    link.net.shutdown().await;
}

#[tokio::test]
async fn a_hang_outlasting_the_request_timeout_is_given_up_then_delivered_once_healed() {
    let mut link = Link::start().await;
    link.send(CaseKind::General).await;
    link.wait_drained(PATIENCE).await;
    link.proxy.hang();
    let hung = Instant::now();
    link.send(CaseKind::Dispute).await;

    // 罗阳 gives the request its 30 s, then backs off and tries a fresh connection (hung too).
    let gave_up = eventually(Duration::from_secs(40), || async { link.health().retries >= 1 }).await;
    let error = link.health().last_error;
    assert!(gave_up && hung.elapsed() >= Duration::from_secs(29), "gave up after {:?}: {error:?}", hung.elapsed());
    assert_eq!(error.unwrap().code, "unreachable");
    assert_eq!((link.received().len(), link.queued()), (1, 1));

    // Healing also releases what the abandoned connection still held; 犀溪 must not apply
    // it a second time, whichever copy gets there first.
    link.proxy.heal();
    link.wait_drained(PATIENCE).await;
    link.assert_delivered_once_in_order();
    link.net.shutdown().await;
}
