//! What goes wrong besides the wire: nodes crash and come back, links are cut and mended,
//! clocks stop and catch up.

use rand::Rng;
use rand::seq::SliceRandom;
use time::Duration;

use super::Sim;
use tiemeng::config::Config;
use tiemeng::node::Node;

/// How rough the world is: chances per packet (drop, duplicate, delay) or per step.
#[derive(Debug, Clone, Copy)]
pub(super) struct Faults {
    /// A packet is lost.
    pub drop: f64,
    /// A packet arrives twice.
    pub duplicate: f64,
    /// A packet takes minutes instead of seconds, so it overtakes or is overtaken by others.
    pub delay: f64,
    /// A running node crashes.
    pub crash: f64,
    /// The link between two stations is cut for a while.
    pub cut: f64,
    /// A node's clock stands still for a while, so its peers' envelopes look as if from the
    /// future to it and are refused as transient until it catches up.
    pub stall: f64,
}

impl Faults {
    /// The weather of the simulated steps.
    pub const STORMY: Faults = Faults { drop: 0.15, duplicate: 0.1, delay: 0.1, crash: 0.03, cut: 0.03, stall: 0.01 };
    /// The weather once the network has healed.
    pub const CALM: Faults = Faults { drop: 0.0, duplicate: 0.0, delay: 0.0, crash: 0.0, cut: 0.0, stall: 0.0 };
}

impl Sim {
    /// Ends the faults whose time is up, then perhaps starts new ones.
    pub(super) fn weather(&mut self) {
        for i in 0..self.stations.len() {
            if self.stations[i].node.is_none() && self.stations[i].down_until <= self.step {
                self.restart(i);
            }
            if self.stations[i].stalled_until.is_some_and(|until| until <= self.step) {
                self.unstall(i);
            }
        }
        let step = self.step;
        self.cuts.retain(|_, until| *until > step);
        let i = self.rng.gen_range(0..self.stations.len());
        if self.rng.gen_bool(self.faults.crash) && self.stations[i].node.is_some() {
            self.crash(i);
        }
        if self.rng.gen_bool(self.faults.cut) {
            self.cut();
        }
        let i = self.rng.gen_range(0..self.stations.len());
        if self.rng.gen_bool(self.faults.stall) && self.stations[i].stalled_until.is_none() {
            self.stations[i].stalled_until = Some(self.step + self.rng.gen_range(5..=30));
            self.tally.count("stall", 1);
            self.trace(|| format!("{}'s clock stops", self.name(i)));
        }
    }

    /// Drops a node — closing its store — and forgets what its delivery task held in memory.
    /// It stays down for a few steps, so what is sent to it meanwhile is lost.
    fn crash(&mut self, i: usize) {
        let down_for = self.rng.gen_range(1..=15);
        let station = &mut self.stations[i];
        station.node = None;
        station.batches.clear();
        station.awaiting.clear();
        station.down_until = self.step + down_for;
        self.tally.count("crash", 1);
        self.trace(|| format!("{} crashes for {down_for} steps", self.name(i)));
    }

    /// Opens a crashed node again from its config and data folder, on its own clock.
    pub(super) fn restart(&mut self, i: usize) {
        let station = &mut self.stations[i];
        let config = Config::load(&station.config).unwrap();
        station.node = Some(Node::open(config, station.clock.clone()).unwrap());
        self.trace(|| format!("{} is back", self.name(i)));
    }

    /// Cuts the link between two random stations, both ways, for a while.
    fn cut(&mut self) {
        let all: Vec<usize> = (0..self.stations.len()).collect();
        let pair: Vec<usize> = all.choose_multiple(&mut self.rng, 2).copied().collect();
        let (a, b) = (pair[0].min(pair[1]), pair[0].max(pair[1]));
        let until = self.step + self.rng.gen_range(5..=40);
        self.cuts.insert((a, b), until);
        self.tally.count("cut", 1);
        self.trace(|| format!("link {} – {} cut until step {until}", self.name(a), self.name(b)));
    }

    pub(super) fn is_cut(&self, a: usize, b: usize) -> bool {
        self.cuts.contains_key(&(a.min(b), a.max(b)))
    }

    /// Lets a stopped clock catch up with the time it missed.
    pub(super) fn unstall(&mut self, i: usize) {
        let station = &mut self.stations[i];
        station.clock.advance(station.lag);
        station.lag = Duration::ZERO;
        station.stalled_until = None;
        self.trace(|| format!("{}'s clock catches up", self.name(i)));
    }
}
