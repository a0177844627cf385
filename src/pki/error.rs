//! The one error type of the PKI module.
//!
//! Messages are in Chinese because they end up in front of the admin running
//! `tiemeng pki ...`; every variant that concerns a file names it, so the admin
//! knows which file to look at without reading a backtrace.

use std::path::PathBuf;

/// Everything that can go wrong while creating, loading or writing dev PKI material.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// Reading, writing or creating a file or directory failed.
    #[error("读写文件失败：{path}：{source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A file exists and the caller did not ask to replace it (`--force`).
    #[error("文件已存在，拒绝覆盖：{path}（确需重新生成请加 --force）")]
    AlreadyExists {
        /// The file that would have been replaced.
        path: PathBuf,
    },

    /// rcgen refused to build a key, certificate or CRL.
    #[error("生成{what}失败：{source}")]
    Generate {
        /// What was being generated, in words for the admin.
        what: &'static str,
        /// The rcgen error.
        #[source]
        source: rcgen::Error,
    },

    /// A certificate, key, CRL, public key or revocation list could not be parsed.
    #[error("无法解析 {path}：{reason}")]
    Parse {
        /// The file (or `<内存>` for in-memory input) that failed to parse.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },

    /// The private key does not belong to the certificate it was loaded with.
    #[error("私钥 {key} 与证书 {cert} 不匹配")]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },

    /// A certificate given as a CA is not a CA certificate.
    #[error("{path} 不是CA证书（缺少 basicConstraints CA:TRUE）")]
    NotACa {
        /// The certificate file.
        path: PathBuf,
    },

    /// A certificate to revoke was not issued by the CA whose CRL was to list it.
    #[error("证书 {cert} 不是由 {ca} 签发的，不能列入其吊销列表")]
    NotIssuedBy {
        /// The certificate to revoke.
        cert: PathBuf,
        /// The CA certificate.
        ca: PathBuf,
    },

    /// An identifier given by the caller (station id, badge, division, ...) is malformed.
    #[error("{field} 无效：{value:?}（{reason}）")]
    InvalidInput {
        /// Which input was wrong.
        field: &'static str,
        /// The value given.
        value: String,
        /// What a valid value looks like.
        reason: &'static str,
    },
}

impl PkiError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }

    /// Builds a parse error for `path`.
    pub(crate) fn parse(path: impl Into<PathBuf>, reason: impl ToString) -> Self {
        Self::Parse { path: path.into(), reason: reason.to_string() }
    }

    /// Returns a closure mapping an rcgen error to [`PkiError::Generate`].
    pub(crate) fn generate(what: &'static str) -> impl FnOnce(rcgen::Error) -> Self {
        move |source| Self::Generate { what, source }
    }
}
