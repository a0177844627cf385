//! The check code printed as a QR code on a formal 协查函: which station sent which request, and
//! the SHA-256 of the request envelope's signed bytes. A partner station's duty officer scans
//! it and this node says whether it holds exactly that request from exactly that station, so a
//! forged or altered paper letter is caught without calling the sender.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::auth::READERS;
use super::{Node, NodeError, Officer};
use crate::envelope::{Kind, SealedEnvelope, Signed};
use crate::ids::{CaseId, StationId};
use crate::store::AuditDraft;

/// What the code starts with: the format's name and version, so a later format can be told
/// apart and an unrelated QR code is refused as such.
const PREFIX: &str = "TIEMENG1";

/// The text a letter's QR code carries: `TIEMENG1:<station>:<case>:<sha256 hex>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterCode {
    /// The station that sent the request (and printed the letter).
    pub station: StationId,
    /// The case.
    pub case: CaseId,
    /// SHA-256 of the request envelope's signed payload.
    pub sha256: [u8; 32],
}

impl fmt::Display for LetterCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}:{}:{}:{}", self.station, self.case, hex::encode(self.sha256))
    }
}

impl LetterCode {
    /// Reads a scanned code. Scanners add spaces or a line end; anything else is refused.
    pub fn parse(text: &str) -> Result<Self, LetterRefusal> {
        let mut parts = text.trim().split(':');
        let (Some(prefix), Some(station), Some(case), Some(sha), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(LetterRefusal::Malformed);
        };
        if prefix != PREFIX {
            return Err(LetterRefusal::Malformed);
        }
        let station = station.parse().map_err(|_| LetterRefusal::Malformed)?;
        let case = case.parse().map_err(|_| LetterRefusal::Malformed)?;
        let mut sha256 = [0u8; 32];
        if sha.len() != 64 || hex::decode_to_slice(sha, &mut sha256).is_err() {
            return Err(LetterRefusal::Malformed);
        }
        Ok(Self { station, case, sha256 })
    }

    /// The code of a case as an officer reads it: its origin, its id and its request's digest;
    /// `None` when the request's signature did not verify (no letter should vouch for it).
    pub fn of(detail: &super::CaseDetail) -> Option<Self> {
        let request = detail.timeline.iter().find(|e| e.kind == Kind::Request && e.verified)?;
        let mut sha256 = [0u8; 32];
        hex::decode_to_slice(&request.sha256, &mut sha256).ok()?;
        Some(Self { station: detail.case.origin.clone(), case: detail.case.id, sha256 })
    }
}

/// Why a letter's code does not match what this node holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LetterRefusal {
    /// Not a letter code at all (another QR code, a cut-off scan).
    Malformed,
    /// This node holds no such case.
    UnknownCase,
    /// The case here was sent by another station than the code names.
    WrongStation,
    /// The request held here has another digest: the letter is not of this request as signed.
    HashMismatch,
}

impl LetterRefusal {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Malformed => "letter_malformed",
            Self::UnknownCase => "letter_unknown_case",
            Self::WrongStation => "letter_wrong_station",
            Self::HashMismatch => "letter_hash_mismatch",
        }
    }

    /// What it means and what to do, in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Malformed => "这不是本系统协查函的核验码（格式不符或扫描不完整），请重新扫描函件右下角的二维码。",
            Self::UnknownCase => "本站没有该核验码所指的协查请求。请确认函件是否发给本站，并向发函单位电话核实。",
            Self::WrongStation => {
                "本站所存该协查并非核验码所称的单位发出：函件的发函单位与签名记录不符，请勿据此办理，并向发函单位电话核实。"
            }
            Self::HashMismatch => {
                "函件与本站所存的已签名协查请求不一致（内容可能被改动），请勿据此办理，并向发函单位电话核实。"
            }
        }
    }

    /// What it means and what to do, in English.
    pub fn en(self) -> &'static str {
        match self {
            Self::Malformed => {
                "this is not a tiemeng letter code (wrong format or an incomplete scan); scan the QR code on the letter again"
            }
            Self::UnknownCase => {
                "this station holds no request with this code; check the letter was sent to this station and call the sender"
            }
            Self::WrongStation => {
                "the request held here was not sent by the station the code names: the letter's sender does not match the \
                 signed record; do not act on it, and call the sender"
            }
            Self::HashMismatch => {
                "the letter does not match the signed request held here (it may have been altered); do not act on it, and \
                 call the sender"
            }
        }
    }
}

/// A letter code this node vouches for: it holds exactly that request, from that station.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LetterCheck {
    /// The case.
    #[schema(value_type = String)]
    pub case: CaseId,
    /// The station that sent it.
    #[schema(value_type = String)]
    pub station: StationId,
    /// Its reference number (协查文号), when it has one.
    pub refno: Option<String>,
    /// Its title.
    pub title: String,
    /// Hex SHA-256 of the request envelope's signed bytes, as on the letter.
    pub sha256: String,
    /// Whether the request's signature verifies now with the keys this node knows.
    pub signature_verified: bool,
}

impl Node {
    /// Checks a scanned letter code against the request envelope this node stored; the check
    /// is recorded in the audit chain (who asked about which case).
    pub async fn verify_letter(&self, officer: &Officer, text: &str) -> Result<LetterCheck, NodeError> {
        officer.require(READERS)?;
        let code = LetterCode::parse(text).map_err(NodeError::Letter)?;
        let case = self.store.case(&code.case)?.ok_or(NodeError::Letter(LetterRefusal::UnknownCase))?;
        let stored = self
            .store
            .timeline(&case.id)?
            .into_iter()
            .find(|e| e.meta.kind == Kind::Request)
            .ok_or(NodeError::Letter(LetterRefusal::UnknownCase))?;
        if stored.meta.from != code.station || case.origin != code.station {
            return Err(NodeError::Letter(LetterRefusal::WrongStation));
        }
        let signed = Signed::decode(&stored.wire)?;
        let digest: [u8; 32] = Sha256::digest(signed.payload()).into();
        if digest != code.sha256 {
            return Err(NodeError::Letter(LetterRefusal::HashMismatch));
        }
        let signature_verified = SealedEnvelope::open(&stored.wire, &self.keys).is_ok();
        self.store.write(self.now(), |unit| {
            unit.audit(AuditDraft::new(officer.actor(), "case.letter_verified").case(case.id));
            Ok::<_, NodeError>(())
        })?;
        self.store.durable().await?;
        Ok(LetterCheck {
            case: case.id,
            station: case.origin,
            refno: case.refno.map(|r| r.label),
            title: case.title,
            sha256: hex::encode(digest),
            signature_verified,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LetterCode {
        LetterCode {
            station: "zj-taishun-luoyang".parse().expect("a station id"),
            case: "01a24dd6-448b-75a3-8294-9c9ceb9d08b5".parse().expect("a case id"),
            sha256: [0xab; 32],
        }
    }

    #[test]
    fn a_code_reads_back_as_written_and_a_scan_may_add_spaces() {
        let code = sample();
        let text = code.to_string();
        assert!(text.starts_with("TIEMENG1:zj-taishun-luoyang:01a24dd6-"), "{text}");
        assert_eq!(LetterCode::parse(&text), Ok(code.clone()));
        assert_eq!(LetterCode::parse(&format!("  {text}\r\n")), Ok(code));
    }

    #[test]
    fn anything_else_is_malformed() {
        let text = sample().to_string();
        let cut = &text[..text.len() - 1];
        let extra = format!("{text}:x");
        let other_prefix = text.replacen("TIEMENG1", "TIEMENG2", 1);
        let bad_hex = format!("{}zz", &text[..text.len() - 2]);
        let bad_case = text.replacen("01a24dd6", "01a24dd", 1);
        for bad in ["", "https://example.org/", cut, &extra, &other_prefix, &bad_hex, &bad_case] {
            assert_eq!(LetterCode::parse(bad), Err(LetterRefusal::Malformed), "{bad}");
        }
    }
}
