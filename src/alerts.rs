//! Alerts beyond the browser: each event a hook wants (see [`crate::config::alerts`]) is
//! POSTed to the station's SMS or paging gateway as JSON, in the order the events happened,
//! from a cursor kept on disk, so a gateway down for an hour gets every alert afterwards and a
//! restart of the node loses none. Delivery is at least once: a node stopped between the
//! gateway's answer and writing down the cursor sends that one alert again, with the same
//! `id`, which the gateway can use to drop the second copy. Pure here: what an alert says and
//! how it is signed; [`deliver`] sends them.
//!
//! The signature lets the gateway check that the alert comes from this node unaltered and is
//! fresh: `X-Tiemeng-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

pub mod deliver;

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::events::Event;
use crate::i18n::Lang;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-tiemeng-signature";
/// The header carrying the event id (0 for a test), for a gateway that drops repeats.
pub const ID_HEADER: &str = "x-tiemeng-event";

/// What the node keeps on disk of one hook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookState {
    /// The last event dealt with: sent, or not wanted by this hook.
    pub cursor: u64,
    /// Alerts the gateway took.
    pub sent: u64,
    /// When the gateway last took an alert.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_success: Option<OffsetDateTime>,
    /// The last failure: when, and what went wrong.
    #[serde(default)]
    pub last_error: Option<HookError>,
}

/// One failure to reach a gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HookError {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// What kind of failure: `unreachable` (no answer: connection, TLS, timeout) or
    /// `gateway_refused` (it answered, but not with a 2xx status).
    pub code: String,
    /// What went wrong, in detail (`the gateway answered 503 Service Unavailable`).
    pub message: String,
}

impl HookError {
    /// What kind of failure, in words.
    pub fn words(&self, lang: Lang) -> &'static str {
        match self.code.as_str() {
            "gateway_refused" => lang.pick("网关拒收", "the gateway refused it"),
            _ => lang.pick("网关无法连接", "the gateway cannot be reached"),
        }
    }
}

/// The JSON body of an alert.
#[derive(Debug, Serialize)]
pub struct Alert<'a> {
    /// The event id at this station (0 for a test).
    pub id: u64,
    /// The station that sends it.
    pub station: &'a str,
    /// That station's name.
    pub station_name: &'a str,
    /// True for `tiemeng alerts test`.
    pub test: bool,
    /// The event, as on `GET /api/v1/events` (none for a test).
    pub event: Option<&'a Event>,
    /// The event in one line of words, ready for an SMS.
    pub text: String,
}

/// Station ids and names, to put names in the text.
pub type Names = BTreeMap<String, String>;

/// The body of the alert for event `id`.
pub fn body(station: (&str, &str), id: u64, event: &Event, names: &Names, lang: Lang) -> Vec<u8> {
    let text = format!("【{}】{}", lang.pick("铁盟", "tiemeng"), crate::events::words::describe(event, names, lang));
    let alert = Alert { id, station: station.0, station_name: station.1, test: false, event: Some(event), text };
    serde_json::to_vec(&alert).unwrap_or_default()
}

/// The body of a test alert.
pub fn test_body(station: (&str, &str), at: OffsetDateTime, lang: Lang) -> Vec<u8> {
    let text = format!(
        "【{}】{} {}",
        lang.pick("铁盟", "tiemeng"),
        crate::clock::local_minute(at),
        lang.pick(
            &format!("告警推送测试：{} 的推送通道工作正常。", station.1),
            &format!("test alert: {}'s alerts reach this gateway.", station.1)
        )
    );
    let alert = Alert { id: 0, station: station.0, station_name: station.1, test: true, event: None, text };
    serde_json::to_vec(&alert).unwrap_or_default()
}

/// The signature header's value for `body` sent at `at` (unix seconds).
pub fn signature(secret: &[u8], at: i64, body: &[u8]) -> String {
    format!("t={at},v1={}", hex::encode(mac(secret, at, body)))
}

/// Checks a signature header as a gateway would: right secret, unaltered body, signed within
/// `window_secs` of `now` (unix seconds).
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: i64, window_secs: i64) -> bool {
    let mut at = None;
    let mut given = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => at = t.parse::<i64>().ok(),
            Some(("v1", v)) => given = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(at), Some(given)) = (at, given) else { return false };
    if (now - at).abs() > window_secs {
        return false;
    }
    let Ok(mut check) = Hmac::<Sha256>::new_from_slice(secret) else { return false };
    check.update(format!("{at}.").as_bytes());
    check.update(body);
    check.verify_slice(&given).is_ok()
}

fn mac(secret: &[u8], at: i64, body: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length; the config refuses short ones.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return Vec::new() };
    mac.update(format!("{at}.").as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_checks_only_with_the_secret_the_body_and_a_fresh_time() {
        let secret = b"0123456789abcdef0123";
        let body = br#"{"id":7}"#;
        let header = signature(secret, 1_000, body);
        assert!(verify(secret, &header, body, 1_010, 300));
        assert!(!verify(b"another secret of 20b", &header, body, 1_010, 300), "another secret");
        assert!(!verify(secret, &header, br#"{"id":8}"#, 1_010, 300), "an altered body");
        assert!(!verify(secret, &header, body, 2_000, 300), "replayed later");
        let moved = header.replace("t=1000", "t=1900");
        assert!(!verify(secret, &moved, body, 1_910, 300), "a time moved forward");
        assert!(!verify(secret, "v1=00", body, 1_000, 300), "no time");
    }
}
