//! A file receipt (附件回执): the station that received an attachment says, signed, that it
//! holds the whole file with this hash and size, checked. Signed only after the file is on its
//! disk and its hash verified, so the sender may show it as delivered.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::FILE_RECEIPT_CONTEXT;
use crate::domain::attachment::Sha256;
use crate::ids::StationId;

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

impl super::signed::Statement for FileReceipt {
    const CONTEXT: &'static [u8] = FILE_RECEIPT_CONTEXT;

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

/// A file receipt with the receiving station's signature.
pub type SealedFileReceipt = super::signed::Sealed<FileReceipt>;
