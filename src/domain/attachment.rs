//! Attachments (附件): photos and documents that travel with a request or a note. The signed
//! envelope carries what identifies each one — its SHA-256, size, type, name and caption —
//! never the bytes, which the hash binds to the signature. Pure: what a file's first bytes say
//! it is, and what a reference must satisfy.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

use super::text::Layout;
use super::validate::{Errors, FieldError};
use crate::labelled_enum;

labelled_enum! {
    /// What a file is, as its content shows (never as its name claims).
    pub enum MediaType {
        /// A JPEG photo.
        Jpeg => ("jpeg", "JPEG 照片", "JPEG photo"),
        /// A PNG image.
        Png => ("png", "PNG 图片", "PNG image"),
        /// A WebP image.
        Webp => ("webp", "WebP 图片", "WebP image"),
        /// A PDF document (scanned 协查函, warrants).
        Pdf => ("pdf", "PDF 文档", "PDF document"),
    }
}

impl MediaType {
    /// The MIME type it is served as.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Pdf => "application/pdf",
        }
    }

    /// True for the images, which get a re-encoded preview.
    pub fn is_image(self) -> bool {
        !matches!(self, Self::Pdf)
    }

    /// The file name extension that goes with it.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Pdf => "pdf",
        }
    }

    /// How many first bytes [`MediaType::sniff`] needs to decide.
    pub const SNIFF_LEN: usize = 12;

    /// What the first bytes of a file say it is; `None` for anything not accepted. A file
    /// shorter than [`MediaType::SNIFF_LEN`] is none of them.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.len() < Self::SNIFF_LEN {
            return None;
        }
        match head {
            [0xFF, 0xD8, 0xFF, ..] => Some(Self::Jpeg),
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Self::Png),
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(Self::Webp),
            [b'%', b'P', b'D', b'F', b'-', ..] => Some(Self::Pdf),
            _ => None,
        }
    }
}

/// The SHA-256 of a file's bytes: its identity, on the wire as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        use sha2::Digest as _;
        Self(sha2::Sha256::digest(bytes).into())
    }

    /// 64 lowercase hex digits.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.hex())
    }
}

/// Text that is not 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a SHA-256: 64 lowercase hex digits expected")]
pub struct NotASha256;

impl FromStr for Sha256 {
    type Err = NotASha256;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(NotASha256);
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| NotASha256)?;
        Ok(Self(out))
    }
}

impl Serialize for Sha256 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Longest file name kept.
pub const NAME_MAX: usize = 120;
/// Longest caption.
pub const CAPTION_MAX: usize = 200;

/// One attachment as a signed request or note names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRef {
    /// SHA-256 of the file's bytes (64 lowercase hex digits).
    #[schema(value_type = String)]
    pub sha256: Sha256,
    /// Size in bytes.
    pub size: u64,
    /// What the content is.
    pub media_type: MediaType,
    /// The file's name as the officer gave it (no folders).
    pub name: String,
    /// What it shows (照片说明).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

/// How much may be attached, from `[attachments]` of the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file.
    pub file_bytes: u64,
    /// Most files on one request or note.
    pub files: usize,
    /// Largest sum of sizes on one request or note.
    pub total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { file_bytes: 20 << 20, files: 10, total_bytes: 100 << 20 }
    }
}

/// `bytes` in words people read: `3.2 MB`, `512 KB`.
pub fn size_words(bytes: u64) -> String {
    const MB: f64 = (1u64 << 20) as f64;
    if bytes >= 1 << 20 { format!("{:.1} MB", bytes as f64 / MB) } else { format!("{} KB", bytes.div_ceil(1024)) }
}

/// How much of a file of `total` bytes is somewhere, in words people read: `3.0/5.0 MB`,
/// `120/800 KB` (照片传输中 3.0/5.0 MB).
pub fn progress_words(have: u64, total: u64) -> String {
    const MB: f64 = (1u64 << 20) as f64;
    if total >= 1 << 20 {
        format!("{:.1}/{:.1} MB", have as f64 / MB, total as f64 / MB)
    } else {
        format!("{}/{} KB", have.div_ceil(1024), total.div_ceil(1024))
    }
}

/// Checks the attachments of one request or note against `limits`, and each name and caption
/// as any text an officer writes; `field` names the list in the errors (`attachments`).
pub fn check(field: &str, attachments: &[AttachmentRef], limits: Limits, errors: &mut Errors) {
    if attachments.len() > limits.files {
        errors.push(FieldError::new(
            field,
            "too_many",
            format!("附件最多 {} 个，现有 {} 个", limits.files, attachments.len()),
            format!("at most {} attachments, not {}", limits.files, attachments.len()),
        ));
    }
    let total: u64 = attachments.iter().map(|a| a.size).sum();
    if total > limits.total_bytes {
        errors.push(FieldError::new(
            field,
            "too_large",
            format!("附件合计不得超过 {}，现为 {}", size_words(limits.total_bytes), size_words(total)),
            format!("attachments may total at most {}, not {}", size_words(limits.total_bytes), size_words(total)),
        ));
    }
    for (i, attachment) in attachments.iter().enumerate() {
        let at = |name: &str| format!("{field}[{i}].{name}");
        if attachment.size > limits.file_bytes {
            errors.push(FieldError::new(
                at("size"),
                "too_large",
                format!("单个附件不得超过 {}", size_words(limits.file_bytes)),
                format!("one attachment may be at most {}", size_words(limits.file_bytes)),
            ));
        }
        if attachment.size == 0 {
            errors.push(FieldError::new(at("size"), "empty", "附件为空", "the attachment is empty"));
        }
        errors.text(&at("name"), &attachment.name, NAME_MAX, Layout::OneLine);
        if attachment.name.contains(['/', '\\']) {
            errors.push(FieldError::new(
                at("name"),
                "folder_in_name",
                "文件名不能包含目录（/ 或 \\）",
                "a file name cannot hold folders (/ or \\)",
            ));
        }
        if let Some(caption) = &attachment.caption {
            errors.text(&at("caption"), caption, CAPTION_MAX, Layout::OneLine);
        }
        if attachments[..i].iter().any(|earlier| earlier.sha256 == attachment.sha256) {
            errors.push(FieldError::new(
                at("sha256"),
                "duplicate",
                "同一文件附加了两次",
                "the same file is attached twice",
            ));
        }
    }
}

/// A file name people can keep: the name given, its folders and anything that acts instead of
/// being read dropped, or the hash's start with the type's extension when nothing is left.
pub fn safe_name(given: &str, sha256: &Sha256, media_type: MediaType) -> String {
    let base = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = base.chars().filter(|c| !c.is_control() && *c != '"').take(NAME_MAX).collect();
    let kept = kept.trim().to_owned();
    if kept.is_empty() || kept.chars().all(|c| c == '.') {
        format!("{}.{}", &sha256.hex()[..12], media_type.extension())
    } else {
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_decides_the_type_not_the_name() {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        jpeg.resize(12, 0);
        assert_eq!(MediaType::sniff(&jpeg), Some(MediaType::Jpeg));
        assert_eq!(MediaType::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(MediaType::Png));
        assert_eq!(MediaType::sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(MediaType::Webp));
        assert_eq!(MediaType::sniff(b"%PDF-1.7\n%\xe2\xe3"), Some(MediaType::Pdf));
        assert_eq!(MediaType::sniff(b"<html><script>alert(1)"), None);
        assert_eq!(MediaType::sniff(b"RIFF\x10\0\0\0WAVEfmt "), None, "a RIFF that is no WebP");
        assert_eq!(MediaType::sniff(b"%PDF"), None, "too short to tell");
        assert_eq!(MediaType::sniff(b"MZ\x90\0\x03\0\0\0\x04\0\0\0"), None);
    }

    #[test]
    fn a_sha256_is_64_lowercase_hex_digits() {
        let sha = Sha256::of(b"abc");
        assert_eq!(sha.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(sha.hex().parse::<Sha256>(), Ok(sha));
        assert!(sha.hex().to_uppercase().parse::<Sha256>().is_err());
        assert!(sha.hex()[..63].parse::<Sha256>().is_err());
        assert!(format!("{}g", &sha.hex()[..63]).parse::<Sha256>().is_err());
        let json = serde_json::to_string(&sha).unwrap();
        assert_eq!(serde_json::from_str::<Sha256>(&json).unwrap(), sha);
    }

    fn attachment(name: &str, size: u64, seed: &[u8]) -> AttachmentRef {
        AttachmentRef { sha256: Sha256::of(seed), size, media_type: MediaType::Jpeg, name: name.into(), caption: None }
    }

    #[test]
    fn limits_names_and_repeats_are_refused_in_words() {
        let limits = Limits { file_bytes: 100, files: 2, total_bytes: 150 };
        let list = [attachment("现场.jpg", 90, b"a"), attachment("../etc/passwd", 101, b"b"), attachment("x", 1, b"a")];
        let mut errors = Errors::default();
        check("attachments", &list, limits, &mut errors);
        let found: Vec<(String, &str)> = errors.into_vec().into_iter().map(|e| (e.field, e.code)).collect();
        for expected in [
            ("attachments", "too_many"),
            ("attachments", "too_large"),
            ("attachments[1].size", "too_large"),
            ("attachments[1].name", "folder_in_name"),
            ("attachments[2].sha256", "duplicate"),
        ] {
            assert!(found.contains(&(expected.0.into(), expected.1)), "{expected:?} in {found:?}");
        }
        let mut errors = Errors::default();
        check("attachments", &[attachment("照片 1.jpg", 100, b"c")], limits, &mut errors);
        assert!(errors.into_vec().is_empty());
    }

    #[test]
    fn a_name_to_keep_has_no_folders_and_no_quotes() {
        let sha = Sha256::of(b"x");
        assert_eq!(safe_name("C:\\Users\\张\\现场.jpg", &sha, MediaType::Jpeg), "现场.jpg");
        assert_eq!(safe_name("a\"b\n.pdf", &sha, MediaType::Pdf), "ab.pdf");
        assert_eq!(safe_name("../..", &sha, MediaType::Png), format!("{}.png", &sha.hex()[..12]));
    }

    #[test]
    fn sizes_read_in_kb_or_mb() {
        assert_eq!(size_words(3 << 20), "3.0 MB");
        assert_eq!(size_words(1), "1 KB");
        assert_eq!(size_words(20 << 20), "20.0 MB");
        assert_eq!(progress_words(3 << 20, 5 << 20), "3.0/5.0 MB");
        assert_eq!(progress_words(0, 5 << 20), "0.0/5.0 MB");
        assert_eq!(progress_words(100 * 1024, 800 * 1024), "100/800 KB");
    }
}
