//! The wire. A sender does what `federation::worker` does — send the head of its outbox for a
//! peer, wait for the answer, record it, send again after a timeout — and the wire may drop,
//! duplicate or delay each batch and each answer, and delivers what is due in random order.

use rand::Rng;
use rand::seq::SliceRandom;
use time::{Duration, OffsetDateTime};

use super::Sim;
use super::faults::Faults;
use tiemeng::protocol::{BatchResult, EnvelopeResult, Status};

/// How long a sender waits for the answer to a batch before sending its outbox head again.
const ANSWER_TIMEOUT: Duration = Duration::seconds(90);
/// How long a sender waits after a transient refusal (a clock behind, say) before retrying.
const RETRY_AFTER: Duration = Duration::seconds(30);

/// Something on the wire.
#[derive(Debug, Clone)]
pub(super) struct Packet {
    from: usize,
    to: usize,
    /// When it arrives, in simulated time.
    due: OffsetDateTime,
    payload: Payload,
}

#[derive(Debug, Clone)]
enum Payload {
    /// The head of the sender's outbox for this peer.
    Batch { id: u64, wires: Vec<Vec<u8>> },
    /// The receiver's `BatchResult`, serialised as `/fed/v1/inbox` answers it.
    Answer { id: u64, json: Vec<u8> },
}

impl Sim {
    /// Senders look at their outboxes, then up to six packets that are due arrive, picked at
    /// random so that batches and answers overtake each other.
    pub(super) async fn deliver_some(&mut self) {
        for from in 0..self.stations.len() {
            for to in 0..self.stations.len() {
                if from != to && self.rng.gen_bool(0.5) {
                    self.send_head(from, to).await;
                }
            }
        }
        for _ in 0..self.rng.gen_range(0..=6) {
            let due: Vec<usize> = (0..self.packets.len()).filter(|&k| self.packets[k].due <= self.now).collect();
            let Some(&k) = due.choose(&mut self.rng) else { break };
            let packet = self.packets.swap_remove(k);
            self.arrive(packet).await;
        }
    }

    /// What the worker does: unless a batch to `to` still awaits its answer, send the head of
    /// the outbox, at most a few envelopes, having made sure it is on disk.
    async fn send_head(&mut self, from: usize, to: usize) {
        let limit = self.rng.gen_range(1..=4);
        let (now, peer) = (self.now, self.stations[to].id.clone());
        let station = &mut self.stations[from];
        let Some(node) = &station.node else { return };
        if station.awaiting.get(&to).is_some_and(|(_, until)| now < *until) {
            return;
        }
        let batch = node.pending(&peer, limit).unwrap();
        if batch.is_empty() {
            station.awaiting.remove(&to);
            return;
        }
        node.store().durable().await.unwrap();
        let id = self.next_batch;
        self.next_batch += 1;
        let wires = batch.iter().map(|p| p.stored.wire.clone()).collect();
        station.batches.insert(id, (to, batch));
        station.awaiting.insert(to, (id, now + ANSWER_TIMEOUT));
        self.tally.count("batch", 1);
        self.transmit(from, to, Payload::Batch { id, wires });
    }

    /// Puts a packet on the wire, which may lose it, duplicate it or hold it for minutes.
    fn transmit(&mut self, from: usize, to: usize, payload: Payload) {
        if self.is_cut(from, to) || self.rng.gen_bool(self.faults.drop) {
            self.tally.count("dropped", 1);
            return;
        }
        let copies = if self.rng.gen_bool(self.faults.duplicate) { 2 } else { 1 };
        self.tally.count("duplicated", copies - 1);
        for _ in 0..copies {
            let latency = if self.rng.gen_bool(self.faults.delay) {
                self.tally.count("delayed", 1);
                Duration::seconds(self.rng.gen_range(60..=1800))
            } else {
                Duration::milliseconds(self.rng.gen_range(0..=20_000))
            };
            self.packets.push(Packet { from, to, due: self.now + latency, payload: payload.clone() });
        }
    }

    /// A packet reaches its destination, unless the link is cut or the node is down.
    async fn arrive(&mut self, packet: Packet) {
        let Packet { from, to, payload, .. } = packet;
        if self.is_cut(from, to) || self.stations[to].node.is_none() {
            self.tally.count("lost to a cut or a crash", 1);
            return;
        }
        match payload {
            Payload::Batch { id, wires } => self.receive(from, to, id, wires).await,
            Payload::Answer { id, json } => self.take_answer(to, id, &json).await,
        }
    }

    /// The receiver stores and applies a batch and answers as `/fed/v1/inbox` does.
    async fn receive(&mut self, from: usize, to: usize, id: u64, wires: Vec<Vec<u8>>) {
        let wires: Vec<&[u8]> = wires.iter().map(Vec::as_slice).collect();
        let results = self.node(to).receive_batch(&self.stations[from].id, &wires).await;
        let results: Vec<EnvelopeResult> = results.into_iter().map(EnvelopeResult::from).collect();
        self.tally.count("duplicate receipt", results.iter().filter(|r| r.status == Status::Duplicate).count());
        let json = serde_json::to_vec(&BatchResult { results }).unwrap();
        self.transmit(to, from, Payload::Answer { id, json });
    }

    /// The sender reads an answer against the batch it sent and records it, as the worker
    /// does. Late and repeated answers are recorded too, so recording must be idempotent.
    async fn take_answer(&mut self, at: usize, id: u64, json: &[u8]) {
        let Some((peer, batch)) = self.stations[at].batches.get(&id).cloned() else {
            // Sent before a crash: the process that waited for it is gone.
            self.tally.count("orphan answer", 1);
            return;
        };
        let answer: BatchResult = serde_json::from_slice(json).unwrap();
        assert_eq!(answer.results.len(), batch.len(), "one result per envelope");
        let peer_id = self.stations[peer].id.clone();
        let node = self.node(at);
        // The delivery task's own reading of an answer.
        let (answers, stopped) = node.read_answers(&peer_id, batch, answer.results);
        let stopped = stopped.map(|stop| stop.code);
        node.record_answers(&peer_id, answers).await.unwrap();
        if let Some(code) = &stopped {
            assert!(code != "bad_receipt" && code != "bad_answer", "{} answered badly: {code}", self.name(peer));
            self.tally.count("transient refusal", 1);
            self.trace(|| format!("{} must retry {}: {code}", self.name(at), self.name(peer)));
        }
        let now = self.now;
        let awaiting = &mut self.stations[at].awaiting;
        if awaiting.get(&peer).is_some_and(|(batch, _)| *batch == id) {
            match stopped {
                Some(_) => awaiting.insert(peer, (id, now + RETRY_AFTER)),
                None => awaiting.remove(&peer),
            };
        }
    }

    /// Heals the world — every node up, every link mended, every clock caught up, no more
    /// losses — and runs delivery until every outbox is empty and nothing is on the wire.
    pub(super) async fn quiesce(&mut self) {
        self.faults = Faults::CALM;
        self.cuts.clear();
        for i in 0..self.stations.len() {
            if self.stations[i].stalled_until.is_some() {
                self.unstall(i);
            }
            if self.stations[i].node.is_none() {
                self.restart(i);
            }
        }
        for _ in 0..1000 {
            if self.packets.is_empty() && self.outboxes_empty() {
                return;
            }
            // Whatever was awaited has timed out by now.
            self.advance(ANSWER_TIMEOUT);
            for from in 0..self.stations.len() {
                for to in (0..self.stations.len()).filter(|&to| to != from) {
                    self.send_head(from, to).await;
                }
            }
            while let Some(k) = (0..self.packets.len()).min_by_key(|&k| self.packets[k].due) {
                let packet = self.packets.swap_remove(k);
                if packet.due > self.now {
                    self.advance(packet.due - self.now);
                }
                self.arrive(packet).await;
            }
        }
        panic!("delivery did not finish once the network healed");
    }

    fn outboxes_empty(&self) -> bool {
        let pairs = (0..self.stations.len()).flat_map(|i| self.stations.iter().map(move |peer| (i, peer)));
        pairs
            .filter(|(i, peer)| self.stations[*i].id != peer.id)
            .all(|(i, peer)| self.node(i).store().outbox_len(&peer.id) == 0)
    }
}
