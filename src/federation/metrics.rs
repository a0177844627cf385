//! `/metrics` in the Prometheus text format: per-peer queue depth, delivered, rejected and
//! retry counters, the last delivery's time, dead letters, and the delivery latency histogram.

use std::fmt::Write as _;

use time::OffsetDateTime;

use crate::node::Node;
use crate::node::health::{LATENCY_BUCKETS, PeerHealth};

/// Renders every metric of the node.
pub fn render(node: &Node) -> String {
    let mut out = String::new();
    let station = node.station();
    let peers: Vec<_> = node.health().iter().collect();
    let series = |out: &mut String,
                  name: &str,
                  kind: &str,
                  help: &str,
                  value: &dyn Fn(&crate::ids::StationId, &PeerHealth) -> String| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (peer, health) in &peers {
            let _ = writeln!(out, "{name}{{station=\"{station}\",peer=\"{peer}\"}} {}", value(peer, health));
        }
    };
    series(&mut out, "tiemeng_outbox_depth", "gauge", "Envelopes waiting for the peer.", &|peer, _| {
        node.store().outbox_len(peer).to_string()
    });
    series(
        &mut out,
        "tiemeng_delivered_total",
        "counter",
        "Envelopes the peer acknowledged with a receipt.",
        &|_, h| h.status().delivered.to_string(),
    );
    series(&mut out, "tiemeng_rejected_total", "counter", "Envelopes the peer refused for good.", &|_, h| {
        h.status().rejected.to_string()
    });
    series(&mut out, "tiemeng_retries_total", "counter", "Failed delivery attempts.", &|_, h| {
        h.status().retries.to_string()
    });
    series(
        &mut out,
        "tiemeng_file_bytes_received_total",
        "counter",
        "Bytes of attachment file pieces read from the peer, resent ones included.",
        &|peer, _| node.file_bytes_received(peer).to_string(),
    );
    series(
        &mut out,
        "tiemeng_last_delivery_timestamp_seconds",
        "gauge",
        "When the peer last acknowledged a delivery (Unix time; 0 if never). Kept across restarts.",
        &|_, h| h.status().last_success.map_or(0, OffsetDateTime::unix_timestamp).to_string(),
    );
    series(&mut out, "tiemeng_dead_letters", "gauge", "Envelopes in the peer's dead-letter list.", &|peer, _| {
        node.store().dead_letter_count(peer).to_string()
    });
    let name = "tiemeng_delivery_latency_seconds";
    let _ =
        writeln!(out, "# HELP {name} Time from an envelope's creation to the peer's receipt.\n# TYPE {name} histogram");
    for (peer, health) in &peers {
        let (buckets, count, sum) = health.latency();
        let labels = format!("station=\"{station}\",peer=\"{peer}\"");
        for (bound, value) in LATENCY_BUCKETS.iter().zip(&buckets) {
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {value}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels},le=\"+Inf\"}} {count}\n{name}_sum{{{labels}}} {sum}\n{name}_count{{{labels}}} {count}"
        );
    }
    out
}
