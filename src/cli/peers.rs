//! `tiemeng peers …`: how delivery to each partner station goes, what a partner refused for
//! good, and sending that again once the cause is put right, and what a partner signed twice;
//! for a station's admin at a terminal, over mTLS with their own certificate.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::connection::Connection;
use super::{fail, render};
use crate::api::admin::PeerView;
use crate::client::ClientError;
use crate::clock::local_minute;
use crate::i18n::{Label as _, Lang};
use crate::ids::{CaseId, StationId};
use crate::node::EquivocationView;
use crate::store::DeadLetter;

/// Connection settings and the command.
#[derive(Debug, Args)]
pub struct PeersArgs {
    #[command(flatten)]
    connection: Connection,
    /// Print the node's JSON answer instead of a summary.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: PeersCommand,
}

/// Admin commands about partner stations.
#[derive(Debug, Subcommand)]
enum PeersCommand {
    /// 各协作单位的投递情况 (queue, dead letters and last error of every partner station).
    List,
    /// 协作单位拒收的报文 (the envelopes a partner station refused for good).
    DeadLetters {
        /// The partner station's id.
        peer: StationId,
    },
    /// 签名冲突：对方以同一序号签署的两份报文 (envelopes a partner signed twice with one seq).
    Equivocations {
        /// The partner station's id.
        peer: StationId,
    },
    /// 重新投递拒收的报文 (send a partner's dead letters again, once the cause is put right).
    Resend {
        /// The partner station's id.
        peer: StationId,
        /// 仅重新投递此协查的报文 (only those of this case).
        #[arg(long)]
        case: Option<CaseId>,
    },
}

/// Runs `tiemeng peers …`.
pub fn run(args: PeersArgs, lang: Lang) -> ExitCode {
    let (client, runtime) = match args.connection.open(lang) {
        Ok(opened) => opened,
        Err(message) => return fail(&message),
    };
    let printed: Result<String, ClientError> = runtime.block_on(async {
        Ok(match &args.command {
            PeersCommand::List => {
                let peers = client.peers().await?;
                if args.json { json(&peers) } else { peer_table(&peers, lang) }
            }
            PeersCommand::DeadLetters { peer } => {
                let letters = client.dead_letters(peer.as_str()).await?;
                if args.json { json(&letters) } else { letter_list(peer, &letters, lang) }
            }
            PeersCommand::Equivocations { peer } => {
                let found = client.equivocations(peer.as_str()).await?;
                if args.json { json(&found) } else { equivocation_list(peer, &found, lang) }
            }
            PeersCommand::Resend { peer, case } => {
                let resent = client.resend_dead_letters(peer.as_str(), case.as_ref()).await?;
                if args.json {
                    json(&resent)
                } else {
                    let n = resent.resent.len();
                    let mut out = lang
                        .pick(
                            &format!("已将 {n} 份拒收报文重新排入发往 {peer} 的队列，按原顺序投递。"),
                            &format!("{n} dead letters queued again for {peer}, in their first order."),
                        )
                        .to_owned();
                    if n > 0 {
                        out.push('\n');
                        out.push_str(&letter_list(peer, &resent.resent, lang));
                    }
                    out
                }
            }
        })
    });
    match printed {
        Ok(text) => {
            super::print(text.trim_end());
            ExitCode::SUCCESS
        }
        Err(e) => fail(&render::client_error(&e, lang)),
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn peer_table(peers: &[PeerView], lang: Lang) -> String {
    let mut out = String::new();
    for peer in peers {
        let _ = writeln!(
            out,
            "{}  {}  {}",
            peer.id,
            peer.name,
            lang.pick(
                &format!("待投递 {}，拒收 {}", peer.queue_depth, peer.dead_letters),
                &format!("queued {}, dead letters {}", peer.queue_depth, peer.dead_letters),
            )
        );
        if peer.equivocations > 0 {
            let _ = writeln!(
                out,
                "  {}",
                lang.pick(
                    &format!("签名冲突：{} 起（tiemeng peers equivocations {}）", peer.equivocations, peer.id),
                    &format!("equivocations: {} (tiemeng peers equivocations {})", peer.equivocations, peer.id),
                )
            );
        }
        if let Some(success) = peer.status.last_success {
            let _ = writeln!(out, "  {}{}", lang.pick("上次成功：", "last success: "), local_minute(success));
        }
        if let Some(error) = &peer.status.last_error {
            let _ = writeln!(
                out,
                "  {}{} {}{}",
                lang.pick("上次错误：", "last error: "),
                local_minute(error.at),
                crate::node::peer_words::peer_trouble(&error.code, &error.message, lang),
                super::render::in_brackets(&format!("{}: {}", error.code, error.message), lang),
            );
        }
        if let Some(retry) = peer.status.next_retry {
            let _ = writeln!(out, "  {}{}", lang.pick("下次重试：", "next retry: "), local_minute(retry));
        }
    }
    if out.is_empty() {
        out.push_str(lang.pick("本站未配置协作单位。", "no partner stations are configured"));
    }
    out
}

fn letter_list(peer: &StationId, letters: &[DeadLetter], lang: Lang) -> String {
    if letters.is_empty() {
        return lang.pick(&format!("{peer} 没有拒收的报文。"), &format!("{peer} refused nothing")).to_owned();
    }
    let mut out = String::new();
    for letter in letters {
        let _ = writeln!(
            out,
            "{}  {}  {}  {}（{}）{}",
            local_minute(letter.at),
            letter.case,
            letter.kind.label(lang),
            lang.pick("拒收", "refused"),
            letter.code,
            letter.message
        );
    }
    out
}

fn equivocation_list(peer: &StationId, found: &[EquivocationView], lang: Lang) -> String {
    if found.is_empty() {
        return lang
            .pick(&format!("{peer} 没有以同一序号签署两份报文。"), &format!("{peer} signed nothing twice"))
            .to_owned();
    }
    let mut out = String::new();
    for e in found {
        let _ = writeln!(out, "{}  {} {}", e.case, lang.pick("序号", "seq"), e.seq,);
        for (label, statement) in
            [(lang.pick("已采用", "taken"), &e.kept), (lang.pick("被拒收", "refused"), &e.refused)]
        {
            let _ = writeln!(
                out,
                "  {label}  {}  {}  {}  sha256 {}",
                local_minute(statement.at),
                statement.kind.label(lang),
                statement.id,
                statement.sha256
            );
        }
    }
    out.push_str(lang.pick(
        "两份报文的完整内容在该协查的证据包中（tiemeng case export）。",
        "Both envelopes are in full in the case's evidence bundle (tiemeng case export).",
    ));
    out
}
