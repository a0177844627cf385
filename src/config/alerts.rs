//! `[alerts]`: hooks that carry the desk's events beyond the browser, to the station's SMS or
//! paging gateway: an HTTP POST of each event as JSON, its body signed with a secret the
//! station shares with the gateway (HMAC-SHA256).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::case::Priority;
use crate::events::{Event, EventKind};
use crate::i18n::Lang;

use super::Problem;

/// `[alerts]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// The longest wait between two attempts to reach a gateway that does not answer.
    #[serde(default = "default_max_backoff")]
    pub max_backoff_secs: u64,
    /// The hooks (`[[alerts.hooks]]`).
    #[serde(default)]
    pub hooks: Vec<HookConfig>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self { max_backoff_secs: default_max_backoff(), hooks: Vec::new() }
    }
}

fn default_max_backoff() -> u64 {
    300
}

/// One gateway to tell (`[[alerts.hooks]]`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookConfig {
    /// A short name for the admin's page and `tiemeng alerts` (`duty-sms`).
    pub name: String,
    /// Where to POST (`http://` on the station's own network, or `https://`).
    pub url: String,
    /// A file holding the shared secret the body is signed with (at least 16 bytes; keep it
    /// readable by the node's user only).
    pub secret_file: PathBuf,
    /// The gateway's CA certificate (PEM), for an `https://` URL.
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// The kinds of event to send (all when empty).
    #[serde(default)]
    pub events: Vec<EventKind>,
    /// The least priority of a case to send an event of (`urgent`, `high`, `routine`, the
    /// default); events that concern no case (a partner unreachable) always pass.
    #[serde(default = "default_min_priority")]
    pub min_priority: Priority,
    /// The language of the `text` field (`zh`, the default, or `en`).
    #[serde(default)]
    pub lang: Lang,
    /// The secret, read from `secret_file` at load.
    #[serde(skip)]
    pub secret: Vec<u8>,
}

fn default_min_priority() -> Priority {
    Priority::Routine
}

impl std::fmt::Debug for HookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("HookConfig").field("name", &self.name).field("url", &self.url).finish_non_exhaustive()
    }
}

/// The fewest bytes a shared secret may have.
const MIN_SECRET: usize = 16;

impl HookConfig {
    /// True when this hook is to hear of `event`.
    pub fn wants(&self, event: &Event) -> bool {
        let kind = self.events.is_empty() || self.events.contains(&event.kind());
        kind && event.priority().is_none_or(|p| urgency(p) >= urgency(self.min_priority))
    }
}

/// Higher is more urgent.
fn urgency(priority: Priority) -> u8 {
    match priority {
        Priority::Routine => 0,
        Priority::High => 1,
        Priority::Urgent => 2,
    }
}

impl AlertsConfig {
    pub(super) fn resolve_paths(&mut self, base: &Path) {
        for hook in &mut self.hooks {
            for path in std::iter::once(&mut hook.secret_file).chain(hook.ca.as_mut()) {
                if path.is_relative() {
                    *path = base.join(&*path);
                }
            }
        }
    }

    /// Reads each hook's secret from its file.
    pub(super) fn read_secrets(&mut self) -> Result<(), Problem> {
        for (i, hook) in self.hooks.iter_mut().enumerate() {
            let at = format!("alerts.hooks[{i}].secret_file");
            let bytes =
                std::fs::read(&hook.secret_file).map_err(|e| Problem::unreadable(at.clone(), &hook.secret_file, &e))?;
            let secret = bytes.trim_ascii().to_vec();
            if secret.len() < MIN_SECRET {
                let (file, len) = (hook.secret_file.display(), secret.len());
                return Err(Problem::new(
                    at,
                    format!(
                        "{file} 中的密钥只有 {len} 字节；至少需要 {MIN_SECRET} 字节（可用 `openssl rand -hex 32` 生成）"
                    ),
                    format!(
                        "the secret in {file} has {len} bytes; use at least {MIN_SECRET} (say, `openssl rand -hex 32`)"
                    ),
                ));
            }
            hook.secret = secret;
        }
        Ok(())
    }

    /// Checks names, URLs and files.
    pub(super) fn check(&self) -> Result<(), Problem> {
        if !(1..=86_400).contains(&self.max_backoff_secs) {
            return Err(Problem::new(
                "alerts.max_backoff_secs",
                "必须在 1 秒到 1 天之间",
                "must be between 1 second and 1 day",
            ));
        }
        let mut names = BTreeSet::new();
        for (i, hook) in self.hooks.iter().enumerate() {
            let at = |field: &str| format!("alerts.hooks[{i}].{field}");
            let name_ok = (1..=32).contains(&hook.name.len())
                && hook.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
            if !name_ok {
                return Err(Problem::new(
                    at("name"),
                    "请用 1–32 个小写 ASCII 字母、数字、'-' 或 '_'",
                    "use 1–32 lowercase ASCII letters, digits, '-' or '_'",
                ));
            }
            if !names.insert(&hook.name) {
                return Err(Problem::new(
                    at("name"),
                    format!("告警推送 {:?} 重复出现", hook.name),
                    format!("hook {:?} appears twice", hook.name),
                ));
            }
            let url = reqwest::Url::parse(&hook.url).map_err(|e| {
                Problem::new(
                    at("url"),
                    "不是有效的网址，应形如 http://10.0.0.20:8080/tiemeng",
                    format!("not a URL: {e}"),
                )
            })?;
            match (url.scheme(), &hook.ca) {
                ("https", Some(ca)) => super::check::check_file(&at("ca"), ca)?,
                ("https", None) => {
                    return Err(Problem::new(
                        at("ca"),
                        "https:// 网关需要签发其证书的CA证书（PEM）",
                        "an https:// gateway needs the CA certificate (PEM) that issued its own",
                    ));
                }
                ("http", Some(_)) => {
                    return Err(Problem::new(
                        at("ca"),
                        "只有 https:// 网关才有CA证书；请删除此项",
                        "only an https:// gateway has a CA; remove it",
                    ));
                }
                ("http", None) => {}
                (other, _) => {
                    return Err(Problem::new(
                        at("url"),
                        format!("必须以 http:// 或 https:// 开头，而不是 “{other}://”"),
                        format!("must start with http:// or https://, not {other}://"),
                    ));
                }
            }
            if url.host_str().is_none() {
                return Err(Problem::new(at("url"), "没有主机名", "names no host"));
            }
        }
        Ok(())
    }
}
