//! `tiemeng audit verify`: check a node's audit chain offline.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::i18n::Lang;
use crate::store::Store;

use super::fail;

/// `tiemeng audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// 校验审计链 (verify the whole audit chain; the node must be stopped).
    Verify {
        /// The node's data folder (storage.data_dir).
        #[arg(long)]
        data: PathBuf,
    },
}

/// Runs an audit command.
pub fn run(command: AuditCommand, lang: Lang) -> ExitCode {
    let AuditCommand::Verify { data } = command;
    let store = match Store::open_existing(&data) {
        Ok(store) => store,
        Err(e) => {
            return fail(lang.pick(
                &format!("无法打开数据目录 {}：{e}（节点运行时请先停止节点）", data.display()),
                &format!("cannot open {}: {e} (stop the node first)", data.display()),
            ));
        }
    };
    match store.verify_audit() {
        Ok(count) => {
            super::print(lang.pick(
                &format!("审计链完整：共 {count} 条记录，逐条校验通过。"),
                &format!("audit chain intact: {count} entries verified"),
            ));
            ExitCode::SUCCESS
        }
        Err(e) => fail(lang.pick(&format!("审计链已被破坏：{}", e.zh()), &format!("audit chain broken: {e}"))),
    }
}
