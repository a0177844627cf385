//! A file receipt (附件回执): the station that received an attachment says, signed, that it
//! holds the whole file with this hash and size, checked. Signed only after the file is on its
//! disk and its hash verified, so the sender may show it as delivered.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{EnvelopeError, FILE_RECEIPT_CONTEXT, Signed};
use crate::domain::attachment::Sha256;
use crate::ids::StationId;
use crate::keys::{KeyRing, Signer};

/// "`station` holds the file `sha256` of `size` bytes that `sender` sent, as of `at`."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileReceipt {
    /// Always [`super::VERSION`].
    pub v: u8,
    /// The receiving station, which signs.
    pub station: StationId,
    /// The station that sent the file.
    pub sender: StationId,
    /// The file's hash.
    pub sha256: Sha256,
    /// Its size.
    pub size: u64,
    /// When the receiver kept it.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A file receipt with its signature.
#[derive(Debug, Clone)]
pub struct SealedFileReceipt {
    /// The content.
    pub receipt: FileReceipt,
    /// The signed bytes.
    pub signed: Signed,
}

impl FileReceipt {
    /// Signs the receipt with the receiving station's key.
    pub fn seal(self, signer: &Signer) -> Result<SealedFileReceipt, EnvelopeError> {
        let signed = Signed::sign_as(FILE_RECEIPT_CONTEXT, &self, &self.station, signer)?;
        Ok(SealedFileReceipt { signed, receipt: self })
    }
}

impl super::signed::Statement for FileReceipt {
    fn version(&self) -> u8 {
        self.v
    }
    fn signer(&self) -> &StationId {
        &self.station
    }
    fn signed_at(&self) -> OffsetDateTime {
        self.at
    }
}

impl SealedFileReceipt {
    /// Verifies the signature, then parses strictly and checks the signer's key.
    pub fn open(wire: &[u8], keys: &KeyRing) -> Result<Self, EnvelopeError> {
        let (receipt, signed) = Signed::open_statement(wire, FILE_RECEIPT_CONTEXT, keys)?;
        Ok(Self { receipt, signed })
    }

    /// The canonical wire bytes.
    pub fn wire(&self) -> Vec<u8> {
        self.signed.encode()
    }
}
