//! A fault-injecting TCP proxy for tests. It stands between a sender and a receiver on
//! 127.0.0.1 and forwards raw bytes both ways — TLS passes through untouched, the proxy never
//! sees plaintext — while the test switches faults on and off through the [`Proxy`] handle:
//!
//! - **latency**: a delay before each chunk is forwarded, in either direction (a slow link);
//! - **hang**: chunks and closes are read and held, never forwarded, until the hang is lifted
//!   (a black hole); what was held then goes through as if the link had stalled;
//! - **reset the request**: once N bytes have gone towards the receiver on a connection, both
//!   sides get a TCP reset (the link dies mid-body);
//! - **cut the response**: once N bytes have come back on a connection, the sender's side gets a
//!   reset (the receiver answered, the sender never sees the end of the answer);
//! - **partition**: new connections are reset as soon as they are accepted, live ones at once;
//! - **heal**: no fault at all.
//!
//! Byte thresholds count from the start of each connection, TLS handshake included, because
//! the proxy cannot see where a request begins; tests measure a clean exchange first and place
//! the threshold from that. Faults are read before every chunk, so they reach live (pooled)
//! connections too; [`Proxy::sever`] resets those when a test needs fresh ones.
//!
//! Every task belongs to the handle: dropping the [`Proxy`] aborts the accept loop, whose
//! `JoinSet` aborts every connection with it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// The faults in force. A watch channel carries them, so a held chunk wakes the moment a hang
/// is lifted and an idle connection notices a partition without polling.
#[derive(Debug, Clone, Default)]
struct Faults {
    latency: Duration,
    hang: bool,
    reset_request_after: Option<u64>,
    cut_response_after: Option<u64>,
    partition: bool,
    /// Bumped by [`Proxy::sever`]: connections opened under an older value reset themselves.
    epoch: u64,
}

/// How a connection through the proxy ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Still open.
    Open,
    /// One side closed and the other followed.
    Closed,
    /// A socket error, or the receiver could not be reached.
    Failed,
    /// Reset on accept: a partition was in force.
    Refused,
    /// Reset once the request direction passed its threshold.
    Reset,
    /// The response direction was cut at its threshold.
    Cut,
    /// Reset by a partition or [`Proxy::sever`] while open.
    Severed,
}

/// One connection through the proxy: bytes forwarded each way and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    /// Bytes forwarded from the sender to the receiver.
    pub up: u64,
    /// Bytes forwarded from the receiver to the sender.
    pub down: u64,
    /// Bytes read but not forwarded: held by a hang, or dropped by a fault.
    pub held: u64,
    /// How it ended.
    pub ending: Ending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Sender to receiver: the request.
    Up,
    /// Receiver to sender: the response.
    Down,
}

struct Shared {
    upstream: SocketAddr,
    faults: watch::Sender<Faults>,
    /// Every connection so far, by index. A std Mutex: it is held only to bump counters,
    /// never across an await.
    log: Mutex<Vec<Connection>>,
    /// Connections before this index are left out of what the proxy reports.
    forgotten: std::sync::atomic::AtomicUsize,
}

impl Shared {
    fn open(&self) -> usize {
        let mut log = self.log.lock().unwrap();
        log.push(Connection { up: 0, down: 0, held: 0, ending: Ending::Open });
        log.len() - 1
    }

    fn read(&self, index: usize, bytes: usize) {
        self.log.lock().unwrap()[index].held += bytes as u64;
    }

    fn forwarded(&self, index: usize, direction: Direction, bytes: usize) {
        let mut log = self.log.lock().unwrap();
        let entry = &mut log[index];
        entry.held -= bytes as u64;
        match direction {
            Direction::Up => entry.up += bytes as u64,
            Direction::Down => entry.down += bytes as u64,
        }
    }

    fn end(&self, index: usize, ending: Ending) {
        self.log.lock().unwrap()[index].ending = ending;
    }
}

/// A running proxy and the switches of its faults.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Proxy {
    /// Listens on 127.0.0.1 (any free port) and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        Self::on(TcpListener::bind("127.0.0.1:0").await.unwrap(), upstream)
    }

    /// Serves `listener`, bound beforehand so its port can go into a config that must exist
    /// before `upstream` does. Connections made meanwhile wait in the kernel's backlog.
    pub fn on(listener: TcpListener, upstream: SocketAddr) -> Proxy {
        let addr = listener.local_addr().unwrap();
        let (faults, _) = watch::channel(Faults::default());
        let shared = Arc::new(Shared { upstream, faults, log: Mutex::new(Vec::new()), forgotten: Default::default() });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        Proxy { addr, shared, accept }
    }

    /// Where senders connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn set(&self, change: impl FnOnce(&mut Faults)) {
        self.shared.faults.send_modify(change);
    }

    /// Delays every chunk by `delay` before forwarding it.
    pub fn latency(&self, delay: Duration) {
        self.set(|f| f.latency = delay);
    }

    /// Holds everything, both ways, until [`Proxy::heal`].
    pub fn hang(&self) {
        self.set(|f| f.hang = true);
    }

    /// Resets every connection once `bytes` have gone towards the receiver on it.
    pub fn reset_requests_after(&self, bytes: u64) {
        self.set(|f| f.reset_request_after = Some(bytes));
    }

    /// Resets the sender's side of every connection once `bytes` have come back on it.
    pub fn cut_responses_after(&self, bytes: u64) {
        self.set(|f| f.cut_response_after = Some(bytes));
    }

    /// Resets every live connection and every new one until [`Proxy::heal`].
    pub fn partition(&self) {
        self.set(|f| f.partition = true);
    }

    /// Resets every live connection once, so the next request needs a fresh one.
    pub fn sever(&self) {
        self.set(|f| f.epoch += 1);
    }

    /// Lifts every fault; held chunks go through.
    pub fn heal(&self) {
        self.set(|f| *f = Faults { epoch: f.epoch, ..Faults::default() });
    }

    /// Every connection so far (since [`Proxy::forget`]), oldest first.
    pub fn connections(&self) -> Vec<Connection> {
        let forgotten = self.shared.forgotten.load(std::sync::atomic::Ordering::Relaxed);
        self.shared.log.lock().unwrap()[forgotten..].to_vec()
    }

    /// Leaves the connections so far out of what the proxy reports from now on.
    pub fn forget(&self) {
        let so_far = self.shared.log.lock().unwrap().len();
        self.shared.forgotten.store(so_far, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many connections ended as `ending`.
    pub fn count(&self, ending: Ending) -> usize {
        self.connections().iter().filter(|c| c.ending == ending).count()
    }

    /// Bytes held right now on open connections.
    pub fn held(&self) -> u64 {
        self.connections().iter().filter(|c| c.ending == Ending::Open).map(|c| c.held).sum()
    }

    /// Bytes forwarded so far, towards the receiver and back.
    pub fn bytes(&self) -> (u64, u64) {
        self.connections().iter().fold((0, 0), |(up, down), c| (up + c.up, down + c.down))
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((client, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        while connections.try_join_next().is_some() {}
        let index = shared.open();
        if shared.faults.borrow().partition {
            // Dropped with a zero linger: the sender gets a reset, as close to "refused" as a
            // listening socket can give.
            let _ = client.set_zero_linger();
            shared.end(index, Ending::Refused);
            continue;
        }
        connections.spawn(serve(shared.clone(), client, index));
    }
}

async fn serve(shared: Arc<Shared>, mut client: TcpStream, index: usize) {
    let epoch = shared.faults.borrow().epoch;
    let Ok(mut upstream) = TcpStream::connect(shared.upstream).await else {
        shared.end(index, Ending::Failed);
        return;
    };
    let _ = (client.set_nodelay(true), upstream.set_nodelay(true));
    // Borrowed halves: unlike owned ones they send no FIN when dropped, so a fault's reset is
    // the first thing the other side sees.
    let (client_read, client_write) = client.split();
    let (upstream_read, upstream_write) = upstream.split();
    let up = pump(&shared, index, epoch, Direction::Up, client_read, upstream_write);
    let down = pump(&shared, index, epoch, Direction::Down, upstream_read, client_write);
    tokio::pin!(up, down);
    // A clean close of one direction leaves the other to finish; any fault ends both, and the
    // sockets close (with a reset where the pump asked for one) when this returns.
    let (first, up_first) = tokio::select! {
        ending = &mut up => (ending, true),
        ending = &mut down => (ending, false),
    };
    let ending = match (first, up_first) {
        (Ending::Closed, true) => down.await,
        (Ending::Closed, false) => up.await,
        (fault, _) => fault,
    };
    shared.end(index, ending);
}

/// Forwards one direction chunk by chunk, applying the faults in force as each chunk arrives.
async fn pump(
    shared: &Shared,
    index: usize,
    epoch: u64,
    direction: Direction,
    mut from: ReadHalf<'_>,
    mut to: WriteHalf<'_>,
) -> Ending {
    let mut faults = shared.faults.subscribe();
    let severed = move |f: &Faults| f.partition || f.epoch != epoch;
    let mut buf = vec![0; 16 * 1024];
    let mut passed: u64 = 0;
    loop {
        let read = tokio::select! {
            read = from.read(&mut buf) => read,
            _ = faults.wait_for(severed) => return reset(&[from.as_ref(), to.as_ref()], Ending::Severed),
        };
        let Ok(n) = read else { return Ending::Failed };
        shared.read(index, n);
        // A hang holds the chunk (or the close) here until it is lifted.
        let Ok(now) = faults.wait_for(|f| !f.hang || severed(f)).await.map(|f| f.clone()) else {
            return Ending::Failed;
        };
        if severed(&now) {
            return reset(&[from.as_ref(), to.as_ref()], Ending::Severed);
        }
        if !now.latency.is_zero() {
            tokio::time::sleep(now.latency).await;
        }
        if n == 0 {
            let _ = to.shutdown().await;
            return Ending::Closed;
        }
        let limit = match direction {
            Direction::Up => now.reset_request_after,
            Direction::Down => now.cut_response_after,
        };
        let keep = match limit {
            Some(limit) if passed + n as u64 > limit => usize::try_from(limit.saturating_sub(passed)).unwrap(),
            _ => n,
        };
        // Counted before the write, so no test sees bytes arrive that are not counted yet.
        shared.forwarded(index, direction, keep);
        passed += keep as u64;
        if to.write_all(&buf[..keep]).await.is_err() {
            return Ending::Failed;
        }
        if keep < n {
            return match direction {
                Direction::Up => reset(&[from.as_ref(), to.as_ref()], Ending::Reset),
                // `to` is the sender's socket; the receiver just sees the connection close.
                Direction::Down => reset(&[to.as_ref()], Ending::Cut),
            };
        }
    }
}

/// Makes the given sockets send a reset instead of a clean close when they are dropped.
fn reset(sockets: &[&TcpStream], ending: Ending) -> Ending {
    for socket in sockets {
        let _ = socket.set_zero_linger();
    }
    ending
}
