//! Browser certificate files: a browser imports an officer's certificate and key as one
//! PKCS#12 file (`<badge>.p12`), which the dev PKI and the demo write beside the PEM files.
//! Made with the `openssl` command when it is there; without it nothing else is lost (curl
//! and the CLI use the PEM files).

use std::path::{Path, PathBuf};

/// The password of the dev browser certificate files.
pub const P12_PASSWORD: &str = "tiemeng";

/// Writes `cert`'s `.p12` beside it, named `name` in the browser; the file written, or `None`
/// when openssl could not make it.
pub fn write_p12(cert: &Path, key: &Path, name: &str) -> Option<PathBuf> {
    let out = cert.with_extension("p12");
    let made = std::process::Command::new("openssl")
        .args(["pkcs12", "-export", "-name", name, "-passout", &format!("pass:{P12_PASSWORD}")])
        .arg("-inkey")
        .arg(key)
        .arg("-in")
        .arg(cert)
        .arg("-out")
        .arg(&out)
        .output();
    if matches!(made, Ok(ref o) if o.status.success()) {
        Some(out)
    } else {
        tracing::warn!(file = %out.display(), "openssl not available: no browser certificate file written");
        None
    }
}
