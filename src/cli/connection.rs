//! How officer commands reach a node: its URL, the CA bundle to trust, and the officer's own
//! certificate and key, from flags or environment variables.

use std::path::PathBuf;

use clap::Args;

use super::render;
use crate::client::{ApiClient, Credentials};
use crate::i18n::Lang;

/// Connection flags shared by officer commands.
#[derive(Debug, Args)]
pub struct Connection {
    /// The node's URL, e.g. https://localhost:7443.
    #[arg(long, env = "TIEMENG_URL", global = true)]
    url: Option<String>,
    /// CA bundle the node's certificate must chain to.
    #[arg(long, env = "TIEMENG_CA", global = true)]
    ca: Option<PathBuf>,
    /// Your certificate (PEM).
    #[arg(long, env = "TIEMENG_CERT", global = true)]
    cert: Option<PathBuf>,
    /// Your private key (PEM).
    #[arg(long, env = "TIEMENG_KEY", global = true)]
    key: Option<PathBuf>,
}

impl Connection {
    /// A client for the node and a runtime to drive it on, or a message saying what failed:
    /// what every command that talks to a node needs first.
    pub fn open(&self, lang: Lang) -> Result<(ApiClient, tokio::runtime::Runtime), String> {
        let client = self.connect(lang)?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        Ok((client, runtime))
    }

    /// A client for the node, or a message naming what is missing.
    pub fn connect(&self, lang: Lang) -> Result<ApiClient, String> {
        let missing = |flag: &str, env: &str| {
            lang.pick(
                &format!("缺少 --{flag}（或环境变量 {env}）"),
                &format!("missing --{flag} (or the {env} environment variable)"),
            )
            .to_owned()
        };
        let url = self.url.clone().ok_or_else(|| missing("url", "TIEMENG_URL"))?;
        let credentials = Credentials {
            ca_bundle: self.ca.clone().ok_or_else(|| missing("ca", "TIEMENG_CA"))?,
            crls: Vec::new(),
            cert: self.cert.clone().ok_or_else(|| missing("cert", "TIEMENG_CERT"))?,
            key: self.key.clone().ok_or_else(|| missing("key", "TIEMENG_KEY"))?,
        };
        let client = ApiClient::new(&url, &credentials).map_err(|e| render::client_error(&e, lang))?;
        Ok(if lang == Lang::En { client.english() } else { client })
    }
}
