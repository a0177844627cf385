//! Operations on a CA kept on disk: create it with an empty CRL, revoke a
//! certificate, re-sign the CRL. Shared by `dev::init` and the CLI.

use std::path::Path;

use time::{Duration, OffsetDateTime};

use super::PkiError;
use super::authority::Authority;
use super::files::{self, Overwrite};
use super::layout::CaPaths;
use super::parse;
use super::revocations::RevocationList;

/// What [`revoke`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Serial of the revoked certificate, big-endian.
    pub serial: Vec<u8>,
    /// Its subject common name.
    pub subject: String,
    /// `false` if it was already on the list (the CRL is re-signed anyway).
    pub newly_revoked: bool,
    /// Number of the CRL just written.
    pub crl_number: u64,
}

/// Creates a root CA named `common_name` at `paths`, with CRL number 1 (empty) and
/// an empty revocation record. With [`Overwrite::Never`] nothing is written if any
/// of the CA's files exists, and the error names that file.
pub fn create_ca(
    paths: &CaPaths,
    common_name: &str,
    crl_valid_for: Duration,
    overwrite: Overwrite,
) -> Result<Authority, PkiError> {
    if overwrite == Overwrite::Never {
        files::ensure_absent(ca_file_list(paths))?;
    }
    let authority = Authority::new_root(common_name)?;
    authority.save(&paths.cert, &paths.key, overwrite)?;
    // A new CA starts a new record: revocations of a replaced CA mean nothing now.
    let mut record = RevocationList::default();
    write_crl(&authority, &mut record, paths, &paths.crl, crl_valid_for)?;
    Ok(authority)
}

/// The files of a CA in the order they are checked: key first, so that the usual
/// refusal ("CA key exists") names the file that matters most.
pub fn ca_file_list(paths: &CaPaths) -> [&Path; 4] {
    [&paths.key, &paths.cert, &paths.crl, &paths.revocations]
}

/// Loads the CA at `paths`.
pub fn load_ca(paths: &CaPaths) -> Result<Authority, PkiError> {
    Authority::load(&paths.cert, &paths.key)
}

/// Adds the certificate in `cert_file` to the CA's revocation record and writes a
/// new CRL listing every revocation so far to `crl_out`.
pub fn revoke(
    authority: &Authority,
    paths: &CaPaths,
    cert_file: &Path,
    crl_out: &Path,
    crl_valid_for: Duration,
) -> Result<Revocation, PkiError> {
    let cert = parse::summarize(&files::read_text(cert_file)?, cert_file)?;
    let ca = parse::summarize(authority.cert_pem(), &paths.cert)?;
    // A serial is only unique per issuer; listing another CA's serial would revoke
    // an unrelated certificate of ours that happens to share it.
    if cert.issuer_der != ca.subject_der {
        return Err(PkiError::NotIssuedBy { cert: cert_file.to_path_buf(), ca: paths.cert.clone() });
    }
    let mut record = RevocationList::load_or_empty(&paths.revocations)?;
    let newly_revoked = record.add(&cert.serial, &cert.common_name, OffsetDateTime::now_utc());
    let crl_number = write_crl(authority, &mut record, paths, crl_out, crl_valid_for)?;
    Ok(Revocation { serial: cert.serial, subject: cert.common_name, newly_revoked, crl_number })
}

/// Re-signs the CRL from the revocation record (e.g. before the old one expires)
/// and returns its number.
pub fn reissue_crl(
    authority: &Authority,
    paths: &CaPaths,
    crl_out: &Path,
    crl_valid_for: Duration,
) -> Result<u64, PkiError> {
    let mut record = RevocationList::load_or_empty(&paths.revocations)?;
    write_crl(authority, &mut record, paths, crl_out, crl_valid_for)
}

/// Takes the next CRL number, saves the record, then writes the CRL.
///
/// The record goes first: if writing the CRL fails, the revocation is still
/// recorded and the next `tiemeng pki crl` publishes it; the other order could
/// publish a CRL whose number a later run reuses.
fn write_crl(
    authority: &Authority,
    record: &mut RevocationList,
    paths: &CaPaths,
    crl_out: &Path,
    crl_valid_for: Duration,
) -> Result<u64, PkiError> {
    let spec = record.next_crl(crl_valid_for);
    let crl = authority.crl(&spec)?;
    record.save(&paths.revocations)?;
    files::write_public(crl_out, crl.pem.as_bytes(), Overwrite::Replace)?;
    Ok(spec.crl_number)
}
