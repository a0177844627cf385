//! `tiemeng serve`: run one station's node until SIGINT or SIGTERM.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::i18n::Lang;
use crate::node::Node;

use super::fail;

/// Loads the config, opens the node and serves it.
pub fn run(config: &Path, lang: Lang) -> ExitCode {
    super::init_tracing("info");
    super::arenas::limit();
    let config = match Config::load(config) {
        Ok(config) => config,
        Err(e) => {
            let why = e.describe(lang);
            return fail(
                lang.pick(&format!("配置有误，未启动：{why}"), &format!("invalid config, not started: {why}")),
            );
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(serve(config, lang))
}

async fn serve(config: Config, lang: Lang) -> ExitCode {
    let listen = config.server.listen;
    for (path, mode) in config.exposed_private_keys() {
        tracing::warn!("{}", super::exposed_key_warning(&path, mode, lang));
    }
    let node = match Node::open(config, Clock::system()) {
        Ok(node) => Arc::new(node),
        Err(e) => {
            let why = e.describe(lang);
            return fail(lang.pick(&format!("节点无法启动：{why}"), &format!("node cannot start: {why}")));
        }
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(e) => {
            return fail(&match lang {
                Lang::Zh => format!("无法监听 {listen}：{}", crate::i18n::io_error(&e, lang)),
                Lang::En => format!("cannot listen on {listen}: {e}"),
            });
        }
    };
    let running = match crate::server::start(node, listener) {
        Ok(running) => running,
        Err(e) => return fail(lang.pick(&format!("TLS 配置有误：{e}"), &format!("TLS setup failed: {e}"))),
    };
    eprintln!(
        "{}",
        lang.pick(
            &format!("节点已启动：https://{}", running.addr),
            &format!("node serving on https://{}", running.addr)
        )
    );
    wait_for_signal().await;
    running.stop().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Runs the demo until SIGINT or SIGTERM.
pub fn demo(dir: &Path, port: u16, fresh: bool, lang: Lang) -> ExitCode {
    super::init_tracing("warn");
    super::arenas::limit();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async {
        eprintln!("{}", lang.pick("正在启动演示节点并生成示例协查……", "starting the demo stations and sample cases…"));
        let demo = match crate::demo::start(dir, port, fresh).await {
            Ok(demo) => demo,
            Err(e) => return fail(lang.pick(&format!("演示未能启动：{e}"), &format!("demo failed: {e}"))),
        };
        println!("{}", crate::demo::instructions(&demo, lang));
        wait_for_signal().await;
        demo.stop().await;
        ExitCode::SUCCESS
    })
}
