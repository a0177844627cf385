//! `tiemeng alerts …`: the station's alert hooks (its SMS or paging gateways), where each
//! stands, and a test alert; for the admin who sets them up, over mTLS with their own
//! certificate.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::connection::Connection;
use super::{fail, render};
use crate::client::ClientError;
use crate::clock::local_minute;
use crate::i18n::{Label as _, Lang};
use crate::node::{HookStatus, HookTest};

/// Connection settings and the command.
#[derive(Debug, Args)]
pub struct AlertsArgs {
    #[command(flatten)]
    connection: Connection,
    /// Print the node's JSON answer instead of a summary.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: AlertsCommand,
}

/// Admin commands about alert hooks.
#[derive(Debug, Subcommand)]
enum AlertsCommand {
    /// 各告警推送的情况 (every hook: alerts sent, waiting, last success and error).
    List,
    /// 发送测试告警 (send a test alert through one hook, or every hook, now).
    Test {
        /// The hook's name in the config (every hook when absent).
        hook: Option<String>,
    },
}

/// Runs `tiemeng alerts …`; a test that does not reach every gateway exits with status 1.
pub fn run(args: AlertsArgs, lang: Lang) -> ExitCode {
    let (client, runtime) = match args.connection.open(lang) {
        Ok(opened) => opened,
        Err(message) => return fail(&message),
    };
    let printed: Result<(String, bool), ClientError> = runtime.block_on(async {
        Ok(match &args.command {
            AlertsCommand::List => {
                let hooks = client.alert_hooks().await?;
                (if args.json { json(&hooks) } else { hook_list(&hooks, lang) }, true)
            }
            AlertsCommand::Test { hook } => {
                let names = match hook {
                    Some(name) => vec![name.clone()],
                    None => client.alert_hooks().await?.into_iter().map(|h| h.name).collect(),
                };
                let mut tests = Vec::new();
                for name in &names {
                    tests.push(client.test_alert(name).await?);
                }
                let all = tests.iter().all(|t| t.delivered);
                (if args.json { json(&tests) } else { test_list(&tests, lang) }, all)
            }
        })
    });
    match printed {
        Ok((text, all_well)) => {
            super::print(text.trim_end());
            if all_well { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => fail(&render::client_error(&e, lang)),
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn hook_list(hooks: &[HookStatus], lang: Lang) -> String {
    if hooks.is_empty() {
        return lang.pick("本站未配置告警推送（[[alerts.hooks]]）。", "no alert hooks are configured").to_owned();
    }
    let mut out = String::new();
    for hook in hooks {
        let events = if hook.events.is_empty() {
            lang.pick("全部事件", "every event").to_owned()
        } else {
            hook.events.iter().map(|e| e.name()).collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(out, "{}  {}", hook.name, hook.url);
        let _ = writeln!(
            out,
            "  {}",
            lang.pick(
                &format!(
                    "推送：{events}，{}及以上；已送达 {} 条，待处理事件 {} 条",
                    hook.min_priority.zh(),
                    hook.sent,
                    hook.behind
                ),
                &format!(
                    "sends: {events}, {} and above; {} sent, {} events waiting",
                    hook.min_priority.en(),
                    hook.sent,
                    hook.behind
                ),
            )
        );
        if let Some(success) = hook.last_success {
            let _ = writeln!(out, "  {}{}", lang.pick("上次成功：", "last success: "), local_minute(success));
        }
        if let Some(error) = &hook.last_error {
            let (open, close) = (lang.pick("（", " ("), lang.pick("）", ")"));
            let _ = writeln!(
                out,
                "  {}{} {}{open}{}{close}",
                lang.pick("上次错误：", "last error: "),
                local_minute(error.at),
                error.words(lang),
                error.message
            );
        }
        if let Some(retry) = hook.next_retry {
            let _ = writeln!(
                out,
                "  {}{}",
                lang.pick("下次重试：", "next retry: "),
                lang.pick(
                    &format!("{}（已连续失败 {} 次）", local_minute(retry), hook.failures),
                    &format!("{} ({} failures in a row)", local_minute(retry), hook.failures)
                ),
            );
        }
    }
    out
}

fn test_list(tests: &[HookTest], lang: Lang) -> String {
    if tests.is_empty() {
        return lang.pick("本站未配置告警推送（[[alerts.hooks]]）。", "no alert hooks are configured").to_owned();
    }
    let mut out = String::new();
    for test in tests {
        match &test.error {
            None => {
                let _ = writeln!(
                    out,
                    "{}  {}",
                    test.hook,
                    lang.pick("测试告警已送达网关。", "the gateway took the test alert")
                );
            }
            Some(error) => {
                let _ = writeln!(out, "{}  {}{}{}", test.hook, error.words(lang), lang.pick("：", ": "), error.message);
            }
        }
    }
    out
}
