//! The `tiemeng` command line. Output for people is Chinese unless `--lang en` is given.

mod alerts;
mod arenas;
mod attach;
mod audit;
mod backup;
mod case;
mod connection;
mod peers;
mod render;
mod serve;
pub(crate) mod stats;
mod template;
mod usage;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use std::io::Write;

use crate::config::Config;

use crate::i18n::Lang;

/// 铁盟 tiemeng — cross-border police cooperation node.
#[derive(Debug, Parser)]
#[command(name = "tiemeng", version, about = "铁盟：跨省边界警务协作节点 (cross-border police cooperation node)")]
pub struct Cli {
    /// Language of messages for people: zh (default) or en.
    #[arg(long, global = true, default_value = "zh", env = "TIEMENG_LANG")]
    pub lang: Lang,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 运行本站节点 (serve this station's node).
    Serve {
        /// The station's config file.
        #[arg(long, short, env = "TIEMENG_CONFIG")]
        config: PathBuf,
    },
    /// 演示：本机运行三个派出所节点并生成示例协查 (run three stations on loopback with sample cases).
    Demo {
        /// Folder for the demo's certificates, configs and data.
        #[arg(long, default_value = "./demo-data")]
        dir: PathBuf,
        /// Delete the folder first and start over.
        #[arg(long)]
        fresh: bool,
        /// First of three consecutive ports.
        #[arg(long, default_value_t = 7443)]
        port: u16,
    },
    /// 配置文件 (configuration files).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// 开发用证书与签名密钥 (dev PKI: CAs, certificates, CRLs, signing keys).
    Pki {
        /// Which PKI operation.
        #[command(subcommand)]
        command: crate::pki::PkiCommand,
    },
    /// 协查操作 (officer commands against a node).
    Case(case::CaseArgs),
    /// 联合协作统计 (joint statistics of a station, for chiefs).
    Stats(stats::StatsArgs),
    /// 离线核验证据包；或向本站核验协查函的核验码 (check an evidence bundle offline; or, with
    /// --letter, ask the node whether it holds the request a 协查函's QR code names).
    Verify(VerifyArgs),
    /// 备份运行中的节点 (take a consistent backup of a running node; admins).
    Backup(backup::BackupArgs),
    /// 协作单位投递情况与拒收报文 (delivery to partner stations, dead letters, resending; admins).
    Peers(peers::PeersArgs),
    /// 从备份恢复 (restore a backup into an empty data folder; the node must be stopped).
    Restore(backup::RestoreArgs),
    /// 告警推送：查看与测试 (the alert hooks to SMS or paging gateways; admins).
    Alerts(alerts::AlertsArgs),
    /// 实时事件：新协查、状态变化、期限、协作单位连通 (watch the station's events live).
    Watch(watch::WatchArgs),
    /// 审计链 (the audit chain).
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// 性能基准 (run the benchmark scenarios and write docs/BENCHMARKS.md; use a release build).
    #[cfg(feature = "bench")]
    Bench(crate::bench::BenchArgs),
    /// A node for the benchmark, in a process of its own (used by `tiemeng bench`).
    #[cfg(feature = "bench")]
    #[command(hide = true)]
    BenchNode(crate::bench::child::NodeArgs),
}

/// `tiemeng verify FILE` or `tiemeng verify --letter CODE`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The bundle file.
    #[arg(required_unless_present = "letter", conflicts_with = "letter")]
    bundle: Option<PathBuf>,
    /// The text of a 协查函's QR code (`TIEMENG1:…`), checked by the node at --url.
    #[arg(long)]
    letter: Option<String>,
    #[command(flatten)]
    connection: connection::Connection,
}

/// `tiemeng config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// 检查配置文件 (check a config file).
    Check {
        /// The config file.
        file: PathBuf,
    },
}

/// Parses the process's command line (a mistake explained in the chosen language) and runs it.
pub fn main() -> ExitCode {
    match usage::parse() {
        Ok(cli) => run(cli),
        Err(code) => code,
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let lang = cli.lang;
    match cli.command {
        Command::Serve { config } => serve::run(&config, lang),
        Command::Demo { dir, fresh, port } => serve::demo(&dir, port, fresh, lang),
        Command::Config(ConfigCommand::Check { file }) => check_config(&file, lang),
        Command::Pki { command } => match crate::pki::run(command, lang) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e.describe(lang)),
        },
        Command::Case(args) => case::run(args, lang),
        Command::Stats(args) => stats::run(args, lang),
        Command::Verify(VerifyArgs { bundle: Some(bundle), .. }) => verify_bundle(&bundle, lang),
        Command::Verify(VerifyArgs { letter, connection, .. }) => {
            verify_letter(&connection, letter.as_deref().unwrap_or_default(), lang)
        }
        Command::Backup(args) => backup::backup(args, lang),
        Command::Restore(args) => backup::restore(args, lang),
        Command::Peers(args) => peers::run(args, lang),
        Command::Audit(command) => audit::run(command, lang),
        Command::Watch(args) => watch::run(args, lang),
        Command::Alerts(args) => alerts::run(args, lang),
        #[cfg(feature = "bench")]
        Command::Bench(args) => crate::bench::run(args),
        #[cfg(feature = "bench")]
        Command::BenchNode(args) => crate::bench::child::serve(args),
    }
}

fn check_config(file: &std::path::Path, lang: Lang) -> ExitCode {
    match Config::load(file) {
        Ok(config) => {
            let peers = config.peers.len();
            let officers = config.officers.len();
            print(&match lang {
                Lang::Zh => format!(
                    "配置有效：{}（{}），{peers} 个协作单位，{officers} 名民警。",
                    config.station.name, config.station.id
                ),
                Lang::En => format!(
                    "config is valid: {} ({}), {peers} partner stations, {officers} officers",
                    config.station.name, config.station.id
                ),
            });
            for (path, mode) in config.exposed_private_keys() {
                let _ = writeln!(std::io::stderr(), "{}", exposed_key_warning(&path, mode, lang));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let why = e.describe(lang);
            fail(lang.pick(&format!("配置有误：{why}"), &format!("invalid config: {why}")))
        }
    }
}

fn verify_bundle(path: &std::path::Path, lang: Lang) -> ExitCode {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            return fail(&match lang {
                Lang::Zh => format!("无法读取 {}：{}", path.display(), crate::i18n::io_error(&e, lang)),
                Lang::En => format!("cannot read {}: {e}", path.display()),
            });
        }
    };
    match crate::evidence::verify(&bytes) {
        Ok(verified) => {
            print(&crate::evidence::narrate(&verified, lang));
            // The files beside the bundle, each hashed against the hash its envelope signed.
            let files = crate::evidence::files::files_dir(path);
            let checks = crate::evidence::files::check(&verified, &files);
            if !checks.is_empty() {
                print(&crate::evidence::files::words(&checks, &files, lang));
            }
            let altered = checks.iter().any(|c| c.state == crate::evidence::files::FileState::Altered);
            if verified.findings.is_empty() && !altered { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(finding) => fail(&crate::evidence::unreadable(&finding, lang)),
    }
}

fn verify_letter(connection: &connection::Connection, code: &str, lang: Lang) -> ExitCode {
    let (client, runtime) = match connection.open(lang) {
        Ok(opened) => opened,
        Err(message) => return fail(&message),
    };
    match runtime.block_on(client.verify_letter(code)) {
        Ok(check) => {
            let refno = check.refno.unwrap_or_default();
            print(&match lang {
                Lang::Zh => format!(
                    "核验通过：本站收到的协查请求与该函一致。\n发函单位：{}\n协查文号：{refno}\n事由：{}\n编号：{}",
                    check.station, check.title, check.case
                ),
                Lang::En => format!(
                    "verified: this station holds this very request.\nfrom: {}\nreference: {refno}\nsubject: {}\ncase: {}",
                    check.station, check.title, check.case
                ),
            });
            ExitCode::SUCCESS
        }
        Err(e) => fail(&render::client_error(&e, lang)),
    }
}

/// The warning for a private key file others may read, with the command that puts it right.
pub fn exposed_key_warning(path: &std::path::Path, mode: u32, lang: Lang) -> String {
    let path = path.display();
    match lang {
        Lang::Zh => format!("警告：私钥文件 {path} 的权限为 {mode:04o}，其他用户可以读取；请执行 chmod 600 {path}"),
        Lang::En => {
            format!("warning: private key {path} has mode {mode:04o}, readable by other users; run chmod 600 {path}")
        }
    }
}

/// Prints an error for people and returns the failure exit code. Like [`print`], it never
/// writes a character from data that could act on the terminal.
pub fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "{}", crate::domain::text::terminal_safe(message));
    ExitCode::FAILURE
}

/// Prints `text` for people, with a line break. What it quotes (case fields a partner
/// wrote, problem reports, names) is written so that no control character from data reaches
/// the terminal: data stored before such text was refused, or sent by an older partner,
/// stays harmless. JSON stays valid: the escape is JSON's own.
///
/// A reader that stops reading (`tiemeng case list | head`) ends the command quietly, as it
/// ends any Unix tool, rather than with a panic.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "{}", crate::domain::text::terminal_safe(text)).and_then(|()| out.flush());
    if written.is_err_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) {
        std::process::exit(0);
    }
}

/// Starts logging to stderr at `default` level; `RUST_LOG` overrides it.
pub fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{default},hyper=warn,reqwest=warn,sled=warn")));
    // Colour only for a person at a terminal: a log file or a journal gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).try_init();
}
