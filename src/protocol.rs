//! The federation protocol on the wire (`/fed/v1`), beside the envelopes it carries: a batch
//! of envelopes and the answer to each, a reconciliation request and its answer, and a
//! station's published keys. The handler that answers, the delivery task that asks, and the
//! tests that simulate a network all use these types, and read an answer through one function
//! ([`EnvelopeResult::reading`]), so none of them can drift from the others.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

/// Most envelopes accepted in one batch.
pub const MAX_BATCH: usize = 1000;
/// Largest batch body accepted.
pub const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;

/// `POST /fed/v1/inbox`'s body: envelopes in their exact signed wire form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch<'a> {
    /// The envelopes, each kept as the bytes that were signed.
    #[serde(borrow)]
    pub envelopes: Vec<&'a RawValue>,
}

/// The body of a batch of envelopes, each written as the exact bytes stored.
pub fn batch_body<'a>(wires: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut body = b"{\"envelopes\":[".to_vec();
    for (i, wire) in wires.into_iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(wire);
    }
    body.extend_from_slice(b"]}");
    body
}

/// What became of one envelope of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Stored now; the receipt vouches for it.
    Accepted,
    /// Stored before with the same bytes; the receipt is the one issued then.
    Duplicate,
    /// Not stored; `code` says why and `transient` whether sending it again may succeed.
    Rejected,
}

/// The answer to one envelope of a batch, in the batch's order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnvelopeResult {
    /// What became of it.
    pub status: Status,
    /// The HTTP status this envelope would have had on its own: 200 stored (or stored before),
    /// 409 a known id with other bytes, 422 refused, 503 try again later.
    pub status_code: u16,
    /// The signed receipt, when accepted or a duplicate.
    #[schema(value_type = Option<Object>)]
    pub receipt: Option<Box<RawValue>>,
    /// Stable rejection code.
    pub code: Option<String>,
    /// Why it was rejected.
    pub message: Option<String>,
    /// True when sending the same envelope later may succeed.
    pub transient: bool,
}

/// An answer to one envelope, as the sender acts on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading<'a> {
    /// Stored at the peer: check this receipt, then forget the envelope.
    Receipt(&'a [u8]),
    /// Refused for good: the envelope becomes a dead letter.
    Refused {
        /// The peer's code.
        code: String,
        /// The peer's explanation.
        message: String,
    },
    /// Not stored, for a reason that may pass: stop here and send it again later, first.
    Retry {
        /// The peer's code.
        code: String,
        /// The peer's explanation.
        message: String,
    },
    /// The answer does not make sense (stored, yet without a receipt).
    Malformed(String),
}

impl EnvelopeResult {
    /// What the sender does with this answer.
    pub fn reading(&self) -> Reading<'_> {
        let code = || self.code.clone().unwrap_or_else(|| "rejected".into());
        let message = || self.message.clone().unwrap_or_default();
        match (self.status, &self.receipt) {
            (Status::Accepted | Status::Duplicate, Some(receipt)) => Reading::Receipt(receipt.get().as_bytes()),
            (Status::Accepted | Status::Duplicate, None) => {
                Reading::Malformed(format!("{:?} without a receipt", self.status))
            }
            (Status::Rejected, _) if self.transient => Reading::Retry { code: code(), message: message() },
            (Status::Rejected, _) => Reading::Refused { code: code(), message: message() },
        }
    }
}

/// The answers to a batch, one per envelope, in order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchResult {
    /// One result per envelope, in order.
    pub results: Vec<EnvelopeResult>,
}

/// A reconciliation request on the wire: a [`crate::envelope::ReconcileAsk`] signed by the
/// asking station, in the envelopes' wire form.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedReconcileRequest {
    /// base64url of the payload `{"v":1,"from":…,"to":…,"since":…,"at":…}`.
    pub signed: String,
    /// `<station>#<key id>` of the asker's signing key.
    pub key: String,
    /// base64url of the ed25519 signature over `tiemeng/reconcile/v1\n` and the payload.
    pub sig: String,
}

/// An envelope exchanged with the asker, returned to it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReturnedEnvelope {
    /// The envelope, as signed.
    #[schema(value_type = Object)]
    pub envelope: Box<RawValue>,
    /// The receipt its receiver signed.
    #[schema(value_type = Option<Object>)]
    pub receipt: Option<Box<RawValue>>,
}

/// The answer to a reconciliation request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReconcileAnswer {
    /// Every envelope exchanged with the asker from `since` on, both ways, oldest first.
    pub envelopes: Vec<ReturnedEnvelope>,
    /// False when there are more: ask again from the last one's time.
    pub complete: bool,
}

/// One of the station's public keys.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublishedKey {
    /// Key id.
    pub id: String,
    /// base64url of the 32-byte ed25519 public key.
    pub public: String,
    /// Valid from (RFC 3339).
    pub valid_from: Option<String>,
    /// Valid until (RFC 3339).
    pub valid_until: Option<String>,
}

/// The station's public signing keys.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublishedKeys {
    /// Station id.
    pub station: String,
    /// Its keys, old ones included so old envelopes still verify.
    pub keys: Vec<PublishedKey>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn result(json: &str) -> EnvelopeResult {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn each_answer_reads_as_the_sender_acts_on_it() {
        let stored = result(
            r#"{"status":"accepted","status_code":200,"receipt":{"r":1},"code":null,"message":null,"transient":false}"#,
        );
        assert_eq!(stored.reading(), Reading::Receipt(br#"{"r":1}"#));
        let again = result(
            r#"{"status":"duplicate","status_code":200,"receipt":{"r":1},"code":null,"message":null,"transient":false}"#,
        );
        assert_eq!(again.reading(), Reading::Receipt(br#"{"r":1}"#));
        let refused = result(
            r#"{"status":"rejected","status_code":422,"receipt":null,"code":"equivocation","message":"m","transient":false}"#,
        );
        assert_eq!(refused.reading(), Reading::Refused { code: "equivocation".into(), message: "m".into() });
        let wait = result(
            r#"{"status":"rejected","status_code":503,"receipt":null,"code":"held_back","message":"m","transient":true}"#,
        );
        assert_eq!(wait.reading(), Reading::Retry { code: "held_back".into(), message: "m".into() });
        let odd = result(
            r#"{"status":"accepted","status_code":200,"receipt":null,"code":null,"message":null,"transient":false}"#,
        );
        assert!(matches!(odd.reading(), Reading::Malformed(_)));
    }

    /// The statuses are spelled on the wire as earlier releases spelled them.
    #[test]
    fn statuses_keep_their_wire_spelling() {
        let spelled: Vec<String> = [Status::Accepted, Status::Duplicate, Status::Rejected]
            .iter()
            .map(|s| serde_json::to_string(s).unwrap())
            .collect();
        assert_eq!(spelled, ["\"accepted\"", "\"duplicate\"", "\"rejected\""]);
        assert!(
            serde_json::from_str::<EnvelopeResult>(
                r#"{"status":"lost","status_code":200,"receipt":null,"code":null,"message":null,"transient":false}"#
            )
            .is_err()
        );
    }

    #[test]
    fn a_batch_body_holds_the_wires_as_they_are() {
        let body = batch_body([br#"{"a":1}"#.as_slice(), br#"{"b":2}"#.as_slice()]);
        assert_eq!(body, br#"{"envelopes":[{"a":1},{"b":2}]}"#);
        let batch: Batch<'_> = serde_json::from_slice(&body).unwrap();
        assert_eq!(batch.envelopes[1].get(), r#"{"b":2}"#);
    }
}

/// The most bytes of a file one `PUT /fed/v1/files/{sha256}` carries to a station that does
/// not say how much it takes (every release takes this much).
pub const FILE_PIECE: usize = 1 << 20;
/// The most bytes of a file one `PUT` carries to this release, which says so in its answers'
/// [`PIECE_MAX_HEADER`]: fewer pieces, so fewer syncs and round trips, while one piece still
/// crosses a slow border link well within the federation client's 30 s.
pub const FILE_PIECE_MAX: u64 = 4 << 20;
/// The answer header in which a receiver says how many bytes it takes in one piece (a header,
/// not a field of [`FileAck`], so that a sender of an earlier release reads the answer as before).
pub const PIECE_MAX_HEADER: &str = "tiemeng-piece-max";
/// The header naming where in the file a piece starts.
pub const OFFSET_HEADER: &str = "tiemeng-offset";
/// The header naming the whole file's size.
pub const TOTAL_HEADER: &str = "tiemeng-total";

/// The answer to a piece of a file: how much of it the receiver holds, synced; once it holds
/// the whole file, checked against its hash, its signed file receipt.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileAck {
    /// Bytes of the file the receiver holds, from its start.
    pub have: u64,
    /// The receiver's signed [`FileReceipt`](crate::envelope::FileReceipt), once it holds
    /// the whole file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub receipt: Option<Box<RawValue>>,
}
