//! The attachment files of a bundle. The bundle holds what its envelopes say of each file
//! (SHA-256, size, type, name: signed by the station that named it), never the bytes; the
//! files travel beside it, in the folder `<bundle>.files/` as `<sha256>.<extension>`, and
//! `tiemeng verify` hashes each one there against its signed hash.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use super::Verified;
use crate::domain::attachment::{AttachmentRef, Sha256, size_words};
use crate::i18n::{Label as _, Lang};
use crate::ids::StationId;

/// Where the files of the bundle at `bundle` lie.
pub fn files_dir(bundle: &Path) -> PathBuf {
    let name = bundle.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    bundle.with_file_name(format!("{name}.files"))
}

/// The name a file has in that folder: its hash and the extension of its type.
pub fn file_name(attachment: &AttachmentRef) -> String {
    format!("{}.{}", attachment.sha256.hex(), attachment.media_type.extension())
}

/// What became of one file the bundle's envelopes name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// Its bytes hash to the signed hash.
    Intact,
    /// Not in the folder.
    Missing,
    /// In the folder, but its bytes are not what was signed.
    Altered,
}

/// One file the bundle's verified envelopes name, checked.
#[derive(Debug, Clone)]
pub struct FileCheck {
    /// What the signed envelope says of it.
    pub attachment: AttachmentRef,
    /// The station whose envelope named it.
    pub from: StationId,
    /// What was found.
    pub state: FileState,
}

/// The files the verified envelopes name, each once, in the bundle's order.
pub fn named(verified: &Verified) -> Vec<(AttachmentRef, StationId)> {
    let mut out: Vec<(AttachmentRef, StationId)> = Vec::new();
    for envelope in verified.envelopes.iter().filter_map(|e| e.envelope.as_ref()) {
        for attachment in envelope.body.attachments() {
            if !out.iter().any(|(a, _)| a.sha256 == attachment.sha256) {
                out.push((attachment.clone(), envelope.from.clone()));
            }
        }
    }
    out
}

fn hash_of(path: &Path) -> std::io::Result<Sha256> {
    let mut file = std::fs::File::open(path)?;
    let mut hash = sha2::Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(Sha256(hash.finalize().into()));
        }
        hash.update(&buffer[..n]);
    }
}

/// Checks every file the bundle names against the folder `dir`, a block at a time.
pub fn check(verified: &Verified, dir: &Path) -> Vec<FileCheck> {
    named(verified)
        .into_iter()
        .map(|(attachment, from)| {
            let state = match hash_of(&dir.join(file_name(&attachment))) {
                Ok(sha) if sha == attachment.sha256 => FileState::Intact,
                Ok(_) => FileState::Altered,
                Err(_) => FileState::Missing,
            };
            FileCheck { attachment, from, state }
        })
        .collect()
}

/// The checks in words, a line each.
pub fn words(checks: &[FileCheck], dir: &Path, lang: Lang) -> String {
    let mut out =
        lang.pick(&format!("附件（{}）：", dir.display()), &format!("attachments ({}):", dir.display())).to_owned();
    for check in checks {
        let a = &check.attachment;
        let state = match check.state {
            FileState::Intact => lang.pick("与签名哈希一致", "matches its signed hash"),
            FileState::Missing => lang.pick("未随附", "not included"),
            FileState::Altered => {
                lang.pick("与签名哈希不符：文件被改动过", "does NOT match its signed hash: the file was altered")
            }
        };
        out.push_str(&format!(
            "\n  {}  {}  {}  {}{}  {state}",
            a.name,
            a.media_type.label(lang),
            size_words(a.size),
            lang.pick("来自 ", "from "),
            check.from
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_folder_sits_beside_the_bundle_and_names_files_by_hash() {
        assert_eq!(files_dir(Path::new("/tmp/case.json")), PathBuf::from("/tmp/case.json.files"));
        let a = AttachmentRef {
            sha256: Sha256::of(b"x"),
            size: 1,
            media_type: crate::domain::attachment::MediaType::Pdf,
            name: "协查函.pdf".into(),
            caption: None,
        };
        assert_eq!(file_name(&a), format!("{}.pdf", Sha256::of(b"x").hex()));
    }
}
