//! The one error type of the PKI module.
//!
//! It ends up in front of the admin running `tiemeng pki ...`, in the language they chose
//! ([`PkiError::describe`]); its `Display` is the Chinese, with the libraries' own (English)
//! details, for callers that have no language to go by. Every variant that concerns a file
//! names it, so the admin knows which file to look at without reading a backtrace.

use std::fmt;
use std::path::PathBuf;

use crate::i18n::{Lang, io_error};

/// Words for people in Chinese and in English, in that order.
pub type Words = (&'static str, &'static str);

/// What a Chinese reader is told in place of a library's English detail.
const DETAIL_IN_ENGLISH: &str = "详情请用 --lang en 查看";

/// Everything that can go wrong while creating, loading or writing dev PKI material.
#[derive(Debug)]
pub enum PkiError {
    /// Reading, writing or creating a file or directory failed.
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// A file exists and the caller did not ask to replace it (`--force`).
    AlreadyExists {
        /// The file that would have been replaced.
        path: PathBuf,
    },

    /// rcgen refused to build a key, certificate or CRL.
    Generate {
        /// What was being generated, in words for the admin.
        what: Words,
        /// The rcgen error.
        source: rcgen::Error,
    },

    /// A certificate, key, CRL, public key or revocation list could not be parsed.
    Parse {
        /// The file (or `<内存>` for in-memory input) that failed to parse.
        path: PathBuf,
        /// What was wrong with it, in English (a library's words, or ours).
        reason: String,
        /// The same in Chinese, when it is ours; a library's detail has none.
        reason_zh: Option<String>,
    },

    /// The private key does not belong to the certificate it was loaded with.
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },

    /// A certificate given as a CA is not a CA certificate.
    NotACa {
        /// The certificate file.
        path: PathBuf,
    },

    /// A certificate to revoke was not issued by the CA whose CRL was to list it.
    NotIssuedBy {
        /// The certificate to revoke.
        cert: PathBuf,
        /// The CA certificate.
        ca: PathBuf,
    },

    /// An identifier given by the caller (station id, badge, division, ...) is malformed.
    InvalidInput {
        /// Which input was wrong.
        field: Words,
        /// The value given.
        value: String,
        /// What a valid value looks like.
        reason: Words,
    },
}

impl PkiError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }

    /// A library could not parse `path`; its words are English only.
    pub(crate) fn parse(path: impl Into<PathBuf>, reason: impl ToString) -> Self {
        Self::Parse { path: path.into(), reason: reason.to_string(), reason_zh: None }
    }

    /// `path` does not parse, for a reason said in both languages.
    pub(crate) fn parse_said(path: impl Into<PathBuf>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::Parse { path: path.into(), reason: en.into(), reason_zh: Some(zh.into()) }
    }

    /// Returns a closure mapping an rcgen error to [`PkiError::Generate`].
    pub(crate) fn generate(what: Words) -> impl FnOnce(rcgen::Error) -> Self {
        move |source| Self::Generate { what, source }
    }

    /// A malformed input: which one, the value, and what a valid one looks like.
    pub(crate) fn invalid(field: Words, value: &str, reason: Words) -> Self {
        Self::InvalidInput { field, value: value.to_owned(), reason }
    }

    /// What went wrong, in `lang`. The Chinese leaves out the libraries' English details.
    pub fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => self.chinese(false),
            Lang::En => self.english(),
        }
    }

    fn chinese(&self, with_detail: bool) -> String {
        let detail = |english: &dyn fmt::Display| {
            if with_detail { english.to_string() } else { DETAIL_IN_ENGLISH.to_owned() }
        };
        match self {
            Self::Io { path, source } => {
                let why = if with_detail { source.to_string() } else { io_error(source, Lang::Zh) };
                format!("读写文件失败：{}：{why}", path.display())
            }
            Self::AlreadyExists { path } => {
                format!("文件已存在，拒绝覆盖：{}（确需重新生成请加 --force）", path.display())
            }
            Self::Generate { what, source } => {
                if with_detail {
                    format!("生成{}失败：{source}", what.0)
                } else {
                    format!("生成{}失败（{}）", what.0, detail(source))
                }
            }
            Self::Parse { path, reason, reason_zh } => match reason_zh {
                Some(zh) => format!("无法解析 {}：{zh}", path.display()),
                None if with_detail => format!("无法解析 {}：{reason}", path.display()),
                None => format!("无法解析 {}：内容格式有误（{}）", path.display(), detail(reason)),
            },
            Self::KeyMismatch { cert, key } => {
                format!("私钥 {} 与证书 {} 不匹配", key.display(), cert.display())
            }
            Self::NotACa { path } => format!("{} 不是CA证书（缺少 basicConstraints CA:TRUE）", path.display()),
            Self::NotIssuedBy { cert, ca } => {
                format!("证书 {} 不是由 {} 签发的，不能列入其吊销列表", cert.display(), ca.display())
            }
            Self::InvalidInput { field, value, reason } => format!("{} 无效：{value:?}（{}）", field.0, reason.0),
        }
    }

    fn english(&self) -> String {
        match self {
            Self::Io { path, source } => format!("cannot read or write {}: {source}", path.display()),
            Self::AlreadyExists { path } => {
                format!("{} already exists and is left as it is (add --force to make it anew)", path.display())
            }
            Self::Generate { what, source } => format!("cannot generate the {}: {source}", what.1),
            Self::Parse { path, reason, .. } => format!("cannot parse {}: {reason}", path.display()),
            Self::KeyMismatch { cert, key } => {
                format!("private key {} does not belong to certificate {}", key.display(), cert.display())
            }
            Self::NotACa { path } => {
                format!("{} is not a CA certificate (it lacks basicConstraints CA:TRUE)", path.display())
            }
            Self::NotIssuedBy { cert, ca } => {
                format!("certificate {} was not issued by {}, so it cannot go on its CRL", cert.display(), ca.display())
            }
            Self::InvalidInput { field, value, reason } => format!("invalid {}: {value:?} ({})", field.1, reason.1),
        }
    }
}

/// The Chinese, with the libraries' details as they give them.
impl fmt::Display for PkiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.chinese(true))
    }
}

impl std::error::Error for PkiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Generate { source, .. } => Some(source),
            _ => None,
        }
    }
}
