//! `tiemeng backup` (from a running node, as an admin) and `tiemeng restore` (offline).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::connection::Connection;
use super::{fail, render};
use crate::client::ClientError;
use crate::i18n::Lang;

/// `tiemeng backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    connection: Connection,
    /// Where to write the backup.
    #[arg(long)]
    out: PathBuf,
}

/// `tiemeng restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file.
    #[arg(long)]
    backup: PathBuf,
    /// An empty data folder to restore into (the node's storage.data_dir).
    #[arg(long)]
    data: PathBuf,
}

/// Downloads a consistent snapshot from a running node.
pub fn backup(args: BackupArgs, lang: Lang) -> ExitCode {
    if args.out.exists() {
        return fail(lang.pick(
            &format!("{} 已存在，未覆盖。", args.out.display()),
            &format!("{} exists; not overwritten", args.out.display()),
        ));
    }
    let (client, runtime) = match args.connection.open(lang) {
        Ok(opened) => opened,
        Err(message) => return fail(&message),
    };
    let url = format!("{}/api/v1/admin/backup", client.base());
    let result = runtime.block_on(async {
        let response = client
            .http()
            .post(&url)
            .send()
            .await
            .map_err(|source| ClientError::Connect { url: url.clone(), source })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|source| ClientError::Connect { url: url.clone(), source })?;
        if !status.is_success() {
            return Err(match serde_json::from_slice(&bytes) {
                Ok(problem) => ClientError::Problem(problem),
                Err(_) => ClientError::Decode { url: url.clone(), reason: format!("HTTP {status}") },
            });
        }
        Ok(bytes)
    });
    let bytes = match result {
        Ok(bytes) => bytes,
        Err(e) => return fail(&render::client_error(&e, lang)),
    };
    let partial = args.out.with_extension("partial");
    let written = std::fs::write(&partial, &bytes)
        .and_then(|()| std::fs::File::open(&partial)?.sync_all())
        .and_then(|()| std::fs::rename(&partial, &args.out));
    if let Err(e) = written {
        return fail(&format!("{}{}{}", args.out.display(), lang.pick("：", ": "), crate::i18n::io_error(&e, lang)));
    }
    if let Err(e) = crate::store::backup::check(&args.out) {
        return fail(lang.pick(&format!("备份文件校验失败：{e}"), &format!("the backup does not check out: {e}")));
    }
    super::print(lang.pick(
        &format!("备份已保存并校验：{}（{} 字节）", args.out.display(), bytes.len()),
        &format!("backup saved and checked: {} ({} bytes)", args.out.display(), bytes.len()),
    ));
    ExitCode::SUCCESS
}

/// Restores a backup into an empty data folder.
pub fn restore(args: RestoreArgs, lang: Lang) -> ExitCode {
    match crate::store::backup::restore(&args.backup, &args.data) {
        Ok(info) => {
            let (station, taken, entries, files, data) = (
                &info.station,
                crate::clock::local_minute(info.taken_at),
                info.entries,
                info.files,
                args.data.display(),
            );
            super::print(&match lang {
                Lang::Zh => format!(
                    "已恢复 {station} 的备份（{taken}，{entries} 条记录，{files} 个附件）到 {data}。节点启动后将向各协作单位索取备份之后的往来消息。"
                ),
                Lang::En => format!(
                    "restored the backup of {station} ({taken}, {entries} entries, {files} attachment files) into {data}. When the node starts it asks every peer for what happened since."
                ),
            });
            ExitCode::SUCCESS
        }
        Err(e) => fail(lang.pick(&format!("恢复失败：{e}"), &format!("restore failed: {e}"))),
    }
}
